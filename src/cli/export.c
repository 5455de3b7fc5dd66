/*
 * export.c — the export sink (export.h): kumo JSONL and CSV, OCSF JSON
 * events, Timesketch JSONL/CSV. docs/export.md documents every mapping; keep
 * it in step with the tables here.
 */
#include "cli/export.h"

#include "cli/describe.h"
#include "cli/output.h"
#include "core/timeparse.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>

const char km_export_formats[] = "jsonl, csv, ocsf, timesketch, timesketch-csv";

static const char *const fmt_names[KM_EXPORT__COUNT] = {"jsonl", "csv", "ocsf", "timesketch",
                                                         "timesketch-csv"};

int km_export_format_lookup(const char *name, enum km_export_fmt *out)
{
    for (int i = 0; i < KM_EXPORT__COUNT; i++)
        if (name && strcmp(name, fmt_names[i]) == 0) {
            *out = (enum km_export_fmt)i;
            return KM_OK;
        }
    return KM_EUSAGE;
}

const char *km_export_format_name(enum km_export_fmt fmt)
{
    return (unsigned)fmt < KM_EXPORT__COUNT ? fmt_names[fmt] : "?";
}

/* ---- small helpers ------------------------------------------------------ */

#define RES_PARSE_MAX ((size_t)1 << 20) /* resources/related larger than this stay strings */

static int has(const struct km_event *ev, int f)
{
    return ev->f[f].p && ev->f[f].n;
}

static int eqc(struct km_str s, const char *c)
{
    return s.p && km_str_eqc(s, c);
}

/* Case-insensitive substring test on a view. */
static int contains(struct km_str s, const char *needle)
{
    size_t m = strlen(needle);
    if (!s.p || m == 0 || s.n < m)
        return 0;
    for (size_t i = 0; i + m <= s.n; i++) {
        size_t k = 0;
        while (k < m && tolower((unsigned char)s.p[i + k]) == needle[k])
            k++;
        if (k == m)
            return 1;
    }
    return 0;
}

/* Epoch ms from µs, rounding toward minus infinity. */
static int64_t to_ms(int64_t us)
{
    int64_t ms = us / 1000;
    if (us % 1000 < 0)
        ms--;
    return ms;
}

/* A parsed copy of a compact JSON array field (resources, related). */
struct jarr {
    struct km_arena a;
    struct km_json *root;    /* an array, or NULL when absent / not parseable */
};

static void jarr_parse(struct jarr *j, struct km_str v)
{
    km_arena_init(&j->a, 16384, 4 * RES_PARSE_MAX);
    j->root = NULL;
    if (!v.p || v.n < 2 || v.n > RES_PARSE_MAX || v.p[0] != '[')
        return;
    char *copy = km_arena_alloc(&j->a, v.n);
    struct km_err err;
    km_err_clear(&err);
    if (!copy)
        return;
    memcpy(copy, v.p, v.n);
    if (km_json_parse(copy, v.n, NULL, &j->a, &j->root, &err) != KM_OK ||
        !km_json_is_arr(j->root))
        j->root = NULL;
}

/* ---- a JSON object writer that places the commas ------------------------ */

#define JW_DEPTH 16

struct jw {
    struct km_buf *b;
    int depth;
    unsigned char first[JW_DEPTH];
};

static void jw_init(struct jw *w, struct km_buf *b)
{
    w->b = b;
    w->depth = 0;
    w->first[0] = 1;
}

static void jw_key(struct jw *w, const char *k)
{
    if (!w->first[w->depth])
        km_buf_addc(w->b, ',');
    w->first[w->depth] = 0;
    if (k) {
        km_buf_addc(w->b, '"');
        km_buf_adds(w->b, k);
        km_buf_adds(w->b, "\":");
    }
}

static void jw_open(struct jw *w, const char *k, char c)
{
    assert(w->depth + 1 < JW_DEPTH);
    jw_key(w, k);
    km_buf_addc(w->b, c);
    w->first[++w->depth] = 1;
}

static void jw_close(struct jw *w, char c)
{
    km_buf_addc(w->b, c);
    w->depth--;
}

/* A non-empty string value (absent and empty values are left out). */
static void jw_str(struct jw *w, const char *k, struct km_str v)
{
    if (!v.p || !v.n)
        return;
    jw_key(w, k);
    km_json_write_str(w->b, v.p, v.n);
}

static void jw_cstr(struct jw *w, const char *k, const char *s)
{
    jw_str(w, k, km_str_c(s));
}

static void jw_int(struct jw *w, const char *k, long long v)
{
    jw_key(w, k);
    km_buf_printf(w->b, "%lld", v);
}

static void jw_bool(struct jw *w, const char *k, int v)
{
    jw_key(w, k);
    km_buf_adds(w->b, v ? "true" : "false");
}

/* ---- OCSF classes and activities --------------------------------------- */

/* A finding that is the result of a compliance check (Compliance Finding):
 * AWS Config rule evaluations, Security Hub control findings (their type is
 * under "Industry and Regulatory Standards"), Azure Policy results. */
static int is_compliance(const struct km_event *ev)
{
    struct km_str src = ev->f[KM_F_SOURCE], et = ev->f[KM_F_EVENT_TYPE];
    return eqc(src, "aws.config") ||
           (eqc(src, "aws.securityhub") && contains(et, "industry and regulatory standards")) ||
           (eqc(src, "azure.activity") && eqc(et, "Policy"));
}

void km_export_ocsf_class(const struct km_event *ev, struct km_ocsf_class *out)
{
    struct km_str cat = ev->f[KM_F_CATEGORY];
    if (eqc(cat, "authentication"))
        *out = (struct km_ocsf_class){3002, 3, "Authentication", "Identity & Access Management"};
    else if (eqc(cat, "account_change"))
        *out = (struct km_ocsf_class){3001, 3, "Account Change", "Identity & Access Management"};
    else if (eqc(cat, "api"))
        *out = (struct km_ocsf_class){6003, 6, "API Activity", "Application Activity"};
    else if (eqc(cat, "config_change"))
        *out = (struct km_ocsf_class){5023, 5, "Cloud Resources Inventory Info", "Discovery"};
    else if (eqc(cat, "finding") && is_compliance(ev))
        *out = (struct km_ocsf_class){2003, 2, "Compliance Finding", "Findings"};
    else if (eqc(cat, "finding"))
        *out = (struct km_ocsf_class){2004, 2, "Detection Finding", "Findings"};
    else
        *out = (struct km_ocsf_class){0, 0, "Base Event", "Uncategorized"};
}

/* The lower-cased leading word of the operation name's last segment:
 * "CreateUser" -> "create", "google.iam.admin.v1.CreateServiceAccountKey" ->
 * "create", "Microsoft.Compute/virtualMachines/write" -> "write",
 * "Add member to role" -> "add". */
static void action_verb(struct km_str a, char out[24])
{
    size_t end = a.n;
    while (end > 0 && strchr("./: ", a.p[end - 1]))
        end--;
    size_t start = end;
    while (start > 0 && !strchr("./:", a.p[start - 1]))
        start--;
    size_t k = 0;
    for (size_t i = start; i < end && k < 23; i++) {
        unsigned char c = (unsigned char)a.p[i];
        if (!isalpha(c) || (k > 0 && isupper(c)))
            break;
        out[k++] = (char)tolower(c);
    }
    out[k] = 0;
}

static int in_list(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return 1;
    return 0;
}

static const char *const v_create[] = {"create", "add", "insert", "new", "register", "import",
                                       "allocate", "run", "upload", "invite", "generate",
                                       "issue", "provision", NULL};
static const char *const v_read[] = {"get", "list", "describe", "read", "search", "lookup",
                                     "head", "query", "watch", "fetch", "view", "scan",
                                     "select", "download", "check", "test", "export", NULL};
static const char *const v_update[] = {
    "update", "put", "modify", "set", "patch", "attach", "detach", "enable", "disable",
    "change", "replace", "reset", "write", "tag", "untag", "associate", "disassociate",
    "start", "stop", "reboot", "revoke", "grant", "assign", "unassign", "apply", "edit",
    "move", "rename", "restore", "authorize", "accept", "reject", "configure", "rotate",
    "approve", "cancel", "upgrade", "activate", "deactivate", NULL};
static const char *const v_delete[] = {"delete", "remove", "terminate", "destroy", "deregister",
                                       "purge", "drop", "unregister", NULL};

int km_export_ocsf_activity(const struct km_event *ev, int class_uid)
{
    struct km_str a = ev->f[KM_F_ACTION];
    char v[24] = "";
    if (a.p)
        action_verb(a, v);
    switch (class_uid) {
    case 6003: /* API Activity: 1 Create, 2 Read, 3 Update, 4 Delete */
        if (ev->read_only == 1)
            return 2;
        if (in_list(v, v_create))
            return 1;
        if (in_list(v, v_delete))
            return 4;
        if (in_list(v, v_update))
            return 3;
        if (in_list(v, v_read) && ev->read_only != 0)
            return 2;
        return ev->read_only == 0 ? 99 : 0;
    case 3002: /* Authentication: 1 Logon, 2 Logoff */
        return contains(a, "logout") || contains(a, "logoff") || contains(a, "signout") ||
                       contains(a, "sign out") || contains(a, "loggedout")
                   ? 2
                   : 1;
    case 3001: /* Account Change */
        if (contains(a, "mfa") || contains(a, "authenticationmethod") ||
            contains(a, "authentication method")) {
            if (in_list(v, (const char *const[]){"enable", "create", "add", "activate",
                                                  "register", NULL}))
                return 10; /* MFA Factor Enable */
            if (in_list(v, (const char *const[]){"deactivate", "disable", "delete", "remove",
                                                  NULL}))
                return 11; /* MFA Factor Disable */
        }
        if (contains(a, "password"))
            return contains(a, "reset") ? 4 : 3; /* Password Reset / Change */
        if (contains(a, "policy")) {
            if (in_list(v, (const char *const[]){"attach", "put", "add", "assign", NULL}))
                return 7; /* Attach Policy */
            if (in_list(v, (const char *const[]){"detach", "delete", "remove", NULL}))
                return 8; /* Detach Policy */
        }
        if (strcmp(v, "unlock") == 0)
            return 12;
        if (strcmp(v, "lock") == 0)
            return 9;
        if (strcmp(v, "enable") == 0 || strcmp(v, "activate") == 0)
            return 2;
        if (strcmp(v, "disable") == 0 || strcmp(v, "deactivate") == 0)
            return 5;
        if (contains(a, "member"))
            return 99; /* group / role membership: not an account's own change */
        if (in_list(v, (const char *const[]){"create", "add", "new", "invite", "register", NULL}))
            return 1;
        if (strcmp(v, "delete") == 0 || strcmp(v, "remove") == 0)
            return 6;
        return 99;
    case 2003:
    case 2004: /* Findings: 1 Create, 2 Update, 3 Close */
        return eqc(ev->f[KM_F_OUTCOME], "success") ? 3 : 1;
    case 5023: /* Discovery: 1 Log */
        return 1;
    default:
        return 0;
    }
}

static const char *activity_name(int class_uid, int id)
{
    static const char *const api[] = {"Unknown", "Create", "Read", "Update", "Delete"};
    static const char *const auth[] = {"Unknown", "Logon", "Logoff"};
    static const char *const acct[] = {"Unknown", "Create", "Enable", "Password Change",
                                       "Password Reset", "Disable", "Delete", "Attach Policy",
                                       "Detach Policy", "Lock", "MFA Factor Enable",
                                       "MFA Factor Disable", "Unlock"};
    static const char *const finding[] = {"Unknown", "Create", "Update", "Close"};
    static const char *const disc[] = {"Unknown", "Log", "Collect"};
    if (id == 99)
        return "Other";
    switch (class_uid) {
    case 6003: return id >= 0 && id < 5 ? api[id] : "Unknown";
    case 3002: return id >= 0 && id < 3 ? auth[id] : "Unknown";
    case 3001: return id >= 0 && id < 13 ? acct[id] : "Unknown";
    case 2003:
    case 2004: return id >= 0 && id < 4 ? finding[id] : "Unknown";
    case 5023: return id >= 0 && id < 3 ? disc[id] : "Unknown";
    default: return "Unknown";
    }
}

/* Severity bands of docs/schema.md: 0 -> 1 Informational, 1-39 -> 2 Low,
 * 40-69 -> 3 Medium, 70-89 -> 4 High, 90-100 -> 5 Critical; none -> 0. */
static int severity_id(int sev)
{
    if (sev < 0)
        return 0;
    if (sev == 0)
        return 1;
    if (sev < 40)
        return 2;
    if (sev < 70)
        return 3;
    if (sev < 90)
        return 4;
    return 5;
}

static const char *const severity_names[] = {"Unknown", "Informational", "Low", "Medium",
                                             "High", "Critical"};

/* ---- OCSF objects ------------------------------------------------------- */

/* OCSF user.type_id from the provider's identity type: 1 User, 2 Admin,
 * 3 System, 99 Other; 0 when there is no type. */
static int user_type_id(struct km_str t)
{
    if (!t.p || !t.n)
        return 0;
    if (eqc(t, "IAMUser") || eqc(t, "User") || eqc(t, "Regular") || eqc(t, "IdentityCenterUser"))
        return 1;
    if (eqc(t, "Root"))
        return 2;
    if (eqc(t, "AWSService") || eqc(t, "ServicePrincipal") || eqc(t, "managedIdentity") ||
        eqc(t, "System"))
        return 3;
    return 99;
}

static int user_present(const struct km_event *ev)
{
    return has(ev, KM_F_ACTOR_NAME) || has(ev, KM_F_ACTOR_ID) || has(ev, KM_F_ACTOR_ARN) ||
           has(ev, KM_F_ACTOR_EMAIL) || has(ev, KM_F_ACTOR_TYPE) || has(ev, KM_F_ACTOR_ACCESS_KEY);
}

static void put_user(struct jw *w, const char *key, const struct km_event *ev)
{
    jw_open(w, key, '{');
    jw_str(w, "name", ev->f[KM_F_ACTOR_NAME]);
    jw_str(w, "uid", ev->f[KM_F_ACTOR_ID]);
    jw_str(w, "uid_alt", ev->f[KM_F_ACTOR_ARN]);
    jw_str(w, "email_addr", ev->f[KM_F_ACTOR_EMAIL]);
    jw_str(w, "type", ev->f[KM_F_ACTOR_TYPE]);
    int t = user_type_id(ev->f[KM_F_ACTOR_TYPE]);
    if (t)
        jw_int(w, "type_id", t);
    jw_str(w, "credential_uid", ev->f[KM_F_ACTOR_ACCESS_KEY]);
    jw_close(w, '}');
}

static void put_actor(struct jw *w, const struct km_event *ev)
{
    int session = has(ev, KM_F_SESSION_ID) || has(ev, KM_F_ACTOR_SESSION_ISSUER) || ev->mfa >= 0;
    if (!user_present(ev) && !session)
        return;
    jw_open(w, "actor", '{');
    if (user_present(ev))
        put_user(w, "user", ev);
    if (session) {
        jw_open(w, "session", '{');
        jw_str(w, "uid", ev->f[KM_F_SESSION_ID]);
        jw_str(w, "issuer", ev->f[KM_F_ACTOR_SESSION_ISSUER]);
        if (ev->mfa >= 0)
            jw_bool(w, "is_mfa", ev->mfa);
        jw_close(w, '}');
    }
    jw_close(w, '}');
}

/* A caller address that is a DNS name ("ec2.amazonaws.com"), not an IP and
 * not a phrase ("AWS Internal"). */
static int is_hostname(struct km_str s)
{
    if (!s.p || !s.n || s.n > 253)
        return 0;
    int dot = 0, alpha = 0;
    for (uint32_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '.')
            dot = 1;
        else if (isalpha(c))
            alpha = 1;
        else if (!isdigit(c) && c != '-')
            return 0;
    }
    return dot && alpha && s.p[0] != '.' && s.p[0] != '-';
}

static int is_country_code(struct km_str s)
{
    return s.p && s.n == 2 && isupper((unsigned char)s.p[0]) && isupper((unsigned char)s.p[1]);
}

static int src_present(const struct km_event *ev)
{
    return has(ev, KM_F_SRC_IP) || is_hostname(ev->f[KM_F_SRC_RAW]) ||
           is_country_code(ev->f[KM_F_SRC_COUNTRY]) || has(ev, KM_F_SRC_CITY);
}

static void put_src(struct jw *w, const struct km_event *ev)
{
    if (!src_present(ev))
        return;
    jw_open(w, "src_endpoint", '{');
    jw_str(w, "ip", ev->f[KM_F_SRC_IP]);
    if (!has(ev, KM_F_SRC_IP) && is_hostname(ev->f[KM_F_SRC_RAW]))
        jw_str(w, "domain", ev->f[KM_F_SRC_RAW]);
    int cc = is_country_code(ev->f[KM_F_SRC_COUNTRY]);
    if (cc || has(ev, KM_F_SRC_CITY)) {
        jw_open(w, "location", '{');
        if (cc)
            jw_str(w, "country", ev->f[KM_F_SRC_COUNTRY]);
        jw_str(w, "city", ev->f[KM_F_SRC_CITY]);
        jw_close(w, '}');
    }
    jw_close(w, '}');
}

static void put_http(struct jw *w, const struct km_event *ev)
{
    if (!has(ev, KM_F_USER_AGENT))
        return;
    jw_open(w, "http_request", '{');
    jw_str(w, "user_agent", ev->f[KM_F_USER_AGENT]);
    jw_close(w, '}');
}

/* resources[]: uid <- id, name, type, owner.account.uid <- account. */
static void put_resources(struct jw *w, const struct km_json *arr)
{
    if (!arr || !arr->child)
        return;
    jw_open(w, "resources", '[');
    for (const struct km_json *r = arr->child; r; r = r->next) {
        if (!km_json_is_obj(r))
            continue;
        jw_open(w, NULL, '{');
        jw_str(w, "uid", km_json_sv(km_json_get(r, "id")));
        jw_str(w, "name", km_json_sv(km_json_get(r, "name")));
        jw_str(w, "type", km_json_sv(km_json_get(r, "type")));
        struct km_str acct = km_json_sv(km_json_get(r, "account"));
        if (acct.p && acct.n) {
            jw_open(w, "owner", '{');
            jw_open(w, "account", '{');
            jw_str(w, "uid", acct);
            jw_close(w, '}');
            jw_close(w, '}');
        }
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* The compliance standard a compliance finding was checked against. */
static struct km_str compliance_standard(const struct km_event *ev)
{
    struct km_str src = ev->f[KM_F_SOURCE], et = ev->f[KM_F_EVENT_TYPE];
    if (eqc(src, "aws.config"))
        return KM_STR("AWS Config rules");
    if (eqc(src, "azure.activity"))
        return KM_STR("Azure Policy");
    /* Security Hub: ".../Industry and Regulatory Standards/<standard>" */
    if (et.p && et.n) {
        uint32_t s = et.n;
        while (s > 0 && et.p[s - 1] != '/')
            s--;
        if (s < et.n)
            return (struct km_str){et.p + s, et.n - s};
    }
    return KM_STR("unknown");
}

static void render_ocsf(const struct km_event *ev, struct km_buf *b)
{
    struct km_ocsf_class c;
    km_export_ocsf_class(ev, &c);
    int act = km_export_ocsf_activity(ev, c.class_uid);
    int finding = c.category_uid == 2;
    /* classes whose schema has actor / src_endpoint / http_request */
    int has_actor = c.class_uid == 6003 || c.class_uid == 3002 || c.class_uid == 3001;
    char t[32];
    km_time_fmt(ev->time_us, t);
    struct jarr res, rel;
    jarr_parse(&res, ev->f[KM_F_RESOURCES]);
    jarr_parse(&rel, ev->f[KM_F_RELATED]);

    struct jw w;
    jw_init(&w, b);
    jw_open(&w, NULL, '{');
    jw_int(&w, "class_uid", c.class_uid);
    jw_cstr(&w, "class_name", c.class_name);
    jw_int(&w, "category_uid", c.category_uid);
    jw_cstr(&w, "category_name", c.category_name);
    jw_int(&w, "activity_id", act);
    const char *an = activity_name(c.class_uid, act);
    jw_cstr(&w, "activity_name", an);
    jw_int(&w, "type_uid", (long long)c.class_uid * 100 + act);
    jw_key(&w, "type_name");
    km_buf_printf(b, "\"%s: %s\"", c.class_name, an);
    jw_int(&w, "time", to_ms(ev->time_us));
    jw_cstr(&w, "time_dt", t);
    int sid = finding ? severity_id(ev->severity) : 1;
    jw_int(&w, "severity_id", sid);
    jw_cstr(&w, "severity", severity_names[sid]);

    struct km_str oc = ev->f[KM_F_OUTCOME];
    if (finding) { /* finding status: 1 New, 4 Resolved */
        int st = eqc(oc, "failure") ? 1 : eqc(oc, "success") ? 4 : 0;
        jw_int(&w, "status_id", st);
        jw_cstr(&w, "status", st == 1 ? "New" : st == 4 ? "Resolved" : "Unknown");
    } else {
        /* 99 Other: an interrupted sign-in (an Entra MFA or "Stay signed in?"
         * step) neither succeeded nor failed */
        int st = eqc(oc, "success") ? 1 : eqc(oc, "failure") ? 2 : eqc(oc, "interrupted") ? 99 : 0;
        jw_int(&w, "status_id", st);
        jw_cstr(&w, "status", st == 1 ? "Success" : st == 2 ? "Failure" : st == 99 ? "Other" : "Unknown");
    }
    jw_str(&w, "status_code", ev->f[KM_F_ERROR_CODE]);
    jw_str(&w, "status_detail", ev->f[KM_F_ERROR_MESSAGE]);

    jw_key(&w, "message");
    struct km_buf msg;
    km_buf_init(&msg, 1 << 20);
    km_describe_event(ev, &msg);
    km_json_write_str(b, msg.p ? msg.p : "", msg.n);
    km_buf_free(&msg);

    jw_open(&w, "metadata", '{');
    jw_cstr(&w, "version", KM_EXPORT_OCSF_VERSION);
    jw_open(&w, "product", '{');
    jw_cstr(&w, "name", "kumo");
    jw_cstr(&w, "vendor_name", "kumo");
    jw_close(&w, '}');
    jw_key(&w, "profiles");
    km_buf_adds(b, "[\"cloud\",\"datetime\"]");
    jw_str(&w, "uid", ev->f[KM_F_EVENT_ID]);
    jw_cstr(&w, "original_time", t);
    jw_str(&w, "log_name", ev->f[KM_F_SOURCE]);
    jw_str(&w, "log_provider", ev->f[KM_F_SOURCE]);
    jw_str(&w, "event_code", ev->f[KM_F_EVENT_TYPE]);
    if (ev->f[KM_F_SOURCE].p && ev->f[KM_F_SOURCE].n >= 6 &&
        memcmp(ev->f[KM_F_SOURCE].p, "azure.", 6) == 0)
        jw_str(&w, "correlation_uid", ev->f[KM_F_REQUEST_ID]); /* correlationId */
    jw_close(&w, '}');

    jw_open(&w, "cloud", '{');
    jw_str(&w, "provider", has(ev, KM_F_PROVIDER) ? ev->f[KM_F_PROVIDER] : KM_STR("unknown"));
    if (has(ev, KM_F_ACCOUNT)) {
        jw_open(&w, "account", '{');
        jw_str(&w, "uid", ev->f[KM_F_ACCOUNT]);
        jw_close(&w, '}');
    }
    jw_str(&w, "region", ev->f[KM_F_REGION]);
    jw_close(&w, '}');

    if (has(ev, KM_F_ACTION)) {
        jw_open(&w, "api", '{');
        jw_str(&w, "operation", ev->f[KM_F_ACTION]);
        if (has(ev, KM_F_SERVICE)) {
            jw_open(&w, "service", '{');
            jw_str(&w, "name", ev->f[KM_F_SERVICE]);
            jw_close(&w, '}');
        }
        if (has(ev, KM_F_REQUEST_ID)) {
            jw_open(&w, "request", '{');
            jw_str(&w, "uid", ev->f[KM_F_REQUEST_ID]);
            jw_close(&w, '}');
        }
        jw_close(&w, '}');
    }

    if (has_actor) {
        put_actor(&w, ev);
        put_src(&w, ev);
        put_http(&w, ev);
    }
    if (c.class_uid == 3002) {
        if (user_present(ev))
            put_user(&w, "user", ev);
        if (has(ev, KM_F_SERVICE)) {
            jw_open(&w, "service", '{');
            jw_str(&w, "name", ev->f[KM_F_SERVICE]);
            jw_close(&w, '}');
        }
        if (ev->mfa >= 0)
            jw_bool(&w, "is_mfa", ev->mfa);
    }
    if (c.class_uid == 3001 && res.root && km_json_is_obj(res.root->child)) {
        /* the account changed: the first resource */
        const struct km_json *r = res.root->child;
        struct km_str uid = km_json_sv(km_json_get(r, "id"));
        struct km_str name = km_json_sv(km_json_get(r, "name"));
        if ((uid.p && uid.n) || (name.p && name.n)) {
            jw_open(&w, "user", '{');
            jw_str(&w, "uid", uid);
            jw_str(&w, "name", name);
            jw_close(&w, '}');
        }
    }
    put_resources(&w, res.root);

    if (finding) {
        jw_open(&w, "finding_info", '{');
        jw_str(&w, "uid", ev->f[KM_F_EVENT_ID]);
        struct km_str title = has(ev, KM_F_ACTION)       ? ev->f[KM_F_ACTION]
                              : has(ev, KM_F_EVENT_TYPE) ? ev->f[KM_F_EVENT_TYPE]
                                                         : KM_STR("finding");
        jw_str(&w, "title", title);
        if (has(ev, KM_F_EVENT_TYPE)) {
            jw_open(&w, "types", '[');
            jw_str(&w, NULL, ev->f[KM_F_EVENT_TYPE]);
            jw_close(&w, ']');
        }
        jw_close(&w, '}');
        if (c.class_uid == 2003) {
            int cs = eqc(oc, "success") ? 1 : eqc(oc, "failure") ? 3 : 0;
            jw_open(&w, "compliance", '{');
            jw_open(&w, "standards", '[');
            jw_str(&w, NULL, compliance_standard(ev));
            jw_close(&w, ']');
            jw_str(&w, "control", ev->f[KM_F_ACTION]);
            jw_int(&w, "status_id", cs);
            jw_cstr(&w, "status", cs == 1 ? "Pass" : cs == 3 ? "Fail" : "Unknown");
            jw_close(&w, '}');
        }
        /* who and where the finding is about: its evidence */
        if (user_present(ev) || src_present(ev) || has(ev, KM_F_USER_AGENT)) {
            jw_open(&w, "evidences", '[');
            jw_open(&w, NULL, '{');
            put_actor(&w, ev);
            put_src(&w, ev);
            put_http(&w, ev);
            jw_close(&w, '}');
            jw_close(&w, ']');
        }
    }

    /* unmapped: what no attribute of the class holds */
    struct km_buf ub;
    km_buf_init(&ub, 0);
    struct jw u;
    jw_init(&u, &ub);
    if (!has_actor && !finding) {
        put_actor(&u, ev);
        put_src(&u, ev);
        put_http(&u, ev);
    }
    struct km_str raw = ev->f[KM_F_SRC_RAW];
    /* src.raw is kept when it is src.ip, or a host name (src_endpoint.domain) */
    int raw_used = has(ev, KM_F_SRC_IP) ? km_str_eq(raw, ev->f[KM_F_SRC_IP]) : is_hostname(raw);
    if (!raw_used)
        jw_str(&u, "src_raw", raw);
    if (has(ev, KM_F_SRC_COUNTRY) && !is_country_code(ev->f[KM_F_SRC_COUNTRY]))
        jw_str(&u, "src_geo_country", ev->f[KM_F_SRC_COUNTRY]);
    if (!has(ev, KM_F_ACTION)) {
        jw_str(&u, "service", ev->f[KM_F_SERVICE]);
        jw_str(&u, "request_id", ev->f[KM_F_REQUEST_ID]);
    }
    if (has(ev, KM_F_RESOURCES) && !res.root)
        jw_str(&u, "resources", ev->f[KM_F_RESOURCES]);
    if (rel.root) {
        jw_key(&u, "related_events");
        km_json_write_value(&ub, rel.root);
    } else {
        jw_str(&u, "related_events", ev->f[KM_F_RELATED]);
    }
    if (ev->read_only >= 0)
        jw_bool(&u, "read_only", ev->read_only);
    if (ev->flags & (KM_EV_TIME_FALLBACK | KM_EV_TIME_MISSING | KM_EV_ID_SYNTH |
                     KM_EV_TYPE_PROBLEM))
        jw_int(&u, "flags", ev->flags & (KM_EV_TIME_FALLBACK | KM_EV_TIME_MISSING |
                                         KM_EV_ID_SYNTH | KM_EV_TYPE_PROBLEM));
    if (ub.n) {
        jw_key(&w, "unmapped");
        km_buf_addc(b, '{');
        km_buf_add(b, ub.p, ub.n);
        km_buf_addc(b, '}');
    }
    km_buf_free(&ub);
    jw_close(&w, '}');
    km_arena_free(&res.a);
    km_arena_free(&rel.a);
}

/* ---- Timesketch --------------------------------------------------------- */

const char *km_export_timestamp_desc(const struct km_event *ev)
{
    struct km_str src = ev->f[KM_F_SOURCE], id = ev->f[KM_F_EVENT_ID];
    if (ev->flags & KM_EV_TIME_MISSING)
        return "No Timestamp";
    if (ev->flags & KM_EV_TIME_FALLBACK)
        return "Event Recorded (fallback time field)";
    if (eqc(src, "aws.config"))
        return id.p && id.n >= 11 && memcmp(id.p, "compliance:", 11) == 0
                   ? "Compliance Evaluated"
                   : "Configuration Captured";
    if (eqc(src, "aws.securityhub") || eqc(src, "aws.guardduty"))
        return "Finding Updated";
    if (eqc(src, "azure.identity_protection"))
        return "Risk Detected";
    if (eqc(ev->f[KM_F_CATEGORY], "authentication"))
        return "Sign-in";
    return "Event Recorded";
}

/* Timesketch field name: the dotted name with '_' for '.' (dots would be
 * object paths in the OpenSearch index). */
static void ts_name(struct km_buf *b, const char *name)
{
    for (; *name; name++)
        km_buf_addc(b, *name == '.' ? '_' : *name);
}

/* "2024-08-02T08:53:24.000000+00:00" */
static void ts_datetime(int64_t us, char out[48])
{
    char t[32];
    km_time_fmt(us, t);
    size_t n = strlen(t);
    if (n && t[n - 1] == 'Z')
        t[--n] = 0;
    snprintf(out, 48, "%s%s+00:00", t, strchr(t, '.') ? "" : ".000000");
}

/* Timesketch's message (the one-line description) and data_type
 * ("kumo:<source>"), for the JSON and CSV renderers. Caller frees both. */
static void ts_message_type(const struct km_event *ev, struct km_buf *msg, struct km_buf *dtp)
{
    km_buf_init(msg, 1 << 20);
    km_describe_event(ev, msg);
    km_buf_init(dtp, 0);
    km_buf_adds(dtp, "kumo:");
    if (ev->f[KM_F_SOURCE].p)
        km_buf_add(dtp, ev->f[KM_F_SOURCE].p, ev->f[KM_F_SOURCE].n);
}

static void render_timesketch_json(const struct km_event *ev, struct km_buf *b)
{
    char dt[48];
    ts_datetime(ev->time_us, dt);
    struct km_buf msg, dtp;
    ts_message_type(ev, &msg, &dtp);
    km_buf_adds(b, "{\"message\":");
    km_json_write_str(b, msg.p ? msg.p : "", msg.n);
    km_buf_printf(b, ",\"datetime\":\"%s\",\"timestamp\":%lld,\"timestamp_desc\":\"%s\"", dt,
                  (long long)ev->time_us, km_export_timestamp_desc(ev));
    km_buf_adds(b, ",\"data_type\":");
    km_json_write_str(b, dtp.p, dtp.n);
    km_buf_free(&msg);
    km_buf_free(&dtp);
    for (int f = 0; f < KM_F__COUNT; f++) {
        if (!ev->f[f].p)
            continue;
        km_buf_adds(b, ",\"");
        ts_name(b, km_fields[f].name);
        km_buf_adds(b, "\":");
        km_json_write_str(b, ev->f[f].p, ev->f[f].n);
    }
    km_out_event_json_tail(b, ev, "actor_mfa");
    km_buf_adds(b, "}\n");
}

static const char *tri(int v)
{
    return v < 0 ? "" : v ? "true" : "false";
}

/* ",field…,read_only,mfa,severity": the cells both CSV formats share. */
static void csv_fields(const struct km_event *ev, struct km_buf *b)
{
    for (int f = 0; f < KM_F__COUNT; f++) {
        km_buf_addc(b, ',');
        if (ev->f[f].p)
            km_out_csv_cell_buf(b, ev->f[f].p, ev->f[f].n);
    }
    km_buf_printf(b, ",%s,%s,", tri(ev->read_only), tri(ev->mfa));
    if (ev->severity >= 0)
        km_buf_printf(b, "%d", ev->severity);
}

static void render_timesketch_csv(const struct km_event *ev, struct km_buf *b)
{
    char dt[48];
    ts_datetime(ev->time_us, dt);
    struct km_buf msg, dtp;
    ts_message_type(ev, &msg, &dtp);
    km_out_csv_cell_buf(b, msg.p ? msg.p : "", msg.n);
    km_buf_printf(b, ",%s,%lld,%s,", dt, (long long)ev->time_us, km_export_timestamp_desc(ev));
    km_out_csv_cell_buf(b, dtp.p, dtp.n);
    km_buf_free(&msg);
    km_buf_free(&dtp);
    csv_fields(ev, b);
    km_buf_addc(b, '\n');
}

static void render_csv(const struct km_event *ev, struct km_buf *b)
{
    char t[32];
    km_time_fmt(ev->time_us, t);
    km_buf_adds(b, t);
    csv_fields(ev, b);
    km_buf_printf(b, ",%u\n", (unsigned)ev->flags);
}

static void csv_header(enum km_export_fmt fmt, struct km_buf *b)
{
    if (fmt == KM_EXPORT_CSV) {
        km_buf_adds(b, "time");
        for (int f = 0; f < KM_F__COUNT; f++) {
            km_buf_addc(b, ',');
            km_buf_adds(b, km_fields[f].name);
        }
        km_buf_adds(b, ",read_only,actor.mfa,severity,flags\n");
    } else {
        km_buf_adds(b, "message,datetime,timestamp,timestamp_desc,data_type");
        for (int f = 0; f < KM_F__COUNT; f++) {
            km_buf_addc(b, ',');
            ts_name(b, km_fields[f].name);
        }
        km_buf_adds(b, ",read_only,actor_mfa,severity\n");
    }
}

/* ---- the sink ----------------------------------------------------------- */

int km_export_begin(struct km_export *x, enum km_export_fmt fmt, FILE *out, struct km_err *err)
{
    memset(x, 0, sizeof *x);
    if ((unsigned)fmt >= KM_EXPORT__COUNT)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "unknown export format (%s)",
                          km_export_formats);
    x->fmt = fmt;
    x->out = out;
    km_buf_init(&x->line, 0);
    if (fmt == KM_EXPORT_CSV || fmt == KM_EXPORT_TIMESKETCH_CSV) {
        csv_header(fmt, &x->line);
        if (fwrite(x->line.p, 1, x->line.n, out) != x->line.n)
            return km_err_set(err, KM_EIO, NULL, UINT64_MAX, "writing the export failed");
        x->line.n = 0;
    }
    return KM_OK;
}

int km_export_render(const struct km_export *x, const struct km_event *ev, struct km_buf *b,
                     struct km_err *err)
{
    switch (x->fmt) {
    case KM_EXPORT_JSONL:
        km_out_event_json(b, ev);
        km_buf_addc(b, '\n');
        break;
    case KM_EXPORT_CSV: render_csv(ev, b); break;
    case KM_EXPORT_OCSF:
        render_ocsf(ev, b);
        km_buf_addc(b, '\n');
        break;
    case KM_EXPORT_TIMESKETCH: render_timesketch_json(ev, b); break;
    case KM_EXPORT_TIMESKETCH_CSV: render_timesketch_csv(ev, b); break;
    default:
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "unknown export format");
    }
    if (b->oom)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "an exported record is too large");
    return KM_OK;
}

int km_export_event(struct km_export *x, const struct km_event *ev, struct km_err *err)
{
    x->line.n = 0;
    int rc = km_export_render(x, ev, &x->line, err);
    if (rc != KM_OK)
        return rc;
    if (fwrite(x->line.p, 1, x->line.n, x->out) != x->line.n)
        return km_err_set(err, KM_EIO, NULL, UINT64_MAX, "writing the export failed");
    x->events++;
    return KM_OK;
}

int km_export_end(struct km_export *x, struct km_err *err)
{
    km_buf_free(&x->line);
    if (!x->out)
        return KM_OK;
    if (fflush(x->out) != 0 || ferror(x->out))
        return km_err_set(err, KM_EIO, NULL, UINT64_MAX, "writing the export failed");
    return KM_OK;
}
