/*
 * records.c — the streaming record splitter (see records.h for the shapes).
 *
 * Two layers for JSON, and a CSV mode:
 *   - an outer byte-at-a-time state machine for the few bytes that are not
 *     inside a record: the top level (BOM, prefixed lines, garbage, line
 *     resynchronisation), the elements of a record array, and the rest of a
 *     wrapper object after its wrapper array;
 *   - a block scanner for everything inside a record, a top-level object
 *     (which is a record unless it turns out to be a wrapper) or a value
 *     being skipped: 64 bytes at a time it builds bit masks of quotes,
 *     backslashes, brackets and newlines, derives which bytes are inside
 *     strings with a prefix-xor, and walks only the bracket bits to track
 *     depth. Newlines outside strings are counted with popcount; a newline
 *     inside a string is a syntax error (and a good resync point for JSON
 *     Lines). A '[' at depth 1 of a top-level object looks back (at most 64
 *     bytes, kept across chunks) for `{|, "KEY" :` with a wrapper KEY; then
 *     the object is a wrapper and the outer machine splits the array. A short
 *     tail is padded with spaces into a 64-byte block, so the result never
 *     depends on where the chunks were cut;
 *   - CSV mode, entered only where the "not JSON" error would be: the first
 *     record is collected (at most KM_CSV_HEADER_MAX bytes) and tried as a
 *     header; then rows are cut at newlines outside quotes by the quote
 *     machine (km_csv_step) and turned into JSON by km_csv_row_json, the code
 *     km_csv_row_to_json (`kumo show`) runs too. A row spanning chunks is
 *     captured like a record (bounded by max_record).
 *
 *   state carried across chunks: outer state | depth + bracket stack |
 *   in-string and pending-backslash bits | partial key / prefix | the record
 *   bytes seen so far (only when a record spans chunks, bounded by max_record)
 *
 * Inside a block, a backslash escapes the next byte whether or not it is in a
 * string (outside a string it is invalid JSON anyway; the record is handed to
 * the parser, which reports it).
 */
#include "ingest/records.h"

#include "json/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define KM_REC_DEF_MAX ((size_t)64 << 20)
#define KM_REC_DEF_DEPTH 256u
#define KM_REC_PFX_MAX 48u  /* longest accepted line prefix ("2024-...Z") */
#define KM_REC_PFX_MIN 8u   /* shortest accepted line prefix */
#define KM_REC_KEY_MAX 24u  /* longer keys cannot be wrapper keys */
#define KM_REC_SHOW 24u     /* bytes quoted in "not JSON: starts with ..." */
#define KM_REC_BUF_MIN ((size_t)64 << 10)
#define KM_REC_LOOKBACK 64  /* bytes looked back from '[' for a wrapper key */

#if defined(__GNUC__)
#define KM_REC_LIKELY(x) __builtin_expect(!!(x), 1)
#define KM_REC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define KM_REC_LIKELY(x) (x)
#define KM_REC_UNLIKELY(x) (x)
#endif

const char *const km_records_wrapper_keys[] = {
    "Records", "records", "value", "events", "logEvents", "Events",
    "Findings", "findings", "configurationItems", "entries", "receivedMessages", NULL,
};

enum rec_state {
    RS_BOM,       /* stream start: maybe a byte order mark */
    RS_TOP,       /* between top-level values */
    RS_PREFIX,    /* collecting a line prefix ("2024-01-01T00:00:00Z") */
    RS_PREFIX_SP, /* blanks after the prefix, '{' expected */
    RS_LINE_END,  /* after a prefixed record: blanks up to '\n' */
    RS_NOTJSON,   /* collecting the first bytes for the "not JSON" message */
    RS_ARR_ELEM,  /* record array: element or ']' expected */
    RS_ARR_NEXT,  /* record array: ',' or ']' expected */
    RS_OBJ_KEY,   /* top-level object, depth 1: key or '}' expected */
    RS_OBJ_KEYSTR,
    RS_OBJ_COLON,
    RS_OBJ_VAL,
    RS_OBJ_NEXT,  /* ',' or '}' expected */
    RS_STR,       /* skipping a string, then `ret` */
    RS_SCALAR,    /* skipping a bare scalar, then `ret` */
    RS_BODY,      /* block scanner inside a container, then `ret` */
    RS_SKIPLINE,  /* resync: skipping to the next '\n' */
    RS_LINESTART, /* resync: at column 0, looking for '{' / '[' */
    RS_CSV_HDR,   /* collecting the first record: a CSV header? */
    RS_CSV,       /* CSV rows */
    RS_DEAD,      /* ignoring the rest of the stream */
    RS_STOPPED,   /* on_record asked to stop */
};

struct km_records {
    struct km_records_limits lim;
    struct km_records_cb cb;
    char *name;
    int state, ret;
    uint64_t base;       /* stream offset of the current chunk's byte 0 */
    long line;           /* line of the next byte */
    int prev_nl;         /* the byte before the current chunk was '\n' (or none) */
    size_t emit_end;     /* chunk index after the last zero-copy record (its
                            bytes may have been changed by the callback) */
    uint64_t bol_off;    /* offset that counts as column 0 (after a BOM) */
    int bom;             /* BOM bytes matched */
    uint32_t depth;
    unsigned char *stk;  /* '{' or '[' per open container */
    uint32_t body_target;/* RS_BODY ends when depth drops back to this */
    int body_record;     /* RS_BODY is a record: emit it at its end */
    int body_cand;       /* RS_BODY is a top-level object: watch for wrappers */
    unsigned char tail[KM_REC_LOOKBACK]; /* the stream's last bytes before this chunk */
    unsigned tail_n;
    int in_str, esc;     /* block scanner / string carries */
    int shape;           /* shape of the current top-level value */
    int first_shape;
    uint64_t nvalues;    /* top-level values started */
    int after_value;     /* a top-level value ended and no '\n' seen since */
    int line_mode;       /* input is line oriented: resync by line */
    uint64_t val_off;
    long val_line;
    int val_col0;
    const char *wrapper; /* key of the wrapper array being split */
    int after_comma;
    int cand_wrapped;    /* the top-level object has a wrapper array */
    uint64_t anom_off;   /* first depth-1 syntax oddity, UINT64_MAX if none */
    long anom_line;
    const char *anom_what;
    char key[KM_REC_KEY_MAX];
    unsigned keylen;
    int key_bad, key_match;
    char pfx[KM_REC_PFX_MAX];
    unsigned pfxlen;
    uint64_t pfx_off;
    long pfx_line;
    int cap, cap_over;   /* capturing a record; it outgrew max_record */
    size_t cap_start;    /* index in the current chunk where capture resumes */
    uint64_t cap_off;
    long cap_line;
    char *buf;
    size_t bn, bcap;
    int stop_rc;
    /* CSV: the header being collected, then the parsed header and buffers */
    char *csv_raw;
    size_t csv_rn, csv_rcap;
    int csv_nl;          /* the header's first line is complete: delimiter known */
    int csv_q;           /* quote state (CQ_*) of the header or row being read */
    char csv_delim;
    struct km_csv_hdr *csv_h;
    struct km_buf csv_json, csv_scratch;
};

void km_records_limits_default(struct km_records_limits *l)
{
    l->max_record = KM_REC_DEF_MAX;
    l->max_depth = KM_REC_DEF_DEPTH;
}

int km_records_new(const struct km_records_limits *lim, const struct km_records_cb *cb,
                   const char *name, struct km_records **out)
{
    struct km_records *r;
    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return KM_ENOMEM;
    if (lim)
        r->lim = *lim;
    else
        km_records_limits_default(&r->lim);
    if (r->lim.max_record == 0)
        r->lim.max_record = KM_REC_DEF_MAX;
    if (r->lim.max_depth == 0)
        r->lim.max_depth = KM_REC_DEF_DEPTH;
    if (cb)
        r->cb = *cb;
    r->name = strdup(name ? name : "");
    r->stk = malloc(r->lim.max_depth);
    if (!r->name || !r->stk) {
        free(r->name);
        free(r->stk);
        free(r);
        return KM_ENOMEM;
    }
    r->state = RS_BOM;
    r->line = 1;
    r->prev_nl = 1;
    r->anom_off = UINT64_MAX;
    r->key_match = -1;
    *out = r;
    return KM_OK;
}

void km_records_free(struct km_records *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->stk);
    free(r->name);
    free(r->csv_raw);
    if (r->csv_h) {
        km_csv_hdr_free(r->csv_h);
        free(r->csv_h);
    }
    km_buf_free(&r->csv_json);
    km_buf_free(&r->csv_scratch);
    free(r);
}

int km_records_shape(const struct km_records *r)
{
    return r->first_shape;
}

/* ---- helpers --------------------------------------------------------------- */

static void rec_report(struct km_records *r, int code, uint64_t off, long line,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void rec_report(struct km_records *r, int code, uint64_t off, long line,
                       const char *fmt, ...)
{
    struct km_err e;
    va_list ap;
    if (!r->cb.on_error)
        return;
    e.code = code;
    e.offset = off;
    e.line = line;
    snprintf(e.file, sizeof e.file, "%s", r->name);
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    r->cb.on_error(r->cb.ctx, &e);
}

/* Quotes a byte for messages: 'x' or 0xHH. */
static const char *rec_byte(unsigned char c, char tmp[8])
{
    if (c >= 0x20 && c < 0x7f && c != '\'')
        snprintf(tmp, 8, "'%c'", c);
    else
        snprintf(tmp, 8, "0x%02X", c);
    return tmp;
}

static int rec_col0(const struct km_records *r, const char *d, size_t pos)
{
    if (r->base + pos == r->bol_off)
        return 1;
    if (pos == r->emit_end)
        return 0; /* after a record: '}' */
    return pos > 0 ? d[pos - 1] == '\n' : r->prev_nl;
}

static void rec_buf_reserve(struct km_records *r, size_t need)
{
    size_t c;
    if (need <= r->bcap)
        return;
    c = r->bcap ? r->bcap : KM_REC_BUF_MIN;
    while (c < need)
        c *= 2;
    if (c > r->lim.max_record && need <= r->lim.max_record)
        c = r->lim.max_record;
    r->buf = km_xrealloc(r->buf, c);
    r->bcap = c;
}

static void rec_cap_begin(struct km_records *r, size_t pos)
{
    r->cap = 1;
    r->cap_over = 0;
    r->cap_start = pos;
    r->cap_off = r->base + pos;
    r->cap_line = r->line;
    r->bn = 0;
}

/* Scans a value's body (RS_BODY) until depth is back at target; record: emit
 * it at its end; cand: a top-level object whose keys may be wrappers; then
 * continue in state ret. */
static inline void rec_enter_body(struct km_records *r, uint32_t target, int record, int cand,
                                  int ret)
{
    r->body_target = target;
    r->body_record = record;
    r->body_cand = cand;
    r->in_str = r->esc = 0;
    r->ret = ret;
    r->state = RS_BODY;
}

/* Drops all nesting and capture state (after an error). */
static void rec_reset_value(struct km_records *r)
{
    r->depth = 0;
    r->cap = 0;
    r->cap_over = 0;
    r->bn = 0;
    r->in_str = 0;
    r->esc = 0;
    r->wrapper = NULL;
    r->cand_wrapped = 0;
    r->anom_off = UINT64_MAX;
    r->key_match = -1;
}

/* Reports a syntax error at (off, line) and enters recovery: resync by line
 * when the input is line oriented, else ignore the rest of the stream. */
static void rec_fail(struct km_records *r, int code, uint64_t off, long line, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

static void rec_fail(struct km_records *r, int code, uint64_t off, long line, const char *fmt,
                     ...)
{
    char msg[400];
    va_list ap;
    int lm;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rec_report(r, code, off, line, "%s", msg);
    lm = r->line_mode || (r->val_col0 && r->val_line == r->line);
    rec_reset_value(r);
    r->state = lm ? RS_SKIPLINE : RS_DEAD;
}

/* A captured record (what: "record", "CSV row") over max_record is reported
 * and dropped: returns 1 then. */
static int cap_too_big(struct km_records *r, uint64_t len, const char *what)
{
    if (!r->cap_over && len <= r->lim.max_record)
        return 0;
    rec_report(r, KM_ELIMIT, r->cap_off, r->cap_line,
               "%s of %llu bytes exceeds the %zu-byte limit (max_record); skipped", what,
               (unsigned long long)len, r->lim.max_record);
    r->bn = 0;
    r->cap_over = 0;
    return 1;
}

/* Hands the captured record ending before d[end] to on_record. Returns the
 * callback's non-zero value to stop, else 0. */
static int rec_emit(struct km_records *r, char *d, size_t end, int mut)
{
    uint64_t len = r->base + end - r->cap_off;
    struct km_record rec;
    int v;
    r->cap = 0;
    if (cap_too_big(r, len, "record"))
        return 0;
    if (r->bn == 0) {
        if (mut) {
            rec.p = d + r->cap_start;
            r->emit_end = end;
        } else {
            rec_buf_reserve(r, (size_t)len);
            memcpy(r->buf, d + r->cap_start, (size_t)len);
            rec.p = r->buf;
        }
    } else {
        rec_buf_reserve(r, (size_t)len);
        memcpy(r->buf + r->bn, d, end);
        rec.p = r->buf;
    }
    r->bn = 0;
    rec.n = (size_t)len;
    rec.raw_n = rec.n;
    rec.off = r->cap_off;
    rec.line = r->cap_line;
    rec.shape = r->shape;
    rec.wrapper = r->shape == KM_SHAPE_WRAPPED ? r->wrapper : NULL;
    if (!r->cb.on_record)
        return 0;
    v = r->cb.on_record(r->cb.ctx, &rec);
    if (v) {
        r->state = RS_STOPPED;
        r->stop_rc = v;
    }
    return v;
}

/* Saves the captured bytes of the current chunk when a record spans chunks. */
static void rec_cap_spill(struct km_records *r, const char *d, size_t n)
{
    size_t len;
    if (!r->cap || r->cap_over)
        return;
    len = n - r->cap_start;
    if (r->bn + len > r->lim.max_record) {
        r->cap_over = 1;
        r->bn = 0;
        return;
    }
    rec_buf_reserve(r, r->bn + len);
    memcpy(r->buf + r->bn, d + r->cap_start, len);
    r->bn += len;
}

static int rec_push(struct km_records *r, unsigned char c, size_t pos)
{
    if (r->depth >= r->lim.max_depth) {
        rec_fail(r, KM_ELIMIT, r->base + pos, r->line, "nesting deeper than %u (max_depth)",
                 r->lim.max_depth);
        return -1;
    }
    r->stk[r->depth++] = c;
    return 0;
}

static int rec_key_lookup(const char *k, unsigned n)
{
    for (int i = 0; km_records_wrapper_keys[i]; i++)
        if (strlen(km_records_wrapper_keys[i]) == n && memcmp(km_records_wrapper_keys[i], k, n) == 0)
            return i;
    return -1;
}

static void rec_set_first(struct km_records *r, int shape)
{
    r->shape = shape;
    if (!r->first_shape)
        r->first_shape = shape;
}

static void rec_value_done(struct km_records *r)
{
    r->after_value = 1;
    r->state = RS_TOP;
}

/* ---- strings --------------------------------------------------------------- */

/* Finds the closing quote of a string in d[pos..n). Returns its index, or n
 * when the chunk ends first (r->esc carries a trailing backslash), or the
 * index of a raw newline with *nl set. */
static size_t rec_str_end(struct km_records *r, const char *d, size_t pos, size_t n, int *nl)
{
    if (r->esc) {
        if (pos >= n)
            return n;
        r->esc = 0;
        if (d[pos] == '\n') {
            *nl = 1;
            return pos;
        }
        pos++;
    }
    for (;;) {
#if defined(__SSE2__)
        const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), vn = _mm_set1_epi8('\n');
        while (pos + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + pos));
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)),
                                     _mm_cmpeq_epi8(v, vn));
            int mm = _mm_movemask_epi8(m);
            if (mm) {
                pos += (size_t)__builtin_ctz((unsigned)mm);
                goto found;
            }
            pos += 16;
        }
#endif
        while (pos < n && d[pos] != '"' && d[pos] != '\\' && d[pos] != '\n')
            pos++;
        if (pos >= n)
            return n;
#if defined(__SSE2__)
    found:
#endif
        if (d[pos] == '"')
            return pos;
        if (d[pos] == '\n') {
            *nl = 1;
            return pos;
        }
        if (pos + 1 >= n) {
            r->esc = 1;
            return n;
        }
        if (d[pos + 1] == '\n') {
            *nl = 1;
            return pos + 1;
        }
        pos += 2;
    }
}

/* ---- block scanner --------------------------------------------------------- */

struct rec_masks {
    uint64_t q, b, open, close, nl;
};

static inline void rec_block_masks(const unsigned char *p, struct rec_masks *m)
{
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), vn = _mm_set1_epi8('\n');
    const __m128i v20 = _mm_set1_epi8(0x20), vo = _mm_set1_epi8(0x7B), vc = _mm_set1_epi8(0x7D);
    uint64_t q = 0, b = 0, o = 0, c = 0, nl = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i w = _mm_or_si128(v, v20); /* '[' -> '{', ']' -> '}' */
        int sh = 16 * k;
        q |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) << sh;
        b |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vb)) << sh;
        nl |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn)) << sh;
        o |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(w, vo)) << sh;
        c |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(w, vc)) << sh;
    }
    m->q = q;
    m->b = b;
    m->open = o;
    m->close = c;
    m->nl = nl;
#else
    uint64_t q = 0, b = 0, o = 0, c = 0, nl = 0;
    for (int i = 0; i < 64; i++) {
        unsigned char x = p[i], w = x | 0x20;
        uint64_t bit = (uint64_t)1 << i;
        if (x == '"')
            q |= bit;
        else if (x == '\\')
            b |= bit;
        else if (x == '\n')
            nl |= bit;
        else if (w == 0x7B)
            o |= bit;
        else if (w == 0x7D)
            c |= bit;
    }
    m->q = q;
    m->b = b;
    m->open = o;
    m->close = c;
    m->nl = nl;
#endif
}

static inline uint64_t rec_prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

enum { RB_MORE, RB_FOUND, RB_ERROR, RB_WRAPPER };

/* Byte at chunk index i (negative: before the chunk, from the tail), -1 when
 * unknown. */
static inline int rec_back(const struct km_records *r, const char *d, ptrdiff_t i)
{
    if (i >= 0)
        return (unsigned char)d[i];
    if ((size_t)-i > r->tail_n)
        return -1;
    return r->tail[KM_REC_LOOKBACK + i];
}

static inline int rec_isws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* At a '[' (chunk index `at`) that opens a value at depth 1 of a top-level
 * object: is it the value of a wrapper key in key position, i.e. preceded by
 * `{` or `,`, blanks, "KEY", blanks, `:`, blanks — all within the last
 * KM_REC_LOOKBACK bytes? Returns the key's index or -1. Keys with escapes
 * never match. */
static int rec_wrapper_before(const struct km_records *r, const char *d, ptrdiff_t at)
{
    ptrdiff_t lim = at - KM_REC_LOOKBACK, i = at - 1, q2;
    char key[KM_REC_KEY_MAX];
    int c, kl = 0;
    while (i > lim && rec_isws(rec_back(r, d, i)))
        i--;
    if (i <= lim || rec_back(r, d, i) != ':')
        return -1;
    i--;
    while (i > lim && rec_isws(rec_back(r, d, i)))
        i--;
    if (i <= lim || rec_back(r, d, i) != '"')
        return -1;
    q2 = i--;
    while (i > lim && (c = rec_back(r, d, i)) != '"') {
        if (c < 0 || c == '\\' || ++kl > (int)KM_REC_KEY_MAX)
            return -1;
        i--;
    }
    if (i <= lim)
        return -1;
    for (int k = 0; k < kl; k++)
        key[k] = (char)rec_back(r, d, i + 1 + k);
    (void)q2;
    i--;
    while (i > lim && rec_isws(rec_back(r, d, i)))
        i--;
    if (i <= lim)
        return -1;
    c = rec_back(r, d, i);
    if (c != '{' && c != ',')
        return -1;
    return rec_key_lookup(key, (unsigned)kl);
}

/* Scans d[pos..n) inside a container until depth drops to r->body_target.
 * RB_FOUND: *out is the index after the closing bracket. RB_MORE: the chunk
 * was consumed. RB_ERROR: reported; recovery state set; *out is where the
 * outer machine resumes. */
static int rec_body_scan(struct km_records *r, const char *d, size_t pos, size_t n, size_t *out)
{
    unsigned char tmp[64];
    while (pos < n) {
        const unsigned char *blk;
        size_t len = n - pos;
        struct rec_masks m;
        uint64_t escaped = 0, bs, q, ins, st, bad, ev, valid;
        int esc_out = 0;
        if (KM_REC_LIKELY(len >= 64)) {
            blk = (const unsigned char *)d + pos;
            len = 64;
            valid = ~(uint64_t)0;
        } else {
            memcpy(tmp, d + pos, len);
            memset(tmp + len, ' ', 64 - len);
            blk = tmp;
            valid = ((uint64_t)1 << len) - 1;
        }
        rec_block_masks(blk, &m);
        bs = m.b;
        if (r->esc) {
            escaped = 1;
            bs &= ~(uint64_t)1;
        }
        while (KM_REC_UNLIKELY(bs)) {
            int i = __builtin_ctzll(bs);
            if ((size_t)i + 1 >= len) {
                esc_out = 1;
                break;
            }
            escaped |= (uint64_t)2 << i;
            bs &= ~((uint64_t)3 << i);
        }
        q = m.q & ~escaped;
        ins = rec_prefix_xor(q) ^ (r->in_str ? ~(uint64_t)0 : 0);
        st = (m.open | m.close) & ~ins;
        bad = m.nl & ins & valid;
        ev = st | bad;
        while (ev) {
            int i = __builtin_ctzll(ev);
            uint64_t below = ((uint64_t)1 << i) - 1;
            ev &= ev - 1;
            if (KM_REC_UNLIKELY((bad >> i) & 1)) {
                r->line += __builtin_popcountll(m.nl & ~ins & below);
                rec_fail(r, KM_EJSON, r->base + pos + (size_t)i, r->line,
                         "newline inside a string");
                *out = pos + (size_t)i;
                return RB_ERROR;
            }
            unsigned char c = blk[i];
            if (c == '{' || c == '[') {
                if (c == '[' && r->body_cand && r->depth == 1) {
                    int k = rec_wrapper_before(r, d, (ptrdiff_t)(pos + (size_t)i));
                    if (k >= 0 && r->depth < r->lim.max_depth) {
                        r->line += __builtin_popcountll(m.nl & below);
                        r->stk[r->depth++] = c;
                        r->key_match = k;
                        r->in_str = 0;
                        r->esc = 0;
                        *out = pos + (size_t)i + 1;
                        return RB_WRAPPER;
                    }
                }
                if (KM_REC_UNLIKELY(r->depth >= r->lim.max_depth)) {
                    r->line += __builtin_popcountll(m.nl & below);
                    rec_fail(r, KM_ELIMIT, r->base + pos + (size_t)i, r->line,
                             "nesting deeper than %u (max_depth)", r->lim.max_depth);
                    *out = pos + (size_t)i;
                    return RB_ERROR;
                }
                r->stk[r->depth++] = c;
            } else {
                unsigned char want = c == '}' ? '{' : '[';
                if (KM_REC_UNLIKELY(r->depth == 0 || r->stk[r->depth - 1] != want)) {
                    char t[8];
                    r->line += __builtin_popcountll(m.nl & below);
                    rec_fail(r, KM_EJSON, r->base + pos + (size_t)i, r->line,
                             "unbalanced brackets: unexpected %s", rec_byte(c, t));
                    *out = pos + (size_t)i;
                    return RB_ERROR;
                }
                r->depth--;
                if (r->depth == r->body_target) {
                    r->line += __builtin_popcountll(m.nl & below);
                    r->in_str = 0;
                    r->esc = 0;
                    *out = pos + (size_t)i + 1;
                    return RB_FOUND;
                }
            }
        }
        r->line += __builtin_popcountll(m.nl & valid);
        r->in_str = (int)(ins >> 63);
        r->esc = esc_out;
        pos += len;
    }
    *out = n;
    return RB_MORE;
}

/* ---- the outer machine ----------------------------------------------------- */

static inline int rec_ws(struct km_records *r, unsigned char c)
{
    if (c == ' ' || c == '\t' || c == '\r')
        return 1;
    if (c == '\n') {
        r->line++;
        return 1;
    }
    return 0;
}

static void rec_anomaly(struct km_records *r, size_t pos, const char *what)
{
    if (r->anom_off == UINT64_MAX) {
        r->anom_off = r->base + pos;
        r->anom_line = r->line;
        r->anom_what = what;
    }
}

/* The first top-level value is not JSON: collect a few bytes for the
 * message (RS_NOTJSON), then ignore the stream. */
static void rec_notjson_begin(struct km_records *r, uint64_t off, long line)
{
    r->pfx_off = off;
    r->pfx_line = line;
    r->state = RS_NOTJSON;
}

static void rec_notjson_report(struct km_records *r)
{
    char show[KM_REC_SHOW * 4 + 1];
    size_t k = 0;
    for (unsigned i = 0; i < r->pfxlen && i < KM_REC_SHOW; i++) {
        unsigned char c = (unsigned char)r->pfx[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            show[k++] = (char)c;
        else
            k += (size_t)snprintf(show + k, sizeof show - k, "\\x%02X", c);
    }
    show[k] = 0;
    rec_report(r, KM_EFORMAT, r->pfx_off, r->pfx_line, "not JSON: starts with \"%s\"", show);
    rec_reset_value(r);
    r->state = RS_DEAD;
}

/* A line starting with a digit turned out not to be "PREFIX {json}". */
static void rec_not_prefixed(struct km_records *r, size_t pos)
{
    if (r->nvalues == 0) {
        rec_notjson_begin(r, r->pfx_off, r->pfx_line);
        (void)pos;
        return;
    }
    r->val_col0 = 1;
    r->val_line = r->pfx_line;
    rec_fail(r, KM_EJSON, r->pfx_off, r->pfx_line,
             "line is neither JSON nor \"TIMESTAMP {json}\"");
}

static void rec_begin_value(struct km_records *r, const char *d, size_t pos)
{
    r->nvalues++;
    r->after_value = 0;
    r->val_off = r->base + pos;
    r->val_line = r->line;
    r->val_col0 = rec_col0(r, d, pos);
    r->wrapper = NULL;
    r->after_comma = 0;
}

/* -- the splitter's CSV mode: header, then rows --------------------------------- */

/* The first value is not JSON: collect its first record as a CSV header. */
static void rec_csv_begin(struct km_records *r, uint64_t off, long line)
{
    r->pfx_off = off;
    r->pfx_line = line;
    r->csv_rn = 0;
    r->csv_nl = 0;
    r->csv_q = CQ_START;
    r->state = RS_CSV_HDR;
}

/* Not a header: the "not JSON" error, quoting the first bytes of its line. */
static void rec_csv_not(struct km_records *r)
{
    unsigned k = 0;
    while (k < r->csv_rn && k < KM_REC_SHOW && r->csv_raw[k] != '\n') {
        r->pfx[k] = r->csv_raw[k];
        k++;
    }
    r->pfxlen = k;
    free(r->csv_raw);
    r->csv_raw = NULL;
    r->csv_rn = r->csv_rcap = 0;
    rec_notjson_report(r);
}

/* Appends to the header being collected; -1 when it outgrows
 * KM_CSV_HEADER_MAX (what fits is kept, for the "not JSON" message). */
static int rec_csv_raw_add(struct km_records *r, const char *p, size_t n)
{
    int over = 0;
    if (r->csv_rn + n > KM_CSV_HEADER_MAX) {
        n = KM_CSV_HEADER_MAX - r->csv_rn;
        over = -1;
    }
    if (r->csv_rn + n > r->csv_rcap) {
        size_t c = r->csv_rcap ? r->csv_rcap : 1024;
        while (c < r->csv_rn + n)
            c *= 2;
        r->csv_raw = km_xrealloc(r->csv_raw, c);
        r->csv_rcap = c;
    }
    if (n)
        memcpy(r->csv_raw + r->csv_rn, p, n);
    r->csv_rn += n;
    return over;
}

/* The header record is complete in csv_raw (its '\n' consumed): parse it
 * and switch the stream to CSV rows, or report why not. */
static void rec_csv_hdr_done(struct km_records *r)
{
    struct km_err e;
    size_t len = r->csv_rn;
    int rc;
    if (len && r->csv_raw[len - 1] == '\r')
        len--;
    km_err_clear(&e);
    r->csv_h = km_xmalloc(sizeof *r->csv_h);
    rc = km_csv_hdr_parse(r->csv_raw, len, r->csv_delim, r->csv_h, &e);
    if (rc != KM_OK) {
        free(r->csv_h);
        r->csv_h = NULL;
        if (rc == KM_ELIMIT) {
            rec_report(r, KM_ELIMIT, r->pfx_off, r->pfx_line, "%s", e.msg);
            rec_reset_value(r);
            r->state = RS_DEAD;
        } else {
            rec_csv_not(r);
        }
        return;
    }
    free(r->csv_raw);
    r->csv_raw = NULL;
    r->csv_rn = r->csv_rcap = 0;
    r->nvalues = 1;
    rec_set_first(r, KM_SHAPE_CSV);
    r->cap = 0;
    r->csv_q = CQ_START;
    km_buf_init(&r->csv_json, r->lim.max_record + 8 * (size_t)KM_CSV_HEADER_MAX);
    km_buf_init(&r->csv_scratch, 0);
    r->state = RS_CSV;
}

/* Collects the header record from d[pos..n); returns where it stopped. */
static size_t rec_csv_hdr(struct km_records *r, const char *d, size_t pos, size_t n)
{
    while (pos < n && r->state == RS_CSV_HDR) {
        if (!r->csv_nl) {
            /* the first line decides the delimiter */
            const char *nl = memchr(d + pos, '\n', n - pos);
            size_t e = nl ? (size_t)(nl - d) : n;
            int q = CQ_START;
            if (rec_csv_raw_add(r, d + pos, e - pos)) {
                rec_csv_not(r);
                return n;
            }
            pos = e;
            if (!nl)
                return n;
            r->csv_delim = km_csv_pick_delim(r->csv_raw, r->csv_rn);
            for (size_t i = 0; i < r->csv_rn; i++)
                q = km_csv_step(q, (unsigned char)r->csv_raw[i], r->csv_delim);
            pos++;
            r->line++;
            if (q != CQ_QUOTED) {
                rec_csv_hdr_done(r);
                return pos;
            }
            /* a quoted newline: the header goes on */
            if (rec_csv_raw_add(r, "\n", 1)) {
                rec_csv_not(r);
                return n;
            }
            r->csv_nl = 1;
            r->csv_q = q;
            continue;
        }
        size_t i = pos;
        int q = r->csv_q, end = 0;
        for (; i < n; i++) {
            unsigned char ch = (unsigned char)d[i];
            if (ch == '\n') {
                if (q != CQ_QUOTED) {
                    end = 1;
                    break;
                }
                r->line++;
            }
            q = km_csv_step(q, ch, r->csv_delim);
        }
        r->csv_q = q;
        if (rec_csv_raw_add(r, d + pos, i - pos)) {
            rec_csv_not(r);
            return n;
        }
        pos = i;
        if (end) {
            pos++;
            r->line++;
            rec_csv_hdr_done(r);
        }
    }
    return pos;
}

/* Hands one row (p[0..len), its terminator excluded, a trailing CR still
 * there) to on_record as JSON. Returns the callback's stop value or 0. */
static int rec_csv_row(struct km_records *r, const char *p, size_t len, uint64_t off, long line)
{
    struct km_err e;
    struct km_record rec;
    int rc, v = 0;
    if (len && p[len - 1] == '\r')
        len--;
    if (!len)
        return 0;
    km_err_clear(&e);
    rc = km_csv_row_json(r->csv_h, p, len, r->csv_delim, &r->csv_json, &r->csv_scratch, &e);
    if (rc != KM_OK) {
        rec_report(r, rc, off, line, "%s", e.msg);
    } else if (r->csv_json.n > 2 && r->cb.on_record) { /* "{}": no non-empty cell */
        rec.p = r->csv_json.p;
        rec.n = r->csv_json.n;
        rec.off = off;
        rec.raw_n = len;
        rec.line = line;
        rec.shape = KM_SHAPE_CSV;
        rec.wrapper = NULL;
        v = r->cb.on_record(r->cb.ctx, &rec);
        if (v) {
            r->state = RS_STOPPED;
            r->stop_rc = v;
        }
    }
    /* a huge row does not keep its buffers */
    if (r->csv_json.cap > ((size_t)1 << 20))
        km_buf_free(&r->csv_json);
    if (r->csv_scratch.cap > ((size_t)1 << 20))
        km_buf_free(&r->csv_scratch);
    return v;
}

/* The row being captured ends before d[end]. */
static int rec_csv_end(struct km_records *r, const char *d, size_t end)
{
    uint64_t len = r->base + end - r->cap_off;
    const char *p;
    r->cap = 0;
    if (cap_too_big(r, len, "CSV row"))
        return 0;
    if (r->bn == 0) {
        p = d + r->cap_start;
    } else {
        rec_buf_reserve(r, (size_t)len);
        memcpy(r->buf + r->bn, d, end);
        p = r->buf;
    }
    r->bn = 0;
    return rec_csv_row(r, p, (size_t)len, r->cap_off, r->cap_line);
}

/* Splits d[pos..n) into rows. Returns on_record's stop value or 0. */
static int rec_csv_rows(struct km_records *r, const char *d, size_t pos, size_t n)
{
    const char delim = r->csv_delim;
    int q = r->csv_q;
    while (pos < n) {
        size_t i;
        int v;
        if (!r->cap) {
            if (d[pos] == '\n') { /* a blank line */
                r->line++;
                pos++;
                continue;
            }
            rec_cap_begin(r, pos);
            q = CQ_START;
        }
        for (i = pos;;) {
            if (i >= n) {
                r->csv_q = q;
                return 0;
            }
            if (q == CQ_QUOTED) {
                const char *e = memchr(d + i, '"', n - i);
                size_t stop = e ? (size_t)(e - d) : n;
                const char *nl = memchr(d + i, '\n', stop - i);
                while (nl) {
                    r->line++;
                    nl = memchr(nl + 1, '\n', (size_t)(d + stop - nl - 1));
                }
                i = stop;
                if (e) {
                    q = CQ_CLOSE;
                    i++;
                }
                continue;
            }
            if (d[i] == '\n')
                break;
            q = km_csv_step(q, (unsigned char)d[i], delim);
            i++;
        }
        v = rec_csv_end(r, d, i);
        r->line++;
        if (v)
            return v;
        pos = i + 1;
        q = CQ_START;
    }
    r->csv_q = q;
    return 0;
}

/* End of input in CSV mode: the header or the last row without a newline. */
static int rec_csv_eof(struct km_records *r)
{
    if (r->state == RS_CSV_HDR) {
        int q = r->csv_q;
        if (!r->csv_nl) {
            q = CQ_START;
            r->csv_delim = km_csv_pick_delim(r->csv_raw, r->csv_rn);
            for (size_t i = 0; i < r->csv_rn; i++)
                q = km_csv_step(q, (unsigned char)r->csv_raw[i], r->csv_delim);
        }
        if (q == CQ_QUOTED)
            rec_csv_not(r);
        else
            rec_csv_hdr_done(r);
        return 0;
    }
    if (!r->cap)
        return 0;
    r->cap = 0;
    if (r->csv_q == CQ_QUOTED) {
        rec_report(r, KM_EFORMAT, r->cap_off, r->cap_line,
                   "unterminated quoted field at end of input; CSV row skipped");
        return 0;
    }
    if (r->cap_over) {
        rec_report(r, KM_ELIMIT, r->cap_off, r->cap_line,
                   "CSV row of %llu bytes exceeds the %zu-byte limit (max_record); skipped",
                   (unsigned long long)(r->base - r->cap_off), r->lim.max_record);
        return 0;
    }
    return rec_csv_row(r, r->buf, r->bn, r->cap_off, r->cap_line);
}

static int rec_feed_core(struct km_records *r, char *d, size_t n, int mut)
{
    size_t pos = 0;
    char t[8];

    if (r->state == RS_STOPPED)
        return r->stop_rc;
    if (r->cap)
        r->cap_start = 0;
    r->emit_end = SIZE_MAX;
    while (pos < n) {
        unsigned char c = (unsigned char)d[pos];
        switch (r->state) {
        case RS_BOM: {
            static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
            if (c == bom[r->bom]) {
                pos++;
                if (++r->bom == 3) {
                    r->bol_off = 3;
                    r->state = RS_TOP;
                }
            } else if (r->bom == 0) {
                r->state = RS_TOP;
            } else {
                memcpy(r->pfx, bom, (size_t)r->bom);
                r->pfxlen = (unsigned)r->bom;
                rec_notjson_begin(r, 0, 1);
            }
            break;
        }
        case RS_TOP:
            if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '\n') {
                r->line++;
                if (r->after_value)
                    r->line_mode = 1;
                r->after_value = 0;
                pos++;
            } else if (c == '{') {
                rec_begin_value(r, d, pos);
                r->shape = KM_SHAPE_OBJECT;
                r->cand_wrapped = 0;
                r->anom_off = UINT64_MAX;
                r->key_match = -1;
                r->stk[0] = '{';
                r->depth = 1;
                rec_cap_begin(r, pos);
                rec_enter_body(r, 0, 1, 1, RS_TOP);
                pos++;
            } else if (c == '[') {
                rec_begin_value(r, d, pos);
                rec_set_first(r, KM_SHAPE_ARRAY);
                r->stk[0] = '[';
                r->depth = 1;
                r->state = RS_ARR_ELEM;
                pos++;
            } else if (c >= '0' && c <= '9' && rec_col0(r, d, pos)) {
                r->pfxlen = 0;
                r->pfx_off = r->base + pos;
                r->pfx_line = r->line;
                r->state = RS_PREFIX;
            } else if (r->nvalues == 0) {
                r->pfxlen = 0;
                rec_csv_begin(r, r->base + pos, r->line);
            } else {
                rec_fail(r, KM_EJSON, r->base + pos, r->line, "unexpected %s %s",
                         rec_byte(c, t),
                         r->after_value ? "after the end of a value" : "at top level");
            }
            break;
        case RS_NOTJSON:
            if (c == '\n' || r->pfxlen >= KM_REC_SHOW) {
                rec_notjson_report(r);
            } else {
                r->pfx[r->pfxlen++] = (char)c;
                pos++;
            }
            break;
        case RS_PREFIX:
            if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                c == ':' || c == '.' || c == '-' || c == '+' || c == '_' || c == '/') {
                if (r->pfxlen >= KM_REC_PFX_MAX) {
                    rec_not_prefixed(r, pos);
                    break;
                }
                r->pfx[r->pfxlen++] = (char)c;
                pos++;
            } else if ((c == ' ' || c == '\t') && r->pfxlen >= KM_REC_PFX_MIN) {
                r->state = RS_PREFIX_SP;
                pos++;
            } else {
                rec_not_prefixed(r, pos);
            }
            break;
        case RS_PREFIX_SP:
            if (c == ' ' || c == '\t') {
                pos++;
            } else if (c == '{') {
                r->nvalues++;
                r->after_value = 0;
                r->val_off = r->pfx_off;
                r->val_line = r->pfx_line;
                r->val_col0 = 1;
                r->wrapper = NULL;
                rec_set_first(r, KM_SHAPE_PREFIXED);
                r->line_mode = 1;
                r->stk[0] = '{';
                r->depth = 1;
                rec_cap_begin(r, pos);
                rec_enter_body(r, 0, 1, 0, RS_LINE_END);
                pos++;
            } else {
                rec_not_prefixed(r, pos);
            }
            break;
        case RS_LINE_END:
            if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '\n') {
                r->line++;
                r->after_value = 0;
                r->state = RS_TOP;
                pos++;
            } else {
                rec_fail(r, KM_EJSON, r->base + pos, r->line,
                         "unexpected %s after the record of a prefixed line", rec_byte(c, t));
            }
            break;
        case RS_ARR_ELEM:
            if (rec_ws(r, c)) {
                pos++;
            } else if (c == '{') {
                if (rec_push(r, c, pos))
                    break;
                rec_cap_begin(r, pos);
                rec_enter_body(r, r->depth - 1, 1, 0, RS_ARR_NEXT);
                pos++;
            } else if (c == ']') {
                if (r->after_comma)
                    rec_report(r, KM_EJSON, r->base + pos, r->line, "trailing ',' before ']'");
                goto close_array;
            } else if (c == '}') {
                rec_fail(r, KM_EJSON, r->base + pos, r->line,
                         "unbalanced brackets: unexpected '}' in an array");
            } else if (c == ',') {
                rec_report(r, KM_EJSON, r->base + pos, r->line, "',' without an element");
                r->after_comma = 1;
                pos++;
            } else if (c == '[') {
                rec_report(r, KM_EFORMAT, r->base + pos, r->line,
                           "array element is an array, not a record object; skipped");
                if (rec_push(r, c, pos))
                    break;
                rec_enter_body(r, r->depth - 1, 0, 0, RS_ARR_NEXT);
                pos++;
            } else {
                rec_report(r, KM_EFORMAT, r->base + pos, r->line,
                           "array element is a %s, not a record object; skipped",
                           c == '"' ? "string" : "scalar");
                r->ret = RS_ARR_NEXT;
                r->state = c == '"' ? RS_STR : RS_SCALAR;
                r->esc = 0;
                pos++;
            }
            break;
        case RS_ARR_NEXT:
            if (rec_ws(r, c)) {
                pos++;
            } else if (c == ',') {
                r->after_comma = 1;
                r->state = RS_ARR_ELEM;
                pos++;
            } else if (c == ']') {
                goto close_array;
            } else if (c == '{' || c == '[' || c == '"') {
                rec_report(r, KM_EJSON, r->base + pos, r->line, "missing ',' between elements");
                r->after_comma = 0;
                r->state = RS_ARR_ELEM;
            } else {
                rec_fail(r, KM_EJSON, r->base + pos, r->line,
                         "expected ',' or ']' after an array element, found %s",
                         rec_byte(c, t));
            }
            break;
        close_array:
            pos++;
            r->depth--;
            r->after_comma = 0;
            if (r->depth == 0) {
                rec_value_done(r);
            } else {
                r->wrapper = NULL;
                r->state = RS_OBJ_NEXT;
            }
            break;
        case RS_OBJ_KEY:
            r->key_match = -1;
            if (rec_ws(r, c)) {
                pos++;
            } else if (c == '"') {
                r->keylen = 0;
                r->key_bad = 0;
                r->esc = 0;
                r->state = RS_OBJ_KEYSTR;
                pos++;
            } else if (c == '}') {
                if (r->after_comma)
                    rec_anomaly(r, pos, "trailing ',' before '}'");
                goto close_object;
            } else {
                rec_anomaly(r, pos, "expected a key");
                r->state = RS_OBJ_VAL;
            }
            break;
        case RS_OBJ_KEYSTR: {
            int nl = 0;
            size_t e = rec_str_end(r, d, pos, n, &nl);
            if (nl) {
                rec_fail(r, KM_EJSON, r->base + e, r->line, "newline inside a string");
                pos = e;
                break;
            }
            if (!r->key_bad) {
                size_t k = e - pos;
                if (r->keylen + k > KM_REC_KEY_MAX || memchr(d + pos, '\\', k))
                    r->key_bad = 1;
                else
                    memcpy(r->key + r->keylen, d + pos, k);
                r->keylen += (unsigned)k;
            }
            if (e >= n) {
                pos = n;
                break;
            }
            if (!r->key_bad)
                r->key_match = rec_key_lookup(r->key, r->keylen);
            r->state = RS_OBJ_COLON;
            pos = e + 1;
            break;
        }
        case RS_OBJ_COLON:
            if (rec_ws(r, c)) {
                pos++;
            } else if (c == ':') {
                r->state = RS_OBJ_VAL;
                pos++;
            } else {
                rec_anomaly(r, pos, "expected ':' after a key");
                r->key_match = -1;
                r->state = RS_OBJ_NEXT;
            }
            break;
        case RS_OBJ_VAL:
            if (rec_ws(r, c)) {
                pos++;
            } else if (c == '"') {
                r->ret = RS_OBJ_NEXT;
                r->state = RS_STR;
                r->esc = 0;
                pos++;
            } else if (c == '[' && r->key_match >= 0) {
                /* a wrapper array: its elements are the records */
                if (rec_push(r, c, pos))
                    break;
                r->cap = 0;
                r->bn = 0;
                r->cap_over = 0;
                r->cand_wrapped = 1;
                rec_set_first(r, KM_SHAPE_WRAPPED);
                r->wrapper = km_records_wrapper_keys[r->key_match];
                r->key_match = -1;
                r->after_comma = 0;
                r->state = RS_ARR_ELEM;
                pos++;
            } else if (c == '[' || c == '{') {
                if (rec_push(r, c, pos))
                    break;
                rec_enter_body(r, r->depth - 1, 0, 0, RS_OBJ_NEXT);
                pos++;
            } else if (c == '}') {
                rec_anomaly(r, pos, "missing value");
                goto close_object;
            } else if (c == ']') {
                rec_fail(r, KM_EJSON, r->base + pos, r->line,
                         "unbalanced brackets: unexpected ']' in an object");
            } else if (c == ',') {
                rec_anomaly(r, pos, "missing value");
                r->after_comma = 1;
                r->state = RS_OBJ_KEY;
                pos++;
            } else if (c == ':') {
                rec_anomaly(r, pos, "unexpected ':'");
                pos++;
            } else {
                r->ret = RS_OBJ_NEXT;
                r->state = RS_SCALAR;
                pos++;
            }
            if (r->state != RS_OBJ_VAL)
                r->key_match = -1;
            break;
        case RS_OBJ_NEXT:
            if (rec_ws(r, c)) {
                pos++;
            } else if (c == ',') {
                r->after_comma = 1;
                r->state = RS_OBJ_KEY;
                pos++;
            } else if (c == '}') {
                goto close_object;
            } else if (c == ']') {
                rec_fail(r, KM_EJSON, r->base + pos, r->line,
                         "unbalanced brackets: unexpected ']' in an object");
            } else {
                rec_anomaly(r, pos, "missing ','");
                r->after_comma = 0;
                r->state = RS_OBJ_KEY;
            }
            break;
        close_object:
            pos++;
            r->depth = 0;
            if (r->cand_wrapped) {
                if (r->anom_off != UINT64_MAX)
                    rec_report(r, KM_EJSON, r->anom_off, r->anom_line, "%s", r->anom_what);
                r->anom_off = UINT64_MAX;
                rec_value_done(r);
            } else {
                int v;
                rec_set_first(r, KM_SHAPE_OBJECT);
                rec_value_done(r);
                v = rec_emit(r, d, pos, mut);
                if (v)
                    return v;
            }
            break;
        case RS_STR: {
            int nl = 0;
            size_t e = rec_str_end(r, d, pos, n, &nl);
            if (nl) {
                rec_fail(r, KM_EJSON, r->base + e, r->line, "newline inside a string");
                pos = e;
                break;
            }
            if (e >= n) {
                pos = n;
                break;
            }
            r->state = r->ret;
            pos = e + 1;
            break;
        }
        case RS_SCALAR:
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ']' ||
                c == '}' || c == '[' || c == '{' || c == '"' || c == ':')
                r->state = r->ret;
            else
                pos++;
            break;
        case RS_BODY: {
            size_t e;
            int rb = rec_body_scan(r, d, pos, n, &e);
            pos = e;
            if (rb == RB_FOUND) {
                r->state = r->ret;
                if (r->body_cand)
                    rec_set_first(r, KM_SHAPE_OBJECT);
                if (r->ret == RS_LINE_END || r->ret == RS_TOP)
                    r->after_value = 1;
                if (r->body_record) {
                    int v = rec_emit(r, d, pos, mut);
                    if (v)
                        return v;
                }
            } else if (rb == RB_WRAPPER) {
                /* a wrapper array: the object is no record, its elements are */
                r->cap = 0;
                r->bn = 0;
                r->cap_over = 0;
                r->cand_wrapped = 1;
                r->body_cand = 0;
                rec_set_first(r, KM_SHAPE_WRAPPED);
                r->wrapper = km_records_wrapper_keys[r->key_match];
                r->key_match = -1;
                r->after_comma = 0;
                r->anom_off = UINT64_MAX;
                r->state = RS_ARR_ELEM;
            }
            break;
        }
        case RS_SKIPLINE: {
            const char *nlp = memchr(d + pos, '\n', n - pos);
            if (!nlp) {
                pos = n;
                break;
            }
            pos = (size_t)(nlp - d) + 1;
            r->line++;
            r->state = RS_LINESTART;
            break;
        }
        case RS_LINESTART:
            if (c == '\n') {
                r->line++;
                pos++;
            } else if (c == '{' || c == '[' ||
                       (c >= '0' && c <= '9' && r->first_shape == KM_SHAPE_PREFIXED)) {
                r->after_value = 0;
                r->state = RS_TOP;
            } else {
                r->state = RS_SKIPLINE;
            }
            break;
        case RS_CSV_HDR:
            pos = rec_csv_hdr(r, d, pos, n);
            break;
        case RS_CSV: {
            int v = rec_csv_rows(r, d, pos, n);
            if (v)
                return v;
            pos = n;
            break;
        }
        case RS_DEAD:
            pos = n;
            break;
        default:
            pos = n;
            break;
        }
    }
    if (r->state == RS_STOPPED)
        return r->stop_rc;
    if (r->cap)
        rec_cap_spill(r, d, n);
    if (n) {
        r->prev_nl = (d[n - 1] == '\n' && r->emit_end != n) || r->base + n == r->bol_off;
        r->base += n;
        if (n >= KM_REC_LOOKBACK) {
            memcpy(r->tail, d + n - KM_REC_LOOKBACK, KM_REC_LOOKBACK);
            r->tail_n = KM_REC_LOOKBACK;
        } else {
            memmove(r->tail, r->tail + n, KM_REC_LOOKBACK - n);
            memcpy(r->tail + KM_REC_LOOKBACK - n, d, n);
            r->tail_n = r->tail_n + n > KM_REC_LOOKBACK ? KM_REC_LOOKBACK : r->tail_n + (unsigned)n;
        }
    }
    return 0;
}

int km_records_feed(struct km_records *r, const char *data, size_t n)
{
    /* mut == 0: records are copied, data is never written */
    return rec_feed_core(r, (char *)(uintptr_t)data, n, 0);
}

int km_records_feed_mut(struct km_records *r, char *data, size_t n)
{
    return rec_feed_core(r, data, n, 1);
}

int km_records_finish(struct km_records *r)
{
    switch (r->state) {
    case RS_STOPPED:
        return r->stop_rc;
    case RS_BOM:
        if (r->bom) {
            memcpy(r->pfx, "\xEF\xBB\xBF", (size_t)r->bom);
            r->pfxlen = (unsigned)r->bom;
            r->pfx_off = 0;
            r->pfx_line = 1;
            rec_notjson_report(r);
        }
        break;
    case RS_TOP:
    case RS_LINE_END:
    case RS_SKIPLINE:
    case RS_LINESTART:
    case RS_DEAD:
        break;
    case RS_NOTJSON:
        rec_notjson_report(r);
        break;
    case RS_CSV_HDR:
    case RS_CSV: {
        int v = rec_csv_eof(r);
        if (v)
            return v;
        break;
    }
    case RS_PREFIX:
    case RS_PREFIX_SP:
        if (r->nvalues == 0) {
            rec_notjson_report(r);
        } else {
            rec_report(r, KM_EJSON, r->pfx_off, r->pfx_line,
                       "line is neither JSON nor \"TIMESTAMP {json}\"");
        }
        break;
    default: {
        int instr = r->state == RS_STR || r->state == RS_OBJ_KEYSTR ||
                    (r->state == RS_BODY && r->in_str);
        if (r->cap)
            rec_report(r, KM_EJSON, r->cap_off, r->cap_line,
                       "unterminated record at end of input%s",
                       instr ? " (inside a string)" : "");
        else
            rec_report(r, KM_EJSON, r->val_off, r->val_line,
                       "unterminated %s at end of input%s",
                       r->shape == KM_SHAPE_ARRAY ? "array" : "value",
                       instr ? " (inside a string)" : "");
        break;
    }
    }
    rec_reset_value(r);
    r->state = RS_DEAD;
    return 0;
}
