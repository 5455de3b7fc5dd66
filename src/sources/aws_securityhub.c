/*
 * aws_securityhub.c — AWS Security Hub findings (AWS Security Finding
 * Format, ASFF) and Amazon GuardDuty findings to normalized events.
 * docs/sources/aws_securityhub.md and docs/sources/aws_guardduty.md have the
 * field mappings, shapes and quirks; this comment sketches the code.
 *
 * Two sources share the helpers here:
 *
 *   aws.securityhub  one ASFF finding {SchemaVersion, Id, ProductArn, GeneratorId,
 *                    AwsAccountId, Types, CreatedAt, UpdatedAt, Severity{...},
 *                    Title, Resources[...], ...}, as an element of
 *                    BatchImportFindings/GetFindings {"Findings":[...]} (the
 *                    splitter unwraps) or inside an EventBridge event
 *                    {"detail-type":"Security Hub Findings - Imported",
 *                     "detail":{"findings":[finding, ...]}} (one event each)
 *   aws.guardduty    one GuardDuty finding {schemaVersion, accountId, region, id,
 *                    arn, type, resource{...}, service{action{...}, ...},
 *                    severity (0-10), createdAt, updatedAt, title}: API/S3
 *                    export camelCase, CLI/boto3 PascalCase (keys are matched
 *                    case-insensitively), or inside an EventBridge event
 *                    {"detail-type":"GuardDuty Finding","detail":{finding}}
 *
 * An EventBridge event holding several findings in detail.findings[] is one
 * record with several events: normalize() sets ctx->count to the number of
 * findings and normalizes finding number ctx->index (each keeps its own Id as
 * event_id; all share the record's raw bytes). EventBridge event *patterns*
 * (list-valued "source") are rejected with a reason. "Security Hub Insight
 * Results" events hold no finding and are kept as evidence only (emit = 0).
 */
#include "sources/source.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/ip.h"
#include "core/timeparse.h"

/* ---- helpers shared by both sources ----------------------------------------- */

struct fd {
    struct km_norm_ctx *ctx;
    struct km_event *ev;
    const struct km_json *outer;   /* EventBridge envelope, or NULL */
};

#define fd_note(c, ...) km_norm_note((c)->ctx, __VA_ARGS__)

/* a field of an unexpected type or value: counted, flagged, first one noted */
#define fd_problem(c, ...) km_norm_problem((c)->ctx, (c)->ev, __VA_ARGS__)

#define type_name km_json_type_name

#define absent km_json_absent

/* Member lookup: exact key, else case-insensitive (GuardDuty's CLI output is
 * PascalCase, its API/S3 form camelCase). */
static const struct km_json *gk(const struct km_json *obj, const char *key)
{
    const struct km_json *v = km_json_get(obj, key);
    return v ? v : km_json_geti(obj, key);
}

/* String where a string belongs: null / absent / "" → KM_STR_NONE; a number
 * gives its text (counted unless num_ok); other types are counted. */
static struct km_str fd_str2(struct fd *c, const struct km_json *v, const char *what, int num_ok)
{
    if (absent(v))
        return KM_STR_NONE;
    if (v->type == KM_JSON_STRING)
        return v->len ? km_json_sv(v) : KM_STR_NONE;
    if (v->type == KM_JSON_NUMBER && num_ok)
        return km_json_sv(v);
    fd_problem(c, "%s is a %s, expected a string", what, type_name(v));
    return v->type == KM_JSON_NUMBER ? km_json_sv(v) : KM_STR_NONE;
}

static struct km_str fd_str(struct fd *c, const struct km_json *v, const char *what)
{
    return fd_str2(c, v, what, 0);
}

/* An object where an object belongs; NULL (counted when present) otherwise. */
static const struct km_json *fd_obj(struct fd *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return NULL;
    if (v->type == KM_JSON_OBJECT)
        return v;
    fd_problem(c, "%s is a %s, expected an object", what, type_name(v));
    return NULL;
}

static void set(struct km_event *ev, enum km_field f, struct km_str s)
{
    if (s.p && !ev->f[f].p)
        ev->f[f] = s;
}

static struct km_str arena_copy(struct fd *c, const char *p, size_t n)
{
    char *s = km_arena_strndup(c->ctx->arena, p, n);
    return s ? (struct km_str){s, (uint32_t)n} : KM_STR_NONE;
}

static void fd_email(struct fd *c, struct km_str cand)
{
    if (!c->ev->f[KM_F_ACTOR_EMAIL].p && km_str_is_email(cand))
        c->ev->f[KM_F_ACTOR_EMAIL] = km_norm_lower(c->ctx, cand);
}

/* The text after the first `ch` in s. */
static struct km_str after_ch(struct km_str s, char ch)
{
    const char *p = s.p ? memchr(s.p, ch, s.n) : NULL;
    if (!p || p + 1 == s.p + s.n)
        return KM_STR_NONE;
    return (struct km_str){p + 1, (uint32_t)(s.p + s.n - p - 1)};
}

static struct km_str fd_join(struct fd *c, struct km_str a, char sep, struct km_str b)
{
    size_t n = (size_t)a.n + 1 + b.n;
    char *p = km_arena_alloc(c->ctx->arena, n + 1);
    if (!p)
        return KM_STR_NONE;
    memcpy(p, a.p, a.n);
    p[a.n] = sep;
    memcpy(p + a.n + 1, b.p, b.n);
    p[n] = 0;
    return (struct km_str){p, (uint32_t)n};
}

/* Sets src.raw and, when it is an IP, src.ip (canonical; zero-copy when the
 * text already is canonical). The first call with a value wins. */
static void fd_src(struct fd *c, struct km_str raw)
{
    struct km_event *ev = c->ev;
    if (!raw.p || ev->f[KM_F_SRC_RAW].p)
        return;
    ev->f[KM_F_SRC_RAW] = raw;
    char canon[KM_IP_TEXT_MAX];
    if (!km_ip_canon(raw.p, raw.n, canon))
        return;
    size_t cl = strlen(canon);
    ev->f[KM_F_SRC_IP] = cl == raw.n && !memcmp(canon, raw.p, cl) ? raw : arena_copy(c, canon, cl);
}

/* Time from the first usable candidate; later ones set KM_EV_TIME_FALLBACK. */
struct tcand {
    const struct km_json *v;
    const char *name;
};

static void fd_time(struct fd *c, const struct tcand *cand, int n)
{
    struct km_event *ev = c->ev;
    for (int i = 0; i < n; i++) {
        const struct km_json *v = cand[i].v;
        if (absent(v))
            continue;
        int64_t us;
        if ((v->type == KM_JSON_STRING || v->type == KM_JSON_NUMBER) &&
            km_time_parse(v->str, v->len, &us) == KM_OK) {
            ev->time_us = us;
            if (i) {
                ev->flags |= KM_EV_TIME_FALLBACK;
                fd_note(c, "%s %s; used %s", cand[0].name, absent(cand[0].v) ? "missing" : "invalid",
                        cand[i].name);
            }
            return;
        }
        if (v->type == KM_JSON_STRING)
            fd_problem(c, "%s \"%.40s\" is not a timestamp", cand[i].name, v->str);
        else
            fd_problem(c, "%s is a %s, expected a timestamp", cand[i].name, type_name(v));
    }
    ev->time_us = 0;
    ev->flags |= KM_EV_TIME_MISSING;
    fd_note(c, "%s %s and no fallback time; time set to 0", cand[0].name,
            absent(cand[0].v) ? "missing" : "invalid");
}

/* Resources JSON: one {"type","id","name"} object per add(), in a buffer. */
struct res {
    struct km_buf b;
    int n;
};

static void res_kv(struct km_buf *b, int *first, const char *k, struct km_str v)
{
    if (!v.p)
        return;
    if (!*first)
        km_buf_addc(b, ',');
    *first = 0;
    km_json_write_str(b, k, strlen(k));
    km_buf_addc(b, ':');
    km_json_write_str(b, v.p, v.n);
}

static void res_add(struct res *r, struct km_str type, struct km_str id, struct km_str name,
                    struct km_str account)
{
    if (!type.p && !id.p && !name.p)
        return;
    km_buf_adds(&r->b, r->n++ ? ",{" : "[{");
    int first = 1;
    res_kv(&r->b, &first, "type", type);
    res_kv(&r->b, &first, "id", id);
    res_kv(&r->b, &first, "name", name);
    res_kv(&r->b, &first, "account", account);
    km_buf_addc(&r->b, '}');
}

static struct km_str res_done(struct fd *c, struct res *r)
{
    struct km_str out = KM_STR_NONE;
    if (r->n) {
        km_buf_addc(&r->b, ']');
        if (r->b.oom)
            fd_problem(c, "resources too large; dropped");
        else
            out = arena_copy(c, r->b.p, r->b.n);
    }
    km_buf_free(&r->b);
    return out;
}

/* "true"/"false" (any case) or a JSON boolean: 1 / 0; -1 when absent or
 * unrecognised (*bad set). */
static int bool_of(const struct km_json *v, int *bad)
{
    *bad = 0;
    if (absent(v))
        return -1;
    if (v->type == KM_JSON_TRUE)
        return 1;
    if (v->type == KM_JSON_FALSE)
        return 0;
    if (v->type == KM_JSON_STRING && v->len == 4 && !strncasecmp(v->str, "true", 4))
        return 1;
    if (v->type == KM_JSON_STRING && v->len == 5 && !strncasecmp(v->str, "false", 5))
        return 0;
    *bad = 1;
    return -1;
}

static int str_is(const struct km_json *v, const char *s)
{
    return km_json_is_str(v) && strcmp(v->str, s) == 0;
}

static int arr_has(const struct km_json *arr, const char *s)
{
    if (!km_json_is_arr(arr))
        return 0;
    for (const struct km_json *e = arr->child; e; e = e->next)
        if (str_is(e, s))
            return 1;
    return 0;
}

/* EventBridge envelope fallbacks: account, region. */
static void fd_envelope(struct fd *c)
{
    if (!c->outer)
        return;
    set(c->ev, KM_F_ACCOUNT, fd_str2(c, km_json_get(c->outer, "account"), "account", 1));
    set(c->ev, KM_F_REGION, fd_str(c, km_json_get(c->outer, "region"), "region"));
}

/* ---- Security Hub (ASFF) ------------------------------------------------------ */

static const char *const sh_finding_types[] = {
    "Security Hub Findings - Imported", "Security Hub Findings - Custom Action", NULL};

/* Severity: Normalized (0-100) when usable, else Label with the mapping Security
 * Hub itself applies when a provider sends only Label. -1 when neither. */
static int16_t sh_severity(struct fd *c, const struct km_json *sev)
{
    if (!sev)
        return -1;
    const struct km_json *n = km_json_get(sev, "Normalized");
    if (!absent(n)) {
        double d;
        if (n->type == KM_JSON_NUMBER && km_json_f64(n, &d) == KM_OK && d >= 0 && d <= 100)
            return (int16_t)lround(d);
        fd_problem(c, "Severity.Normalized is not a number from 0 to 100");
    }
    static const struct {
        const char *label;
        int16_t v;
    } map[] = {{"INFORMATIONAL", 0}, {"LOW", 1}, {"MEDIUM", 40}, {"HIGH", 70}, {"CRITICAL", 90}};
    const struct km_json *l = km_json_get(sev, "Label");
    if (absent(l))
        return -1;
    for (size_t i = 0; i < KM_ARRAY_LEN(map); i++)
        if (km_json_is_str(l) && !strcasecmp(l->str, map[i].label))
            return map[i].v;
    fd_problem(c, "Severity.Label is not INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL");
    return -1;
}

/* outcome: Compliance.Status for control checks, else the workflow status. */
static struct km_str sh_outcome(struct fd *c, const struct km_json *f)
{
    const struct km_json *comp = fd_obj(c, km_json_get(f, "Compliance"), "Compliance");
    struct km_str s = fd_str(c, km_json_get(comp, "Status"), "Compliance.Status");
    if (s.p) {
        if (km_str_eqc(s, "PASSED"))
            return KM_STR("success");
        if (km_str_eqc(s, "FAILED"))
            return KM_STR("failure");
        return KM_STR("unknown");   /* WARNING, NOT_AVAILABLE */
    }
    const struct km_json *wf = fd_obj(c, km_json_get(f, "Workflow"), "Workflow");
    s = fd_str(c, km_json_get(wf, "Status"), "Workflow.Status");
    if (!s.p)
        s = fd_str(c, km_json_get(f, "WorkflowState"), "WorkflowState");
    if (km_str_eqc(s, "NEW") || km_str_eqc(s, "NOTIFIED") || km_str_eqc(s, "ASSIGNED") ||
        km_str_eqc(s, "IN_PROGRESS") || km_str_eqc(s, "DEFERRED"))
        return KM_STR("failure");
    if (km_str_eqc(s, "RESOLVED"))
        return KM_STR("success");
    return KM_STR("unknown");       /* SUPPRESSED, absent, other */
}

/* service: ProductName, else ProductFields "aws/securityhub/ProductName",
 * else the product part of ProductArn (…:product/<company>/<product>). */
static struct km_str sh_service(struct fd *c, const struct km_json *f)
{
    struct km_str s = fd_str(c, km_json_get(f, "ProductName"), "ProductName");
    if (s.p)
        return s;
    const struct km_json *pf = km_json_get(f, "ProductFields");
    s = fd_str(c, km_json_get(pf, "aws/securityhub/ProductName"), "ProductFields ProductName");
    if (s.p)
        return s;
    struct km_str arn = fd_str(c, km_json_get(f, "ProductArn"), "ProductArn");
    const char *p = arn.p ? memmem(arn.p, arn.n, ":product/", 9) : NULL;
    if (!p)
        return KM_STR_NONE;
    const char *e = arn.p + arn.n, *slash = memrchr(p, '/', (size_t)(e - p));
    if (!slash || slash + 1 >= e)
        return KM_STR_NONE;
    return (struct km_str){slash + 1, (uint32_t)(e - slash - 1)};
}

/* Actor from an AwsIamAccessKey resource's Details.AwsIamAccessKey. */
static void sh_access_key(struct fd *c, const struct km_json *r)
{
    struct km_event *ev = c->ev;
    const struct km_json *det = fd_obj(c, km_json_get(r, "Details"), "Resources[].Details");
    const struct km_json *k = fd_obj(c, km_json_get(det, "AwsIamAccessKey"), "AwsIamAccessKey");
    struct km_str akid = fd_str(c, km_json_get(k, "AccessKeyId"), "AwsIamAccessKey.AccessKeyId");
    if (!akid.p)
        akid = fd_str(c, km_json_get(r, "Id"), "Resources[].Id");
    if (ev->f[KM_F_ACTOR_ACCESS_KEY].p)
        return;   /* the first access key names the actor */
    ev->f[KM_F_ACTOR_ACCESS_KEY] = akid;
    struct km_str pid = fd_str(c, km_json_get(k, "PrincipalId"), "AwsIamAccessKey.PrincipalId");
    struct km_str ptype = fd_str(c, km_json_get(k, "PrincipalType"), "AwsIamAccessKey.PrincipalType");
    struct km_str pname = fd_str(c, km_json_get(k, "PrincipalName"), "AwsIamAccessKey.PrincipalName");
    struct km_str uname = fd_str(c, km_json_get(k, "UserName"), "AwsIamAccessKey.UserName");
    set(ev, KM_F_ACTOR_ID, pid);
    set(ev, KM_F_ACTOR_TYPE, ptype);
    const struct km_json *sc = fd_obj(c, km_json_get(k, "SessionContext"), "SessionContext");
    const struct km_json *attrs = fd_obj(c, km_json_get(sc, "Attributes"), "SessionContext.Attributes");
    const struct km_json *iss = fd_obj(c, km_json_get(sc, "SessionIssuer"), "SessionContext.SessionIssuer");
    set(ev, KM_F_ACTOR_SESSION_ISSUER, fd_str(c, km_json_get(iss, "Arn"), "SessionIssuer.Arn"));
    struct km_str session = after_ch(pid, ':');
    struct km_str name = pname.p ? pname : uname;
    if (!name.p && km_str_eqc(ptype, "AssumedRole") && session.p) {
        struct km_str role = fd_str(c, km_json_get(iss, "UserName"), "SessionIssuer.UserName");
        if (role.p)
            name = fd_join(c, role, '/', session);
    }
    set(ev, KM_F_ACTOR_NAME, name);
    fd_email(c, session);
    fd_email(c, pname);
    fd_email(c, uname);
    int bad;
    int mfa = bool_of(km_json_get(attrs, "MfaAuthenticated"), &bad);
    if (bad)
        fd_problem(c, "MfaAuthenticated is not true/false");
    ev->mfa = (int8_t)mfa;
    struct km_str created = fd_str(c, km_json_get(attrs, "CreationDate"), "CreationDate");
    if (akid.p && akid.n > 4 && !memcmp(akid.p, "ASIA", 4))
        ev->f[KM_F_SESSION_ID] = akid;
    else if (pid.p && created.p)
        ev->f[KM_F_SESSION_ID] = fd_join(c, pid, '@', created);
}

/* RemoteIpDetails.IpAddressV4 / IpAddressV6 of one ASFF action. */
static struct km_str sh_remote_ip(struct fd *c, const struct km_json *act)
{
    const struct km_json *rip = km_json_get(act, "RemoteIpDetails");
    struct km_str s = fd_str(c, km_json_get(rip, "IpAddressV4"), "RemoteIpDetails.IpAddressV4");
    return s.p ? s : fd_str(c, km_json_get(rip, "IpAddressV6"), "RemoteIpDetails.IpAddressV6");
}

static void sh_finding(struct fd *c, const struct km_json *f)
{
    struct km_event *ev = c->ev;
    ev->f[KM_F_CATEGORY] = KM_STR("finding");

    struct tcand cand[6];
    int n = 0;
    cand[n++] = (struct tcand){km_json_get(f, "UpdatedAt"), "UpdatedAt"};
    cand[n++] = (struct tcand){km_json_get(f, "CreatedAt"), "CreatedAt"};
    cand[n++] = (struct tcand){km_json_get(f, "FirstObservedAt"), "FirstObservedAt"};
    if (c->outer)
        cand[n++] = (struct tcand){km_json_get(c->outer, "time"), "time"};
    cand[n++] = (struct tcand){km_json_get(f, "p_event_time"), "p_event_time"};
    fd_time(c, cand, n);

    ev->f[KM_F_ACCOUNT] = fd_str2(c, km_json_get(f, "AwsAccountId"), "AwsAccountId", 1);
    ev->f[KM_F_REGION] = fd_str(c, km_json_get(f, "Region"), "Region");
    ev->f[KM_F_EVENT_ID] = fd_str(c, km_json_get(f, "Id"), "Id");
    ev->f[KM_F_SERVICE] = sh_service(c, f);

    struct km_str type0 = KM_STR_NONE;
    const struct km_json *types = km_json_get(f, "Types");
    if (km_json_is_arr(types) && types->child)
        type0 = fd_str(c, types->child, "Types[0]");
    else if (!absent(types) && !km_json_is_arr(types))
        fd_problem(c, "Types is a %s, expected an array", type_name(types));
    ev->f[KM_F_EVENT_TYPE] = type0;
    struct km_str title = fd_str(c, km_json_get(f, "Title"), "Title");
    ev->f[KM_F_ACTION] = title.p ? title : type0;

    const struct km_json *sev = fd_obj(c, km_json_get(f, "Severity"), "Severity");
    if (!sev)
        sev = fd_obj(c, km_json_path(f, "FindingProviderFields.Severity"),
                     "FindingProviderFields.Severity");
    ev->severity = sh_severity(c, sev);
    ev->f[KM_F_OUTCOME] = sh_outcome(c, f);

    /* caller address: the action's remote IP, else Network.SourceIp* */
    const struct km_json *act = fd_obj(c, km_json_get(f, "Action"), "Action");
    if (act) {
        fd_src(c, sh_remote_ip(c, km_json_get(act, "AwsApiCallAction")));
        fd_src(c, sh_remote_ip(c, km_json_get(act, "NetworkConnectionAction")));
        const struct km_json *pp = km_json_path(act, "PortProbeAction.PortProbeDetails");
        if (km_json_is_arr(pp) && pp->child)
            fd_src(c, sh_remote_ip(c, pp->child));
    }
    const struct km_json *net = fd_obj(c, km_json_get(f, "Network"), "Network");
    fd_src(c, fd_str(c, km_json_get(net, "SourceIpV4"), "Network.SourceIpV4"));
    fd_src(c, fd_str(c, km_json_get(net, "SourceIpV6"), "Network.SourceIpV6"));

    /* resources, and the actor from access-key / acting-principal resources */
    const struct km_json *rs = km_json_get(f, "Resources");
    struct res r;
    memset(&r, 0, sizeof r);
    km_buf_init(&r.b, 1u << 20);
    if (!absent(rs) && rs->type != KM_JSON_ARRAY)
        fd_problem(c, "Resources is a %s, expected an array", type_name(rs));
    for (const struct km_json *e = km_json_is_arr(rs) ? rs->child : NULL; e; e = e->next) {
        if (e->type != KM_JSON_OBJECT) {
            fd_problem(c, "Resources[] element is a %s, expected an object", type_name(e));
            continue;
        }
        struct km_str type = fd_str(c, km_json_get(e, "Type"), "Resources[].Type");
        struct km_str id = fd_str(c, km_json_get(e, "Id"), "Resources[].Id");
        res_add(&r, type, id, KM_STR_NONE, KM_STR_NONE);
        if (!ev->f[KM_F_REGION].p)
            ev->f[KM_F_REGION] = fd_str(c, km_json_get(e, "Region"), "Resources[].Region");
        if (km_str_eqc(type, "AwsIamAccessKey")) {
            sh_access_key(c, e);
        } else if ((km_str_eqc(type, "AwsIamUser") || km_str_eqc(type, "AwsIamRole")) &&
                   str_is(km_json_get(e, "ResourceRole"), "Actor") && id.n > 4 &&
                   !memcmp(id.p, "arn:", 4)) {
            set(ev, KM_F_ACTOR_ARN, id);
        }
    }
    ev->f[KM_F_RESOURCES] = res_done(c, &r);
    fd_envelope(c);
}

static int sh_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *dt = km_json_get(rec, "detail-type");
    if (dt) {
        if (!km_json_is_str(dt))
            return arr_has(km_json_get(rec, "source"), "aws.securityhub") ? 40 : 0;
        for (const char *const *t = sh_finding_types; *t; t++)
            if (!strcmp(dt->str, *t) && km_json_is_obj(km_json_get(rec, "detail")))
                return 95;
        if (!strcmp(dt->str, "Security Hub Insight Results") ||
            !strcmp(dt->str, "Findings Imported V2"))
            return str_is(km_json_get(rec, "source"), "aws.securityhub") ? 90 : 60;
        return 0;
    }
    if (arr_has(km_json_get(rec, "source"), "aws.securityhub"))
        return 40;
    const struct km_json *parn = NULL, *acct = NULL, *gen = NULL, *ver = NULL, *sev = NULL,
                         *res = NULL, *types = NULL, *id = NULL;
    for (const struct km_json *m = rec->child; m; m = m->next) {
        switch (m->key_len) {
        case 2:
            if (!memcmp(m->key, "Id", 2))
                id = m;
            break;
        case 5:
            if (!memcmp(m->key, "Types", 5))
                types = m;
            break;
        case 8:
            if (!memcmp(m->key, "Severity", 8))
                sev = m;
            break;
        case 9:
            if (!memcmp(m->key, "Resources", 9))
                res = m;
            break;
        case 10:
            if (!memcmp(m->key, "ProductArn", 10))
                parn = m;
            break;
        case 11:
            if (!memcmp(m->key, "GeneratorId", 11))
                gen = m;
            break;
        case 12:
            if (!memcmp(m->key, "AwsAccountId", 12))
                acct = m;
            break;
        case 13:
            if (!memcmp(m->key, "SchemaVersion", 13))
                ver = m;
            break;
        }
    }
    if (!km_json_is_str(parn) && !(gen && acct))
        return 0;
    int s = km_json_is_str(parn) ? 40 : 0;
    s += acct ? 15 : 0;
    s += gen ? 15 : 0;
    s += str_is(ver, "2018-10-08") ? 10 : 0;
    s += km_json_is_obj(sev) ? 10 : 0;
    s += km_json_is_arr(res) ? 10 : 0;
    s += types ? 5 : 0;
    s += id ? 5 : 0;
    if (wrapper && (!strcmp(wrapper, "Findings") || !strcmp(wrapper, "findings")))
        s += 10;
    return s > 100 ? 100 : s;
}

/* An EventBridge event may hold several findings (AWS sends one per
 * "Imported" event; Custom Action events and hand-assembled files may hold
 * more): one event each. Every sub-event re-parses the whole record (see
 * km_normalize_record), so the split is bounded: at most KM_SH_SPLIT_MAX
 * findings and about KM_SH_SPLIT_BYTES of parsing per record. */
#define KM_SH_SPLIT_MAX 1000
#define KM_SH_SPLIT_BYTES ((uint64_t)1 << 30)

/* Sets ctx->count to the number of findings in detail.findings and returns
 * finding number ctx->index in *out, or fails with the reason. */
static int eb_finding(struct fd *c, const struct km_json *rec, const char *what,
                      const struct km_json **out, struct km_err *err)
{
    struct km_norm_ctx *ctx = c->ctx;
    const struct km_json *fs = km_json_path(rec, "detail.findings");
    if (!km_json_is_arr(fs))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "%s event without a detail.findings array", what);
    if (fs->len == 0)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "%s event with an empty detail.findings array", what);
    const struct km_json *f = fs->child, *last = fs->child;
    for (const struct km_json *e = fs->child; e; e = e->next)
        last = e;
    /* last->off: a lower bound of the record's size */
    if (fs->len > KM_SH_SPLIT_MAX || (uint64_t)fs->len * ((uint64_t)last->off + 1) > KM_SH_SPLIT_BYTES)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "%s event holds %u findings in %u+ bytes: too many to split "
                          "(at most %d findings, %llu bytes re-parsed)", what, fs->len,
                          last->off, KM_SH_SPLIT_MAX, (unsigned long long)KM_SH_SPLIT_BYTES);
    ctx->count = (int)fs->len;
    for (int i = 0; i < ctx->index && f; i++)
        f = f->next;
    if (!f)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "%s event: no detail.findings[%d] (%u findings)", what, ctx->index,
                          fs->len);
    if (!km_json_is_obj(f))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "%s event: detail.findings[%d] is a %s, not an object", what,
                          ctx->index, type_name(f));
    *out = f;
    return KM_OK;
}

static int sh_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "Security Hub record is a JSON %s, not an object", type_name(rec));
    struct fd c = {ctx, ev, NULL};
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.securityhub");
    const struct km_json *f = rec;
    const struct km_json *dt = km_json_get(rec, "detail-type");
    if (km_json_is_arr(km_json_get(rec, "source")) || km_json_is_arr(dt))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "an EventBridge event pattern (list-valued source/detail-type), "
                          "not an event");
    if (km_json_is_str(dt)) {
        c.outer = rec;
        if (!strcmp(dt->str, "Findings Imported V2"))
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "Security Hub OCSF finding (Findings Imported V2): not ASFF, "
                              "not supported by this source");
        if (!strcmp(dt->str, "Security Hub Insight Results")) {
            /* a custom action run on an insight: no finding, evidence only */
            ctx->emit = 0;
            ev->f[KM_F_EVENT_TYPE] = km_json_sv(dt);
            struct tcand t = {km_json_get(rec, "time"), "time"};
            fd_time(&c, &t, 1);
            fd_envelope(&c);
            return KM_OK;
        }
        int rc = eb_finding(&c, rec, dt->str, &f, err);
        if (rc)
            return rc;
        /* the EventBridge event id: shared by the findings it delivered */
        ev->f[KM_F_REQUEST_ID] = fd_str(&c, km_json_get(rec, "id"), "id");
    }
    if (!km_json_get(f, "Id") && !km_json_get(f, "ProductArn") && !km_json_get(f, "GeneratorId"))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not an ASFF finding: no Id, ProductArn or GeneratorId");
    sh_finding(&c, f);
    return KM_OK;
}

const struct km_source km_source_aws_securityhub = {
    .name = "aws.securityhub",
    .provider = "aws",
    .summary = "AWS Security Hub findings in the AWS Security Finding Format (ASFF): "
               "BatchImportFindings/GetFindings, EventBridge",
    .doc = "docs/sources/aws_securityhub.md",
    .detect = sh_detect,
    .normalize = sh_normalize,
};

/* ---- GuardDuty ------------------------------------------------------------------ */

/* remoteIpDetails.ipAddressV4 / ipAddressV6 of one GuardDuty action. */
static struct km_str gd_remote_ip(struct fd *c, const struct km_json *act)
{
    const struct km_json *rip = gk(act, "remoteIpDetails");
    struct km_str s = fd_str(c, gk(rip, "ipAddressV4"), "remoteIpDetails.ipAddressV4");
    return s.p ? s : fd_str(c, gk(rip, "ipAddressV6"), "remoteIpDetails.ipAddressV6");
}

/* resource{} → resources[] entries; the access key's owner → actor. */
static void gd_resource(struct fd *c, const struct km_json *res, struct res *r)
{
    struct km_event *ev = c->ev;
    struct km_str rtype = fd_str(c, gk(res, "resourceType"), "resource.resourceType");
    const struct km_json *ak = fd_obj(c, gk(res, "accessKeyDetails"), "accessKeyDetails");
    if (ak) {
        struct km_str akid = fd_str(c, gk(ak, "accessKeyId"), "accessKeyDetails.accessKeyId");
        struct km_str user = fd_str(c, gk(ak, "userName"), "accessKeyDetails.userName");
        ev->f[KM_F_ACTOR_ACCESS_KEY] = akid;
        ev->f[KM_F_ACTOR_ID] = fd_str(c, gk(ak, "principalId"), "accessKeyDetails.principalId");
        ev->f[KM_F_ACTOR_TYPE] = fd_str(c, gk(ak, "userType"), "accessKeyDetails.userType");
        ev->f[KM_F_ACTOR_NAME] = user;
        fd_email(c, user);
        if (akid.p && akid.n > 4 && !memcmp(akid.p, "ASIA", 4))
            ev->f[KM_F_SESSION_ID] = akid;
        res_add(r, KM_STR("AccessKey"), akid, user, KM_STR_NONE);
    }
    const struct km_json *inst = fd_obj(c, gk(res, "instanceDetails"), "instanceDetails");
    if (inst)
        res_add(r, KM_STR("Instance"), fd_str(c, gk(inst, "instanceId"), "instanceId"),
                KM_STR_NONE, KM_STR_NONE);
    const struct km_json *s3 = gk(res, "s3BucketDetails");
    for (const struct km_json *b = km_json_is_arr(s3) ? s3->child : NULL; b; b = b->next)
        if (km_json_is_obj(b))
            res_add(r, KM_STR("S3Bucket"), fd_str(c, gk(b, "arn"), "s3BucketDetails[].arn"),
                    fd_str(c, gk(b, "name"), "s3BucketDetails[].name"), KM_STR_NONE);
    static const struct {
        const char *key, *type, *id, *name;
    } others[] = {
        {"eksClusterDetails", "EKSCluster", "arn", "name"},
        {"ecsClusterDetails", "ECSCluster", "arn", "name"},
        {"lambdaDetails", "Lambda", "functionArn", "functionName"},
        {"rdsDbInstanceDetails", "RDSDBInstance", "dbInstanceArn", "dbInstanceIdentifier"},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(others); i++) {
        const struct km_json *o = fd_obj(c, gk(res, others[i].key), others[i].key);
        if (o)
            res_add(r, km_str_c(others[i].type), fd_str(c, gk(o, others[i].id), others[i].id),
                    fd_str(c, gk(o, others[i].name), others[i].name), KM_STR_NONE);
    }
    if (!r->n)
        res_add(r, rtype, KM_STR_NONE, KM_STR_NONE, KM_STR_NONE);
}

static void gd_finding(struct fd *c, const struct km_json *f)
{
    struct km_event *ev = c->ev;
    ev->f[KM_F_CATEGORY] = KM_STR("finding");
    const struct km_json *svc = fd_obj(c, gk(f, "service"), "service");

    struct tcand cand[5];
    int n = 0;
    cand[n++] = (struct tcand){gk(f, "updatedAt"), "updatedAt"};
    cand[n++] = (struct tcand){gk(f, "createdAt"), "createdAt"};
    cand[n++] = (struct tcand){gk(svc, "eventLastSeen"), "service.eventLastSeen"};
    if (c->outer)
        cand[n++] = (struct tcand){km_json_get(c->outer, "time"), "time"};
    fd_time(c, cand, n);

    ev->f[KM_F_ACCOUNT] = fd_str2(c, gk(f, "accountId"), "accountId", 1);
    ev->f[KM_F_REGION] = fd_str(c, gk(f, "region"), "region");
    ev->f[KM_F_EVENT_ID] = fd_str(c, gk(f, "id"), "id");
    ev->f[KM_F_ACTION] = fd_str(c, gk(f, "type"), "type");
    ev->f[KM_F_SERVICE] = fd_str(c, gk(svc, "serviceName"), "service.serviceName");
    if (!ev->f[KM_F_SERVICE].p)
        ev->f[KM_F_SERVICE] = KM_STR("guardduty");

    const struct km_json *sv = gk(f, "severity");
    double d;
    if (km_json_is_num(sv) && km_json_f64(sv, &d) == KM_OK && d >= 0 && d <= 10)
        ev->severity = (int16_t)lround(d * 10);
    else if (!absent(sv))
        fd_problem(c, "severity is not a number from 0 to 10");

    int bad;
    int archived = bool_of(gk(svc, "archived"), &bad);
    if (bad)
        fd_problem(c, "service.archived is not true/false");
    ev->f[KM_F_OUTCOME] = archived == 1 ? KM_STR("unknown") : KM_STR("failure");

    struct res r;
    memset(&r, 0, sizeof r);
    km_buf_init(&r.b, 1u << 20);
    const struct km_json *res = fd_obj(c, gk(f, "resource"), "resource");
    if (res)
        gd_resource(c, res, &r);

    const struct km_json *act = fd_obj(c, gk(svc, "action"), "service.action");
    if (act) {
        const struct km_json *api = fd_obj(c, gk(act, "awsApiCallAction"), "awsApiCallAction");
        static const char *const ip_actions[] = {"awsApiCallAction", "networkConnectionAction",
                                                 "kubernetesApiCallAction", "rdsLoginAttemptAction"};
        for (size_t i = 0; i < KM_ARRAY_LEN(ip_actions); i++)
            fd_src(c, gd_remote_ip(c, gk(act, ip_actions[i])));
        const struct km_json *pp = gk(gk(act, "portProbeAction"), "portProbeDetails");
        if (km_json_is_arr(pp) && pp->child)
            fd_src(c, gd_remote_ip(c, pp->child));
        /* a caller that is an AWS service is named by domain, like CloudTrail's
         * sourceIPAddress: raw only */
        fd_src(c, fd_str(c, gk(gk(api, "domainDetails"), "domain"), "domainDetails.domain"));
        ev->f[KM_F_USER_AGENT] = fd_str(c, gk(api, "userAgent"), "awsApiCallAction.userAgent");
        ev->f[KM_F_ERROR_CODE] = fd_str(c, gk(api, "errorCode"), "awsApiCallAction.errorCode");
        const struct km_json *aff = gk(api, "affectedResources");
        for (const struct km_json *e = km_json_is_obj(aff) ? aff->child : NULL; e; e = e->next)
            res_add(&r, (struct km_str){e->key, e->key_len},
                    fd_str(c, e, "affectedResources value"), KM_STR_NONE, KM_STR_NONE);
    }
    ev->f[KM_F_RESOURCES] = res_done(c, &r);
    fd_envelope(c);
}

static int gd_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *dt = km_json_get(rec, "detail-type");
    if (dt) {
        if (str_is(dt, "GuardDuty Finding") && km_json_is_obj(km_json_get(rec, "detail")))
            return 95;
        return !km_json_is_str(dt) && arr_has(km_json_get(rec, "source"), "aws.guardduty") ? 40 : 0;
    }
    if (arr_has(km_json_get(rec, "source"), "aws.guardduty"))
        return 40;
    const struct km_json *type = gk(rec, "type"), *svc = gk(rec, "service"),
                         *res = gk(rec, "resource"), *sev = gk(rec, "severity"),
                         *arn = gk(rec, "arn");
    if (!km_json_is_str(type) || !(km_json_is_obj(svc) || km_json_is_obj(res)))
        return 0;
    int garn = km_json_is_str(arn) && memmem(arn->str, arn->len, ":guardduty:", 11);
    if (!km_json_is_num(sev) && !garn)
        return 0;
    int s = km_json_is_obj(svc) ? 25 : 0;
    s += km_json_is_obj(res) ? 20 : 0;
    s += km_json_is_num(sev) ? 20 : 0;
    s += memchr(type->str, ':', type->len) ? 15 : 0;
    s += garn ? 20 : 0;
    s += gk(rec, "accountId") ? 5 : 0;
    s += gk(rec, "schemaVersion") ? 5 : 0;
    if (wrapper && (!strcmp(wrapper, "Findings") || !strcmp(wrapper, "findings")))
        s += 10;
    return s > 100 ? 100 : s;
}

static int gd_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "GuardDuty record is a JSON %s, not an object", type_name(rec));
    struct fd c = {ctx, ev, NULL};
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.guardduty");
    const struct km_json *f = rec;
    const struct km_json *dt = km_json_get(rec, "detail-type");
    if (km_json_is_arr(km_json_get(rec, "source")) || km_json_is_arr(dt))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "an EventBridge event pattern (list-valued source/detail-type), "
                          "not an event");
    if (dt) {
        c.outer = rec;
        f = km_json_get(rec, "detail");
        if (!km_json_is_obj(f))
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "EventBridge event without a detail object");
    }
    if (!km_json_is_str(gk(f, "type")) && !gk(f, "id"))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not a GuardDuty finding: no type or id");
    gd_finding(&c, f);
    return KM_OK;
}

const struct km_source km_source_aws_guardduty = {
    .name = "aws.guardduty",
    .provider = "aws",
    .summary = "Amazon GuardDuty findings: GetFindings (API/CLI), S3 export, EventBridge",
    .doc = "docs/sources/aws_guardduty.md",
    .detect = gd_detect,
    .normalize = gd_normalize,
};
