/*
 * segment.c — building, writing and reading columnar segments (segment.h has
 * the file layout). The builder interns dictionary-field strings into
 * per-field hash tables as rows arrive, so memory grows with distinct values
 * and rows, never with raw record size. Writing sorts rows by time, maps codes
 * to the sorted dictionary order, and compresses each column with zstd.
 */
#include "store/segment.h"

#include "core/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

/* Column ids: 0..KM_F__COUNT-1 are the string fields. */
enum {
    COL_TIME = 100,
    COL_KEY = 101,
    COL_KEYIDX = 102,
    COL_BLOOM = 103,
    COL_FLAGS = 104,
    COL_READONLY = 105,
    COL_MFA = 106,
    COL_SEVERITY = 107,
    COL_ROBJ = 108,
    COL_ROFF = 109,
    COL_RLEN = 110,
};

enum { ENC_RAW = 0, ENC_ZSTD = 1, ENC_DICT = 2, ENC_PLAIN = 3, ENC_VARINT = 4, ENC_ZIGZAG = 5 };

struct km_seg_dirent {
    uint16_t col;
    uint8_t enc;
    uint8_t width;   /* code width for dict columns (1, 2, 4); element size otherwise */
    uint32_t count;  /* dict: number of values (code 0 excluded) */
    uint64_t off, clen, rlen;     /* main block (codes / data) */
    uint64_t off2, clen2, rlen2;  /* dictionary block for ENC_DICT */
};

#define SEG_MAGIC "KMSEG\0v1"
#define SEG_TRAILER "KMSEGEND"
#define SEG_HDR 64
#define BLOOM_K 7
#define HIST_MAX 4096
#define HIST_MAGIC "KMHIST01"
#define ZLEVEL 3

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

static uint64_t hash_bytes(const void *p, size_t n)
{
    /* 8 bytes a step, multiply-xorshift mixing: field values are hashed once
     * per event per field, so this is on the ingest hot path */
    const unsigned char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

static uint64_t rd64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void put_varint(unsigned char **pp, uint64_t v)
{
    unsigned char *p = *pp;
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    *pp = p;
}

static int get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return -1;
        unsigned char c = *p++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            *pp = p;
            return 0;
        }
    }
    return -1;
}

/* UUID-shaped plain values (CloudTrail ids) are stored as 16 bytes, not 36
 * characters, when their text is lower case (so it can be rebuilt exactly). */
static int uuid_pack(const char *p, uint32_t n, uint8_t out[16])
{
    return km_uuid_parse(p, n, out) == 2;
}

static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* ------------------------------------------------------------------ */
/* builder                                                              */

struct dict {
    /* open-addressing table of codes (1-based) into vals */
    uint32_t *slots;
    uint32_t nslots;        /* power of two */
    struct km_str *vals;    /* vals[code], code 1.. */
    uint64_t *hashes;
    uint32_t nvals, capvals;
};

struct km_segb {
    uint32_t cap, n;
    struct km_arena strings;
    struct dict dicts[KM_F__COUNT];
    uint32_t last[KM_F__COUNT];     /* code of each field's previous value */
    uint32_t *codes[KM_F__COUNT];   /* per row; plain fields use codes too (unique-ish) */
    int64_t *time;
    uint8_t *key;
    uint16_t *flags;
    int8_t *ro, *mfa;
    int16_t *sev;
    uint64_t *robj, *roff;
    uint32_t *rlen;
    /* dedupe set over keys of pending rows: slot = row + 1 */
    /* dedupe set over pending keys: slot = row + 1 and the key's first 8
     * bytes, so a probe rarely touches the key array */
    struct kslot {
        uint64_t fp;
        uint32_t row1;
    } *kslots;
    uint32_t nkslots;
    /* knext[r]: row + 1 of the previous row with the same key (0 = none):
     * rows sharing a key form a chain from the newest, so adding one more
     * costs O(1) however many share it */
    uint32_t *knext;
    /* summary groups */
    struct km_seg_group *groups;
    size_t ngroups;
};

static void dict_init(struct dict *d)
{
    d->nslots = 1024;
    d->slots = km_xcalloc(d->nslots, sizeof *d->slots);
    d->capvals = 256;
    d->vals = km_xmalloc(d->capvals * sizeof *d->vals);
    d->hashes = km_xmalloc(d->capvals * sizeof *d->hashes);
    d->nvals = 0;
}

static void dict_free(struct dict *d)
{
    free(d->slots);
    free(d->vals);
    free(d->hashes);
}

static void dict_clear(struct dict *d)
{
    memset(d->slots, 0, d->nslots * sizeof *d->slots);
    d->nvals = 0;
}

static void dict_grow(struct dict *d)
{
    uint32_t ns = d->nslots * 2;
    uint32_t *slots = km_xcalloc(ns, sizeof *slots);
    for (uint32_t c = 1; c <= d->nvals; c++) {
        uint32_t i = (uint32_t)d->hashes[c] & (ns - 1);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = c;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = ns;
}

/* Appends a copy of s as a new value; returns its code, 0 on OOM. Plain
 * (high-cardinality) fields use this directly, without interning. */
static uint32_t dict_push(struct km_segb *b, struct dict *d, struct km_str s)
{
    if (d->nvals + 2 >= d->capvals) {
        d->capvals *= 2;
        d->vals = km_xrealloc(d->vals, d->capvals * sizeof *d->vals);
        d->hashes = km_xrealloc(d->hashes, d->capvals * sizeof *d->hashes);
    }
    char *copy = km_arena_strndup(&b->strings, s.p, s.n);
    if (!copy)
        return 0;
    uint32_t c = ++d->nvals;
    d->vals[c].p = copy;
    d->vals[c].n = s.n;
    return c;
}

/* Returns the code of s (interning a copy into the builder arena). 0 = OOM. */
static uint32_t dict_intern(struct km_segb *b, struct dict *d, struct km_str s)
{
    uint64_t h = hash_bytes(s.p, s.n);
    uint32_t i = (uint32_t)h & (d->nslots - 1);
    for (;;) {
        uint32_t c = d->slots[i];
        if (!c)
            break;
        if (d->hashes[c] == h && d->vals[c].n == s.n && memcmp(d->vals[c].p, s.p, s.n) == 0)
            return c;
        i = (i + 1) & (d->nslots - 1);
    }
    uint32_t c = dict_push(b, d, s);
    if (!c)
        return 0;
    d->hashes[c] = h;
    d->slots[i] = c;
    if (d->nvals * 2 > d->nslots)
        dict_grow(d);
    return c;
}

struct km_segb *km_segb_new(uint32_t cap)
{
    struct km_segb *b = km_xcalloc(1, sizeof *b);
    b->cap = cap ? cap : 262144;
    km_arena_init(&b->strings, 1 << 20, (size_t)2 << 30);
    for (int f = 0; f < KM_F__COUNT; f++) {
        dict_init(&b->dicts[f]);
        b->codes[f] = km_xmalloc(b->cap * sizeof(uint32_t));
    }
    b->time = km_xmalloc(b->cap * sizeof *b->time);
    b->key = km_xmalloc((size_t)b->cap * 16);
    b->flags = km_xmalloc(b->cap * sizeof *b->flags);
    b->ro = km_xmalloc(b->cap);
    b->mfa = km_xmalloc(b->cap);
    b->sev = km_xmalloc(b->cap * sizeof *b->sev);
    b->robj = km_xmalloc(b->cap * sizeof *b->robj);
    b->roff = km_xmalloc(b->cap * sizeof *b->roff);
    b->rlen = km_xmalloc(b->cap * sizeof *b->rlen);
    b->nkslots = 1;
    while (b->nkslots < b->cap * 2)
        b->nkslots <<= 1;
    b->kslots = km_xcalloc(b->nkslots, sizeof *b->kslots);
    b->knext = km_xmalloc(b->cap * sizeof *b->knext);
    return b;
}

void km_segb_free(struct km_segb *b)
{
    if (!b)
        return;
    for (int f = 0; f < KM_F__COUNT; f++) {
        dict_free(&b->dicts[f]);
        free(b->codes[f]);
    }
    free(b->time);
    free(b->key);
    free(b->flags);
    free(b->ro);
    free(b->mfa);
    free(b->sev);
    free(b->robj);
    free(b->roff);
    free(b->rlen);
    free(b->kslots);
    free(b->knext);
    free(b->groups);
    km_arena_free(&b->strings);
    free(b);
}

void km_segb_reset(struct km_segb *b)
{
    for (int f = 0; f < KM_F__COUNT; f++)
        dict_clear(&b->dicts[f]);
    memset(b->last, 0, sizeof b->last);
    memset(b->kslots, 0, (size_t)b->nkslots * sizeof *b->kslots);
    km_arena_reset(&b->strings);
    free(b->groups);
    b->groups = NULL;
    b->ngroups = 0;
    b->n = 0;
}

uint32_t km_segb_rows(const struct km_segb *b) { return b->n; }

size_t km_segb_bytes(const struct km_segb *b)
{
    size_t per_row = KM_F__COUNT * 4 + 4 + 8 + 16 + 2 + 1 + 1 + 2 + 8 + 8 + 4;
    return b->strings.total + (size_t)b->cap * per_row + (size_t)b->nkslots * sizeof *b->kslots;
}

static uint32_t key_slot(const uint8_t *key, uint32_t nslots)
{
    return (uint32_t)(rd64(key) ^ rd64(key + 8)) & (nslots - 1);
}

/* The slot holding key (its newest row), or NULL. */
static const struct kslot *key_find(const struct km_segb *b, const uint8_t *key)
{
    uint64_t fp = rd64(key);
    uint32_t i = key_slot(key, b->nkslots);
    for (;;) {
        const struct kslot *k = &b->kslots[i];
        if (!k->row1)
            return NULL;
        if (k->fp == fp && memcmp(b->key + (size_t)(k->row1 - 1) * 16, key, 16) == 0)
            return k;
        i = (i + 1) & (b->nkslots - 1);
    }
}

int km_segb_has_key(const struct km_segb *b, const uint8_t key[16])
{
    return key_find(b, key) != NULL;
}

uint32_t km_segb_key_rows(const struct km_segb *b, const uint8_t key[16], uint32_t *rows,
                          uint32_t max)
{
    const struct kslot *k = key_find(b, key);
    uint32_t n = 0;
    for (uint32_t r1 = k ? k->row1 : 0; r1 && n < max; r1 = b->knext[r1 - 1])
        rows[n++] = r1 - 1;
    return n;
}

void km_segb_event(const struct km_segb *b, uint32_t row, struct km_event *ev)
{
    km_event_init(ev);
    for (int f = 0; f < KM_F__COUNT; f++) {
        uint32_t c = b->codes[f][row];
        if (c)
            ev->f[f] = b->dicts[f].vals[c];
    }
    ev->time_us = b->time[row];
    memcpy(ev->key, b->key + (size_t)row * 16, 16);
    ev->flags = b->flags[row];
    ev->read_only = b->ro[row];
    ev->mfa = b->mfa[row];
    ev->severity = b->sev[row];
    ev->raw.object = b->robj[row];
    ev->raw.offset = b->roff[row];
    ev->raw.length = b->rlen[row];
}

int km_segb_add(struct km_segb *b, const struct km_event *ev)
{
    if (b->n >= b->cap)
        return KM_ELIMIT;
    uint32_t r = b->n;
    /* KM_EV_ID_IN_KEY comes from km_event_key(): the id is the key's UUID */
    uint16_t flags = ev->flags;
    for (int f = 0; f < KM_F__COUNT; f++) {
        struct km_str v = ev->f[f];
        uint32_t c = 0;
        if (!v.p || km_fields[f].enc == KM_ENC_RAW ||
            (f == KM_F_EVENT_ID && (flags & KM_EV_ID_IN_KEY))) {
            b->codes[f][r] = 0;
            continue;
        }
        struct dict *d = &b->dicts[f];
        if (km_fields[f].enc == KM_ENC_PLAIN) {
            /* high-cardinality: a plain vector, no hashing */
            c = dict_push(b, d, v);
        } else {
            /* consecutive events often share values: try the last one first */
            uint32_t last = b->last[f];
            if (last && d->vals[last].n == v.n && memcmp(d->vals[last].p, v.p, v.n) == 0)
                c = last;
            else
                c = b->last[f] = dict_intern(b, d, v);
        }
        if (!c)
            return KM_ENOMEM;
        b->codes[f][r] = c;
    }
    b->time[r] = ev->time_us;
    memcpy(b->key + (size_t)r * 16, ev->key, 16);
    b->flags[r] = flags;
    b->ro[r] = ev->read_only;
    b->mfa[r] = ev->mfa;
    b->sev[r] = ev->severity;
    b->robj[r] = ev->raw.object;
    b->roff[r] = ev->raw.offset;
    b->rlen[r] = ev->raw.length;
    uint64_t fp = rd64(ev->key);
    uint32_t i = key_slot(ev->key, b->nkslots);
    b->knext[r] = 0;
    while (b->kslots[i].row1) {
        struct kslot *k = &b->kslots[i];
        if (k->fp == fp && memcmp(b->key + (size_t)(k->row1 - 1) * 16, ev->key, 16) == 0) {
            b->knext[r] = k->row1; /* another row with this key: chain it */
            break;
        }
        i = (i + 1) & (b->nkslots - 1);
    }
    b->kslots[i].row1 = r + 1;
    b->kslots[i].fp = fp;
    b->n++;
    return KM_OK;
}

/* ---- writing --------------------------------------------------------- */

struct out {
    int fd;
    uint64_t pos;
    struct km_sha256 h;
    int failed;
    ZSTD_CCtx *z;
    void *zbuf;
    size_t zcap;
};

static void out_write(struct out *o, const void *p, size_t n)
{
    const char *c = p;
    km_sha256_update(&o->h, p, n);
    while (n && !o->failed) {
        ssize_t w = write(o->fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            o->failed = errno;
            return;
        }
        c += w;
        n -= (size_t)w;
        o->pos += (uint64_t)w;
    }
}

/* Writes a block compressed with zstd; fills off/clen/rlen. */
static void out_block(struct out *o, const void *p, size_t n, uint64_t *off, uint64_t *clen,
                      uint64_t *rlen, int compress)
{
    *off = o->pos;
    *rlen = n;
    if (!compress || n == 0) {
        out_write(o, p, n);
        *clen = n;
        return;
    }
    size_t bound = ZSTD_compressBound(n);
    if (bound > o->zcap) {
        free(o->zbuf);
        o->zcap = bound;
        o->zbuf = km_xmalloc(bound);
    }
    size_t c = ZSTD_compressCCtx(o->z, o->zbuf, o->zcap, p, n, ZLEVEL);
    if (ZSTD_isError(c)) {
        o->failed = EIO;
        return;
    }
    out_write(o, o->zbuf, c);
    *clen = c;
}

/* qsort_r comparators: the context is the builder, dictionary or keys */
static int cmp_time(const void *a, const void *b, void *ctx)
{
    const struct km_segb *sb = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int64_t tx = sb->time[x], ty = sb->time[y];
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return x < y ? -1 : (x > y);
}

/* Orders perm[0..n) by (time, row): an LSD radix sort on 16-bit digits of
 * time - tmin (stable, so equal times keep row order), falling back to
 * qsort_r for tiny inputs. Row order ties are what cmp_time gives too. */
static void sort_by_time(const struct km_segb *b, uint32_t *perm, uint32_t n)
{
    if (n < 256) {
        qsort_r(perm, n, sizeof *perm, cmp_time, (void *)b);
        return;
    }
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    for (uint32_t i = 0; i < n; i++) {
        if (b->time[i] < tmin)
            tmin = b->time[i];
        if (b->time[i] > tmax)
            tmax = b->time[i];
    }
    uint64_t span = (uint64_t)tmax - (uint64_t)tmin;
    uint64_t *key = km_xmalloc((size_t)n * sizeof *key);
    uint32_t *tmp = km_xmalloc((size_t)n * sizeof *tmp);
    uint32_t *count = km_xmalloc(65536 * sizeof *count);
    for (uint32_t i = 0; i < n; i++)
        key[i] = (uint64_t)b->time[i] - (uint64_t)tmin;
    uint32_t *src = perm, *dst = tmp;
    for (int shift = 0; shift < 64 && (shift == 0 || (span >> shift)); shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (uint32_t i = 0; i < n; i++)
            count[(key[src[i]] >> shift) & 0xffff]++;
        uint32_t sum = 0;
        for (uint32_t d = 0; d < 65536; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++)
            dst[count[(key[src[i]] >> shift) & 0xffff]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != perm)
        memcpy(perm, src, (size_t)n * sizeof *perm);
    free(key);
    free(tmp);
    free(count);
}

static int cmp_key(const void *a, const void *b, void *ctx)
{
    const uint8_t *keys = ctx;
    return memcmp(keys + (size_t)*(const uint32_t *)a * 16, keys + (size_t)*(const uint32_t *)b * 16,
                  16);
}

/* Orders idx[0..n) by the 16-byte keys: an LSD radix sort on the first 8
 * bytes read big-endian (keys are UUIDs or hashes, so these almost never tie),
 * then an insertion pass that orders any run of equal prefixes by the full
 * key. Same result as qsort_r with cmp_key, without a call per comparison. */
static void sort_keys(const uint8_t *keys, uint32_t *idx, uint32_t n)
{
    if (n < 256) {
        qsort_r(idx, n, sizeof *idx, cmp_key, (void *)keys);
        return;
    }
    uint64_t *pre = km_xmalloc((size_t)n * sizeof *pre);
    uint32_t *tmp = km_xmalloc((size_t)n * sizeof *tmp);
    uint32_t *count = km_xmalloc(65536 * sizeof *count);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k = keys + (size_t)i * 16;
        uint64_t v = 0;
        for (int b = 0; b < 8; b++)
            v = v << 8 | k[b];
        pre[i] = v;
    }
    uint32_t *src = idx, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (uint32_t i = 0; i < n; i++)
            count[(pre[src[i]] >> shift) & 0xffff]++;
        uint32_t sum = 0;
        for (uint32_t d = 0; d < 65536; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++)
            dst[count[(pre[src[i]] >> shift) & 0xffff]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    /* four passes: the result is back in idx */
    for (uint32_t i = 1; i < n; i++) { /* ties on the prefix: full compare */
        uint32_t v = idx[i], j = i;
        while (j > 0 && pre[idx[j - 1]] == pre[v] &&
               memcmp(keys + (size_t)idx[j - 1] * 16, keys + (size_t)v * 16, 16) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    free(pre);
    free(tmp);
    free(count);
}

static int cmp_dictval(const void *a, const void *b, void *ctx)
{
    const struct dict *sd = ctx;
    const struct km_str *x = &sd->vals[*(const uint32_t *)a];
    const struct km_str *y = &sd->vals[*(const uint32_t *)b];
    uint32_t n = x->n < y->n ? x->n : y->n;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c)
        return c;
    return x->n < y->n ? -1 : (x->n > y->n);
}


static void bloom_pos(const uint8_t *key, uint64_t nbits, uint64_t pos[BLOOM_K])
{
    uint64_t h1 = rd64(key), h2 = rd64(key + 8) | 1;
    for (int i = 0; i < BLOOM_K; i++)
        pos[i] = (h1 + (uint64_t)i * h2) % nbits;
}

static void summarise(struct km_segb *b, const uint32_t *perm)
{
    /* groups by (provider, source, account) codes; few distinct groups */
    size_t cap = 16;
    b->groups = km_xmalloc(cap * sizeof *b->groups);
    b->ngroups = 0;
    uint32_t last[3] = {UINT32_MAX, UINT32_MAX, UINT32_MAX};
    size_t lastg = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t r = perm[i];
        uint32_t c[3] = {b->codes[KM_F_PROVIDER][r], b->codes[KM_F_SOURCE][r],
                         b->codes[KM_F_ACCOUNT][r]};
        size_t g;
        if (c[0] == last[0] && c[1] == last[1] && c[2] == last[2]) {
            g = lastg;
        } else {
            struct km_str v[3];
            const int fl[3] = {KM_F_PROVIDER, KM_F_SOURCE, KM_F_ACCOUNT};
            for (int k = 0; k < 3; k++)
                v[k] = c[k] ? b->dicts[fl[k]].vals[c[k]] : KM_STR("");
            for (g = 0; g < b->ngroups; g++)
                if (km_str_eq(b->groups[g].provider, v[0]) && km_str_eq(b->groups[g].source, v[1]) &&
                    km_str_eq(b->groups[g].account, v[2]))
                    break;
            if (g == b->ngroups) {
                if (b->ngroups == cap) {
                    cap *= 2;
                    b->groups = km_xrealloc(b->groups, cap * sizeof *b->groups);
                }
                b->groups[g] = (struct km_seg_group){v[0], v[1], v[2], 0, INT64_MAX, INT64_MIN};
                b->ngroups++;
            }
            memcpy(last, c, sizeof last);
            lastg = g;
        }
        struct km_seg_group *G = &b->groups[g];
        G->rows++;
        if (b->time[r] < G->tmin)
            G->tmin = b->time[r];
        if (b->time[r] > G->tmax)
            G->tmax = b->time[r];
    }
}

int km_segb_write(struct km_segb *b, const char *path, struct km_seg_summary *sum,
                  struct km_err *err)
{
    uint32_t n = b->n;
    uint32_t *perm = km_xmalloc((n ? n : 1) * sizeof *perm);
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    sort_by_time(b, perm, n);

    struct out o = {0};
    o.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o.fd < 0) {
        free(perm);
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "cannot create segment: %s",
                          strerror(errno));
    }
    o.z = ZSTD_createCCtx();
    km_sha256_init(&o.h);

    struct km_seg_dirent dir[KM_F__COUNT + 16];
    int nd = 0;
    unsigned char hdr[SEG_HDR] = {0};
    /* placeholder header, not hashed: the real one is hashed last and
     * written over it at the end */
    if (write(o.fd, hdr, SEG_HDR) != SEG_HDR)
        o.failed = errno ? errno : EIO;
    o.pos = SEG_HDR;

    size_t scratch_cap = (size_t)n * 16 + 64;
    unsigned char *scratch = km_xmalloc(scratch_cap);
    uint32_t *remap = NULL;

    /* string fields */
    for (int f = 0; f < KM_F__COUNT; f++) {
        if (km_fields[f].enc == KM_ENC_RAW)
            continue; /* not stored: derived from the raw record */
        struct dict *d = &b->dicts[f];
        struct km_seg_dirent *e = &dir[nd++];
        memset(e, 0, sizeof *e);
        e->col = (uint16_t)f;
        if (km_fields[f].enc == KM_ENC_PLAIN) {
            /* varint (len+1, 0 = absent) + bytes, in row order */
            size_t need = 0;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t c = b->codes[f][perm[i]];
                need += 10 + (c ? d->vals[c].n : 0);
            }
            unsigned char *buf = km_xmalloc(need + 1), *p = buf;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t c = b->codes[f][perm[i]];
                if (!c) {
                    put_varint(&p, 0);
                    continue;
                }
                if (uuid_pack(d->vals[c].p, d->vals[c].n, p + 1)) {
                    *p = 1;
                    p += 17;
                    continue;
                }
                put_varint(&p, (uint64_t)d->vals[c].n + 2);
                memcpy(p, d->vals[c].p, d->vals[c].n);
                p += d->vals[c].n;
            }
            e->enc = ENC_PLAIN;
            out_block(&o, buf, (size_t)(p - buf), &e->off, &e->clen, &e->rlen, 1);
            free(buf);
            continue;
        }
        /* dictionary: sort values, remap codes */
        uint32_t nv = d->nvals;
        uint32_t *order = km_xmalloc((nv + 1) * sizeof *order);
        for (uint32_t c = 1; c <= nv; c++)
            order[c - 1] = c;
        qsort_r(order, nv, sizeof *order, cmp_dictval, d);
        remap = km_xrealloc(remap, (nv + 1) * sizeof *remap);
        remap[0] = 0;
        size_t dbytes = 0;
        for (uint32_t k = 0; k < nv; k++) {
            remap[order[k]] = k + 1;
            dbytes += d->vals[order[k]].n;
        }
        /* dict block: u32 count, u32 offsets[count+1], bytes; for up to
         * HIST_MAX values then u32 rows[count+1] per code (0 = absent) and
         * HIST_MAGIC, so `stats count() by f` over whole segments needs no
         * row (readers that predate it ignore the trailer) */
        int hist = nv <= HIST_MAX;
        size_t base = 4 + 4 * ((size_t)nv + 1) + dbytes;
        size_t hat = (base + 3) & ~(size_t)3; /* counts 4-byte aligned */
        size_t dlen = hist ? hat + 4 * ((size_t)nv + 1) + 8 : base;
        unsigned char *db = km_xcalloc(1, dlen);
        uint32_t cnt = nv, off = 0;
        memcpy(db, &cnt, 4);
        unsigned char *bytes = db + 4 + 4 * ((size_t)nv + 1);
        for (uint32_t k = 0; k < nv; k++) {
            memcpy(db + 4 + 4 * (size_t)k, &off, 4);
            memcpy(bytes + off, d->vals[order[k]].p, d->vals[order[k]].n);
            off += d->vals[order[k]].n;
        }
        memcpy(db + 4 + 4 * (size_t)nv, &off, 4);
        if (hist) {
            unsigned char *hp = db + hat;
            uint32_t *rows = km_xcalloc((size_t)nv + 1, sizeof *rows);
            for (uint32_t i = 0; i < n; i++)
                rows[remap[b->codes[f][i]]]++;
            memcpy(hp, rows, 4 * ((size_t)nv + 1));
            memcpy(hp + 4 * ((size_t)nv + 1), HIST_MAGIC, 8);
            free(rows);
        }
        e->enc = ENC_DICT;
        e->count = nv;
        out_block(&o, db, dlen, &e->off2, &e->clen2, &e->rlen2, 1);
        free(db);
        free(order);
        int w = nv < 255 ? 1 : nv < 65535 ? 2 : 4;
        e->width = (uint8_t)w;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t c = remap[b->codes[f][perm[i]]];
            if (w == 1)
                scratch[i] = (uint8_t)c;
            else if (w == 2) {
                uint16_t v = (uint16_t)c;
                memcpy(scratch + 2 * (size_t)i, &v, 2);
            } else
                memcpy(scratch + 4 * (size_t)i, &c, 4);
        }
        out_block(&o, scratch, (size_t)n * w, &e->off, &e->clen, &e->rlen, 1);
    }
    free(remap);

    /* time: varint deltas from tmin */
    int64_t tmin = n ? b->time[perm[0]] : 0, tmax = n ? b->time[perm[n - 1]] : 0;
    {
        unsigned char *buf = km_xmalloc((size_t)n * 10 + 1), *p = buf;
        int64_t prev = tmin;
        for (uint32_t i = 0; i < n; i++) {
            int64_t t = b->time[perm[i]];
            put_varint(&p, (uint64_t)(t - prev));
            prev = t;
        }
        struct km_seg_dirent *e = &dir[nd++];
        memset(e, 0, sizeof *e);
        e->col = COL_TIME;
        e->enc = ENC_VARINT;
        out_block(&o, buf, (size_t)(p - buf), &e->off, &e->clen, &e->rlen, 1);
        free(buf);
    }
    /* keys in row order (raw), sorted index (raw), bloom (raw) */
    {
        uint8_t *keys = km_xmalloc((size_t)n * 16 + 1);
        for (uint32_t i = 0; i < n; i++)
            memcpy(keys + (size_t)i * 16, b->key + (size_t)perm[i] * 16, 16);
        struct km_seg_dirent *e = &dir[nd++];
        memset(e, 0, sizeof *e);
        e->col = COL_KEY;
        e->enc = ENC_RAW;
        e->width = 16;
        out_block(&o, keys, (size_t)n * 16, &e->off, &e->clen, &e->rlen, 0);

        uint32_t *idx = km_xmalloc((n ? n : 1) * sizeof *idx);
        for (uint32_t i = 0; i < n; i++)
            idx[i] = i;
        sort_keys(keys, idx, n);
        e = &dir[nd++];
        memset(e, 0, sizeof *e);
        e->col = COL_KEYIDX;
        e->enc = ENC_RAW;
        e->width = 4;
        out_block(&o, idx, (size_t)n * 4, &e->off, &e->clen, &e->rlen, 0);
        free(idx);

        uint64_t nbits = ((uint64_t)n * 10 + 63) / 64 * 64;
        if (nbits < 64)
            nbits = 64;
        uint64_t *bits = km_xcalloc(nbits / 64, 8);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t pos[BLOOM_K];
            bloom_pos(keys + (size_t)i * 16, nbits, pos);
            for (int k = 0; k < BLOOM_K; k++)
                bits[pos[k] / 64] |= 1ULL << (pos[k] % 64);
        }
        e = &dir[nd++];
        memset(e, 0, sizeof *e);
        e->col = COL_BLOOM;
        e->enc = ENC_RAW;
        e->width = 8;
        out_block(&o, bits, nbits / 8, &e->off, &e->clen, &e->rlen, 0);
        free(bits);
        free(keys);
    }
    /* small fixed-width columns */
    {
        struct {
            int col;
            int w;
        } fx[] = {{COL_FLAGS, 2}, {COL_READONLY, 1}, {COL_MFA, 1}, {COL_SEVERITY, 2}};
        for (size_t k = 0; k < KM_ARRAY_LEN(fx); k++) {
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = perm[i];
                switch (fx[k].col) {
                case COL_FLAGS: memcpy(scratch + 2 * (size_t)i, &b->flags[r], 2); break;
                case COL_READONLY: scratch[i] = (uint8_t)b->ro[r]; break;
                case COL_MFA: scratch[i] = (uint8_t)b->mfa[r]; break;
                default: memcpy(scratch + 2 * (size_t)i, &b->sev[r], 2); break;
                }
            }
            struct km_seg_dirent *e = &dir[nd++];
            memset(e, 0, sizeof *e);
            e->col = (uint16_t)fx[k].col;
            e->enc = ENC_ZSTD;
            e->width = (uint8_t)fx[k].w;
            out_block(&o, scratch, (size_t)n * fx[k].w, &e->off, &e->clen, &e->rlen, 1);
        }
    }
    /* raw references: object and offset as zigzag deltas, length as varint */
    {
        unsigned char *buf = km_xmalloc((size_t)n * 10 + 1), *p;
        int cols[3] = {COL_ROBJ, COL_ROFF, COL_RLEN};
        for (int k = 0; k < 3; k++) {
            p = buf;
            int64_t prev = 0;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = perm[i];
                if (cols[k] == COL_RLEN) {
                    put_varint(&p, b->rlen[r]);
                } else {
                    int64_t v = (int64_t)(cols[k] == COL_ROBJ ? b->robj[r] : b->roff[r]);
                    put_varint(&p, zz(v - prev));
                    prev = v;
                }
            }
            struct km_seg_dirent *e = &dir[nd++];
            memset(e, 0, sizeof *e);
            e->col = (uint16_t)cols[k];
            e->enc = cols[k] == COL_RLEN ? ENC_VARINT : ENC_ZIGZAG;
            out_block(&o, buf, (size_t)(p - buf), &e->off, &e->clen, &e->rlen, 1);
        }
        free(buf);
    }
    free(scratch);

    /* directory */
    uint64_t dir_off = o.pos;
    out_write(&o, dir, (size_t)nd * sizeof dir[0]);
    uint64_t dir_len = (uint64_t)nd * sizeof dir[0];

    /* header, written over the placeholder; the trailer hash covers the
     * bytes after the header followed by the header itself */
    memcpy(hdr, SEG_MAGIC, 8);
    uint32_t ver = KM_SEG_VERSION, ncols = (uint32_t)nd;
    uint64_t rows = n;
    memcpy(hdr + 8, &ver, 4);
    memcpy(hdr + 12, &ncols, 4);
    memcpy(hdr + 16, &rows, 8);
    memcpy(hdr + 24, &tmin, 8);
    memcpy(hdr + 32, &tmax, 8);
    memcpy(hdr + 40, &dir_off, 8);
    memcpy(hdr + 48, &dir_len, 8);
    km_sha256_update(&o.h, hdr, SEG_HDR);
    uint8_t md[32];
    km_sha256_final(&o.h, md);
    if (!o.failed) {
        if (write(o.fd, md, 32) != 32 || write(o.fd, SEG_TRAILER, 8) != 8)
            o.failed = errno ? errno : EIO;
    }
    if (!o.failed && pwrite(o.fd, hdr, SEG_HDR, 0) != SEG_HDR)
        o.failed = errno ? errno : EIO;
    if (!o.failed && fsync(o.fd) != 0)
        o.failed = errno;
    close(o.fd);
    ZSTD_freeCCtx(o.z);
    free(o.zbuf);
    if (o.failed) {
        free(perm);
        unlink(path);
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "writing segment: %s",
                          strerror(o.failed));
    }
    summarise(b, perm);
    free(perm);
    sum->rows = n;
    sum->tmin = tmin;
    sum->tmax = tmax;
    sum->bytes = o.pos + 40;
    km_hex(md, 32, sum->sha256);
    sum->groups = b->groups;
    sum->ngroups = b->ngroups;
    return KM_OK;
}

/* ------------------------------------------------------------------ */
/* reader                                                               */

struct col_cache {
    void *data;     /* decoded main block (or pointer into the map for raw) */
    size_t len;
    int owned;
    /* dict */
    const unsigned char *dict;   /* decoded dictionary block */
    size_t dict_len;
    void *dict_owned;
    /* plain: offsets into data for each row (len+1 encoded; UINT32_MAX absent) */
    uint64_t *plain_off;
    uint32_t *plain_len;
    /* decoded integer columns */
    int64_t *ints;
};

struct km_seg {
    char *path;
    const unsigned char *map;
    size_t size;
    uint64_t nrows;
    int64_t tmin, tmax;
    const struct km_seg_dirent *dir;
    uint32_t ncols;
    const struct km_seg_dirent *byfield[KM_F__COUNT];
    const struct km_seg_dirent *special[16];
    struct col_cache fc[KM_F__COUNT];
    struct col_cache sc[16];
    char idbuf[37];   /* event id text rebuilt from the key */
};

int km_seg_open(const char *path, struct km_seg **out, struct km_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "cannot open segment: %s",
                          strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < SEG_HDR + 40) {
        close(fd);
        return km_err_set(err, KM_ECORRUPT, path, 0, "segment too short");
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "mmap: %s", strerror(errno));
    const unsigned char *p = m;
    size_t size = (size_t)st.st_size;
    uint32_t ver, ncols;
    uint64_t dir_off, dir_len;
    memcpy(&ver, p + 8, 4);
    memcpy(&ncols, p + 12, 4);
    memcpy(&dir_off, p + 40, 8);
    memcpy(&dir_len, p + 48, 8);
    const char *why = NULL;
    if (memcmp(p, SEG_MAGIC, 8) != 0)
        why = "bad magic";
    else if (memcmp(p + size - 8, SEG_TRAILER, 8) != 0)
        why = "bad trailer (truncated write?)";
    else if (ver > KM_SEG_VERSION)
        why = "segment version newer than this kumo";
    else if (dir_len != (uint64_t)ncols * sizeof(struct km_seg_dirent) || dir_off > size ||
             dir_len > size - dir_off || dir_off + dir_len + 40 != size)
        why = "bad directory";
    if (why) {
        munmap(m, size);
        return km_err_set(err, ver > KM_SEG_VERSION ? KM_EVERSION : KM_ECORRUPT, path, 0,
                          "%s", why);
    }
    struct km_seg *s = km_xcalloc(1, sizeof *s);
    s->path = km_xstrdup(path);
    s->map = p;
    s->size = size;
    memcpy(&s->nrows, p + 16, 8);
    memcpy(&s->tmin, p + 24, 8);
    memcpy(&s->tmax, p + 32, 8);
    /* the directory may sit at any offset: copy it to aligned memory */
    struct km_seg_dirent *dir = km_xmalloc((size_t)dir_len + 1);
    memcpy(dir, p + dir_off, (size_t)dir_len);
    s->dir = dir;
    s->ncols = ncols;
    for (uint32_t i = 0; i < ncols; i++) {
        const struct km_seg_dirent *e = &s->dir[i];
        if (e->off > size || e->clen > size - e->off || e->off2 > size ||
            e->clen2 > size - e->off2) {
            km_seg_close(s);
            return km_err_set(err, KM_ECORRUPT, path, dir_off, "column block out of range");
        }
        if (e->col < KM_F__COUNT)
            s->byfield[e->col] = e;
        else if (e->col >= 100 && e->col < 116)
            s->special[e->col - 100] = e;
    }
    *out = s;
    return KM_OK;
}

static void cache_free(struct col_cache *c)
{
    if (c->owned)
        free(c->data);
    free(c->dict_owned);
    free(c->plain_off);
    free(c->plain_len);
    free(c->ints);
}

void km_seg_drop_decoded(struct km_seg *s)
{
    for (int f = 0; f < KM_F__COUNT; f++) {
        cache_free(&s->fc[f]);
        memset(&s->fc[f], 0, sizeof s->fc[f]);
    }
    for (int i = 0; i < 16; i++) {
        cache_free(&s->sc[i]);
        memset(&s->sc[i], 0, sizeof s->sc[i]);
    }
}

void km_seg_close(struct km_seg *s)
{
    if (!s)
        return;
    for (int f = 0; f < KM_F__COUNT; f++)
        cache_free(&s->fc[f]);
    for (int i = 0; i < 16; i++)
        cache_free(&s->sc[i]);
    munmap((void *)s->map, s->size);
    free((void *)s->dir);
    free(s->path);
    free(s);
}

uint64_t km_seg_rows(const struct km_seg *s) { return s->nrows; }
int64_t km_seg_tmin(const struct km_seg *s) { return s->tmin; }
int64_t km_seg_tmax(const struct km_seg *s) { return s->tmax; }

int km_seg_verify(const struct km_seg *s, struct km_err *err)
{
    struct km_sha256 h;
    km_sha256_init(&h);
    km_sha256_update(&h, s->map + SEG_HDR, s->size - SEG_HDR - 40);
    km_sha256_update(&h, s->map, SEG_HDR);
    uint8_t md[32];
    km_sha256_final(&h, md);
    if (memcmp(md, s->map + s->size - 40, 32) != 0)
        return km_err_set(err, KM_ECORRUPT, s->path, UINT64_MAX, "segment checksum mismatch");
    return KM_OK;
}

/* Decompresses a block into a new buffer. */
static int load_block(const struct km_seg *s, uint64_t off, uint64_t clen, uint64_t rlen,
                      int compressed, void **out, struct km_err *err)
{
    void *buf = km_xmalloc(rlen + 1);
    if (!compressed) {
        memcpy(buf, s->map + off, rlen);
    } else if (rlen) {
        size_t r = ZSTD_decompress(buf, rlen, s->map + off, clen);
        if (ZSTD_isError(r) || r != rlen) {
            free(buf);
            return km_err_set(err, KM_ECORRUPT, s->path, off, "column block does not decompress");
        }
    }
    *out = buf;
    return KM_OK;
}

static int load_dict(struct km_seg *s, int field, struct km_err *err)
{
    struct col_cache *c = &s->fc[field];
    if (c->dict)
        return KM_OK;
    const struct km_seg_dirent *e = s->byfield[field];
    void *d;
    int rc = load_block(s, e->off2, e->clen2, e->rlen2, 1, &d, err);
    if (rc)
        return rc;
    uint32_t cnt;
    if (e->rlen2 < 4 || (memcpy(&cnt, d, 4), (uint64_t)cnt * 4 + 8 > e->rlen2) || cnt != e->count) {
        free(d);
        return km_err_set(err, KM_ECORRUPT, s->path, e->off2, "bad dictionary block");
    }
    c->dict = d;
    c->dict_owned = d;
    c->dict_len = e->rlen2;
    return KM_OK;
}

static struct km_str dict_val(const struct col_cache *c, uint32_t code)
{
    uint32_t cnt, a, b;
    memcpy(&cnt, c->dict, 4);
    if (code == 0 || code > cnt)
        return KM_STR_NONE;
    memcpy(&a, c->dict + 4 + 4 * (size_t)(code - 1), 4);
    memcpy(&b, c->dict + 4 + 4 * (size_t)code, 4);
    size_t base = 4 + 4 * ((size_t)cnt + 1);
    if (b < a || base + b > c->dict_len)
        return KM_STR("");
    return (struct km_str){(const char *)c->dict + base + a, b - a};
}

int km_seg_dict_find(struct km_seg *s, int field, const char *value, size_t n, uint32_t *code)
{
    const struct km_seg_dirent *e = s->byfield[field];
    if (!e)
        return 0;
    if (e->enc != ENC_DICT)
        return -1;
    struct km_err err;
    km_err_clear(&err);
    if (load_dict(s, field, &err))
        return -1;
    struct col_cache *c = &s->fc[field];
    uint32_t lo = 1, hi = e->count;
    while (lo <= hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        struct km_str v = dict_val(c, mid);
        size_t m = v.n < n ? v.n : n;
        int cmp = m ? memcmp(v.p, value, m) : 0;
        if (!cmp)
            cmp = v.n < n ? -1 : v.n > n;
        if (!cmp) {
            *code = mid;
            return 1;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

static int load_codes(struct km_seg *s, int field, struct km_err *err)
{
    struct col_cache *c = &s->fc[field];
    if (c->data)
        return KM_OK;
    const struct km_seg_dirent *e = s->byfield[field];
    int rc = load_block(s, e->off, e->clen, e->rlen, 1, &c->data, err);
    if (rc)
        return rc;
    c->owned = 1;
    c->len = e->rlen;
    if (e->enc == ENC_DICT) {
        if (e->rlen != s->nrows * e->width)
            return km_err_set(err, KM_ECORRUPT, s->path, e->off, "bad codes block");
        return load_dict(s, field, err);
    }
    /* plain: index the rows */
    c->plain_off = km_xmalloc((s->nrows + 1) * sizeof *c->plain_off);
    c->plain_len = km_xmalloc((s->nrows + 1) * sizeof *c->plain_len);
    /* first pass: count UUID rows to size the text side buffer */
    const unsigned char *p = c->data, *end = p + c->len;
    uint64_t nuuid = 0;
    for (uint64_t r = 0; r < s->nrows; r++) {
        uint64_t v;
        if (get_varint(&p, end, &v))
            return km_err_set(err, KM_ECORRUPT, s->path, e->off, "bad plain column");
        uint64_t skip = v == 0 ? 0 : v == 1 ? 16 : v - 2;
        if (skip > (uint64_t)(end - p))
            return km_err_set(err, KM_ECORRUPT, s->path, e->off, "bad plain column");
        nuuid += v == 1;
        p += skip;
    }
    /* data is re-laid as [original block][36 chars per UUID row] */
    size_t base = c->len;
    c->data = km_xrealloc(c->data, base + nuuid * 36 + 1);
    char *text = (char *)c->data + base;
    p = c->data;
    end = p + base;
    for (uint64_t r = 0; r < s->nrows; r++) {
        uint64_t v = 0;
        get_varint(&p, end, &v);
        if (v == 0) {
            c->plain_off[r] = 0;
            c->plain_len[r] = UINT32_MAX;
        } else if (v == 1) {
            km_uuid_fmt(p, text);
            c->plain_off[r] = (uint64_t)(text - (char *)c->data);
            c->plain_len[r] = 36;
            text += 36;
            p += 16;
        } else {
            c->plain_off[r] = (uint64_t)(p - (const unsigned char *)c->data);
            c->plain_len[r] = (uint32_t)(v - 2);
            p += v - 2;
        }
    }
    return KM_OK;
}

int km_seg_code(struct km_seg *s, int field, uint32_t row, uint32_t *code, struct km_err *err)
{
    const struct km_seg_dirent *e = s->byfield[field];
    if (!e || e->enc != ENC_DICT) {
        *code = 0;
        return KM_OK;
    }
    int rc = load_codes(s, field, err);
    if (rc)
        return rc;
    const unsigned char *d = s->fc[field].data;
    if (e->width == 1)
        *code = d[row];
    else if (e->width == 2) {
        uint16_t v;
        memcpy(&v, d + 2 * (size_t)row, 2);
        *code = v;
    } else
        memcpy(code, d + 4 * (size_t)row, 4);
    return KM_OK;
}

static int load_ints(struct km_seg *s, int col, struct km_err *err)
{
    struct col_cache *c = &s->sc[col - 100];
    if (c->ints)
        return KM_OK;
    const struct km_seg_dirent *e = s->special[col - 100];
    if (!e)
        return km_err_set(err, KM_ECORRUPT, s->path, UINT64_MAX, "missing column %d", col);
    void *buf;
    int rc = load_block(s, e->off, e->clen, e->rlen, e->enc != ENC_RAW, &buf, err);
    if (rc)
        return rc;
    int64_t *v = km_xmalloc((s->nrows + 1) * sizeof *v);
    const unsigned char *p = buf, *end = p + e->rlen;
    int64_t prev = col == COL_TIME ? s->tmin : 0;
    for (uint64_t r = 0; r < s->nrows; r++) {
        if (e->enc == ENC_VARINT || e->enc == ENC_ZIGZAG) {
            uint64_t x;
            if (get_varint(&p, end, &x)) {
                free(buf);
                free(v);
                return km_err_set(err, KM_ECORRUPT, s->path, e->off, "bad integer column");
            }
            if (col == COL_TIME) {
                prev += (int64_t)x;
                v[r] = prev;
            } else if (e->enc == ENC_ZIGZAG) {
                prev += unzz(x);
                v[r] = prev;
            } else {
                v[r] = (int64_t)x;
            }
        } else {
            if (e->rlen != s->nrows * e->width) {
                free(buf);
                free(v);
                return km_err_set(err, KM_ECORRUPT, s->path, e->off, "bad fixed column");
            }
            if (e->width == 1)
                v[r] = (int8_t)((const unsigned char *)buf)[r];
            else {
                int16_t x;
                memcpy(&x, (const unsigned char *)buf + 2 * r, 2);
                v[r] = col == COL_FLAGS ? (int64_t)(uint16_t)x : x;
            }
        }
    }
    free(buf);
    c->ints = v;
    return KM_OK;
}

int km_seg_time(struct km_seg *s, uint32_t row, int64_t *t, struct km_err *err)
{
    int rc = load_ints(s, COL_TIME, err);
    if (rc)
        return rc;
    *t = s->sc[COL_TIME - 100].ints[row];
    return KM_OK;
}

static const uint8_t *seg_keys(const struct km_seg *s)
{
    const struct km_seg_dirent *e = s->special[COL_KEY - 100];
    if (!e || e->rlen != s->nrows * 16)
        return NULL;
    return s->map + e->off;
}

int km_seg_may_have_key(const struct km_seg *s, const uint8_t key[16])
{
    const struct km_seg_dirent *e = s->special[COL_BLOOM - 100];
    if (!e || e->rlen < 8)
        return 1;
    uint64_t nbits = e->rlen * 8, pos[BLOOM_K];
    bloom_pos(key, nbits, pos);
    const unsigned char *bits = s->map + e->off;
    for (int k = 0; k < BLOOM_K; k++)
        if (!(bits[pos[k] / 8] & (1u << (pos[k] % 8))))
            return 0;
    return 1;
}

int km_seg_find_key(const struct km_seg *s, const uint8_t key[16], uint32_t *row)
{
    const struct km_seg_dirent *e = s->special[COL_KEYIDX - 100];
    const uint8_t *keys = seg_keys(s);
    if (!e || !keys || e->rlen != s->nrows * 4)
        return 0;
    const unsigned char *idx = s->map + e->off;
    uint64_t lo = 0, hi = s->nrows;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint32_t r;
        memcpy(&r, idx + 4 * mid, 4);
        if (r >= s->nrows)
            return 0;
        int c = memcmp(keys + (size_t)r * 16, key, 16);
        if (c == 0) {
            *row = r;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

uint32_t km_seg_key_rows(const struct km_seg *s, const uint8_t key[16], uint32_t *rows,
                         uint32_t max)
{
    const struct km_seg_dirent *e = s->special[COL_KEYIDX - 100];
    const uint8_t *keys = seg_keys(s);
    if (!e || !keys || e->rlen != s->nrows * 4)
        return 0;
    const unsigned char *idx = s->map + e->off;
    uint64_t lo = 0, hi = s->nrows; /* first index entry whose key is >= key */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint32_t r;
        memcpy(&r, idx + 4 * mid, 4);
        if (r >= s->nrows)
            return 0;
        if (memcmp(keys + (size_t)r * 16, key, 16) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t n = 0;
    for (; lo < s->nrows && n < max; lo++) {
        uint32_t r;
        memcpy(&r, idx + 4 * lo, 4);
        if (r >= s->nrows || memcmp(keys + (size_t)r * 16, key, 16) != 0)
            break;
        rows[n++] = r;
    }
    return n;
}

int km_seg_event(struct km_seg *s, uint32_t row, struct km_event *ev, struct km_err *err)
{
    km_event_init(ev);
    int rc;
    for (int f = 0; f < KM_F__COUNT; f++) {
        const struct km_seg_dirent *e = s->byfield[f];
        if (!e)
            continue;
        if ((rc = load_codes(s, f, err)))
            return rc;
        struct col_cache *c = &s->fc[f];
        if (e->enc == ENC_DICT) {
            uint32_t code;
            km_seg_code(s, f, row, &code, err);
            ev->f[f] = dict_val(c, code);
        } else if (c->plain_len[row] != UINT32_MAX) {
            ev->f[f].p = (const char *)c->data + c->plain_off[row];
            ev->f[f].n = c->plain_len[row];
        }
    }
    static const int cols[] = {COL_TIME, COL_FLAGS, COL_READONLY, COL_MFA,
                               COL_SEVERITY, COL_ROBJ, COL_ROFF, COL_RLEN};
    int64_t v[KM_ARRAY_LEN(cols)];
    for (size_t k = 0; k < KM_ARRAY_LEN(cols); k++) {
        if ((rc = load_ints(s, cols[k], err)))
            return rc;
        v[k] = s->sc[cols[k] - 100].ints[row];
    }
    ev->time_us = v[0];
    ev->flags = (uint16_t)v[1];
    ev->read_only = (int8_t)v[2];
    ev->mfa = (int8_t)v[3];
    ev->severity = (int16_t)v[4];
    ev->raw.object = (uint64_t)v[5];
    ev->raw.offset = (uint64_t)v[6];
    ev->raw.length = (uint32_t)v[7];
    const uint8_t *keys = seg_keys(s);
    if (keys)
        memcpy(ev->key, keys + (size_t)row * 16, 16);
    if (ev->flags & KM_EV_ID_IN_KEY) {
        km_uuid_fmt(ev->key, s->idbuf);
        ev->f[KM_F_EVENT_ID] = (struct km_str){s->idbuf, 36};
        ev->flags &= (uint16_t)~KM_EV_ID_IN_KEY;
    }
    return KM_OK;
}

int km_seg_event_fields(struct km_seg *s, uint32_t row, const int *fields, int nfields,
                        struct km_event *ev, struct km_err *err)
{
    km_event_init(ev);
    if (row >= s->nrows)
        return km_err_set(err, KM_ENOTFOUND, s->path, row, "no row %u", row);
    int rc;
    for (int i = 0; i < nfields; i++)
        if (fields[i] >= 0 && fields[i] < KM_F__COUNT &&
            (rc = km_seg_str(s, fields[i], row, &ev->f[fields[i]], err)))
            return rc;
    static const int cols[] = {COL_TIME, COL_FLAGS};
    int64_t v[2];
    for (size_t k = 0; k < 2; k++) {
        if ((rc = load_ints(s, cols[k], err)))
            return rc;
        v[k] = s->sc[cols[k] - 100].ints[row];
    }
    ev->time_us = v[0];
    ev->flags = (uint16_t)v[1];
    const uint8_t *keys = seg_keys(s);
    if (keys)
        memcpy(ev->key, keys + (size_t)row * 16, 16);
    if (ev->flags & KM_EV_ID_IN_KEY) {
        km_uuid_fmt(ev->key, s->idbuf);
        ev->f[KM_F_EVENT_ID] = (struct km_str){s->idbuf, 36};
        ev->flags &= (uint16_t)~KM_EV_ID_IN_KEY;
    }
    return KM_OK;
}

/* ---- bulk access for the query engine --------------------------------- */

int km_seg_field_kind(const struct km_seg *s, int field)
{
    const struct km_seg_dirent *e = field >= 0 && field < KM_F__COUNT ? s->byfield[field] : NULL;
    if (!e)
        return KM_SEG_ABSENT;
    return e->enc == ENC_DICT ? KM_SEG_DICT : KM_SEG_PLAIN;
}

uint32_t km_seg_dict_size(const struct km_seg *s, int field)
{
    const struct km_seg_dirent *e = s->byfield[field];
    return e && e->enc == ENC_DICT ? e->count : 0;
}

int km_seg_dict_get(struct km_seg *s, int field, uint32_t code, struct km_str *v,
                    struct km_err *err)
{
    *v = KM_STR_NONE;
    if (km_seg_field_kind(s, field) != KM_SEG_DICT)
        return KM_OK;
    int rc = load_dict(s, field, err);
    if (rc)
        return rc;
    *v = dict_val(&s->fc[field], code);
    return KM_OK;
}

int km_seg_codes(struct km_seg *s, int field, const void **codes, int *width, struct km_err *err)
{
    *codes = NULL;
    *width = 0;
    if (km_seg_field_kind(s, field) != KM_SEG_DICT)
        return KM_OK;
    int rc = load_codes(s, field, err);
    if (rc)
        return rc;
    *codes = s->fc[field].data;
    *width = s->byfield[field]->width;
    return KM_OK;
}

int km_seg_times(struct km_seg *s, const int64_t **t, struct km_err *err)
{
    int rc = load_ints(s, COL_TIME, err);
    if (rc)
        return rc;
    *t = s->sc[COL_TIME - 100].ints;
    return KM_OK;
}

int km_seg_str(struct km_seg *s, int field, uint32_t row, struct km_str *v, struct km_err *err)
{
    *v = KM_STR_NONE;
    const struct km_seg_dirent *e = s->byfield[field];
    if (!e || row >= s->nrows)
        return KM_OK;
    int rc = load_codes(s, field, err);
    if (rc)
        return rc;
    struct col_cache *c = &s->fc[field];
    if (e->enc == ENC_DICT) {
        uint32_t code;
        km_seg_code(s, field, row, &code, err);
        *v = dict_val(c, code);
    } else if (c->plain_len[row] != UINT32_MAX) {
        v->p = (const char *)c->data + c->plain_off[row];
        v->n = c->plain_len[row];
    }
    return KM_OK;
}

int km_seg_rawref(struct km_seg *s, uint32_t row, struct km_rawref *r, struct km_err *err)
{
    static const int cols[3] = {COL_ROBJ, COL_ROFF, COL_RLEN};
    int64_t v[3];
    for (int k = 0; k < 3; k++) {
        int rc = load_ints(s, cols[k], err);
        if (rc)
            return rc;
        v[k] = s->sc[cols[k] - 100].ints[row];
    }
    r->object = (uint64_t)v[0];
    r->offset = (uint64_t)v[1];
    r->length = (uint32_t)v[2];
    return KM_OK;
}

int km_seg_dict_counts(struct km_seg *s, int field, const uint32_t **counts)
{
    *counts = NULL;
    if (km_seg_field_kind(s, field) != KM_SEG_DICT)
        return 0;
    struct km_err e;
    km_err_clear(&e);
    if (load_dict(s, field, &e))
        return 0;
    const struct col_cache *c = &s->fc[field];
    uint32_t cnt, bytes;
    memcpy(&cnt, c->dict, 4);
    memcpy(&bytes, c->dict + 4 + 4 * (size_t)cnt, 4);
    size_t at = (4 + 4 * ((size_t)cnt + 1) + bytes + 3) & ~(size_t)3;
    size_t hl = 4 * ((size_t)cnt + 1);
    if (c->dict_len != at + hl + 8 || memcmp(c->dict + at + hl, HIST_MAGIC, 8) != 0)
        return 0;
    *counts = (const uint32_t *)(const void *)(c->dict + at);
    return 1;
}
