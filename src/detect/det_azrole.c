/*
 * det_azrole.c — azure_role_assignment: an Azure role assignment, and the
 * assignee acting where it never acted before (docs/detections/
 * azure_role_assignment.md).
 *
 * 1. Assignments: Activity-log operations Microsoft.Authorization/
 *    roleAssignments/write and Microsoft.Authorization/elevateAccess/action
 *    (matched ignoring case: exports upper-case them). The new assignment's
 *    assignee, role definition and scope come from the raw record: the
 *    request body (properties.requestbody, a JSON string, on the Start
 *    record), else the response body (properties.responseBody), else the
 *    scope from the resource id. identity.authorization.evidence is *not*
 *    used for them: it describes the caller's own assignment that allowed
 *    the call. Start / Success / Failure records of one operation share a
 *    correlationId and are one assignment. elevateAccess makes the caller
 *    User Access Administrator at "/".
 * 2. Use: a second scan reads only Activity records whose actor.id is one of
 *    the assignees (a dictionary predicate: segments without them are not
 *    read). An assignee acting inside the assigned scope within
 *    azure_role_assignment.window after the assignment, in a subscription
 *    where it had not acted before the assignment, is "use in another
 *    scope".
 *
 * Severity: a privileged role (Owner, Contributor, User Access
 * Administrator, Role Based Access Control Administrator, ... and the ids of
 * azure_role_assignment.privileged_roles) or elevateAccess is medium, high
 * when used in another scope; any other assignment used in another scope is
 * medium; denied attempts (Failure, Forbidden) are low, one finding per
 * caller, subscription and day. Assignments whose assignee the records do
 * not name and whose role is not privileged are not reported.
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

const struct km_conf_key km_det_conf_azure_role_assignment[] = {
    {"azure_role_assignment.window", KM_CONF_DUR, "24h",
     "activity of the assignee this long after the assignment counts as its use"},
    {"azure_role_assignment.privileged_roles", KM_CONF_LIST, "",
     "more role definition ids (GUIDs) or role names treated as privileged"},
    {"azure_role_assignment.include_failed", KM_CONF_BOOL, "true",
     "report denied assignment attempts (low severity)"},
    {NULL, 0, NULL, NULL},
};

static const char *const prov_azure[] = {"azure"};

/* Built-in role definitions (ids are the same in every tenant). */
struct role {
    const char *id;     /* GUID without dashes, lower case */
    const char *name;
    int privileged;
};
static const struct role roles[] = {
    {"8e3af657a8ff443ca75c2fe8c4bcb635", "Owner", 1},
    {"b24988ac618042a0ab8820f7382dd24c", "Contributor", 1},
    {"18d7d88dd35e4fb5a5c37773c20a72d9", "User Access Administrator", 1},
    {"f58310d9a9f6439a9e8df62e7b41a168", "Role Based Access Control Administrator", 1},
    {"b7e6dc6df1e8475380330f276bb0955b", "Storage Blob Data Owner", 1},
    {"00482a5a887f4fb3b3633b7fe8e74483", "Key Vault Administrator", 1},
    {"1c0163c047e645778991ea5c82e286e4", "Virtual Machine Administrator Login", 1},
    {"f1a07417d97a45cb824c7a7467783830", "Managed Identity Operator", 1},
    {"acdd72a7338548efbd42f606fba81ae7", "Reader", 0},
};

enum { OP_ASSIGN = 1, OP_ELEVATE = 2 };
#define MAX_ASG 1000000u   /* assignments kept (~150 bytes each) */

static int op_of(const char *v, size_t n)
{
    static const char a[] = "microsoft.authorization/roleassignments/write";
    static const char e[] = "microsoft.authorization/elevateaccess/action";
    if (n == sizeof a - 1 && strncasecmp(v, a, n) == 0)
        return OP_ASSIGN;
    if (n == sizeof e - 1 && strncasecmp(v, e, n) == 0)
        return OP_ELEVATE;
    return 0;
}

static int pred_ops(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return op_of(v, n) != 0;
}

/* GUID text -> 32 lower-case hex digits (dashes, braces dropped); 0 when it
 * is not a GUID. out has room for 33. */
static int guid_norm(const char *s, size_t n, char out[33])
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '-' || ch == '{' || ch == '}')
            continue;
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch + 32);
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) || k == 32)
            return 0;
        out[k++] = ch;
    }
    out[k] = 0;
    return k == 32;
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

/* one assignment (all records of one operation) */
struct asg {
    int64_t t;
    struct km_evref ref;
    struct km_evref refs[4];
    uint8_t nrefs;
    uint8_t op, ok, failed, unknown_only, nraw;
    uint32_t corr, caller, caller_email, caller_id, ip, sub, event_id;
    uint32_t assignee;      /* normalized GUID */
    uint32_t ptype, roledef, scope;   /* roledef: normalized GUID or name */
    /* use */
    int64_t use_first, use_last;
    uint32_t use_n, use_sub, use_action, use_name, use_email;
    struct km_evref use_ref[6];
    uint8_t nuse;
    uint8_t new_scope;
    int32_t next;           /* next assignment of the same assignee, -1 */
};

struct az {
    struct km_hunt *h;
    struct km_lat_pool pool;
    struct asg *a;
    uint32_t n, cap;
    struct km_lat_map corr;        /* correlation id -> assignment */
    struct km_lat_map assignees;   /* assignee id -> first assignment index */
    int64_t window;
    struct km_lat_map seen_sub;    /* (assignee, sub) -> first time */
    const char *const *extra;
    size_t nextra;
    uint64_t raw_reads, use_rows, dropped;
};

static const struct role *role_find(struct az *c, const char *def)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(roles); i++)
        if (strcmp(roles[i].id, def) == 0 || strcasecmp(roles[i].name, def) == 0)
            return &roles[i];
    return NULL;
}

static int privileged(struct az *c, const char *def)
{
    const struct role *r = role_find(c, def);
    if (r && r->privileged)
        return 1;
    for (size_t i = 0; i < c->nextra; i++) {
        char g[33];
        const char *x = c->extra[i];
        if (guid_norm(x, strlen(x), g) ? strcmp(g, def) == 0 : strcasecmp(x, def) == 0)
            return 1;
        if (r && strcasecmp(x, r->name) == 0)
            return 1;
    }
    return 0;
}

static const char *role_name(struct az *c, const char *def)
{
    const struct role *r = role_find(c, def);
    return r ? r->name : def;
}

/* ---- assignments --------------------------------------------------------------------- */

/* properties of a record in any of the Activity shapes */
static const struct km_json *props_of(const struct km_json *root, struct km_arena *a)
{
    const struct km_json *p = km_json_geti(root, "properties");
    if (!p)
        p = km_json_geti(root, "Properties_d");
    return km_lat_embedded(p, a);
}

static const struct km_json *body_props(const struct km_json *body)
{
    const struct km_json *p = km_json_geti(body, "properties");
    return km_json_is_obj(p) ? p : body;
}

/* The first "id" of a normalized resources array, lower-cased, into out. */
static void first_resource(struct km_str rj, char *out, size_t cap)
{
    out[0] = 0;
    if (!rj.p)
        return;
    const char *m = memmem(rj.p, rj.n, "\"id\":\"", 6);
    if (!m)
        return;
    const char *b = m + 6, *e = rj.p + rj.n;
    const char *q = memchr(b, '"', (size_t)(e - b));
    if (!q || memchr(b, '\\', (size_t)(q - b)))
        return;
    km_lat_cpy(out, cap, (struct km_str){b, (uint32_t)(q - b)});
    lower(out);
}

static int row_assign(void *vctx, const struct km_hrow *r)
{
    struct az *c = vctx;
    struct km_event ev;
    km_event_init(&ev);
    if (km_hrow_event(r, &ev) != KM_OK)
        return 0;
    int op = op_of(ev.f[KM_F_ACTION].p ? ev.f[KM_F_ACTION].p : "", ev.f[KM_F_ACTION].n);
    if (!op)
        return 0;
    struct km_lat_pool *p = &c->pool;
    struct km_str out = ev.f[KM_F_OUTCOME];
    int failed = km_str_eqc(out, "failure");
    /* the assignment this record belongs to: one role assignment resource
     * (its Start, Success or Failure records); else the correlation id */
    char rid[1024];
    first_resource(ev.f[KM_F_RESOURCES], rid, sizeof rid);
    int by_resource = op == OP_ASSIGN && strstr(rid, "/roleassignments/") != NULL;
    struct asg *g = NULL;
    char key[1200];
    if (by_resource) {
        snprintf(key, sizeof key, "%d|%s", op, rid);
        uint32_t kid = km_lat_find(p, key, strlen(key));
        int64_t *v = kid ? km_lat_map_get(&c->corr, kid) : NULL;
        if (v)
            g = &c->a[*v];
    }
    /* the raw record: for the body (assignee, role, scope) and the correlation */
    struct km_arena ar;
    km_arena_init(&ar, 0, 64u << 20);
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    int want_raw = !by_resource || op == OP_ELEVATE ||
                   (!failed && !(g && (g->assignee || g->nraw >= 2)));
    int have_raw = want_raw && km_hrow_raw(r, &ar, &root, &e) == KM_OK && km_json_is_obj(root);
    struct km_str corr = KM_STR_NONE, principal = KM_STR_NONE, ptype = KM_STR_NONE,
                  roledef = KM_STR_NONE, scope = KM_STR_NONE, rtype = KM_STR_NONE;
    if (have_raw) {
        corr = km_lat_jstr(km_json_geti(root, "correlationId"));
        rtype = km_lat_jstr(km_json_geti(root, "resultType"));
        const struct km_json *pr = props_of(root, &ar);
        static const char *const bodies[] = {"requestbody", "responseBody"};
        for (int b = 0; b < 2 && !(principal.p && roledef.p); b++) {
            const struct km_json *body = km_lat_embedded(km_json_geti(pr, bodies[b]), &ar);
            const struct km_json *bp = body_props(body);
            if (!principal.p)
                principal = km_lat_jstr(km_json_geti(bp, "principalId"));
            if (!ptype.p)
                ptype = km_lat_jstr(km_json_geti(bp, "principalType"));
            if (!roledef.p)
                roledef = km_lat_jstr(km_json_geti(bp, "roleDefinitionId"));
            if (!scope.p)
                scope = km_lat_jstr(km_json_geti(bp, "scope"));
        }
    }
    if (!by_resource) {
        if (!corr.p)
            corr = ev.f[KM_F_REQUEST_ID];
        snprintf(key, sizeof key, "%d|%.*s|%.*s", op, corr.p ? (int)corr.n : 0,
                 corr.p ? corr.p : "", corr.p ? 0 : (int)(ev.f[KM_F_EVENT_ID].n),
                 corr.p ? "" : ev.f[KM_F_EVENT_ID].p);
    }
    if (!g) {
        uint32_t kid = km_lat_intern(p, key, strlen(key));
        int64_t *v = kid ? km_lat_map_get(&c->corr, kid) : NULL;
        if (v) {
            g = &c->a[*v];
        } else if (!kid || c->n >= MAX_ASG) {
            c->dropped++;
            km_arena_free(&ar);
            return 0;
        } else {
            km_lat_map_put(&c->corr, kid, c->n, NULL);
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 64;
                c->a = km_xrealloc(c->a, c->cap * sizeof *c->a);
            }
            g = &c->a[c->n++];
            memset(g, 0, sizeof *g);
            g->t = r->time;
            g->ref = r->ref;
            g->op = (uint8_t)op;
            g->unknown_only = 1;
            g->corr = kid;
        }
    }
    if (r->time < g->t)
        g->t = r->time;
    g->nraw += have_raw;
    c->raw_reads += want_raw;
    if (g->nrefs < 4)
        g->refs[g->nrefs++] = r->ref;
    if (!g->caller)
        g->caller = km_lat_intern_str(p, ev.f[KM_F_ACTOR_NAME]);
    if (!g->caller_email)
        g->caller_email = km_lat_intern_str(p, ev.f[KM_F_ACTOR_EMAIL]);
    char gid[33];
    if (!g->caller_id && ev.f[KM_F_ACTOR_ID].p &&
        guid_norm(ev.f[KM_F_ACTOR_ID].p, ev.f[KM_F_ACTOR_ID].n, gid))
        g->caller_id = km_lat_intern(p, gid, 32);
    if (!g->ip)
        g->ip = km_lat_intern_str(p, ev.f[KM_F_SRC_IP].p ? ev.f[KM_F_SRC_IP] : ev.f[KM_F_SRC_RAW]);
    if (!g->sub)
        g->sub = km_lat_intern_str(p, ev.f[KM_F_ACCOUNT]);
    if (!g->event_id)
        g->event_id = km_lat_intern_str(p, ev.f[KM_F_EVENT_ID]);
    if (km_str_eqc(out, "success")) {
        g->ok = 1;
        g->unknown_only = 0;
    } else if (failed) {
        g->failed = 1;
        g->unknown_only = 0;
    } else if (rtype.p && (km_str_eqc(rtype, "Succeeded") || km_str_eqc(rtype, "Success"))) {
        g->ok = 1;
        g->unknown_only = 0;
    }
    if (!g->assignee && principal.p && guid_norm(principal.p, principal.n, gid))
        g->assignee = km_lat_intern(p, gid, 32);
    if (!g->ptype)
        g->ptype = km_lat_intern_str(p, ptype);
    if (!g->roledef && roledef.p) {
        const char *rs = roledef.p, *slash = memrchr(rs, '/', roledef.n);
        size_t n = roledef.n;
        if (slash) {
            n -= (size_t)(slash + 1 - rs);
            rs = slash + 1;
        }
        if (guid_norm(rs, n, gid))
            g->roledef = km_lat_intern(p, gid, 32);
        else
            g->roledef = km_lat_intern(p, rs, n);
    }
    if (!g->scope && scope.p) {
        char sc[1024];
        km_lat_cpy(sc, sizeof sc, scope);
        lower(sc);
        g->scope = km_lat_intern(p, sc, strlen(sc));
    }
    if (!g->scope && rid[0] && op == OP_ASSIGN) {
        /* ".../providers/microsoft.authorization/roleassignments/<id>" -> the scope */
        char *m = strstr(rid, "/providers/microsoft.authorization/roleassignments");
        if (m) {
            *m = 0;
            if (!rid[0])
                strcpy(rid, "/");
            g->scope = km_lat_intern(p, rid, strlen(rid));
        }
    }
    if (op == OP_ELEVATE) {
        g->scope = km_lat_intern(p, "/", 1);
        g->roledef = km_lat_intern(p, "18d7d88dd35e4fb5a5c37773c20a72d9", 32);
        if (!g->assignee)
            g->assignee = g->caller_id;
    }
    km_arena_free(&ar);
    return 0;
}

/* ---- use ------------------------------------------------------------------------------- */

static int pred_assignee(void *ctx, const char *v, size_t n)
{
    struct az *c = ctx;
    char gid[33];
    if (!guid_norm(v, n, gid))
        return 0;
    uint32_t id = km_lat_find(&c->pool, gid, 32);
    return id && km_lat_map_get(&c->assignees, id);
}

static int row_use(void *vctx, const struct km_hrow *r)
{
    struct az *c = vctx;
    c->use_rows++;
    struct km_str aid = km_hrow_str(r, KM_F_ACTOR_ID);
    char gid[33];
    if (!aid.p || !guid_norm(aid.p, aid.n, gid))
        return 0;
    uint32_t who = km_lat_find(&c->pool, gid, 32);
    if (!who)
        return 0;
    struct km_str sub = km_hrow_str(r, KM_F_ACCOUNT);
    char subl[200];
    km_lat_cpy(subl, sizeof subl, sub);
    lower(subl);
    uint32_t sid = km_lat_intern(&c->pool, subl, strlen(subl));
    int added;
    int64_t *first = km_lat_map_put(&c->seen_sub, km_lat_pair(who, sid), r->time, &added);
    if (!added && r->time < *first)
        *first = r->time;
    /* the assignments of this assignee this row may be a use of */
    struct km_str res = KM_STR_NONE;
    int64_t *head = km_lat_map_get(&c->assignees, who);
    for (int32_t i = head ? (int32_t)*head : -1; i >= 0; i = c->a[i].next) {
        struct asg *g = &c->a[i];
        if (r->time <= g->t || r->time > g->t + c->window)
            continue;
        /* inside the assigned scope? */
        const char *scope = km_lat_str(&c->pool, g->scope);
        if (*scope && strcmp(scope, "/") != 0) {
            if (!res.p) {
                res = km_hrow_str(r, KM_F_RESOURCES);
                if (!res.p)
                    res = KM_STR("");
            }
            char rl[2048];
            km_lat_cpy(rl, sizeof rl, res);
            lower(rl);
            char pat[1100];
            snprintf(pat, sizeof pat, "\"%s", scope);
            const char *m = strstr(rl, pat);
            size_t pl = strlen(pat);
            int inside = m && (m[pl] == '"' || m[pl] == '/');
            /* a subscription scope also covers records that only name the subscription */
            if (!inside && strncmp(scope, "/subscriptions/", 15) == 0 &&
                strchr(scope + 15, '/') == NULL && strcmp(scope + 15, subl) == 0)
                inside = 1;
            if (!inside)
                continue;
        }
        if (!g->use_n) {
            g->use_first = r->time;
            g->use_sub = sid;
            g->use_action = km_lat_intern_str(&c->pool, km_hrow_str(r, KM_F_ACTION));
        }
        if (!g->use_name)
            g->use_name = km_lat_intern_str(&c->pool, km_hrow_str(r, KM_F_ACTOR_NAME));
        if (!g->use_email)
            g->use_email = km_lat_intern_str(&c->pool, km_hrow_str(r, KM_F_ACTOR_EMAIL));
        g->use_n++;
        g->use_last = r->time;
        if (g->nuse < 6)
            g->use_ref[g->nuse++] = r->ref;
    }
    return 0;
}

/* ---- findings ------------------------------------------------------------------------ */

static void add_ent(struct km_finding *f, int k, const char *s)
{
    if (s && *s)
        km_strset_addc(&f->ent[k], s);
}

static void person_of(struct az *c, struct km_finding *f, const char *email, const char *name)
{
    const struct km_idgraph *g = km_hunt_graph(c->h);
    const char *k = *email ? email : name;
    int pi = g && *k ? km_idgraph_find_person(g, k, strlen(k)) : -1;
    if (pi >= 0)
        add_ent(f, KM_ENT_PERSONS, km_idgraph_person(g, (size_t)pi)->email);
    else if (*email)
        add_ent(f, KM_ENT_PERSONS, email);
}

static void dashed(const char *g, char out[37])
{
    if (strlen(g) != 32) {
        snprintf(out, 37, "%s", g);
        return;
    }
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", g, g + 8, g + 12, g + 16, g + 20);
}

static void emit_asg(struct az *c, struct asg *g, int64_t window)
{
    struct km_lat_pool *p = &c->pool;
    const char *def = km_lat_str(p, g->roledef);
    int priv = *def && privileged(c, def);
    const char *rname = *def ? role_name(c, def) : "";
    /* use in another scope: the first use's subscription is new for the assignee */
    if (g->use_n) {
        int64_t *first = km_lat_map_get(&c->seen_sub, km_lat_pair(g->assignee, g->use_sub));
        g->new_scope = first && *first > g->t;
    }
    int sev;
    if (!g->ok)
        return;   /* failures are grouped elsewhere */
    if (priv || g->op == OP_ELEVATE)
        sev = g->new_scope ? KM_SEV_HIGH : KM_SEV_MEDIUM;
    else if (g->new_scope)
        sev = KM_SEV_MEDIUM;
    else
        return;
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "azure_role_assignment";
    f.technique = "T1098.003";
    f.severity = sev;
    char asg_dashed[37] = "";
    dashed(km_lat_str(p, g->assignee), asg_dashed);
    snprintf(f.key, sizeof f.key, "%s", km_lat_str(p, g->corr));
    const char *caller = km_lat_str(p, g->caller);
    add_ent(&f, KM_ENT_IDENTITIES, caller);
    person_of(c, &f, km_lat_str(p, g->caller_email), caller);
    add_ent(&f, KM_ENT_IDENTITIES, asg_dashed);
    add_ent(&f, KM_ENT_IDENTITIES, km_lat_str(p, g->use_name));
    person_of(c, &f, km_lat_str(p, g->use_email), km_lat_str(p, g->use_name));
    add_ent(&f, KM_ENT_ROLES, rname);
    add_ent(&f, KM_ENT_ACCOUNTS, km_lat_str(p, g->sub));
    const char *scope = km_lat_str(p, g->scope);
    if (strncmp(scope, "/subscriptions/", 15) == 0) {
        char sub[80];
        snprintf(sub, sizeof sub, "%.*s", (int)strcspn(scope + 15, "/"), scope + 15);
        add_ent(&f, KM_ENT_ACCOUNTS, sub);
    }
    add_ent(&f, KM_ENT_ACCOUNTS, km_lat_str(p, g->use_sub));
    add_ent(&f, KM_ENT_RESOURCES, scope);
    const char *ip = km_lat_str(p, g->ip);
    if (*ip) {
        add_ent(&f, KM_ENT_IPS, ip);
        struct km_geo *geo = km_hunt_geo(c->h);
        if (geo) {
            struct km_geo_rec gr;
            km_geo_lookup(geo, ip, strlen(ip), &gr);
            add_ent(&f, KM_ENT_COUNTRIES, gr.country);
        }
    }
    km_finding_window(&f, g->t);
    for (uint8_t i = 0; i < g->nrefs; i++)
        km_hunt_add_evidence(c->h, &f, g->refs[i]);
    if (g->use_n) {
        km_finding_window(&f, g->use_first);
        km_finding_window(&f, g->use_last);
        for (uint8_t i = 0; i < g->nuse; i++)
            km_hunt_add_evidence(c->h, &f, g->use_ref[i]);
    }
    char when[40], dur[40];
    km_time_fmt(g->t, when);
    const char *who = *km_lat_str(p, g->use_name) ? km_lat_str(p, g->use_name) : asg_dashed;
    size_t sn;
    if (g->op == OP_ELEVATE)
        sn = (size_t)snprintf(f.summary, sizeof f.summary,
                              "%s elevated their access to User Access Administrator over every "
                              "subscription of the tenant (elevateAccess) at %s",
                              caller, when);
    else
        sn = (size_t)snprintf(f.summary, sizeof f.summary, "%s assigned %s on %s to %s%s%s%s at %s",
                              caller, *rname ? rname : "a role", *scope ? scope : "?",
                              *asg_dashed ? who : "an unnamed principal",
                              g->ptype ? " (" : "", km_lat_str(p, g->ptype), g->ptype ? ")" : "",
                              when);
    if (g->use_n && sn < sizeof f.summary) {
        km_lat_duration(g->use_first - g->t, dur, sizeof dur);
        sn += (size_t)snprintf(f.summary + sn, sizeof f.summary - sn,
                               "; %s then acted in subscription %s%s %s later (%u record%s, "
                               "first %s)",
                               g->op == OP_ELEVATE ? "they" : "the assignee",
                               km_lat_str(p, g->use_sub),
                               g->new_scope ? ", where it had not acted before," : "", dur,
                               g->use_n, g->use_n == 1 ? "" : "s", km_lat_str(p, g->use_action));
    }
    if (sn < sizeof f.summary)
        snprintf(f.summary + sn, sizeof f.summary - sn, ".");
    struct km_buf d;
    km_buf_init(&d, 1u << 16);
    km_buf_addc(&d, '{');
    km_lat_json_kv(&d, "operation", g->op == OP_ELEVATE ? "elevateAccess" : "roleAssignments/write", 1);
    km_lat_json_kv(&d, "caller", caller, 0);
    km_lat_json_kv(&d, "assignee", asg_dashed, 0);
    km_lat_json_kv(&d, "assignee_type", km_lat_str(p, g->ptype), 0);
    km_lat_json_kv(&d, "role", rname, 0);
    km_lat_json_kv(&d, "role_definition_id", def, 0);
    km_lat_json_kv(&d, "scope", scope, 0);
    km_lat_json_kv(&d, "event_id", km_lat_str(p, g->event_id), 0);
    km_buf_printf(&d, ",\"privileged\":%s,\"outcome\":\"%s\",\"used\":",
                  priv || g->op == OP_ELEVATE ? "true" : "false",
                  g->unknown_only ? "unknown" : "success");
    if (g->use_n) {
        char t0[40], t1[40];
        km_time_fmt(g->use_first, t0);
        km_time_fmt(g->use_last, t1);
        km_buf_addc(&d, '{');
        km_lat_json_kv(&d, "first", t0, 1);
        km_lat_json_kv(&d, "last", t1, 0);
        km_lat_json_kv(&d, "subscription", km_lat_str(p, g->use_sub), 0);
        km_lat_json_kv(&d, "first_operation", km_lat_str(p, g->use_action), 0);
        km_buf_printf(&d, ",\"records\":%u,\"new_scope\":%s}", g->use_n,
                      g->new_scope ? "true" : "false");
    } else {
        km_buf_adds(&d, "null");
    }
    km_buf_printf(&d, ",\"window_seconds\":%lld}", (long long)(window / 1000000));
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

/* Denied attempts: one finding per caller, subscription and UTC day. */
static void emit_failed(struct az *c, uint32_t *idx, uint32_t n)
{
    struct km_lat_pool *p = &c->pool;
    const struct asg *g0 = &c->a[idx[0]];
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "azure_role_assignment";
    f.technique = "T1098.003";
    f.severity = KM_SEV_LOW;
    char day[40];
    km_time_fmt(g0->t, day);
    day[10] = 0;
    const char *caller = km_lat_str(p, g0->caller);
    snprintf(f.key, sizeof f.key, "denied|%.120s|%.60s|%s", caller, km_lat_str(p, g0->sub), day);
    for (uint32_t i = 0; i < n; i++) {
        const struct asg *g = &c->a[idx[i]];
        add_ent(&f, KM_ENT_IDENTITIES, km_lat_str(p, g->caller));
        person_of(c, &f, km_lat_str(p, g->caller_email), km_lat_str(p, g->caller));
        add_ent(&f, KM_ENT_ACCOUNTS, km_lat_str(p, g->sub));
        add_ent(&f, KM_ENT_RESOURCES, km_lat_str(p, g->scope));
        const char *def = km_lat_str(p, g->roledef);
        if (*def)
            add_ent(&f, KM_ENT_ROLES, role_name(c, def));
        const char *ip = km_lat_str(p, g->ip);
        add_ent(&f, KM_ENT_IPS, ip);
        km_finding_window(&f, g->t);
        for (uint8_t k = 0; k < g->nrefs; k++)
            km_hunt_add_evidence(c->h, &f, g->refs[k]);
    }
    snprintf(f.summary, sizeof f.summary,
             "%s tried %u role assignment%s in subscription %s on %s and was denied.", caller, n,
             n == 1 ? "" : "s", km_lat_str(p, g0->sub), day);
    struct km_buf d;
    km_buf_init(&d, 1u << 16);
    km_buf_addc(&d, '{');
    km_lat_json_kv(&d, "operation", "roleAssignments/write", 1);
    km_lat_json_kv(&d, "caller", caller, 0);
    km_lat_json_kv(&d, "subscription", km_lat_str(p, g0->sub), 0);
    km_buf_printf(&d, ",\"denied\":%u,\"attempts\":[", n);
    for (uint32_t i = 0; i < n && i < 20; i++) {
        const struct asg *g = &c->a[idx[i]];
        char t[40];
        km_time_fmt(g->t, t);
        km_buf_adds(&d, i ? ",{" : "{");
        km_lat_json_kv(&d, "time", t, 1);
        km_lat_json_kv(&d, "scope", km_lat_str(p, g->scope), 0);
        const char *def = km_lat_str(p, g->roledef);
        km_lat_json_kv(&d, "role", *def ? role_name(c, def) : "", 0);
        km_lat_json_kv(&d, "event_id", km_lat_str(p, g->event_id), 0);
        km_buf_addc(&d, '}');
    }
    km_buf_adds(&d, "]}");
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

static int cmp_failed(const void *a, const void *b, void *ctx)
{
    const struct asg *g = ctx;
    const struct asg *x = &g[*(const uint32_t *)a], *y = &g[*(const uint32_t *)b];
    if (x->caller != y->caller)
        return x->caller < y->caller ? -1 : 1;
    if (x->sub != y->sub)
        return x->sub < y->sub ? -1 : 1;
    if (x->t / 86400000000LL != y->t / 86400000000LL)
        return x->t < y->t ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *cf = km_hunt_conf(h);
    int64_t window = km_conf_dur_us(cf, "azure_role_assignment.window");
    int inc_failed = km_conf_bool(cf, "azure_role_assignment.include_failed");
    struct az c;
    memset(&c, 0, sizeof c);
    c.h = h;
    km_lat_pool_init(&c.pool, 64u << 20);
    c.window = window;
    c.nextra = km_conf_list(cf, "azure_role_assignment.privileged_roles", &c.extra);

    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_PROVIDER;
    sc.cond[0].vals = prov_azure;
    sc.cond[0].nvals = 1;
    sc.cond[1].field = KM_F_ACTION;
    sc.cond[1].pred = pred_ops;
    sc.ncond = 2;
    sc.row = row_assign;
    sc.ctx = &c;
    int rc = km_hunt_scan(h, &sc, err);
    uint32_t *idx = NULL;
    if (rc != KM_OK || !c.n)
        goto out;
    /* assignees whose use is worth following */
    for (uint32_t i = 0; i < c.n; i++) {
        struct asg *g = &c.a[i];
        g->next = -1;
        if (g->unknown_only)
            g->ok = 1;   /* only the Start record: the result was not recorded */
        if (!g->ok || !g->assignee)
            continue;
        int added;
        int64_t *v = km_lat_map_put(&c.assignees, g->assignee, i, &added);
        if (!added) {
            g->next = (int32_t)*v;
            *v = i;
        }
    }
    if (c.assignees.n) {
        memset(&sc, 0, sizeof sc);
        sc.cond[0].field = KM_F_PROVIDER;
        sc.cond[0].vals = prov_azure;
        sc.cond[0].nvals = 1;
        sc.cond[1].field = KM_F_ACTOR_ID;
        sc.cond[1].pred = pred_assignee;
        sc.cond[1].pctx = &c;
        sc.ncond = 2;
        sc.row = row_use;
        sc.ctx = &c;
        rc = km_hunt_scan(h, &sc, err);
        if (rc != KM_OK)
            goto out;
    }
    for (uint32_t i = 0; i < c.n; i++)
        emit_asg(&c, &c.a[i], window);
    if (inc_failed) {
        idx = km_xmalloc(((size_t)c.n + 1) * sizeof *idx);
        uint32_t m = 0;
        for (uint32_t i = 0; i < c.n; i++)
            if (c.a[i].failed && !c.a[i].ok)
                idx[m++] = i;
        qsort_r(idx, m, sizeof *idx, cmp_failed, c.a);
        for (uint32_t i = 0; i < m;) {
            uint32_t j = i + 1;
            const struct asg *x = &c.a[idx[i]];
            while (j < m && c.a[idx[j]].caller == x->caller && c.a[idx[j]].sub == x->sub &&
                   c.a[idx[j]].t / 86400000000LL == x->t / 86400000000LL)
                j++;
            emit_failed(&c, idx + i, j - i);
            i = j;
        }
    }
    if (c.dropped)
        km_log(1, "azure_role_assignment: %llu role assignments beyond the limit of %u were not "
                  "examined", (unsigned long long)c.dropped, MAX_ASG);
    km_log(2, "azure_role_assignment: %u assignments, %u assignees, %llu raw records, %llu "
              "assignee rows", c.n, c.assignees.n, (unsigned long long)c.raw_reads,
           (unsigned long long)c.use_rows);
out:
    free(idx);
    free(c.a);
    km_lat_map_free(&c.corr);
    km_lat_map_free(&c.assignees);
    km_lat_map_free(&c.seen_sub);
    km_lat_pool_free(&c.pool);
    return rc;
}

const struct km_detection km_det_azure_role_assignment = {
    .id = "azure_role_assignment",
    .title = "Azure role assignment used in another scope",
    .technique = "T1098.003",
    .summary = "role assignments (privileged role ids, elevateAccess) and the assignee acting "
               "in a subscription it had not acted in before",
    .providers = "azure",
    .conf = km_det_conf_azure_role_assignment,
    .run = run,
};
