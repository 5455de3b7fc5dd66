/*
 * aws_config.c — AWS Config configuration items (CIs) and Config
 * notifications to normalized events. docs/sources/aws_config.md has the
 * field mapping, the shapes and the quirks; this comment sketches the code.
 *
 * Every shape is reduced to (outer envelope, notification body, CI):
 *
 *   CI alone / array element / snapshot or history file element
 *       {configurationItemCaptureTime, resourceType, resourceId, ...}   ci = rec
 *   notification  {messageType, configurationItem | configurationItemSummary
 *                  | newEvaluationResult | s3ObjectKey ..., notificationCreationTime}
 *                                                                     msg = rec
 *   SNS           {"Type":"Notification", "Message": msg as a JSON string (parsed
 *                  in place) or as an object (documentation examples), "Timestamp"}
 *   EventBridge   {"detail-type":"Config ...", "source":"aws.config", "time",
 *                  "account", "region", "detail": msg}
 *
 * The notification's messageType then decides what the record is: a CI change
 * (an event, category config_change), a compliance change (an event, category
 * finding) or a delivery / status notification (evidence only, emit = 0).
 * EventBridge event *patterns* (list-valued "source") are rejected.
 *
 * Strings in the event point into the parsed record (zero-copy) except the
 * built ones (service, resources and related JSON, the event id), which live
 * in ctx->arena.
 */
#include "sources/source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/timeparse.h"

/* ---- per-record state ----------------------------------------------------- */

struct cf {
    struct km_norm_ctx *ctx;
    struct km_event *ev;
    const struct km_json *outer;   /* SNS or EventBridge envelope, or NULL */
    const struct km_json *msg;     /* notification body, or NULL */
    const struct km_json *ci;      /* the configuration item, or NULL */
    int eventbridge;               /* outer is an EventBridge event */
};

#define cf_note(c, ...) km_norm_note((c)->ctx, __VA_ARGS__)

/* a field of an unexpected type or value: counted, flagged, first one noted */
#define cf_problem(c, ...) km_norm_problem((c)->ctx, (c)->ev, __VA_ARGS__)

#define type_name km_json_type_name

#define absent km_json_absent

/*
 * String view of a value where a string belongs: null / absent / "" give
 * KM_STR_NONE; a number gives its text (counted as a problem unless
 * `num_ok`); booleans, arrays and objects are counted and give KM_STR_NONE.
 */
static struct km_str cf_str2(struct cf *c, const struct km_json *v, const char *what, int num_ok)
{
    if (absent(v))
        return KM_STR_NONE;
    if (v->type == KM_JSON_STRING)
        return v->len ? km_json_sv(v) : KM_STR_NONE;
    if (v->type == KM_JSON_NUMBER && num_ok)
        return km_json_sv(v);
    cf_problem(c, "%s is a %s, expected a string", what, type_name(v));
    return v->type == KM_JSON_NUMBER ? km_json_sv(v) : KM_STR_NONE;
}

static struct km_str cf_str(struct cf *c, const struct km_json *v, const char *what)
{
    return cf_str2(c, v, what, 0);
}

/* Member lookup: exact key, else case-insensitive (configurationStateID,
 * "ARN" vs "arn" in different CI versions). */
static const struct km_json *gk(const struct km_json *obj, const char *key)
{
    const struct km_json *v = km_json_get(obj, key);
    return v ? v : km_json_geti(obj, key);
}

static struct km_str arena_copy(struct cf *c, const char *p, size_t n)
{
    char *s = km_arena_strndup(c->ctx->arena, p, n);
    return s ? (struct km_str){s, (uint32_t)n} : KM_STR_NONE;
}

/* Copies a finished buffer into the arena (KM_STR_NONE when empty or out of
 * memory, counted as a problem when the buffer hit its ceiling) and frees it. */
static struct km_str buf_done(struct cf *c, struct km_buf *b, int items, const char *what)
{
    struct km_str r = KM_STR_NONE;
    if (b->oom)
        cf_problem(c, "%s too large; dropped", what);
    else if (items)
        r = arena_copy(c, b->p, b->n);
    km_buf_free(b);
    return r;
}

/* Parses a JSON object embedded in a string member in place (the string is
 * consumed). An object member is returned as is. NULL (counted) otherwise. */
static const struct km_json *cf_embedded(struct cf *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return NULL;
    if (v->type == KM_JSON_OBJECT)
        return v;
    if (v->type != KM_JSON_STRING) {
        cf_problem(c, "%s is a %s, expected an object or a JSON string", what, type_name(v));
        return NULL;
    }
    struct km_json_limits lim;
    km_json_limits_default(&lim);
    lim.max_depth = 128;
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse((char *)v->str, v->len, &lim, c->ctx->arena, &root, &e) != KM_OK) {
        cf_problem(c, "%s is not valid JSON (offset %llu: %.60s)", what,
                   (unsigned long long)(e.offset == UINT64_MAX ? 0 : e.offset), e.msg);
        return NULL;
    }
    if (!km_json_is_obj(root)) {
        cf_problem(c, "%s holds a JSON %s, expected an object", what, type_name(root));
        return NULL;
    }
    return root;
}

/* ---- time ----------------------------------------------------------------- */

/*
 * A boto3 datetime dumped with str()/repr():
 *   datetime.datetime(2020, 4, 22, 13, 13, 17, 718000, tzinfo=tzlocal())
 * Returns 1 and the wall-clock time read as UTC in *us; *utc is 1 when the
 * tzinfo says UTC (tzutc(), datetime.timezone.utc, <UTC>), 0 when it is
 * local or absent (the offset is then unknown).
 */
static int py_datetime(const char *s, size_t n, int64_t *us, int *utc)
{
    static const char pre[] = "datetime.datetime(";
    size_t pl = sizeof pre - 1;
    if (n < pl + 1 || memcmp(s, pre, pl) != 0 || s[n - 1] != ')')
        return 0;
    long v[7] = {0, 0, 0, 0, 0, 0, 0};
    int k = 0;
    size_t i = pl;
    while (i < n - 1 && k < 7) {
        while (i < n - 1 && s[i] == ' ')
            i++;
        if (i >= n - 1 || s[i] < '0' || s[i] > '9')
            break;
        long x = 0;
        int digits = 0;
        while (i < n - 1 && s[i] >= '0' && s[i] <= '9' && digits < 9) {
            x = x * 10 + (s[i++] - '0');
            digits++;
        }
        if (i < n - 1 && s[i] >= '0' && s[i] <= '9')
            return 0;   /* too many digits */
        v[k++] = x;
        while (i < n - 1 && s[i] == ' ')
            i++;
        if (i < n - 1 && s[i] == ',')
            i++;
    }
    if (k < 3 || v[6] > 999999)
        return 0;
    const char *tz = memmem(s + i, n - i, "tzinfo=", 7);
    *utc = tz && (memmem(tz, (size_t)(s + n - tz), "tzutc()", 7) ||
                  memmem(tz, (size_t)(s + n - tz), "timezone.utc", 12) ||
                  memmem(tz, (size_t)(s + n - tz), "<UTC>", 5));
    char iso[40];
    int len = snprintf(iso, sizeof iso, "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%06ldZ", v[0], v[1],
                       v[2], v[3], v[4], v[5], v[6]);
    if (len <= 0 || (size_t)len >= sizeof iso)
        return 0;
    return km_time_parse(iso, (size_t)len, us) == KM_OK;
}

/* One time candidate: an ISO-8601 string or an epoch number (the AWS JSON
 * protocol writes timestamps as epoch seconds). Returns 1 and *us when it
 * parses; counts a present but unusable value (not a Python repr: the
 * caller handles those). */
static int try_time(struct cf *c, const struct km_json *v, const char *what, int64_t *us)
{
    if (absent(v))
        return 0;
    if (v->type == KM_JSON_STRING || v->type == KM_JSON_NUMBER) {
        if (km_time_parse(v->str, v->len, us) == KM_OK)
            return 1;
        int64_t t;
        int utc;
        if (v->type == KM_JSON_STRING && py_datetime(v->str, v->len, &t, &utc))
            return 0;
        cf_problem(c, "%s \"%.40s\" is not a timestamp", what,
                   v->type == KM_JSON_STRING ? v->str : "(number)");
        return 0;
    }
    cf_problem(c, "%s is a %s, expected a timestamp", what, type_name(v));
    return 0;
}

struct tcand {
    const struct km_json *v;
    const char *name;
};

/*
 * Sets ev->time_us from the first usable candidate. cand[0] is the primary
 * field; a later one sets KM_EV_TIME_FALLBACK and a note. A Python datetime
 * repr in the primary field is used directly when its tzinfo is UTC (counted
 * as a problem), and only after every other candidate when it is local time
 * (read as UTC, flagged). Returns 1 when the primary field gave an exact time.
 */
static int cf_time(struct cf *c, const struct tcand *cand, int n)
{
    struct km_event *ev = c->ev;
    int64_t us = 0, py_us = 0;
    int utc = 0, py = 0;
    const struct km_json *p = cand[0].v;
    if (try_time(c, p, cand[0].name, &us)) {
        ev->time_us = us;
        return 1;
    }
    if (km_json_is_str(p) && py_datetime(p->str, p->len, &py_us, &utc)) {
        py = 1;
        cf_problem(c, "%s is a Python datetime repr%s", cand[0].name,
                   utc ? "" : " with local time zone");
        if (utc) {
            ev->time_us = py_us;
            return 1;
        }
    }
    for (int i = 1; i < n; i++) {
        if (try_time(c, cand[i].v, cand[i].name, &us)) {
            ev->time_us = us;
            ev->flags |= KM_EV_TIME_FALLBACK;
            cf_note(c, "%s %s; used %s", cand[0].name, absent(p) ? "missing" : "invalid",
                    cand[i].name);
            return 0;
        }
    }
    if (py) {
        ev->time_us = py_us;
        ev->flags |= KM_EV_TIME_FALLBACK;
        cf_note(c, "%s is a Python datetime with tzlocal(); wall-clock time read as UTC",
                cand[0].name);
        return 0;
    }
    ev->time_us = 0;
    ev->flags |= KM_EV_TIME_MISSING;
    cf_note(c, "%s %s and no fallback time; time set to 0", cand[0].name,
            absent(p) ? "missing" : "invalid");
    return 0;
}

/* Fallback candidates common to every shape: the notification's creation
 * time, then the envelope's time. Appends to cand[] and returns the count. */
static int cf_fallbacks(struct cf *c, struct tcand *cand, int n)
{
    if (c->msg) {
        cand[n++] = (struct tcand){gk(c->msg, "notificationCreationTime"), "notificationCreationTime"};
        cand[n++] = (struct tcand){km_json_get(c->msg, "NotificationCreateTime"), "NotificationCreateTime"};
    }
    if (c->outer && !c->eventbridge)
        cand[n++] = (struct tcand){km_json_get(c->outer, "Timestamp"), "Timestamp"};
    if (c->outer && c->eventbridge)
        cand[n++] = (struct tcand){km_json_get(c->outer, "time"), "time"};
    return n;
}

/* ---- shared pieces ---------------------------------------------------------- */

/* account / region: the record's own, else the EventBridge envelope's. */
static void cf_account_region(struct cf *c, const struct km_json *obj)
{
    struct km_event *ev = c->ev;
    struct km_str a = cf_str2(c, gk(obj, "awsAccountId"), "awsAccountId", 1);
    if (!a.p)
        a = cf_str2(c, gk(obj, "accountId"), "accountId", 1);
    ev->f[KM_F_ACCOUNT] = a;
    ev->f[KM_F_REGION] = cf_str(c, gk(obj, "awsRegion"), "awsRegion");
    if (c->eventbridge) {
        if (!ev->f[KM_F_ACCOUNT].p)
            ev->f[KM_F_ACCOUNT] = cf_str2(c, km_json_get(c->outer, "account"), "account", 1);
        if (!ev->f[KM_F_REGION].p)
            ev->f[KM_F_REGION] = cf_str(c, km_json_get(c->outer, "region"), "region");
    }
}

/* "AWS::EC2::Instance" -> "ec2" (lower-cased, in the arena); absent for
 * "AWS::::Account" and for types outside the AWS:: namespace. */
static struct km_str cf_service(struct cf *c, struct km_str type)
{
    if (!type.p || type.n < 6 || memcmp(type.p, "AWS::", 5) != 0)
        return KM_STR_NONE;
    const char *s = type.p + 5, *end = type.p + type.n;
    const char *e = s;
    while (e < end && *e != ':')
        e++;
    if (e == s)
        return KM_STR_NONE;
    char *p = km_arena_alloc(c->ctx->arena, (size_t)(e - s) + 1);
    if (!p)
        return KM_STR_NONE;
    size_t n = 0;
    for (const char *q = s; q < e; q++)
        p[n++] = *q >= 'A' && *q <= 'Z' ? (char)(*q + 32) : *q;
    p[n] = 0;
    return (struct km_str){p, (uint32_t)n};
}

/* Appends "key":"value" to an open JSON object. */
static void kv(struct km_buf *b, int *first, const char *k, struct km_str v)
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

/* resources = [{"type","id","name","account"}] for one resource. */
static struct km_str cf_resource(struct cf *c, struct km_str type, struct km_str id,
                                 struct km_str name, struct km_str account)
{
    if (!type.p && !id.p && !name.p)
        return KM_STR_NONE;
    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    int first = 1;
    km_buf_adds(&b, "[{");
    kv(&b, &first, "type", type);
    kv(&b, &first, "id", id);
    kv(&b, &first, "name", name);
    kv(&b, &first, "account", account);
    km_buf_adds(&b, "}]");
    return buf_done(c, &b, 1, "resources");
}

/* Joins parts with '/' into the arena (absent parts are skipped). */
static struct km_str cf_join(struct cf *c, const struct km_str *parts, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)parts[i].n + 1;
    char *p = km_arena_alloc(c->ctx->arena, len + 1);
    if (!p)
        return KM_STR_NONE;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (!parts[i].p)
            continue;
        if (k)
            p[k++] = '/';
        memcpy(p + k, parts[i].p, parts[i].n);
        k += parts[i].n;
    }
    p[k] = 0;
    return (struct km_str){p, (uint32_t)k};
}

/* The formatted UTC time (km_time_fmt) in the arena. */
static struct km_str cf_timetext(struct cf *c, int64_t us)
{
    char t[32];
    km_time_fmt(us, t);
    return arena_copy(c, t, strlen(t));
}

/* ---- configuration items ------------------------------------------------------ */

/* related = relatedEvents as a compact JSON array of strings; [] / absent →
 * absent; non-string elements are counted and skipped. */
static struct km_str cf_related(struct cf *c, const struct km_json *arr)
{
    if (absent(arr))
        return KM_STR_NONE;
    if (arr->type != KM_JSON_ARRAY) {
        cf_problem(c, "relatedEvents is a %s, expected an array", type_name(arr));
        return KM_STR_NONE;
    }
    struct km_buf b;
    km_buf_init(&b, 1u << 20);
    km_buf_addc(&b, '[');
    int n = 0;
    for (const struct km_json *e = arr->child; e; e = e->next) {
        if (e->type != KM_JSON_STRING || !e->len) {
            cf_problem(c, "relatedEvents[] element is a %s, expected a string", type_name(e));
            continue;
        }
        if (n++)
            km_buf_addc(&b, ',');
        km_json_write_str(&b, e->str, e->len);
    }
    km_buf_addc(&b, ']');
    return buf_done(c, &b, n, "relatedEvents");
}

/*
 * Fills the event from a configuration item (or an oversized notification's
 * configurationItemSummary, which has the same metadata keys). `change` is
 * the notification diff's changeType, used when the CI has no status.
 */
static void cf_item(struct cf *c, const struct km_json *ci, struct km_str change)
{
    struct km_event *ev = c->ev;
    ev->f[KM_F_CATEGORY] = KM_STR("config_change");
    ev->f[KM_F_OUTCOME] = KM_STR("success");

    struct tcand cand[6];
    int n = 0;
    cand[n++] = (struct tcand){gk(ci, "configurationItemCaptureTime"), "configurationItemCaptureTime"};
    n = cf_fallbacks(c, cand, n);
    int exact = cf_time(c, cand, n);

    cf_account_region(c, ci);
    struct km_str type = cf_str(c, gk(ci, "resourceType"), "resourceType");
    struct km_str rid = cf_str2(c, gk(ci, "resourceId"), "resourceId", 1);
    struct km_str rname = cf_str2(c, gk(ci, "resourceName"), "resourceName", 1);
    struct km_str arn = cf_str(c, gk(ci, "ARN"), "ARN");
    struct km_str status = cf_str(c, gk(ci, "configurationItemStatus"), "configurationItemStatus");
    struct km_str state = cf_str2(c, gk(ci, "configurationStateId"), "configurationStateId", 1);
    if (!change.p)
        change = cf_str(c, km_json_get(ci, "changeType"), "changeType");

    ev->f[KM_F_SERVICE] = cf_service(c, type);
    ev->f[KM_F_ACTION] = status.p ? status : change;
    ev->f[KM_F_RESOURCES] = cf_resource(c, type, arn.p ? arn : rid, rname.p ? rname : rid,
                                        ev->f[KM_F_ACCOUNT]);
    ev->f[KM_F_RELATED] = cf_related(c, gk(ci, "relatedEvents"));

    /* a stable id: the same CI from a snapshot, a history file and a change
     * notification gets the same id. Capture time (exact, normalized text)
     * first: an oversized notification's summary has configurationStateId 0. */
    if (type.p && rid.p) {
        struct km_str parts[3] = {type, rid, KM_STR_NONE};
        if (exact)
            parts[2] = cf_timetext(c, ev->time_us);
        else if (state.p && !(state.n == 1 && state.p[0] == '0'))
            parts[2] = arena_copy(c, state.p, state.n);
        if (parts[2].p)
            ev->f[KM_F_EVENT_ID] = cf_join(c, parts, 3);
    }
}

/* ---- compliance changes ------------------------------------------------------- */

static void cf_compliance(struct cf *c, const struct km_json *m)
{
    struct km_event *ev = c->ev;
    ev->f[KM_F_CATEGORY] = KM_STR("finding");
    ev->f[KM_F_SERVICE] = KM_STR("config");
    const struct km_json *nr = gk(m, "newEvaluationResult");
    if (!absent(nr) && nr->type != KM_JSON_OBJECT) {
        cf_problem(c, "newEvaluationResult is a %s, expected an object", type_name(nr));
        nr = NULL;
    }
    const struct km_json *id = gk(nr, "evaluationResultIdentifier");
    struct tcand cand[6];
    int n = 0;
    cand[n++] = (struct tcand){gk(nr, "resultRecordedTime"), "resultRecordedTime"};
    cand[n++] = (struct tcand){gk(id, "orderingTimestamp"), "orderingTimestamp"};
    n = cf_fallbacks(c, cand, n);
    int exact = cf_time(c, cand, n);

    cf_account_region(c, m);
    struct km_str rule = cf_str(c, gk(m, "configRuleName"), "configRuleName");
    struct km_str type = cf_str(c, gk(m, "resourceType"), "resourceType");
    struct km_str rid = cf_str2(c, gk(m, "resourceId"), "resourceId", 1);
    const struct km_json *q = gk(id, "evaluationResultQualifier");
    if (!rule.p)
        rule = cf_str(c, gk(q, "configRuleName"), "configRuleName");
    if (!type.p)
        type = cf_str(c, gk(q, "resourceType"), "resourceType");
    if (!rid.p)
        rid = cf_str2(c, gk(q, "resourceId"), "resourceId", 1);
    struct km_str ct = cf_str(c, gk(nr, "complianceType"), "complianceType");
    ev->f[KM_F_ACTION] = rule;
    ev->f[KM_F_OUTCOME] = km_str_eqc(ct, "COMPLIANT")       ? KM_STR("success")
                          : km_str_eqc(ct, "NON_COMPLIANT") ? KM_STR("failure")
                                                            : KM_STR("unknown");
    ev->f[KM_F_RESOURCES] = cf_resource(c, type, rid, KM_STR_NONE, ev->f[KM_F_ACCOUNT]);
    if (rule.p && type.p && rid.p && exact) {
        struct km_str parts[4] = {rule, type, rid, cf_timetext(c, ev->time_us)};
        struct km_str j = cf_join(c, parts, 4);
        if (j.p) {
            char *p = km_arena_alloc(c->ctx->arena, (size_t)j.n + 12);
            if (p) {
                int len = snprintf(p, (size_t)j.n + 12, "compliance:%s", j.p);
                ev->f[KM_F_EVENT_ID] = (struct km_str){p, (uint32_t)len};
            }
        }
    }
}

/* ---- module entry points ---------------------------------------------------- */

/* messageTypes that carry no event: delivery and evaluation status. */
static const char *const cf_status_types[] = {
    "ConfigurationSnapshotDeliveryStarted", "ConfigurationSnapshotDeliveryCompleted",
    "ConfigurationSnapshotDeliveryFailed",  "ConfigurationHistoryDeliveryCompleted",
    "ConfigurationHistoryDeliveryFailed",   "ConfigRulesEvaluationStarted",
    "OversizedConfigurationItemChangeDeliveryFailed", NULL};

static int in_list(const struct km_json *v, const char *const *list)
{
    if (!km_json_is_str(v))
        return 0;
    for (; *list; list++)
        if (strcmp(v->str, *list) == 0)
            return 1;
    return 0;
}

static int starts(const struct km_json *v, const char *pre)
{
    size_t n = strlen(pre);
    return km_json_is_str(v) && v->len >= n && memcmp(v->str, pre, n) == 0;
}

/* A notification body: 95 when its messageType is a Config one. */
static int cf_score_msg(const struct km_json *m)
{
    const struct km_json *mt = km_json_get(m, "messageType");
    if (!km_json_is_str(mt))
        return 0;
    if (km_json_get(m, "configurationItem") || km_json_get(m, "configurationItemSummary") ||
        in_list(mt, cf_status_types) || !strcmp(mt->str, "ComplianceChangeNotification") ||
        !strcmp(mt->str, "ConfigurationItemChangeNotification") ||
        !strcmp(mt->str, "OversizedConfigurationItemChangeNotification"))
        return 95;
    if (starts(mt, "Config") || starts(mt, "Compliance") || starts(mt, "Oversized"))
        return 80;
    return 0;
}

static int arr_has(const struct km_json *arr, const char *s)
{
    if (!km_json_is_arr(arr))
        return 0;
    for (const struct km_json *e = arr->child; e; e = e->next)
        if (km_json_is_str(e) && strcmp(e->str, s) == 0)
            return 1;
    return 0;
}

static int cf_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *cap = NULL, *type = NULL, *rid = NULL, *status = NULL, *ver = NULL,
                         *acct = NULL, *mt = NULL;
    for (const struct km_json *m = rec->child; m; m = m->next) {
        switch (m->key_len) {
        case 7:
            if (!memcmp(m->key, "version", 7))
                ver = m;
            break;
        case 9:
            if (!memcmp(m->key, "accountId", 9))
                acct = m;
            break;
        case 10:
            if (!memcmp(m->key, "resourceId", 10))
                rid = m;
            break;
        case 11:
            if (!memcmp(m->key, "messageType", 11))
                mt = m;
            break;
        case 12:
            if (!memcmp(m->key, "resourceType", 12))
                type = m;
            else if (!memcmp(m->key, "awsAccountId", 12))
                acct = m;
            break;
        case 23:
            if (!memcmp(m->key, "configurationItemStatus", 23))
                status = m;
            break;
        case 24:
            if (!memcmp(m->key, "configurationItemVersion", 24))
                ver = m;
            break;
        case 28:
            if (!memcmp(m->key, "configurationItemCaptureTime", 28))
                cap = m;
            break;
        }
    }
    if (mt)
        return cf_score_msg(rec);
    if (cap || (km_json_is_str(type) && km_json_is_str(status))) {
        int s = cap ? 40 : 0;
        s += km_json_is_str(type) ? 25 : 0;
        s += rid ? 10 : 0;
        s += status ? 15 : 0;
        s += ver ? 5 : 0;
        s += acct ? 5 : 0;
        if (wrapper && !strcmp(wrapper, "configurationItems"))
            s += 10;
        return s > 100 ? 100 : s;
    }
    /* SNS envelope */
    const struct km_json *v = km_json_get(rec, "Type");
    const struct km_json *msg = km_json_get(rec, "Message");
    if (km_json_is_str(v) && !strcmp(v->str, "Notification") && msg) {
        if (km_json_is_obj(msg))
            return cf_score_msg(msg) ? 90 : 0;
        if (km_json_is_str(msg) && memmem(msg->str, msg->len, "\"messageType\"", 13) &&
            (memmem(msg->str, msg->len, "ConfigurationItem", 17) ||
             memmem(msg->str, msg->len, "Compliance", 10) ||
             memmem(msg->str, msg->len, "ConfigurationSnapshot", 21) ||
             memmem(msg->str, msg->len, "ConfigurationHistory", 20) ||
             memmem(msg->str, msg->len, "ConfigRules", 11)))
            return 90;
        return 0;
    }
    /* EventBridge event, or an event pattern */
    v = km_json_get(rec, "detail-type");
    const struct km_json *src = km_json_get(rec, "source");
    if (starts(v, "Config ") && km_json_is_obj(km_json_get(rec, "detail")))
        return 95;
    if (arr_has(src, "aws.config"))
        return 40;
    return 0;
}

static int cf_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "AWS Config record is a JSON %s, not an object", type_name(rec));
    struct cf c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.ev = ev;
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.config");

    const struct km_json *v;
    const struct km_json *src = km_json_get(rec, "source");
    if (km_json_is_arr(src) || km_json_is_arr(km_json_get(rec, "detail-type")))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "an EventBridge event pattern (list-valued source/detail-type), "
                          "not an event");
    if (km_json_get(rec, "messageType")) {
        c.msg = rec;
    } else if ((v = km_json_get(rec, "Message")) != NULL &&
               km_json_is_str(km_json_get(rec, "Type"))) {
        c.outer = rec;
        c.msg = cf_embedded(&c, v, "Message");
        if (!c.msg)
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "SNS Message is not an AWS Config notification (%s)", ctx->note);
    } else if (km_json_is_str(km_json_get(rec, "detail-type")) &&
               km_json_is_obj(v = km_json_get(rec, "detail"))) {
        c.outer = rec;
        c.eventbridge = 1;
        c.msg = v;
    } else {
        c.ci = rec;
    }

    struct km_str change = KM_STR_NONE;
    struct km_str mtype = KM_STR_NONE;
    if (c.msg) {
        const struct km_json *mt = km_json_get(c.msg, "messageType");
        mtype = cf_str(&c, mt, "messageType");
        ev->f[KM_F_EVENT_TYPE] = mtype;
        const struct km_json *ci = km_json_get(c.msg, "configurationItem");
        if (!ci)
            ci = km_json_get(c.msg, "configurationItemSummary");
        if (km_json_is_arr(ci)) {
            /* 2014 documentation examples wrap the CI in a one-element array */
            if (ci->len != 1)
                cf_problem(&c, "configurationItem is an array of %u items; first used", ci->len);
            ci = ci->child;
        }
        if (ci && !km_json_is_obj(ci)) {
            cf_problem(&c, "configurationItem is a %s, expected an object", type_name(ci));
            ci = NULL;
        }
        c.ci = ci;
        const struct km_json *diff = km_json_get(c.msg, "configurationItemDiff");
        if (km_json_is_obj(diff))
            change = cf_str(&c, km_json_get(diff, "changeType"), "changeType");
        else if (km_json_is_obj(ci) && km_json_get(c.msg, "configurationItemSummary"))
            change = cf_str(&c, km_json_get(ci, "changeType"), "changeType");
    } else {
        ev->f[KM_F_EVENT_TYPE] = KM_STR("ConfigurationItem");
    }

    if (c.ci) {
        cf_item(&c, c.ci, change);
        if (!ev->f[KM_F_RESOURCES].p && !ev->f[KM_F_EVENT_ID].p &&
            absent(gk(c.ci, "configurationItemCaptureTime")))
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "configuration item without resourceType, resourceId or "
                              "capture time%s%s", ctx->note[0] ? "; " : "", ctx->note);
        return KM_OK;
    }
    if (km_str_eqc(mtype, "ComplianceChangeNotification") ||
        km_json_get(c.msg, "newEvaluationResult")) {
        cf_compliance(&c, c.msg);
        return KM_OK;
    }
    if (!mtype.p)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "AWS Config notification without messageType or configuration item%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);
    /* delivery / evaluation status: evidence only */
    ctx->emit = 0;
    ev->f[KM_F_SERVICE] = KM_STR("config");
    ev->f[KM_F_ACTION] = mtype;
    cf_account_region(&c, c.msg);
    struct tcand cand[5];
    int n = 0;
    cand[n++] = (struct tcand){gk(c.msg, "notificationCreationTime"), "notificationCreationTime"};
    if (c.outer)
        cand[n++] = c.eventbridge ? (struct tcand){km_json_get(c.outer, "time"), "time"}
                                  : (struct tcand){km_json_get(c.outer, "Timestamp"), "Timestamp"};
    cf_time(&c, cand, n);
    if (!in_list(km_json_get(c.msg, "messageType"), cf_status_types))
        cf_note(&c, "messageType %.60s carries no configuration item; kept as evidence only",
                mtype.p);
    return KM_OK;
}

const struct km_source km_source_aws_config = {
    .name = "aws.config",
    .provider = "aws",
    .summary = "AWS Config configuration items (snapshot/history files, change notifications "
               "via SNS or EventBridge) and compliance change notifications",
    .doc = "docs/sources/aws_config.md",
    .detect = cf_detect,
    .normalize = cf_normalize,
};
