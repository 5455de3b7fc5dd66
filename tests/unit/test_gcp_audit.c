/*
 * test_gcp_audit.c — the Google Cloud Logging source module against the
 * corpus and against small hand-written records for the shapes the corpus
 * lacks (Pub/Sub push envelopes, gcloud arrays, entries.list pages,
 * CloudEvents envelopes, Workspace login and Access Transparency entries,
 * int64-as-string values, broken envelopes).
 *
 * Corpus checks compare named normalized fields with values read by hand
 * from the files (jq): plaso gcp_logging.jsonl, the three google-cloudevents
 * LogEntryData files and Panther's GCP_AuditLog.jsonl. test_totals runs every
 * record of every GCP corpus file and asserts counts established with jq:
 * records, detections, rejects, per-source counts, time fallbacks, problems
 * and distinct event keys.
 *
 * Loader: a whole file is parsed as one JSON value (array → elements,
 * {"entries": [...]} → elements, object → itself); a file that does not
 * parse as one value is read as JSON Lines.
 */
#include "t.h"
#include "corpus.h"

extern const struct km_source km_source_gcp_audit;
extern const struct km_source km_source_gcp_audit_activity;
extern const struct km_source km_source_cloudtrail;

/* Loader options (corpus.h): whole-file JSON (unwrapping entries) else JSON Lines; detection runs over
 * the registry, but every record is normalized with the GCP module (also when
 * undetected, so that the totals count its KM_ERECORD). */
static const char *const wrappers[] = {"entries", NULL};
static const struct corpus_opts OPTS = {.wrappers = wrappers, .only = &km_source_gcp_audit};

/* ---- corpus: field by field --------------------------------------------------------- */

#define PLASO "plaso-test-data/test_data/jsonl/gcp_logging.jsonl"

static void test_plaso(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    T_EQ_INT(s.n, 11);

    /* line 1: compute network insert (LRO last entry), URL-encoded logName */
    struct rec *r = by_line(&s, 1);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_CHECK(r->src == &km_source_gcp_audit);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.emit, 1);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(r->ctx.note, "");
    T_EQ_STR(tm(ev->time_us), "2021-10-19T02:57:47.339377Z");
    T_EQ_INT(ev->flags, 0);
    T_EQ_STR(fs(ev, KM_F_PROVIDER), "gcp");
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.activity");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "fake-project");
    T_EQ_STR(fs(ev, KM_F_REGION), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "user");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "fakeemailxyz@gmail.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "fakeemailxyz@gmail.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "(absent)");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "1.1.1.1");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "1.1.1.1");
    T_EQ_STR(fs(ev, KM_F_USER_AGENT), "UserAgent");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "compute.googleapis.com");
    T_EQ_STR(fs(ev, KM_F_ACTION), "beta.compute.networks.insert");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "api");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");
    T_EQ_INT(ev->read_only, 0);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "projects/fake-project/logs/cloudaudit.googleapis.com/activity#iv9wx9d16l2"
             "@2021-10-19T02:57:47.339377Z");
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "cloudaudit.googleapis.com/activity");
    T_EQ_STR(fs(ev, KM_F_REQUEST_ID), "operation-1634612259304-5ceabd30fb515-0c5c5a7d-0ac8bbff");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"gce_network\",\"id\":\"projects/fake-project/global/networks/test\","
             "\"account\":\"fake-project\"}]");
    T_EQ_INT(ev->severity, -1);

    /* line 4: firewall insert opening 3389; authorizationInfo adds the network */
    r = by_line(&s, 4);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "v1.compute.firewalls.insert");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"gce_firewall_rule\",\"id\":\"projects/fake-project/global/firewalls/test\","
             "\"account\":\"fake-project\"},{\"type\":\"compute.networks\",\"id\":"
             "\"projects/fake-project/global/networks/default\"}]");

    /* line 5: CreateServiceAccount, status {} → success, account change */
    r = by_line(&s, 5);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACTION), "google.iam.admin.v1.CreateServiceAccount");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "iam.googleapis.com");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "user:fakeemailxyz@gmail.com");
    T_EQ_STR(tm(ev->time_us), "2021-10-19T02:43:48.064377Z");   /* 9 digits truncated */
    T_EQ_STR(fs(ev, KM_F_REQUEST_ID), "(absent)");

    /* line 6: zone label → region */
    r = by_line(&s, 6);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "us-central1-a");

    /* line 8: jsonPayload, line 9: textPayload: not audit entries */
    r = by_line(&s, 8);
    NEED(r);
    ev = &r->ev;
    T_CHECK(r->src == &km_source_gcp_audit);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.logging");
    T_EQ_STR(fs(ev, KM_F_PROVIDER), "gcp");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "unknown");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "unknown");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "(absent)");   /* jsonPayload.actor is the app's */
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "fake-project");
    T_EQ_STR(fs(ev, KM_F_REGION), "(absent)");        /* location: "" */
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "testlog");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "projects/fake-project/logs/testlog#1k28f3cfv7aknt@2021-10-19T02:05:41.496590Z");
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "(absent)");
    T_EQ_INT(ev->read_only, -1);
    r = by_line(&s, 9);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_SOURCE), "gcp.logging");
    T_EQ_STR(tm(r->ev.time_us), "2021-10-19T02:04:00.272384Z");

    /* line 10: delegation chain of two first-party principals */
    r = by_line(&s, 10);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER),
             "service-account-one@fake-project.com -> service-account-two@fake-project.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "fake-account@fake-project.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "user");
    T_EQ_STR(fs(ev, KM_F_REGION), "us-central1-b");
    T_EQ_INT(ev->read_only, 0);      /* permissionType ADMIN_WRITE */
    T_EQ_STR(fs(ev, KM_F_USER_AGENT),
             "fake-user-agent-string command/gcloud.compute.instances.insert "
             "invocation-id/a1b2c3d4e5f6 environment/GCE");

    /* line 11: PERMISSION_DENIED by a service account acting for a service agent */
    r = by_line(&s, 11);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "ketchup");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "service_account");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "dvwa-service-account@ketchup.iam.gserviceaccount.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "serviceAccount:dvwa-service-account@ketchup.iam.gserviceaccount.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER),
             "service-1234567890@compute-system.iam.gserviceaccount.com");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "7");
    T_EQ_STR(fs(ev, KM_F_ERROR_MESSAGE),
             "PERMISSION_DENIED: Permission \"iam.serviceAccounts.create\" denied on resource "
             "(or it may not exist).");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "34.72.217.225");
    T_EQ_STR(tm(ev->time_us), "2024-12-03T17:58:44.882119Z");
    set_free(&s);
}

#define CE "google-cloudevents-testdata/testdata/google/events/cloud/audit/v1/"

static void test_cloudevents(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, CE "LogEntryData-bigqueryjobcompleted.json"), 0);
    T_EQ_INT(load_file(&s, CE "LogEntryData-monitoringCreateTimeSeries.json"), 0);
    T_EQ_INT(load_file(&s, CE "LogEntryData-pubsubCreateTopic.json"), 0);
    T_EQ_INT(s.n, 3);

    /* legacy BigQuery AuditData (serviceData, no protoPayload @type), IPv6 caller */
    struct km_event *ev = &s.r[0].ev;
    T_CHECK(s.r[0].src == &km_source_gcp_audit);
    T_EQ_INT(s.r[0].rc, KM_OK);
    T_EQ_INT(s.r[0].ctx.problems, 0);
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.data_access");
    T_EQ_STR(fs(ev, KM_F_ACTION), "jobservice.jobcompleted");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "bigquery.googleapis.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "service_account");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "robot@test-project.iam.gserviceaccount.com");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "2620:15c:0:200:1a75:e914:115b:e970");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");         /* status: {} */
    T_EQ_INT(ev->read_only, -1);                        /* no permissionType, "jobcompleted" */
    T_EQ_STR(tm(ev->time_us), "2021-11-25T21:56:00.276607Z");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"bigquery_resource\",\"id\":\"projects/test-project/jobs/"
             "bqjob_r3ac45813612fa2d6_0000017d591922c9_1\",\"account\":\"test-project\"}]");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "projects/test-project/logs/cloudaudit.googleapis.com/data_access#jpllvgecd7bx"
             "@2021-11-25T21:56:00.276607Z");

    /* Monitoring CreateTimeSeries in the Data Access log: a write */
    ev = &s.r[1].ev;
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.data_access");
    T_EQ_STR(fs(ev, KM_F_ACTION), "google.monitoring.v3.MetricService.CreateTimeSeries");
    T_EQ_INT(ev->read_only, 0);
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "user:robot@test-project.iam.gserviceaccount.com");

    /* Pub/Sub CreateTopic with the service-account key used */
    ev = &s.r[2].ev;
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.activity");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY),
             "//iam.googleapis.com/projects/test-project/serviceAccounts/robot@test-project."
             "iam.gserviceaccount.com/keys/90f662482321f1ca8e82ea675b1a1c30c1fe681f");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "192.168.0.1");
    T_EQ_STR(fs(ev, KM_F_USER_AGENT), "google-cloud-sdk");
    T_EQ_STR(tm(ev->time_us), "2020-06-30T16:14:47.593398Z");
    T_EQ_STR(fs(ev, KM_F_REGION), "(absent)");   /* resourceLocation is not used */
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "api");
    set_free(&s);
}

#define PANTHER "panther-analysis-tests/extracted/GCP_AuditLog.jsonl"

static void test_panther(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER), 0);
    T_EQ_INT(s.n, 206);

    /* line 2: Policy Denied (VPC Service Controls) */
    struct rec *r = by_line(&s, 2);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.policy");
    T_EQ_STR(fs(ev, KM_F_ACTION), "google.storage.objects.get");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "7");
    T_CHECK(strncmp(fs(ev, KM_F_ERROR_MESSAGE),
                    "PERMISSION_DENIED: Request is prohibited by organization's policy.", 66) == 0);
    T_EQ_INT(ev->read_only, 1);                    /* "get" */
    T_EQ_STR(tm(ev->time_us), "2023-03-09T16:28:40.890430Z");

    /* line 7: "..." placeholders, resource a string, Panther time without zone,
     * ALREADY_EXISTS */
    r = by_line(&s, 7);
    NEED(r);
    ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(tm(ev->time_us), "2024-02-02T09:36:21.212182Z");
    T_EQ_INT(r->ctx.problems, 2);                  /* requestMetadata, resource */
    T_CHECK(ev->flags & KM_EV_TYPE_PROBLEM);
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "6");
    T_EQ_STR(fs(ev, KM_F_ERROR_MESSAGE), "ALREADY_EXISTS: Resource 'cloudrun-exfil' already exists.");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "some-project");   /* from logName */
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "(absent)");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"id\":\"...\"},{\"id\":\"namespaces/some-project/services/cloudrun-exfil\"}]");

    /* line 30: lower-cased LogEntry keys ("insertid", "logname") */
    r = by_line(&s, 30);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.data_access");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "projects/gcp-project1/logs/cloudaudit.googleapis.com/data_access#abcdefghijklmn"
             "@2023-03-28T18:37:06.079000Z");
    T_EQ_STR(fs(ev, KM_F_ACTION), "google.cloud.bigquery.v2.JobService.InsertJob");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "1.2.3.4");      /* "callerIP" */
    T_EQ_STR(fs(ev, KM_F_REQUEST_ID), "1234567890123-gcp-project1:abcdefghijklmnopqrstuvwz");

    /* line 67: organization-level SetIamPolicy by a Terraform service account */
    r = by_line(&s, 67);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "organizations/888888888888");
    T_EQ_STR(fs(ev, KM_F_ACTION), "SetIamPolicy");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "service_account");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY),
             "//iam.googleapis.com/projects/platform/serviceAccounts/terraform@platform.iam."
             "gserviceaccount.com/keys/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");

    /* line 75: token minting from GKE: "gce-internal-ip", subject only,
     * delegation [{}] */
    r = by_line(&s, 75);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "gce-internal-ip");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "example_principal_subject");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "unknown");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "sample_project_id");   /* resource label beats logName */
    T_EQ_STR(fs(ev, KM_F_SERVICE), "iamcredentials.googleapis.com");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "api");

    /* line 102: everything nested one level too deep; only p_event_time */
    r = by_line(&s, 102);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(tm(ev->time_us), "2023-03-28T18:37:06.079000Z");
    T_EQ_INT(ev->flags, KM_EV_TIME_FALLBACK);
    T_EQ_STR(r->ctx.note, "timestamp missing; used p_event_time");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "projects/gcp-project1/logs/cloudaudit.googleapis.com/activity#abcdefghijklmn");

    /* line 170: GKE anonymous request (authoritySelector is not the principal) */
    r = by_line(&s, 170);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit");            /* no logName */
    T_EQ_STR(fs(ev, KM_F_SERVICE), "k8s.io");
    T_EQ_STR(fs(ev, KM_F_ACTION), "io.k8s.core.v1.pods.get");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "");
    T_EQ_INT(ev->read_only, 1);
    T_EQ_INT(ev->time_us, 0);
    T_EQ_INT(ev->flags, KM_EV_TIME_MISSING);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "(absent)");

    /* line 58: Storage data access with an OAuth client, DATA_WRITE permissions */
    r = by_line(&s, 58);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.data_access");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "frodo@lotr.com");
    T_EQ_STR(fs(ev, KM_F_ACTION), "storage.objects.create");
    T_EQ_STR(fs(ev, KM_F_REGION), "us");
    T_EQ_INT(ev->read_only, 0);

    /* line 84: Workspace Admin audit entry with a malformed e-mail */
    r = by_line(&s, 84);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "unknown");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "user@@example.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "(absent)");

    /* GKE: Kubernetes service accounts and anonymous callers */
    int k8s_sa = 0, anon = 0;
    for (int i = 0; i < s.n; i++) {
        const struct km_event *e = &s.r[i].ev;
        if (s.r[i].rc != KM_OK)
            continue;
        k8s_sa += km_str_eqc(e->f[KM_F_ACTOR_TYPE], "service_account") &&
                  e->f[KM_F_ACTOR_NAME].n > 22 &&
                  memcmp(e->f[KM_F_ACTOR_NAME].p, "system:serviceaccount:", 22) == 0;
        anon += km_str_eqc(e->f[KM_F_ACTOR_TYPE], "anonymous");
    }
    T_EQ_INT(k8s_sa, 2);
    T_EQ_INT(anon, 3);
    set_free(&s);
}

/* ---- every record of every GCP corpus file -------------------------------------------- */

struct totals {
    int records, gcp, none, ok, erecord, bad_json;
    int fallback, missing, problems, with_id, distinct_ids;
};

static struct totals count(struct set *s)
{
    struct totals t;
    memset(&t, 0, sizeof t);
    t.bad_json = s->bad_json;
    for (int i = 0; i < s->n; i++) {
        struct rec *r = &s->r[i];
        t.records++;
        if (r->src == &km_source_gcp_audit)
            t.gcp++;
        else if (r->src)
            fprintf(stderr, "  line %d detected as %s\n", r->line, r->src->name);
        else
            t.none++;
        if (r->rc == KM_ERECORD)
            t.erecord++;
        else if (r->rc != KM_OK)
            fprintf(stderr, "  unexpected rc %d: %s\n", r->rc, r->err);
        if (r->rc != KM_OK)
            continue;
        t.ok++;
        const struct km_event *ev = &r->ev;
        T_CHECK(r->ctx.emit == 1);
        T_CHECK(ev->f[KM_F_PROVIDER].p && ev->f[KM_F_SOURCE].p);
        T_CHECK(ev->f[KM_F_ACTOR_TYPE].p != NULL);
        T_CHECK(ev->f[KM_F_OUTCOME].p && ev->f[KM_F_CATEGORY].p);
        T_CHECK((ev->flags & KM_EV_TIME_MISSING) ? ev->time_us == 0 : ev->time_us > 0);
        T_CHECK(!!(ev->flags & KM_EV_TYPE_PROBLEM) == (r->ctx.problems > 0));
        /* e-mails are lower case */
        for (uint32_t k = 0; k < ev->f[KM_F_ACTOR_EMAIL].n; k++)
            T_CHECK(!(ev->f[KM_F_ACTOR_EMAIL].p[k] >= 'A' && ev->f[KM_F_ACTOR_EMAIL].p[k] <= 'Z'));
        t.fallback += !!(ev->flags & KM_EV_TIME_FALLBACK);
        t.missing += !!(ev->flags & KM_EV_TIME_MISSING);
        t.problems += r->ctx.problems > 0;
        if (ev->f[KM_F_EVENT_ID].p) {
            t.with_id++;
            int dup = 0;
            for (int j = 0; j < i && !dup; j++)
                dup = s->r[j].rc == KM_OK && km_str_eq(s->r[j].ev.f[KM_F_EVENT_ID], ev->f[KM_F_EVENT_ID]);
            t.distinct_ids += !dup;
        }
    }
    return t;
}

static int count_source(struct set *s, const char *src)
{
    int n = 0;
    for (int i = 0; i < s->n; i++)
        n += s->r[i].rc == KM_OK && km_str_eqc(s->r[i].ev.f[KM_F_SOURCE], src);
    return n;
}

static void test_totals(void)
{
    /* Panther: 206 lines; 8 are not LogEntries (6 are {"methodName": ...}
     * only, 2 are {"operation", "p_enrichment"} only): undetected and
     * KM_ERECORD. jq by logName: 93 activity, 20 data_access, 1 policy, 84
     * without logName. 61 lines lack timestamp: 8 non-events, 4 with
     * requestAttributes.time, 6 with p_event_time, 1 with receiveTimestamp
     * "..." and nothing else, 42 with nothing at all. 95 records carry an insertId, in 67 distinct ids (test
     * data reuses them). */
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER), 0);
    struct totals t = count(&s);
    T_EQ_INT(t.records, 206);
    T_EQ_INT(t.gcp, 198);
    T_EQ_INT(t.none, 8);
    T_EQ_INT(t.ok, 198);
    T_EQ_INT(t.erecord, 8);
    T_EQ_INT(t.bad_json, 0);
    T_EQ_INT(t.fallback, 10);
    T_EQ_INT(t.missing, 43);
    T_EQ_INT(t.problems, 5);
    T_EQ_INT(t.with_id, 95);
    T_EQ_INT(t.distinct_ids, 67);
    T_EQ_INT(count_source(&s, "gcp.audit.activity"), 93);
    T_EQ_INT(count_source(&s, "gcp.audit.data_access"), 20);
    T_EQ_INT(count_source(&s, "gcp.audit.policy"), 1);
    T_EQ_INT(count_source(&s, "gcp.audit"), 84);
    static const int rejected[] = {39, 40, 44, 45, 49, 50, 149, 150};
    for (size_t i = 0; i < KM_ARRAY_LEN(rejected); i++) {
        struct rec *r = by_line(&s, rejected[i]);
        T_CHECK(r && r->src == NULL && r->rc == KM_ERECORD);
        if (r)
            T_CHECK(strstr(r->err, "not a Cloud Logging entry") != NULL);
    }
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    t = count(&s);
    T_EQ_INT(t.records, 11);
    T_EQ_INT(t.gcp, 11);
    T_EQ_INT(t.ok, 11);
    T_EQ_INT(t.fallback + t.missing + t.problems, 0);
    T_EQ_INT(t.distinct_ids, 11);
    T_EQ_INT(count_source(&s, "gcp.audit.activity"), 9);
    T_EQ_INT(count_source(&s, "gcp.logging"), 2);
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, CE "LogEntryData-bigqueryjobcompleted.json"), 0);
    T_EQ_INT(load_file(&s, CE "LogEntryData-monitoringCreateTimeSeries.json"), 0);
    T_EQ_INT(load_file(&s, CE "LogEntryData-pubsubCreateTopic.json"), 0);
    t = count(&s);
    T_EQ_INT(t.records, 3);
    T_EQ_INT(t.gcp, 3);
    T_EQ_INT(t.ok, 3);
    T_EQ_INT(t.fallback + t.missing + t.problems, 0);
    set_free(&s);
}

/* ---- shapes and corner cases from hand-written records ---------------------------------- */

struct one {
    struct km_arena a;
    struct km_norm_ctx ctx;
    struct km_event ev;
    struct km_err err;
    int rc, score;
    const struct km_source *src;
};

/* Parses text, runs detection over the registry, normalizes with the GCP module. */
static void one(struct one *o, const char *text, const char *wrapper)
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
    o->score = km_source_gcp_audit.detect(root, wrapper);
    o->src = km_source_detect(root, wrapper, NULL);
    o->ctx.arena = &o->a;
    o->ctx.file = "test";
    o->ctx.wrapper = wrapper;
    km_event_init(&o->ev);
    km_err_clear(&o->err);
    o->rc = km_source_gcp_audit.normalize(root, &o->ctx, &o->ev, &o->err);
}

static void b64(const char *in, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = i + 1 < n ? al[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? al[v & 63] : '=';
    }
    out[o] = 0;
}

/* A LogEntry of our own: an IAM key creation by a user, data written as the
 * log sink writes it (keys in proto field order, 9-digit timestamps). */
#define MY_ENTRY                                                                                   \
    "{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","            \
    "\"status\":{\"code\":\"7\",\"message\":\"Denied\"},\"authenticationInfo\":{"                  \
    "\"principalEmail\":\"Mallory.Ops@Example.ORG\"},\"requestMetadata\":{\"callerIp\":"           \
    "\"2001:DB8:0:0:0:0:0:5\",\"callerSuppliedUserAgent\":\"curl/8.0\"},\"serviceName\":"          \
    "\"iam.googleapis.com\",\"methodName\":\"google.iam.admin.v1.CreateServiceAccountKey\","        \
    "\"resourceName\":\"projects/-/serviceAccounts/sa-9@proj-a.iam.gserviceaccount.com\","          \
    "\"numResponseItems\":\"71\"},\"insertId\":\"k3y-1\",\"resource\":{\"type\":\"service_account\"," \
    "\"labels\":{\"project_id\":\"proj-a\",\"email_id\":\"sa-9@proj-a.iam.gserviceaccount.com\"}},"  \
    "\"timestamp\":\"2024-05-01T10:00:00.123456789Z\",\"severity\":\"ERROR\",\"logName\":"           \
    "\"projects/proj-a/logs/cloudaudit.googleapis.com%2Factivity\",\"receiveTimestamp\":"           \
    "\"2024-05-01T10:00:01.5Z\"}"

static void check_my_entry(struct one *o)
{
    T_EQ_INT(o->rc, KM_OK);
    T_EQ_STR(fs(&o->ev, KM_F_SOURCE), "gcp.audit.activity");
    T_EQ_STR(tm(o->ev.time_us), "2024-05-01T10:00:00.123456Z");
    T_EQ_INT(o->ev.flags, 0);
    T_EQ_STR(fs(&o->ev, KM_F_ACTOR_EMAIL), "mallory.ops@example.org");
    T_EQ_STR(fs(&o->ev, KM_F_ACTOR_NAME), "Mallory.Ops@Example.ORG");
    T_EQ_STR(fs(&o->ev, KM_F_SRC_RAW), "2001:DB8:0:0:0:0:0:5");
    T_EQ_STR(fs(&o->ev, KM_F_SRC_IP), "2001:db8::5");
    T_EQ_STR(fs(&o->ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&o->ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&o->ev, KM_F_ERROR_CODE), "7");          /* int32 written as a string */
    T_EQ_STR(fs(&o->ev, KM_F_ERROR_MESSAGE), "PERMISSION_DENIED: Denied");
    T_EQ_STR(fs(&o->ev, KM_F_EVENT_ID),
             "projects/proj-a/logs/cloudaudit.googleapis.com/activity#k3y-1@2024-05-01T10:00:00.123456Z");
    T_EQ_INT(o->ctx.problems, 0);
}

static void test_pubsub_push(void)
{
    char data[4096], env[8192];
    b64(MY_ENTRY, data);
    snprintf(env, sizeof env,
             "{\"message\":{\"attributes\":{\"logging.googleapis.com/timestamp\":"
             "\"2024-05-01T10:00:00.123456789Z\"},\"data\":\"%s\",\"messageId\":\"9001\","
             "\"message_id\":\"9001\",\"publishTime\":\"2024-05-01T10:00:02.5Z\","
             "\"publish_time\":\"2024-05-01T10:00:02.5Z\"},"
             "\"subscription\":\"projects/proj-a/subscriptions/audit-push\"}",
             data);
    struct one o;
    one(&o, env, NULL);
    T_EQ_INT(o.score, 85);
    T_CHECK(o.src == &km_source_gcp_audit);
    check_my_entry(&o);
    km_arena_free(&o.a);

    /* without a timestamp in the entry: publishTime is the last fallback */
    b64("{\"insertId\":\"x1\",\"logName\":\"projects/p/logs/app\",\"textPayload\":\"hello\"}", data);
    snprintf(env, sizeof env, "{\"message\":{\"data\":\"%s\",\"messageId\":\"1\","
                              "\"publishTime\":\"2024-05-01T10:00:02.5Z\"},\"subscription\":\"s\"}",
             data);
    one(&o, env, NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_SOURCE), "gcp.logging");
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:02.500000Z");
    T_EQ_INT(o.ev.flags, KM_EV_TIME_FALLBACK);
    T_EQ_STR(o.ctx.note, "timestamp missing; used publishTime");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "projects/p/logs/app#x1");   /* no "@" without timestamp */
    km_arena_free(&o.a);

    /* a pull ReceivedMessage {ackId, message} with the data already decoded */
    one(&o, "{\"ackId\":\"a\",\"message\":{\"data\":" MY_ENTRY ",\"messageId\":\"2\"}}", NULL);
    T_EQ_INT(o.score, 85);
    check_my_entry(&o);
    km_arena_free(&o.a);

    /* a push envelope carrying something else is not ours */
    b64("{\"eventVersion\":\"1.08\",\"eventName\":\"GetObject\"}", data);
    snprintf(env, sizeof env, "{\"message\":{\"data\":\"%s\",\"messageId\":\"3\"},\"subscription\":\"s\"}", data);
    one(&o, env, NULL);
    T_EQ_INT(o.score, 0);
    T_CHECK(o.src == NULL);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "not a Cloud Logging entry") != NULL);
    km_arena_free(&o.a);

    /* broken data: not base64, base64 of non-JSON, no data */
    one(&o, "{\"message\":{\"data\":\"!!!!\",\"messageId\":\"4\"},\"subscription\":\"s\"}", NULL);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "not base64") != NULL);
    km_arena_free(&o.a);
    b64("protoPayload: nope", data);
    snprintf(env, sizeof env, "{\"message\":{\"data\":\"%s\",\"messageId\":\"5\"},\"subscription\":\"s\"}", data);
    one(&o, env, NULL);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "not JSON") != NULL);
    km_arena_free(&o.a);
    one(&o, "{\"message\":{\"messageId\":\"6\",\"attributes\":{}},\"subscription\":\"s\"}", NULL);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);
}

static void test_gcloud_entries_cloudevent(void)
{
    /* gcloud logging read --format=json: a JSON array of LogEntry */
    struct set s;
    set_init(&s, &OPTS);
    const char *arr = "[" MY_ENTRY ",{\"insertId\":\"t2\",\"logName\":\"/projects/proj-a/logs/"
                      "cloudaudit.googleapis.com%2Fsystem_event\",\"protoPayload\":{\"serviceName\":"
                      "\"compute.googleapis.com\",\"methodName\":\"compute.instances.migrateOnHostMaintenance\","
                      "\"authenticationInfo\":{\"principalEmail\":\"system@google.com\"}},\"resource\":"
                      "{\"type\":\"gce_instance\",\"labels\":{\"zone\":\"europe-west1-b\"}},"
                      "\"timestamp\":\"2024-05-02T00:00:00Z\"}]";
    load_bytes(&s, arr, strlen(arr));
    T_EQ_INT(s.n, 2);
    T_CHECK(s.r[0].src == &km_source_gcp_audit && s.r[1].src == &km_source_gcp_audit);
    T_EQ_STR(fs(&s.r[0].ev, KM_F_ACTOR_EMAIL), "mallory.ops@example.org");
    struct km_event *ev = &s.r[1].ev;
    T_EQ_STR(fs(ev, KM_F_SOURCE), "gcp.audit.system_event");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "proj-a");                 /* leading '/' dropped */
    T_EQ_STR(fs(ev, KM_F_REGION), "europe-west1-b");
    T_EQ_INT(ev->read_only, 0);
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "user");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "projects/proj-a/logs/cloudaudit.googleapis.com/system_event#t2@2024-05-02T00:00:00Z");
    set_free(&s);

    /* entries.list page: {"entries": [...], "nextPageToken": ...} */
    struct one o;
    one(&o, MY_ENTRY, "entries");
    T_EQ_INT(o.score, 100);
    check_my_entry(&o);
    km_arena_free(&o.a);

    /* CloudEvents structured envelope around LogEntryData */
    one(&o, "{\"specversion\":\"1.0\",\"type\":\"google.cloud.audit.log.v1.written\",\"id\":\"ce-1\","
            "\"source\":\"//cloudaudit.googleapis.com/projects/proj-a/logs/activity\","
            "\"time\":\"2024-05-01T10:00:03Z\",\"data\":" MY_ENTRY "}", NULL);
    T_EQ_INT(o.score, 90);
    check_my_entry(&o);
    km_arena_free(&o.a);

    /* Eventarc: a CloudEvent carrying a Pub/Sub MessagePublishedData */
    {
        char data[4096], env[8192];
        b64(MY_ENTRY, data);
        snprintf(env, sizeof env,
                 "{\"specversion\":\"1.0\",\"type\":\"google.cloud.pubsub.topic.v1.messagePublished\","
                 "\"id\":\"e-2\",\"data\":{\"message\":{\"data\":\"%s\",\"messageId\":\"8\"},"
                 "\"subscription\":\"projects/proj-a/subscriptions/eventarc\"}}",
                 data);
        one(&o, env, NULL);
        T_EQ_INT(o.score, 85);
        check_my_entry(&o);
        km_arena_free(&o.a);
    }

    /* another protocol buffer in protoPayload (App Engine request log): a
     * plain entry, its HTTP status is not an rpc status */
    one(&o, "{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.appengine.logging.v1.RequestLog\","
            "\"status\":500,\"method\":\"GET\",\"ip\":\"192.0.2.1\"},\"insertId\":\"ae1\","
            "\"logName\":\"projects/p/logs/appengine.googleapis.com%2Frequest_log\",\"severity\":\"ERROR\","
            "\"timestamp\":\"2024-05-01T10:00:00Z\"}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_SOURCE), "gcp.logging");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "appengine.googleapis.com/request_log");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");
    T_EQ_INT(o.ctx.problems, 0);
    km_arena_free(&o.a);

    /* protoPayload as a JSON string (re-serialised exports) */
    one(&o, "{\"insertId\":\"s1\",\"logName\":\"organizations/42/logs/cloudaudit.googleapis.com%2Fdata_access\","
            "\"protoPayload\":\"{\\\"methodName\\\":\\\"storage.objects.get\\\",\\\"authorizationInfo\\\":"
            "[{\\\"permission\\\":\\\"storage.objects.get\\\",\\\"granted\\\":true,\\\"permissionType\\\":"
            "\\\"DATA_READ\\\"}]}\",\"timestamp\":\"2024-05-01T10:00:00+02:00\"}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_SOURCE), "gcp.audit.data_access");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "organizations/42");
    T_EQ_INT(o.ev.read_only, 1);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T08:00:00Z");
    km_arena_free(&o.a);
}

static void test_workspace_and_transparency(void)
{
    struct one o;
    one(&o, "{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
            "\"authenticationInfo\":{\"principalEmail\":\"Alice@Example.org\"},\"requestMetadata\":"
            "{\"callerIp\":\"203.0.113.9\",\"requestAttributes\":{},\"destinationAttributes\":{}},"
            "\"serviceName\":\"login.googleapis.com\",\"methodName\":\"google.login.LoginService.loginFailure\","
            "\"resourceName\":\"organizations/123456789012\",\"metadata\":{\"event\":[{\"eventName\":"
            "\"login_failure\",\"eventType\":\"login\"}]}},\"insertId\":\"w1\",\"resource\":{\"type\":"
            "\"audited_resource\",\"labels\":{\"service\":\"login.googleapis.com\"}},\"timestamp\":"
            "\"2024-03-01T10:00:00Z\",\"severity\":\"NOTICE\",\"logName\":"
            "\"organizations/123456789012/logs/cloudaudit.googleapis.com%2Fdata_access\"}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_PROVIDER), "workspace");
    T_EQ_STR(fs(&o.ev, KM_F_SOURCE), "workspace.login");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "authentication");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "alice@example.org");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "organizations/123456789012");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "203.0.113.9");
    T_EQ_INT(o.ev.read_only, -1);
    km_arena_free(&o.a);

    one(&o, "{\"protoPayload\":{\"serviceName\":\"login.googleapis.com\",\"methodName\":"
            "\"google.login.LoginService.passwordEdit\",\"authenticationInfo\":{\"principalEmail\":"
            "\"bob@example.org\"}},\"timestamp\":\"2024-03-01T10:05:00Z\"}", NULL);
    T_EQ_STR(fs(&o.ev, KM_F_SOURCE), "workspace.login");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    km_arena_free(&o.a);

    one(&o, "{\"insertId\":\"at-1\",\"jsonPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit."
            "TransparencyLog\",\"location\":{\"principalOfficeCountry\":\"US\",\"principalEmployingEntity\":"
            "\"Google LLC\"},\"product\":[\"Cloud Storage\"],\"reason\":[{\"detail\":\"Case number: 42\","
            "\"type\":\"CUSTOMER_INITIATED_SUPPORT\"}],\"accesses\":[{\"methodName\":\"GoogleInternal.Read\","
            "\"resourceName\":\"//googleapis.com/storage/buckets/b1/objects/o1\"}]},\"logName\":"
            "\"projects/p1/logs/cloudaudit.googleapis.com%2Faccess_transparency\",\"resource\":{\"type\":"
            "\"project\",\"labels\":{\"project_id\":\"p1\"}},\"severity\":\"NOTICE\",\"timestamp\":"
            "\"2024-03-02T00:00:00Z\"}", NULL);
    T_CHECK(o.score >= 90);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_SOURCE), "gcp.access_transparency");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "google_personnel");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "GoogleInternal.Read");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "Cloud Storage");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES), "[{\"id\":\"//googleapis.com/storage/buckets/b1/objects/o1\"}]");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "api");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    T_EQ_INT(o.ev.severity, -1);
    km_arena_free(&o.a);

    /* a plain application entry keeps its LogSeverity */
    one(&o, "{\"logName\":\"projects/p1/logs/stderr\",\"textPayload\":\"panic\",\"severity\":\"ERROR\","
            "\"resource\":{\"type\":\"k8s_container\",\"labels\":{\"project_id\":\"p1\",\"location\":"
            "\"europe-west4\"}},\"timestamp\":\"2024-03-02T00:00:00Z\"}", NULL);
    T_EQ_STR(fs(&o.ev, KM_F_SOURCE), "gcp.logging");
    T_EQ_INT(o.ev.severity, 62);
    T_EQ_STR(fs(&o.ev, KM_F_REGION), "europe-west4");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "(absent)");
    km_arena_free(&o.a);
}

/* No principalEmail: the e-mail comes from principalSubject, after its
 * "serviceAccount:" or "user:" prefix, lower-cased; a subject that is no
 * e-mail after its prefix gives none. */
static void test_subject_email_fallback(void)
{
    static const char *const subj[][3] = {
        {"serviceAccount:Builder@Proj-7.iam.gserviceaccount.com",
         "builder@proj-7.iam.gserviceaccount.com", "service_account"},
        {"user:Ana.Diaz@Corp.Test", "ana.diaz@corp.test", "user"},
        {"serviceAccount:not-an-address", "(absent)", "service_account"},
        {"group:team@corp.test", "(absent)", "unknown"},
    };
    for (size_t i = 0; i < sizeof subj / sizeof subj[0]; i++) {
        char rec[1024];
        snprintf(rec, sizeof rec,
                 "{\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%%2Factivity\","
                 "\"insertId\":\"s%zu\",\"timestamp\":\"2024-05-01T10:00:00Z\",\"protoPayload\":{"
                 "\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\",\"serviceName\":"
                 "\"iam.googleapis.com\",\"methodName\":\"google.iam.admin.v1.CreateRole\","
                 "\"authenticationInfo\":{\"principalSubject\":\"%s\"}},"
                 "\"resource\":{\"type\":\"iam_role\",\"labels\":{\"project_id\":\"p\"}}}",
                 i, subj[i][0]);
        struct one o;
        one(&o, rec, NULL);
        T_EQ_INT(o.rc, KM_OK);
        T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), subj[i][1]);
        T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), subj[i][2]);
        T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ID), subj[i][0]);
        km_arena_free(&o.a);
    }
}

static void test_types_and_delegation(void)
{
    struct one o;
    one(&o, "{\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Factivity\",\"insertId\":7,"
            "\"timestamp\":1714557600,\"protoPayload\":{\"serviceName\":[\"x\"],\"methodName\":"
            "\"v1.compute.instances.setIamPolicy\",\"status\":{\"code\":\"seven\"},"
            "\"authenticationInfo\":{\"principalSubject\":\"principal://iam.googleapis.com/locations/global/"
            "workforcePools/wf/subject/u1\",\"serviceAccountDelegationInfo\":[{\"principalSubject\":"
            "\"serviceAccount:a@p.iam.gserviceaccount.com\"},{\"thirdPartyPrincipal\":{\"thirdPartyClaims\":"
            "{\"sub\":\"ext-7\"}}},\"junk\"]},\"requestMetadata\":{\"callerIp\":\"private\"},"
            "\"authorizationInfo\":{}},\"resource\":{\"type\":\"gce_instance\",\"labels\":[]}}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00Z");        /* epoch number, counted */
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID),
             "projects/p/logs/cloudaudit.googleapis.com/activity#7@2024-05-01T10:00:00Z");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "account_change");      /* setIamPolicy */
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");              /* unreadable status code */
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "federated");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_SESSION_ISSUER), "serviceAccount:a@p.iam.gserviceaccount.com -> ext-7");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "private");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "p");
    /* timestamp, insertId, serviceName, status.code, delegation "junk",
     * authorizationInfo, resource.labels */
    T_EQ_INT(o.ctx.problems, 7);
    T_EQ_STR(o.ctx.note, "timestamp is a number, expected a timestamp string");
    km_arena_free(&o.a);

    /* status without code, status {} and code 0 are successes */
    one(&o, "{\"protoPayload\":{\"methodName\":\"m.Get\",\"status\":{\"message\":\"OK\"}}}", NULL);
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    T_EQ_INT(o.ev.read_only, 1);
    km_arena_free(&o.a);
    one(&o, "{\"protoPayload\":{\"methodName\":\"m\",\"status\":{\"code\":0}}}", NULL);
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_CODE), "(absent)");
    km_arena_free(&o.a);
    one(&o, "{\"protoPayload\":{\"methodName\":\"m\",\"status\":{\"code\":16}}}", NULL);
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_MESSAGE), "UNAUTHENTICATED");
    km_arena_free(&o.a);
    one(&o, "{\"protoPayload\":{\"methodName\":\"m\",\"status\":{\"code\":99,\"message\":\"odd\"}}}", NULL);
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_CODE), "99");
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_MESSAGE), "odd");
    km_arena_free(&o.a);

    /* not a LogEntry at all */
    one(&o, "[1]", NULL);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);
    one(&o, "{\"methodName\":\"v1.compute.firewalls.insert\"}", NULL);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);
}

static void test_detect_scores(void)
{
    struct one o;
    /* CloudTrail, Azure, EventBridge records are not ours */
    one(&o, "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
            "\"eventTime\":\"2024-01-01T00:00:00Z\"}", "Records");
    T_EQ_INT(o.score, 0);
    T_CHECK(o.src == &km_source_cloudtrail);
    km_arena_free(&o.a);
    one(&o, "{\"time\":\"2024-01-01T00:00:00Z\",\"resourceId\":\"/SUBSCRIPTIONS/X\",\"operationName\":"
            "\"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE\",\"category\":\"Administrative\",\"properties\":{}}", NULL);
    T_EQ_INT(o.score, 0);
    km_arena_free(&o.a);
    one(&o, "{\"timestamp\":1714557600000,\"message\":\"{\\\"eventVersion\\\":\\\"1.08\\\","
            "\\\"eventSource\\\":\\\"s3.amazonaws.com\\\"}\"}", "logEvents");
    T_EQ_INT(o.score, 0);
    km_arena_free(&o.a);
    /* an SNS-like {message: string} is not a Pub/Sub envelope */
    one(&o, "{\"message\":\"hello\",\"subscription\":\"x\"}", NULL);
    T_EQ_INT(o.score, 0);
    km_arena_free(&o.a);
    /* ours: minimal shapes */
    one(&o, "{\"protoPayload\":{\"methodName\":\"x\"}}", NULL);
    T_EQ_INT(o.score, 80);
    km_arena_free(&o.a);
    one(&o, "{\"logName\":\"projects/p/logs/x\",\"textPayload\":\"t\",\"insertId\":\"i\"}", NULL);
    T_EQ_INT(o.score, 80);
    km_arena_free(&o.a);
    /* CloudTrail does not claim ours, and the aliases never detect */
    one(&o, MY_ENTRY, NULL);
    T_CHECK(o.src == &km_source_gcp_audit);
    T_EQ_INT(km_source_gcp_audit_activity.detect(NULL, NULL), 0);
    km_arena_free(&o.a);
}

int main(void)
{
    T_RUN(test_plaso);
    T_RUN(test_cloudevents);
    T_RUN(test_panther);
    T_RUN(test_totals);
    T_RUN(test_pubsub_push);
    T_RUN(test_gcloud_entries_cloudevent);
    T_RUN(test_workspace_and_transparency);
    T_RUN(test_types_and_delegation);
    T_RUN(test_subject_email_fallback);
    T_RUN(test_detect_scores);
    return t_done();
}
