/*
 * keyuse.c — helpers shared by leaked_key and recon_burst (keyuse.h):
 * long-term credential ids, networks and client platforms, interning with
 * per-segment dictionary caches, and the two history scans.
 */
#include "detect/keyuse.h"

#include "core/conf.h"
#include "core/ip.h"
#include "geo/geo.h"
#include "store/segment.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- classification ------------------------------------------------------------ */

int km_ku_longterm(const char *v, size_t n)
{
    if (!v)
        return 0;
    if (n == 20 && memcmp(v, "AKIA", 4) == 0) {
        for (size_t i = 4; i < n; i++)
            if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9')))
                return 0;
        return 1;
    }
    /* Google: //iam.googleapis.com/projects/P/serviceAccounts/SA/keys/KEYID */
    if (n > 30 && n < 1024 && memmem(v, n, "serviceAccounts/", 16) && memmem(v, n, "/keys/", 6)) {
        const char *k = memmem(v, n, "/keys/", 6);
        return (size_t)(k - v) + 6 < n;   /* a key id follows */
    }
    return 0;
}

uint64_t km_ku_hash(const void *s, size_t n, uint64_t seed)
{
    const unsigned char *p = s;
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h ? h : 1;
}

int km_ku_net(struct km_str ip, int v4bits, int v6bits, uint64_t *id, char text[64])
{
    *id = 0;
    if (text)
        text[0] = 0;
    uint8_t a[16];
    if (!ip.p || !ip.n || km_ip_parse(ip.p, ip.n, a, NULL) != KM_OK)
        return 0;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int v4 = memcmp(a, mapped, 12) == 0;
    int bits = v4 ? 96 + (v4bits < 0 ? 0 : v4bits > 32 ? 32 : v4bits)
                  : (v6bits < 0 ? 0 : v6bits > 128 ? 128 : v6bits);
    for (int i = 0; i < 16; i++) {
        int keep = bits - 8 * i;
        if (keep <= 0)
            a[i] = 0;
        else if (keep < 8)
            a[i] &= (uint8_t)(0xff << (8 - keep));
    }
    uint8_t buf[17];
    memcpy(buf, a, 16);
    buf[16] = (uint8_t)bits;
    *id = km_ku_hash(buf, sizeof buf, 0x6e6574);
    if (text) {
        char t[KM_IP_TEXT_MAX];
        km_ip_fmt(a, v4, t);
        snprintf(text, 64, "%s/%d", t, v4 ? bits - 96 : bits);
    }
    return 1;
}

int km_ku_internal(struct km_str ip)
{
    uint8_t a[16];
    if (!ip.p || km_ip_parse(ip.p, ip.n, a, NULL) != KM_OK)
        return 0;
    static const struct {
        const char *net;
        int bits;
    } nets[] = {
        {"10.0.0.0/8", 0}, {"172.16.0.0/12", 0}, {"192.168.0.0/16", 0}, {"100.64.0.0/10", 0},
        {"127.0.0.0/8", 0},   {"169.254.0.0/16", 0}, {"0.0.0.0/8", 0},     {"fc00::/7", 0},
        {"fe80::/10", 0},     {"::1/128", 0},        {"::/128", 0},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(nets); i++) {
        uint8_t n[16];
        int bits;
        if (km_ip_cidr_parse(nets[i].net, strlen(nets[i].net), n, &bits) == KM_OK &&
            km_ip_in_net(a, n, bits))
            return 1;
    }
    return 0;
}

static int has(const char *lc, size_t n, const char *needle)
{
    return memmem(lc, n, needle, strlen(needle)) != NULL;
}

void km_ku_platform(struct km_str ua, char out[32])
{
    out[0] = 0;
    if (!ua.p || !ua.n)
        return;
    char lc[512];
    size_t n = ua.n < sizeof lc ? ua.n : sizeof lc;
    for (size_t i = 0; i < n; i++)
        lc[i] = (char)tolower((unsigned char)ua.p[i]);
    static const char *const distro[] = {"kali", "parrot", "blackarch", "pentoo"};
    for (size_t i = 0; i < KM_ARRAY_LEN(distro); i++)
        if (has(lc, n, distro[i])) {
            snprintf(out, 32, "linux/%s", distro[i]);
            return;
        }
    if (has(lc, n, "aws internal") || has(lc, n, "aws-internal") ||
        (n > 14 && memcmp(lc + n - 14, ".amazonaws.com", 14) == 0)) {
        snprintf(out, 32, "aws-internal");
        return;
    }
    static const struct {
        const char *needle, *name;
    } os[] = {
        {"windows", "windows"}, {"win32", "windows"},  {"win64", "windows"},
        {"android", "android"}, {"iphone", "ios"},     {"ipad", "ios"},
        {"mac os x", "macos"},  {"macos", "macos"},    {"darwin", "macos"},
        {"macintosh", "macos"}, {"linux", "linux"},    {"ubuntu", "linux"},
        {"debian", "linux"},    {"amzn", "linux"},     {"cros", "chromeos"},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(os); i++)
        if (has(lc, n, os[i].needle)) {
            snprintf(out, 32, "%s", os[i].name);
            return;
        }
    /* no platform named: the first product token, "[" of bracketed agents skipped */
    size_t i = 0;
    while (i < n && (lc[i] == '[' || lc[i] == ' '))
        i++;
    size_t j = i;
    while (j < n && j - i < 24 && lc[j] != '/' && lc[j] != ' ' && lc[j] != '(' && lc[j] != ']')
        j++;
    if (j > i)
        snprintf(out, 32, "%.*s", (int)(j - i), lc + i);
    else
        snprintf(out, 32, "other");
}

int km_ku_tool(struct km_str ua, const char *const *tools, size_t n, char out[32])
{
    out[0] = 0;
    if (!ua.p || !ua.n || !n)
        return 0;
    char lc[1024];
    size_t len = ua.n < sizeof lc ? ua.n : sizeof lc;
    for (size_t i = 0; i < len; i++)
        lc[i] = (char)tolower((unsigned char)ua.p[i]);
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(tools[i]);
        if (!k || k > len || k > 64)
            continue;
        char t[64];
        for (size_t j = 0; j < k; j++)
            t[j] = (char)tolower((unsigned char)tools[i][j]);
        if (memmem(lc, len, t, k)) {
            snprintf(out, 32, "%s", tools[i]);
            return 1;
        }
    }
    return 0;
}

size_t km_ku_conf_list(const struct km_conf *c, const char *key, char *buf, size_t cap,
                       const char **items, size_t max)
{
    if (!cap)
        return 0;
    snprintf(buf, cap, "%s", km_conf_str(c, key));
    size_t n = 0;
    for (char *p = buf; *p && n < max;) {
        char *end = strchr(p, ',');
        if (end)
            *end = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        char *z = p + strlen(p);
        while (z > p && (z[-1] == ' ' || z[-1] == '\t'))
            *--z = 0;
        if (*p)
            items[n++] = p;
        if (!end)
            break;
        p = end + 1;
    }
    return n;
}

/* ---- interning --------------------------------------------------------------------- */

void km_ku_intern_init(struct km_ku_intern *t, uint32_t max, size_t bytes)
{
    memset(t, 0, sizeof *t);
    km_arena_init(&t->a, 0, bytes);
    t->max = max;
}

void km_ku_intern_free(struct km_ku_intern *t)
{
    km_arena_free(&t->a);
    free(t->s);
    free(t->len);
    free(t->tab);
    memset(t, 0, sizeof *t);
}

static uint32_t slot_of(const struct km_ku_intern *t, const char *s, size_t n, uint64_t h)
{
    uint32_t mask = t->tcap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        uint32_t id = t->tab[i];
        if (!id || (t->len[id] == n && memcmp(t->s[id], s, n) == 0))
            return i;
    }
}

uint32_t km_ku_intern_find(const struct km_ku_intern *t, const char *s, size_t n)
{
    if (!t->tcap || !s)
        return 0;
    return t->tab[slot_of(t, s, n, km_ku_hash(s, n, 0))];
}

uint32_t km_ku_intern(struct km_ku_intern *t, const char *s, size_t n)
{
    if (!s)
        return 0;
    if (t->tcap < 2 * (t->n + 1) + 16) {
        uint32_t nc = t->tcap ? 2 * t->tcap : 64;
        free(t->tab);
        t->tab = km_xcalloc(nc, sizeof *t->tab);
        t->tcap = nc;
        for (uint32_t id = 1; id <= t->n; id++)
            t->tab[slot_of(t, t->s[id], t->len[id], km_ku_hash(t->s[id], t->len[id], 0))] = id;
    }
    uint64_t h = km_ku_hash(s, n, 0);
    uint32_t i = slot_of(t, s, n, h);
    if (t->tab[i])
        return t->tab[i];
    if (t->n >= t->max) {
        t->overflow++;
        return 0;
    }
    char *c = km_arena_strndup(&t->a, s, n);
    if (!c) {
        t->overflow++;
        return 0;
    }
    if (t->n + 2 > t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->s = km_xrealloc(t->s, t->cap * sizeof *t->s);
        t->len = km_xrealloc(t->len, t->cap * sizeof *t->len);
    }
    uint32_t id = ++t->n;
    t->s[id] = c;
    t->len[id] = (uint32_t)n;
    t->tab[i] = id;
    return id;
}

/* ---- per-segment caches ------------------------------------------------------------- */

#define CMAP_MAX_CODE (1u << 24)

uint32_t km_ku_cmap_get(struct km_ku_cmap *m, const struct km_hrow *r, uint32_t code)
{
    if (!m->used || m->seg != r->ref.seg) {
        if (m->v)
            memset(m->v, 0, m->cap * sizeof *m->v);
        m->seg = r->ref.seg;
        m->used = 1;
    }
    return code < m->cap ? m->v[code] : 0;
}

void km_ku_cmap_put(struct km_ku_cmap *m, uint32_t code, uint32_t v)
{
    if (code >= CMAP_MAX_CODE)
        return;
    if (code >= m->cap) {
        uint32_t nc = m->cap ? m->cap : 256;
        while (nc <= code)
            nc *= 2;
        m->v = km_xrealloc(m->v, nc * sizeof *m->v);
        memset(m->v + m->cap, 0, (nc - m->cap) * sizeof *m->v);
        m->cap = nc;
    }
    m->v[code] = v + 1;
}

void km_ku_cmap_free(struct km_ku_cmap *m)
{
    free(m->v);
    memset(m, 0, sizeof *m);
}

uint32_t km_ku_field_id(struct km_ku_cmap *m, struct km_ku_intern *t, const struct km_hrow *r,
                        int field)
{
    if (!m->used || m->seg != r->ref.seg) {
        km_ku_cmap_get(m, r, 0);   /* resets for the new segment */
        m->kind = km_seg_field_kind(r->seg, field);
    }
    if (m->kind == KM_SEG_ABSENT)
        return 0;
    uint32_t code = km_hrow_code(r, field);
    if (!code && m->kind == KM_SEG_DICT)
        return 0;   /* absent in this row */
    if (code) {
        uint32_t c = km_ku_cmap_get(m, r, code);
        if (c)
            return c - 1;
    }
    struct km_str v = km_hrow_str(r, field);
    uint32_t id = v.p ? km_ku_intern(t, v.p, v.n) : 0;
    if (code)
        km_ku_cmap_put(m, code, id);
    return id;
}

/* ---- store start ------------------------------------------------------------------ */

struct startctx {
    int64_t t;
};

static int start_row(void *vctx, const struct km_hrow *r)
{
    struct startctx *c = vctx;
    c->t = r->time;
    return 1;
}

int64_t km_ku_store_start(struct km_hunt *h, const char *provider)
{
    struct startctx c = {INT64_MAX};
    const char *vals[1] = {provider};
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_PROVIDER;
    sc.cond[0].vals = vals;
    sc.cond[0].nvals = 1;
    sc.ncond = 1;
    sc.row = start_row;
    sc.ctx = &c;
    struct km_err e;
    km_err_clear(&e);
    km_hunt_scan(h, &sc, &e);
    return c.t;
}

/* ---- organisation's networks --------------------------------------------------------- */

struct netset {
    uint64_t *net;           /* open addressing, 0 empty */
    uint32_t *first;         /* first query of that net + 1 */
    uint32_t cap;
};

static void netset_init(struct netset *s, size_t n)
{
    s->cap = 64;
    while (s->cap < 2 * n + 16)
        s->cap *= 2;
    s->net = km_xcalloc(s->cap, sizeof *s->net);
    s->first = km_xcalloc(s->cap, sizeof *s->first);
}

static uint32_t netset_slot(const struct netset *s, uint64_t net)
{
    uint32_t mask = s->cap - 1;
    for (uint32_t i = (uint32_t)(net ^ (net >> 32)) & mask;; i = (i + 1) & mask)
        if (!s->net[i] || s->net[i] == net)
            return i;
}

static void netset_free(struct netset *s)
{
    free(s->net);
    free(s->first);
}

#define ORG_MAX_DAYS 64

struct orgctx {
    struct km_ku_orgq *q;
    size_t n;
    uint32_t *next;          /* next query with the same net (or country) + 1 */
    uint32_t *keyid;         /* query's key id in keys */
    int32_t (*days)[ORG_MAX_DAYS];
    int32_t (*pdays)[ORG_MAX_DAYS];
    struct netset ns;
    uint16_t cc[64];         /* queried countries and their first query + 1 */
    uint32_t ccfirst[64];
    int ncc;
    struct km_geo *geo;
    struct km_ku_intern keys;
    struct km_ku_cmap cm_ip, cm_key, cm_out;
    uint32_t (*heads)[2];    /* cm_ip values index this: {net's first query, country's} */
    uint32_t nheads, capheads;
    int v4, v6;
    int32_t max_day;
    char prefix[32][20];     /* IPv4 networks' text prefixes, when /8, /16, /24 */
    size_t plen[32];
    int nprefix;
};

static uint16_t cc_of(struct km_geo *g, struct km_str ip)
{
    if (!g || !ip.p)
        return 0;
    struct km_geo_rec r;
    km_geo_lookup(g, ip.p, ip.n, &r);
    return r.country[0] && r.country[1] ? (uint16_t)((uint8_t)r.country[0] << 8 | (uint8_t)r.country[1])
                                        : 0;
}

static uint32_t cc_first(const struct orgctx *c, uint16_t cc)
{
    for (int i = 0; i < c->ncc; i++)
        if (c->cc[i] == cc)
            return c->ccfirst[i];
    return 0;
}

static int org_pred(void *vctx, const char *v, size_t n)
{
    struct orgctx *c = vctx;
    struct km_str ip = {v, (uint32_t)n};
    if (c->ncc && cc_first(c, cc_of(c->geo, ip)))
        return 1;
    /* fast path for dotted quads: the networks' text prefixes ("203.0.113.")
     * decide without parsing (canonical IPv4 text has no leading zeros) */
    if (c->nprefix && !memchr(v, ':', n)) {
        int hit = 0;
        for (int i = 0; i < c->nprefix && !hit; i++)
            hit = n > c->plen[i] && memcmp(v, c->prefix[i], c->plen[i]) == 0;
        if (!hit)
            return 0;
    }
    uint64_t id;
    if (!km_ku_net(ip, c->v4, c->v6, &id, NULL))
        return 0;
    return c->ns.net[netset_slot(&c->ns, id)] != 0;
}

static void count_day(int32_t *d, uint32_t *n, int32_t day)
{
    uint32_t k = 0;
    while (k < *n && d[k] != day)
        k++;
    if (k == *n && *n < ORG_MAX_DAYS)
        d[(*n)++] = day;
}

static int org_row(void *vctx, const struct km_hrow *r)
{
    struct orgctx *c = vctx;
    int32_t day = (int32_t)(r->time >= 0 ? r->time / KM_KU_DAY_US : (r->time + 1) / KM_KU_DAY_US - 1);
    if (day >= c->max_day)
        return 0;
    /* successful calls only */
    uint32_t oc = km_hrow_code(r, KM_F_OUTCOME), ok = 0;
    uint32_t cached = oc ? km_ku_cmap_get(&c->cm_out, r, oc) : 0;
    if (cached) {
        ok = cached - 1;
    } else {
        ok = km_str_eqc(km_hrow_str(r, KM_F_OUTCOME), "success");
        if (oc)
            km_ku_cmap_put(&c->cm_out, oc, ok);
    }
    if (!ok)
        return 0;
    /* the queries of the address's network and country */
    uint32_t ic = km_hrow_code(r, KM_F_SRC_IP), hi = 0;
    cached = ic ? km_ku_cmap_get(&c->cm_ip, r, ic) : 0;
    if (cached) {
        hi = cached - 1;
    } else {
        struct km_str ip = km_hrow_str(r, KM_F_SRC_IP);
        uint64_t id;
        uint32_t qn = 0, qc = 0;
        if (km_ku_net(ip, c->v4, c->v6, &id, NULL))
            qn = c->ns.first[netset_slot(&c->ns, id)];
        if (c->ncc)
            qc = cc_first(c, cc_of(c->geo, ip));
        if (c->nheads == c->capheads) {
            c->capheads = c->capheads ? 2 * c->capheads : 256;
            c->heads = km_xrealloc(c->heads, c->capheads * sizeof *c->heads);
        }
        c->heads[c->nheads][0] = qn;
        c->heads[c->nheads][1] = qc;
        hi = c->nheads++;
        if (ic)
            km_ku_cmap_put(&c->cm_ip, ic, hi);
    }
    if (hi >= c->nheads || (!c->heads[hi][0] && !c->heads[hi][1]))
        return 0;
    /* which queried key made the call (0: none of them) */
    uint32_t kc = km_hrow_code(r, KM_F_ACTOR_ACCESS_KEY), kid = 0;
    cached = kc ? km_ku_cmap_get(&c->cm_key, r, kc) : 0;
    if (cached) {
        kid = cached - 1;
    } else {
        struct km_str k = km_hrow_str(r, KM_F_ACTOR_ACCESS_KEY);
        kid = k.p ? km_ku_intern_find(&c->keys, k.p, k.n) : 0;
        if (kc)
            km_ku_cmap_put(&c->cm_key, kc, kid);
    }
    for (int w = 0; w < 2; w++)
        for (uint32_t i = c->heads[hi][w]; i; i = c->next[i - 1]) {
            struct km_ku_orgq *q = &c->q[i - 1];
            if (q->hind ? day == q->day : day >= q->day)
                continue;
            if (q->person >= 0 && r->person == q->person)
                count_day(c->pdays[i - 1], &q->pdays, day);
            if (!(kid && kid == c->keyid[i - 1]))
                count_day(c->days[i - 1], &q->days, day);
        }
    return 0;
}

int km_ku_org_days(struct km_hunt *h, struct km_ku_orgq *q, size_t n, int v4bits, int v6bits,
                   struct km_err *err)
{
    if (!n)
        return KM_OK;
    struct orgctx c;
    memset(&c, 0, sizeof c);
    c.q = q;
    c.n = n;
    c.v4 = v4bits;
    c.v6 = v6bits;
    c.geo = km_hunt_geo(h);
    c.next = km_xcalloc(n, sizeof *c.next);
    c.keyid = km_xcalloc(n, sizeof *c.keyid);
    c.days = km_xcalloc(n, sizeof *c.days);
    c.pdays = km_xcalloc(n, sizeof *c.pdays);
    km_ku_intern_init(&c.keys, (uint32_t)n + 1, 64u << 20);
    netset_init(&c.ns, n);
    c.max_day = INT32_MIN;
    int persons = 0;
    for (size_t i = 0; i < n; i++) {
        q[i].days = q[i].pdays = 0;
        if (q[i].hind)
            c.max_day = INT32_MAX;
        else if (q[i].day > c.max_day)
            c.max_day = q[i].day;
        c.keyid[i] = q[i].key && *q[i].key ? km_ku_intern(&c.keys, q[i].key, strlen(q[i].key)) : 0;
        persons |= q[i].person >= 0;
        if (q[i].cc[0] && q[i].cc[1]) {
            uint16_t cc = (uint16_t)((uint8_t)q[i].cc[0] << 8 | (uint8_t)q[i].cc[1]);
            int k = 0;
            while (k < c.ncc && c.cc[k] != cc)
                k++;
            if (k == c.ncc) {
                if (c.ncc == 64)
                    continue;   /* more countries than anyone asks about: not counted */
                c.cc[c.ncc] = cc;
                c.ccfirst[c.ncc++] = 0;
            }
            c.next[i] = c.ccfirst[k];
            c.ccfirst[k] = (uint32_t)i + 1;
            continue;
        }
        if (!q[i].net)
            continue;
        uint32_t s = netset_slot(&c.ns, q[i].net);
        c.ns.net[s] = q[i].net;
        c.next[i] = c.ns.first[s];
        c.ns.first[s] = (uint32_t)i + 1;
    }
    /* text prefixes of the IPv4 networks */
    if (c.v4 % 8 == 0 && c.v4 >= 8 && c.v4 <= 24) {
        for (size_t i = 0; i < n && c.nprefix >= 0; i++) {
            if (q[i].cc[0])
                continue;
            if (!q[i].ip || !*q[i].ip || strchr(q[i].ip, ':')) {
                if (q[i].ip && strchr(q[i].ip, ':'))
                    continue;   /* IPv6 values are parsed anyway */
                c.nprefix = -1;
                break;
            }
            char pre[20];
            const char *p = q[i].ip;
            int dots = 0;
            size_t k = 0;
            while (p[k] && k < sizeof pre - 1 && dots < c.v4 / 8) {
                pre[k] = p[k];
                if (p[k++] == '.')
                    dots++;
            }
            if (dots < c.v4 / 8 || c.nprefix == 32) {
                c.nprefix = -1;
                break;
            }
            int dup = 0;
            for (int j = 0; j < c.nprefix && !dup; j++)
                dup = c.plen[j] == k && memcmp(c.prefix[j], pre, k) == 0;
            if (!dup) {
                memcpy(c.prefix[c.nprefix], pre, k);
                c.plen[c.nprefix++] = k;
            }
        }
        if (c.nprefix < 0)
            c.nprefix = 0;
    }
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_SRC_IP;
    sc.cond[0].pred = org_pred;
    sc.cond[0].pctx = &c;
    sc.ncond = 1;
    sc.persons = persons && km_hunt_graph(h) != NULL;
    sc.row = org_row;
    sc.ctx = &c;
    int rc = km_hunt_scan(h, &sc, err);
    free(c.next);
    free(c.keyid);
    free(c.days);
    free(c.pdays);
    free(c.heads);
    km_ku_intern_free(&c.keys);
    netset_free(&c.ns);
    km_ku_cmap_free(&c.cm_ip);
    km_ku_cmap_free(&c.cm_key);
    km_ku_cmap_free(&c.cm_out);
    return rc;
}

/* ---- a key's earlier networks ---------------------------------------------------------- */

struct knctx {
    struct km_ku_keyq *q;
    uint32_t *first;         /* key id -> first query + 1 */
    uint32_t *next;
    uint8_t *in_window, *net_any, *net_win;
    struct km_ku_intern keys;
    struct km_ku_cmap cm_key, cm_ip;
    uint64_t *nets;          /* cm_ip values index this */
    uint32_t nnets, capnets;
    int64_t window;
    int v4, v6;
};

static int kn_row(void *vctx, const struct km_hrow *r)
{
    struct knctx *c = vctx;
    uint32_t kc = km_hrow_code(r, KM_F_ACTOR_ACCESS_KEY), kid = 0;
    uint32_t cached = kc ? km_ku_cmap_get(&c->cm_key, r, kc) : 0;
    if (cached) {
        kid = cached - 1;
    } else {
        struct km_str k = km_hrow_str(r, KM_F_ACTOR_ACCESS_KEY);
        kid = k.p ? km_ku_intern_find(&c->keys, k.p, k.n) : 0;
        if (kc)
            km_ku_cmap_put(&c->cm_key, kc, kid);
    }
    if (!kid)
        return 0;
    uint32_t ic = km_hrow_code(r, KM_F_SRC_IP);
    uint64_t net = 0;
    cached = ic ? km_ku_cmap_get(&c->cm_ip, r, ic) : 0;
    if (cached) {
        net = cached - 1 < c->nnets ? c->nets[cached - 1] : 0;
    } else {
        km_ku_net(km_hrow_str(r, KM_F_SRC_IP), c->v4, c->v6, &net, NULL);
        if (ic) {
            if (c->nnets == c->capnets) {
                c->capnets = c->capnets ? 2 * c->capnets : 256;
                c->nets = km_xrealloc(c->nets, c->capnets * sizeof *c->nets);
            }
            c->nets[c->nnets] = net;
            km_ku_cmap_put(&c->cm_ip, ic, c->nnets++);
        }
    }
    for (uint32_t i = c->first[kid]; i; i = c->next[i - 1]) {
        struct km_ku_keyq *q = &c->q[i - 1];
        if (r->time < q->first)
            q->first = r->time;
        if (r->time >= q->t) {
            int64_t d0 = q->t / KM_KU_DAY_US, d = r->time / KM_KU_DAY_US;
            if (d > d0 && r->time <= q->t + c->window) {
                q->seen_after = 1;
                if (net && net == q->net)
                    q->net_after = 1;
            }
            continue;
        }
        q->seen_before = 1;
        int win = r->time >= q->t - c->window;
        if (win)
            c->in_window[i - 1] = 1;
        if (net && net == q->net) {
            c->net_any[i - 1] = 1;
            if (win)
                c->net_win[i - 1] = 1;
        }
    }
    return 0;
}

int km_ku_key_nets(struct km_hunt *h, struct km_ku_keyq *q, size_t n, int64_t window,
                   int v4bits, int v6bits, struct km_err *err)
{
    if (!n)
        return KM_OK;
    struct knctx c;
    memset(&c, 0, sizeof c);
    c.q = q;
    c.window = window;
    c.v4 = v4bits;
    c.v6 = v6bits;
    km_ku_intern_init(&c.keys, (uint32_t)n + 1, 64u << 20);
    c.next = km_xcalloc(n, sizeof *c.next);
    c.first = km_xcalloc(n + 2, sizeof *c.first);
    c.in_window = km_xcalloc(n, 1);
    c.net_any = km_xcalloc(n, 1);
    c.net_win = km_xcalloc(n, 1);
    const char **vals = km_xcalloc(n, sizeof *vals);
    int nvals = 0;
    for (size_t i = 0; i < n; i++) {
        q[i].seen_before = q[i].net_known = q[i].seen_after = q[i].net_after = 0;
        q[i].first = INT64_MAX;
        uint32_t before = c.keys.n;
        uint32_t kid = km_ku_intern(&c.keys, q[i].key, strlen(q[i].key));
        if (!kid)
            continue;
        if (c.keys.n != before)
            vals[nvals++] = q[i].key;
        c.next[i] = c.first[kid];
        c.first[kid] = (uint32_t)i + 1;
    }
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACTOR_ACCESS_KEY;
    sc.cond[0].vals = vals;
    sc.cond[0].nvals = nvals;
    sc.ncond = 1;
    sc.row = kn_row;
    sc.ctx = &c;
    int rc = km_hunt_scan(h, &sc, err);
    for (size_t i = 0; i < n; i++)
        q[i].net_known = c.net_win[i] || (!c.in_window[i] && c.net_any[i]);
    free(vals);
    free(c.next);
    free(c.first);
    free(c.in_window);
    free(c.net_any);
    free(c.net_win);
    free(c.nets);
    km_ku_intern_free(&c.keys);
    km_ku_cmap_free(&c.cm_key);
    km_ku_cmap_free(&c.cm_ip);
    return rc;
}
