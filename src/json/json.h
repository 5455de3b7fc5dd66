/*
 * json.h — kumo's in-situ JSON parser (RFC 8259).
 *
 * One pass over a mutable buffer. Strings without escapes are not copied: the
 * parser NUL-terminates them in place (overwriting the closing quote). Strings
 * with escapes are unescaped in place (the result is never longer than the
 * source). All nodes come from the caller's arena and are freed with it.
 *
 *   value node:  type | len | key,key_len | off | str or child | next
 *   an array/object's members form a singly linked list: child -> next -> next
 *
 * Limits (struct km_json_limits) bound depth, document size and string size;
 * each violation is a KM_ELIMIT error naming the byte offset. Syntax errors
 * are KM_EJSON with the offset of the offending byte.
 *
 * Example:
 *     struct km_arena a; km_arena_init(&a, 0, 0);
 *     struct km_json *root; struct km_err e; km_err_clear(&e);
 *     if (km_json_parse(buf, len, NULL, &a, &root, &e) == KM_OK) {
 *         const struct km_json *t = km_json_path(root, "userIdentity.arn");
 *         if (km_json_is_str(t)) puts(t->str);
 *     }
 *     km_arena_free(&a);
 */
#ifndef KM_JSON_H
#define KM_JSON_H

#include "core/km.h"

enum km_json_type {
    KM_JSON_NULL = 0,
    KM_JSON_FALSE = 1,
    KM_JSON_TRUE = 2,
    KM_JSON_NUMBER = 3,
    KM_JSON_STRING = 4,
    KM_JSON_ARRAY = 5,
    KM_JSON_OBJECT = 6,
};

struct km_json {
    uint8_t type;            /* enum km_json_type */
    uint8_t escaped;         /* STRING: 1 if the source text had escapes */
    uint32_t len;            /* STRING: bytes (excluding NUL); NUMBER: text bytes;
                                ARRAY/OBJECT: number of members */
    uint32_t key_len;        /* bytes of `key` */
    uint32_t off;            /* byte offset of the value's first byte in the input */
    const char *key;         /* member key (NUL-terminated), NULL outside objects */
    const char *str;         /* STRING: NUL-terminated text; NUMBER: text (not
                                NUL-terminated, use len); else NULL */
    struct km_json *child;   /* ARRAY/OBJECT: first member, NULL when empty */
    struct km_json *next;    /* next sibling in the parent, NULL at the end */
};

/* A zero field means "use the default". */
struct km_json_limits {
    uint32_t max_depth;      /* nesting depth; default 256 */
    uint64_t max_doc;        /* input bytes; default 256 MiB */
    uint32_t max_string;     /* bytes of one string; default 64 MiB */
};

/* Fills *l with the defaults. */
void km_json_limits_default(struct km_json_limits *l);

/*
 * Parses buf[0..len) in place (buf is modified; it need not be NUL-terminated
 * and the parser never reads or writes buf[len]).
 * Exactly one JSON value with optional surrounding whitespace is accepted.
 * lim may be NULL for defaults. On success *root points into arena memory and
 * into buf, both of which must outlive its use. On failure returns KM_EJSON,
 * KM_ELIMIT or KM_ENOMEM with err->offset set; *root is NULL.
 */
int km_json_parse(char *buf, size_t len, const struct km_json_limits *lim,
                  struct km_arena *a, struct km_json **root, struct km_err *err);

/* Object member lookup (first match, byte-exact key). NULL if v is NULL, not an
 * object, or has no such key. */
const struct km_json *km_json_get(const struct km_json *v, const char *key);
const struct km_json *km_json_getn(const struct km_json *v, const char *key, size_t keylen);
/* Case-insensitive ASCII key lookup (for exports that vary key case). */
const struct km_json *km_json_geti(const struct km_json *v, const char *key);
/* Dotted path lookup: "a.b.c"; a numeric segment indexes an array ("a.0.b").
 * NULL when any step is missing. */
const struct km_json *km_json_path(const struct km_json *v, const char *path);

static inline int km_json_is_str(const struct km_json *v) { return v && v->type == KM_JSON_STRING; }
static inline int km_json_is_obj(const struct km_json *v) { return v && v->type == KM_JSON_OBJECT; }
static inline int km_json_is_arr(const struct km_json *v) { return v && v->type == KM_JSON_ARRAY; }
static inline int km_json_is_num(const struct km_json *v) { return v && v->type == KM_JSON_NUMBER; }
static inline int km_json_is_bool(const struct km_json *v)
{
    return v && (v->type == KM_JSON_TRUE || v->type == KM_JSON_FALSE);
}

/* String view of a STRING or NUMBER node; KM_STR_NONE for anything else. */
struct km_str km_json_sv(const struct km_json *v);
/* Number conversions; return KM_OK or KM_EFORMAT (not a number / out of range /
 * not integral for i64). A STRING holding a number is NOT converted.
 * km_json_i64 takes integer syntax only: "1.0" and "1e3" are KM_EFORMAT.
 * km_json_f64 rejects overflow (1e400); underflow (1e-400) rounds to 0. */
int km_json_i64(const struct km_json *v, int64_t *out);
int km_json_f64(const struct km_json *v, double *out);

/*
 * Writer: appends compact JSON text to a growable buffer with a ceiling.
 * km_json_write_str escapes per RFC 8259 (control chars as \u00XX, '"' and '\\'
 * escaped; valid UTF-8 passes through; invalid bytes become U+FFFD).
 * km_json_write_value re-serialises a parsed node (compact form).
 */
struct km_buf {
    char *p;
    size_t n, cap, limit;    /* limit: ceiling on cap (0 = 1 GiB) */
    int oom;                 /* set when an append hit the ceiling */
};
void km_buf_init(struct km_buf *b, size_t limit);
void km_buf_free(struct km_buf *b);
void km_buf_add(struct km_buf *b, const void *p, size_t n);
void km_buf_addc(struct km_buf *b, char c);
void km_buf_adds(struct km_buf *b, const char *s);
void km_buf_printf(struct km_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void km_json_write_str(struct km_buf *b, const char *s, size_t n);
void km_json_write_value(struct km_buf *b, const struct km_json *v);

#endif
