/*
 * lateral.h — small tools shared by the lateral-movement detections
 * (det_rolechain.c, det_azrole.c, det_gcpimp.c): an interned string pool, a
 * hash map of 64-bit keys, the "baseline" period of new-terms logic, and
 * helpers for raw records whose objects may be embedded as JSON text.
 *
 * These detections collect compact per-hop state (string ids, times, event
 * references) during the scan and reason over it afterwards; interning keeps
 * that state small and makes equal strings equal integers.
 */
#ifndef KM_DETECT_LATERAL_H
#define KM_DETECT_LATERAL_H

#include "core/km.h"

#include <stdint.h>

struct km_json;
struct km_buf;

/* ---- interned strings ---------------------------------------------------------- */

/* Strings stored once each; ids are 1, 2, 3, ... in insertion order; 0 means
 * "no string". At most `max_bytes` of text are kept (then interning returns
 * 0 and sets `full`). */
struct km_lat_pool {
    char *text;
    size_t ntext, captext, max_bytes;
    uint32_t *off;            /* off[id] = start of string id in text */
    uint32_t n, capn;         /* ids in use: 1..n */
    uint32_t *slot;           /* open-addressing table of ids */
    uint32_t nslot;
    int full;
};
void km_lat_pool_init(struct km_lat_pool *p, size_t max_bytes);
void km_lat_pool_free(struct km_lat_pool *p);
/* The id of s[0..n) (added when new); 0 for a NULL or empty string or when
 * the pool is full. */
uint32_t km_lat_intern(struct km_lat_pool *p, const char *s, size_t n);
static inline uint32_t km_lat_intern_str(struct km_lat_pool *p, struct km_str s)
{
    return s.p ? km_lat_intern(p, s.p, s.n) : 0;
}
/* The id of s if already interned, else 0 (never adds). */
uint32_t km_lat_find(const struct km_lat_pool *p, const char *s, size_t n);
/* The NUL-terminated text of an id ("" for 0). */
const char *km_lat_str(const struct km_lat_pool *p, uint32_t id);

/* ---- a map of 64-bit keys ---------------------------------------------------- */

/* Key 0 is reserved (never stored). Values are int64. */
struct km_lat_map {
    uint64_t *key;
    int64_t *val;
    uint32_t cap, n;
};
void km_lat_map_init(struct km_lat_map *m);
void km_lat_map_free(struct km_lat_map *m);
/* The value slot of key, adding it with value `dflt` when absent; *added
 * says which. */
int64_t *km_lat_map_put(struct km_lat_map *m, uint64_t key, int64_t dflt, int *added);
/* The value slot of key, or NULL. */
int64_t *km_lat_map_get(const struct km_lat_map *m, uint64_t key);
static inline uint64_t km_lat_pair(uint32_t a, uint32_t b)
{
    return ((uint64_t)a << 32) | b;
}

/* ---- new terms ------------------------------------------------------------------- */

/*
 * The end of the baseline period: the first `history` of the data [t0, t1]
 * (t0: the detection's first relevant event, t1: the end of the hunted data,
 * km_hunt_span) is what "expected" is learnt from; something first seen
 * there is expected, something first seen after it is new. Data shorter
 * than twice `history` has no baseline (INT64_MIN: everything first seen is
 * new), so a short incident capture is judged on its own.
 */
int64_t km_lat_baseline_end(int64_t t0, int64_t t1, int64_t history);

/* ---- text ----------------------------------------------------------------------- */

/* "45 seconds", "6 minutes", "3 hours", "2 days" (rounded, singular/plural). */
void km_lat_duration(int64_t us, char *out, size_t cap);
/* Copies s into out (cap > 0), truncating; always NUL-terminated. */
void km_lat_cpy(char *out, size_t cap, struct km_str s);
/* The text after the last '/' of s (or s). */
const char *km_lat_tail(const char *s);
/* Appends ,"key":"value" (value "" written as null when null_if_empty). */
void km_lat_json_kv(struct km_buf *b, const char *key, const char *val, int first);

/* ---- raw records ---------------------------------------------------------------- */

/* v, or when v is a string holding a JSON object or array, that value parsed
 * into arena a (exports write requestParameters, Azure requestbody, ... as
 * JSON text). NULL when neither. */
const struct km_json *km_lat_embedded(const struct km_json *v, struct km_arena *a);
/* The string value of v (a STRING node) as km_str, else KM_STR_NONE. */
struct km_str km_lat_jstr(const struct km_json *v);

#endif
