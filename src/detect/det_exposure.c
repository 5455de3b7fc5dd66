/*
 * det_exposure.c — exposure: data opened to everyone or shared with someone
 * outside the organisation: S3 bucket policies and ACLs made public, public
 * access blocks removed or loosened, resource policies with Principal "*"
 * (ECR, KMS, SQS, SNS, Secrets Manager, OpenSearch, Lambda), EBS snapshots,
 * AMIs and RDS snapshots shared with "all" or an account the store has never
 * seen; Azure blob containers given anonymous access, storage accounts
 * allowing it, disks and snapshots exported by URL; Google IAM policies
 * (buckets, images, snapshots, datasets, projects) binding allUsers /
 * allAuthenticatedUsers or a principal outside the organisation
 * (docs/detections/exposure.md).
 *
 * Severity: high for public (everyone, every AWS account, every Google
 * account); medium for shared with an unknown account or outside principal,
 * for a removed or loosened public access block, an account allowing public
 * containers, a disk exported by URL. The organisation's accounts are those
 * the store has seen (det_org.h). Administrative roles granted to outsiders
 * are privilege_grant's; exposure reports the other roles.
 */
#include "detect/det_org.h"
#include "detect/finding.h"

#include "core/conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_exposure[] = {
    {"exposure.include_failed", KM_CONF_BOOL, "false",
     "report denied attempts too (at low severity)"},
    {NULL, 0, NULL, NULL},
};

enum kind {
    K_S3_POLICY = 0,   /* PutBucketPolicy */
    K_S3_ACL,          /* PutBucketAcl / PutObjectAcl */
    K_PAB_DELETE,      /* Delete*PublicAccessBlock */
    K_PAB_PUT,         /* Put*PublicAccessBlock */
    K_SHARE_LIST,      /* ModifySnapshotAttribute / ModifyImageAttribute */
    K_RDS_SHARE,       /* ModifyDB(Cluster)SnapshotAttribute */
    K_RES_POLICY,      /* resource policies of other services */
    K_LAMBDA_PERM,     /* Lambda AddPermission */
    K_AZ_CONTAINER,    /* blob container write */
    K_AZ_ACCOUNT,      /* storage account write */
    K_AZ_EXPORT,       /* disk / snapshot beginGetAccess */
    K_GCP_IAM,         /* *setIamPolicy / setIamPermissions */
};

enum { M_EXACT, M_CI, M_PREFIX, M_SUFFIX_CI };

struct op {
    const char *provider;
    int m;
    const char *action;
    int kind;
    const char *param;    /* where the policy is (K_RES_POLICY), else NULL */
    const char *what;     /* the resource kind, for the summary */
};

static const struct op ops[] = {
    {"aws", M_EXACT, "PutBucketPolicy", K_S3_POLICY, "bucketPolicy", "S3 bucket"},
    {"aws", M_EXACT, "PutBucketAcl", K_S3_ACL, NULL, "S3 bucket"},
    {"aws", M_EXACT, "PutObjectAcl", K_S3_ACL, NULL, "S3 object"},
    {"aws", M_EXACT, "DeleteBucketPublicAccessBlock", K_PAB_DELETE, NULL, "S3 bucket"},
    {"aws", M_EXACT, "DeletePublicAccessBlock", K_PAB_DELETE, NULL, "S3 account"},
    {"aws", M_EXACT, "DeleteAccountPublicAccessBlock", K_PAB_DELETE, NULL, "S3 account"},
    {"aws", M_EXACT, "PutBucketPublicAccessBlock", K_PAB_PUT, NULL, "S3 bucket"},
    {"aws", M_EXACT, "PutPublicAccessBlock", K_PAB_PUT, NULL, "S3 account"},
    {"aws", M_EXACT, "PutAccountPublicAccessBlock", K_PAB_PUT, NULL, "S3 account"},
    {"aws", M_EXACT, "ModifySnapshotAttribute", K_SHARE_LIST, "createVolumePermission",
     "EBS snapshot"},
    {"aws", M_EXACT, "ModifyImageAttribute", K_SHARE_LIST, "launchPermission", "AMI"},
    {"aws", M_EXACT, "ModifyDBSnapshotAttribute", K_RDS_SHARE, NULL, "RDS snapshot"},
    {"aws", M_EXACT, "ModifyDBClusterSnapshotAttribute", K_RDS_SHARE, NULL,
     "RDS cluster snapshot"},
    {"aws", M_EXACT, "SetRepositoryPolicy", K_RES_POLICY, "policyText", "ECR repository"},
    {"aws", M_EXACT, "PutKeyPolicy", K_RES_POLICY, "policy", "KMS key"},
    {"aws", M_EXACT, "PutResourcePolicy", K_RES_POLICY, "resourcePolicy", "resource"},
    {"aws", M_EXACT, "SetQueueAttributes", K_RES_POLICY, "attributes.Policy", "SQS queue"},
    {"aws", M_EXACT, "SetTopicAttributes", K_RES_POLICY, "attributeValue", "SNS topic"},
    {"aws", M_EXACT, "CreateElasticsearchDomain", K_RES_POLICY, "accessPolicies",
     "OpenSearch domain"},
    {"aws", M_EXACT, "UpdateElasticsearchDomainConfig", K_RES_POLICY, "accessPolicies",
     "OpenSearch domain"},
    {"aws", M_EXACT, "CreateDomain", K_RES_POLICY, "accessPolicies", "OpenSearch domain"},
    {"aws", M_EXACT, "UpdateDomainConfig", K_RES_POLICY, "accessPolicies", "OpenSearch domain"},
    {"aws", M_PREFIX, "AddPermission20", K_LAMBDA_PERM, NULL, "Lambda function"},
    {"azure", M_CI, "Microsoft.Storage/storageAccounts/blobServices/containers/write",
     K_AZ_CONTAINER, NULL, "blob container"},
    {"azure", M_CI, "Microsoft.Storage/storageAccounts/write", K_AZ_ACCOUNT, NULL,
     "storage account"},
    {"azure", M_CI, "Microsoft.Compute/snapshots/beginGetAccess/action", K_AZ_EXPORT, NULL,
     "snapshot"},
    {"azure", M_CI, "Microsoft.Compute/disks/beginGetAccess/action", K_AZ_EXPORT, NULL, "disk"},
    {"gcp", M_SUFFIX_CI, "setIamPolicy", K_GCP_IAM, NULL, "resource"},
    {"gcp", M_SUFFIX_CI, "setIamPermissions", K_GCP_IAM, NULL, "Cloud Storage bucket"},
};

static const struct op *match_op(const char *v, size_t n)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(ops); i++) {
        const struct op *o = &ops[i];
        size_t an = strlen(o->action);
        if (o->m == M_EXACT ? an == n && memcmp(o->action, v, n) == 0
            : o->m == M_CI  ? an == n && strncasecmp(o->action, v, n) == 0
            : o->m == M_PREFIX ? n >= an && memcmp(o->action, v, an) == 0
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

/* Privileged Google roles: privilege_grant reports them to outsiders. */
static int gcp_admin_role(struct km_str r)
{
    static const char *const admin[] = {
        "roles/owner", "roles/editor", "roles/resourcemanager.organizationAdmin",
        "roles/resourcemanager.folderAdmin", "roles/resourcemanager.projectIamAdmin",
        "roles/resourcemanager.folderIamAdmin", "roles/iam.securityAdmin",
        "roles/iam.organizationRoleAdmin", "roles/iam.roleAdmin",
        "roles/iam.serviceAccountKeyAdmin",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(admin); i++)
        if (km_str_eqc(r, admin[i]))
            return 1;
    return 0;
}

struct st {
    struct km_hunt *h;
    struct km_detorg org;
    int include_failed;
    struct km_arena a;
};

/* What one request opens, filled by the per-kind readers. */
struct verdict {
    int sev;                  /* -1: nothing to report */
    char what[160];           /* "made public (Principal \"*\")", ... */
    char resource[400];
    char outside[300];        /* accounts / principals outside the organisation */
};

static void add_outside(struct verdict *v, const char *p, size_t n)
{
    size_t l = strlen(v->outside);
    if (l + n + 2 >= sizeof v->outside || strstr(v->outside, p))
        return;
    snprintf(v->outside + l, sizeof v->outside - l, "%s%.*s", l ? "," : "", (int)n, p);
}

static int is_account_id(const char *p, size_t n)
{
    if (n != 12)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static int jtrue(const struct km_json *v)
{
    return v && (v->type == KM_JSON_TRUE ||
                 (km_json_is_str(v) && strcasecmp(v->str, "true") == 0));
}

static int jfalse(const struct km_json *v)
{
    return v && (v->type == KM_JSON_FALSE ||
                 (km_json_is_str(v) && strcasecmp(v->str, "false") == 0));
}

static void verdict_policy(struct st *c, struct verdict *v, const struct km_json *pv,
                           int blocked)
{
    const struct km_json *doc = km_det_policy(pv, &c->a);
    if (!doc)
        return;
    struct km_det_grant g;
    km_det_policy_grantees(&c->org, doc, &g);
    if (g.public_open && !blocked) {
        v->sev = KM_SEV_HIGH;
        snprintf(v->what, sizeof v->what, "was made public: its policy lets any principal (\"*\") in");
    } else if (g.noutside) {
        v->sev = KM_SEV_MEDIUM;
        snprintf(v->what, sizeof v->what, "was shared with account(s) outside the organisation");
        add_outside(v, g.outside, strlen(g.outside));
    }
}

/* ACL grants to the global groups, in any of the request's shapes. */
static int acl_public(const struct km_json *rq)
{
    struct km_buf b;
    km_buf_init(&b, 1u << 20);
    km_json_write_value(&b, rq);
    int pub = !b.oom && b.n &&
              (km_det_icontains(b.p, b.n, "acs.amazonaws.com/groups/global/AllUsers") ||
               km_det_icontains(b.p, b.n, "acs.amazonaws.com/groups/global/AuthenticatedUsers") ||
               km_det_icontains(b.p, b.n, "\"public-read") ||
               km_det_icontains(b.p, b.n, "\"authenticated-read"));
    km_buf_free(&b);
    return pub;
}

static void judge_aws(struct st *c, const struct op *o, const struct km_json *raw,
                      struct verdict *v)
{
    const struct km_json *rq = km_json_get(raw, "requestParameters");
    if (km_json_is_str(rq))
        rq = km_det_policy(rq, &c->a);   /* requestParameters kept as a JSON string */
    struct km_str bucket = km_det_jstr(rq, "bucketName");
    if (bucket.p) {
        struct km_str key = km_det_jstr(rq, "key");
        snprintf(v->resource, sizeof v->resource, "arn:aws:s3:::%.*s%s%.*s", (int)bucket.n,
                 bucket.p, key.p ? "/" : "", key.p ? (int)key.n : 0, key.p ? key.p : "");
    }
    switch (o->kind) {
    case K_S3_POLICY:
        verdict_policy(c, v, km_json_get(rq, "bucketPolicy"), 0);
        break;
    case K_S3_ACL:
        if (acl_public(rq)) {
            v->sev = KM_SEV_HIGH;
            snprintf(v->what, sizeof v->what,
                     "was made public: an ACL grants AllUsers / AuthenticatedUsers");
        }
        break;
    case K_PAB_DELETE:
        v->sev = KM_SEV_MEDIUM;
        snprintf(v->what, sizeof v->what, "lost its public access block");
        break;
    case K_PAB_PUT: {
        const struct km_json *cfg = km_json_get(rq, "PublicAccessBlockConfiguration");
        static const char *const keys[] = {"BlockPublicAcls", "IgnorePublicAcls",
                                           "BlockPublicPolicy", "RestrictPublicBuckets"};
        char off[120] = "";
        for (size_t i = 0; i < KM_ARRAY_LEN(keys); i++)
            if (jfalse(km_json_geti(cfg, keys[i])))
                snprintf(off + strlen(off), sizeof off - strlen(off), "%s%s",
                         off[0] ? ", " : "", keys[i]);
        if (off[0]) {
            v->sev = KM_SEV_MEDIUM;
            snprintf(v->what, sizeof v->what, "had its public access block loosened (%s off)",
                     off);
        }
        break;
    }
    case K_SHARE_LIST: {
        struct km_str id = km_det_jstr(rq, "snapshotId");
        if (!id.p)
            id = km_det_jstr(rq, "imageId");
        if (id.p)
            snprintf(v->resource, sizeof v->resource, "%.*s", (int)id.n, id.p);
        char path[64];
        snprintf(path, sizeof path, "%s.add.items", o->param);
        const struct km_json *items = km_json_path(rq, path);
        for (const struct km_json *it = km_json_is_arr(items) ? items->child : NULL; it;
             it = it->next) {
            struct km_str grp = km_det_jstr(it, "group");
            struct km_str uid = km_det_jstr(it, "userId");
            if (grp.p && km_str_eqc(grp, "all")) {
                v->sev = KM_SEV_HIGH;
                snprintf(v->what, sizeof v->what, "was made public (shared with group \"all\")");
            } else if (uid.p && is_account_id(uid.p, uid.n) &&
                       !km_detorg_aws_account(&c->org, uid.p, uid.n)) {
                if (v->sev < KM_SEV_MEDIUM) {
                    v->sev = KM_SEV_MEDIUM;
                    snprintf(v->what, sizeof v->what,
                             "was shared with account(s) outside the organisation");
                }
                add_outside(v, uid.p, uid.n);
            }
        }
        break;
    }
    case K_RDS_SHARE: {
        struct km_str id = km_det_jstr(rq, "dBSnapshotIdentifier");
        if (!id.p)
            id = km_det_jstr(rq, "dBClusterSnapshotIdentifier");
        if (id.p)
            snprintf(v->resource, sizeof v->resource, "%.*s", (int)id.n, id.p);
        if (!km_str_eqc(km_det_jstr(rq, "attributeName"), "restore"))
            break;
        const struct km_json *add = km_json_get(rq, "valuesToAdd");
        for (const struct km_json *x = km_json_is_arr(add) ? add->child : NULL; x;
             x = x->next) {
            if (!km_json_is_str(x))
                continue;
            if (strcasecmp(x->str, "all") == 0) {
                v->sev = KM_SEV_HIGH;
                snprintf(v->what, sizeof v->what, "was made public (restore permission \"all\")");
            } else if (is_account_id(x->str, x->len) &&
                       !km_detorg_aws_account(&c->org, x->str, x->len)) {
                if (v->sev < KM_SEV_MEDIUM) {
                    v->sev = KM_SEV_MEDIUM;
                    snprintf(v->what, sizeof v->what,
                             "was shared with account(s) outside the organisation");
                }
                add_outside(v, x->str, x->len);
            }
        }
        break;
    }
    case K_RES_POLICY: {
        const struct km_json *pv;
        if (strcmp(o->action, "SetTopicAttributes") == 0 &&
            !km_str_eqc(km_det_jstr(rq, "attributeName"), "Policy"))
            break;
        pv = km_json_path(rq, o->param);
        static const char *const ids[] = {"repositoryName", "keyId", "resourceArn", "queueUrl",
                                          "topicArn", "domainName", "secretId"};
        for (size_t i = 0; i < KM_ARRAY_LEN(ids) && !v->resource[0]; i++) {
            struct km_str id = km_det_jstr(rq, ids[i]);
            if (id.p)
                snprintf(v->resource, sizeof v->resource, "%.*s", (int)id.n, id.p);
        }
        verdict_policy(c, v, pv, jtrue(km_json_get(rq, "blockPublicPolicy")));
        break;
    }
    case K_LAMBDA_PERM: {
        struct km_str fn = km_det_jstr(rq, "functionName");
        struct km_str pr = km_det_jstr(rq, "principal");
        if (fn.p)
            snprintf(v->resource, sizeof v->resource, "%.*s", (int)fn.n, fn.p);
        if (km_str_eqc(pr, "*") && !km_json_get(rq, "sourceArn") &&
            !km_json_get(rq, "sourceAccount") && !km_json_get(rq, "principalOrgID")) {
            v->sev = KM_SEV_HIGH;
            snprintf(v->what, sizeof v->what, "was made invocable by anyone (principal \"*\")");
        } else if (pr.p && is_account_id(pr.p, pr.n) &&
                   !km_detorg_aws_account(&c->org, pr.p, pr.n)) {
            v->sev = KM_SEV_MEDIUM;
            snprintf(v->what, sizeof v->what, "was shared with an account outside the organisation");
            add_outside(v, pr.p, pr.n);
        }
        break;
    }
    }
}

static const struct km_json *obj_or_str(struct st *c, const struct km_json *v)
{
    if (km_json_is_obj(v))
        return v;
    return km_det_policy(v, &c->a);   /* a JSON string holding an object */
}

static void judge_azure(struct st *c, const struct op *o, const struct km_json *raw,
                        struct verdict *v)
{
    const struct km_json *rid = km_json_geti(raw, "resourceId");
    if (km_json_is_str(rid))
        snprintf(v->resource, sizeof v->resource, "%s", rid->str);
    if (o->kind == K_AZ_EXPORT) {
        v->sev = KM_SEV_MEDIUM;
        snprintf(v->what, sizeof v->what, "was given a download URL (SAS) for export");
        return;
    }
    const struct km_json *props = km_json_geti(raw, "properties");
    const struct km_json *body = obj_or_str(c, km_json_geti(props, "requestbody"));
    if (!body)
        body = obj_or_str(c, km_json_geti(props, "responseBody"));
    const struct km_json *bp = km_json_geti(body, "properties");
    if (o->kind == K_AZ_CONTAINER) {
        const struct km_json *pa = km_json_geti(bp, "publicAccess");
        if (km_json_is_str(pa) && (strcasecmp(pa->str, "Blob") == 0 ||
                                   strcasecmp(pa->str, "Container") == 0)) {
            v->sev = KM_SEV_HIGH;
            snprintf(v->what, sizeof v->what, "was made public (anonymous %s access)", pa->str);
        }
    } else if (jtrue(km_json_geti(bp, "allowBlobPublicAccess"))) {
        v->sev = KM_SEV_MEDIUM;
        snprintf(v->what, sizeof v->what, "now allows anonymous (public) blob access");
    }
}

static void judge_gcp(struct st *c, const struct km_json *raw, struct verdict *v)
{
    const struct km_json *pp = km_json_get(raw, "protoPayload");
    struct km_str rn = km_det_jstr(pp, "resourceName");
    if (rn.p)
        snprintf(v->resource, sizeof v->resource, "%.*s", (int)rn.n, rn.p);
    const struct km_json *bd = km_json_path(pp, "serviceData.policyDelta.bindingDeltas");
    if (!km_json_is_arr(bd))
        bd = km_json_path(pp, "metadata.datasetChange.bindingDeltas");
    if (km_json_is_arr(bd)) {
        for (const struct km_json *d = bd->child; d; d = d->next) {
            struct km_str m = km_det_jstr(d, "member");
            struct km_str role = km_det_jstr(d, "role");
            if (!km_str_eqc(km_det_jstr(d, "action"), "ADD") || !m.p)
                continue;
            int k = km_det_gcp_member(&c->org, m.p, m.n);
            if (k == KM_MEMBER_PUBLIC) {
                v->sev = KM_SEV_HIGH;
                snprintf(v->what, sizeof v->what, "was made public (%.*s granted %.*s)", (int)m.n,
                         m.p, (int)role.n, role.p ? role.p : "");
                add_outside(v, m.p, m.n);
            } else if (k == KM_MEMBER_OUTSIDE && !gcp_admin_role(role)) {
                if (v->sev < KM_SEV_MEDIUM) {
                    v->sev = KM_SEV_MEDIUM;
                    snprintf(v->what, sizeof v->what,
                             "was shared outside the organisation (%.*s granted %.*s)", (int)m.n,
                             m.p, (int)role.n, role.p ? role.p : "");
                }
                add_outside(v, m.p, m.n);
            }
        }
        return;
    }
    /* no delta (e.g. Compute): the whole new policy; public if it binds allUsers */
    const struct km_json *b = km_json_path(pp, "request.policy.bindings");
    for (const struct km_json *x = km_json_is_arr(b) ? b->child : NULL; x; x = x->next) {
        const struct km_json *ms = km_json_get(x, "members");
        for (const struct km_json *m = km_json_is_arr(ms) ? ms->child : NULL; m; m = m->next)
            if (km_json_is_str(m) &&
                km_det_gcp_member(&c->org, m->str, m->len) == KM_MEMBER_PUBLIC) {
                v->sev = KM_SEV_HIGH;
                snprintf(v->what, sizeof v->what, "was made public (its policy binds %s)", m->str);
                add_outside(v, m->str, m->len);
            }
    }
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
    struct km_json *raw = NULL;
    struct km_err e;
    km_err_clear(&e);
    km_arena_reset(&c->a);
    if (km_hrow_raw(r, &c->a, &raw, &e) != KM_OK)
        return 0;
    struct verdict v;
    memset(&v, 0, sizeof v);
    v.sev = -1;
    if (!strcmp(o->provider, "aws"))
        judge_aws(c, o, raw, &v);
    else if (!strcmp(o->provider, "azure"))
        judge_azure(c, o, raw, &v);
    else
        judge_gcp(c, raw, &v);
    if (v.sev < 0)
        return 0;
    if (failed)
        v.sev = KM_SEV_LOW;

    struct km_event ev;
    km_det_row_event(r, &ev);
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "exposure";
    f.technique = o->kind == K_SHARE_LIST || o->kind == K_RDS_SHARE || o->kind == K_AZ_EXPORT
                      ? "T1537"
                      : "T1530";
    f.severity = v.sev;
    char who[200], acct[140], ip[64], act[128];
    km_det_cpy(who, sizeof who, km_det_who(&ev));
    km_det_cpy(acct, sizeof acct, ev.f[KM_F_ACCOUNT]);
    km_det_cpy(ip, sizeof ip, ev.f[KM_F_SRC_IP]);
    km_det_cpy(act, sizeof act, a);
    if (!v.resource[0])
        km_hunt_add_resources(&f, km_hrow_str(r, KM_F_RESOURCES));
    else
        km_strset_addc(&f.ent[KM_ENT_RESOURCES], v.resource);
    const char *res = v.resource[0] ? v.resource
                    : f.ent[KM_ENT_RESOURCES].n ? f.ent[KM_ENT_RESOURCES].v[0]
                                                : "?";
    snprintf(f.summary, sizeof f.summary, "%s %s %s%s, by %s in %s %s%s%s (%s%s)%s%s.",
             o->what, res, v.what, failed ? " (attempt denied)" : "",
             who[0] ? who : "an unknown caller", o->provider, acct, ip[0] ? " from " : "", ip,
             act, "", v.outside[0] ? "; outside: " : "", v.outside);
    f.summary[0] = (char)(f.summary[0] >= 'a' && f.summary[0] <= 'z' ? f.summary[0] - 32
                                                                      : f.summary[0]);
    snprintf(f.key, sizeof f.key, "%s|%s|%s|%s|%lld", o->provider, act, acct, res,
             (long long)r->time);
    if (who[0])
        km_strset_addc(&f.ent[KM_ENT_IDENTITIES], who);
    const char *person = km_hunt_person_of(c->h, &ev);
    if (person)
        km_strset_addc(&f.ent[KM_ENT_PERSONS], person);
    if (ip[0])
        km_strset_addc(&f.ent[KM_ENT_IPS], ip);
    if (acct[0])
        km_strset_addc(&f.ent[KM_ENT_ACCOUNTS], acct);
    if (ev.f[KM_F_ACTOR_ACCESS_KEY].p)
        km_strset_add(&f.ent[KM_ENT_ACCESS_KEYS], ev.f[KM_F_ACTOR_ACCESS_KEY].p,
                      ev.f[KM_F_ACTOR_ACCESS_KEY].n);
    char cc[3];
    km_hunt_country(c->h, &ev, cc);
    if (cc[0])
        km_strset_addc(&f.ent[KM_ENT_COUNTRIES], cc);
    /* outside AWS accounts are entities too (the recipient of the data) */
    for (char *p = v.outside, *q; *p; p = q) {
        q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (is_account_id(p, n))
            km_strset_add(&f.ent[KM_ENT_ACCOUNTS], p, n);
        else if (memchr(p, '@', n))
            km_strset_add(&f.ent[KM_ENT_IDENTITIES], memchr(p, ':', n) ? strchr(p, ':') + 1 : p,
                          memchr(p, ':', n) ? n - (size_t)(strchr(p, ':') + 1 - p) : n);
        q = q ? q + 1 : p + n;
    }
    km_finding_window(&f, r->time);
    km_hunt_add_evidence(c->h, &f, r->ref);
    struct km_buf d;
    km_buf_init(&d, 4096);
    km_buf_adds(&d, "{\"operation\":");
    km_json_write_str(&d, act, strlen(act));
    km_buf_adds(&d, ",\"resource\":");
    km_json_write_str(&d, res, strlen(res));
    km_buf_adds(&d, ",\"change\":");
    km_json_write_str(&d, v.what, strlen(v.what));
    if (v.outside[0]) {
        km_buf_adds(&d, ",\"outside\":");
        km_json_write_str(&d, v.outside, strlen(v.outside));
    }
    km_buf_adds(&d, "}");
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
    return 0;
}

static int run(struct km_hunt *h, struct km_err *err)
{
    struct st *c = km_xcalloc(1, sizeof *c);
    c->h = h;
    c->include_failed = km_conf_bool(km_hunt_conf(h), "exposure.include_failed");
    km_arena_init(&c->a, 0, 64u << 20);
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
    km_arena_free(&c->a);
    km_detorg_free(&c->org);
    free(c);
    return rc;
}

const struct km_detection km_det_exposure = {
    .id = "exposure",
    .title = "Exposure",
    .technique = "T1537, T1530",
    .summary = "buckets, blobs and resource policies made public; snapshots, AMIs and RDS "
               "snapshots shared with unknown accounts; public access blocks removed; Google "
               "policies binding allUsers or outsiders",
    .providers = "aws,azure,gcp",
    .conf = km_det_conf_exposure,
    .run = run,
};
