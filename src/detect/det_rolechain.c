/*
 * det_rolechain.c — role_chain: AWS role chains and cross-account hops
 * (docs/detections/role_chain.md).
 *
 * A hop is one successful STS call that hands out new credentials:
 * AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity,
 * GetFederationToken. The hop's caller is a session or user (its access key
 * id, its ARN, its session issuer); the hop's result is a new session
 * (responseElements.credentials.accessKeyId, assumedRoleUser.arn) for role R
 * in account B. A later hop whose caller key is that new key is the next hop
 * of the same chain (fallback: the caller's session ARN equals the assumed
 * ARN of a hop at most role_chain.link_window earlier). The two records of
 * one cross-account call (the caller's trail and the target account's
 * trail, the latter with an AWSAccount caller) share sharedEventID and the
 * issued key and are counted once.
 *
 *   scan (action in STS set) ──► hops (normalized fields, interned)
 *        AWSService callers ───► only "roles that AWS services deliver"
 *   raw records, only where they can change the answer (below) ──► issued
 *        key, assumed ARN, session name, sourceIdentity, sharedEventID
 *   twins ──► parents ──► trees (one per origin session) ──► new terms ──► findings
 *
 * Raw records are read only where they can change the answer: a hop whose
 * caller is not automation (web identity, a role AWS services or web
 * identity deliver, an allow-listed identity or agent) and whose role is
 * the issuer of a calling session whose first hop comes within
 * role_chain.link_window after it, from the same address (a possible parent); a cross-account hop; the target account's
 * AWSAccount copy; a hop without its role in `resources`; GetFederationToken.
 *
 * A tree (all hops descending from one origin session) is reported when it
 * holds a chain of role_chain.min_hops hops, or a cross-account hop whose
 * (caller principal, role) pair is first seen (new terms; the baseline is
 * lateral.h's). Severity: medium for a chain or a first-seen cross-account
 * hop, high when the origin is a long-term key (AKIA…); low for a chain
 * whose shape, or a cross-account pair, was first seen in the baseline.
 * Trees of the same shape (origin principal and roles) are one finding.
 */
#include "detect/detect.h"

#include "core/conf.h"
#include "core/hash.h"
#include "core/timeparse.h"
#include "detect/finding.h"
#include "detect/lateral.h"
#include "geo/geo.h"
#include "ident/ident.h"
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct km_conf_key km_det_conf_role_chain[] = {
    {"role_chain.min_hops", KM_CONF_INT, "2",
     "a chain of at least this many recorded hops (AssumeRole* calls) is reported"},
    {"role_chain.history", KM_CONF_DUR, "1d",
     "baseline: cross-account pairs and chain shapes first seen in this first part of the "
     "hunted data are expected (only when the data spans at least twice this)"},
    {"role_chain.link_window", KM_CONF_DUR, "1h",
     "a session is linked to the hop that created it when it makes its first hop at most "
     "this long after (the default credential lifetime; up to 12h)"},
    {"role_chain.same_address", KM_CONF_BOOL, "true",
     "link a session to the hop that created it only when the session's first hop comes from "
     "the same address (one client hopping; false: any address, more raw records are read)"},
    {"role_chain.report_expected", KM_CONF_BOOL, "true",
     "also report, at low severity, chains and cross-account pairs first seen in the baseline"},
    {NULL, 0, NULL, NULL},
};

#define MAX_HOPS 1000000u   /* ~110 MB of hop state; a 10M-event store has ~60 000 */
#define MAX_DETAIL_HOPS 40
#define MAX_EVIDENCE_HOPS 60

enum ctype { C_OTHER = 0, C_IAMUSER, C_ROLE, C_FED, C_WEBID, C_SAML, C_ROOT, C_ACCOUNT };
enum akind { A_ASSUME = 0, A_SAML, A_WEBID, A_FED };

static const char *const sts_actions[] = {"AssumeRole", "AssumeRoleWithSAML",
                                          "AssumeRoleWithWebIdentity", "GetFederationToken"};
static const char *const prov_aws[] = {"aws"};

struct hop {
    int64_t t;
    struct km_evref ref;
    uint32_t caller_name, caller_arn, caller_key, caller_issuer, caller_account, caller_id;
    uint32_t email, ip, event_id;
    uint32_t role, role_account;
    uint32_t issued_key, assumed_arn, session, source_identity, shared_id;
    int32_t parent, root, twin_of, twin;
    uint16_t depth;
    uint8_t ctype, action, allowed, raw_done, auto_caller;
    uint8_t xacct;          /* 1 cross-account */
    uint8_t xstate;         /* 0 n/a or seen before, 1 first seen in baseline, 2 first seen after */
};

struct rc {
    struct km_hunt *h;
    struct km_lat_pool pool;
    struct hop *hop;
    uint32_t n, cap;
    uint64_t dropped;
    struct km_lat_map svc_roles;   /* role id -> 1: roles AWS services assume */
    struct km_lat_map seen_res;    /* (seg, resources code) -> role id + 1 */
    struct km_arena scratch;
    int64_t tmin, tmax;
    /* use of the sessions a reported chain created (second scan) */
    struct km_lat_map use_key;     /* issued key id -> hop index */
    struct use *use;               /* per hop, allocated for the second scan */
};

/* What a session created by a hop did: its calls (actor.access_key = the
 * hop's issued key). */
struct use {
    uint32_t calls, first_action;
    struct km_evref ref[3];
    uint8_t nref;
};

/* ---- helpers ---------------------------------------------------------------------- */

static int ctype_of(struct km_str t)
{
    if (km_str_eqc(t, "IAMUser"))
        return C_IAMUSER;
    if (km_str_eqc(t, "AssumedRole"))
        return C_ROLE;
    if (km_str_eqc(t, "FederatedUser"))
        return C_FED;
    if (km_str_eqc(t, "WebIdentityUser"))
        return C_WEBID;
    if (km_str_eqc(t, "SAMLUser"))
        return C_SAML;
    if (km_str_eqc(t, "Root"))
        return C_ROOT;
    if (km_str_eqc(t, "AWSAccount"))
        return C_ACCOUNT;
    return C_OTHER;
}

/* The account of an ARN "arn:aws:svc:region:ACCOUNT:..." (12 digits), or none. */
static struct km_str arn_account(const char *s, size_t n)
{
    int colons = 0;
    size_t i = 0, start = 0;
    for (; i < n; i++)
        if (s[i] == ':') {
            if (++colons == 4)
                start = i + 1;
            else if (colons == 5)
                break;
        }
    if (colons < 5 || i - start != 12)
        return KM_STR_NONE;
    for (size_t k = start; k < i; k++)
        if (s[k] < '0' || s[k] > '9')
            return KM_STR_NONE;
    return (struct km_str){s + start, 12};
}

static uint32_t intern_arn_account(struct km_lat_pool *p, uint32_t arn)
{
    const char *s = km_lat_str(p, arn);
    return km_lat_intern_str(p, arn_account(s, strlen(s)));
}

/* The role (or federated user) ARN of the first IAM role entry of a
 * normalized `resources` array. */
static uint32_t role_of_resources(struct rc *c, struct km_str rj)
{
    if (!rj.p || !rj.n || rj.n > 65536)
        return 0;
    km_arena_reset(&c->scratch);
    char *copy = km_arena_strndup(&c->scratch, rj.p, rj.n);
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (!copy || km_json_parse(copy, rj.n, NULL, &c->scratch, &root, &e) != KM_OK ||
        root->type != KM_JSON_ARRAY)
        return 0;
    for (const struct km_json *x = root->child; x; x = x->next) {
        struct km_str id = km_lat_jstr(km_json_get(x, "id"));
        struct km_str ty = km_lat_jstr(km_json_get(x, "type"));
        if (id.p && (km_str_eqc(ty, "AWS::IAM::Role") || memmem(id.p, id.n, ":role/", 6)))
            return km_lat_intern_str(&c->pool, id);
    }
    return 0;
}

/* ---- the scan ------------------------------------------------------------------------ */

static int row(void *vctx, const struct km_hrow *r)
{
    struct rc *c = vctx;
    if (r->time < c->tmin)
        c->tmin = r->time;
    if (r->time > c->tmax)
        c->tmax = r->time;
    struct km_str type = km_hrow_str(r, KM_F_ACTOR_TYPE);
    if (km_str_eqc(type, "AWSService")) {
        /* background: only remember which roles services hand to workloads */
        uint32_t code = km_hrow_code(r, KM_F_RESOURCES);
        if (!code)
            return 0;
        int added;
        int64_t *v = km_lat_map_put(&c->seen_res, km_lat_pair(r->ref.seg + 1, code), 0, &added);
        if (added) {
            uint32_t role = role_of_resources(c, km_hrow_str(r, KM_F_RESOURCES));
            *v = role;
            if (role)
                km_lat_map_put(&c->svc_roles, role, 1, NULL);
        }
        return 0;
    }
    if (!km_str_eqc(km_hrow_str(r, KM_F_SERVICE), "sts.amazonaws.com"))
        return 0;
    if (km_str_eqc(km_hrow_str(r, KM_F_OUTCOME), "failure"))
        return 0;
    if (c->n >= MAX_HOPS || c->pool.full) {
        c->dropped++;
        return 0;
    }
    struct km_event ev;
    km_event_init(&ev);
    if (km_hrow_event(r, &ev) != KM_OK)
        return 0;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->hop = km_xrealloc(c->hop, c->cap * sizeof *c->hop);
    }
    struct hop *hp = &c->hop[c->n++];
    memset(hp, 0, sizeof *hp);
    struct km_lat_pool *p = &c->pool;
    hp->t = r->time;
    hp->ref = r->ref;
    hp->parent = hp->root = hp->twin_of = hp->twin = -1;
    hp->ctype = (uint8_t)ctype_of(type);
    struct km_str act = ev.f[KM_F_ACTION];
    hp->action = km_str_eqc(act, "AssumeRoleWithSAML")          ? A_SAML
               : km_str_eqc(act, "AssumeRoleWithWebIdentity") ? A_WEBID
               : km_str_eqc(act, "GetFederationToken")        ? A_FED
                                                              : A_ASSUME;
    hp->caller_name = km_lat_intern_str(p, ev.f[KM_F_ACTOR_NAME]);
    hp->caller_arn = km_lat_intern_str(p, ev.f[KM_F_ACTOR_ARN]);
    hp->caller_key = km_lat_intern_str(p, ev.f[KM_F_ACTOR_ACCESS_KEY]);
    hp->caller_issuer = km_lat_intern_str(p, ev.f[KM_F_ACTOR_SESSION_ISSUER]);
    hp->caller_id = km_lat_intern_str(p, ev.f[KM_F_ACTOR_ID]);
    hp->email = km_lat_intern_str(p, ev.f[KM_F_ACTOR_EMAIL]);
    hp->ip = km_lat_intern_str(p, ev.f[KM_F_SRC_IP].p ? ev.f[KM_F_SRC_IP] : ev.f[KM_F_SRC_RAW]);
    hp->event_id = km_lat_intern_str(p, ev.f[KM_F_EVENT_ID]);
    if (hp->caller_arn)
        hp->caller_account = intern_arn_account(p, hp->caller_arn);
    if (!hp->caller_account && hp->ctype == C_ACCOUNT)
        hp->caller_account = hp->caller_name;
    if (!hp->caller_account)
        hp->caller_account = km_lat_intern_str(p, ev.f[KM_F_ACCOUNT]);
    hp->role = role_of_resources(c, ev.f[KM_F_RESOURCES]);
    if (hp->role)
        hp->role_account = intern_arn_account(p, hp->role);
    hp->allowed = km_hunt_allowed_identity(c->h, ev.f[KM_F_ACTOR_NAME]) ||
                  km_hunt_allowed_identity(c->h, ev.f[KM_F_ACTOR_ARN]) ||
                  km_hunt_allowed_identity(c->h, ev.f[KM_F_ACTOR_SESSION_ISSUER]) ||
                  km_hunt_allowed_agent(c->h, ev.f[KM_F_USER_AGENT]);
    return 0;
}

/* ---- raw records: what only the original says ------------------------------------- */

static void read_raw(struct rc *c, struct hop *hp)
{
    hp->raw_done = 1;
    struct km_arena a;
    km_arena_init(&a, 0, 64u << 20);
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    if (km_hunt_raw(c->h, hp->ref, &a, &root, &e) == KM_OK && km_json_is_obj(root)) {
        struct km_lat_pool *p = &c->pool;
        const struct km_json *rq = km_lat_embedded(km_json_get(root, "requestParameters"), &a);
        const struct km_json *rs = km_lat_embedded(km_json_get(root, "responseElements"), &a);
        if (!hp->role) {
            hp->role = km_lat_intern_str(p, km_lat_jstr(km_json_get(rq, "roleArn")));
            if (hp->role)
                hp->role_account = intern_arn_account(p, hp->role);
        }
        hp->session = km_lat_intern_str(p, km_lat_jstr(km_json_get(rq, "roleSessionName")));
        if (!hp->session)
            hp->session = km_lat_intern_str(p, km_lat_jstr(km_json_get(rq, "name")));
        hp->source_identity = km_lat_intern_str(p, km_lat_jstr(km_json_get(rq, "sourceIdentity")));
        const struct km_json *cr = km_json_get(rs, "credentials");
        hp->issued_key = km_lat_intern_str(p, km_lat_jstr(km_json_get(cr, "accessKeyId")));
        const struct km_json *aru = km_json_get(rs, "assumedRoleUser");
        if (!aru)
            aru = km_json_get(rs, "federatedUser");
        hp->assumed_arn = km_lat_intern_str(p, km_lat_jstr(km_json_get(aru, "arn")));
        if (!hp->source_identity)
            hp->source_identity =
                km_lat_intern_str(p, km_lat_jstr(km_json_get(rs, "sourceIdentity")));
        hp->shared_id = km_lat_intern_str(p, km_lat_jstr(km_json_get(root, "sharedEventID")));
        if (!hp->role && hp->action == A_FED && hp->assumed_arn) {
            hp->role = hp->assumed_arn;   /* a federated user stands where a role would */
            hp->role_account = intern_arn_account(p, hp->role);
        }
    }
    km_arena_free(&a);
}

/* ---- linking -------------------------------------------------------------------------- */

static int cmp_time(const void *a, const void *b, void *ctx)
{
    const struct hop *h = ctx;
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (h[x].t != h[y].t)
        return h[x].t < h[y].t ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* The principal a hop's caller is, for the "never used by this principal
 * before" test: the role behind a session, else the user's ARN, else its
 * name / the calling account's principal id. */
static uint32_t from_principal(struct rc *c, const struct hop *hp)
{
    if (hp->ctype == C_ROLE && hp->caller_issuer)
        return hp->caller_issuer;
    if (hp->ctype == C_ACCOUNT && hp->caller_id) {
        const char *s = km_lat_str(&c->pool, hp->caller_id);
        const char *col = strchr(s, ':');
        char b[300];
        snprintf(b, sizeof b, "%s/%.*s", km_lat_str(&c->pool, hp->caller_account),
                 (int)(col ? (size_t)(col - s) : strlen(s)), s);
        return km_lat_intern(&c->pool, b, strlen(b));
    }
    return hp->caller_arn ? hp->caller_arn : hp->caller_name;
}

/* ---- findings --------------------------------------------------------------------------- */

struct tree {
    uint32_t root;          /* hop index */
    uint32_t first, n;      /* range in the by-tree order array */
    uint16_t depth;
    uint8_t automation, longterm, xnew, xbase, deep, sig_base;
    int sev;
    uint64_t sig;           /* the chain's shape: origin + roles */
    char hex[17];
    char key[200];
};

static int cmp_tree_key(const void *a, const void *b)
{
    const struct tree *x = a, *y = b;
    int k = strcmp(x->key, y->key);
    if (k)
        return k;
    return x->root < y->root ? -1 : x->root > y->root;
}

/* The person behind a hop: the identity graph's answer for its e-mail,
 * sourceIdentity, caller ARN or caller name; else an e-mail the record
 * shows; else NULL. */
static const char *person_of_hop(struct rc *c, const struct hop *hp)
{
    const struct km_idgraph *g = km_hunt_graph(c->h);
    uint32_t cand[4] = {hp->email, hp->source_identity, hp->caller_arn, hp->caller_name};
    for (int i = 0; g && i < 4; i++) {
        const char *s = km_lat_str(&c->pool, cand[i]);
        int pi = *s ? km_idgraph_find_person(g, s, strlen(s)) : -1;
        if (pi >= 0)
            return km_idgraph_person(g, (size_t)pi)->email;
    }
    if (hp->email)
        return km_lat_str(&c->pool, hp->email);
    if (strchr(km_lat_str(&c->pool, hp->source_identity), '@'))
        return km_lat_str(&c->pool, hp->source_identity);
    return NULL;
}

static const char *who_of(struct rc *c, const struct hop *r)
{
    const char *p = person_of_hop(c, r);
    if (p)
        return p;
    if (r->source_identity)
        return km_lat_str(&c->pool, r->source_identity);
    if (r->caller_name)
        return km_lat_str(&c->pool, r->caller_name);
    return "an unknown caller";
}

static void via_of(struct rc *c, const struct hop *r, char *out, size_t cap)
{
    struct km_lat_pool *p = &c->pool;
    out[0] = 0;
    switch (r->ctype) {
    case C_ROLE:
        if (r->caller_issuer)
            snprintf(out, cap, "via %s", km_lat_tail(km_lat_str(p, r->caller_issuer)));
        break;
    case C_IAMUSER:
        snprintf(out, cap, "IAM user %s, %s key %s", km_lat_str(p, r->caller_name),
                 strncmp(km_lat_str(p, r->caller_key), "AKIA", 4) == 0 ? "long-term"
                                                                        : "session",
                 km_lat_str(p, r->caller_key));
        break;
    case C_WEBID:
        snprintf(out, cap, "web identity %s", km_lat_str(p, r->caller_name));
        break;
    case C_SAML:
        snprintf(out, cap, "SAML user %s", km_lat_str(p, r->caller_name));
        break;
    case C_ACCOUNT:
        snprintf(out, cap, "from account %s", km_lat_str(p, r->caller_account));
        break;
    default:
        break;
    }
}

static void add_ent(struct km_finding *f, int k, const char *s)
{
    if (s && *s)
        km_strset_addc(&f->ent[k], s);
}

static void hop_entities(struct rc *c, struct km_finding *f, const struct hop *hp)
{
    struct km_lat_pool *p = &c->pool;
    add_ent(f, KM_ENT_IDENTITIES, km_lat_str(p, hp->caller_name));
    if (hp->ctype == C_ROLE || hp->ctype == C_IAMUSER)
        add_ent(f, KM_ENT_IDENTITIES, km_lat_str(p, hp->caller_arn));
    add_ent(f, KM_ENT_IDENTITIES, km_lat_str(p, hp->assumed_arn));
    add_ent(f, KM_ENT_PERSONS, person_of_hop(c, hp));
    if (hp->ctype == C_ROLE)
        add_ent(f, KM_ENT_ROLES, km_lat_str(p, hp->caller_issuer));
    add_ent(f, KM_ENT_ROLES, km_lat_str(p, hp->role));
    add_ent(f, KM_ENT_ACCOUNTS, km_lat_str(p, hp->caller_account));
    add_ent(f, KM_ENT_ACCOUNTS, km_lat_str(p, hp->role_account));
    add_ent(f, KM_ENT_ACCESS_KEYS, km_lat_str(p, hp->caller_key));
    add_ent(f, KM_ENT_ACCESS_KEYS, km_lat_str(p, hp->issued_key));
    const char *ip = km_lat_str(p, hp->ip);
    if (*ip) {
        add_ent(f, KM_ENT_IPS, ip);
        struct km_geo *geo = km_hunt_geo(c->h);
        if (geo) {
            struct km_geo_rec gr;
            km_geo_lookup(geo, ip, strlen(ip), &gr);
            add_ent(f, KM_ENT_COUNTRIES, gr.country);
        }
    }
    km_finding_window(f, hp->t);
}

static void hop_json(struct rc *c, struct km_buf *b, const struct hop *hp, int first)
{
    struct km_lat_pool *p = &c->pool;
    char t[40];
    km_time_fmt(hp->t, t);
    if (!first)
        km_buf_addc(b, ',');
    km_buf_addc(b, '{');
    km_lat_json_kv(b, "time", t, 1);
    km_lat_json_kv(b, "from", km_lat_str(p, hp->caller_name), 0);
    km_lat_json_kv(b, "from_account", km_lat_str(p, hp->caller_account), 0);
    km_lat_json_kv(b, "role", km_lat_str(p, hp->role), 0);
    km_lat_json_kv(b, "account", km_lat_str(p, hp->role_account), 0);
    km_lat_json_kv(b, "access_key", km_lat_str(p, hp->caller_key), 0);
    km_lat_json_kv(b, "issued_key", km_lat_str(p, hp->issued_key), 0);
    km_lat_json_kv(b, "session", km_lat_str(p, hp->session), 0);
    km_lat_json_kv(b, "source_identity", km_lat_str(p, hp->source_identity), 0);
    km_lat_json_kv(b, "event_id", km_lat_str(p, hp->event_id), 0);
    km_buf_printf(b, ",\"depth\":%u,\"cross_account\":%s", hp->depth,
                  hp->xacct ? "true" : "false");
    if (hp->xstate == 2)
        km_buf_adds(b, ",\"first_seen\":true");
    const struct use *u = c->use ? &c->use[hp - c->hop] : NULL;
    if (u && u->calls) {
        km_buf_printf(b, ",\"session_calls\":%u", u->calls);
        km_lat_json_kv(b, "first_call", km_lat_str(p, u->first_action), 0);
    }
    km_buf_addc(b, '}');
}

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};

/* Emits one finding for trees[a..b) (same key). */
static void emit_group(struct rc *c, struct tree *tr, size_t a, size_t b, const uint32_t *order)
{
    struct km_lat_pool *p = &c->pool;
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "role_chain";
    f.technique = "T1550.001, T1078.004";
    /* the representative: the most severe tree, the first one among equals */
    size_t rep = a;
    int sev = -1;
    for (size_t i = a; i < b; i++)
        if (tr[i].sev > sev) {
            sev = tr[i].sev;
            rep = i;
        }
    f.severity = sev;
    snprintf(f.key, sizeof f.key, "%s", tr[a].key);
    uint32_t nev = 0;
    for (size_t i = a; i < b; i++)
        for (uint32_t k = 0; k < tr[i].n; k++) {
            const struct hop *hp = &c->hop[order[tr[i].first + k]];
            hop_entities(c, &f, hp);
            if (nev < MAX_EVIDENCE_HOPS || i == rep) {
                km_hunt_add_evidence(c->h, &f, hp->ref);
                nev++;
            }
        }
    /* twins (the target account's copy of a cross-account call) as evidence */
    for (uint32_t k = 0; k < tr[rep].n; k++) {
        const struct hop *hp = &c->hop[order[tr[rep].first + k]];
        if (hp->twin >= 0)
            km_hunt_add_evidence(c->h, &f, c->hop[hp->twin].ref);
        const struct use *u = c->use ? &c->use[hp - c->hop] : NULL;
        for (uint8_t q = 0; u && q < u->nref; q++)
            km_hunt_add_evidence(c->h, &f, u->ref[q]);
    }
    const struct tree *t = &tr[rep];
    const struct hop *r = &c->hop[t->root];
    char via[400], dur[40];
    via_of(c, r, via, sizeof via);
    const char *who = who_of(c, r);
    /* summary */
    char s[sizeof f.summary];
    size_t sn = 0;
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (uint32_t k = 0; k < t->n; k++) {
        const struct hop *hp = &c->hop[order[t->first + k]];
        t0 = hp->t < t0 ? hp->t : t0;
        t1 = hp->t > t1 ? hp->t : t1;
    }
    km_lat_duration(t1 - t0, dur, sizeof dur);
    if (t->depth < 2 && t->n == 1) {
        const struct hop *hp = &c->hop[order[t->first]];
        sn += (size_t)snprintf(s + sn, sizeof s - sn, "%s%s%s%s assumed %s in account %s from account %s",
                               who, via[0] ? " (" : "", via, via[0] ? ")" : "",
                               km_lat_tail(km_lat_str(p, hp->role)),
                               km_lat_str(p, hp->role_account), km_lat_str(p, hp->caller_account));
        if (sn < sizeof s)
            sn += (size_t)snprintf(s + sn, sizeof s - sn, "%s",
                                   t->xnew ? ", a caller and role never seen together before"
                                           : ", first seen in the baseline (expected)");
    } else {
        sn += (size_t)snprintf(s + sn, sizeof s - sn, "%s%s%s%s assumed ", who,
                               via[0] ? " (" : "", via, via[0] ? ")" : "");
        uint32_t shown = 0, k = 0;
        while (k < t->n && sn < sizeof s) {
            const struct hop *hp = &c->hop[order[t->first + k]];
            uint32_t same = 1;
            while (k + same < t->n && c->hop[order[t->first + k + same]].role == hp->role)
                same++;
            if (shown == 4) {
                sn += (size_t)snprintf(s + sn, sizeof s - sn, " and %u more hops", t->n - k);
                break;
            }
            sn += (size_t)snprintf(s + sn, sizeof s - sn, "%s%s in %s", shown ? ", then " : "",
                                   km_lat_tail(km_lat_str(p, hp->role)),
                                   *km_lat_str(p, hp->role_account)
                                       ? km_lat_str(p, hp->role_account)
                                       : "?");
            if (same > 1 && sn < sizeof s)
                sn += (size_t)snprintf(s + sn, sizeof s - sn, " (%u times)", same);
            shown++;
            k += same;
        }
        if (sn < sizeof s)
            sn += (size_t)snprintf(s + sn, sizeof s - sn, " within %s", dur);
        if (t->xnew && sn < sizeof s)
            sn += (size_t)snprintf(s + sn, sizeof s - sn,
                                   "; a cross-account hop never seen before");
        if (t->sig_base && !t->xnew && sn < sizeof s)
            sn += (size_t)snprintf(s + sn, sizeof s - sn,
                                   "; this chain was already seen in the baseline");
    }
    if (b - a > 1 && sn < sizeof s)
        sn += (size_t)snprintf(s + sn, sizeof s - sn, " (%zu times in all)", b - a);
    if (sn < sizeof s)
        snprintf(s + sn, sizeof s - sn, ".");
    snprintf(f.summary, sizeof f.summary, "%s", s);
    /* details */
    struct km_buf d;
    km_buf_init(&d, 1u << 20);
    km_buf_adds(&d, "{\"chain\":[");
    for (uint32_t k = 0; k < t->n && k < MAX_DETAIL_HOPS; k++)
        hop_json(c, &d, &c->hop[order[t->first + k]], k == 0);
    km_buf_printf(&d, "],\"hops\":%u,\"depth\":%u,\"chains\":%zu,\"origin\":", t->n, t->depth,
                  b - a);
    km_json_write_str(&d, who, strlen(who));
    km_buf_adds(&d, ",\"origin_type\":");
    static const char *const cn[] = {"other", "iam_user", "role_session", "federated_user",
                                     "web_identity", "saml_user", "root", "aws_account"};
    km_json_write_str(&d, cn[r->ctype], strlen(cn[r->ctype]));
    km_buf_printf(&d, ",\"long_term_key\":%s,\"automation_origin\":%s", t->longterm ? "true" : "false",
                  t->automation ? "true" : "false");
    km_buf_printf(&d, ",\"first_seen_cross_account\":%s,\"severity_reason\":",
                  t->xnew ? "true" : "false");
    char why[200];
    snprintf(why, sizeof why, "%s%s%s%s", t->deep ? "chain" : "cross-account hop",
             t->xnew ? ", first-seen cross-account" : "",
             t->longterm && sev >= KM_SEV_HIGH ? ", long-term key origin" : "",
             t->sig_base && !t->xnew ? ", shape seen in the baseline" : "");
    km_json_write_str(&d, why, strlen(why));
    km_buf_printf(&d, ",\"severity\":\"%s\"}", sev_names[sev]);
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

static int pred_issued(void *ctx, const char *v, size_t n)
{
    struct rc *c = ctx;
    uint32_t id = km_lat_find(&c->pool, v, n);
    return id && km_lat_map_get(&c->use_key, id);
}

static int row_use(void *vctx, const struct km_hrow *r)
{
    struct rc *c = vctx;
    struct km_str k = km_hrow_str(r, KM_F_ACTOR_ACCESS_KEY);
    int64_t *v = k.p ? km_lat_map_get(&c->use_key, km_lat_find(&c->pool, k.p, k.n)) : NULL;
    if (!v)
        return 0;
    struct use *u = &c->use[*v];
    if (r->time < c->hop[*v].t)
        return 0;
    u->calls++;
    if (u->nref < 3) {
        u->ref[u->nref++] = r->ref;
        if (u->nref == 1)
            u->first_action = km_lat_intern_str(&c->pool, km_hrow_str(r, KM_F_ACTION));
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(struct km_hunt *h, struct km_err *err)
{
    double t_start = now_s(), t_scan = 0, t_raw = 0;
    uint32_t nraw = 0;
    const struct km_conf *cf = km_hunt_conf(h);
    int64_t min_hops = km_conf_int(cf, "role_chain.min_hops");
    int64_t history = km_conf_dur_us(cf, "role_chain.history");
    int64_t window = km_conf_dur_us(cf, "role_chain.link_window");
    int report_expected = km_conf_bool(cf, "role_chain.report_expected");
    int same_addr = km_conf_bool(cf, "role_chain.same_address");
    if (min_hops < 1)
        min_hops = 1;
    const int64_t skew = 60 * 1000000LL;

    struct rc c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.tmin = INT64_MAX;
    c.tmax = INT64_MIN;
    km_lat_pool_init(&c.pool, 64u << 20);
    km_lat_map_init(&c.svc_roles);
    km_lat_map_init(&c.seen_res);
    km_arena_init(&c.scratch, 0, 1u << 20);

    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACTION;
    sc.cond[0].vals = sts_actions;
    sc.cond[0].nvals = (int)KM_ARRAY_LEN(sts_actions);
    sc.cond[1].field = KM_F_PROVIDER;
    sc.cond[1].vals = prov_aws;
    sc.cond[1].nvals = 1;
    sc.ncond = 2;
    sc.row = row;
    sc.ctx = &c;
    int rc = km_hunt_scan(h, &sc, err);
    t_scan = now_s();
    uint32_t *order = NULL;
    struct tree *tr = NULL;
    int64_t *ft = NULL;
    uint32_t *fip = NULL;
    struct km_lat_map keymap, keyfirst, arnmap, pairs, sigs, twins, firstkey, issuer_at;
    km_lat_map_init(&keymap);
    km_lat_map_init(&keyfirst);
    km_lat_map_init(&arnmap);
    km_lat_map_init(&pairs);
    km_lat_map_init(&sigs);
    km_lat_map_init(&twins);
    km_lat_map_init(&firstkey);
    km_lat_map_init(&issuer_at);
    if (rc != KM_OK || c.n == 0)
        goto out;
    if (c.dropped)
        km_log(1, "role_chain: %llu hops beyond the limit of %u were not examined",
               (unsigned long long)c.dropped, MAX_HOPS);

    /* 1. time order */
    order = km_xmalloc((size_t)c.n * sizeof *order);
    for (uint32_t i = 0; i < c.n; i++)
        order[i] = i;
    qsort_r(order, c.n, sizeof *order, cmp_time, c.hop);

    /* 2. automation: roles AWS services or web identity deliver, web identity
     *    callers, allow-listed callers */
    for (uint32_t i = 0; i < c.n; i++)
        if (c.hop[i].action == A_WEBID && c.hop[i].role)
            km_lat_map_put(&c.svc_roles, c.hop[i].role, 2, NULL);
    for (uint32_t i = 0; i < c.n; i++) {
        struct hop *hp = &c.hop[i];
        hp->auto_caller = hp->ctype == C_WEBID || hp->action == A_WEBID || hp->allowed ||
                          (hp->ctype == C_ROLE && hp->caller_issuer &&
                           km_lat_map_get(&c.svc_roles, hp->caller_issuer));
    }

    /* 3. the first hop of every calling session, per issuer, sorted */
    for (uint32_t k = 0; k < c.n; k++) {
        const struct hop *hp = &c.hop[order[k]];
        if (hp->ctype != C_ROLE || !hp->caller_key || !hp->caller_issuer)
            continue;
        int added;
        km_lat_map_put(&firstkey, hp->caller_key, hp->t, &added);
        if (added) {
            int64_t *v = km_lat_map_put(&issuer_at, hp->caller_issuer, 0, NULL);
            (*v)++;
        }
    }
    {
        /* counts -> start offsets; then fill */
        uint32_t total = 0;
        for (uint32_t i = 0; i < issuer_at.cap; i++)
            if (issuer_at.key[i]) {
                int64_t cnt = issuer_at.val[i];
                issuer_at.val[i] = (int64_t)total << 32;   /* start << 32 | filled */
                total += (uint32_t)cnt;
            }
        ft = km_xmalloc(((size_t)total + 1) * sizeof *ft);
        fip = km_xmalloc(((size_t)total + 1) * sizeof *fip);
        for (uint32_t k = 0; k < c.n; k++) {
            const struct hop *hp = &c.hop[order[k]];
            if (hp->ctype != C_ROLE || !hp->caller_key || !hp->caller_issuer)
                continue;
            int64_t *f0 = km_lat_map_get(&firstkey, hp->caller_key);
            if (!f0 || *f0 != hp->t || *f0 == INT64_MIN)
                continue;
            *f0 = INT64_MIN;   /* counted once */
            int64_t *v = km_lat_map_get(&issuer_at, hp->caller_issuer);
            uint32_t start = (uint32_t)(*v >> 32), filled = (uint32_t)(*v & 0xffffffff);
            ft[start + filled] = hp->t;
            fip[start + filled] = hp->ip;
            *v = ((int64_t)start << 32) | (filled + 1);
        }
    }

    /* 4. raw records where they can change the answer */
    for (uint32_t k = 0; k < c.n; k++) {
        struct hop *hp = &c.hop[order[k]];
        hp->xacct = hp->role_account && hp->caller_account &&
                    hp->role_account != hp->caller_account;
        int need = !hp->role || hp->action == A_FED || hp->ctype == C_ACCOUNT || hp->xacct;
        if (!need && !hp->auto_caller) {
            int64_t *v = km_lat_map_get(&issuer_at, hp->role);
            if (v) {
                uint32_t start = (uint32_t)(*v >> 32), cnt = (uint32_t)(*v & 0xffffffff);
                /* a session of this role whose first hop is in [t - skew, t + window] */
                int64_t lo = hp->t - skew;
                uint32_t a = 0, b = cnt;
                while (a < b) {
                    uint32_t mid = (a + b) / 2;
                    if (ft[start + mid] < lo)
                        a = mid + 1;
                    else
                        b = mid;
                }
                /* ... and, with same_address, from the hop's own address */
                for (; a < cnt && ft[start + a] <= hp->t + window && !need; a++)
                    need = !same_addr || fip[start + a] == hp->ip;
            }
        }
        if (need) {
            read_raw(&c, hp);
            nraw++;
            hp->xacct = hp->role_account && hp->caller_account &&
                        hp->role_account != hp->caller_account;
        }
    }
    t_raw = now_s();

    /* 5. twins: one call recorded by two accounts */
    for (uint32_t k = 0; k < c.n; k++) {
        uint32_t i = order[k];
        struct hop *hp = &c.hop[i];
        uint32_t ids[2] = {hp->issued_key, hp->shared_id};
        for (int q = 0; q < 2 && hp->twin_of < 0; q++) {
            if (!ids[q])
                continue;
            int added;
            int64_t *v = km_lat_map_put(&twins, ((uint64_t)(q + 1) << 32) | ids[q], i, &added);
            if (added)
                continue;
            uint32_t j = (uint32_t)*v;
            struct hop *o = &c.hop[j];
            if (llabs(o->t - hp->t) > 300 * 1000000LL || o->twin_of >= 0 || o->twin >= 0)
                continue;
            struct hop *prim = o, *sec = hp;
            uint32_t pi = j, si = i;
            /* keep the caller's record (not the AWSAccount copy) as primary */
            if (o->ctype == C_ACCOUNT && hp->ctype != C_ACCOUNT) {
                prim = hp, sec = o, pi = i, si = j;
                *v = i;
            }
            sec->twin_of = (int32_t)pi;
            prim->twin = (int32_t)si;
            if (!prim->issued_key)
                prim->issued_key = sec->issued_key;
            if (!prim->assumed_arn)
                prim->assumed_arn = sec->assumed_arn;
            if (!prim->source_identity)
                prim->source_identity = sec->source_identity;
        }
    }
    /* 6. parents: the hop that issued the caller's key, else the latest hop that
     *    created the caller's session ARN within the window */
    for (uint32_t k = 0; k < c.n; k++) {
        uint32_t i = order[k];
        if (c.hop[i].twin_of < 0 && c.hop[i].issued_key)
            km_lat_map_put(&keyfirst, c.hop[i].issued_key, i, NULL);
    }
    for (uint32_t k = 0; k < c.n; k++) {
        uint32_t i = order[k];
        struct hop *hp = &c.hop[i];
        if (hp->twin_of >= 0)
            continue;
        if ((hp->ctype == C_ROLE || hp->ctype == C_FED) && hp->caller_key) {
            int64_t *v = km_lat_map_get(&keymap, hp->caller_key);     /* latest before */
            if (!v)
                v = km_lat_map_get(&keyfirst, hp->caller_key);        /* same second */
            if (v && (uint32_t)*v != i && c.hop[*v].t <= hp->t + skew)
                hp->parent = (int32_t)*v;
        }
        if (hp->parent < 0 && hp->ctype == C_ROLE && hp->caller_arn) {
            int64_t *v = km_lat_map_get(&arnmap, hp->caller_arn);
            if (v && hp->t - c.hop[*v].t <= window)
                hp->parent = (int32_t)*v;
        }
        if (hp->issued_key)
            *km_lat_map_put(&keymap, hp->issued_key, i, NULL) = i;
        if (hp->assumed_arn)
            *km_lat_map_put(&arnmap, hp->assumed_arn, i, NULL) = i;
    }
    /* depth and root (guard the walk against a cycle in bad data) */
    for (uint32_t i = 0; i < c.n; i++) {
        struct hop *hp = &c.hop[i];
        if (hp->twin_of >= 0)
            continue;
        uint32_t d = 1, cur = i;
        while (c.hop[cur].parent >= 0 && d < 64) {
            cur = (uint32_t)c.hop[cur].parent;
            d++;
        }
        if (c.hop[cur].parent >= 0) {
            hp->parent = -1;
            cur = i;
            d = 1;
        }
        hp->depth = (uint16_t)d;
        hp->root = (int32_t)cur;
    }
    /* 7. new terms: (caller principal, role) of cross-account hops, in time order */
    {
        int64_t s0, s1;
        if (km_hunt_span(h, &s0, &s1) && s1 > c.tmax)
            c.tmax = s1;   /* the data goes on after the last relevant event */
    }
    int64_t base_end = km_lat_baseline_end(c.tmin, c.tmax, history);
    for (uint32_t k = 0; k < c.n; k++) {
        struct hop *hp = &c.hop[order[k]];
        if (hp->twin_of >= 0 || !hp->xacct)
            continue;
        uint32_t from = from_principal(&c, hp);
        int added;
        km_lat_map_put(&pairs, km_lat_pair(from, hp->role), hp->t, &added);
        if (added)
            hp->xstate = hp->t < base_end ? 1 : 2;
    }
    /* 8. trees: hops grouped by root, in time order */
    {
        uint32_t m = 0;
        for (uint32_t k = 0; k < c.n; k++)
            if (c.hop[order[k]].twin_of < 0)
                order[m++] = order[k];
        uint32_t *cnt = km_xcalloc((size_t)c.n + 2, sizeof *cnt);
        for (uint32_t k = 0; k < m; k++)
            cnt[c.hop[order[k]].root + 1]++;
        for (uint32_t i = 1; i <= c.n; i++)
            cnt[i] += cnt[i - 1];
        uint32_t *byroot = km_xmalloc((size_t)m * sizeof *byroot + 1);
        uint32_t *pos = km_xmalloc(((size_t)c.n + 1) * sizeof *pos);
        memcpy(pos, cnt, ((size_t)c.n + 1) * sizeof *pos);
        for (uint32_t k = 0; k < m; k++)
            byroot[pos[c.hop[order[k]].root]++] = order[k];
        free(pos);
        free(order);
        order = byroot;
        size_t ntr = 0, captr = 0;
        for (uint32_t root = 0; root < c.n; root++) {
            uint32_t first = cnt[root], last = cnt[root + 1];
            if (first == last)
                continue;
            struct tree t;
            memset(&t, 0, sizeof t);
            t.root = root;
            t.first = first;
            t.n = last - first;
            for (uint32_t k = first; k < last; k++) {
                const struct hop *hp = &c.hop[order[k]];
                if (hp->depth > t.depth)
                    t.depth = hp->depth;
                t.xnew |= hp->xstate == 2;
                t.xbase |= hp->xstate == 1;
            }
            t.deep = t.depth >= min_hops;
            if (!t.deep && !t.xnew && !t.xbase)
                continue;
            const struct hop *r = &c.hop[root];
            t.automation = r->auto_caller;
            t.longterm = r->ctype == C_IAMUSER &&
                         strncmp(km_lat_str(&c.pool, r->caller_key), "AKIA", 4) == 0;
            /* the chain's shape: origin principal + its roles, in time order */
            struct km_buf sb;
            km_buf_init(&sb, 1u << 16);
            km_buf_adds(&sb, km_lat_str(&c.pool, from_principal(&c, r)));
            for (uint32_t k = first; k < last; k++) {
                km_buf_addc(&sb, '|');
                km_buf_adds(&sb, km_lat_str(&c.pool, c.hop[order[k]].role));
            }
            uint8_t hsh[32];
            km_sha256(sb.p ? sb.p : "", sb.n, hsh);
            km_buf_free(&sb);
            memcpy(&t.sig, hsh, 8);
            t.sig |= 1;
            for (int q = 0; q < 8; q++)
                snprintf(t.hex + 2 * q, 3, "%02x", hsh[q]);
            int added;
            int64_t *fs = km_lat_map_put(&sigs, t.sig, r->t, &added);
            if (!added && r->t < *fs)
                *fs = r->t;
            if (ntr == captr) {
                captr = captr ? captr * 2 : 64;
                tr = km_xrealloc(tr, captr * sizeof *tr);
            }
            tr[ntr++] = t;
        }
        free(cnt);
        /* severity and key, now that every shape's first time is known */
        size_t keep = 0;
        for (size_t i = 0; i < ntr; i++) {
            struct tree *t = &tr[i];
            t->sig_base = *km_lat_map_get(&sigs, t->sig) < base_end;
            if (t->xnew)
                t->sev = KM_SEV_MEDIUM;
            else if (t->deep)
                t->sev = t->sig_base ? KM_SEV_LOW : KM_SEV_MEDIUM;
            else
                t->sev = KM_SEV_LOW;   /* cross-account, first seen in the baseline */
            if (t->sev >= KM_SEV_MEDIUM && t->longterm)
                t->sev = KM_SEV_HIGH;
            if (t->sev < KM_SEV_MEDIUM && !report_expected)
                continue;
            snprintf(t->key, sizeof t->key, "chain|%s", t->hex);
            tr[keep++] = *t;
        }
        ntr = keep;
        /* what the sessions of reported chains did: one scan over the calls
         * made with their issued keys (a dictionary predicate) */
        c.use = km_xcalloc((size_t)c.n + 1, sizeof *c.use);
        for (size_t i = 0; i < ntr; i++)
            for (uint32_t k = 0; k < tr[i].n; k++) {
                const struct hop *hp = &c.hop[order[tr[i].first + k]];
                if (hp->issued_key)
                    km_lat_map_put(&c.use_key, hp->issued_key, hp - c.hop, NULL);
            }
        if (c.use_key.n) {
            struct km_hscan us;
            memset(&us, 0, sizeof us);
            us.cond[0].field = KM_F_PROVIDER;
            us.cond[0].vals = prov_aws;
            us.cond[0].nvals = 1;
            us.cond[1].field = KM_F_ACTOR_ACCESS_KEY;
            us.cond[1].pred = pred_issued;
            us.cond[1].pctx = &c;
            us.ncond = 2;
            us.row = row_use;
            us.ctx = &c;
            rc = km_hunt_scan(h, &us, err);
        }
        if (ntr > 1)
            qsort(tr, ntr, sizeof *tr, cmp_tree_key);
        for (size_t i = 0; i < ntr;) {
            size_t j = i + 1;
            while (j < ntr && strcmp(tr[j].key, tr[i].key) == 0)
                j++;
            emit_group(&c, tr, i, j, order);
            i = j;
        }
    }
out:
    km_log(2, "role_chain: %u hops, %u raw records; scan %.3f s, raw %.3f s, rest %.3f s", c.n,
           nraw, t_scan - t_start, t_raw > 0 ? t_raw - t_scan : 0.0,
           t_raw > 0 ? now_s() - t_raw : 0.0);
    free(order);
    free(tr);
    free(ft);
    free(fip);
    km_lat_map_free(&keymap);
    km_lat_map_free(&keyfirst);
    km_lat_map_free(&arnmap);
    km_lat_map_free(&pairs);
    km_lat_map_free(&sigs);
    km_lat_map_free(&twins);
    km_lat_map_free(&firstkey);
    km_lat_map_free(&issuer_at);
    km_lat_map_free(&c.svc_roles);
    km_lat_map_free(&c.seen_res);
    km_lat_map_free(&c.use_key);
    free(c.use);
    km_lat_pool_free(&c.pool);
    km_arena_free(&c.scratch);
    free(c.hop);
    return rc;
}

const struct km_detection km_det_role_chain = {
    .id = "role_chain",
    .title = "AWS role chains and cross-account hops",
    .technique = "T1550.001, T1078.004",
    .summary = "AssumeRole chains (linked by issued access keys, session ARNs, sharedEventID) "
               "and cross-account hops first seen after the baseline",
    .providers = "aws",
    .conf = km_det_conf_role_chain,
    .run = run,
};
