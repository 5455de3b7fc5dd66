/*
 * test_m365_audit.c — the Microsoft 365 modules (m365.audit, m365.defender)
 * and the Windows event-log rejector (windows.eventlog) against the corpus
 * and against hand-written records for the shapes the corpus lacks.
 *
 * Corpus: plaso's microsoft_audit_log.jsonl (AuditData records: Exchange
 * admin cmdlets and an Entra UserLoggedIn) and the OTRF GoldenSAML zips
 * (OfficeActivity row, Microsoft 365 Defender advanced-hunting rows, Windows
 * event-log rows, Entra AuditLogs rows that are not ours). Values were read
 * by hand with jq. Zip members are read with libarchive.
 */
#include "t.h"
#include "corpus.h"

extern const struct km_source km_source_m365_audit;
extern const struct km_source km_source_m365_defender;
extern const struct km_source km_source_windows_eventlog;

/* Loader options (corpus.h): JSON Lines only (a single-object file is one line); an undetected record
 * is normalized by m365.audit so the totals count its KM_ERECORD. */
static const struct corpus_opts OPTS = {.lines_only = 1, .fallback = &km_source_m365_audit};

#define PLASO "plaso-test-data/test_data/jsonl/microsoft_audit_log.jsonl"
#define GOLDEN "otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/"

/* ---- corpus -------------------------------------------------------------------- */

static void test_plaso_auditdata(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    T_EQ_INT(s.n, 4);   /* 3 newlines: the last line has none */
    T_EQ_INT(s.bad_json, 0);
    struct rec *r = by_line(&s, 1);
    NEED(r);
    T_CHECK(r->src == &km_source_m365_audit);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(&r->ev, KM_F_PROVIDER), "m365");
    T_EQ_STR(fs(&r->ev, KM_F_SOURCE), "m365.audit");
    T_EQ_STR(tm(r->ev.time_us), "2022-05-07T12:55:53Z");   /* no zone: UTC */
    T_EQ_INT(r->ev.flags, 0);
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "c9d2d808-0efe-48cb-eaec-08da3028eb80");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Install-DefaultSharingPolicy");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Exchange");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "config_change");
    T_EQ_INT(r->ev.read_only, 0);
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "ExchangeAdmin");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "5a0f38c6-710b-4503-92c0-3a9f6e00f726");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "DcAdmin");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");   /* ResultStatus "True" */
    T_EQ_STR(fs(&r->ev, KM_F_SRC_RAW), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"id\":\"sst5f.onmicrosoft.com\\\\952cae95-808b-4aa7-b783-a9151be9a05a\"}]");

    r = by_line(&s, 3);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Set-AdminAuditLogConfig");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "cc0bb5b2-b540-4640-5e1c-08da3028fe4f");
    T_EQ_STR(tm(r->ev.time_us), "2022-05-07T12:56:24Z");

    /* an Entra ID sign-in seen through the unified audit log */
    r = by_line(&s, 4);
    NEED(r);
    T_EQ_STR(tm(r->ev.time_us), "2022-05-08T15:13:41Z");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "0a454a7b-fbac-4329-a20c-72bad3bc5000");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "UserLoggedIn");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "AzureActiveDirectory");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "authentication");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "AzureActiveDirectoryStsLogon");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "Regular");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "piet@sst5f.onmicrosoft.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "piet@sst5f.onmicrosoft.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "55425677-a6b7-4df1-8068-709eb4162d42");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "0.0.0.0");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_INT(r->ev.read_only, -1);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES), "[{\"id\":\"00000003-0000-0000-c000-000000000000\"}]");
    set_free(&s);
}

static void test_otrf_office_activity(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_zip(&s, GOLDEN "OfficeActivityEvents.Zip"), 1);
    T_EQ_INT(s.n, 1);
    struct rec *r = by_line(&s, 1);
    NEED(r);
    T_CHECK(r->src == &km_source_m365_audit);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(tm(r->ev.time_us), "2021-08-02T13:32:07Z");
    T_EQ_INT(r->ev.flags, 0);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "MailItemsAccessed");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Exchange");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "api");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "699e0b10-1c53-403e-976f-ce0847a92b44");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "50");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "00000000-0000-0000-0000-000000000000");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "pgustavo@simulandlabs.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "100320015858B802");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "Regular");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "1.2.3.4");   /* Client_IPAddress (ClientIP is null) */
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&r->ev, KM_F_USER_AGENT), "Client=REST;;");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES), "[{\"type\":\"mailbox\",\"name\":\"pgustavo@simulandlabs.com\"}]");
    set_free(&s);
}

static void test_otrf_defender(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_zip(&s, GOLDEN "Microsoft365DefenderEvents.Zip"), 1);
    T_EQ_INT(s.n, 9);
    for (int i = 0; i < s.n; i++) {
        T_CHECK(s.r[i].src == &km_source_m365_defender);
        T_EQ_INT(s.r[i].rc, KM_OK);
    }
    /* a device row: LDAP search by PowerShell on the AD FS server */
    struct rec *r = by_line(&s, 1);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_SOURCE), "m365.defender");
    T_EQ_STR(tm(r->ev.time_us), "2021-08-02T13:11:39.772449Z");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "LdapSearch");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "00000000-0000-0000-0000-000000000000:113597");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "wardog@simulandlabs.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "wardog@simulandlabs.com");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "unknown");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"device\",\"id\":\"00000000-0000-0000-0000-000000000000\",\"name\":"
             "\"adfs01.simulandlabs.com\"}]");

    /* an identity row: directory replication (DCSync-like) */
    r = by_line(&s, 6);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "Directory Services replication");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Active Directory");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "3ab932f1-c0d9-4c09-bb4d-dfc0852bbdf7_106830890_1627909982057_20940");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "pgustavo@simulandlabs.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "aead923d-498b-4f64-a66c-2af91447a8b6");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "192.168.2.5");

    /* a cloud-app row carrying the unified-audit-log record: linked to it */
    r = by_line(&s, 8);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "MailItemsAccessed");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "Microsoft Exchange Online");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "Run");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "106830890_20893_699e0b10-1c53-403e-976f-ce0847a92b44");
    T_EQ_STR(fs(&r->ev, KM_F_RELATED), "[\"699e0b10-1c53-403e-976f-ce0847a92b44\"]");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "00000000-0000-0000-0000-000000000000");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "SimuLandApp");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "pgustavo@simulandlabs.com");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "1.2.3.4");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES), "[{\"type\":\"Task\",\"name\":\"MailItemsAccessed\"}]");
    set_free(&s);
}

static void test_otrf_windows_rejected(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_zip(&s, GOLDEN "WindowsEvents.Zip"), 1);
    T_EQ_INT(s.n, 38);
    int sec = 0, ev = 0, bare = 0;
    for (int i = 0; i < s.n; i++) {
        struct rec *r = &s.r[i];
        T_CHECK(r->src == &km_source_windows_eventlog);
        T_EQ_INT(r->rc, KM_ERECORD);
        T_EQ_INT(r->ctx.emit, 0);
        T_CHECK(strstr(r->kerr.msg, "Windows event-log row") != NULL);
        T_CHECK(strstr(r->kerr.msg, "not a cloud audit log") != NULL);
        sec += strstr(r->kerr.msg, "Log Analytics SecurityEvent,") != NULL;
        ev += strstr(r->kerr.msg, "Log Analytics Event,") != NULL;
        bare += strstr(r->kerr.msg, "no table name") != NULL;
    }
    /* by hand: Type SecurityEvent 35, Event 2, one row without Type */
    T_EQ_INT(sec, 35);
    T_EQ_INT(ev, 2);
    T_EQ_INT(bare, 1);
    struct rec *r = by_line(&s, 3);
    NEED(r);
    T_EQ_STR(r->kerr.msg, "Windows event-log row (Log Analytics SecurityEvent, EventID 4624 on "
                         "DC01.simulandlabs.com): a host log, not a cloud audit log; not ingested");
    set_free(&s);
}

/* Entra ID AuditLogs rows (Log Analytics) in the same dataset are not ours. */
static void test_otrf_entra_not_claimed(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_zip(&s, GOLDEN "AADAuditEvents.Zip"), 1);
    T_EQ_INT(s.n, 4);
    for (int i = 0; i < s.n; i++)
        T_CHECK(s.r[i].src != &km_source_m365_audit && s.r[i].src != &km_source_m365_defender &&
                s.r[i].src != &km_source_windows_eventlog);
    set_free(&s);
}

/* Totals, and that no other corpus file is claimed by these modules. */
static void test_totals(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    T_EQ_INT(load_zip(&s, GOLDEN "OfficeActivityEvents.Zip"), 1);
    T_EQ_INT(load_zip(&s, GOLDEN "Microsoft365DefenderEvents.Zip"), 1);
    int audit = 0, def = 0, bad = 0;
    for (int i = 0; i < s.n; i++) {
        struct rec *r = &s.r[i];
        audit += r->src == &km_source_m365_audit;
        def += r->src == &km_source_m365_defender;
        bad += r->rc != KM_OK;
        if (r->rc != KM_OK)
            continue;
        T_CHECK(r->ev.f[KM_F_ACTOR_TYPE].p && r->ev.f[KM_F_OUTCOME].p && r->ev.f[KM_F_CATEGORY].p);
        T_CHECK(r->ev.time_us > 0 && r->ev.flags == 0 && r->ctx.problems == 0);
    }
    T_EQ_INT(s.n, 14);
    T_EQ_INT(audit, 5);
    T_EQ_INT(def, 9);
    T_EQ_INT(bad, 0);
    T_EQ_INT(s.bad_json, 0);
    set_free(&s);

    static const char *const others[] = {
        "panther-analysis-tests/extracted/Azure_Audit.jsonl",
        "panther-analysis-tests/extracted/Azure_MonitorActivity.jsonl",
        "panther-analysis-tests/extracted/AWS_CloudTrail.jsonl",
        "panther-analysis-tests/extracted/GCP_AuditLog.jsonl",
        "panther-analysis-tests/extracted/AWS_GuardDuty.jsonl",
        "plaso-test-data/test_data/jsonl/azure_activity_log.jsonl",
        "plaso-test-data/test_data/jsonl/aws_cloudtrail.jsonl",
        "plaso-test-data/test_data/jsonl/gcp_logging.jsonl",
    };
    int total = 0;
    for (size_t f = 0; f < KM_ARRAY_LEN(others); f++) {
        set_init(&s, &OPTS);
        T_EQ_INT(load_file(&s, others[f]), 0);
        total += s.n;
        for (int i = 0; i < s.n; i++)
            T_CHECK(s.r[i].src != &km_source_m365_audit && s.r[i].src != &km_source_m365_defender &&
                    s.r[i].src != &km_source_windows_eventlog);
        set_free(&s);
    }
    T_CHECK(total > 900);
}

/* ---- hand-written shapes ------------------------------------------------------------ */

struct one {
    struct km_arena a;
    struct km_norm_ctx ctx;
    struct km_event ev;
    struct km_err err;
    int rc, score;
    const struct km_source *best;
};

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
    o->score = m->detect(root, NULL);
    o->best = km_source_detect(root, NULL, NULL);
    o->ctx.arena = &o->a;
    o->ctx.file = "test";
    km_event_init(&o->ev);
    km_err_clear(&o->err);
    o->rc = m->normalize(root, &o->ctx, &o->ev, &o->err);
}

static void test_search_unifiedauditlog(void)
{
    /* PowerShell 5 ConvertTo-Json of Search-UnifiedAuditLog output: the
     * record as JSON text in AuditData; CreationDate "/Date(ms)/" */
    struct one o;
    one(&o,
        "{\"RecordType\":\"ExchangeAdmin\",\"CreationDate\":\"/Date(1714557600000)/\","
        "\"UserIds\":\"admin@contoso.example\",\"Operations\":\"Add-MailboxPermission\","
        "\"AuditData\":\"{\\\"CreationTime\\\":\\\"2024-05-01T10:00:00\\\",\\\"Id\\\":"
        "\\\"11111111-2222-3333-4444-555555555555\\\",\\\"Operation\\\":\\\"Add-MailboxPermission\\\","
        "\\\"OrganizationId\\\":\\\"org-1\\\",\\\"RecordType\\\":1,\\\"ResultStatus\\\":\\\"True\\\","
        "\\\"UserKey\\\":\\\"NT AUTHORITY\\\\\\\\SYSTEM\\\",\\\"UserType\\\":2,\\\"Workload\\\":"
        "\\\"Exchange\\\",\\\"ClientIP\\\":\\\"[2001:DB8::7]:51234\\\",\\\"ObjectId\\\":\\\"victim\\\","
        "\\\"UserId\\\":\\\"Admin@Contoso.example\\\"}\",\"ResultIndex\":1,\"ResultCount\":1,"
        "\"Identity\":\"11111111-2222-3333-4444-555555555555\",\"IsValid\":true,\"ObjectState\":\"Unchanged\"}",
        &km_source_m365_audit);
    T_EQ_INT(o.score, 95);
    T_CHECK(o.best == &km_source_m365_audit);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00Z");
    T_EQ_INT(o.ev.flags, 0);
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "11111111-2222-3333-4444-555555555555");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "account_change");
    T_EQ_INT(o.ev.read_only, 0);
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "Admin");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "admin@contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_NAME), "Admin@Contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "[2001:DB8::7]:51234");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "2001:db8::7");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "ExchangeAdmin");
    km_arena_free(&o.a);

    /* AuditData not JSON: the summary fields still make an event */
    one(&o,
        "{\"RecordType\":\"SharePointFileOperation\",\"CreationDate\":\"/Date(1714557600123)/\","
        "\"UserIds\":\"bob@contoso.example\",\"Operations\":\"FileDownloaded\",\"AuditData\":\"{oops\","
        "\"Identity\":\"id-2\"}",
        &km_source_m365_audit);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00.123000Z");
    T_EQ_INT(o.ev.flags, KM_EV_TIME_FALLBACK | KM_EV_TYPE_PROBLEM);
    T_EQ_INT(o.ctx.problems, 1);
    T_CHECK(strncmp(o.ctx.note, "AuditData is not valid JSON", 27) == 0);
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "FileDownloaded");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "id-2");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "bob@contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "SharePointFileOperation");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");
    km_arena_free(&o.a);
}

static void test_graph_and_api_records(void)
{
    /* Graph security auditLogRecord (under "value" in a list response) */
    struct one o;
    one(&o,
        "{\"id\":\"g-1\",\"createdDateTime\":\"2024-05-02T08:00:00Z\",\"auditLogRecordType\":"
        "\"SharePointFileOperation\",\"operation\":\"FileAccessed\",\"organizationId\":\"org-2\","
        "\"userType\":\"regular\",\"userId\":\"u-guid\",\"userPrincipalName\":\"Carol@Contoso.example\","
        "\"clientIp\":\"198.51.100.20\",\"objectId\":\"https://contoso.sharepoint.com/doc.docx\","
        "\"service\":\"SharePoint\",\"auditData\":{\"ResultStatus\":\"Succeeded\",\"UserAgent\":\"UA/1\"}}",
        &km_source_m365_audit);
    T_EQ_INT(o.score, 90);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-02T08:00:00Z");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "g-1");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "FileAccessed");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "SharePoint");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "carol@contoso.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ID), "u-guid");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "regular");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(&o.ev, KM_F_USER_AGENT), "UA/1");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "198.51.100.20");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES), "[{\"id\":\"https://contoso.sharepoint.com/doc.docx\"}]");
    km_arena_free(&o.a);

    /* Management Activity API: a failed Entra sign-in with its details in
     * ExtendedProperties, the session in AppAccessContext, IPv4 with a port */
    one(&o,
        "{\"CreationTime\":\"2024-05-03T09:00:00\",\"Id\":\"a-1\",\"Operation\":\"UserLoginFailed\","
        "\"OrganizationId\":\"org-3\",\"RecordType\":15,\"ResultStatus\":\"Failed\",\"UserKey\":\"k\","
        "\"UserType\":0,\"Workload\":\"AzureActiveDirectory\",\"ClientIP\":\"203.0.113.5:4431\","
        "\"UserId\":\"dave@contoso.example\",\"ExtendedProperties\":[{\"Name\":\"UserAgent\",\"Value\":"
        "\"Mozilla/5.0\"},{\"Name\":\"LogonError\",\"Value\":\"InvalidPassword\"}],"
        "\"AppAccessContext\":{\"AADSessionId\":\"sess-9\"}}",
        &km_source_m365_audit);
    T_EQ_INT(o.score, 100);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "authentication");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_CODE), "InvalidPassword");
    T_EQ_STR(fs(&o.ev, KM_F_USER_AGENT), "Mozilla/5.0");
    T_EQ_STR(fs(&o.ev, KM_F_SESSION_ID), "sess-9");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "203.0.113.5");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "AzureActiveDirectoryStsLogon");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "Regular");
    km_arena_free(&o.a);

    /* Entra interrupts in the UAL: UserLoginFailed with ErrorNumber 50074
     * (the MFA prompt step) is interrupted, not failed; the LogonError name
     * alone (top-level, as the STS logon schema writes it) says the same;
     * a wrong password stays a failure */
    static const char *const ual_fail[][3] = {
        {"\"ErrorNumber\":\"50074\",\"LogonError\":\"UserStrongAuthClientAuthNRequiredInterrupt\"",
         "interrupted", "UserStrongAuthClientAuthNRequiredInterrupt"},
        {"\"LogonError\":\"KmsiInterrupt\"", "interrupted", "KmsiInterrupt"},
        {"\"ErrorNumber\":50126,\"LogonError\":\"InvalidUserNameOrPassword\"", "failure",
         "InvalidUserNameOrPassword"},
        {"\"ErrorNumber\":\"50053\"", "failure", "(absent)"},
        {"\"LogonError\":\"SomethingNew\"", "failure", "SomethingNew"},
    };
    for (size_t i = 0; i < sizeof ual_fail / sizeof ual_fail[0]; i++) {
        char rec[512];
        snprintf(rec, sizeof rec,
                 "{\"CreationTime\":\"2024-05-03T09:00:00\",\"Id\":\"f-%zu\",\"Operation\":"
                 "\"UserLoginFailed\",\"RecordType\":15,\"ResultStatus\":\"Failed\",\"Workload\":"
                 "\"AzureActiveDirectory\",\"UserId\":\"erin@contoso.example\",%s}",
                 i, ual_fail[i][0]);
        one(&o, rec, &km_source_m365_audit);
        T_EQ_INT(o.rc, KM_OK);
        T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), ual_fail[i][1]);
        T_EQ_STR(fs(&o.ev, KM_F_ERROR_CODE), ual_fail[i][2]);
        km_arena_free(&o.a);
    }
    /* a UserLoggedIn the UAL calls a success keeps it, whatever its ErrorNumber */
    one(&o,
        "{\"CreationTime\":\"2024-05-03T09:00:00\",\"Id\":\"s-1\",\"Operation\":\"UserLoggedIn\","
        "\"RecordType\":15,\"ResultStatus\":\"Success\",\"ErrorNumber\":\"50140\"}",
        &km_source_m365_audit);
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    km_arena_free(&o.a);

    /* directory change through the UAL; Get- cmdlet; unknown UserType */
    one(&o,
        "{\"CreationTime\":\"2024-05-03T09:00:00\",\"Id\":\"a-2\",\"Operation\":\"Add member to role.\","
        "\"RecordType\":8,\"Workload\":\"AzureActiveDirectory\",\"UserType\":9}",
        &km_source_m365_audit);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "9");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");
    km_arena_free(&o.a);
    one(&o, "{\"CreationTime\":\"2024-05-03T09:00:00\",\"Operation\":\"Get-Mailbox\",\"RecordType\":1}",
        &km_source_m365_audit);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "api");
    T_EQ_INT(o.ev.read_only, 1);
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "");
    km_arena_free(&o.a);
    one(&o, "{\"CreationTime\":\"2024-05-03T09:00:00\",\"Operation\":\"New-InboxRule\",\"RecordType\":1,"
            "\"Workload\":\"Exchange\"}", &km_source_m365_audit);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "config_change");
    km_arena_free(&o.a);
    one(&o, "{\"CreationTime\":\"2024-05-03T09:00:00\",\"Operation\":\"AlertTriggered\",\"RecordType\":40}",
        &km_source_m365_audit);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "finding");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "40");
    km_arena_free(&o.a);
}

static void test_type_problems_and_rejects(void)
{
    struct one o;
    one(&o,
        "{\"CreationTime\":\"later\",\"Operation\":\"FileAccessed\",\"RecordType\":6,\"UserId\":5,"
        "\"ClientIP\":{},\"Workload\":[\"x\"],\"ResultStatus\":true}",
        &km_source_m365_audit);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_INT(o.ev.time_us, 0);
    T_CHECK(o.ev.flags & KM_EV_TIME_MISSING);
    T_CHECK(o.ev.flags & KM_EV_TYPE_PROBLEM);
    T_CHECK(o.ctx.problems >= 4);
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_NAME), "5");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "SharePointFileOperation");
    km_arena_free(&o.a);

    one(&o, "{\"CreationTime\":\"2024-05-03T09:00:00\",\"RecordType\":1}", &km_source_m365_audit);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "no Operation") != NULL);
    km_arena_free(&o.a);

    one(&o, "{\"Timestamp\":\"2024-01-01T00:00:00Z\",\"ActionType\":\"\",\"ReportId\":1}",
        &km_source_m365_defender);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);

    /* a Defender row with only a numeric ReportId and a device name */
    one(&o, "{\"Timestamp\":\"2024-01-01T00:00:00Z\",\"ActionType\":\"ProcessCreated\",\"ReportId\":42,"
            "\"DeviceName\":\"pc1\"}", &km_source_m365_defender);
    T_EQ_INT(o.score, 90);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "pc1:42");
    T_EQ_INT(o.ctx.problems, 0);
    T_EQ_INT(o.ev.flags, 0);
    km_arena_free(&o.a);

    /* detection: CloudTrail and Entra records are not ours */
    one(&o, "{\"eventVersion\":\"1.08\",\"eventName\":\"ConsoleLogin\",\"eventSource\":\"signin.amazonaws.com\"}",
        &km_source_m365_audit);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(km_source_m365_defender.detect(NULL, NULL), 0);
    km_arena_free(&o.a);
    one(&o, "{\"Operation\":\"x\"}", &km_source_m365_audit);
    T_EQ_INT(o.score, 0);   /* an Operation alone is too little */
    km_arena_free(&o.a);
    one(&o, "{\"EventID\":4624,\"Computer\":\"h\"}", &km_source_windows_eventlog);
    T_EQ_INT(o.score, 15);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_EQ_STR(o.err.msg, "Windows event-log row (no table name, EventID 4624 on h): a host log, "
                        "not a cloud audit log; not ingested");
    km_arena_free(&o.a);
}

int main(void)
{
    T_RUN(test_plaso_auditdata);
    T_RUN(test_otrf_office_activity);
    T_RUN(test_otrf_defender);
    T_RUN(test_otrf_windows_rejected);
    T_RUN(test_otrf_entra_not_claimed);
    T_RUN(test_totals);
    T_RUN(test_search_unifiedauditlog);
    T_RUN(test_graph_and_api_records);
    T_RUN(test_type_problems_and_rejects);
    return t_done();
}
