/*
 * det_privilege.c — privilege_grant: someone gives an identity administrative
 * power: AWS AdministratorAccess / IAMFullAccess or an inline or customer
 * policy allowing "*" or "iam:*" attached to a user, role or group, a policy
 * version making such a policy the default, a user added to an admin group;
 * Azure Owner, User Access Administrator, RBAC Administrator (and, lower,
 * Contributor and data-owner roles) assigned, elevated access; Entra
 * directory roles (Global Administrator ...) added; Google roles/owner,
 * roles/editor and IAM-admin roles bound, project ownership invitations
 * (docs/detections/privilege_grant.md).
 *
 * Severity, the same in every provider:
 *   high    an admin role to a principal outside the organisation (a webmail
 *           or foreign-domain user, an unknown project's service account, a
 *           guest), to a principal created shortly before (new_window), a
 *           tier-0 directory role, elevated access over all subscriptions
 *   medium  an admin role to an existing principal of the organisation, by a
 *           person
 *   low     the same by automation (service principals, service accounts,
 *           Terraform/CloudFormation/Pulumi agents, allow-listed identities);
 *           broad-but-not-admin roles (Contributor, data owners)
 * The grant is read from the request: AWS requestParameters, Azure
 * properties.requestbody / responseBody (the Activity log's
 * identity.authorization.evidence describes the *caller's* role, not the
 * granted one, and is not used), Entra targetResources, Google
 * serviceData.policyDelta.bindingDeltas. A record without that (an Activity
 * export without bodies) is not judged.
 */
#include "detect/det_org.h"
#include "detect/finding.h"

#include "core/conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_privilege_grant[] = {
    {"privilege_grant.new_window", KM_CONF_DUR, "24h",
     "a grantee created at most this long before the grant is a new principal (high)"},
    {"privilege_grant.automation_agents", KM_CONF_LIST,
     "Terraform/, terraform-provider, Pulumi, CloudFormation, aws-cdk, Crossplane",
     "user-agent substrings of infrastructure-as-code tools: their grants to the organisation's "
     "own principals are low"},
    {"privilege_grant.include_failed", KM_CONF_BOOL, "false",
     "report denied attempts too (at low severity)"},
    {NULL, 0, NULL, NULL},
};

enum kind {
    K_ATTACH = 0,     /* Attach{User,Role,Group}Policy */
    K_PUT,            /* Put{User,Role,Group}Policy */
    K_POLICY_VERSION, /* CreatePolicyVersion */
    K_POLICY,         /* CreatePolicy (only learns admin policies) */
    K_GROUP_ADD,      /* AddUserToGroup */
    K_AWS_NEW,        /* CreateUser / CreateRole (new principals) */
    K_AZ_ASSIGN,      /* roleAssignments/write */
    K_AZ_ELEVATE,     /* elevateAccess */
    K_ENTRA_ROLE,     /* Add (eligible) member to role */
    K_ENTRA_NEW,      /* Add user / service principal, invite */
    K_GCP_IAM,        /* *SetIamPolicy with binding deltas */
    K_GCP_INVITE,     /* InsertProjectOwnershipInvite */
    K_GCP_NEW,        /* CreateServiceAccount */
};

enum { M_EXACT, M_CI, M_SUFFIX_CI };

struct op {
    const char *provider;
    int m;
    const char *action;
    int kind;
};

static const struct op ops[] = {
    {"aws", M_EXACT, "AttachUserPolicy", K_ATTACH},
    {"aws", M_EXACT, "AttachRolePolicy", K_ATTACH},
    {"aws", M_EXACT, "AttachGroupPolicy", K_ATTACH},
    {"aws", M_EXACT, "PutUserPolicy", K_PUT},
    {"aws", M_EXACT, "PutRolePolicy", K_PUT},
    {"aws", M_EXACT, "PutGroupPolicy", K_PUT},
    {"aws", M_EXACT, "CreatePolicyVersion", K_POLICY_VERSION},
    {"aws", M_EXACT, "CreatePolicy", K_POLICY},
    {"aws", M_EXACT, "AddUserToGroup", K_GROUP_ADD},
    {"aws", M_EXACT, "CreateUser", K_AWS_NEW},
    {"aws", M_EXACT, "CreateRole", K_AWS_NEW},
    {"azure", M_CI, "Microsoft.Authorization/roleAssignments/write", K_AZ_ASSIGN},
    {"azure", M_CI, "Microsoft.Authorization/elevateAccess/action", K_AZ_ELEVATE},
    {"azure", M_CI,
     "User has elevated their access to User Access Administrator for their Azure Resources",
     K_AZ_ELEVATE},
    {"azure", M_CI, "Add member to role", K_ENTRA_ROLE},
    {"azure", M_CI, "Add eligible member to role", K_ENTRA_ROLE},
    {"azure", M_CI, "Add scoped member to role", K_ENTRA_ROLE},
    {"azure", M_CI, "Add member to role in PIM completed (permanent)", K_ENTRA_ROLE},
    {"azure", M_CI, "Add member to role in PIM completed (timebound)", K_ENTRA_ROLE},
    {"azure", M_CI, "Add eligible member to role in PIM completed (permanent)", K_ENTRA_ROLE},
    {"azure", M_CI, "Add eligible member to role in PIM completed (timebound)", K_ENTRA_ROLE},
    {"azure", M_CI, "Add user", K_ENTRA_NEW},
    {"azure", M_CI, "Invite external user", K_ENTRA_NEW},
    {"azure", M_CI, "Add service principal", K_ENTRA_NEW},
    {"gcp", M_SUFFIX_CI, "setIamPolicy", K_GCP_IAM},
    {"gcp", M_SUFFIX_CI, "InsertProjectOwnershipInvite", K_GCP_INVITE},
    {"gcp", M_SUFFIX_CI, ".CreateServiceAccount", K_GCP_NEW},
};

static const struct op *match_op(const char *v, size_t n)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(ops); i++) {
        const struct op *o = &ops[i];
        size_t an = strlen(o->action);
        if (o->m == M_EXACT ? an == n && memcmp(o->action, v, n) == 0
            : o->m == M_CI  ? an == n && strncasecmp(o->action, v, n) == 0
                            : n >= an && strncasecmp(v + n - an, o->action, an) == 0)
            return o;
    }
    return NULL;
}

static int pred_op(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return match_op(v, n) != NULL;
}

/* ---- what a role is ----------------------------------------------------------- */

enum tier { T_NONE = 0, T_BROAD, T_ADMIN, T_TOP };

static const char *const aws_admin_policies[] = {
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
    "arn:aws:iam::aws:policy/AWSOrganizationsFullAccess",
};

static const struct {
    const char *id, *name;
    int tier;
} azure_roles[] = {
    {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner", T_ADMIN},
    {"18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator", T_ADMIN},
    {"f58310d9-a9f6-439a-9e8d-f62e7b41a168", "Role Based Access Control Administrator", T_ADMIN},
    {"b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor", T_BROAD},
    {"b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Storage Blob Data Owner", T_BROAD},
    {"00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator", T_BROAD},
    {"1c0163c0-47e6-4577-8991-ea5c82e286e4", "Virtual Machine Administrator Login", T_BROAD},
};

static const struct {
    const char *name;
    int tier;
} entra_roles[] = {
    {"Global Administrator", T_TOP},
    {"Company Administrator", T_TOP},
    {"Privileged Role Administrator", T_TOP},
    {"Privileged Authentication Administrator", T_TOP},
    {"Partner Tier2 Support", T_TOP},
    {"Application Administrator", T_ADMIN},
    {"Cloud Application Administrator", T_ADMIN},
    {"Security Administrator", T_ADMIN},
    {"User Administrator", T_ADMIN},
    {"Authentication Administrator", T_ADMIN},
    {"Hybrid Identity Administrator", T_ADMIN},
    {"Conditional Access Administrator", T_ADMIN},
    {"Exchange Administrator", T_ADMIN},
    {"SharePoint Administrator", T_ADMIN},
    {"Intune Administrator", T_ADMIN},
    {"Groups Administrator", T_ADMIN},
    {"Directory Writers", T_ADMIN},
    {"Helpdesk Administrator", T_BROAD},
    {"Password Administrator", T_BROAD},
};

static const struct {
    const char *role;
    int tier;
} gcp_roles[] = {
    {"roles/owner", T_ADMIN},
    {"roles/resourcemanager.organizationAdmin", T_ADMIN},
    {"roles/resourcemanager.folderAdmin", T_ADMIN},
    {"roles/resourcemanager.projectIamAdmin", T_ADMIN},
    {"roles/resourcemanager.folderIamAdmin", T_ADMIN},
    {"roles/iam.securityAdmin", T_ADMIN},
    {"roles/iam.organizationRoleAdmin", T_ADMIN},
    {"roles/iam.roleAdmin", T_ADMIN},
    {"roles/iam.serviceAccountKeyAdmin", T_ADMIN},
    {"roles/editor", T_BROAD},
};

static int gcp_tier(struct km_str r)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(gcp_roles); i++)
        if (km_str_eqc(r, gcp_roles[i].role))
            return gcp_roles[i].tier;
    return T_NONE;
}

/* ---- candidates --------------------------------------------------------------------- */

struct grant {
    int64_t t;
    struct km_evref ref;
    const struct op *op;
    int tier;
    int failed;
    int unknown;          /* outcome not known (an Azure Start record) */
    int lazy;             /* a creation whose record is not read yet */
    int automation;       /* the grantor is automation */
    int outside;          /* the grantee is outside the organisation */
    int public_;          /* the grantee is everyone */
    int new_principal;    /* the grantee was created shortly before */
    int sev;
    char *who, *person, *ip, *acct, *caller_key;
    char cc[3];
    char *grantee;        /* as the provider names it */
    char *grantee_kind;   /* "user", "role", "group", "policy", ... */
    char *role;           /* policy ARN, role name, GCP role */
    char *scope;          /* project, subscription scope, resource */
    char *detail;
    char *akey;           /* merge key (Azure: the assignment id) */
    char *action;         /* the operation as the record names it */
};

struct st {
    struct km_hunt *h;
    struct km_detorg org;
    struct grant *g;
    size_t n, cap, cap_max;
    int include_failed;
    int64_t new_window;
    const char *const *agents;
    size_t nagents;
    struct km_arena a;
    struct km_dset admin_policies;   /* customer policy ARNs made admin */
    struct km_dset admin_groups;     /* "account\ngroup" with an admin policy */
    struct km_dset failed_assign;    /* Azure assignment ids with a failed record */
};

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

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

static void grant_free(struct grant *g)
{
    free(g->who);
    free(g->person);
    free(g->ip);
    free(g->acct);
    free(g->caller_key);
    free(g->grantee);
    free(g->grantee_kind);
    free(g->role);
    free(g->scope);
    free(g->detail);
    free(g->akey);
    free(g->action);
}

static int is_new_kind(int kind)
{
    return kind == K_AWS_NEW || kind == K_ENTRA_NEW || kind == K_GCP_NEW || kind == K_POLICY;
}

static int is_automation(const struct st *c, const struct km_event *ev)
{
    struct km_str t = ev->f[KM_F_ACTOR_TYPE];
    struct km_str e = ev->f[KM_F_ACTOR_EMAIL];
    if (km_str_eqc(t, "ServicePrincipal") || km_str_eqc(t, "service_account") ||
        km_str_eqc(t, "AWSService") || (e.p && km_det_icontains(e.p, e.n, "gserviceaccount.com")))
        return 1;
    if (km_hunt_allowed_identity(c->h, km_det_who(ev)) ||
        km_hunt_allowed_agent(c->h, ev->f[KM_F_USER_AGENT]))
        return 1;
    struct km_str ua = ev->f[KM_F_USER_AGENT];
    for (size_t i = 0; ua.p && i < c->nagents; i++)
        if (memmem(ua.p, ua.n, c->agents[i], strlen(c->agents[i])))
            return 1;
    return 0;
}

static struct grant *push(struct st *c)
{
    if (c->n >= c->cap_max)
        return NULL;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->g = km_xrealloc(c->g, c->cap * sizeof *c->g);
    }
    struct grant *g = &c->g[c->n++];
    memset(g, 0, sizeof *g);
    return g;
}

/* A JSON value that may be an object or a JSON string holding one. */
static const struct km_json *obj_or_str(const struct km_json *v, struct km_arena *a)
{
    if (km_json_is_obj(v) || km_json_is_arr(v))
        return v;
    if (!km_json_is_str(v) || !v->len || (v->str[0] != '{' && v->str[0] != '['))
        return NULL;
    char *b = km_arena_strndup(a, v->str, v->len);
    struct km_json *r;
    struct km_err e;
    km_err_clear(&e);
    if (!b || km_json_parse(b, v->len, NULL, a, &r, &e) != KM_OK)
        return NULL;
    return r;
}

static const struct km_json *geti_path(const struct km_json *o, const char *a, const char *b)
{
    const struct km_json *x = km_json_geti(o, a);
    return b ? km_json_geti(x, b) : x;
}

/* ---- per provider --------------------------------------------------------------------- */

static void aws_grantee(struct grant *g, const struct km_json *rq)
{
    static const struct {
        const char *param, *kind;
    } p[] = {{"userName", "user"}, {"roleName", "role"}, {"groupName", "group"}};
    for (size_t i = 0; i < KM_ARRAY_LEN(p); i++) {
        struct km_str v = km_det_jstr(rq, p[i].param);
        if (v.p) {
            g->grantee = dupn(v);
            g->grantee_kind = km_xstrdup(p[i].kind);
            return;
        }
    }
}

static int row_aws(struct st *c, struct grant *g, const struct km_json *raw)
{
    const struct km_json *rq = km_json_get(raw, "requestParameters");
    const struct km_json *re = km_json_get(raw, "responseElements");
    switch (g->op->kind) {
    case K_ATTACH: {
        struct km_str arn = km_det_jstr(rq, "policyArn");
        aws_grantee(g, rq);
        g->role = dupn(arn);
        for (size_t i = 0; arn.p && i < KM_ARRAY_LEN(aws_admin_policies); i++)
            if (km_str_eqc(arn, aws_admin_policies[i]))
                g->tier = T_ADMIN;
        return 1;   /* customer policies are judged once all definitions are known */
    }
    case K_PUT: {
        aws_grantee(g, rq);
        struct km_str pn = km_det_jstr(rq, "policyName");
        char r[300];
        snprintf(r, sizeof r, "inline policy %.*s", (int)pn.n, pn.p ? pn.p : "?");
        g->role = km_xstrdup(r);
        const struct km_json *doc = km_det_policy(km_json_get(rq, "policyDocument"), &c->a);
        if (doc && km_det_policy_admin(doc))
            g->tier = T_ADMIN;
        return g->tier != T_NONE;
    }
    case K_POLICY_VERSION:
    case K_POLICY: {
        const struct km_json *doc = km_det_policy(km_json_get(rq, "policyDocument"), &c->a);
        if (!doc || !km_det_policy_admin(doc))
            return 0;
        struct km_str arn = g->op->kind == K_POLICY ? km_det_jstr(re, "policy.arn")
                                                    : km_det_jstr(rq, "policyArn");
        const struct km_json *def = km_json_get(rq, "setAsDefault");
        int is_default = g->op->kind == K_POLICY ||
                         (def && (def->type == KM_JSON_TRUE ||
                                  (km_json_is_str(def) && strcasecmp(def->str, "true") == 0)));
        if (!arn.p || !is_default)
            return 0;
        g->role = dupn(arn);
        g->grantee = dupn(arn);
        g->grantee_kind = km_xstrdup("policy");
        g->tier = T_ADMIN;
        return 1;
    }
    case K_GROUP_ADD: {
        struct km_str u = km_det_jstr(rq, "userName");
        struct km_str grp = km_det_jstr(rq, "groupName");
        if (!u.p || !grp.p)
            return 0;
        g->grantee = dupn(u);
        g->grantee_kind = km_xstrdup("user");
        g->role = dupn(grp);
        if (km_det_icontains(grp.p, grp.n, "admin"))
            g->tier = T_ADMIN;
        return 1;   /* groups with admin policies are known at the end */
    }
    case K_AWS_NEW: {
        struct km_str nm = km_det_jstr(rq, "userName");
        g->grantee_kind = km_xstrdup(nm.p ? "user" : "role");
        if (!nm.p)
            nm = km_det_jstr(rq, "roleName");
        g->grantee = dupn(nm);
        return nm.p != NULL;
    }
    }
    return 0;
}

static int row_azure_assign(struct st *c, struct grant *g, const struct km_hrow *r,
                            const struct km_json *raw)
{
    const struct km_json *props = km_json_geti(raw, "properties");
    const struct km_json *body = obj_or_str(km_json_geti(props, "requestbody"), &c->a);
    if (!body)
        body = obj_or_str(km_json_geti(props, "responseBody"), &c->a);
    const struct km_json *bp = km_json_geti(body, "properties");
    const struct km_json *rd = km_json_geti(bp, "roleDefinitionId");
    if (!km_json_is_str(rd))
        return 0;
    const char *sl = strrchr(rd->str, '/');
    const char *id = sl ? sl + 1 : rd->str;
    const char *name = NULL;
    for (size_t i = 0; i < KM_ARRAY_LEN(azure_roles); i++)
        if (strcasecmp(id, azure_roles[i].id) == 0) {
            g->tier = azure_roles[i].tier;
            name = azure_roles[i].name;
        }
    if (!name)
        return 0;
    g->role = km_xstrdup(name);
    struct km_str pid = km_det_jstr(bp, "PrincipalId");
    if (!pid.p) {
        const struct km_json *x = km_json_geti(bp, "principalId");
        pid = km_json_is_str(x) ? (struct km_str){x->str, x->len} : KM_STR_NONE;
    }
    const struct km_json *pt = km_json_geti(bp, "principalType");
    g->grantee = dupn(pid);
    g->grantee_kind = km_json_is_str(pt) ? km_xstrdup(pt->str) : km_xstrdup("principal");
    const struct km_json *sc = km_json_geti(bp, "scope");
    if (km_json_is_str(sc))
        g->scope = km_xstrdup(sc->str);
    else if (r)
        g->scope = dupn(km_hrow_str(r, KM_F_RESOURCES));
    /* one assignment: its id (the resource) joins Start and Success records */
    const struct km_json *rid = km_json_geti(raw, "resourceId");
    if (km_json_is_str(rid)) {
        g->akey = km_xstrdup(rid->str);
        lower(g->akey);
    }
    return 1;
}

/* Entra targets: (diagnostic) properties.targetResources, (Graph) targetResources,
 * (Log Analytics) TargetResources as a JSON string. */
static const struct km_json *entra_targets(const struct km_json *raw, struct km_arena *a)
{
    const struct km_json *t = geti_path(raw, "properties", "targetResources");
    if (!t)
        t = km_json_geti(raw, "targetResources");
    return obj_or_str(t, a);
}

static int row_entra_role(struct st *c, struct grant *g, const struct km_json *raw)
{
    const struct km_json *ts = entra_targets(raw, &c->a);
    if (!km_json_is_arr(ts))
        return 0;
    const char *role = NULL;
    for (const struct km_json *t = ts->child; t; t = t->next) {
        const struct km_json *ty = km_json_geti(t, "type");
        const struct km_json *dn = km_json_geti(t, "displayName");
        const struct km_json *upn = km_json_geti(t, "userPrincipalName");
        if (km_json_is_str(ty) && strcasecmp(ty->str, "Role") == 0 && km_json_is_str(dn)) {
            role = dn->str;
        } else if (!g->grantee) {
            if (km_json_is_str(upn))
                g->grantee = km_xstrdup(upn->str);
            else if (km_json_is_str(dn))
                g->grantee = km_xstrdup(dn->str);
            if (g->grantee && km_json_is_str(ty))
                g->grantee_kind = km_xstrdup(ty->str);
        }
        /* modifiedProperties: Role.DisplayName = "\"Global Administrator\"" */
        const struct km_json *mp = km_json_geti(t, "modifiedProperties");
        for (const struct km_json *m = km_json_is_arr(mp) ? mp->child : NULL; m && !role;
             m = m->next) {
            const struct km_json *n = km_json_geti(m, "displayName");
            const struct km_json *v = km_json_geti(m, "newValue");
            if (km_json_is_str(n) && strcasecmp(n->str, "Role.DisplayName") == 0 &&
                km_json_is_str(v)) {
                const char *s = v->str;
                size_t l = v->len;
                while (l && (*s == '"' || *s == ' '))
                    s++, l--;
                while (l && (s[l - 1] == '"' || s[l - 1] == ' '))
                    l--;
                char *r = km_arena_strndup(&c->a, s, l);
                role = r;
            }
        }
    }
    if (!role)
        return 0;
    for (size_t i = 0; i < KM_ARRAY_LEN(entra_roles); i++)
        if (strcasecmp(role, entra_roles[i].name) == 0)
            g->tier = entra_roles[i].tier;
    if (g->tier == T_NONE)
        return 0;
    g->role = km_xstrdup(role);
    if (g->grantee && strstr(g->grantee, "#EXT#"))
        g->outside = 1;
    return 1;
}

static int row_entra_new(struct st *c, struct grant *g, const struct km_json *raw)
{
    const struct km_json *ts = entra_targets(raw, &c->a);
    if (!km_json_is_arr(ts) || !ts->child)
        return 0;
    const struct km_json *t = ts->child;
    const struct km_json *upn = km_json_geti(t, "userPrincipalName");
    const struct km_json *id = km_json_geti(t, "id");
    const struct km_json *dn = km_json_geti(t, "displayName");
    g->grantee = km_json_is_str(upn) ? km_xstrdup(upn->str)
               : km_json_is_str(dn)  ? km_xstrdup(dn->str)
                                     : NULL;
    if (km_json_is_str(id))
        g->detail = km_xstrdup(id->str);   /* the object id, for role assignments by id */
    return g->grantee || g->detail;
}

static void gcp_scope(struct grant *g, const struct km_hrow *r, const struct km_json *pp)
{
    struct km_str rn = km_det_jstr(pp, "resourceName");
    g->scope = rn.p ? dupn(rn) : r ? dupn(km_hrow_str(r, KM_F_ACCOUNT)) : NULL;
}

/* One Google grant per privileged binding delta ADD: more than one is pushed. */
static int row_gcp(struct st *c, struct grant *g0, const struct km_hrow *r,
                   const struct km_json *raw)
{
    const struct km_json *pp = km_json_get(raw, "protoPayload");
    if (g0->op->kind == K_GCP_NEW) {
        struct km_str em = km_det_jstr(pp, "response.email");
        if (!em.p)
            em = km_det_jstr(raw, "resource.labels.email_id");
        g0->grantee = dupn(em);
        return em.p != NULL;
    }
    if (g0->op->kind == K_GCP_INVITE) {
        struct km_str m = km_det_jstr(pp, "request.member");
        if (!m.p)
            return 0;
        g0->grantee = dupn(m);
        g0->role = km_xstrdup("roles/owner (invitation)");
        g0->tier = T_ADMIN;
        int k = km_det_gcp_member(&c->org, m.p, m.n);
        g0->outside = k == KM_MEMBER_OUTSIDE;
        g0->public_ = k == KM_MEMBER_PUBLIC;
        gcp_scope(g0, r, pp);
        return 1;
    }
    const struct km_json *bd = km_json_path(pp, "serviceData.policyDelta.bindingDeltas");
    if (!km_json_is_arr(bd))
        bd = km_json_path(pp, "metadata.datasetChange.bindingDeltas");
    if (!km_json_is_arr(bd))
        return 0;
    int n = 0;
    struct grant base = *g0;
    for (const struct km_json *d = bd->child; d; d = d->next) {
        struct km_str act = km_det_jstr(d, "action");
        struct km_str role = km_det_jstr(d, "role");
        struct km_str mem = km_det_jstr(d, "member");
        int tier = gcp_tier(role);
        if (!km_str_eqc(act, "ADD") || tier == T_NONE || !mem.p)
            continue;
        struct grant *g = g0;
        if (n > 0) {
            g = push(c);
            if (!g)
                break;
            memset(g, 0, sizeof *g);
            g->t = base.t;
            g->ref = base.ref;
            g->op = base.op;
            g->failed = base.failed;
            g->unknown = base.unknown;
        }
        g->tier = tier;
        g->role = dupn(role);
        g->grantee = dupn(mem);
        int k = km_det_gcp_member(&c->org, mem.p, mem.n);
        g->outside = k == KM_MEMBER_OUTSIDE;
        g->public_ = k == KM_MEMBER_PUBLIC;
        gcp_scope(g, r, pp);
        n++;
    }
    return n > 0;
}

/* The caller's fields of grants [from, c->n): read only for rows kept. */
static void fill_caller(struct st *c, const struct km_hrow *r, size_t from)
{
    struct km_event ev;
    km_det_row_event(r, &ev);
    int automation = is_automation(c, &ev);
    const char *person = km_hunt_person_of(c->h, &ev);
    char cc[3];
    km_hunt_country(c->h, &ev, cc);
    for (size_t i = from; i < c->n; i++) {
        struct grant *g = &c->g[i];
        g->automation = automation;
        g->who = dupn(km_det_who(&ev));
        g->person = person ? km_xstrdup(person) : dupn(ev.f[KM_F_ACTOR_EMAIL]);
        g->ip = dupn(ev.f[KM_F_SRC_IP]);
        g->acct = dupn(ev.f[KM_F_ACCOUNT]);
        g->caller_key = dupn(ev.f[KM_F_ACTOR_ACCESS_KEY]);
        memcpy(g->cc, cc, 3);
        g->action = dupn(ev.f[KM_F_ACTION]);
        if (g->op->kind == K_AZ_ELEVATE)
            g->grantee = g->who ? km_xstrdup(g->who) : NULL;
    }
}

static int judge_raw(struct st *c, struct grant *g, const struct km_hrow *r,
                     const struct km_json *raw)
{
    switch (g->op->kind) {
    case K_AZ_ASSIGN:
        return row_azure_assign(c, g, r, raw);
    case K_ENTRA_ROLE:
        return row_entra_role(c, g, raw);
    case K_ENTRA_NEW:
        return row_entra_new(c, g, raw);
    case K_GCP_IAM:
    case K_GCP_INVITE:
    case K_GCP_NEW:
        return row_gcp(c, g, r, raw);
    default:
        return row_aws(c, g, raw);
    }
}

static int row(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    struct km_str a = km_hrow_str(r, KM_F_ACTION);
    const struct op *o = match_op(a.p, a.n);
    if (!o || !km_str_eqc(km_hrow_str(r, KM_F_PROVIDER), o->provider))
        return 0;
    struct km_str outcome = km_hrow_str(r, KM_F_OUTCOME);
    int failed = km_str_eqc(outcome, "failure");
    if (failed && o->kind == K_AZ_ASSIGN) {
        /* remember the assignment: its Start record must not count as a grant */
        struct km_json *raw = NULL;
        struct km_err e;
        km_err_clear(&e);
        km_arena_reset(&c->a);
        if (km_hrow_raw(r, &c->a, &raw, &e) == KM_OK) {
            const struct km_json *rid = km_json_geti(raw, "resourceId");
            if (km_json_is_str(rid)) {
                char *k = km_xstrdup(rid->str);
                lower(k);
                km_dset_add(&c->failed_assign, k, strlen(k), NULL);
                free(k);
            }
        }
    }
    if (failed && !c->include_failed)
        return 0;
    size_t at = c->n;
    struct grant *g = push(c);
    if (!g)
        return 0;
    g->t = r->time;
    g->ref = r->ref;
    g->op = o;
    g->failed = failed;
    g->unknown = km_str_eqc(outcome, "unknown");
    if (is_new_kind(o->kind) && o->kind != K_POLICY) {
        g->lazy = 1;   /* read only if some grant needs to know new principals */
        return 0;
    }
    int keep = 0;
    if (o->kind == K_AZ_ELEVATE) {
        g->tier = T_TOP;
        g->role = km_xstrdup("User Access Administrator at root scope (elevated access)");
        g->grantee_kind = km_xstrdup("self");
        g->scope = km_xstrdup("/");
        keep = 1;
    } else {
        struct km_json *raw = NULL;
        struct km_err e;
        km_err_clear(&e);
        km_arena_reset(&c->a);
        if (km_hrow_raw(r, &c->a, &raw, &e) == KM_OK)
            keep = judge_raw(c, &c->g[at], r, raw);
    }
    if (!keep) {
        /* drop it (row_gcp pushes extra grants only when it keeps the first) */
        grant_free(&c->g[at]);
        c->n = at;
        return 0;
    }
    fill_caller(c, r, at);
    return 0;
}

/* Creations of principals, read now that a grant may need them: AWS users and
 * roles for AWS grants, Entra principals for Azure grants, service accounts
 * for Google grants to a service account. */
static void read_lazy(struct st *c)
{
    int need_aws = 0, need_azure = 0, need_gcp = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct grant *g = &c->g[i];
        if (g->lazy || is_new_kind(g->op->kind))
            continue;
        if (!strcmp(g->op->provider, "aws"))
            need_aws = 1;
        else if (!strcmp(g->op->provider, "azure"))
            need_azure = 1;
        else if (g->grantee && !strncmp(g->grantee, "serviceAccount:", 15))
            need_gcp = 1;
    }
    size_t n = c->n;
    for (size_t i = 0; i < n; i++) {
        struct grant *g = &c->g[i];
        if (!g->lazy)
            continue;
        const char *p = g->op->provider;
        if (!(!strcmp(p, "aws") ? need_aws : !strcmp(p, "azure") ? need_azure : need_gcp))
            continue;
        g->lazy = 0;
        struct km_json *raw = NULL;
        struct km_err e;
        km_err_clear(&e);
        km_arena_reset(&c->a);
        if (km_hunt_raw(c->h, g->ref, &c->a, &raw, &e) != KM_OK)
            continue;
        if (!judge_raw(c, g, NULL, raw)) {
            free(g->grantee);
            g->grantee = NULL;
        }
    }
}

/* ---- judging ------------------------------------------------------------------------------ */

/* "user:a@b" -> "a@b" (lower-case), for matching against creations */
static void member_name(const char *m, char *out, size_t cap)
{
    const char *c = strchr(m, ':');
    snprintf(out, cap, "%s", c && !strchr(m, '@') ? m : c ? c + 1 : m);
    lower(out);
}

static void judge(struct st *c)
{
    /* what the store defines: admin customer policies, groups holding admin
       policies, and the principals created (name -> latest creation time) */
    struct km_dset created;
    km_dset_init(&created, 0);
    int64_t *ctime = NULL;
    size_t nct = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct grant *g = &c->g[i];
        if (g->failed)
            continue;
        if ((g->op->kind == K_POLICY || g->op->kind == K_POLICY_VERSION) && g->role)
            km_dset_add(&c->admin_policies, g->role, strlen(g->role), NULL);
        if (is_new_kind(g->op->kind) && g->op->kind != K_POLICY) {
            const char *names[2] = {g->grantee, g->detail};
            for (int k = 0; k < 2; k++) {
                if (!names[k])
                    continue;
                char key[1200];
                char nm[1024];
                member_name(names[k], nm, sizeof nm);
                snprintf(key, sizeof key, "%s\n%s", g->op->provider, nm);
                int added;
                uint32_t *v = km_dset_add(&created, key, strlen(key), &added);
                if (!v)
                    continue;
                if (added) {
                    ctime = km_xrealloc(ctime, (nct + 1) * sizeof *ctime);
                    *v = (uint32_t)nct;
                    ctime[nct++] = g->t;
                } else if (g->t > ctime[*v]) {
                    ctime[*v] = g->t;
                }
            }
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        struct grant *g = &c->g[i];
        if (g->op->kind == K_ATTACH && g->tier == T_NONE && g->role &&
            km_dset_has(&c->admin_policies, g->role, strlen(g->role)))
            g->tier = T_ADMIN;
        if (g->op->kind == K_ATTACH || g->op->kind == K_PUT) {
            if (g->tier != T_NONE && g->grantee_kind && strcmp(g->grantee_kind, "group") == 0) {
                char key[1200];
                snprintf(key, sizeof key, "%s\n%s", g->acct ? g->acct : "", g->grantee);
                km_dset_add(&c->admin_groups, key, strlen(key), NULL);
            }
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        struct grant *g = &c->g[i];
        if (g->op->kind == K_GROUP_ADD && g->tier == T_NONE && g->role) {
            char key[1200];
            snprintf(key, sizeof key, "%s\n%s", g->acct ? g->acct : "", g->role);
            if (km_dset_has(&c->admin_groups, key, strlen(key)))
                g->tier = T_ADMIN;
        }
        if (is_new_kind(g->op->kind) || g->tier == T_NONE || !g->grantee)
            continue;
        char nm[1024], key[1200];
        member_name(g->grantee, nm, sizeof nm);
        snprintf(key, sizeof key, "%s\n%s", g->op->provider, nm);
        uint32_t *v = km_dset_get(&created, key, strlen(key));
        if (v && ctime[*v] <= g->t && g->t - ctime[*v] <= c->new_window)
            g->new_principal = 1;
    }
    km_dset_free(&created);
    free(ctime);
    for (size_t i = 0; i < c->n; i++) {
        struct grant *g = &c->g[i];
        int s;
        if (is_new_kind(g->op->kind) || g->tier == T_NONE)
            s = -1;
        else if (g->unknown && g->akey && km_dset_has(&c->failed_assign, g->akey, strlen(g->akey)))
            s = c->include_failed ? KM_SEV_LOW : -1;   /* started, then failed */
        else if (g->failed)
            s = KM_SEV_LOW;
        else if (g->tier == T_TOP || g->outside || g->public_)
            s = g->tier >= T_ADMIN ? KM_SEV_HIGH : KM_SEV_MEDIUM;
        else if (g->new_principal)
            s = g->tier >= T_ADMIN ? KM_SEV_HIGH : KM_SEV_MEDIUM;
        else if (g->tier == T_ADMIN)
            s = g->automation ? KM_SEV_LOW : KM_SEV_MEDIUM;
        else
            s = KM_SEV_LOW;
        if (g->op->kind == K_POLICY_VERSION && s > KM_SEV_MEDIUM)
            s = KM_SEV_MEDIUM;
        g->sev = s;
    }
}

/* ---- reporting ---------------------------------------------------------------------------- */

static void emit_one(struct st *c, struct grant *g)
{
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "privilege_grant";
    f.technique = "T1098.003";
    f.severity = g->sev;
    const char *who = g->who ? g->who : "an unknown caller";
    const char *acct = g->acct ? g->acct : "?";
    const char *grantee = g->grantee ? g->grantee : "?";
    const char *role = g->role ? g->role : "?";
    char why[200] = "", from[80] = "";
    if (g->public_)
        snprintf(why, sizeof why, " (everyone)");
    else if (g->outside)
        snprintf(why, sizeof why, " (outside the organisation)");
    else if (g->new_principal)
        snprintf(why, sizeof why, " (created shortly before)");
    if (g->ip)
        snprintf(from, sizeof from, " from %s", g->ip);
    switch (g->op->kind) {
    case K_POLICY_VERSION:
        snprintf(f.summary, sizeof f.summary,
                 "%s%s made an administrator version (\"*\" or iam:*) the default of policy %s in "
                 "aws %s%s: every principal it is attached to becomes an administrator.",
                 who, g->failed ? " tried (denied) and" : "", role, acct, from);
        break;
    case K_AZ_ELEVATE:
        snprintf(f.summary, sizeof f.summary,
                 "%s%s elevated their access to User Access Administrator over every subscription "
                 "of tenant %s%s.",
                 who, g->failed ? " tried (denied) and" : "", acct, from);
        break;
    case K_GROUP_ADD:
        snprintf(f.summary, sizeof f.summary,
                 "%s%s added user %s%s to group %s, which holds administrator rights, in aws "
                 "%s%s.",
                 who, g->failed ? " tried (denied) and" : "", grantee, why, role, acct, from);
        break;
    case K_PUT:
        snprintf(f.summary, sizeof f.summary,
                 "%s%s gave %s %s%s an %s allowing every action (\"*\" or iam:*) in aws %s%s.",
                 who, g->failed ? " tried (denied) and" : "",
                 g->grantee_kind ? g->grantee_kind : "principal", grantee, why, role, acct, from);
        break;
    default:
        snprintf(f.summary, sizeof f.summary, "%s%s granted %s to %s %s%s%s%s in %s %s%s.", who,
                 g->failed ? " tried (denied) and" : "", role,
                 g->grantee_kind ? g->grantee_kind : "principal", grantee, why,
                 g->scope && g->op->kind != K_ATTACH ? " on " : "",
                 g->scope && g->op->kind != K_ATTACH ? g->scope : "", g->op->provider, acct,
                 from);
        break;
    }
    if (g->akey)
        snprintf(f.key, sizeof f.key, "%s|%s|%s", g->op->provider, g->akey, role);
    else
        snprintf(f.key, sizeof f.key, "%s|%s|%s|%s|%s|%lld", g->op->provider, g->op->action, acct,
                 grantee, role, (long long)g->t);
    if (g->who)
        km_strset_addc(&f.ent[KM_ENT_IDENTITIES], g->who);
    if (g->grantee && g->op->kind != K_POLICY_VERSION) {
        char nm[1024];
        const char *colon = strchr(g->grantee, ':');
        snprintf(nm, sizeof nm, "%s", colon && strchr(g->grantee, '@') ? colon + 1 : g->grantee);
        km_strset_addc(&f.ent[KM_ENT_IDENTITIES], nm);
    }
    if (g->person)
        km_strset_addc(&f.ent[KM_ENT_PERSONS], g->person);
    if (g->ip)
        km_strset_addc(&f.ent[KM_ENT_IPS], g->ip);
    if (g->acct)
        km_strset_addc(&f.ent[KM_ENT_ACCOUNTS], g->acct);
    if (g->caller_key)
        km_strset_addc(&f.ent[KM_ENT_ACCESS_KEYS], g->caller_key);
    if (g->cc[0])
        km_strset_addc(&f.ent[KM_ENT_COUNTRIES], g->cc);
    if (g->role)
        km_strset_addc(&f.ent[KM_ENT_ROLES], g->role);
    if (g->scope && g->scope[0] != '[')
        km_strset_addc(&f.ent[KM_ENT_RESOURCES], g->scope);
    else if (g->scope)
        km_hunt_add_resources(&f, km_str_c(g->scope));
    if (g->op->kind == K_ATTACH && g->acct && g->grantee && g->grantee_kind) {
        char arn[600];
        snprintf(arn, sizeof arn, "arn:aws:iam::%s:%s/%s", g->acct, g->grantee_kind, g->grantee);
        km_strset_addc(&f.ent[KM_ENT_RESOURCES], arn);
    }
    km_finding_window(&f, g->t);
    km_hunt_add_evidence(c->h, &f, g->ref);
    struct km_buf d;
    km_buf_init(&d, 4096);
    const char *act = g->action ? g->action : g->op->action;
    km_buf_adds(&d, "{\"operation\":");
    km_json_write_str(&d, act, strlen(act));
    km_buf_adds(&d, ",\"role\":");
    km_json_write_str(&d, role, strlen(role));
    km_buf_adds(&d, ",\"grantee\":");
    km_json_write_str(&d, grantee, strlen(grantee));
    km_buf_printf(&d, ",\"admin\":%s,\"outside\":%s,\"new_principal\":%s,\"automation\":%s}",
                  g->tier >= T_ADMIN ? "true" : "false",
                  g->outside || g->public_ ? "true" : "false", g->new_principal ? "true" : "false",
                  g->automation ? "true" : "false");
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *conf = km_hunt_conf(h);
    struct st *c = km_xcalloc(1, sizeof *c);
    c->h = h;
    c->include_failed = km_conf_bool(conf, "privilege_grant.include_failed");
    c->new_window = km_conf_dur_us(conf, "privilege_grant.new_window");
    c->nagents = km_conf_list(conf, "privilege_grant.automation_agents", &c->agents);
    c->cap_max = 1u << 20;
    km_arena_init(&c->a, 0, 64u << 20);
    km_dset_init(&c->admin_policies, 0);
    km_dset_init(&c->admin_groups, 0);
    km_dset_init(&c->failed_assign, 0);
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
    if (rc == KM_OK) {
        read_lazy(c);
        judge(c);
        for (size_t i = 0; i < c->n; i++)
            if (c->g[i].sev > KM_SEV_INFO)
                emit_one(c, &c->g[i]);
    }
    for (size_t i = 0; i < c->n; i++)
        grant_free(&c->g[i]);
    free(c->g);
    km_arena_free(&c->a);
    km_dset_free(&c->admin_policies);
    km_dset_free(&c->admin_groups);
    km_dset_free(&c->failed_assign);
    km_detorg_free(&c->org);
    free(c);
    return rc;
}

const struct km_detection km_det_privilege_grant = {
    .id = "privilege_grant",
    .title = "Privilege grant",
    .technique = "T1098.003",
    .summary = "administrator policies, roles and bindings granted: AWS AdministratorAccess / "
               "iam:*, Azure Owner / User Access Administrator, Entra Global Administrator, "
               "Google roles/owner, especially to outsiders or brand-new principals",
    .providers = "aws,azure,gcp",
    .conf = km_det_conf_privilege_grant,
    .run = run,
};
