/*
 * detect.h — detections (`kumo hunt`), findings and the scan they share.
 *
 * A detection is one file src/detect/det_NAME.c exporting
 * `const struct km_detection km_det_NAME` and its settings table
 * `const struct km_conf_key km_det_conf_NAME[]` (thresholds, allow-lists;
 * core/conf.h), and one line KM_DET(NAME) in det_list.h, which puts it in
 * km_detections[] (registry.c) and its settings in the configuration
 * (core/conf_keys.c); its documentation is docs/detections/<id>.md.
 * tests/unit/test_detect.c fails when a registered detection lacks its doc
 * or its table.
 *
 * A detection reads the store through km_hunt_scan() (one pass over the
 * segments the hunt's time bounds leave, with exact dictionary pruning) and
 * reports what it finds with km_hunt_emit(). It never writes the store: the
 * hunt records the findings in the catalog afterwards (findings.h).
 *
 *    kumo hunt ──► for each detection (2 threads) ──► km_hunt_scan ──► rows
 *                                    │                                 │
 *                                    └──────── km_hunt_emit ◄──────────┘
 *                  findings (deduped by id) ──► catalog `findings` + custody record
 */
#ifndef KM_DETECT_H
#define KM_DETECT_H

#include "core/event.h"
#include "core/km.h"

struct km_store;
struct km_conf;
struct km_geo;
struct km_idgraph;
struct km_seg;

enum km_sev { KM_SEV_INFO = 0, KM_SEV_LOW, KM_SEV_MEDIUM, KM_SEV_HIGH, KM_SEV_CRITICAL };
/* "info", "low", "medium", "high", "critical"; km_sev_parse gives -1 for others. */
const char *km_sev_name(int sev);
int km_sev_parse(const char *s);

/* ---- findings ------------------------------------------------------------ */

/* A set of distinct strings, in insertion order, at most `cap` kept (the
 * rest counted in `dropped`, and said so in the output). */
struct km_strset {
    char **v;
    uint32_t n, alloc;
    uint32_t cap;            /* 0 = 1000 */
    uint64_t dropped;
};
void km_strset_add(struct km_strset *s, const char *p, size_t n);
void km_strset_addc(struct km_strset *s, const char *p);
int km_strset_has(const struct km_strset *s, const char *p);
void km_strset_free(struct km_strset *s);

/* The entity kinds of a finding, in output order: the JSON field names. */
enum km_ent {
    KM_ENT_IPS = 0, KM_ENT_PERSONS, KM_ENT_IDENTITIES, KM_ENT_ACCESS_KEYS, KM_ENT_ACCOUNTS,
    KM_ENT_ROLES, KM_ENT_RESOURCES, KM_ENT_COUNTRIES, KM_ENT__N
};
extern const char *const km_ent_names[KM_ENT__N]; /* "ips", "persons", ... */

/* One event of a finding's evidence, as the storyline prints it. */
struct km_fev {
    int64_t time;
    char provider[16], source[32], action[96], actor[160], ip[48], outcome[16];
    char event_id[256];     /* GCP ids (log name # insertId @ time) run past 100 bytes */
    uint8_t key[16];          /* the store's key: `kumo show` finds the event by it */
};
#define KM_FINDING_MAX_EV 200

struct km_finding {
    char id[24];             /* "F-" + 16 hex of SHA-256(detection, key): set by emit */
    const char *detection;   /* the detection's id (static) */
    int severity;            /* enum km_sev */
    int64_t first, last;     /* µs UTC */
    char summary[512];       /* one plain sentence */
    char key[256];           /* what makes it the same finding when the hunt runs
                                again (e.g. "203.0.113.66|2026-10-03T01:20Z"):
                                the id is derived from (detection, key) */
    const char *technique;   /* ATT&CK, e.g. "T1110.003" (static) */
    struct km_strset ent[KM_ENT__N];
    struct km_strset event_ids;   /* the providers' own event ids that prove it */
    struct km_fev *ev;       /* key events (km_hunt_add_evidence), at most
                                KM_FINDING_MAX_EV kept, in the order added */
    uint32_t nev, alloc_ev;
    uint64_t ev_dropped;
    char *details;           /* optional compact JSON object (malloc'd), e.g. the
                                hops of a role chain: {"chain":[...]} */
};
void km_finding_init(struct km_finding *f);
/* Takes the text of b (a JSON object) as f->details and leaves b empty; a
 * buffer that hit its ceiling is freed and the details stay unset. */
struct km_buf;
void km_finding_take_details(struct km_finding *f, struct km_buf *b);
void km_finding_free(struct km_finding *f);

/* ---- the hunt ---------------------------------------------------------------- */

struct km_hunt;

/* A reference to one stored event during a hunt (segment number, row). */
struct km_evref {
    uint32_t seg;
    uint32_t row;
};

/* One row handed to a scan callback. Values are valid during the call. */
struct km_hrow {
    struct km_hunt *h;
    struct km_seg *seg;
    struct km_evref ref;
    int64_t time;            /* µs */
    int32_t person;          /* identity-graph person, -1 none (only when the scan
                                asked for persons) */
};
/* A field's value (dictionary or plain), KM_STR_NONE when absent. */
struct km_str km_hrow_str(const struct km_hrow *r, int field);
/* The dictionary code of a dict field (0 = absent): equal codes within one
 * segment are equal values, which lets a detection group without strings. */
uint32_t km_hrow_code(const struct km_hrow *r, int field);
/* The whole normalized event (strings valid during the call). */
int km_hrow_event(const struct km_hrow *r, struct km_event *ev);

/* The original record of a row, parsed into arena a (freed with it): the
 * exact bytes the vault keeps. A record that wraps the provider's record in
 * a string (CloudTrail event history's `CloudTrailEvent`, a CloudWatch
 * `message`) gives the inner record. Returns KM_OK and *root, or an error
 * (KM_EFORMAT for a CSV row or other non-JSON original). Thread-safe. */
struct km_json;
int km_hrow_raw(const struct km_hrow *r, struct km_arena *a, struct km_json **root,
                struct km_err *err);
/* The same for a stored reference. */
int km_hunt_raw(struct km_hunt *h, struct km_evref ref, struct km_arena *a,
                struct km_json **root, struct km_err *err);

/* Which rows a scan visits: all conditions hold (each: the field's value is
 * one of vals, exactly; with `present` instead: the field has a value). */
struct km_hscan_cond {
    int field;
    const char *const *vals;
    int nvals;
    int present;
    /* or: a predicate evaluated once per dictionary value of the segment
     * (not per row), e.g. a case-insensitive match of Azure operation names */
    int (*pred)(void *pctx, const char *v, size_t n);
    void *pctx;
};
struct km_hscan {
    struct km_hscan_cond cond[6];
    int ncond;
    int persons;             /* 1: fill km_hrow.person */
    int (*row)(void *ctx, const struct km_hrow *r);   /* non-zero stops */
    void *ctx;
};
/* Runs the scan over the hunt's segments in time order of segments (rows of a
 * segment are time-sorted; segments may overlap in time). */
int km_hunt_scan(struct km_hunt *h, const struct km_hscan *sc, struct km_err *err);

/* The provider event id of a referenced event into out (NUL-terminated);
 * returns its length (0 when unavailable). */
size_t km_hunt_event_id(struct km_hunt *h, struct km_evref ref, char *out, size_t cap);
/* Adds the referenced event's id to f->event_ids. */
void km_hunt_add_evidence(struct km_hunt *h, struct km_finding *f, struct km_evref ref);

/* Adds what an event says about who and where to f: identities (actor.name,
 * actor.arn, actor.email as the provider names them), persons (the identity
 * graph's person), access_keys, accounts, ips (src.ip), countries (stored
 * provider geolocation, else the geo database), and the event as evidence. */
void km_hunt_add_event(struct km_hunt *h, struct km_finding *f, const struct km_event *ev);
/* The same for a stored reference: materialises the event (under the hunt's
 * segment lock) and adds it as km_hunt_add_event does. */
void km_hunt_add_event_ref(struct km_hunt *h, struct km_finding *f, struct km_evref ref);
/* Adds the ids (else names) of a `resources` JSON array to f's resources. */
void km_hunt_add_resources(struct km_finding *f, struct km_str resources_json);
/* The person (lower-case e-mail key) of an event's actor, or NULL. */
const char *km_hunt_person_of(struct km_hunt *h, const struct km_event *ev);
/* The country of an event's address: the provider's own geolocation when
 * recorded, else the geo database; "" when unknown. cc has room for 3. */
void km_hunt_country(struct km_hunt *h, const struct km_event *ev, char cc[3]);

/* What a detection may read. */
const struct km_conf *km_hunt_conf(const struct km_hunt *h);
struct km_geo *km_hunt_geo(struct km_hunt *h);
const struct km_idgraph *km_hunt_graph(const struct km_hunt *h);
int64_t km_hunt_since(const struct km_hunt *h);
int64_t km_hunt_until(const struct km_hunt *h);
/* The time span of the hunted data: the earliest and latest event time of
 * the segments inside [since, until] (clipped to it); 0 when there is none.
 * New-terms detections use it to tell whether there is history enough. */
int km_hunt_span(const struct km_hunt *h, int64_t *first, int64_t *last);

/* Reports a finding: sets f->id from (detection, key), takes ownership of
 * its contents (f is re-initialised). Thread-safe. A second finding with the
 * same id within one hunt is merged into the first (entities and evidence
 * added, window widened, the higher severity kept). */
void km_hunt_emit(struct km_hunt *h, struct km_finding *f);

/* Allow-lists shared by every detection (configuration section [allow]):
 * 1 when the address is in allow.networks (office ranges, VPN egress), the
 * identity in allow.identities (break-glass, expected automation), the
 * user agent matches allow.user_agents. */
int km_hunt_allowed_ip(const struct km_hunt *h, struct km_str ip);
int km_hunt_allowed_identity(const struct km_hunt *h, struct km_str name);
int km_hunt_allowed_agent(const struct km_hunt *h, struct km_str ua);

/* ---- the registry ------------------------------------------------------------ */

struct km_detection {
    const char *id;          /* "password_spray": also docs/detections/<id>.md */
    const char *title;       /* "Password spray" */
    const char *technique;   /* ATT&CK technique(s), "T1110.003" */
    const char *summary;     /* one line for `kumo hunt --list` */
    const char *providers;   /* "aws,azure,gcp,workspace" */
    const struct km_conf_key *conf;   /* its settings, NULL-key terminated */
    int (*run)(struct km_hunt *h, struct km_err *err);
};
extern const struct km_detection *const km_detections[];
extern const int km_ndetections;
const struct km_detection *km_detection_find(const char *id);

#endif
