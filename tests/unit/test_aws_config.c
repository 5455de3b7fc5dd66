/*
 * test_aws_config.c — the AWS Config source module against the corpus and
 * against small hand-written records for the shapes the corpus lacks.
 *
 * Corpus files are read the way `kumo ingest` reads them: the real record
 * splitter (src/ingest/records.h) cuts each file into records, and
 * km_normalize_record() (detection across every registered source, then the
 * module) turns each into an event. Values checked below were read by hand
 * from the files with jq. test_totals counts every record of every AWS
 * Config corpus file (counted independently with jq: 78 CIs in the 78
 * parseable rdk files, 1 more recovered from the unterminated array, 7 CIs
 * in the 3 documentation snapshot/history files, 8 SNS notifications) and
 * the two genuinely invalid rdk files.
 */
#include "t.h"
#include "corpus.h"

extern const struct km_source km_source_aws_config;
extern const struct km_source km_source_cloudtrail;

/* Loader options (corpus.h): the splitter + km_normalize_record, as ingest does. */
static const struct corpus_opts OPTS = {.split = 1};

#define RDK "aws-config-rdk-example-ci/rdk/template/example_ci"
#define DOCS "awsdocs-config-developer-guide/extracted"

/* ---- corpus: rdk example CIs ---------------------------------------------------- */

static void test_rdk_instance_and_related(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, RDK "/AWS_EC2_Instance.json"), 0);
    T_EQ_INT(s.n, 1);
    T_EQ_INT(s.ne, 0);
    struct rec *r = find(&s, "AWS_EC2_Instance.json", NULL);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_CHECK(r->src == &km_source_aws_config);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.emit, 1);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(r->ctx.note, "");
    T_EQ_INT(ev->flags, 0);
    T_EQ_STR(tm(ev->time_us), "2017-04-05T22:23:11.677000Z");
    T_EQ_STR(fs(ev, KM_F_PROVIDER), "aws");
    T_EQ_STR(fs(ev, KM_F_SOURCE), "aws.config");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "681361479661");
    T_EQ_STR(fs(ev, KM_F_REGION), "us-east-1");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "config_change");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "ec2");
    T_EQ_STR(fs(ev, KM_F_ACTION), "ResourceDiscovered");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "ConfigurationItem");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "AWS::EC2::Instance/i-03402838daac1d611/2017-04-05T22:23:11.677000Z");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::EC2::Instance\",\"id\":\"arn:aws:ec2:us-east-1:681361479661:instance/"
             "i-03402838daac1d611\",\"name\":\"i-03402838daac1d611\",\"account\":\"681361479661\"}]");
    /* relatedEvents, read by hand: one CloudTrail eventID */
    T_EQ_STR(fs(ev, KM_F_RELATED), "[\"d3d87c29-bde3-4380-a7de-810f379246cc\"]");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "(absent)");
    T_EQ_INT(ev->severity, -1);
    T_EQ_INT(ev->raw.length > 1000, 1);
    set_free(&s);

    /* IAM user CI: related event, global region, name from resourceName */
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, RDK "/AWS_IAM_User.json"), 0);
    r = find(&s, "AWS_IAM_User.json", NULL);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_RELATED), "[\"d7a1f320-addf-4069-8f5a-8dac2e01f54f\"]");
    T_EQ_STR(fs(ev, KM_F_REGION), "global");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "iam");
    T_EQ_STR(fs(ev, KM_F_ACTION), "OK");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::IAM::User\",\"id\":\"arn:aws:iam::112233445566:user/johndoe\","
             "\"name\":\"johndoe\",\"account\":\"112233445566\"}]");
    set_free(&s);
}

static void test_rdk_quirks(void)
{
    struct set s;
    set_init(&s, &OPTS);
    /* S3 bucket: v1.3 notification-style keys (ARN, awsAccountId), numeric
     * configurationStateId, JSON-in-string supplementaryConfiguration (left as is) */
    T_EQ_INT(load_file(&s, RDK "/AWS_S3_Bucket.json"), 0);
    struct rec *r = find(&s, "AWS_S3_Bucket.json", NULL);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(tm(ev->time_us), "2019-02-12T07:29:16.288000Z");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "934654633380");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "s3");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::S3::Bucket\",\"id\":\"arn:aws:s3:::mborch-test-bucket-config-item\","
             "\"name\":\"mborch-test-bucket-config-item\",\"account\":\"934654633380\"}]");
    T_EQ_STR(fs(ev, KM_F_RELATED), "(absent)");   /* relatedEvents: [] */

    /* ACM certificate: capture time is a Python datetime repr with tzlocal() */
    T_EQ_INT(load_file(&s, RDK "/AWS_ACM_Certificate.json"), 0);
    r = find(&s, "AWS_ACM_Certificate.json", NULL);
    NEED(r);
    ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(tm(ev->time_us), "2020-04-22T13:13:17.718000Z");
    T_EQ_INT(ev->flags, KM_EV_TIME_FALLBACK | KM_EV_TYPE_PROBLEM);
    T_EQ_INT(r->ctx.problems, 1);
    T_EQ_STR(r->ctx.note, "configurationItemCaptureTime is a Python datetime repr with local time zone");
    /* the zone is unknown, so the stable id uses configurationStateId */
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "AWS::ACM::Certificate/arn:aws:acm:us-east-2:1236456789012:certificate/"
             "aaa111a1-1aaa-1aa1-1aaa-aaa1a11aa111/1587582797718");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "1236456789012");

    /* CloudFormation stack: the repr is in resourceCreationTime only */
    T_EQ_INT(load_file(&s, RDK "/AWS_CloudFormation_Stack.json"), 0);
    r = find(&s, "AWS_CloudFormation_Stack.json", NULL);
    NEED(r);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_INT(r->ev.flags, 0);
    T_EQ_STR(tm(r->ev.time_us), "2022-02-21T18:24:55.063000Z");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "cloudformation");

    /* one-element array */
    T_EQ_INT(load_file(&s, RDK "/AWS_LAMBDA_FUNCTION.json"), 0);
    r = find(&s, "AWS_LAMBDA_FUNCTION.json", NULL);
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "AWS::Lambda::Function/test-function/2018-05-11T17:53:48.872000Z");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "lambda");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "823362693882");

    /* CloudFront: region "global", no resourceName → name = resourceId */
    T_EQ_INT(load_file(&s, RDK "/AWS_CLOUDFRONT_DISTRIBUTION.json"), 0);
    r = find(&s, "AWS_CLOUDFRONT_DISTRIBUTION.json", NULL);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::CloudFront::Distribution\",\"id\":\"arn:aws:cloudfront::12345678912:"
             "distribution/E31V0VAAPINP3I\",\"name\":\"E31V0VAAPINP3I\",\"account\":\"12345678912\"}]");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "global");
    set_free(&s);
}

static void test_rdk_notifications_and_invalid(void)
{
    struct set s;
    set_init(&s, &OPTS);
    /* full ConfigurationItemChangeNotification objects */
    T_EQ_INT(load_file(&s, RDK "/AWS_SSM_ManagedInstanceInventory.json"), 0);
    T_EQ_INT(load_file(&s, RDK "/AWS_SSM_ManagedInstanceInventory_Windows.json"), 0);
    T_EQ_INT(s.n, 2);
    struct rec *r = find(&s, "AWS_SSM_ManagedInstanceInventory.json", NULL);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "ConfigurationItemChangeNotification");
    T_EQ_STR(tm(ev->time_us), "2016-10-26T19:11:44.151000Z");
    T_EQ_STR(fs(ev, KM_F_ACTION), "ResourceDiscovered");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "138920347130");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "ssm");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::SSM::ManagedInstanceInventory\",\"id\":\"arn:aws:ssm:us-east-1:138920347130:"
             "managed-instance-inventory/i-07f6b44c44bab9e8e\",\"name\":\"i-07f6b44c44bab9e8e\","
             "\"account\":\"138920347130\"}]");
    /* the Windows file holds the same CI (state id as a number): same id */
    T_EQ_STR(fs(&s.r[1].ev, KM_F_EVENT_ID), fs(ev, KM_F_EVENT_ID));
    set_free(&s);

    /* unterminated array: the complete CI inside is recovered, the file is
     * reported; raw control character: the record is reported, nothing else */
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, RDK "/AWS_EC2_NetworkInterface.json"), 0);
    T_EQ_INT(load_file(&s, RDK "/AWS_SSM_ManagedInstanceInventory_Linux.json"), 0);
    T_EQ_INT(s.n, 1);
    T_EQ_INT(s.ne, 2);
    r = find(&s, "AWS_EC2_NetworkInterface.json", NULL);
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->line, 2);
    T_EQ_STR(fs(&r->ev, KM_F_RELATED), "[\"7656056e-4df8-4db6-a2fc-cf83e5461f7f\"]");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "AWS::EC2::NetworkInterface/eni-2a768b39/2016-09-24T17:47:04.330000Z");
    T_CHECK(strstr(s.e[0].file, "AWS_EC2_NetworkInterface.json") != NULL);
    T_EQ_STR(s.e[0].msg, "unterminated array at end of input");
    T_EQ_INT(s.e[0].line, 1);
    T_CHECK(strstr(s.e[1].file, "AWS_SSM_ManagedInstanceInventory_Linux.json") != NULL);
    T_EQ_STR(s.e[1].msg, "newline inside a string");
    T_EQ_INT(s.e[1].line, 51);
    set_free(&s);
}

/* ---- corpus: developer guide ------------------------------------------------------ */

static void test_docs_history_files(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, DOCS "/deliver-snapshot-cli__01.configitem.json"), 0);
    T_EQ_INT(s.n, 2);
    struct rec *r = find(&s, "deliver-snapshot-cli__01.configitem.json",
                         "AWS::EC2::Instance/i-344c463d/2014-03-07T23:47:09.523000Z");
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_STR(r->wrapper, "configurationItems");
    T_CHECK(r->src == &km_source_aws_config);
    T_EQ_INT(r->ctx.problems, 0);
    /* relatedEvents read by hand: two CloudTrail eventIDs */
    T_EQ_STR(fs(ev, KM_F_RELATED),
             "[\"06c12a39-eb35-11de-ae07-adb69edbb1e4\",\"c376e30d-71a2-4694-89b7-a5a04ad92281\"]");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "12345678910");
    T_EQ_STR(fs(ev, KM_F_REGION), "(absent)");      /* only "availibilityZone" (sic) */
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::EC2::Instance\",\"id\":\"arn:aws:ec2:us-west-2b:123456789012:instance/"
             "i-344c463d\",\"name\":\"i-344c463d\",\"account\":\"12345678910\"}]");

    /* the console history file repeats the volume CI: same id */
    T_EQ_INT(load_file(&s, DOCS "/view-manage-resource-console__01.configitem.json"), 0);
    T_EQ_INT(s.n, 5);
    int same = 0;
    for (int i = 0; i < s.n; i++)
        same += km_str_eqc(s.r[i].ev.f[KM_F_EVENT_ID],
                           "AWS::EC2::Volume/vol-ce676ccc/2014-03-07T23:47:08.918000Z");
    T_EQ_INT(same, 2);
    r = find(&s, "view-manage-resource-console__01.configitem.json",
             "AWS::EC2::Volume/vol-cia007c/2014-03-07T20:47:08.918000Z");
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_RELATED),
             "[\"06c12a39-eb35-11de-ae07-adjhk8edbb1e4\",\"c376e30d-71a2-4694-89b7-a5a67u292281\"]");

    /* compliance history: capture time as epoch seconds, configuration as a
     * JSON string, placeholder account id kept verbatim */
    T_EQ_INT(load_file(&s, DOCS "/compliance-history-conformance-pack__01.configitem.json"), 0);
    T_EQ_INT(s.n, 7);
    r = find(&s, "compliance-history-conformance-pack__01.configitem.json", NULL);
    NEED(r);
    ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(tm(ev->time_us), "2021-03-01T23:39:11.442000Z");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "Account ID");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "config");
    T_EQ_STR(fs(ev, KM_F_ACTION), "OK");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::Config::ConformancePackCompliance\",\"id\":\"arn:aws:config:us-east-1:"
             "Account ID:conformance-pack/MyConformancePack1/conformance-pack-ID\",\"name\":"
             "\"MyConformancePack1\",\"account\":\"Account ID\"}]");
    set_free(&s);
}

static void test_docs_sns(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, DOCS, ".sns.json"), 8);
    T_EQ_INT(s.n, 8);
    /* 2014 example: Message object, configurationItem as a one-element array */
    struct rec *r = find(&s, "example-sns-notification__01.sns.json", NULL);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "ConfigurationItemChangeNotification");
    T_EQ_STR(tm(ev->time_us), "2014-03-07T23:47:08.918000Z");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "ec2");                 /* AWS::EC2::VOLUME */
    T_EQ_STR(fs(ev, KM_F_ACTION), "OK");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "123456789012");
    T_EQ_STR(fs(ev, KM_F_RELATED), "(absent)");
    /* 2017 examples */
    r = find(&s, "example-sns-notification__02.sns.json", NULL);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_ID), "AWS::EC2::Instance/i-007d374c8912e3e90/2017-01-09T22:50:14.328000Z");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "OK");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "us-east-2");
    r = find(&s, "example-sns-notification__03.sns.json", NULL);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "ResourceDiscovered");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::EC2::SecurityGroup\",\"id\":\"arn:aws:ec2:us-east-2:123456789012:"
             "security-group/sg-3f1fef43\",\"name\":\"sg-3f1fef43\",\"account\":\"123456789012\"}]");
    /* compliance change: a finding */
    r = find(&s, "example-config-rule-compliance-notification__01.sns.json", NULL);
    NEED(r);
    ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.emit, 1);
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "finding");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "config");
    T_EQ_STR(fs(ev, KM_F_ACTION), "cloudtrail-enabled");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");            /* COMPLIANT */
    T_EQ_STR(tm(ev->time_us), "2016-09-27T19:48:41.405000Z");
    T_EQ_STR(fs(ev, KM_F_REGION), "us-east-2");
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "ComplianceChangeNotification");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::::Account\",\"id\":\"123456789012\",\"account\":\"123456789012\"}]");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID),
             "compliance:cloudtrail-enabled/AWS::::Account/123456789012/2016-09-27T19:48:41.405000Z");
    /* delivery / evaluation status notifications: evidence only */
    static const char *const status[] = {
        "config-rules-evaluation-started__01.sns.json",
        "example-configuration-history-notification__01.sns.json",
        "example-configuration-snapshot-notification-started__01.sns.json",
        "example-configuration-snapshot-notification__01.sns.json"};
    for (size_t i = 0; i < KM_ARRAY_LEN(status); i++) {
        r = find(&s, status[i], NULL);
        NEED(r);
        T_EQ_INT(r->rc, KM_OK);
        T_EQ_INT(r->ctx.emit, 0);
        T_CHECK(r->src == &km_source_aws_config);
    }
    r = find(&s, "example-configuration-snapshot-notification__01.sns.json", NULL);
    NEED(r);
    T_EQ_STR(tm(r->ev.time_us), "2016-09-27T18:39:39.853000Z");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "ConfigurationSnapshotDeliveryCompleted");
    set_free(&s);
}

/* ---- every record of every Config corpus file ---------------------------------------- */

static void test_totals(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, RDK, ".json"), 80);
    T_EQ_INT(s.n, 79);
    T_EQ_INT(s.ne, 2);
    int ok = 0, mine = 0, related = 0, fallback = 0, problems = 0, ids = 0;
    for (int i = 0; i < s.n; i++) {
        struct rec *r = &s.r[i];
        ok += r->rc == KM_OK && r->ctx.emit == 1;
        mine += r->src == &km_source_aws_config;
        related += r->ev.f[KM_F_RELATED].p != NULL;
        fallback += !!(r->ev.flags & KM_EV_TIME_FALLBACK);
        problems += r->ctx.problems > 0;
        ids += r->ev.f[KM_F_EVENT_ID].p && !(r->ev.flags & KM_EV_ID_SYNTH);
        T_CHECK(r->ev.time_us > 0);
        T_CHECK(km_str_eqc(r->ev.f[KM_F_CATEGORY], "config_change"));
        T_CHECK(!!(r->ev.flags & KM_EV_TYPE_PROBLEM) == (r->ctx.problems > 0));
        if (r->rc != KM_OK)
            fprintf(stderr, "  %s: %s\n", r->file, r->err);
    }
    T_EQ_INT(ok, 79);
    T_EQ_INT(mine, 79);
    T_EQ_INT(related, 13);     /* jq: 12 parseable CIs + the recovered ENI */
    T_EQ_INT(fallback, 1);     /* ACM */
    T_EQ_INT(problems, 1);
    T_EQ_INT(ids, 79);         /* every CI gets its stable id */
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, DOCS, ".configitem.json"), 3);
    T_EQ_INT(load_dir(&s, DOCS, ".sns.json"), 8);
    T_EQ_INT(s.n, 15);
    T_EQ_INT(s.ne, 0);
    int events = 0, evidence = 0;
    for (int i = 0; i < s.n; i++) {
        T_EQ_INT(s.r[i].rc, KM_OK);
        T_CHECK(s.r[i].src == &km_source_aws_config);
        events += s.r[i].ctx.emit == 1;
        evidence += s.r[i].ctx.emit == 0;
    }
    T_EQ_INT(events, 11);
    T_EQ_INT(evidence, 4);
    set_free(&s);

    /* the CloudTrail records of the Config guide stay CloudTrail */
    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, DOCS, ".event.json"), 9);
    T_EQ_INT(s.n, 9);
    for (int i = 0; i < s.n; i++)
        T_CHECK(s.r[i].src == &km_source_cloudtrail);
    set_free(&s);
}

/* ---- hand-written shapes ------------------------------------------------------------ */

struct one {
    struct km_arena a;
    struct km_norm_ctx ctx;
    struct km_event ev;
    struct km_err err;
    int rc, score;
    const struct km_source *src;
};

/* Runs km_normalize_record on text; also records the Config module's score. */
static void one(struct one *o, const char *text, const char *wrapper)
{
    memset(o, 0, sizeof *o);
    km_arena_init(&o->a, 0, 0);
    struct km_arena tmp;
    km_arena_init(&tmp, 0, 0);
    char *buf = km_arena_strndup(&tmp, text, strlen(text));
    struct km_json *root = NULL;
    if (km_json_parse(buf, strlen(text), NULL, &tmp, &root, NULL) == KM_OK)
        o->score = km_source_aws_config.detect(root, wrapper);
    km_arena_free(&tmp);
    o->ctx.arena = &o->a;
    o->ctx.file = "test";
    o->ctx.wrapper = wrapper;
    km_err_clear(&o->err);
    o->rc = km_normalize_record(text, strlen(text), &o->ctx, NULL, NULL, &o->ev, &o->err);
    o->src = o->ctx.source;
}

#define CI_BODY                                                                              \
    "{\\\"configurationItemVersion\\\":\\\"1.3\\\",\\\"configurationItemCaptureTime\\\":"       \
    "\\\"2024-05-01T10:00:00.250Z\\\",\\\"configurationStateId\\\":1714557600250,"               \
    "\\\"awsAccountId\\\":\\\"123456789012\\\",\\\"configurationItemStatus\\\":\\\"OK\\\","       \
    "\\\"resourceType\\\":\\\"AWS::IAM::Role\\\",\\\"resourceId\\\":\\\"AROAEXAMPLE\\\","         \
    "\\\"resourceName\\\":\\\"admin\\\",\\\"ARN\\\":\\\"arn:aws:iam::123456789012:role/admin\\\"," \
    "\\\"awsRegion\\\":\\\"global\\\",\\\"relatedEvents\\\":[\\\"11111111-2222-3333-4444-555555555555\\\"]}"

static void test_sns_string_and_eventbridge(void)
{
    struct one o;
    /* SNS delivery: Message is a JSON string */
    one(&o, "{\"Type\":\"Notification\",\"MessageId\":\"m-1\",\"TopicArn\":\"arn:aws:sns:us-east-1:1:t\","
            "\"Message\":\"{\\\"configurationItemDiff\\\":{\\\"changeType\\\":\\\"UPDATE\\\"},"
            "\\\"configurationItem\\\":" CI_BODY ",\\\"notificationCreationTime\\\":\\\"2024-05-01T10:00:01Z\\\","
            "\\\"messageType\\\":\\\"ConfigurationItemChangeNotification\\\",\\\"recordVersion\\\":\\\"1.3\\\"}\","
            "\"Timestamp\":\"2024-05-01T10:00:02Z\"}", NULL);
    T_EQ_INT(o.score, 90);
    T_CHECK(o.src == &km_source_aws_config);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_INT(o.ctx.problems, 0);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00.250000Z");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "AWS::IAM::Role/AROAEXAMPLE/2024-05-01T10:00:00.250000Z");
    T_EQ_STR(fs(&o.ev, KM_F_RELATED), "[\"11111111-2222-3333-4444-555555555555\"]");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "iam");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::IAM::Role\",\"id\":\"arn:aws:iam::123456789012:role/admin\","
             "\"name\":\"admin\",\"account\":\"123456789012\"}]");
    km_arena_free(&o.a);

    /* EventBridge "Config Configuration Item Change"; the CI lacks a capture
     * time → notificationCreationTime */
    one(&o, "{\"version\":\"0\",\"id\":\"eb-1\",\"detail-type\":\"Config Configuration Item Change\","
            "\"source\":\"aws.config\",\"account\":\"210987654321\",\"time\":\"2024-05-01T10:00:05Z\","
            "\"region\":\"eu-west-1\",\"resources\":[],\"detail\":{\"configurationItemDiff\":"
            "{\"changeType\":\"DELETE\"},\"configurationItem\":{\"resourceType\":\"AWS::S3::Bucket\","
            "\"resourceId\":\"b\",\"configurationItemStatus\":\"ResourceDeleted\",\"configurationStateId\":\"42\","
            "\"relatedEvents\":[\"a\",7,\"b\"]},\"notificationCreationTime\":\"2024-05-01T10:00:04Z\","
            "\"messageType\":\"ConfigurationItemChangeNotification\"}}", NULL);
    T_EQ_INT(o.score, 95);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:04Z");
    T_EQ_INT(o.ev.flags, KM_EV_TIME_FALLBACK | KM_EV_TYPE_PROBLEM);
    T_EQ_STR(o.ctx.note, "configurationItemCaptureTime missing; used notificationCreationTime");
    T_EQ_INT(o.ctx.problems, 1);
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "210987654321");      /* envelope */
    T_EQ_STR(fs(&o.ev, KM_F_REGION), "eu-west-1");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "ResourceDeleted");
    T_EQ_STR(fs(&o.ev, KM_F_RELATED), "[\"a\",\"b\"]");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "AWS::S3::Bucket/b/42");   /* no exact capture time */
    km_arena_free(&o.a);

    /* oversized notification: summary only, state id 0 → id from capture time */
    one(&o, "{\"configurationItemSummary\":{\"changeType\":\"UPDATE\",\"configurationItemVersion\":\"1.2\","
            "\"configurationItemCaptureTime\":\"2016-10-06T16:46:16.261Z\",\"configurationStateId\":0,"
            "\"awsAccountId\":\"123456789012\",\"configurationItemStatus\":\"OK\",\"resourceType\":"
            "\"AWS::EC2::Instance\",\"resourceId\":\"i-1\",\"resourceName\":null,\"ARN\":"
            "\"arn:aws:ec2:us-west-2:123456789012:instance/i-1\",\"awsRegion\":\"us-west-2\"},"
            "\"s3DeliverySummary\":{\"s3BucketLocation\":\"b/k\"},\"notificationCreationTime\":"
            "\"2016-10-06T16:46:16.261Z\",\"messageType\":\"OversizedConfigurationItemChangeNotification\"}", NULL);
    T_EQ_INT(o.score, 95);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_TYPE), "OversizedConfigurationItemChangeNotification");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "AWS::EC2::Instance/i-1/2016-10-06T16:46:16.261000Z");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "OK");
    km_arena_free(&o.a);

    /* EventBridge compliance change, NON_COMPLIANT */
    one(&o, "{\"detail-type\":\"Config Rules Compliance Change\",\"source\":\"aws.config\",\"time\":"
            "\"2024-05-01T11:00:00Z\",\"account\":\"1\",\"region\":\"us-east-1\",\"detail\":{\"resourceId\":"
            "\"sg-1\",\"awsRegion\":\"us-east-1\",\"awsAccountId\":\"123456789012\",\"configRuleName\":"
            "\"restricted-ssh\",\"messageType\":\"ComplianceChangeNotification\",\"resourceType\":"
            "\"AWS::EC2::SecurityGroup\",\"newEvaluationResult\":{\"complianceType\":\"NON_COMPLIANT\","
            "\"resultRecordedTime\":\"2024-05-01T10:59:58.5Z\"}}}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "finding");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "123456789012");
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:59:58.500000Z");
    km_arena_free(&o.a);
}

static void test_rejects_and_types(void)
{
    struct one o;
    /* an EventBridge pattern is not an event */
    one(&o, "{\"source\":[\"aws.config\"],\"detail-type\":[\"Config Configuration Item Change\"]}", NULL);
    T_EQ_INT(o.score, 40);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "event pattern") != NULL);
    km_arena_free(&o.a);
    /* an SNS Message that is not JSON */
    one(&o, "{\"Type\":\"Notification\",\"Message\":\"{\\\"messageType\\\": ConfigurationItem\"}", NULL);
    T_EQ_INT(o.score, 90);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "SNS Message is not an AWS Config notification") != NULL);
    km_arena_free(&o.a);
    /* wrong types: normalized as far as possible, counted */
    one(&o, "{\"configurationItemCaptureTime\":\"soon\",\"resourceType\":[\"AWS::EC2::VPC\"],"
            "\"resourceId\":12,\"configurationItemStatus\":\"OK\",\"awsRegion\":{},\"awsAccountId\":123456789012,"
            "\"relatedEvents\":\"x\"}", "configurationItems");
    T_CHECK(o.score >= 50);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_INT(o.ev.time_us, 0);
    T_EQ_INT(o.ev.flags, KM_EV_TIME_MISSING | KM_EV_TYPE_PROBLEM | KM_EV_ID_SYNTH);
    T_EQ_INT(o.ctx.problems, 4);  /* capture time, resourceType, awsRegion, relatedEvents */
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "123456789012");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES), "[{\"id\":\"12\",\"name\":\"12\",\"account\":\"123456789012\"}]");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "(absent)");
    km_arena_free(&o.a);
    /* UTC repr: exact time, counted once */
    one(&o, "{\"configurationItemCaptureTime\":\"datetime.datetime(2021, 1, 2, 3, 4, 5, tzinfo=tzutc())\","
            "\"resourceType\":\"AWS::KMS::Key\",\"resourceId\":\"k\",\"configurationItemStatus\":\"OK\"}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2021-01-02T03:04:05Z");
    T_EQ_INT(o.ev.flags, KM_EV_TYPE_PROBLEM);
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "AWS::KMS::Key/k/2021-01-02T03:04:05Z");
    km_arena_free(&o.a);
    /* a CloudTrail record is not Config's, a CI is not CloudTrail's */
    one(&o, "{\"eventVersion\":\"1.08\",\"eventSource\":\"config.amazonaws.com\",\"eventName\":"
            "\"PutConfigRule\",\"awsRegion\":\"us-east-1\"}", NULL);
    T_EQ_INT(o.score, 0);
    T_CHECK(o.src == &km_source_cloudtrail);
    km_arena_free(&o.a);
    T_EQ_INT(km_source_aws_config.detect(NULL, NULL), 0);
}

int main(void)
{
    T_RUN(test_rdk_instance_and_related);
    T_RUN(test_rdk_quirks);
    T_RUN(test_rdk_notifications_and_invalid);
    T_RUN(test_docs_history_files);
    T_RUN(test_docs_sns);
    T_RUN(test_totals);
    T_RUN(test_sns_string_and_eventbridge);
    T_RUN(test_rejects_and_types);
    return t_done();
}
