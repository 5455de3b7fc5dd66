/*
 * det_gcpimp.c — gcp_impersonation: Google Cloud service-account
 * impersonation (docs/detections/gcp_impersonation.md).
 *
 * Evidence of "principal P acted as service account X":
 *
 *   token calls      iamcredentials GenerateAccessToken / GenerateIdToken /
 *                    SignBlob / SignJwt by P naming X (request.name or
 *                    resourceName "projects/-/serviceAccounts/X"), with
 *                    request.delegates for a chain (Data Access logs)
 *   delegated calls  any call made as X whose authenticationInfo carries
 *                    serviceAccountDelegationInfo [P, SA1, ...]: normalized
 *                    as actor.session_issuer "P -> SA1 -> ..." (Admin Activity)
 *   actAs            a deployment that attaches X to a resource
 *                    (authorizationInfo permission iam.serviceAccounts.actAs
 *                    granted) by P
 *
 * and the grants that make it possible: SetIamPolicy adding
 * roles/iam.serviceAccountTokenCreator, serviceAccountUser,
 * serviceAccountOpenIdTokenCreator or workloadIdentityUser
 * (serviceData.policyDelta).
 *
 * New terms decide what is ordinary: a (P, X) pair first seen in the
 * baseline (lateral.h; operators impersonating terraform@ every day) is
 * expected and not reported; first seen after it is medium (low when P is a
 * workload identity or allow-listed, or when two or more other principals
 * impersonated X before: a service account the team shares, or when the
 * first use comes from an address P, or three other principals, used before). A chain through two or more service
 * accounts is at least medium, a principal outside the organisation's
 * domains high. Denied token calls alone are low. Delegated calls are
 * aggregated per segment on dictionary codes (session_issuer, actor.name),
 * so the busiest impersonated account costs a few integer operations per
 * row; raw records are read only for token calls, SetIamPolicy and the
 * deployments that can carry actAs.
 */
#include "detect/detect.h"

#include "core/conf.h"
#include "core/timeparse.h"
#include "detect/finding.h"
#include "detect/lateral.h"
#include "geo/geo.h"
#include "ident/ident.h"
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_gcp_impersonation[] = {
    {"gcp_impersonation.history", KM_CONF_DUR, "1d",
     "baseline: (principal, service account) pairs first seen in this first part of the "
     "hunted data are routine (only when the data spans at least twice this)"},
    {"gcp_impersonation.min_chain", KM_CONF_INT, "2",
     "a delegation chain through at least this many service accounts is reported"},
    {"gcp_impersonation.actas", KM_CONF_BOOL, "true",
     "read deployments (instances, functions, Cloud Run, ...) for iam.serviceAccounts.actAs"},
    {NULL, 0, NULL, NULL},
};

static const char *const prov_gcp[] = {"gcp"};

/* The final component of a method name ("google.iam.credentials.v1.IAMCredentials.
 * GenerateAccessToken" -> "GenerateAccessToken"). */
static struct km_str last_seg(const char *v, size_t n)
{
    size_t i = n;
    while (i > 0 && v[i - 1] != '.' && v[i - 1] != '/')
        i--;
    return (struct km_str){v + i, (uint32_t)(n - i)};
}

static const char *const token_methods[] = {"GenerateAccessToken", "GenerateIdToken", "SignBlob",
                                            "SignJwt", "generateAccessToken", "generateIdToken",
                                            "signBlob", "signJwt", NULL};
/* deployments that run as a service account (and so check actAs) */
static const char *const actas_methods[] = {
    "v1.compute.instances.insert", "beta.compute.instances.insert",
    "v1.compute.instances.setServiceAccount", "v1.compute.instanceTemplates.insert",
    "google.cloud.functions.v1.CloudFunctionsService.CreateFunction",
    "google.cloud.functions.v1.CloudFunctionsService.UpdateFunction",
    "google.cloud.functions.v2.FunctionService.CreateFunction",
    "google.cloud.functions.v2.FunctionService.UpdateFunction",
    "google.cloud.run.v1.Services.CreateService", "google.cloud.run.v1.Services.ReplaceService",
    "google.cloud.run.v2.Services.CreateService", "google.cloud.run.v2.Services.UpdateService",
    "google.cloud.run.v2.Jobs.CreateJob", "google.container.v1.ClusterManager.CreateCluster",
    "google.container.v1.ClusterManager.CreateNodePool",
    "google.dataflow.v1beta3.Jobs.CreateJob", "google.cloud.scheduler.v1.CloudScheduler.CreateJob",
    "google.devtools.cloudbuild.v1.CloudBuild.CreateBuild", NULL};

enum kind { K_NONE = 0, K_TOKEN, K_SETIAM, K_ACTAS };

static int in_list(struct km_str s, const char *const *l)
{
    for (; *l; l++)
        if (km_str_eqc(s, *l))
            return 1;
    return 0;
}

static int kind_of(const char *v, size_t n, int actas)
{
    struct km_str ls = last_seg(v, n);
    if (in_list(ls, token_methods))
        return K_TOKEN;
    if (ls.n == 12 && strncasecmp(ls.p, "SetIamPolicy", 12) == 0)
        return K_SETIAM;
    if (actas && in_list((struct km_str){v, (uint32_t)n}, actas_methods))
        return K_ACTAS;
    return K_NONE;
}

static int pred(void *ctx, const char *v, size_t n)
{
    return kind_of(v, n, *(const int *)ctx) != K_NONE;
}

static const char *const imp_roles[] = {
    "roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountOpenIdTokenCreator", "roles/iam.workloadIdentityUser", NULL};

/* ---- what is collected ------------------------------------------------------------- */

enum how { H_TOKEN = 0, H_DELEGATED, H_ACTAS };
static const char *const how_names[] = {"token", "delegated call", "actAs"};

/* One observation of "origin acted as sa" (a token call, an actAs, or the
 * aggregate of delegated calls with one chain). */
struct obs {
    int64_t t, tlast;
    struct km_evref ref, ref_last;
    uint32_t origin, sa, chain, caller, method, project, ip, event_id;
    uint32_t count;
    uint16_t depth;       /* steps: principals before the service account (P -> SA1 -> X: 2) */
    uint8_t how, failed;
};

struct grant {
    int64_t t;
    struct km_evref ref;
    uint32_t granter, member, role, resource, project, ip, event_id;
};

struct gi {
    struct km_hunt *h;
    int actas;
    struct km_lat_pool pool;
    struct obs *o;
    uint32_t no, capo;
    struct grant *g;
    uint32_t ng, capg;
    /* delegated-call aggregation: (seg, chain code, name code) -> obs index */
    struct km_lat_map agg;
    /* token / actAs aggregation: per (how, denied), (chain, sa) -> obs index */
    struct km_lat_map same[3][2];
    uint64_t dropped;
    uint32_t cur_seg;
    int64_t tmin, tmax;
    uint64_t raw_reads;
};

#define MAX_OBS 1000000u

/* The observation of (how, failed, chain, sa) when one exists (a repeat:
 * counted into it, time range widened), else NULL. */
static struct obs *same_obs(struct gi *c, int how, int failed, uint32_t chain, uint32_t sa,
                            const struct km_hrow *r)
{
    int64_t *v = km_lat_map_get(&c->same[how][failed != 0], km_lat_pair(chain, sa));
    if (!v)
        return NULL;
    struct obs *o = &c->o[*v];
    o->count++;
    if (r->time < o->t) {
        o->t = r->time;
        o->ref = r->ref;
    }
    if (r->time >= o->tlast) {
        o->tlast = r->time;
        o->ref_last = r->ref;
    }
    return o;
}

static void index_obs(struct gi *c, const struct obs *o)
{
    km_lat_map_put(&c->same[o->how][o->failed != 0], km_lat_pair(o->chain, o->sa),
                   o - c->o, NULL);
}

static struct obs *new_obs(struct gi *c)
{
    if (c->no >= MAX_OBS) {
        c->dropped++;
        return NULL;
    }
    if (c->no == c->capo) {
        c->capo = c->capo ? c->capo * 2 : 256;
        c->o = km_xrealloc(c->o, c->capo * sizeof *c->o);
    }
    struct obs *o = &c->o[c->no++];
    memset(o, 0, sizeof *o);
    return o;
}

/* "projects/-/serviceAccounts/X" or ".../serviceAccounts/X/keys/..." -> X */
static struct km_str sa_of_name(struct km_str s)
{
    if (!s.p)
        return KM_STR_NONE;
    const char *m = memmem(s.p, s.n, "serviceAccounts/", 16);
    if (!m)
        return s.n && memchr(s.p, '@', s.n) ? s : KM_STR_NONE;
    const char *b = m + 16, *e = s.p + s.n;
    const char *slash = memchr(b, '/', (size_t)(e - b));
    return (struct km_str){b, (uint32_t)((slash ? slash : e) - b)};
}

static uint16_t chain_len(const char *chain)
{
    if (!*chain)
        return 0;
    uint16_t n = 1;
    for (const char *p = chain; (p = strstr(p, " -> ")) != NULL; p += 4)
        n++;
    return n;
}

/* The first element of "a -> b -> c" interned. */
static uint32_t chain_head(struct km_lat_pool *p, const char *chain)
{
    const char *e = strstr(chain, " -> ");
    return km_lat_intern(p, chain, e ? (size_t)(e - chain) : strlen(chain));
}

static int is_sa(const char *s)
{
    return strstr(s, ".gserviceaccount.com") != NULL || strncmp(s, "serviceAccount:", 15) == 0;
}

/* ---- the scans ------------------------------------------------------------------------ */

/* Records one token call or actAs: a repeat of (how, denied, chain, sa) is
 * counted into the existing observation. */
static void observe(struct gi *c, const struct km_hrow *r, struct km_event *ev, int how,
                    int failed, struct km_str sa, const char *chain)
{
    struct km_lat_pool *p = &c->pool;
    uint32_t cid = km_lat_intern(p, chain, strlen(chain));
    uint32_t sid = km_lat_intern_str(p, sa);
    if (!cid || !sid || same_obs(c, how, failed, cid, sid, r))
        return;
    struct obs *o = new_obs(c);
    if (!o)
        return;
    o->t = o->tlast = r->time;
    o->ref = o->ref_last = r->ref;
    o->how = (uint8_t)how;
    o->count = 1;
    o->failed = (uint8_t)(failed != 0);
    o->sa = sid;
    o->chain = cid;
    o->caller = km_lat_intern_str(p, ev->f[KM_F_ACTOR_NAME]);
    o->method = km_lat_intern_str(p, ev->f[KM_F_ACTION]);
    o->project = km_lat_intern_str(p, ev->f[KM_F_ACCOUNT]);
    o->ip = km_lat_intern_str(p, ev->f[KM_F_SRC_IP].p ? ev->f[KM_F_SRC_IP] : ev->f[KM_F_SRC_RAW]);
    o->event_id = km_lat_intern_str(p, ev->f[KM_F_EVENT_ID]);
    o->origin = chain_head(p, chain);
    o->depth = chain_len(chain);   /* steps: every principal before the target */
    index_obs(c, o);
}

/* chain = the caller's own delegation, the caller, then extra delegates */
static size_t chain_start(char *chain, size_t cap, struct km_event *ev)
{
    struct km_str iss = ev->f[KM_F_ACTOR_SESSION_ISSUER], who = ev->f[KM_F_ACTOR_NAME];
    int n = snprintf(chain, cap, "%.*s%s%.*s", iss.p ? (int)(iss.n < cap / 2 ? iss.n : cap / 2) : 0,
                     iss.p ? iss.p : "", iss.p ? " -> " : "",
                     who.p ? (int)(who.n < cap / 4 ? who.n : cap / 4) : 0, who.p ? who.p : "");
    return n > 0 ? strnlen(chain, cap) : 0;
}

static void on_token(struct gi *c, const struct km_hrow *r, struct km_event *ev,
                     const struct km_json *root, struct km_arena *a)
{
    const struct km_json *pp = km_json_get(root, "protoPayload");
    const struct km_json *rq = km_lat_embedded(km_json_get(pp, "request"), a);
    struct km_str sa = sa_of_name(km_lat_jstr(km_json_get(rq, "name")));
    if (!sa.p)
        sa = sa_of_name(km_lat_jstr(km_json_get(pp, "resourceName")));
    const struct km_json *lab = km_json_get(km_json_get(root, "resource"), "labels");
    struct km_str email = km_lat_jstr(km_json_get(lab, "email_id"));
    if (email.p && (!sa.p || !memchr(sa.p, '@', sa.n)))
        sa = email;
    if (!sa.p || !ev->f[KM_F_ACTOR_NAME].p)
        return;
    int failed = km_str_eqc(ev->f[KM_F_OUTCOME], "failure");
    const struct km_json *ai = km_json_get(pp, "authorizationInfo");
    if (km_json_is_arr(ai))   /* a permission refused in authorizationInfo: denied */
        for (const struct km_json *x = ai->child; x; x = x->next) {
            const struct km_json *gr = km_json_get(x, "granted");
            if (gr && gr->type == KM_JSON_FALSE)
                failed = 1;
        }
    /* the caller may itself be delegated, and the request may name delegates */
    char chain[2048];
    size_t cn = chain_start(chain, sizeof chain, ev);
    const struct km_json *dl = km_json_get(rq, "delegates");
    if (km_json_is_arr(dl))
        for (const struct km_json *d = dl->child; d && cn < sizeof chain - 8; d = d->next) {
            struct km_str ds = sa_of_name(km_lat_jstr(d));
            if (ds.p)
                cn += (size_t)snprintf(chain + cn, sizeof chain - cn, " -> %.*s",
                                       (int)(ds.n < 512 ? ds.n : 512), ds.p);
            cn = strnlen(chain, sizeof chain);
        }
    observe(c, r, ev, H_TOKEN, failed, sa, chain);
}

static void on_actas(struct gi *c, const struct km_hrow *r, struct km_event *ev,
                     const struct km_json *root)
{
    const struct km_json *ai = km_json_get(km_json_get(root, "protoPayload"), "authorizationInfo");
    if (!km_json_is_arr(ai) || !ev->f[KM_F_ACTOR_NAME].p)
        return;
    for (const struct km_json *x = ai->child; x; x = x->next) {
        if (!km_str_eqc(km_lat_jstr(km_json_get(x, "permission")), "iam.serviceAccounts.actAs"))
            continue;
        const struct km_json *g = km_json_get(x, "granted");
        struct km_str sa = sa_of_name(km_lat_jstr(km_json_get(x, "resource")));
        if (!sa.p)
            continue;
        char chain[2048];
        chain_start(chain, sizeof chain, ev);
        observe(c, r, ev, H_ACTAS, g && g->type == KM_JSON_FALSE, sa, chain);
    }
}

static void on_setiam(struct gi *c, const struct km_hrow *r, struct km_event *ev,
                      const struct km_json *root, struct km_arena *a)
{
    struct km_lat_pool *p = &c->pool;
    const struct km_json *pp = km_json_get(root, "protoPayload");
    const struct km_json *sd = km_lat_embedded(km_json_get(pp, "serviceData"), a);
    const struct km_json *bd = km_json_get(km_json_get(sd, "policyDelta"), "bindingDeltas");
    if (!km_json_is_arr(bd)) {
        /* some services put the delta in metadata */
        const struct km_json *md = km_lat_embedded(km_json_get(pp, "metadata"), a);
        bd = km_json_get(km_json_get(md, "datasetChange"), "bindingDeltas");
        if (!km_json_is_arr(bd))
            return;
    }
    for (const struct km_json *d = bd->child; d; d = d->next) {
        if (!km_str_eqc(km_lat_jstr(km_json_get(d, "action")), "ADD"))
            continue;
        struct km_str role = km_lat_jstr(km_json_get(d, "role"));
        if (!role.p || !in_list(role, imp_roles))
            continue;
        if (c->ng == c->capg) {
            c->capg = c->capg ? c->capg * 2 : 64;
            c->g = km_xrealloc(c->g, c->capg * sizeof *c->g);
        }
        struct grant *g = &c->g[c->ng++];
        memset(g, 0, sizeof *g);
        g->t = r->time;
        g->ref = r->ref;
        g->granter = km_lat_intern_str(p, ev->f[KM_F_ACTOR_NAME]);
        g->member = km_lat_intern_str(p, km_lat_jstr(km_json_get(d, "member")));
        g->role = km_lat_intern_str(p, role);
        g->resource = km_lat_intern_str(p, km_lat_jstr(km_json_get(pp, "resourceName")));
        g->project = km_lat_intern_str(p, ev->f[KM_F_ACCOUNT]);
        g->ip = km_lat_intern_str(p, ev->f[KM_F_SRC_IP].p ? ev->f[KM_F_SRC_IP]
                                                            : ev->f[KM_F_SRC_RAW]);
        g->event_id = km_lat_intern_str(p, ev->f[KM_F_EVENT_ID]);
    }
}

static int row_methods(void *vctx, const struct km_hrow *r)
{
    struct gi *c = vctx;
    if (r->ref.seg != c->cur_seg) {
        km_lat_map_free(&c->agg);
        km_lat_map_init(&c->agg);
        c->cur_seg = r->ref.seg;
    }
    {
        /* a deployment by the same caller of the same target, with the same
         * method, was read already in this segment: it attaches the same
         * service account (the pair keeps its first time) */
        uint32_t ac = km_hrow_code(r, KM_F_ACTION);
        struct km_str a = km_hrow_str(r, KM_F_ACTION);
        if (a.p && kind_of(a.p, a.n, c->actas) == K_ACTAS) {
            uint64_t k = ((uint64_t)km_hrow_code(r, KM_F_ACTOR_NAME) << 40) ^
                         ((uint64_t)km_hrow_code(r, KM_F_RESOURCES) << 16) ^ ac ^ (1ULL << 63);
            int added;
            km_lat_map_put(&c->agg, k, 1, &added);
            if (!added)
                return 0;
        }
    }
    struct km_event ev;
    km_event_init(&ev);
    if (km_hrow_event(r, &ev) != KM_OK)
        return 0;
    int k = kind_of(ev.f[KM_F_ACTION].p ? ev.f[KM_F_ACTION].p : "", ev.f[KM_F_ACTION].n,
                    c->actas);
    if (k == K_SETIAM && km_str_eqc(ev.f[KM_F_OUTCOME], "failure"))
        return 0;
    if (k == K_ACTAS && km_str_eqc(ev.f[KM_F_OUTCOME], "failure"))
        return 0;
    struct km_arena a;
    km_arena_init(&a, 0, 64u << 20);
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    c->raw_reads++;
    if (km_hrow_raw(r, &a, &root, &e) == KM_OK && km_json_is_obj(root)) {
        if (k == K_TOKEN)
            on_token(c, r, &ev, root, &a);
        else if (k == K_SETIAM)
            on_setiam(c, r, &ev, root, &a);
        else if (k == K_ACTAS)
            on_actas(c, r, &ev, root);
    }
    km_arena_free(&a);
    return 0;
}

static int row_delegated(void *vctx, const struct km_hrow *r)
{
    struct gi *c = vctx;
    if (r->time < c->tmin)
        c->tmin = r->time;
    if (r->time > c->tmax)
        c->tmax = r->time;
    uint32_t cc = km_hrow_code(r, KM_F_ACTOR_SESSION_ISSUER);
    uint32_t nc = km_hrow_code(r, KM_F_ACTOR_NAME);
    if (r->ref.seg != c->cur_seg) {
        km_lat_map_free(&c->agg);
        km_lat_map_init(&c->agg);
        c->cur_seg = r->ref.seg;
    }
    int added;
    int64_t *v = km_lat_map_put(&c->agg, ((uint64_t)cc << 32) | nc | (1ULL << 63), 0, &added);
    if (!added) {
        if (*v < 0)
            return 0;   /* beyond the limit */
        struct obs *o = &c->o[*v];
        o->count++;
        if (r->time < o->t) {
            o->t = r->time;
            o->ref = r->ref;
        }
        if (r->time >= o->tlast) {
            o->tlast = r->time;
            o->ref_last = r->ref;
        }
        return 0;
    }
    struct km_event ev;
    km_event_init(&ev);
    if (km_hrow_event(r, &ev) != KM_OK)
        return 0;
    struct km_lat_pool *p = &c->pool;
    uint32_t chain = km_lat_intern_str(p, ev.f[KM_F_ACTOR_SESSION_ISSUER]);
    uint32_t sa = km_lat_intern_str(p, ev.f[KM_F_ACTOR_NAME]);
    if (!chain || !sa)
        return 0;
    /* one observation per (chain, sa) over all segments: find an earlier one */
    struct obs *o = NULL;
    for (uint32_t i = c->no; i-- > 0 && !o;)
        if (c->o[i].how == H_DELEGATED && c->o[i].chain == chain && c->o[i].sa == sa)
            o = &c->o[i];
    if (o) {
        *v = o - c->o;
        o->count++;
        if (r->time < o->t) {
            o->t = r->time;
            o->ref = r->ref;
            o->event_id = km_lat_intern_str(p, ev.f[KM_F_EVENT_ID]);
            o->ip = km_lat_intern_str(p, ev.f[KM_F_SRC_IP].p ? ev.f[KM_F_SRC_IP]
                                                               : ev.f[KM_F_SRC_RAW]);
        }
        if (r->time >= o->tlast) {
            o->tlast = r->time;
            o->ref_last = r->ref;
        }
        return 0;
    }
    o = new_obs(c);
    if (!o) {
        *v = -1;
        return 0;
    }
    *v = c->no - 1;
    o->t = o->tlast = r->time;
    o->ref = o->ref_last = r->ref;
    o->how = H_DELEGATED;
    o->count = 1;
    o->sa = sa;
    o->chain = chain;
    o->caller = sa;
    o->method = km_lat_intern_str(p, ev.f[KM_F_ACTION]);
    o->project = km_lat_intern_str(p, ev.f[KM_F_ACCOUNT]);
    o->ip = km_lat_intern_str(p, ev.f[KM_F_SRC_IP].p ? ev.f[KM_F_SRC_IP] : ev.f[KM_F_SRC_RAW]);
    o->event_id = km_lat_intern_str(p, ev.f[KM_F_EVENT_ID]);
    const char *cs = km_lat_str(p, chain);
    o->origin = chain_head(p, cs);
    o->depth = chain_len(cs);
    return 0;
}

/* ---- deciding -------------------------------------------------------------------------- */

static const char *const consumer_domains[] = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "proton.me", "protonmail.com", "aol.com", "gmx.com", "gmx.de",
    "mail.ru", "yandex.ru", "qq.com", "163.com", NULL};

/* 1 when a principal is a person or group outside the organisation: its
 * domain is not one of the organisation's (identity graph / configuration),
 * or, when none is known, a consumer mail domain; allUsers and
 * allAuthenticatedUsers always. */
static int outside(struct km_hunt *h, const char *who)
{
    if (strcmp(who, "allUsers") == 0 || strcmp(who, "allAuthenticatedUsers") == 0)
        return 1;
    const char *s = who;
    const char *col = strchr(s, ':');
    if (col && strncmp(s, "principal", 9) != 0)
        s = col + 1;
    if (is_sa(s) || strncmp(who, "principal", 9) == 0)
        return 0;
    const char *at = strrchr(s, '@');
    const char *dom = at ? at + 1 : (strncmp(who, "domain:", 7) == 0 ? who + 7 : NULL);
    if (!dom || !*dom)
        return 0;
    const char *const *doms = NULL;
    const char *origin;
    size_t nd = 0;
    if (km_hunt_graph(h))
        nd = km_idgraph_domains(km_hunt_graph(h), &doms, &origin);
    if (!nd)
        nd = km_conf_list(km_hunt_conf(h), "identity.domains", &doms);
    if (nd) {
        for (size_t i = 0; i < nd; i++)
            if (strcasecmp(doms[i], dom) == 0)
                return 0;
        return 1;
    }
    for (const char *const *d = consumer_domains; *d; d++)
        if (strcasecmp(*d, dom) == 0)
            return 1;
    return 0;
}

static int automation(struct km_hunt *h, const char *origin)
{
    return strncmp(origin, "principal://", 12) == 0 || strncmp(origin, "principalSet://", 15) == 0 ||
           km_hunt_allowed_identity(h, km_str_c(origin));
}

struct pair {
    uint32_t origin, sa;
    uint32_t first, n;     /* range in the sorted obs index array */
};

static int cmp_obs(const void *a, const void *b, void *ctx)
{
    const struct obs *o = ctx;
    const struct obs *x = &o[*(const uint32_t *)a], *y = &o[*(const uint32_t *)b];
    if (x->origin != y->origin)
        return x->origin < y->origin ? -1 : 1;
    if (x->sa != y->sa)
        return x->sa < y->sa ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static void add_ent(struct km_finding *f, int k, const char *s)
{
    if (s && *s)
        km_strset_addc(&f->ent[k], s);
}

static void add_person(struct gi *c, struct km_finding *f, const char *who)
{
    if (!*who || is_sa(who) || strncmp(who, "principal", 9) == 0 || !strchr(who, '@'))
        return;
    const char *s = strncmp(who, "user:", 5) == 0 ? who + 5 : who;
    const struct km_idgraph *g = km_hunt_graph(c->h);
    int pi = g ? km_idgraph_find_person(g, s, strlen(s)) : -1;
    if (pi >= 0)
        add_ent(f, KM_ENT_PERSONS, km_idgraph_person(g, (size_t)pi)->email);
    else {
        char low[320];
        size_t n = strlen(s) < sizeof low - 1 ? strlen(s) : sizeof low - 1;
        for (size_t i = 0; i < n; i++)
            low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        low[n] = 0;
        add_ent(f, KM_ENT_PERSONS, low);
    }
}

static void add_ip(struct gi *c, struct km_finding *f, const char *ip)
{
    if (!*ip)
        return;
    add_ent(f, KM_ENT_IPS, ip);
    struct km_geo *geo = km_hunt_geo(c->h);
    if (geo) {
        struct km_geo_rec gr;
        km_geo_lookup(geo, ip, strlen(ip), &gr);
        add_ent(f, KM_ENT_COUNTRIES, gr.country);
    }
}

static void chain_entities(struct gi *c, struct km_finding *f, const char *chain)
{
    const char *s = chain;
    while (*s) {
        const char *e = strstr(s, " -> ");
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char one[512];
        snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one - 1 ? n : sizeof one - 1), s);
        add_ent(f, KM_ENT_IDENTITIES, one);
        add_person(c, f, one);
        if (!e)
            break;
        s = e + 4;
    }
}

static void emit_pair(struct gi *c, const uint32_t *idx, uint32_t n, int sev, int first_seen,
                      int outside_p, uint16_t depth, int only_failed)
{
    struct km_lat_pool *p = &c->pool;
    const struct obs *o0 = &c->o[idx[0]];
    const char *origin = km_lat_str(p, o0->origin), *sa = km_lat_str(p, o0->sa);
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "gcp_impersonation";
    f.technique = "T1550.001";
    f.severity = sev;
    snprintf(f.key, sizeof f.key, "pair|%.120s|%.120s", origin, sa);
    uint64_t calls = 0, tokens = 0, actas = 0;
    const char *longest = "";
    uint32_t projects_first = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct obs *o = &c->o[idx[i]];
        add_ent(&f, KM_ENT_IDENTITIES, sa);
        chain_entities(c, &f, km_lat_str(p, o->chain));
        add_ent(&f, KM_ENT_ACCOUNTS, km_lat_str(p, o->project));
        const char *at = strchr(sa, '@');
        if (at) {   /* the service account's own project */
            char proj[200];
            const char *dot = strstr(at + 1, ".iam.gserviceaccount.com");
            if (dot) {
                snprintf(proj, sizeof proj, "%.*s", (int)(dot - at - 1), at + 1);
                add_ent(&f, KM_ENT_ACCOUNTS, proj);
            }
        }
        add_ip(c, &f, km_lat_str(p, o->ip));
        km_finding_window(&f, o->t);
        km_finding_window(&f, o->tlast);
        if (i < 40 || o->how != H_DELEGATED) {
            km_hunt_add_evidence(c->h, &f, o->ref);
            if (o->ref_last.seg != o->ref.seg || o->ref_last.row != o->ref.row)
                km_hunt_add_evidence(c->h, &f, o->ref_last);
        }
        if (o->how == H_DELEGATED)
            calls += o->count;
        else if (o->how == H_TOKEN)
            tokens += o->count;
        else
            actas += o->count;
        if (strlen(km_lat_str(p, o->chain)) > strlen(longest))
            longest = km_lat_str(p, o->chain);
        if (!projects_first)
            projects_first = o->project;
    }
    /* the roles these actions need on the service account */
    if (tokens || calls)
        add_ent(&f, KM_ENT_ROLES, "roles/iam.serviceAccountTokenCreator");
    if (actas)
        add_ent(&f, KM_ENT_ROLES, "roles/iam.serviceAccountUser");
    char dur[40], when[40];
    km_lat_duration(f.last - f.first, dur, sizeof dur);
    km_time_fmt(o0->t, when);
    char what[200] = "";
    size_t wn = 0;
    if (tokens)
        wn += (size_t)snprintf(what + wn, sizeof what - wn, "%llu token call%s",
                               (unsigned long long)tokens, tokens == 1 ? "" : "s");
    if (actas && wn < sizeof what)
        wn += (size_t)snprintf(what + wn, sizeof what - wn, "%s%llu actAs deployment%s",
                               wn ? ", " : "", (unsigned long long)actas, actas == 1 ? "" : "s");
    if (calls && wn < sizeof what)
        wn += (size_t)snprintf(what + wn, sizeof what - wn, "%s%llu call%s as it",
                               wn ? ", " : "", (unsigned long long)calls, calls == 1 ? "" : "s");
    char via[600] = "";
    if (depth >= 2)
        snprintf(via, sizeof via, " through a delegation chain of %u steps (%s -> %s)", depth,
                 longest, sa);
    int self = o0->origin == o0->sa;
    if (self)
        snprintf(f.summary, sizeof f.summary, "%s%s %s (%s) at %s: %s within %s%s.",
                 outside_p ? "Outside principal " : "", origin,
                 only_failed ? "tried to mint tokens as itself" : "minted tokens as itself",
                 km_lat_str(p, projects_first), when, what, dur, only_failed ? " (denied)" : "");
    else
        snprintf(f.summary, sizeof f.summary, "%s%s %s %s%s%s (%s) at %s: %s within %s%s.",
                 outside_p ? "Outside principal " : "", origin,
                 only_failed ? "tried to impersonate" : "impersonated", sa,
                 first_seen ? " for the first time" : "", via, km_lat_str(p, projects_first), when,
                 what, dur, only_failed ? " (denied)" : "");
    struct km_buf d;
    km_buf_init(&d, 1u << 20);
    km_buf_adds(&d, "{\"chain\":[");
    uint32_t shown = 0;
    for (uint32_t i = 0; i < n && shown < 40; i++) {
        const struct obs *o = &c->o[idx[i]];
        char t[40];
        km_time_fmt(o->t, t);
        km_buf_adds(&d, shown ? ",{" : "{");
        km_lat_json_kv(&d, "time", t, 1);
        km_lat_json_kv(&d, "from", km_lat_str(p, o->chain), 0);
        km_lat_json_kv(&d, "to", sa, 0);
        km_lat_json_kv(&d, "how", how_names[o->how], 0);
        km_lat_json_kv(&d, "method", km_lat_str(p, o->method), 0);
        km_lat_json_kv(&d, "project", km_lat_str(p, o->project), 0);
        km_lat_json_kv(&d, "ip", km_lat_str(p, o->ip), 0);
        km_lat_json_kv(&d, "event_id", km_lat_str(p, o->event_id), 0);
        km_buf_printf(&d, ",\"count\":%u,\"depth\":%u,\"denied\":%s}", o->count, o->depth,
                      o->failed ? "true" : "false");
        shown++;
    }
    km_buf_adds(&d, "],\"origin\":");
    km_json_write_str(&d, origin, strlen(origin));
    km_buf_adds(&d, ",\"service_account\":");
    km_json_write_str(&d, sa, strlen(sa));
    km_buf_printf(&d,
                  ",\"token_calls\":%llu,\"actas\":%llu,\"delegated_calls\":%llu,\"depth\":%u,"
                  "\"first_seen\":%s,\"outside\":%s}",
                  (unsigned long long)tokens, (unsigned long long)actas,
                  (unsigned long long)calls, depth, first_seen ? "true" : "false",
                  outside_p ? "true" : "false");
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

static void emit_grant(struct gi *c, const struct grant *g)
{
    struct km_lat_pool *p = &c->pool;
    const char *member = km_lat_str(p, g->member), *role = km_lat_str(p, g->role);
    int out = outside(c->h, member);
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "gcp_impersonation";
    f.technique = "T1550.001";
    f.severity = out ? KM_SEV_HIGH : KM_SEV_MEDIUM;
    snprintf(f.key, sizeof f.key, "grant|%.100s|%.80s|%.60s", km_lat_str(p, g->resource), member,
             role);
    add_ent(&f, KM_ENT_IDENTITIES, km_lat_str(p, g->granter));
    add_person(c, &f, km_lat_str(p, g->granter));
    const char *m = strchr(member, ':') ? strchr(member, ':') + 1 : member;
    add_ent(&f, KM_ENT_IDENTITIES, m);
    add_person(c, &f, m);
    add_ent(&f, KM_ENT_ROLES, role);
    add_ent(&f, KM_ENT_ACCOUNTS, km_lat_str(p, g->project));
    add_ent(&f, KM_ENT_RESOURCES, km_lat_str(p, g->resource));
    add_ip(c, &f, km_lat_str(p, g->ip));
    km_finding_window(&f, g->t);
    km_hunt_add_evidence(c->h, &f, g->ref);
    snprintf(f.summary, sizeof f.summary,
             "%s granted %s on %s to %s%s: it can now act as %s.", km_lat_str(p, g->granter), role,
             km_lat_str(p, g->resource), member, out ? " (outside the organisation)" : "",
             strstr(km_lat_str(p, g->resource), "serviceAccounts/") ? "that service account"
                                                                   : "the project's service accounts");
    struct km_buf d;
    km_buf_init(&d, 1u << 16);
    km_buf_addc(&d, '{');
    km_lat_json_kv(&d, "granter", km_lat_str(p, g->granter), 1);
    km_lat_json_kv(&d, "member", member, 0);
    km_lat_json_kv(&d, "role", role, 0);
    km_lat_json_kv(&d, "resource", km_lat_str(p, g->resource), 0);
    km_lat_json_kv(&d, "event_id", km_lat_str(p, g->event_id), 0);
    km_buf_printf(&d, ",\"outside\":%s}", out ? "true" : "false");
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

/* Who used the addresses of first uses before: a first use from an address
 * the principal used before, or that three or more principals share (an
 * office NAT, the VPN), is a colleague starting to use a tool; from an
 * address new to both it is what an intruder's first impersonation looks
 * like. One scan, pruned to the candidate addresses by dictionary. */
struct seen {
    uint32_t ip;       /* index into the candidate addresses */
    uint64_t who;      /* hash of the actor's e-mail, else name */
    int64_t t;         /* earliest use */
};
struct addrs {
    const char **ip;
    uint32_t nip;
    struct seen *s;
    size_t ns, caps;
    int full;
};

static uint64_t who_hash(struct km_str a)
{
    uint64_t x = 1469598103934665603ull;
    for (uint32_t i = 0; i < a.n; i++)
        x = (x ^ (unsigned char)(a.p[i] | 0x20)) * 1099511628211ull;
    return x ? x : 1;
}

static int row_addr(void *vctx, const struct km_hrow *r)
{
    struct addrs *a = vctx;
    struct km_str ip = km_hrow_str(r, KM_F_SRC_IP);
    struct km_str who = km_hrow_str(r, KM_F_ACTOR_EMAIL);
    if (!who.p)
        who = km_hrow_str(r, KM_F_ACTOR_NAME);
    if (!ip.p || !who.p)
        return 0;
    uint32_t k = 0;
    while (k < a->nip && !km_str_eqc(ip, a->ip[k]))
        k++;
    if (k == a->nip)
        return 0;
    uint64_t w = who_hash(who);
    for (size_t i = 0; i < a->ns; i++)
        if (a->s[i].ip == k && a->s[i].who == w) {
            if (r->time < a->s[i].t)
                a->s[i].t = r->time;
            return 0;
        }
    if (a->ns >= 200000) {
        a->full = 1;   /* bounded; the rest counts as known (no alert) */
        return 0;
    }
    if (a->ns == a->caps) {
        a->caps = a->caps ? 2 * a->caps : 256;
        a->s = km_xrealloc(a->s, a->caps * sizeof *a->s);
    }
    a->s[a->ns++] = (struct seen){k, w, r->time};
    return 0;
}

/* 1 when ip was used on an earlier (UTC) day than t by `origin` or by three
 * or more principals (an address seen only minutes earlier proves nothing:
 * the intruder's own session may have used it). */
static int addr_known(const struct addrs *a, const char *ip, const char *origin, int64_t t)
{
    if (a->full)
        return 1;
    uint32_t k = 0;
    while (k < a->nip && strcmp(a->ip[k], ip) != 0)
        k++;
    if (k == a->nip)
        return 0;
    uint64_t w = who_hash(km_str_c(origin));
    int others = 0;
    for (size_t i = 0; i < a->ns; i++)
        if (a->s[i].ip == k && a->s[i].t < t - (t % (86400LL * 1000000))) {
            if (a->s[i].who == w)
                return 1;
            others++;
        }
    return others >= 3;
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *cf = km_hunt_conf(h);
    int64_t history = km_conf_dur_us(cf, "gcp_impersonation.history");
    int64_t min_chain = km_conf_int(cf, "gcp_impersonation.min_chain");
    struct gi c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.actas = km_conf_bool(cf, "gcp_impersonation.actas");
    c.tmin = INT64_MAX;
    c.tmax = INT64_MIN;
    c.cur_seg = UINT32_MAX;
    km_lat_pool_init(&c.pool, 64u << 20);
    km_lat_map_init(&c.agg);

    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_PROVIDER;
    sc.cond[0].vals = prov_gcp;
    sc.cond[0].nvals = 1;
    sc.cond[1].field = KM_F_ACTOR_SESSION_ISSUER;
    sc.cond[1].present = 1;
    sc.ncond = 2;
    sc.row = row_delegated;
    sc.ctx = &c;
    int rc = km_hunt_scan(h, &sc, err);
    km_lat_map_free(&c.agg);
    km_lat_map_init(&c.agg);
    c.cur_seg = UINT32_MAX;
    if (rc == KM_OK) {
        memset(&sc, 0, sizeof sc);
        sc.cond[0].field = KM_F_PROVIDER;
        sc.cond[0].vals = prov_gcp;
        sc.cond[0].nvals = 1;
        sc.cond[1].field = KM_F_ACTION;
        sc.cond[1].pred = pred;
        sc.cond[1].pctx = &c.actas;
        sc.ncond = 2;
        sc.row = row_methods;
        sc.ctx = &c;
        rc = km_hunt_scan(h, &sc, err);
    }
    uint32_t *idx = NULL;
    if (rc != KM_OK)
        goto out;
    for (uint32_t i = 0; i < c.no; i++) {
        c.tmin = c.o[i].t < c.tmin ? c.o[i].t : c.tmin;
        c.tmax = c.o[i].tlast > c.tmax ? c.o[i].tlast : c.tmax;
    }
    {
        int64_t s0, s1;
        if (km_hunt_span(h, &s0, &s1) && s1 > c.tmax)
            c.tmax = s1;   /* the data goes on after the last relevant event */
    }
    int64_t base_end = km_lat_baseline_end(c.tmin, c.tmax, history);
    /* pairs (origin, service account) */
    idx = km_xmalloc(((size_t)c.no + 1) * sizeof *idx);
    for (uint32_t i = 0; i < c.no; i++)
        idx[i] = i;
    qsort_r(idx, c.no, sizeof *idx, cmp_obs, c.o);
    /* every pair's first successful use, for "shared" below */
    struct pfirst {
        uint32_t origin, sa;
        int64_t t;
    } *pf = km_xmalloc(((size_t)c.no + 1) * sizeof *pf);
    uint32_t npf = 0;
    for (uint32_t i = 0; i < c.no;) {
        uint32_t j = i + 1;
        while (j < c.no && c.o[idx[j]].origin == c.o[idx[i]].origin &&
               c.o[idx[j]].sa == c.o[idx[i]].sa)
            j++;
        int64_t t = INT64_MAX;
        for (uint32_t k = i; k < j; k++)
            if (!c.o[idx[k]].failed && c.o[idx[k]].t < t)
                t = c.o[idx[k]].t;
        if (t != INT64_MAX)
            pf[npf++] = (struct pfirst){c.o[idx[i]].origin, c.o[idx[i]].sa, t};
        i = j;
    }
    /* the addresses of first uses after the baseline, and who used them */
    struct addrs ad;
    memset(&ad, 0, sizeof ad);
    ad.ip = km_xcalloc(1025, sizeof *ad.ip);
    for (uint32_t i = 0; i < c.no && ad.nip < 1024; i++) {
        const struct obs *o = &c.o[i];
        if (o->failed || o->t < base_end)
            continue;
        const char *ip = km_lat_str(&c.pool, o->ip);
        if (!ip || !*ip)
            continue;
        uint32_t k = 0;
        while (k < ad.nip && strcmp(ad.ip[k], ip) != 0)
            k++;
        if (k == ad.nip)
            ad.ip[ad.nip++] = ip;
    }
    if (ad.nip) {
        struct km_hscan as;
        memset(&as, 0, sizeof as);
        as.cond[0].field = KM_F_SRC_IP;
        as.cond[0].vals = ad.ip;
        as.cond[0].nvals = (int)ad.nip;
        as.ncond = 1;
        as.row = row_addr;
        as.ctx = &ad;
        rc = km_hunt_scan(h, &as, err);
        if (rc != KM_OK) {
            free(pf);
            free(ad.ip);
            free(ad.s);
            goto out;
        }
    }
    for (uint32_t i = 0; i < c.no;) {
        uint32_t j = i + 1;
        while (j < c.no && c.o[idx[j]].origin == c.o[idx[i]].origin &&
               c.o[idx[j]].sa == c.o[idx[i]].sa)
            j++;
        const struct obs *o0 = &c.o[idx[i]];
        const char *origin = km_lat_str(&c.pool, o0->origin);
        uint16_t depth = 0;
        int ok_any = 0;
        int64_t first_ok = INT64_MAX;
        for (uint32_t k = i; k < j; k++) {
            const struct obs *o = &c.o[idx[k]];
            if (o->depth > depth)
                depth = o->depth;
            if (!o->failed) {
                ok_any = 1;
                if (o->t < first_ok)
                    first_ok = o->t;
            }
        }
        int first_seen = ok_any && first_ok >= base_end;
        int out_p = outside(h, origin);
        int autom = automation(h, origin);
        /* a service account the team already shares (two or more other
         * principals impersonated it before) is a team tool: a colleague's
         * first use of it is routine */
        int shared = 0;
        for (uint32_t k = 0; first_seen && k < npf; k++)
            shared += pf[k].sa == o0->sa && pf[k].origin != o0->origin && pf[k].t < first_ok;
        /* ... or a first use from an address the principal (or the office)
         * already works from */
        const struct obs *ofirst = NULL;
        for (uint32_t k = i; first_seen && k < j; k++)
            if (!c.o[idx[k]].failed && c.o[idx[k]].t == first_ok)
                ofirst = &c.o[idx[k]];
        if (ofirst && addr_known(&ad, km_lat_str(&c.pool, ofirst->ip), origin, first_ok))
            shared = 2;
        int sev = -1;
        if (!ok_any)
            sev = KM_SEV_LOW;   /* only denied attempts */
        else {
            if (first_seen)
                sev = autom || shared >= 2 ? KM_SEV_LOW : KM_SEV_MEDIUM;
            if (depth >= min_chain && sev < KM_SEV_MEDIUM)
                sev = KM_SEV_MEDIUM;
            if (depth >= min_chain && first_seen && !autom)
                sev = KM_SEV_HIGH;
            if (out_p)
                sev = KM_SEV_HIGH;
        }
        if (sev >= 0)
            emit_pair(&c, idx + i, j - i, sev, first_seen, out_p, depth, !ok_any);
        i = j;
    }
    for (uint32_t i = 0; i < c.ng; i++)
        emit_grant(&c, &c.g[i]);
    free(pf);
    free(ad.ip);
    free(ad.s);
    km_log(2, "gcp_impersonation: %u observations, %u grants, %llu raw records", c.no, c.ng,
           (unsigned long long)c.raw_reads);
out:
    if (c.dropped)
        km_log(1, "gcp_impersonation: %llu observations beyond the limit of %u were not examined",
               (unsigned long long)c.dropped, MAX_OBS);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++)
            km_lat_map_free(&c.same[i][k]);
    km_lat_map_free(&c.agg);
    free(idx);
    free(c.o);
    free(c.g);
    km_lat_pool_free(&c.pool);
    return rc;
}

const struct km_detection km_det_gcp_impersonation = {
    .id = "gcp_impersonation",
    .title = "GCP service-account impersonation",
    .technique = "T1550.001",
    .summary = "token generation (GenerateAccessToken, SignBlob, SignJwt), delegated calls and "
               "actAs by a principal new for that service account, delegation chains, "
               "outside principals, token-creator grants",
    .providers = "gcp",
    .conf = km_det_conf_gcp_impersonation,
    .run = run,
};
