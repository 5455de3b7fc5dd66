/*
 * lateral.c — shared tools of the lateral-movement detections (lateral.h):
 * string interning, a 64-bit key map, the baseline of new-terms logic, text
 * and raw-record helpers.
 */
#include "detect/lateral.h"

#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- interned strings ---------------------------------------------------------- */

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void km_lat_pool_init(struct km_lat_pool *p, size_t max_bytes)
{
    memset(p, 0, sizeof *p);
    p->max_bytes = max_bytes ? max_bytes : (256u << 20);
}

void km_lat_pool_free(struct km_lat_pool *p)
{
    free(p->text);
    free(p->off);
    free(p->slot);
    memset(p, 0, sizeof *p);
}

static int pool_eq(const struct km_lat_pool *p, uint32_t id, const char *s, size_t n)
{
    const char *t = p->text + p->off[id];
    return strncmp(t, s, n) == 0 && t[n] == 0;
}

uint32_t km_lat_find(const struct km_lat_pool *p, const char *s, size_t n)
{
    if (!s || !n || !p->nslot)
        return 0;
    const char *z = memchr(s, 0, n);
    if (z)
        n = (size_t)(z - s);
    if (!n)
        return 0;
    uint32_t mask = p->nslot - 1;
    for (uint32_t i = (uint32_t)fnv(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t id = p->slot[i];
        if (!id)
            return 0;
        if (pool_eq(p, id, s, n))
            return id;
    }
}

static void pool_grow(struct km_lat_pool *p)
{
    uint32_t ns = p->nslot ? p->nslot * 2 : 1024;
    uint32_t *sl = km_xcalloc(ns, sizeof *sl);
    for (uint32_t id = 1; id <= p->n; id++) {
        const char *t = p->text + p->off[id];
        uint32_t i = (uint32_t)fnv(t, strlen(t)) & (ns - 1);
        while (sl[i])
            i = (i + 1) & (ns - 1);
        sl[i] = id;
    }
    free(p->slot);
    p->slot = sl;
    p->nslot = ns;
}

uint32_t km_lat_intern(struct km_lat_pool *p, const char *s, size_t n)
{
    if (!s || !n)
        return 0;
    const char *z = memchr(s, 0, n);
    if (z)
        n = (size_t)(z - s);
    uint32_t id = km_lat_find(p, s, n);
    if (id)
        return id;
    if (!n || p->ntext + n + 1 > p->max_bytes || p->n + 1 >= UINT32_MAX / 2) {
        p->full = 1;
        return 0;
    }
    if ((p->n + 1) * 2 >= p->nslot)
        pool_grow(p);
    if (p->ntext + n + 1 > p->captext) {
        size_t nc = p->captext ? p->captext * 2 : 65536;
        while (nc < p->ntext + n + 1)
            nc *= 2;
        p->text = km_xrealloc(p->text, nc);
        p->captext = nc;
    }
    if (p->n + 2 > p->capn) {
        p->capn = p->capn ? p->capn * 2 : 1024;
        p->off = km_xrealloc(p->off, p->capn * sizeof *p->off);
    }
    id = ++p->n;
    p->off[id] = (uint32_t)p->ntext;
    memcpy(p->text + p->ntext, s, n);
    p->text[p->ntext + n] = 0;
    p->ntext += n + 1;
    uint32_t mask = p->nslot - 1;
    uint32_t i = (uint32_t)fnv(s, n) & mask;
    while (p->slot[i])
        i = (i + 1) & mask;
    p->slot[i] = id;
    return id;
}

const char *km_lat_str(const struct km_lat_pool *p, uint32_t id)
{
    return id && id <= p->n ? p->text + p->off[id] : "";
}

/* ---- the map ------------------------------------------------------------------- */

static uint32_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (uint32_t)k;
}

void km_lat_map_init(struct km_lat_map *m)
{
    memset(m, 0, sizeof *m);
}

void km_lat_map_free(struct km_lat_map *m)
{
    free(m->key);
    free(m->val);
    memset(m, 0, sizeof *m);
}

int64_t *km_lat_map_get(const struct km_lat_map *m, uint64_t key)
{
    if (!key || !m->cap)
        return NULL;
    for (uint32_t i = mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->key[i] == key)
            return &m->val[i];
        if (!m->key[i])
            return NULL;
    }
}

int64_t *km_lat_map_put(struct km_lat_map *m, uint64_t key, int64_t dflt, int *added)
{
    if (added)
        *added = 0;
    if (!key)
        return NULL;
    int64_t *v = km_lat_map_get(m, key);
    if (v)
        return v;
    if ((m->n + 1) * 2 > m->cap) {
        uint32_t nc = m->cap ? m->cap * 2 : 256;
        uint64_t *nk = km_xcalloc(nc, sizeof *nk);
        int64_t *nv = km_xcalloc(nc, sizeof *nv);
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->key[i]) {
                uint32_t j = mix(m->key[i]) & (nc - 1);
                while (nk[j])
                    j = (j + 1) & (nc - 1);
                nk[j] = m->key[i];
                nv[j] = m->val[i];
            }
        free(m->key);
        free(m->val);
        m->key = nk;
        m->val = nv;
        m->cap = nc;
    }
    uint32_t i = mix(key) & (m->cap - 1);
    while (m->key[i])
        i = (i + 1) & (m->cap - 1);
    m->key[i] = key;
    m->val[i] = dflt;
    m->n++;
    if (added)
        *added = 1;
    return &m->val[i];
}

/* ---- new terms ------------------------------------------------------------------- */

int64_t km_lat_baseline_end(int64_t t0, int64_t t1, int64_t history)
{
    if (history <= 0 || t1 < t0 || t1 - t0 < 2 * history)
        return INT64_MIN;
    return t0 + history;
}

/* ---- text ------------------------------------------------------------------------- */

void km_lat_duration(int64_t us, char *out, size_t cap)
{
    int64_t s = us / 1000000;
    if (s < 0)
        s = -s;
    const char *unit;
    int64_t v;
    if (s < 90) {
        v = s;
        unit = "second";
    } else if (s < 90 * 60) {
        v = (s + 30) / 60;
        unit = "minute";
    } else if (s < 36 * 3600) {
        v = (s + 1800) / 3600;
        unit = "hour";
    } else {
        v = (s + 43200) / 86400;
        unit = "day";
    }
    snprintf(out, cap, "%lld %s%s", (long long)v, unit, v == 1 ? "" : "s");
}

void km_lat_cpy(char *out, size_t cap, struct km_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(out, s.p, n);
    out[n] = 0;
}

const char *km_lat_tail(const char *s)
{
    const char *t = strrchr(s, '/');
    return t && t[1] ? t + 1 : s;
}

void km_lat_json_kv(struct km_buf *b, const char *key, const char *val, int first)
{
    if (!first)
        km_buf_addc(b, ',');
    km_json_write_str(b, key, strlen(key));
    km_buf_addc(b, ':');
    if (!val || !*val)
        km_buf_adds(b, "null");
    else
        km_json_write_str(b, val, strlen(val));
}

/* ---- raw records --------------------------------------------------------------- */

const struct km_json *km_lat_embedded(const struct km_json *v, struct km_arena *a)
{
    if (!v)
        return NULL;
    if (v->type == KM_JSON_OBJECT || v->type == KM_JSON_ARRAY)
        return v;
    if (v->type != KM_JSON_STRING || v->len < 2 || v->len > (4u << 20))
        return NULL;
    size_t i = 0;
    while (i < v->len && (v->str[i] == ' ' || v->str[i] == '\n' || v->str[i] == '\t'))
        i++;
    if (i == v->len || (v->str[i] != '{' && v->str[i] != '['))
        return NULL;
    char *copy = km_arena_strndup(a, v->str, v->len);
    if (!copy)
        return NULL;
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse(copy, v->len, NULL, a, &root, &e) != KM_OK)
        return NULL;
    return root;
}

struct km_str km_lat_jstr(const struct km_json *v)
{
    if (!v || v->type != KM_JSON_STRING || !v->len)
        return KM_STR_NONE;
    return (struct km_str){v->str, v->len};
}
