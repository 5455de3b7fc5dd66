/*
 * store.h — the event store: a directory holding the evidence vault, the
 * columnar segments and the SQLite catalog.
 *
 *   STORE/
 *     FORMAT                "kumo-store <version>": refused when newer than us
 *     catalog.sqlite        evidence, objects, custody chain, segment manifest
 *     vault/ab/<sha256>     original acquired files, byte for byte
 *     segments/NNNNNNNN.kseg  immutable columnar segments (segment.h)
 *     tmp/                  files being written; swept at open
 *     LOCK                  flock()ed by the one writer
 *
 * Invariants (DESIGN.md): segments are append-only and immutable; a segment
 * becomes visible only when its row is committed to the catalog's `segments`
 * table (the manifest) in the same transaction that marks the evidence whose
 * events it completes; a crash at any instant leaves the last committed state
 * readable, and the next ingest re-processes evidence that was not completed,
 * with dedupe on event keys keeping counts exact.
 */
#ifndef KM_STORE_H
#define KM_STORE_H

#include "core/event.h"

#include <stdio.h>

#define KM_STORE_FORMAT_VERSION 1

struct km_store;
struct km_catalog;

#define KM_STORE_CREATE 1   /* create the directory if missing */
#define KM_STORE_WRITE  2   /* take the writer lock */

/* Opens (and with KM_STORE_CREATE creates) a store. Returns KM_OK, KM_EIO,
 * KM_EVERSION (store from a newer kumo), KM_ESQL, KM_ENOTFOUND (no store and
 * no CREATE), KM_ECORRUPT. */
int km_store_open(const char *dir, int flags, struct km_store **out, struct km_err *err);
void km_store_close(struct km_store *s);
const char *km_store_dir(const struct km_store *s);
/* The path of segment file `name` (a manifest row's `file`) in s: the one
 * place that knows where segments live ("" gives the directory). */
void km_store_segment_path(const struct km_store *s, const char *name, char *out, size_t n);
struct km_catalog *km_store_catalog(struct km_store *s);

/* ---- writing ---------------------------------------------------------- */

struct km_writer;
struct km_writer_opts {
    uint32_t segment_rows;    /* rows per segment before a flush; default 131072 */
};
int km_writer_open(struct km_store *s, const struct km_writer_opts *o, struct km_writer **out,
                   struct km_err *err);
/* Adds one event (strings are copied). *dup is set to KM_ADD_DUP when an
 * event with the same key and the same content (every stored field, or the
 * same raw reference) is already stored or pending, and nothing is added;
 * to KM_ADD_CONFLICT when rows with the same key exist but none has this
 * content (a record reusing an id: the event is added, the caller reports
 * it); else KM_ADD_NEW (0). */
enum { KM_ADD_NEW = 0, KM_ADD_DUP = 1, KM_ADD_CONFLICT = 2 };
int km_writer_add(struct km_writer *w, const struct km_event *ev, int *dup, struct km_err *err);
/* Declares that every event of evidence `evidence_id` has been added. In the
 * transaction that publishes the segment holding its last events, `on_commit`
 * is called for it (and must mark it complete: km_cat_evidence_complete, and
 * write its custody record); without a callback the writer marks it. A
 * callback that returns an error (filling err) rolls the transaction back:
 * nothing of that publish becomes visible, and the error ends the write. */
typedef int (*km_writer_commit_fn)(void *ctx, uint64_t evidence_id, struct km_err *err);
void km_writer_on_commit(struct km_writer *w, km_writer_commit_fn fn, void *ctx);
int km_writer_evidence_done(struct km_writer *w, uint64_t evidence_id, struct km_err *err);
/* Publishes buffered events as a segment (no-op when empty) and commits. */
int km_writer_flush(struct km_writer *w, struct km_err *err);
/* Flushes and closes. */
int km_writer_close(struct km_writer *w, struct km_err *err);
uint64_t km_writer_rows_pending(const struct km_writer *w);

/* ---- reading ---------------------------------------------------------- */

/* One (field, value) pair of a selector set (struct km_cond.sel). */
struct km_sel {
    int field;                /* enum km_field */
    const char *value;
};

/* An exact-match condition: the event matches when any field in `fields`
 * (bit i = enum km_field i) equals value exactly.
 * Or, when nsel > 0 (fields and value unused): when one of the pairs sel[i]
 * holds — a set of values over several fields, e.g. a person's identities
 * (ident.h km_idgraph_person_selectors). Segments where no pair's value is
 * in its field's dictionary are skipped. accept, when set, is then asked
 * about each event the pairs matched and may refuse it (an exact test such
 * as km_idgraph_person_of(g, ev) == p). With nocase set, the pairs of a
 * selector set compare ASCII case-insensitively (`--action consolelogin`
 * selects ConsoleLogin; cli/filter_opts.c). */
struct km_cond {
    uint64_t fields;
    const char *value;
    const struct km_sel *sel;
    uint32_t nsel;
    int (*accept)(void *actx, const struct km_event *ev);
    void *actx;
    int nocase;               /* sel pairs only */
};

struct km_filter {
    int64_t since, until;     /* inclusive bounds on time_us; INT64_MIN / INT64_MAX for none */
    struct km_cond conds[8];  /* all must hold */
    int nconds;
    const uint8_t *key;       /* exact dedupe key, or NULL */
};
void km_filter_init(struct km_filter *f);

/* Calls cb for every matching event, segment by segment in time order of
 * segments (rows within a segment are time-sorted). The event's strings are
 * valid during the callback only. cb returns non-zero to stop early. Returns
 * KM_OK (also when stopped early) or the error that ended the scan. */
typedef int (*km_scan_fn)(void *ctx, const struct km_event *ev);
int km_store_scan(struct km_store *s, const struct km_filter *f, km_scan_fn cb, void *ctx,
                  struct km_err *err);

/* Per (provider, source, account) totals from the manifest. */
struct km_stat_row {
    char provider[32], source[64], account[128];
    uint64_t events;
    int64_t tmin, tmax;
};
/* Fills a malloc'd array (caller frees). */
int km_store_stats(struct km_store *s, struct km_stat_row **rows, size_t *n, struct km_err *err);

#endif
