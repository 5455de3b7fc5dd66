/*
 * json_bench.c — kumo's JSON parser against Debian's libcjson, in one process.
 *
 *   json_bench [-m MB] [FILE...]
 *
 * Without files it generates deterministic CloudTrail-like records (nested
 * userIdentity/sessionContext, requestParameters with IAM policies embedded
 * as escaped JSON strings, tlsDetails, resources arrays, unicode, numbers) of
 * about MB megabytes (default 100), both as one {"Records":[...]} document and
 * as JSON Lines. With files, each is parsed as one document, or as JSON Lines
 * when its name ends in .jsonl or .ndjson.
 *
 * kumo parses in place, so it parses a copy: a document is copied whole
 * into a scratch buffer, JSON Lines are copied line by line into one reused
 * scratch buffer (as the ingest pipeline hands records over). The copy is
 * INCLUDED in kumo's time, and also reported on its own. kumo's arena is reset
 * after every document. cJSON parses the original bytes (it does not modify
 * them) with cJSON_ParseWithLength and frees with cJSON_Delete. Line
 * splitting (memchr) is timed for both. All kumo runs come first, then all
 * cJSON runs; malloc is told not to trim or mmap per block, so neither parser
 * is timed zeroing fresh pages from the kernel after the first run.
 * Best of 3 runs each; prints MB/s (10^6 bytes) and exits 1 when the ratio
 * kumo/cJSON is below 5 for any input (2 on a parse failure).
 */
#include "json/json.h"

#include <cJSON.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KM_BENCH_RUNS 3
#define KM_BENCH_TARGET 5.0

static double km_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- deterministic record generator ------------------------------------- */

static uint64_t km_rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    km_rng ^= km_rng << 13;
    km_rng ^= km_rng >> 7;
    km_rng ^= km_rng << 17;
    return (uint32_t)((km_rng >> 11) % n);
}

static const char *pick(const char *const *v, size_t n) { return v[rnd((uint32_t)n)]; }
#define PICK(v) pick(v, KM_ARRAY_LEN(v))

static void hexid(struct km_buf *b, int n)
{
    static const char h[] = "0123456789abcdef";
    for (int i = 0; i < n; i++)
        km_buf_addc(b, h[rnd(16)]);
}

static void uuid(struct km_buf *b)
{
    hexid(b, 8);
    km_buf_addc(b, '-');
    hexid(b, 4);
    km_buf_addc(b, '-');
    hexid(b, 4);
    km_buf_addc(b, '-');
    hexid(b, 4);
    km_buf_addc(b, '-');
    hexid(b, 12);
}

static void upid(struct km_buf *b, const char *prefix, int n)
{
    static const char u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    km_buf_adds(b, prefix);
    for (int i = 0; i < n; i++)
        km_buf_addc(b, u[rnd(32)]);
}

static const char *const users[] = {"alice", "bob", "carol", "deploy-bot", "zoë.müller",
                                    "jörg", "terraform", "ci-runner", "\\u6771\\u4eac-ops"};
static const char *const roles[] = {"AdminRole", "ReadOnly", "OrganizationAccountAccessRole",
                                    "lambda-exec", "EKSNodeRole", "SecurityAudit"};
static const char *const regions[] = {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
                                      "ap-northeast-1", "sa-east-1"};
static const char *const agents[] = {
    "aws-cli/2.13.4 Python/3.11.4 Linux/5.15.0-1040-aws exe/x86_64.ubuntu.22 prompt/off "
    "command/s3api.get-object",
    "Boto3/1.28.2 md/Botocore#1.31.2 ua/2.0 os/linux#5.10.184 md/arch#x86_64 lang/python#3.9.16 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.2",
    "console.amazonaws.com", "AWS Internal",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/115.0.0.0 Safari/537.36",
    "[aws-sdk-go/1.44.298 (go1.20.6; linux; amd64) exec-env/AWS_ECS_FARGATE]",
    "Terraform/1.5.3 (+https://www.terraform.io) terraform-provider-aws/5.9.0"};
static const char *const accounts[] = {"123456789012", "210987654321", "555566667777"};

static void ts(struct km_buf *b)
{
    km_buf_printf(b, "\"2023-%02u-%02uT%02u:%02u:%02uZ\"", 1 + rnd(12), 1 + rnd(28), rnd(24),
                  rnd(60), rnd(60));
}

static void ip(struct km_buf *b)
{
    if (rnd(10) == 0)
        km_buf_adds(b, "\"ec2.amazonaws.com\"");
    else if (rnd(8) == 0)
        km_buf_printf(b, "\"2001:db8:%x::%x\"", rnd(65536), rnd(65536));
    else
        km_buf_printf(b, "\"%u.%u.%u.%u\"", 1 + rnd(223), rnd(256), rnd(256), 1 + rnd(254));
}

static void identity(struct km_buf *b, const char *acct)
{
    const char *role = PICK(roles), *user = PICK(users);
    int kind = (int)rnd(10);
    if (kind < 6) {
        km_buf_adds(b, "\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"");
        upid(b, "AROA", 17);
        km_buf_printf(b, ":%s\",\"arn\":\"arn:aws:sts::%s:assumed-role/%s/%s\",\"accountId\":\"%s\","
                         "\"accessKeyId\":\"",
                      user, acct, role, user, acct);
        upid(b, "ASIA", 16);
        km_buf_adds(b, "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"");
        upid(b, "AROA", 17);
        km_buf_printf(b, "\",\"arn\":\"arn:aws:iam::%s:role/%s\",\"accountId\":\"%s\",\"userName\":"
                         "\"%s\"},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":",
                      acct, role, acct, role);
        ts(b);
        km_buf_printf(b, ",\"mfaAuthenticated\":\"%s\"}", rnd(2) ? "true" : "false");
        if (rnd(3) == 0)
            km_buf_adds(b, ",\"sourceIdentity\":\"admin@example.com\"");
        km_buf_adds(b, "}}");
    } else if (kind < 9) {
        km_buf_adds(b, "\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"");
        upid(b, "AIDA", 17);
        km_buf_printf(b, "\",\"arn\":\"arn:aws:iam::%s:user/%s\",\"accountId\":\"%s\","
                         "\"accessKeyId\":\"",
                      acct, user, acct);
        upid(b, "AKIA", 16);
        km_buf_printf(b, "\",\"userName\":\"%s\"}", user);
    } else {
        km_buf_adds(b, "\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":"
                       "\"cloudformation.amazonaws.com\"}");
    }
}

static void policy(struct km_buf *b)
{
    /* a policy document embedded as an escaped JSON string */
    km_buf_adds(b, "\"{\\n  \\\"Version\\\": \\\"2012-10-17\\\",\\n  \\\"Statement\\\": [");
    int n = 1 + (int)rnd(3);
    for (int i = 0; i < n; i++) {
        km_buf_printf(b,
                      "%s\\n    {\\n      \\\"Sid\\\": \\\"Stmt%u\\\",\\n      \\\"Effect\\\": "
                      "\\\"%s\\\",\\n      \\\"Action\\\": [\\\"s3:GetObject\\\", "
                      "\\\"s3:PutObject\\\", \\\"kms:Decrypt\\\"],\\n      \\\"Resource\\\": "
                      "\\\"arn:aws:s3:::bucket-%u/*\\\"\\n    }",
                      i ? "," : "", rnd(100000), rnd(4) ? "Allow" : "Deny", rnd(1000));
    }
    km_buf_adds(b, "\\n  ]\\n}\"");
}

static void request(struct km_buf *b, const char *acct, const char **src, const char **name)
{
    switch (rnd(6)) {
    case 0:
        *src = "s3.amazonaws.com";
        *name = "GetObject";
        km_buf_printf(b, "\"requestParameters\":{\"bucketName\":\"logs-%u\",\"Host\":\"logs-%u.s3."
                         "amazonaws.com\",\"key\":\"AWSLogs/%s/2023/%02u/data-%u.json.gz\"},"
                         "\"responseElements\":null,\"additionalEventData\":{"
                         "\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"ECDHE-RSA-AES128-GCM-"
                         "SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\","
                         "\"x-amz-id-2\":\"",
                      rnd(50), rnd(50), acct, 1 + rnd(12), rnd(1000000));
        hexid(b, 40);
        km_buf_printf(b, "\",\"bytesTransferredOut\":%u},\"resources\":[{\"type\":\"AWS::S3::Object\","
                         "\"ARN\":\"arn:aws:s3:::logs/obj-%u\"},{\"accountId\":\"%s\",\"type\":"
                         "\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::logs\"}]",
                      rnd(50000000), rnd(100000), acct);
        break;
    case 1:
        *src = "ec2.amazonaws.com";
        *name = "DescribeInstances";
        km_buf_printf(b, "\"requestParameters\":{\"instancesSet\":{},\"filterSet\":{\"items\":["
                         "{\"name\":\"instance-state-name\",\"valueSet\":{\"items\":[{\"value\":"
                         "\"running\"},{\"value\":\"stopped\"}]}},{\"name\":\"tag:Team\","
                         "\"valueSet\":{\"items\":[{\"value\":\"sécurité\"}]}}]},\"maxResults\":%u},"
                         "\"responseElements\":null",
                      5 + rnd(995));
        break;
    case 2:
        *src = "iam.amazonaws.com";
        *name = "PutRolePolicy";
        km_buf_printf(b, "\"requestParameters\":{\"roleName\":\"%s\",\"policyName\":\"inline-%u\","
                         "\"policyDocument\":",
                      PICK(roles), rnd(1000));
        policy(b);
        km_buf_adds(b, "},\"responseElements\":null");
        break;
    case 3:
        *src = "sts.amazonaws.com";
        *name = "AssumeRole";
        km_buf_printf(b, "\"requestParameters\":{\"roleArn\":\"arn:aws:iam::%s:role/%s\","
                         "\"roleSessionName\":\"session-%u\",\"durationSeconds\":%u},"
                         "\"responseElements\":{\"credentials\":{\"accessKeyId\":\"",
                      acct, PICK(roles), rnd(100000), 900 + rnd(42300));
        upid(b, "ASIA", 16);
        km_buf_adds(b, "\",\"sessionToken\":\"");
        upid(b, "IQoJb3JpZ2luX2VjE", 120);
        km_buf_adds(b, "\",\"expiration\":\"Oct 5, 2023, 1:14:06 PM\"},\"assumedRoleUser\":{"
                       "\"assumedRoleId\":\"");
        upid(b, "AROA", 17);
        km_buf_printf(b, ":session\",\"arn\":\"arn:aws:sts::%s:assumed-role/x/session\"}}", acct);
        break;
    case 4:
        *src = "signin.amazonaws.com";
        *name = "ConsoleLogin";
        km_buf_printf(b, "\"requestParameters\":null,\"responseElements\":{\"ConsoleLogin\":\"%s\"},"
                         "\"additionalEventData\":{\"LoginTo\":\"https://console.aws.amazon.com/"
                         "console/home?state=hashArgs%%23&isauthcode=true\",\"MobileVersion\":\"No\","
                         "\"MFAUsed\":\"%s\"}",
                      rnd(5) ? "Success" : "Failure", rnd(2) ? "Yes" : "No");
        break;
    default:
        *src = "ec2.amazonaws.com";
        *name = "RunInstances";
        km_buf_printf(b, "\"requestParameters\":{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-"
                         "%08x\",\"minCount\":1,\"maxCount\":%u}]},\"instanceType\":\"t3.%s\","
                         "\"blockDeviceMapping\":{},\"monitoring\":{\"enabled\":false},"
                         "\"disableApiTermination\":false,\"clientToken\":\"",
                      rnd(0x7fffffff), 1 + rnd(4), rnd(2) ? "micro" : "large");
        uuid(b);
        km_buf_printf(b, "\",\"tagSpecificationSet\":{\"items\":[{\"resourceType\":\"instance\","
                         "\"tags\":[{\"key\":\"Name\",\"value\":\"web-%u \\u2014 prod\"},{\"key\":"
                         "\"Cost\",\"value\":\"%u.%02u\"}]}]}},\"errorCode\":"
                         "\"Client.UnauthorizedOperation\",\"errorMessage\":\"You are not "
                         "authorized to perform this operation. Encoded authorization failure "
                         "message: ",
                      rnd(100), rnd(1000), rnd(100));
        upid(b, "", 200);
        km_buf_adds(b, "\",\"responseElements\":null");
        break;
    }
}

static void record(struct km_buf *b)
{
    const char *acct = PICK(accounts), *src = "", *name = "";
    km_buf_printf(b, "{\"eventVersion\":\"1.%02u\",", 5 + rnd(6));
    identity(b, acct);
    km_buf_adds(b, ",\"eventTime\":");
    ts(b);
    /* eventSource/eventName come from the request kind: write the request into a
     * side buffer first */
    struct km_buf req;
    km_buf_init(&req, 0);
    request(&req, acct, &src, &name);
    km_buf_printf(b, ",\"eventSource\":\"%s\",\"eventName\":\"%s\",\"awsRegion\":\"%s\","
                     "\"sourceIPAddress\":",
                  src, name, PICK(regions));
    ip(b);
    km_buf_adds(b, ",\"userAgent\":");
    const char *ua = PICK(agents);
    km_json_write_str(b, ua, strlen(ua));
    km_buf_addc(b, ',');
    km_buf_add(b, req.p, req.n);
    km_buf_free(&req);
    km_buf_adds(b, ",\"requestID\":\"");
    uuid(b);
    km_buf_adds(b, "\",\"eventID\":\"");
    uuid(b);
    km_buf_printf(b, "\",\"readOnly\":%s,\"eventType\":\"AwsApiCall\",\"managementEvent\":true,"
                     "\"recipientAccountId\":\"%s\",\"eventCategory\":\"Management\","
                     "\"tlsDetails\":{\"tlsVersion\":\"TLSv1.%u\",\"cipherSuite\":\"%s\","
                     "\"clientProvidedHostHeader\":\"%s\"}",
                  rnd(2) ? "true" : "false", acct, 2 + rnd(2),
                  rnd(2) ? "ECDHE-RSA-AES128-GCM-SHA256" : "TLS_AES_128_GCM_SHA256", src);
    if (rnd(4) == 0)
        km_buf_printf(b, ",\"sessionCredentialFromConsole\":\"true\",\"latency\":%u.%03u",
                      rnd(10), rnd(1000));
    km_buf_addc(b, '}');
}

/* ---- inputs ------------------------------------------------------------- */

struct km_input {
    char name[256];
    char *p;         /* the bytes */
    size_t n;
    int lines;       /* 1: JSON Lines (one document per '\n'-terminated line) */
};

static void gen_inputs(size_t target, struct km_input *doc, struct km_input *jl)
{
    struct km_buf d, l;
    km_buf_init(&d, 0);
    km_buf_init(&l, 0);
    km_buf_adds(&d, "{\"Records\":[");
    struct km_buf r;
    km_buf_init(&r, 0);
    size_t count = 0;
    while (d.n < target) {
        r.n = 0;
        record(&r);
        if (count++)
            km_buf_addc(&d, ',');
        km_buf_add(&d, r.p, r.n);
        km_buf_add(&l, r.p, r.n);
        km_buf_addc(&l, '\n');
    }
    km_buf_adds(&d, "]}");
    km_buf_free(&r);
    if (d.oom || l.oom) {
        fprintf(stderr, "json_bench: generator ran out of memory\n");
        exit(2);
    }
    snprintf(doc->name, sizeof doc->name, "generated {\"Records\":[...]} (%zu records)", count);
    doc->p = d.p;
    doc->n = d.n;
    doc->lines = 0;
    snprintf(jl->name, sizeof jl->name, "generated JSON Lines (%zu records)", count);
    jl->p = l.p;
    jl->n = l.n;
    jl->lines = 1;
}

static int load_file(const char *path, struct km_input *in)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    in->p = malloc(sz > 0 ? (size_t)sz : 1);
    if (!in->p || fread(in->p, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        return -1;
    }
    fclose(f);
    in->n = (size_t)sz;
    size_t pl = strlen(path);
    in->lines = (pl > 6 && strcmp(path + pl - 6, ".jsonl") == 0) ||
                (pl > 7 && strcmp(path + pl - 7, ".ndjson") == 0);
    snprintf(in->name, sizeof in->name, "%s", path);
    return 0;
}

/* ---- timed loops -------------------------------------------------------- */

struct km_result {
    double kumo, copy, cjson; /* best seconds; kumo includes copy */
    long bad;
};

/*
 * kumo over in: JSON Lines are copied line by line into one reused scratch
 * buffer (as an ingest pipeline hands records over) and parsed there; a
 * document is copied whole and parsed. copy_only=1 does the copies alone.
 */
static double kumo_pass(const struct km_input *in, char *scratch, struct km_arena *a,
                        int copy_only, uint64_t *members, long *bad)
{
    double t0 = km_now();
    const char *p = in->p, *end = in->p + in->n;
    while (p < end) {
        const char *nl = in->lines ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (k) {
            memcpy(scratch, p, k);
            if (!copy_only) {
                struct km_json *root;
                struct km_err e;
                km_err_clear(&e);
                if (km_json_parse(scratch, k, NULL, a, &root, &e) == KM_OK) {
                    *members += root->len;
                } else {
                    fprintf(stderr, "kumo: %s at offset %llu\n", e.msg,
                            (unsigned long long)e.offset);
                    (*bad)++;
                }
                km_arena_reset(a);
            }
        }
        p += k + 1;
    }
    return km_now() - t0;
}

/* cJSON over the original bytes (cJSON does not modify its input). */
static double cjson_pass(const struct km_input *in, uint64_t *members, long *bad)
{
    double t0 = km_now();
    const char *p = in->p, *end = in->p + in->n;
    while (p < end) {
        const char *nl = in->lines ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (k) {
            cJSON *r = cJSON_ParseWithLength(p, k);
            if (r) {
                *members += (uint64_t)cJSON_GetArraySize(r);
                cJSON_Delete(r);
            } else {
                (*bad)++;
            }
        }
        p += k + 1;
    }
    return km_now() - t0;
}

static void bench_input(const struct km_input *in, struct km_result *res)
{
    char *scratch = malloc(in->n ? in->n : 1);
    struct km_arena a;
    /* 1 MiB blocks: a 100 MB document needs a few hundred of them */
    km_arena_init(&a, (size_t)1 << 20, (size_t)4 << 30);
    res->kumo = res->copy = res->cjson = 1e30;
    res->bad = 0;
    uint64_t mk = 0, mc = 0;
    /* all kumo runs, then all cJSON runs, so neither pays for the other's frees */
    for (int run = 0; run < KM_BENCH_RUNS; run++) {
        uint64_t m = 0;
        double t = kumo_pass(in, scratch, &a, 0, &m, &res->bad);
        if (t < res->kumo)
            res->kumo = t;
        mk = m;
        t = kumo_pass(in, scratch, &a, 1, &m, &res->bad);
        if (t < res->copy)
            res->copy = t;
    }
    km_arena_free(&a);
    free(scratch);
    for (int run = 0; run < KM_BENCH_RUNS; run++) {
        uint64_t m = 0;
        double t = cjson_pass(in, &m, &res->bad);
        if (t < res->cjson)
            res->cjson = t;
        mc = m;
    }
    if (mk != mc) {
        fprintf(stderr, "json_bench: kumo and cJSON disagree on %s\n", in->name);
        res->bad++;
    }
}

int main(int argc, char **argv)
{
    size_t mb = 100;
    int ai = 1;
    if (argc > 2 && strcmp(argv[1], "-m") == 0) {
        mb = (size_t)strtoul(argv[2], NULL, 10);
        ai = 3;
    }
    /* Keep freed memory in the process (no heap trimming, no per-block mmap) so
     * that, for both parsers, runs after the first measure parsing rather
     * than the kernel zeroing fresh pages. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    struct km_input *ins = calloc((size_t)(argc + 2), sizeof *ins);
    int nin = 0;
    if (ai >= argc) {
        double t0 = km_now();
        gen_inputs(mb * 1000 * 1000, &ins[0], &ins[1]);
        nin = 2;
        printf("generated %.1f MB of CloudTrail-like records in %.2f s\n", (double)ins[0].n / 1e6,
               km_now() - t0);
    } else {
        for (; ai < argc; ai++)
            if (load_file(argv[ai], &ins[nin++]) != 0) {
                fprintf(stderr, "json_bench: cannot read %s\n", argv[ai]);
                return 2;
            }
    }
    printf("method: best of %d runs; kumo = copy into a scratch buffer + km_json_parse + arena "
           "reset; cJSON = cJSON_ParseWithLength + cJSON_Delete on the original bytes\n",
           KM_BENCH_RUNS);
    fflush(stdout);
    int fail = 0;
    double worst = 1e30;
    for (int i = 0; i < nin; i++) {
        struct km_result r;
        bench_input(&ins[i], &r);
        if (r.bad) {
            fprintf(stderr, "json_bench: parse failures on %s\n", ins[i].name);
            fail = 1;
        }
        double mbn = (double)ins[i].n / 1e6;
        double ratio = r.cjson / r.kumo;
        if (ratio < worst)
            worst = ratio;
        printf("%s: %.1f MB\n", ins[i].name, mbn);
        printf("json: kumo %.1f MB/s  cJSON %.1f MB/s  ratio %.1fx (target >= %.0fx)"
               "  [kumo incl. input copy; copy alone %.1f MB/s]\n",
               mbn / r.kumo, mbn / r.cjson, ratio, KM_BENCH_TARGET, mbn / r.copy);
        free(ins[i].p);
    }
    free(ins);
    if (fail)
        return 2;
    return worst >= KM_BENCH_TARGET ? 0 : 1;
}
