/*
 * timeline.h — the pure parts of `kumo timeline` (cmd_timeline.c) and
 * `kumo entity` (cmd_entity.c), kept apart from the commands so that
 * tests/unit/test_timeline.c can check them without a store: resource
 * matching, burst grouping, terminal-safe fitting, entity kind detection and
 * a capped top-N counter. docs/timeline.md describes the commands.
 */
#ifndef KM_CLI_TIMELINE_H
#define KM_CLI_TIMELINE_H

#include "core/event.h"
#include "json/json.h"

/* ---- resources ---------------------------------------------------------- */

/* Resources lists larger than this are not parsed (no match). */
#define KM_TL_RES_PARSE_MAX ((size_t)1 << 20)

/* 1 when the event's `resources` JSON array (docs/schema.md) has an element
 * whose "id" or "name" equals x exactly, or whose "id" ends with "/x" or ":x"
 * (the last component of an ARN or resource path: `--resource my-bucket`
 * finds arn:aws:s3:::my-bucket); 0 otherwise, also when the text is not a
 * JSON array or is larger than KM_TL_RES_PARSE_MAX. A substring test on the
 * raw text rejects most events before anything is parsed. `scratch` is reset
 * and reused for the parse (its ceiling bounds the memory). */
int km_tl_resource_match(struct km_str resources, const char *x, struct km_arena *scratch);

/* ---- bursts ------------------------------------------------------------- */

#define KM_TL_BURST_WINDOW_US (60 * 1000000LL)

/* The burst key of an event: a 64-bit hash of provider, actor (actor.email,
 * else name, arn, id — as the description names it), action, service, source
 * address (src.ip, else src.raw) and whether the outcome is a failure, an
 * interrupt or neither. A success after a run of failures starts its own
 * line (that is what an investigator looks for), as does one after Entra's
 * MFA prompts (interrupted); an Azure operation's Start ("unknown") and
 * Success share one. */
uint64_t km_tl_burst_key(const struct km_event *ev);
/* 64-bit FNV-1a of s[0..n) continuing from h (start with KM_TL_HASH_INIT). */
#define KM_TL_HASH_INIT 0xcbf29ce484222325ULL
uint64_t km_tl_hash(uint64_t h, const void *s, size_t n);

/* A burst being built: consecutive events of the time-ordered timeline. */
struct km_tl_burst {
    uint64_t key;
    int64_t first, last;      /* times of its first and latest event */
    uint64_t count;
};
/* 1 when an event at time t with `key` extends burst b: same key and at most
 * window_us after b's latest event (a gap, not a total span: a steady poll
 * once a minute is one line). 0 when b is empty (count 0) or window_us <= 0. */
int km_tl_burst_continues(const struct km_tl_burst *b, int64_t t, uint64_t key,
                          int64_t window_us);
/* Adds the event to b when it continues it (km_tl_burst_continues) and
 * returns 0; otherwise makes b a new burst of this one event and returns 1.
 * A caller that prints bursts checks km_tl_burst_continues first and prints
 * the burst that is ending before calling this. */
int km_tl_burst_add(struct km_tl_burst *b, int64_t t, uint64_t key, int64_t window_us);
/* "45s", "3m12s", "2h05m", "3d04h" for a span in microseconds. */
void km_tl_span_fmt(int64_t us, char out[32]);

/* ---- terminal output ---------------------------------------------------- */

/* Appends s[0..n) for a terminal in at most `cols` columns (cols >= 1),
 * escaped by the text rule (output.h: controls and bytes that are not UTF-8
 * as \xNN, C1 and bidi controls as \u00NN / \u202e), a column per UTF-8
 * character; when it does not fit, the text is cut on a character boundary
 * and ends with '~' (km_out_fit). When pad is set, spaces fill the rest. */
void km_tl_fit(struct km_buf *b, const char *s, size_t n, int cols, int pad);
/* Terminal width of stdout (km_out_term_cols): 0 when stdout is not a
 * terminal, and then nothing is cut. */
int km_tl_term_width(void);

/* ---- entities ----------------------------------------------------------- */

enum km_tl_kind {
    KM_TL_AUTO = 0,
    KM_TL_IP,        /* src.ip (canonical) or src.raw */
    KM_TL_KEY,       /* actor.access_key */
    KM_TL_EMAIL,     /* actor.email (lower-cased): one person across clouds */
    KM_TL_ACTOR,     /* actor.name/id/arn/email/access_key, exactly */
    KM_TL_RESOURCE,  /* an element of resources (km_tl_resource_match) */
    KM_TL_SESSION,   /* session_id */
};
/* The kind X's shape suggests: an IP address -> IP; AKIA/ASIA followed by 12
 * or more upper-case letters and digits -> KEY; contains '@' -> EMAIL;
 * anything else (ARNs, names, ids) -> ACTOR (the command falls back to
 * RESOURCE when no actor has that value). */
int km_tl_kind_guess(const char *x);
/* "ip", "key", "email", "actor", "resource", "session" ("auto" for 0). */
const char *km_tl_kind_name(int kind);
/* The kind for a name above, or -1. */
int km_tl_kind_parse(const char *name);

/* ---- top-N counter ------------------------------------------------------ */

/* Counts values exactly in a table of at most `cap` distinct values; once the
 * table is full, values not in it are counted in `other` (and `capped` is
 * set), so memory is bounded whatever the input: cap entries plus at most
 * KM_TOPN_VALUE_MAX bytes each. Values longer than KM_TOPN_VALUE_MAX bytes
 * are counted by that prefix (cut on a UTF-8 boundary). */
#define KM_TOPN_VALUE_MAX 512
struct km_topn;
struct km_topn_item {
    const char *value;        /* NUL-terminated; owned by the counter */
    size_t len;               /* bytes of value (it may hold a NUL) */
    uint64_t count;
};
/* cap 0 means 1. */
struct km_topn *km_topn_new(uint32_t cap);
void km_topn_free(struct km_topn *t);
void km_topn_add(struct km_topn *t, const char *s, size_t n);
/* Distinct values held (exact unless capped). */
uint64_t km_topn_distinct(const struct km_topn *t);
int km_topn_capped(const struct km_topn *t);
/* Occurrences of values that found the table full. */
uint64_t km_topn_other(const struct km_topn *t);
/* Occurrences counted in total (held + other). */
uint64_t km_topn_total(const struct km_topn *t);
/* Fills out[0..k) with the k most frequent values (count descending, then
 * value ascending); returns how many were written (<= k). The values stay
 * valid until the next add or free. */
size_t km_topn_top(const struct km_topn *t, struct km_topn_item *out, size_t k);

#endif
