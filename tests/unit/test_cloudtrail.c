/*
 * test_cloudtrail.c — the CloudTrail source module against the corpus and
 * against small hand-written records for the shapes the corpus lacks.
 *
 * Corpus checks compare named normalized fields with values read by hand
 * from the files (jq), for stratus, OTRF (zip member, read with libarchive),
 * Panther, plaso lookup-events, trailscraper (.json.gz, read with zlib),
 * the AWS docs, the Security Hub and Config guides and the elastic digest.
 * test_totals then runs every record of every CloudTrail corpus file and
 * asserts the counts (records, detections, KM_ERECORD, invalid JSON).
 *
 * The loader (tests/unit/corpus.h) is deliberately simple (not in src/): a
 * whole file is parsed as one JSON value (array → elements, {"Records": [...]}
 * → elements, object → itself); a file that does not parse as one value is
 * read as JSON Lines.
 */
#include "t.h"
#include "corpus.h"

extern const struct km_source km_source_cloudtrail;
extern const struct km_source km_source_cloudtrail_digest;

/* Loader options (corpus.h): whole-file JSON (unwrapping Records/events/logEvents/Events) else JSON Lines;
 * records no source claims are normalized by the CloudTrail module anyway (so
 * the totals count their KM_ERECORD). */
static const char *const wrappers[] = {"Records", "events", "logEvents", "Events", NULL};
static const struct corpus_opts OPTS = {.wrappers = wrappers, .fallback = &km_source_cloudtrail};

/* ---- corpus: field by field ------------------------------------------------------ */

#define STRATUS "stratus-red-team-detonation-logs/docs/detonation-logs/"

static void test_stratus(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, STRATUS "aws.initial-access.console-login-without-mfa.json"), 0);
    T_EQ_INT(s.n, 1);
    struct rec *r = by_id(&s, "865d9377-9c6b-4fd7-8aad-725e95f6a140");
    NEED(r);
    struct km_event *ev = &r->ev;
    T_CHECK(r->src == &km_source_cloudtrail);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.emit, 1);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(r->ctx.note, "");
    T_EQ_INT(ev->time_us, 1722588804LL * 1000000);
    T_EQ_INT(ev->flags, 0);
    T_EQ_STR(fs(ev, KM_F_PROVIDER), "aws");
    T_EQ_STR(fs(ev, KM_F_SOURCE), "aws.cloudtrail");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "562283505220");
    T_EQ_STR(fs(ev, KM_F_REGION), "eu-west-2r");   /* fake region kept as is */
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "IAMUser");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "AIDA1ERT0661IN5R239V");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "stratus-red-team-nmfalu-jfzdtsvchl");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ARN), "arn:aws:iam::562283505220:user/stratus-red-team-nmfalu-jfzdtsvchl");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY), "(absent)");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "225.01.00.16");       /* anonymised: not an IP */
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(ev, KM_F_USER_AGENT), "stratus-red-team_fccf7123-0651-41f5-b06c-460da5ee1c94");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "signin.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_ACTION), "ConsoleLogin");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "authentication");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "AwsConsoleSignIn");
    T_EQ_INT(ev->mfa, 0);                                 /* MFAUsed: "No" */
    T_EQ_INT(ev->read_only, 0);
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "(absent)");          /* resources: null */
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "(absent)");
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, STRATUS "aws.credential-access.ec2-get-password-data.json"), 0);
    T_EQ_INT(s.n, 34);
    r = by_id(&s, "450230d4-b39e-4a18-a6a0-d07a6e2105cb");
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(tm(ev->time_us), "2024-07-30T21:31:21Z");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "AssumedRole");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME),
             "stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "AROAMLQ9F6KHQ07JKA0WY:aws-go-sdk-1722375070115152000");
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER),
             "arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY), "ASIANQQHHS551LWULIWD");
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "ASIANQQHHS551LWULIWD");
    T_EQ_INT(ev->mfa, 0);
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "200.249.253.51");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "200.249.253.51");
    T_CHECK(ev->f[KM_F_SRC_IP].p == ev->f[KM_F_SRC_RAW].p);   /* zero-copy */
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "Client.UnauthorizedOperation");
    T_CHECK(strncmp(fs(ev, KM_F_ERROR_MESSAGE), "You are not authorized to perform this operation.", 49) == 0);
    T_EQ_STR(fs(ev, KM_F_REQUEST_ID), "b20c2df5-71d5-441e-84c8-b424f1c78ffb");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "api");
    T_EQ_INT(ev->read_only, 1);
    r = by_id(&s, "d769ddfd-2cda-4cfa-b33f-05d3b886921d");
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::IAM::Role\",\"id\":\"arn:aws:iam::457448411975:role/"
             "stratus-red-team-ec2-get-password-data-role\",\"account\":\"457448411975\"}]");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "christophe");
    T_EQ_STR(fs(&r->ev, KM_F_SESSION_ID), "(absent)");      /* AKIA key, no creationDate */
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, STRATUS "aws.persistence.iam-create-admin-user.json"), 0);
    r = by_id(&s, "3346344c-5a3e-429e-8405-420f98f75d6e");
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "CreateUser");
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_RAW), "075.050.255.67");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "229654561268");
    set_free(&s);

    /* FederatedUser: name from the ARN */
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, STRATUS "aws.persistence.sts-federation-token.json"), 0);
    int fed = 0;
    for (int i = 0; i < s.n; i++) {
        struct km_event *e = &s.r[i].ev;
        if (km_str_eqc(e->f[KM_F_ACTOR_TYPE], "FederatedUser")) {
            fed++;
            T_EQ_STR(fs(e, KM_F_ACTOR_NAME), "stratus_red_team");
            T_EQ_STR(fs(e, KM_F_ACTOR_SESSION_ISSUER),
                     "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user");
            T_EQ_STR(fs(e, KM_F_SESSION_ID), "ASIASTJKC5GCM7ZE6LUP");
        }
        if (km_str_eqc(e->f[KM_F_ACTION], "GetFederationToken"))
            T_EQ_STR(fs(e, KM_F_CATEGORY), "authentication");
    }
    T_EQ_INT(fed, 1);
    set_free(&s);
}

#define OTRF_ZIP "otrf-security-datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip"

static void test_otrf_logstash(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_zip(&s, OTRF_ZIP), 1);
    T_EQ_INT(s.n, 103);
    /* line 1: IAM user, console; no eventTime → @timestamp */
    struct rec *r = by_line(&s, 1);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "fd4f1042-c7f6-4107-a6ee-d841d92596e7");
    T_EQ_STR(tm(ev->time_us), "2020-09-14T00:44:23Z");
    T_EQ_INT(ev->flags, KM_EV_TIME_FALLBACK);
    T_EQ_STR(r->ctx.note, "eventTime missing; used @timestamp");
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "pedro");
    T_EQ_INT(ev->mfa, 1);                                   /* "true" string */
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "ASIA5FLZVX4OI4ZDQJOL");
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER), "(absent)"); /* sessionIssuer: {} */
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "1.2.3.4");
    T_EQ_STR(fs(ev, KM_F_USER_AGENT), "console.ec2.amazonaws.com");
    T_EQ_INT(ev->read_only, -1);                            /* no readOnly key */
    T_EQ_STR(fs(ev, KM_F_ACTION), "DescribeInstanceTypes");

    /* S3 data event from the stolen instance-profile credentials */
    r = by_id(&s, "771299cb-e200-4926-9604-c85358b30499");
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(tm(ev->time_us), "2020-09-14T01:02:34Z");
    T_CHECK(ev->flags & KM_EV_TIME_FALLBACK);
    T_EQ_STR(fs(ev, KM_F_USER_AGENT), "aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40");
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "ASIA5FLZVX4OPVKKVBMX");
    T_EQ_INT(ev->read_only, 1);
    T_EQ_STR(fs(ev, KM_F_REQUEST_ID), "A471D1060ED5FD07");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::S3::Object\",\"id\":\"arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a/ring.txt\"},"
             "{\"type\":\"AWS::S3::Bucket\",\"id\":\"arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a\","
             "\"account\":\"123456789123\"}]");

    /* AWS service: hostname in sourceIPAddress */
    r = by_id(&s, "0f902c35-794c-4864-b2e0-3c4564b857b0");
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "AWSService");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "ec2.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "ec2.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "123456789123");
    T_EQ_STR(tm(ev->time_us), "2020-09-14T00:50:17Z");
    set_free(&s);
}

#define PANTHER "panther-analysis-tests/extracted/AWS_CloudTrail.jsonl"

static void test_panther(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER), 0);
    T_EQ_INT(s.n, 475);

    /* line 110: readOnly "True", Panther time with 9 digits, AWSAccount,
     * resources[] holding a Python-repr string */
    struct rec *r = by_line(&s, 110);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "044e210e-6c5e-3f3e-8f04-2311a826f287");
    T_EQ_STR(tm(ev->time_us), "2024-12-12T16:04:32Z");
    T_EQ_INT(ev->read_only, 1);
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "AWSAccount");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "111122223333");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "SAMPLE_PRINCIPAL_ID:lambda-name");
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "(absent)");
    T_EQ_INT(r->ctx.problems, 1);
    T_CHECK(ev->flags & KM_EV_TYPE_PROBLEM);
    T_EQ_STR(r->ctx.note, "resources[] element is a string, expected an object");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "api");                  /* AssumeRole */

    /* line 328: "redacted" placeholders everywhere; failed sign-in */
    r = by_line(&s, 328);
    NEED(r);
    ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(ev->time_us, 0);
    T_EQ_INT(ev->flags & (KM_EV_TIME_MISSING | KM_EV_TIME_FALLBACK), KM_EV_TIME_MISSING);
    T_EQ_STR(r->ctx.note, "eventTime \"redacted\" is not a timestamp");
    T_EQ_INT(r->ctx.problems, 2);                           /* eventTime, p_event_time */
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "redacted");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "Root");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "root");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ARN), "(absent)");           /* "" */
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "authentication");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "(absent)");

    /* line 461: eventTime "..." */
    r = by_line(&s, 461);
    NEED(r);
    T_EQ_INT(r->ev.flags & KM_EV_TIME_MISSING, KM_EV_TIME_MISSING);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "Unknown");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "<victim display name>");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_RAW), "<Victim source IP>");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "(absent)");

    /* line 55: failed ConsoleLogin (responseElements), MFAUsed Yes */
    r = by_line(&s, 55);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "d38ce1b3-4575-4cb8-a632-611b8243bfc3");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_MESSAGE), "Failed authentication");
    T_EQ_INT(ev->mfa, 1);
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY), "(absent)");     /* "" */

    /* line 78: SSO role session named by e-mail; only p_event_time */
    r = by_line(&s, 78);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(tm(ev->time_us), "2019-01-01T00:20:04Z");
    T_EQ_INT(ev->flags, KM_EV_TIME_FALLBACK);
    T_EQ_STR(r->ctx.note, "eventTime missing; used p_event_time");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "testrole_34c15ddd84cb4648/tester@example.com");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "tester@example.com");
    T_EQ_INT(ev->mfa, 1);
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "AROAXXXXXXXXXXXXXXXXX:tester@example.com@2019-09-01T21:20:03Z");
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "(absent)");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");

    /* line 70: AWSReservedSSO role, e-mail session, no principalId */
    r = by_line(&s, 70);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "AWSReservedSSO_Admin/user@example.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_EMAIL), "user@example.com");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "10.0.0.1");

    /* line 32: lower-cased keys */
    r = by_line(&s, 32);
    NEED(r);
    ev = &r->ev;
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "5d4b45ed-a15c-41b6-80e9-031729fa060d");
    T_EQ_STR(fs(ev, KM_F_ACTION), "GetRecords");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "dynamodb.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_REGION), "eu-west-1");
    T_EQ_STR(tm(ev->time_us), "2023-01-10T21:04:02Z");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ARN), "arn:aws:test_arn");
    T_EQ_INT(ev->flags, 0);

    /* line 462: serviceEventDetails as a JSON string (left alone) */
    r = by_line(&s, 462);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "CreateAccountResult");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "AwsServiceEvent");
    T_EQ_STR(tm(r->ev.time_us), "2021-05-20T15:53:47Z");
    T_EQ_INT(r->ctx.problems, 0);

    /* line 463: CreateAccount with requestParameters/responseElements as JSON
     * strings and no eventSource */
    r = by_line(&s, 463);
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "CreateAccount");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "(absent)");
    T_EQ_STR(tm(r->ev.time_us), "2020-11-05T21:21:46Z");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "72.177.120.134");
    T_EQ_INT(r->ctx.problems, 0);
    set_free(&s);
}

#define PLASO "plaso-test-data/test_data/jsonl/aws_cloudtrail.jsonl"

static void test_plaso_lookup_events(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    T_EQ_INT(s.n, 6);
    struct rec *r = by_line(&s, 1);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_CHECK(r->src == &km_source_cloudtrail);
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "0828c0d2-3589-4390-b954-c78b4a7df44b");
    T_EQ_STR(tm(ev->time_us), "2022-02-07T22:23:37Z");     /* inner eventTime */
    T_EQ_INT(ev->flags, 0);
    T_EQ_INT(ev->read_only, 1);
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "fakeusername");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "0123456789ABCDEFGHIJK");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "012345678901");
    T_EQ_STR(fs(ev, KM_F_REGION), "ap-southeast-2");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "1.2.3.4");
    T_EQ_INT(ev->mfa, 0);
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "0123456789ABCDEFGHIJK@2022-02-07T22:17:32Z");
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "(absent)");           /* Resources: [] */
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");
    /* line 2: inner resources null → outer Resources */
    r = by_line(&s, 2);
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "TerminateInstances");
    T_EQ_INT(r->ev.read_only, 0);
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::EC2::Instance\",\"name\":\"i-01234567890123456\"}]");
    /* line 4: service event, userIdentity without type */
    r = by_line(&s, 4);
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "ec2.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "ec2.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(ev, KM_F_ACTION), "SharedSnapshotVolumeCreated");
    T_EQ_STR(tm(ev->time_us), "2022-02-07T22:19:07Z");
    set_free(&s);
}

#define TRAILSCRAPER "trailscraper-testdata/tests/cloudtrail/data/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json"

static void test_trailscraper_gz(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, TRAILSCRAPER ".gz"), 0);
    T_EQ_INT(s.n, 2);
    struct rec *r = by_id(&s, "a0ed971f-389f-406a-9fcf-887c5ca6903a");
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_STR(r->wrapper, "Records");
    T_EQ_STR(tm(ev->time_us), "2017-12-11T15:01:51Z");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "someRole/AutoScalingDescribeHandlerSession");
    T_EQ_STR(fs(ev, KM_F_ACTOR_SESSION_ISSUER), "arn:aws:iam::111111111111:role/someRole");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "config.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(ev, KM_F_SESSION_ID),
             "AAAAAAAAAAAAAAAAAAAAA:AutoScalingDescribeHandlerSession@2017-11-18T00:21:51Z");
    T_EQ_STR(fs(ev, KM_F_REQUEST_ID), "796142d4-cbf6-11e7-8c53-9fdb2434bfb9");
    r = by_id(&s, "b25ff7e3-f1cf-4b7f-883d-b09168c454d5");
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "AWSService");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "config.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::IAM::Role\",\"id\":\"arn:aws:iam::111111111111:role/someRole\","
             "\"account\":\"111111111111\"}]");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "111111111111");
    T_EQ_INT(ev->read_only, -1);
    /* the uncompressed twin gives the same events */
    struct set p;
    set_init(&p, &OPTS);
    T_EQ_INT(load_file(&p, TRAILSCRAPER), 0);
    T_EQ_INT(p.n, 2);
    for (int i = 0; i < p.n && i < s.n; i++) {
        T_EQ_STR(fs(&p.r[i].ev, KM_F_EVENT_ID), fs(&s.r[i].ev, KM_F_EVENT_ID));
        T_EQ_INT(p.r[i].ev.time_us, s.r[i].ev.time_us);
    }
    set_free(&p);
    set_free(&s);
}

#define AWSDOCS "awsdocs-cloudtrail-user-guide/extracted/"

static void test_awsdocs(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, AWSDOCS "cloudtrail-event-reference-aws-console-sign-in-events__03.event.json"), 0);
    T_EQ_INT(load_file(&s, AWSDOCS "cloudtrail-event-reference-aws-console-sign-in-events__06.event.json"), 0);
    T_EQ_INT(load_file(&s, AWSDOCS "cloudtrail-event-reference-aws-console-sign-in-events__09.event.json"), 0);
    T_EQ_INT(load_file(&s, AWSDOCS "cloudtrail-event-reference__01.event.json"), 0);
    T_EQ_INT(load_file(&s, AWSDOCS "non-api-aws-service-events__01.event.json"), 0);
    T_EQ_INT(load_file(&s, AWSDOCS "cloudtrail-log-file-validation-digest-file-structure__01.digest.json"), 0);
    T_EQ_INT(load_file(&s, AWSDOCS "cloudtrail-log-file-validation-digest-file-structure__02.digest.json"), 0);
    T_EQ_INT(s.n, 7);
    /* failed console sign-in of an IAM user, with MFA */
    struct rec *r = by_id(&s, "d38ce1b3-4575-4cb8-a632-611b8243bfc3");
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_MESSAGE), "Failed authentication");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "(absent)");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "authentication");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "anaya");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ARN), "(absent)");
    T_EQ_INT(ev->mfa, 1);
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "192.0.2.0");
    T_EQ_STR(tm(ev->time_us), "2022-11-10T16:24:34Z");
    /* root sign-in without MFA */
    r = by_id(&s, "deb1e1f9-c99b-4612-8e9f-21f93b5d79c0");
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "Root");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "root");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ARN), "arn:aws:iam::111122223333:root");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "success");
    T_EQ_INT(r->ev.mfa, 0);
    /* root enabling an MFA device: an account change */
    r = by_id(&s, "EXAMPLEb-7dae-48cb-895f-20e86EXAMPLE");
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&r->ev, KM_F_SESSION_ID), "AIDACKCEVSQ6C2EXAMPLE@2020-10-13T21:05:40Z");
    T_EQ_INT(r->ev.mfa, 0);
    T_EQ_INT(r->ev.read_only, 0);
    /* CloudTrail Insights event: names come from insightDetails */
    r = by_id(&s, "abcd00b0-ccfe-422d-961c-98a2198a408x");
    NEED(r);
    T_CHECK(r->src == &km_source_cloudtrail);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_STR(fs(&r->ev, KM_F_CATEGORY), "finding");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "autoscaling.amazonaws.com");
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "CompleteLifecycleAction");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "AwsCloudTrailInsight");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "838185438692");
    /* KMS key rotation by "AWS Internal" */
    r = by_id(&s, "234f004b-EXAMPLE");
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_SRC_RAW), "AWS Internal");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "AWS Internal");
    T_EQ_STR(fs(&r->ev, KM_F_EVENT_TYPE), "AwsServiceEvent");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::KMS::Key\",\"id\":\"arn:aws:kms:us-east-2:123456789012:key/7944f0ec-EXAMPLE\","
             "\"account\":\"123456789012\"}]");
    /* the two digest files: evidence only */
    int digests = 0;
    for (int i = 0; i < s.n; i++) {
        if (s.r[i].src != &km_source_cloudtrail_digest)
            continue;
        digests++;
        T_EQ_INT(s.r[i].rc, KM_OK);
        T_EQ_INT(s.r[i].ctx.emit, 0);
        T_EQ_STR(fs(&s.r[i].ev, KM_F_ACCOUNT), "111122223333");
    }
    T_EQ_INT(digests, 2);
    set_free(&s);
}

static void test_other_guides_and_digest(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, "awsdocs-security-hub-user-guide/extracted/securityhub-ct__01.event.json"), 0);
    T_EQ_INT(load_file(&s, "awsdocs-config-developer-guide/extracted/cloudtrail-log-files-for-aws-config__05.event.json"), 0);
    T_EQ_INT(load_file(&s, "elastic-integrations-testdata/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-cloudtrail-digest-json.log"), 0);
    T_EQ_INT(s.n, 3);
    struct rec *r = by_id(&s, "3dabcebf-35b0-443f-a1a2-26e186ce23bf");
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_SERVICE), "securityhub.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_ACTION), "CreateInsight");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "TestUser");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY), "AKIAIOSFODNN7EXAMPLE");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "205.251.233.179");
    T_EQ_STR(fs(ev, KM_F_USER_AGENT), "aws-cli/1.11.76 Python/2.7.10 Darwin/17.7.0 botocore/1.5.39");
    T_EQ_INT(ev->read_only, 0);
    T_EQ_STR(tm(ev->time_us), "2018-11-25T01:02:18Z");
    T_EQ_STR(fs(ev, KM_F_REGION), "us-west-2");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "api");
    T_EQ_INT(ev->mfa, -1);
    /* Config guide: assumed role */
    r = &s.r[1];
    T_EQ_STR(fs(&r->ev, KM_F_ACTION), "GetResourceConfigHistory");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "JaneDoe/Config-API-Test");
    T_EQ_STR(fs(&r->ev, KM_F_SRC_IP), "10.24.34.0");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "111111111111");
    T_EQ_INT(r->ev.mfa, 0);
    /* elastic digest */
    r = &s.r[2];
    T_CHECK(r->src == &km_source_cloudtrail_digest);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.emit, 0);
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "123456789123");
    T_EQ_STR(tm(r->ev.time_us), "2020-09-11T19:36:49Z");
    T_EQ_INT(km_source_cloudtrail.detect(NULL, NULL), 0);
    set_free(&s);
}

/* ---- every record of every CloudTrail corpus file ----------------------------------- */

struct totals {
    int records, ct, digest, none, erecord, bad_json;
};

static struct totals count(struct set *s)
{
    struct totals t = {0, 0, 0, 0, 0, s->bad_json};
    for (int i = 0; i < s->n; i++) {
        struct rec *r = &s->r[i];
        t.records++;
        if (r->src == &km_source_cloudtrail)
            t.ct++;
        else if (r->src == &km_source_cloudtrail_digest)
            t.digest++;
        else
            t.none++;
        if (r->rc == KM_ERECORD)
            t.erecord++;
        else if (r->rc != KM_OK)
            fprintf(stderr, "  unexpected rc %d: %s\n", r->rc, r->err);
        if (r->rc == KM_OK && r->src == &km_source_cloudtrail) {
            /* required fields, and time consistency with the flags */
            T_CHECK(r->ctx.emit == 1);
            T_CHECK(r->ev.f[KM_F_PROVIDER].p && r->ev.f[KM_F_SOURCE].p);
            T_CHECK(r->ev.f[KM_F_ACTOR_TYPE].p != NULL);
            T_CHECK(r->ev.f[KM_F_OUTCOME].p && r->ev.f[KM_F_CATEGORY].p);
            T_CHECK((r->ev.flags & KM_EV_TIME_MISSING) ? r->ev.time_us == 0 : r->ev.time_us > 0);
            T_CHECK(!!(r->ev.flags & KM_EV_TYPE_PROBLEM) == (r->ctx.problems > 0));
        }
    }
    return t;
}

#define T_TOTALS(s, rec, ct_, dg, no, er, bj)       \
    do {                                            \
        struct totals t_ = count(s);                \
        T_EQ_INT(t_.records, rec);                  \
        T_EQ_INT(t_.ct, ct_);                       \
        T_EQ_INT(t_.digest, dg);                    \
        T_EQ_INT(t_.none, no);                      \
        T_EQ_INT(t_.erecord, er);                   \
        T_EQ_INT(t_.bad_json, bj);                  \
    } while (0)

static void test_totals(void)
{
    struct set s;
    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, STRATUS, ".json"), 35);
    T_TOTALS(&s, 310, 310, 0, 0, 0, 0);
    int fb = 0, raw_only = 0;
    for (int i = 0; i < s.n; i++) {
        fb += !!(s.r[i].ev.flags & (KM_EV_TIME_FALLBACK | KM_EV_TIME_MISSING));
        raw_only += s.r[i].ev.f[KM_F_SRC_RAW].p && !s.r[i].ev.f[KM_F_SRC_IP].p;
    }
    T_EQ_INT(fb, 0);
    T_EQ_INT(raw_only, 107);   /* SOURCE.md: 107 of 310 fail strict IP parsing */
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_zip(&s, OTRF_ZIP), 1);
    T_TOTALS(&s, 103, 103, 0, 0, 0, 0);
    fb = 0;
    for (int i = 0; i < s.n; i++)
        fb += (s.r[i].ev.flags & KM_EV_TIME_FALLBACK) != 0;
    T_EQ_INT(fb, 103);
    set_free(&s);

    /* Panther: 3 lines are not events (only p_* enrichment, or
     * {"eventType":"logout"}): undetected and KM_ERECORD. */
    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PANTHER), 0);
    T_TOTALS(&s, 475, 472, 0, 3, 3, 0);
    int missing = 0, fallback = 0, problems = 0;
    for (int i = 0; i < s.n; i++) {
        if (s.r[i].rc != KM_OK)
            continue;
        missing += !!(s.r[i].ev.flags & KM_EV_TIME_MISSING);
        fallback += !!(s.r[i].ev.flags & KM_EV_TIME_FALLBACK);
        problems += s.r[i].ctx.problems > 0;
    }
    /* by hand: 28 lines lack eventTime: 8 have lower-cased "eventtime",
     * 3 have only p_event_time, 3 are the non-events, 14 have nothing;
     * plus "redacted" and "..." placeholders */
    T_EQ_INT(fallback, 3);
    T_EQ_INT(missing, 16);
    T_EQ_INT(problems, 3);
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, PLASO), 0);
    T_TOTALS(&s, 6, 6, 0, 0, 0, 0);
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_file(&s, TRAILSCRAPER ".gz"), 0);
    T_EQ_INT(load_file(&s, TRAILSCRAPER), 0);
    T_EQ_INT(load_file(&s, "trailscraper-testdata/tests/smoke/events-for-smoke-test.json"), 0);
    T_TOTALS(&s, 7, 7, 0, 0, 0, 0);
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, AWSDOCS, ".json"), 23);
    T_TOTALS(&s, 24, 22, 2, 0, 0, 0);
    set_free(&s);

    set_init(&s, &OPTS);
    T_EQ_INT(load_dir(&s, "awsdocs-config-developer-guide/extracted", ".event.json"), 9);
    T_EQ_INT(load_file(&s, "awsdocs-security-hub-user-guide/extracted/securityhub-ct__01.event.json"), 0);
    T_EQ_INT(load_file(&s, "elastic-integrations-testdata/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-cloudtrail-digest-json.log"), 0);
    T_TOTALS(&s, 11, 10, 1, 0, 0, 0);
    set_free(&s);
}

/* ---- shapes and corner cases from hand-written records ----------------------------- */

struct one {
    struct km_arena a;
    struct km_norm_ctx ctx;
    struct km_event ev;
    struct km_err err;
    int rc, score;
};

/* Parses text, checks detection and normalizes with the CloudTrail module. */
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
    o->score = km_source_cloudtrail.detect(root, wrapper);
    o->ctx.arena = &o->a;
    o->ctx.file = "test";
    o->ctx.wrapper = wrapper;
    km_event_init(&o->ev);
    km_err_clear(&o->err);
    o->rc = km_source_cloudtrail.normalize(root, &o->ctx, &o->ev, &o->err);
}

#define INNER                                                                                   \
    "{\\\"eventVersion\\\":\\\"1.08\\\",\\\"eventTime\\\":\\\"2024-05-01T10:00:00.5Z\\\","      \
    "\\\"eventSource\\\":\\\"iam.amazonaws.com\\\",\\\"eventName\\\":\\\"AttachUserPolicy\\\","  \
    "\\\"eventID\\\":\\\"11111111-2222-3333-4444-555555555555\\\",\\\"awsRegion\\\":\\\"us-east-1\\\"," \
    "\\\"sourceIPAddress\\\":\\\"2001:DB8:0:0:0:0:0:1\\\",\\\"userIdentity\\\":{\\\"type\\\":\\\"IAMUser\\\"," \
    "\\\"userName\\\":\\\"Alice@Example.COM\\\",\\\"accountId\\\":\\\"123456789012\\\"}}"

static void test_cloudwatch_shapes(void)
{
    struct one o;
    /* get-log-events / filter-log-events */
    one(&o, "{\"timestamp\":1714557600000,\"message\":\"" INNER "\",\"ingestionTime\":1714557601000,"
            "\"logStreamName\":\"123456789012_CloudTrail_us-east-1\",\"eventId\":\"3805\"}", "events");
    T_CHECK(o.score >= 90);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00.500000Z");
    T_EQ_INT(o.ev.flags, 0);
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "11111111-2222-3333-4444-555555555555");
    T_EQ_STR(fs(&o.ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "2001:DB8:0:0:0:0:0:1");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "2001:db8::1");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "alice@example.com");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_NAME), "Alice@Example.COM");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "123456789012");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    km_arena_free(&o.a);

    /* subscription logEvents entry whose message lacks eventTime */
    one(&o, "{\"id\":\"3805\",\"timestamp\":1714557600123,\"message\":\"{\\\"eventVersion\\\":\\\"1.08\\\","
            "\\\"eventSource\\\":\\\"s3.amazonaws.com\\\",\\\"eventName\\\":\\\"GetObject\\\"}\"}", "logEvents");
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00.123000Z");
    T_EQ_INT(o.ev.flags, KM_EV_TIME_FALLBACK);
    T_EQ_STR(o.ctx.note, "eventTime missing; used timestamp");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "");
    km_arena_free(&o.a);

    /* a message that is not JSON is not a CloudTrail record */
    one(&o, "{\"timestamp\":1714557600000,\"message\":\"START RequestId: 42\"}", "events");
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "message") != NULL);
    km_arena_free(&o.a);
}

static void test_lookup_events_fallback(void)
{
    struct one o;
    /* CloudTrailEvent is not valid JSON: outer PascalCase fields only */
    one(&o, "{\"EventId\":\"0828c0d2-3589-4390-b954-c78b4a7df44b\",\"EventName\":\"DescribeInstances\","
            "\"ReadOnly\":\"true\",\"AccessKeyId\":\"ASIAEXAMPLE\",\"EventTime\":\"2022-02-08 09:23:37+11:00\","
            "\"EventSource\":\"ec2.amazonaws.com\",\"Username\":\"fakeusername\",\"Resources\":[],"
            "\"CloudTrailEvent\":\"{\\\"eventVersion\\\":\\\"1.08\\\",\"}", "Events");
    T_CHECK(o.score >= 90);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2022-02-07T22:23:37Z");
    T_EQ_INT(o.ev.flags, KM_EV_TIME_FALLBACK | KM_EV_TYPE_PROBLEM);
    T_EQ_INT(o.ctx.problems, 1);
    T_CHECK(strncmp(o.ctx.note, "CloudTrailEvent is not valid JSON", 33) == 0);
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "0828c0d2-3589-4390-b954-c78b4a7df44b");
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "DescribeInstances");
    T_EQ_STR(fs(&o.ev, KM_F_SERVICE), "ec2.amazonaws.com");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_NAME), "fakeusername");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_ACCESS_KEY), "ASIAEXAMPLE");
    T_EQ_INT(o.ev.read_only, 1);
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "unknown");
    km_arena_free(&o.a);

    /* CloudTrailEvent already decoded into an object */
    one(&o, "{\"EventId\":\"x\",\"EventTime\":\"2022-02-08 09:23:37+11:00\",\"CloudTrailEvent\":"
            "{\"eventVersion\":\"1.08\",\"eventName\":\"RunInstances\",\"eventTime\":\"2022-02-07T22:19:04Z\"}}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2022-02-07T22:19:04Z");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "x");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");
    km_arena_free(&o.a);
}

static void test_eventbridge(void)
{
    struct one o;
    one(&o, "{\"version\":\"0\",\"id\":\"6f7e-eb\",\"detail-type\":\"AWS Console Sign In via CloudTrail\","
            "\"source\":\"aws.signin\",\"account\":\"210987654321\",\"time\":\"2024-05-01T10:00:07Z\","
            "\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"eventVersion\":\"1.08\","
            "\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLE:Bob.Smith@Corp.example\","
            "\"arn\":\"arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_ReadOnly_0123abcd/Bob.Smith@Corp.example\","
            "\"accessKeyId\":\"ASIAEXAMPLEKEY\",\"sessionContext\":{\"attributes\":{\"mfaAuthenticated\":false}}},"
            "\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\","
            "\"responseElements\":{\"ConsoleLogin\":\"Failure\"},\"additionalEventData\":{\"MFAUsed\":\"Yes\"},"
            "\"sourceIPAddress\":\"::ffff:198.51.100.7\",\"eventID\":\"e-1\"}}", NULL);
    T_EQ_INT(o.score, 95);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:07Z");     /* envelope time */
    T_EQ_INT(o.ev.flags, KM_EV_TIME_FALLBACK);
    T_EQ_STR(o.ctx.note, "eventTime missing; used time");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "210987654321");
    T_EQ_STR(fs(&o.ev, KM_F_REGION), "us-east-1");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_NAME), "AWSReservedSSO_ReadOnly_0123abcd/Bob.Smith@Corp.example");
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_EMAIL), "bob.smith@corp.example");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "failure");
    T_EQ_INT(o.ev.mfa, 1);                                  /* MFAUsed beats the session flag */
    T_EQ_STR(fs(&o.ev, KM_F_SRC_IP), "::ffff:198.51.100.7");
    T_EQ_STR(fs(&o.ev, KM_F_EVENT_ID), "e-1");
    km_arena_free(&o.a);

    /* other EventBridge events are not ours */
    one(&o, "{\"detail-type\":\"Security Hub Findings - Imported\",\"detail\":{\"findings\":[]}}", NULL);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);
}

static void test_type_problems(void)
{
    struct one o;
    one(&o, "{\"eventVersion\":\"1.08\",\"eventTime\":1714557600,\"eventSource\":\"ec2.amazonaws.com\","
            "\"eventName\":{\"x\":1},\"awsRegion\":[\"us-east-1\"],\"recipientAccountId\":123456789012,"
            "\"userIdentity\":\"IAMUser\",\"sourceIPAddress\":true,\"readOnly\":\"maybe\","
            "\"resources\":{\"ARN\":\"a\"},\"userAgent\":\"[]\",\"errorCode\":\"\"}", "Records");
    T_CHECK(o.score >= 50);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_STR(tm(o.ev.time_us), "2024-05-01T10:00:00Z");     /* epoch number, counted */
    T_EQ_STR(fs(&o.ev, KM_F_ACTION), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_REGION), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_ACCOUNT), "123456789012");      /* number text, counted */
    T_EQ_STR(fs(&o.ev, KM_F_ACTOR_TYPE), "");
    T_EQ_STR(fs(&o.ev, KM_F_SRC_RAW), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_USER_AGENT), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_RESOURCES), "(absent)");
    T_EQ_STR(fs(&o.ev, KM_F_OUTCOME), "success");           /* errorCode "" */
    T_EQ_INT(o.ev.read_only, -1);
    T_EQ_INT(o.ctx.problems, 8);   /* all but userAgent "[]" and errorCode "" */
    T_CHECK(o.ev.flags & KM_EV_TYPE_PROBLEM);
    T_EQ_STR(o.ctx.note, "eventTime is a number, expected a timestamp string");
    km_arena_free(&o.a);

    /* not an object / nothing to name */
    one(&o, "[1,2]", NULL);
    T_EQ_INT(o.score, 0);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "not an object") != NULL);
    km_arena_free(&o.a);
    one(&o, "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-05-01T10:00:00Z\"}", NULL);
    T_EQ_INT(o.rc, KM_ERECORD);
    T_CHECK(strstr(o.err.msg, "no eventName or eventSource") != NULL);
    km_arena_free(&o.a);
    one(&o, "{\"CloudTrailEvent\":\"not json\"}", "Events");
    T_EQ_INT(o.rc, KM_ERECORD);
    km_arena_free(&o.a);

    /* no time at all: still an event */
    one(&o, "{\"eventName\":\"ListBuckets\",\"eventSource\":\"s3.amazonaws.com\"}", NULL);
    T_EQ_INT(o.rc, KM_OK);
    T_EQ_INT(o.ev.time_us, 0);
    T_EQ_INT(o.ev.flags, KM_EV_TIME_MISSING);
    T_EQ_STR(o.ctx.note, "eventTime missing and no fallback time; time set to 0");
    km_arena_free(&o.a);
}

static void test_detect_scores(void)
{
    struct one o;
    one(&o, "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}", NULL);
    T_EQ_INT(o.score, 100);
    km_arena_free(&o.a);
    one(&o, "{\"time\":\"2024-01-01T00:00:00Z\",\"category\":\"SignInLogs\",\"operationName\":\"Sign-in activity\"}", NULL);
    T_EQ_INT(o.score, 0);
    km_arena_free(&o.a);
    one(&o, "{\"protoPayload\":{\"serviceName\":\"iam.googleapis.com\"},\"logName\":\"x\"}", NULL);
    T_EQ_INT(o.score, 0);
    km_arena_free(&o.a);
    /* digest: not CloudTrail, but the digest module's */
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    char text[] = "{\"awsAccountId\":\"1\",\"digestStartTime\":\"2015-08-17T14:01:31Z\",\"logFiles\":[]}";
    struct km_json *root;
    T_EQ_INT(km_json_parse(text, strlen(text), NULL, &a, &root, NULL), KM_OK);
    T_EQ_INT(km_source_cloudtrail.detect(root, NULL), 0);
    T_EQ_INT(km_source_cloudtrail_digest.detect(root, NULL), 100);
    T_CHECK(km_source_detect(root, NULL, &km_source_cloudtrail) == &km_source_cloudtrail_digest);
    km_arena_free(&a);
}

/* ---- CSV exports --------------------------------------------------------------------- */

static const struct corpus_opts SPLIT = {.split = 1};

/* CSV text written here, split and normalized as ingest does. */
static void csv_load(struct set *s, const char *text)
{
    set_init(s, &SPLIT);
    load_bytes(s, text, strlen(text));
}

#define HONEY_ZIP "otrf-security-datasets/datasets/atomic/aws/discovery/aws_s3_honeybucketlogs.zip"

/* The OTRF honey-bucket alert CSV: 301 rows, every one an event (counted and
 * read with Python's csv module). */
static void test_csv_honeybucket(void)
{
    struct set s;
    set_init(&s, &SPLIT);
    T_EQ_INT(load_zip(&s, HONEY_ZIP), 1);
    T_EQ_INT(s.ne, 0);
    T_EQ_INT(s.n, 301);
    int ok = 0, anon = 0, head = 0, list = 0, put = 0;
    for (int i = 0; i < s.n; i++) {
        struct rec *r = &s.r[i];
        if (r->rc != KM_OK || r->src != &km_source_cloudtrail) {
            fprintf(stderr, "  row at line %d: %s\n", r->line, r->err);
            continue;
        }
        ok++;
        anon += km_str_eqc(r->ev.f[KM_F_ACCOUNT], "ANONYMOUS_PRINCIPAL");
        head += km_str_eqc(r->ev.f[KM_F_ACTION], "HeadBucket");
        list += km_str_eqc(r->ev.f[KM_F_ACTION], "ListObjects");
        put += km_str_eqc(r->ev.f[KM_F_ACTION], "PutObject");
        T_EQ_INT(r->ctx.problems, 0);
        T_CHECK(!(r->ev.flags & (KM_EV_TIME_MISSING | KM_EV_TIME_FALLBACK | KM_EV_ID_SYNTH)));
    }
    T_EQ_INT(ok, 301);
    T_EQ_INT(anon, 284);
    T_EQ_INT(head, 159);
    T_EQ_INT(list, 138);
    T_EQ_INT(put, 4);
    /* the first row */
    struct rec *r = by_line(&s, 2);
    NEED(r);
    struct km_event *ev = &r->ev;
    T_EQ_INT(r->off, 153);
    T_EQ_INT(ev->raw.offset, 153);
    T_EQ_INT(ev->raw.length, 466);   /* the row without its CRLF */
    T_EQ_STR(fs(ev, KM_F_EVENT_ID), "283770f5-968d-448d-9328-0b010f4d3696");
    T_EQ_STR(tm(ev->time_us), "2022-02-18T17:34:57Z");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "177.131.167.145");
    T_EQ_STR(fs(ev, KM_F_ACTION), "ListObjects");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "ANONYMOUS_PRINCIPAL");
    T_EQ_STR(fs(ev, KM_F_ACTOR_TYPE), "AWSAccount");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "ANONYMOUS_PRINCIPAL");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "(absent)");             /* principalId '' */
    T_EQ_STR(fs(ev, KM_F_SERVICE), "s3.amazonaws.com");      /* from bucketName */
    T_EQ_STR(fs(ev, KM_F_REGION), "eu-west-1");              /* from Host */
    T_EQ_STR(fs(ev, KM_F_REQUEST_ID), "E2E91AQVN6DJHZ91");
    T_EQ_STR(fs(ev, KM_F_EVENT_TYPE), "AwsApiCall");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "unknown");               /* no error column */
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "api");
    T_EQ_STR(fs(ev, KM_F_USER_AGENT),
             "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/98.0.4758.102 Safari/537.36");
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "[{\"type\":\"AWS::S3::Bucket\",\"id\":\"arn:aws:s3:::microsoft-devtest\"}]");
    /* an IAM user's account: principal and account from the dict */
    r = by_id(&s, "9a2bcb2c-9e9a-44ce-84ce-07151187786c");
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_ACTOR_ID), "AIDAZTADS5TQBDY2MAAOH");
    T_EQ_STR(fs(ev, KM_F_ACCOUNT), "659285011680");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "659285011680");
    T_EQ_STR(tm(ev->time_us), "2021-03-22T16:02:57Z");
    T_EQ_STR(fs(ev, KM_F_REGION), "eu-west-1");              /* bucket.s3.REGION host */
    T_EQ_STR(fs(ev, KM_F_USER_AGENT), "Go-http-client/1.1");
    set_free(&s);
}

/* The CloudTrail console's "Download events → CSV". */
static void test_csv_console(void)
{
    struct set s;
    csv_load(&s,
             "Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,"
             "AWS region,Error code,Source IP address,Event source,Read-only\r\n"
             "3b3e6b0e-4d1c-4f0a-9a5e-0b6f1a2c3d4e,2023-07-19T21:33:41Z,alice,CreateUser,"
             "AWS::IAM::User,mallory,ASIAEXAMPLEKEY123,us-east-1,,198.51.100.20,iam.amazonaws.com,"
             "false\r\n"
             "7c1d9e2f-0a1b-4c2d-8e3f-405162738495,2023-07-19T21:30:00Z,Bob@Example.com,ConsoleLogin,,,,"
             "us-east-1,Failed authentication,2001:DB8::1,signin.amazonaws.com,false\r\n");
    T_EQ_INT(s.ne, 0);
    T_EQ_INT(s.n, 2);
    struct rec *r = by_id(&s, "3b3e6b0e-4d1c-4f0a-9a5e-0b6f1a2c3d4e");
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_CHECK(r->src == &km_source_cloudtrail);
    struct km_event *ev = &r->ev;
    T_EQ_STR(tm(ev->time_us), "2023-07-19T21:33:41Z");
    T_EQ_STR(fs(ev, KM_F_ACTOR_NAME), "alice");
    T_EQ_STR(fs(ev, KM_F_ACTOR_ACCESS_KEY), "ASIAEXAMPLEKEY123");
    T_EQ_STR(fs(ev, KM_F_SESSION_ID), "ASIAEXAMPLEKEY123");
    T_EQ_STR(fs(ev, KM_F_ACTION), "CreateUser");
    T_EQ_STR(fs(ev, KM_F_SERVICE), "iam.amazonaws.com");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "account_change");
    T_EQ_STR(fs(ev, KM_F_REGION), "us-east-1");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "198.51.100.20");
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "success");
    T_EQ_INT(ev->read_only, 0);
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "[{\"type\":\"AWS::IAM::User\",\"name\":\"mallory\"}]");
    T_EQ_INT(ev->raw.length, 164);
    r = by_id(&s, "7c1d9e2f-0a1b-4c2d-8e3f-405162738495");
    NEED(r);
    ev = &r->ev;
    T_EQ_STR(fs(ev, KM_F_OUTCOME), "failure");
    T_EQ_STR(fs(ev, KM_F_ERROR_CODE), "Failed authentication");
    T_EQ_STR(fs(ev, KM_F_CATEGORY), "authentication");
    T_EQ_STR(fs(ev, KM_F_ACTOR_EMAIL), "bob@example.com");
    T_EQ_STR(fs(ev, KM_F_SRC_IP), "2001:db8::1");
    T_EQ_STR(fs(ev, KM_F_SRC_RAW), "2001:DB8::1");
    T_EQ_STR(fs(ev, KM_F_RESOURCES), "(absent)");
    set_free(&s);
}

/* Alert-style rows: dicts as JSON or Python repr, a plain User ID, a cell
 * that is no dict. */
static void test_csv_alert_variants(void)
{
    struct set s;
    csv_load(&s,
             "Event Name,Event ID,Event DateTime,User ID,Request Parameters,Source IP\n"
             "GetObject,e-1,2022-02-18T17:34:57Z,\"{\"\"type\"\": \"\"IAMUser\"\", "
             "\"\"userName\"\": \"\"carol\"\", \"\"accountId\"\": \"\"111122223333\"\"}\","
             "\"{'bucketName': \"\"o'brien\\x41\"\", 'key': None, 'acl': True}\",192.0.2.5\n"
             "ListBuckets,e-2,2022-02-18T17:35:00Z,AIDAPLAINID,,192.0.2.6\n"
             "HeadBucket,e-3,2022-02-18T17:36:00Z,\"{'type': ('tuple',)}\",,192.0.2.7\n");
    T_EQ_INT(s.ne, 0);
    T_EQ_INT(s.n, 3);
    struct rec *r = by_id(&s, "e-1");
    NEED(r);
    T_CHECK(r->src == &km_source_cloudtrail);
    T_EQ_INT(r->ctx.problems, 0);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_TYPE), "IAMUser");
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_NAME), "carol");
    T_EQ_STR(fs(&r->ev, KM_F_ACCOUNT), "111122223333");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "s3.amazonaws.com");
    T_EQ_STR(fs(&r->ev, KM_F_RESOURCES),
             "[{\"type\":\"AWS::S3::Bucket\",\"id\":\"arn:aws:s3:::o'brienA\"}]");
    T_EQ_STR(fs(&r->ev, KM_F_REGION), "(absent)");
    r = by_id(&s, "e-2");
    NEED(r);
    T_EQ_STR(fs(&r->ev, KM_F_ACTOR_ID), "AIDAPLAINID");
    T_EQ_STR(fs(&r->ev, KM_F_SERVICE), "(absent)");
    T_EQ_STR(fs(&r->ev, KM_F_OUTCOME), "unknown");
    r = by_id(&s, "e-3");
    NEED(r);
    T_EQ_INT(r->rc, KM_OK);
    T_EQ_INT(r->ctx.problems, 1);
    T_CHECK(strstr(r->ctx.note, "User ID is neither") != NULL);
    set_free(&s);
    /* JSON records are not read as CSV rows; a row without "Event name" and
     * an id or time is not CloudTrail */
    struct set t;
    csv_load(&t, "Event Name,Something\nListObjects,x\n");
    T_EQ_INT(t.n, 1);
    T_CHECK(t.r[0].src != &km_source_cloudtrail);
    set_free(&t);
}

int main(void)
{
    T_RUN(test_stratus);
    T_RUN(test_otrf_logstash);
    T_RUN(test_panther);
    T_RUN(test_plaso_lookup_events);
    T_RUN(test_trailscraper_gz);
    T_RUN(test_awsdocs);
    T_RUN(test_other_guides_and_digest);
    T_RUN(test_totals);
    T_RUN(test_cloudwatch_shapes);
    T_RUN(test_lookup_events_fallback);
    T_RUN(test_eventbridge);
    T_RUN(test_type_problems);
    T_RUN(test_detect_scores);
    T_RUN(test_csv_honeybucket);
    T_RUN(test_csv_console);
    T_RUN(test_csv_alert_variants);
    return t_done();
}
