/*
 * finding.h — what the hunt and the commands do with findings beyond what
 * detections need (detect.h): their canonical JSON, the catalog tables that
 * keep them, and incidents.
 *
 * Catalog (created by the first `kumo hunt`; a store that never ran one has
 * no findings and reading commands say so):
 *
 *   findings(id TEXT PRIMARY KEY, detection, severity, first, last, summary,
 *            json TEXT, created, updated)     one row per finding; json is
 *                                             km_finding_json(f, 1)
 *   hunts(seq, time, since, until, only, new, updated, unchanged, total, digest)
 *
 * Every hunt appends a custody record (action "hunt") whose note carries the
 * SHA-256 digest of all findings rows (id, json in id order): `kumo verify`
 * recomputes it, so an edited, added or removed finding fails verification.
 */
#ifndef KM_FINDING_H
#define KM_FINDING_H

#include "detect/detect.h"
#include "json/json.h"

struct km_catalog;

void km_strset_sort(struct km_strset *s);
/* f->id from (detection, key). */
void km_finding_set_id(struct km_finding *f);
/* Widens [first, last] to include t. */
void km_finding_window(struct km_finding *f, int64_t t);
/* Adds an evidence event (deduplicated by key and id; capped). */
void km_finding_add_fev(struct km_finding *f, const struct km_fev *e);
/* Merges `from` into `into` (entities, evidence, window, highest severity). */
void km_finding_merge(struct km_finding *into, struct km_finding *from);
/* Sorts entity sets, event ids and evidence (time order): the canonical form. */
void km_finding_normalize(struct km_finding *f);
/* Appends the finding's JSON object (the shape: id, detection,
 * severity, first, last, summary, technique, entities{ips, persons,
 * identities, access_keys, accounts, roles, resources, countries},
 * event_ids, key, details; with_evidence adds the evidence timeline). */
void km_finding_json(const struct km_finding *f, int with_evidence, struct km_buf *b);
/* Reads a finding back from its JSON. KM_OK or KM_EJSON/KM_ECORRUPT. */
int km_finding_from_json(const char *text, size_t n, struct km_finding *f, struct km_err *err);

/* ---- the catalog ---------------------------------------------------------- */

/* Creates the tables when missing (needs a writable store). */
int km_findings_schema(struct km_catalog *c, struct km_err *err);
/* 1 when the store has the findings table, 0 when not, -1 when the catalog
 * could not be read (callers that go on to read the table then report the
 * error: -1 is true). */
int km_findings_present(struct km_catalog *c);
/* Inserts or updates one finding: *state = 0 unchanged, 1 new, 2 updated. */
int km_findings_put(struct km_catalog *c, const struct km_finding *f, int64_t now, int *state,
                    struct km_err *err);
/* Loads every finding (ordered by first time, then id) with severity >=
 * min_sev, or only `id` when non-NULL. Caller frees with km_findings_free. */
int km_findings_load(struct km_catalog *c, int min_sev, const char *id,
                     struct km_finding **out, size_t *n, struct km_err *err);
void km_findings_free(struct km_finding *f, size_t n);
/* SHA-256 hex of every row (id and json, in id order): what custody anchors. */
int km_findings_digest(struct km_catalog *c, char out[65], struct km_err *err);

/* ---- incidents -------------------------------------------------------------- */

struct km_incident {
    char id[24];               /* "I-" + 12 hex of its earliest finding's id */
    int severity;              /* highest of its findings (+1, capped, when they
                                  span two or more providers) */
    int64_t first, last;
    uint32_t nfind;
    uint32_t *find;            /* indexes into the findings array, time order */
    struct km_strset providers;
    struct km_strset ent[KM_ENT__N];   /* union of the findings' entities */
    struct km_strset ties;     /* "ip 203.0.113.66", "person a@b": what joined them */
    char summary[512];
};
/*
 * Groups findings (with severity >= min_sev) that share an IP, person, access
 * key, identity or role and lie at most `gap` µs apart into incidents.
 * A finding alone forms an incident only if its severity is high or above.
 * Returns the incidents ordered by first time; free with km_incidents_free.
 */
int km_incidents_build(const struct km_finding *f, size_t n, int min_sev, int64_t gap,
                       struct km_incident **out, size_t *nout);
void km_incidents_free(struct km_incident *in, size_t n);

#endif
