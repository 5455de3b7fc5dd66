/*
 * source.h — the source-module interface. One file per log type under
 * src/sources/, one row in km_sources[] (registry.c). A module recognises its
 * records and turns each into a normalized event (core/event.h).
 *
 * Adding a source: write src/sources/NAME.c exporting
 * `const struct km_source km_source_NAME`, add it to registry.c, document it
 * in docs/sources/NAME.md, add a fuzz seed; tests/unit/test_registry.c fails
 * when a registered source lacks its doc.
 */
#ifndef KM_SOURCE_H
#define KM_SOURCE_H

#include "core/event.h"
#include "json/json.h"

/* Per-record context handed to a module. */
struct km_norm_ctx {
    struct km_arena *arena;  /* for strings the module builds (lower-casing,
                                joins, re-serialised JSON); freed with the batch */
    const char *file;        /* path (and member) for messages */
    uint64_t offset;         /* record offset in the decoded stream */
    size_t raw_n;            /* bytes of the original record at offset when they are
                                not the bytes normalized (a CSV row); 0: n */
    const char *wrapper;     /* wrapper key the record came under, or NULL */
    int index;               /* which of the record's events is wanted, 0-based
                                (see count); 0 for ordinary records */
    /* out: */
    int count;               /* how many events the record holds: km_normalize_record
                                sets 1 before calling normalize(); a module whose
                                records can hold several (e.g. an EventBridge event
                                with several Security Hub findings) sets it, even
                                when it then fails, and normalizes number `index` */
    int emit;                /* 1: *ev is an event; 0: evidence-only record (e.g. a digest) */
    unsigned problems;       /* count of fields with unexpected types/values */
    char note[160];          /* first problem or fallback, e.g. "eventTime missing; used @timestamp" */
    const struct km_source *source;  /* set by km_normalize_record */
};

struct km_source {
    const char *name;        /* "aws.cloudtrail": also the event's `source` */
    const char *provider;    /* "aws" */
    const char *summary;     /* one line */
    const char *doc;         /* "docs/sources/cloudtrail.md" */
    /* Returns 0 (not mine) .. 100 (certainly mine) for a parsed record. Cheap:
     * looks at a few keys only. */
    int (*detect)(const struct km_json *rec, const char *wrapper);
    /* Fills ev (already km_event_init'ed; raw ref and key are set by the
     * caller afterwards) from event number ctx->index of the record, and sets
     * ctx->count when the record holds more than one. Returns KM_OK, or
     * KM_ERECORD with err naming why the record (or that event of it) cannot
     * be an event at all. May modify strings inside rec in place
     * (e.g. parse JSON embedded in a string). */
    int (*normalize)(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                     struct km_err *err);
};

extern const struct km_source *const km_sources[];
extern const int km_nsources;

/* Picks the source with the highest detect() score (> 0), or NULL. `hint` is
 * tried first (the source that matched the previous record of the object). */
const struct km_source *km_source_detect(const struct km_json *rec, const char *wrapper,
                                         const struct km_source *hint);

/* Helpers every module uses (normalize.c): record a note (first one wins);
 * count a field of an unexpected type or value, flag the event and note the
 * first such problem; name a JSON type for messages; a value that is missing
 * or null. */
void km_norm_note(struct km_norm_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void km_norm_problem(struct km_norm_ctx *ctx, struct km_event *ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *km_json_type_name(const struct km_json *v);
/* Sets src.raw = raw and src.ip = the canonical address of raw, or of raw
 * without a port ("a.b.c.d:port", "[v6]:port"); src.ip stays absent when
 * neither is an address. The canonical text points into raw when identical,
 * else into ctx->arena. raw.p NULL: nothing is set. */
void km_norm_ip_port(struct km_norm_ctx *ctx, struct km_event *ev, struct km_str raw);
/* s with A-Z lower-cased: s itself when it has no upper case, else a copy in
 * ctx->arena (KM_STR_NONE when the arena is full). */
struct km_str km_norm_lower(struct km_norm_ctx *ctx, struct km_str s);
/* Parses JSON held in a string (Log Analytics columns, CSV cells): s[0..n),
 * copied into the batch arena first unless in_place (then s is parsed where
 * it lies and modified), nesting at most 64. The root, or NULL with *e set
 * (also on a full arena). */
struct km_json *km_norm_parse_embedded(struct km_norm_ctx *ctx, const char *s, size_t n,
                                       int in_place, struct km_err *e);
static inline int km_json_absent(const struct km_json *v)
{
    return !v || v->type == KM_JSON_NULL;
}

/*
 * One record's exact bytes to one event (normalize.c): parses a private copy
 * in nc->arena (raw itself is not modified), detects the source (*hint tried
 * first and updated; hint may be NULL), normalizes, defaults provider/source,
 * gives an id-less record event_id "sha256:<hex of raw>", computes the key and
 * sets raw.offset = nc->offset, raw.length = nc->raw_n, or n when that is 0
 * (raw.object is the caller's).
 * nc->arena, file, offset, wrapper and index must be set.
 *
 * A record may hold several events: nc->index picks one (0-based) and
 * nc->count comes back with how many there are (1 for most records; set even
 * when the call fails, as far as it is known, so a caller can go on with the
 * next index). Callers normalize index 0, then 1..count-1 from the same raw
 * bytes: every sub-event has the same raw reference (the whole record); its
 * event_id is its own (e.g. the finding's Id), and an id-less sub-event of a
 * record holding several gets "sha256:<hex of raw>#<index>".
 *
 * Returns KM_OK (check nc->emit: 0 for evidence-only records), or
 * KM_EJSON/KM_ELIMIT (with the absolute offset), KM_EFORMAT (no source),
 * KM_ERECORD (also for an index < 0 or >= count), KM_ENOMEM.
 */
int km_normalize_record(const char *raw, size_t n, struct km_norm_ctx *nc,
                        const struct km_json_limits *lim, const struct km_source **hint,
                        struct km_event *ev, struct km_err *err);

#endif
