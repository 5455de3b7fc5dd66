/*
 * azure_activity.c — the Azure Activity log (azure.activity) and the other
 * Azure Monitor resource-log records that travel with it (azure.resource) to
 * normalized events. docs/sources/azure_activity.md has the field mapping,
 * the shapes and the quirks; this comment only sketches the code.
 *
 * The Activity log reaches an investigator in four shapes:
 *
 *   diagnostic settings  {time, resourceId, operationName, category, resultType,
 *   (storage / Event Hub) callerIpAddress, correlationId, identity{claims,
 *                         authorization}, level, properties{...}}
 *   REST API / portal    {eventTimestamp, eventDataId, operationName{value,
 *                         localizedValue}, category{...}, status{...}, caller,
 *                         claims, httpRequest{clientIpAddress}, ...} under "value"
 *   Python SDK           the same in snake_case (event_timestamp, event_data_id,
 *                         operation_name{value, localized_value}, http_request)
 *   Log Analytics        AzureActivity rows (TimeGenerated, OperationNameValue,
 *                         CategoryValue, ActivityStatusValue, Caller, Claims as a
 *                         JSON string or Claims_d, ...)
 *
 * One code path reads them all: every field is looked up under its spelling
 * in each shape (static key lists below), and "localizable" values are read
 * as a plain string or as {value, localizedValue|localized_value}. Strings
 * point into the parsed record (zero-copy) except the few that are built
 * (lower-cased e-mail, lower-cased subscription GUID, resource type, canonical
 * IP, resources JSON), which live in ctx->arena. JSON held in strings (Log
 * Analytics Claims, AKS kube-audit properties.log) is parsed from an arena
 * copy, so the record is never modified.
 *
 * azure.resource is a small generic reader for the other diagnostic-settings
 * records (storage StorageRead/Write/Delete, AKS kube-audit, Key Vault ...):
 * time, category, operationName, caller address, identity, resourceId and the
 * result, plus the Kubernetes audit event inside kube-audit records.
 */
#include "sources/source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/ip.h"
#include "core/timeparse.h"

/* ---- per-record state and small helpers ------------------------------------- */

struct az {
    struct km_norm_ctx *ctx;
    struct km_event *ev;
};

#define az_note(c, ...) km_norm_note((c)->ctx, __VA_ARGS__)

/* Counts a value of an unexpected type and notes the first one. */
/* a field of an unexpected type or value: counted, flagged, first one noted */
#define az_problem(c, ...) km_norm_problem((c)->ctx, (c)->ev, __VA_ARGS__)

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

/* String view where a string belongs: null / absent / "" give KM_STR_NONE; a
 * number gives its text and counts a problem; other types count a problem. */
static struct km_str az_str(struct az *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return KM_STR_NONE;
    if (v->type == KM_JSON_STRING)
        return v->len ? km_json_sv(v) : KM_STR_NONE;
    az_problem(c, "%s is a %s, expected a string", what, type_name(v));
    return v->type == KM_JSON_NUMBER ? km_json_sv(v) : KM_STR_NONE;
}

/* A "localizable" value: a string, or {value, localizedValue|localized_value}
 * (REST and SDK shapes); the value wins, the localized text is the fallback. */
static struct km_str az_loc(struct az *c, const struct km_json *v, const char *what)
{
    if (km_json_is_obj(v)) {
        struct km_str s = az_str(c, km_json_get(v, "value"), what);
        if (!s.p)
            s = az_str(c, km_json_get(v, "localizedValue"), what);
        if (!s.p)
            s = az_str(c, km_json_get(v, "localized_value"), what);
        return s;
    }
    return az_str(c, v, what);
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

/* Position of `needle` in s, case-insensitive, or -1. */
static long find_ci(struct km_str s, const char *needle)
{
    size_t n = strlen(needle);
    if (!s.p || s.n < n)
        return -1;
    for (uint32_t i = 0; i + n <= s.n; i++)
        if (strncasecmp(s.p + i, needle, n) == 0)
            return (long)i;
    return -1;
}

/* Lower-cases s into the arena (s itself when it has no upper-case letter). */
#define az_lower(c, s) km_norm_lower((c)->ctx, (s))

static void az_email(struct az *c, struct km_str cand)
{
    if (!c->ev->f[KM_F_ACTOR_EMAIL].p && km_str_is_email(cand))
        c->ev->f[KM_F_ACTOR_EMAIL] = az_lower(c, cand);
}

static void set(struct km_event *ev, enum km_field f, struct km_str s)
{
    if (s.p && !ev->f[f].p)
        ev->f[f] = s;
}

/* src.raw/src.ip, dropping a caller port (storage and Exchange logs keep it) */
#define az_ip(c, raw) km_norm_ip_port((c)->ctx, (c)->ev, (raw))

/*
 * An object member that may also arrive as JSON text (Log Analytics Claims,
 * Authorization, kube-audit properties.log). A string is parsed from an arena
 * copy; returns the object or NULL (a problem is counted when the value is
 * present but not an object).
 */
static const struct km_json *az_object(struct az *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return NULL;
    if (v->type == KM_JSON_OBJECT)
        return v;
    if (v->type != KM_JSON_STRING) {
        az_problem(c, "%s is a %s, expected an object", what, type_name(v));
        return NULL;
    }
    if (!v->len)
        return NULL;
    struct km_err e;
    struct km_json *root = km_norm_parse_embedded(c->ctx, v->str, v->len, 0, &e);
    if (!km_json_is_obj(root)) {
        az_problem(c, "%s is not a JSON object", what);
        return NULL;
    }
    return root;
}

/* Tries one time candidate: 1 and *us when it parses; a present but unusable
 * value counts a problem. */
static int try_time(struct az *c, const struct km_json *v, const char *what, int64_t *us)
{
    if (absent(v))
        return 0;
    if (v->type == KM_JSON_STRING && km_time_parse(v->str, v->len, us) == KM_OK)
        return 1;
    if (v->type == KM_JSON_NUMBER) {
        az_problem(c, "%s is a number, expected a timestamp string", what);
        return km_time_parse(v->str, v->len, us) == KM_OK;
    }
    if (v->type == KM_JSON_STRING)
        az_problem(c, "%s \"%.40s\" is not a timestamp", what, v->str);
    else
        az_problem(c, "%s is a %s, expected a timestamp", what, type_name(v));
    return 0;
}

/*
 * Sets ev->time_us from the first of prim[] that parses, else from the
 * fallbacks (KM_EV_TIME_FALLBACK and a note), else time 0 with
 * KM_EV_TIME_MISSING and a note.
 */
static void az_time(struct az *c, const struct km_json *prim, const char *pname,
                    const struct km_json *const *fb, const char *const *fbname, int nfb)
{
    int64_t us = 0;
    if (try_time(c, prim, pname, &us)) {
        c->ev->time_us = us;
        return;
    }
    for (int i = 0; i < nfb; i++) {
        if (try_time(c, fb[i], fbname[i], &us)) {
            c->ev->time_us = us;
            c->ev->flags |= KM_EV_TIME_FALLBACK;
            az_note(c, "%s %s; used %s", pname, absent(prim) ? "missing" : "invalid", fbname[i]);
            return;
        }
    }
    c->ev->time_us = 0;
    c->ev->flags |= KM_EV_TIME_MISSING;
    az_note(c, "%s %s and no fallback time; time set to 0", pname,
            absent(prim) ? "missing" : "invalid");
}

/* ---- resource ids ------------------------------------------------------------ */

/* The subscription GUID of "/subscriptions/<id>/..." (any case), lower-cased. */
static struct km_str az_subscription(struct az *c, struct km_str rid)
{
    if (!km_str_starts_ci(rid, "/subscriptions/"))
        return KM_STR_NONE;
    struct km_str s = {rid.p + 15, rid.n - 15};
    const char *slash = memchr(s.p, '/', s.n);
    if (slash)
        s.n = (uint32_t)(slash - s.p);
    return s.n ? az_lower(c, s) : KM_STR_NONE;
}

/* The resource-provider namespace of "Microsoft.Compute/disks/write". */
static struct km_str az_namespace(struct km_str op)
{
    if (!op.p)
        return KM_STR_NONE;
    const char *slash = memchr(op.p, '/', op.n);
    if (!slash || slash == op.p)
        return KM_STR_NONE;
    struct km_str ns = {op.p, (uint32_t)(slash - op.p)};
    return memchr(ns.p, '.', ns.n) ? ns : KM_STR_NONE;
}

/*
 * Resource type and name from a resource id: after the last "/providers/",
 * namespace/type1/name1/type2/name2 gives type "namespace/type1/type2" (built in
 * the arena) and name "name2"; "/subscriptions/S/resourceGroups/G" gives
 * Microsoft.Resources/resourceGroups and G; "/subscriptions/S" gives
 * Microsoft.Resources/subscriptions and S.
 */
static void az_rtype(struct az *c, struct km_str rid, struct km_str *type, struct km_str *name)
{
    *type = *name = KM_STR_NONE;
    if (!rid.p || !rid.n)
        return;
    struct km_str rest = KM_STR_NONE;
    for (long at = 0;;) {
        struct km_str tail = {rid.p + at, (uint32_t)(rid.n - (uint32_t)at)};
        long k = find_ci(tail, "/providers/");
        if (k < 0)
            break;
        at += k + 11;
        rest = (struct km_str){rid.p + at, (uint32_t)(rid.n - (uint32_t)at)};
    }
    if (!rest.p) {
        /* no provider: a subscription or a resource group */
        const char *end = rid.p + rid.n;
        while (end > rid.p && end[-1] == '/')
            end--;
        const char *s = end;
        while (s > rid.p && s[-1] != '/')
            s--;
        if (s == end)
            return;
        *name = (struct km_str){s, (uint32_t)(end - s)};
        struct km_str parent = {rid.p, (uint32_t)(s - rid.p)};
        if (km_str_ends_ci(parent, "/resourceGroups/"))
            *type = KM_STR("Microsoft.Resources/resourceGroups");
        else if (km_str_ends_ci(parent, "/subscriptions/"))
            *type = KM_STR("Microsoft.Resources/subscriptions");
        return;
    }
    struct km_buf b;
    km_buf_init(&b, 4096);
    int seg = 0;
    struct km_str last = KM_STR_NONE;
    for (uint32_t i = 0; i < rest.n;) {
        uint32_t j = i;
        while (j < rest.n && rest.p[j] != '/')
            j++;
        if (j > i) {
            if (seg == 0 || seg % 2 == 1) {
                if (seg)
                    km_buf_addc(&b, '/');
                km_buf_add(&b, rest.p + i, j - i);
            } else {
                last = (struct km_str){rest.p + i, j - i};
            }
            seg++;
        }
        i = j + 1;
    }
    if (seg % 2 == 0)
        last = KM_STR_NONE;   /* ends on a type segment */
    if (seg && !b.oom) {
        char *p = km_arena_strndup(c->ctx->arena, b.p, b.n);
        if (p)
            *type = (struct km_str){p, (uint32_t)b.n};
    }
    km_buf_free(&b);
    *name = last;
}

/* Appends {"type","id","name","account"} (present keys only) to b. */
static void res_add(struct km_buf *b, int *n, struct km_str type, struct km_str id,
                    struct km_str name, struct km_str account)
{
    struct km_str kv[4] = {type, id, name, account};
    static const char *const keys[4] = {"type", "id", "name", "account"};
    if (!type.p && !id.p && !name.p)
        return;
    km_buf_adds(b, (*n)++ ? ",{" : "[{");
    int first = 1;
    for (int k = 0; k < 4; k++) {
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

/* Closes the array in b and stores it as ev->resources (absent when empty). */
static void res_finish(struct az *c, struct km_buf *b, int n)
{
    if (n && !b->oom) {
        km_buf_addc(b, ']');
        char *p = b->oom ? NULL : km_arena_strndup(c->ctx->arena, b->p, b->n);
        if (p)
            c->ev->f[KM_F_RESOURCES] = (struct km_str){p, (uint32_t)b->n};
    } else if (b->oom) {
        az_problem(c, "resources too large; dropped");
    }
    km_buf_free(b);
}

/* The resource of a resource id, with its type, name and subscription. */
static void az_resource(struct az *c, struct km_buf *b, int *n, struct km_str rid,
                        struct km_str type_given)
{
    struct km_str type, name;
    az_rtype(c, rid, &type, &name);
    if (type_given.p)
        type = type_given;
    res_add(b, n, type, rid, name, az_subscription(c, rid));
}

/* ---- identity (claims) --------------------------------------------------------- */

#define CLAIM_NS "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
#define CLAIM_MS "http://schemas.microsoft.com/identity/claims/"

static const char *const k_upn[] = {CLAIM_NS "upn", "upn", NULL};
static const char *const k_mail[] = {CLAIM_NS "emailaddress", "email", NULL};
static const char *const k_name[] = {CLAIM_NS "name", "name", "unique_name", NULL};
static const char *const k_oid[] = {CLAIM_MS "objectidentifier", "oid", NULL};
static const char *const k_appid[] = {"appid", "azp", NULL};
static const char *const k_amr[] = {"http://schemas.microsoft.com/claims/authnmethodsreferences",
                                    "amr", NULL};

static struct km_str claim(struct az *c, const struct km_json *claims, const char *const *keys)
{
    return az_str(c, get_any(claims, keys), "claim");
}

/*
 * actor.* from the caller text, the token claims and the authorization
 * evidence. actor.type: "User" or "ServicePrincipal" (Azure's principalType
 * words), from the idtyp claim, else a UPN / e-mail (User), else an appid
 * without one (ServicePrincipal), else evidence.principalType; "" otherwise.
 */
static void az_actor(struct az *c, struct km_str caller, const struct km_json *claims,
                     const struct km_json *authz)
{
    struct km_event *ev = c->ev;
    ev->f[KM_F_ACTOR_TYPE] = KM_STR("");
    struct km_str upn = claim(c, claims, k_upn), mail = claim(c, claims, k_mail);
    struct km_str name = claim(c, claims, k_name), oid = claim(c, claims, k_oid);
    struct km_str appid = claim(c, claims, k_appid);
    struct km_str idtyp = az_str(c, km_json_get(claims, "idtyp"), "claim idtyp");

    const struct km_json *evid = km_json_get(authz, "evidence");
    struct km_str ptype = KM_STR_NONE, pid = KM_STR_NONE;
    if (km_json_is_obj(evid)) {
        ptype = az_str(c, km_json_get(evid, "principalType"), "evidence.principalType");
        pid = az_str(c, km_json_get(evid, "principalId"), "evidence.principalId");
    }

    az_email(c, caller);
    az_email(c, upn);
    az_email(c, mail);
    az_email(c, name);

    if (eq_ci(idtyp, "app"))
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("ServicePrincipal");
    else if (eq_ci(idtyp, "user") || upn.p || ev->f[KM_F_ACTOR_EMAIL].p)
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("User");
    else if (appid.p)
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("ServicePrincipal");
    else if (eq_ci(ptype, "User") || eq_ci(ptype, "ServicePrincipal"))
        ev->f[KM_F_ACTOR_TYPE] = ptype;

    set(ev, KM_F_ACTOR_ID, oid);
    if (eq_ci(ptype, "User") || eq_ci(ptype, "ServicePrincipal"))
        set(ev, KM_F_ACTOR_ID, pid);
    set(ev, KM_F_ACTOR_NAME, caller);
    set(ev, KM_F_ACTOR_NAME, upn);
    set(ev, KM_F_ACTOR_NAME, name);
    set(ev, KM_F_ACTOR_NAME, mail);
    set(ev, KM_F_ACTOR_NAME, appid);

    const struct km_json *amr = get_any(claims, k_amr);
    if (km_json_is_str(amr)) {
        ev->mfa = find_ci(km_json_sv(amr), "mfa") >= 0;
    } else if (km_json_is_arr(amr)) {
        ev->mfa = 0;
        for (const struct km_json *a = amr->child; a; a = a->next)
            if (km_json_is_str(a) && eq_ci(km_json_sv(a), "mfa"))
                ev->mfa = 1;
    } else if (!absent(amr)) {
        az_problem(c, "amr claim is a %s", type_name(amr));
    }
}

/* ---- outcome ------------------------------------------------------------------- */

static const char *const st_success[] = {"Succeeded", "Success", NULL};
static const char *const st_failure[] = {"Failed", "Failure", NULL};

/* outcome from a status text; -1 when the text says nothing */
static int status_outcome(struct km_str s)
{
    if (in_ci(s, st_success))
        return 1;
    if (in_ci(s, st_failure))
        return 0;
    return -1;
}

/* outcome from an HTTP status: a number, a numeric string or an ARM text
 * ("OK", "Created", "Forbidden"): 2xx but 202 success, 202 unknown, >= 400
 * failure. */
static int http_outcome(const struct km_json *v)
{
    if (absent(v))
        return -1;
    int64_t code = -1;
    if (km_json_is_num(v)) {
        if (km_json_i64(v, &code) != KM_OK)
            return -1;
    } else if (km_json_is_str(v)) {
        struct km_str s = km_json_sv(v);
        if (s.n == 3 && strspn(s.p, "0123456789") == 3) {
            code = (s.p[0] - '0') * 100 + (s.p[1] - '0') * 10 + (s.p[2] - '0');
        } else {
            static const char *const ok[] = {"OK", "Created", "NoContent", NULL};
            static const char *const bad[] = {
                "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict",
                "InternalServerError", "ServiceUnavailable", "PreconditionFailed",
                "MethodNotAllowed", "TooManyRequests", "GatewayTimeout", "BadGateway", NULL};
            if (in_ci(s, ok))
                return 1;
            if (in_ci(s, bad))
                return 0;
            return -1;
        }
    }
    if (code == 202)
        return -1;
    if (code >= 200 && code < 300)
        return 1;
    if (code >= 400 && code < 600)
        return 0;
    return -1;
}

static void set_outcome(struct km_event *ev, int o)
{
    ev->f[KM_F_OUTCOME] = o == 1 ? KM_STR("success") : o == 0 ? KM_STR("failure") : KM_STR("unknown");
}

/* severity from an Activity-log level: Critical 90, Error 70, Warning 50,
 * Informational / Verbose 0 (the bands the other finding sources use), as
 * text or as the Windows-style number 1..5 (int or digit string). */
static int level_severity(const struct km_json *v)
{
    if (absent(v))
        return -1;
    static const int by_num[6] = {-1, 90, 70, 50, 0, 0};
    int64_t n = -1;
    if (km_json_is_num(v)) {
        if (km_json_i64(v, &n) != KM_OK)
            return -1;
    } else if (km_json_is_str(v)) {
        struct km_str s = km_json_sv(v);
        if (s.n == 1 && s.p[0] >= '0' && s.p[0] <= '9')
            n = s.p[0] - '0';
        else if (eq_ci(s, "Critical"))
            return 90;
        else if (eq_ci(s, "Error"))
            return 70;
        else if (eq_ci(s, "Warning"))
            return 50;
        else if (eq_ci(s, "Informational") || eq_ci(s, "Information") || eq_ci(s, "Verbose"))
            return 0;
    }
    return n >= 1 && n <= 5 ? by_num[n] : -1;
}

/* ---- azure.activity ------------------------------------------------------------ */

static const char *const k_time[] = {"time", "eventTimestamp", "event_timestamp", "TimeGenerated",
                                     NULL};
static const char *const k_op[] = {"operationName", "operation_name", "OperationNameValue", NULL};
static const char *const k_op_la[] = {"OperationName", NULL};
static const char *const k_cat[] = {"category", "CategoryValue", "Category", NULL};
static const char *const k_status[] = {"resultType", "status", "ActivityStatusValue",
                                       "ActivityStatus", NULL};
static const char *const k_substatus[] = {"resultSignature", "subStatus", "sub_status",
                                          "ActivitySubstatusValue", "ActivitySubstatus", NULL};
static const char *const k_caller[] = {"caller", "Caller", NULL};
static const char *const k_callerip[] = {"callerIpAddress", "CallerIpAddress", NULL};
static const char *const k_corr[] = {"correlationId", "correlation_id", "CorrelationId", NULL};
static const char *const k_edid[] = {"eventDataId", "event_data_id", "EventDataId", NULL};
static const char *const k_sub[] = {"subscriptionId", "subscription_id", "SubscriptionId",
                                    "_SubscriptionId", NULL};
static const char *const k_tenant[] = {"tenantId", "tenant_id", "TenantId", NULL};
static const char *const k_rid[] = {"resourceId", "resource_id", "ResourceId", "_ResourceId",
                                    NULL};
static const char *const k_rtype[] = {"resourceType", "resource_type", NULL};
static const char *const k_rprov[] = {"resourceProviderName", "resource_provider_name",
                                      "ResourceProviderValue", NULL};
static const char *const k_level[] = {"level", "Level", NULL};
static const char *const k_props[] = {"properties", "Properties_d", "Properties", NULL};
static const char *const k_claims[] = {"claims", "Claims_d", "Claims", NULL};
static const char *const k_authz[] = {"authorization", "Authorization_d", "Authorization", NULL};
static const char *const k_http[] = {"httpRequest", "http_request", "HTTPRequest", NULL};
static const char *const k_httpip[] = {"clientIpAddress", "client_ip_address", NULL};
static const char *const k_desc[] = {"resultDescription", "description", NULL};

/* Activity log categories (the diagnostic-settings names; REST uses the same
 * values in category.value). */
static const char *const aa_categories[] = {
    "Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy",
    "Autoscale", "ResourceHealth", NULL};
static const char *const aa_finding_categories[] = {
    "Security", "Alert", "Recommendation", "Policy", NULL};

/* Entra ID (Azure AD) diagnostic categories: never ours. */
static const char *const entra_categories[] = {
    "SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs", "AuditLogs", "ProvisioningLogs", "ADFSSignInLogs",
    "RiskyUsers", "UserRiskEvents", "RiskyServicePrincipals", "ServicePrincipalRiskEvents",
    "NetworkAccessTrafficLogs", "MicrosoftGraphActivityLogs", "EnrichedOffice365AuditLogs",
    "B2CRequestLogs", "ApplicationManagement", "DirectoryManagement", NULL};

/*
 * category: finding for the Security / Alert / Recommendation / Policy
 * categories; account_change for Microsoft.Authorization role assignments,
 * role definitions, deny assignments and elevateAccess; config_change for
 * .../write and .../delete operations and for Autoscale; api otherwise.
 */
static const char *aa_category(struct km_str cat, struct km_str op)
{
    if (in_ci(cat, aa_finding_categories))
        return "finding";
    if (km_str_starts_ci(op, "Microsoft.Authorization/roleAssignments/") ||
        km_str_starts_ci(op, "Microsoft.Authorization/roleDefinitions/") ||
        km_str_starts_ci(op, "Microsoft.Authorization/denyAssignments/") ||
        km_str_starts_ci(op, "Microsoft.Authorization/elevateAccess/"))
        return "account_change";
    if (km_str_ends_ci(op, "/write") || km_str_ends_ci(op, "/delete") || eq_ci(cat, "Autoscale"))
        return "config_change";
    return "api";
}

/* Is resourceId / category / p_log_type Entra ID's (the sign-in and audit
 * logs look like diagnostic-settings records too)? */
static int is_entra(const struct km_json *rec)
{
    const struct km_json *v = km_json_get(rec, "resourceId");
    if (km_json_is_str(v) && find_ci(km_json_sv(v), "/providers/Microsoft.aadiam") >= 0)
        return 1;
    v = km_json_get(rec, "category");
    if (km_json_is_str(v) && in_ci(km_json_sv(v), entra_categories))
        return 1;
    v = km_json_get(rec, "p_log_type");
    return km_json_is_str(v) && !strcmp(v->str, "Azure.Audit");
}

/* operationName as a string view for detection (string or {value}). */
static struct km_str op_view(const struct km_json *v)
{
    if (km_json_is_obj(v))
        v = km_json_get(v, "value");
    return km_json_is_str(v) ? km_json_sv(v) : KM_STR_NONE;
}

static int aa_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    /* REST / SDK: an event data id or event timestamp beside an operation */
    const struct km_json *op = km_json_get(rec, "operationName");
    if (!absent(km_json_get(rec, "eventDataId")) || km_json_is_str(km_json_get(rec, "eventTimestamp")))
        return op_view(op).p ? 95 : 0;
    if (!absent(km_json_get(rec, "event_data_id")) ||
        km_json_is_str(km_json_get(rec, "event_timestamp")))
        return op_view(km_json_get(rec, "operation_name")).p ? 95 : 0;
    /* Log Analytics AzureActivity */
    const struct km_json *t = km_json_get(rec, "Type");
    if (km_json_is_str(t) && !strcmp(t->str, "AzureActivity"))
        return 95;
    if (km_json_is_str(km_json_get(rec, "OperationNameValue")) &&
        !absent(km_json_get(rec, "CategoryValue")))
        return 90;
    /* diagnostic settings */
    struct km_str ops = op_view(op);
    if (!ops.p || is_entra(rec))
        return 0;
    int ns = az_namespace(ops).p != NULL;
    const struct km_json *cat = km_json_get(rec, "category");
    struct km_str cats = op_view(cat);
    if (cats.p) {
        if (!in_ci(cats, aa_categories))
            return 0;
        if (ns)
            return 90;
        return eq_ci(cats, "Policy") ? 20 : 40;
    }
    if (!ns)
        return 0;
    /* no category: an Activity-shaped record (namespaced operation plus a
     * result or correlation id), not a resource log */
    int s = 0;
    if (!absent(km_json_get(rec, "resultType")) || !absent(km_json_get(rec, "correlationId")))
        s += 40;
    const struct km_json *rid = km_json_get(rec, "resourceId");
    if (km_json_is_str(rid) && (km_str_starts_ci(km_json_sv(rid), "/subscriptions/") ||
                                km_str_starts_ci(km_json_sv(rid), "/providers/")))
        s += 10;
    return s >= 40 ? s : 0;
}

static int aa_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "Azure Activity record is a JSON %s, not an object", type_name(rec));
    struct az c = {ctx, ev};
    ev->f[KM_F_PROVIDER] = KM_STR("azure");
    ev->f[KM_F_SOURCE] = KM_STR("azure.activity");

    const struct km_json *identity = km_json_get(rec, "identity");
    if (!absent(identity) && !km_json_is_obj(identity)) {
        az_problem(&c, "identity is a %s, expected an object", type_name(identity));
        identity = NULL;
    }
    const struct km_json *claims = az_object(&c, km_json_get(identity, "claims"), "identity.claims");
    if (!claims)
        claims = az_object(&c, get_any(rec, k_claims), "claims");
    const struct km_json *authz = az_object(&c, km_json_get(identity, "authorization"), "identity.authorization");
    if (!authz)
        authz = az_object(&c, get_any(rec, k_authz), "authorization");
    const struct km_json *props = az_object(&c, get_any(rec, k_props), "properties");

    struct km_str op = az_loc(&c, get_any(rec, k_op), "operationName");
    if (!op.p)
        op = az_str(&c, km_json_get(authz, "action"), "authorization.action");
    if (!op.p)
        op = az_loc(&c, get_any(rec, k_op_la), "OperationName");
    if (!op.p)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not an Azure Activity log event: no operationName%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);

    /* time */
    const struct km_json *fb[3] = {km_json_get(rec, "submissionTimestamp"),
                                   km_json_get(rec, "submission_timestamp"),
                                   km_json_get(rec, "p_event_time")};
    static const char *const fbn[3] = {"submissionTimestamp", "submission_timestamp",
                                       "p_event_time"};
    az_time(&c, get_any(rec, k_time), "time", fb, fbn, 3);

    /* what */
    struct km_str cat = az_loc(&c, get_any(rec, k_cat), "category");
    if (!cat.p)
        cat = az_str(&c, km_json_get(props, "eventCategory"), "properties.eventCategory");
    ev->f[KM_F_ACTION] = op;
    ev->f[KM_F_EVENT_TYPE] = cat;
    struct km_str svc = az_namespace(op);
    if (!svc.p)
        svc = az_loc(&c, get_any(rec, k_rprov), "resourceProviderName");
    ev->f[KM_F_SERVICE] = svc;
    ev->f[KM_F_CATEGORY] = km_str_c(aa_category(cat, op));
    if (km_str_ends_ci(op, "/read"))
        ev->read_only = 1;
    else if (km_str_ends_ci(op, "/write") || km_str_ends_ci(op, "/delete"))
        ev->read_only = 0;
    if (!strcmp(ev->f[KM_F_CATEGORY].p, "finding"))
        ev->severity = (int16_t)level_severity(get_any(rec, k_level));

    /* where */
    struct km_str rid = az_str(&c, get_any(rec, k_rid), "resourceId");
    if (!rid.p)
        rid = az_str(&c, km_json_get(authz, "scope"), "authorization.scope");
    if (!rid.p)
        rid = az_str(&c, km_json_get(props, "entity"), "properties.entity");
    struct km_str sub = az_str(&c, get_any(rec, k_sub), "subscriptionId");
    if (sub.p)
        sub = az_lower(&c, sub);
    else
        sub = az_subscription(&c, rid);
    if (!sub.p)
        sub = az_subscription(&c, az_str(&c, km_json_get(authz, "scope"), "authorization.scope"));
    ev->f[KM_F_ACCOUNT] = sub;
    set(ev, KM_F_ACCOUNT, az_str(&c, get_any(rec, k_tenant), "tenantId"));
    ev->f[KM_F_REGION] = az_str(&c, km_json_get(rec, "location"), "location");

    struct km_str ip = az_str(&c, get_any(rec, k_callerip), "callerIpAddress");
    if (!ip.p) {
        const struct km_json *http = az_object(&c, get_any(rec, k_http), "httpRequest");
        ip = az_str(&c, get_any(http, k_httpip), "httpRequest.clientIpAddress");
    }
    az_ip(&c, ip);

    /* who */
    az_actor(&c, az_str(&c, get_any(rec, k_caller), "caller"), claims, authz);

    /* result */
    struct km_str st = az_loc(&c, get_any(rec, k_status), "status");
    struct km_str sub_st = az_loc(&c, get_any(rec, k_substatus), "subStatus");
    int o = status_outcome(st);
    const struct km_json *code = km_json_get(props, "statusCode");
    if (o < 0 && !st.p)
        o = http_outcome(code);
    set_outcome(ev, o);
    if (o == 0) {
        ev->f[KM_F_ERROR_CODE] = sub_st;
        if (!sub_st.p && (km_json_is_str(code) || km_json_is_num(code)))
            ev->f[KM_F_ERROR_CODE] = km_json_sv(code);
        ev->f[KM_F_ERROR_MESSAGE] = az_str(&c, km_json_get(props, "statusMessage"),
                                           "properties.statusMessage");
        set(ev, KM_F_ERROR_MESSAGE, az_str(&c, get_any(rec, k_desc), "resultDescription"));
    }

    /* ids */
    ev->f[KM_F_EVENT_ID] = az_str(&c, get_any(rec, k_edid), "eventDataId");
    set(ev, KM_F_EVENT_ID, az_str(&c, km_json_get(props, "eventDataId"), "properties.eventDataId"));
    ev->f[KM_F_REQUEST_ID] = az_str(&c, get_any(rec, k_corr), "correlationId");

    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    int n = 0;
    az_resource(&c, &b, &n, rid, az_loc(&c, get_any(rec, k_rtype), "resourceType"));
    res_finish(&c, &b, n);
    return KM_OK;
}

const struct km_source km_source_azure_activity = {
    .name = "azure.activity",
    .provider = "azure",
    .summary = "Azure Activity log: diagnostic-settings export (storage / Event Hub), REST API "
               "and portal JSON, Python SDK, Log Analytics AzureActivity rows",
    .doc = "docs/sources/azure_activity.md",
    .detect = aa_detect,
    .normalize = aa_normalize,
};

/* ---- azure.resource: other Azure Monitor resource logs ------------------------- */

static int ar_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec) || is_entra(rec))
        return 0;
    struct km_str op = op_view(km_json_get(rec, "operationName"));
    if (!op.p)
        return 0;
    const struct km_json *cat = km_json_get(rec, "category");
    const struct km_json *rid = km_json_get(rec, "resourceId");
    int subs = km_json_is_str(rid) && km_str_starts_ci(km_json_sv(rid), "/subscriptions/");
    const struct km_json *plt = km_json_get(rec, "p_log_type");
    int panther = km_json_is_str(plt) && !strcmp(plt->str, "Azure.MonitorActivity");
    if (km_json_is_str(cat) && cat->len) {
        if (subs || panther || !absent(km_json_get(rec, "time")) ||
            km_json_is_obj(km_json_get(rec, "properties")))
            return 45;
        return 0;
    }
    /* category missing: time + an ARM resource id + a caller address */
    if (subs && !absent(km_json_get(rec, "time")) && !absent(km_json_get(rec, "callerIpAddress")))
        return 35;
    return 0;
}

/* Kubernetes verbs that only read. */
static const char *const k8s_read_verbs[] = {"get", "list", "watch", NULL};

/*
 * The Kubernetes audit event inside an AKS kube-audit record (properties.log,
 * a JSON string): actor, source IP, user agent, verb, object and response code.
 * Returns the response code outcome (1, 0, -1).
 */
static int ar_kube(struct az *c, const struct km_json *k, struct km_buf *b, int *n)
{
    struct km_event *ev = c->ev;
    const struct km_json *user = km_json_get(k, "user");
    struct km_str uname = az_str(c, km_json_get(user, "username"), "log.user.username");
    ev->f[KM_F_ACTOR_NAME] = uname;
    az_email(c, uname);
    if (uname.p)
        ev->f[KM_F_ACTOR_TYPE] = km_str_starts_ci(uname, "system:serviceaccount:") ? KM_STR("ServiceAccount")
                                 : km_str_starts_ci(uname, "system:")               ? KM_STR("System")
                                                                             : KM_STR("User");
    set(ev, KM_F_ACTOR_ID, az_str(c, km_json_get(user, "uid"), "log.user.uid"));
    const struct km_json *ips = km_json_get(k, "sourceIPs");
    if (km_json_is_arr(ips) && ips->child && !ev->f[KM_F_SRC_RAW].p)
        az_ip(c, az_str(c, ips->child, "log.sourceIPs[0]"));
    set(ev, KM_F_USER_AGENT, az_str(c, km_json_get(k, "userAgent"), "log.userAgent"));
    struct km_str verb = az_str(c, km_json_get(k, "verb"), "log.verb");
    if (verb.p)
        ev->f[KM_F_ACTION] = verb;
    ev->read_only = verb.p ? (int8_t)in_ci(verb, k8s_read_verbs) : -1;
    const struct km_json *obj = km_json_get(k, "objectRef");
    struct km_str res = az_str(c, km_json_get(obj, "resource"), "log.objectRef.resource");
    struct km_str grp = az_str(c, km_json_get(obj, "apiGroup"), "log.objectRef.apiGroup");
    struct km_str name = az_str(c, km_json_get(obj, "name"), "log.objectRef.name");
    struct km_str ns = az_str(c, km_json_get(obj, "namespace"), "log.objectRef.namespace");
    struct km_str id = KM_STR_NONE;
    if (ns.p && name.p) {
        size_t l = (size_t)ns.n + 1 + name.n;
        char *p = km_arena_alloc(c->ctx->arena, l + 1);
        if (p) {
            memcpy(p, ns.p, ns.n);
            p[ns.n] = '/';
            memcpy(p + ns.n + 1, name.p, name.n);
            p[l] = 0;
            id = (struct km_str){p, (uint32_t)l};
        }
    }
    res_add(b, n, res, id, name, KM_STR_NONE);
    if (verb.p && !ev->read_only)
        ev->f[KM_F_CATEGORY] = (eq_ci(grp, "rbac.authorization.k8s.io") ||
                                eq_ci(res, "serviceaccounts") ||
                                eq_ci(res, "certificatesigningrequests"))
                                   ? KM_STR("account_change")
                                   : KM_STR("config_change");
    set(ev, KM_F_EVENT_ID, az_str(c, km_json_get(k, "auditID"), "log.auditID"));
    const struct km_json *rs = km_json_get(k, "responseStatus");
    return http_outcome(km_json_get(rs, "code"));
}

static int ar_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "Azure resource-log record is a JSON %s, not an object", type_name(rec));
    struct az c = {ctx, ev};
    ev->f[KM_F_PROVIDER] = KM_STR("azure");
    ev->f[KM_F_SOURCE] = KM_STR("azure.resource");
    struct km_str op = az_loc(&c, km_json_get(rec, "operationName"), "operationName");
    if (!op.p)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not an Azure resource-log event: no operationName%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);
    struct km_str cat = az_str(&c, km_json_get(rec, "category"), "category");
    const struct km_json *props = az_object(&c, km_json_get(rec, "properties"), "properties");
    const struct km_json *kube = NULL;
    if (eq_ci(cat, "kube-audit") || eq_ci(cat, "kube-audit-admin"))
        kube = az_object(&c, km_json_get(props, "log"), "properties.log");

    const struct km_json *fb[3] = {km_json_get(rec, "p_event_time"),
                                   kube ? km_json_get(kube, "requestReceivedTimestamp") : NULL,
                                   kube ? km_json_get(kube, "stageTimestamp") : NULL};
    static const char *const fbn[3] = {"p_event_time", "log.requestReceivedTimestamp",
                                       "log.stageTimestamp"};
    az_time(&c, km_json_get(rec, "time"), "time", fb, fbn, 3);

    ev->f[KM_F_EVENT_TYPE] = cat;
    ev->f[KM_F_ACTION] = op;
    ev->f[KM_F_CATEGORY] = KM_STR("api");
    struct km_str rid = az_str(&c, km_json_get(rec, "resourceId"), "resourceId");
    struct km_str rtype, rname;
    az_rtype(&c, rid, &rtype, &rname);
    struct km_str svc = az_namespace(op);
    if (!svc.p && rtype.p) {
        const char *slash = memchr(rtype.p, '/', rtype.n);
        svc = slash ? (struct km_str){rtype.p, (uint32_t)(slash - rtype.p)} : rtype;
    }
    ev->f[KM_F_SERVICE] = svc;
    ev->f[KM_F_ACCOUNT] = az_subscription(&c, rid);
    set(ev, KM_F_ACCOUNT, az_str(&c, km_json_get(rec, "tenantId"), "tenantId"));
    ev->f[KM_F_REGION] = az_str(&c, km_json_get(rec, "location"), "location");
    az_ip(&c, az_str(&c, km_json_get(rec, "callerIpAddress"), "callerIpAddress"));
    ev->f[KM_F_USER_AGENT] = az_str(&c, km_json_get(props, "userAgentHeader"),
                                    "properties.userAgentHeader");
    ev->f[KM_F_REQUEST_ID] = az_str(&c, km_json_get(rec, "correlationId"), "correlationId");

    /* identity: storage {type, tokenHash, requester{objectId, upn, appId}};
     * Key Vault and others {claim|claims{...}} */
    ev->f[KM_F_ACTOR_TYPE] = KM_STR("");
    const struct km_json *idn = km_json_get(rec, "identity");
    if (km_json_is_obj(idn)) {
        struct km_str it = az_str(&c, km_json_get(idn, "type"), "identity.type");
        if (it.p)
            ev->f[KM_F_ACTOR_TYPE] = it;
        const struct km_json *req = km_json_get(idn, "requester");
        if (km_json_is_obj(req)) {
            struct km_str upn = az_str(&c, km_json_get(req, "upn"), "identity.requester.upn");
            az_email(&c, upn);
            set(ev, KM_F_ACTOR_NAME, upn);
            set(ev, KM_F_ACTOR_ID, az_str(&c, km_json_get(req, "objectId"),
                                          "identity.requester.objectId"));
            set(ev, KM_F_ACTOR_NAME, az_str(&c, km_json_get(req, "appId"),
                                            "identity.requester.appId"));
        }
        const struct km_json *cl = km_json_get(idn, "claims");
        if (absent(cl))
            cl = km_json_get(idn, "claim");
        if (km_json_is_obj(cl)) {
            struct km_str upn = claim(&c, cl, k_upn), oid = claim(&c, cl, k_oid);
            struct km_str appid = claim(&c, cl, k_appid);
            az_email(&c, upn);
            set(ev, KM_F_ACTOR_ID, oid);
            set(ev, KM_F_ACTOR_NAME, upn);
            set(ev, KM_F_ACTOR_NAME, appid);
        }
    } else if (!absent(idn)) {
        az_problem(&c, "identity is a %s, expected an object", type_name(idn));
    }

    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    int n = 0;
    res_add(&b, &n, rtype, rid, rname, az_subscription(&c, rid));
    struct km_str key = az_str(&c, km_json_get(props, "objectKey"), "properties.objectKey");
    if (key.p) {
        struct km_str st = az_str(&c, km_json_get(props, "serviceType"), "properties.serviceType");
        res_add(&b, &n, st.p ? st : KM_STR("object"), key, KM_STR_NONE, KM_STR_NONE);
    }

    /* result: resultType, statusCode (HTTP), storage metricResponseType, or
     * the Kubernetes response code */
    int o = status_outcome(az_str(&c, km_json_get(rec, "resultType"), "resultType"));
    if (o < 0)
        o = http_outcome(km_json_get(rec, "statusCode"));
    struct km_str mrt = az_str(&c, km_json_get(props, "metricResponseType"),
                               "properties.metricResponseType");
    if (o < 0 && mrt.p)
        o = eq_ci(mrt, "Success") ? 1 : 0;
    if (kube) {
        int ko = ar_kube(&c, kube, &b, &n);
        if (o < 0)
            o = ko;
    } else if (eq_ci(cat, "StorageRead")) {
        ev->read_only = 1;
    } else if (eq_ci(cat, "StorageWrite") || eq_ci(cat, "StorageDelete")) {
        ev->read_only = 0;
    }
    res_finish(&c, &b, n);
    set_outcome(ev, o);
    if (o == 0) {
        ev->f[KM_F_ERROR_CODE] = az_str(&c, km_json_get(rec, "statusText"), "statusText");
        set(ev, KM_F_ERROR_CODE, az_str(&c, km_json_get(rec, "resultSignature"), "resultSignature"));
        if (mrt.p && !eq_ci(mrt, "Success"))
            set(ev, KM_F_ERROR_CODE, mrt);
        const struct km_json *sc = km_json_get(rec, "statusCode");
        if (km_json_is_num(sc) || km_json_is_str(sc))
            set(ev, KM_F_ERROR_CODE, km_json_sv(sc));
        ev->f[KM_F_ERROR_MESSAGE] = az_str(&c, km_json_get(rec, "resultDescription"),
                                           "resultDescription");
    }
    return KM_OK;
}

const struct km_source km_source_azure_resource = {
    .name = "azure.resource",
    .provider = "azure",
    .summary = "Azure Monitor resource logs other than the Activity log (storage "
               "StorageRead/Write/Delete, AKS kube-audit, ...): generic mapping",
    .doc = "docs/sources/azure_activity.md",
    .detect = ar_detect,
    .normalize = ar_normalize,
};
