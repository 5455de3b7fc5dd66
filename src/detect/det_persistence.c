/*
 * det_persistence.c — credential_persistence: someone gives an identity a
 * credential that outlives the session they are in: a new IAM user with an
 * access key or a console password, keys and passwords for *another* user, a
 * new identity provider or a role trust opened to the outside, Entra
 * application credentials and owners, Google service-account keys; and a
 * created key that is then used (docs/detections/credential_persistence.md).
 *
 * One scan over the operations (dictionary-pruned on `action`) collects
 * compact candidates; up to three small scans then add what one event cannot
 * say: (1) whether the creator's address was new for them (the rows of the
 * creators only), (2) whether a created key was used afterwards (the rows of
 * those keys only), (3) whether the address that used it had ever been seen
 * before the key existed (the rows of those addresses only).
 *
 *   CreateUser(U) ──┐ same caller, ≤ chain_window      ──► one finding, high
 *   CreateAccessKey(U) / CreateLoginProfile(U) ──┘
 *   key K created ──► rows with actor.access_key = K ──► used from an address
 *                     never seen before K existed ──► high
 */
#include "detect/det_org.h"
#include "detect/finding.h"

#include "core/conf.h"
#include "core/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_credential_persistence[] = {
    {"credential_persistence.chain_window", KM_CONF_DUR, "24h",
     "an IAM user created and given a key or password by the same caller within this is one "
     "chain (high)"},
    {"credential_persistence.session_routine", KM_CONF_BOOL, "true",
     "keys and passwords that assumed-role sessions (SSO, admin roles) create for existing IAM "
     "users are routine (low) rather than medium"},
    {"credential_persistence.include_failed", KM_CONF_BOOL, "false",
     "report denied attempts too (at low severity)"},
    {NULL, 0, NULL, NULL},
};

enum kind {
    K_USER = 0,      /* iam:CreateUser */
    K_KEY,           /* iam:CreateAccessKey */
    K_LOGIN,         /* iam:CreateLoginProfile / UpdateLoginProfile */
    K_IDP,           /* SAML / OIDC providers, Roles Anywhere trust anchors */
    K_IDP_MINOR,     /* client ids, thumbprints */
    K_TRUST,         /* UpdateAssumeRolePolicy / CreateRole trust policy */
    K_ENTRA_CRED,    /* Entra application / service principal credentials */
    K_ENTRA_OWNER,   /* owners added to applications / service principals */
    K_ENTRA_FED,     /* domain federation */
    K_GCP_KEY,       /* CreateServiceAccountKey */
    K_GCP_UPLOAD,    /* UploadServiceAccountKey */
    K_GCP_HMAC,      /* storage.hmacKeys.create */
    K_GCP_WIP,       /* workload identity pool providers */
};

enum { M_EXACT, M_CI, M_SUFFIX };

struct op {
    const char *provider;
    int m;
    const char *action;
    int kind;
    const char *what;
};

static const struct op ops[] = {
    {"aws", M_EXACT, "CreateUser", K_USER, "created IAM user"},
    {"aws", M_EXACT, "CreateAccessKey", K_KEY, "created an access key"},
    {"aws", M_EXACT, "CreateLoginProfile", K_LOGIN, "set the console password"},
    {"aws", M_EXACT, "UpdateLoginProfile", K_LOGIN, "changed the console password"},
    {"aws", M_EXACT, "CreateSAMLProvider", K_IDP, "created a SAML identity provider"},
    {"aws", M_EXACT, "UpdateSAMLProvider", K_IDP, "replaced a SAML identity provider's metadata"},
    {"aws", M_EXACT, "CreateOpenIDConnectProvider", K_IDP, "created an OIDC identity provider"},
    {"aws", M_EXACT, "CreateTrustAnchor", K_IDP, "created an IAM Roles Anywhere trust anchor"},
    {"aws", M_EXACT, "AddClientIDToOpenIDConnectProvider", K_IDP_MINOR,
     "added a client id to an OIDC identity provider"},
    {"aws", M_EXACT, "UpdateOpenIDConnectProviderThumbprint", K_IDP_MINOR,
     "changed an OIDC identity provider's thumbprint"},
    {"aws", M_EXACT, "UpdateAssumeRolePolicy", K_TRUST, "changed the trust policy of role"},
    {"aws", M_EXACT, "CreateRole", K_TRUST, "created role"},
    {"azure", M_CI, "Add service principal credentials", K_ENTRA_CRED,
     "added credentials to service principal"},
    {"azure", M_CI, "Update application \xe2\x80\x93 Certificates and secrets management",
     K_ENTRA_CRED, "added or changed certificates and secrets of application"},
    {"azure", M_CI, "Update application - Certificates and secrets management", K_ENTRA_CRED,
     "added or changed certificates and secrets of application"},
    {"azure", M_CI, "Add owner to application", K_ENTRA_OWNER, "added an owner to application"},
    {"azure", M_CI, "Add owner to service principal", K_ENTRA_OWNER,
     "added an owner to service principal"},
    {"azure", M_CI, "Set federation settings on domain", K_ENTRA_FED,
     "changed the federation settings of domain"},
    {"azure", M_CI, "Set domain authentication", K_ENTRA_FED,
     "changed the authentication (federation) of domain"},
    {"gcp", M_SUFFIX, ".CreateServiceAccountKey", K_GCP_KEY, "created a key for service account"},
    {"gcp", M_SUFFIX, ".UploadServiceAccountKey", K_GCP_UPLOAD,
     "uploaded a key of their own for service account"},
    {"gcp", M_EXACT, "storage.hmacKeys.create", K_GCP_HMAC,
     "created a Cloud Storage HMAC key for"},
    {"gcp", M_SUFFIX, ".CreateWorkloadIdentityPoolProvider", K_GCP_WIP,
     "created a workload identity pool provider"},
};

static const struct op *match_op(const char *v, size_t n)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(ops); i++) {
        const struct op *o = &ops[i];
        size_t an = strlen(o->action);
        if (o->m == M_EXACT ? an == n && memcmp(o->action, v, n) == 0
            : o->m == M_CI  ? an == n && strncasecmp(o->action, v, n) == 0
                            : n > an && memcmp(v + n - an, o->action, an) == 0 &&
                                  memmem(v, n, "iam", 3))
            return o;
    }
    return NULL;
}

static int pred_op(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return match_op(v, n) != NULL;
}

/* How the creator authenticated. */
enum caller { C_OTHER = 0, C_IAM_USER, C_ROOT, C_SESSION, C_PERSON, C_SERVICE };

struct cand {
    int64_t t;
    struct km_evref ref;
    const struct op *op;
    int caller;
    int self;             /* the credential is the caller's own */
    int failed;
    int no_reset;         /* a console password the user need not change */
    int sev;
    int chain;            /* index of the K_USER candidate it belongs to, -1 */
    int chained;          /* K_USER: credentials were chained to it */
    int first_link, last_link;   /* K_USER: its chained credentials (list by next_link) */
    int next_link;
    int used;             /* the created key was used afterwards */
    int used_outside;     /* ... from an address never seen before the key existed */
    int64_t use_first, use_last;
    uint32_t nuse;
    char *who;            /* creator as findings name it */
    char *ip, *acct;
    char *target;         /* the user / service account / application */
    char *key;            /* created key id (AKIA…, GCP key id) */
    char *detail;         /* e.g. provider ARN, outside accounts of a trust */
    char *person;         /* the creator's person (identity graph), e-mail */
    char *caller_key;     /* the access key the creator called with */
    char cc[3];           /* the creator's country */
    char use_ip[48];      /* first address that used the key from outside (or at all) */
    struct km_evref use_ref[8];
    uint32_t nuse_ref;
};

struct st {
    struct km_hunt *h;
    struct km_detorg org;
    struct km_cand_vec {
        struct cand *v;
        size_t n, cap;
    } c;
    size_t cap_max;
    int include_failed, session_routine;
    int64_t chain_window;
    struct km_arena a;        /* per row */
    /* key usage */
    struct km_dset keys;         /* key id -> candidate index + 1 */
    struct km_dset use_ips;      /* address -> index into ufirst */
    int64_t *ufirst;
    size_t nu;
};

static char *dupn(struct km_str s)
{
    if (!s.p || !s.n)
        return NULL;
    size_t n = s.n > 1024 ? 1024 : s.n;
    char *c = km_xmalloc(n + 1);
    memcpy(c, s.p, n);
    c[n] = 0;
    return c;
}

static void cand_free(struct cand *c)
{
    free(c->who);
    free(c->ip);
    free(c->acct);
    free(c->target);
    free(c->key);
    free(c->detail);
    free(c->person);
    free(c->caller_key);
}

static int caller_of(const struct km_event *ev)
{
    struct km_str t = ev->f[KM_F_ACTOR_TYPE];
    struct km_str p = ev->f[KM_F_PROVIDER];
    if (km_str_eqc(p, "aws")) {
        if (km_str_eqc(t, "IAMUser"))
            return C_IAM_USER;
        if (km_str_eqc(t, "Root"))
            return C_ROOT;
        if (km_str_eqc(t, "AssumedRole"))
            return C_SESSION;
        if (km_str_eqc(t, "AWSService"))
            return C_SERVICE;
        return C_OTHER;
    }
    struct km_str e = ev->f[KM_F_ACTOR_EMAIL];
    if (e.p && (km_det_icontains(e.p, e.n, "gserviceaccount.com") ||
                km_str_eqc(t, "service_account") || km_str_eqc(t, "ServicePrincipal")))
        return C_SERVICE;
    if (km_str_eqc(t, "ServicePrincipal"))
        return C_SERVICE;
    return e.p ? C_PERSON : C_OTHER;
}

/* The text after the last "/keys/" of a Google key name. */
static struct km_str gcp_key_id(const char *p, size_t n)
{
    for (size_t i = n; i >= 6; i--)
        if (memcmp(p + i - 6, "/keys/", 6) == 0)
            return (struct km_str){p + i, (uint32_t)(n - i)};
    return KM_STR_NONE;
}

/* The service account e-mail in ".../serviceAccounts/EMAIL[/keys/...]". */
static struct km_str gcp_sa(struct km_str s)
{
    if (!s.p)
        return KM_STR_NONE;
    const char *m = memmem(s.p, s.n, "serviceAccounts/", 16);
    if (!m)
        return KM_STR_NONE;
    const char *b = m + 16, *e = s.p + s.n;
    const char *sl = memchr(b, '/', (size_t)(e - b));
    struct km_str r = {b, (uint32_t)((sl ? sl : e) - b)};
    return memchr(r.p, '@', r.n) ? r : KM_STR_NONE;
}

static struct km_str aws_user_of_arn(struct km_str arn)
{
    if (!arn.p)
        return KM_STR_NONE;
    const char *u = memmem(arn.p, arn.n, ":user/", 6);
    if (!u)
        return KM_STR_NONE;
    const char *b = u + 6, *e = arn.p + arn.n;
    const char *sl = b;
    for (const char *q = b; q < e; q++)
        if (*q == '/')
            sl = q + 1;
    return (struct km_str){sl, (uint32_t)(e - sl)};
}

static void row_aws(struct st *c, struct cand *k, const struct km_event *ev,
                    const struct km_json *raw)
{
    const struct km_json *rq = km_json_get(raw, "requestParameters");
    const struct km_json *re = km_json_get(raw, "responseElements");
    struct km_str uname = km_det_jstr(rq, "userName");
    struct km_str self_name = ev->f[KM_F_ACTOR_NAME];
    if (k->caller == C_IAM_USER) {
        struct km_str a = aws_user_of_arn(ev->f[KM_F_ACTOR_ARN]);
        if (a.p)
            self_name = a;
    }
    switch (k->op->kind) {
    case K_USER:
        k->target = dupn(uname.p ? uname : km_det_jstr(re, "user.userName"));
        break;
    case K_KEY: {
        struct km_str id = km_det_jstr(re, "accessKey.accessKeyId");
        if (!uname.p)
            uname = km_det_jstr(re, "accessKey.userName");
        k->key = dupn(id);
        if (!uname.p || (k->caller == C_IAM_USER && km_str_eq(uname, self_name))) {
            k->self = 1;
            k->target = dupn(uname.p ? uname : self_name);
        } else {
            k->target = dupn(uname);
        }
        break;
    }
    case K_LOGIN: {
        const struct km_json *pr = km_json_get(rq, "passwordResetRequired");
        k->no_reset = !(pr && pr->type == KM_JSON_TRUE);
        if (!uname.p || (k->caller == C_IAM_USER && km_str_eq(uname, self_name))) {
            k->self = 1;
            k->target = dupn(uname.p ? uname : self_name);
        } else {
            k->target = dupn(uname);
        }
        /* an assumed-role session named like the user is that person's own */
        if (!k->self && k->caller == C_SESSION && uname.p) {
            struct km_str nm = ev->f[KM_F_ACTOR_NAME];
            const char *sl = nm.p ? memchr(nm.p, '/', nm.n) : NULL;
            if (sl && (size_t)(nm.p + nm.n - sl - 1) == uname.n &&
                memcmp(sl + 1, uname.p, uname.n) == 0)
                k->self = 1;
        }
        break;
    }
    case K_IDP:
    case K_IDP_MINOR: {
        struct km_str arn = km_det_jstr(re, "sAMLProviderArn");
        if (!arn.p)
            arn = km_det_jstr(re, "SAMLProviderArn");
        if (!arn.p)
            arn = km_det_jstr(re, "openIDConnectProviderArn");
        if (!arn.p)
            arn = km_det_jstr(rq, "sAMLProviderArn");
        if (!arn.p)
            arn = km_det_jstr(rq, "openIDConnectProviderArn");
        if (!arn.p)
            arn = km_det_jstr(re, "trustAnchor.trustAnchorArn");
        if (!arn.p)
            arn = km_det_jstr(rq, "url");
        if (!arn.p)
            arn = km_det_jstr(rq, "name");
        k->target = dupn(arn);
        break;
    }
    case K_TRUST: {
        struct km_str role = km_det_jstr(rq, "roleName");
        k->target = dupn(role);
        const struct km_json *pd = km_json_get(rq, "policyDocument");
        if (!pd)
            pd = km_json_get(rq, "assumeRolePolicyDocument");
        const struct km_json *doc = km_det_policy(pd, &c->a);
        if (!doc)
            break;
        struct km_det_grant g;
        km_det_policy_grantees(&c->org, doc, &g);
        if (g.public_open) {
            k->sev = KM_SEV_HIGH;
            k->detail = km_xstrdup("any AWS principal (\"*\", no condition)");
        } else if (g.public_cond || g.noutside) {
            k->sev = KM_SEV_MEDIUM;
            char d[400];
            snprintf(d, sizeof d, "%s%s%s%s", g.public_cond ? "any AWS principal (\"*\") under a condition" : "",
                     g.public_cond && g.noutside ? " and " : "",
                     g.noutside ? "account(s) outside the organisation: " : "", g.outside);
            k->detail = km_xstrdup(d);
        }
        break;
    }
    }
}

static void row_gcp(struct cand *k, const struct km_event *ev, const struct km_json *raw)
{
    const struct km_json *pp = km_json_get(raw, "protoPayload");
    struct km_str sa = km_det_jstr(raw, "resource.labels.email_id");
    struct km_str kname = km_det_jstr(pp, "response.name");
    if (!sa.p)
        sa = gcp_sa(kname);
    if (!sa.p)
        sa = gcp_sa(km_det_jstr(pp, "request.name"));
    if (!sa.p)
        sa = gcp_sa(km_det_jstr(pp, "resourceName"));
    if (k->op->kind == K_GCP_HMAC) {
        struct km_str em = km_det_jstr(pp, "request.serviceAccountEmail");
        if (em.p)
            sa = em;
    }
    if (k->op->kind == K_GCP_WIP)
        sa = km_det_jstr(pp, "resourceName");
    k->target = dupn(sa);
    if (kname.p && (k->op->kind == K_GCP_KEY || k->op->kind == K_GCP_UPLOAD))
        k->key = dupn(gcp_key_id(kname.p, kname.n));
    struct km_str me = ev->f[KM_F_ACTOR_EMAIL];
    if (sa.p && me.p && sa.n == me.n && strncasecmp(sa.p, me.p, me.n) == 0)
        k->self = 1;
}

/* The targets of an Entra audit: their names (else ids) from `resources`. */
static void row_azure(struct st *c, struct cand *k, const struct km_hrow *r)
{
    struct km_str rj = km_hrow_str(r, KM_F_RESOURCES);
    if (!rj.p || !rj.n)
        return;
    km_arena_reset(&c->a);
    char *copy = km_arena_strndup(&c->a, rj.p, rj.n);
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (!copy || km_json_parse(copy, rj.n, NULL, &c->a, &root, &e) != KM_OK ||
        !km_json_is_arr(root))
        return;
    char t[300] = "";
    for (const struct km_json *x = root->child; x && strlen(t) < 200; x = x->next) {
        struct km_str v = km_det_jstr(x, "name");
        if (!v.p)
            v = km_det_jstr(x, "id");
        if (v.p)
            snprintf(t + strlen(t), sizeof t - strlen(t), "%s%.*s", t[0] ? ", " : "",
                     (int)v.n, v.p);
    }
    if (t[0])
        k->target = km_xstrdup(t);
}

static int row(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    struct km_str a = km_hrow_str(r, KM_F_ACTION);
    const struct op *o = match_op(a.p, a.n);
    if (!o || !km_str_eqc(km_hrow_str(r, KM_F_PROVIDER), o->provider))
        return 0;
    int failed = km_str_eqc(km_hrow_str(r, KM_F_OUTCOME), "failure");
    if (failed && !c->include_failed)
        return 0;
    struct km_event ev;
    km_det_row_event(r, &ev);
    /* keys that automation mints for service accounts are its routine */
    if ((o->kind == K_GCP_KEY || o->kind == K_GCP_HMAC) && caller_of(&ev) == C_SERVICE)
        return 0;
    if (c->c.n >= c->cap_max)
        return 0;
    if (c->c.n == c->c.cap) {
        c->c.cap = c->c.cap ? 2 * c->c.cap : 64;
        c->c.v = km_xrealloc(c->c.v, c->c.cap * sizeof *c->c.v);
    }
    struct cand *k = &c->c.v[c->c.n];
    memset(k, 0, sizeof *k);
    k->t = ev.time_us;
    k->ref = r->ref;
    k->op = o;
    k->caller = caller_of(&ev);
    k->failed = failed;
    k->chain = -1;
    k->first_link = k->last_link = k->next_link = -1;
    k->sev = -1;
    k->who = dupn(km_det_who(&ev));
    k->ip = dupn(ev.f[KM_F_SRC_IP]);
    k->caller_key = dupn(ev.f[KM_F_ACTOR_ACCESS_KEY]);
    const char *person = km_hunt_person_of(c->h, &ev);
    if (person)
        k->person = km_xstrdup(person);
    else if (ev.f[KM_F_ACTOR_EMAIL].p)
        k->person = dupn(ev.f[KM_F_ACTOR_EMAIL]);
    km_hunt_country(c->h, &ev, k->cc);
    k->acct = dupn(ev.f[KM_F_ACCOUNT]);
    if (o->kind <= K_TRUST || o->kind >= K_GCP_KEY) {
        struct km_json *raw = NULL;
        struct km_err e;
        km_err_clear(&e);
        km_arena_reset(&c->a);
        if (km_hrow_raw(r, &c->a, &raw, &e) == KM_OK) {
            if (o->kind <= K_TRUST)
                row_aws(c, k, &ev, raw);
            else
                row_gcp(k, &ev, raw);
        }
    } else {
        row_azure(c, k, r);
    }
    /* role creations matter only when they trust the outside */
    if (o->kind == K_TRUST && k->sev < 0) {
        cand_free(k);
        return 0;
    }
    c->c.n++;
    return 0;
}

/* ---- scan 2 and 3: created keys used afterwards, and from where ---------------------- */

static int pred_key(void *ctx, const char *v, size_t n)
{
    struct st *c = ctx;
    if (km_dset_has(&c->keys, v, n))
        return 1;
    struct km_str id = gcp_key_id(v, n);
    return id.p && km_dset_has(&c->keys, id.p, id.n);
}

static int row_use(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    struct km_str v = km_hrow_str(r, KM_F_ACTOR_ACCESS_KEY);
    if (!v.p)
        return 0;
    uint32_t *ki = km_dset_get(&c->keys, v.p, v.n);
    if (!ki) {
        struct km_str id = gcp_key_id(v.p, v.n);
        ki = id.p ? km_dset_get(&c->keys, id.p, id.n) : NULL;
    }
    if (!ki)
        return 0;
    struct cand *k = &c->c.v[*ki];
    if (r->time < k->t)
        return 0;
    struct km_str ip = km_hrow_str(r, KM_F_SRC_IP);
    if (ip.p && km_hunt_allowed_ip(c->h, ip))
        return 0;
    if (!k->used || r->time < k->use_first)
        k->use_first = r->time;
    if (!k->used || r->time > k->use_last)
        k->use_last = r->time;
    k->used = 1;
    k->nuse++;
    if (k->nuse_ref < KM_ARRAY_LEN(k->use_ref))
        k->use_ref[k->nuse_ref++] = r->ref;
    if (ip.p && !(k->ip && km_str_eqc(ip, k->ip))) {
        int added;
        uint32_t *u = km_dset_add(&c->use_ips, ip.p, ip.n, &added);
        if (u && added)
            *u = (uint32_t)c->nu++;
        if (!k->use_ip[0])
            km_det_cpy(k->use_ip, sizeof k->use_ip, ip);
    }
    return 0;
}

static int pred_use_ip(void *ctx, const char *v, size_t n)
{
    return km_dset_has(&((struct st *)ctx)->use_ips, v, n);
}

static int row_use_ip(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    struct km_str ip = km_hrow_str(r, KM_F_SRC_IP);
    uint32_t *u = ip.p ? km_dset_get(&c->use_ips, ip.p, ip.n) : NULL;
    if (u && r->time < c->ufirst[*u])
        c->ufirst[*u] = r->time;
    return 0;
}

static int scan_use(struct st *c, struct km_err *err)
{
    for (size_t i = 0; i < c->c.n; i++) {
        struct cand *k = &c->c.v[i];
        if (k->key && !k->failed && !k->self) {
            uint32_t *v = km_dset_add(&c->keys, k->key, strlen(k->key), NULL);
            if (v)
                *v = (uint32_t)i;
        }
    }
    if (!c->keys.n)
        return KM_OK;
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACTOR_ACCESS_KEY;
    sc.cond[0].pred = pred_key;
    sc.cond[0].pctx = c;
    sc.ncond = 1;
    sc.row = row_use;
    sc.ctx = c;
    int rc = km_hunt_scan(c->h, &sc, err);
    if (rc != KM_OK || !c->nu)
        return rc;
    c->ufirst = km_xmalloc(c->nu * sizeof *c->ufirst);
    for (size_t i = 0; i < c->nu; i++)
        c->ufirst[i] = INT64_MAX;
    sc.cond[0].field = KM_F_SRC_IP;
    sc.cond[0].pred = pred_use_ip;
    sc.row = row_use_ip;
    rc = km_hunt_scan(c->h, &sc, err);
    /* "outside": some address that used the key had never been seen before it existed */
    for (size_t i = 0; i < c->c.n; i++) {
        struct cand *k = &c->c.v[i];
        if (!k->used || !k->use_ip[0])
            continue;
        uint32_t *u = km_dset_get(&c->use_ips, k->use_ip, strlen(k->use_ip));
        if (u && c->ufirst[*u] >= k->t)
            k->used_outside = 1;
    }
    return rc;
}

/* ---- judging and reporting ------------------------------------------------------------ */

static void chain_users(struct st *c)
{
    struct km_dset users;
    km_dset_init(&users, 0);
    for (size_t i = 0; i < c->c.n; i++) {
        struct cand *k = &c->c.v[i];
        if (k->op->kind != K_USER || k->failed || !k->target)
            continue;
        char key[1200];
        snprintf(key, sizeof key, "%s\n%s", k->acct ? k->acct : "", k->target);
        uint32_t *v = km_dset_add(&users, key, strlen(key), NULL);
        if (v)
            *v = (uint32_t)i + 1;   /* the latest creation of that name wins */
    }
    for (size_t i = 0; i < c->c.n; i++) {
        struct cand *k = &c->c.v[i];
        if ((k->op->kind != K_KEY && k->op->kind != K_LOGIN) || k->failed || !k->target ||
            k->self)
            continue;
        char key[1200];
        snprintf(key, sizeof key, "%s\n%s", k->acct ? k->acct : "", k->target);
        uint32_t *v = km_dset_get(&users, key, strlen(key));
        if (!v)
            continue;
        struct cand *u = &c->c.v[*v - 1];
        int64_t dt = k->t - u->t;
        if (dt < 0 || dt > c->chain_window)
            continue;
        int same = u->who && k->who && strcmp(u->who, k->who) == 0;
        if (same) {
            k->chain = (int)(*v - 1);
            u->chained = 1;
            if (u->last_link >= 0)
                c->c.v[u->last_link].next_link = (int)i;
            else
                u->first_link = (int)i;
            u->last_link = (int)i;
        } else if (k->sev < KM_SEV_MEDIUM) {
            k->sev = KM_SEV_MEDIUM;   /* a brand-new user given a credential by someone else */
            if (!k->detail)
                k->detail = km_xstrdup("the user was created shortly before by someone else");
        }
    }
    km_dset_free(&users);
}

static int base_sev(const struct st *c, struct cand *k)
{
    if (k->failed)
        return KM_SEV_LOW;
    int s = k->sev;
    switch (k->op->kind) {
    case K_USER:
        s = k->chained ? KM_SEV_HIGH : KM_SEV_LOW;
        break;
    case K_KEY:
    case K_LOGIN:
        if (k->self) {
            s = k->caller == C_ROOT ? KM_SEV_HIGH : KM_SEV_LOW;   /* a root access key */
        } else if (s < KM_SEV_MEDIUM) {
            int routine = k->caller == C_SESSION && c->session_routine;
            s = routine ? KM_SEV_LOW : KM_SEV_MEDIUM;
            if (k->op->kind == K_LOGIN && k->no_reset)
                s = KM_SEV_MEDIUM;   /* a password the creator knows and the user keeps */
        }
        break;
    case K_IDP:
        s = KM_SEV_MEDIUM;
        break;
    case K_IDP_MINOR:
        s = KM_SEV_LOW;
        break;
    case K_TRUST:
        break;   /* set from the trust policy */
    case K_ENTRA_CRED:
    case K_ENTRA_OWNER:
    case K_ENTRA_FED:
    case K_GCP_UPLOAD:
    case K_GCP_WIP:
        s = KM_SEV_MEDIUM;
        break;
    case K_GCP_KEY:
    case K_GCP_HMAC:
        s = k->caller == C_SERVICE ? KM_SEV_INFO : KM_SEV_LOW;
        break;
    }
    if (k->used && !k->self && k->caller != C_SERVICE) {
        if (k->used_outside)
            s = KM_SEV_HIGH;
        else if (s < KM_SEV_MEDIUM)
            s = KM_SEV_MEDIUM;
    }
    return s;
}

static void fmt_ago(char *b, size_t n, int64_t us)
{
    int64_t s = us / 1000000;
    if (s < 120)
        snprintf(b, n, "%llds", (long long)s);
    else if (s < 7200)
        snprintf(b, n, "%lld min", (long long)(s / 60));
    else
        snprintf(b, n, "%.1f h", (double)s / 3600.0);
}

static void add_target(struct km_finding *f, const struct cand *k)
{
    if (!k->target)
        return;
    if (k->op->kind == K_IDP || k->op->kind == K_IDP_MINOR || k->op->kind == K_GCP_WIP ||
        k->op->kind == K_ENTRA_FED)
        km_strset_addc(&f->ent[KM_ENT_RESOURCES], k->target);
    else if (k->op->kind == K_TRUST)
        km_strset_addc(&f->ent[KM_ENT_ROLES], k->target);
    else if (k->op->kind == K_ENTRA_CRED || k->op->kind == K_ENTRA_OWNER)
        ;   /* the targets came in as resources with the event */
    else
        km_strset_addc(&f->ent[KM_ENT_IDENTITIES], k->target);
    if (k->op->kind == K_USER && k->acct) {
        char arn[400];
        snprintf(arn, sizeof arn, "arn:aws:iam::%s:user/%s", k->acct, k->target);
        km_strset_addc(&f->ent[KM_ENT_RESOURCES], arn);
    }
}

static void add_cand(struct st *c, struct km_finding *f, const struct cand *k)
{
    if (k->who)
        km_strset_addc(&f->ent[KM_ENT_IDENTITIES], k->who);
    if (k->ip)
        km_strset_addc(&f->ent[KM_ENT_IPS], k->ip);
    if (k->acct)
        km_strset_addc(&f->ent[KM_ENT_ACCOUNTS], k->acct);
    if (k->key)
        km_strset_addc(&f->ent[KM_ENT_ACCESS_KEYS], k->key);
    if (k->person)
        km_strset_addc(&f->ent[KM_ENT_PERSONS], k->person);
    if (k->caller_key)
        km_strset_addc(&f->ent[KM_ENT_ACCESS_KEYS], k->caller_key);
    if (k->cc[0])
        km_strset_addc(&f->ent[KM_ENT_COUNTRIES], k->cc);
    add_target(f, k);
    km_finding_window(f, k->t);
    km_hunt_add_evidence(c->h, f, k->ref);
    for (uint32_t i = 0; i < k->nuse_ref; i++)
        km_hunt_add_evidence(c->h, f, k->use_ref[i]);
    if (k->used) {
        km_finding_window(f, k->use_first);
        km_finding_window(f, k->use_last);
        if (k->use_ip[0])
            km_strset_addc(&f->ent[KM_ENT_IPS], k->use_ip);
    }
}

static void use_clause(char *b, size_t n, const struct cand *k)
{
    b[0] = 0;
    if (!k->used)
        return;
    if (k->used_outside)
        snprintf(b, n, "; the key was then used %u time(s), from %s, an address never seen "
                       "before the key existed",
                 k->nuse, k->use_ip);
    else
        snprintf(b, n, "; the key was then used %u time(s)%s%s", k->nuse,
                 k->use_ip[0] ? ", from " : "", k->use_ip);
}

static void emit(struct st *c, size_t i)
{
    struct cand *k = &c->c.v[i];
    if (k->chain >= 0)
        return;   /* reported with its user */
    int sev = base_sev(c, k);
    if (sev <= KM_SEV_INFO)
        return;   /* automation's routine: not a finding */
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "credential_persistence";
    f.technique = k->op->kind == K_USER ? "T1136.003" : "T1098.001";
    f.severity = sev;
    const char *who = k->who ? k->who : "an unknown caller";
    const char *acct = k->acct ? k->acct : "?";
    const char *prov = k->op->provider;
    char from[80] = "", use[300] = "", ago[32];
    if (k->ip)
        snprintf(from, sizeof from, " from %s", k->ip);
    use_clause(use, sizeof use, k);
    const char *tgt = k->target ? k->target : "?";
    if (k->op->kind == K_USER) {
        snprintf(f.key, sizeof f.key, "aws|user|%s|%s|%lld", acct, tgt, (long long)k->t);
        char creds[300] = "";
        int64_t last = k->t;
        for (int j = k->first_link; j >= 0; j = c->c.v[j].next_link) {
            struct cand *x = &c->c.v[j];
            size_t l = strlen(creds);
            if (x->op->kind == K_KEY)
                snprintf(creds + l, sizeof creds - l, "%san access key%s%s%s", l ? " and " : "",
                         x->key ? " (" : "", x->key ? x->key : "", x->key ? ")" : "");
            else
                snprintf(creds + l, sizeof creds - l, "%sa console password", l ? " and " : "");
            if (x->t > last)
                last = x->t;
            add_cand(c, &f, x);
            if (x->used && base_sev(c, x) > f.severity)
                f.severity = base_sev(c, x);
            if (x->used && !use[0])
                use_clause(use, sizeof use, x);
        }
        fmt_ago(ago, sizeof ago, last - k->t);
        if (k->chained)
            snprintf(f.summary, sizeof f.summary,
                     "%s created IAM user %s and gave it %s within %s in aws %s%s%s.", who, tgt,
                     creds, ago, acct, from, use);
        else
            snprintf(f.summary, sizeof f.summary, "%s created IAM user %s in aws %s%s.", who,
                     tgt, acct, from);
    } else {
        const char *what = k->op->what;
        char obj[400] = "";
        switch (k->op->kind) {
        case K_KEY:
            snprintf(obj, sizeof obj, "%s%s%s %s%s", k->key ? " (" : "", k->key ? k->key : "",
                     k->key ? ")" : "", k->self ? "for their own user" : "for another IAM user, ",
                     k->self ? "" : tgt);
            break;
        case K_LOGIN:
            snprintf(obj, sizeof obj, " %s%s%s", k->self ? "of their own user" : "of IAM user ",
                     k->self ? "" : tgt,
                     k->no_reset && !k->self ? " without requiring a reset" : "");
            break;
        case K_TRUST:
            snprintf(obj, sizeof obj, " %s%s%s", tgt,
                     k->op->action[0] == 'C' ? ", which trusts " : ": it now trusts ",
                     k->detail ? k->detail : "?");
            break;
        default:
            snprintf(obj, sizeof obj, " %s", tgt);
            break;
        }
        if (k->op->kind == K_KEY && k->caller == C_ROOT && k->self)
            snprintf(obj, sizeof obj, " for the account's root user%s%s%s",
                     k->key ? " (" : "", k->key ? k->key : "", k->key ? ")" : "");
        snprintf(f.key, sizeof f.key, "%s|%s|%s|%s|%s|%lld", prov, k->op->action, acct,
                 k->key ? k->key : tgt, who, (long long)k->t);
        char extra[200] = "";
        if (k->detail && k->op->kind != K_TRUST)
            snprintf(extra, sizeof extra, " (%s)", k->detail);
        snprintf(f.summary, sizeof f.summary, "%s%s %s%s in %s %s%s%s%s.", who,
                 k->failed ? " tried but was denied: they" : "", what, obj, prov, acct, from,
                 extra, use);
    }
    add_cand(c, &f, k);
    struct km_buf d;
    km_buf_init(&d, 4096);
    km_buf_printf(&d, "{\"operation\":");
    km_json_write_str(&d, k->op->action, strlen(k->op->action));
    if (k->target) {
        km_buf_adds(&d, ",\"target\":");
        km_json_write_str(&d, k->target, strlen(k->target));
    }
    if (k->used)
        km_buf_printf(&d, ",\"key_used\":%u,\"key_used_from_new_address\":%s", k->nuse,
                      k->used_outside ? "true" : "false");
    if (k->op->kind == K_USER && k->chained) {
        /* the chain: what the same caller gave the new user, in order */
        km_buf_adds(&d, ",\"chain\":[");
        int first = 1;
        for (int j = k->first_link; j >= 0; j = c->c.v[j].next_link) {
            const struct cand *x = &c->c.v[j];
            char t[40];
            km_time_fmt(x->t, t);
            km_buf_printf(&d, "%s{\"operation\":", first ? "" : ",");
            km_json_write_str(&d, x->op->action, strlen(x->op->action));
            km_buf_printf(&d, ",\"time\":\"%s\"", t);
            if (x->key) {
                km_buf_adds(&d, ",\"access_key\":");
                km_json_write_str(&d, x->key, strlen(x->key));
            }
            if (x->used)
                km_buf_printf(&d, ",\"used\":%u,\"used_from_new_address\":%s", x->nuse,
                              x->used_outside ? "true" : "false");
            km_buf_adds(&d, "}");
            first = 0;
        }
        km_buf_adds(&d, "]");
    }
    km_buf_adds(&d, "}");
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *conf = km_hunt_conf(h);
    struct st *c = km_xcalloc(1, sizeof *c);
    c->h = h;
    c->include_failed = km_conf_bool(conf, "credential_persistence.include_failed");
    c->session_routine = km_conf_bool(conf, "credential_persistence.session_routine");
    c->chain_window = km_conf_dur_us(conf, "credential_persistence.chain_window");
    c->cap_max = 1u << 20;
    km_arena_init(&c->a, 0, 64u << 20);
    km_dset_init(&c->keys, 0);
    km_dset_init(&c->use_ips, 0);
    int rc = km_detorg_build(h, &c->org, err);
    if (rc == KM_OK) {
        struct km_hscan sc;
        memset(&sc, 0, sizeof sc);
        sc.cond[0].field = KM_F_ACTION;
        sc.cond[0].pred = pred_op;
        sc.ncond = 1;
        sc.row = row;
        sc.ctx = c;
        rc = km_hunt_scan(h, &sc, err);
    }
    if (rc == KM_OK && c->c.n) {
        chain_users(c);
        rc = scan_use(c, err);
        for (size_t i = 0; rc == KM_OK && i < c->c.n; i++)
            emit(c, i);
    }
    for (size_t i = 0; i < c->c.n; i++)
        cand_free(&c->c.v[i]);
    free(c->c.v);
    km_arena_free(&c->a);
    km_dset_free(&c->keys);
    km_dset_free(&c->use_ips);
    free(c->ufirst);
    km_detorg_free(&c->org);
    free(c);
    return rc;
}

const struct km_detection km_det_credential_persistence = {
    .id = "credential_persistence",
    .title = "Credential persistence",
    .technique = "T1136.003, T1098.001",
    .summary = "IAM users created and given keys or passwords, keys or passwords for another "
               "identity, created keys used from new addresses, new identity providers, Entra "
               "application credentials, Google service-account keys",
    .providers = "aws,azure,gcp",
    .conf = km_det_conf_credential_persistence,
    .run = run,
};
