/*
 * det_auth.c — classifying sign-in events and collecting credential checks
 * for password_spray and brute_force (det_auth.h).
 */
#include "detect/det_auth.h"

#include "core/conf.h"
#include "core/ip.h"
#include "core/timeparse.h"
#include "geo/geo.h"
#include "ident/ident.h"
#include "store/segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EVENTS (4u << 20)        /* per array */
#define MAX_POOL (256u << 20)        /* interned text */

const char *const km_auth_provider_names[] = {"aws", "azure", "workspace", "m365"};
enum { P_AWS = 0, P_AZURE, P_WORKSPACE, P_M365 };
enum { C_ENTRA_FAIL = 0, C_ENTRA_LOCK, C_ENTRA_ACCEPT, C_M365_FAIL, C_M365_LOCK };

static const char HIDDEN[] = "HIDDEN_DUE_TO_SECURITY_REASONS";

/* ---- interning --------------------------------------------------------------- */

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)p[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

/* Appends text + NUL to the pool; returns its offset, UINT32_MAX when full. */
static uint32_t pool_add(struct km_auth *a, const char *p, size_t n)
{
    if (a->npool + n + 1 > MAX_POOL)
        return UINT32_MAX;
    if (a->npool + n + 1 > a->cappool) {
        size_t c = a->cappool ? a->cappool : 4096;
        while (c < a->npool + n + 1)
            c *= 2;
        a->pool = km_xrealloc(a->pool, c);
        a->cappool = c;
    }
    uint32_t off = (uint32_t)a->npool;
    if (n)
        memcpy(a->pool + off, p, n);
    a->pool[off + n] = 0;
    a->npool += n + 1;
    return off;
}

static void tab_grow(struct km_auth_tab *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : 1024;
    uint32_t *slot = km_xcalloc(cap, sizeof *slot);
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t k = (uint32_t)t->hash[i] & (cap - 1);
        while (slot[k])
            k = (k + 1) & (cap - 1);
        slot[k] = i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->cap = cap;
}

/* Finds key p[0..n) in t: its id, or UINT32_MAX (and the slot to fill). */
static uint32_t tab_find(const struct km_auth *a, const struct km_auth_tab *t, const char *p,
                         size_t n, uint64_t h, uint32_t *slot)
{
    if (!t->cap) {
        *slot = 0;
        return UINT32_MAX;
    }
    uint32_t k = (uint32_t)h & (t->cap - 1);
    for (; t->slot[k]; k = (k + 1) & (t->cap - 1)) {
        uint32_t id = t->slot[k] - 1;
        if (t->hash[id] == h && t->len[id] == n && memcmp(a->pool + t->off[id], p, n) == 0)
            return id;
    }
    *slot = k;
    return UINT32_MAX;
}

/* Interns a key: its id (*fresh = 1 when new), or UINT32_MAX at the ceiling. */
static uint32_t tab_intern(struct km_auth *a, struct km_auth_tab *t, const char *p, size_t n,
                           int *fresh)
{
    uint64_t h = fnv(p, n);
    uint32_t slot;
    uint32_t id = tab_find(a, t, p, n, h, &slot);
    *fresh = 0;
    if (id != UINT32_MAX)
        return id;
    if (t->n >= MAX_EVENTS)
        return UINT32_MAX;
    uint32_t off = pool_add(a, p, n);
    if (off == UINT32_MAX)
        return UINT32_MAX;
    if ((t->n + 1) * 2 > t->cap) {
        tab_grow(t);
        tab_find(a, t, p, n, h, &slot);
    }
    if (t->n == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 256;
        t->hash = km_xrealloc(t->hash, t->alloc * sizeof *t->hash);
        t->off = km_xrealloc(t->off, t->alloc * sizeof *t->off);
        t->len = km_xrealloc(t->len, t->alloc * sizeof *t->len);
    }
    id = t->n++;
    t->hash[id] = h;
    t->off[id] = off;
    t->len[id] = (uint32_t)n;
    t->slot[slot] = id + 1;
    *fresh = 1;
    return id;
}

static void tab_free(struct km_auth_tab *t)
{
    free(t->slot);
    free(t->hash);
    free(t->off);
    free(t->len);
    memset(t, 0, sizeof *t);
}

/* ---- settings ------------------------------------------------------------------ */

static size_t list(const struct km_conf *c, const char *id, const char *name,
                   const char *const **items)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", id, name);
    return km_conf_list(c, key, items);
}

void km_auth_init(struct km_auth *a, struct km_hunt *h, const char *id, int by_asn)
{
    memset(a, 0, sizeof *a);
    a->h = h;
    a->by_asn = by_asn;
    const struct km_conf *c = km_hunt_conf(h);
    const char *const *pv;
    size_t np = list(c, id, "providers", &pv);
    for (size_t i = 0; i < np; i++)
        for (int k = 0; k < 4; k++)
            if (strcasecmp(pv[i], km_auth_provider_names[k]) == 0)
                a->prov_on[k] = 1;
    static const char *const names[5] = {"entra_failure_codes", "entra_lockout_codes",
                                         "entra_accepted_codes", "m365_failure_codes",
                                         "m365_lockout_codes"};
    for (int k = 0; k < 5; k++)
        a->ncodes[k] = list(c, id, names[k], &a->codes[k]);
    const char *const *v;
    size_t na = km_conf_list(c, "allow.asns", &v);
    a->allow_asns = km_xcalloc(na + 1, sizeof *a->allow_asns);
    for (size_t i = 0; i < na; i++) {
        const char *x = v[i];
        if ((x[0] == 'A' || x[0] == 'a') && (x[1] == 'S' || x[1] == 's'))
            x += 2;
        unsigned long n = strtoul(x, NULL, 10);
        if (n && n <= UINT32_MAX)
            a->allow_asns[a->nallow_asns++] = (uint32_t)n;
    }
    /* srcs[0]: no address */
    a->alloc_srcs = 256;
    a->srcs = km_xcalloc(a->alloc_srcs, sizeof *a->srcs);
    a->srcs[0].name = pool_add(a, "", 0);
    a->nsrcs = 1;
}

void km_auth_free(struct km_auth *a)
{
    free(a->pool);
    tab_free(&a->src_tab);
    tab_free(&a->id_tab);
    tab_free(&a->ten_tab);
    free(a->srcs);
    free(a->allow_asns);
    free(a->idents);
    free(a->fail);
    free(a->ok);
    memset(a, 0, sizeof *a);
}

const char *km_auth_str(const struct km_auth *a, uint32_t off) { return a->pool + off; }

const char *km_auth_src_name(const struct km_auth *a, uint32_t src)
{
    return src < a->nsrcs ? a->pool + a->srcs[src].name : "";
}

const char *km_auth_ident_name(const struct km_auth *a, uint32_t ident)
{
    return ident < a->nidents ? a->pool + a->idents[ident].name : HIDDEN;
}

int km_auth_ident_person_index(struct km_auth *a, uint32_t ident)
{
    const struct km_idgraph *g = km_hunt_graph(a->h);
    if (ident >= a->nidents || !g)
        return -1;
    struct km_auth_ident *d = &a->idents[ident];
    if (d->person == -2) {
        const char *n = a->pool + d->name;
        d->person = km_idgraph_find_person(g, n, strlen(n));
    }
    return d->person;
}

const char *km_auth_ident_person(struct km_auth *a, uint32_t ident)
{
    int p = km_auth_ident_person_index(a, ident);
    return p >= 0 ? km_idgraph_person(km_hunt_graph(a->h), (size_t)p)->email : NULL;
}

/* ---- classifying ---------------------------------------------------------------- */

static int in_list(const char *const *v, size_t n, struct km_str s)
{
    if (!s.p)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i]) == s.n && memcmp(v[i], s.p, s.n) == 0)
            return 1;
    return 0;
}

static int ends_with(struct km_str s, const char *suf)
{
    size_t n = strlen(suf);
    return s.p && s.n >= n && memcmp(s.p + s.n - n, suf, n) == 0;
}

static int provider_of(struct km_str p)
{
    for (int k = 0; k < 4; k++)
        if (km_str_eqc(p, km_auth_provider_names[k]))
            return k;
    return -1;
}

/* The kind of a row (0: not a credential check kumo counts) and its provider. */
static int classify(const struct km_auth *a, const struct km_hrow *r, int *prov)
{
    int p = provider_of(km_hrow_str(r, KM_F_PROVIDER));
    *prov = p;
    if (p < 0 || !a->prov_on[p])
        return 0;
    struct km_str src = km_hrow_str(r, KM_F_SOURCE), act = km_hrow_str(r, KM_F_ACTION);
    struct km_str out = km_hrow_str(r, KM_F_OUTCOME);
    int ok = km_str_eqc(out, "success");
    switch (p) {
    case P_AWS:
        if (!km_str_eqc(src, "aws.cloudtrail") || !km_str_eqc(act, "ConsoleLogin"))
            return 0;
        return ok ? KM_AUTH_SUCCESS : km_str_eqc(out, "failure") ? KM_AUTH_FAIL : 0;
    case P_AZURE: {
        if (!km_str_eqc(src, "azure.signin") || !act.p ||
            memmem(act.p, act.n, "ServicePrincipal", 16) || memmem(act.p, act.n, "ManagedIdentity", 15))
            return 0;
        if (ok)
            return KM_AUTH_SUCCESS;
        struct km_str code = km_hrow_str(r, KM_F_ERROR_CODE);
        if (in_list(a->codes[C_ENTRA_FAIL], a->ncodes[C_ENTRA_FAIL], code))
            return KM_AUTH_FAIL;
        if (in_list(a->codes[C_ENTRA_LOCK], a->ncodes[C_ENTRA_LOCK], code))
            return KM_AUTH_LOCKOUT;
        if (in_list(a->codes[C_ENTRA_ACCEPT], a->ncodes[C_ENTRA_ACCEPT], code))
            return KM_AUTH_ACCEPTED;
        return 0;
    }
    case P_WORKSPACE:
        if (!km_str_eqc(src, "workspace.login"))
            return 0;
        if (ends_with(act, "loginFailure"))
            return KM_AUTH_FAIL;
        return ends_with(act, "loginSuccess") && ok ? KM_AUTH_SUCCESS : 0;
    case P_M365: {
        if (!km_str_eqc(src, "m365.audit"))
            return 0;
        if (km_str_eqc(act, "UserLoggedIn"))
            return ok ? KM_AUTH_SUCCESS : 0;
        if (!km_str_eqc(act, "UserLoginFailed"))
            return 0;
        struct km_str code = km_hrow_str(r, KM_F_ERROR_CODE);
        if (in_list(a->codes[C_M365_FAIL], a->ncodes[C_M365_FAIL], code))
            return KM_AUTH_FAIL;
        if (in_list(a->codes[C_M365_LOCK], a->ncodes[C_M365_LOCK], code))
            return KM_AUTH_LOCKOUT;
        return 0;
    }
    }
    return 0;
}

/* The identity a sign-in names, as its provider names it (absent: none). */
static struct km_str ident_of(const struct km_hrow *r, int prov, int *hidden)
{
    *hidden = 0;
    if (prov == P_AWS) {
        struct km_str n = km_hrow_str(r, KM_F_ACTOR_NAME);
        if (!n.p || !n.n || km_str_eqc(n, HIDDEN))
            *hidden = 1;
        return n;
    }
    struct km_str e = km_hrow_str(r, KM_F_ACTOR_EMAIL);
    if (e.p && e.n)
        return e;
    struct km_str n = km_hrow_str(r, KM_F_ACTOR_NAME);
    if (n.p && n.n)
        return n;
    return km_hrow_str(r, KM_F_ACTOR_ID);
}

/* The source group key of an address: the address, or "AS<n>". */
static struct km_str group_of(const struct km_auth *a, struct km_str ip, char buf[24],
                              uint32_t *asn)
{
    *asn = 0;
    struct km_geo *g = km_hunt_geo(a->h);
    if (!ip.p || !g)
        return ip;
    struct km_geo_rec rec;
    km_geo_lookup(g, ip.p, ip.n, &rec);
    *asn = rec.asn;
    if (a->by_asn && rec.asn) {
        int n = snprintf(buf, 24, "AS%u", rec.asn);
        return (struct km_str){buf, (uint32_t)n};
    }
    return ip;
}

static int asn_allowed(const struct km_auth *a, uint32_t asn)
{
    for (size_t i = 0; asn && i < a->nallow_asns; i++)
        if (a->allow_asns[i] == asn)
            return 1;
    return 0;
}

static int full(struct km_auth *a, const char *what)
{
    a->full = 1;
    return km_err_set(a->err, KM_ELIMIT, NULL, UINT64_MAX,
                      "more than %u %s in the hunt window: narrow it with --since/--until",
                      MAX_EVENTS, what);
}

/* The source id of a row (KM_AUTH_NOSRC without an address), interning new
 * ones when `add`; UINT32_MAX at the ceiling or when unknown and !add. */
static uint32_t src_id(struct km_auth *a, const struct km_hrow *r, struct km_str ip, int add)
{
    if (!ip.p || !ip.n)
        return KM_AUTH_NOSRC;
    char buf[24];
    uint32_t asn;
    struct km_str key = group_of(a, ip, buf, &asn);
    int fresh;
    uint32_t id;
    if (add) {
        id = tab_intern(a, &a->src_tab, key.p, key.n, &fresh);
    } else {
        uint32_t slot;
        id = tab_find(a, &a->src_tab, key.p, key.n, fnv(key.p, key.n), &slot);
        fresh = 0;
    }
    if (id == UINT32_MAX)
        return UINT32_MAX;
    id += 1;   /* srcs[0] is "no source" */
    if (fresh) {
        if (id >= a->alloc_srcs) {
            a->alloc_srcs *= 2;
            a->srcs = km_xrealloc(a->srcs, a->alloc_srcs * sizeof *a->srcs);
        }
        a->srcs[id].name = a->src_tab.off[id - 1];
        a->srcs[id].country[0] = 0;
        a->nsrcs = id + 1;
    }
    if (!a->srcs[id].country[0]) {
        struct km_str cc = km_hrow_str(r, KM_F_SRC_COUNTRY);
        if (cc.p && cc.n == 2) {
            memcpy(a->srcs[id].country, cc.p, 2);
            a->srcs[id].country[2] = 0;
        } else if (km_hunt_geo(a->h)) {
            struct km_geo_rec rec;
            km_geo_lookup(km_hunt_geo(a->h), ip.p, ip.n, &rec);
            memcpy(a->srcs[id].country, rec.country, 3);
        }
    }
    return id;
}

static uint32_t ident_id(struct km_auth *a, const struct km_hrow *r, int prov, struct km_str name)
{
    struct km_str acct = km_hrow_str(r, KM_F_ACCOUNT);
    char key[1024];
    size_t an = acct.p ? (acct.n < 400 ? acct.n : 400) : 0;
    size_t nn = name.n < 600 ? name.n : 600;
    key[0] = (char)('0' + prov);
    if (an)
        memcpy(key + 1, acct.p, an);
    key[1 + an] = 0;   /* "<p><account>\0<name>": the pool keeps both parts readable */
    memcpy(key + 2 + an, name.p, nn);
    int fresh;
    uint32_t id = tab_intern(a, &a->id_tab, key, 2 + an + nn, &fresh);
    if (id == UINT32_MAX)
        return UINT32_MAX;
    if (fresh) {
        if (id >= a->alloc_idents) {
            a->alloc_idents = a->alloc_idents ? a->alloc_idents * 2 : 256;
            a->idents = km_xrealloc(a->idents, a->alloc_idents * sizeof *a->idents);
        }
        uint32_t off = a->id_tab.off[id];
        a->idents[id].account = off + 1;
        a->idents[id].name = off + 2 + (uint32_t)an;
        a->idents[id].provider = (uint8_t)prov;
        int f2;
        uint32_t ten = tab_intern(a, &a->ten_tab, key, 1 + an, &f2);   /* "<p><account>" */
        a->idents[id].tenant = ten == UINT32_MAX ? 0 : ten;
        a->ntenants = a->ten_tab.n;
        a->idents[id].person = -2;   /* not looked up yet */
        a->nidents = id + 1;
    }
    return id;
}

static int push(struct km_auth *a, struct km_auth_ev **v, size_t *n, size_t *alloc,
                const struct km_auth_ev *e)
{
    if (*n >= MAX_EVENTS)
        return full(a, "sign-in events");
    if (*n == *alloc) {
        *alloc = *alloc ? *alloc * 2 : 1024;
        *v = km_xrealloc(*v, *alloc * sizeof **v);
    }
    (*v)[(*n)++] = *e;
    return KM_OK;
}

/* ---- a per-segment cache ----------------------------------------------------------
 *
 * Successive rows of a segment mostly repeat a few (provider, source, action,
 * outcome, error code) combinations and a few thousand (account, actor)
 * tuples. Within one segment equal dictionary codes are equal values, so the
 * scan of sign-ins classifies each combination and resolves each tuple once,
 * from the codes, instead of comparing strings on every row. Direct-mapped:
 * a collision just recomputes. Fields a segment stores as plain text (no
 * codes) bypass the cache.
 */
#define CLS_SLOTS 512
#define IDC_SLOTS 4096
static const int cls_fields[5] = {KM_F_PROVIDER, KM_F_SOURCE, KM_F_ACTION, KM_F_OUTCOME,
                                  KM_F_ERROR_CODE};
static const int idc_fields[4] = {KM_F_ACCOUNT, KM_F_ACTOR_EMAIL, KM_F_ACTOR_NAME,
                                  KM_F_ACTOR_ID};

struct km_auth_cache {
    const struct km_seg *seg;      /* the segment the entries are for */
    int cls_ok, idc_ok;            /* all their fields are dictionary-coded there */
    struct {
        uint32_t k[5];
        int8_t kind, prov;
        uint8_t used;
    } cls[CLS_SLOTS];
    struct {
        uint32_t k[4];
        uint32_t ident;            /* UINT32_MAX: none (not wanted, absent) */
        uint8_t prov, used;
    } idc[IDC_SLOTS];
};

static uint32_t mix(const uint32_t *k, int n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < n; i++)
        h = (h ^ k[i]) * 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> 32);
}

static void cache_seg(struct km_auth *a, const struct km_hrow *r)
{
    struct km_auth_cache *c = a->cache;
    if (c->seg == r->seg)
        return;
    c->seg = r->seg;
    c->cls_ok = c->idc_ok = 1;
    for (int i = 0; i < 5; i++)
        c->cls_ok &= km_seg_field_kind(r->seg, cls_fields[i]) != KM_SEG_PLAIN;
    for (int i = 0; i < 4; i++)
        c->idc_ok &= km_seg_field_kind(r->seg, idc_fields[i]) != KM_SEG_PLAIN;
    for (int i = 0; i < CLS_SLOTS; i++)
        c->cls[i].used = 0;
    for (int i = 0; i < IDC_SLOTS; i++)
        c->idc[i].used = 0;
}

static int classify(const struct km_auth *a, const struct km_hrow *r, int *prov);

static int classify_cached(struct km_auth *a, const struct km_hrow *r, int *prov)
{
    struct km_auth_cache *c = a->cache;
    if (!c->cls_ok)
        return classify(a, r, prov);
    uint32_t k[5];
    for (int i = 0; i < 5; i++)
        k[i] = km_hrow_code(r, cls_fields[i]);
    uint32_t slot = mix(k, 5) & (CLS_SLOTS - 1);
    if (c->cls[slot].used && memcmp(c->cls[slot].k, k, sizeof k) == 0) {
        *prov = c->cls[slot].prov;
        return c->cls[slot].kind;
    }
    int kind = classify(a, r, prov);
    memcpy(c->cls[slot].k, k, sizeof k);
    c->cls[slot].kind = (int8_t)kind;
    c->cls[slot].prov = (int8_t)*prov;
    c->cls[slot].used = 1;
    return kind;
}

/* ---- scans ---------------------------------------------------------------------- */

static int fail_row(void *ctx, const struct km_hrow *r)
{
    struct km_auth *a = ctx;
    int prov;
    int kind = classify(a, r, &prov);
    if (kind != KM_AUTH_FAIL && kind != KM_AUTH_LOCKOUT)
        return 0;
    struct km_str ip = km_hrow_str(r, KM_F_SRC_IP);
    if (km_hunt_allowed_ip(a->h, ip) || km_hunt_allowed_agent(a->h, km_hrow_str(r, KM_F_USER_AGENT)))
        return 0;
    int hidden;
    struct km_str name = ident_of(r, prov, &hidden);
    if (!hidden && (!name.p || !name.n))
        return 0;
    if (!hidden && km_hunt_allowed_identity(a->h, name))
        return 0;
    if (ip.p) {
        char buf[24];
        uint32_t asn;
        group_of(a, ip, buf, &asn);
        if (asn_allowed(a, asn))
            return 0;
    }
    struct km_auth_ev e;
    memset(&e, 0, sizeof e);
    e.t = r->time;
    e.ref = r->ref;
    e.kind = (uint8_t)kind;
    e.src = src_id(a, r, ip, 1);
    e.ident = hidden ? KM_AUTH_HIDDEN : ident_id(a, r, prov, name);
    if (e.src == UINT32_MAX || (!hidden && e.ident == UINT32_MAX))
        return full(a, "distinct sources or identities"), 1;
    if (hidden && kind == KM_AUTH_FAIL)
        a->hidden++;
    return push(a, &a->fail, &a->nfail, &a->allocfail, &e) != KM_OK;
}

int km_auth_failures(struct km_auth *a, struct km_err *err)
{
    static const char *const cat[] = {"authentication"};
    static const char *const outc[] = {"failure", "interrupted"};
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0] = (struct km_hscan_cond){.field = KM_F_CATEGORY, .vals = cat, .nvals = 1};
    sc.cond[1] = (struct km_hscan_cond){.field = KM_F_OUTCOME, .vals = outc, .nvals = 2};
    sc.ncond = 2;
    sc.row = fail_row;
    sc.ctx = a;
    a->err = err;
    int rc = km_hunt_scan(a->h, &sc, err);
    return rc == KM_OK && a->full ? KM_ELIMIT : rc;
}

uint32_t km_auth_src_lookup(const struct km_auth *a, const char *ip, size_t n)
{
    char buf[24];
    uint32_t asn, slot;
    struct km_str key = group_of(a, (struct km_str){ip, (uint32_t)n}, buf, &asn);
    uint32_t id = tab_find(a, &a->src_tab, key.p, key.n, fnv(key.p, key.n), &slot);
    return id == UINT32_MAX ? UINT32_MAX : id + 1;
}

static int want_pred(void *ctx, const char *v, size_t n)
{
    struct km_auth *a = ctx;
    uint32_t id = km_auth_src_lookup(a, v, n);
    return id != UINT32_MAX && a->want[id];
}

/* The identity of a sign-in in scan 2: interned, or with a filter only
 * looked up (UINT32_MAX when not collected or not wanted). */
static uint32_t ok_ident(struct km_auth *a, const struct km_hrow *r, int prov, int *stop)
{
    int hidden;
    struct km_str name = ident_of(r, prov, &hidden);
    if (hidden || !name.p || !name.n)
        return UINT32_MAX;
    if (!a->want_ident) {
        uint32_t id = ident_id(a, r, prov, name);
        if (id == UINT32_MAX)
            *stop = 1;
        return id;
    }
    struct km_str acct = km_hrow_str(r, KM_F_ACCOUNT);
    char key[1024];
    size_t an = acct.p ? (acct.n < 400 ? acct.n : 400) : 0;
    size_t nn = name.n < 600 ? name.n : 600;
    key[0] = (char)('0' + prov);
    if (an)
        memcpy(key + 1, acct.p, an);
    key[1 + an] = 0;
    memcpy(key + 2 + an, name.p, nn);
    uint32_t slot;
    uint32_t id = tab_find(a, &a->id_tab, key, 2 + an + nn, fnv(key, 2 + an + nn), &slot);
    return id != UINT32_MAX && id < a->nwant_ident && a->want_ident[id] ? id : UINT32_MAX;
}

static int ok_row(void *ctx, const struct km_hrow *r)
{
    struct km_auth *a = ctx;
    struct km_auth_cache *c = a->cache;
    cache_seg(a, r);
    int prov;
    int kind = classify_cached(a, r, &prov);
    if (kind != KM_AUTH_SUCCESS && kind != KM_AUTH_ACCEPTED)
        return 0;
    struct km_auth_ev e;
    memset(&e, 0, sizeof e);
    e.t = r->time;
    e.ref = r->ref;
    e.kind = (uint8_t)kind;
    e.src = src_id(a, r, km_hrow_str(r, KM_F_SRC_IP), 0);
    if (e.src == UINT32_MAX || e.src == KM_AUTH_NOSRC || !a->want[e.src])
        return 0;
    int stop = 0;
    if (c->idc_ok) {
        uint32_t k[4];
        for (int i = 0; i < 4; i++)
            k[i] = km_hrow_code(r, idc_fields[i]);
        uint32_t slot = (mix(k, 4) ^ (uint32_t)prov) & (IDC_SLOTS - 1);
        if (c->idc[slot].used && c->idc[slot].prov == prov && memcmp(c->idc[slot].k, k, sizeof k) == 0) {
            e.ident = c->idc[slot].ident;
        } else {
            e.ident = ok_ident(a, r, prov, &stop);
            memcpy(c->idc[slot].k, k, sizeof k);
            c->idc[slot].ident = e.ident;
            c->idc[slot].prov = (uint8_t)prov;
            c->idc[slot].used = !stop;
        }
    } else {
        e.ident = ok_ident(a, r, prov, &stop);
    }
    if (stop)
        return full(a, "distinct identities"), 1;
    if (e.ident == UINT32_MAX)
        return 0;
    return push(a, &a->ok, &a->nok, &a->allocok, &e) != KM_OK;
}

int km_auth_successes(struct km_auth *a, const uint8_t *want, const uint8_t *want_ident,
                      struct km_err *err)
{
    static const char *const cat[] = {"authentication"};
    static const char *const outc[] = {"success", "failure", "interrupted"};
    int any = 0;
    for (uint32_t i = 1; i < a->nsrcs && !any; i++)
        any = want[i];
    if (!any)
        return KM_OK;
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0] = (struct km_hscan_cond){.field = KM_F_SRC_IP, .pred = want_pred, .pctx = a};
    sc.cond[1] = (struct km_hscan_cond){.field = KM_F_CATEGORY, .vals = cat, .nvals = 1};
    sc.cond[2] = (struct km_hscan_cond){.field = KM_F_OUTCOME, .vals = outc, .nvals = 3};
    sc.ncond = 3;
    sc.row = ok_row;
    sc.ctx = a;
    a->want = want;
    a->want_ident = want_ident;
    a->nwant_ident = a->nidents;
    a->err = err;
    a->cache = km_xcalloc(1, sizeof *a->cache);
    int rc = km_hunt_scan(a->h, &sc, err);
    free(a->cache);
    a->cache = NULL;
    return rc == KM_OK && a->full ? KM_ELIMIT : rc;
}

/* ---- helpers ------------------------------------------------------------------------ */

static int cmp_src(const void *x, const void *y)
{
    const struct km_auth_ev *a = x, *b = y;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->ident != b->ident)
        return a->ident < b->ident ? -1 : 1;
    if (a->ref.seg != b->ref.seg)
        return a->ref.seg < b->ref.seg ? -1 : 1;
    return a->ref.row < b->ref.row ? -1 : a->ref.row > b->ref.row;
}

static int cmp_ident(const void *x, const void *y)
{
    const struct km_auth_ev *a = x, *b = y;
    if (a->ident != b->ident)
        return a->ident < b->ident ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->ref.seg != b->ref.seg)
        return a->ref.seg < b->ref.seg ? -1 : 1;
    return a->ref.row < b->ref.row ? -1 : a->ref.row > b->ref.row;
}

void km_auth_sort_by_src(struct km_auth_ev *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_src);
}

void km_auth_sort_by_ident(struct km_auth_ev *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_ident);
}

void km_auth_add_ident(struct km_auth *a, struct km_finding *f, uint32_t ident, int person)
{
    if (ident >= a->nidents)
        return;
    const struct km_auth_ident *d = &a->idents[ident];
    km_strset_addc(&f->ent[KM_ENT_IDENTITIES], a->pool + d->name);
    const char *p = person ? km_auth_ident_person(a, ident) : NULL;
    if (p)
        km_strset_addc(&f->ent[KM_ENT_PERSONS], p);
    if (a->pool[d->account])
        km_strset_addc(&f->ent[KM_ENT_ACCOUNTS], a->pool + d->account);
}

void km_auth_add_src(const struct km_auth *a, struct km_finding *f, uint32_t src)
{
    if (src == KM_AUTH_NOSRC || src >= a->nsrcs)
        return;
    const char *n = a->pool + a->srcs[src].name;
    if (!(n[0] == 'A' && n[1] == 'S'))
        km_strset_addc(&f->ent[KM_ENT_IPS], n);
    if (a->srcs[src].country[0])
        km_strset_addc(&f->ent[KM_ENT_COUNTRIES], a->srcs[src].country);
}

void km_auth_time(int64_t t, char out[32])
{
    km_time_fmt(t - ((t % 1000000) + 1000000) % 1000000, out);   /* whole seconds */
}
