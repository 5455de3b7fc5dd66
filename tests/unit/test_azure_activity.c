/*
 * test_azure_activity.c — the Azure Activity log module (azure.activity) and
 * the generic Azure resource-log module (azure.resource) against the corpus
 * and against small hand-written records for the shapes the corpus lacks.
 *
 * Corpus checks compare named normalized fields with values read by hand
 * (jq) from Panther's Azure_MonitorActivity.jsonl (diagnostic-settings
 * records: Activity log, storage, AKS kube-audit) and plaso's
 * azure_activity_log.jsonl (Python SDK shape). test_totals runs every record
 * of both files and asserts the counts; test_not_claimed checks that neither
 * module claims a record of any other provider's corpus file.
 *
 * The loader (same approach as test_cloudtrail.c): a whole file parsed as one
 * JSON value (array → elements, {"value"|"records": [...]} → elements,
 * object → itself), else read as JSON Lines.
 */
#include "t.h"
#include "corpus.h"

extern const struct km_source km_source_azure_activity;
extern const struct km_source km_source_azure_resource;

/* Loader options (corpus.h): whole-file JSON (unwrapping value/records/Records) else JSON Lines; an
 * undetected record is normalized by azure.activity so the totals count its
 * KM_ERECORD. */
static const char *const wrappers[] = {"value", "records", "Records", NULL};
static const struct corpus_opts OPTS = {.wrappers = wrappers, .fallback = &km_source_azure_activity};

#define PANTHER "panther-analysis-tests/extracted/Azure_MonitorActivity.jsonl"
#define PLASO "plaso-test-data/test_data/jsonl/azure_activity_log.jsonl"

/* ---- corpus: Panther diagnostic-settings records --------------------------------- */

static void test_panther_activity(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER), 0);
    struct rec *r;

    /* line 1: a plain Administrative delete */
    r = by_line(&s, 1);
    NEED(r);
    T_CHECK(r->src == &km_source_azure_activity);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(&r->ev, KM_F_PROVIDER), "azure");
    T_EQ_STR(fs(&r->ev, KM_F_SOURCE), "azure.activity");
    T_EQ_STR(tm(r->ev.time_us), "2024-12-17T10:30:00Z");
    T_EQ_INT(r->ev.flags, 0);
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "12345678-1234-1234-1234-123456789abc");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "eastus");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Microsoft.Insights/actionGroups/delete");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Microsoft.Insights");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "config_change");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "Administrative");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "1.1.1.1");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_RAW), "1.1.1.1");
    T_EQ_STR(fs(&r->ev, KM_F_REQUEST_ID), "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "");
    T_EQ_INT(r->ev.read_only, 0);
    T_EQ_INT(r->ev.severity, -1);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"Microsoft.Insights/actionGroups\",\"id\":\"/subscriptions/"
             "12345678-1234-1234-1234-123456789abc/resourceGroups/myresourcegroup/providers/"
             "Microsoft.Insights/actionGroups/securityteam\",\"name\":\"securityteam\","
             "\"account\":\"12345678-1234-1234-1234-123456789abc\"}]");

    /* line 4: Advisor recommendation: upper-case resource id, 9-digit
     * fraction, level Informational, resultType Active */
    r = by_line(&s, 4);
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(tm(r->ev.time_us), "2025-12-22T08:46:29.678707Z");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "00000000-0000-0000-0000-111111111111");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "finding");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "Recommendation");
    T_EQ_INT(r->ev.severity, 0);
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "unknown");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Microsoft.Advisor");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "0.0.0.0");
    /* the emailaddress claim "Microsoft.Advisor" is not an e-mail address */
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "Microsoft.Advisor");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "");
    T_CHECK(strstr(fs(&r->ev, KM_F_RESOURCES),
                   "\"type\":\"MICROSOFT.STORAGE/STORAGEACCOUNTS\"") != NULL);
    T_CHECK(strstr(fs(&r->ev, KM_F_RESOURCES), "\"name\":\"EXAMPLESTORAGE\"") != NULL);

    /* line 43: appid-only claims: a service principal */
    r = by_line(&s, 43);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "ServicePrincipal");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "12345678-1234-1234-1234-123456789abc");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "api");
    T_EQ_INT(r->ev.read_only, 1);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"Microsoft.KeyVault/vaults/certificates\",\"id\":\"/subscriptions/"
             "12345678-1234-1234-1234-123456789abc/resourceGroups/myresourcegroup/providers/"
             "Microsoft.KeyVault/vaults/myvault/certificates/app-service-cert\",\"name\":"
             "\"app-service-cert\",\"account\":\"12345678-1234-1234-1234-123456789abc\"}]");

    /* line 106: Failed / 403 */
    r = by_line(&s, 106);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&r->ev, KM_F_ERROR_CODE), "403");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "MICROSOFT.RECOVERYSERVICES");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "config_change");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "12345678-1234-1234-1234-123456789abc");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "(absent)");

    /* line 119: role assignment with authorization evidence, no claims */
    r = by_line(&s, 119);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "User");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "6b6d44f0-b13a-46a0-bfde-161324d4c34d");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "(absent)");   /* location "" */
    T_CHECK(strstr(fs(&r->ev, KM_F_RESOURCES),
                   "\"type\":\"Microsoft.Authorization/roleAssignments\"") != NULL);

    /* line 122: operationName as {value, localizedValue}, tenant-level
     * resource id (no subscription: account = tenantId), UPN claim */
    r = by_line(&s, 122);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Microsoft.Authorization/elevateAccess/action");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "87654321-4321-4321-4321-111111111111");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "attacker@example.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "User");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "attacker@example.com");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "203.0.113.42");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"Microsoft.Authorization\",\"id\":\"/providers/Microsoft.Authorization\"}]");
    T_EQ_INT(r->ev.read_only, -1);

    /* line 225: only p_* enrichment besides the operation: no time at all */
    r = by_line(&s, 225);
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_CHECK(r->src == &km_source_azure_activity);
    T_EQ_INT(r->ev.time_us, 0);
    T_EQ_INT(r->ev.flags, KM_EV_TIME_MISSING);
    T_EQ_STR(r->ctx.note, "time missing and no fallback time; time set to 0");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "(absent)");

    /* Policy audit events: findings with severity from level Warning */
    int policy = 0;
    for (int i = 0; i < s.n; i++)
        if (km_str_eqc(s.r[i].ev.f[KM_F_EVENT_TYPE], "Policy")) {
            policy++;
            T_EQ_STR(fs(&s.r[i].ev, KM_F_CATEGORY), "finding");
            T_EQ_INT(s.r[i].ev.severity, 50);
        }
    T_EQ_INT(policy, 3);
    set_free(&s);
}

static void test_panther_resource_logs(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER), 0);
    struct rec *r;

    /* line 166: storage read refused: statusCode 403, caller with a port */
    r = by_line(&s, 166);
    NEED(r);
    T_CHECK(r->src == &km_source_azure_resource);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(&r->ev, KM_F_SOURCE), "azure.resource");
    T_EQ_STR(tm(r->ev.time_us), "2024-12-19T19:15:08.173000Z");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "StorageRead");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "GetBlobMetadata");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Microsoft.Storage");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_RAW), "1.1.1.1:57484");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "1.1.1.1");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&r->ev, KM_F_ERROR_CODE), "AuthorizationPermissionMismatch");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "12345678-1234-1234-1234-123456789abc");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "api");
    T_EQ_INT(r->ev.read_only, 1);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"Microsoft.Storage/storageAccounts/blobServices\",\"id\":\"/subscriptions/"
             "12345678-1234-1234-1234-123456789abc/resourceGroups/myresourcegroup/providers/"
             "Microsoft.Storage/storageAccounts/mystorageaccount/blobServices/default\","
             "\"name\":\"default\",\"account\":\"12345678-1234-1234-1234-123456789abc\"},"
             "{\"type\":\"object\",\"id\":\"/mystorageaccount/test/documents/file.txt\"}]");

    /* line 173: no category at all; statusCode 201 */
    r = by_line(&s, 173);
    NEED(r);
    T_CHECK(r->src == &km_source_azure_resource);
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "5.5.5.5");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "eastus");

    /* line 189: no resourceId; statusCode 202 says nothing, the storage
     * metricResponseType Success does; user agent from properties */
    r = by_line(&s, 189);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&r->ev, KM_F_USER_AGENT), "curl/7.88.0");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "(absent)");
    T_EQ_INT(r->ev.read_only, 0);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES), "[{\"type\":\"object\",\"id\":\"/proddata/financial/records.xlsx\"}]");

    /* line 164: SAS identity, statusCode 409 with statusText */
    r = by_line(&s, 164);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "SAS");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&r->ev, KM_F_ERROR_CODE), "BlobUsesCustomerSpecifiedEncryption");
    T_EQ_STR(fs(&r->ev, KM_F_REQUEST_ID), "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "westus2");

    /* line 216: kube-audit with the Kubernetes audit event in properties.log;
     * time only in p_event_time */
    r = by_line(&s, 216);
    NEED(r);
    T_CHECK(r->src == &km_source_azure_resource);
    T_EQ_STR(tm(r->ev.time_us), "2024-03-20T10:00:00Z");
    T_EQ_INT(r->ev.flags, KM_EV_TIME_FALLBACK);
    T_EQ_STR(r->ctx.note, "time missing; used p_event_time");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "kube-audit");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "abc-123");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "get");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "system:anonymous");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "System");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "10.0.0.1");
    T_EQ_STR(fs(&r->ev, KM_F_USER_AGENT), "kubectl/v1.28.0");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "api");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Microsoft.ContainerService");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "xxx");
    T_EQ_INT(r->ev.read_only, 1);
    T_CHECK(strstr(fs(&r->ev, KM_F_RESOURCES),
                   "{\"type\":\"pods\",\"id\":\"default/test-pod\",\"name\":\"test-pod\"}") != NULL);

    /* kube-audit: a user creating a validating webhook (config change); a
     * CSR and a service-account token (account changes, lines 217, 242) */
    int webhook = 0, csr = 0;
    for (int i = 0; i < s.n; i++) {
        struct rec *x = &s.r[i];
        if (!km_str_eqc(x->ev.f[KM_F_EVENT_TYPE], "kube-audit"))
            continue;
        if (km_str_eqc(x->ev.f[KM_F_ACTOR_NAME], "policy-admin@example.com")) {
            webhook++;
            T_EQ_STR(fs(&x->ev, KM_F_ACTOR_EMAIL), "policy-admin@example.com");
            T_EQ_STR(fs(&x->ev, KM_F_CATEGORY), "config_change");
            T_EQ_STR(fs(&x->ev, KM_F_ACTION), "create");
            T_EQ_INT(x->ev.flags, KM_EV_TIME_MISSING);
        }
        if (km_str_eqc(x->ev.f[KM_F_ACTOR_NAME], "persistence-user@example.com")) {
            csr++;
            T_EQ_STR(fs(&x->ev, KM_F_CATEGORY), "account_change");
            T_EQ_STR(fs(&x->ev, KM_F_SRC_IP), "1.2.3.4");
        }
    }
    T_EQ_INT(webhook, 1);
    T_EQ_INT(csr, 2);
    set_free(&s);
}

/* ---- corpus: plaso, Python SDK snake_case shape ------------------------------------ */

static void test_plaso_sdk(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    T_EQ_INT(s.n, 4);
    struct rec *r = by_line(&s, 1);
    NEED(r);
    /* an app-only token: idtyp "app" */
    T_CHECK(r->src == &km_source_azure_activity);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(tm(r->ev.time_us), "2022-02-09T03:04:54.297853Z");
    T_EQ_INT(r->ev.flags, 0);
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "587eda65-125e-48c2-9b04-ab5e8d3a1d8e");
    T_EQ_STR(fs(&r->ev, KM_F_REQUEST_ID), "c0c54eb6-3a17-42e2-b6f6-37484ac276c4");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Microsoft.Compute/disks/delete");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Microsoft.Compute");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "Administrative");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "config_change");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "unknown");   /* status Started */
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "12345678-9abc-defg-hijk-lmnopqrstuvw");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "1.2.3.4");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "ServicePrincipal");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "12345678-9abc-defg-hijk-lmnopqrstuvw");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "12345678-9abc-defg-hijk-lmnopqrstuvw");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "(absent)");
    T_EQ_INT(r->ev.mfa, -1);
    T_EQ_INT(r->ev.read_only, 0);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"Microsoft.Compute/disks\",\"id\":\"/subscriptions/"
             "12345678-9abc-defg-hijk-lmnopqrstuvw/resourceGroups/TEST-RESOURCE-GROUP/"
             "providers/Microsoft.Compute/disks/test-vm_disk1_cd8883de78cb4cda97cb858dfe0cda3a\","
             "\"name\":\"test-vm_disk1_cd8883de78cb4cda97cb858dfe0cda3a\",\"account\":"
             "\"12345678-9abc-defg-hijk-lmnopqrstuvw\"}]");

    /* a user: caller is the e-mail address; amr "pwd" (no MFA) */
    r = by_line(&s, 2);
    NEED(r);
    T_EQ_STR(tm(r->ev.time_us), "2022-02-09T03:04:26.492650Z");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "648230f9-fba4-4def-8a83-118b158b748a");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "User");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "fakeemail@fakedomain.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "fakeemail@fakedomain.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "12345678-9abc-defg-hijk-lmnopqrstuvw");
    T_EQ_INT(r->ev.mfa, 0);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Microsoft.Compute/virtualMachines/delete");

    r = by_line(&s, 4);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "bd04315c-9658-451e-943f-27ed6fc345a4");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Microsoft.Compute/virtualMachines/write");
    T_EQ_STR(tm(r->ev.time_us), "2022-02-09T03:00:37.136728Z");
    set_free(&s);
}

/* ---- totals ------------------------------------------------------------------------ */

struct totals {
    int records, activity, resource, other, none, erecord, bad_json, time_missing, fallback,
        problems;
};

static struct totals count(struct set *s)
{
    struct totals t = {0};
    t.records = s->n;
    t.bad_json = s->bad_json;
    for (int i = 0; i < s->n; i++) {
        struct rec *r = &s->r[i];
        if (!r->src)
            t.none++;
        else if (r->src == &km_source_azure_activity)
            t.activity++;
        else if (r->src == &km_source_azure_resource)
            t.resource++;
        else
            t.other++;
        if (r->rc == KM_ERECORD)
            t.erecord++;
        else if (r->rc != KM_OK)
            fprintf(stderr, "  unexpected rc %d: %s\n", r->rc, r->err);
        if (r->rc != KM_OK)
            continue;
        T_CHECK(r->ctx.emit == 1);
        T_CHECK(r->ev.f[KM_F_ACTOR_TYPE].p && r->ev.f[KM_F_OUTCOME].p &&
                r->ev.f[KM_F_CATEGORY].p && r->ev.f[KM_F_ACTION].p);
        T_CHECK((r->ev.flags & KM_EV_TIME_MISSING) ? r->ev.time_us == 0 : r->ev.time_us > 0);
        T_CHECK(!!(r->ev.flags & KM_EV_TYPE_PROBLEM) == (r->ctx.problems > 0));
        t.time_missing += !!(r->ev.flags & KM_EV_TIME_MISSING);
        t.fallback += !!(r->ev.flags & KM_EV_TIME_FALLBACK);
        t.problems += r->ctx.problems > 0;
    }
    return t;
}

static void test_totals(void)
{
    /* by hand (jq): 249 records; 197 with an Activity category
     * (Administrative 192, Policy 3, Recommendation 2); the other 52 are
     * resource logs: 34 kube-audit (32 without any time, 2 with p_event_time),
     * 11 storage with a category, 7 storage without one. One Activity record
     * (line 225) has no time. */
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER), 0);
    struct totals t = count(&s);
    T_EQ_INT(t.records, 249);
    T_EQ_INT(t.activity, 197);
    T_EQ_INT(t.resource, 52);
    T_EQ_INT(t.other, 0);
    T_EQ_INT(t.none, 0);
    T_EQ_INT(t.erecord, 0);
    T_EQ_INT(t.bad_json, 0);
    T_EQ_INT(t.time_missing, 33);
    T_EQ_INT(t.fallback, 2);
    T_EQ_INT(t.problems, 0);
    /* failures: 6 Activity "Failed" + storage ones */
    int act_fail = 0;
    for (int i = 0; i < s.n; i++)
        act_fail += s.r[i].src == &km_source_azure_activity &&
                    km_str_eqc(s.r[i].ev.f[KM_F_OUTCOME], "failure");
    T_EQ_INT(act_fail, 6);
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    t = count(&s);
    T_EQ_INT(t.records, 4);
    T_EQ_INT(t.activity, 4);
    T_EQ_INT(t.erecord, 0);
    T_EQ_INT(t.bad_json, 0);
    T_EQ_INT(t.time_missing + t.fallback + t.problems, 0);
    set_free(&s);
}

/* Neither module claims a record of another provider's corpus file (Entra ID
 * diagnostic records look alike: same keys, categories such as Policy). */
static void test_not_claimed(void)
{
    static const char *const files[] = {
        "panther-analysis-tests/extracted/Azure_Audit.jsonl",
        "panther-analysis-tests/extracted/AWS_CloudTrail.jsonl",
        "panther-analysis-tests/extracted/GCP_AuditLog.jsonl",
        "panther-analysis-tests/extracted/AWS_SecurityFindingFormat.jsonl",
        "panther-analysis-tests/extracted/AWS_GuardDuty.jsonl",
        "plaso-test-data/test_data/jsonl/gcp_logging.jsonl",
        "plaso-test-data/test_data/jsonl/aws_cloudtrail.jsonl",
        "plaso-test-data/test_data/jsonl/microsoft_audit_log.jsonl",
        "elastic-integrations-testdata/packages/azure/data_stream/signinlogs/_dev/test/pipeline/"
        "test-signinlogs-raw.log",
    };
    int total = 0;
    for (size_t f = 0; f < KM_ARRAY_LEN(files); f++) {
        struct set s;
        set_init(&s, &OPTS);
        T_EQ_INT(load_file(&s, files[f]), 0);
        total += s.n;
        for (int i = 0; i < s.n; i++)
            T_CHECK(s.r[i].src != &km_source_azure_activity &&
                    s.r[i].src != &km_source_azure_resource);
        set_free(&s);
    }
    T_CHECK(total > 700);
}

/* ---- hand-written shapes ------------------------------------------------------------ */

struct one {
    struct km_arena a;
    struct km_norm_ctx ctx;
    struct km_event ev;
    struct km_err err;
    int rc, score, rscore;
    const struct km_source *best;
};

/* Parses text (the first element of a top-level "value" array when there is
 * one), scores it with both modules and normalizes it with `m`. */
static void one(struct one *o, const char *text, const struct km_source *m)
{
    memset(o, 0, sizeof *o);
    km_arena_init(&o->a, 0, 0);
    char *buf = km_arena_strndup(&o->a, text, strlen(text));
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    int prc = km_json_parse(buf, strlen(text), NULL, &o->a, &root, &e);
    T_EQ_INT(prc, KM_OK);
    if (prc != KM_OK) {
        o->rc = -1;
        return;
    }
    const char *wrapper = NULL;
    const struct km_json *v = km_json_get(root, "value");
    if (km_json_is_arr(v) && v->child) {
        root = v->child;
        wrapper = "value";
    }
    o->score = km_source_azure_activity.detect(root, wrapper);
    o->rscore = km_source_azure_resource.detect(root, wrapper);
    o->best = km_source_detect(root, wrapper, NULL);
    o->ctx.arena = &o->a;
    o->ctx.file = "test";
    km_event_init(&o->ev);
    km_err_clear(&o->err);
    o->rc = m->normalize(root, &o->ctx, &o->ev, &o->err);
}

static void test_rest_api_shape(void)
{
    /* REST API list output (camelCase, localizable objects), a failed
     * role-assignment write by a user with MFA, level Error */
    struct one o;
    one(&o,
        "{\"value\":[{\"authorization\":{\"action\":\"Microsoft.Authorization/roleAssignments/write\","
        "\"scope\":\"/subscriptions/AAAA1111-2222-3333-4444-555566667777/providers/"
        "Microsoft.Authorization/roleAssignments/r1\"},\"caller\":\"Mallory@Contoso.example\","
        "\"channels\":\"Operation\",\"claims\":{\"http://schemas.microsoft.com/identity/claims/"
        "objectidentifier\":\"0a0a0a0a-1111-2222-3333-444444444444\",\"amr\":\"pwd,mfa\","
        "\"appid\":\"c44b4083-3bb0-49c1-b47d-974e53cbdf3c\"},\"correlationId\":"
        "\"corr-1\",\"description\":\"\",\"eventDataId\":\"9d6b4b7e-6a7d-4c1c-9f9e-0b3b3b3b3b3b\","
        "\"eventName\":{\"value\":\"EndRequest\",\"localizedValue\":\"End request\"},"
        "\"category\":{\"value\":\"Administrative\",\"localizedValue\":\"Administrative\"},"
        "\"eventTimestamp\":\"2024-05-01T10:00:00.1234567Z\",\"level\":\"Error\","
        "\"operationName\":{\"value\":\"Microsoft.Authorization/roleAssignments/write\","
        "\"localizedValue\":\"Create role assignment\"},\"resourceGroupName\":\"\","
        "\"resourceProviderName\":{\"value\":\"Microsoft.Authorization\",\"localizedValue\":"
        "\"Microsoft Authorization\"},\"resourceId\":\"/subscriptions/AAAA1111-2222-3333-4444-"
        "555566667777/providers/Microsoft.Authorization/roleAssignments/r1\",\"status\":"
        "{\"value\":\"Failed\",\"localizedValue\":\"Failed\"},\"subStatus\":{\"value\":\"Forbidden\","
        "\"localizedValue\":\"Forbidden (HTTP Status Code: 403)\"},\"submissionTimestamp\":"
        "\"2024-05-01T10:01:00Z\",\"subscriptionId\":\"AAAA1111-2222-3333-4444-555566667777\","
        "\"tenantId\":\"tttt\",\"properties\":{\"statusCode\":\"Forbidden\",\"statusMessage\":"
        "\"{\\\"error\\\":{\\\"code\\\":\\\"AuthorizationFailed\\\"}}\"},\"httpRequest\":"
        "{\"clientRequestId\":\"x\",\"clientIpAddress\":\"2001:DB8::0:1\",\"method\":\"PUT\"}}]}",
        &km_source_azure_activity);
    T_EQ_INT(o.score, 95);
    T_CHECK(o.best == &km_source_azure_activity);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00.123456Z");
    T_EQ_INT(o.ev.flags, 0);
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "9d6b4b7e-6a7d-4c1c-9f9e-0b3b3b3b3b3b");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "aaaa1111-2222-3333-4444-555566667777");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "Microsoft.Authorization/roleAssignments/write");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_CODE), "Forbidden");
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_MESSAGE), "{\"error\":{\"code\":\"AuthorizationFailed\"}}");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "mallory@contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_NAME), "Mallory@Contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "User");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ID), "0a0a0a0a-1111-2222-3333-444444444444");
    T_EQ_INT(o.ev.mfa, 1);
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "2001:DB8::0:1");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "2001:db8::1");
    T_EQ_INT(o.ev.severity, -1);   /* not a finding */
    km_arena_free(&o.a);
}

static void test_log_analytics_shape(void)
{
    /* AzureActivity row: Claims as JSON text, ActivityStatusValue, no
     * SubscriptionId column (taken from _ResourceId) */
    struct one o;
    one(&o,
        "{\"TenantId\":\"t-1\",\"SourceSystem\":\"Azure\",\"TimeGenerated\":\"2024-06-01T08:00:00Z\","
        "\"OperationNameValue\":\"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION\","
        "\"OperationName\":\"Run Command on Virtual Machine\",\"CategoryValue\":\"Administrative\","
        "\"ActivityStatusValue\":\"Success\",\"Caller\":\"bob@contoso.example\","
        "\"CallerIpAddress\":\"198.51.100.7\",\"CorrelationId\":\"c-2\",\"EventDataId\":\"ed-3\","
        "\"Claims\":\"{\\\"upn\\\":\\\"bob@contoso.example\\\",\\\"oid\\\":\\\"o-4\\\"}\","
        "\"_ResourceId\":\"/subscriptions/s-5/resourcegroups/rg/providers/microsoft.compute/"
        "virtualmachines/vm1\",\"Type\":\"AzureActivity\"}",
        &km_source_azure_activity);
    T_EQ_INT(o.score, 95);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-06-01T08:00:00Z");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "MICROSOFT.COMPUTE");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "api");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "s-5");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "ed-3");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ID), "o-4");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "bob@contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "198.51.100.7");
    T_CHECK(strstr(fs(&o.ev, KM_F_RESOURCES),
                   "\"type\":\"microsoft.compute/virtualmachines\",\"id\":") != NULL);
    km_arena_free(&o.a);
}

static void test_diag_variants(void)
{
    struct one o;
    /* diagnostic settings: level as an int, properties.eventDataId,
     * outcome from properties.statusCode when resultType is absent,
     * Security category → finding with severity from level 2 (Error) */
    one(&o,
        "{\"time\":\"2024-07-01T12:00:00+02:00\",\"resourceId\":\"/subscriptions/s1/resourceGroups/rg\","
        "\"operationName\":\"Microsoft.Security/locations/alerts/activate/action\",\"category\":\"Security\","
        "\"level\":2,\"callerIpAddress\":\"[2001:db8::5]:443\",\"properties\":{\"eventDataId\":\"p-id\","
        "\"statusCode\":\"OK\"}}",
        &km_source_azure_activity);
    T_EQ_INT(o.score, 90);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-07-01T10:00:00Z");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "p-id");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "finding");
    T_EQ_INT(o.ev.severity, 70);
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "2001:db8::5");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES),
             "[{\"type\":\"Microsoft.Resources/resourceGroups\",\"id\":\"/subscriptions/s1/resourceGroups/rg\","
             "\"name\":\"rg\",\"account\":\"s1\"}]");
    km_arena_free(&o.a);

    /* level "4" string, Alert category, Started → unknown, Autoscale */
    one(&o,
        "{\"time\":\"2024-07-01T12:00:00Z\",\"operationName\":\"Microsoft.Insights/AutoscaleSettings/Scaleup/Action\","
        "\"category\":\"Autoscale\",\"resultType\":\"Started\",\"level\":\"4\",\"resourceId\":\"/subscriptions/s1\"}",
        &km_source_azure_activity);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "config_change");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");
    T_EQ_INT(o.ev.severity, -1);
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES),
             "[{\"type\":\"Microsoft.Resources/subscriptions\",\"id\":\"/subscriptions/s1\",\"name\":\"s1\","
             "\"account\":\"s1\"}]");
    km_arena_free(&o.a);

    one(&o,
        "{\"time\":\"2024-07-01T12:00:00Z\",\"operationName\":\"Microsoft.Insights/alertRules/Activated/Action\","
        "\"category\":\"Alert\",\"level\":\"4\",\"resultType\":\"Active\"}",
        &km_source_azure_activity);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "finding");
    T_EQ_INT(o.ev.severity, 0);
    km_arena_free(&o.a);

    /* values of the wrong type: counted, never fatal */
    one(&o,
        "{\"time\":1719835200,\"operationName\":\"Microsoft.Compute/disks/write\",\"category\":\"Administrative\","
        "\"callerIpAddress\":7,\"identity\":\"oops\",\"resultType\":[\"Succeeded\"],\"location\":{}}",
        &km_source_azure_activity);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-07-01T12:00:00Z");
    T_CHECK(o.ctx.problems >= 4);
    T_CHECK(o.ev.flags & KM_EV_TYPE_PROBLEM);
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "7");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");
    km_arena_free(&o.a);

    /* not an event: no operation name at all */
    one(&o, "{\"time\":\"2024-07-01T12:00:00Z\",\"category\":\"Administrative\"}", &km_source_azure_activity);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "no operationName") != NULL);
    km_arena_free(&o.a);
    one(&o, "[1,2]", &km_source_azure_resource);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);
}

static void test_resource_variants(void)
{
    struct one o;
    /* Key Vault AuditEvent: identity.claim with the long claim names */
    one(&o,
        "{\"time\":\"2024-08-01T00:00:00Z\",\"resourceId\":\"/SUBSCRIPTIONS/S2/RESOURCEGROUPS/RG/PROVIDERS/"
        "MICROSOFT.KEYVAULT/VAULTS/KV1\",\"operationName\":\"SecretGet\",\"category\":\"AuditEvent\","
        "\"resultType\":\"Success\",\"resultSignature\":\"OK\",\"callerIpAddress\":\"203.0.113.9\","
        "\"identity\":{\"claim\":{\"http://schemas.microsoft.com/identity/claims/objectidentifier\":\"oid-9\","
        "\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\":\"Eve@Contoso.example\"}}}",
        &km_source_azure_resource);
    T_EQ_INT(o.rscore, 45);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "MICROSOFT.KEYVAULT");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "s2");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "eve@contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ID), "oid-9");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "AuditEvent");
    km_arena_free(&o.a);

    /* storage OAuth request: identity.requester */
    one(&o,
        "{\"time\":\"2024-08-01T00:00:00Z\",\"resourceId\":\"/subscriptions/s3/resourceGroups/rg/providers/"
        "Microsoft.Storage/storageAccounts/sa/blobServices/default\",\"category\":\"StorageWrite\","
        "\"operationName\":\"PutBlob\",\"statusCode\":500,\"callerIpAddress\":\"10.1.2.3:80\","
        "\"identity\":{\"type\":\"OAuth\",\"requester\":{\"objectId\":\"ob-1\",\"upn\":\"Ann@Contoso.example\"}}}",
        &km_source_azure_resource);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "OAuth");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "ann@contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ID), "ob-1");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_CODE), "500");
    T_EQ_INT(o.ev.read_only, 0);
    km_arena_free(&o.a);

    /* kube-audit whose log is not JSON: counted, event kept */
    one(&o,
        "{\"time\":\"2024-08-01T00:00:00Z\",\"category\":\"kube-audit\",\"operationName\":"
        "\"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read\",\"properties\":{\"log\":\"{oops\"}}",
        &km_source_azure_resource);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_INT(o.ctx.problems, 1);
    T_EQ_STR(o.ctx.note, "properties.log is not a JSON object");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read");
    km_arena_free(&o.a);
}

static void test_detect_scores(void)
{
    struct one o;
    /* Entra ID diagnostic records are never ours, even with category Policy */
    one(&o,
        "{\"time\":\"2024-01-01T00:00:00Z\",\"resourceId\":\"/tenants/t/providers/Microsoft.aadiam\","
        "\"operationName\":\"Authentication Methods Policy Update\",\"category\":\"Policy\"}",
        &km_source_azure_activity);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rscore, 0);
    km_arena_free(&o.a);
    one(&o,
        "{\"time\":\"2024-01-01T00:00:00Z\",\"operationName\":\"Sign-in activity\",\"category\":\"SignInLogs\","
        "\"properties\":{}}",
        &km_source_azure_activity);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rscore, 0);
    km_arena_free(&o.a);
    /* an Activity category with a human operation name: low */
    one(&o, "{\"operationName\":\"Something\",\"category\":\"Administrative\"}", &km_source_azure_activity);
    T_EQ_INT(o.score, 40);
    km_arena_free(&o.a);
    /* namespaced operation without category: Activity-shaped */
    one(&o, "{\"operationName\":\"Microsoft.Compute/disks/write\",\"resultType\":\"Success\","
            "\"resourceId\":\"/subscriptions/x\"}", &km_source_azure_activity);
    T_EQ_INT(o.score, 50);
    km_arena_free(&o.a);
    /* a bare {"value": ..., "localizedValue"} without eventDataId/timestamp */
    one(&o, "{\"eventTimestamp\":\"2024-01-01T00:00:00Z\"}", &km_source_azure_activity);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);
    one(&o, "{\"eventName\":\"ConsoleLogin\",\"eventSource\":\"signin.amazonaws.com\"}", &km_source_azure_activity);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rscore, 0);
    km_arena_free(&o.a);
}

int main(void)
{
    T_RUN(test_panther_activity);
    T_RUN(test_panther_resource_logs);
    T_RUN(test_plaso_sdk);
    T_RUN(test_totals);
    T_RUN(test_not_claimed);
    T_RUN(test_rest_api_shape);
    T_RUN(test_log_analytics_shape);
    T_RUN(test_diag_variants);
    T_RUN(test_resource_variants);
    T_RUN(test_detect_scores);
    return t_done();
}
