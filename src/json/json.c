/*
 * json.c — kumo's in-situ JSON parser (RFC 8259) and compact writer.
 *
 * Parsing is one pass, without recursion, over the caller's mutable buffer:
 *   - nodes come from the caller's arena in chunks (no per-node call);
 *   - strings are scanned 16 bytes at a time (SSE2, else 8 bytes SWAR) for
 *     '"', '\\' and control bytes; a string without escapes is NUL-terminated
 *     in place over its closing quote, one with escapes is unescaped in place;
 *   - number syntax is checked by hand and the text kept; conversion happens
 *     on demand in km_json_i64()/km_json_f64();
 *   - nesting uses no stack at all: while a container is open its `str`
 *     field holds its parent (restored to NULL when it closes), so depth costs
 *     nothing but is still bounded by max_depth.
 *
 * Choices where RFC 8259 / JSONTestSuite leave room (the suite's i_ cases):
 *   - bytes >= 0x80 in strings are not validated (invalid UTF-8 passes
 *     through; the writer turns it into U+FFFD);
 *   - a lone or mismatched UTF-16 surrogate escape becomes U+FFFD;
 *   - a leading UTF-8 byte order mark is skipped;
 *   - numbers of any size are accepted (conversion reports range errors);
 *   - duplicate keys are kept; lookups return the first.
 */
#include "json/json.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define KM_JSON_DEF_DEPTH 256u
#define KM_JSON_DEF_DOC ((uint64_t)256 << 20)
#define KM_JSON_DEF_STRING (64u << 20)
#define KM_JSON_CHUNK_MIN 8u
#define KM_JSON_CHUNK_MAX 1024u
#define KM_BUF_DEF_LIMIT ((size_t)1 << 30)

#if defined(__GNUC__)
#define KM_LIKELY(x) __builtin_expect(!!(x), 1)
#define KM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define KM_NOINLINE __attribute__((noinline))
#else
#define KM_LIKELY(x) (x)
#define KM_UNLIKELY(x) (x)
#define KM_NOINLINE
#endif

void km_json_limits_default(struct km_json_limits *l)
{
    l->max_depth = KM_JSON_DEF_DEPTH;
    l->max_doc = KM_JSON_DEF_DOC;
    l->max_string = KM_JSON_DEF_STRING;
}

/* ---- character classes ---------------------------------------------------- */

/* 1 for the four JSON whitespace bytes */
static const uint8_t km_json_ws[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

/* hex digit value + 1, 0 for a non-hex byte */
static const uint8_t km_json_hex[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
    ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13,
    ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13,
    ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static inline int km_json_isdigit(char c) { return (unsigned char)(c - '0') < 10; }

static inline char *km_json_skip_ws(char *p, const char *end)
{
    while (p < end && km_json_ws[(uint8_t)*p])
        p++;
    return p;
}

/* Returns the first byte in [p, end) that is '"', '\\' or < 0x20, or end. */
#if defined(__SSE2__)
static inline unsigned km_json_special16(const char *p)
{
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i c1f = _mm_set1_epi8(0x1f);
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                             _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

static inline char *km_json_str_scan(char *p, const char *end)
{
#if defined(__SSE2__)
    while (end - p >= 16) {
        unsigned mask = km_json_special16(p);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#else
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v);
        if (hit & highs)
            break; /* the byte loop below finds the exact position */
        p += 8;
    }
#endif
    while (p < end) {
        uint8_t c = (uint8_t)*p;
        if (c == '"' || c == '\\' || c < 0x20)
            return p;
        p++;
    }
    return p;
}

/* ---- node allocation ---------------------------------------------------- */

struct km_json_chunk {
    struct km_json *cur, *end;
};

/* Gets a fresh chunk of *chunk nodes (doubling *chunk up to a cap); cur is
 * NULL at the arena ceiling. */
static KM_NOINLINE struct km_json_chunk km_json_refill(struct km_arena *a, size_t *chunk)
{
    struct km_json_chunk r;
    size_t n = *chunk;
    r.cur = km_arena_alloc(a, n * sizeof *r.cur);
    if (!r.cur) {
        n = 1;
        r.cur = km_arena_alloc(a, sizeof *r.cur);
    }
    r.end = r.cur ? r.cur + n : NULL;
    if (*chunk < KM_JSON_CHUNK_MAX)
        *chunk *= 2;
    return r;
}

/* ---- strings ------------------------------------------------------------ */

static inline char *km_json_put_utf8(char *w, uint32_t cp)
{
    if (cp < 0x80) {
        *w++ = (char)cp;
    } else if (cp < 0x800) {
        *w++ = (char)(0xC0 | (cp >> 6));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *w++ = (char)(0xE0 | (cp >> 12));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *w++ = (char)(0xF0 | (cp >> 18));
        *w++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    }
    return w;
}

/* Reads 4 hex digits at p (caller checked they are in bounds); -1 if invalid. */
static inline int32_t km_json_hex4(const char *p)
{
    uint32_t a = km_json_hex[(uint8_t)p[0]], b = km_json_hex[(uint8_t)p[1]];
    uint32_t c = km_json_hex[(uint8_t)p[2]], d = km_json_hex[(uint8_t)p[3]];
    if (!a || !b || !c || !d)
        return -1;
    return (int32_t)(((a - 1) << 12) | ((b - 1) << 8) | ((c - 1) << 4) | (d - 1));
}

/*
 * The slow part of a string: q points at the first '\\' or control byte (or
 * end) after the opening quote at `open`. Unescapes in place; the write
 * pointer never passes the read pointer. Returns the byte after the closing
 * quote, or NULL with err set.
 */
static KM_NOINLINE char *km_json_str_slow(char *buf, char *open, char *q, const char *end,
                                          uint32_t *out_len, struct km_err *err)
{
    char *w = q, *r = q;
    for (;;) {
        if (r >= end) {
            km_err_set(err, KM_EJSON, NULL, (uint64_t)(open - buf), "unterminated string");
            return NULL;
        }
        uint8_t c = (uint8_t)*r;
        if (c == '"')
            break;
        if (c != '\\') {
            km_err_set(err, KM_EJSON, NULL, (uint64_t)(r - buf),
                       "control character 0x%02x in string", c);
            return NULL;
        }
        if (end - r < 2) {
            km_err_set(err, KM_EJSON, NULL, (uint64_t)(open - buf), "unterminated string");
            return NULL;
        }
        switch (r[1]) {
        case '"': *w++ = '"'; r += 2; break;
        case '\\': *w++ = '\\'; r += 2; break;
        case '/': *w++ = '/'; r += 2; break;
        case 'b': *w++ = '\b'; r += 2; break;
        case 'f': *w++ = '\f'; r += 2; break;
        case 'n': *w++ = '\n'; r += 2; break;
        case 'r': *w++ = '\r'; r += 2; break;
        case 't': *w++ = '\t'; r += 2; break;
        case 'u': {
            int32_t cp = end - r >= 6 ? km_json_hex4(r + 2) : -1;
            if (cp < 0) {
                km_err_set(err, KM_EJSON, NULL, (uint64_t)(r - buf),
                           "invalid \\u escape (expected 4 hex digits)");
                return NULL;
            }
            r += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                int32_t lo = -1;
                if (end - r >= 6 && r[0] == '\\' && r[1] == 'u')
                    lo = km_json_hex4(r + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    r += 6;
                } else {
                    cp = 0xFFFD; /* lone high surrogate */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* lone low surrogate */
            }
            w = km_json_put_utf8(w, (uint32_t)cp);
            break;
        }
        default:
            km_err_set(err, KM_EJSON, NULL, (uint64_t)(r - buf), "invalid escape in string");
            return NULL;
        }
        char *s = km_json_str_scan(r, end);
        if (s > r) {
            memmove(w, r, (size_t)(s - r));
            w += s - r;
            r = s;
        }
    }
    *w = 0;
    *out_len = (uint32_t)(w - (open + 1));
    return r + 1;
}

/*
 * Parses the string whose opening quote is at p. On success stores the text
 * and length and returns the byte after the closing quote; NULL on error.
 */
static inline char *km_json_str(char *buf, char *p, const char *end, uint32_t max_string,
                                const char **out, uint32_t *out_len, uint8_t *escaped,
                                struct km_err *err)
{
    char *s = p + 1;
    char *q = km_json_str_scan(s, end);
    uint32_t n;
    if (KM_LIKELY(q < end && *q == '"')) {
        *q = 0;
        n = (uint32_t)(q - s);
        q++;
        *escaped = 0;
    } else {
        q = km_json_str_slow(buf, p, q, end, &n, err);
        if (!q)
            return NULL;
        *escaped = 1;
    }
    if (KM_UNLIKELY(n > max_string)) {
        km_err_set(err, KM_ELIMIT, NULL, (uint64_t)(p - buf),
                   "string of %u bytes exceeds max_string (%u)", n, max_string);
        return NULL;
    }
    *out = s;
    *out_len = n;
    return q;
}

/* ---- the parser --------------------------------------------------------- */

static KM_NOINLINE int km_json_unexpected(char *buf, const char *p, const char *end,
                                          const char *what, struct km_err *err)
{
    if (p >= end)
        return km_err_set(err, KM_EJSON, NULL, (uint64_t)(p - buf),
                          "unexpected end of input, %s", what);
    uint8_t c = (uint8_t)*p;
    if (c > 0x20 && c < 0x7f)
        return km_err_set(err, KM_EJSON, NULL, (uint64_t)(p - buf),
                          "unexpected '%c', %s", c, what);
    return km_err_set(err, KM_EJSON, NULL, (uint64_t)(p - buf),
                      "unexpected byte 0x%02x, %s", c, what);
}

/*
 * Grammar as a state machine (no recursion):
 *   value  -> dispatch on the first byte; containers push
 *   key    -> '"' string ws ':' then value
 *   after  -> ws then ',' (next member) or the closing bracket (pop)
 */
int km_json_parse(char *buf, size_t len, const struct km_json_limits *lim,
                  struct km_arena *a, struct km_json **root, struct km_err *err)
{
    uint32_t max_depth = KM_JSON_DEF_DEPTH, max_string = KM_JSON_DEF_STRING;
    uint64_t max_doc = KM_JSON_DEF_DOC;
    if (lim) {
        if (lim->max_depth)
            max_depth = lim->max_depth;
        if (lim->max_doc)
            max_doc = lim->max_doc;
        if (lim->max_string)
            max_string = lim->max_string;
    }
    if (max_doc > UINT32_MAX)
        max_doc = UINT32_MAX; /* node offsets and lengths are 32-bit */
    *root = NULL;
    if (len > max_doc)
        return km_err_set(err, KM_ELIMIT, NULL, max_doc,
                          "document of %zu bytes exceeds max_doc (%llu)", len,
                          (unsigned long long)max_doc);
    if (len > UINT32_MAX)
        return km_err_set(err, KM_ELIMIT, NULL, UINT32_MAX,
                          "document of %zu bytes exceeds the 4 GiB parser ceiling", len);
    if (!buf || !len)
        return km_err_set(err, KM_EJSON, NULL, 0, "unexpected end of input, expected a value");

    char *p = buf;
    const char *const end = buf + len;
    /* nodes are handed out from [ncur, nend), refilled from the arena */
    struct km_json *ncur = NULL, *nend = NULL;
    size_t chunk = len / 24;
    chunk = chunk < KM_JSON_CHUNK_MIN ? KM_JSON_CHUNK_MIN
            : chunk > KM_JSON_CHUNK_MAX ? KM_JSON_CHUNK_MAX : chunk;

    struct km_json *parent = NULL, *top = NULL, *n;
    struct km_json **link = &top; /* where the next value is hooked in */
    const char *key = NULL;
    uint32_t key_len = 0, depth = 0;
    int in_obj = 0;
    uint8_t c;

    if (len >= 3 && (uint8_t)p[0] == 0xEF && (uint8_t)p[1] == 0xBB && (uint8_t)p[2] == 0xBF)
        p += 3;

value:
    if (KM_UNLIKELY(p >= end || km_json_ws[(uint8_t)*p])) {
        p = km_json_skip_ws(p, end);
        if (p >= end)
            return km_json_unexpected(buf, p, end, "expected a value", err);
    }
    if (KM_UNLIKELY(ncur == nend)) {
        struct km_json_chunk ck = km_json_refill(a, &chunk);
        if (!ck.cur)
            return km_err_set(err, KM_ENOMEM, NULL, (uint64_t)(p - buf),
                              "arena ceiling reached while parsing");
        ncur = ck.cur;
        nend = ck.end;
    }
    n = ncur++;
    n->key_len = key_len;
    n->off = (uint32_t)(p - buf);
    n->key = key;
    n->child = NULL;
    n->next = NULL;
    *link = n;
    link = &n->next;
    if (KM_LIKELY(parent != NULL))
        parent->len++;

    c = (uint8_t)*p;
    if (KM_LIKELY(c == '"')) {
        uint8_t esc;
        n->type = KM_JSON_STRING;
        p = km_json_str(buf, p, end, max_string, &n->str, &n->len, &esc, err);
        if (KM_UNLIKELY(!p))
            return err ? err->code : KM_EJSON;
        n->escaped = esc;
        goto after;
    }
    n->len = 0;
    n->escaped = 0;
    if (c == '{' || c == '[') {
        in_obj = c == '{';
        n->type = in_obj ? KM_JSON_OBJECT : KM_JSON_ARRAY;
        if (KM_UNLIKELY(++depth > max_depth))
            return km_err_set(err, KM_ELIMIT, NULL, (uint64_t)(p - buf),
                              "nesting deeper than max_depth (%u)", max_depth);
        /* push: the open container remembers its parent in `str` */
        n->str = (const char *)(void *)parent;
        parent = n;
        link = &n->child;
        p = km_json_skip_ws(p + 1, end);
        if (p < end && *p == (in_obj ? '}' : ']')) {
            p++;
            goto close;
        }
        if (in_obj)
            goto key;
        key = NULL;
        key_len = 0;
        goto value;
    }
    if (c == '-' || km_json_isdigit((char)c)) {
        char *s = p;
        if (*p == '-')
            p++;
        if (p < end && *p == '0') {
            p++;
            if (p < end && km_json_isdigit(*p))
                return km_err_set(err, KM_EJSON, NULL, (uint64_t)(s - buf),
                                  "leading zero in number");
        } else if (p < end && km_json_isdigit(*p)) {
            p++;
            while (p < end && km_json_isdigit(*p))
                p++;
        } else {
            return km_json_unexpected(buf, p, end, "expected a digit after '-'", err);
        }
        if (p < end && *p == '.') {
            p++;
            if (p >= end || !km_json_isdigit(*p))
                return km_json_unexpected(buf, p, end, "expected a digit after '.'", err);
            while (p < end && km_json_isdigit(*p))
                p++;
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            p++;
            if (p < end && (*p == '+' || *p == '-'))
                p++;
            if (p >= end || !km_json_isdigit(*p))
                return km_json_unexpected(buf, p, end, "expected a digit in the exponent",
                                          err);
            while (p < end && km_json_isdigit(*p))
                p++;
        }
        if (KM_UNLIKELY((size_t)(p - s) > max_string))
            return km_err_set(err, KM_ELIMIT, NULL, (uint64_t)(s - buf),
                              "number of %zu bytes exceeds max_string (%u)", (size_t)(p - s),
                              max_string);
        n->type = KM_JSON_NUMBER;
        n->str = s;
        n->len = (uint32_t)(p - s);
        goto after;
    }
    n->str = NULL;
    if (c == 't' && end - p >= 4 && memcmp(p, "true", 4) == 0) {
        n->type = KM_JSON_TRUE;
        p += 4;
    } else if (c == 'f' && end - p >= 5 && memcmp(p, "false", 5) == 0) {
        n->type = KM_JSON_FALSE;
        p += 5;
    } else if (c == 'n' && end - p >= 4 && memcmp(p, "null", 4) == 0) {
        n->type = KM_JSON_NULL;
        p += 4;
    } else {
        return km_json_unexpected(buf, p, end, "expected a value", err);
    }
    goto after;

key:
    /* p is at the first non-blank byte after '{' or ',' inside an object */
    if (KM_UNLIKELY(p >= end || *p != '"')) {
        if (p < end && *p == '}')
            return km_err_set(err, KM_EJSON, NULL, (uint64_t)(p - buf),
                              "trailing comma before '}'");
        return km_json_unexpected(buf, p, end, "expected '\"' to start an object key", err);
    }
    {
        uint8_t esc;
        p = km_json_str(buf, p, end, max_string, &key, &key_len, &esc, err);
        if (KM_UNLIKELY(!p))
            return err ? err->code : KM_EJSON;
    }
    if (KM_LIKELY(p < end && *p == ':')) {
        p++;
        goto value;
    }
    p = km_json_skip_ws(p, end);
    if (KM_UNLIKELY(p >= end || *p != ':'))
        return km_json_unexpected(buf, p, end, "expected ':' after object key", err);
    p++;
    goto value;

after:
    if (KM_UNLIKELY(p >= end || km_json_ws[(uint8_t)*p]))
        p = km_json_skip_ws(p, end);
    if (KM_UNLIKELY(!parent))
        goto done;
    if (KM_UNLIKELY(p >= end))
        return km_json_unexpected(buf, p, end, in_obj ? "object not closed" : "array not closed",
                                  err);
    c = (uint8_t)*p;
    if (c == ',') {
        p++;
        if (KM_UNLIKELY(p >= end || km_json_ws[(uint8_t)*p]))
            p = km_json_skip_ws(p, end);
        if (in_obj)
            goto key;
        if (KM_UNLIKELY(p < end && *p == ']'))
            return km_err_set(err, KM_EJSON, NULL, (uint64_t)(p - buf),
                              "trailing comma before ']'");
        goto value;
    }
    if (KM_UNLIKELY(c != (in_obj ? '}' : ']')))
        return km_json_unexpected(buf, p, end,
                                  in_obj ? "expected ',' or '}' after object member"
                                         : "expected ',' or ']' after array element",
                                  err);
    p++;

close:
    /* pop: restore the parent saved in `str` */
    n = parent;
    parent = (struct km_json *)(void *)n->str;
    n->str = NULL;
    link = &n->next;
    depth--;
    in_obj = parent && parent->type == KM_JSON_OBJECT;
    /* an array's next element has no key; an object's next member reads one */
    key = NULL;
    key_len = 0;
    goto after;

done:
    if (KM_UNLIKELY(p < end))
        return km_json_unexpected(buf, p, end, "expected end of input after the JSON value",
                                  err);
    *root = top;
    return KM_OK;
}

/* ---- lookups ------------------------------------------------------------ */

const struct km_json *km_json_getn(const struct km_json *v, const char *key, size_t keylen)
{
    if (!v || v->type != KM_JSON_OBJECT || !key)
        return NULL;
    for (const struct km_json *c = v->child; c; c = c->next)
        if (c->key_len == keylen && (keylen == 0 || memcmp(c->key, key, keylen) == 0))
            return c;
    return NULL;
}

const struct km_json *km_json_get(const struct km_json *v, const char *key)
{
    return key ? km_json_getn(v, key, strlen(key)) : NULL;
}

static inline unsigned char km_json_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

const struct km_json *km_json_geti(const struct km_json *v, const char *key)
{
    if (!v || v->type != KM_JSON_OBJECT || !key)
        return NULL;
    size_t kl = strlen(key);
    for (const struct km_json *c = v->child; c; c = c->next) {
        if (c->key_len != kl)
            continue;
        size_t i = 0;
        while (i < kl && km_json_lower((unsigned char)c->key[i]) ==
                             km_json_lower((unsigned char)key[i]))
            i++;
        if (i == kl)
            return c;
    }
    return NULL;
}

const struct km_json *km_json_path(const struct km_json *v, const char *path)
{
    if (!v || !path)
        return NULL;
    const char *s = path;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (v->type == KM_JSON_ARRAY) {
            if (n == 0 || n > 10)
                return NULL;
            uint64_t idx = 0;
            for (size_t i = 0; i < n; i++) {
                if (!km_json_isdigit(s[i]))
                    return NULL;
                idx = idx * 10 + (uint64_t)(s[i] - '0');
            }
            const struct km_json *c = v->child;
            while (c && idx) {
                c = c->next;
                idx--;
            }
            v = c;
        } else {
            v = km_json_getn(v, s, n);
        }
        if (!v)
            return NULL;
        if (!dot)
            return v;
        s = dot + 1;
    }
}

/* ---- conversions -------------------------------------------------------- */

struct km_str km_json_sv(const struct km_json *v)
{
    struct km_str r = KM_STR_NONE;
    if (v && (v->type == KM_JSON_STRING || v->type == KM_JSON_NUMBER)) {
        r.p = v->str;
        r.n = v->len;
    }
    return r;
}

int km_json_i64(const struct km_json *v, int64_t *out)
{
    if (!v || v->type != KM_JSON_NUMBER || !v->str || v->len == 0)
        return KM_EFORMAT;
    const char *s = v->str, *e = s + v->len;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (s == e)
        return KM_EFORMAT;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
    for (; s < e; s++) {
        if (!km_json_isdigit(*s))
            return KM_EFORMAT; /* fraction or exponent: not an integer literal */
        uint64_t d = (uint64_t)(*s - '0');
        if (acc > (lim - d) / 10)
            return KM_EFORMAT;
        acc = acc * 10 + d;
    }
    if (neg)
        *out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    else
        *out = (int64_t)acc;
    return KM_OK;
}

static locale_t km_json_c_loc;
static pthread_once_t km_json_c_loc_once = PTHREAD_ONCE_INIT;

static void km_json_c_loc_init(void)
{
    km_json_c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

int km_json_f64(const struct km_json *v, double *out)
{
    if (!v || v->type != KM_JSON_NUMBER || !v->str || v->len == 0)
        return KM_EFORMAT;
    char small[128], *tmp = small;
    if (v->len >= sizeof small)
        tmp = km_xmalloc((size_t)v->len + 1);
    memcpy(tmp, v->str, v->len);
    tmp[v->len] = 0;
    pthread_once(&km_json_c_loc_once, km_json_c_loc_init);
    char *endp;
    errno = 0;
    double d = km_json_c_loc ? strtod_l(tmp, &endp, km_json_c_loc) : strtod(tmp, &endp);
    int bad = endp != tmp + v->len;
    int overflow = errno == ERANGE && (d > 1.0 || d < -1.0);
    if (tmp != small)
        free(tmp);
    if (bad || overflow)
        return KM_EFORMAT;
    *out = d; /* underflow rounds towards 0 and is accepted */
    return KM_OK;
}

/* ---- growable buffer ---------------------------------------------------- */

void km_buf_init(struct km_buf *b, size_t limit)
{
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
    b->limit = limit ? limit : KM_BUF_DEF_LIMIT;
    b->oom = 0;
}

void km_buf_free(struct km_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
}

/* Makes room for n more bytes plus a NUL; returns 0 (and sets oom) when the
 * ceiling or malloc refuses. */
static int km_buf_reserve(struct km_buf *b, size_t n)
{
    if (b->oom)
        return 0;
    size_t limit = b->limit ? b->limit : KM_BUF_DEF_LIMIT;
    if (n >= limit || b->n + 1 > limit - n) {
        b->oom = 1;
        return 0;
    }
    size_t need = b->n + n + 1;
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > limit)
        cap = limit;
    char *q = realloc(b->p, cap);
    if (!q) {
        b->oom = 1;
        return 0;
    }
    b->p = q;
    b->cap = cap;
    return 1;
}

void km_buf_add(struct km_buf *b, const void *p, size_t n)
{
    if (!km_buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
}

void km_buf_addc(struct km_buf *b, char c)
{
    if (KM_LIKELY(!b->oom && b->n + 1 < b->cap)) {
        b->p[b->n++] = c;
        b->p[b->n] = 0;
        return;
    }
    km_buf_add(b, &c, 1);
}

void km_buf_adds(struct km_buf *b, const char *s)
{
    km_buf_add(b, s, strlen(s));
}

void km_buf_printf(struct km_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if ((size_t)k < sizeof tmp) {
        km_buf_add(b, tmp, (size_t)k);
        return;
    }
    if (!km_buf_reserve(b, (size_t)k))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* ---- writer ------------------------------------------------------------- */

/* 1 for bytes copied verbatim into a JSON string: 0x20..0x7f except '"', '\\' */
static inline int km_json_plain(uint8_t c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * Length of the valid UTF-8 sequence at s (lead byte >= 0x80), or 0 with
 * *bad set to the length of the maximal invalid subpart to replace.
 */
static size_t km_json_utf8_len(const uint8_t *s, const uint8_t *e, size_t *bad)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    if (e - s < 2 || s[1] < lo || s[1] > hi) {
        *bad = 1;
        return 0;
    }
    size_t i = 2;
    while (i < need && (size_t)(e - s) > i && (s[i] & 0xC0) == 0x80)
        i++;
    if (i == need)
        return need;
    *bad = i;
    return 0;
}

void km_json_write_str(struct km_buf *b, const char *str, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    if (!str)
        n = 0;
    const uint8_t *s = (const uint8_t *)str, *e = n ? s + n : s;
    km_buf_addc(b, '"');
    while (s < e) {
        const uint8_t *run = s;
        while (s < e && km_json_plain(*s))
            s++;
        if (s > run)
            km_buf_add(b, run, (size_t)(s - run));
        if (s >= e || b->oom)
            break;
        uint8_t c = *s;
        if (c >= 0x80) {
            size_t bad = 0, k = km_json_utf8_len(s, e, &bad);
            if (k) {
                km_buf_add(b, s, k);
                s += k;
            } else {
                km_buf_add(b, "\xEF\xBF\xBD", 3);
                s += bad;
            }
            continue;
        }
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hexd[c >> 4];
            esc[5] = hexd[c & 15];
            en = 6;
        }
        km_buf_add(b, esc, en);
        s++;
    }
    km_buf_addc(b, '"');
}

static void km_json_write_scalar(struct km_buf *b, const struct km_json *v)
{
    switch (v->type) {
    case KM_JSON_NULL: km_buf_add(b, "null", 4); break;
    case KM_JSON_FALSE: km_buf_add(b, "false", 5); break;
    case KM_JSON_TRUE: km_buf_add(b, "true", 4); break;
    case KM_JSON_NUMBER:
        if (v->str && v->len)
            km_buf_add(b, v->str, v->len);
        else
            km_buf_addc(b, '0');
        break;
    case KM_JSON_STRING: km_json_write_str(b, v->str ? v->str : "", v->str ? v->len : 0); break;
    default: km_buf_add(b, "null", 4); break;
    }
}

/*
 * Iterative pre-order walk with an explicit stack of open containers (on the
 * C stack up to 64 levels, then on the heap), so any depth is safe.
 */
void km_json_write_value(struct km_buf *b, const struct km_json *v)
{
    if (!v) {
        km_buf_add(b, "null", 4);
        return;
    }
    const struct km_json *local[64], **stack = local;
    size_t sp = 0, cap = KM_ARRAY_LEN(local);
    const struct km_json *n = v;
    for (;;) {
        if (sp && stack[sp - 1]->type == KM_JSON_OBJECT) {
            km_json_write_str(b, n->key ? n->key : "", n->key ? n->key_len : 0);
            km_buf_addc(b, ':');
        }
        if (n->type == KM_JSON_OBJECT || n->type == KM_JSON_ARRAY) {
            int obj = n->type == KM_JSON_OBJECT;
            km_buf_addc(b, obj ? '{' : '[');
            if (n->child && !b->oom) {
                if (sp == cap) {
                    size_t ncap = cap * 2;
                    if (stack == local) {
                        stack = km_xmalloc(ncap * sizeof *stack);
                        memcpy(stack, local, sizeof local);
                    } else {
                        stack = km_xrealloc(stack, ncap * sizeof *stack);
                    }
                    cap = ncap;
                }
                stack[sp++] = n;
                n = n->child;
                continue;
            }
            km_buf_addc(b, obj ? '}' : ']');
        } else {
            km_json_write_scalar(b, n);
        }
        /* advance to the next sibling, closing finished containers */
        for (;;) {
            if (sp == 0 || b->oom)
                goto out;
            if (n->next) {
                km_buf_addc(b, ',');
                n = n->next;
                break;
            }
            n = stack[--sp];
            km_buf_addc(b, n->type == KM_JSON_OBJECT ? '}' : ']');
        }
    }
out:
    if (stack != local)
        free(stack);
}
