/*
 * gcp_audit.c — Google Cloud Logging entries (Cloud Audit Logs, Access
 * Transparency, Google Workspace login audit, and plain jsonPayload /
 * textPayload entries) to normalized events. docs/sources/gcp_audit.md has the
 * field mapping, the shapes and the quirks; this comment sketches the code.
 *
 * One detector (km_source_gcp_audit, "gcp.audit") recognises every LogEntry
 * shape and sets the event's provider and source itself from the entry: the
 * log id in logName picks gcp.audit.activity / .data_access / .system_event /
 * .policy or gcp.access_transparency; serviceName login.googleapis.com gives
 * workspace.login (provider workspace); an AuditLog without a logName is
 * gcp.audit; anything else (jsonPayload, textPayload, a protoPayload of
 * another @type) is gcp.logging. Each of those names is also registered as
 * an alias row whose detect() returns 0, so that `kumo show ID` finds them.
 *
 * A record arrives in one of these shapes; each is reduced to the LogEntry
 * object (`entry`) plus an optional envelope that supplies fallbacks:
 *
 *   LogEntry         {insertId, logName, protoPayload|jsonPayload|textPayload,
 *                     resource, timestamp, receiveTimestamp, severity, ...}
 *                    (GCS sink JSON Lines, gcloud --format=json arrays,
 *                    entries.list {"entries":[...]}, CloudEvents LogEntryData)
 *   CloudEvent       {specversion, type, source, id, time, data:{LogEntry}}
 *                    (or data: a Pub/Sub body, as Eventarc delivers it)
 *   Pub/Sub push     {message:{data:"<base64 LogEntry>", messageId,
 *                     publishTime, attributes}, subscription}
 *                    (also a bare ReceivedMessage {ackId, message:{...}})
 *
 * The Pub/Sub data is base64-decoded into ctx->arena (at most 3/4 of the
 * string's length, plus one byte) and parsed in place there; the raw record
 * kept by the pipeline stays the envelope. The LogEntry's and the AuditLog's
 * top-level members are picked up in one pass each into slots; everything
 * after that is slot lookups. Strings in the event point into the parsed
 * record except the few that are built in ctx->arena: the lower-cased
 * e-mail, the event id "<logName>#<insertId>@<timestamp>", the
 * decoded log id, the delegation chain "a -> b", the error message
 * "NAME: message", canonical IPv6 text and the resources JSON.
 *
 * Hand-written exports with lower-cased keys ("insertid", "logname",
 * "protopayload", seen in Panther test data) are read with case-insensitive
 * key matching (an exact key wins when both spellings are present).
 */
#include "sources/source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/hash.h"
#include "core/ip.h"
#include "core/timeparse.h"

/* ---- per-record state ------------------------------------------------------ */

enum ga_eslot {
    E_LOGNAME,
    E_INSERTID,
    E_TIMESTAMP,
    E_RECEIVE,
    E_RESOURCE,
    E_PROTO,
    E_JSONP,
    E_TEXTP,
    E_SEVERITY,
    E_OPERATION,
    E_PEVENTTIME,
    E__COUNT
};

enum ga_pslot {
    P_SERVICE,
    P_METHOD,
    P_RESNAME,
    P_AUTHN,
    P_AUTHZ,
    P_REQMETA,
    P_STATUS,
    P__COUNT
};

struct ga_key {
    const char *name;
    uint32_t len;
};
#define K(s) {s, (uint32_t)sizeof(s) - 1}
static const struct ga_key ga_ekeys[E__COUNT] = {
    [E_LOGNAME] = K("logName"),         [E_INSERTID] = K("insertId"),
    [E_TIMESTAMP] = K("timestamp"),     [E_RECEIVE] = K("receiveTimestamp"),
    [E_RESOURCE] = K("resource"),       [E_PROTO] = K("protoPayload"),
    [E_JSONP] = K("jsonPayload"),       [E_TEXTP] = K("textPayload"),
    [E_SEVERITY] = K("severity"),       [E_OPERATION] = K("operation"),
    [E_PEVENTTIME] = K("p_event_time"),
};
static const struct ga_key ga_pkeys[P__COUNT] = {
    [P_SERVICE] = K("serviceName"),        [P_METHOD] = K("methodName"),
    [P_RESNAME] = K("resourceName"),       [P_AUTHN] = K("authenticationInfo"),
    [P_AUTHZ] = K("authorizationInfo"),    [P_REQMETA] = K("requestMetadata"),
    [P_STATUS] = K("status"),
};
#undef K

enum ga_shape { SH_ENTRY, SH_CLOUDEVENT, SH_PUBSUB };

/* What the entry is, from its log id and payload. */
enum ga_kind {
    KIND_LOGGING,        /* gcp.logging: not an audit entry */
    KIND_AUDIT,          /* gcp.audit: AuditLog of an unknown log */
    KIND_ACTIVITY,
    KIND_DATA_ACCESS,
    KIND_SYSTEM_EVENT,
    KIND_POLICY,
    KIND_TRANSPARENCY,
    KIND_LOGIN,          /* workspace.login */
};

static const char *const ga_kind_source[] = {
    [KIND_LOGGING] = "gcp.logging",
    [KIND_AUDIT] = "gcp.audit",
    [KIND_ACTIVITY] = "gcp.audit.activity",
    [KIND_DATA_ACCESS] = "gcp.audit.data_access",
    [KIND_SYSTEM_EVENT] = "gcp.audit.system_event",
    [KIND_POLICY] = "gcp.audit.policy",
    [KIND_TRANSPARENCY] = "gcp.access_transparency",
    [KIND_LOGIN] = "workspace.login",
};

struct ga {
    struct km_norm_ctx *ctx;
    struct km_event *ev;
    int ci;                               /* case-insensitive key matching */
    int shape;                            /* enum ga_shape */
    int kind;                             /* enum ga_kind */
    const struct km_json *env;            /* CloudEvent, or Pub/Sub message object */
    const struct km_json *entry;          /* the LogEntry */
    const struct km_json *e[E__COUNT];    /* entry's members by slot */
    const struct km_json *proto;          /* protoPayload object, or NULL */
    const struct km_json *p[P__COUNT];    /* protoPayload's members by slot */
    struct km_str log_parent;             /* "projects/p", "organizations/1" */
    struct km_str log_id;                 /* URL-decoded LOG_ID */
};

#define ga_note(c, ...) km_norm_note((c)->ctx, __VA_ARGS__)

/* a field of an unexpected type or value: counted, flagged, first one noted */
#define ga_problem(c, ...) km_norm_problem((c)->ctx, (c)->ev, __VA_ARGS__)

#define type_name km_json_type_name

#define absent km_json_absent

/* Member lookup honouring the record's key-case mode. */
static const struct km_json *ga_get(const struct ga *c, const struct km_json *obj, const char *key)
{
    const struct km_json *v = km_json_get(obj, key);
    if (!v && c->ci)
        v = km_json_geti(obj, key);
    return v;
}

/* One pass over obj's members into slots[] (nkeys <= 16): exact keys, and
 * with ci any case. The first match of a slot wins, except that an
 * exact-case key replaces a case-insensitive one. Returns the number of
 * slots filled by a case-insensitive match. */
static int ga_collect(const struct km_json *obj, const struct ga_key *keys, int nkeys,
                      const struct km_json **slots, int ci)
{
    unsigned char exact[16] = {0};
    for (const struct km_json *m = obj->child; m; m = m->next) {
        for (int k = 0; k < nkeys; k++) {
            if (m->key_len != keys[k].len || (slots[k] && exact[k]))
                continue;
            if (memcmp(m->key, keys[k].name, m->key_len) == 0) {
                slots[k] = m;
                exact[k] = 1;
                break;
            }
            if (ci && !slots[k] && strncasecmp(m->key, keys[k].name, m->key_len) == 0) {
                slots[k] = m;
                break;
            }
        }
    }
    int n = 0;
    for (int k = 0; k < nkeys; k++)
        n += slots[k] && !exact[k];
    return n;
}

/*
 * String view of a value where a string belongs. null / absent / "" give
 * KM_STR_NONE. A number gives its text and counts a problem; booleans,
 * objects and arrays count a problem and give KM_STR_NONE.
 */
static struct km_str ga_str(struct ga *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return KM_STR_NONE;
    if (v->type == KM_JSON_STRING)
        return v->len ? km_json_sv(v) : KM_STR_NONE;
    ga_problem(c, "%s is a %s, expected a string", what, type_name(v));
    return v->type == KM_JSON_NUMBER ? km_json_sv(v) : KM_STR_NONE;
}

/* An object where an object belongs; NULL (and a problem) for other types. */
static const struct km_json *ga_obj(struct ga *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return NULL;
    if (v->type == KM_JSON_OBJECT)
        return v;
    ga_problem(c, "%s is a %s, expected an object", what, type_name(v));
    return NULL;
}

/* Copies s into the arena (NUL-terminated); KM_STR_NONE on ceiling. */
static struct km_str ga_dup(struct ga *c, const char *p, size_t n)
{
    char *d = km_arena_strndup(c->ctx->arena, p, n);
    return d ? (struct km_str){d, (uint32_t)n} : KM_STR_NONE;
}

/* Parses JSON held in a string member in place (the string is record memory
 * and is consumed). Returns the object, or NULL and counts a problem. An
 * object member is returned as is. */
static const struct km_json *ga_embedded(struct ga *c, const struct km_json *v, const char *what)
{
    if (absent(v))
        return NULL;
    if (v->type == KM_JSON_OBJECT)
        return v;
    if (v->type != KM_JSON_STRING) {
        ga_problem(c, "%s is a %s, expected an object", what, type_name(v));
        return NULL;
    }
    if (v->len == 0 || v->str[0] != '{') {
        ga_problem(c, "%s is a string, expected an object", what);
        return NULL;
    }
    struct km_json_limits lim;
    km_json_limits_default(&lim);
    lim.max_depth = 128;
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse((char *)v->str, v->len, &lim, c->ctx->arena, &root, &e) != KM_OK) {
        ga_problem(c, "%s is not valid JSON (offset %llu: %.60s)", what,
                   (unsigned long long)(e.offset == UINT64_MAX ? 0 : e.offset), e.msg);
        return NULL;
    }
    if (!km_json_is_obj(root)) {
        ga_problem(c, "%s holds a JSON %s, expected an object", what, type_name(root));
        return NULL;
    }
    return root;
}

/* ---- base64 (Pub/Sub message data) --------------------------------------------- */

/* Value of a base64 digit (standard or URL-safe alphabet), or -1. */
static int b64_val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

/*
 * Decodes base64 text s[0..n) into out (which has room for n / 4 * 3 + 3
 * bytes), stopping after at most max_out bytes. Padding is optional; '\r',
 * '\n' and blanks are skipped. Returns the bytes written, or -1 when s
 * holds another character or data after padding.
 */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t max_out)
{
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && o < max_out; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t')
            continue;
        if (ch == '=') {
            pad++;
            continue;
        }
        int v = b64_val(ch);
        if (v < 0 || pad)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return (long)o;
}

/* The message object of a Pub/Sub push body {message, subscription} or a
 * pull ReceivedMessage {ackId, message}, or NULL. */
static const struct km_json *pubsub_message(const struct km_json *rec)
{
    const struct km_json *m = km_json_get(rec, "message");
    if (!km_json_is_obj(m))
        return NULL;
    if (km_json_get(rec, "subscription") || km_json_get(rec, "ackId") ||
        km_json_get(m, "messageId") || km_json_get(m, "message_id"))
        return m;
    return NULL;
}

/* The base64 text of a Pub/Sub message's data, or NULL. */
static const struct km_json *pubsub_data(const struct km_json *msg)
{
    const struct km_json *d = km_json_get(msg, "data");
    return d && (d->type == KM_JSON_STRING || d->type == KM_JSON_OBJECT) ? d : NULL;
}

/* ---- log name ------------------------------------------------------------------- */

/*
 * Splits logName "[/]projects/P/logs/LOG_ID" (also organizations/, folders/,
 * billingAccounts/; "logs/" missing in some hand-written records) into the
 * parent ("projects/P") and the URL-decoded LOG_ID.
 */
static void ga_logname(struct ga *c, struct km_str ln)
{
    if (!ln.p)
        return;
    const char *p = ln.p, *end = ln.p + ln.n;
    if (p < end && *p == '/')
        p++;
    const char *s1 = memchr(p, '/', (size_t)(end - p));
    const char *s2 = s1 ? memchr(s1 + 1, '/', (size_t)(end - s1 - 1)) : NULL;
    if (!s1 || !s2 || s1 == p || s2 == s1 + 1) {
        c->log_id = (struct km_str){p, (uint32_t)(end - p)};
    } else {
        c->log_parent = (struct km_str){p, (uint32_t)(s2 - p)};
        const char *id = s2 + 1;
        if (end - id > 5 && memcmp(id, "logs/", 5) == 0)
            id += 5;
        c->log_id = (struct km_str){id, (uint32_t)(end - id)};
    }
    if (!c->log_id.n) {
        c->log_id = KM_STR_NONE;
        return;
    }
    if (!memchr(c->log_id.p, '%', c->log_id.n))
        return;
    char *d = km_arena_alloc(c->ctx->arena, (size_t)c->log_id.n + 1);
    if (!d)
        return;
    uint32_t o = 0;
    for (uint32_t i = 0; i < c->log_id.n; i++) {
        char ch = c->log_id.p[i];
        int h1, h2;
        if (ch == '%' && i + 2 < c->log_id.n && (h1 = km_hexdigit(c->log_id.p[i + 1])) >= 0 &&
            (h2 = km_hexdigit(c->log_id.p[i + 2])) >= 0) {
            d[o++] = (char)(h1 * 16 + h2);
            i += 2;
        } else {
            d[o++] = ch;
        }
    }
    d[o] = 0;
    c->log_id = (struct km_str){d, o};
}

/* Picks the kind of entry from the log id, the payload and the service. */
static int ga_kind(const struct ga *c, struct km_str svc)
{
    if (km_str_eqc(svc, "login.googleapis.com"))
        return KIND_LOGIN;
    struct km_str id = c->log_id;
    if (id.p) {
        if (km_str_eqc(id, "cloudaudit.googleapis.com/access_transparency") ||
            km_str_ends(id, "/access_transparency") || km_str_ends(id, "accessTransparency"))
            return KIND_TRANSPARENCY;
        int audit_log = km_str_starts(id, "cloudaudit.googleapis.com/") || c->proto;
        if (audit_log) {
            if (km_str_ends(id, "/activity"))
                return KIND_ACTIVITY;
            if (km_str_ends(id, "/data_access"))
                return KIND_DATA_ACCESS;
            if (km_str_ends(id, "/system_event"))
                return KIND_SYSTEM_EVENT;
            if (km_str_ends(id, "/policy"))
                return KIND_POLICY;
            return KIND_AUDIT;
        }
        return KIND_LOGGING;
    }
    return c->proto ? KIND_AUDIT : KIND_LOGGING;
}

/* ---- time ----------------------------------------------------------------------- */

/* Tries one time candidate: 1 and *us when it parses; a present but unusable
 * value counts a problem. */
static int try_time(struct ga *c, const struct km_json *v, const char *what, int64_t *us)
{
    if (absent(v))
        return 0;
    if (v->type == KM_JSON_STRING) {
        if (km_time_parse(v->str, v->len, us) == KM_OK)
            return 1;
        ga_problem(c, "%s \"%.40s\" is not a timestamp", what, v->str);
        return 0;
    }
    if (v->type == KM_JSON_NUMBER) {
        ga_problem(c, "%s is a number, expected a timestamp string", what);
        return km_time_parse(v->str, v->len, us) == KM_OK;
    }
    ga_problem(c, "%s is a %s, expected a timestamp", what, type_name(v));
    return 0;
}

static void ga_time(struct ga *c)
{
    struct km_event *ev = c->ev;
    int64_t us = 0;
    const struct km_json *ts = c->e[E_TIMESTAMP];
    if (try_time(c, ts, "timestamp", &us)) {
        ev->time_us = us;
        return;
    }
    struct fallback {
        const struct km_json *v;
        const char *name;
    } fb[5];
    int n = 0;
    fb[n++] = (struct fallback){c->e[E_RECEIVE], "receiveTimestamp"};
    const struct km_json *rm = km_json_is_obj(c->p[P_REQMETA]) ? c->p[P_REQMETA] : NULL;
    const struct km_json *ra = ga_get(c, rm, "requestAttributes");
    fb[n++] = (struct fallback){km_json_is_obj(ra) ? ga_get(c, ra, "time") : NULL,
                                "requestMetadata.requestAttributes.time"};
    fb[n++] = (struct fallback){c->e[E_PEVENTTIME], "p_event_time"};
    if (c->shape == SH_PUBSUB)
        fb[n++] = (struct fallback){km_json_get(c->env, "publishTime"), "publishTime"};
    if (c->shape == SH_CLOUDEVENT)
        fb[n++] = (struct fallback){km_json_get(c->env, "time"), "time"};
    for (int i = 0; i < n; i++) {
        if (try_time(c, fb[i].v, fb[i].name, &us)) {
            ev->time_us = us;
            ev->flags |= KM_EV_TIME_FALLBACK;
            ga_note(c, "timestamp %s; used %s", absent(ts) ? "missing" : "invalid", fb[i].name);
            return;
        }
    }
    ev->time_us = 0;
    ev->flags |= KM_EV_TIME_MISSING;
    ga_note(c, "timestamp %s and no fallback time; time set to 0",
            absent(ts) ? "missing" : "invalid");
}

/* ---- actor ------------------------------------------------------------------------ */

static int is_sa_email(struct km_str s)
{
    return km_str_ends(s, ".gserviceaccount.com");
}

/* actor.type from the principal's e-mail / subject text. */
static const char *actor_type_of(struct km_str email, struct km_str subject)
{
    if (email.p) {
        if (is_sa_email(email) || km_str_starts(email, "system:serviceaccount:"))
            return "service_account";
        if (km_str_eqc(email, "system:anonymous"))
            return "anonymous";
        if (km_str_starts(email, "system:"))
            return "system";
        if (km_str_is_email(email))
            return "user";
    }
    if (subject.p) {
        if (km_str_starts(subject, "serviceAccount:"))
            return "service_account";
        if (km_str_starts(subject, "user:"))
            return is_sa_email(subject) ? "service_account" : "user";
        if (km_str_starts(subject, "principal://") || km_str_starts(subject, "principalSet://"))
            return "federated";
    }
    return "unknown";
}

/* Builds "a -> b -> c" from serviceAccountDelegationInfo[] (first-party
 * principal e-mails, principalSubject strings, third-party claims' "sub"). */
static struct km_str ga_delegation(struct ga *c, const struct km_json *arr)
{
    if (absent(arr))
        return KM_STR_NONE;
    if (arr->type != KM_JSON_ARRAY) {
        ga_problem(c, "serviceAccountDelegationInfo is a %s, expected an array", type_name(arr));
        return KM_STR_NONE;
    }
    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    int n = 0;
    for (const struct km_json *d = arr->child; d; d = d->next) {
        if (d->type != KM_JSON_OBJECT) {
            ga_problem(c, "serviceAccountDelegationInfo[] element is a %s, expected an object",
                       type_name(d));
            continue;
        }
        struct km_str who = KM_STR_NONE;
        const struct km_json *fp = ga_get(c, d, "firstPartyPrincipal");
        if (km_json_is_obj(fp))
            who = ga_str(c, ga_get(c, fp, "principalEmail"), "firstPartyPrincipal.principalEmail");
        if (!who.p)
            who = ga_str(c, ga_get(c, d, "principalSubject"), "delegation principalSubject");
        if (!who.p) {
            const struct km_json *tp = ga_get(c, d, "thirdPartyPrincipal");
            const struct km_json *cl = km_json_is_obj(tp) ? ga_get(c, tp, "thirdPartyClaims") : NULL;
            if (km_json_is_obj(cl))
                who = ga_str(c, km_json_get(cl, "sub"), "thirdPartyClaims.sub");
        }
        if (!who.p)
            continue;
        if (n++)
            km_buf_adds(&b, " -> ");
        km_buf_add(&b, who.p, who.n);
    }
    struct km_str r = KM_STR_NONE;
    if (n && !b.oom)
        r = ga_dup(c, b.p, b.n);
    km_buf_free(&b);
    return r;
}

static void ga_actor(struct ga *c)
{
    struct km_event *ev = c->ev;
    ev->f[KM_F_ACTOR_TYPE] = KM_STR("");
    if (c->kind == KIND_TRANSPARENCY) {
        ev->f[KM_F_ACTOR_TYPE] = KM_STR("google_personnel");
        return;
    }
    const struct km_json *ai = ga_obj(c, c->p[P_AUTHN], "authenticationInfo");
    if (!ai)
        return;
    struct km_str email = ga_str(c, ga_get(c, ai, "principalEmail"), "principalEmail");
    struct km_str subject = ga_str(c, ga_get(c, ai, "principalSubject"), "principalSubject");
    struct km_str key =
        ga_str(c, ga_get(c, ai, "serviceAccountKeyName"), "serviceAccountKeyName");
    struct km_str chain = ga_delegation(c, ga_get(c, ai, "serviceAccountDelegationInfo"));
    if (email.p || subject.p)
        ev->f[KM_F_ACTOR_TYPE] = km_str_c(actor_type_of(email, subject));
    ev->f[KM_F_ACTOR_NAME] = email.p ? email : subject;
    ev->f[KM_F_ACTOR_ID] = subject;
    ev->f[KM_F_ACTOR_ACCESS_KEY] = key;
    ev->f[KM_F_ACTOR_SESSION_ISSUER] = chain;
    struct km_str mail = email;
    if (!km_str_is_email(mail) && km_str_starts(subject, "user:"))
        mail = (struct km_str){subject.p + 5, subject.n - 5};
    else if (!km_str_is_email(mail) && km_str_starts(subject, "serviceAccount:"))
        mail = (struct km_str){subject.p + 15, subject.n - 15};
    if (km_str_is_email(mail))
        ev->f[KM_F_ACTOR_EMAIL] = km_norm_lower(c->ctx, mail);
}

/* ---- what, where, outcome ----------------------------------------------------------- */

/* The last dotted segment of a method name ("google.iam.admin.v1.CreateRole"
 * → "CreateRole", "storage.objects.list" → "list"). */
static struct km_str last_seg(struct km_str m)
{
    if (!m.p)
        return KM_STR_NONE;
    uint32_t i = m.n;
    while (i > 0 && m.p[i - 1] != '.' && m.p[i - 1] != '/')
        i--;
    return (struct km_str){m.p + i, m.n - i};
}

/* seg begins with one of verbs (any case) as a whole word: followed by the
 * end, an upper-case letter, a digit or '_' ("getIamPolicy", "list",
 * "Get", but not "getter"). */
static int verb_is(struct km_str seg, const char *const *verbs)
{
    for (; *verbs; verbs++) {
        size_t n = strlen(*verbs);
        if (!km_str_starts_ci(seg, *verbs))
            continue;
        if (seg.n == n)
            return 1;
        char ch = seg.p[n];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')
            return 1;
    }
    return 0;
}

static const char *const ga_read_verbs[] = {
    "get", "list", "search", "lookup", "describe", "read", "query", "watch", "fetch",
    "testIamPermissions", "aggregatedList", "batchGet", "check", "export", "view", NULL};
static const char *const ga_write_verbs[] = {
    "create", "delete", "update", "patch", "insert", "set", "add", "remove", "undelete",
    "enable", "disable", "upload", "import", "deploy", "move", "attach", "detach",
    "start", "stop", "reset", "resize", "run", "exec", "cancel", "rotate", "destroy",
    "restore", "approve", "write", "put", "replace", "modify", "grant", "revoke",
    "deletecollection", "bind", "abandon", "suspend", "resume", "rename", "restart",
    "submit", "apply", NULL};

/* 1 read, 0 write, -1 unknown, from a method name's last segment. */
static int method_read_only(struct km_str method)
{
    struct km_str seg = last_seg(method);
    if (!seg.n)
        return -1;
    if (verb_is(seg, ga_read_verbs))
        return 1;
    if (verb_is(seg, ga_write_verbs))
        return 0;
    return -1;
}

/* authorizationInfo[].permissionType: 1 when every checked permission reads
 * (ADMIN_READ / DATA_READ), 0 when any writes, -1 when none says. */
static int perm_read_only(struct ga *c, const struct km_json *authz)
{
    if (!km_json_is_arr(authz))
        return -1;
    int seen = 0;
    for (const struct km_json *a = authz->child; a; a = a->next) {
        const struct km_json *pt = ga_get(c, a, "permissionType");
        if (!km_json_is_str(pt))
            continue;
        struct km_str s = km_json_sv(pt);
        if (km_str_ends(s, "_WRITE"))
            return 0;
        if (km_str_ends(s, "_READ"))
            seen = 1;
    }
    return seen ? 1 : -1;
}

static const char *const ga_iam_verbs[] = {"create", "delete", "update", "patch", "undelete",
                                           "enable", "disable", "upload", "set", "add",
                                           "remove", NULL};

/* category of an audit entry (see the doc's category table). */
static const char *ga_category(const struct ga *c, struct km_str svc, struct km_str method)
{
    struct km_str seg = last_seg(method);
    if (c->kind == KIND_LOGIN) {
        if (km_str_starts_ci(seg, "password") || km_str_starts_ci(seg, "2sv") || km_str_starts_ci(seg, "recovery") ||
            km_str_starts_ci(seg, "titanium"))
            return "account_change";
        return "authentication";
    }
    if (c->kind == KIND_LOGGING)
        return "unknown";
    if (seg.n == 12 && strncasecmp(seg.p, "setIamPolicy", 12) == 0)
        return "account_change";
    int iam = km_str_eqc(svc, "iam.googleapis.com") || km_str_starts(method, "google.iam.admin.") ||
              km_str_starts(method, "google.iam.v1.") || km_str_starts(method, "google.iam.v2.");
    if (iam && verb_is(seg, ga_iam_verbs))
        return "account_change";
    /* Kubernetes RBAC and service accounts */
    if ((memmem(method.p ? method.p : "", method.n, ".rbac.", 6) ||
         memmem(method.p ? method.p : "", method.n, ".serviceaccounts.", 17)) &&
        verb_is(seg, ga_write_verbs))
        return "account_change";
    return "api";
}

/* google.rpc.Code names, by number. */
static const char *const ga_rpc_codes[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED"};

/*
 * status → outcome/error. Absent, {} or code 0 → success. Another code →
 * failure, error.code = the number as text, error.message =
 * "NAME: message" (or either part alone). The code may be a number or an
 * integer in a string ("7").
 */
static void ga_status(struct ga *c)
{
    struct km_event *ev = c->ev;
    ev->f[KM_F_OUTCOME] = KM_STR("success");
    const struct km_json *st = c->p[P_STATUS];
    if (absent(st))
        return;
    if (st->type != KM_JSON_OBJECT) {
        ga_problem(c, "status is a %s, expected an object", type_name(st));
        ev->f[KM_F_OUTCOME] = KM_STR("unknown");
        return;
    }
    const struct km_json *code = ga_get(c, st, "code");
    struct km_str msg = ga_str(c, ga_get(c, st, "message"), "status.message");
    int64_t n = 0;
    struct km_str ctext = KM_STR_NONE;
    if (absent(code))
        return;
    if (code->type == KM_JSON_NUMBER && km_json_i64(code, &n) == KM_OK) {
        ctext = km_json_sv(code);
    } else if (code->type == KM_JSON_STRING && code->len > 0 && code->len < 12) {
        /* int32 written as a JSON string */
        int ok = 1;
        n = 0;
        for (uint32_t i = 0; i < code->len; i++) {
            char ch = code->str[i];
            if (ch < '0' || ch > '9') {
                ok = 0;
                break;
            }
            n = n * 10 + (ch - '0');
        }
        if (!ok) {
            ga_problem(c, "status.code \"%.20s\" is not a number", code->str);
            ev->f[KM_F_OUTCOME] = KM_STR("unknown");
            return;
        }
        ctext = km_json_sv(code);
    } else {
        ga_problem(c, "status.code is a %s, expected a number", type_name(code));
        ev->f[KM_F_OUTCOME] = KM_STR("unknown");
        return;
    }
    if (n == 0)
        return;
    ev->f[KM_F_OUTCOME] = KM_STR("failure");
    ev->f[KM_F_ERROR_CODE] = ctext;
    const char *name = n > 0 && n < (int64_t)KM_ARRAY_LEN(ga_rpc_codes) ? ga_rpc_codes[n] : NULL;
    if (!name) {
        ev->f[KM_F_ERROR_MESSAGE] = msg;
        return;
    }
    if (!msg.p) {
        ev->f[KM_F_ERROR_MESSAGE] = km_str_c(name);
        return;
    }
    size_t nl = strlen(name);
    char *p = km_arena_alloc(c->ctx->arena, nl + 2 + msg.n + 1);
    if (!p) {
        ev->f[KM_F_ERROR_MESSAGE] = msg;
        return;
    }
    memcpy(p, name, nl);
    memcpy(p + nl, ": ", 2);
    memcpy(p + nl + 2, msg.p, msg.n);
    p[nl + 2 + msg.n] = 0;
    ev->f[KM_F_ERROR_MESSAGE] = (struct km_str){p, (uint32_t)(nl + 2 + msg.n)};
}

/* Appends {"type","id","account"} to b unless id is already listed. */
struct res_list {
    struct km_buf b;
    int n;
    struct km_str ids[32];
};

static void res_add(struct res_list *r, struct km_str type, struct km_str id, struct km_str acct)
{
    if (!id.p || r->n >= (int)KM_ARRAY_LEN(r->ids))
        return;
    for (int i = 0; i < r->n; i++)
        if (r->ids[i].n == id.n && memcmp(r->ids[i].p, id.p, id.n) == 0)
            return;
    r->ids[r->n] = id;
    km_buf_adds(&r->b, r->n++ ? ",{" : "[{");
    struct km_str kv[3] = {type, id, acct};
    static const char *const keys[3] = {"type", "id", "account"};
    int first = 1;
    for (int k = 0; k < 3; k++) {
        if (!kv[k].p)
            continue;
        if (!first)
            km_buf_addc(&r->b, ',');
        first = 0;
        km_json_write_str(&r->b, keys[k], strlen(keys[k]));
        km_buf_addc(&r->b, ':');
        km_json_write_str(&r->b, kv[k].p, kv[k].n);
    }
    km_buf_addc(&r->b, '}');
}

static struct km_str res_done(struct ga *c, struct res_list *r)
{
    struct km_str s = KM_STR_NONE;
    if (r->n) {
        km_buf_addc(&r->b, ']');
        if (r->b.oom)
            ga_problem(c, "resources too large; dropped");
        else
            s = ga_dup(c, r->b.p, r->b.n);
    }
    km_buf_free(&r->b);
    return s;
}

/* resources: resourceName (typed by resource.type, owned by the project
 * label), then authorizationInfo[].resource values not yet listed. */
static struct km_str ga_resources(struct ga *c, struct km_str rtype, struct km_str project)
{
    struct res_list r;
    memset(&r, 0, sizeof r);
    km_buf_init(&r.b, 1u << 20);
    res_add(&r, rtype, ga_str(c, c->p[P_RESNAME], "resourceName"), project);
    const struct km_json *authz = c->p[P_AUTHZ];
    if (!absent(authz) && authz->type != KM_JSON_ARRAY)
        ga_problem(c, "authorizationInfo is a %s, expected an array", type_name(authz));
    for (const struct km_json *a = km_json_is_arr(authz) ? authz->child : NULL; a; a = a->next) {
        if (a->type != KM_JSON_OBJECT)
            continue;
        const struct km_json *attrs = ga_get(c, a, "resourceAttributes");
        struct km_str id = ga_str(c, ga_get(c, a, "resource"), "authorizationInfo[].resource");
        struct km_str ty = KM_STR_NONE;
        if (km_json_is_obj(attrs)) {
            if (!id.p)
                id = ga_str(c, ga_get(c, attrs, "name"), "resourceAttributes.name");
            ty = ga_str(c, ga_get(c, attrs, "type"), "resourceAttributes.type");
        }
        res_add(&r, ty, id, KM_STR_NONE);
    }
    return res_done(c, &r);
}

/* Access Transparency: accesses[].methodName / resourceName, product[0]. */
static void ga_transparency(struct ga *c, const struct km_json *jp)
{
    struct km_event *ev = c->ev;
    const struct km_json *acc = ga_get(c, jp, "accesses");
    struct res_list r;
    memset(&r, 0, sizeof r);
    km_buf_init(&r.b, 1u << 20);
    for (const struct km_json *a = km_json_is_arr(acc) ? acc->child : NULL; a; a = a->next) {
        if (a->type != KM_JSON_OBJECT)
            continue;
        if (!ev->f[KM_F_ACTION].p)
            ev->f[KM_F_ACTION] = ga_str(c, ga_get(c, a, "methodName"), "accesses[].methodName");
        res_add(&r, KM_STR_NONE, ga_str(c, ga_get(c, a, "resourceName"), "accesses[].resourceName"),
                KM_STR_NONE);
    }
    ev->f[KM_F_RESOURCES] = res_done(c, &r);
    const struct km_json *prod = ga_get(c, jp, "product");
    if (km_json_is_arr(prod) && prod->child)
        ev->f[KM_F_SERVICE] = ga_str(c, prod->child, "product[0]");
    ev->f[KM_F_OUTCOME] = KM_STR("success");
}

/* LogSeverity names → 0..100 (DEFAULT 0 ... EMERGENCY 100), -1 unknown. */
static int16_t severity_of(struct km_str s)
{
    static const char *const names[] = {"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING",
                                        "ERROR", "CRITICAL", "ALERT", "EMERGENCY"};
    for (int i = 0; i < 9; i++)
        if (km_str_eqc(s, names[i]))
            return (int16_t)(i * 100 / 8);
    return -1;
}

static void ga_what(struct ga *c)
{
    struct km_event *ev = c->ev;
    struct km_str svc = ga_str(c, c->p[P_SERVICE], "serviceName");
    struct km_str method = ga_str(c, c->p[P_METHOD], "methodName");
    ev->f[KM_F_SERVICE] = svc;
    ev->f[KM_F_ACTION] = method;
    ev->f[KM_F_EVENT_TYPE] = c->log_id;

    /* resource: project, region, type */
    const struct km_json *res = ga_obj(c, c->e[E_RESOURCE], "resource");
    const struct km_json *labels = res ? ga_obj(c, ga_get(c, res, "labels"), "resource.labels") : NULL;
    struct km_str rtype = res ? ga_str(c, ga_get(c, res, "type"), "resource.type") : KM_STR_NONE;
    struct km_str project = KM_STR_NONE;
    if (labels) {
        project = ga_str(c, ga_get(c, labels, "project_id"), "resource.labels.project_id");
        static const char *const rk[] = {"location", "zone", "region"};
        for (int i = 0; i < 3 && !ev->f[KM_F_REGION].p; i++)
            ev->f[KM_F_REGION] = ga_str(c, ga_get(c, labels, rk[i]), "resource.labels location");
    }
    ev->f[KM_F_ACCOUNT] = project;
    if (!project.p && c->log_parent.p)
        ev->f[KM_F_ACCOUNT] = km_str_starts(c->log_parent, "projects/")
                                  ? (struct km_str){c->log_parent.p + 9, c->log_parent.n - 9}
                                  : c->log_parent;
    if (!ev->f[KM_F_ACCOUNT].n)
        ev->f[KM_F_ACCOUNT] = KM_STR_NONE;

    /* caller */
    const struct km_json *rm = ga_obj(c, c->p[P_REQMETA], "requestMetadata");
    if (rm) {
        const struct km_json *ip = km_json_get(rm, "callerIp");
        if (!ip)
            ip = km_json_geti(rm, "callerIp");
        struct km_str raw = ga_str(c, ip, "callerIp");
        if (raw.p) {
            ev->f[KM_F_SRC_RAW] = raw;
            char canon[KM_IP_TEXT_MAX];
            if (km_ip_canon(raw.p, raw.n, canon)) {
                size_t cl = strlen(canon);
                ev->f[KM_F_SRC_IP] = cl == raw.n && memcmp(canon, raw.p, cl) == 0
                                         ? raw
                                         : ga_dup(c, canon, cl);
            }
        }
        ev->f[KM_F_USER_AGENT] =
            ga_str(c, ga_get(c, rm, "callerSuppliedUserAgent"), "callerSuppliedUserAgent");
    }

    /* operation.id ties the first and last entries of a long-running call */
    const struct km_json *op = c->e[E_OPERATION];
    if (km_json_is_obj(op))
        ev->f[KM_F_REQUEST_ID] = ga_str(c, ga_get(c, op, "id"), "operation.id");
    else if (!absent(op))
        ga_problem(c, "operation is a %s, expected an object", type_name(op));

    if (c->kind == KIND_TRANSPARENCY) {
        const struct km_json *jp = km_json_is_obj(c->e[E_JSONP]) ? c->e[E_JSONP] : NULL;
        ev->f[KM_F_CATEGORY] = KM_STR("api");
        if (jp)
            ga_transparency(c, jp);
        else
            ev->f[KM_F_OUTCOME] = KM_STR("unknown");
        return;
    }
    ev->f[KM_F_CATEGORY] = km_str_c(ga_category(c, svc, method));
    if (!c->proto) {
        /* a plain application / platform log entry */
        ev->f[KM_F_OUTCOME] = KM_STR("unknown");
        ev->severity = severity_of(ga_str(c, c->e[E_SEVERITY], "severity"));
        return;
    }
    ev->f[KM_F_RESOURCES] = ga_resources(c, rtype, project);
    ga_status(c);
    if (c->kind == KIND_LOGIN) {
        struct km_str seg = last_seg(method);
        if (km_str_eqc(seg, "loginFailure") || km_str_ends(seg, "Blocked"))
            ev->f[KM_F_OUTCOME] = KM_STR("failure");
    }

    int ro = perm_read_only(c, c->p[P_AUTHZ]);
    if (ro < 0 && (c->kind == KIND_ACTIVITY || c->kind == KIND_SYSTEM_EVENT))
        ro = 0;   /* Admin Activity = ADMIN_WRITE; system events change configuration */
    if (ro < 0 && c->kind != KIND_LOGIN)
        ro = method_read_only(method);
    ev->read_only = (int8_t)ro;
}

/*
 * The event id. Cloud Logging treats entries of one project with the same
 * timestamp and insertId as duplicates, so the id is
 * "<logName, LOG_ID decoded>#<insertId>@<timestamp>" with the timestamp in
 * kumo's canonical UTC form (so that exports spelling it differently agree);
 * parts that are missing are left out ("#<insertId>" alone when there is no
 * logName, no "@..." without a usable timestamp). No insertId: no id (the
 * pipeline substitutes the content hash).
 */
static void ga_event_id(struct ga *c, int has_ts, int64_t ts_us)
{
    struct km_str iid = ga_str(c, c->e[E_INSERTID], "insertId");
    if (!iid.p)
        return;
    char tbuf[32] = "";
    if (has_ts)
        km_time_fmt(ts_us, tbuf);
    size_t tl = strlen(tbuf);
    size_t n = (c->log_parent.p ? c->log_parent.n + 6 : 0) + c->log_id.n + 1 + iid.n +
               (tl ? tl + 1 : 0);
    char *p = km_arena_alloc(c->ctx->arena, n + 1);
    if (!p)
        return;
    size_t o = 0;
    if (c->log_parent.p) {
        memcpy(p, c->log_parent.p, c->log_parent.n);
        o = c->log_parent.n;
        memcpy(p + o, "/logs/", 6);
        o += 6;
    }
    if (c->log_id.p) {
        memcpy(p + o, c->log_id.p, c->log_id.n);
        o += c->log_id.n;
    }
    p[o++] = '#';
    memcpy(p + o, iid.p, iid.n);
    o += iid.n;
    if (tl) {
        p[o++] = '@';
        memcpy(p + o, tbuf, tl);
        o += tl;
    }
    p[o] = 0;
    c->ev->f[KM_F_EVENT_ID] = (struct km_str){p, (uint32_t)o};
}

/* ---- detection ---------------------------------------------------------------------- */

/* Score of a LogEntry-shaped object: 0 when it is not one. */
static int entry_score(const struct km_json *rec)
{
    const struct km_json *slots[E__COUNT] = {0};
    ga_collect(rec, ga_ekeys, E__COUNT, slots, 1);
    const struct km_json *pp = slots[E_PROTO], *ln = slots[E_LOGNAME];
    int s = 0;
    if (km_json_is_obj(pp)) {
        s = 60;
        if (km_json_get(pp, "serviceName") || km_json_get(pp, "methodName") ||
            km_json_get(pp, "authenticationInfo") || km_json_get(pp, "@type"))
            s += 20;
    } else if (km_json_is_str(pp) && pp->len && pp->str[0] == '{') {
        s = 50;
    }
    if (km_json_is_str(ln)) {
        struct km_str l = km_json_sv(ln);
        int named = memmem(l.p, l.n, "/logs/", 6) != NULL ||
                    memmem(l.p, l.n, "cloudaudit.googleapis.com", 25) != NULL;
        if (named)
            s += s ? 20 : 50;
        if (named && (km_json_is_obj(slots[E_JSONP]) || km_json_is_str(slots[E_TEXTP]) ||
                      km_json_is_obj(slots[E_RESOURCE])))
            s += 20;
    }
    if (!s)
        return 0;
    if (km_json_is_str(slots[E_INSERTID]))
        s += 10;
    if (km_json_is_obj(slots[E_RESOURCE]) || km_json_is_str(slots[E_RECEIVE]))
        s += 10;
    return s > 100 ? 100 : s;
}

/* A LogEntry's first bytes as decoded from Pub/Sub base64 data. */
static int looks_like_entry_text(const char *p, size_t n)
{
    static const char *const keys[] = {"\"protoPayload\"", "\"logName\"", "\"insertId\"",
                                       "\"jsonPayload\"", "\"textPayload\"", NULL};
    for (const char *const *k = keys; *k; k++)
        if (memmem(p, n, *k, strlen(*k)))
            return 1;
    return 0;
}

static int pubsub_score(const struct km_json *msg)
{
    const struct km_json *d = pubsub_data(msg);
    if (!d)
        return 0;
    if (d->type == KM_JSON_OBJECT)
        return entry_score(d) >= 50 ? 85 : 0;
    /* decode a bounded prefix: enough to see the first keys */
    unsigned char buf[3072 + 3];
    size_t take = d->len < 4096 ? d->len : 4096;
    take -= take % 4;
    long got = b64_decode(d->str, take, buf, 3072);
    if (got <= 0)
        return 0;
    return looks_like_entry_text((const char *)buf, (size_t)got) ? 85 : 0;
}

static int ga_detect(const struct km_json *rec, const char *wrapper)
{
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *m = pubsub_message(rec);
    if (m)
        return pubsub_score(m);
    const struct km_json *sv = km_json_get(rec, "specversion");
    const struct km_json *data = km_json_get(rec, "data");
    if (km_json_is_str(sv) && km_json_is_obj(data)) {
        /* Eventarc: a CloudEvent whose data is a Pub/Sub MessagePublishedData */
        if ((m = pubsub_message(data)) != NULL)
            return pubsub_score(m);
        return entry_score(data) >= 50 ? 90 : 0;
    }
    int s = entry_score(rec);
    if (s && wrapper && !strcmp(wrapper, "entries"))
        s = s + 10 > 100 ? 100 : s + 10;
    return s;
}

/* ---- normalize ------------------------------------------------------------------------- */

/* A protoPayload is an AuditLog unless its @type (Panther writes
 * "at_sign_type") names another message type. */
static int is_audit_payload(const struct km_json *pp)
{
    const struct km_json *t = km_json_get(pp, "@type");
    if (!t)
        t = km_json_get(pp, "at_sign_type");
    if (!km_json_is_str(t) || t->len == 0)
        return 1;
    struct km_str ty = km_json_sv(t);
    return km_str_ends(ty, "google.cloud.audit.AuditLog") || km_str_ends(ty, ".AuditLog");
}

/* Finds the LogEntry inside an envelope. Returns KM_OK, or KM_ERECORD. */
static int ga_unwrap(struct ga *c, struct km_json *rec, struct km_err *err)
{
    struct km_norm_ctx *ctx = c->ctx;
    c->entry = rec;
    c->shape = SH_ENTRY;
    const struct km_json *sv = km_json_get(rec, "specversion");
    const struct km_json *data = km_json_get(rec, "data");
    const struct km_json *m = pubsub_message(rec);
    if (!m && km_json_is_str(sv) && km_json_is_obj(data) && !(m = pubsub_message(data))) {
        c->shape = SH_CLOUDEVENT;
        c->env = rec;
        c->entry = data;
        return KM_OK;
    }
    if (m) {
        c->shape = SH_PUBSUB;
        c->env = m;
        const struct km_json *d = pubsub_data(m);
        if (!d)
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "Pub/Sub message has no data");
        if (d->type == KM_JSON_OBJECT) {
            c->entry = d;
            return KM_OK;
        }
        size_t cap = (size_t)d->len / 4 * 3 + 3;
        unsigned char *buf = km_arena_alloc(ctx->arena, cap + 1);
        if (!buf)
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "batch memory ceiling reached decoding Pub/Sub data");
        long n = b64_decode(d->str, d->len, buf, cap);
        if (n < 0)
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "Pub/Sub message data is not base64");
        buf[n] = 0;
        struct km_json_limits lim;
        km_json_limits_default(&lim);
        lim.max_depth = 128;
        struct km_json *root = NULL;
        struct km_err e;
        km_err_clear(&e);
        if (km_json_parse((char *)buf, (size_t)n, &lim, ctx->arena, &root, &e) != KM_OK)
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "Pub/Sub message data is not JSON (decoded offset %llu: %.80s)",
                              (unsigned long long)(e.offset == UINT64_MAX ? 0 : e.offset), e.msg);
        if (!km_json_is_obj(root))
            return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                              "Pub/Sub message data is a JSON %s, not a LogEntry",
                              type_name(root));
        c->entry = root;
        return KM_OK;
    }
    return KM_OK;
}

static int ga_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    ctx->emit = 1;
    if (!km_json_is_obj(rec))
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "LogEntry is a JSON %s, not an object", type_name(rec));
    struct ga c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.ev = ev;
    int rc = ga_unwrap(&c, rec, err);
    if (rc != KM_OK)
        return rc;

    /* keys in any case (exact ones win); lower-cased exports switch the
     * nested lookups to case-insensitive too */
    c.ci = ga_collect(c.entry, ga_ekeys, E__COUNT, c.e, 1) > 0;
    int payload = !absent(c.e[E_JSONP]) || !absent(c.e[E_TEXTP]);
    if (!absent(c.e[E_PROTO])) {
        c.proto = ga_embedded(&c, c.e[E_PROTO], "protoPayload");
        if (c.proto && !is_audit_payload(c.proto)) {
            /* another protocol buffer (App Engine RequestLog, ...): a plain entry */
            c.proto = NULL;
            payload = 1;
        }
        if (c.proto && ga_collect(c.proto, ga_pkeys, P__COUNT, c.p, 1) > 0)
            c.ci = 1;
    }
    struct km_str ln = ga_str(&c, c.e[E_LOGNAME], "logName");
    if (!c.proto && !ln.p && !payload)
        return km_err_set(err, KM_ERECORD, ctx->file, ctx->offset,
                          "not a Cloud Logging entry: no protoPayload, logName, jsonPayload or "
                          "textPayload%s%s",
                          ctx->note[0] ? "; " : "", ctx->note);
    ga_logname(&c, ln);
    c.kind = ga_kind(&c, km_json_is_str(c.p[P_SERVICE]) ? km_json_sv(c.p[P_SERVICE])
                                                         : KM_STR_NONE);
    ev->f[KM_F_PROVIDER] = c.kind == KIND_LOGIN ? KM_STR("workspace") : KM_STR("gcp");
    ev->f[KM_F_SOURCE] = km_str_c(ga_kind_source[c.kind]);

    ga_time(&c);
    ga_actor(&c);
    ga_what(&c);
    ga_event_id(&c, !(ev->flags & (KM_EV_TIME_FALLBACK | KM_EV_TIME_MISSING)), ev->time_us);
    return KM_OK;
}

/* The detector is km_source_gcp_audit's; the rows below only name the other
 * sources the module emits (so that `kumo show ID` and source listings,
 * which derive an event's key from each registered provider and name, know
 * them). Their detect() never claims a record; normalize is the same. */
static int ga_detect_none(const struct km_json *rec, const char *wrapper)
{
    (void)rec;
    (void)wrapper;
    return 0;
}

#define GA_ALIAS(var, nm, prov, what)                                                       \
    const struct km_source var = {                                                        \
        .name = nm,                                                                       \
        .provider = prov,                                                                 \
        .summary = what " (recognised by gcp.audit)",                                     \
        .doc = "docs/sources/gcp_audit.md",                                               \
        .detect = ga_detect_none,                                                         \
        .normalize = ga_normalize,                                                        \
    }
GA_ALIAS(km_source_gcp_audit_activity, "gcp.audit.activity", "gcp",
         "Cloud Audit Logs: Admin Activity");
GA_ALIAS(km_source_gcp_audit_data_access, "gcp.audit.data_access", "gcp",
         "Cloud Audit Logs: Data Access");
GA_ALIAS(km_source_gcp_audit_system_event, "gcp.audit.system_event", "gcp",
         "Cloud Audit Logs: System Event");
GA_ALIAS(km_source_gcp_audit_policy, "gcp.audit.policy", "gcp",
         "Cloud Audit Logs: Policy Denied");
GA_ALIAS(km_source_gcp_access_transparency, "gcp.access_transparency", "gcp",
         "Access Transparency (Google personnel access)");
GA_ALIAS(km_source_gcp_logging, "gcp.logging", "gcp",
         "Cloud Logging entries that are not audit logs (jsonPayload, textPayload)");
GA_ALIAS(km_source_workspace_login, "workspace.login", "workspace",
         "Google Workspace login audit entries exported to Cloud Logging");

const struct km_source km_source_gcp_audit = {
    .name = "gcp.audit",
    .provider = "gcp",
    .summary = "Google Cloud Logging entries: Cloud Audit Logs (activity, data access, system "
               "event, policy denied), Access Transparency, Workspace login audit, other "
               "LogEntries; GCS sink files, gcloud JSON, CloudEvents, Pub/Sub push",
    .doc = "docs/sources/gcp_audit.md",
    .detect = ga_detect,
    .normalize = ga_normalize,
};
