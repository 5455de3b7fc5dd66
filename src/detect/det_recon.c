/*
 * det_recon.c — recon_burst: one identity or key surveying an account in
 * minutes — "who am I" (GetCallerIdentity) followed by List/Describe/Get
 * calls across services, a sweep of many read calls, or a run of denied
 * calls (docs/detections/recon_burst.md).
 *
 * The principal of a call is its access key, else its ARN, e-mail, name or
 * id. Three shapes qualify a window of `window` (10 min):
 *
 *   whoami   GetCallerIdentity + ≥ min_actions distinct read calls on
 *            ≥ min_services services
 *   sweep    ≥ sweep_actions distinct read calls on ≥ sweep_services
 *   denied   ≥ min_denied denied calls (AccessDenied, UnauthorizedOperation,
 *            Google code 7, Azure AuthorizationFailed / Forbidden)
 *
 * Windows are judged on a grid of half-windows (5 min): one pass keeps, per
 * (principal, slice), a compact summary — counts, whoami, the distinct read
 * actions (up to 32), services (8), denied actions (4), the first call's
 * address and client, the time span — and a window is three consecutive
 * slices, so every 10-minute stretch is seen whole (calls at most 15 minutes
 * apart may count together). Memory grows with active (principal, slice)
 * pairs, not with calls:
 *
 *   calls ─► (principal, 5-min slice) summaries ─► qualifying triples ─► bursts
 *         ─► routine? new network for a long-term key? ─► findings
 *         ─► one more scan for the reported bursts' calls (evidence)
 *
 * A burst of an identity from a network, or with a client platform, where
 * that identity had bursts on `routine_days` distinct days (a posture
 * scanner's hourly sweep, CI's Terraform plan) is routine and not reported.
 * A burst made with a long-term key from a network new for that key
 * (leaked_key's history rules) is high and never routine.
 */
#include "detect/detect.h"
#include "detect/finding.h"
#include "detect/keyuse.h"

#include "core/conf.h"
#include "core/timeparse.h"
#include "json/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_recon_burst[] = {
    {"recon_burst.window", KM_CONF_DUR, "10m",
     "the calls of one principal within this are one window (judged on a half-window grid; at most 2h)"},
    {"recon_burst.min_actions", KM_CONF_INT, "3",
     "whoami: distinct List/Describe/Get calls besides GetCallerIdentity"},
    {"recon_burst.min_services", KM_CONF_INT, "3", "whoami: on at least this many services"},
    {"recon_burst.sweep_actions", KM_CONF_INT, "20",
     "sweep (no whoami needed): distinct read calls in a window (at most 32)"},
    {"recon_burst.sweep_services", KM_CONF_INT, "5", "sweep: on at least this many services (at most 8)"},
    {"recon_burst.min_denied", KM_CONF_INT, "10", "denied: denied calls in a window"},
    {"recon_burst.probe_actions", KM_CONF_INT, "3",
     "denied calls on this many distinct actions are permission probing (at most 4)"},
    {"recon_burst.routine_days", KM_CONF_INT, "2",
     "an identity's bursts from one network or client platform on this many days are routine "
     "(not reported)"},
    {"recon_burst.report_routine", KM_CONF_BOOL, "false", "report routine bursts (as info)"},
    {NULL, 0, NULL, NULL},
};

#define MAX_SLICES (2u << 20)
#define MAX_BURST_EV 200
#define ACT_CAP 32
#define SVC_CAP 8
#define DN_CAP 4

/* action classes */
enum { A_READ = 1, A_WHOAMI = 2 };

/* One principal's calls in one slice (half a window). */
struct slice {
    uint32_t p;
    int32_t b;
    uint32_t ip, base;       /* of the earliest call */
    uint32_t dt0, dt1;       /* first and last call, µs after the slice's start */
    uint32_t pool;           /* its read actions: pool[pool .. pool + nact) */
    uint16_t nread, nden;    /* saturating */
    uint16_t plat;           /* the earliest call's client platform */
    uint16_t svc[SVC_CAP];
    uint16_t dn[DN_CAP];
    uint8_t nact, capact, nsvc, ndn;
    uint8_t who, tool, allowed_all;
};

struct burst {
    uint32_t p, base;
    uint32_t k0, k1;         /* its slices: ord[k0..k1] */
    uint32_t pk0, pk1;       /* all its principal's slices: ord[pk0..pk1) */
    int64_t t0, t1;
    int32_t day;
    uint64_t net;
    uint32_t ip, plat;
    int routine, longterm, new_net;
    uint32_t org_days;
};

struct st {
    struct km_hunt *h;
    int64_t window, half;
    int min_actions, min_services, sweep_actions, sweep_services, min_denied, probe_actions;
    int routine_days, report_routine;
    int v4, v6, known_days;
    const char *const *tools;
    size_t ntools;
    int denied_scan;         /* the scan under way is the denials' */
    /* strings */
    struct km_ku_intern ids, acts, svcs, ipstr, plats, toolnames, uas;
    uint32_t *uav;           /* agent id -> client value + 1 */
    uint64_t *ipnet;         /* address id -> network (UINT64_MAX: not computed) */
    uint32_t capnet;
    uint32_t capuav;
    struct km_ku_cmap cm_key, cm_arn, cm_mail, cm_name, cm_id, cm_iss, cm_act, cm_err, cm_svc,
        cm_ip, cm_raw, cm_ua;
    uint8_t *actcls;         /* by action id */
    uint32_t capcls;
    /* the slices */
    struct slice *sl;
    uint32_t nsl, capsl;
    uint32_t *tab;           /* (principal, slice) -> index + 1 */
    uint32_t tcap;
    uint16_t *pool;
    uint32_t npool, cappool;
    uint64_t dropped;
    uint32_t *lastsl;        /* principal -> its last slice + 1 (a cache) */
    uint32_t *pbase;         /* principal -> its identity + 1 */
    uint8_t *pfield;         /* principal -> the field that names it */
    uint32_t capp;
    int ev_field;            /* the evidence scan under way: principals named by */
    uint32_t *ord;           /* slices by (principal, slice) */
    /* evidence: the reported bursts' spans by principal */
    struct out *out;
    uint32_t *pspan;         /* principal -> first span + 1 */
    struct span {
        int64_t t0, t1;
        uint32_t out, next, p;
    } *spans;
};

/* ---- classes of actions and errors ------------------------------------------------------ */

static int prefix(const char *v, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(v, p, k) == 0;
}

static int act_class(const char *v, size_t n)
{
    if (!v || !n)
        return 0;
    if (n == 17 && memcmp(v, "GetCallerIdentity", 17) == 0)
        return A_WHOAMI;
    if (memchr(v, '/', n)) {   /* Azure: MICROSOFT.COMPUTE/VIRTUALMACHINES/READ */
        return n > 5 && strncasecmp(v + n - 5, "/read", 5) == 0 ? A_READ : 0;
    }
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (v[i] == '.')
            dot = v + i;
    if (dot) {   /* Google: storage.buckets.list, google.iam.admin.v1.ListServiceAccounts */
        const char *m = dot + 1;
        size_t mn = n - (size_t)(m - v);
        static const char *const gp[] = {"list", "List", "get", "Get", "search", "Search",
                                         "aggregatedList", "testIamPermissions",
                                         "TestIamPermissions"};
        static const char *const gx[] = {"storage.objects.get", "storage.objects.list"};
        for (size_t i = 0; i < KM_ARRAY_LEN(gx); i++)
            if (strlen(gx[i]) == n && memcmp(v, gx[i], n) == 0)
                return 0;
        for (size_t i = 0; i < KM_ARRAY_LEN(gp); i++)
            if (prefix(m, mn, gp[i]))
                return A_READ;
        return 0;
    }
    /* AWS: reads that survey, not the data plane a workload reads all day */
    static const char *const ap[] = {"List", "Describe", "Get", "Search", "Lookup", "BatchGet"};
    static const char *const ax[] = {
        "GetObject",        "GetObjectTagging", "GetObjectAcl",      "GetRecords",
        "GetShardIterator", "GetMetricData",    "GetMetricStatistics", "GetLogEvents",
        "GetQueryResults",  "GetItem",          "BatchGetItem",      "GetParameter",
        "GetParameters",    "GetSecretValue",   "BatchGetSecretValue", "GetSessionToken",
        "GetFederationToken", "GetAuthorizationToken", "GetQueueUrl", "GetQueueAttributes",
        "GetCommandInvocation", "GetJobs", "GetFunctionConfiguration",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(ax); i++)
        if (strlen(ax[i]) == n && memcmp(v, ax[i], n) == 0)
            return 0;
    for (size_t i = 0; i < KM_ARRAY_LEN(ap); i++)
        if (prefix(v, n, ap[i]) && n > strlen(ap[i]) && isupper((unsigned char)v[strlen(ap[i])]))
            return A_READ;
    return 0;
}

static int err_denied(const char *v, size_t n)
{
    if (!v || !n || n > 128)
        return 0;
    if ((n == 1 && v[0] == '7') || (n == 17 && memcmp(v, "PERMISSION_DENIED", 17) == 0))
        return 1;
    static const char *const sub[] = {"accessdenied", "unauthorized", "authorizationfailed",
                                      "authorizationerror", "forbidden"};
    char lc[128];
    for (size_t i = 0; i < n; i++)
        lc[i] = (char)tolower((unsigned char)v[i]);
    for (size_t i = 0; i < KM_ARRAY_LEN(sub); i++)
        if (memmem(lc, n, sub[i], strlen(sub[i])))
            return 1;
    return 0;
}

static int pred_read(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return act_class(v, n) != 0;
}

static int pred_denied(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return err_denied(v, n);
}

/* sign-in logs are password_spray's and brute_force's */
static int pred_source(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return !memmem(v, n, "signin", 6) && !memmem(v, n, "signIn", 6);
}

/* ---- per-row values ---------------------------------------------------------------------- */

/* The principal of a call, and in *field the field that named it. */
static uint32_t principal(struct st *c, const struct km_hrow *r, int *field)
{
    uint32_t id = km_ku_field_id(&c->cm_key, &c->ids, r, KM_F_ACTOR_ACCESS_KEY);
    *field = KM_F_ACTOR_ACCESS_KEY;
    if (!id && (id = km_ku_field_id(&c->cm_arn, &c->ids, r, KM_F_ACTOR_ARN)))
        *field = KM_F_ACTOR_ARN;
    if (!id && (id = km_ku_field_id(&c->cm_mail, &c->ids, r, KM_F_ACTOR_EMAIL)))
        *field = KM_F_ACTOR_EMAIL;
    if (!id && (id = km_ku_field_id(&c->cm_name, &c->ids, r, KM_F_ACTOR_NAME)))
        *field = KM_F_ACTOR_NAME;
    if (!id && (id = km_ku_field_id(&c->cm_id, &c->ids, r, KM_F_ACTOR_ID)))
        *field = KM_F_ACTOR_ID;
    return id;
}

/* The identity behind a principal: a role session's role, else the ARN,
 * e-mail, name or id. */
static uint32_t base_of(struct st *c, const struct km_hrow *r)
{
    uint32_t id = km_ku_field_id(&c->cm_iss, &c->ids, r, KM_F_ACTOR_SESSION_ISSUER);
    if (!id)
        id = km_ku_field_id(&c->cm_arn, &c->ids, r, KM_F_ACTOR_ARN);
    if (!id)
        id = km_ku_field_id(&c->cm_mail, &c->ids, r, KM_F_ACTOR_EMAIL);
    if (!id)
        id = km_ku_field_id(&c->cm_name, &c->ids, r, KM_F_ACTOR_NAME);
    if (!id)
        id = km_ku_field_id(&c->cm_id, &c->ids, r, KM_F_ACTOR_ID);
    return id;
}

/* action id, with its class recorded in actcls */
static uint32_t action(struct st *c, const struct km_hrow *r)
{
    uint32_t id = km_ku_field_id(&c->cm_act, &c->acts, r, KM_F_ACTION);
    if (id && id >= c->capcls) {
        uint32_t nc = c->capcls ? c->capcls : 256;
        while (nc <= id)
            nc *= 2;
        c->actcls = km_xrealloc(c->actcls, nc);
        memset(c->actcls + c->capcls, 0xff, nc - c->capcls);
        c->capcls = nc;
    }
    if (id && c->actcls[id] == 0xff) {
        const char *s = km_ku_str(&c->acts, id);
        c->actcls[id] = (uint8_t)act_class(s, strlen(s));
    }
    return id;
}

static int denied(struct st *c, const struct km_hrow *r)
{
    uint32_t code = km_hrow_code(r, KM_F_ERROR_CODE);
    uint32_t v = code ? km_ku_cmap_get(&c->cm_err, r, code) : 0;
    if (v)
        return (int)(v - 1);
    struct km_str e = km_hrow_str(r, KM_F_ERROR_CODE);
    int d = err_denied(e.p, e.n);
    if (code)
        km_ku_cmap_put(&c->cm_err, code, (uint32_t)d);
    return d;
}

/* The client of a call: platform id | tool id << 16 | allowed << 31. */
static uint32_t client(struct st *c, const struct km_hrow *r)
{
    uint32_t code = km_hrow_code(r, KM_F_USER_AGENT);
    uint32_t v = code ? km_ku_cmap_get(&c->cm_ua, r, code) : 0;
    if (v)
        return v - 1;
    struct km_str ua = km_hrow_str(r, KM_F_USER_AGENT);
    /* the same agent in every segment: classified once */
    uint32_t uid = ua.p ? km_ku_intern(&c->uas, ua.p, ua.n) : 0;
    if (uid && uid < c->capuav && c->uav[uid]) {
        if (code)
            km_ku_cmap_put(&c->cm_ua, code, c->uav[uid] - 1);
        return c->uav[uid] - 1;
    }
    char plat[32], tool[32];
    km_ku_platform(ua, plat);
    uint32_t pid = plat[0] ? km_ku_intern(&c->plats, plat, strlen(plat)) : 0;
    uint32_t tid = km_ku_tool(ua, c->tools, c->ntools, tool)
                       ? km_ku_intern(&c->toolnames, tool, strlen(tool))
                       : 0;
    uint32_t out = (pid & 0xffff) | (tid & 0x7fff) << 16 |
                   (uint32_t)(ua.p && km_hunt_allowed_agent(c->h, ua)) << 31;
    if (code)
        km_ku_cmap_put(&c->cm_ua, code, out);
    if (uid) {
        if (uid >= c->capuav) {
            uint32_t nc = c->capuav ? c->capuav : 1024;
            while (nc <= uid)
                nc *= 2;
            c->uav = km_xrealloc(c->uav, nc * sizeof *c->uav);
            memset(c->uav + c->capuav, 0, (nc - c->capuav) * sizeof *c->uav);
            c->capuav = nc;
        }
        c->uav[uid] = out + 1;
    }
    return out;
}

static int64_t slice_of(const struct st *c, int64_t t)
{
    return t >= 0 ? t / c->half : (t + 1) / c->half - 1;
}

/* ---- pass 1: slice summaries -------------------------------------------------------------- */

static uint32_t sslot(const struct st *c, uint32_t p, int32_t b)
{
    uint64_t x = ((uint64_t)p << 32 | (uint32_t)b) * 0x9e3779b97f4a7c15ULL;
    uint32_t mask = c->tcap - 1;
    for (uint32_t i = (uint32_t)(x >> 32) & mask;; i = (i + 1) & mask) {
        uint32_t e = c->tab[i];
        if (!e || (c->sl[e - 1].p == p && c->sl[e - 1].b == b))
            return i;
    }
}

static struct slice *sget(struct st *c, uint32_t p, int32_t b, int create)
{
    if (!c->tcap || (create && c->tcap < 2 * (c->nsl + 1) + 16)) {
        uint32_t nc = c->tcap ? 2 * c->tcap : 4096;
        free(c->tab);
        c->tab = km_xcalloc(nc, sizeof *c->tab);
        c->tcap = nc;
        for (uint32_t i = 0; i < c->nsl; i++)
            c->tab[sslot(c, c->sl[i].p, c->sl[i].b)] = i + 1;
    }
    uint32_t s = sslot(c, p, b);
    if (c->tab[s])
        return &c->sl[c->tab[s] - 1];
    if (!create)
        return NULL;
    if (c->nsl >= MAX_SLICES) {
        c->dropped++;
        return NULL;
    }
    if (c->nsl == c->capsl) {
        c->capsl = c->capsl ? 2 * c->capsl : 4096;
        c->sl = km_xrealloc(c->sl, c->capsl * sizeof *c->sl);
    }
    struct slice *k = &c->sl[c->nsl];
    memset(k, 0, sizeof *k);
    k->p = p;
    k->b = b;
    k->dt0 = UINT32_MAX;
    k->allowed_all = 1;
    c->tab[s] = ++c->nsl;
    return k;
}

static void add_act(struct st *c, struct slice *k, uint16_t a)
{
    for (int i = 0; i < k->nact; i++)
        if (c->pool[k->pool + (uint32_t)i] == a)
            return;
    if (k->nact == ACT_CAP)
        return;
    if (k->nact == k->capact) {   /* move to a bigger place at the pool's end */
        uint32_t nc = k->capact ? 2u * k->capact : 4;
        if (c->npool + nc > c->cappool) {
            c->cappool = c->cappool ? 2 * c->cappool : 65536;
            while (c->npool + nc > c->cappool)
                c->cappool *= 2;
            c->pool = km_xrealloc(c->pool, c->cappool * sizeof *c->pool);
        }
        if (k->nact)
            memcpy(c->pool + c->npool, c->pool + k->pool, k->nact * sizeof *c->pool);
        k->pool = c->npool;
        k->capact = (uint8_t)nc;
        c->npool += nc;
    }
    c->pool[k->pool + k->nact++] = a;
}

static void grow_p(struct st *c, uint32_t p)
{
    if (p < c->capp)
        return;
    uint32_t nc = c->capp ? c->capp : 1024;
    while (nc <= p)
        nc *= 2;
    c->lastsl = km_xrealloc(c->lastsl, nc * sizeof *c->lastsl);
    c->pbase = km_xrealloc(c->pbase, nc * sizeof *c->pbase);
    c->pfield = km_xrealloc(c->pfield, nc);
    memset(c->lastsl + c->capp, 0, (nc - c->capp) * sizeof *c->lastsl);
    memset(c->pbase + c->capp, 0, (nc - c->capp) * sizeof *c->pbase);
    memset(c->pfield + c->capp, 0, nc - c->capp);
    c->capp = nc;
}

static int row(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    uint32_t act = action(c, r);
    int cls = act ? c->actcls[act] : 0;
    if (c->denied_scan && cls)
        return 0;   /* a denied read: counted by the reads' scan */
    int den = c->denied_scan || denied(c, r);
    if (!cls && !den)
        return 0;
    int pf;
    uint32_t p = principal(c, r, &pf);
    if (!p)
        return 0;
    grow_p(c, p);
    c->pfield[p] = (uint8_t)pf;
    int32_t b = (int32_t)slice_of(c, r->time);
    /* a principal's calls mostly fall in the slice of its previous call */
    struct slice *k = NULL;
    if (c->lastsl[p] && c->sl[c->lastsl[p] - 1].b == b)
        k = &c->sl[c->lastsl[p] - 1];
    if (!k) {
        k = sget(c, p, b, 1);
        if (!k)
            return 0;
        c->lastsl[p] = (uint32_t)(k - c->sl) + 1;
    }
    if (!c->pbase[p])
        c->pbase[p] = base_of(c, r) + 1;
    uint32_t cl = client(c, r);
    uint32_t dt = (uint32_t)(r->time - (int64_t)b * c->half);
    if (dt < k->dt0) {   /* the earliest call names the address and client */
        k->dt0 = dt;
        k->ip = km_ku_field_id(&c->cm_ip, &c->ipstr, r, KM_F_SRC_IP);
        if (!k->ip)
            k->ip = km_ku_field_id(&c->cm_raw, &c->ipstr, r, KM_F_SRC_RAW);
        k->plat = (uint16_t)(cl & 0xffff);
        k->base = c->pbase[p] - 1;
    }
    if (dt > k->dt1)
        k->dt1 = dt;
    uint32_t tid = (cl >> 16) & 0x7fff;
    if (tid && !k->tool)
        k->tool = (uint8_t)tid;
    if (!(cl >> 31))
        k->allowed_all = 0;
    if (den) {
        if (k->nden < UINT16_MAX)
            k->nden++;
        if (k->ndn < DN_CAP && act <= UINT16_MAX) {
            int have = 0;
            for (int i = 0; i < k->ndn && !have; i++)
                have = k->dn[i] == act;
            if (!have)
                k->dn[k->ndn++] = (uint16_t)act;
        }
    }
    if (cls == A_WHOAMI) {
        k->who = 1;
    } else if (cls == A_READ) {
        if (k->nread < UINT16_MAX)
            k->nread++;
        if (act <= UINT16_MAX)
            add_act(c, k, (uint16_t)act);
        uint32_t sv = km_ku_field_id(&c->cm_svc, &c->svcs, r, KM_F_SERVICE);
        if (sv && sv <= UINT16_MAX && k->nsvc < SVC_CAP) {
            int have = 0;
            for (int i = 0; i < k->nsvc && !have; i++)
                have = k->svc[i] == sv;
            if (!have)
                k->svc[k->nsvc++] = (uint16_t)sv;
        }
    }
    return 0;
}

/* Two scans, each reading only the segments and rows that hold a read (or
 * whoami) action, then a denial; a denied read is counted by the first.
 * Sign-ins are left out (password_spray's and brute_force's). */
static int scan_calls(struct st *c, int (*fn)(void *, const struct km_hrow *), void *ctx,
                      struct km_err *err)
{
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACTION;
    sc.cond[0].pred = pred_read;
    sc.cond[1].field = KM_F_SOURCE;
    sc.cond[1].pred = pred_source;
    sc.ncond = 2;
    sc.row = fn;
    sc.ctx = ctx;
    c->denied_scan = 0;
    int rc = km_hunt_scan(c->h, &sc, err);
    if (rc != KM_OK)
        return rc;
    sc.cond[0].field = KM_F_ERROR_CODE;
    sc.cond[0].pred = pred_denied;
    c->denied_scan = 1;
    return km_hunt_scan(c->h, &sc, err);
}

/* ---- windows and bursts ------------------------------------------------------------------ */

struct okey {
    uint32_t p;
    int32_t b;
    uint32_t i;
};

static int cmp_okey(const void *a, const void *b)
{
    const struct okey *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

/* What some slices did together. */
struct agg {
    uint32_t rd[64], dn[32], sv[32];
    int nrd, ndn, nsv, who, nden, nread;
    uint32_t tool;
    int allowed_all;
};

static int add_id(uint32_t *v, int *n, int cap, uint32_t id)
{
    for (int q = 0; q < *n; q++)
        if (v[q] == id)
            return 0;
    if (*n < cap)
        v[(*n)++] = id;
    return 1;
}

static void agg_slice(const struct st *c, const struct slice *k, struct agg *g)
{
    g->who |= k->who;
    g->nden += k->nden;
    g->nread += k->nread;
    for (int i = 0; i < k->nact; i++)
        add_id(g->rd, &g->nrd, 64, c->pool[k->pool + (uint32_t)i]);
    for (int i = 0; i < k->nsvc; i++)
        add_id(g->sv, &g->nsv, 32, k->svc[i]);
    for (int i = 0; i < k->ndn; i++)
        add_id(g->dn, &g->ndn, 32, k->dn[i]);
    if (!g->tool)
        g->tool = k->tool;
    g->allowed_all &= k->allowed_all;
}

static int qualifies(const struct st *c, const struct agg *g)
{
    return (g->who && g->nrd >= c->min_actions && g->nsv >= c->min_services) ||
           (g->nrd >= c->sweep_actions && g->nsv >= c->sweep_services) ||
           g->nden >= c->min_denied;
}

static uint32_t find_bursts(struct st *c, struct burst **out)
{
    struct okey *ok = km_xmalloc((size_t)(c->nsl + 1) * sizeof *ok);
    for (uint32_t i = 0; i < c->nsl; i++)
        ok[i] = (struct okey){c->sl[i].p, c->sl[i].b, i};
    qsort(ok, c->nsl, sizeof *ok, cmp_okey);
    c->ord = km_xmalloc((size_t)(c->nsl + 1) * sizeof *c->ord);
    for (uint32_t i = 0; i < c->nsl; i++)
        c->ord[i] = ok[i].i;
    free(ok);
    struct burst *bs = NULL;
    uint32_t nb = 0, capb = 0;
    uint32_t i = 0;
    while (i < c->nsl) {
        uint32_t p = c->sl[c->ord[i]].p, j = i;
        while (j < c->nsl && c->sl[c->ord[j]].p == p)
            j++;
        /* slices ord[i..j) are one principal's, in time order; a window is
         * the slices within three consecutive slice numbers */
        int open = 0;
        for (uint32_t k = i; k < j; k++) {
            int32_t bk = c->sl[c->ord[k]].b;
            uint32_t lo = k;
            while (lo > i && c->sl[c->ord[lo - 1]].b >= bk - 2)
                lo--;
            /* upper bounds first: most windows cannot qualify */
            int who = 0, nact = 0, nsvc = 0, nden = 0;
            for (uint32_t q = lo; q <= k; q++) {
                const struct slice *sq = &c->sl[c->ord[q]];
                who |= sq->who;
                nact += sq->nact;
                nsvc += sq->nsvc;
                nden += sq->nden;
            }
            if (!((who && nact >= c->min_actions && nsvc >= c->min_services) ||
                  (nact >= c->sweep_actions && nsvc >= c->sweep_services) ||
                  nden >= c->min_denied))
                continue;
            struct agg g;
            memset(&g, 0, sizeof g);
            g.allowed_all = 1;
            for (uint32_t q = lo; q <= k; q++)
                agg_slice(c, &c->sl[c->ord[q]], &g);
            if (!qualifies(c, &g))
                continue;
            if (open && lo <= bs[nb - 1].k1) {
                bs[nb - 1].k1 = k;
                continue;
            }
            if (nb == capb) {
                capb = capb ? 2 * capb : 64;
                bs = km_xrealloc(bs, capb * sizeof *bs);
            }
            memset(&bs[nb], 0, sizeof bs[nb]);
            bs[nb].p = p;
            bs[nb].k0 = lo;
            bs[nb].k1 = k;
            bs[nb].pk0 = i;
            bs[nb].pk1 = j;
            nb++;
            open = 1;
        }
        i = j;
    }
    /* each burst's first call and span */
    for (uint32_t u = 0; u < nb; u++) {
        struct burst *x = &bs[u];
        const struct slice *f = &c->sl[c->ord[x->k0]];
        x->t0 = INT64_MAX;
        x->t1 = INT64_MIN;
        for (uint32_t k = x->k0; k <= x->k1; k++) {
            const struct slice *s = &c->sl[c->ord[k]];
            int64_t a = (int64_t)s->b * c->half + s->dt0, z = (int64_t)s->b * c->half + s->dt1;
            if (a < x->t0) {
                x->t0 = a;
                f = s;
            }
            if (z > x->t1)
                x->t1 = z;
        }
        x->base = f->base;
        x->ip = f->ip;
        x->plat = f->plat;
        x->day = (int32_t)(x->t0 >= 0 ? x->t0 / KM_KU_DAY_US : (x->t0 + 1) / KM_KU_DAY_US - 1);
    }
    *out = bs;
    return nb;
}

/* ---- routine ------------------------------------------------------------------------------ */

struct rk {
    uint32_t base;
    uint64_t val;
    int32_t day;
    uint32_t i;
};

static int cmp_rk(const void *a, const void *b)
{
    const struct rk *x = a, *y = b;
    if (x->base != y->base)
        return x->base < y->base ? -1 : 1;
    if (x->val != y->val)
        return x->val < y->val ? -1 : 1;
    return x->day < y->day ? -1 : x->day > y->day;
}

/* Routine: the identity had bursts on routine_days distinct days from the
 * burst's network, or from the burst's client platform (over the whole
 * store: hindsight, as an investigator reads it). */
static void mark_routine(struct st *c, struct burst *bs, uint32_t nb)
{
    struct rk *v = km_xcalloc(nb + 1, sizeof *v);
    for (int by = 0; by < 2; by++) {
        for (uint32_t i = 0; i < nb; i++)
            v[i] = (struct rk){bs[i].base, by ? bs[i].plat : bs[i].net, bs[i].day, i};
        qsort(v, nb, sizeof *v, cmp_rk);
        uint32_t i = 0;
        while (i < nb) {
            uint32_t j = i;
            int days = 0;
            int32_t last = INT32_MIN;
            while (j < nb && v[j].base == v[i].base && v[j].val == v[i].val) {
                if (v[j].day != last)
                    days++, last = v[j].day;
                j++;
            }
            if (days >= c->routine_days && v[i].val && v[i].base)
                for (uint32_t k = i; k < j; k++)
                    bs[v[k].i].routine = 1;
            i = j;
        }
    }
    free(v);
}

/* ---- findings ------------------------------------------------------------------------------ */

static void names(struct km_buf *b, const struct km_ku_intern *t, const uint32_t *ids, int n)
{
    for (int i = 0; i < n; i++) {
        const char *s = km_ku_str(t, ids[i]);
        if (i)
            km_buf_addc(b, ',');
        km_json_write_str(b, s, strlen(s));
    }
}

/* One finding in the making: the bursts u[0..n) of one identity from one
 * network on one UTC day (in time order). */
struct out {
    const struct burst *const *u;
    uint32_t n;
    struct agg g;
    int sev, new_net, routine, longterm;
    int nev;
    struct km_finding f;
};

/* Sums the bursts and judges them; 0 when allow-listed. */
static int prepare(struct st *c, const struct burst *const *u, uint32_t n, struct out *o)
{
    memset(o, 0, sizeof *o);
    o->u = u;
    o->n = n;
    struct agg *g = &o->g;
    g->allowed_all = 1;
    int new_net = 0, routine = 1, longterm = 0, probe_ok = 0;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t k = u[i]->k0; k <= u[i]->k1; k++)
            agg_slice(c, &c->sl[c->ord[k]], g);
        new_net |= u[i]->new_net;
        routine &= u[i]->routine;
        longterm |= u[i]->longterm;
        probe_ok |= u[i]->org_days < (uint32_t)c->known_days;
    }
    if (g->allowed_all)
        return 0;
    if (km_hunt_allowed_ip(c->h, km_str_c(km_ku_str(&c->ipstr, u[0]->ip))))
        return 0;
    int sev;
    if (routine && !new_net) {
        sev = KM_SEV_INFO;
    } else if (new_net) {
        sev = KM_SEV_HIGH;
    } else {
        /* medium: an attack tool's agent, or a long-term key probing its
         * permissions from a network the organisation does not use */
        sev = g->tool || (probe_ok && g->ndn >= c->probe_actions) ? KM_SEV_MEDIUM : KM_SEV_LOW;
    }
    o->sev = sev;
    o->new_net = new_net;
    o->routine = routine;
    o->longterm = longterm;
    km_finding_init(&o->f);
    o->f.detection = "recon_burst";
    o->f.technique = "T1087.004, T1580";
    o->f.severity = sev;
    return 1;
}

/* Completes a finding whose evidence was added, and reports it. */
static void finish(struct st *c, struct out *o)
{
    const struct burst *const *u = o->u;
    uint32_t n = o->n;
    const struct agg *g = &o->g;
    struct km_finding f = o->f;
    km_finding_init(&o->f);
    if (!f.nev || (f.ent[KM_ENT_IDENTITIES].n &&
                   km_hunt_allowed_identity(c->h, km_str_c(f.ent[KM_ENT_IDENTITIES].v[0])))) {
        km_finding_free(&f);
        return;
    }
    int64_t t0 = u[0]->t0, t1 = u[n - 1]->t1;
    km_finding_window(&f, t0);
    km_finding_window(&f, t1);
    char ts0[32];
    km_time_fmt(t0, ts0);
    const char *ip = km_ku_str(&c->ipstr, u[0]->ip);
    const char *base = km_ku_str(&c->ids, u[0]->base);
    char net[64] = "";
    uint64_t nid;
    if (!km_ku_net(km_str_c(ip), c->v4, c->v6, &nid, net))
        snprintf(net, sizeof net, "%s", ip);
    snprintf(f.key, sizeof f.key, "%s|%s|%.10s", base[0] ? base : km_ku_str(&c->ids, u[0]->p),
             net, ts0);

    const char *who_s =
        f.ent[KM_ENT_IDENTITIES].n ? f.ent[KM_ENT_IDENTITIES].v[0] : km_ku_str(&c->ids, u[0]->p);
    char keyinfo[64] = "";
    if (f.ent[KM_ENT_ACCESS_KEYS].n == 1 && strcmp(f.ent[KM_ENT_ACCESS_KEYS].v[0], who_s) != 0)
        snprintf(keyinfo, sizeof keyinfo, "key %s, ", f.ent[KM_ENT_ACCESS_KEYS].v[0]);
    const char *acct = f.ent[KM_ENT_ACCOUNTS].n ? f.ent[KM_ENT_ACCOUNTS].v[0] : "?";
    double mins = (double)(u[0]->t1 - t0) / 60e6;
    char what[400] = "";
    size_t w = 0;
#define ADD(...) (w += (size_t)snprintf(what + w, w < sizeof what ? sizeof what - w : 0, __VA_ARGS__))
    if (g->nrd) {
        ADD("%s%d read call%s (%d distinct) on %d service%s", g->who ? "GetCallerIdentity and " : "",
            g->nread, g->nread == 1 ? "" : "s", g->nrd, g->nsv, g->nsv == 1 ? "" : "s");
        for (int q = 0; q < g->nrd && q < 5; q++)
            ADD("%s%s", q ? ", " : ": ", km_ku_str(&c->acts, g->rd[q]));
        if (g->nrd > 5)
            ADD(", …");
    } else if (g->who) {
        ADD("GetCallerIdentity");
    }
    if (g->nden) {
        ADD("%s%d denied", w ? "; " : "", g->nden);
        for (int q = 0; q < g->ndn && q < 4; q++)
            ADD("%s%s", q ? ", " : " (", km_ku_str(&c->acts, g->dn[q]));
        if (g->ndn)
            ADD("%s)", g->ndn > 4 ? ", …" : "");
    }
#undef ADD
    const char *tool = km_ku_str(&c->toolnames, g->tool);
    char more[80] = "";
    if (n > 1) {
        char tl[32];
        km_time_fmt(t1, tl);
        snprintf(more, sizeof more, "; %u bursts that day, the last ending %s", n, tl);
    }
    snprintf(f.summary, sizeof f.summary, "%s (%s%s) %s from %s at %s for %.0f min: %s%s%s%s%s%s.",
             who_s, keyinfo, acct, g->nrd || g->who ? "surveyed the account" : "was denied repeatedly",
             ip[0] ? ip : "?", ts0, mins < 1 ? 1 : mins, what,
             tool[0] ? "; attack tool's user agent (" : "", tool, tool[0] ? ")" : "",
             o->new_net   ? "; from a network new for this long-term key"
             : o->routine ? "; routine for this identity"
                          : "",
             more);

    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    km_buf_printf(&b, "{\"bursts\":%u,\"whoami\":%d,\"read_calls\":%d,\"read_actions\":[", n,
                  g->who, g->nread);
    names(&b, &c->acts, g->rd, g->nrd);
    km_buf_adds(&b, "],\"services\":[");
    names(&b, &c->svcs, g->sv, g->nsv);
    km_buf_printf(&b, "],\"denied\":%d,\"denied_actions\":[", g->nden);
    names(&b, &c->acts, g->dn, g->ndn);
    km_buf_printf(&b, "],\"tool\":");
    km_json_write_str(&b, tool, strlen(tool));
    km_buf_printf(&b, ",\"long_term_key\":%s,\"new_network\":%s,\"routine\":%s}",
                  o->longterm ? "true" : "false", o->new_net ? "true" : "false",
                  o->routine ? "true" : "false");
    km_finding_take_details(&f, &b);
    km_hunt_emit(c->h, &f);
}

static int cmp_group(const void *a, const void *b)
{
    const struct burst *x = *(const struct burst *const *)a, *y = *(const struct burst *const *)b;
    if (x->base != y->base)
        return x->base < y->base ? -1 : 1;
    if (x->net != y->net)
        return x->net < y->net ? -1 : 1;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->new_net != y->new_net)
        return x->new_net < y->new_net ? -1 : 1;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* Evidence: the reported bursts' calls, read in one more pass over the calls
 * so that one segment at a time is decoded (materialising events through
 * stored references would keep every touched segment decoded until the
 * hunt ends). */
static int ev_row(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    uint32_t act = action(c, r);
    int cls = act ? c->actcls[act] : 0;
    if (c->denied_scan && cls)
        return 0;
    if (!cls && !c->denied_scan && !denied(c, r))
        return 0;
    int pf;
    uint32_t p = principal(c, r, &pf);
    if (!p || p >= c->capp || !c->pspan[p] || pf != c->ev_field)
        return 0;
    struct km_event ev;
    int have = 0;
    for (uint32_t s = c->pspan[p]; s; s = c->spans[s - 1].next) {
        const struct span *x = &c->spans[s - 1];
        struct out *o = &c->out[x->out];
        if (r->time < x->t0 || r->time > x->t1 || o->nev >= MAX_BURST_EV)
            continue;
        if (!have) {
            km_event_init(&ev);
            if (km_hrow_event(r, &ev) != KM_OK)
                return 0;
            have = 1;
        }
        km_hunt_add_event(c->h, &o->f, &ev);
        o->nev++;
    }
    return 0;
}

/* Bursts worth reporting, grouped by (identity, network, UTC day). */
static int emit_all(struct st *c, struct burst *bs, uint32_t nb, struct km_err *err)
{
    const struct burst **v = km_xcalloc(nb + 1, sizeof *v);
    uint32_t n = 0;
    for (uint32_t i = 0; i < nb; i++)
        if (!bs[i].routine || bs[i].new_net || c->report_routine)
            v[n++] = &bs[i];
    qsort(v, n, sizeof *v, cmp_group);
    c->out = km_xcalloc(n + 1, sizeof *c->out);
    uint32_t no = 0, i = 0;
    while (i < n) {
        uint32_t j = i + 1;
        while (j < n && v[j]->base == v[i]->base && v[j]->net == v[i]->net &&
               v[j]->day == v[i]->day && v[j]->new_net == v[i]->new_net)
            j++;
        if (prepare(c, v + i, j - i, &c->out[no]))
            no++;
        i = j;
    }
    /* the spans whose calls prove the findings, by principal */
    c->pspan = km_xcalloc(c->capp + 1, sizeof *c->pspan);
    c->spans = km_xcalloc(n + 1, sizeof *c->spans);
    uint32_t ns = 0;
    for (uint32_t k = 0; k < no; k++)
        for (uint32_t b = 0; b < c->out[k].n; b++) {
            const struct burst *x = c->out[k].u[b];
            c->spans[ns] = (struct span){x->t0, x->t1, k, c->pspan[x->p], x->p};
            c->pspan[x->p] = ++ns;
        }
    /* one scan per field that names reported principals, reading only their
     * calls (segments without them are skipped unread) */
    static const int fields[] = {KM_F_ACTOR_ACCESS_KEY, KM_F_ACTOR_ARN, KM_F_ACTOR_EMAIL,
                                 KM_F_ACTOR_NAME, KM_F_ACTOR_ID};
    const char **vals = km_xcalloc(ns + 1, sizeof *vals);
    int rc = KM_OK;
    for (size_t fi = 0; fi < KM_ARRAY_LEN(fields) && rc == KM_OK; fi++) {
        int nv = 0;
        for (uint32_t sp = 0; sp < ns; sp++) {
            uint32_t sp_p = c->spans[sp].p;
            if (c->pfield[sp_p] != fields[fi])
                continue;
            const char *ps = km_ku_str(&c->ids, sp_p);
            int dup = 0;
            for (int q = 0; q < nv && !dup; q++)
                dup = strcmp(vals[q], ps) == 0;
            if (!dup)
                vals[nv++] = ps;
        }
        if (!nv)
            continue;
        struct km_hscan sc;
        memset(&sc, 0, sizeof sc);
        sc.cond[0].field = fields[fi];
        sc.cond[0].vals = vals;
        sc.cond[0].nvals = nv;
        sc.cond[1].field = KM_F_SOURCE;
        sc.cond[1].pred = pred_source;
        sc.ncond = 2;
        sc.row = ev_row;
        sc.ctx = c;
        c->denied_scan = 0;
        c->ev_field = fields[fi];
        rc = km_hunt_scan(c->h, &sc, err);
    }
    free(vals);
    for (uint32_t k = 0; k < no; k++) {
        if (rc == KM_OK)
            finish(c, &c->out[k]);
        km_finding_free(&c->out[k].f);
    }
    free(c->out);
    free(c->pspan);
    free(c->spans);
    c->out = NULL;
    c->pspan = NULL;
    c->spans = NULL;
    free(v);
    return rc;
}

/* ---- run ---------------------------------------------------------------------------------- */

/* The network of an interned address (cached; 0 for none). */
static uint64_t net_of(struct st *c, uint32_t ip)
{
    if (ip >= c->capnet) {
        uint32_t nc = c->capnet ? c->capnet : 1024;
        while (nc <= ip)
            nc *= 2;
        c->ipnet = km_xrealloc(c->ipnet, nc * sizeof *c->ipnet);
        memset(c->ipnet + c->capnet, 0xff, (nc - c->capnet) * sizeof *c->ipnet);
        c->capnet = nc;
    }
    if (c->ipnet[ip] == UINT64_MAX) {
        uint64_t n = 0;
        km_ku_net(km_str_c(km_ku_str(&c->ipstr, ip)), c->v4, c->v6, &n, NULL);
        c->ipnet[ip] = n;
    }
    return c->ipnet[ip];
}

/* Whether the key used the burst's network before, and whether the
 * organisation uses it: asked for long-term keys only, and of the
 * organisation only where the answer matters. */
static int history(struct st *c, struct burst *bs, uint32_t nb, struct km_err *err)
{
    const struct km_conf *cf = km_hunt_conf(c->h);
    int64_t hist = km_conf_dur_us(cf, "leaked_key.history");
    int64_t min_history = km_conf_dur_us(cf, "leaked_key.min_history");
    int64_t start[2] = {km_ku_store_start(c->h, "aws"), km_ku_store_start(c->h, "gcp")};
    struct km_ku_keyq *kq = km_xcalloc(nb + 1, sizeof *kq);
    struct km_ku_orgq *oq = km_xcalloc(nb + 1, sizeof *oq);
    uint32_t *qi = km_xcalloc(nb + 1, sizeof *qi);
    size_t nk = 0, no = 0;
    for (uint32_t i = 0; i < nb; i++) {
        struct burst *u = &bs[i];
        u->org_days = UINT32_MAX;
        const char *ip = km_ku_str(&c->ipstr, u->ip);
        if (!km_ku_net(km_str_c(ip), c->v4, c->v6, &u->net, NULL) && u->ip)
            u->net = km_ku_hash(ip, strlen(ip), 0x726177);
        const char *p = km_ku_str(&c->ids, u->p);
        u->longterm = km_ku_longterm(p, strlen(p));
        int64_t s0 = start[memcmp(p, "AKIA", 4) != 0];
        /* the key's own earlier bursts' and reads' addresses answer most
         * questions without a scan */
        int seen = 0;
        for (uint32_t k = u->pk0; k < u->pk1 && u->longterm && !seen; k++) {
            const struct slice *sl = &c->sl[c->ord[k]];
            int64_t t = (int64_t)sl->b * c->half + sl->dt0;
            if (t >= u->t0)
                break;   /* slices are in time order */
            if (t >= u->t0 - hist && sl->ip && net_of(c, sl->ip) == u->net)
                seen = 1;
        }
        if (u->longterm && !seen && u->net && !km_ku_internal(km_str_c(ip))) {
            kq[nk] = (struct km_ku_keyq){p, u->net, u->t0, 0, 0, INT64_MAX, 0, 0};
            /* with too little of the store before it, the key's later days
             * are the baseline (hindsight) */
            if (s0 == INT64_MAX || u->t0 - s0 < min_history)
                kq[nk].first = -1;   /* marks "judge with hindsight" until the scan */
            qi[nk++] = i;
        }
    }
    uint8_t *hind = km_xcalloc(nk + 1, 1);
    for (size_t k = 0; k < nk; k++)
        hind[k] = kq[k].first == -1;
    int rc = nk ? km_ku_key_nets(c->h, kq, nk, hist, c->v4, c->v6, err) : KM_OK;
    for (size_t k = 0; k < nk && rc == KM_OK; k++) {
        struct burst *u = &bs[qi[k]];
        int past = !hind[k] && kq[k].seen_before;
        int fresh = past ? !kq[k].net_known : kq[k].seen_after && !kq[k].net_after;
        int ndn = 0;
        for (uint32_t s = u->k0; s <= u->k1; s++)
            ndn += c->sl[c->ord[s]].ndn;
        if (fresh || ndn >= c->probe_actions) {
            oq[no] = (struct km_ku_orgq){u->net, km_ku_str(&c->ipstr, u->ip), u->day, kq[k].key, 0,
                                         "", -1, 0, !past};
            qi[no] = qi[k];
            kq[no].net_known = !fresh;   /* kept for the verdict below */
            no++;
        }
    }
    if (no && rc == KM_OK)
        rc = km_ku_org_days(c->h, oq, no, c->v4, c->v6, err);
    for (size_t k = 0; k < no && rc == KM_OK; k++) {
        struct burst *u = &bs[qi[k]];
        u->org_days = oq[k].days;
        u->new_net = !kq[k].net_known && oq[k].days < (uint32_t)c->known_days;
    }
    free(kq);
    free(oq);
    free(qi);
    free(hind);
    return rc;
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *cf = km_hunt_conf(h);
    struct st c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.window = km_conf_dur_us(cf, "recon_burst.window");
    /* slices keep times as 32-bit µs offsets: half a window is at most an hour */
    if (c.window < 2000000)
        c.window = 2000000;
    if (c.window > 2 * 3600 * 1000000LL)
        c.window = 2 * 3600 * 1000000LL;
    c.half = c.window / 2;
    c.min_actions = (int)km_conf_int(cf, "recon_burst.min_actions");
    c.min_services = (int)km_conf_int(cf, "recon_burst.min_services");
    c.sweep_actions = (int)km_conf_int(cf, "recon_burst.sweep_actions");
    c.sweep_services = (int)km_conf_int(cf, "recon_burst.sweep_services");
    c.min_denied = (int)km_conf_int(cf, "recon_burst.min_denied");
    c.probe_actions = (int)km_conf_int(cf, "recon_burst.probe_actions");
    c.routine_days = (int)km_conf_int(cf, "recon_burst.routine_days");
    c.report_routine = km_conf_bool(cf, "recon_burst.report_routine");
    /* the summaries hold what the thresholds need, no more */
    if (c.sweep_actions > ACT_CAP)
        c.sweep_actions = ACT_CAP;
    if (c.sweep_services > SVC_CAP)
        c.sweep_services = SVC_CAP;
    if (c.probe_actions > DN_CAP)
        c.probe_actions = DN_CAP;
    if (c.min_denied < 1)
        c.min_denied = 1;
    c.v4 = (int)km_conf_int(cf, "leaked_key.v4_prefix");
    c.v6 = (int)km_conf_int(cf, "leaked_key.v6_prefix");
    c.known_days = (int)km_conf_int(cf, "leaked_key.known_days");
    /* (not km_conf_list: detections run at the same time) */
    char toolbuf[4096];
    const char *tools[128];
    c.ntools = km_ku_conf_list(cf, "leaked_key.tool_agents", toolbuf, sizeof toolbuf, tools, 128);
    c.tools = tools;
    km_ku_intern_init(&c.ids, 1u << 22, 256u << 20);
    km_ku_intern_init(&c.acts, UINT16_MAX, 16u << 20);
    km_ku_intern_init(&c.svcs, UINT16_MAX, 8u << 20);
    km_ku_intern_init(&c.ipstr, 1u << 22, 128u << 20);
    km_ku_intern_init(&c.plats, UINT16_MAX, 1u << 20);
    km_ku_intern_init(&c.toolnames, 250, 1u << 16);
    km_ku_intern_init(&c.uas, 1u << 20, 128u << 20);

    int rc = scan_calls(&c, row, &c, err);
    struct burst *bs = NULL;
    uint32_t nb = 0;
    if (rc == KM_OK && c.nsl)
        nb = find_bursts(&c, &bs);
    if (rc == KM_OK && nb)
        rc = history(&c, bs, nb, err);
    if (rc == KM_OK && nb) {
        mark_routine(&c, bs, nb);
        rc = emit_all(&c, bs, nb, err);
    }
    if (c.dropped || c.ids.overflow || c.acts.overflow || c.ipstr.overflow)
        km_log(1, "kumo hunt: recon_burst reached a memory cap (%llu slices, %llu names not "
                  "kept): some bursts may be missing\n",
               (unsigned long long)c.dropped,
               (unsigned long long)(c.ids.overflow + c.acts.overflow + c.ipstr.overflow));
    free(bs);
    free(c.sl);
    free(c.tab);
    free(c.pool);
    free(c.ord);
    free(c.lastsl);
    free(c.pbase);
    free(c.pfield);
    free(c.actcls);
    km_ku_intern_free(&c.ids);
    km_ku_intern_free(&c.acts);
    km_ku_intern_free(&c.svcs);
    km_ku_intern_free(&c.ipstr);
    km_ku_intern_free(&c.plats);
    km_ku_intern_free(&c.toolnames);
    km_ku_intern_free(&c.uas);
    free(c.uav);
    free(c.ipnet);
    struct km_ku_cmap *cms[] = {&c.cm_key, &c.cm_arn, &c.cm_mail, &c.cm_name, &c.cm_id, &c.cm_iss,
                                &c.cm_act, &c.cm_err, &c.cm_svc, &c.cm_ip, &c.cm_raw, &c.cm_ua};
    for (size_t i = 0; i < KM_ARRAY_LEN(cms); i++)
        km_ku_cmap_free(cms[i]);
    return rc;
}

const struct km_detection km_det_recon_burst = {
    .id = "recon_burst",
    .title = "Reconnaissance burst",
    .technique = "T1087.004, T1580",
    .summary = "one identity or key surveying an account in minutes: GetCallerIdentity and "
               "List/Describe/Get calls across services, read sweeps, runs of denied calls",
    .providers = "aws,azure,gcp",
    .conf = km_det_conf_recon_burst,
    .run = run,
};
