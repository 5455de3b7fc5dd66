/*
 * det_recon.c — recon_burst: one identity or key surveying an account in
 * minutes — "who am I" (GetCallerIdentity) followed by List/Describe/Get
 * calls across services, a sweep of many read calls, or a run of denied
 * calls (docs/detections/recon_burst.md).
 *
 * The principal of a call is its access key, else its ARN, e-mail, name or
 * id; a window is `window` long (10 min). Three shapes qualify a window:
 *
 *   whoami   GetCallerIdentity + ≥ min_actions distinct read calls on
 *            ≥ min_services services
 *   sweep    ≥ sweep_actions distinct read calls on ≥ sweep_services
 *   denied   ≥ min_denied denied calls (AccessDenied, UnauthorizedOperation,
 *            Google code 7, Azure AuthorizationFailed / Forbidden)
 *
 * Memory stays bounded without holding every read call: pass 1 counts per
 * (principal, window-long bucket) — calls, denied calls, whoami, the first
 * four distinct actions — which over-approximates every window (a window
 * lies within two adjacent buckets). Pass 2 keeps the calls of the buckets
 * that may qualify and slides the exact window over them; overlapping
 * qualifying windows are one burst.
 *
 *   rows ─► (principal, bucket) counters ─► candidate buckets ─► their rows
 *        ─► exact sliding windows ─► bursts ─► routine? new network? ─► findings
 *
 * A burst of an identity from a network where that identity had bursts on
 * `routine_days` distinct days (a posture scanner's hourly sweep, CI's
 * Terraform plan) is routine and not reported. A burst made with a
 * long-term key from a network new for that key (leaked_key's history
 * rules) is high and never routine.
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
    {"recon_burst.window", KM_CONF_DUR, "10m", "the calls of one principal within this are one window"},
    {"recon_burst.min_actions", KM_CONF_INT, "3",
     "whoami: distinct List/Describe/Get calls besides GetCallerIdentity"},
    {"recon_burst.min_services", KM_CONF_INT, "3", "whoami: on at least this many services"},
    {"recon_burst.sweep_actions", KM_CONF_INT, "20",
     "sweep (no whoami needed): distinct read calls in a window"},
    {"recon_burst.sweep_services", KM_CONF_INT, "5", "sweep: on at least this many services"},
    {"recon_burst.min_denied", KM_CONF_INT, "10", "denied: denied calls in a window"},
    {"recon_burst.probe_actions", KM_CONF_INT, "3",
     "denied calls on this many distinct actions are permission probing (medium)"},
    {"recon_burst.routine_days", KM_CONF_INT, "2",
     "an identity's bursts from one network on this many days are routine (not reported)"},
    {"recon_burst.report_routine", KM_CONF_BOOL, "false", "report routine bursts (as info)"},
    {NULL, 0, NULL, NULL},
};

#define MAX_BUCKETS (4u << 20)
#define MAX_ROWS (2u << 20)
#define MAX_BURST_EV 200

/* action classes */
enum { A_READ = 1, A_WHOAMI = 2 };

/* Pass 1: counters of one (principal, bucket). */
struct bkt {
    uint32_t p;
    int32_t b;
    uint32_t nrows;          /* calls kept (reads, whoami, denials) */
    uint16_t nrec, nden;
    uint8_t whoami, nact;    /* nact 5 = more than four */
    uint32_t act[4];
};

/* Pass 2: one call of a candidate bucket. */
struct crow {
    int64_t t;
    struct km_evref ref;
    uint32_t p, act, svc, ip, base, ua;
    uint8_t cls, denied;
};

struct burst {
    uint32_t p, base;
    uint32_t lo, hi;         /* rows[lo..hi] */
    int32_t day;
    uint64_t net;
    uint32_t ip, plat;
    int routine, longterm, new_net;
    uint32_t org_days;
};

struct st {
    struct km_hunt *h;
    int64_t window;
    int min_actions, min_services, sweep_actions, sweep_services, min_denied, probe_actions;
    int routine_days, report_routine;
    int v4, v6, known_days;
    const char *const *tools;
    size_t ntools;
    int pass;
    int denied_scan;         /* the scan under way is the denials' */
    /* strings */
    struct km_ku_intern ids, acts, svcs, ipstr, uas, plats;
    struct km_ku_cmap cm_key, cm_arn, cm_mail, cm_name, cm_id, cm_iss, cm_act, cm_err, cm_svc,
        cm_ip, cm_raw, cm_ua;
    uint8_t *actcls;         /* by action id */
    uint32_t capcls;
    /* pass 1 */
    struct bkt *bk;
    uint32_t nbk, capbk;
    uint32_t *btab;
    uint32_t btcap;
    uint64_t dropped;
    uint32_t *lastb;         /* principal -> its last bucket + 1 (a cache) */
    uint32_t caplast;
    /* pass 2: each principal's calls in its own slice of rows[] */
    uint8_t *need;           /* by bucket index */
    struct crow *rows;
    uint32_t nrows;
    uint32_t *pstart, *pfill; /* by principal */
    uint32_t np;             /* principals when the slices were made */
    uint32_t *pbase;         /* principal -> its identity + 1 */
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

/* sign-in logs are password_spray's and brute_force's */
static int pred_source(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return !memmem(v, n, "signin", 6) && !memmem(v, n, "signIn", 6);
}

/* ---- per-row values ---------------------------------------------------------------------- */

static uint32_t principal(struct st *c, const struct km_hrow *r)
{
    uint32_t id = km_ku_field_id(&c->cm_key, &c->ids, r, KM_F_ACTOR_ACCESS_KEY);
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

static int64_t bucket_of(const struct st *c, int64_t t)
{
    return t >= 0 ? t / c->window : (t + 1) / c->window - 1;
}

/* ---- pass 1: bucket counters ------------------------------------------------------------ */

static uint32_t bslot(const struct st *c, uint32_t p, int32_t b)
{
    uint64_t x = ((uint64_t)p << 32 | (uint32_t)b) * 0x9e3779b97f4a7c15ULL;
    uint32_t mask = c->btcap - 1;
    for (uint32_t i = (uint32_t)(x >> 32) & mask;; i = (i + 1) & mask) {
        uint32_t e = c->btab[i];
        if (!e || (c->bk[e - 1].p == p && c->bk[e - 1].b == b))
            return i;
    }
}

static struct bkt *bget(struct st *c, uint32_t p, int32_t b, int create)
{
    if (!c->btcap || (create && c->btcap < 2 * (c->nbk + 1) + 16)) {
        uint32_t nc = c->btcap ? 2 * c->btcap : 4096;
        free(c->btab);
        c->btab = km_xcalloc(nc, sizeof *c->btab);
        c->btcap = nc;
        for (uint32_t i = 0; i < c->nbk; i++)
            c->btab[bslot(c, c->bk[i].p, c->bk[i].b)] = i + 1;
    }
    uint32_t s = bslot(c, p, b);
    if (c->btab[s])
        return &c->bk[c->btab[s] - 1];
    if (!create)
        return NULL;
    if (c->nbk >= MAX_BUCKETS) {
        c->dropped++;
        return NULL;
    }
    if (c->nbk == c->capbk) {
        c->capbk = c->capbk ? 2 * c->capbk : 4096;
        c->bk = km_xrealloc(c->bk, c->capbk * sizeof *c->bk);
    }
    struct bkt *k = &c->bk[c->nbk];
    memset(k, 0, sizeof *k);
    k->p = p;
    k->b = b;
    c->btab[s] = ++c->nbk;
    return k;
}

static int row(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    uint32_t act = action(c, r);
    int cls = act ? c->actcls[act] : 0;
    if (c->denied_scan && cls)
        return 0;   /* a denied read: counted by the reads' scan */
    int den = c->denied_scan || denied(c, r);
    uint32_t p = principal(c, r);
    if (!p)
        return 0;
    int32_t b = (int32_t)bucket_of(c, r->time);
    /* a principal's calls mostly fall in the bucket of its previous call */
    struct bkt *k = NULL;
    if (p < c->caplast && c->lastb[p] && c->bk[c->lastb[p] - 1].b == b)
        k = &c->bk[c->lastb[p] - 1];
    if (c->pass == 1) {
        if (!k) {
            k = bget(c, p, b, 1);
            if (!k)
                return 0;
            if (p >= c->caplast) {
                uint32_t nc = c->caplast ? c->caplast : 1024;
                while (nc <= p)
                    nc *= 2;
                c->lastb = km_xrealloc(c->lastb, nc * sizeof *c->lastb);
                memset(c->lastb + c->caplast, 0, (nc - c->caplast) * sizeof *c->lastb);
                c->caplast = nc;
            }
            c->lastb[p] = (uint32_t)(k - c->bk) + 1;
        }
        k->nrows++;
        if (den && k->nden < UINT16_MAX)
            k->nden++;
        if (cls == A_WHOAMI) {
            k->whoami = 1;
        } else if (cls == A_READ) {
            if (k->nrec < UINT16_MAX)
                k->nrec++;
            int have = 0;
            for (int i = 0; i < k->nact && i < 4 && !have; i++)
                have = k->act[i] == act;
            if (!have && k->nact < 4)
                k->act[k->nact++] = act;
            else if (!have)
                k->nact = 5;
        }
        return 0;
    }
    /* pass 2: the rows of candidate buckets, into their principal's slice */
    if (p >= c->np || c->pstart[p + 1] == c->pstart[p])
        return 0;   /* none of this principal's buckets is a candidate */
    if (!k) {
        k = bget(c, p, b, 0);
        if (!k)
            return 0;
        if (p < c->caplast)
            c->lastb[p] = (uint32_t)(k - c->bk) + 1;
    }
    if (!c->need[k - c->bk] || p >= c->np || c->pfill[p] >= c->pstart[p + 1] - c->pstart[p])
        return 0;
    struct crow *x = &c->rows[c->pstart[p] + c->pfill[p]++];
    x->t = r->time;
    x->ref = r->ref;
    x->p = p;
    x->act = act;
    x->cls = (uint8_t)cls;
    x->denied = (uint8_t)den;
    x->svc = km_ku_field_id(&c->cm_svc, &c->svcs, r, KM_F_SERVICE);
    x->ip = km_ku_field_id(&c->cm_ip, &c->ipstr, r, KM_F_SRC_IP);
    if (!x->ip)
        x->ip = km_ku_field_id(&c->cm_raw, &c->ipstr, r, KM_F_SRC_RAW);
    x->ua = km_ku_field_id(&c->cm_ua, &c->uas, r, KM_F_USER_AGENT);
    /* a principal has one identity behind it: looked up once */
    if (!c->pbase[p])
        c->pbase[p] = base_of(c, r) + 1;
    x->base = c->pbase[p] - 1;
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

/* Two scans per pass, each reading only the segments and rows that hold a
 * read (or whoami) action, then a denial; a denied read is counted by the
 * first. Sign-ins are left out (password_spray's and brute_force's). */
static int scan_calls(struct st *c, struct km_err *err)
{
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACTION;
    sc.cond[0].pred = pred_read;
    sc.cond[1].field = KM_F_SOURCE;
    sc.cond[1].pred = pred_source;
    sc.ncond = 2;
    sc.row = row;
    sc.ctx = c;
    c->denied_scan = 0;
    int rc = km_hunt_scan(c->h, &sc, err);
    if (rc != KM_OK)
        return rc;
    sc.cond[0].field = KM_F_ERROR_CODE;
    sc.cond[0].pred = pred_denied;
    c->denied_scan = 1;
    return km_hunt_scan(c->h, &sc, err);
}

/* Marks the buckets whose pair with the next may hold a qualifying window. */
static void candidates(struct st *c)
{
    c->need = km_xcalloc(c->nbk + 1, 1);
    int wa = c->min_actions < 4 ? c->min_actions : 4;
    int sa = c->sweep_actions < 4 ? c->sweep_actions : 4;
    for (uint32_t i = 0; i < c->nbk; i++) {
        const struct bkt *a = &c->bk[i];
        const struct bkt *n = bget(c, a->p, a->b + 1, 0);
        uint32_t ids[8];
        int nid = 0, more = a->nact > 4;
        for (int j = 0; j < a->nact && j < 4; j++)
            ids[nid++] = a->act[j];
        if (n) {
            more |= n->nact > 4;
            for (int j = 0; j < n->nact && j < 4; j++) {
                int have = 0;
                for (int q = 0; q < nid && !have; q++)
                    have = ids[q] == n->act[j];
                if (!have)
                    ids[nid++] = n->act[j];
            }
        }
        int distinct = nid + more;
        int nrec = a->nrec + (n ? n->nrec : 0), nden = a->nden + (n ? n->nden : 0);
        int who = a->whoami || (n && n->whoami);
        if ((who && distinct >= wa) || (nrec >= c->sweep_actions && distinct >= sa) ||
            nden >= c->min_denied) {
            c->need[i] = 1;
            if (n)
                c->need[n - c->bk] = 1;
        }
    }
    /* each principal's slice of rows[]: its candidate buckets' calls, counted
     * in pass 1 (no sort of all rows needed afterwards); beyond MAX_ROWS the
     * remaining buckets are dropped (and counted) */
    uint32_t np = c->np = c->ids.n + 2;
    c->pstart = km_xcalloc(np + 1, sizeof *c->pstart);
    c->pfill = km_xcalloc(np, sizeof *c->pfill);
    c->pbase = km_xcalloc(np, sizeof *c->pbase);
    uint64_t total = 0;
    for (uint32_t i = 0; i < c->nbk; i++) {
        if (!c->need[i])
            continue;
        if (total + c->bk[i].nrows > MAX_ROWS) {
            c->need[i] = 0;
            c->dropped++;
            continue;
        }
        total += c->bk[i].nrows;
        c->pstart[c->bk[i].p + 1] += c->bk[i].nrows;
    }
    for (uint32_t p = 1; p <= np; p++)
        c->pstart[p] += c->pstart[p - 1];
    c->nrows = (uint32_t)total;
    c->rows = km_xcalloc(total + 1, sizeof *c->rows);
}

/* ---- pass 2: exact windows ----------------------------------------------------------- */

/* Each principal's calls arrive in scan order (segment, row): in time order
 * unless segments overlap in time; those slices are sorted. */
static int cmp_row(const void *a, const void *b)
{
    const struct crow *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->ref.seg != y->ref.seg)
        return x->ref.seg < y->ref.seg ? -1 : 1;
    return x->ref.row < y->ref.row ? -1 : x->ref.row > y->ref.row;
}

static void sort_rows(struct st *c)
{
    uint32_t np = c->np;
    for (uint32_t p = 0; p < np; p++) {
        uint32_t lo = c->pstart[p], n = c->pfill[p];
        int sorted = 1;
        for (uint32_t i = lo + 1; i < lo + n && sorted; i++)
            sorted = c->rows[i - 1].t <= c->rows[i].t;
        if (!sorted)
            qsort(c->rows + lo, n, sizeof *c->rows, cmp_row);
    }
    /* close the gaps left by calls counted but not kept (none, normally) */
    uint32_t w = 0;
    for (uint32_t p = 0; p < np; p++) {
        uint32_t lo = c->pstart[p], n = c->pfill[p];
        if (w != lo)
            memmove(c->rows + w, c->rows + lo, (size_t)n * sizeof *c->rows);
        w += n;
    }
    c->nrows = w;
}

struct win {
    uint32_t *act, *svc;     /* counts by id (read calls only) */
    int dact, dsvc, who, den;
};

static void win_add(struct win *w, const struct crow *x, int d)
{
    if (x->cls == A_READ) {
        if (x->act) {
            if (d > 0 ? w->act[x->act]++ == 0 : --w->act[x->act] == 0)
                w->dact += d;
        }
        if (x->svc) {
            if (d > 0 ? w->svc[x->svc]++ == 0 : --w->svc[x->svc] == 0)
                w->dsvc += d;
        }
    }
    if (x->cls == A_WHOAMI)
        w->who += d;
    if (x->denied)
        w->den += d;
}

static int qualifies(const struct st *c, const struct win *w)
{
    return (w->who > 0 && w->dact >= c->min_actions && w->dsvc >= c->min_services) ||
           (w->dact >= c->sweep_actions && w->dsvc >= c->sweep_services) ||
           w->den >= c->min_denied;
}

static uint32_t find_bursts(struct st *c, struct burst **out)
{
    struct win w;
    memset(&w, 0, sizeof w);
    w.act = km_xcalloc(c->acts.n + 2, sizeof *w.act);
    w.svc = km_xcalloc(c->svcs.n + 2, sizeof *w.svc);
    struct burst *bs = NULL;
    uint32_t nb = 0, capb = 0;
    uint32_t i = 0;
    while (i < c->nrows) {
        uint32_t j = i;
        while (j < c->nrows && c->rows[j].p == c->rows[i].p)
            j++;
        /* rows[i..j) are one principal's, in time order */
        uint32_t lo = i;
        int open = 0;
        for (uint32_t k = i; k < j; k++) {
            win_add(&w, &c->rows[k], 1);
            while (c->rows[lo].t <= c->rows[k].t - c->window)
                win_add(&w, &c->rows[lo++], -1);
            if (!qualifies(c, &w))
                continue;
            if (open && lo <= bs[nb - 1].hi) {
                bs[nb - 1].hi = k;
                continue;
            }
            if (nb == capb) {
                capb = capb ? 2 * capb : 64;
                bs = km_xrealloc(bs, capb * sizeof *bs);
            }
            memset(&bs[nb], 0, sizeof bs[nb]);
            bs[nb].p = c->rows[i].p;
            bs[nb].lo = lo;
            bs[nb].hi = k;
            nb++;
            open = 1;
        }
        while (lo < j)
            win_add(&w, &c->rows[lo++], -1);
        i = j;
    }
    free(w.act);
    free(w.svc);
    *out = bs;
    return nb;
}

/* ---- judging and reporting ---------------------------------------------------------------- */

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

static void names(struct km_buf *b, const struct km_ku_intern *t, const uint32_t *ids, int n)
{
    for (int i = 0; i < n; i++) {
        const char *s = km_ku_str(t, ids[i]);
        if (i)
            km_buf_addc(b, ',');
        km_json_write_str(b, s, strlen(s));
    }
}

/* What a finding's bursts did, summed. */
struct agg {
    uint32_t rd[64], dn[32], sv[32], uav[16];
    int nrd, ndn, nsv, nua, who, nden, nread;
    char tool[32];
    int allowed_ua;
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

static void aggregate(struct st *c, const struct burst *u, struct agg *g)
{
    for (uint32_t k = u->lo; k <= u->hi; k++) {
        const struct crow *x = &c->rows[k];
        if (x->cls == A_WHOAMI)
            g->who++;
        if (x->cls == A_READ) {
            g->nread++;
            add_id(g->rd, &g->nrd, 64, x->act);
            if (x->svc)
                add_id(g->sv, &g->nsv, 32, x->svc);
        }
        if (x->denied) {
            g->nden++;
            add_id(g->dn, &g->ndn, 32, x->act);
        }
        if (x->ua && g->nua < 16 && add_id(g->uav, &g->nua, 16, x->ua)) {
            struct km_str ua = km_str_c(km_ku_str(&c->uas, x->ua));
            if (!g->tool[0])
                km_ku_tool(ua, c->tools, c->ntools, g->tool);
            if (!km_hunt_allowed_agent(c->h, ua))
                g->allowed_ua = 0;
        }
    }
}

/* One finding in the making: the bursts u[0..n) of one identity from one
 * network on one UTC day (in time order). */
struct out {
    const struct burst *const *u;
    uint32_t n;
    struct agg g;
    int sev, new_net, routine, longterm;
    struct km_finding f;
};

/* Sums the bursts and judges them; 0 when allow-listed. */
static int prepare(struct st *c, const struct burst *const *u, uint32_t n, struct out *o)
{
    memset(o, 0, sizeof *o);
    o->u = u;
    o->n = n;
    struct agg *gp = &o->g;
    gp->allowed_ua = 1;
    int new_net = 0, routine = 1, longterm = 0, probe_ok = 0;
    for (uint32_t i = 0; i < n; i++) {
        aggregate(c, u[i], gp);
        new_net |= u[i]->new_net;
        routine &= u[i]->routine;
        longterm |= u[i]->longterm;
        probe_ok |= u[i]->org_days < (uint32_t)c->known_days;
    }
    const struct crow *r0 = &c->rows[u[0]->lo];
    if (gp->allowed_ua && gp->nua)
        return 0;
    const char *ip = km_ku_str(&c->ipstr, r0->ip);
    if (km_hunt_allowed_ip(c->h, km_str_c(ip)))
        return 0;
    int sev;
    if (routine && !new_net) {
        sev = KM_SEV_INFO;
    } else if (new_net) {
        sev = KM_SEV_HIGH;
    } else {
        /* medium: an attack tool's agent, or a long-term key probing its
         * permissions from a network the organisation does not use */
        sev = gp->tool[0] || (probe_ok && gp->ndn >= c->probe_actions) ? KM_SEV_MEDIUM
                                                                       : KM_SEV_LOW;
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
    struct agg g = o->g;
    int new_net = o->new_net, routine = o->routine, longterm = o->longterm;
    struct km_finding f = o->f;
    km_finding_init(&o->f);
    const struct crow *r0 = &c->rows[u[0]->lo];
    const struct crow *rl = &c->rows[u[n - 1]->hi];
    const char *ip = km_ku_str(&c->ipstr, r0->ip);
    if (f.ent[KM_ENT_IDENTITIES].n &&
        km_hunt_allowed_identity(c->h, km_str_c(f.ent[KM_ENT_IDENTITIES].v[0]))) {
        km_finding_free(&f);
        return;
    }
    km_finding_window(&f, r0->t);
    km_finding_window(&f, rl->t);
    char t0[32];
    km_time_fmt(r0->t, t0);
    const char *base = km_ku_str(&c->ids, u[0]->base);
    char net[64] = "";
    uint64_t nid;
    if (!km_ku_net(km_str_c(ip), c->v4, c->v6, &nid, net))
        snprintf(net, sizeof net, "%s", ip);
    snprintf(f.key, sizeof f.key, "%s|%s|%.10s", base[0] ? base : km_ku_str(&c->ids, u[0]->p),
             net, t0);

    const char *who_s =
        f.ent[KM_ENT_IDENTITIES].n ? f.ent[KM_ENT_IDENTITIES].v[0] : km_ku_str(&c->ids, u[0]->p);
    char keyinfo[64] = "";
    if (f.ent[KM_ENT_ACCESS_KEYS].n == 1 && strcmp(f.ent[KM_ENT_ACCESS_KEYS].v[0], who_s) != 0)
        snprintf(keyinfo, sizeof keyinfo, "key %s, ", f.ent[KM_ENT_ACCESS_KEYS].v[0]);
    const char *acct = f.ent[KM_ENT_ACCOUNTS].n ? f.ent[KM_ENT_ACCOUNTS].v[0] : "?";
    double mins = (double)(c->rows[u[0]->hi].t - r0->t) / 60e6;
    char what[400] = "";
    size_t w = 0;
#define ADD(...) (w += (size_t)snprintf(what + w, w < sizeof what ? sizeof what - w : 0, __VA_ARGS__))
    if (g.nrd) {
        ADD("%s%d read call%s (%d distinct) on %d service%s", g.who ? "GetCallerIdentity and " : "",
            g.nread, g.nread == 1 ? "" : "s", g.nrd, g.nsv, g.nsv == 1 ? "" : "s");
        for (int q = 0; q < g.nrd && q < 5; q++)
            ADD("%s%s", q ? ", " : ": ", km_ku_str(&c->acts, g.rd[q]));
        if (g.nrd > 5)
            ADD(", …");
    } else if (g.who) {
        ADD("GetCallerIdentity");
    }
    if (g.nden) {
        ADD("%s%d denied", w ? "; " : "", g.nden);
        for (int q = 0; q < g.ndn && q < 4; q++)
            ADD("%s%s", q ? ", " : " (", km_ku_str(&c->acts, g.dn[q]));
        if (g.ndn)
            ADD("%s)", g.ndn > 4 ? ", …" : "");
    }
#undef ADD
    char more[80] = "";
    if (n > 1) {
        char tl[32];
        km_time_fmt(rl->t, tl);
        snprintf(more, sizeof more, "; %u bursts that day, the last ending %s", n, tl);
    }
    snprintf(f.summary, sizeof f.summary, "%s (%s%s) %s from %s at %s for %.0f min: %s%s%s%s%s%s.",
             who_s, keyinfo, acct, g.nrd || g.who ? "surveyed the account" : "was denied repeatedly",
             ip[0] ? ip : "?", t0, mins < 1 ? 1 : mins, what,
             g.tool[0] ? "; attack tool's user agent (" : "", g.tool, g.tool[0] ? ")" : "",
             new_net   ? "; from a network new for this long-term key"
             : routine ? "; routine for this identity"
                       : "",
             more);

    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    km_buf_printf(&b, "{\"bursts\":%u,\"whoami\":%d,\"read_calls\":%d,\"read_actions\":[", n,
                  g.who, g.nread);
    names(&b, &c->acts, g.rd, g.nrd);
    km_buf_adds(&b, "],\"services\":[");
    names(&b, &c->svcs, g.sv, g.nsv);
    km_buf_printf(&b, "],\"denied\":%d,\"denied_actions\":[", g.nden);
    names(&b, &c->acts, g.dn, g.ndn);
    km_buf_printf(&b, "],\"tool\":");
    km_json_write_str(&b, g.tool, strlen(g.tool));
    km_buf_printf(&b, ",\"long_term_key\":%s,\"new_network\":%s,\"routine\":%s}",
                  longterm ? "true" : "false", new_net ? "true" : "false",
                  routine ? "true" : "false");
    if (!b.oom)
        f.details = b.p;
    else
        km_buf_free(&b);
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
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Evidence: the findings' calls, read in one scan so that one segment at a
 * time is decoded (materialising events through stored references would
 * keep every touched segment decoded until the hunt ends). */
struct evx {
    struct km_evref ref;
    uint32_t out;
};

static int cmp_evx(const void *a, const void *b)
{
    const struct evx *x = a, *y = b;
    if (x->ref.seg != y->ref.seg)
        return x->ref.seg < y->ref.seg ? -1 : 1;
    return x->ref.row < y->ref.row ? -1 : x->ref.row > y->ref.row;
}

struct evscan {
    struct st *c;
    struct out *o;
    const struct evx *v;
    size_t n, i;
};

static int ev_row(void *vctx, const struct km_hrow *r)
{
    struct evscan *e = vctx;
    while (e->i < e->n && cmp_evx(&e->v[e->i], &(struct evx){r->ref, 0}) < 0)
        e->i++;
    if (e->i >= e->n)
        return 1;
    if (e->v[e->i].ref.seg != r->ref.seg || e->v[e->i].ref.row != r->ref.row)
        return 0;
    struct km_event ev;
    km_event_init(&ev);
    if (km_hrow_event(r, &ev) == KM_OK)
        for (; e->i < e->n && e->v[e->i].ref.seg == r->ref.seg && e->v[e->i].ref.row == r->ref.row;
             e->i++)
            km_hunt_add_event(e->c->h, &e->o[e->v[e->i].out].f, &ev);
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
    struct out *o = km_xcalloc(n + 1, sizeof *o);
    uint32_t no = 0;
    uint32_t i = 0;
    while (i < n) {
        uint32_t j = i + 1;
        while (j < n && v[j]->base == v[i]->base && v[j]->net == v[i]->net && v[j]->day == v[i]->day &&
               v[j]->new_net == v[i]->new_net)
            j++;
        /* time order within the group */
        for (uint32_t a = i + 1; a < j; a++)
            for (uint32_t k = a; k > i && c->rows[v[k]->lo].t < c->rows[v[k - 1]->lo].t; k--) {
                const struct burst *t = v[k];
                v[k] = v[k - 1];
                v[k - 1] = t;
            }
        if (prepare(c, v + i, j - i, &o[no]))
            no++;
        i = j;
    }
    /* the calls that prove them, at most MAX_BURST_EV per finding */
    size_t nx = 0, capx = 0;
    struct evx *x = NULL;
    for (uint32_t k = 0; k < no; k++) {
        int nev = 0;
        for (uint32_t b = 0; b < o[k].n; b++)
            for (uint32_t r = o[k].u[b]->lo; r <= o[k].u[b]->hi && nev < MAX_BURST_EV; r++, nev++) {
                if (nx == capx) {
                    capx = capx ? 2 * capx : 256;
                    x = km_xrealloc(x, capx * sizeof *x);
                }
                x[nx++] = (struct evx){c->rows[r].ref, k};
            }
    }
    int rc = KM_OK;
    if (nx) {
        qsort(x, nx, sizeof *x, cmp_evx);
        struct evscan es = {c, o, x, nx, 0};
        struct km_hscan sc;
        memset(&sc, 0, sizeof sc);
        sc.cond[0].field = KM_F_SOURCE;
        sc.cond[0].pred = pred_source;
        sc.ncond = 1;
        sc.row = ev_row;
        sc.ctx = &es;
        rc = km_hunt_scan(c->h, &sc, err);
    }
    for (uint32_t k = 0; k < no; k++) {
        if (rc == KM_OK)
            finish(c, &o[k]);
        km_finding_free(&o[k].f);
    }
    free(x);
    free(o);
    free(v);
    return rc;
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *cf = km_hunt_conf(h);
    struct st c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.window = km_conf_dur_us(cf, "recon_burst.window");
    if (c.window < 1000000)
        c.window = 1000000;
    c.min_actions = (int)km_conf_int(cf, "recon_burst.min_actions");
    c.min_services = (int)km_conf_int(cf, "recon_burst.min_services");
    c.sweep_actions = (int)km_conf_int(cf, "recon_burst.sweep_actions");
    c.sweep_services = (int)km_conf_int(cf, "recon_burst.sweep_services");
    c.min_denied = (int)km_conf_int(cf, "recon_burst.min_denied");
    c.probe_actions = (int)km_conf_int(cf, "recon_burst.probe_actions");
    c.routine_days = (int)km_conf_int(cf, "recon_burst.routine_days");
    c.report_routine = km_conf_bool(cf, "recon_burst.report_routine");
    if (c.min_denied < 1)
        c.min_denied = 1;
    c.ntools = km_conf_list(cf, "leaked_key.tool_agents", &c.tools);
    km_ku_intern_init(&c.ids, 1u << 22, 256u << 20);
    km_ku_intern_init(&c.acts, 1u << 20, 32u << 20);
    km_ku_intern_init(&c.svcs, 1u << 16, 8u << 20);
    km_ku_intern_init(&c.ipstr, 1u << 22, 128u << 20);
    km_ku_intern_init(&c.uas, 1u << 20, 128u << 20);
    km_ku_intern_init(&c.plats, 1u << 16, 1u << 20);

    c.pass = 1;
    int rc = scan_calls(&c, err);
    struct burst *bs = NULL;
    uint32_t nb = 0;
    if (rc == KM_OK && c.nbk) {
        candidates(&c);
        c.pass = 2;
        rc = scan_calls(&c, err);
    }
    if (rc == KM_OK && c.nrows) {
        sort_rows(&c);
        nb = find_bursts(&c, &bs);
    }
    if (rc == KM_OK && nb) {
        int v4 = c.v4 = (int)km_conf_int(cf, "leaked_key.v4_prefix");
        int v6 = c.v6 = (int)km_conf_int(cf, "leaked_key.v6_prefix");
        int64_t history = km_conf_dur_us(cf, "leaked_key.history");
        int64_t min_history = km_conf_dur_us(cf, "leaked_key.min_history");
        int known_days = c.known_days = (int)km_conf_int(cf, "leaked_key.known_days");
        int64_t start[2] = {km_ku_store_start(h, "aws"), km_ku_store_start(h, "gcp")};
        struct km_ku_keyq *kq = km_xcalloc(nb, sizeof *kq);
        struct km_ku_orgq *oq = km_xcalloc(nb, sizeof *oq);
        uint32_t *qi = km_xcalloc(nb, sizeof *qi);
        size_t nk = 0, no = 0;
        for (uint32_t i = 0; i < nb; i++) {
            struct burst *u = &bs[i];
            const struct crow *x = &c.rows[u->lo];
            u->base = x->base;
            u->ip = x->ip;
            u->org_days = UINT32_MAX;
            char plat[32];
            km_ku_platform(km_str_c(km_ku_str(&c.uas, x->ua)), plat);
            u->plat = plat[0] ? km_ku_intern(&c.plats, plat, strlen(plat)) : 0;
            u->day = (int32_t)(x->t >= 0 ? x->t / KM_KU_DAY_US : (x->t + 1) / KM_KU_DAY_US - 1);
            const char *ip = km_ku_str(&c.ipstr, x->ip);
            if (!km_ku_net(km_str_c(ip), v4, v6, &u->net, NULL) && x->ip)
                u->net = km_ku_hash(ip, strlen(ip), 0x726177);
            const char *p = km_ku_str(&c.ids, u->p);
            u->longterm = km_ku_longterm(p, strlen(p));
            int64_t s0 = start[memcmp(p, "AKIA", 4) != 0];
            if (u->longterm && u->net && !km_ku_internal(km_str_c(ip)) && s0 != INT64_MAX &&
                x->t - s0 >= min_history) {
                kq[nk] = (struct km_ku_keyq){p, u->net, x->t, 0, 0, INT64_MAX};
                qi[nk++] = i;
            }
        }
        /* did the key use the network before? */
        if (nk)
            rc = km_ku_key_nets(h, kq, nk, history, v4, v6, err);
        /* does the organisation use it? (asked only where the answer matters:
         * a network new for the key, or a key probing its permissions) */
        for (size_t k = 0; k < nk && rc == KM_OK; k++) {
            struct burst *u = &bs[qi[k]];
            int fresh = kq[k].seen_before && !kq[k].net_known;
            uint32_t dn[8];
            int ndn = 0;
            for (uint32_t r = u->lo; r <= u->hi && ndn < c.probe_actions && ndn < 8; r++)
                if (c.rows[r].denied)
                    add_id(dn, &ndn, 8, c.rows[r].act);
            if (fresh || ndn >= c.probe_actions) {
                oq[no] = (struct km_ku_orgq){u->net, km_ku_str(&c.ipstr, u->ip), u->day,
                                             kq[k].key, 0};
                qi[no] = qi[k];
                kq[no].net_known = !fresh;   /* kept for the verdict below */
                no++;
            }
        }
        if (no && rc == KM_OK)
            rc = km_ku_org_days(h, oq, no, v4, v6, err);
        for (size_t k = 0; k < no && rc == KM_OK; k++) {
            struct burst *u = &bs[qi[k]];
            u->org_days = oq[k].days;
            u->new_net = !kq[k].net_known && oq[k].days < (uint32_t)known_days;
        }
        free(kq);
        free(oq);
        free(qi);
        mark_routine(&c, bs, nb);
        if (rc == KM_OK)
            rc = emit_all(&c, bs, nb, err);
    }
    if (c.dropped || c.ids.overflow || c.acts.overflow || c.ipstr.overflow || c.uas.overflow)
        km_log(1, "kumo hunt: recon_burst reached a memory cap (%llu buckets or calls, %llu "
                  "names not kept): some bursts may be missing\n",
               (unsigned long long)c.dropped,
               (unsigned long long)(c.ids.overflow + c.acts.overflow + c.ipstr.overflow +
                                    c.uas.overflow));
    free(bs);
    free(c.bk);
    free(c.btab);
    free(c.need);
    free(c.rows);
    free(c.lastb);
    free(c.pstart);
    free(c.pfill);
    free(c.pbase);
    free(c.actcls);
    km_ku_intern_free(&c.ids);
    km_ku_intern_free(&c.acts);
    km_ku_intern_free(&c.svcs);
    km_ku_intern_free(&c.ipstr);
    km_ku_intern_free(&c.uas);
    km_ku_intern_free(&c.plats);
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
