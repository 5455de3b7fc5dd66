/*
 * entra.c — Microsoft Entra ID (Azure AD) logs to normalized events: sign-in
 * logs (azure.signin), directory audit logs (azure.audit) and Identity
 * Protection risk data (azure.identity_protection). docs/sources/entra.md has
 * the field mapping, the shapes and the quirks; this comment sketches the code.
 *
 * The same Microsoft Graph resource (signIn, directoryAudit, riskDetection,
 * riskyUser, ...) arrives in three shapes:
 *
 *   Graph API      {"id", "createdDateTime", "userPrincipalName", ...}  camelCase, nested objects
 *   diagnostic     {"time", "category", "operationName", "resultType",  envelope; the Graph
 *   settings        "tenantId", "callerIpAddress", "properties":{...}}  object is `properties`
 *   (Event Hub, storage account PT1H.json, {"records":[...]})
 *   Log Analytics  {"TimeGenerated", "Type", "UserPrincipalName",       PascalCase columns,
 *   rows            "Status":"{\"errorCode\":0}", ...}                  nested objects as JSON
 *                                                                        strings (also a CSV
 *                                                                        export's rows)
 *   Entra portal   {"Date (UTC)", "Request ID", "Username",             "Download CSV" of
 *   CSV rows        "Status":"Success", "Location":"City, ST, CC"}      sign-ins / audit logs
 *
 * CSV rows arrive as the record splitter's JSON object of the row (column
 * names as keys, every value a string). The portal's column names are put
 * into the same slots as the Graph names (en_portal_cols) once a row is
 * known to be one ("Date (UTC)" and no Log Analytics columns).
 *
 * Graph and Log Analytics names differ only in letter case (createdDateTime /
 * CreatedDateTime, ipAddress / IPAddress), and exports lower-case keys
 * (Panther: "calleripaddress"), so members are matched case-insensitively
 * (an exact-case match wins). One pass over an object fills `slots`
 * (struct en_slots); the envelope (`env`: the diagnostic record, or the flat
 * Graph/Log Analytics record itself) and the Graph-like body (`p`:
 * `properties`, or the flat record again) each get their own slots.
 *
 * Nested values that Log Analytics serialises as strings (Status, MfaDetail,
 * InitiatedBy, TargetResources, AdditionalDetails, ...) are parsed in place
 * (the string lies in the mutable record buffer) and the string node is
 * rewritten into the parsed value, so a second pass over the same tree sees
 * an object. Strings in the event point into the record (zero-copy) except
 * the few that are built in ctx->arena: lower-cased e-mails, canonical IPv6,
 * "<log type>:<id>" event ids, "id@time" ids of risky-user states, resources
 * JSON.
 */
#include "sources/source.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/ip.h"
#include "core/timeparse.h"
#include "sources/entra_codes.h"

/* ---- member slots ------------------------------------------------------------ */

enum en_slot {
    /* envelope (diagnostic record / Log Analytics row) */
    F_TIME,
    F_TIMEGENERATED,
    F_CATEGORY,
    F_TYPE,
    F_OPERATIONNAME,
    F_RESULTTYPE,
    F_RESULTDESCRIPTION,
    F_TENANTID,
    F_AADTENANTID,
    F_RESOURCEID,
    F_CALLERIP,
    F_IDENTITY,
    F_PROPERTIES,
    F_SOURCESYSTEM,
    /* Graph body: common */
    F_ID,
    F_CORRELATIONID,
    F_IPADDRESS,
    F_USERAGENT,
    F_UPN,
    F_USERID,
    F_USERDISPLAYNAME,
    F_USERTYPE,
    F_RESULT,
    /* signIn */
    F_CREATED,
    F_APPDISPLAYNAME,
    F_APPID,
    F_RESOURCEDISPLAYNAME,
    F_RESOURCEIDENTITY,
    F_STATUS,
    F_SESSIONID,
    F_SIGNINEVENTTYPES,
    F_AUTHREQUIREMENT,
    F_MFADETAIL,
    F_SPID,
    F_SPNAME,
    F_ISINTERACTIVE,
    /* directoryAudit */
    F_ACTIVITYDATETIME,
    F_ACTIVITYDISPLAYNAME,
    F_LOGGEDBYSERVICE,
    F_OPERATIONTYPE,
    F_AADOPERATIONTYPE,
    F_INITIATEDBY,
    F_TARGETRESOURCES,
    F_ADDITIONALDETAILS,
    F_RESULTREASON,
    /* riskDetection / riskyUser / service principal variants */
    F_RISKEVENTTYPE,
    F_RISKLEVEL,
    F_RISKSTATE,
    F_DETECTED,
    F_LASTUPDATED,
    F_RISKLASTUPDATED,
    F_REQUESTID,
    F_SOURCE,
    F_IPADDRESSES,
    F_SPDISPLAYNAME,
    F_DISPLAYNAME,
    F_SPTYPE,
    /* geolocation: signIn / riskDetection `location` object, Log Analytics
     * `Location` (country code) and `LocationDetails` (JSON string), the
     * diagnostic envelope's `location` (country code of a sign-in) */
    F_LOCATION,
    F_LOCATIONDETAILS,
    /* Entra portal CSV download: the time column, and columns with no Graph
     * member of that shape (MFA result / method as text, MI type) */
    F_DATEUTC,
    F_PMFARESULT,
    F_PMFAMETHOD,
    F_PMITYPE,
    F__COUNT
};

static const struct {
    const char *name;
    uint32_t len;
} en_keys[F__COUNT] = {
#define K(s) {s, (uint32_t)sizeof(s) - 1}
    [F_TIME] = K("time"),
    [F_TIMEGENERATED] = K("TimeGenerated"),
    [F_CATEGORY] = K("category"),
    [F_TYPE] = K("Type"),
    [F_OPERATIONNAME] = K("operationName"),
    [F_RESULTTYPE] = K("resultType"),
    [F_RESULTDESCRIPTION] = K("resultDescription"),
    [F_TENANTID] = K("tenantId"),
    [F_AADTENANTID] = K("AADTenantId"),
    [F_RESOURCEID] = K("resourceId"),
    [F_CALLERIP] = K("callerIpAddress"),
    [F_IDENTITY] = K("identity"),
    [F_PROPERTIES] = K("properties"),
    [F_SOURCESYSTEM] = K("SourceSystem"),
    [F_ID] = K("id"),
    [F_CORRELATIONID] = K("correlationId"),
    [F_IPADDRESS] = K("ipAddress"),
    [F_USERAGENT] = K("userAgent"),
    [F_UPN] = K("userPrincipalName"),
    [F_USERID] = K("userId"),
    [F_USERDISPLAYNAME] = K("userDisplayName"),
    [F_USERTYPE] = K("userType"),
    [F_RESULT] = K("result"),
    [F_CREATED] = K("createdDateTime"),
    [F_APPDISPLAYNAME] = K("appDisplayName"),
    [F_APPID] = K("appId"),
    [F_RESOURCEDISPLAYNAME] = K("resourceDisplayName"),
    [F_RESOURCEIDENTITY] = K("ResourceIdentity"),
    [F_STATUS] = K("status"),
    [F_SESSIONID] = K("sessionId"),
    [F_SIGNINEVENTTYPES] = K("signInEventTypes"),
    [F_AUTHREQUIREMENT] = K("authenticationRequirement"),
    [F_MFADETAIL] = K("mfaDetail"),
    [F_SPID] = K("servicePrincipalId"),
    [F_SPNAME] = K("servicePrincipalName"),
    [F_ISINTERACTIVE] = K("isInteractive"),
    [F_ACTIVITYDATETIME] = K("activityDateTime"),
    [F_ACTIVITYDISPLAYNAME] = K("activityDisplayName"),
    [F_LOGGEDBYSERVICE] = K("loggedByService"),
    [F_OPERATIONTYPE] = K("operationType"),
    [F_AADOPERATIONTYPE] = K("AADOperationType"),
    [F_INITIATEDBY] = K("initiatedBy"),
    [F_TARGETRESOURCES] = K("targetResources"),
    [F_ADDITIONALDETAILS] = K("additionalDetails"),
    [F_RESULTREASON] = K("resultReason"),
    [F_RISKEVENTTYPE] = K("riskEventType"),
    [F_RISKLEVEL] = K("riskLevel"),
    [F_RISKSTATE] = K("riskState"),
    [F_DETECTED] = K("detectedDateTime"),
    [F_LASTUPDATED] = K("lastUpdatedDateTime"),
    [F_RISKLASTUPDATED] = K("riskLastUpdatedDateTime"),
    [F_REQUESTID] = K("requestId"),
    [F_SOURCE] = K("source"),
    [F_IPADDRESSES] = K("ipAddresses"),
    [F_SPDISPLAYNAME] = K("servicePrincipalDisplayName"),
    [F_DISPLAYNAME] = K("displayName"),
    [F_SPTYPE] = K("servicePrincipalType"),
    [F_LOCATION] = K("location"),
    [F_LOCATIONDETAILS] = K("LocationDetails"),
    [F_DATEUTC] = K("Date (UTC)"),
    [F_PMFARESULT] = K("Multifactor authentication result"),      /* > EN_MAXKEY: portal pass */
    [F_PMFAMETHOD] = K("Multifactor authentication auth method"), /* likewise */
    [F_PMITYPE] = K("Managed Identity type"),
#undef K
};

struct en_slots {
    struct km_json *v[F__COUNT];
    uint8_t exact[F__COUNT];
};

/* Slots by key length (built once): a member is compared with the few slot
 * names of its length only. */
#define EN_MAXKEY 32
#define EN_PERLEN 12   /* at most 7 slot names share a length today */
static uint8_t en_by_len[EN_MAXKEY][EN_PERLEN];
static uint8_t en_nby_len[EN_MAXKEY];
static pthread_once_t en_once = PTHREAD_ONCE_INIT;

static void en_index(void)
{
    for (int k = 0; k < F__COUNT; k++) {
        uint32_t l = en_keys[k].len;
        if (l < EN_MAXKEY && en_nby_len[l] < EN_PERLEN)
            en_by_len[l][en_nby_len[l]++] = (uint8_t)k;
    }
}

/* One pass over obj's members: each slot gets the first exact-case match, else
 * the first case-insensitive one. */
static void en_collect(struct km_json *obj, struct en_slots *s)
{
    memset(s, 0, sizeof *s);
    if (!obj || obj->type != KM_JSON_OBJECT)
        return;
    pthread_once(&en_once, en_index);
    for (struct km_json *m = obj->child; m; m = m->next) {
        if (!m->key_len || m->key_len >= EN_MAXKEY)
            continue;
        /* cheap filter before the string compares: first and last letter in
         * either case */
        unsigned char f0 = (unsigned char)m->key[0] | 0x20;
        unsigned char fl = (unsigned char)m->key[m->key_len - 1] | 0x20;
        for (int i = 0; i < en_nby_len[m->key_len]; i++) {
            int k = en_by_len[m->key_len][i];
            if (s->exact[k] || ((unsigned char)en_keys[k].name[0] | 0x20) != f0 ||
                ((unsigned char)en_keys[k].name[m->key_len - 1] | 0x20) != fl)
                continue;
            if (memcmp(m->key, en_keys[k].name, m->key_len) == 0) {
                s->v[k] = m;
                s->exact[k] = 1;
                break;
            }
            if (!s->v[k] && strncasecmp(m->key, en_keys[k].name, m->key_len) == 0) {
                s->v[k] = m;
                break;
            }
        }
    }
}

/* Entra portal "Download CSV" columns (sign-ins, audit logs) and the slot
 * each fills when the Graph-named member is absent. */
static const struct {
    const char *name;
    uint8_t slot;
} en_portal_cols[] = {
    {"Request ID", F_ID},
    {"User agent", F_USERAGENT},
    {"Correlation ID", F_CORRELATIONID},
    {"User ID", F_USERID},
    {"User", F_USERDISPLAYNAME},
    {"Username", F_UPN},
    {"User type", F_USERTYPE},
    {"Application", F_APPDISPLAYNAME},
    {"Application ID", F_APPID},
    {"Resource", F_RESOURCEDISPLAYNAME},
    {"Resource ID", F_RESOURCEID},
    {"IP address", F_IPADDRESS},
    {"Status", F_RESULT},                 /* Success / Failure / Interrupted */
    {"Sign-in error code", F_RESULTTYPE},
    {"Failure reason", F_RESULTDESCRIPTION},
    {"Session ID", F_SESSIONID},
    {"Authentication requirement", F_AUTHREQUIREMENT},
    {"Multifactor authentication result", F_PMFARESULT},
    {"Multifactor authentication auth method", F_PMFAMETHOD},
    {"Service principal ID", F_SPID},
    {"Service principal name", F_SPNAME},
    {"Managed Identity type", F_PMITYPE},
    /* audit-log download */
    {"Activity", F_ACTIVITYDISPLAYNAME},
    {"Service", F_LOGGEDBYSERVICE},
};

/* The portal pass over a row already collected by en_collect. */
static void en_collect_portal(struct km_json *obj, struct en_slots *s)
{
    for (struct km_json *m = obj->child; m; m = m->next)
        for (size_t k = 0; k < KM_ARRAY_LEN(en_portal_cols); k++) {
            int slot = en_portal_cols[k].slot;
            if (!s->v[slot] && m->key_len == strlen(en_portal_cols[k].name) &&
                strncasecmp(m->key, en_portal_cols[k].name, m->key_len) == 0) {
                s->v[slot] = m;
                break;
            }
        }
    /* the portal's Status is a word (now in `result`), not a Graph status */
    s->v[F_STATUS] = NULL;
}

/* ---- classification (detect) -------------------------------------------------- */

enum en_kind { K_NONE = 0, K_SIGNIN, K_AUDIT, K_RISK };
enum en_shape { SH_GRAPH = 0, SH_DIAG, SH_LA, SH_PORTAL };
/* risk record types */
enum en_risk { R_DETECTION = 0, R_SP_DETECTION, R_RISKY_USER, R_RISKY_SP };

#define absent km_json_absent

static int str_is(const struct km_json *v, const char *s)
{
    return km_json_is_str(v) && strcasecmp(v->str, s) == 0;
}

/* Diagnostic-settings sign-in categories and the Log Analytics tables that
 * hold them: the log type is the category name. */
static const struct {
    const char *category, *table;
} en_signin_logs[] = {
    {"SignInLogs", "SigninLogs"},
    {"NonInteractiveUserSignInLogs", "AADNonInteractiveUserSignInLogs"},
    {"ServicePrincipalSignInLogs", "AADServicePrincipalSignInLogs"},
    {"ManagedIdentitySignInLogs", "AADManagedIdentitySignInLogs"},
    /* no Log Analytics table known for this one: the category name twice */
    {"MicrosoftServicePrincipalSignInLogs", "MicrosoftServicePrincipalSignInLogs"},
    {"ADFSSignInLogs", "ADFSSignInLogs"},
};

static const struct {
    const char *category, *table, *event_type;
    int risk;
} en_risk_logs[] = {
    {"UserRiskEvents", "AADUserRiskEvents", "riskDetection", R_DETECTION},
    {"ServicePrincipalRiskEvents", "AADServicePrincipalRiskEvents",
     "servicePrincipalRiskDetection", R_SP_DETECTION},
    {"RiskyUsers", "AADRiskyUsers", "riskyUser", R_RISKY_USER},
    {"RiskyServicePrincipals", "AADRiskyServicePrincipals", "riskyServicePrincipal", R_RISKY_SP},
};

/* Index into en_signin_logs for a category or table name, or -1. */
static int en_signin_log(const struct km_json *v)
{
    if (!km_json_is_str(v))
        return -1;
    for (int i = 0; i < (int)KM_ARRAY_LEN(en_signin_logs); i++)
        if (!strcasecmp(v->str, en_signin_logs[i].category) ||
            !strcasecmp(v->str, en_signin_logs[i].table))
            return i;
    return -1;
}

static int en_risk_log(const struct km_json *v)
{
    if (!km_json_is_str(v))
        return -1;
    for (int i = 0; i < (int)KM_ARRAY_LEN(en_risk_logs); i++)
        if (!strcasecmp(v->str, en_risk_logs[i].category) ||
            !strcasecmp(v->str, en_risk_logs[i].table))
            return i;
    return -1;
}

static int has(const struct en_slots *s, int k)
{
    return !absent(s->v[k]);
}

/* absent, null or "" */
static int blank(const struct km_json *v)
{
    return absent(v) || (v->type == KM_JSON_STRING && v->len == 0);
}

/* A Graph-like body (properties, or a flat record): which resource it is. */
static int en_body_kind(const struct en_slots *s, int *score)
{
    if (has(s, F_CREATED) &&
        (has(s, F_STATUS) || has(s, F_RESULTTYPE) || has(s, F_SIGNINEVENTTYPES) ||
         has(s, F_IPADDRESS)) &&
        !has(s, F_RISKEVENTTYPE)) {
        *score = 85;
        return K_SIGNIN;
    }
    if (has(s, F_ACTIVITYDATETIME) && !has(s, F_RISKEVENTTYPE) &&
        (has(s, F_ACTIVITYDISPLAYNAME) || has(s, F_LOGGEDBYSERVICE))) {
        *score = 85;
        return K_AUDIT;
    }
    if (km_json_is_str(s->v[F_RISKEVENTTYPE]) &&
        (has(s, F_DETECTED) || has(s, F_ACTIVITYDATETIME) || has(s, F_RISKLEVEL) ||
         has(s, F_RISKSTATE))) {
        *score = 85;
        return K_RISK;
    }
    if (has(s, F_RISKLASTUPDATED) && (has(s, F_RISKLEVEL) || has(s, F_RISKSTATE))) {
        *score = 80;
        return K_RISK;
    }
    *score = 0;
    return K_NONE;
}

/* Classifies a record: kind, shape and a detect score. `env` and `body`
 * receive the collected slots (body only for diagnostic records). */
static int en_classify(struct km_json *rec, struct en_slots *env, struct en_slots *body,
                       int *shape, int *score)
{
    *score = 0;
    *shape = SH_GRAPH;
    if (!rec || rec->type != KM_JSON_OBJECT)
        return K_NONE;
    en_collect(rec, env);
    struct km_json *props = env->v[F_PROPERTIES];
    const struct km_json *cat = env->v[F_CATEGORY];
    if (km_json_is_obj(props) && (km_json_is_str(cat) || km_json_is_str(env->v[F_OPERATIONNAME]))) {
        *shape = SH_DIAG;
        en_collect(props, body);
        if (en_signin_log(cat) >= 0) {
            *score = 95;
            return K_SIGNIN;
        }
        if (str_is(cat, "AuditLogs")) {
            *score = 95;
            return K_AUDIT;
        }
        if (en_risk_log(cat) >= 0) {
            *score = 95;
            return K_RISK;
        }
        int s;
        int k = en_body_kind(body, &s);
        if (k == K_AUDIT || k == K_RISK) {
            /* categories Panther files directory audits under (Policy,
             * UserManagement, ...): the body decides */
            *score = s + 5;
            return k;
        }
        if (str_is(env->v[F_OPERATIONNAME], "Sign-in activity")) {
            *score = 85;
            return K_SIGNIN;
        }
        if (k == K_SIGNIN) {
            *score = s;
            return k;
        }
        return K_NONE;
    }
    if (props)
        return K_NONE;   /* a "properties" member that is not an object: not ours */
    if (has(env, F_DATEUTC) && !has(env, F_TIMEGENERATED) && !has(env, F_TYPE)) {
        /* an Entra portal CSV row */
        en_collect_portal(rec, env);
        *shape = SH_PORTAL;
        if (has(env, F_ACTIVITYDISPLAYNAME)) {
            *score = 90;
            return K_AUDIT;
        }
        if (has(env, F_ID) || has(env, F_UPN) || has(env, F_USERID) || has(env, F_SPID) ||
            has(env, F_APPDISPLAYNAME) || has(env, F_RESULTTYPE)) {
            *score = 90;
            return K_SIGNIN;
        }
        return K_NONE;
    }
    /* flat: Graph object or Log Analytics row */
    if (has(env, F_TIMEGENERATED) || km_json_is_str(env->v[F_TYPE]) || has(env, F_SOURCESYSTEM))
        *shape = SH_LA;
    const struct km_json *type = env->v[F_TYPE];
    if (en_signin_log(type) >= 0 || en_signin_log(cat) >= 0) {
        if (has(env, F_UPN) || has(env, F_CREATED) || has(env, F_RESULTTYPE) ||
            has(env, F_IPADDRESS) || has(env, F_APPID) || has(env, F_SPID)) {
            *score = 95;
            return K_SIGNIN;
        }
    }
    if (en_risk_log(type) >= 0 &&
        (has(env, F_RISKLEVEL) || has(env, F_RISKEVENTTYPE) || has(env, F_ID))) {
        *score = 95;
        return K_RISK;
    }
    int s;
    int k = en_body_kind(env, &s);
    if (k == K_NONE && str_is(type, "AuditLogs") &&
        (has(env, F_ACTIVITYDISPLAYNAME) || has(env, F_INITIATEDBY) ||
         has(env, F_OPERATIONNAME))) {
        k = K_AUDIT;
        s = 90;
    }
    if (k == K_AUDIT && (str_is(type, "AuditLogs") || has(env, F_AADOPERATIONTYPE)))
        s = 95;
    *score = s;
    return k;
}

static int en_detect_kind(const struct km_json *rec, int want)
{
    struct en_slots env, body;
    int shape, score;
    /* en_classify does not modify the record; the cast only lets it fill
     * mutable slots for normalize() */
    int k = en_classify((struct km_json *)rec, &env, &body, &shape, &score);
    return k == want ? score : 0;
}

/* ---- per-record state ----------------------------------------------------------- */

struct en {
    struct km_norm_ctx *ctx;
    struct km_event *ev;
    int kind;                  /* enum en_kind */
    int shape;                 /* enum en_shape */
    struct km_json *env;       /* the record */
    struct km_json *p;         /* Graph-like body: properties, or the record */
    struct en_slots e;         /* env's members */
    struct en_slots b;         /* p's members (== e for flat records) */
};

#define en_note(c, ...) km_norm_note((c)->ctx, __VA_ARGS__)

/* a field of an unexpected type or value: counted, flagged, first one noted */
#define en_problem(c, ...) km_norm_problem((c)->ctx, (c)->ev, __VA_ARGS__)

#define type_name km_json_type_name

/* Body member, else envelope member (the same node for flat records). */
static struct km_json *B(const struct en *c, int k)
{
    return c->b.v[k];
}
static struct km_json *E(const struct en *c, int k)
{
    return c->e.v[k];
}
static struct km_json *BE(const struct en *c, int k)
{
    return !blank(c->b.v[k]) ? c->b.v[k] : c->e.v[k];
}

/* Case-insensitive member lookup (exact case preferred). */
static struct km_json *en_get(const struct km_json *obj, const char *key)
{
    const struct km_json *v = km_json_get(obj, key);
    if (!v)
        v = km_json_geti(obj, key);
    return (struct km_json *)v;
}

/*
 * String view of a value where a string belongs. null / absent / "" give
 * KM_STR_NONE. A number gives its text and counts a problem; booleans,
 * objects and arrays count a problem and give KM_STR_NONE.
 */
static struct km_str en_str(struct en *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return KM_STR_NONE;
    if (v->type == KM_JSON_STRING)
        return v->len ? km_json_sv(v) : KM_STR_NONE;
    en_problem(c, "%s is a %s, expected a string", what, type_name(v));
    return v->type == KM_JSON_NUMBER ? km_json_sv(v) : KM_STR_NONE;
}

/* Like en_str, but a number is a normal value (ids and codes that Log
 * Analytics or hand-written exports give as numbers). */
static struct km_str en_strnum(struct en *c, const struct km_json *v, const char *what)
{
    if (km_json_is_num(v))
        return km_json_sv(v);
    return en_str(c, v, what);
}

static void set(struct km_event *ev, enum km_field f, struct km_str s)
{
    if (s.p && s.n && !ev->f[f].p)
        ev->f[f] = s;
}

/* a, sep, b into the arena */
static struct km_str en_join(struct en *c, struct km_str a, char sep, struct km_str b)
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

static void en_email(struct en *c, struct km_str cand)
{
    if (c->ev->f[KM_F_ACTOR_EMAIL].p || !km_str_is_email(cand))
        return;
    c->ev->f[KM_F_ACTOR_EMAIL] = km_norm_lower(c->ctx, cand);
}

/*
 * A value that should be an object (want = KM_JSON_OBJECT) or an array: as is,
 * or, when it is a JSON string (Log Analytics), parsed in place; the string
 * node is then rewritten into the parsed value (type, len, child), so later
 * lookups and a second normalize() see the structure. An unparseable string
 * counts a problem and the node becomes null. "" and null are absent.
 */
static struct km_json *en_nested(struct en *c, struct km_json *v, int want, const char *what)
{
    if (absent(v))
        return NULL;
    if (v->type == want)
        return v;
    if (v->type != KM_JSON_STRING) {
        en_problem(c, "%s is a %s, expected %s", what, type_name(v),
                   want == KM_JSON_OBJECT ? "an object" : "an array");
        return NULL;
    }
    if (v->len == 0)
        return NULL;
    struct km_err e;
    struct km_json *root = km_norm_parse_embedded(c->ctx, v->str, v->len, 1, &e);
    if (!root) {
        en_problem(c, "%s is not valid JSON (offset %llu: %.60s)", what,
                   (unsigned long long)(e.offset == UINT64_MAX ? 0 : e.offset), e.msg);
        v->type = KM_JSON_NULL;
        v->str = NULL;
        v->len = 0;
        return NULL;
    }
    v->type = root->type;
    v->escaped = 0;
    v->len = root->len;
    v->str = root->str;
    v->child = root->child;
    if (root->type != want) {
        en_problem(c, "%s holds a JSON %s, expected %s", what, type_name(root),
                   want == KM_JSON_OBJECT ? "an object" : "an array");
        return NULL;
    }
    return v;
}

/* ---- time ----------------------------------------------------------------------- */

static int try_time(struct en *c, const struct km_json *v, const char *what, int64_t *us)
{
    if (absent(v))
        return 0;
    if (v->type == KM_JSON_STRING) {
        if (v->len && km_time_parse(v->str, v->len, us) == KM_OK)
            return 1;
        if (v->len)
            en_problem(c, "%s \"%.40s\" is not a timestamp", what, v->str);
        return 0;
    }
    if (v->type == KM_JSON_NUMBER) {
        en_problem(c, "%s is a number, expected a timestamp string", what);
        return km_time_parse(v->str, v->len, us) == KM_OK;
    }
    en_problem(c, "%s is a %s, expected a timestamp", what, type_name(v));
    return 0;
}

/* Sets ev->time_us from the first usable candidate; candidates after the
 * first are fallbacks (KM_EV_TIME_FALLBACK and a note). */
static void en_time(struct en *c, struct km_json *const *cand, const char *const *names, int n)
{
    int64_t us = 0;
    for (int i = 0; i < n; i++) {
        if (try_time(c, cand[i], names[i], &us)) {
            c->ev->time_us = us;
            if (i) {
                c->ev->flags |= KM_EV_TIME_FALLBACK;
                en_note(c, "%s %s; used %s", names[0], absent(cand[0]) ? "missing" : "invalid",
                        names[i]);
            }
            return;
        }
    }
    c->ev->time_us = 0;
    c->ev->flags |= KM_EV_TIME_MISSING;
    en_note(c, "%s %s and no fallback time; time set to 0", names[0],
            absent(cand[0]) ? "missing" : "invalid");
}

/* The envelope times: diagnostic `time`, Log Analytics TimeGenerated. */
static int en_env_times(struct en *c, struct km_json **cand, const char **names, int n)
{
    if (c->shape == SH_DIAG) {
        cand[n] = E(c, F_TIME);
        names[n++] = "time";
    }
    cand[n] = E(c, F_TIMEGENERATED);
    names[n++] = "TimeGenerated";
    return n;
}

/* ---- shared fields ---------------------------------------------------------------- */

/* account: the Entra tenant. Diagnostic `tenantId`; Log Analytics
 * AADTenantId (its TenantId is the workspace, not the directory); the
 * "/tenants/<id>/" of resourceId; a diagnostic body's tenantId. */
static void en_account(struct en *c)
{
    struct km_event *ev = c->ev;
    if (c->shape == SH_DIAG)
        set(ev, KM_F_ACCOUNT, en_strnum(c, E(c, F_TENANTID), "tenantId"));
    set(ev, KM_F_ACCOUNT, en_strnum(c, E(c, F_AADTENANTID), "AADTenantId"));
    struct km_str rid = en_str(c, E(c, F_RESOURCEID), "resourceId");
    if (!ev->f[KM_F_ACCOUNT].p && rid.n > 9 && strncasecmp(rid.p, "/tenants/", 9) == 0) {
        const char *s = rid.p + 9, *end = memchr(s, '/', rid.n - 9);
        uint32_t n = end ? (uint32_t)(end - s) : (uint32_t)(rid.p + rid.n - s);
        if (n)
            ev->f[KM_F_ACCOUNT] = (struct km_str){s, n};
    }
    if (c->shape == SH_DIAG)
        set(ev, KM_F_ACCOUNT, en_strnum(c, B(c, F_TENANTID), "properties.tenantId"));
}

static void en_ip(struct en *c, struct km_str raw)
{
    struct km_event *ev = c->ev;
    if (!raw.p || ev->f[KM_F_SRC_RAW].p)
        return;
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

/* Appends {"type","id","name","account"} (keys only when present) to b. */
static void res_add(struct km_buf *b, int *n, struct km_str type, struct km_str id,
                    struct km_str name)
{
    struct km_str kv[3] = {type, id, name};
    static const char *const keys[3] = {"type", "id", "name"};
    if (!type.p && !id.p && !name.p)
        return;
    km_buf_adds(b, (*n)++ ? ",{" : "{");
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

static struct km_str res_done(struct en *c, struct km_buf *b, int n)
{
    km_buf_addc(b, ']');
    struct km_str r = KM_STR_NONE;
    if (n && !b->oom) {
        char *p = km_arena_strndup(c->ctx->arena, b->p, b->n);
        if (p)
            r = (struct km_str){p, (uint32_t)b->n};
    } else if (b->oom) {
        en_problem(c, "resources too large; dropped");
    }
    km_buf_free(b);
    return r;
}

/* A two-letter ASCII country code (any case) as upper-case: zero-copy when it
 * already is, else built in the arena. Anything else gives KM_STR_NONE. */
static struct km_str geo_code(struct en *c, struct km_str s)
{
    if (!s.p || s.n != 2)
        return KM_STR_NONE;
    char u[2];
    for (int i = 0; i < 2; i++) {
        char ch = s.p[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        if (ch < 'A' || ch > 'Z')
            return KM_STR_NONE;
        u[i] = ch;
    }
    if (u[0] == s.p[0] && u[1] == s.p[1])
        return s;
    char *p = km_arena_strndup(c->ctx->arena, u, 2);
    return p ? (struct km_str){p, 2} : KM_STR_NONE;
}

/* The portal's Location, "City, State, CC" (parts may be missing): the
 * last part is the country when it is a two-letter code, the first (of two
 * or more) the city. */
static void en_geo_portal(struct en *c, struct km_str loc)
{
    struct km_event *ev = c->ev;
    if (!loc.p)
        return;
    const char *last = memrchr(loc.p, ',', loc.n), *first = memchr(loc.p, ',', loc.n);
    struct km_str cc = last ? (struct km_str){last + 1, (uint32_t)(loc.p + loc.n - last - 1)} : loc;
    while (cc.n && cc.p[0] == ' ') {
        cc.p++;
        cc.n--;
    }
    while (cc.n && cc.p[cc.n - 1] == ' ')
        cc.n--;
    set(ev, KM_F_SRC_COUNTRY, geo_code(c, cc));
    if (first) {
        struct km_str city = {loc.p, (uint32_t)(first - loc.p)};
        while (city.n && city.p[city.n - 1] == ' ')
            city.n--;
        set(ev, KM_F_SRC_CITY, city);
    }
}

/*
 * src.geo.country / src.geo.city of a sign-in or risk detection. The
 * location object is the body's `location` (Graph, diagnostic properties),
 * else Log Analytics `LocationDetails` (a JSON string), or a `location` /
 * `Location` that is itself a JSON string of an object (Log Analytics risk
 * tables). Country: its countryOrRegion when that is a two-letter code
 * (upper-cased); else a two-letter `Location` column (Log Analytics) or the
 * diagnostic envelope's `location`; else countryOrRegion as given (some
 * exports spell the name: "United States"). City: location.city as given.
 */
static void en_geo(struct en *c)
{
    struct km_event *ev = c->ev;
    struct km_json *lv = B(c, F_LOCATION), *loc = NULL;
    struct km_str loc_code = KM_STR_NONE;
    if (c->shape == SH_PORTAL) {
        en_geo_portal(c, en_str(c, lv, "Location"));
        return;
    }
    if (km_json_is_obj(lv)) {
        loc = lv;
    } else if (km_json_is_str(lv) && lv->len && lv->str[0] == '{') {
        loc = en_nested(c, lv, KM_JSON_OBJECT, "location");
    } else if (km_json_is_str(lv)) {
        loc_code = geo_code(c, km_json_sv(lv));
        if (lv->len && !loc_code.p)
            en_problem(c, "location \"%.20s\" is not a country code", lv->str);
    } else if (!absent(lv)) {
        en_problem(c, "location is a %s, expected an object", type_name(lv));
    }
    if (!loc)
        loc = en_nested(c, B(c, F_LOCATIONDETAILS), KM_JSON_OBJECT, "LocationDetails");
    struct km_str cr = en_str(c, en_get(loc, "countryOrRegion"), "location.countryOrRegion");
    set(ev, KM_F_SRC_COUNTRY, geo_code(c, cr));
    set(ev, KM_F_SRC_COUNTRY, loc_code);
    if (c->shape == SH_DIAG && km_json_is_str(E(c, F_LOCATION)))
        set(ev, KM_F_SRC_COUNTRY, geo_code(c, km_json_sv(E(c, F_LOCATION))));
    set(ev, KM_F_SRC_COUNTRY, cr);
    set(ev, KM_F_SRC_CITY, en_str(c, en_get(loc, "city"), "location.city"));
}

/* Starts a normalize(): classifies, collects slots, sets provider/source. */
static int en_begin(struct en *c, struct km_json *rec, struct km_norm_ctx *ctx,
                    struct km_event *ev, struct km_err *err, const char *source)
{
    ctx->emit = 1;
    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->ev = ev;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "Entra record is a JSON %s, not an object", type_name(rec));
    int score;
    c->kind = en_classify(rec, &c->e, &c->b, &c->shape, &score);
    c->env = rec;
    if (c->shape == SH_DIAG) {
        c->p = c->e.v[F_PROPERTIES];
    } else {
        c->p = rec;
        c->b = c->e;
    }
    ev->f[KM_F_PROVIDER] = KM_STR("azure");
    ev->f[KM_F_SOURCE] = km_str_c(source);
    ev->f[KM_F_ACTOR_TYPE] = KM_STR("");
    return KM_OK;
}

/* True when the event names nothing: no time, no actor, no id, no address
 * (and, with check_action, no action). */
static int en_empty(const struct km_event *ev, int check_action)
{
    return (ev->flags & KM_EV_TIME_MISSING) && !ev->f[KM_F_ACTOR_ID].p &&
           !ev->f[KM_F_ACTOR_NAME].p && !(check_action && ev->f[KM_F_ACTION].p) &&
           !ev->f[KM_F_EVENT_ID].p && !ev->f[KM_F_SRC_RAW].p;
}

/* ---- sign-ins ----------------------------------------------------------------------- */

/* The sign-in log type (a diagnostic category name): diagnostic `category`,
 * Log Analytics Category / Type, Graph signInEventTypes[0]; else SignInLogs
 * (the Graph signIns list returns interactive sign-ins unless filtered). */
static const char *si_logtype(struct en *c)
{
    int i = en_signin_log(E(c, F_CATEGORY));
    if (i < 0)
        i = en_signin_log(E(c, F_TYPE));
    if (i >= 0)
        return en_signin_logs[i].category;
    if (c->shape == SH_PORTAL) {   /* one download per sign-in type: the columns tell */
        if (has(&c->b, F_PMITYPE))
            return "ManagedIdentitySignInLogs";
        if (has(&c->b, F_SPID) && !has(&c->b, F_UPN) && !has(&c->b, F_USERID))
            return "ServicePrincipalSignInLogs";
        return "SignInLogs";
    }
    const struct km_json *t = B(c, F_SIGNINEVENTTYPES);
    if (km_json_is_arr(t) && km_json_is_str(t->child)) {
        static const char *const map[][2] = {
            {"interactiveUser", "SignInLogs"},
            {"nonInteractiveUser", "NonInteractiveUserSignInLogs"},
            {"servicePrincipal", "ServicePrincipalSignInLogs"},
            {"managedIdentity", "ManagedIdentitySignInLogs"},
        };
        for (size_t k = 0; k < KM_ARRAY_LEN(map); k++)
            if (!strcasecmp(t->child->str, map[k][0]))
                return map[k][1];
    }
    return "SignInLogs";
}

/* An error code value: number or digit string. Returns 1 when it is one and
 * sets *text and *zero. */
static int si_code(const struct km_json *v, struct km_str *text, int *zero)
{
    if (!v || (v->type != KM_JSON_NUMBER && v->type != KM_JSON_STRING) || !v->len)
        return 0;
    uint32_t i = 0;
    if (v->str[0] == '-' && v->len > 1)
        i = 1;
    int z = 1;
    for (; i < v->len; i++) {
        if (v->str[i] < '0' || v->str[i] > '9')
            return 0;
        if (v->str[i] != '0')
            z = 0;
    }
    *text = km_json_sv(v);
    *zero = z;
    return 1;
}

/* s equals the lower-case word w when only its letters count, in any case
 * ("Single-factor authentication" == "singlefactorauthentication"). */
static int eq_letters(struct km_str s, const char *w)
{
    uint32_t i = 0;
    for (; s.p && i < s.n; i++) {
        char ch = s.p[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + 32);
        else if (!(ch >= 'a' && ch <= 'z'))
            continue;
        if (*w++ != ch)
            return 0;
    }
    return s.p && !*w;
}

/* "Success" / "Failure" / "Interrupted" (Panther's textual resultType, the
 * portal's Status column): the class it stands for, or -1. */
static int si_text_class(const struct km_json *v)
{
    if (str_is(v, "success"))
        return KM_ENTRA_CODE_SUCCESS;
    if (str_is(v, "failure"))
        return KM_ENTRA_CODE_OTHER;   /* outcome failure; no code to say more */
    if (str_is(v, "interrupted"))
        return KM_ENTRA_CODE_INTERRUPTED;
    return -1;
}

/* outcome, error.code, error.message and actor.mfa of a sign-in. The result
 * code decides the outcome through the class table of entra_codes.h (0
 * success, interrupts interrupted, everything else failure); a textual
 * result is used only when no record member carries a code. */
static void si_outcome_mfa(struct en *c)
{
    struct km_event *ev = c->ev;
    struct km_json *status = en_nested(c, B(c, F_STATUS), KM_JSON_OBJECT, "status");
    struct km_str code = KM_STR_NONE;
    int zero = 0, have = 0;
    const struct km_json *ec = en_get(status, "errorCode");
    if (!absent(ec)) {
        have = si_code(ec, &code, &zero);
        if (!have)
            en_problem(c, "status.errorCode is not a number (%s)", type_name(ec));
    }
    const struct km_json *rt = BE(c, F_RESULTTYPE);
    int text_cls = -1;   /* class from a "Success"/"Failure"/"Interrupted" word */
    if (!have && !absent(rt)) {
        have = si_code(rt, &code, &zero);
        if (!have) {
            text_cls = si_text_class(rt);
            if (text_cls < 0 && !(km_json_is_str(rt) && rt->len == 0))
                en_problem(c, "resultType is not an error code (%s)", type_name(rt));
        }
    }
    if (!have && text_cls < 0)
        text_cls = si_text_class(BE(c, F_RESULT));
    int cls = -1;   /* enum km_entra_class; -1: unknown */
    if (have) {
        long n;
        if (zero)
            cls = KM_ENTRA_CODE_SUCCESS;
        else
            cls = km_entra_code_parse(code.p, code.n, &n) ? km_entra_code_class(n)
                                                          : KM_ENTRA_CODE_OTHER;
        if (!zero)
            ev->f[KM_F_ERROR_CODE] = code;
    } else {
        cls = text_cls;
    }
    ev->f[KM_F_OUTCOME] = cls < 0 ? KM_STR("unknown") : km_str_c(km_entra_class_outcome(cls));
    /* not a success: a failure or an interrupt, whose reason is worth keeping
     * ("Strong Authentication is required.") */
    int unsuccessful = cls > KM_ENTRA_CODE_SUCCESS;
    if (unsuccessful) {
        set(ev, KM_F_ERROR_MESSAGE,
            en_str(c, en_get(status, "failureReason"), "status.failureReason"));
        set(ev, KM_F_ERROR_MESSAGE,
            en_str(c, BE(c, F_RESULTDESCRIPTION), "resultDescription"));
    }

    /* actor.mfa: explicit evidence first, then the requirement */
    int mfa = -1;
    struct km_json *md = en_nested(c, B(c, F_MFADETAIL), KM_JSON_OBJECT, "mfaDetail");
    if (en_str(c, en_get(md, "authMethod"), "mfaDetail.authMethod").p)
        mfa = 1;
    struct km_str add = en_str(c, en_get(status, "additionalDetails"), "status.additionalDetails");
    if (c->shape == SH_PORTAL) {   /* MFA columns of the portal download */
        add = en_str(c, B(c, F_PMFARESULT), "Multifactor authentication result");
        if (en_str(c, B(c, F_PMFAMETHOD), "Multifactor authentication auth method").p)
            mfa = 1;
    }
    if (mfa < 0 && (km_str_starts_ci(add, "MFA requirement satisfied") || km_str_starts_ci(add, "MFA completed") ||
                    km_str_starts_ci(add, "MFA successfully completed")))
        mfa = 1;
    if (mfa < 0 && unsuccessful && km_str_starts_ci(add, "MFA required"))
        mfa = 0;
    struct km_str req = en_str(c, B(c, F_AUTHREQUIREMENT), "authenticationRequirement");
    /* Graph "multiFactorAuthentication", portal "Multifactor authentication" */
    if (mfa < 0 && eq_letters(req, "multifactorauthentication") &&
        km_str_eqc(ev->f[KM_F_OUTCOME], "success"))
        mfa = 1;
    if (mfa < 0 && eq_letters(req, "singlefactorauthentication"))
        mfa = 0;
    ev->mfa = (int8_t)mfa;
}

static int si_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    struct en c;
    int rc = en_begin(&c, rec, ctx, ev, err, "azure.signin");
    if (rc != KM_OK)
        return rc;
    if (c.shape == SH_DIAG && c.kind != K_SIGNIN && c.kind != K_NONE)
        en_note(&c, "record looks like another Entra log; read as a sign-in");
    const char *logtype = si_logtype(&c);

    struct km_json *tc[4];
    const char *tn[4];
    tc[0] = c.shape == SH_PORTAL ? E(&c, F_DATEUTC) : B(&c, F_CREATED);
    tn[0] = c.shape == SH_PORTAL ? "Date (UTC)" : "createdDateTime";
    en_time(&c, tc, tn, en_env_times(&c, tc, tn, 1));
    en_account(&c);

    /* actor: user, else service principal / managed identity */
    struct km_str upn = en_str(&c, B(&c, F_UPN), "userPrincipalName");
    struct km_str uid = en_strnum(&c, B(&c, F_USERID), "userId");
    struct km_str uname = en_str(&c, B(&c, F_USERDISPLAYNAME), "userDisplayName");
    struct km_str spid = en_strnum(&c, B(&c, F_SPID), "servicePrincipalId");
    struct km_str spname = en_str(&c, B(&c, F_SPNAME), "servicePrincipalName");
    struct km_str utype = en_str(&c, B(&c, F_USERTYPE), "userType");
    set(ev, KM_F_ACTOR_ID, uid);
    set(ev, KM_F_ACTOR_NAME, uname);
    set(ev, KM_F_ACTOR_NAME, upn);
    if (!uid.p && !upn.p) {
        set(ev, KM_F_ACTOR_ID, spid);
        set(ev, KM_F_ACTOR_NAME, spname);
    }
    if (c.shape == SH_DIAG || c.shape == SH_LA)
        set(ev, KM_F_ACTOR_NAME, en_str(&c, E(&c, F_IDENTITY), "identity"));
    en_email(&c, upn);
    /* one spelling for the whole azure provider (Azure's principalType words):
     * a member user is a User; Guest stays (it matters to an investigation) */
    if (utype.p && utype.n == 6 && !strncasecmp(utype.p, "member", 6))
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("User");
    else if (utype.p)
        ev->f[KM_F_ACTOR_TYPE] = utype;
    else if (!strcmp(logtype, "ServicePrincipalSignInLogs") ||
             !strcmp(logtype, "MicrosoftServicePrincipalSignInLogs"))
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("ServicePrincipal");
    else if (!strcmp(logtype, "ManagedIdentitySignInLogs"))
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("ManagedIdentity");

    en_ip(&c, en_str(&c, B(&c, F_IPADDRESS), "ipAddress"));
    if (c.shape == SH_DIAG)
        en_ip(&c, en_str(&c, E(&c, F_CALLERIP), "callerIpAddress"));
    ev->f[KM_F_USER_AGENT] = en_str(&c, B(&c, F_USERAGENT), "userAgent");
    en_geo(&c);

    ev->f[KM_F_CATEGORY] = KM_STR("authentication");
    struct km_str app = en_str(&c, B(&c, F_APPDISPLAYNAME), "appDisplayName");
    struct km_str resname = en_str(&c, B(&c, F_RESOURCEDISPLAYNAME), "resourceDisplayName");
    struct km_str appid = en_strnum(&c, B(&c, F_APPID), "appId");
    set(ev, KM_F_SERVICE, app);
    set(ev, KM_F_SERVICE, resname);
    set(ev, KM_F_SERVICE, appid);
    ev->f[KM_F_ACTION] = km_str_c(logtype);
    ev->f[KM_F_EVENT_TYPE] = KM_STR("signIn");

    si_outcome_mfa(&c);

    struct km_str id = en_strnum(&c, B(&c, F_ID), "id");
    if (id.p)
        ev->f[KM_F_EVENT_ID] = en_join(&c, km_str_c(logtype), ':', id);
    struct km_str corr = en_strnum(&c, B(&c, F_CORRELATIONID), "correlationId");
    if (!corr.p && c.shape == SH_DIAG)
        corr = en_strnum(&c, E(&c, F_CORRELATIONID), "correlationId");
    ev->f[KM_F_REQUEST_ID] = corr;
    set(ev, KM_F_SESSION_ID, en_strnum(&c, B(&c, F_SESSIONID), "sessionId"));
    set(ev, KM_F_SESSION_ID, corr);

    /* the resource the sign-in asked a token for */
    struct km_str resid = KM_STR_NONE;
    if (c.shape == SH_LA)
        resid = en_str(&c, B(&c, F_RESOURCEIDENTITY), "ResourceIdentity");
    if (!resid.p) {
        struct km_str r = en_str(&c, B(&c, F_RESOURCEID), "resourceId");
        if (r.p && r.p[0] != '/')
            resid = r;   /* a Graph resource id, not the ARM path of the log */
    }
    if (resid.p || resname.p) {
        struct km_buf b;
        km_buf_init(&b, 1u << 16);
        km_buf_addc(&b, '[');
        int n = 0;
        res_add(&b, &n, KM_STR("resource"), resid, resname);
        ev->f[KM_F_RESOURCES] = res_done(&c, &b, n);
    }
    if (en_empty(ev, 0))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not a sign-in record: no time, identity, address or id%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);
    return KM_OK;
}

static int si_detect(const struct km_json *rec, const char *wrapper)
{
    (void)wrapper;
    return en_detect_kind(rec, K_SIGNIN);
}

const struct km_source km_source_entra_signin = {
    .name = "azure.signin",
    .provider = "azure",
    .summary = "Microsoft Entra ID sign-in logs (interactive, non-interactive, service "
               "principal, managed identity): Graph API, diagnostic settings, Log Analytics",
    .doc = "docs/sources/entra.md",
    .detect = si_detect,
    .normalize = si_normalize,
};

/* ---- directory audits ------------------------------------------------------------- */

static const char *const au_account_cats[] = {
    "UserManagement", "GroupManagement", "RoleManagement", "ApplicationManagement",
    "AdministrativeUnit", "EntitlementManagement", NULL};
static const char *const au_account_targets[] = {
    "User", "Group", "Role", "ServicePrincipal", "Application", NULL};
static const char *const au_write_ops[] = {"Add", "Update", "Delete", "Assign", "Unassign", NULL};

static int eq_ci(struct km_str s, const char *w)
{
    return s.p && s.n == strlen(w) && strncasecmp(s.p, w, s.n) == 0;
}

static int in_list_ci(struct km_str s, const char *const *list)
{
    for (; s.p && *list; list++)
        if (s.n == strlen(*list) && strncasecmp(s.p, *list, s.n) == 0)
            return 1;
    return 0;
}

static int contains_ci(struct km_str s, const char *needle)
{
    size_t n = strlen(needle);
    for (uint32_t i = 0; s.p && i + n <= s.n; i++)
        if (strncasecmp(s.p + i, needle, n) == 0)
            return 1;
    return 0;
}

/*
 * account_change for changes to users, groups, roles, applications, service
 * principals and credentials; api otherwise (and for reads).
 */
static const char *au_category(struct km_str act, struct km_str dircat, struct km_str op,
                               int target_account)
{
    if (km_str_ends_ci(act, "_Get") || km_str_ends_ci(act, "_List") || km_str_starts_ci(act, "Get ") ||
        km_str_starts_ci(act, "List ") || km_str_starts_ci(act, "Read "))
        return "api";
    if (in_list_ci(dircat, au_account_cats))
        return "account_change";
    if (km_str_eqc(op, "Assign") || km_str_eqc(op, "Unassign"))
        return "account_change";
    if (target_account && in_list_ci(op, au_write_ops))
        return "account_change";
    if (contains_ci(act, "password") || contains_ci(act, "credential") ||
        contains_ci(act, "security info"))
        return "account_change";
    return "api";
}

/* The actor columns of the portal's audit download: ActorType (User, App,
 * ServicePrincipal), ActorDisplayName, ActorObjectId, ActorUserPrincipalName. */
static void au_portal_actor(struct en *c)
{
    struct km_event *ev = c->ev;
    struct km_str type = en_str(c, en_get(c->p, "ActorType"), "ActorType");
    struct km_str upn = en_str(c, en_get(c->p, "ActorUserPrincipalName"), "ActorUserPrincipalName");
    if (contains_ci(type, "user"))
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("User");
    else if (contains_ci(type, "app") || contains_ci(type, "service"))
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("ServicePrincipal");
    else if (type.p)
        ev->f[KM_F_ACTOR_TYPE] = type;
    else if (upn.p)
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("User");
    set(ev, KM_F_ACTOR_ID, en_strnum(c, en_get(c->p, "ActorObjectId"), "ActorObjectId"));
    set(ev, KM_F_ACTOR_NAME, en_str(c, en_get(c->p, "ActorDisplayName"), "ActorDisplayName"));
    set(ev, KM_F_ACTOR_NAME, upn);
    en_email(c, upn);
}

/* The portal's Target1Type / Target1DisplayName / Target1ObjectId /
 * Target1UserPrincipalName, Target2..., as the resources JSON. */
#define AU_PORTAL_TARGETS 9
static struct km_str au_portal_targets(struct en *c, int *target_account)
{
    struct km_buf b;
    int n = 0;
    km_buf_init(&b, 1u << 20);
    km_buf_addc(&b, '[');
    for (int t = 1; t <= AU_PORTAL_TARGETS; t++) {
        char k[4][40];
        snprintf(k[0], sizeof k[0], "Target%dType", t);
        snprintf(k[1], sizeof k[1], "Target%dObjectId", t);
        snprintf(k[2], sizeof k[2], "Target%dDisplayName", t);
        snprintf(k[3], sizeof k[3], "Target%dUserPrincipalName", t);
        struct km_str ty = en_str(c, en_get(c->p, k[0]), "TargetType");
        struct km_str id = en_strnum(c, en_get(c->p, k[1]), "TargetObjectId");
        struct km_str nm = en_str(c, en_get(c->p, k[2]), "TargetDisplayName");
        if (!nm.p)
            nm = en_str(c, en_get(c->p, k[3]), "TargetUserPrincipalName");
        if (in_list_ci(ty, au_account_targets))
            *target_account = 1;
        res_add(&b, &n, ty, id, nm);
    }
    return res_done(c, &b, n);
}

static int au_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    struct en c;
    int rc = en_begin(&c, rec, ctx, ev, err, "azure.audit");
    if (rc != KM_OK)
        return rc;

    struct km_json *tc[4];
    const char *tn[4];
    tc[0] = c.shape == SH_PORTAL ? E(&c, F_DATEUTC) : B(&c, F_ACTIVITYDATETIME);
    tn[0] = c.shape == SH_PORTAL ? "Date (UTC)" : "activityDateTime";
    en_time(&c, tc, tn, en_env_times(&c, tc, tn, 1));
    en_account(&c);
    if (c.shape == SH_PORTAL)
        au_portal_actor(&c);

    /* actor: initiatedBy.user or initiatedBy.app */
    struct km_json *ib = en_nested(&c, B(&c, F_INITIATEDBY), KM_JSON_OBJECT, "initiatedBy");
    struct km_json *user = en_get(ib, "user"), *app = en_get(ib, "app");
    if (km_json_is_obj(user)) {
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("User");
        struct km_str upn = en_str(&c, en_get(user, "userPrincipalName"),
                                   "initiatedBy.user.userPrincipalName");
        set(ev, KM_F_ACTOR_ID, en_strnum(&c, en_get(user, "id"), "initiatedBy.user.id"));
        set(ev, KM_F_ACTOR_NAME,
            en_str(&c, en_get(user, "displayName"), "initiatedBy.user.displayName"));
        set(ev, KM_F_ACTOR_NAME, upn);
        en_email(&c, upn);
        en_ip(&c, en_str(&c, en_get(user, "ipAddress"), "initiatedBy.user.ipAddress"));
    } else if (!absent(user)) {
        en_problem(&c, "initiatedBy.user is a %s, expected an object", type_name(user));
    }
    if (km_json_is_obj(app) && !km_json_is_obj(user)) {
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("ServicePrincipal");
        set(ev, KM_F_ACTOR_ID,
            en_strnum(&c, en_get(app, "servicePrincipalId"), "initiatedBy.app.servicePrincipalId"));
        set(ev, KM_F_ACTOR_ID, en_strnum(&c, en_get(app, "appId"), "initiatedBy.app.appId"));
        set(ev, KM_F_ACTOR_NAME,
            en_str(&c, en_get(app, "displayName"), "initiatedBy.app.displayName"));
        set(ev, KM_F_ACTOR_NAME, en_str(&c, en_get(app, "servicePrincipalName"),
                                        "initiatedBy.app.servicePrincipalName"));
    } else if (!absent(app) && !km_json_is_obj(app)) {
        en_problem(&c, "initiatedBy.app is a %s, expected an object", type_name(app));
    }
    set(ev, KM_F_ACTOR_NAME, en_str(&c, E(&c, F_IDENTITY), "identity"));
    en_ip(&c, en_str(&c, E(&c, F_CALLERIP), "callerIpAddress"));
    if (c.shape == SH_DIAG || c.shape == SH_PORTAL)
        en_ip(&c, en_str(&c, E(&c, F_IPADDRESS), "ipAddress"));

    /* user agent: userAgent (Log Analytics column, diagnostic body), else the
     * User-Agent entry of additionalDetails */
    ev->f[KM_F_USER_AGENT] = en_str(&c, B(&c, F_USERAGENT), "userAgent");
    struct km_json *ad = en_nested(&c, B(&c, F_ADDITIONALDETAILS), KM_JSON_ARRAY,
                                   "additionalDetails");
    for (struct km_json *d = ad ? ad->child : NULL; d && !ev->f[KM_F_USER_AGENT].p; d = d->next)
        if (km_json_is_obj(d) && str_is(en_get(d, "key"), "User-Agent"))
            ev->f[KM_F_USER_AGENT] = en_str(&c, en_get(d, "value"), "additionalDetails User-Agent");

    struct km_str act = en_str(&c, B(&c, F_ACTIVITYDISPLAYNAME), "activityDisplayName");
    if (!act.p)
        act = en_str(&c, E(&c, F_OPERATIONNAME), "operationName");
    if (!act.p && c.shape == SH_DIAG)
        act = en_str(&c, B(&c, F_OPERATIONNAME), "properties.operationName");
    ev->f[KM_F_ACTION] = act;
    ev->f[KM_F_SERVICE] = en_str(&c, B(&c, F_LOGGEDBYSERVICE), "loggedByService");
    ev->f[KM_F_EVENT_TYPE] = KM_STR("directoryAudit");
    struct km_str dircat = en_str(&c, B(&c, F_CATEGORY), "category");
    if (!dircat.p && c.shape == SH_DIAG && !str_is(E(&c, F_CATEGORY), "AuditLogs"))
        dircat = en_str(&c, E(&c, F_CATEGORY), "category");   /* Panther files it here */
    struct km_str op = en_str(&c, B(&c, F_OPERATIONTYPE), "operationType");
    if (!op.p)
        op = en_str(&c, B(&c, F_AADOPERATIONTYPE), "AADOperationType");

    /* result */
    const struct km_json *res = B(&c, F_RESULT);
    if (absent(res))
        res = E(&c, F_RESULT);
    struct km_str result = en_str(&c, res, "result");
    if (eq_ci(result, "success"))
        ev->f[KM_F_OUTCOME] = KM_STR("success");
    else if (eq_ci(result, "failure") || eq_ci(result, "timeout"))
        ev->f[KM_F_OUTCOME] = KM_STR("failure");
    else
        ev->f[KM_F_OUTCOME] = KM_STR("unknown");
    if (km_str_eqc(ev->f[KM_F_OUTCOME], "failure"))
        ev->f[KM_F_ERROR_MESSAGE] = en_str(&c, B(&c, F_RESULTREASON), "resultReason");

    ev->f[KM_F_EVENT_ID] = en_strnum(&c, B(&c, F_ID), "id");
    struct km_str corr = en_strnum(&c, B(&c, F_CORRELATIONID), "correlationId");
    if (!corr.p && c.shape == SH_DIAG)
        corr = en_strnum(&c, E(&c, F_CORRELATIONID), "correlationId");
    ev->f[KM_F_REQUEST_ID] = corr;

    /* resources: targetResources[] */
    struct km_json *tr = en_nested(&c, B(&c, F_TARGETRESOURCES), KM_JSON_ARRAY, "targetResources");
    int target_account = 0;
    if (tr) {
        struct km_buf b;
        km_buf_init(&b, 1u << 20);
        km_buf_addc(&b, '[');
        int n = 0;
        for (struct km_json *t = tr->child; t; t = t->next) {
            if (!km_json_is_obj(t)) {
                en_problem(&c, "targetResources[] element is a %s, expected an object",
                           type_name(t));
                continue;
            }
            struct km_str ty = en_str(&c, en_get(t, "type"), "targetResources[].type");
            struct km_str tid = en_strnum(&c, en_get(t, "id"), "targetResources[].id");
            struct km_str nm =
                en_str(&c, en_get(t, "displayName"), "targetResources[].displayName");
            if (!nm.p)
                nm = en_str(&c, en_get(t, "userPrincipalName"),
                            "targetResources[].userPrincipalName");
            if (in_list_ci(ty, au_account_targets))
                target_account = 1;
            res_add(&b, &n, ty, tid, nm);
        }
        ev->f[KM_F_RESOURCES] = res_done(&c, &b, n);
    } else if (c.shape == SH_PORTAL) {
        ev->f[KM_F_RESOURCES] = au_portal_targets(&c, &target_account);
    }
    ev->f[KM_F_CATEGORY] = km_str_c(au_category(act, dircat, op, target_account));
    if (en_empty(ev, 1))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not a directory audit record: no time, initiator, activity or id%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);
    return KM_OK;
}

static int au_detect(const struct km_json *rec, const char *wrapper)
{
    (void)wrapper;
    return en_detect_kind(rec, K_AUDIT);
}

const struct km_source km_source_entra_audit = {
    .name = "azure.audit",
    .provider = "azure",
    .summary = "Microsoft Entra ID directory audit logs: Graph directoryAudits, diagnostic "
               "settings AuditLogs, Log Analytics AuditLogs",
    .doc = "docs/sources/entra.md",
    .detect = au_detect,
    .normalize = au_normalize,
};

/* ---- Identity Protection ------------------------------------------------------------ */

/* Severity from riskLevel: low 30, medium 60, high 90, none 0; hidden and
 * anything else -1 (unknown). */
static int16_t rk_severity(struct km_str lvl)
{
    if (km_str_eqc(lvl, "low"))
        return 30;
    if (km_str_eqc(lvl, "medium"))
        return 60;
    if (km_str_eqc(lvl, "high"))
        return 90;
    if (km_str_eqc(lvl, "none"))
        return 0;
    return -1;
}

static int rk_type(struct en *c)
{
    int i = en_risk_log(E(c, F_CATEGORY));
    if (i < 0)
        i = en_risk_log(E(c, F_TYPE));
    if (i >= 0)
        return en_risk_logs[i].risk;
    int sp = has(&c->b, F_SPID) || has(&c->b, F_SPDISPLAYNAME) || has(&c->b, F_SPTYPE);
    if (has(&c->b, F_RISKEVENTTYPE))
        return sp ? R_SP_DETECTION : R_DETECTION;
    if (sp || (has(&c->b, F_APPID) && !has(&c->b, F_UPN)))
        return R_RISKY_SP;
    return R_RISKY_USER;
}

static int rk_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    struct en c;
    int rc = en_begin(&c, rec, ctx, ev, err, "azure.identity_protection");
    if (rc != KM_OK)
        return rc;
    int rt = rk_type(&c);
    static const char *const etypes[] = {
        [R_DETECTION] = "riskDetection", [R_SP_DETECTION] = "servicePrincipalRiskDetection",
        [R_RISKY_USER] = "riskyUser", [R_RISKY_SP] = "riskyServicePrincipal"};
    ev->f[KM_F_EVENT_TYPE] = km_str_c(etypes[rt]);
    ev->f[KM_F_CATEGORY] = KM_STR("finding");
    ev->f[KM_F_OUTCOME] = KM_STR("unknown");
    int detection = rt == R_DETECTION || rt == R_SP_DETECTION;

    struct km_json *tc[6];
    const char *tn[6];
    int n = 0;
    if (detection) {
        tc[n] = B(&c, F_ACTIVITYDATETIME);
        tn[n++] = "activityDateTime";
        tc[n] = B(&c, F_DETECTED);
        tn[n++] = "detectedDateTime";
        tc[n] = B(&c, F_LASTUPDATED);
        tn[n++] = "lastUpdatedDateTime";
    } else {
        tc[n] = B(&c, F_RISKLASTUPDATED);
        tn[n++] = "riskLastUpdatedDateTime";
    }
    en_time(&c, tc, tn, en_env_times(&c, tc, tn, n));
    en_account(&c);

    struct km_str id = en_strnum(&c, B(&c, F_ID), "id");
    if (rt == R_DETECTION || rt == R_RISKY_USER) {
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("User");
        struct km_str upn = en_str(&c, B(&c, F_UPN), "userPrincipalName");
        set(ev, KM_F_ACTOR_ID, en_strnum(&c, B(&c, F_USERID), "userId"));
        if (rt == R_RISKY_USER)
            set(ev, KM_F_ACTOR_ID, id);   /* a riskyUser's id is the user's object id */
        set(ev, KM_F_ACTOR_NAME, en_str(&c, B(&c, F_USERDISPLAYNAME), "userDisplayName"));
        set(ev, KM_F_ACTOR_NAME, upn);
        en_email(&c, upn);
    } else {
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("ServicePrincipal");
        set(ev, KM_F_ACTOR_ID, en_strnum(&c, B(&c, F_SPID), "servicePrincipalId"));
        if (rt == R_RISKY_SP)
            set(ev, KM_F_ACTOR_ID, id);
        set(ev, KM_F_ACTOR_ID, en_strnum(&c, B(&c, F_APPID), "appId"));
        set(ev, KM_F_ACTOR_NAME,
            en_str(&c, B(&c, F_SPDISPLAYNAME), "servicePrincipalDisplayName"));
        set(ev, KM_F_ACTOR_NAME, en_str(&c, B(&c, F_DISPLAYNAME), "displayName"));
    }
    set(ev, KM_F_ACTOR_NAME, en_str(&c, E(&c, F_IDENTITY), "identity"));

    en_ip(&c, en_str(&c, B(&c, F_IPADDRESS), "ipAddress"));
    struct km_json *ips = en_nested(&c, B(&c, F_IPADDRESSES), KM_JSON_ARRAY, "ipAddresses");
    if (ips && ips->child)
        en_ip(&c, en_str(&c, ips->child, "ipAddresses[0]"));
    if (c.shape == SH_DIAG)
        en_ip(&c, en_str(&c, E(&c, F_CALLERIP), "callerIpAddress"));
    if (detection)
        en_geo(&c);

    ev->f[KM_F_SERVICE] = en_str(&c, B(&c, F_SOURCE), "source");
    struct km_str lvl = en_str(&c, B(&c, F_RISKLEVEL), "riskLevel");
    ev->severity = rk_severity(lvl);
    if (detection) {
        ev->f[KM_F_ACTION] = en_str(&c, B(&c, F_RISKEVENTTYPE), "riskEventType");
        ev->f[KM_F_EVENT_ID] = id;
        ev->f[KM_F_REQUEST_ID] = en_strnum(&c, B(&c, F_REQUESTID), "requestId");
        ev->f[KM_F_SESSION_ID] = en_strnum(&c, B(&c, F_CORRELATIONID), "correlationId");
    } else {
        ev->f[KM_F_ACTION] = en_str(&c, B(&c, F_RISKSTATE), "riskState");
        /* one record per state change of the same user: the id alone would
         * make every later state a duplicate */
        struct km_str t = en_str(&c, B(&c, F_RISKLASTUPDATED), "riskLastUpdatedDateTime");
        if (id.p && t.p)
            ev->f[KM_F_EVENT_ID] = en_join(&c, id, '@', t);
    }
    if (en_empty(ev, 1))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not an Identity Protection record: no time, identity or id%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);
    return KM_OK;
}

static int rk_detect(const struct km_json *rec, const char *wrapper)
{
    (void)wrapper;
    return en_detect_kind(rec, K_RISK);
}

const struct km_source km_source_entra_risk = {
    .name = "azure.identity_protection",
    .provider = "azure",
    .summary = "Microsoft Entra ID Protection: risk detections, risky users and service "
               "principals (Graph API, diagnostic settings, Log Analytics)",
    .doc = "docs/sources/entra.md",
    .detect = rk_detect,
    .normalize = rk_normalize,
};
