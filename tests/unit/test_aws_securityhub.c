/*
 * test_aws_securityhub.c — the Security Hub (ASFF) and GuardDuty source
 * modules against the corpus and against hand-written records for the shapes
 * the corpus lacks (EventBridge with one and with three findings, GuardDuty
 * EventBridge events with an access key and an IPv6 caller, PascalCase
 * GetFindings output, severity labels, workflow states, wrong types).
 *
 * Corpus files are read the way `kumo ingest` reads them: the real record
 * splitter cuts each file into records and km_normalize_record() detects and
 * normalizes each. Values checked below were read by hand with jq. Totals,
 * counted independently with jq: 6 ASFF documents and 4 EventBridge
 * documents (3 are event patterns, 1 an Insight Results event) in the
 * Security Hub guide plus one CloudTrail record and one text fragment that
 * is not JSON; 10 ASFF lines and 8 GuardDuty lines in the Panther tests.
 */
#include "t.h"
#include "corpus.h"

extern const struct km_source km_source_aws_securityhub;
extern const struct km_source km_source_aws_guardduty;
extern const struct km_source km_source_cloudtrail;

/* Loader options (corpus.h): the splitter + km_normalize_record, as ingest does. */
static const struct corpus_opts OPTS = {.split = 1};

#define SHDOCS "awsdocs-security-hub-user-guide/extracted"
#define PANTHER "panther-analysis-tests/extracted"

/* ---- corpus: Security Hub guide ---------------------------------------------------- */

static void test_docs_control_findings(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, SHDOCS "/sample-control-findings__01.asff.json"), 0);
    T_EQ_INT(s.n, 1);
    struct rec *r = find(&s, "sample-control-findings__01.asff.json", NULL);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_CHECK(r->src == &km_source_aws_securityhub);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.emit, 1);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(r->ctx.note, "");
    T_EQ_INT(ev->flags, 0);
    T_EQ_STR(tm(ev->time_us), "2021-09-28T16:10:00.093000Z");   /* UpdatedAt */
    T_EQ_STR(fs(ev, KM_F_PROVIDER), "aws");
    T_EQ_STR(fs(ev, KM_F_SOURCE), "aws.securityhub");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "123456789012");
    T_EQ_STR(fs(ev, KM_F_REGION), "us-east-2");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "finding");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "Security Hub");
    T_EQ_STR(fs(ev, KM_F_ACTION), "CloudTrail.2 CloudTrail should have encryption at-rest enabled");
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE),
             "Software and Configuration Checks/Industry and Regulatory Standards/"
             "AWS-Foundational-Security-Best-Practices");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");                    /* Compliance FAILED */
    T_EQ_INT(ev->severity, 40);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "arn:aws:securityhub:us-east-2:123456789012:subscription/aws-foundational-security-"
             "best-practices/v/1.0.0/CloudTrail.2/finding/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AwsCloudTrailTrail\",\"id\":\"arn:aws:cloudtrail:us-east-2:123456789012:"
             "trail/AWSMacieTrail-DO-NOT-EDIT\"}]");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY), "(absent)");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");

    T_EQ_INT(load_file(&s, SHDOCS "/sample-control-findings__05.asff.json"), 0);
    r = find(&s, "sample-control-findings__05.asff.json", NULL);
    NEED(r);
    T_EQ_STR(tm(r->ev.time_us), "2022-11-17T01:25:30.296000Z");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "us-east-1");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES), "[{\"type\":\"AwsAccount\",\"id\":\"AWS::::Account:123456789012\"}]");

    /* a finding of the Config integration: ProductName Config */
    T_EQ_INT(load_file(&s, SHDOCS "/securityhub-internal-providers__01.asff.json"), 0);
    r = find(&s, "securityhub-internal-providers__01.asff.json", NULL);
    NEED(r);
    ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(ev, KM_F_SERVICE), "Config");
    T_EQ_STR(fs(ev, KM_F_ACTION), "s3-bucket-level-public-access-prohibited-config-integration-demo");
    T_EQ_STR(tm(ev->time_us), "2022-04-19T21:20:15.056000Z");
    T_EQ_STR(fs(ev, KM_F_REGION), "eu-central-1");
    T_EQ_INT(ev->severity, 40);
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AwsS3Bucket\",\"id\":\"arn:aws:s3:::config-integration-demo-bucket\"}]");
    set_free(&s);
}

static void test_docs_eventbridge_and_not_json(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, SHDOCS, ".eventbridge.json"), 4);
    T_EQ_INT(s.n, 4);
    /* the three event patterns: rejected, by the Security Hub module, with a reason */
    static const char *const patterns[] = {
        "securityhub-cwe-all-findings__01.eventbridge.json",
        "securityhub-cwe-custom-actions__01.eventbridge.json",
        "securityhub-cwe-custom-actions__02.eventbridge.json"};
    for (size_t i = 0; i < KM_ARRAY_LEN(patterns); i++) {
        struct rec *r = find(&s, patterns[i], NULL);
        NEED(r);
        T_EQ_INT(r->rc, KM_ERECORD);
        T_CHECK(r->src == &km_source_aws_securityhub);
        T_CHECK(strstr(r->err, "EventBridge event pattern") != NULL);
    }
    /* Insight Results: a real event, but no finding: evidence only */
    struct rec *r = find(&s, "securityhub-cwe-event-formats__01.eventbridge.json", NULL);
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.emit, 0);
    T_CHECK(r->src == &km_source_aws_securityhub);
    T_EQ_STR(tm(r->ev.time_us), "2017-12-22T18:43:48Z");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "111122223333");
    set_free(&s);

    /* the ASFF syntax skeleton is text, not JSON: one splitter error, no record */
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, SHDOCS "/securityhub-findings-format-syntax__full-syntax.fragment.txt"), 0);
    T_EQ_INT(s.n, 0);
    T_EQ_INT(s.ne, 1);
    T_EQ_INT(s.e[0].code, KM_EFORMAT);
    T_CHECK(strncmp(s.e[0].msg, "not JSON", 8) == 0);
    T_EQ_INT(s.e[0].line, 1);
    /* the CloudTrail record of the guide stays CloudTrail */
    T_EQ_INT(load_file(&s, SHDOCS "/securityhub-ct__01.event.json"), 0);
    T_EQ_INT(s.n, 1);
    T_CHECK(s.r[0].src == &km_source_cloudtrail);
    set_free(&s);
}

/* ---- corpus: Panther tests ------------------------------------------------------------ */

static void test_panther_asff(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER "/AWS_SecurityFindingFormat.jsonl"), 0);
    T_EQ_INT(s.n, 10);
    T_EQ_INT(s.ne, 0);
    /* line 1: decoy DynamoDB table read with an assumed-role access key */
    struct rec *r = &s.r[0];
    struct km_event *ev = &r->ev;
    T_EQ_INT(r->line, 1);
    T_CHECK(r->src == &km_source_aws_securityhub);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(tm(ev->time_us), "2024-05-24T22:53:24Z");   /* "2024-05-24 22:53:24.000000000" */
    T_EQ_INT(ev->flags & (KM_EV_TIME_FALLBACK | KM_EV_TIME_MISSING | KM_EV_TYPE_PROBLEM), 0);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "1abc2de3-69ea-4e15-91c6-27eb4a07bd21");
    T_EQ_INT(ev->severity, 70);
    T_EQ_STR(fs(ev, KM_F_SERVICE), "DecoyDetector");
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "Unusual Behaviors");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");            /* Workflow NEW */
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "11.111.11.111");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "11.111.11.111");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY), "ABC9ONWNS3155VIEJC8U");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "ABC9ONWNS3155VIEJC8U:john.doe");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "AssumedRole");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "user/tester/john.doe");   /* issuer UserName / session */
    T_EQ_STR(fs(ev, KM_F_ACTOR_ARN), "arn:aws:iam::123456789012:user/tester");
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER), "arn:aws:iam::123456789012:user/tester");
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "ABC9ONWNS3155VIEJC8U:john.doe@2024-05-24T22:32:38Z");
    T_EQ_INT(ev->mfa, 0);
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AwsDynamoDbTable\",\"id\":\"<id>\"},{\"type\":\"AwsIamAccessKey\","
             "\"id\":\"ABC9ONWNS3155VIEJC8U\"},{\"type\":\"AwsIamRole\",\"id\":"
             "\"arn:aws:iam::123456789012:user/tester\"}]");
    /* line 5: S3 decoy; the acting role resource has no ARN */
    r = &s.r[4];
    ev = &r->ev;
    T_EQ_INT(r->line, 5);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "ABC9ONWNS3155VIEJC8U");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "tester/john.doe");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ARN), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER), "arn:aws:iam::123456789012:role/tester");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "111.111.111.111");
    T_EQ_STR(tm(ev->time_us), "2024-05-24T00:26:57Z");
    /* line 7: KMS Decrypt without a remote IP */
    r = &s.r[6];
    T_EQ_STR(fs(&r->ev, KM_F_SRC_RAW), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ACCESS_KEY), "ABC12DEFSG3455VIEJC8U");
    T_EQ_STR(tm(r->ev.time_us), "2024-05-23T20:49:02Z");
    set_free(&s);
}

static void test_panther_guardduty(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER "/AWS_GuardDuty.jsonl"), 0);
    T_EQ_INT(s.n, 8);
    /* line 1: attack sequence, severity 9 → 90 */
    struct rec *r = &s.r[0];
    struct km_event *ev = &r->ev;
    T_CHECK(r->src == &km_source_aws_guardduty);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(fs(ev, KM_F_SOURCE), "aws.guardduty");
    T_EQ_STR(tm(ev->time_us), "2025-02-25T20:40:06.721000Z");   /* "2025-02-25 20:40:06.721" */
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "8c258d654378414b9bc26f61a93eb816");
    T_EQ_STR(fs(ev, KM_F_ACTION), "AttackSequence:IAM/CompromisedCredentials");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "finding");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "guardduty");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");            /* archived: false */
    T_EQ_INT(ev->severity, 90);
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "123456789012");
    T_EQ_STR(fs(ev, KM_F_REGION), "us-east-1");
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "[{\"type\":\"AttackSequence\"}]");
    /* line 3: API call by a service domain, an affected role */
    r = &s.r[2];
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACTION), "PrivilegeEscalation:IAMUser/AdministrativePermissions");
    T_EQ_INT(ev->severity, 80);
    T_EQ_STR(tm(ev->time_us), "2020-02-14T18:12:22.316000Z");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "cloudformation.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "eeb88ab56556eb7771b266670dddee5a");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::IAM::Role\",\"id\":\"arn:aws:iam::123456789012:role/IAMRole\"}]");
    T_EQ_INT(s.r[4].ev.severity, 10);   /* severity 1 */
    T_EQ_INT(s.r[6].ev.severity, 50);   /* severity 5 */
    set_free(&s);
}

/* ---- every record of every Security Hub / GuardDuty corpus file ------------------------- */

static void test_totals(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, SHDOCS, ".json"), 11);
    T_EQ_INT(load_file(&s, SHDOCS "/securityhub-findings-format-syntax__full-syntax.fragment.txt"), 0);
    T_EQ_INT(s.n, 11);
    T_EQ_INT(s.ne, 1);
    int sh = 0, ct = 0, events = 0, evidence = 0, erecord = 0;
    for (int i = 0; i < s.n; i++) {
        struct rec *r = &s.r[i];
        sh += r->src == &km_source_aws_securityhub;
        ct += r->src == &km_source_cloudtrail;
        events += r->rc == KM_OK && r->ctx.emit;
        evidence += r->rc == KM_OK && !r->ctx.emit;
        erecord += r->rc == KM_ERECORD;
    }
    T_EQ_INT(sh, 10);
    T_EQ_INT(ct, 1);
    T_EQ_INT(events, 7);     /* 6 ASFF + 1 CloudTrail */
    T_EQ_INT(evidence, 1);   /* Insight Results */
    T_EQ_INT(erecord, 3);    /* event patterns */
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER "/AWS_SecurityFindingFormat.jsonl"), 0);
    T_EQ_INT(load_file(&s, PANTHER "/AWS_GuardDuty.jsonl"), 0);
    T_EQ_INT(s.n, 18);
    T_EQ_INT(s.ne, 0);
    int gd = 0, ok = 0, withip = 0, withkey = 0;
    sh = 0;
    for (int i = 0; i < s.n; i++) {
        struct rec *r = &s.r[i];
        sh += r->src == &km_source_aws_securityhub;
        gd += r->src == &km_source_aws_guardduty;
        ok += r->rc == KM_OK && r->ctx.emit && r->ctx.problems == 0;
        withip += r->ev.f[KM_F_SRC_IP].p != NULL;
        withkey += r->ev.f[KM_F_ACTOR_ACCESS_KEY].p != NULL;
        T_CHECK(r->ev.severity >= 0 && r->ev.severity <= 100);
        T_CHECK(km_str_eqc(r->ev.f[KM_F_CATEGORY], "finding"));
        T_CHECK(r->ev.time_us > 0 && !(r->ev.flags & KM_EV_TIME_FALLBACK));
    }
    T_EQ_INT(sh, 10);
    T_EQ_INT(gd, 8);
    T_EQ_INT(ok, 18);
    T_EQ_INT(withip, 6);     /* jq: 6 ASFF lines have RemoteIpDetails.IpAddressV4 */
    T_EQ_INT(withkey, 10);   /* every ASFF line names an AwsIamAccessKey */
    set_free(&s);
}

/* ---- hand-written shapes ------------------------------------------------------------- */

struct one {
    struct km_arena a;
    struct km_norm_ctx ctx;
    struct km_event ev;
    struct km_err err;
    int rc, sh, gd;
    const struct km_source *src;
};

/* Runs km_normalize_record on text for event number `index` of the record;
 * records both modules' scores. */
static void one_at(struct one *o, const char *text, const char *wrapper, int index)
{
    memset(o, 0, sizeof *o);
    km_arena_init(&o->a, 0, 0);
    struct km_arena tmp;
    km_arena_init(&tmp, 0, 0);
    char *buf = km_arena_strndup(&tmp, text, strlen(text));
    struct km_json *root = NULL;
    if (km_json_parse(buf, strlen(text), NULL, &tmp, &root, NULL) == KM_OK) {
        o->sh = km_source_aws_securityhub.detect(root, wrapper);
        o->gd = km_source_aws_guardduty.detect(root, wrapper);
    }
    km_arena_free(&tmp);
    o->ctx.arena = &o->a;
    o->ctx.file = "test";
    o->ctx.wrapper = wrapper;
    o->ctx.index = index;
    km_err_clear(&o->err);
    o->rc = km_normalize_record(text, strlen(text), &o->ctx, NULL, NULL, &o->ev, &o->err);
    o->src = o->ctx.source;
}

static void one(struct one *o, const char *text, const char *wrapper)
{
    one_at(o, text, wrapper, 0);
}

#define ASFF(extra)                                                                            \
    "{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"f-1\",\"ProductArn\":\"arn:aws:securityhub:us-east-1::" \
    "product/aws/guardduty\",\"GeneratorId\":\"g\",\"AwsAccountId\":\"111122223333\",\"Types\":"  \
    "[\"TTPs/Initial Access\"],\"CreatedAt\":\"2024-05-01T10:00:00Z\",\"UpdatedAt\":"             \
    "\"2024-05-01T10:05:00Z\",\"Title\":\"t\"" extra "}"

static void test_eventbridge_asff(void)
{
    struct one o;
    /* one finding: normalized; no Region in the finding → Resources[0].Region */
    one(&o, "{\"version\":\"0\",\"id\":\"e\",\"detail-type\":\"Security Hub Findings - Imported\","
            "\"source\":\"aws.securityhub\",\"account\":\"111122223333\",\"time\":\"2024-05-01T10:06:00Z\","
            "\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"findings\":[" ASFF(
                ",\"Severity\":{\"Label\":\"CRITICAL\"},\"Resources\":[{\"Type\":\"AwsEc2Instance\","
                "\"Id\":\"arn:aws:ec2:eu-west-1:111122223333:instance/i-1\",\"Region\":\"eu-west-1\"}],"
                "\"Network\":{\"SourceIpV6\":\"2001:DB8::0:1\"},\"Workflow\":{\"Status\":\"RESOLVED\"}")
            "]}}", NULL);
    T_EQ_INT(o.sh, 95);
    T_EQ_INT(o.gd, 0);
    T_CHECK(o.src == &km_source_aws_securityhub);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:05:00Z");
    T_EQ_STR(fs(&o.ev, KM_F_REGION), "eu-west-1");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "guardduty");       /* from ProductArn */
    T_EQ_INT(o.ev.severity, 90);                           /* Label CRITICAL */
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");          /* RESOLVED */
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "2001:DB8::0:1");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "2001:db8::1");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "f-1");
    km_arena_free(&o.a);

    T_EQ_INT(o.ctx.count, 1);
    km_arena_free(&o.a);
    one(&o, "{\"detail-type\":\"Security Hub Findings - Custom Action\",\"source\":\"aws.securityhub\","
            "\"detail\":{\"actionName\":\"a\",\"findings\":[]}}", NULL);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "empty detail.findings") != NULL);
    km_arena_free(&o.a);
    one(&o, "{\"detail-type\":\"Findings Imported V2\",\"source\":\"aws.securityhub\","
            "\"detail\":{\"findings\":[{}]}}", NULL);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "OCSF") != NULL);
    km_arena_free(&o.a);

    /* under a Findings wrapper; Label-only severities and workflow states */
    static const struct {
        const char *extra;
        int sev;
        const char *outcome;
    } cases[] = {
        {",\"Severity\":{\"Label\":\"LOW\"},\"Workflow\":{\"Status\":\"SUPPRESSED\"}", 1, "unknown"},
        {",\"Severity\":{\"Label\":\"informational\"},\"Compliance\":{\"Status\":\"PASSED\"}", 0, "success"},
        {",\"Severity\":{\"Label\":\"HIGH\",\"Normalized\":75},\"WorkflowState\":\"NEW\"", 75, "failure"},
        {",\"Severity\":{\"Label\":\"MEDIUM\"},\"Compliance\":{\"Status\":\"WARNING\"}", 40, "unknown"},
        {",\"FindingProviderFields\":{\"Severity\":{\"Label\":\"HIGH\"}}", 70, "unknown"},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(cases); i++) {
        char text[1024];
        snprintf(text, sizeof text, ASFF("%s"), cases[i].extra);
        one(&o, text, "Findings");
        T_EQ_INT(o.sh, 100);
        T_EQ_INT(o.rc, KM_OK);
        T_EQ_INT(o.ev.severity, cases[i].sev);
        T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), cases[i].outcome);
        T_EQ_INT(o.ctx.problems, 0);
        km_arena_free(&o.a);
    }
}

/* Three findings in one EventBridge event: one event each, chosen by index. */
#define SH3_HEAD                                                                               \
    "{\"version\":\"0\",\"id\":\"eb-3\",\"detail-type\":\"Security Hub Findings - Imported\","       \
    "\"source\":\"aws.securityhub\",\"account\":\"444455556666\",\"time\":\"2024-06-02T08:00:00Z\","  \
    "\"region\":\"eu-central-1\",\"resources\":[],\"detail\":{\"findings\":["
#define SH3_FINDING(id, title, sev, upd)                                                        \
    "{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"" id "\",\"ProductArn\":\"arn:aws:securityhub:"      \
    "eu-central-1::product/aws/inspector\",\"GeneratorId\":\"g\",\"AwsAccountId\":\"444455556666\","  \
    "\"Types\":[\"Software and Configuration Checks\"],\"CreatedAt\":\"2024-06-01T00:00:00Z\","      \
    "\"UpdatedAt\":\"" upd "\",\"Title\":\"" title "\",\"Severity\":" sev "}"

static void test_eventbridge_several_findings(void)
{
    static const char *const text =
        SH3_HEAD SH3_FINDING("f-alpha", "Alpha port open", "{\"Label\":\"LOW\"}", "2024-06-01T01:00:00Z")
        "," SH3_FINDING("f-bravo", "Bravo key exposed", "{\"Normalized\":55}", "2024-06-01T02:00:00Z")
        "," SH3_FINDING("f-charlie", "Charlie root login", "{\"Label\":\"CRITICAL\"}",
                        "2024-06-01T03:00:00Z") "]}}";
    static const struct {
        const char *id, *title, *time;
        int sev;
    } want[] = {
        {"f-alpha", "Alpha port open", "2024-06-01T01:00:00Z", 1},
        {"f-bravo", "Bravo key exposed", "2024-06-01T02:00:00Z", 55},
        {"f-charlie", "Charlie root login", "2024-06-01T03:00:00Z", 90},
    };
    uint8_t keys[3][16];
    for (int i = 0; i < 3; i++) {
        struct one o;
        one_at(&o, text, NULL, i);
        T_EQ_INT(o.rc, KM_OK);
        T_CHECK(o.src == &km_source_aws_securityhub);
        T_EQ_INT(o.ctx.count, 3);
        T_EQ_INT(o.ctx.emit, 1);
        T_EQ_INT(o.ctx.problems, 0);
        T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), want[i].id);
        T_EQ_STR(fs(&o.ev, KM_F_ACTION), want[i].title);
        T_EQ_INT(o.ev.severity, want[i].sev);
        T_EQ_STR(tm(o.ev.time_us), want[i].time);
        T_EQ_STR(fs(&o.ev, KM_F_REGION), "eu-central-1");   /* envelope fallback */
        T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "444455556666");
        T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "inspector");
        T_EQ_STR(fs(&o.ev, KM_F_REQUEST_ID), "eb-3");          /* the EventBridge id */
        /* every sub-event refers to the whole record */
        T_EQ_INT((int)o.ev.raw.offset, 0);
        T_EQ_INT((int)o.ev.raw.length, (int)strlen(text));
        memcpy(keys[i], o.ev.key, 16);
        km_arena_free(&o.a);
    }
    T_CHECK(memcmp(keys[0], keys[1], 16) != 0 && memcmp(keys[1], keys[2], 16) != 0 &&
            memcmp(keys[0], keys[2], 16) != 0);
    /* past the end: an error, count still known */
    struct one o;
    one_at(&o, text, NULL, 3);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_EQ_INT(o.ctx.count, 3);
    T_CHECK(strstr(o.err.msg, "no detail.findings[3]") != NULL);
    km_arena_free(&o.a);
    /* a source that does not split: index 1 of an ASFF document is an error */
    one_at(&o, ASFF(""), "Findings", 1);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_EQ_INT(o.ctx.count, 1);
    T_CHECK(strstr(o.err.msg, "holds 1 event") != NULL);
    km_arena_free(&o.a);
    one_at(&o, ASFF(""), "Findings", -1);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);

    /* a bad finding among good ones (count known even when it fails), and
     * id-less findings get distinct content-hash ids */
    static const char *const mixed =
        SH3_HEAD "\"oops\",{\"ProductArn\":\"arn:aws:securityhub:eu-central-1::product/aws/inspector\","
        "\"Title\":\"no id one\"},{\"ProductArn\":\"arn:aws:securityhub:eu-central-1::product/aws/"
        "inspector\",\"Title\":\"no id two\"}]}}";
    one_at(&o, mixed, NULL, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_EQ_INT(o.ctx.count, 3);
    T_CHECK(strstr(o.err.msg, "detail.findings[0] is a string") != NULL);
    km_arena_free(&o.a);
    char id1[100], id2[100];
    one_at(&o, mixed, NULL, 1);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "no id one");
    snprintf(id1, sizeof id1, "%s", fs(&o.ev, KM_F_EVENT_ID));
    T_CHECK(o.ev.flags & KM_EV_ID_SYNTH);
    km_arena_free(&o.a);
    one_at(&o, mixed, NULL, 2);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "no id two");
    snprintf(id2, sizeof id2, "%s", fs(&o.ev, KM_F_EVENT_ID));
    km_arena_free(&o.a);
    T_EQ_INT((int)strlen(id1), 73);
    T_CHECK(!strncmp(id1, "sha256:", 7) && !strcmp(id1 + 71, "#1"));
    T_CHECK(!strncmp(id1, id2, 71) && !strcmp(id2 + 71, "#2"));
}

static void test_guardduty_shapes(void)
{
    struct one o;
    /* EventBridge, an access key, an IPv6 caller, an e-mail user name */
    one(&o, "{\"version\":\"0\",\"id\":\"e\",\"detail-type\":\"GuardDuty Finding\",\"source\":\"aws.guardduty\","
            "\"account\":\"111122223333\",\"time\":\"2024-05-01T10:06:00Z\",\"region\":\"us-west-2\","
            "\"detail\":{\"schemaVersion\":\"2.0\",\"accountId\":\"111122223333\",\"region\":\"us-west-2\","
            "\"id\":\"gd-1\",\"arn\":\"arn:aws:guardduty:us-west-2:111122223333:detector/d/finding/gd-1\","
            "\"type\":\"UnauthorizedAccess:IAMUser/TorIPCaller\",\"resource\":{\"resourceType\":\"AccessKey\","
            "\"accessKeyDetails\":{\"accessKeyId\":\"ASIAEXAMPLE1\",\"principalId\":\"AROAX:Alice@Corp.example\","
            "\"userName\":\"Alice@Corp.example\",\"userType\":\"AssumedRole\"}},\"service\":{\"serviceName\":"
            "\"guardduty\",\"action\":{\"actionType\":\"AWS_API_CALL\",\"awsApiCallAction\":{\"api\":"
            "\"ListBuckets\",\"serviceName\":\"s3.amazonaws.com\",\"callerType\":\"Remote IP\",\"userAgent\":"
            "\"aws-cli/2\",\"errorCode\":\"AccessDenied\",\"remoteIpDetails\":{\"ipAddressV6\":\"2001:db8:0:0::7\"}}},"
            "\"archived\":true,\"count\":3,\"eventFirstSeen\":\"2024-05-01T09:00:00Z\",\"eventLastSeen\":"
            "\"2024-05-01T09:59:00Z\"},\"severity\":5.5,\"createdAt\":\"2024-05-01T10:00:00.000Z\"}}", NULL);
    T_EQ_INT(o.gd, 95);
    T_EQ_INT(o.sh, 0);
    T_CHECK(o.src == &km_source_aws_guardduty);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00Z");    /* no updatedAt → createdAt */
    T_EQ_INT(o.ev.flags & KM_EV_TIME_FALLBACK, KM_EV_TIME_FALLBACK);
    T_EQ_STR(o.ctx.note, "updatedAt missing; used createdAt");
    T_EQ_INT(o.ev.severity, 55);
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");          /* archived */
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ACCESS_KEY), "ASIAEXAMPLE1");
    T_EQ_STR(fs(&o.ev, KM_F_SESSION_ID), "ASIAEXAMPLE1");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_NAME), "Alice@Corp.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "alice@corp.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "AssumedRole");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "2001:db8::7");
    T_EQ_STR(fs(&o.ev, KM_F_USER_AGENT), "aws-cli/2");
    T_EQ_STR(fs(&o.ev, KM_F_ERROR_CODE), "AccessDenied");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES),
             "[{\"type\":\"AccessKey\",\"id\":\"ASIAEXAMPLE1\",\"name\":\"Alice@Corp.example\"}]");
    km_arena_free(&o.a);

    /* CLI / boto3 GetFindings output: PascalCase keys under "Findings" */
    one(&o, "{\"AccountId\":\"111122223333\",\"Arn\":\"arn:aws:guardduty:eu-west-1:111122223333:detector/d/"
            "finding/f\",\"CreatedAt\":\"2024-05-01T10:00:00Z\",\"Id\":\"f\",\"Region\":\"eu-west-1\","
            "\"Resource\":{\"ResourceType\":\"Instance\",\"InstanceDetails\":{\"InstanceId\":\"i-0abc\"}},"
            "\"SchemaVersion\":\"2.0\",\"Service\":{\"Action\":{\"ActionType\":\"NETWORK_CONNECTION\","
            "\"NetworkConnectionAction\":{\"RemoteIpDetails\":{\"IpAddressV4\":\"198.51.100.9\"}}},"
            "\"Archived\":false,\"ServiceName\":\"guardduty\"},\"Severity\":8,\"Title\":\"t\",\"Type\":"
            "\"Backdoor:EC2/C&CActivity.B\",\"UpdatedAt\":\"2024-05-01T10:30:00Z\"}", "Findings");
    T_EQ_INT(o.gd, 100);
    T_EQ_INT(o.sh, 0);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:30:00Z");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "Backdoor:EC2/C&CActivity.B");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "198.51.100.9");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "111122223333");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES), "[{\"type\":\"Instance\",\"id\":\"i-0abc\"}]");
    T_EQ_INT(o.ev.severity, 80);
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "failure");
    km_arena_free(&o.a);
}

static void test_types_and_detection(void)
{
    struct one o;
    /* wrong types: counted, never fatal */
    one(&o, ASFF(",\"Severity\":{\"Normalized\":\"high\"},\"Resources\":{\"Type\":\"x\"},"
                 "\"Region\":7,\"Action\":[]"), NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_INT(o.ev.severity, -1);
    T_EQ_INT(o.ctx.problems, 4);
    T_CHECK(o.ev.flags & KM_EV_TYPE_PROBLEM);
    T_EQ_STR(fs(&o.ev, KM_F_REGION), "7");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES), "(absent)");
    km_arena_free(&o.a);
    one(&o, "{\"schemaVersion\":\"2.0\",\"id\":\"x\",\"type\":\"Recon:EC2/Portscan\",\"severity\":42,"
            "\"service\":{\"action\":{\"portProbeAction\":{\"portProbeDetails\":[{\"remoteIpDetails\":"
            "{\"ipAddressV4\":\"08.1.2.3\"}}]}},\"archived\":\"maybe\"},\"updatedAt\":\"redacted\"}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_INT(o.ev.severity, -1);
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "08.1.2.3");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "(absent)");
    T_EQ_INT(o.ev.time_us, 0);
    T_CHECK(o.ev.flags & KM_EV_TIME_MISSING);
    T_EQ_INT(o.ctx.problems, 3);   /* updatedAt, severity, archived */
    km_arena_free(&o.a);
    /* not ours */
    one(&o, "{\"eventVersion\":\"1.08\",\"eventSource\":\"guardduty.amazonaws.com\",\"eventName\":"
            "\"GetFindings\",\"awsRegion\":\"us-east-1\",\"resources\":[]}", NULL);
    T_EQ_INT(o.sh, 0);
    T_EQ_INT(o.gd, 0);
    T_CHECK(o.src == &km_source_cloudtrail);
    km_arena_free(&o.a);
    one(&o, "{\"source\":[\"aws.guardduty\"],\"detail-type\":[\"GuardDuty Finding\"]}", NULL);
    T_EQ_INT(o.gd, 40);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "event pattern") != NULL);
    km_arena_free(&o.a);
    T_EQ_INT(km_source_aws_securityhub.detect(NULL, NULL), 0);
    T_EQ_INT(km_source_aws_guardduty.detect(NULL, NULL), 0);
}

int main(void)
{
    T_RUN(test_docs_control_findings);
    T_RUN(test_docs_eventbridge_and_not_json);
    T_RUN(test_panther_asff);
    T_RUN(test_panther_guardduty);
    T_RUN(test_totals);
    T_RUN(test_eventbridge_asff);
    T_RUN(test_eventbridge_several_findings);
    T_RUN(test_guardduty_shapes);
    T_RUN(test_types_and_detection);
    return t_done();
}
