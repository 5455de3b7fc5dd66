/*
 * m365_audit.c — the Microsoft 365 unified audit log (m365.audit), Microsoft
 * 365 Defender advanced-hunting rows (m365.defender, a minimal mapping), and
 * Windows event-log rows, which are recognised only to be rejected with a
 * reason that says what they are (windows.eventlog: never emits an event).
 * docs/sources/m365_audit.md has the field mapping, shapes and quirks.
 *
 * A unified-audit-log record arrives in one of four shapes; each is reduced to
 * an `inner` audit record (the common schema: CreationTime, Id, Operation,
 * RecordType, UserId, Workload, ...) plus an optional `outer` envelope that
 * supplies fallbacks:
 *
 *   AuditData record      {CreationTime, Id, Operation, RecordType, ...}     inner = rec
 *   (Management Activity API, Purview export AuditData column, plaso)
 *   Search-UnifiedAuditLog {RecordType, CreationDate, UserIds, Operations,
 *                          AuditData: "<record as JSON text>", Identity}     inner = parsed AuditData
 *   Graph auditLogRecord  {id, createdDateTime, auditLogRecordType, operation,
 *                          service, userPrincipalName, clientIp, auditData{}} inner = auditData
 *   Log Analytics         OfficeActivity rows: TimeGenerated, Operation,
 *                          OfficeWorkload, OfficeId, Client_IPAddress, ...   inner = rec
 *
 * Every field is looked up under its spelling in each shape, inner first.
 * Strings point into the parsed record except the few that are built
 * (lower-cased e-mail, canonical IP, resources / related JSON); JSON held in
 * strings is parsed from an arena copy, so the record is never modified.
 */
#include "sources/source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/ip.h"
#include "core/timeparse.h"
#include "sources/entra_codes.h"

/* ---- per-record state and small helpers ------------------------------------- */

struct mx {
    struct km_norm_ctx *ctx;
    struct km_event *ev;
    const struct km_json *inner;   /* the audit record (may be NULL) */
    const struct km_json *outer;   /* envelope (Search-UnifiedAuditLog, Graph), or NULL */
};

#define mx_note(c, ...) km_norm_note((c)->ctx, __VA_ARGS__)

/* Counts a value of an unexpected type and notes the first one. */
/* a field of an unexpected type or value: counted, flagged, first one noted */
#define mx_problem(c, ...) km_norm_problem((c)->ctx, (c)->ev, __VA_ARGS__)

#define type_name km_json_type_name

#define absent km_json_absent

/* The first present (non-null) member among keys[] (NULL-terminated). */
static const struct km_json *get_any(const struct km_json *o, const char *const *keys)
{
    if (!km_json_is_obj(o))
        return NULL;
    for (; *keys; keys++) {
        const struct km_json *v = km_json_get(o, *keys);
        if (!absent(v))
            return v;
    }
    return NULL;
}

/* keys looked up in inner, then in outer */
static const struct km_json *mx_get(const struct mx *c, const char *const *keys)
{
    const struct km_json *v = get_any(c->inner, keys);
    return v ? v : get_any(c->outer, keys);
}

/* String view where a string belongs: null / absent / "" give KM_STR_NONE; a
 * number gives its text and counts a problem; other types count a problem. */
static struct km_str mx_str(struct mx *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return KM_STR_NONE;
    if (v->type == KM_JSON_STRING)
        return v->len ? km_json_sv(v) : KM_STR_NONE;
    mx_problem(c, "%s is a %s, expected a string", what, type_name(v));
    return v->type == KM_JSON_NUMBER ? km_json_sv(v) : KM_STR_NONE;
}

/* A value that is legitimately a number or a string (RecordType, UserType). */
static struct km_str mx_scalar(struct mx *c, const struct km_json *v, const char *what)
{
    if (km_json_is_num(v))
        return km_json_sv(v);
    return mx_str(c, v, what);
}

static int eq_ci(struct km_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.p && s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static int in_ci(struct km_str s, const char *const *list)
{
    for (; *list; list++)
        if (eq_ci(s, *list))
            return 1;
    return 0;
}

static int contains(struct km_str s, const char *needle)
{
    size_t n = strlen(needle);
    return s.p && s.n >= n && memmem(s.p, s.n, needle, n) != NULL;
}

static void set(struct km_event *ev, enum km_field f, struct km_str s)
{
    if (s.p && !ev->f[f].p)
        ev->f[f] = s;
}

/* Lower-cases s into the arena (s itself when it has no upper-case letter). */
#define mx_lower(c, s) km_norm_lower((c)->ctx, (s))

static void mx_email(struct mx *c, struct km_str cand)
{
    if (!c->ev->f[KM_F_ACTOR_EMAIL].p && km_str_is_email(cand))
        c->ev->f[KM_F_ACTOR_EMAIL] = mx_lower(c, cand);
}

/* src.raw/src.ip, dropping a caller port (storage and Exchange logs keep it) */
#define mx_ip(c, raw) km_norm_ip_port((c)->ctx, (c)->ev, (raw))

/*
 * An object that may also arrive as JSON text (AuditData, RawEventData). A
 * string is parsed from an arena copy. Returns the object, or NULL: absent,
 * "", "null", or not a JSON object (then a problem is counted).
 */
static const struct km_json *mx_object(struct mx *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return NULL;
    if (v->type == KM_JSON_OBJECT)
        return v;
    if (v->type != KM_JSON_STRING) {
        mx_problem(c, "%s is a %s, expected an object", what, type_name(v));
        return NULL;
    }
    if (!v->len || (v->len == 4 && !memcmp(v->str, "null", 4)))
        return NULL;
    struct km_err e;
    struct km_json *root = km_norm_parse_embedded(c->ctx, v->str, v->len, 0, &e);
    if (!root) {
        mx_problem(c, "%s is not valid JSON (offset %llu: %.60s)", what,
                   (unsigned long long)(e.offset == UINT64_MAX ? 0 : e.offset), e.msg);
        return NULL;
    }
    if (!km_json_is_obj(root)) {
        mx_problem(c, "%s holds a JSON %s, expected an object", what, type_name(root));
        return NULL;
    }
    return root;
}

/*
 * Parses a time value: RFC 3339 text (km_time_parse), or PowerShell 5's
 * ConvertTo-Json date "/Date(1651928153000)/" (epoch ms, optional offset).
 */
static int parse_time(const struct km_json *v, int64_t *us)
{
    if (!km_json_is_str(v))
        return 0;
    if (km_time_parse(v->str, v->len, us) == KM_OK)
        return 1;
    if (v->len > 8 && !memcmp(v->str, "/Date(", 6)) {
        const char *p = v->str + 6, *e = v->str + v->len;
        int neg = 0;
        if (p < e && *p == '-') {
            neg = 1;
            p++;
        }
        int64_t ms = 0;
        int digits = 0;
        while (p < e && *p >= '0' && *p <= '9' && digits < 16) {
            ms = ms * 10 + (*p++ - '0');
            digits++;
        }
        if (!digits)
            return 0;
        if (p < e && (*p == '+' || *p == '-') && e - p >= 5) {
            for (int i = 1; i <= 4; i++)
                if (p[i] < '0' || p[i] > '9')
                    return 0;
            p += 5;   /* the offset only says how to display the instant */
        }
        if (e - p != 2 || p[0] != ')' || p[1] != '/')
            return 0;
        *us = km_time_from_epoch_ms(neg ? -ms : ms);
        return 1;
    }
    return 0;
}

/* Tries one time candidate: 1 and *us when it parses; a present but unusable
 * value counts a problem. */
static int try_time(struct mx *c, const struct km_json *v, const char *what, int64_t *us)
{
    if (absent(v))
        return 0;
    if (parse_time(v, us))
        return 1;
    if (v->type == KM_JSON_STRING)
        mx_problem(c, "%s \"%.40s\" is not a timestamp", what, v->str);
    else
        mx_problem(c, "%s is a %s, expected a timestamp", what, type_name(v));
    return 0;
}

/* Builds a JSON array of objects {"type","id","name"} (present keys only). */
static void res_add(struct km_buf *b, int *n, struct km_str type, struct km_str id,
                    struct km_str name)
{
    struct km_str kv[3] = {type, id, name};
    static const char *const keys[3] = {"type", "id", "name"};
    if (!id.p && !name.p)
        return;
    km_buf_adds(b, (*n)++ ? ",{" : "[{");
    int first = 1;
    for (int k = 0; k < 3; k++) {
        if (!kv[k].p)
            continue;
        if (!first)
            km_buf_addc(b, ',');
        first = 0;
        km_json_write_str(b, keys[k], strlen(keys[k]));
        km_buf_addc(b, ':');
        km_json_write_str(b, kv[k].p, kv[k].n);
    }
    km_buf_addc(b, '}');
}

/* Closes an array built in b into an arena string; KM_STR_NONE when empty. */
static struct km_str buf_finish(struct mx *c, struct km_buf *b, int n, const char *what)
{
    struct km_str r = KM_STR_NONE;
    if (n && !b->oom) {
        km_buf_addc(b, ']');
        char *p = b->oom ? NULL : km_arena_strndup(c->ctx->arena, b->p, b->n);
        if (p)
            r = (struct km_str){p, (uint32_t)b->n};
    }
    if (b->oom)
        mx_problem(c, "%s too large; dropped", what);
    km_buf_free(b);
    return r;
}

/* Value of {"Name": name, "Value": ...} in an ExtendedProperties-style array. */
static struct km_str name_value(struct mx *c, const struct km_json *arr, const char *name)
{
    if (!km_json_is_arr(arr))
        return KM_STR_NONE;
    for (const struct km_json *e = arr->child; e; e = e->next) {
        const struct km_json *n = km_json_get(e, "Name");
        if (km_json_is_str(n) && !strcmp(n->str, name))
            return mx_str(c, km_json_get(e, "Value"), name);
    }
    return KM_STR_NONE;
}

/* ---- m365.audit ---------------------------------------------------------------- */

static const char *const k_time[] = {"CreationTime", "TimeGenerated", "createdDateTime", NULL};
static const char *const k_time_fb[] = {"CreationDate", NULL};
static const char *const k_id[] = {"Id", "OfficeId", "id", "Identity", NULL};
static const char *const k_op[] = {"Operation", "operation", "Operations", NULL};
static const char *const k_workload[] = {"Workload", "OfficeWorkload", "service", NULL};
static const char *const k_user[] = {"UserId", "userPrincipalName", "UserIds", NULL};
static const char *const k_userkey[] = {"UserKey", "userId", NULL};
static const char *const k_usertype[] = {"UserType", "userType", NULL};
static const char *const k_ip[] = {"ClientIP", "ClientIPAddress", "Client_IPAddress",
                                   "ActorIpAddress", "clientIp", NULL};
static const char *const k_result[] = {"ResultStatus", NULL};
static const char *const k_org[] = {"OrganizationId", "organizationId", NULL};
static const char *const k_rtype[] = {"RecordType", "auditLogRecordType", NULL};
static const char *const k_object[] = {"ObjectId", "OfficeObjectId", "objectId", NULL};
static const char *const k_ua[] = {"UserAgent", "ClientInfoString", NULL};
static const char *const k_session[] = {"SessionId", NULL};
static const char *const k_mailbox[] = {"MailboxOwnerUPN", NULL};
static const char *const k_ext[] = {"ExtendedProperties", NULL};
static const char *const k_aac[] = {"AppAccessContext", NULL};
static const char *const k_errnum[] = {"ErrorNumber", NULL};
static const char *const k_logonerr[] = {"LogonError", NULL};

/* AuditLogRecordType numbers (Office 365 Management Activity API) to the
 * names Search-UnifiedAuditLog and Graph use. */
static const char *const record_types[] = {
    [1] = "ExchangeAdmin", [2] = "ExchangeItem", [3] = "ExchangeItemGroup",
    [4] = "SharePoint", [6] = "SharePointFileOperation", [8] = "AzureActiveDirectory",
    [9] = "AzureActiveDirectoryAccountLogon", [10] = "DataCenterSecurityCmdlet",
    [11] = "ComplianceDLPSharePoint", [12] = "Sway", [13] = "ComplianceDLPExchange",
    [14] = "SharePointSharingOperation", [15] = "AzureActiveDirectoryStsLogon",
    [18] = "SecurityComplianceCenterEOPCmdlet", [20] = "PowerBIAudit",
};

/* UserType numbers to names. */
static const char *const user_types[] = {"Regular", "Reserved", "Admin", "DcAdmin",
                                         "System", "Application", "ServicePrincipal"};

/* A number (or digit string) as a small index, or -1. */
static int small_int(struct km_str s)
{
    if (!s.p || !s.n || s.n > 3)
        return -1;
    int v = 0;
    for (uint32_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

static const char *const auth_ops[] = {"UserLoggedIn", "UserLoginFailed", "MailboxLogin", NULL};
static const char *const finding_ops[] = {"AlertTriggered", "AlertEntityGenerated", NULL};
static const char *const write_verbs[] = {
    "New", "Set", "Remove", "Add", "Enable", "Disable", "Install", "Update", "Grant", "Revoke",
    "Register", "Unregister", "Import", "Clear", "Start", "Stop", "Suspend", "Resume", NULL};
static const char *const read_verbs[] = {"Get", "Test", "Search", "Export", NULL};

/* The verb of an Exchange cmdlet name "Verb-Noun" (no blanks), or none. */
static struct km_str cmdlet_verb(struct km_str op)
{
    if (!op.p || op.n < 3 || !(op.p[0] >= 'A' && op.p[0] <= 'Z') || memchr(op.p, ' ', op.n))
        return KM_STR_NONE;
    const char *dash = memchr(op.p, '-', op.n);
    if (!dash || dash == op.p || dash + 1 == op.p + op.n)
        return KM_STR_NONE;
    return (struct km_str){op.p, (uint32_t)(dash - op.p)};
}

/*
 * category: authentication for sign-ins (UserLoggedIn, UserLoginFailed,
 * MailboxLogin); finding for alerts; account_change for Entra ID directory
 * changes (Workload AzureActiveDirectory) and for permission / role cmdlets;
 * config_change for other cmdlets that change something (New-, Set-, Remove-
 * ...) and UpdateInboxRules; api otherwise (mail and file access, sends, ...).
 * *ro: 1 for Get-/Test-/Search- cmdlets, 0 for changing ones, else -1.
 */
static const char *mx_category(struct km_str op, struct km_str workload, int *ro)
{
    *ro = -1;
    if (in_ci(op, auth_ops))
        return "authentication";
    if (in_ci(op, finding_ops))
        return "finding";
    if (eq_ci(workload, "AzureActiveDirectory"))
        return "account_change";
    struct km_str verb = cmdlet_verb(op);
    if (in_ci(verb, read_verbs)) {
        *ro = 1;
        return "api";
    }
    if (in_ci(verb, write_verbs)) {
        *ro = 0;
        if (contains(op, "Permission") || contains(op, "RoleGroupMember") ||
            contains(op, "RoleAssignment") || contains(op, "ManagementRole"))
            return "account_change";
        return "config_change";
    }
    if (eq_ci(op, "UpdateInboxRules")) {
        *ro = 0;
        return "config_change";
    }
    return "api";
}

static int ma_score(const struct km_json *rec)
{
    const struct km_json *ct = km_json_get(rec, "CreationTime");
    const struct km_json *op = km_json_get(rec, "Operation");
    const struct km_json *rt = km_json_get(rec, "RecordType");
    if (!km_json_is_str(op))
        return 0;
    int s = 30;
    if (km_json_is_str(ct))
        s += 30;
    if (km_json_is_num(rt) || km_json_is_str(rt))
        s += 20;
    if (km_json_is_str(km_json_get(rec, "Workload")))
        s += 10;
    if (km_json_is_str(km_json_get(rec, "OrganizationId")))
        s += 5;
    if (km_json_is_str(km_json_get(rec, "Id")))
        s += 5;
    return s >= 60 ? s : 0;
}

static int ma_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    /* Search-UnifiedAuditLog: AuditData as JSON text beside the summary */
    const struct km_json *ad = km_json_get(rec, "AuditData");
    if ((km_json_is_str(ad) || km_json_is_obj(ad)) &&
        (km_json_get(rec, "CreationDate") || km_json_get(rec, "Operations") ||
         km_json_get(rec, "UserIds")))
        return 95;
    /* Graph security auditLogRecord */
    if (km_json_get(rec, "auditLogRecordType") && km_json_is_str(km_json_get(rec, "operation")))
        return 90;
    /* Log Analytics OfficeActivity */
    const struct km_json *t = km_json_get(rec, "Type");
    if (km_json_is_str(t) && !strcmp(t->str, "OfficeActivity"))
        return 95;
    if (km_json_is_str(km_json_get(rec, "OfficeWorkload")) &&
        km_json_is_str(km_json_get(rec, "Operation")))
        return 90;
    return ma_score(rec);
}

static int ma_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "unified audit log record is a JSON %s, not an object", type_name(rec));
    struct mx c = {ctx, ev, rec, NULL};
    ev->f[KM_F_PROVIDER] = KM_STR("m365");
    ev->f[KM_F_SOURCE] = KM_STR("m365.audit");

    const struct km_json *v;
    if (!absent(v = km_json_get(rec, "AuditData"))) {
        c.outer = rec;
        c.inner = mx_object(&c, v, "AuditData");
    } else if (km_json_get(rec, "auditLogRecordType")) {
        c.outer = rec;
        c.inner = mx_object(&c, km_json_get(rec, "auditData"), "auditData");
    }

    struct km_str op = mx_str(&c, mx_get(&c, k_op), "Operation");
    if (!op.p)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not a unified audit log event: no Operation%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);

    /* time: CreationTime (UTC; written without a zone), OfficeActivity
     * TimeGenerated, Graph createdDateTime; Search-UnifiedAuditLog's
     * CreationDate only as a fallback */
    int64_t us = 0;
    const struct km_json *tv = mx_get(&c, k_time);
    if (try_time(&c, tv, "CreationTime", &us)) {
        ev->time_us = us;
    } else if (try_time(&c, mx_get(&c, k_time_fb), "CreationDate", &us)) {
        ev->time_us = us;
        ev->flags |= KM_EV_TIME_FALLBACK;
        mx_note(&c, "CreationTime %s; used CreationDate", absent(tv) ? "missing" : "invalid");
    } else {
        ev->flags |= KM_EV_TIME_MISSING;
        mx_note(&c, "CreationTime %s and no fallback time; time set to 0",
                absent(tv) ? "missing" : "invalid");
    }

    struct km_str workload = mx_str(&c, mx_get(&c, k_workload), "Workload");
    ev->f[KM_F_ACTION] = op;
    ev->f[KM_F_SERVICE] = workload;
    int ro;
    ev->f[KM_F_CATEGORY] = km_str_c(mx_category(op, workload, &ro));
    ev->read_only = (int8_t)ro;
    ev->f[KM_F_ACCOUNT] = mx_str(&c, mx_get(&c, k_org), "OrganizationId");

    struct km_str rt = mx_scalar(&c, mx_get(&c, k_rtype), "RecordType");
    int rti = small_int(rt);
    if (rti > 0 && rti < (int)KM_ARRAY_LEN(record_types) && record_types[rti])
        rt = km_str_c(record_types[rti]);
    ev->f[KM_F_EVENT_TYPE] = rt;

    /* actor */
    struct km_str user = mx_str(&c, mx_get(&c, k_user), "UserId");
    ev->f[KM_F_ACTOR_NAME] = user;
    mx_email(&c, user);
    ev->f[KM_F_ACTOR_ID] = mx_str(&c, mx_get(&c, k_userkey), "UserKey");
    struct km_str ut = mx_scalar(&c, mx_get(&c, k_usertype), "UserType");
    int uti = small_int(ut);
    if (uti >= 0 && uti < (int)KM_ARRAY_LEN(user_types))
        ut = km_str_c(user_types[uti]);
    ev->f[KM_F_ACTOR_TYPE] = ut.p ? ut : KM_STR("");

    mx_ip(&c, mx_str(&c, mx_get(&c, k_ip), "ClientIP"));
    const struct km_json *ext = mx_get(&c, k_ext);
    struct km_str ua = mx_str(&c, mx_get(&c, k_ua), "UserAgent");
    if (!ua.p)
        ua = name_value(&c, ext, "UserAgent");
    ev->f[KM_F_USER_AGENT] = ua;

    const struct km_json *aac = mx_get(&c, k_aac);
    ev->f[KM_F_SESSION_ID] = mx_str(&c, km_json_get(aac, "AADSessionId"), "AADSessionId");
    set(ev, KM_F_SESSION_ID, mx_str(&c, mx_get(&c, k_session), "SessionId"));

    /* result */
    struct km_str rs = mx_str(&c, mx_get(&c, k_result), "ResultStatus");
    static const char *const ok[] = {"Succeeded", "Success", "True", NULL};
    static const char *const bad[] = {"Failed", "Failure", "False", NULL};
    if (in_ci(rs, ok)) {
        ev->f[KM_F_OUTCOME] = KM_STR("success");
    } else if (in_ci(rs, bad)) {
        ev->f[KM_F_OUTCOME] = KM_STR("failure");
        struct km_str le = name_value(&c, ext, "LogonError");
        if (!le.p)
            le = mx_str(&c, mx_get(&c, k_logonerr), "LogonError");
        ev->f[KM_F_ERROR_CODE] = le;
        /* an Entra sign-in step that can still succeed (MFA prompt, "Stay
         * signed in?"): ErrorNumber, else the LogonError name, read through
         * the Entra code table; interrupted, not failed */
        struct km_str en = mx_scalar(&c, mx_get(&c, k_errnum), "ErrorNumber");
        long code = -1;
        if (!en.p || !km_entra_code_parse(en.p, en.n, &code))
            code = le.p ? km_entra_code_by_name(le.p, le.n) : -1;
        if (code > 0 && km_entra_code_class(code) == KM_ENTRA_CODE_INTERRUPTED)
            ev->f[KM_F_OUTCOME] = KM_STR("interrupted");
    } else {
        ev->f[KM_F_OUTCOME] = KM_STR("unknown");
    }

    ev->f[KM_F_EVENT_ID] = mx_str(&c, mx_get(&c, k_id), "Id");

    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    int n = 0;
    res_add(&b, &n, KM_STR_NONE, mx_str(&c, mx_get(&c, k_object), "ObjectId"), KM_STR_NONE);
    if (!n)
        res_add(&b, &n, KM_STR("mailbox"), KM_STR_NONE,
                mx_str(&c, mx_get(&c, k_mailbox), "MailboxOwnerUPN"));
    ev->f[KM_F_RESOURCES] = buf_finish(&c, &b, n, "resources");
    return KM_OK;
}

const struct km_source km_source_m365_audit = {
    .name = "m365.audit",
    .provider = "m365",
    .summary = "Microsoft 365 unified audit log: AuditData records (Management Activity API, "
               "Purview export), Search-UnifiedAuditLog output, Graph auditLogRecord, "
               "Log Analytics OfficeActivity rows",
    .doc = "docs/sources/m365_audit.md",
    .detect = ma_detect,
    .normalize = ma_normalize,
};

/* ---- m365.defender: advanced-hunting rows --------------------------------------- */

static int md_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    if (!km_json_is_str(km_json_get(rec, "Timestamp")) ||
        !km_json_is_str(km_json_get(rec, "ActionType")))
        return 0;
    int s = 40;
    if (!absent(km_json_get(rec, "ReportId")) || !absent(km_json_get(rec, "ReportId_long")) ||
        !absent(km_json_get(rec, "ReportId_string")))
        s += 40;
    if (km_json_get(rec, "DeviceId") || km_json_get(rec, "DeviceName") ||
        km_json_get(rec, "AccountObjectId") || km_json_get(rec, "Application"))
        s += 10;
    return s >= 80 ? s : 0;
}

static const char *const d_email[] = {"AccountUpn", "InitiatingProcessAccountUpn", NULL};
static const char *const d_id[] = {"AccountObjectId", "InitiatingProcessAccountObjectId",
                                   "AccountSid", "InitiatingProcessAccountSid", NULL};
static const char *const d_name[] = {"AccountUpn", "AccountName", "AccountDisplayName",
                                     "InitiatingProcessAccountUpn",
                                     "InitiatingProcessAccountName", NULL};
static const char *const d_ua[] = {"UserAgent", "UserAgent_string", NULL};

/* The first non-empty string among keys (empty strings are common: the
 * advanced-hunting export writes every column of every table). */
static struct km_str first_str(struct mx *c, const struct km_json *o, const char *const *keys)
{
    for (; *keys; keys++) {
        struct km_str s = mx_str(c, km_json_get(o, *keys), *keys);
        if (s.p)
            return s;
    }
    return KM_STR_NONE;
}

static int md_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "advanced-hunting row is a JSON %s, not an object", type_name(rec));
    struct mx c = {ctx, ev, rec, NULL};
    ev->f[KM_F_PROVIDER] = KM_STR("m365");
    ev->f[KM_F_SOURCE] = KM_STR("m365.defender");
    struct km_str act = mx_str(&c, km_json_get(rec, "ActionType"), "ActionType");
    if (!act.p)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not an advanced-hunting event: no ActionType");
    ev->f[KM_F_ACTION] = act;
    int64_t us = 0;
    const struct km_json *ts = km_json_get(rec, "Timestamp");
    if (try_time(&c, ts, "Timestamp", &us)) {
        ev->time_us = us;
    } else {
        ev->flags |= KM_EV_TIME_MISSING;
        mx_note(&c, "Timestamp %s; time set to 0", absent(ts) ? "missing" : "invalid");
    }
    ev->f[KM_F_SERVICE] = mx_str(&c, km_json_get(rec, "Application"), "Application");
    ev->f[KM_F_EVENT_TYPE] = mx_str(&c, km_json_get(rec, "ActivityType"), "ActivityType");
    ev->f[KM_F_CATEGORY] = KM_STR("api");
    ev->f[KM_F_OUTCOME] = KM_STR("unknown");
    ev->f[KM_F_ACTOR_TYPE] = KM_STR("");
    mx_email(&c, first_str(&c, rec, d_email));
    ev->f[KM_F_ACTOR_ID] = first_str(&c, rec, d_id);
    ev->f[KM_F_ACTOR_NAME] = first_str(&c, rec, d_name);
    mx_ip(&c, mx_str(&c, km_json_get(rec, "IPAddress"), "IPAddress"));
    ev->f[KM_F_USER_AGENT] = first_str(&c, rec, d_ua);

    /* event id: ReportId (a string in cloud and identity tables), else the
     * device plus the per-device ReportId number */
    const struct km_json *rv = km_json_get(rec, "ReportId");
    const struct km_json *rl = km_json_get(rec, "ReportId_long");
    struct km_str rid = KM_STR_NONE;
    if (km_json_is_num(rv))
        rl = rv;   /* device tables: a per-device number */
    else
        rid = mx_str(&c, rv, "ReportId");
    if (!rid.p)
        rid = mx_str(&c, km_json_get(rec, "ReportId_string"), "ReportId_string");
    struct km_str dev_id = mx_str(&c, km_json_get(rec, "DeviceId"), "DeviceId");
    struct km_str dev_name = mx_str(&c, km_json_get(rec, "DeviceName"), "DeviceName");
    if (!rid.p && km_json_is_num(rl)) {
        struct km_str dev = dev_id.p ? dev_id : dev_name;
        struct km_str num = km_json_sv(rl);
        if (dev.p) {
            size_t l = (size_t)dev.n + 1 + num.n;
            char *p = km_arena_alloc(ctx->arena, l + 1);
            if (p) {
                memcpy(p, dev.p, dev.n);
                p[dev.n] = ':';
                memcpy(p + dev.n + 1, num.p, num.n);
                p[l] = 0;
                rid = (struct km_str){p, (uint32_t)l};
            }
        }
    }
    ev->f[KM_F_EVENT_ID] = rid;

    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    int n = 0;
    res_add(&b, &n, KM_STR("device"), dev_id, dev_name);
    res_add(&b, &n, mx_str(&c, km_json_get(rec, "ObjectType"), "ObjectType"),
            mx_str(&c, km_json_get(rec, "ObjectId"), "ObjectId"),
            mx_str(&c, km_json_get(rec, "ObjectName"), "ObjectName"));
    ev->f[KM_F_RESOURCES] = buf_finish(&c, &b, n, "resources");

    /* CloudAppEvents carry the unified-audit-log record in RawEventData: link
     * to it (account, Workload and the record's Id) */
    const struct km_json *raw = mx_object(&c, km_json_get(rec, "RawEventData"), "RawEventData");
    if (raw) {
        ev->f[KM_F_ACCOUNT] = mx_str(&c, km_json_get(raw, "OrganizationId"), "OrganizationId");
        struct km_str uid = mx_str(&c, km_json_get(raw, "Id"), "RawEventData.Id");
        if (uid.p) {
            km_buf_init(&b, 4096);
            km_buf_addc(&b, '[');
            km_json_write_str(&b, uid.p, uid.n);
            km_buf_addc(&b, ']');
            char *p = b.oom ? NULL : km_arena_strndup(ctx->arena, b.p, b.n);
            if (p)
                ev->f[KM_F_RELATED] = (struct km_str){p, (uint32_t)b.n};
            km_buf_free(&b);
        }
        set(ev, KM_F_ACTOR_NAME, mx_str(&c, km_json_get(raw, "UserId"), "RawEventData.UserId"));
        mx_email(&c, mx_str(&c, km_json_get(raw, "UserId"), "RawEventData.UserId"));
    }
    return KM_OK;
}

const struct km_source km_source_m365_defender = {
    .name = "m365.defender",
    .provider = "m365",
    .summary = "Microsoft 365 Defender advanced-hunting rows (CloudAppEvents, Identity*, "
               "Device* tables): minimal mapping",
    .doc = "docs/sources/m365_audit.md",
    .detect = md_detect,
    .normalize = md_normalize,
};

/* ---- Windows event-log rows: recognised, then rejected ---------------------------- */

static int we_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *t = km_json_get(rec, "Type");
    if (km_json_is_str(t) && (!strcmp(t->str, "SecurityEvent") || !strcmp(t->str, "Event") ||
                              !strcmp(t->str, "WindowsEvent")))
        return 20;
    const struct km_json *id = km_json_get(rec, "EventID");
    if ((km_json_is_num(id) || km_json_is_str(id)) && km_json_is_str(km_json_get(rec, "Computer")))
        return 15;
    return 0;
}

/*
 * Never an event: a Windows event-log row (Log Analytics SecurityEvent / Event
 * / WindowsEvent tables, or a bare EventID + Computer record) is a host log,
 * not a cloud audit log. Rejected with a reason naming what it is.
 */
static int we_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 0;
    const struct km_json *t = km_json_get(rec, "Type");
    const struct km_json *id = km_json_get(rec, "EventID");
    const struct km_json *comp = km_json_get(rec, "Computer");
    struct km_str ids = km_json_is_num(id) || km_json_is_str(id) ? km_json_sv(id) : KM_STR("?");
    return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                      "Windows event-log row (%s%s, EventID %.*s on %.60s): a host log, not a "
                      "cloud audit log; not ingested",
                      km_json_is_str(t) ? "Log Analytics " : "no table name",
                      km_json_is_str(t) ? t->str : "", (int)(ids.n > 12 ? 12 : ids.n), ids.p,
                      km_json_is_str(comp) ? comp->str : "?");
}

const struct km_source km_source_windows_eventlog = {
    .name = "windows.eventlog",
    .provider = "windows",
    .summary = "Windows event-log rows (Log Analytics SecurityEvent / Event / WindowsEvent): "
               "recognised only to be rejected with a clear reason; host logs are not ingested",
    .doc = "docs/sources/m365_audit.md",
    .detect = we_detect,
    .normalize = we_normalize,
};
