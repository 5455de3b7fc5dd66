/*
 * cloudtrail.c — AWS CloudTrail records (and CloudTrail digest files) to
 * normalized events. docs/sources/cloudtrail.md has the field mapping, the
 * shapes and the quirks; this comment only sketches the code.
 *
 * One record arrives in one of five shapes; each is reduced to an `inner`
 * CloudTrail record plus an optional `outer` envelope that supplies fallbacks:
 *
 *   plain          {eventVersion, eventTime, ..., userIdentity{...}}   inner = rec
 *   logstash/OTRF  same, eventTime replaced by "@timestamp"            inner = rec
 *   lookup-events  {EventId, EventTime, ..., CloudTrailEvent:"{...}"}  inner = parsed string
 *   CloudWatch     {timestamp, message:"{...}", ...}                   inner = parsed string
 *   EventBridge    {"detail-type":"AWS API Call via CloudTrail",
 *                   time, account, region, detail{...}}                inner = detail
 *
 * The inner record's top-level members are picked up in one pass into
 * slots (struct ct_rec); everything after that is slot lookups. Embedded
 * JSON strings are parsed in place into ctx->arena (the string is inside the
 * record buffer, which the caller lets us modify). Every string in the event
 * points into the parsed record (zero-copy) except the few that are built
 * (lower-cased e-mail, "role/session" when the ARN lacks it, resources JSON,
 * principal@creationDate session ids, canonical IPv6 text), which live in
 * ctx->arena.
 *
 * Records exported with lower-cased keys ("eventname", "useridentity", seen
 * in Panther test data) are read with case-insensitive key matching when the
 * exact keys are missing.
 */
#include "sources/source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/ip.h"
#include "core/timeparse.h"

/* ---- per-record state ----------------------------------------------------- */

enum ct_slot {
    S_EVENTVERSION,
    S_EVENTTIME,
    S_EVENTSOURCE,
    S_EVENTNAME,
    S_AWSREGION,
    S_SOURCEIP,
    S_USERAGENT,
    S_USERIDENTITY,
    S_ERRORCODE,
    S_ERRORMESSAGE,
    S_REQUESTID,
    S_EVENTID,
    S_EVENTTYPE,
    S_READONLY,
    S_RESOURCES,
    S_RECIPIENT,
    S_RESPONSE,
    S_ADDITIONAL,
    S_INSIGHT,
    S_ATTIMESTAMP,
    S__COUNT
};

static const struct {
    const char *name;
    uint32_t len;
} ct_slot_keys[S__COUNT] = {
#define K(s) {s, (uint32_t)sizeof(s) - 1}
    [S_EVENTVERSION] = K("eventVersion"),
    [S_EVENTTIME] = K("eventTime"),
    [S_EVENTSOURCE] = K("eventSource"),
    [S_EVENTNAME] = K("eventName"),
    [S_AWSREGION] = K("awsRegion"),
    [S_SOURCEIP] = K("sourceIPAddress"),
    [S_USERAGENT] = K("userAgent"),
    [S_USERIDENTITY] = K("userIdentity"),
    [S_ERRORCODE] = K("errorCode"),
    [S_ERRORMESSAGE] = K("errorMessage"),
    [S_REQUESTID] = K("requestID"),
    [S_EVENTID] = K("eventID"),
    [S_EVENTTYPE] = K("eventType"),
    [S_READONLY] = K("readOnly"),
    [S_RESOURCES] = K("resources"),
    [S_RECIPIENT] = K("recipientAccountId"),
    [S_RESPONSE] = K("responseElements"),
    [S_ADDITIONAL] = K("additionalEventData"),
    [S_INSIGHT] = K("insightDetails"),
    [S_ATTIMESTAMP] = K("@timestamp"),
#undef K
};

enum ct_shape { SH_PLAIN, SH_LOOKUP, SH_CLOUDWATCH, SH_EVENTBRIDGE, SH_CSV };

struct ct {
    struct km_norm_ctx *ctx;
    struct km_event *ev;
    int ci;                                  /* case-insensitive key matching */
    int shape;                               /* enum ct_shape */
    const struct km_json *outer;             /* envelope, or NULL */
    const struct km_json *inner;             /* the CloudTrail record, or NULL */
    const struct km_json *s[S__COUNT];       /* inner's members by slot */
    struct km_str ui_account;                /* userIdentity.accountId */
};

#define ct_note(c, ...) km_norm_note((c)->ctx, __VA_ARGS__)

/* a field of an unexpected type or value: counted, flagged, first one noted */
#define ct_problem(c, ...) km_norm_problem((c)->ctx, (c)->ev, __VA_ARGS__)

#define type_name km_json_type_name

/* Member lookup honouring the record's key-case mode. */
static const struct km_json *ct_get(const struct ct *c, const struct km_json *obj, const char *key)
{
    const struct km_json *v = km_json_get(obj, key);
    if (!v && c->ci)
        v = km_json_geti(obj, key);
    return v;
}

#define absent km_json_absent

/* One pass over obj's members into c->s[]; with ci, only fills empty slots
 * using case-insensitive matching. */
static void ct_collect(struct ct *c, const struct km_json *obj, int ci)
{
    for (const struct km_json *m = obj->child; m; m = m->next) {
        for (int k = 0; k < S__COUNT; k++) {
            if (c->s[k] || m->key_len != ct_slot_keys[k].len)
                continue;
            if (ci ? strncasecmp(m->key, ct_slot_keys[k].name, m->key_len) == 0
                   : memcmp(m->key, ct_slot_keys[k].name, m->key_len) == 0) {
                c->s[k] = m;
                break;
            }
        }
    }
}

/*
 * String view of a value where a string belongs. null / absent / "" give
 * KM_STR_NONE. A number gives its text and counts a problem; booleans,
 * objects and arrays count a problem and give KM_STR_NONE.
 */
static struct km_str ct_str(struct ct *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return KM_STR_NONE;
    if (v->type == KM_JSON_STRING)
        return v->len ? km_json_sv(v) : KM_STR_NONE;
    ct_problem(c, "%s is a %s, expected a string", what, type_name(v));
    return v->type == KM_JSON_NUMBER ? km_json_sv(v) : KM_STR_NONE;
}

static void set(struct km_event *ev, enum km_field f, struct km_str s)
{
    if (s.p && !ev->f[f].p)
        ev->f[f] = s;
}

/* Joins a, sep, b into the arena. */
static struct km_str ct_join(struct ct *c, struct km_str a, char sep, struct km_str b)
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

/* The text after `marker` in s (e.g. ":assumed-role/" in an ARN). */
static struct km_str after(struct km_str s, const char *marker)
{
    size_t m = strlen(marker);
    if (!s.p || s.n < m)
        return KM_STR_NONE;
    for (uint32_t i = 0; i + m <= s.n; i++)
        if (memcmp(s.p + i, marker, m) == 0) {
            struct km_str r = {s.p + i + m, (uint32_t)(s.n - i - m)};
            return r.n ? r : KM_STR_NONE;
        }
    return KM_STR_NONE;
}

/* The text after the first `ch` in s. */
static struct km_str after_ch(struct km_str s, char ch)
{
    const char *p = s.p ? memchr(s.p, ch, s.n) : NULL;
    if (!p || p + 1 == s.p + s.n)
        return KM_STR_NONE;
    return (struct km_str){p + 1, (uint32_t)(s.p + s.n - p - 1)};
}

/* "true"/"false" in any case, or a JSON boolean: 1 / 0; -1 otherwise
 * (absent or unrecognised). */
static int bool_of(const struct km_json *v, int *bad)
{
    *bad = 0;
    if (absent(v))
        return -1;
    if (v->type == KM_JSON_TRUE)
        return 1;
    if (v->type == KM_JSON_FALSE)
        return 0;
    if (v->type == KM_JSON_STRING) {
        if (v->len == 4 && strncasecmp(v->str, "true", 4) == 0)
            return 1;
        if (v->len == 5 && strncasecmp(v->str, "false", 5) == 0)
            return 0;
        if (v->len == 3 && strncasecmp(v->str, "yes", 3) == 0)
            return 1;
        if (v->len == 2 && strncasecmp(v->str, "no", 2) == 0)
            return 0;
    }
    *bad = 1;
    return -1;
}

/*
 * Parses JSON embedded in a string member. When `in_place`, the string itself
 * is parsed (it is mutable record memory and is consumed); otherwise a copy in
 * the arena is. Returns the parsed object, or NULL (and counts a problem)
 * when the text is not a JSON object. A member that already is an object is
 * returned as is.
 */
static const struct km_json *ct_embedded(struct ct *c, const struct km_json *v, const char *what,
                                         int in_place)
{
    if (absent(v))
        return NULL;
    if (v->type == KM_JSON_OBJECT)
        return v;
    if (v->type != KM_JSON_STRING) {
        ct_problem(c, "%s is a %s, expected an object or a JSON string", what, type_name(v));
        return NULL;
    }
    char *buf = (char *)v->str;
    if (!in_place && !(buf = km_arena_strndup(c->ctx->arena, v->str, v->len)))
        return NULL;
    struct km_json_limits lim;
    km_json_limits_default(&lim);
    lim.max_depth = 128;
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse(buf, v->len, &lim, c->ctx->arena, &root, &e) != KM_OK) {
        ct_problem(c, "%s is not valid JSON (offset %llu: %.60s)", what,
                   (unsigned long long)(e.offset == UINT64_MAX ? 0 : e.offset), e.msg);
        return NULL;
    }
    if (!km_json_is_obj(root)) {
        ct_problem(c, "%s holds a JSON %s, expected an object", what, type_name(root));
        return NULL;
    }
    return root;
}

/* ---- time ----------------------------------------------------------------- */

/* Tries one time candidate. Returns 1 and sets *us when it parses; counts a
 * problem when present but unusable. */
static int try_time(struct ct *c, const struct km_json *v, const char *what, int64_t *us)
{
    if (absent(v))
        return 0;
    if (v->type == KM_JSON_STRING) {
        if (km_time_parse(v->str, v->len, us) == KM_OK)
            return 1;
        ct_problem(c, "%s \"%.40s\" is not a timestamp", what, v->str);
        return 0;
    }
    if (v->type == KM_JSON_NUMBER) {
        int64_t n;
        if (strcmp(what, "timestamp") == 0) {
            /* CloudWatch Logs: epoch milliseconds */
            if (km_json_i64(v, &n) == KM_OK) {
                *us = km_time_from_epoch_ms(n);
                return 1;
            }
        } else {
            /* an epoch number where text belongs: use it, but count it */
            ct_problem(c, "%s is a number, expected a timestamp string", what);
            return km_time_parse(v->str, v->len, us) == KM_OK;
        }
    }
    ct_problem(c, "%s is a %s, expected a timestamp", what, type_name(v));
    return 0;
}

static void ct_time(struct ct *c)
{
    struct km_event *ev = c->ev;
    int64_t us = 0;
    const struct km_json *et = c->s[S_EVENTTIME];
    if (try_time(c, et, "eventTime", &us)) {
        ev->time_us = us;
        return;
    }
    struct fallback {
        const struct km_json *v;
        const char *name;
    } fb[5];
    int n = 0;
    if (c->shape == SH_LOOKUP)
        fb[n++] = (struct fallback){ct_get(c, c->outer, "EventTime"), "EventTime"};
    fb[n++] = (struct fallback){c->s[S_ATTIMESTAMP] ? c->s[S_ATTIMESTAMP]
                                                     : ct_get(c, c->outer, "@timestamp"),
                                "@timestamp"};
    if (c->shape == SH_CLOUDWATCH)
        fb[n++] = (struct fallback){ct_get(c, c->outer, "timestamp"), "timestamp"};
    if (c->inner)   /* Panther's copy of the event time */
        fb[n++] = (struct fallback){ct_get(c, c->inner, "p_event_time"), "p_event_time"};
    if (c->shape == SH_EVENTBRIDGE)
        fb[n++] = (struct fallback){ct_get(c, c->outer, "time"), "time"};
    for (int i = 0; i < n; i++) {
        if (try_time(c, fb[i].v, fb[i].name, &us)) {
            ev->time_us = us;
            ev->flags |= KM_EV_TIME_FALLBACK;
            ct_note(c, "eventTime %s; used %s", absent(et) ? "missing" : "invalid", fb[i].name);
            return;
        }
    }
    ev->time_us = 0;
    ev->flags |= KM_EV_TIME_MISSING;
    ct_note(c, "eventTime %s and no fallback time; time set to 0",
            absent(et) ? "missing" : "invalid");
}

/* ---- actor ---------------------------------------------------------------- */

static void ct_email(struct ct *c, struct km_str cand)
{
    if (c->ev->f[KM_F_ACTOR_EMAIL].p || !km_str_is_email(cand))
        return;
    c->ev->f[KM_F_ACTOR_EMAIL] = km_norm_lower(c->ctx, cand);
}

static void ct_actor(struct ct *c)
{
    struct km_event *ev = c->ev;
    const struct km_json *ui = c->s[S_USERIDENTITY];
    ev->f[KM_F_ACTOR_TYPE] = KM_STR("");
    if (absent(ui))
        return;
    if (ui->type != KM_JSON_OBJECT) {
        ct_problem(c, "userIdentity is a %s, expected an object", type_name(ui));
        return;
    }
    struct km_str type = ct_str(c, ct_get(c, ui, "type"), "userIdentity.type");
    struct km_str pid = ct_str(c, ct_get(c, ui, "principalId"), "userIdentity.principalId");
    struct km_str arn = ct_str(c, ct_get(c, ui, "arn"), "userIdentity.arn");
    struct km_str acct = ct_str(c, ct_get(c, ui, "accountId"), "userIdentity.accountId");
    struct km_str user = ct_str(c, ct_get(c, ui, "userName"), "userIdentity.userName");
    struct km_str invoked = ct_str(c, ct_get(c, ui, "invokedBy"), "userIdentity.invokedBy");
    struct km_str akid = ct_str(c, ct_get(c, ui, "accessKeyId"), "userIdentity.accessKeyId");
    if (type.p)
        ev->f[KM_F_ACTOR_TYPE] = type;
    set(ev, KM_F_ACTOR_ID, pid);
    set(ev, KM_F_ACTOR_ARN, arn);
    set(ev, KM_F_ACTOR_ACCESS_KEY, akid);
    c->ui_account = acct;

    const struct km_json *sc = ct_get(c, ui, "sessionContext");
    const struct km_json *issuer = NULL, *attrs = NULL;
    struct km_str src_identity = KM_STR_NONE;
    if (!absent(sc)) {
        if (sc->type != KM_JSON_OBJECT) {
            ct_problem(c, "userIdentity.sessionContext is a %s, expected an object",
                       type_name(sc));
        } else {
            issuer = ct_get(c, sc, "sessionIssuer");
            attrs = ct_get(c, sc, "attributes");
            src_identity = ct_str(c, ct_get(c, sc, "sourceIdentity"), "sourceIdentity");
        }
    }
    struct km_str issuer_arn = KM_STR_NONE, issuer_name = KM_STR_NONE;
    if (km_json_is_obj(issuer)) {
        issuer_arn = ct_str(c, ct_get(c, issuer, "arn"), "sessionIssuer.arn");
        issuer_name = ct_str(c, ct_get(c, issuer, "userName"), "sessionIssuer.userName");
    }
    set(ev, KM_F_ACTOR_SESSION_ISSUER, issuer_arn);

    /* MFA: ConsoleLogin's additionalEventData.MFAUsed is read in ct_what();
     * the session attribute is the general source. */
    struct km_str creation = KM_STR_NONE;
    if (km_json_is_obj(attrs)) {
        int bad;
        int m = bool_of(ct_get(c, attrs, "mfaAuthenticated"), &bad);
        if (bad)
            ct_problem(c, "mfaAuthenticated is not true/false");
        ev->mfa = (int8_t)m;
        creation = ct_str(c, ct_get(c, attrs, "creationDate"), "creationDate");
    }

    /* actor.name, by identity type */
    struct km_str name = KM_STR_NONE, session = KM_STR_NONE;
    if (km_str_eqc(type, "AssumedRole")) {
        struct km_str rs = after(arn, ":assumed-role/");
        session = after_ch(rs, '/');
        if (!session.p)
            session = after_ch(pid, ':');
        if (rs.p)
            name = rs;
        else if (issuer_name.p && session.p)
            name = ct_join(c, issuer_name, '/', session);
        else
            name = issuer_name.p ? issuer_name : user;
    } else if (km_str_eqc(type, "FederatedUser")) {
        name = after(arn, ":federated-user/");
        if (!name.p)
            name = after_ch(pid, ':');
        if (!name.p)
            name = user;
        session = name;
    } else if (km_str_eqc(type, "Root")) {
        name = KM_STR("root");
    } else if (km_str_eqc(type, "AWSService")) {
        name = invoked;
    } else if (km_str_eqc(type, "AWSAccount")) {
        name = acct.p ? acct : pid;
    } else if (km_str_eqc(type, "IdentityCenterUser")) {
        name = user;
        if (!name.p) {
            const struct km_json *obo = ct_get(c, ui, "onBehalfOf");
            if (km_json_is_obj(obo))
                name = ct_str(c, ct_get(c, obo, "userId"), "onBehalfOf.userId");
        }
    } else {
        /* IAMUser, SAMLUser, WebIdentityUser, Unknown, Directory, none */
        name = user;
        if (!name.p && km_str_eqc(type, "IAMUser")) {
            struct km_str r = after(arn, ":user/");
            const char *slash = r.p ? memrchr(r.p, '/', r.n) : NULL;
            name = slash ? (struct km_str){slash + 1, (uint32_t)(r.p + r.n - slash - 1)} : r;
        }
    }
    if (!name.p)
        name = invoked;
    set(ev, KM_F_ACTOR_NAME, name);

    /* actor.email: the first e-mail-shaped name the record shows */
    ct_email(c, session);
    ct_email(c, user);
    ct_email(c, src_identity);
    const struct km_json *obo = ct_get(c, ui, "onBehalfOf");
    if (km_json_is_obj(obo))
        ct_email(c, ct_str(c, ct_get(c, obo, "userName"), "onBehalfOf.userName"));

    /* session_id: temporary credentials identify one session; otherwise the
     * principal plus the session's creation time */
    if (km_str_starts(akid, "ASIA"))
        ev->f[KM_F_SESSION_ID] = akid;
    else if (pid.p && creation.p)
        ev->f[KM_F_SESSION_ID] = ct_join(c, pid, '@', creation);
}

/* ---- what / result ---------------------------------------------------------- */

static int name_in(struct km_str s, const char *const *list)
{
    for (; *list; list++)
        if (km_str_eqc(s, *list))
            return 1;
    return 0;
}

static const char *const ct_auth_sts[] = {
    "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetFederationToken", NULL};
static const char *const ct_auth_sso[] = {"Authenticate", "Federate", NULL};
static const char *const ct_signin_changes[] = {
    "PasswordUpdated", "PasswordRecoveryCompleted", NULL};
static const char *const ct_identity_services[] = {
    "iam.amazonaws.com", "identitystore.amazonaws.com", "sso-directory.amazonaws.com", NULL};
static const char *const ct_write_verbs[] = {
    "Create", "Delete", "Update", "Attach", "Detach", "Put", "Add", "Remove", "Enable",
    "Deactivate", "Upload", "Change", "Set", "Reset", "Resync", NULL};

static const char *ct_category(struct km_str svc, struct km_str act, int insight)
{
    if (insight)
        return "finding";
    if (km_str_eqc(svc, "signin.amazonaws.com"))
        return name_in(act, ct_signin_changes) ? "account_change" : "authentication";
    if (km_str_eqc(svc, "sts.amazonaws.com") && name_in(act, ct_auth_sts))
        return "authentication";
    if (km_str_eqc(svc, "sso.amazonaws.com") && name_in(act, ct_auth_sso))
        return "authentication";
    if (name_in(svc, ct_identity_services))
        for (const char *const *v = ct_write_verbs; *v; v++)
            if (km_str_starts(act, *v) && act.n > strlen(*v) && act.p[strlen(*v)] >= 'A' &&
                act.p[strlen(*v)] <= 'Z')
                return "account_change";
    return "api";
}

/* Builds the resources JSON array from CloudTrail resources[] (keys type,
 * ARN / ARNPrefix, accountId) or lookup-events Resources[] (ResourceType,
 * ResourceName). Empty → absent. */
static struct km_str ct_resources(struct ct *c, const struct km_json *arr, int lookup)
{
    if (absent(arr))
        return KM_STR_NONE;
    if (arr->type != KM_JSON_ARRAY) {
        ct_problem(c, "resources is a %s, expected an array", type_name(arr));
        return KM_STR_NONE;
    }
    struct km_buf b;
    km_buf_init(&b, 1u << 20);
    km_buf_addc(&b, '[');
    int n = 0;
    for (const struct km_json *r = arr->child; r; r = r->next) {
        if (r->type != KM_JSON_OBJECT) {
            ct_problem(c, "resources[] element is a %s, expected an object", type_name(r));
            continue;
        }
        struct km_str kv[4];
        static const char *const out_keys[4] = {"type", "id", "name", "account"};
        if (lookup) {
            kv[0] = ct_str(c, ct_get(c, r, "ResourceType"), "ResourceType");
            kv[1] = KM_STR_NONE;
            kv[2] = ct_str(c, ct_get(c, r, "ResourceName"), "ResourceName");
            kv[3] = KM_STR_NONE;
        } else {
            kv[0] = ct_str(c, ct_get(c, r, "type"), "resources[].type");
            kv[1] = ct_str(c, ct_get(c, r, "ARN"), "resources[].ARN");
            if (!kv[1].p)
                kv[1] = ct_str(c, ct_get(c, r, "ARNPrefix"), "resources[].ARNPrefix");
            kv[2] = KM_STR_NONE;
            kv[3] = ct_str(c, ct_get(c, r, "accountId"), "resources[].accountId");
        }
        if (!kv[0].p && !kv[1].p && !kv[2].p && !kv[3].p)
            continue;
        km_buf_adds(&b, n++ ? ",{" : "{");
        int first = 1;
        for (int k = 0; k < 4; k++) {
            if (!kv[k].p)
                continue;
            if (!first)
                km_buf_addc(&b, ',');
            first = 0;
            km_json_write_str(&b, out_keys[k], strlen(out_keys[k]));
            km_buf_addc(&b, ':');
            km_json_write_str(&b, kv[k].p, kv[k].n);
        }
        km_buf_addc(&b, '}');
    }
    km_buf_addc(&b, ']');
    struct km_str res = KM_STR_NONE;
    if (n && !b.oom) {
        char *p = km_arena_strndup(c->ctx->arena, b.p, b.n);
        if (p)
            res = (struct km_str){p, (uint32_t)b.n};
    } else if (b.oom) {
        ct_problem(c, "resources too large; dropped");
    }
    km_buf_free(&b);
    return res;
}

static void ct_what(struct ct *c)
{
    struct km_event *ev = c->ev;
    const struct km_json *o = c->shape == SH_LOOKUP ? c->outer : NULL;
    struct km_str svc = ct_str(c, c->s[S_EVENTSOURCE], "eventSource");
    struct km_str act = ct_str(c, c->s[S_EVENTNAME], "eventName");
    int insight = 0;
    const struct km_json *ins = c->s[S_INSIGHT];
    if (km_json_is_obj(ins)) {
        insight = 1;
        if (!svc.p)
            svc = ct_str(c, ct_get(c, ins, "eventSource"), "insightDetails.eventSource");
        if (!act.p)
            act = ct_str(c, ct_get(c, ins, "eventName"), "insightDetails.eventName");
    }
    if (o && !svc.p)
        svc = ct_str(c, ct_get(c, o, "EventSource"), "EventSource");
    if (o && !act.p)
        act = ct_str(c, ct_get(c, o, "EventName"), "EventName");
    ev->f[KM_F_SERVICE] = svc;
    ev->f[KM_F_ACTION] = act;
    ev->f[KM_F_CATEGORY] = km_str_c(ct_category(svc, act, insight));

    ev->f[KM_F_REGION] = ct_str(c, c->s[S_AWSREGION], "awsRegion");
    set(ev, KM_F_ACCOUNT, ct_str(c, c->s[S_RECIPIENT], "recipientAccountId"));
    set(ev, KM_F_ACCOUNT, c->ui_account);

    struct km_str raw = ct_str(c, c->s[S_SOURCEIP], "sourceIPAddress");
    if (raw.p) {
        ev->f[KM_F_SRC_RAW] = raw;
        char canon[KM_IP_TEXT_MAX];
        if (km_ip_canon(raw.p, raw.n, canon)) {
            size_t cl = strlen(canon);
            if (cl == raw.n && memcmp(canon, raw.p, cl) == 0) {
                ev->f[KM_F_SRC_IP] = raw;
            } else {
                char *p = km_arena_strndup(c->ctx->arena, canon, cl);
                if (p)
                    ev->f[KM_F_SRC_IP] = (struct km_str){p, (uint32_t)cl};
            }
        }
    }
    struct km_str ua = ct_str(c, c->s[S_USERAGENT], "userAgent");
    if (ua.n >= 2 && ua.p[0] == '[' && ua.p[ua.n - 1] == ']') {
        ua.p++;
        ua.n -= 2;
        if (!ua.n)
            ua = KM_STR_NONE;
    }
    ev->f[KM_F_USER_AGENT] = ua;

    struct km_str ecode = ct_str(c, c->s[S_ERRORCODE], "errorCode");
    struct km_str emsg = ct_str(c, c->s[S_ERRORMESSAGE], "errorMessage");
    ev->f[KM_F_ERROR_CODE] = ecode;
    ev->f[KM_F_ERROR_MESSAGE] = emsg;

    /* sign-in events report their result (and MFA) in the body */
    int failed = ecode.p || emsg.p;
    if (km_str_eqc(svc, "signin.amazonaws.com") && act.p) {
        const struct km_json *resp = ct_embedded(c, c->s[S_RESPONSE], "responseElements", 0);
        const struct km_json *r = km_json_getn(resp, act.p, act.n);
        if (km_json_is_str(r) && strcasecmp(r->str, "Failure") == 0)
            failed = 1;
        const struct km_json *add = ct_embedded(c, c->s[S_ADDITIONAL], "additionalEventData", 0);
        const struct km_json *mfa = ct_get(c, add, "MFAUsed");
        if (!absent(mfa)) {
            int bad;
            int m = bool_of(mfa, &bad);
            if (bad)
                ct_problem(c, "MFAUsed is not Yes/No");
            else
                ev->mfa = (int8_t)m;
        }
    }
    if (failed)
        ev->f[KM_F_OUTCOME] = KM_STR("failure");
    else if (!c->inner)
        ev->f[KM_F_OUTCOME] = KM_STR("unknown");   /* lookup-events summary only */
    else
        ev->f[KM_F_OUTCOME] = KM_STR("success");

    ev->f[KM_F_EVENT_ID] = ct_str(c, c->s[S_EVENTID], "eventID");
    if (o)
        set(ev, KM_F_EVENT_ID, ct_str(c, ct_get(c, o, "EventId"), "EventId"));
    ev->f[KM_F_EVENT_TYPE] = ct_str(c, c->s[S_EVENTTYPE], "eventType");
    ev->f[KM_F_REQUEST_ID] = ct_str(c, c->s[S_REQUESTID], "requestID");

    int bad;
    int ro = bool_of(c->s[S_READONLY], &bad);
    if (bad)
        ct_problem(c, "readOnly is not true/false");
    if (ro < 0 && o) {
        ro = bool_of(ct_get(c, o, "ReadOnly"), &bad);
        if (bad)
            ct_problem(c, "ReadOnly is not true/false");
    }
    ev->read_only = (int8_t)ro;

    ev->f[KM_F_RESOURCES] = ct_resources(c, c->s[S_RESOURCES], 0);
    if (!ev->f[KM_F_RESOURCES].p && o)
        ev->f[KM_F_RESOURCES] = ct_resources(c, ct_get(c, o, "Resources"), 1);

    if (o) {
        set(ev, KM_F_ACTOR_NAME, ct_str(c, ct_get(c, o, "Username"), "Username"));
        set(ev, KM_F_ACTOR_ACCESS_KEY, ct_str(c, ct_get(c, o, "AccessKeyId"), "AccessKeyId"));
    }
    if (c->shape == SH_EVENTBRIDGE) {
        set(ev, KM_F_ACCOUNT, ct_str(c, ct_get(c, c->outer, "account"), "account"));
        set(ev, KM_F_REGION, ct_str(c, ct_get(c, c->outer, "region"), "region"));
    }
}

/* ---- module entry points ---------------------------------------------------- */

static int ends_with(const struct km_json *v, const char *suf)
{
    size_t n = strlen(suf);
    return km_json_is_str(v) && v->len >= n && memcmp(v->str + v->len - n, suf, n) == 0;
}

static const char *const ct_eb_detail_types[] = {
    "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
    "AWS Service Event via CloudTrail", "AWS Console Action via CloudTrail",
    "AWS Insight via CloudTrail", NULL};

static int ct_score_record(const struct km_json *rec)
{
    const struct km_json *ver = NULL, *src = NULL, *name = NULL, *ui = NULL, *region = NULL,
                         *etype = NULL, *ins = NULL, *plt = NULL;
    for (const struct km_json *m = rec->child; m; m = m->next) {
        switch (m->key_len) {
        case 9:
            if (!memcmp(m->key, "eventName", 9))
                name = m;
            else if (!memcmp(m->key, "awsRegion", 9))
                region = m;
            else if (!memcmp(m->key, "eventType", 9))
                etype = m;
            break;
        case 10:
            if (!memcmp(m->key, "p_log_type", 10))
                plt = m;
            break;
        case 11:
            if (!memcmp(m->key, "eventSource", 11))
                src = m;
            break;
        case 12:
            if (!memcmp(m->key, "eventVersion", 12))
                ver = m;
            else if (!memcmp(m->key, "userIdentity", 12))
                ui = m;
            break;
        case 14:
            if (!memcmp(m->key, "insightDetails", 14))
                ins = m;
            break;
        }
    }
    if (!src && !name && !ver) {
        /* lower-cased exports */
        src = km_json_geti(rec, "eventSource");
        name = km_json_geti(rec, "eventName");
        ver = km_json_geti(rec, "eventVersion");
    }
    int s = 0;
    if (km_json_is_str(ver))
        s += 40;
    if (km_json_is_str(src))
        s += ends_with(src, ".amazonaws.com") ? 40 : 25;
    if (km_json_is_str(name))
        s += 20;
    if (km_json_is_obj(ui))
        s += 10;
    if (km_json_is_str(region))
        s += 10;
    if (km_json_is_str(etype) && etype->len > 3 && !memcmp(etype->str, "Aws", 3))
        s += 10;
    if (km_json_is_obj(ins))
        s += 30;
    if (km_json_is_str(plt) && !strcmp(plt->str, "AWS.CloudTrail") && (name || src))
        s += 40;
    if (!name && !src && !ins)
        s = s > 30 ? 30 : s;   /* not an event we can name */
    return s > 100 ? 100 : s;
}

/* ---- CSV rows ------------------------------------------------------------------
 *
 * A CSV export reaches us as the splitter's JSON object of one row, keyed by
 * the column names: the CloudTrail console's "Download events → CSV" (Event
 * ID, Event time, User name, Event name, Resource type, Resource name, AWS
 * access key, AWS region, Error code, Source IP address, Event source,
 * Read-only) and flattened alert exports such as the OTRF honey-bucket file
 * (Event Type, Event Name, Request ID, User ID, Request Parameters, Event ID,
 * Event DateTime, Source IP, Request User Agent), whose User ID and Request
 * Parameters cells hold Python-repr dicts. The columns are put into the same
 * slots as a JSON record's members (the dicts are turned into JSON and
 * parsed), so time, actor and the rest go through the code above.
 */

static const struct {
    const char *name;
    int slot;
} ct_csv_cols[] = {
    {"Event ID", S_EVENTID},           {"Event time", S_EVENTTIME},
    {"Event DateTime", S_EVENTTIME},   {"Event name", S_EVENTNAME},
    {"Event source", S_EVENTSOURCE},   {"AWS region", S_AWSREGION},
    {"Source IP address", S_SOURCEIP}, {"Source IP", S_SOURCEIP},
    {"User agent", S_USERAGENT},       {"Request User Agent", S_USERAGENT},
    {"Error code", S_ERRORCODE},       {"Error message", S_ERRORMESSAGE},
    {"Request ID", S_REQUESTID},       {"Event Type", S_EVENTTYPE},
    {"Read-only", S_READONLY},         {"User ID", S_USERIDENTITY},
    {"User identity", S_USERIDENTITY},
};

/* Case-insensitive column lookup (names are as the splitter cleaned them). */
static const struct km_json *ct_col(const struct km_json *rec, const char *name)
{
    size_t n = strlen(name);
    for (const struct km_json *m = rec->child; m; m = m->next)
        if (m->key_len == n && strncasecmp(m->key, name, n) == 0)
            return m;
    return NULL;
}

/* Detect score of a CSV row: "Event name" and an event id or time column. */
static int ct_csv_score(const struct km_json *rec)
{
    const struct km_json *name = ct_col(rec, "Event name");
    if (!km_json_is_str(name))
        return 0;
    if (!km_json_is_str(ct_col(rec, "Event ID")) && !km_json_is_str(ct_col(rec, "Event time")) &&
        !km_json_is_str(ct_col(rec, "Event DateTime")))
        return 0;
    const struct km_json *src = ct_col(rec, "Event source");
    if (ends_with(src, ".amazonaws.com"))
        return 95;
    return km_json_is_str(ct_col(rec, "AWS region")) || km_json_is_str(ct_col(rec, "User ID"))
               ? 85
               : 75;
}

/*
 * A Python repr of a dict or list ({'type': 'AWSAccount', 'n': None}) as
 * JSON text in b: quotes of either kind, \\ \' \" \n \t \r \xNN \uNNNN
 * escapes, None/True/False; anything else (tuples, b'', sets) fails.
 * Returns 0, or -1 when the text is not such a repr.
 */
static int ct_pyrepr_json(const char *s, size_t n, struct km_buf *b)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n && !b->oom) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\'' || ch == '"') {
            km_buf_addc(b, '"');
            for (i++; i < n && (unsigned char)s[i] != ch; i++) {
                unsigned char x = (unsigned char)s[i];
                if (x == '\\') {
                    if (++i >= n)
                        return -1;
                    switch (s[i]) {
                    case '\'':
                        km_buf_addc(b, '\'');
                        break;
                    case '"':
                    case '\\':
                    case 'n':
                    case 't':
                    case 'r':
                    case 'b':
                    case 'f':
                        km_buf_addc(b, '\\');
                        km_buf_addc(b, s[i]);
                        break;
                    case 'x':
                        if (i + 2 >= n || !strchr("0123456789abcdefABCDEF", s[i + 1]) ||
                            !strchr("0123456789abcdefABCDEF", s[i + 2]) || !s[i + 1] || !s[i + 2])
                            return -1;
                        km_buf_adds(b, "\\u00");
                        km_buf_add(b, s + i + 1, 2);
                        i += 2;
                        break;
                    case 'u':
                        if (i + 4 >= n)
                            return -1;
                        for (int k = 1; k <= 4; k++)
                            if (!s[i + k] || !strchr("0123456789abcdefABCDEF", s[i + k]))
                                return -1;
                        km_buf_add(b, s + i - 1, 6);
                        i += 4;
                        break;
                    default:
                        return -1;
                    }
                } else if (x == '"') {
                    km_buf_adds(b, "\\\"");
                } else if (x < 0x20) {
                    char e[6] = {'\\', 'u', '0', '0', hex[x >> 4], hex[x & 15]};
                    km_buf_add(b, e, 6);
                } else {
                    km_buf_addc(b, (char)x);
                }
            }
            if (i >= n)
                return -1;
            km_buf_addc(b, '"');
            i++;
        } else if (n - i >= 4 && memcmp(s + i, "None", 4) == 0) {
            km_buf_adds(b, "null");
            i += 4;
        } else if (n - i >= 4 && memcmp(s + i, "True", 4) == 0) {
            km_buf_adds(b, "true");
            i += 4;
        } else if (n - i >= 5 && memcmp(s + i, "False", 5) == 0) {
            km_buf_adds(b, "false");
            i += 5;
        } else if (strchr("{}[]:, \t\r\n-+.eE0123456789", ch) && ch) {
            km_buf_addc(b, (char)ch);
            i++;
        } else {
            return -1;
        }
    }
    return b->oom ? -1 : 0;
}

/* A cell holding a dict, as JSON or as a Python repr: the parsed object in
 * the arena, or NULL (a problem is counted when it looks like a dict but is
 * neither). */
static const struct km_json *ct_csv_dict(struct ct *c, const struct km_json *v, const char *what)
{
    if (!km_json_is_str(v) || v->len < 2 || v->str[0] != '{')
        return NULL;
    struct km_err e;
    struct km_json *root = km_norm_parse_embedded(c->ctx, v->str, v->len, 0, &e);
    if (km_json_is_obj(root))
        return root;
    struct km_buf b;
    km_buf_init(&b, 6 * (size_t)v->len + 16);
    root = NULL;
    if (ct_pyrepr_json(v->str, v->len, &b) == 0) {
        root = km_norm_parse_embedded(c->ctx, b.p, b.n, 0, &e);
        if (!km_json_is_obj(root))
            root = NULL;
    }
    km_buf_free(&b);
    if (!root)
        ct_problem(c, "%s is neither a JSON object nor a Python dict", what);
    return root;
}

/* A string node in the arena (for values the row implies). */
static const struct km_json *ct_mkstr(struct ct *c, const char *s, size_t n)
{
    struct km_json *v = km_arena_alloc(c->ctx->arena, sizeof *v);
    char *p = km_arena_strndup(c->ctx->arena, s, n);
    if (!v || !p)
        return NULL;
    memset(v, 0, sizeof *v);
    v->type = KM_JSON_STRING;
    v->str = p;
    v->len = (uint32_t)n;
    return v;
}

/* The region in an S3 host name: bucket.s3.REGION.amazonaws.com,
 * bucket.s3-REGION.amazonaws.com, s3.REGION.amazonaws.com. */
static struct km_str ct_s3_region(struct km_str host)
{
    static const char suf[] = ".amazonaws.com";
    if (!host.p || host.n < sizeof suf + 4 ||
        strncasecmp(host.p + host.n - (sizeof suf - 1), suf, sizeof suf - 1) != 0)
        return KM_STR_NONE;
    uint32_t end = host.n - (uint32_t)(sizeof suf - 1), b = 0;
    for (uint32_t i = 0; i + 3 <= end; i++)
        if ((i == 0 || host.p[i - 1] == '.') && !strncasecmp(host.p + i, "s3", 2) &&
            (host.p[i + 2] == '.' || host.p[i + 2] == '-'))
            b = i + 3;
    if (!b || b >= end)
        return KM_STR_NONE;
    struct km_str r = {host.p + b, end - b};
    /* xx-name-N or xx-gov-name-N */
    int dashes = 0;
    for (uint32_t i = 0; i < r.n; i++) {
        char ch = r.p[i];
        if (ch == '-')
            dashes++;
        else if (!(ch >= 'a' && ch <= 'z') && !(ch >= '0' && ch <= '9'))
            return KM_STR_NONE;
    }
    if (dashes < 2 || r.n < 9 || r.p[2] != '-' || r.p[r.n - 1] < '0' || r.p[r.n - 1] > '9')
        return KM_STR_NONE;
    return r;
}

/* Fills the slots from the row's columns; returns the Request Parameters
 * dict (or NULL). */
static const struct km_json *ct_csv_collect(struct ct *c, const struct km_json *rec)
{
    for (size_t k = 0; k < KM_ARRAY_LEN(ct_csv_cols); k++) {
        int s = ct_csv_cols[k].slot;
        if (!c->s[s])
            c->s[s] = ct_col(rec, ct_csv_cols[k].name);
    }
    const struct km_json *ui = c->s[S_USERIDENTITY];
    if (ui) {
        const struct km_json *d = ct_csv_dict(c, ui, "User ID");
        if (d) {
            c->s[S_USERIDENTITY] = d;
        } else {
            c->s[S_USERIDENTITY] = NULL;   /* an id, not an identity */
            set(c->ev, KM_F_ACTOR_ID, ct_str(c, ui, "User ID"));
        }
    }
    const struct km_json *rp = ct_csv_dict(c, ct_col(rec, "Request Parameters"),
                                           "Request Parameters");
    const struct km_json *bucket = ct_get(c, rp, "bucketName");
    if (km_json_is_str(bucket) && bucket->len) {
        if (!c->s[S_EVENTSOURCE])
            c->s[S_EVENTSOURCE] = ct_mkstr(c, "s3.amazonaws.com", 16);
        const struct km_json *host = ct_get(c, rp, "Host");
        struct km_str region = ct_s3_region(km_json_is_str(host) ? km_json_sv(host) : KM_STR_NONE);
        if (!c->s[S_AWSREGION] && region.p)
            c->s[S_AWSREGION] = ct_mkstr(c, region.p, region.n);
    }
    return rp;
}

/* Resources text of the row, run through ct_resources like a record's. */
static void ct_csv_resources(struct ct *c, const struct km_json *rec, const struct km_json *rp)
{
    struct km_buf b;
    int lookup = 0;
    km_buf_init(&b, 1u << 20);
    const struct km_json *bucket = ct_get(c, rp, "bucketName");
    struct km_str rt = ct_str(c, ct_col(rec, "Resource type"), "Resource type");
    struct km_str rn = ct_str(c, ct_col(rec, "Resource name"), "Resource name");
    if (rt.p || rn.p) {
        lookup = 1;
        km_buf_adds(&b, "[{\"ResourceType\":");
        km_json_write_str(&b, rt.p, rt.n);
        km_buf_adds(&b, ",\"ResourceName\":");
        km_json_write_str(&b, rn.p, rn.n);
        km_buf_adds(&b, "}]");
    } else if (km_json_is_str(bucket) && bucket->len) {
        km_buf_adds(&b, "[{\"type\":\"AWS::S3::Bucket\",\"ARN\":");
        km_buf_adds(&b, "\"arn:aws:s3:::");
        /* the bucket name inside the quoted ARN, escaped */
        struct km_buf t;
        km_buf_init(&t, 1u << 20);
        km_json_write_str(&t, bucket->str, bucket->len);
        if (t.n >= 2 && !t.oom)
            km_buf_add(&b, t.p + 1, t.n - 1);
        km_buf_free(&t);
        km_buf_adds(&b, "}]");
    }
    if (b.n && !b.oom) {
        char *p = km_arena_strndup(c->ctx->arena, b.p, b.n);
        struct km_json *arr = NULL;
        struct km_err e;
        km_err_clear(&e);
        if (p && km_json_parse(p, b.n, NULL, c->ctx->arena, &arr, &e) == KM_OK)
            c->ev->f[KM_F_RESOURCES] = ct_resources(c, arr, lookup);
    }
    km_buf_free(&b);
}

/* The columns that are no CloudTrail member: user name, access key,
 * resources; and the outcome of an export that has no error column. */
static void ct_csv_rest(struct ct *c, const struct km_json *rec, const struct km_json *rp)
{
    struct km_event *ev = c->ev;
    set(ev, KM_F_ACTOR_NAME, ct_str(c, ct_col(rec, "User name"), "User name"));
    struct km_str akid = ct_str(c, ct_col(rec, "AWS access key"), "AWS access key");
    set(ev, KM_F_ACTOR_ACCESS_KEY, akid);
    if (!ev->f[KM_F_SESSION_ID].p && km_str_starts(akid, "ASIA"))
        ev->f[KM_F_SESSION_ID] = akid;
    ct_email(c, ev->f[KM_F_ACTOR_NAME]);
    if (!ev->f[KM_F_RESOURCES].p)
        ct_csv_resources(c, rec, rp);
    /* the console export always has Event source and Error code columns; an
     * alert export without them does not say whether the call succeeded */
    if (km_str_eqc(ev->f[KM_F_OUTCOME], "success") && !ct_col(rec, "Event source"))
        ev->f[KM_F_OUTCOME] = KM_STR("unknown");
}

static int ct_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *v = km_json_get(rec, "CloudTrailEvent");
    if (km_json_is_str(v) || km_json_is_obj(v))
        return 95;
    v = km_json_get(rec, "message");
    if (km_json_is_str(v) && !km_json_get(rec, "eventName")) {
        if (memmem(v->str, v->len, "\"eventVersion\"", 14) &&
            memmem(v->str, v->len, "\"eventSource\"", 13))
            return 90;
        return 0;
    }
    v = km_json_get(rec, "detail-type");
    if (km_json_is_str(v)) {
        for (const char *const *d = ct_eb_detail_types; *d; d++)
            if (!strcmp(v->str, *d) && km_json_is_obj(km_json_get(rec, "detail")))
                return 95;
        return 0;
    }
    int s = ct_score_record(rec);
    if (!s && !wrapper)
        return ct_csv_score(rec);   /* a CSV row: column names, not members */
    if (s && wrapper && !strcmp(wrapper, "Records"))
        s = s + 10 > 100 ? 100 : s + 10;
    return s;
}

static int ct_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "CloudTrail record is a JSON %s, not an object", type_name(rec));
    struct ct c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.ev = ev;
    c.inner = rec;
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.cloudtrail");

    const struct km_json *v;
    if ((v = km_json_get(rec, "CloudTrailEvent")) != NULL) {
        c.shape = SH_LOOKUP;
        c.outer = rec;
        c.inner = ct_embedded(&c, v, "CloudTrailEvent", 1);
    } else if (km_json_is_str(v = km_json_get(rec, "message")) && !km_json_get(rec, "eventName")) {
        c.shape = SH_CLOUDWATCH;
        c.outer = rec;
        c.inner = ct_embedded(&c, v, "message", 1);
        if (!c.inner)
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "CloudWatch Logs message is not a CloudTrail record (%s)",
                              ctx->note);
    } else if (km_json_get(rec, "detail-type") && km_json_is_obj(v = km_json_get(rec, "detail"))) {
        c.shape = SH_EVENTBRIDGE;
        c.outer = rec;
        c.inner = v;
    }

    const struct km_json *csv_rp = NULL;
    if (c.shape == SH_PLAIN && !km_json_get(rec, "eventName") && !km_json_get(rec, "eventSource") &&
        ct_csv_score(rec)) {
        c.shape = SH_CSV;
        c.outer = rec;
        csv_rp = ct_csv_collect(&c, rec);
    } else if (c.inner) {
        ct_collect(&c, c.inner, 0);
        if (!c.s[S_EVENTNAME] && !c.s[S_EVENTSOURCE] && !c.s[S_EVENTTIME] && !c.s[S_INSIGHT]) {
            c.ci = 1;
            ct_collect(&c, c.inner, 1);
        }
    }
    int named = !absent(c.s[S_EVENTNAME]) || !absent(c.s[S_EVENTSOURCE]) ||
                km_json_is_obj(c.s[S_INSIGHT]);
    if (!named && c.shape == SH_LOOKUP)
        named = !absent(km_json_get(rec, "EventName")) || !absent(km_json_get(rec, "EventSource"));
    if (!named)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not a CloudTrail event: no eventName or eventSource%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);

    ct_time(&c);
    ct_actor(&c);
    ct_what(&c);
    if (c.shape == SH_CSV)
        ct_csv_rest(&c, rec, csv_rp);
    return KM_OK;
}

const struct km_source km_source_cloudtrail = {
    .name = "aws.cloudtrail",
    .provider = "aws",
    .summary = "AWS CloudTrail records: S3 delivery, event history (lookup-events), "
               "CloudWatch Logs, EventBridge, Logstash copies",
    .doc = "docs/sources/cloudtrail.md",
    .detect = ct_detect,
    .normalize = ct_normalize,
};

/* ---- digest files ----------------------------------------------------------- */

static int dg_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *start = km_json_get(rec, "digestStartTime");
    const struct km_json *files = km_json_get(rec, "logFiles");
    if (!start || !km_json_is_arr(files))
        return 0;
    return km_json_is_str(km_json_get(rec, "awsAccountId")) ? 100 : 90;
}

/*
 * A digest file is evidence about other evidence (hashes of the log files
 * delivered in an hour), not an activity event: emit = 0. The event is still
 * filled (time = digestEndTime, account) for callers that log it.
 */
static int dg_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 0;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "CloudTrail digest is not a JSON object");
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.cloudtrail.digest");
    ev->f[KM_F_EVENT_TYPE] = KM_STR("CloudTrailDigest");
    const struct km_json *a = km_json_get(rec, "awsAccountId");
    if (km_json_is_str(a) && a->len)
        ev->f[KM_F_ACCOUNT] = km_json_sv(a);
    const struct km_json *t = km_json_get(rec, "digestEndTime");
    if (!km_json_is_str(t) || km_time_parse(t->str, t->len, &ev->time_us) != KM_OK) {
        ev->time_us = 0;
        ev->flags |= KM_EV_TIME_MISSING;
    }
    return KM_OK;
}

const struct km_source km_source_cloudtrail_digest = {
    .name = "aws.cloudtrail.digest",
    .provider = "aws",
    .summary = "AWS CloudTrail digest files (log file integrity validation); evidence only",
    .doc = "docs/sources/cloudtrail.md",
    .detect = dg_detect,
    .normalize = dg_normalize,
};
