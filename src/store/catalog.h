/*
 * catalog.h — the SQLite catalog inside a store: evidence (acquired files in
 * the vault), objects (decoded members that raw references point into), the
 * hash-chained custody log, the segment manifest with per-segment group
 * counts, and rejected records.
 *
 * Custody chain: each record's hash = SHA-256(prev_hash || "\n" || canonical
 * text of its fields); the first record's prev_hash is 64 zeros. Changing,
 * removing or reordering any record breaks every later hash
 * (km_cat_custody_verify finds the first broken one).
 */
#ifndef KM_CATALOG_H
#define KM_CATALOG_H

#include "core/km.h"
#include "store/segment.h"

struct km_catalog;

/* Opens the catalog; with create, creates it when missing and adds what a
 * newer kumo needs (anchor columns) to an older one: only writers pass it. */
int km_cat_open(const char *path, int create, struct km_catalog **out, struct km_err *err);
void km_cat_close(struct km_catalog *c);
int km_cat_begin(struct km_catalog *c, struct km_err *err);
int km_cat_commit(struct km_catalog *c, struct km_err *err);
void km_cat_rollback(struct km_catalog *c);
/* 1 when a transaction is open (km_cat_begin without commit/rollback). */
int km_cat_in_txn(struct km_catalog *c);

/* Evidence: state 0 = pending (events not all published), 1 = complete. */
struct km_evidence {
    uint64_t id;
    char sha256[65];
    uint64_t size;
    char vault_path[160];     /* loose object, relative to the store ("" when packed) */
    char pack[64];            /* pack file name under vault/packs, "" when loose */
    uint64_t pack_off;        /* offset of the object in its pack */
    char format[64];
    char source_path[1024];   /* where it was first acquired from */
    int complete;
};
/* KM_OK and *ev filled, or KM_ENOTFOUND. */
int km_cat_evidence_by_sha(struct km_catalog *c, const char *sha256, struct km_evidence *ev,
                           struct km_err *err);
int km_cat_evidence_by_id(struct km_catalog *c, uint64_t id, struct km_evidence *ev,
                          struct km_err *err);
/* Inserts a pending evidence row (or returns the existing id for the sha). */
int km_cat_evidence_add(struct km_catalog *c, const struct km_evidence *ev, uint64_t *id,
                        struct km_err *err);
/* Marks evidence complete (all its events published) and records the format
 * detected (NULL or "" keeps the current one). */
int km_cat_evidence_complete(struct km_catalog *c, uint64_t id, const char *format,
                             struct km_err *err);
/* Iterates all evidence rows (ordered by id). cb returns non-zero to stop. */
int km_cat_evidence_each(struct km_catalog *c, int (*cb)(void *, const struct km_evidence *),
                         void *ctx, struct km_err *err);

/* Objects: decoded members of an evidence file (index within it). */
struct km_object {
    uint64_t id, evidence_id, idx;
    char member[1024];        /* "" for the file itself */
    char chain[64];
};
int km_cat_object_add(struct km_catalog *c, uint64_t evidence_id, uint64_t idx,
                      const char *member, const char *chain, uint64_t *id, struct km_err *err);
int km_cat_object_get(struct km_catalog *c, uint64_t id, struct km_object *o, struct km_err *err);

struct km_custody {
    uint64_t seq;
    uint64_t evidence_id;     /* the evidence acquired (its sha256/size/format are joined) */
    char time[32];            /* UTC ISO 8601 */
    char operator_[128];
    char host[128];
    char action[32];          /* "acquire", "reacquire" */
    char source_path[1024];
    char sha256[65];
    uint64_t size;
    char format[64];
    uint64_t events_new, events_dup, events_rejected;
    char note[512];
    char prev_hash[65], hash[65];
};
/* Appends a record: fills seq, prev_hash and hash. r->time must parse as a
 * time (it is stored as microseconds and rewritten in canonical form);
 * r->sha256 and size must be those of r->evidence_id (they are read back
 * from the evidence row); the other fields are stored with the record. */
int km_cat_custody_append(struct km_catalog *c, struct km_custody *r, struct km_err *err);
int km_cat_custody_each(struct km_catalog *c, int (*cb)(void *, const struct km_custody *),
                        void *ctx, struct km_err *err);
/* Recomputes the chain: KM_OK, or KM_ECORRUPT naming the first broken seq. */
int km_cat_custody_verify(struct km_catalog *c, uint64_t *nrecords, struct km_err *err);

/* Segment manifest. */
struct km_segment_row {
    uint64_t id;
    char file[64];
    uint64_t rows;
    int64_t tmin, tmax;
    uint64_t bytes;
    char sha256[65];
};
int km_cat_segment_add(struct km_catalog *c, const char *file, const struct km_seg_summary *s,
                       uint64_t *id, struct km_err *err);
/* Malloc'd array of all segments ordered by tmin (caller frees). */
int km_cat_segments(struct km_catalog *c, struct km_segment_row **rows, size_t *n,
                    struct km_err *err);

int km_cat_reject_add(struct km_catalog *c, uint64_t evidence_id, const char *member,
                      uint64_t offset, long line, int code, const char *reason,
                      struct km_err *err);

/* Totals for `kumo stats`. */
struct km_cat_counts {
    uint64_t evidence_complete;   /* evidence rows marked complete */
    uint64_t vault_bytes;         /* sum of all evidence sizes */
    uint64_t segments, segment_bytes;
    uint64_t rejects, custody;
};
int km_cat_counts(struct km_catalog *c, struct km_cat_counts *out, struct km_err *err);

/* Per (provider, source, account) totals of the published segments
 * (store.h km_store_stats): a malloc'd array, caller frees. */
struct km_stat_row;
int km_cat_group_totals(struct km_catalog *c, struct km_stat_row **rows, size_t *n,
                        struct km_err *err);

/* 1 when the evidence with this sha256 (hex) is marked complete, 0 when it
 * is absent or pending; KM_ESQL (err filled) on a read error. */
int km_cat_evidence_is_complete(struct km_catalog *c, const char *sha256, int *complete,
                                struct km_err *err);

/* A second, read-only connection to the catalog at path, for a thread other
 * than the one using the store's (ingest workers asking
 * km_cat_evidence_is_complete while the writer works). Close with
 * km_cat_close. */
int km_cat_open_reader(const char *path, struct km_catalog **out, struct km_err *err);

/* Findings and hunts (`kumo hunt`; detect/findings_db.c owns their JSON).
 * The tables are created on first use (needs a writable store). */
int km_cat_findings_schema(struct km_catalog *c, struct km_err *err);
/* 1 when the findings table exists, 0 when not, -1 on a read error. */
int km_cat_findings_present(struct km_catalog *c);
/* *state = 1 when no finding has this id, 0 when it has exactly this json,
 * 2 when it differs. */
int km_cat_finding_same(struct km_catalog *c, const char *id, const char *json, size_t n,
                        int *state, struct km_err *err);
/* Inserts (update 0) or updates (1) a finding row. */
int km_cat_finding_put(struct km_catalog *c, int update, const char *id, const char *detection,
                       int severity, int64_t first, int64_t last, const char *summary,
                       const char *json, size_t n, int64_t now, struct km_err *err);
/* Calls cb with each finding's id and json: the one with this id (id
 * non-NULL), or all ordered by id (by_id), or those of severity >= min_sev
 * ordered by first time. cb returns non-zero to stop (returned); a read
 * error returns KM_ESQL. */
int km_cat_findings_each(struct km_catalog *c, const char *id, int min_sev, int by_id,
                         int (*cb)(void *, const char *id, size_t idn, const char *json,
                                   size_t n),
                         void *ctx, struct km_err *err);
int km_cat_findings_count(struct km_catalog *c, uint64_t *n, struct km_err *err);
/* Records one hunt run. */
int km_cat_hunt_add(struct km_catalog *c, int64_t now, int64_t since, int64_t until,
                    const char *only, uint64_t added, uint64_t updated, uint64_t unchanged,
                    uint64_t total, const char *digest, struct km_err *err);
/*
 * Anchors (docs/verify.md): the catalog's own state in the custody chain.
 * Every transaction that makes evidence state visible ends, inside the same
 * transaction, with a custody record of action "commit" whose note holds a
 * digest of exactly the rows it made visible (segments with their group
 * counts, completed evidence, their objects and rejects; each such row's
 * `anchor` column names that record's seq) and the running totals after it.
 * km_cat_commit does this itself (km_cat_anchor), then writes STORE/HEAD
 * ("<seq> <hash>\n", replaced atomically) when the transaction appended
 * custody records: the chain's last record, which a seal can sign.
 */
enum { KM_ANCHOR_SEGMENTS, KM_ANCHOR_EVENTS, KM_ANCHOR_EVIDENCE, KM_ANCHOR_OBJECTS,
       KM_ANCHOR_REJECTS, KM_ANCHOR_NTOTALS };
/* Anchors the visible rows no record anchors yet: sets their `anchor` and
 * appends the "commit" record (nothing when there is nothing new). Must run
 * inside a write transaction; km_cat_commit calls it. */
int km_cat_anchor(struct km_catalog *c, struct km_err *err);

/* What km_cat_verify_state found. */
struct km_state_report {
    int anchored;             /* the catalog has anchor columns */
    uint64_t commits;         /* "commit" records checked */
    uint64_t unanchored;      /* visible rows no record anchors (old stores) */
    int have_head;            /* STORE/HEAD read */
    uint64_t head_seq;
    char head_hash[65];
    uint64_t past_head;       /* records after HEAD (crash before HEAD was written) */
    uint64_t last_seq;        /* the chain's last record: the head a seal signs */
    char last_hash[65];
};
/* Calls problem(ctx, message) for every difference between the catalog and
 * what the chain anchored (rows changed, deleted, added, re-anchored; totals;
 * a HEAD the chain does not reach) and note(ctx, message) for what is
 * weaker but not wrong (a store made before anchoring, records past HEAD).
 * On a chain km_cat_custody_verify rejects, what it says is a hint only.
 * Returns KM_OK or an SQL error. */
int km_cat_verify_state(struct km_catalog *c, void (*problem)(void *, const char *),
                        void (*note)(void *, const char *), void *ctx,
                        struct km_state_report *r, struct km_err *err);

/* Conflicting duplicates: events stored although their key was already
 * stored, because the content differs (store.h KM_ADD_CONFLICT). The table
 * `conflicts` is created on the first add; readers treat its absence as
 * none. */
int km_cat_conflict_add(struct km_catalog *c, uint64_t evidence_id, const char *member,
                        uint64_t offset, struct km_str source, struct km_str event_id,
                        struct km_err *err);
struct km_conflict {
    uint64_t evidence_id;
    char sha256[65];
    char file[1024];          /* where the evidence was first acquired from */
    char member[1024];
    uint64_t offset;          /* of the record in the member's decoded bytes */
    char source[64];
    char event_id[256];
    uint64_t count;           /* conflicts with this (source, event_id) */
};
/* Sets *total to the number of conflicts, and calls cb once per (source,
 * event id) — the most reused first, at most max (0 = all) — with its
 * count and the file/offset of its first conflict. cb returns non-zero to
 * stop. */
int km_cat_conflict_groups(struct km_catalog *c, uint64_t max,
                           int (*cb)(void *, const struct km_conflict *), void *ctx,
                           uint64_t *total, struct km_err *err);

/* Rejected records, with the evidence they came from. A reprocess marks
 * the rejects of earlier runs of that evidence superseded (table
 * rejects_superseded: reject id -> custody seq of the reprocess); they stay. */
struct km_reject {
    uint64_t id, evidence_id;
    char sha256[65];
    char file[1024];          /* evidence source path ("" for a file never preserved) */
    char format[64];          /* evidence format as detected ("aws.cloudtrail json", ...) */
    char member[1024];
    uint64_t offset;
    long line;
    int code;
    char reason[256];
    uint64_t superseded_by;   /* custody seq of the reprocess, 0 = current */
};
/* all = 0: current rejects only; 1: history too. */
int km_cat_reject_each(struct km_catalog *c, int all,
                       int (*cb)(void *, const struct km_reject *), void *ctx,
                       struct km_err *err);
/* Marks evidence_id's rejects with id <= before_id superseded by custody_seq. */
int km_cat_rejects_supersede(struct km_catalog *c, uint64_t evidence_id, uint64_t before_id,
                             uint64_t custody_seq, struct km_err *err);
int km_cat_reject_max_id(struct km_catalog *c, uint64_t *id, struct km_err *err);

#endif
