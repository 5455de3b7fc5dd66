/*
 * test_export.c — `kumo export` formats (kumo JSONL/CSV, OCSF, Timesketch),
 * the OCSF class and activity mapping per category, the CSV formula guard,
 * the one-line event description, and the time-ordered scan shared with
 * `kumo events` (over a store whose segments overlap in time).
 */
#include "cli/describe.h"
#include "cli/export.h"
#include "cli/filter_opts.h"
#include "core/event.h"
#include "json/json.h"
#include "store/store.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A CloudTrail-like API call with every common field set. */
static void api_event(struct km_event *ev)
{
    km_event_init(ev);
    ev->time_us = 1722588804123456LL; /* 2024-08-02T08:53:24.123456Z */
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.cloudtrail");
    ev->f[KM_F_ACCOUNT] = KM_STR("123456789012");
    ev->f[KM_F_REGION] = KM_STR("eu-west-2");
    ev->f[KM_F_ACTOR_TYPE] = KM_STR("IAMUser");
    ev->f[KM_F_ACTOR_ID] = KM_STR("AIDAEXAMPLE");
    ev->f[KM_F_ACTOR_NAME] = KM_STR("alice");
    ev->f[KM_F_ACTOR_ARN] = KM_STR("arn:aws:iam::123456789012:user/alice");
    ev->f[KM_F_ACTOR_EMAIL] = KM_STR("alice@example.com");
    ev->f[KM_F_ACTOR_ACCESS_KEY] = KM_STR("AKIAEXAMPLE");
    ev->f[KM_F_SRC_IP] = KM_STR("203.0.113.5");
    ev->f[KM_F_SRC_RAW] = KM_STR("203.0.113.5");
    ev->f[KM_F_SRC_COUNTRY] = KM_STR("FR");
    ev->f[KM_F_SRC_CITY] = KM_STR("Paris");
    ev->f[KM_F_USER_AGENT] = KM_STR("aws-cli/2.0");
    ev->f[KM_F_CATEGORY] = KM_STR("api");
    ev->f[KM_F_SERVICE] = KM_STR("s3.amazonaws.com");
    ev->f[KM_F_ACTION] = KM_STR("DeleteBucket");
    ev->f[KM_F_OUTCOME] = KM_STR("failure");
    ev->f[KM_F_ERROR_CODE] = KM_STR("AccessDenied");
    ev->f[KM_F_ERROR_MESSAGE] = KM_STR("not authorized");
    ev->f[KM_F_EVENT_ID] = KM_STR("865d9377-9c6b-4fd7-8aad-725e95f6a140");
    ev->f[KM_F_EVENT_TYPE] = KM_STR("AwsApiCall");
    ev->f[KM_F_REQUEST_ID] = KM_STR("REQ-1");
    ev->f[KM_F_SESSION_ID] = KM_STR("ASIASESSION");
    ev->f[KM_F_RESOURCES] =
        KM_STR("[{\"type\":\"AWS::S3::Bucket\",\"id\":\"arn:aws:s3:::loot\",\"name\":\"loot\","
               "\"account\":\"123456789012\"},{\"id\":\"x\"}]");
    ev->read_only = 0;
    ev->mfa = 0;
}

static void render(enum km_export_fmt fmt, const struct km_event *ev, struct km_buf *b)
{
    struct km_export x = {.fmt = fmt};
    struct km_err err;
    km_err_clear(&err);
    b->n = 0;
    T_EQ_INT(km_export_render(&x, ev, b, &err), KM_OK);
    km_buf_addc(b, 0);
    b->n--;
}

/* Parses the one JSON line in b (a copy; the arena owns the tree). */
static const struct km_json *parse_line(struct km_buf *b, struct km_arena *a)
{
    T_CHECK(b->n > 0 && b->p[b->n - 1] == '\n');
    T_CHECK(memchr(b->p, '\n', b->n) == b->p + b->n - 1); /* exactly one line */
    char *copy = km_arena_alloc(a, b->n);
    memcpy(copy, b->p, b->n);
    struct km_json *root = NULL;
    struct km_err err;
    km_err_clear(&err);
    int rc = km_json_parse(copy, b->n - 1, NULL, a, &root, &err);
    if (rc != KM_OK)
        fprintf(stderr, "  bad JSON at %llu: %.200s\n", (unsigned long long)err.offset, b->p);
    T_EQ_INT(rc, KM_OK);
    return root;
}

static const char *pstr(const struct km_json *root, const char *path)
{
    const struct km_json *v = km_json_path(root, path);
    return km_json_is_str(v) ? v->str : NULL;
}

static long long pint(const struct km_json *root, const char *path)
{
    int64_t v = -12345;
    if (km_json_i64(km_json_path(root, path), &v) != KM_OK)
        return -12345;
    return v;
}

static void test_format_names(void)
{
    enum km_export_fmt f;
    const char *names[] = {"jsonl", "csv", "ocsf", "timesketch", "timesketch-csv"};
    for (int i = 0; i < 5; i++) {
        T_EQ_INT(km_export_format_lookup(names[i], &f), KM_OK);
        T_EQ_INT(f, i);
        T_EQ_STR(km_export_format_name(f), names[i]);
        T_CHECK(strstr(km_export_formats, names[i]) != NULL);
    }
    T_EQ_INT(km_export_format_lookup("xml", &f), KM_EUSAGE);
    T_EQ_INT(km_export_format_lookup("OCSF", &f), KM_EUSAGE);
    T_EQ_INT(km_export_format_lookup("", &f), KM_EUSAGE);
}

static void test_jsonl(void)
{
    struct km_event ev;
    api_event(&ev);
    struct km_buf b;
    km_buf_init(&b, 0);
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_JSONL, &ev, &b);
    const struct km_json *r = parse_line(&b, &a);
    T_EQ_STR(pstr(r, "time"), "2024-08-02T08:53:24.123456Z");
    T_EQ_STR(pstr(r, "event_id"), "865d9377-9c6b-4fd7-8aad-725e95f6a140");
    const struct km_json *an = km_json_get(r, "actor.name"); /* dotted key, not a path */
    T_EQ_STR(km_json_is_str(an) ? an->str : NULL, "alice");
    T_EQ_STR(pstr(r, "resources.0.name"), "loot");
    km_arena_free(&a);
    km_buf_free(&b);
}

/* Splits one CSV record (RFC 4180 quoting) into cells; returns the count. */
static int csv_split(const char *s, size_t n, char cells[][256], int max)
{
    int k = 0;
    size_t i = 0;
    for (;;) {
        char cell[256];
        size_t c = 0;
        if (i < n && s[i] == '"') {
            for (i++; i < n; i++) {
                if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
                    if (c < 255)
                        cell[c++] = '"';
                    i++;
                } else if (s[i] == '"') {
                    i++;
                    break;
                } else if (c < 255) {
                    cell[c++] = s[i];
                }
            }
        } else {
            for (; i < n && s[i] != ',' && s[i] != '\n'; i++)
                if (c < 255)
                    cell[c++] = s[i];
        }
        cell[c] = 0;
        if (k < max)
            memcpy(cells[k], cell, c + 1);
        k++;
        if (i >= n || s[i] == '\n')
            return k;
        i++; /* the comma */
    }
}

static void test_csv(void)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    struct km_export x;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_export_begin(&x, KM_EXPORT_CSV, f, &err), KM_OK);
    struct km_event ev;
    api_event(&ev);
    /* spreadsheet formulas in attacker-controlled fields */
    ev.f[KM_F_ACTOR_NAME] = KM_STR("=HYPERLINK(\"http://evil\",\"x\")");
    ev.f[KM_F_USER_AGENT] = KM_STR("+cmd|' /C calc'!A0");
    ev.f[KM_F_ERROR_MESSAGE] = KM_STR("-2+3");
    ev.f[KM_F_SESSION_ID] = KM_STR("@SUM(1)");
    ev.f[KM_F_EVENT_TYPE] = KM_STR("line1\nline2, with comma");
    T_EQ_INT(km_export_event(&x, &ev, &err), KM_OK);
    ev.severity = 70;
    T_EQ_INT(km_export_event(&x, &ev, &err), KM_OK);
    T_EQ_INT(x.events, 2);
    T_EQ_INT(km_export_end(&x, &err), KM_OK);
    fclose(f);

    static char hdr[64][256], row[64][256];
    const char *nl = strchr(mem, '\n');
    T_CHECK(nl != NULL);
    int nh = csv_split(mem, (size_t)(nl - mem) + 1, hdr, 64);
    T_EQ_INT(nh, 1 + KM_F__COUNT + 4);
    T_EQ_STR(hdr[0], "time");
    for (int i = 0; i < KM_F__COUNT; i++)
        T_EQ_STR(hdr[1 + i], km_fields[i].name); /* every field, request_id included */
    T_EQ_STR(hdr[nh - 1], "flags");
    const char *r1 = nl + 1;
    int nr = csv_split(r1, len - (size_t)(r1 - mem), row, 64);
    T_EQ_INT(nr, nh);
    T_EQ_STR(row[0], "2024-08-02T08:53:24.123456Z");
    T_EQ_STR(row[1 + KM_F_ACTOR_NAME], "'=HYPERLINK(\"http://evil\",\"x\")");
    T_EQ_STR(row[1 + KM_F_USER_AGENT], "'+cmd|' /C calc'!A0");
    T_EQ_STR(row[1 + KM_F_ERROR_MESSAGE], "'-2+3");
    T_EQ_STR(row[1 + KM_F_SESSION_ID], "'@SUM(1)");
    T_EQ_STR(row[1 + KM_F_EVENT_TYPE], "line1\nline2, with comma");
    T_EQ_STR(row[1 + KM_F_REQUEST_ID], "REQ-1");
    T_EQ_STR(row[nh - 4], "false"); /* read_only */
    T_EQ_STR(row[nh - 2], "");      /* severity: none */
    T_CHECK(strstr(mem, ",70,0\n") != NULL); /* the second row's severity and flags */
    free(mem);
}

struct cls_case {
    const char *category, *source, *event_type;
    int class_uid, category_uid;
};

static void test_ocsf_classes(void)
{
    static const struct cls_case cases[] = {
        {"authentication", "azure.signin", "signIn", 3002, 3},
        {"account_change", "aws.cloudtrail", "AwsApiCall", 3001, 3},
        {"api", "gcp.audit.activity", NULL, 6003, 6},
        {"config_change", "aws.config", "ConfigurationItem", 5023, 5},
        {"finding", "aws.guardduty", NULL, 2004, 2},
        {"finding", "aws.securityhub", "TTPs/Initial Access", 2004, 2},
        {"finding", "aws.securityhub",
         "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS "
         "Foundations Benchmark",
         2003, 2},
        {"finding", "aws.config", "ComplianceChangeNotification", 2003, 2},
        {"finding", "azure.activity", "Policy", 2003, 2},
        {"finding", "azure.activity", "Security", 2004, 2},
        {NULL, "aws.cloudtrail", NULL, 0, 0},
        {"something_new", "aws.cloudtrail", NULL, 0, 0},
    };
    struct km_buf b;
    km_buf_init(&b, 0);
    for (size_t i = 0; i < KM_ARRAY_LEN(cases); i++) {
        struct km_event ev;
        api_event(&ev);
        ev.f[KM_F_CATEGORY] = km_str_c(cases[i].category);
        ev.f[KM_F_SOURCE] = km_str_c(cases[i].source);
        ev.f[KM_F_EVENT_TYPE] = km_str_c(cases[i].event_type);
        ev.severity = 75;
        struct km_ocsf_class c;
        km_export_ocsf_class(&ev, &c);
        if (c.class_uid != cases[i].class_uid)
            fprintf(stderr, "  case %zu (%s/%s)\n", i, cases[i].category, cases[i].source);
        T_EQ_INT(c.class_uid, cases[i].class_uid);
        T_EQ_INT(c.category_uid, cases[i].category_uid);
        /* the rendered event carries the same class and a consistent type_uid */
        struct km_arena a;
        km_arena_init(&a, 0, 0);
        render(KM_EXPORT_OCSF, &ev, &b);
        const struct km_json *r = parse_line(&b, &a);
        T_EQ_INT(pint(r, "class_uid"), cases[i].class_uid);
        T_EQ_INT(pint(r, "category_uid"), cases[i].category_uid);
        T_EQ_INT(pint(r, "type_uid"), pint(r, "class_uid") * 100 + pint(r, "activity_id"));
        T_EQ_STR(pstr(r, "metadata.uid"), "865d9377-9c6b-4fd7-8aad-725e95f6a140");
        T_EQ_STR(pstr(r, "metadata.version"), KM_EXPORT_OCSF_VERSION);
        if (cases[i].category_uid == 2) {
            T_EQ_INT(pint(r, "severity_id"), 4); /* 75: High */
            T_EQ_STR(pstr(r, "finding_info.title"), "DeleteBucket");
            T_EQ_INT(pint(r, "status_id"), 1); /* failure: New */
            T_EQ_STR(pstr(r, "evidences.0.actor.user.name"), "alice");
            T_CHECK(km_json_get(r, "actor") == NULL);
        } else {
            T_EQ_INT(pint(r, "severity_id"), 1);
            T_EQ_INT(pint(r, "status_id"), 2); /* failure */
        }
        if (cases[i].class_uid == 2003) {
            T_EQ_INT(pint(r, "compliance.status_id"), 3); /* Fail */
            T_CHECK(pstr(r, "compliance.standards.0") != NULL);
        }
        if (cases[i].class_uid == 5023 || cases[i].class_uid == 0) {
            T_CHECK(km_json_get(r, "actor") == NULL);
            T_EQ_STR(pstr(r, "unmapped.actor.user.name"), "alice");
        }
        km_arena_free(&a);
    }
    /* the standard of a Security Hub control finding */
    struct km_event ev;
    api_event(&ev);
    ev.f[KM_F_CATEGORY] = KM_STR("finding");
    ev.f[KM_F_SOURCE] = KM_STR("aws.securityhub");
    ev.f[KM_F_EVENT_TYPE] = KM_STR("Software and Configuration Checks/Industry and Regulatory "
                                   "Standards/PCI-DSS");
    ev.f[KM_F_OUTCOME] = KM_STR("success");
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_OCSF, &ev, &b);
    const struct km_json *r = parse_line(&b, &a);
    T_EQ_STR(pstr(r, "compliance.standards.0"), "PCI-DSS");
    T_EQ_INT(pint(r, "compliance.status_id"), 1);  /* Pass */
    T_EQ_INT(pint(r, "status_id"), 4);             /* Resolved */
    T_EQ_INT(pint(r, "activity_id"), 3);           /* Close */
    T_EQ_INT(pint(r, "severity_id"), 0);           /* no severity: Unknown */
    km_arena_free(&a);

    /* an Authentication event's status for each outcome: an interrupted
     * Entra sign-in (MFA prompt) is 99 Other, neither success nor failure */
    static const struct {
        const char *outcome, *status;
        int id;
    } st[] = {{"success", "Success", 1}, {"failure", "Failure", 2},
              {"interrupted", "Other", 99}, {"unknown", "Unknown", 0}, {NULL, "Unknown", 0}};
    for (size_t i = 0; i < KM_ARRAY_LEN(st); i++) {
        api_event(&ev);
        ev.f[KM_F_CATEGORY] = KM_STR("authentication");
        ev.f[KM_F_SOURCE] = KM_STR("azure.signin");
        ev.f[KM_F_OUTCOME] = km_str_c(st[i].outcome);
        km_arena_init(&a, 0, 0);
        render(KM_EXPORT_OCSF, &ev, &b);
        r = parse_line(&b, &a);
        T_EQ_INT(pint(r, "class_uid"), 3002);
        T_EQ_INT(pint(r, "status_id"), st[i].id);
        T_EQ_STR(pstr(r, "status"), st[i].status);
        km_arena_free(&a);
    }
    km_buf_free(&b);
}

static void test_ocsf_fields(void)
{
    struct km_event ev;
    api_event(&ev);
    struct km_buf b;
    km_buf_init(&b, 0);
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_OCSF, &ev, &b);
    const struct km_json *r = parse_line(&b, &a);
    T_EQ_INT(pint(r, "class_uid"), 6003);
    T_EQ_INT(pint(r, "activity_id"), 4); /* DeleteBucket: Delete */
    T_EQ_INT(pint(r, "type_uid"), 600304);
    T_EQ_STR(pstr(r, "type_name"), "API Activity: Delete");
    T_EQ_INT(pint(r, "time"), 1722588804123LL);
    T_EQ_STR(pstr(r, "metadata.product.name"), "kumo");
    T_EQ_STR(pstr(r, "metadata.original_time"), "2024-08-02T08:53:24.123456Z");
    T_EQ_STR(pstr(r, "metadata.log_name"), "aws.cloudtrail");
    T_EQ_STR(pstr(r, "metadata.log_provider"), "aws.cloudtrail");
    T_EQ_STR(pstr(r, "metadata.event_code"), "AwsApiCall");
    T_EQ_STR(pstr(r, "actor.user.name"), "alice");
    T_EQ_STR(pstr(r, "actor.user.uid"), "AIDAEXAMPLE");
    T_EQ_STR(pstr(r, "actor.user.uid_alt"), "arn:aws:iam::123456789012:user/alice");
    T_EQ_STR(pstr(r, "actor.user.email_addr"), "alice@example.com");
    T_EQ_STR(pstr(r, "actor.user.type"), "IAMUser");
    T_EQ_INT(pint(r, "actor.user.type_id"), 1);
    T_EQ_STR(pstr(r, "actor.user.credential_uid"), "AKIAEXAMPLE");
    T_EQ_STR(pstr(r, "actor.session.uid"), "ASIASESSION");
    T_CHECK(km_json_path(r, "actor.session.is_mfa")->type == KM_JSON_FALSE);
    T_EQ_STR(pstr(r, "src_endpoint.ip"), "203.0.113.5");
    T_EQ_STR(pstr(r, "src_endpoint.location.country"), "FR");
    T_EQ_STR(pstr(r, "src_endpoint.location.city"), "Paris");
    T_EQ_STR(pstr(r, "api.operation"), "DeleteBucket");
    T_EQ_STR(pstr(r, "api.service.name"), "s3.amazonaws.com");
    T_EQ_STR(pstr(r, "api.request.uid"), "REQ-1");
    T_EQ_STR(pstr(r, "status"), "Failure");
    T_EQ_STR(pstr(r, "status_code"), "AccessDenied");
    T_EQ_STR(pstr(r, "status_detail"), "not authorized");
    T_EQ_STR(pstr(r, "cloud.provider"), "aws");
    T_EQ_STR(pstr(r, "cloud.account.uid"), "123456789012");
    T_EQ_STR(pstr(r, "cloud.region"), "eu-west-2");
    T_EQ_STR(pstr(r, "http_request.user_agent"), "aws-cli/2.0");
    T_EQ_STR(pstr(r, "resources.0.uid"), "arn:aws:s3:::loot");
    T_EQ_STR(pstr(r, "resources.0.name"), "loot");
    T_EQ_STR(pstr(r, "resources.0.type"), "AWS::S3::Bucket");
    T_EQ_STR(pstr(r, "resources.0.owner.account.uid"), "123456789012");
    T_EQ_STR(pstr(r, "resources.1.uid"), "x");
    T_CHECK(pstr(r, "message") && strstr(pstr(r, "message"), "DeleteBucket"));
    T_CHECK(km_json_path(r, "unmapped.read_only")->type == KM_JSON_FALSE);
    T_CHECK(km_json_path(r, "unmapped.src_raw") == NULL); /* the same as src.ip */
    km_arena_free(&a);

    /* a caller that is not an IP; a country given by name; broken resources */
    ev.f[KM_F_SRC_IP] = KM_STR_NONE;
    ev.f[KM_F_SRC_RAW] = KM_STR("AWS Internal");
    ev.f[KM_F_SRC_COUNTRY] = KM_STR("United States");
    ev.f[KM_F_RESOURCES] = KM_STR("[{\"id\":");
    ev.f[KM_F_RELATED] = KM_STR("[\"a\",\"b\"]");
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_OCSF, &ev, &b);
    r = parse_line(&b, &a);
    T_EQ_STR(pstr(r, "unmapped.src_raw"), "AWS Internal");
    T_EQ_STR(pstr(r, "unmapped.src_geo_country"), "United States");
    T_EQ_STR(pstr(r, "unmapped.resources"), "[{\"id\":");
    T_EQ_STR(pstr(r, "unmapped.related_events.1"), "b");
    T_CHECK(km_json_get(r, "resources") == NULL);
    T_CHECK(km_json_path(r, "src_endpoint.ip") == NULL);
    T_EQ_STR(pstr(r, "src_endpoint.location.city"), "Paris");
    km_arena_free(&a);

    /* a host name caller is src_endpoint.domain */
    ev.f[KM_F_SRC_RAW] = KM_STR("ec2.amazonaws.com");
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_OCSF, &ev, &b);
    r = parse_line(&b, &a);
    T_EQ_STR(pstr(r, "src_endpoint.domain"), "ec2.amazonaws.com");
    T_CHECK(km_json_path(r, "unmapped.src_raw") == NULL);
    km_arena_free(&a);

    /* authentication: user, service, is_mfa */
    api_event(&ev);
    ev.f[KM_F_CATEGORY] = KM_STR("authentication");
    ev.f[KM_F_ACTION] = KM_STR("ConsoleLogin");
    ev.f[KM_F_SERVICE] = KM_STR("signin.amazonaws.com");
    ev.mfa = 1;
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_OCSF, &ev, &b);
    r = parse_line(&b, &a);
    T_EQ_INT(pint(r, "type_uid"), 300201);
    T_EQ_STR(pstr(r, "user.name"), "alice");
    T_EQ_STR(pstr(r, "service.name"), "signin.amazonaws.com");
    T_CHECK(km_json_get(r, "is_mfa") && km_json_get(r, "is_mfa")->type == KM_JSON_TRUE);
    km_arena_free(&a);
    km_buf_free(&b);
}

struct act_case {
    const char *category, *action;
    int read_only, activity;
};

static void test_ocsf_activities(void)
{
    static const struct act_case cases[] = {
        {"api", "ListBuckets", 1, 2},
        {"api", "GetObject", -1, 2},
        {"api", "CreateUser", 0, 1},
        {"api", "RunInstances", 0, 1},
        {"api", "DeleteBucket", 0, 4},
        {"api", "TerminateInstances", -1, 4},
        {"api", "PutBucketPolicy", 0, 3},
        {"api", "Microsoft.Compute/virtualMachines/write", 0, 3},
        {"api", "Microsoft.Compute/virtualMachines/delete", 0, 4},
        {"api", "google.iam.admin.v1.CreateServiceAccountKey", 0, 1},
        {"api", "storage.objects.get", -1, 2},
        {"api", "Frobnicate", 0, 99},
        {"api", "Frobnicate", -1, 0},
        {"api", NULL, -1, 0},
        {"authentication", "ConsoleLogin", -1, 1},
        {"authentication", "UserLoggedIn", -1, 1},
        {"authentication", "Logout", -1, 2},
        {"account_change", "CreateUser", 0, 1},
        {"account_change", "DeleteUser", 0, 6},
        {"account_change", "AttachUserPolicy", 0, 7},
        {"account_change", "DetachRolePolicy", 0, 8},
        {"account_change", "EnableMFADevice", 0, 10},
        {"account_change", "DeactivateMFADevice", 0, 11},
        {"account_change", "ChangePassword", 0, 3},
        {"account_change", "Reset user password", 0, 4},
        {"account_change", "Disable account", 0, 5},
        {"account_change", "Add member to group", 0, 99},
        {"account_change", "UpdateAssumeRolePolicy", 0, 99},
        {"config_change", "ResourceDiscovered", -1, 1},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(cases); i++) {
        struct km_event ev;
        api_event(&ev);
        ev.f[KM_F_CATEGORY] = km_str_c(cases[i].category);
        ev.f[KM_F_ACTION] = km_str_c(cases[i].action);
        ev.read_only = (int8_t)cases[i].read_only;
        struct km_ocsf_class c;
        km_export_ocsf_class(&ev, &c);
        int got = km_export_ocsf_activity(&ev, c.class_uid);
        if (got != cases[i].activity)
            fprintf(stderr, "  %s %s\n", cases[i].category, cases[i].action);
        T_EQ_INT(got, cases[i].activity);
    }
}

static void test_timesketch(void)
{
    struct km_event ev;
    api_event(&ev);
    struct km_buf b;
    km_buf_init(&b, 0);
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_TIMESKETCH, &ev, &b);
    const struct km_json *r = parse_line(&b, &a);
    T_EQ_STR(pstr(r, "datetime"), "2024-08-02T08:53:24.123456+00:00");
    T_EQ_INT(pint(r, "timestamp"), 1722588804123456LL);
    T_EQ_STR(pstr(r, "timestamp_desc"), "Event Recorded");
    T_EQ_STR(pstr(r, "data_type"), "kumo:aws.cloudtrail");
    T_EQ_STR(pstr(r, "actor_name"), "alice");
    T_EQ_STR(pstr(r, "src_geo_country"), "FR");
    T_EQ_STR(pstr(r, "error_code"), "AccessDenied");
    const char *msg = pstr(r, "message");
    T_CHECK(msg && strstr(msg, "alice@example.com") && strstr(msg, "DeleteBucket"));
    /* Timesketch field names carry no dots */
    int dots = 0;
    for (const struct km_json *m = r ? r->child : NULL; m; m = m->next)
        dots += strchr(m->key, '.') != NULL;
    T_EQ_INT(dots, 0);
    km_arena_free(&a);

    /* whole seconds get six zero digits; per-source wording */
    ev.time_us = 1722588804000000LL;
    ev.f[KM_F_CATEGORY] = KM_STR("authentication");
    km_arena_init(&a, 0, 0);
    render(KM_EXPORT_TIMESKETCH, &ev, &b);
    r = parse_line(&b, &a);
    T_EQ_STR(pstr(r, "datetime"), "2024-08-02T08:53:24.000000+00:00");
    T_EQ_STR(pstr(r, "timestamp_desc"), "Sign-in");
    km_arena_free(&a);
    ev.flags |= KM_EV_TIME_FALLBACK;
    T_EQ_STR(km_export_timestamp_desc(&ev), "Event Recorded (fallback time field)");
    ev.flags |= KM_EV_TIME_MISSING;
    T_EQ_STR(km_export_timestamp_desc(&ev), "No Timestamp");
    ev.flags = 0;
    ev.f[KM_F_SOURCE] = KM_STR("aws.guardduty");
    T_EQ_STR(km_export_timestamp_desc(&ev), "Finding Updated");

    /* CSV: the three required columns first, a guarded message */
    api_event(&ev);
    ev.f[KM_F_ACTOR_EMAIL] = KM_STR("=cmd@evil");
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    struct km_export x;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_export_begin(&x, KM_EXPORT_TIMESKETCH_CSV, f, &err), KM_OK);
    T_EQ_INT(km_export_event(&x, &ev, &err), KM_OK);
    T_EQ_INT(km_export_end(&x, &err), KM_OK);
    fclose(f);
    static char hdr[64][256], row[64][256];
    const char *nl = strchr(mem, '\n');
    int nh = csv_split(mem, (size_t)(nl - mem) + 1, hdr, 64);
    int nr = csv_split(nl + 1, len - (size_t)(nl + 1 - mem), row, 64);
    T_EQ_INT(nr, nh);
    T_EQ_STR(hdr[0], "message");
    T_EQ_STR(hdr[1], "datetime");
    T_EQ_STR(hdr[3], "timestamp_desc");
    for (int i = 0; i < nh; i++)
        T_CHECK(strchr(hdr[i], '.') == NULL);
    T_CHECK(row[0][0] == '\'' && row[0][1] == '='); /* formula guard on the message */
    T_EQ_STR(row[1], "2024-08-02T08:53:24.123456+00:00");
    T_EQ_STR(row[2], "1722588804123456");
    T_EQ_STR(row[4], "kumo:aws.cloudtrail");
    free(mem);
    km_buf_free(&b);
}

static const char *describe(const struct km_event *ev, struct km_buf *b)
{
    b->n = 0;
    T_EQ_INT(km_describe_event(ev, b), KM_OK);
    km_buf_addc(b, 0);
    return b->p;
}

static void test_describe(void)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    struct km_event ev;
    api_event(&ev);
    T_EQ_STR(describe(&ev, &b),
             "alice@example.com (IAMUser) called DeleteBucket on s3.amazonaws.com target "
             "AWS::S3::Bucket loot (+1 more) from 203.0.113.5 (FR, Paris): failure "
             "(AccessDenied: not authorized)");

    ev.f[KM_F_CATEGORY] = KM_STR("authentication");
    ev.f[KM_F_ACTION] = KM_STR("ConsoleLogin");
    ev.f[KM_F_SERVICE] = KM_STR("signin.amazonaws.com");
    ev.f[KM_F_RESOURCES] = KM_STR_NONE;
    ev.f[KM_F_ERROR_CODE] = KM_STR_NONE;
    ev.f[KM_F_ERROR_MESSAGE] = KM_STR("Failed authentication");
    ev.f[KM_F_SRC_COUNTRY] = KM_STR_NONE;
    ev.f[KM_F_SRC_CITY] = KM_STR_NONE;
    T_EQ_STR(describe(&ev, &b),
             "alice@example.com (IAMUser) signed in to signin.amazonaws.com (ConsoleLogin) "
             "without MFA from 203.0.113.5: failure (Failed authentication)");

    km_event_init(&ev);
    ev.f[KM_F_CATEGORY] = KM_STR("finding");
    ev.f[KM_F_ACTION] = KM_STR("UnauthorizedAccess:IAMUser/MaliciousIPCaller");
    ev.f[KM_F_ACTOR_NAME] = KM_STR("bob");
    ev.f[KM_F_SRC_RAW] = KM_STR("AWS Internal");
    ev.f[KM_F_OUTCOME] = KM_STR("failure");
    ev.severity = 50;
    T_EQ_STR(describe(&ev, &b),
             "finding UnauthorizedAccess:IAMUser/MaliciousIPCaller (severity 50) about bob "
             "from AWS Internal: failure");

    /* no actor: the category names the event */
    km_event_init(&ev);
    ev.f[KM_F_CATEGORY] = KM_STR("config_change");
    ev.f[KM_F_ACTION] = KM_STR("ResourceDiscovered");
    ev.f[KM_F_SERVICE] = KM_STR("ec2");
    ev.f[KM_F_RESOURCES] = KM_STR("[{\"type\":\"AWS::EC2::Instance\",\"id\":\"i-1\"}]");
    T_EQ_STR(describe(&ev, &b), "config change ResourceDiscovered on ec2 target "
                                "AWS::EC2::Instance i-1");

    /* nothing at all */
    km_event_init(&ev);
    T_EQ_STR(describe(&ev, &b), "event (no action)");

    /* hostile values: one line, bounded, cut on a character boundary */
    static char big[5000];
    memset(big, 'A', sizeof big);
    big[0] = '\xc3'; /* é at the start, then more é around the cut */
    big[1] = '\xa9';
    for (int i = 190; i < 220; i += 2) {
        big[i] = '\xc3';
        big[i + 1] = '\xa9';
    }
    km_event_init(&ev);
    ev.f[KM_F_ACTOR_NAME] = KM_STR("eve\n\x1b[31mred");
    ev.f[KM_F_ACTION] = (struct km_str){big, sizeof big};
    ev.f[KM_F_RESOURCES] = KM_STR("[[[[not json");
    const char *d = describe(&ev, &b);
    T_CHECK(strchr(d, '\n') == NULL && strchr(d, '\x1b') == NULL);
    T_CHECK(strncmp(d, "eve  [31mred called ", 20) == 0);
    T_CHECK(strlen(d) < 300);
    const char *cut = strstr(d, "...");
    T_CHECK(cut != NULL);
    /* the byte before "..." ends a character: not a lone lead byte */
    T_CHECK(cut && (unsigned char)cut[-1] != 0xc3);
    km_buf_free(&b);
}

static int t_render(void *ctx, const struct km_event *ev, struct km_buf *line,
                    struct km_err *err)
{
    return km_export_render(ctx, ev, line, err);
}

/* A store with two segments whose time ranges overlap: the export is in time
 * order; with a tiny sort cap the rest streams in scan order (and says so). */
static void test_sorted_scan(void)
{
    char dir[] = "/tmp/kumo-test-export-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_CREATE | KM_STORE_WRITE, &s, &err), KM_OK);
    struct km_writer *w;
    T_EQ_INT(km_writer_open(s, NULL, &w, &err), KM_OK);
    static const int secs[2][3] = {{10, 30, 50}, {20, 40, 60}};
    for (int seg = 0; seg < 2; seg++) {
        for (int i = 0; i < 3; i++) {
            struct km_event ev;
            km_event_init(&ev);
            char id[32];
            snprintf(id, sizeof id, "evt-%d-%d", seg, i);
            ev.time_us = (1700000000LL + secs[seg][i]) * 1000000;
            ev.f[KM_F_PROVIDER] = KM_STR("aws");
            ev.f[KM_F_SOURCE] = KM_STR("aws.cloudtrail");
            ev.f[KM_F_EVENT_ID] = km_str_c(id);
            ev.f[KM_F_ACTION] = i == 1 ? KM_STR("CreateUser") : KM_STR("ListBuckets");
            ev.raw.object = 1;
            km_event_key(&ev);
            int dup = 0;
            T_EQ_INT(km_writer_add(w, &ev, &dup, &err), KM_OK);
        }
        T_EQ_INT(km_writer_flush(w, &err), KM_OK);
    }
    T_EQ_INT(km_writer_close(w, &err), KM_OK);

    struct km_export x;
    for (int capped = 0; capped < 2; capped++) {
        char *mem = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&mem, &len);
        T_EQ_INT(km_export_begin(&x, KM_EXPORT_TIMESKETCH, f, &err), KM_OK);
        struct km_cli_filter cf;
        km_cli_filter_init(&cf);
        struct km_cli_scan sc2 = {.cmd = "test", .out = f, .ctx = &x, .render = t_render,
                                  .sort_cap = capped ? 1 : 0};
        T_EQ_INT(km_cli_sorted_scan(s, &cf.f, &sc2, &err), KM_OK);
        T_EQ_INT(km_export_end(&x, &err), KM_OK);
        fclose(f);
        T_EQ_INT(sc2.matched, 6);
        T_EQ_INT(sc2.written, 6);
        T_EQ_INT(sc2.unsorted, capped);
        /* the timestamps in output order */
        long long prev = 0;
        int ordered = 1, n = 0;
        for (const char *p = mem; (p = strstr(p, "\"timestamp\":")); p++, n++) {
            long long t = atoll(p + 12);
            ordered &= t >= prev;
            prev = t;
        }
        T_EQ_INT(n, 6);
        T_EQ_INT(ordered, !capped);
        free(mem);
    }

    /* the filter options narrow the scan, as for `kumo events` */
    struct km_cli_filter cf;
    km_cli_filter_init(&cf);
    T_EQ_INT(km_cli_filter_opt(&cf, "test", "--action", "CreateUser"), 1);
    T_EQ_INT(km_cli_filter_opt(&cf, "test", "--format", "x"), 0);
    T_EQ_INT(km_cli_filter_opt(&cf, "test", "--since", "yesterday-ish"), -1);
    T_EQ_INT(km_cli_filter_opt(&cf, "test", "--since", "2023-11-14T22:13:40Z"), 1);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    T_EQ_INT(km_export_begin(&x, KM_EXPORT_JSONL, f, &err), KM_OK);
    struct km_cli_scan sc = {.cmd = "test", .out = f, .ctx = &x, .render = t_render, .limit = 5};
    T_EQ_INT(km_cli_sorted_scan(s, &cf.f, &sc, &err), KM_OK);
    T_EQ_INT(km_export_end(&x, &err), KM_OK);
    fclose(f);
    T_EQ_INT(sc.written, 2); /* CreateUser at +30 s and +40 s; the since bound is +20 s */
    T_CHECK(mem && strstr(mem, "evt-0-1") && strstr(mem, "evt-1-1"));
    T_CHECK(mem && strstr(mem, "evt-0-1") < strstr(mem, "evt-1-1"));
    free(mem);
    /* a repeated --ip is one condition (any of its values), with a ceiling */
    for (int i = 0; i < KM_CLI_FILTER_VALUES; i++)
        T_EQ_INT(km_cli_filter_opt(&cf, "test", "--ip", "10.0.0.1"), 1);
    T_EQ_INT(km_cli_filter_opt(&cf, "test", "--ip", "10.0.0.1"), -1);
    /* too many filters: --actor adds one condition each */
    while (cf.f.nconds < KM_CLI_FILTER_MAX)
        T_EQ_INT(km_cli_filter_opt(&cf, "test", "--actor", "x"), 1);
    T_EQ_INT(km_cli_filter_opt(&cf, "test", "--actor", "x"), -1);
    /* e-mail actors match lower-cased */
    km_cli_filter_init(&cf);
    T_EQ_INT(km_cli_filter_opt(&cf, "test", "--actor", "Alice@Example.COM"), 1);
    T_EQ_STR(cf.f.conds[0].value, "alice@example.com");

    km_store_close(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    T_EQ_INT(system(cmd), 0);
}

int main(void)
{
    T_RUN(test_format_names);
    T_RUN(test_jsonl);
    T_RUN(test_csv);
    T_RUN(test_ocsf_classes);
    T_RUN(test_ocsf_fields);
    T_RUN(test_ocsf_activities);
    T_RUN(test_timesketch);
    T_RUN(test_describe);
    T_RUN(test_sorted_scan);
    return t_done();
}
