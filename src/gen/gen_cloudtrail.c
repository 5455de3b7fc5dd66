/*
 * gen_cloudtrail.c — the CloudTrail provider of `kumo gen`.
 *
 * Writes the world's AWS activity as a trail delivers it to S3:
 *
 *   AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
 *       <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 alphanumerics>.json.gz
 *
 * one gzip of one single-line {"Records":[...]} document per account, region
 * and 5-minute delivery window, records in time order. The file's timestamp
 * (and so its date directory) is the delivery time: 5-7 minutes after the
 * window opened, so the last window of a day lands in the next day's folder,
 * as with a real trail.
 *
 * Plan: each (account, window) is one unit. Its weight is the summed activity
 * of the account's actors in that window (working hours per person and time
 * zone, quiet weekends, always-on workloads, hourly scanner sweeps) times a
 * little noise; the --events total is split over units in proportion to the
 * weights (exactly, by cumulative rounding). A unit draws bursts — one actor,
 * one access mode (console, CLI, SDK, Terraform, machine), one region, a few
 * calls a few seconds apart, mostly within one service — from its own PRNG
 * stream, then sorts by (region, second) and formats every record by hand.
 *
 * Operations come from one table (ct_ops[]): service, name, flags, the shape
 * of requestParameters/responseElements and a weight per actor class.
 * Read-only calls dominate; a few percent fail with the service's usual error
 * codes, some deterministically (a bucket without a policy always answers
 * NoSuchBucketPolicy). Role sessions are stateless: a session's access key
 * and creation date are a hash of (actor, session slot), so the same key
 * appears across windows, and an AWS service's AssumeRole response carries
 * the very key its role then uses.
 *
 * The story (docs/generator.md): the IAM user mallory.ops in the first
 * account, whose access key is used from 203.0.113.66 at night for
 * reconnaissance, a new admin user and StopLogging.
 */
#include "gen/gen_int.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- operation table ------------------------------------------------------- */

enum {
    F_RO = 1,           /* readOnly: true */
    F_GLOBAL = 2,       /* recorded in us-east-1 */
    F_DATA = 4,         /* S3 data event */
    F_CONSOLE = 8,      /* sign-in event */
    F_SVCEVT = 16,      /* AwsServiceEvent */
    F_NEED_CI = 32,     /* only the CI role */
    F_NEED_IAMUSER = 64,/* only IAM users */
    F_NEED_EC2 = 128,   /* only EC2 instance roles */
    F_MGMT = 256,       /* succeeds only in the management account */
};

enum ct_shape {
    SH_NULL = 0,
    SH_EC2_INST, SH_EC2_SG, SH_EC2_SET, SH_EC2_SNAP, SH_EC2_IMAGES, SH_EC2_REGIONS,
    SH_EC2_STATUS, SH_EC2_TAGS, SH_EC2_LT, SH_EC2_RUN, SH_EC2_STATE, SH_EC2_CREATE_TAGS,
    SH_EC2_AUTH_SG, SH_EC2_CREATE_SNAP, SH_EC2_MODIFY,
    SH_S3_LISTBUCKETS, SH_S3_BUCKET, SH_S3_PUT_POLICY, SH_S3_PUT_TAGGING, SH_S3_OBJ, SH_S3_LIST,
    SH_IAM_LIST, SH_IAM_ROLE, SH_IAM_USER, SH_IAM_USER_OPT, SH_IAM_LIST_POLICIES,
    SH_IAM_POLICY, SH_IAM_POLICY_VERSION, SH_IAM_CREATE_ROLE, SH_IAM_ATTACH_ROLE,
    SH_IAM_PUT_ROLE_POLICY, SH_IAM_CREATE_POLICY_VERSION, SH_IAM_TAG_ROLE, SH_IAM_CREATE_KEY,
    SH_IAM_UPDATE_KEY, SH_IAM_DELETE_KEY, SH_IAM_CREATE_USER, SH_IAM_ATTACH_USER,
    SH_STS_ASSUME, SH_STS_WEBID, SH_STS_SESSION,
    SH_LAMBDA_LIST, SH_LAMBDA_FN, SH_LAMBDA_UPDATE, SH_LAMBDA_ADDPERM,
    SH_KMS_CRYPTO, SH_KMS_KEY, SH_KMS_LIST, SH_KMS_GRANT, SH_KMS_ROTATE,
    SH_CT_TRAILS, SH_CT_TRAIL, SH_CT_LOOKUP,
    SH_LOGS_STREAM, SH_LOGS_GROUPS, SH_LOGS_GROUP, SH_LOGS_QUERY,
    SH_SM_SECRET, SH_SM_LIST, SH_SM_PUT,
    SH_SSM_UPDATE, SH_SSM_ASSOC, SH_SSM_PARAM, SH_SSM_LIST, SH_SSM_TAGS, SH_SSM_DOC,
    SH_SSM_SEND, SH_SSM_SESSION, SH_SSM_PUT,
    SH_RDS_LIST, SH_RDS_ENGINE, SH_RDS_EVENTS, SH_RDS_TAGS, SH_RDS_SNAP, SH_RDS_MODIFY,
    SH_ORG_ACCOUNT, SH_ORG_PARENT, SH_ORG_POLICIES,
    SH_LOGIN,
};

struct ct_op {
    uint8_t svc;                /* enum km_gen_svc */
    uint8_t shape;              /* enum ct_shape */
    uint16_t flags;             /* F_* */
    uint16_t w[KM_GEN_NCLS];    /* weight per actor class (human, lambda, host, scanner,
                                   deploy, service, external) */
    const char *name;           /* eventName */
    const char *arg;            /* shape variant */
};

#define OP(svc, name, flags, shape, arg, h, l, o, s, d, v, x) \
    {KM_GEN_SVC_##svc, shape, flags, {h, l, o, s, d, v, x}, name, arg}

static const struct ct_op ct_ops[] = {
    /* EC2 */
    OP(EC2, "DescribeInstances", F_RO, SH_EC2_INST, NULL, 200, 0, 10, 200, 200, 0, 0),
    OP(EC2, "DescribeSecurityGroups", F_RO, SH_EC2_SG, NULL, 80, 0, 0, 100, 150, 0, 0),
    OP(EC2, "DescribeVpcs", F_RO, SH_EC2_SET, "vpcSet", 50, 0, 0, 80, 100, 0, 0),
    OP(EC2, "DescribeSubnets", F_RO, SH_EC2_SET, "subnetSet", 50, 0, 0, 80, 100, 0, 0),
    OP(EC2, "DescribeVolumes", F_RO, SH_EC2_SET, "volumeSet", 40, 0, 0, 80, 50, 0, 0),
    OP(EC2, "DescribeSnapshots", F_RO, SH_EC2_SNAP, NULL, 20, 0, 10, 60, 20, 0, 0),
    OP(EC2, "DescribeImages", F_RO, SH_EC2_IMAGES, NULL, 20, 0, 0, 40, 60, 0, 0),
    OP(EC2, "DescribeNetworkInterfaces", F_RO, SH_EC2_SET, "networkInterfaceIdSet", 30, 0, 0, 60, 50, 0, 0),
    OP(EC2, "DescribeRegions", F_RO, SH_EC2_REGIONS, NULL, 20, 0, 10, 40, 20, 0, 0),
    OP(EC2, "DescribeAvailabilityZones", F_RO, SH_EC2_SET, "availabilityZoneSet", 10, 0, 0, 30, 40, 0, 0),
    OP(EC2, "DescribeInstanceStatus", F_RO, SH_EC2_STATUS, NULL, 60, 0, 0, 40, 20, 0, 0),
    OP(EC2, "DescribeTags", F_RO, SH_EC2_TAGS, NULL, 20, 0, 120, 30, 30, 0, 0),
    OP(EC2, "DescribeAddresses", F_RO, SH_EC2_SET, "publicIpsSet", 20, 0, 0, 40, 20, 0, 0),
    OP(EC2, "DescribeLaunchTemplates", F_RO, SH_EC2_LT, NULL, 10, 0, 0, 30, 40, 0, 0),
    OP(EC2, "DescribeKeyPairs", F_RO, SH_EC2_SET, "keySet", 10, 0, 0, 30, 20, 0, 0),
    OP(EC2, "RunInstances", 0, SH_EC2_RUN, NULL, 4, 0, 0, 0, 10, 0, 0),
    OP(EC2, "StartInstances", 0, SH_EC2_STATE, "start", 6, 0, 0, 0, 0, 0, 0),
    OP(EC2, "StopInstances", 0, SH_EC2_STATE, "stop", 6, 0, 0, 0, 0, 0, 0),
    OP(EC2, "TerminateInstances", 0, SH_EC2_STATE, "terminate", 1, 0, 0, 0, 6, 0, 0),
    OP(EC2, "CreateTags", 0, SH_EC2_CREATE_TAGS, NULL, 6, 0, 0, 0, 20, 0, 0),
    OP(EC2, "AuthorizeSecurityGroupIngress", 0, SH_EC2_AUTH_SG, NULL, 4, 0, 0, 0, 8, 0, 0),
    OP(EC2, "CreateSnapshot", 0, SH_EC2_CREATE_SNAP, NULL, 1, 0, 20, 0, 0, 0, 0),
    OP(EC2, "ModifyInstanceAttribute", 0, SH_EC2_MODIFY, NULL, 2, 0, 0, 0, 6, 0, 0),
    /* S3 management and data events */
    OP(S3, "ListBuckets", F_RO | F_GLOBAL, SH_S3_LISTBUCKETS, NULL, 100, 0, 10, 80, 40, 0, 0),
    OP(S3, "GetBucketLocation", F_RO, SH_S3_BUCKET, "location", 40, 0, 30, 60, 40, 0, 0),
    OP(S3, "GetBucketPolicy", F_RO, SH_S3_BUCKET, "policy", 30, 0, 0, 60, 40, 0, 0),
    OP(S3, "GetBucketAcl", F_RO, SH_S3_BUCKET, "acl", 20, 0, 0, 60, 40, 0, 0),
    OP(S3, "GetBucketVersioning", F_RO, SH_S3_BUCKET, "versioning", 20, 0, 0, 60, 40, 0, 0),
    OP(S3, "GetBucketEncryption", F_RO, SH_S3_BUCKET, "encryption", 10, 0, 0, 60, 40, 0, 0),
    OP(S3, "GetBucketTagging", F_RO, SH_S3_BUCKET, "tagging", 10, 0, 0, 40, 40, 0, 0),
    OP(S3, "GetBucketPublicAccessBlock", F_RO, SH_S3_BUCKET, "publicAccessBlock", 10, 0, 0, 60, 30, 0, 0),
    OP(S3, "GetBucketLogging", F_RO, SH_S3_BUCKET, "logging", 2, 0, 0, 40, 20, 0, 0),
    OP(S3, "PutBucketPolicy", 0, SH_S3_PUT_POLICY, NULL, 1, 0, 0, 0, 6, 0, 0),
    OP(S3, "PutBucketTagging", 0, SH_S3_PUT_TAGGING, NULL, 1, 0, 0, 0, 6, 0, 0),
    OP(S3, "GetObject", F_RO | F_DATA, SH_S3_OBJ, "get", 60, 300, 200, 0, 60, 0, 600),
    OP(S3, "PutObject", F_DATA, SH_S3_OBJ, "put", 30, 200, 300, 0, 80, 0, 0),
    OP(S3, "HeadObject", F_RO | F_DATA, SH_S3_OBJ, "head", 20, 80, 50, 0, 30, 0, 100),
    OP(S3, "ListObjects", F_RO | F_DATA, SH_S3_LIST, NULL, 50, 40, 80, 0, 30, 0, 250),
    OP(S3, "DeleteObject", F_DATA, SH_S3_OBJ, "delete", 6, 20, 20, 0, 10, 0, 0),
    /* IAM (global) */
    OP(IAM, "GetUser", F_RO | F_GLOBAL, SH_IAM_USER_OPT, NULL, 30, 0, 0, 40, 40, 0, 0),
    OP(IAM, "ListUsers", F_RO | F_GLOBAL, SH_IAM_LIST, NULL, 40, 0, 0, 60, 20, 0, 0),
    OP(IAM, "ListRoles", F_RO | F_GLOBAL, SH_IAM_LIST, NULL, 50, 0, 0, 60, 30, 0, 0),
    OP(IAM, "GetRole", F_RO | F_GLOBAL, SH_IAM_ROLE, NULL, 60, 0, 0, 80, 120, 0, 0),
    OP(IAM, "ListPolicies", F_RO | F_GLOBAL, SH_IAM_LIST_POLICIES, NULL, 30, 0, 0, 40, 20, 0, 0),
    OP(IAM, "GetPolicy", F_RO | F_GLOBAL, SH_IAM_POLICY, NULL, 30, 0, 0, 60, 80, 0, 0),
    OP(IAM, "GetPolicyVersion", F_RO | F_GLOBAL, SH_IAM_POLICY_VERSION, NULL, 20, 0, 0, 60, 80, 0, 0),
    OP(IAM, "ListAttachedRolePolicies", F_RO | F_GLOBAL, SH_IAM_ROLE, NULL, 30, 0, 0, 60, 80, 0, 0),
    OP(IAM, "ListRolePolicies", F_RO | F_GLOBAL, SH_IAM_ROLE, NULL, 20, 0, 0, 60, 60, 0, 0),
    OP(IAM, "ListAttachedUserPolicies", F_RO | F_GLOBAL, SH_IAM_USER, NULL, 20, 0, 0, 40, 20, 0, 0),
    OP(IAM, "ListAccessKeys", F_RO | F_GLOBAL, SH_IAM_USER_OPT, NULL, 30, 0, 0, 60, 20, 0, 0),
    OP(IAM, "ListMFADevices", F_RO | F_GLOBAL, SH_IAM_USER_OPT, NULL, 30, 0, 0, 40, 0, 0, 0),
    OP(IAM, "GetAccountSummary", F_RO | F_GLOBAL, SH_NULL, NULL, 20, 0, 0, 20, 0, 0, 0),
    OP(IAM, "GetAccountPasswordPolicy", F_RO | F_GLOBAL, SH_NULL, NULL, 10, 0, 0, 30, 0, 0, 0),
    OP(IAM, "ListGroups", F_RO | F_GLOBAL, SH_IAM_LIST, NULL, 10, 0, 0, 30, 10, 0, 0),
    OP(IAM, "ListInstanceProfilesForRole", F_RO | F_GLOBAL, SH_IAM_ROLE, NULL, 2, 0, 0, 30, 40, 0, 0),
    OP(IAM, "GetCredentialReport", F_RO | F_GLOBAL, SH_NULL, NULL, 1, 0, 0, 10, 0, 0, 0),
    OP(IAM, "GenerateCredentialReport", F_GLOBAL, SH_NULL, NULL, 1, 0, 0, 10, 0, 0, 0),
    OP(IAM, "CreateRole", F_GLOBAL, SH_IAM_CREATE_ROLE, NULL, 1, 0, 0, 0, 8, 0, 0),
    OP(IAM, "AttachRolePolicy", F_GLOBAL, SH_IAM_ATTACH_ROLE, NULL, 2, 0, 0, 0, 8, 0, 0),
    OP(IAM, "PutRolePolicy", F_GLOBAL, SH_IAM_PUT_ROLE_POLICY, NULL, 1, 0, 0, 0, 8, 0, 0),
    OP(IAM, "CreatePolicyVersion", F_GLOBAL, SH_IAM_CREATE_POLICY_VERSION, NULL, 1, 0, 0, 0, 6, 0, 0),
    OP(IAM, "TagRole", F_GLOBAL, SH_IAM_TAG_ROLE, NULL, 1, 0, 0, 0, 12, 0, 0),
    OP(IAM, "CreateAccessKey", F_GLOBAL, SH_IAM_CREATE_KEY, NULL, 3, 0, 0, 0, 0, 0, 0),
    OP(IAM, "UpdateAccessKey", F_GLOBAL, SH_IAM_UPDATE_KEY, NULL, 3, 0, 0, 0, 0, 0, 0),
    OP(IAM, "DeleteAccessKey", F_GLOBAL, SH_IAM_DELETE_KEY, NULL, 2, 0, 0, 0, 0, 0, 0),
    OP(IAM, "CreateUser", F_GLOBAL, SH_IAM_CREATE_USER, NULL, 0, 0, 0, 0, 0, 0, 0),
    OP(IAM, "AttachUserPolicy", F_GLOBAL, SH_IAM_ATTACH_USER, NULL, 0, 0, 0, 0, 0, 0, 0),
    /* STS */
    OP(STS, "GetCallerIdentity", F_RO, SH_NULL, NULL, 80, 20, 40, 40, 100, 0, 100),
    OP(STS, "AssumeRole", F_RO, SH_STS_ASSUME, NULL, 30, 10, 10, 20, 40, 600, 0),
    OP(STS, "AssumeRoleWithWebIdentity", F_RO | F_NEED_CI, SH_STS_WEBID, NULL, 0, 0, 0, 0, 60, 0, 0),
    OP(STS, "GetSessionToken", F_RO | F_NEED_IAMUSER, SH_STS_SESSION, NULL, 10, 0, 0, 0, 0, 0, 0),
    /* Lambda */
    OP(LAMBDA, "ListFunctions20150331", F_RO, SH_LAMBDA_LIST, NULL, 80, 0, 0, 80, 30, 0, 0),
    OP(LAMBDA, "GetFunction20150331v2", F_RO, SH_LAMBDA_FN, "functionName", 40, 0, 0, 40, 80, 0, 0),
    OP(LAMBDA, "GetFunctionConfiguration20150331v2", F_RO, SH_LAMBDA_FN, "functionName", 30, 10, 0, 40, 40, 0, 0),
    OP(LAMBDA, "ListTags20170331", F_RO, SH_LAMBDA_FN, "resource", 2, 0, 0, 40, 60, 0, 0),
    OP(LAMBDA, "GetPolicy20150331v2", F_RO, SH_LAMBDA_FN, "functionName", 10, 0, 0, 40, 40, 0, 0),
    OP(LAMBDA, "ListEventSourceMappings20150331", F_RO, SH_LAMBDA_FN, "functionName", 10, 0, 0, 30, 30, 0, 0),
    OP(LAMBDA, "ListAliases20150331", F_RO, SH_LAMBDA_FN, "functionName", 10, 0, 0, 20, 20, 0, 0),
    OP(LAMBDA, "ListVersionsByFunction20150331", F_RO, SH_LAMBDA_FN, "functionName", 2, 0, 0, 20, 40, 0, 0),
    OP(LAMBDA, "GetFunctionCodeSigningConfig", F_RO, SH_LAMBDA_FN, "functionName", 0, 0, 0, 0, 40, 0, 0),
    OP(LAMBDA, "UpdateFunctionCode20150331v2", 0, SH_LAMBDA_UPDATE, "code", 6, 0, 0, 0, 40, 0, 0),
    OP(LAMBDA, "UpdateFunctionConfiguration20150331v2", 0, SH_LAMBDA_UPDATE, "config", 4, 0, 0, 0, 20, 0, 0),
    OP(LAMBDA, "PublishVersion20150331", 0, SH_LAMBDA_UPDATE, "publish", 1, 0, 0, 0, 20, 0, 0),
    OP(LAMBDA, "AddPermission20150331v2", 0, SH_LAMBDA_ADDPERM, NULL, 1, 0, 0, 0, 8, 0, 0),
    /* KMS */
    OP(KMS, "Decrypt", F_RO, SH_KMS_CRYPTO, "decrypt", 20, 400, 300, 0, 20, 400, 300),
    OP(KMS, "GenerateDataKey", F_RO, SH_KMS_CRYPTO, "gdk", 2, 150, 100, 0, 20, 300, 0),
    OP(KMS, "Encrypt", F_RO, SH_KMS_CRYPTO, "encrypt", 1, 50, 30, 0, 2, 50, 0),
    OP(KMS, "DescribeKey", F_RO, SH_KMS_KEY, NULL, 20, 20, 10, 60, 60, 0, 40),
    OP(KMS, "ListAliases", F_RO, SH_KMS_LIST, NULL, 20, 0, 0, 40, 20, 0, 0),
    OP(KMS, "ListKeys", F_RO, SH_KMS_LIST, NULL, 10, 0, 0, 40, 10, 0, 0),
    OP(KMS, "GetKeyPolicy", F_RO, SH_KMS_KEY, "policy", 2, 0, 0, 40, 40, 0, 0),
    OP(KMS, "GetKeyRotationStatus", F_RO, SH_KMS_KEY, NULL, 1, 0, 0, 40, 40, 0, 0),
    OP(KMS, "ListResourceTags", F_RO, SH_KMS_KEY, NULL, 1, 0, 0, 30, 40, 0, 0),
    OP(KMS, "CreateGrant", 0, SH_KMS_GRANT, NULL, 0, 0, 0, 0, 2, 30, 0),
    OP(KMS, "RetireGrant", 0, SH_KMS_GRANT, "retire", 0, 0, 0, 0, 0, 10, 0),
    OP(KMS, "RotateKey", F_SVCEVT, SH_KMS_ROTATE, NULL, 0, 0, 0, 0, 0, 1, 0),
    /* CloudTrail */
    OP(CLOUDTRAIL, "DescribeTrails", F_RO, SH_CT_TRAILS, NULL, 20, 0, 0, 60, 20, 0, 0),
    OP(CLOUDTRAIL, "GetTrailStatus", F_RO, SH_CT_TRAIL, "name", 20, 0, 0, 60, 20, 0, 0),
    OP(CLOUDTRAIL, "GetEventSelectors", F_RO, SH_CT_TRAIL, "trailName", 10, 0, 0, 40, 20, 0, 0),
    OP(CLOUDTRAIL, "ListTrails", F_RO, SH_NULL, NULL, 10, 0, 0, 30, 0, 0, 0),
    OP(CLOUDTRAIL, "GetTrail", F_RO, SH_CT_TRAIL, "name", 10, 0, 0, 20, 20, 0, 0),
    OP(CLOUDTRAIL, "GetInsightSelectors", F_RO, SH_CT_TRAIL, "trailName", 1, 0, 0, 20, 10, 0, 0),
    OP(CLOUDTRAIL, "LookupEvents", F_RO, SH_CT_LOOKUP, NULL, 60, 0, 0, 10, 0, 0, 0),
    OP(CLOUDTRAIL, "StopLogging", 0, SH_CT_TRAIL, "name", 0, 0, 0, 0, 0, 0, 0),
    /* CloudWatch Logs */
    OP(LOGS, "CreateLogStream", 0, SH_LOGS_STREAM, NULL, 0, 300, 80, 0, 0, 0, 0),
    OP(LOGS, "DescribeLogGroups", F_RO, SH_LOGS_GROUPS, NULL, 60, 0, 10, 60, 40, 0, 0),
    OP(LOGS, "DescribeLogStreams", F_RO, SH_LOGS_GROUP, "streams", 40, 0, 40, 20, 0, 0, 0),
    OP(LOGS, "FilterLogEvents", F_RO, SH_LOGS_GROUP, "filter", 50, 0, 0, 0, 0, 0, 0),
    OP(LOGS, "GetLogEvents", F_RO, SH_LOGS_GROUP, "get", 40, 0, 0, 0, 0, 0, 0),
    OP(LOGS, "StartQuery", F_RO, SH_LOGS_QUERY, "start", 20, 0, 0, 0, 0, 0, 0),
    OP(LOGS, "GetQueryResults", F_RO, SH_LOGS_QUERY, "results", 40, 0, 0, 0, 0, 0, 0),
    OP(LOGS, "CreateLogGroup", 0, SH_LOGS_GROUP, "create", 1, 10, 10, 0, 20, 0, 0),
    OP(LOGS, "PutRetentionPolicy", 0, SH_LOGS_GROUP, "retention", 1, 0, 0, 0, 20, 0, 0),
    OP(LOGS, "DescribeMetricFilters", F_RO, SH_LOGS_GROUP, "metric", 2, 0, 0, 40, 10, 0, 0),
    OP(LOGS, "ListTagsLogGroup", F_RO, SH_LOGS_GROUP, "tags", 1, 0, 0, 30, 40, 0, 0),
    OP(LOGS, "DescribeSubscriptionFilters", F_RO, SH_LOGS_GROUP, "subs", 1, 0, 0, 20, 20, 0, 0),
    /* Secrets Manager */
    OP(SECRETS, "GetSecretValue", F_RO, SH_SM_SECRET, "value", 20, 300, 200, 0, 20, 0, 0),
    OP(SECRETS, "DescribeSecret", F_RO, SH_SM_SECRET, "describe", 30, 30, 10, 60, 60, 0, 0),
    OP(SECRETS, "ListSecrets", F_RO, SH_SM_LIST, NULL, 30, 0, 0, 40, 10, 0, 0),
    OP(SECRETS, "GetResourcePolicy", F_RO, SH_SM_SECRET, "policy", 1, 0, 0, 40, 40, 0, 0),
    OP(SECRETS, "PutSecretValue", 0, SH_SM_PUT, "put", 0, 10, 0, 0, 10, 0, 0),
    OP(SECRETS, "UpdateSecret", 0, SH_SM_PUT, "update", 4, 0, 0, 0, 10, 0, 0),
    /* Systems Manager */
    OP(SSM, "UpdateInstanceInformation", F_NEED_EC2, SH_SSM_UPDATE, NULL, 0, 0, 400, 0, 0, 0, 0),
    OP(SSM, "ListInstanceAssociations", F_RO | F_NEED_EC2, SH_SSM_ASSOC, NULL, 0, 0, 100, 0, 0, 0, 0),
    OP(SSM, "GetParameter", F_RO, SH_SSM_PARAM, "one", 30, 150, 100, 0, 40, 0, 0),
    OP(SSM, "GetParameters", F_RO, SH_SSM_PARAM, "many", 10, 100, 40, 0, 40, 0, 0),
    OP(SSM, "GetParametersByPath", F_RO, SH_SSM_PARAM, "path", 10, 50, 20, 0, 20, 0, 0),
    OP(SSM, "DescribeInstanceInformation", F_RO, SH_SSM_LIST, "instances", 30, 0, 0, 40, 0, 0, 0),
    OP(SSM, "DescribeParameters", F_RO, SH_SSM_LIST, "params", 20, 0, 0, 40, 20, 0, 0),
    OP(SSM, "ListCommands", F_RO, SH_SSM_LIST, "commands", 10, 0, 0, 20, 0, 0, 0),
    OP(SSM, "ListTagsForResource", F_RO, SH_SSM_TAGS, NULL, 1, 0, 0, 20, 30, 0, 0),
    OP(SSM, "GetDocument", F_RO | F_NEED_EC2, SH_SSM_DOC, NULL, 0, 0, 30, 0, 0, 0, 0),
    OP(SSM, "SendCommand", 0, SH_SSM_SEND, NULL, 6, 0, 0, 0, 10, 0, 0),
    OP(SSM, "StartSession", 0, SH_SSM_SESSION, "start", 12, 0, 0, 0, 0, 0, 0),
    OP(SSM, "TerminateSession", 0, SH_SSM_SESSION, "terminate", 8, 0, 0, 0, 0, 0, 0),
    OP(SSM, "PutParameter", 0, SH_SSM_PUT, NULL, 4, 0, 0, 0, 20, 0, 0),
    /* RDS */
    OP(RDS, "DescribeDBInstances", F_RO, SH_RDS_LIST, "instances", 50, 0, 10, 80, 60, 0, 20),
    OP(RDS, "DescribeDBClusters", F_RO, SH_RDS_LIST, "clusters", 30, 0, 0, 60, 40, 0, 0),
    OP(RDS, "DescribeDBSnapshots", F_RO, SH_RDS_LIST, "snapshots", 10, 0, 10, 40, 0, 0, 0),
    OP(RDS, "DescribeDBEngineVersions", F_RO, SH_RDS_ENGINE, NULL, 10, 0, 0, 0, 30, 0, 0),
    OP(RDS, "DescribeEvents", F_RO, SH_RDS_EVENTS, NULL, 10, 0, 0, 20, 0, 0, 0),
    OP(RDS, "ListTagsForResource", F_RO, SH_RDS_TAGS, NULL, 1, 0, 0, 40, 40, 0, 0),
    OP(RDS, "DescribeDBParameterGroups", F_RO, SH_RDS_LIST, "pg", 1, 0, 0, 20, 20, 0, 0),
    OP(RDS, "DescribeDBSubnetGroups", F_RO, SH_RDS_LIST, "subnets", 1, 0, 0, 20, 20, 0, 0),
    OP(RDS, "CreateDBSnapshot", 0, SH_RDS_SNAP, NULL, 1, 0, 10, 0, 0, 0, 0),
    OP(RDS, "ModifyDBInstance", 0, SH_RDS_MODIFY, "modify", 3, 0, 0, 0, 10, 0, 0),
    OP(RDS, "RebootDBInstance", 0, SH_RDS_MODIFY, "reboot", 3, 0, 0, 0, 0, 0, 0),
    /* Organizations (global) */
    OP(ORG, "DescribeOrganization", F_RO | F_GLOBAL, SH_NULL, NULL, 30, 0, 0, 40, 20, 0, 0),
    OP(ORG, "ListAccounts", F_RO | F_GLOBAL | F_MGMT, SH_NULL, NULL, 30, 0, 0, 40, 10, 0, 0),
    OP(ORG, "DescribeAccount", F_RO | F_GLOBAL | F_MGMT, SH_ORG_ACCOUNT, NULL, 10, 0, 0, 30, 0, 0, 0),
    OP(ORG, "ListRoots", F_RO | F_GLOBAL | F_MGMT, SH_NULL, NULL, 10, 0, 0, 20, 10, 0, 0),
    OP(ORG, "ListOrganizationalUnitsForParent", F_RO | F_GLOBAL | F_MGMT, SH_ORG_PARENT, NULL, 10, 0, 0, 20, 0, 0, 0),
    OP(ORG, "ListPolicies", F_RO | F_GLOBAL | F_MGMT, SH_ORG_POLICIES, NULL, 2, 0, 0, 20, 10, 0, 0),
    OP(ORG, "ListAWSServiceAccessForOrganization", F_RO | F_GLOBAL | F_MGMT, SH_NULL, NULL, 1, 0, 0, 20, 0, 0, 0),
    OP(ORG, "ListDelegatedAdministrators", F_RO | F_GLOBAL | F_MGMT, SH_NULL, NULL, 1, 0, 0, 20, 0, 0, 0),
    /* Sign-in */
    OP(SIGNIN, "ConsoleLogin", F_GLOBAL | F_CONSOLE, SH_LOGIN, NULL, 0, 0, 0, 0, 0, 0, 0),
};
#define CT_NOPS ((int)KM_ARRAY_LEN(ct_ops))
#define CT_MAX_SVC_OPS 40

struct ct_svc {
    const char *source;         /* eventSource */
    const char *prefix;         /* IAM action prefix and aws-cli service */
    const char *api;            /* SDK api id */
    const char *version;        /* eventVersion */
    const char *host;           /* endpoint host word */
    uint8_t global_host;        /* 1: "<host>.amazonaws.com" without region */
    const char *console_ua;     /* NULL: the browser's user agent */
};

static const char ct_s3_console_ua[] =
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 "
    "Linux/5.10.226-192.879.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 "
    "vendor/Oracle_Corporation cfg/retry-mode/standard]";

static const struct ct_svc ct_svcs[KM_GEN_NSVC] = {
    [KM_GEN_SVC_EC2] = {"ec2.amazonaws.com", "ec2", "ec2", "1.10", "ec2", 0, NULL},
    [KM_GEN_SVC_S3] = {"s3.amazonaws.com", "s3", "s3", "1.10", "s3", 0, ct_s3_console_ua},
    [KM_GEN_SVC_IAM] = {"iam.amazonaws.com", "iam", "iam", "1.09", "iam", 1, "AWS Internal"},
    [KM_GEN_SVC_STS] = {"sts.amazonaws.com", "sts", "sts", "1.08", "sts", 0, NULL},
    [KM_GEN_SVC_LAMBDA] = {"lambda.amazonaws.com", "lambda", "lambda", "1.08", "lambda", 0, NULL},
    [KM_GEN_SVC_KMS] = {"kms.amazonaws.com", "kms", "kms", "1.10", "kms", 0, "AWS Internal"},
    [KM_GEN_SVC_CLOUDTRAIL] = {"cloudtrail.amazonaws.com", "cloudtrail", "cloudtrail", "1.11",
                               "cloudtrail", 0, NULL},
    [KM_GEN_SVC_LOGS] = {"logs.amazonaws.com", "logs", "cloudwatch-logs", "1.09", "logs", 0, NULL},
    [KM_GEN_SVC_SECRETS] = {"secretsmanager.amazonaws.com", "secretsmanager", "secrets-manager",
                            "1.10", "secretsmanager", 0, "AWS Internal"},
    [KM_GEN_SVC_SSM] = {"ssm.amazonaws.com", "ssm", "ssm", "1.10", "ssm", 0, NULL},
    [KM_GEN_SVC_RDS] = {"rds.amazonaws.com", "rds", "rds", "1.09", "rds", 0, "AWS Internal"},
    [KM_GEN_SVC_ORG] = {"organizations.amazonaws.com", "organizations", "organizations", "1.09",
                        "organizations.us-east-1", 1, NULL},
    [KM_GEN_SVC_SIGNIN] = {"signin.amazonaws.com", "signin", "signin", "1.09", "signin.aws.amazon",
                           2, NULL},
};

/* ---- the story --------------------------------------------------------------- */

#define CT_STORY_IP "203.0.113.66"
#define CT_STORY_USER "backup-admin"
#define CT_STORY_UA "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off"
#define CT_STORY_N 8
_Static_assert(CT_STORY_N == KM_GEN_STORY_N_AWS, "story size shared with gen.c");

struct ct_story_step {
    int32_t offset;             /* seconds after the first step */
    const char *op;
    int home_region;            /* 1: the account's home region, 0: us-east-1 */
};

static const struct ct_story_step ct_story[CT_STORY_N] = {
    {0, "GetCallerIdentity", 0},
    {34, "ListBuckets", 0},
    {88, "ListUsers", 0},
    {123, "ListAccounts", 0},
    {205, "CreateUser", 0},
    {234, "AttachUserPolicy", 0},
    {256, "CreateAccessKey", 0},
    {381, "StopLogging", 1},
};

/* ---- plan ------------------------------------------------------------------- */

enum { M_CONSOLE = 0, M_CLI, M_SDK, M_TF, M_MACHINE, M_SERVICE };

struct ct_plan {
    const struct km_gen_world *w;
    uint32_t nwin;                              /* windows in the dataset */
    uint64_t nunits;
    uint32_t *count;                            /* background records per unit */
    int64_t story_t[CT_STORY_N];                /* absolute times */
    uint16_t story_op[CT_STORY_N];
    uint8_t story_region[CT_STORY_N];
    uint16_t cls_op[KM_GEN_NCLS][KM_GEN_NSVC][CT_MAX_SVC_OPS];
    uint32_t cls_cum[KM_GEN_NCLS][KM_GEN_NSVC][CT_MAX_SVC_OPS];
    uint8_t cls_n[KM_GEN_NCLS][KM_GEN_NSVC];
    uint32_t (*svc_cum)[KM_GEN_NSVC];           /* per actor: cumulative service weights */
    char cmd[CT_NOPS][64];                      /* aws-cli "svc.command" */
    char action[CT_NOPS][64];                   /* IAM action "svc:Name" */
    int op_getcaller, op_getparam, op_consolelogin, op_assume;
    int story;                                  /* the story is planted */
    /* planted scenarios: records by unit, and the silenced streams */
    const struct km_gen_plant *plants;          /* the provider's plants (scen->pl) */
    uint32_t nplants;
    uint64_t *plant_unit;                       /* unit of plants[i] (same order: by time) */
    uint32_t *plant_order;                      /* plant indices sorted by (unit, time) */
    struct ct_silence {
        uint32_t acct;
        int64_t from, until, data_from, data_until;
    } sil[2];
    int nsil;
};

struct ct_desc {
    uint16_t t;                 /* second within the window */
    uint8_t region;
    uint8_t mode;
    uint16_t op;
    uint16_t res;               /* resource pick */
    uint32_t actor;             /* global actor index */
    uint32_t burst;             /* burst-level random bits */
    uint8_t story;              /* 0, or 1 + story step */
    uint8_t fail;               /* ConsoleLogin failure */
    uint16_t plant;             /* 0, or 1 + index in ct_plan.plant (a planted record) */
    uint64_t seed;              /* per-record PRNG seed */
};

static int find_op(const char *name)
{
    for (int i = 0; i < CT_NOPS; i++)
        if (strcmp(ct_ops[i].name, name) == 0)
            return i;
    return -1;
}

/* "ListMFADevices20150331" -> "list-mfa-devices"; stops at the first digit. */
static void kebab(char *dst, size_t n, const char *name)
{
    size_t o = 0;
    for (size_t i = 0; name[i] && o + 2 < n; i++) {
        char c = name[i];
        if (c >= '0' && c <= '9')
            break;
        if (c >= 'A' && c <= 'Z') {
            char p = i ? name[i - 1] : 0, x = name[i + 1];
            int plow = p >= 'a' && p <= 'z';
            int pup = p >= 'A' && p <= 'Z';
            int xlow = x >= 'a' && x <= 'z';
            if (i && (plow || (pup && xlow)))
                dst[o++] = '-';
            c = (char)(c - 'A' + 'a');
        }
        dst[o++] = c;
    }
    dst[o] = 0;
}

static void ct_free(void *state)
{
    struct ct_plan *pl = state;
    if (!pl)
        return;
    free(pl->count);
    free(pl->svc_cum);
    free(pl->plant_unit);
    free(pl->plant_order);
    free(pl);
}

static int ct_plants(struct ct_plan *pl, double *tmp, struct km_err *err);

static int ct_plan_make(const struct km_gen_world *w, uint64_t events, void **state,
                        uint64_t *nunits, struct km_err *err)
{
    struct ct_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plan)");
    pl->w = w;
    pl->nwin = w->days * 288u;
    pl->nunits = (uint64_t)w->naccounts * pl->nwin;
    pl->count = calloc(pl->nunits, sizeof *pl->count);
    pl->svc_cum = calloc(w->nactors, sizeof *pl->svc_cum);
    double *wt = calloc(pl->nunits, sizeof *wt);
    if (!pl->count || !pl->svc_cum || !wt) {
        free(wt);
        ct_free(pl);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plan)");
    }

    /* names */
    for (int i = 0; i < CT_NOPS; i++) {
        const struct ct_op *op = &ct_ops[i];
        char k[56];
        kebab(k, sizeof k, op->name);
        const char *svc = ct_svcs[op->svc].prefix;
        if (op->svc == KM_GEN_SVC_S3)
            svc = op->flags & F_DATA ? "s3" : "s3api";
        if (op->svc == KM_GEN_SVC_S3 && (op->flags & F_DATA))
            snprintf(pl->cmd[i], sizeof pl->cmd[i], "s3.%s",
                     op->name[0] == 'P' || op->name[0] == 'G' ? "cp"
                     : op->name[0] == 'L' ? "ls" : op->name[0] == 'D' ? "rm" : "cp");
        else
            snprintf(pl->cmd[i], sizeof pl->cmd[i], "%s.%s", svc, k);
        size_t l = 0;
        while (op->name[l] && !(op->name[l] >= '0' && op->name[l] <= '9'))
            l++;
        snprintf(pl->action[i], sizeof pl->action[i], "%s:%.*s", ct_svcs[op->svc].prefix, (int)l,
                 op->name);
    }
    pl->op_getcaller = find_op("GetCallerIdentity");
    pl->op_getparam = find_op("GetParameter");
    pl->op_consolelogin = find_op("ConsoleLogin");
    pl->op_assume = find_op("AssumeRole");

    /* per (class, service) operation tables */
    for (int i = 0; i < CT_NOPS; i++) {
        const struct ct_op *op = &ct_ops[i];
        for (int c = 0; c < KM_GEN_NCLS; c++) {
            if (!op->w[c])
                continue;
            uint8_t n = pl->cls_n[c][op->svc];
            if (n >= CT_MAX_SVC_OPS) {
                free(wt);
                ct_free(pl);
                return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX, "operation table too wide");
            }
            pl->cls_op[c][op->svc][n] = (uint16_t)i;
            pl->cls_cum[c][op->svc][n] = (n ? pl->cls_cum[c][op->svc][n - 1] : 0) + op->w[c];
            pl->cls_n[c][op->svc] = (uint8_t)(n + 1);
        }
    }
    /* per actor: services that have operations for the actor's class */
    for (uint32_t a = 0; a < w->nactors; a++) {
        const struct km_gen_actor *ac = &w->actors[a];
        uint32_t cum = 0;
        for (int s = 0; s < KM_GEN_NSVC; s++) {
            if (pl->cls_n[ac->cls][s])
                cum += ac->svc_w[s];
            pl->svc_cum[a][s] = cum;
        }
    }

    /* the story */
    int64_t t0 = km_gen_story_t0(w); /* 03:13:07 in mallory's time zone */
    pl->story = km_gen_scen_story(w);
    for (int k = 0; k < CT_STORY_N; k++) {
        pl->story_t[k] = t0 + ct_story[k].offset;
        pl->story_op[k] = (uint16_t)find_op(ct_story[k].op);
        pl->story_region[k] = ct_story[k].home_region ? w->accounts[0].home : 0;
        if (pl->story)
            km_gen_scen_time(w, KM_GEN_SCEN_STORY, pl->story_t[k]);
    }

    /* unit weights: summed activity × noise (actor-major, so day factors are cached) */
    double total = 0;
    for (uint32_t acc = 0; acc < w->naccounts; acc++) {
        const struct km_gen_account *ac = &w->accounts[acc];
        double *row = wt + (uint64_t)acc * pl->nwin;
        for (uint32_t k = 0; k < ac->nactors; k++) {
            const struct km_gen_actor *a = &w->actors[ac->first_actor + k];
            struct km_gen_actcache c;
            memset(&c, 0, sizeof c);
            for (uint32_t g = 0; g < pl->nwin; g++)
                row[g] += a->rate * km_gen_activity_c(w, a, g, &c);
        }
        for (uint32_t g = 0; g < pl->nwin; g++) {
            uint64_t h = km_rng_hash2(w->seed ^ 0x6e6f, (uint64_t)acc * pl->nwin + g);
            row[g] *= 0.65 + 0.7 * (double)(h >> 11) * (1.0 / 9007199254740992.0);
            total += row[g];
        }
    }
    uint64_t planted = (pl->story ? CT_STORY_N : 0);
    uint32_t pfirst = 0;
    km_gen_scen_plants(w, KM_GEN_PROV_AWS, &pfirst, &pl->nplants);
    pl->plants = w->scen ? w->scen->pl + pfirst : NULL;
    planted += pl->nplants;
    if (events < planted) {
        free(wt);
        ct_free(pl);
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "aws needs at least %llu events",
                          (unsigned long long)planted);
    }
    km_gen_apportion(wt, pl->nunits, total, events - planted, pl->count);
    int rc = ct_plants(pl, wt, err);
    free(wt);
    if (rc) {
        ct_free(pl);
        return rc;
    }
    *state = pl;
    *nunits = pl->nunits;
    return KM_OK;
}

/* ---- one record -------------------------------------------------------------- */

struct ct_ev {
    const struct ct_plan *pl;
    const struct km_gen_world *w;
    const struct km_gen_account *ac;
    const struct km_gen_actor *a;
    const struct ct_op *op;
    const struct ct_desc *d;
    uint32_t gi;                /* global actor index */
    int opi, region, mode, story;
    int64_t t;
    uint32_t day;               /* dataset day of t */
    uint32_t ri;                /* resource pick */
    struct km_rng r;
    int err;                    /* enum ct_err */
    int vpce;                   /* call went through a VPC endpoint */
    int internal;               /* source is "AWS Internal" */
    char arn[256];              /* caller ARN for error messages */
    struct km_gb *aed, *res;
};

enum ct_err { E_NONE = 0, E_DENIED, E_THROTTLE, E_NOTFOUND, E_NO_POLICY, E_NO_TAGSET,
              E_LOG_EXISTS, E_INSIGHT, E_ORG_DENIED, E_LAMBDA_NO_POLICY };

#define LIT(s) KM_GB_LIT(b, s)
#define STR(s) km_gb_str(b, s)

static const char *rg(const struct ct_ev *e)
{
    return km_gen_regions[e->region];
}

/* Writes "ASIA..." for the actor's session slot. */
static void session_key(struct km_gb *b, const struct km_gen_world *w, uint32_t gi, uint64_t slot,
                        int console)
{
    struct km_rng r;
    km_rng_init(&r, w->seed ^ 0x5e551011ull, ((uint64_t)gi << 32) ^ (slot << 1) ^ (uint64_t)console);
    LIT("ASIA");
    km_gb_rand(b, &r, KM_GEN_B32, 16);
}

static int64_t session_dur(const struct km_gen_actor *a, int console)
{
    switch (a->kind) {
    case KM_GEN_K_SSO: return console ? 4 * 3600 : 8 * 3600;
    case KM_GEN_K_IAMHUMAN: return 12 * 3600;
    case KM_GEN_K_ROOT: return 3600;
    case KM_GEN_K_LAMBDA: return 6 * 3600;
    case KM_GEN_K_EC2: return 6 * 3600;
    case KM_GEN_K_FEDERATED: return 12 * 3600;
    default: return 3600;
    }
}

/* Session slot containing t for actor gi; returns the session's start. */
static int64_t session_slot(const struct km_gen_world *w, uint32_t gi, const struct km_gen_actor *a,
                            int console, int64_t t, uint64_t *slot)
{
    int64_t dur = session_dur(a, console);
    int64_t phase = (int64_t)(km_rng_hash2(w->seed ^ 0x9a5e, gi) % (uint64_t)dur);
    int64_t rel = t - w->start + phase;
    if (rel < 0)
        rel = 0;
    *slot = (uint64_t)(rel / dur);
    return w->start + (int64_t)*slot * dur - phase;
}

static void issuer(struct km_gb *b, const struct ct_ev *e, const struct km_gen_actor *a)
{
    LIT("\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"");
    STR(a->principal);
    LIT("\",\"arn\":\"");
    STR(a->issuer_arn);
    LIT("\",\"accountId\":\"");
    STR(e->ac->id);
    LIT("\",\"userName\":\"");
    STR(a->name);
    LIT("\"}");
}

/* Role session name of the actor for this event. */
static void role_session(struct km_gb *b, const struct ct_ev *e)
{
    const struct km_gen_actor *a = e->a;
    if (a->session[0]) {
        STR(a->session);
        return;
    }
    uint64_t slot;
    session_slot(e->w, e->gi, a, 0, e->t, &slot);
    struct km_rng r;
    km_rng_init(&r, e->w->seed ^ 0x5e5, ((uint64_t)e->gi << 32) ^ slot);
    if (a->kind == KM_GEN_K_SCANNER) {
        LIT("cspm-scan-");
        km_gb_u64(b, 1700000000000ull + (km_rng_next(&r) % 100000000000ull));
    } else {
        LIT("partner-ingest-");
        km_gb_hex(b, km_rng_next(&r), 12);
    }
}

static void attributes(struct km_gb *b, int64_t created, int mfa)
{
    LIT("\"attributes\":{\"creationDate\":\"");
    km_gb_iso(b, created);
    if (mfa)
        LIT("\",\"mfaAuthenticated\":\"true\"}");
    else
        LIT("\",\"mfaAuthenticated\":\"false\"}");
}

static void identity(struct ct_ev *e, struct km_gb *b)
{
    const struct km_gen_actor *a = e->a;
    const char *acct = e->ac->id;
    int console = e->mode == M_CONSOLE;
    uint64_t slot;
    int64_t created;
    size_t arn_at;
    struct km_gb ab = {e->arn, 0, sizeof e->arn};

    switch (a->kind) {
    case KM_GEN_K_SERVICE:
        LIT("{\"type\":\"AWSService\",\"invokedBy\":\"");
        STR(e->op->flags & F_SVCEVT ? "AWS Internal" : a->name);
        LIT("\"}");
        km_gb_str(&ab, a->name);
        break;
    case KM_GEN_K_XACCOUNT:
        LIT("{\"type\":\"AWSAccount\",\"principalId\":\"");
        STR(a->principal);
        km_gb_ch(b, ':');
        role_session(b, e);
        LIT("\",\"accountId\":\"");
        STR(a->other_account);
        LIT("\"}");
        KM_GB_LIT(&ab, "arn:aws:iam::");
        km_gb_str(&ab, a->other_account);
        KM_GB_LIT(&ab, ":root");
        break;
    case KM_GEN_K_IAMHUMAN:
    case KM_GEN_K_IAMMACHINE:
        LIT("{\"type\":\"IAMUser\",\"principalId\":\"");
        STR(a->principal);
        LIT("\",\"arn\":\"");
        STR(a->issuer_arn);
        LIT("\",\"accountId\":\"");
        STR(acct);
        LIT("\",\"accessKeyId\":\"");
        if (console) {
            created = session_slot(e->w, e->gi, a, 1, e->t, &slot);
            session_key(b, e->w, e->gi, slot, 1);
        } else {
            STR(a->key);
        }
        LIT("\",\"userName\":\"");
        STR(a->name);
        km_gb_ch(b, '"');
        if (console) {
            LIT(",\"sessionContext\":{\"sessionIssuer\":{},\"webIdFederationData\":{},");
            attributes(b, created, a->mfa);
            km_gb_ch(b, '}');
        }
        km_gb_ch(b, '}');
        km_gb_str(&ab, a->issuer_arn);
        break;
    case KM_GEN_K_ROOT:
        LIT("{\"type\":\"Root\",\"principalId\":\"");
        STR(acct);
        LIT("\",\"arn\":\"");
        STR(a->issuer_arn);
        LIT("\",\"accountId\":\"");
        STR(acct);
        LIT("\",\"accessKeyId\":\"");
        created = session_slot(e->w, e->gi, a, 1, e->t, &slot);
        session_key(b, e->w, e->gi, slot, 1);
        LIT("\",\"sessionContext\":{\"sessionIssuer\":{},\"webIdFederationData\":{},");
        attributes(b, created, 1);
        LIT("}}");
        km_gb_str(&ab, a->issuer_arn);
        break;
    case KM_GEN_K_FEDERATED:
        LIT("{\"type\":\"FederatedUser\",\"principalId\":\"");
        STR(acct);
        km_gb_ch(b, ':');
        STR(a->name);
        LIT("\",\"arn\":\"");
        arn_at = b->n;
        LIT("arn:aws:sts::");
        STR(acct);
        LIT(":federated-user/");
        STR(a->name);
        km_gb_mem(&ab, b->p + arn_at, b->n - arn_at);
        LIT("\",\"accountId\":\"");
        STR(acct);
        LIT("\",\"accessKeyId\":\"");
        created = session_slot(e->w, e->gi, a, 0, e->t, &slot);
        session_key(b, e->w, e->gi, slot, 0);
        LIT("\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"IAMUser\",\"principalId\":\"");
        STR(a->principal);
        LIT("\",\"arn\":\"");
        STR(a->issuer_arn);
        LIT("\",\"accountId\":\"");
        STR(acct);
        LIT("\",\"userName\":\"federation-broker\"},\"webIdFederationData\":{},");
        attributes(b, created, 0);
        LIT("}}");
        break;
    default: /* assumed roles: SSO, Lambda, EC2, CI, Terraform, scanner */
        if (e->op->shape == SH_STS_WEBID) { /* the OIDC token itself is the caller */
            LIT("{\"type\":\"WebIdentityUser\",\"principalId\":\"arn:aws:iam::");
            STR(acct);
            LIT(":oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:");
            STR(e->w->org);
            km_gb_ch(b, '/');
            STR(e->ac->projects[e->ri % (uint32_t)e->ac->nprojects]);
            LIT(":ref:refs/heads/main\",\"userName\":\"repo:");
            STR(e->w->org);
            km_gb_ch(b, '/');
            STR(e->ac->projects[e->ri % (uint32_t)e->ac->nprojects]);
            LIT(":ref:refs/heads/main\",\"identityProvider\":\"arn:aws:iam::");
            STR(acct);
            LIT(":oidc-provider/token.actions.githubusercontent.com\"}");
            km_gb_str(&ab, "repo:");
            km_gb_str(&ab, e->w->org);
            break;
        }
        LIT("{\"type\":\"AssumedRole\",\"principalId\":\"");
        STR(a->principal);
        km_gb_ch(b, ':');
        role_session(b, e);
        LIT("\",\"arn\":\"");
        arn_at = b->n;
        LIT("arn:aws:sts::");
        STR(acct);
        LIT(":assumed-role/");
        STR(a->name);
        km_gb_ch(b, '/');
        role_session(b, e);
        km_gb_mem(&ab, b->p + arn_at, b->n - arn_at);
        LIT("\",\"accountId\":\"");
        STR(acct);
        LIT("\",\"accessKeyId\":\"");
        created = session_slot(e->w, e->gi, a, console, e->t, &slot);
        session_key(b, e->w, e->gi, slot, console);
        LIT("\",\"sessionContext\":{");
        issuer(b, e, a);
        if (a->kind == KM_GEN_K_CI) {
            LIT(",\"webIdFederationData\":{\"federatedProvider\":\"arn:aws:iam::");
            STR(acct);
            LIT(":oidc-provider/token.actions.githubusercontent.com\",\"attributes\":{}},");
        } else {
            LIT(",\"webIdFederationData\":{},");
        }
        attributes(b, created, 0);
        if (a->kind == KM_GEN_K_EC2)
            LIT(",\"ec2RoleDelivery\":\"2.0\"");
        LIT("}}");
        break;
    }
    e->arn[ab.n < sizeof e->arn ? ab.n : sizeof e->arn - 1] = 0;
}

/* Source address text. */
static void source_ip(struct ct_ev *e, struct km_gb *b)
{
    const struct km_gen_actor *a = e->a;
    const struct km_gen_world *w = e->w;
    if (e->story) {
        LIT(CT_STORY_IP);
        return;
    }
    if (e->internal) {
        LIT("AWS Internal");
        return;
    }
    uint32_t bh = e->d->burst;
    switch (a->kind) {
    case KM_GEN_K_SERVICE:
        STR(a->name);
        return;
    case KM_GEN_K_LAMBDA: /* Lambda egress: many addresses of the function's region */
        km_gb_ip4(b, km_gen_aws_ip(e->ac->func_region[a->res], km_rng_hash2(bh, 0x1a)));
        return;
    case KM_GEN_K_EC2:
        km_gb_ip4(b, e->vpce ? e->ac->inst[a->res].private_ip : e->ac->inst[a->res].public_ip);
        return;
    case KM_GEN_K_CI: {
        static const uint8_t azure[5] = {20, 4, 40, 52, 13};
        uint32_t ip = ((uint32_t)azure[bh % 5] << 24) | ((bh >> 3) & 0xffffffu);
        if ((ip & 255) == 0)
            ip |= 1;
        km_gb_ip4(b, ip);
        return;
    }
    case KM_GEN_K_SCANNER:
        km_gb_ip4(b, w->scanner_ip[bh & 3]);
        return;
    case KM_GEN_K_IAMMACHINE:
    case KM_GEN_K_XACCOUNT:
    case KM_GEN_K_FEDERATED:
        km_gb_ip4(b, a->ip);
        return;
    default:
        if (a->person != KM_GEN_NONE)
            km_gen_person_ip(w, a->person, e->day, b);
        else
            km_gb_ip4(b, e->ac->nat[0]);
        return;
    }
}

/* Copies a user-agent template, expanding \x01 (cli command) and \x02 (api id). */
static void ua_expand(struct km_gb *b, const struct ct_ev *e, const char *tmpl)
{
    for (const char *s = tmpl; *s; s++) {
        if (*s == '\x01')
            STR(e->pl->cmd[e->opi]);
        else if (*s == '\x02')
            STR(ct_svcs[e->op->svc].api);
        else
            km_gb_ch(b, *s);
    }
}

static void user_agent(struct ct_ev *e, struct km_gb *b)
{
    const struct km_gen_actor *a = e->a;
    const struct ct_svc *sv = &ct_svcs[e->op->svc];
    if (e->story) {
        LIT(CT_STORY_UA " command/");
        STR(e->pl->cmd[e->opi]);
        return;
    }
    if (a->kind == KM_GEN_K_SERVICE) {
        STR(e->op->flags & F_SVCEVT ? "AWS Internal" : a->name);
        return;
    }
    if (e->internal) {
        LIT("AWS Internal");
        return;
    }
    const struct km_gen_person *p = a->person != KM_GEN_NONE ? &e->w->persons[a->person] : NULL;
    int s3 = e->op->svc == KM_GEN_SVC_S3;
    if (e->mode == M_CONSOLE) {
        if (sv->console_ua && e->op->svc != KM_GEN_SVC_SIGNIN)
            STR(sv->console_ua);
        else
            STR(p ? p->ua_browser : "AWS Internal");
        return;
    }
    if (s3)
        km_gb_ch(b, '[');
    if (e->mode == M_CLI && p)
        ua_expand(b, e, p->ua_cli);
    else if (e->mode == M_SDK && p)
        STR(p->ua_sdk);
    else if (e->mode == M_TF && p)
        ua_expand(b, e, p->ua_tf);
    else if (a->kind == KM_GEN_K_EC2 && e->op->svc == KM_GEN_SVC_SSM)
        LIT("aws-sdk-go/1.55.7 (go1.24.6; linux; amd64) amazon-ssm-agent/3.3.2958.0");
    else if (a->kind == KM_GEN_K_EC2 && e->op->svc == KM_GEN_SVC_LOGS)
        LIT("aws-sdk-go/1.48.6 (go1.22.12; linux; amd64) CWAgent/1.300057.0b1161 (go1.22.12; linux; amd64)");
    else
        ua_expand(b, e, a->ua[0] ? a->ua : "aws-internal/3 aws-sdk-java/1.12.780");
    if (s3)
        km_gb_ch(b, ']');
}

/* ---- resources and ARNs ---------------------------------------------------- */

/*
 * The bucket a call touches. Object reads and writes go to the buckets the
 * caller has business with (partners and the BI tool read application data,
 * CI writes artefacts, Terraform its state, the backup user dumps); bucket
 * configuration calls may touch any bucket.
 */
static int bucket_for(const struct km_gen_account *ac, const struct km_gen_actor *a,
                      const struct ct_op *op, uint32_t ri)
{
    int want = -1;
    if (op->flags & F_DATA) {
        switch (a->kind) {
        case KM_GEN_K_XACCOUNT:
        case KM_GEN_K_FEDERATED: want = 0; break;
        case KM_GEN_K_LAMBDA:
        case KM_GEN_K_EC2: want = ri % 5 == 0 ? 1 : 0; break;
        case KM_GEN_K_CI: want = ri % 4 == 0 ? 4 : 2; break;
        case KM_GEN_K_TERRAFORM: want = 4; break;
        case KM_GEN_K_IAMMACHINE: want = a->name[4] == 'b' ? 3 : -1; break; /* svc-backup */
        default: break;
        }
    }
    if (want >= 0) {
        int idx[KM_GEN_MAX_BUCKETS], n = 0;
        for (int k = 0; k < ac->nbuckets; k++)
            if (ac->buckets[k].kind == want)
                idx[n++] = k;
        if (n)
            return idx[(ri >> 3) % (uint32_t)n];
    }
    return (int)(ri % (uint32_t)ac->nbuckets);
}

static const struct km_gen_bucket *bucket(const struct ct_ev *e)
{
    return &e->ac->buckets[bucket_for(e->ac, e->a, e->op, e->ri)];
}

static int func_idx(const struct ct_ev *e)
{
    if (e->a->kind == KM_GEN_K_LAMBDA)
        return e->a->res;
    return (int)(e->ri % (uint32_t)e->ac->nfuncs);
}

static int inst_idx(const struct ct_ev *e)
{
    if (e->a->kind == KM_GEN_K_EC2)
        return e->a->res;
    return (int)(e->ri % (uint32_t)e->ac->ninst);
}

static void func_arn(struct km_gb *b, const struct ct_ev *e, int f)
{
    LIT("arn:aws:lambda:");
    STR(rg(e));
    km_gb_ch(b, ':');
    STR(e->ac->id);
    LIT(":function:");
    STR(e->ac->funcs[f]);
}

static void key_arn(struct km_gb *b, const struct ct_ev *e, int k)
{
    LIT("arn:aws:kms:");
    /* keys of global services' calls (IAM policies) live in the home region */
    STR(e->region == 0 && (e->op->flags & F_GLOBAL) ? km_gen_regions[e->ac->home] : rg(e));
    km_gb_ch(b, ':');
    STR(e->ac->id);
    LIT(":key/");
    STR(e->ac->keys[k]);
}

static void secret_arn(struct km_gb *b, const struct ct_ev *e, int s)
{
    LIT("arn:aws:secretsmanager:");
    STR(rg(e));
    km_gb_ch(b, ':');
    STR(e->ac->id);
    LIT(":secret:");
    STR(e->ac->secrets[s]);
}

static void role_arn(struct km_gb *b, const struct ct_ev *e, const char *role)
{
    LIT("arn:aws:iam::");
    STR(e->ac->id);
    LIT(":role/");
    STR(role);
}

/* resources[] entry {"accountId":..,"type":..,"ARN":..}; ARN written by the caller */
static void res_begin(struct ct_ev *e, const char *type)
{
    struct km_gb *b = e->res;
    if (b->n)
        km_gb_ch(b, ',');
    LIT("{\"accountId\":\"");
    STR(e->ac->id);
    LIT("\",\"type\":\"");
    STR(type);
    LIT("\",\"ARN\":\"");
}

static void res_end(struct ct_ev *e)
{
    KM_GB_LIT(e->res, "\"}");
}

static void res_key(struct ct_ev *e, int k)
{
    res_begin(e, "AWS::KMS::Key");
    key_arn(e->res, e, k);
    res_end(e);
}

static void s3_aed(struct ct_ev *e, uint64_t in, uint64_t out)
{
    struct km_gb *b = e->aed;
    LIT("\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"");
    STR(e->a->tls12 ? "ECDHE-RSA-AES128-GCM-SHA256" : "TLS_AES_128_GCM_SHA256");
    LIT("\",\"bytesTransferredIn\":");
    km_gb_u64(b, in);
    LIT(",\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"");
    km_gb_rand(b, &e->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 76);
    LIT("\",\"bytesTransferredOut\":");
    km_gb_u64(b, out);
}

/* ---- requestParameters / responseElements ------------------------------------- */

/* Starts responseElements; returns 0 (after writing null) when the call failed. */
static int re(const struct ct_ev *e, struct km_gb *b)
{
    if (e->err) {
        LIT(",\"responseElements\":null");
        return 0;
    }
    LIT(",\"responseElements\":");
    return 1;
}

static void rp_null_re_null(struct km_gb *b)
{
    LIT(",\"requestParameters\":null,\"responseElements\":null");
}

static void ec2_filter(struct ct_ev *e, struct km_gb *b, const char *name, const char *value)
{
    LIT("\"filterSet\":{\"items\":[{\"name\":\"");
    STR(name);
    LIT("\",\"valueSet\":{\"items\":[{\"value\":\"");
    STR(value);
    LIT("\"}]}}]}");
    (void)e;
}

static void ec2_items_re(struct ct_ev *e, struct km_gb *b, const char *id, int from, int to)
{
    static const char *const st[] = {"pending", "running", "shutting-down", "terminated",
                                     "stopping", "stopped"};
    static const int code[] = {0, 16, 32, 48, 64, 80};
    LIT("{\"requestId\":\"");
    km_gb_uuid(b, &e->r);
    LIT("\",\"instancesSet\":{\"items\":[{\"instanceId\":\"");
    STR(id);
    LIT("\",\"currentState\":{\"code\":");
    km_gb_u64(b, (uint64_t)code[to]);
    LIT(",\"name\":\"");
    STR(st[to]);
    LIT("\"},\"previousState\":{\"code\":");
    km_gb_u64(b, (uint64_t)code[from]);
    LIT(",\"name\":\"");
    STR(st[from]);
    LIT("\"}}]}}");
}

static void policy_doc(struct km_gb *b, struct ct_ev *e, int kind)
{
    /* the raw text of a small IAM policy; callers escape or URL-encode it */
    if (kind == 0) {
        LIT("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
            "{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}");
        return;
    }
    const struct km_gen_bucket *bk = bucket(e);
    LIT("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"");
    LIT("AllowAppAccess");
    km_gb_u64(b, e->ri % 97);
    LIT("\",\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:PutObject\"],\"Resource\":"
        "\"arn:aws:s3:::");
    STR(bk->name);
    LIT("/*\"},{\"Effect\":\"Allow\",\"Action\":[\"kms:Decrypt\",\"kms:GenerateDataKey\"],"
        "\"Resource\":\"");
    key_arn(b, e, (int)(e->ri % (uint32_t)e->ac->nkeys));
    LIT("\"}]}");
}

/* Writes the policy as an escaped JSON string value (with quotes). */
static void policy_str(struct km_gb *b, struct ct_ev *e, int kind, int urlenc)
{
    char tmp[1024];
    struct km_gb t = {tmp, 0, sizeof tmp};
    policy_doc(&t, e, kind);
    km_gb_ch(b, '"');
    if (!urlenc) {
        km_gb_esc(b, tmp, t.n);
    } else {
        static const char hx[] = "0123456789ABCDEF";
        for (size_t i = 0; i < t.n; i++) {
            unsigned char c = (unsigned char)tmp[i];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '*') {
                km_gb_ch(b, (char)c);
            } else {
                km_gb_ch(b, '%');
                km_gb_ch(b, hx[c >> 4]);
                km_gb_ch(b, hx[c & 15]);
            }
        }
    }
    km_gb_ch(b, '"');
}

static void s3_key(struct km_gb *b, struct ct_ev *e, const struct km_gen_bucket *bk)
{
    struct km_gen_tm tm;
    km_gen_gmtime(e->t - (int64_t)(km_rng_below(&e->r, 3)) * 86400, &tm);
    const char *proj = e->ac->projects[bk->project];
    switch (bk->kind) {
    case 1: /* load balancer access logs */
        LIT("alb/AWSLogs/");
        STR(e->ac->id);
        LIT("/elasticloadbalancing/");
        STR(rg(e));
        km_gb_ch(b, '/');
        km_gb_u64(b, (uint64_t)tm.year);
        km_gb_ch(b, '/');
        km_gb_2d(b, (unsigned)tm.mon);
        km_gb_ch(b, '/');
        km_gb_2d(b, (unsigned)tm.day);
        km_gb_ch(b, '/');
        STR(e->ac->id);
        LIT("_elasticloadbalancing_");
        STR(rg(e));
        LIT("_app.");
        STR(proj);
        LIT("-alb.");
        km_gb_hex(b, km_rng_hash2(e->ri, 7), 16);
        km_gb_ch(b, '_');
        km_gb_u64(b, (uint64_t)tm.year);
        km_gb_2d(b, (unsigned)tm.mon);
        km_gb_2d(b, (unsigned)tm.day);
        km_gb_ch(b, 'T');
        km_gb_2d(b, (unsigned)tm.hour);
        km_gb_2d(b, (unsigned)(tm.min / 5 * 5));
        LIT("Z_");
        km_gb_ip4(b, e->ac->nat[e->ri & 1]);
        km_gb_ch(b, '_');
        km_gb_rand(b, &e->r, "abcdefghijklmnopqrstuvwxyz0123456789", 8);
        LIT(".log.gz");
        return;
    case 2: /* build artefacts */
        LIT("builds/");
        STR(proj);
        km_gb_ch(b, '/');
        km_gb_hex(b, km_rng_next(&e->r), 16);
        km_gb_hex(b, km_rng_next(&e->r), 16);
        km_gb_hex(b, km_rng_next(&e->r), 8);
        LIT(".zip");
        return;
    case 3: /* database dumps */
        STR(e->ac->dbs[e->ri % (uint32_t)e->ac->ndbs]);
        km_gb_ch(b, '/');
        km_gb_u64(b, (uint64_t)tm.year);
        km_gb_ch(b, '-');
        km_gb_2d(b, (unsigned)tm.mon);
        km_gb_ch(b, '-');
        km_gb_2d(b, (unsigned)tm.day);
        LIT("/dump-");
        km_gb_2d(b, (unsigned)tm.hour);
        LIT("00.sql.gz");
        return;
    case 4: /* terraform state */
        LIT("env/");
        STR(e->ac->name);
        km_gb_ch(b, '/');
        STR(proj);
        LIT("/terraform.tfstate");
        return;
    default: /* application data */
        switch (km_rng_below(&e->r, 3)) {
        case 0:
            STR(proj);
            LIT("/events/");
            km_gb_u64(b, (uint64_t)tm.year);
            km_gb_ch(b, '/');
            km_gb_2d(b, (unsigned)tm.mon);
            km_gb_ch(b, '/');
            km_gb_2d(b, (unsigned)tm.day);
            LIT("/part-");
            km_gb_u64(b, 10000 + km_rng_below(&e->r, 90000));
            km_gb_ch(b, '-');
            km_gb_hex(b, km_rng_next(&e->r), 8);
            LIT(".snappy.parquet");
            return;
        case 1:
            LIT("exports/");
            km_gb_u64(b, (uint64_t)tm.year);
            km_gb_ch(b, '-');
            km_gb_2d(b, (unsigned)tm.mon);
            km_gb_ch(b, '-');
            km_gb_2d(b, (unsigned)tm.day);
            km_gb_ch(b, '/');
            STR(proj);
            km_gb_ch(b, '-');
            km_gb_u64(b, 100000 + km_rng_below(&e->r, 900000));
            LIT(".json.gz");
            return;
        default:
            LIT("uploads/");
            km_gb_uuid(b, &e->r);
            STR(km_rng_below(&e->r, 2) ? ".jpg" : ".pdf");
            return;
        }
    }
}

static void s3_host(struct km_gb *b, const struct ct_ev *e, const struct km_gen_bucket *bk)
{
    STR(bk->name);
    LIT(".s3.");
    STR(km_gen_regions[bk->region]);
    LIT(".amazonaws.com");
    (void)e;
}

static void shape_s3(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    const struct km_gen_bucket *bk = bucket(e);
    switch (op->shape) {
    case SH_S3_LISTBUCKETS:
        LIT(",\"requestParameters\":{\"Host\":\"s3.");
        if (e->story || km_rng_below(&e->r, 2))
            LIT("us-east-1.");
        LIT("amazonaws.com\"}");
        if (re(e, b))
            LIT("null");
        s3_aed(e, 0, e->err ? 243 : 600 + 88 * (uint64_t)e->ac->nbuckets);
        return;
    case SH_S3_BUCKET:
    case SH_S3_PUT_POLICY:
    case SH_S3_PUT_TAGGING: {
        LIT(",\"requestParameters\":{");
        if (op->shape == SH_S3_PUT_POLICY) {
            LIT("\"bucketPolicy\":");
            policy_doc(b, e, 1);
            km_gb_ch(b, ',');
        } else if (op->shape == SH_S3_PUT_TAGGING) {
            LIT("\"Tagging\":{\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\",\"TagSet\":{\"Tag\":"
                "[{\"Value\":\"");
            STR(e->ac->projects[e->ri % (uint32_t)e->ac->nprojects]);
            LIT("\",\"Key\":\"project\"},{\"Value\":\"");
            STR(e->ac->name);
            LIT("\",\"Key\":\"env\"}]}},");
        }
        LIT("\"bucketName\":\"");
        STR(bk->name);
        LIT("\",\"Host\":\"");
        s3_host(b, e, bk);
        LIT("\",\"");
        STR(op->shape == SH_S3_PUT_POLICY ? "policy" : op->shape == SH_S3_PUT_TAGGING ? "tagging"
                                                                                      : op->arg);
        LIT("\":\"\"}");
        if (re(e, b))
            LIT("null");
        s3_aed(e, op->shape == SH_S3_BUCKET ? 0 : 300 + km_rng_below(&e->r, 400),
               e->err ? 243 + km_rng_below(&e->r, 80) : op->shape == SH_S3_BUCKET ? 200 + km_rng_below(&e->r, 1200) : 0);
        res_begin(e, "AWS::S3::Bucket");
        KM_GB_LIT(e->res, "arn:aws:s3:::");
        km_gb_str(e->res, bk->name);
        res_end(e);
        return;
    }
    case SH_S3_LIST:
        LIT(",\"requestParameters\":{\"list-type\":\"2\",\"bucketName\":\"");
        STR(bk->name);
        LIT("\",\"encoding-type\":\"url\",\"Host\":\"");
        s3_host(b, e, bk);
        LIT("\",\"prefix\":\"");
        if (bk->kind == 0)
            STR(e->ac->projects[bk->project]);
        else if (bk->kind == 1)
            LIT("alb");
        else if (bk->kind == 2)
            LIT("builds");
        km_gb_ch(b, '/');
        LIT("\",\"delimiter\":\"/\"}");
        if (re(e, b))
            LIT("null");
        s3_aed(e, 0, e->err ? 243 : 400 + km_rng_below(&e->r, 30000));
        res_begin(e, "AWS::S3::Bucket");
        KM_GB_LIT(e->res, "arn:aws:s3:::");
        km_gb_str(e->res, bk->name);
        res_end(e);
        return;
    default: { /* SH_S3_OBJ */
        char key[400];
        struct km_gb kb = {key, 0, sizeof key};
        s3_key(&kb, e, bk);
        LIT(",\"requestParameters\":{\"bucketName\":\"");
        STR(bk->name);
        LIT("\",\"Host\":\"");
        s3_host(b, e, bk);
        LIT("\",\"key\":\"");
        km_gb_mem(b, key, kb.n);
        LIT("\"}");
        uint64_t size = 200 + (km_rng_next(&e->r) % (bk->kind == 3 ? 80000000 : 2000000));
        int put = op->arg[0] == 'p', get = op->arg[0] == 'g';
        if (re(e, b)) {
            if (put) {
                LIT("{\"x-amz-server-side-encryption\":\"");
                if (bk->kind == 3) {
                    LIT("aws:kms\",\"x-amz-server-side-encryption-aws-kms-key-id\":\"");
                    key_arn(b, e, 0);
                    LIT("\",\"x-amz-server-side-encryption-bucket-key-enabled\":\"true");
                } else {
                    LIT("AES256");
                }
                LIT("\"}");
            } else {
                LIT("null");
            }
        }
        s3_aed(e, put && !e->err ? size : 0, get && !e->err ? size : 0);
        struct km_gb *rb = e->res;
        KM_GB_LIT(rb, "{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::");
        km_gb_str(rb, bk->name);
        km_gb_ch(rb, '/');
        km_gb_mem(rb, key, kb.n);
        KM_GB_LIT(rb, "\"}");
        res_begin(e, "AWS::S3::Bucket");
        KM_GB_LIT(rb, "arn:aws:s3:::");
        km_gb_str(rb, bk->name);
        res_end(e);
        return;
    }
    }
}

static void shape_ec2(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    const struct km_gen_account *ac = e->ac;
    const char *inst = ac->inst[inst_idx(e)].id;
    uint32_t v = km_rng_below(&e->r, 4);
    switch (op->shape) {
    case SH_EC2_INST:
        LIT(",\"requestParameters\":{\"instancesSet\":");
        if (v == 0) {
            LIT("{\"items\":[{\"instanceId\":\"");
            STR(inst);
            LIT("\"}]},\"filterSet\":{}}");
        } else if (v == 1) {
            LIT("{},");
            ec2_filter(e, b, "instance-state-name", "running");
            km_gb_ch(b, '}');
        } else if (v == 2) {
            LIT("{},");
            ec2_filter(e, b, "tag:project", ac->projects[e->ri % (uint32_t)ac->nprojects]);
            km_gb_ch(b, '}');
        } else {
            LIT("{},\"filterSet\":{},\"maxResults\":1000}");
        }
        LIT(",\"responseElements\":null");
        return;
    case SH_EC2_SG:
        LIT(",\"requestParameters\":{\"securityGroupSet\":{},\"securityGroupIdSet\":");
        if (v == 0) {
            LIT("{\"items\":[{\"groupId\":\"");
            STR(ac->sgs[e->ri % (uint32_t)ac->nsgs]);
            LIT("\"}]},\"filterSet\":{}}");
        } else if (v == 1) {
            LIT("{},");
            ec2_filter(e, b, "vpc-id", ac->vpc);
            km_gb_ch(b, '}');
        } else {
            LIT("{},\"filterSet\":{}}");
        }
        LIT(",\"responseElements\":null");
        return;
    case SH_EC2_SET:
        LIT(",\"requestParameters\":{\"");
        STR(op->arg);
        LIT("\":{},");
        if (v == 0 && strcmp(op->arg, "subnetSet") == 0)
            ec2_filter(e, b, "vpc-id", ac->vpc);
        else
            LIT("\"filterSet\":{}");
        LIT("},\"responseElements\":null");
        return;
    case SH_EC2_SNAP:
        LIT(",\"requestParameters\":{\"snapshotSet\":{},\"ownersSet\":{\"items\":[{\"owner\":\"self\"}]},"
            "\"sharedUsersSet\":{},\"filterSet\":{}");
        if (v < 2)
            LIT(",\"maxResults\":1000");
        LIT("},\"responseElements\":null");
        return;
    case SH_EC2_IMAGES:
        LIT(",\"requestParameters\":{\"executableBySet\":{},\"imagesSet\":{},\"ownersSet\":{\"items\":[{"
            "\"owner\":\"");
        STR(v == 0 ? "self" : "amazon");
        LIT("\"}]},\"availabilityZoneSet\":{},");
        ec2_filter(e, b, "name", v == 0 ? "golden-*" : v == 1 ? "al2023-ami-2023.*-x86_64"
                                                     : "al2023-ami-2023.*-arm64");
        LIT("},\"responseElements\":null");
        return;
    case SH_EC2_REGIONS:
        LIT(",\"requestParameters\":{\"regionSet\":{}");
        if (v < 2)
            LIT(",\"allRegions\":true");
        LIT("},\"responseElements\":null");
        return;
    case SH_EC2_STATUS:
        LIT(",\"requestParameters\":{\"instancesSet\":{},\"filterSet\":{},\"includeAllInstances\":");
        STR(v < 2 ? "true" : "false");
        LIT("},\"responseElements\":null");
        return;
    case SH_EC2_TAGS:
        LIT(",\"requestParameters\":{");
        ec2_filter(e, b, "resource-id", inst);
        LIT("},\"responseElements\":null");
        return;
    case SH_EC2_LT:
        LIT(",\"requestParameters\":{\"DescribeLaunchTemplatesRequest\":{\"MaxResults\":200}},"
            "\"responseElements\":null");
        return;
    case SH_EC2_STATE: {
        int from, to;
        if (op->arg[0] == 's' && op->arg[2] == 'a') { /* start */
            from = 5;
            to = 0;
        } else if (op->arg[0] == 's') {               /* stop */
            from = 1;
            to = 4;
        } else {                                      /* terminate */
            from = 1;
            to = 2;
        }
        LIT(",\"requestParameters\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"");
        STR(inst);
        LIT("\"}]}");
        if (to == 4)
            LIT(",\"force\":false");
        km_gb_ch(b, '}');
        if (re(e, b))
            ec2_items_re(e, b, inst, from, to);
        return;
    }
    case SH_EC2_RUN: {
        char id[24];
        memcpy(id, "i-0", 3);
        km_gen_rand_str(id + 3, &e->r, "0123456789abcdef", 16);
        LIT(",\"requestParameters\":{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-0");
        km_gb_hex(b, km_rng_hash2(e->ri, 3), 16);
        LIT("\",\"minCount\":1,\"maxCount\":1}]},\"instanceType\":\"");
        STR(v == 0 ? "t3.medium" : v == 1 ? "m6i.large" : v == 2 ? "c7g.xlarge" : "t3.small");
        LIT("\",\"blockDeviceMapping\":{},\"monitoring\":{\"enabled\":false},\"disableApiTermination\":false,"
            "\"disableApiStop\":false,\"clientToken\":\"terraform-");
        km_gb_u64(b, 20261000000000ull + km_rng_below(&e->r, 999999999));
        LIT("\",\"subnetId\":\"");
        STR(ac->subnets[v % 3]);
        LIT("\",\"iamInstanceProfile\":{\"name\":\"");
        STR(ac->projects[0]);
        LIT("-ec2-profile\"},\"metadataOptions\":{\"httpTokens\":\"required\"}}");
        if (re(e, b)) {
            LIT("{\"requestId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\",\"reservationId\":\"r-0");
            km_gb_hex(b, km_rng_next(&e->r), 16);
            LIT("\",\"ownerId\":\"");
            STR(ac->id);
            LIT("\",\"groupSet\":{},\"instancesSet\":{\"items\":[{\"instanceId\":\"");
            STR(id);
            LIT("\",\"currentState\":{\"code\":0,\"name\":\"pending\"},\"privateIpAddress\":\"10.");
            km_gb_u64(b, e->ri % 250);
            km_gb_ch(b, '.');
            km_gb_u64(b, km_rng_below(&e->r, 64));
            km_gb_ch(b, '.');
            km_gb_u64(b, 4 + km_rng_below(&e->r, 250));
            LIT("\",\"subnetId\":\"");
            STR(ac->subnets[v % 3]);
            LIT("\",\"vpcId\":\"");
            STR(ac->vpc);
            LIT("\",\"architecture\":\"x86_64\",\"rootDeviceType\":\"ebs\"}]}}");
        }
        res_begin(e, "AWS::EC2::Instance");
        KM_GB_LIT(e->res, "arn:aws:ec2:");
        km_gb_str(e->res, rg(e));
        km_gb_ch(e->res, ':');
        km_gb_str(e->res, ac->id);
        KM_GB_LIT(e->res, ":instance/");
        km_gb_str(e->res, id);
        res_end(e);
        return;
    }
    case SH_EC2_CREATE_TAGS:
        LIT(",\"requestParameters\":{\"resourcesSet\":{\"items\":[{\"resourceId\":\"");
        STR(inst);
        LIT("\"}]},\"tagSet\":{\"items\":[{\"key\":\"");
        STR(v == 0 ? "owner" : v == 1 ? "cost-center" : v == 2 ? "project" : "Name");
        LIT("\",\"value\":\"");
        STR(v == 0 ? e->w->persons[e->ri % e->w->npersons].login
                   : ac->projects[e->ri % (uint32_t)ac->nprojects]);
        LIT("\"}]}}");
        if (re(e, b)) {
            LIT("{\"requestId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\",\"_return\":true}");
        }
        return;
    case SH_EC2_AUTH_SG:
        LIT(",\"requestParameters\":{\"groupId\":\"");
        STR(ac->sgs[e->ri % (uint32_t)ac->nsgs]);
        LIT("\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":\"tcp\",\"fromPort\":");
        km_gb_u64(b, v == 0 ? 443 : v == 1 ? 5432 : v == 2 ? 8080 : 6379);
        LIT(",\"toPort\":");
        km_gb_u64(b, v == 0 ? 443 : v == 1 ? 5432 : v == 2 ? 8080 : 6379);
        LIT(",\"groups\":{},\"ipRanges\":{\"items\":[{\"cidrIp\":\"10.");
        km_gb_u64(b, e->ri % 4);
        LIT(".0.0/16\"}]},\"ipv6Ranges\":{},\"prefixListIds\":{}}]}}");
        if (re(e, b)) {
            LIT("{\"requestId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\",\"_return\":true,\"securityGroupRuleSet\":{\"items\":[{\"groupOwnerId\":\"");
            STR(ac->id);
            LIT("\",\"groupId\":\"");
            STR(ac->sgs[e->ri % (uint32_t)ac->nsgs]);
            LIT("\",\"securityGroupRuleId\":\"sgr-0");
            km_gb_hex(b, km_rng_next(&e->r), 16);
            LIT("\",\"isEgress\":false,\"ipProtocol\":\"tcp\"}]}}");
        }
        return;
    case SH_EC2_CREATE_SNAP:
        LIT(",\"requestParameters\":{\"volumeId\":\"vol-0");
        km_gb_hex(b, km_rng_hash2(e->ri, 11), 16);
        LIT("\",\"description\":\"nightly backup ");
        km_gb_iso(b, e->t);
        LIT("\"}");
        if (re(e, b)) {
            LIT("{\"requestId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\",\"snapshotId\":\"snap-0");
            km_gb_hex(b, km_rng_next(&e->r), 16);
            LIT("\",\"volumeId\":\"vol-0");
            km_gb_hex(b, km_rng_hash2(e->ri, 11), 16);
            LIT("\",\"status\":\"pending\",\"startTime\":");
            km_gb_u64(b, (uint64_t)e->t * 1000 + km_rng_below(&e->r, 1000));
            LIT(",\"progress\":\"\",\"ownerId\":\"");
            STR(ac->id);
            LIT("\",\"volumeSize\":");
            km_gb_u64(b, 8u << (e->ri % 5));
            LIT(",\"encrypted\":true}");
        }
        return;
    default: /* SH_EC2_MODIFY */
        LIT(",\"requestParameters\":{\"instanceId\":\"");
        STR(inst);
        LIT("\",\"instanceType\":{\"value\":\"");
        STR(v < 2 ? "m6i.xlarge" : "t3.large");
        LIT("\"}}");
        if (re(e, b)) {
            LIT("{\"requestId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\",\"_return\":true}");
        }
        return;
    }
}

static const char *const ct_aws_policies[] = {
    "ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AWSLambdaBasicExecutionRole",
    "AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy", "SecurityAudit",
    "AmazonEC2ReadOnlyAccess", "AWSXRayDaemonWriteAccess",
};

static void policy_arn(struct km_gb *b, const struct ct_ev *e, uint32_t v)
{
    if (v % 3 == 0) {
        LIT("arn:aws:iam::");
        STR(e->ac->id);
        LIT(":policy/");
        STR(e->ac->projects[v % (uint32_t)e->ac->nprojects]);
        LIT("-app-access");
    } else {
        LIT("arn:aws:iam::aws:policy/");
        if (v % 8 == 2 || v % 8 == 3)
            LIT("service-role/");
        STR(ct_aws_policies[v % KM_ARRAY_LEN(ct_aws_policies)]);
    }
}

static const char *target_role(const struct ct_ev *e)
{
    return e->ac->roles[e->ri % (uint32_t)e->ac->nroles];
}

static const char *target_user(const struct ct_ev *e)
{
    if (e->story)
        return CT_STORY_USER;
    return e->ac->users[e->ri % (uint32_t)(e->ac->nusers ? e->ac->nusers : 1)];
}

static void shape_iam(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    uint32_t v = km_rng_below(&e->r, 6);
    switch (op->shape) {
    case SH_IAM_LIST:
        if (e->story || v < 3) {
            rp_null_re_null(b);
        } else {
            LIT(",\"requestParameters\":{\"maxItems\":");
            km_gb_u64(b, v == 3 ? 100 : 1000);
            LIT("},\"responseElements\":null");
        }
        return;
    case SH_IAM_ROLE:
        LIT(",\"requestParameters\":{\"roleName\":\"");
        STR(target_role(e));
        LIT("\"},\"responseElements\":null");
        return;
    case SH_IAM_USER:
    case SH_IAM_USER_OPT:
        if (op->shape == SH_IAM_USER_OPT && (v < 2 || !e->ac->nusers)) {
            rp_null_re_null(b);
            return;
        }
        LIT(",\"requestParameters\":{\"userName\":\"");
        STR(target_user(e));
        LIT("\"},\"responseElements\":null");
        return;
    case SH_IAM_LIST_POLICIES:
        LIT(",\"requestParameters\":{\"scope\":\"");
        STR(v < 3 ? "Local" : "All");
        LIT("\",\"onlyAttached\":");
        STR(v % 2 ? "true" : "false");
        LIT(",\"maxItems\":100},\"responseElements\":null");
        return;
    case SH_IAM_POLICY:
    case SH_IAM_POLICY_VERSION:
        LIT(",\"requestParameters\":{\"policyArn\":\"");
        policy_arn(b, e, e->ri);
        if (op->shape == SH_IAM_POLICY_VERSION) {
            LIT("\",\"versionId\":\"v");
            km_gb_u64(b, 1 + e->ri % 7);
        }
        LIT("\"},\"responseElements\":null");
        return;
    case SH_IAM_CREATE_ROLE: {
        char name[80];
        struct km_gb nb = {name, 0, sizeof name};
        km_gb_str(&nb, e->ac->projects[e->ri % (uint32_t)e->ac->nprojects]);
        KM_GB_LIT(&nb, "-task-role-");
        km_gb_rand(&nb, &e->r, "abcdefghijklmnopqrstuvwxyz0123456789", 6);
        name[nb.n] = 0;
        LIT(",\"requestParameters\":{\"roleName\":\"");
        STR(name);
        LIT("\",\"assumeRolePolicyDocument\":");
        policy_str(b, e, 0, 0);
        LIT(",\"maxSessionDuration\":3600}");
        if (re(e, b)) {
            LIT("{\"role\":{\"path\":\"/\",\"roleName\":\"");
            STR(name);
            LIT("\",\"roleId\":\"AROA");
            km_gb_rand(b, &e->r, KM_GEN_UPNUM, 17);
            LIT("\",\"arn\":\"");
            role_arn(b, e, name);
            LIT("\",\"createDate\":\"");
            km_gb_awsdate(b, e->t);
            LIT("\",\"assumeRolePolicyDocument\":");
            policy_str(b, e, 0, 1);
            LIT(",\"maxSessionDuration\":3600}}");
        }
        return;
    }
    case SH_IAM_ATTACH_ROLE:
        LIT(",\"requestParameters\":{\"roleName\":\"");
        STR(target_role(e));
        LIT("\",\"policyArn\":\"");
        policy_arn(b, e, e->ri + v);
        LIT("\"},\"responseElements\":null");
        return;
    case SH_IAM_PUT_ROLE_POLICY:
        LIT(",\"requestParameters\":{\"roleName\":\"");
        STR(target_role(e));
        LIT("\",\"policyName\":\"inline-");
        STR(e->ac->projects[e->ri % (uint32_t)e->ac->nprojects]);
        LIT("-access\",\"policyDocument\":");
        policy_str(b, e, 1, 0);
        LIT("},\"responseElements\":null");
        return;
    case SH_IAM_CREATE_POLICY_VERSION:
        LIT(",\"requestParameters\":{\"policyArn\":\"");
        policy_arn(b, e, 0);
        LIT("\",\"policyDocument\":");
        policy_str(b, e, 1, 0);
        LIT(",\"setAsDefault\":true}");
        if (re(e, b)) {
            LIT("{\"policyVersion\":{\"versionId\":\"v");
            km_gb_u64(b, 2 + e->ri % 4);
            LIT("\",\"isDefaultVersion\":true,\"createDate\":\"");
            km_gb_awsdate(b, e->t);
            LIT("\"}}");
        }
        return;
    case SH_IAM_TAG_ROLE:
        LIT(",\"requestParameters\":{\"roleName\":\"");
        STR(target_role(e));
        LIT("\",\"tags\":[{\"key\":\"managed-by\",\"value\":\"terraform\"},{\"key\":\"env\",\"value\":\"");
        STR(e->ac->name);
        LIT("\"}]},\"responseElements\":null");
        return;
    case SH_IAM_CREATE_KEY:
        LIT(",\"requestParameters\":{\"userName\":\"");
        STR(e->story ? CT_STORY_USER : e->a->kind == KM_GEN_K_IAMHUMAN ? e->a->name : target_user(e));
        LIT("\"}");
        if (re(e, b)) {
            LIT("{\"accessKey\":{\"accessKeyId\":\"AKIA");
            km_gb_rand(b, &e->r, KM_GEN_B32, 16);
            LIT("\",\"status\":\"Active\",\"userName\":\"");
            STR(e->story ? CT_STORY_USER : e->a->kind == KM_GEN_K_IAMHUMAN ? e->a->name : target_user(e));
            LIT("\",\"createDate\":\"");
            km_gb_awsdate(b, e->t);
            LIT("\"}}");
        }
        return;
    case SH_IAM_UPDATE_KEY:
    case SH_IAM_DELETE_KEY:
        LIT(",\"requestParameters\":{\"userName\":\"");
        STR(e->a->kind == KM_GEN_K_IAMHUMAN ? e->a->name : target_user(e));
        LIT("\",\"accessKeyId\":\"AKIA");
        km_gb_rand(b, &e->r, KM_GEN_B32, 16);
        if (op->shape == SH_IAM_UPDATE_KEY)
            LIT("\",\"status\":\"Inactive");
        LIT("\"},\"responseElements\":null");
        return;
    case SH_IAM_CREATE_USER:
        LIT(",\"requestParameters\":{\"userName\":\"");
        STR(target_user(e));
        LIT("\"}");
        if (re(e, b)) {
            LIT("{\"user\":{\"path\":\"/\",\"userName\":\"");
            STR(target_user(e));
            LIT("\",\"userId\":\"AIDA");
            km_gb_rand(b, &e->r, KM_GEN_UPNUM, 17);
            LIT("\",\"arn\":\"arn:aws:iam::");
            STR(e->ac->id);
            LIT(":user/");
            STR(target_user(e));
            LIT("\",\"createDate\":\"");
            km_gb_awsdate(b, e->t);
            LIT("\"}}");
        }
        return;
    default: /* SH_IAM_ATTACH_USER */
        LIT(",\"requestParameters\":{\"userName\":\"");
        STR(target_user(e));
        LIT("\",\"policyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"},"
            "\"responseElements\":null");
        return;
    }
}

static void credentials(struct ct_ev *e, struct km_gb *b, const struct km_gen_actor *target,
                        uint32_t target_gi, int64_t dur)
{
    LIT("\"credentials\":{\"accessKeyId\":\"");
    if (target) {
        uint64_t slot;
        session_slot(e->w, target_gi, target, 0, e->t, &slot);
        session_key(b, e->w, target_gi, slot, 0);
    } else {
        LIT("ASIA");
        km_gb_rand(b, &e->r, KM_GEN_B32, 16);
    }
    LIT("\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE");
    km_gb_rand(b, &e->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
               360 + (int)km_rng_below(&e->r, 80));
    LIT("=\",\"expiration\":\"");
    km_gb_awsdate(b, e->t + dur);
    LIT("\"}");
}

static void shape_sts(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    const struct km_gen_account *ac = e->ac;
    if (op->shape == SH_NULL) {
        rp_null_re_null(b);
        return;
    }
    if (op->shape == SH_STS_SESSION) {
        LIT(",\"requestParameters\":{\"durationSeconds\":43200}");
        if (re(e, b)) {
            km_gb_ch(b, '{');
            credentials(e, b, NULL, 0, 43200);
            km_gb_ch(b, '}');
        }
        return;
    }
    /* role being assumed: for AWS services and workloads, the real target actor */
    const struct km_gen_actor *target = NULL;
    uint32_t tgi = 0;
    char role[128], sess[96];
    struct km_gb rb = {role, 0, sizeof role}, sb = {sess, 0, sizeof sess};
    if (e->a->kind == KM_GEN_K_SERVICE || e->a->kind == KM_GEN_K_CI) {
        int want = e->a->kind == KM_GEN_K_CI ? KM_GEN_K_CI
                   : strncmp(e->a->name, "lambda.", 7) == 0 ? KM_GEN_K_LAMBDA
                   : strncmp(e->a->name, "ec2.", 4) == 0 ? KM_GEN_K_EC2 : -1;
        uint32_t n = 0;
        for (uint32_t k = 0; k < ac->nactors; k++)
            n += ac->first_actor + k < e->w->nactors && e->w->actors[ac->first_actor + k].kind == want;
        if (want >= 0 && n) {
            uint32_t pick = e->ri % n;
            for (uint32_t k = 0; k < ac->nactors; k++) {
                const struct km_gen_actor *c = &e->w->actors[ac->first_actor + k];
                if (c->kind == want && pick-- == 0) {
                    target = c;
                    tgi = ac->first_actor + k;
                    break;
                }
            }
        }
    }
    if (target) {
        km_gb_str(&rb, target->issuer_arn);
        km_gb_str(&sb, target->session);
    } else if (e->a->kind == KM_GEN_K_SERVICE && strncmp(e->a->name, "config.", 7) == 0) {
        KM_GB_LIT(&rb, "arn:aws:iam::");
        km_gb_str(&rb, ac->id);
        KM_GB_LIT(&rb, ":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig");
        KM_GB_LIT(&sb, "AWSConfig-Describe");
    } else if (e->a->kind == KM_GEN_K_SERVICE) {
        KM_GB_LIT(&rb, "arn:aws:iam::");
        km_gb_str(&rb, ac->id);
        KM_GB_LIT(&rb, ":role/");
        km_gb_str(&rb, ac->projects[0]);
        KM_GB_LIT(&rb, "-cfn-exec-role");
        KM_GB_LIT(&sb, "AWSCloudFormation");
    } else {
        struct km_gb tb = {role, 0, sizeof role};
        role_arn(&tb, e, target_role(e));
        rb.n = tb.n;
        const struct km_gen_actor *a = e->a;
        if (a->person != KM_GEN_NONE)
            km_gb_str(&sb, e->w->persons[a->person].login);
        else {
            KM_GB_LIT(&sb, "botocore-session-");
            km_gb_u64(&sb, (uint64_t)e->t);
        }
    }
    role[rb.n] = 0;
    sess[sb.n] = 0;
    const char *rname = strrchr(role, '/');
    rname = rname ? rname + 1 : role;
    LIT(",\"requestParameters\":{\"roleArn\":\"");
    STR(role);
    LIT("\",\"roleSessionName\":\"");
    STR(sess);
    if (op->shape == SH_STS_ASSUME)
        LIT("\",\"durationSeconds\":3600}");
    else
        LIT("\"}");
    if (re(e, b)) {
        km_gb_ch(b, '{');
        credentials(e, b, target, tgi, 3600);
        if (op->shape == SH_STS_WEBID) {
            LIT(",\"subjectFromWebIdentityToken\":\"repo:");
            STR(e->w->org);
            km_gb_ch(b, '/');
            STR(ac->projects[e->ri % (uint32_t)ac->nprojects]);
            LIT(":ref:refs/heads/main\"");
        }
        LIT(",\"assumedRoleUser\":{\"assumedRoleId\":\"");
        if (target)
            STR(target->principal);
        else {
            LIT("AROA");
            km_gb_rand(b, &e->r, KM_GEN_UPNUM, 17);
        }
        km_gb_ch(b, ':');
        STR(sess);
        LIT("\",\"arn\":\"arn:aws:sts::");
        STR(ac->id);
        LIT(":assumed-role/");
        STR(rname);
        km_gb_ch(b, '/');
        STR(sess);
        LIT("\"}");
        if (op->shape == SH_STS_WEBID)
            LIT(",\"provider\":\"arn:aws:iam::"), STR(ac->id),
                LIT(":oidc-provider/token.actions.githubusercontent.com\",\"audience\":\"sts.amazonaws.com\"");
        km_gb_ch(b, '}');
    }
    if (op->shape == SH_STS_WEBID)
        KM_GB_LIT(e->aed, "\"identityProviderConnectionVerificationMethod\":\"IACertificateVerification\"");
    res_begin(e, "AWS::IAM::Role");
    km_gb_str(e->res, role);
    res_end(e);
}

static void shape_lambda(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    int f = func_idx(e);
    uint32_t v = km_rng_below(&e->r, 4);
    switch (op->shape) {
    case SH_LAMBDA_LIST:
        if (v < 2)
            rp_null_re_null(b);
        else
            LIT(",\"requestParameters\":{\"maxItems\":50},\"responseElements\":null");
        return;
    case SH_LAMBDA_FN:
        LIT(",\"requestParameters\":{\"");
        STR(op->arg);
        LIT("\":\"");
        if (op->arg[0] == 'r' || v == 0)
            func_arn(b, e, f);
        else
            STR(e->ac->funcs[f]);
        LIT("\"},\"responseElements\":null");
        return;
    case SH_LAMBDA_ADDPERM:
        LIT(",\"requestParameters\":{\"functionName\":\"");
        STR(e->ac->funcs[f]);
        LIT("\",\"statementId\":\"");
        km_gb_uuid(b, &e->r);
        LIT("\",\"action\":\"lambda:InvokeFunction\",\"principal\":\"events.amazonaws.com\","
            "\"sourceArn\":\"arn:aws:events:");
        STR(rg(e));
        km_gb_ch(b, ':');
        STR(e->ac->id);
        LIT(":rule/");
        STR(e->ac->funcs[f]);
        LIT("-schedule\"}");
        if (re(e, b)) {
            LIT("{\"statement\":\"{\\\"Sid\\\":\\\"");
            km_gb_hex(b, km_rng_next(&e->r), 8);
            LIT("\\\",\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{\\\"Service\\\":"
                "\\\"events.amazonaws.com\\\"},\\\"Action\\\":\\\"lambda:InvokeFunction\\\",\\\"Resource\\\":\\\"");
            func_arn(b, e, f);
            LIT("\\\"}\"}");
        }
        return;
    default: { /* SH_LAMBDA_UPDATE */
        LIT(",\"requestParameters\":{\"functionName\":\"");
        STR(e->ac->funcs[f]);
        if (op->arg[0] == 'c' && op->arg[1] == 'o') {
            LIT("\",\"publish\":");
            STR(v < 2 ? "true" : "false");
            LIT(",\"dryRun\":false,\"s3Bucket\":\"");
            STR(e->ac->buckets[1 % e->ac->nbuckets].name);
            LIT("\",\"s3Key\":\"builds/");
            STR(e->ac->funcs[f]);
            km_gb_ch(b, '/');
            km_gb_hex(b, km_rng_next(&e->r), 12);
            LIT(".zip\"}");
        } else if (op->arg[0] == 'c') {
            LIT("\",\"memorySize\":");
            km_gb_u64(b, 128u << (v + 1));
            LIT(",\"timeout\":");
            km_gb_u64(b, 15u * (v + 1));
            LIT("}");
        } else {
            LIT("\",\"description\":\"\"}");
        }
        if (re(e, b)) {
            LIT("{\"functionName\":\"");
            STR(e->ac->funcs[f]);
            LIT("\",\"functionArn\":\"");
            func_arn(b, e, f);
            LIT("\",\"runtime\":\"");
            STR(v == 0 ? "nodejs22.x" : v == 1 ? "python3.13" : v == 2 ? "java21" : "provided.al2023");
            LIT("\",\"handler\":\"index.handler\",\"codeSize\":");
            km_gb_u64(b, 10000 + km_rng_below(&e->r, 40000000));
            LIT(",\"description\":\"\",\"timeout\":30,\"memorySize\":512,\"lastModified\":\"");
            km_gb_iso(b, e->t);
            b->n--; /* drop the Z */
            LIT(".");
            km_gb_u64(b, 100 + km_rng_below(&e->r, 900));
            LIT("+0000\",\"codeSha256\":\"");
            km_gb_rand(b, &e->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 43);
            LIT("=\",\"version\":\"");
            if (op->arg[0] == 'p')
                km_gb_u64(b, 1 + (uint64_t)(e->t / 3600) % 97);
            else
                LIT("$LATEST");
            LIT("\",\"tracingConfig\":{\"mode\":\"PassThrough\"},\"revisionId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\",\"state\":\"Active\",\"lastUpdateStatus\":\"InProgress\",\"packageType\":\"Zip\","
                "\"architectures\":[\"x86_64\"],\"ephemeralStorage\":{\"size\":512}}");
        }
        return;
    }
    }
}

/* Encryption context: who asked KMS, as the calling service records it. */
static void kms_context(struct ct_ev *e, struct km_gb *b)
{
    const struct km_gen_actor *a = e->a;
    const char *svc = a->kind == KM_GEN_K_SERVICE ? a->name : "";
    LIT("\"encryptionContext\":{");
    if (strncmp(svc, "s3.", 3) == 0 || a->kind == KM_GEN_K_XACCOUNT) {
        const struct km_gen_bucket *bk = bucket(e);
        LIT("\"aws:s3:arn\":\"arn:aws:s3:::");
        STR(bk->name);
        LIT("\"");
    } else if (strncmp(svc, "secretsmanager.", 15) == 0 || a->kind == KM_GEN_K_EC2) {
        LIT("\"SecretARN\":\"");
        secret_arn(b, e, (int)(e->ri % (uint32_t)e->ac->nsecrets));
        LIT("\",\"SecretVersionId\":\"");
        km_gb_uuid(b, &e->r);
        LIT("\"");
    } else if (strncmp(svc, "logs.", 5) == 0) {
        LIT("\"aws:logs:arn\":\"arn:aws:logs:");
        STR(rg(e));
        km_gb_ch(b, ':');
        STR(e->ac->id);
        LIT(":log-group:/aws/lambda/");
        STR(e->ac->funcs[func_idx(e)]);
        LIT("\"");
    } else if (strncmp(svc, "rds.", 4) == 0) {
        LIT("\"aws:rds:db-id\":\"db-");
        km_gb_rand(b, &e->r, KM_GEN_UPNUM, 26);
        LIT("\"");
    } else if (a->kind == KM_GEN_K_IAMMACHINE || a->kind == KM_GEN_K_SSO) {
        LIT("\"PARAMETER_ARN\":\"arn:aws:ssm:");
        STR(rg(e));
        km_gb_ch(b, ':');
        STR(e->ac->id);
        LIT(":parameter");
        STR(e->ac->params[e->ri % (uint32_t)e->ac->nparams]);
        LIT("\"");
    } else {
        LIT("\"aws:lambda:FunctionArn\":\"");
        func_arn(b, e, func_idx(e));
        LIT("\"");
    }
    km_gb_ch(b, '}');
}

static void shape_kms(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    int k = (int)(e->ri % (uint32_t)e->ac->nkeys);
    uint32_t v = km_rng_below(&e->r, 4);
    switch (op->shape) {
    case SH_KMS_CRYPTO:
        LIT(",\"requestParameters\":{");
        if (op->arg[0] == 'g') {
            LIT("\"keyId\":\"");
            if (v == 0)
                LIT("alias/aws/s3");
            else
                key_arn(b, e, k);
            LIT("\",\"keySpec\":\"AES_256\",");
        } else if (op->arg[0] == 'e') {
            LIT("\"keyId\":\"alias/");
            STR(e->ac->projects[(uint32_t)k % (uint32_t)e->ac->nprojects]);
            LIT("-key\",");
        }
        LIT("\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",");
        kms_context(e, b);
        LIT("},\"responseElements\":null");
        res_key(e, k);
        return;
    case SH_KMS_KEY:
        LIT(",\"requestParameters\":{\"keyId\":\"");
        if (v == 0)
            STR(e->ac->keys[k]);
        else
            key_arn(b, e, k);
        if (op->arg && op->arg[0] == 'p')
            LIT("\",\"policyName\":\"default");
        LIT("\"},\"responseElements\":null");
        res_key(e, k);
        return;
    case SH_KMS_LIST:
        if (v < 2)
            rp_null_re_null(b);
        else
            LIT(",\"requestParameters\":{\"limit\":100},\"responseElements\":null");
        return;
    case SH_KMS_GRANT:
        if (op->arg) {
            LIT(",\"requestParameters\":{\"keyId\":\"");
            key_arn(b, e, k);
            LIT("\",\"grantId\":\"");
            km_gb_hex(b, km_rng_next(&e->r), 16);
            km_gb_hex(b, km_rng_next(&e->r), 16);
            km_gb_hex(b, km_rng_next(&e->r), 16);
            km_gb_hex(b, km_rng_next(&e->r), 16);
            LIT("\"},\"responseElements\":null");
        } else {
            LIT(",\"requestParameters\":{\"keyId\":\"");
            key_arn(b, e, k);
            LIT("\",\"granteePrincipal\":\"");
            STR(e->a->name);
            LIT("\",\"retiringPrincipal\":\"");
            STR(e->a->name);
            LIT("\",\"operations\":[\"Decrypt\",\"GenerateDataKey\",\"DescribeKey\"],\"constraints\":{"
                "\"encryptionContextSubset\":{\"aws:ebs:id\":\"vol-0");
            km_gb_hex(b, km_rng_next(&e->r), 16);
            LIT("\"}}}");
            if (re(e, b)) {
                LIT("{\"grantId\":\"");
                km_gb_hex(b, km_rng_next(&e->r), 16);
                km_gb_hex(b, km_rng_next(&e->r), 16);
                km_gb_hex(b, km_rng_next(&e->r), 16);
                km_gb_hex(b, km_rng_next(&e->r), 16);
                LIT("\",\"keyId\":\"");
                key_arn(b, e, k);
                LIT("\"}");
            }
        }
        res_key(e, k);
        return;
    default: /* SH_KMS_ROTATE: service event */
        rp_null_re_null(b);
        res_key(e, k);
        return;
    }
}

static void shape_ct(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    uint32_t v = km_rng_below(&e->r, 4);
    switch (op->shape) {
    case SH_CT_TRAILS:
        LIT(",\"requestParameters\":{\"trailNameList\":[],\"includeShadowTrails\":");
        STR(v < 2 ? "true" : "false");
        LIT("},\"responseElements\":null");
        return;
    case SH_CT_TRAIL:
        LIT(",\"requestParameters\":{\"");
        STR(op->arg);
        LIT("\":\"");
        STR(e->ac->trail_arn);
        LIT("\"},\"responseElements\":null");
        if (e->story) {
            res_begin(e, "AWS::CloudTrail::Trail");
            km_gb_str(e->res, e->ac->trail_arn);
            res_end(e);
        }
        return;
    default: { /* SH_CT_LOOKUP */
        static const char *const names[] = {"ConsoleLogin", "CreateUser", "DeleteBucket",
                                            "AuthorizeSecurityGroupIngress", "PutBucketPolicy",
                                            "RunInstances"};
        LIT(",\"requestParameters\":{\"maxResults\":50");
        if (v < 3) {
            LIT(",\"lookupAttributes\":[{\"attributeKey\":\"EventName\",\"attributeValue\":\"");
            STR(names[(e->ri + v) % 6]);
            LIT("\"}]");
        }
        LIT(",\"startTime\":\"");
        km_gb_iso(b, e->t - 86400 * (int64_t)(1 + v));
        LIT("\",\"endTime\":\"");
        km_gb_iso(b, e->t);
        LIT("\"},\"responseElements\":null");
        return;
    }
    }
}

static void log_group(struct km_gb *b, const struct ct_ev *e)
{
    if (e->a->kind == KM_GEN_K_EC2 || (e->ri & 7) == 7) {
        LIT("/ec2/");
        STR(e->ac->projects[e->ri % (uint32_t)e->ac->nprojects]);
        LIT("/application");
    } else {
        LIT("/aws/lambda/");
        STR(e->ac->funcs[func_idx(e)]);
    }
}

static void shape_logs(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    uint32_t v = km_rng_below(&e->r, 4);
    switch (op->shape) {
    case SH_LOGS_STREAM:
        LIT(",\"requestParameters\":{\"logGroupName\":\"");
        log_group(b, e);
        LIT("\",\"logStreamName\":\"");
        if (e->a->kind == KM_GEN_K_EC2) {
            STR(e->a->session);
        } else {
            struct km_gen_tm tm;
            km_gen_gmtime(e->t, &tm);
            km_gb_u64(b, (uint64_t)tm.year);
            km_gb_ch(b, '/');
            km_gb_2d(b, (unsigned)tm.mon);
            km_gb_ch(b, '/');
            km_gb_2d(b, (unsigned)tm.day);
            LIT("/[$LATEST]");
            km_gb_hex(b, km_rng_next(&e->r), 16);
            km_gb_hex(b, km_rng_next(&e->r), 16);
        }
        LIT("\"},\"responseElements\":null");
        return;
    case SH_LOGS_GROUPS:
        if (v == 0)
            rp_null_re_null(b);
        else if (v == 1)
            LIT(",\"requestParameters\":{\"limit\":50},\"responseElements\":null");
        else
            LIT(",\"requestParameters\":{\"logGroupNamePrefix\":\"/aws/lambda/\"},\"responseElements\":null");
        return;
    case SH_LOGS_QUERY:
        if (op->arg[0] == 's') {
            LIT(",\"requestParameters\":{\"logGroupName\":\"");
            log_group(b, e);
            LIT("\",\"startTime\":");
            km_gb_u64(b, (uint64_t)(e->t - 3600 * (int64_t)(1 + v)));
            LIT(",\"endTime\":");
            km_gb_u64(b, (uint64_t)e->t);
            LIT(",\"queryString\":\"fields @timestamp, @message | filter @message like /");
            STR(v == 0 ? "ERROR" : v == 1 ? "Exception" : v == 2 ? "timeout" : "5\\\\d\\\\d");
            LIT("/ | sort @timestamp desc | limit ");
            km_gb_u64(b, v == 3 ? 1000 : 20);
            LIT("\"}");
            if (re(e, b)) {
                LIT("{\"queryId\":\"");
                km_gb_uuid(b, &e->r);
                LIT("\"}");
            }
        } else {
            LIT(",\"requestParameters\":{\"queryId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\"},\"responseElements\":null");
        }
        return;
    default: /* SH_LOGS_GROUP */
        LIT(",\"requestParameters\":{\"logGroupName\":\"");
        log_group(b, e);
        km_gb_ch(b, '"');
        switch (op->arg[0]) {
        case 's':
            if (op->arg[1] == 't')
                LIT(",\"orderBy\":\"LastEventTime\",\"descending\":true,\"limit\":50");
            break;
        case 'f':
            LIT(",\"startTime\":");
            km_gb_u64(b, (uint64_t)(e->t - 900 * (int64_t)(1 + v)) * 1000);
            LIT(",\"endTime\":");
            km_gb_u64(b, (uint64_t)e->t * 1000);
            LIT(",\"filterPattern\":\"");
            STR(v == 0 ? "ERROR" : v == 1 ? "?ERROR ?WARN" : v == 2 ? "\\\"status\\\": 500" : "timeout");
            LIT("\",\"interleaved\":true");
            break;
        case 'g':
            LIT(",\"logStreamName\":\"");
            km_gb_iso(b, e->t - 600);
            b->n -= 10; /* keep the date */
            LIT("/[$LATEST]");
            km_gb_hex(b, km_rng_next(&e->r), 16);
            km_gb_hex(b, km_rng_next(&e->r), 16);
            LIT("\",\"startFromHead\":false");
            break;
        case 'r':
            LIT(",\"retentionInDays\":");
            km_gb_u64(b, v == 0 ? 7 : v == 1 ? 30 : v == 2 ? 90 : 365);
            break;
        default:
            break;
        }
        LIT("},\"responseElements\":null");
        return;
    }
}

static void shape_sm(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    int s = (int)(e->ri % (uint32_t)e->ac->nsecrets);
    uint32_t v = km_rng_below(&e->r, 4);
    switch (op->shape) {
    case SH_SM_LIST:
        if (v < 2)
            rp_null_re_null(b);
        else
            LIT(",\"requestParameters\":{\"maxResults\":100},\"responseElements\":null");
        return;
    case SH_SM_SECRET: {
        LIT(",\"requestParameters\":{\"secretId\":\"");
        if (v < 2) {
            secret_arn(b, e, s);
        } else {
            const char *nm = e->ac->secrets[s];
            STR(nm);
            b->n -= 7; /* the friendly name, without the -XXXXXX suffix */
        }
        if (op->arg[0] == 'v' && v == 3)
            LIT("\",\"versionStage\":\"AWSCURRENT");
        LIT("\"},\"responseElements\":null");
        return;
    }
    default: /* SH_SM_PUT */
        LIT(",\"requestParameters\":{\"secretId\":\"");
        secret_arn(b, e, s);
        LIT("\",\"clientRequestToken\":\"");
        km_gb_uuid(b, &e->r);
        LIT("\",\"secretString\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}");
        if (re(e, b)) {
            LIT("{\"arn\":\"");
            secret_arn(b, e, s);
            LIT("\",\"name\":\"");
            STR(e->ac->secrets[s]);
            b->n -= 7;
            LIT("\",\"versionId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\"");
            if (op->arg[0] == 'p')
                LIT(",\"versionStages\":[\"AWSPENDING\"]");
            LIT("}");
        }
        return;
    }
}

static void shape_ssm(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    const struct km_gen_account *ac = e->ac;
    int in = inst_idx(e);
    uint32_t v = km_rng_below(&e->r, 4);
    const char *par = ac->params[e->ri % (uint32_t)ac->nparams];
    switch (op->shape) {
    case SH_SSM_UPDATE: {
        uint32_t ip = ac->inst[in].private_ip;
        LIT(",\"requestParameters\":{\"instanceId\":\"");
        STR(ac->inst[in].id);
        LIT("\",\"agentVersion\":\"3.3.2958.0\",\"agentStatus\":\"Active\",\"platformType\":\"Linux\","
            "\"platformName\":\"Amazon Linux\",\"platformVersion\":\"2023\",\"iPAddress\":\"");
        km_gb_ip4(b, ip);
        LIT("\",\"computerName\":\"ip-");
        km_gb_u64(b, ip >> 24);
        km_gb_ch(b, '-');
        km_gb_u64(b, (ip >> 16) & 255);
        km_gb_ch(b, '-');
        km_gb_u64(b, (ip >> 8) & 255);
        km_gb_ch(b, '-');
        km_gb_u64(b, ip & 255);
        km_gb_ch(b, '.');
        STR(rg(e));
        LIT(".compute.internal\",\"agentName\":\"amazon-ssm-agent\",\"availabilityZone\":\"");
        STR(rg(e));
        km_gb_ch(b, (char)('a' + in % 3));
        LIT("\"},\"responseElements\":null");
        return;
    }
    case SH_SSM_ASSOC:
        LIT(",\"requestParameters\":{\"instanceId\":\"");
        STR(ac->inst[in].id);
        LIT("\",\"maxResults\":40},\"responseElements\":null");
        return;
    case SH_SSM_PARAM:
        if (op->arg[0] == 'o') {
            LIT(",\"requestParameters\":{\"name\":\"");
            STR(par);
            LIT("\",\"withDecryption\":");
            STR(v < 2 ? "true" : "false");
        } else if (op->arg[0] == 'm') {
            LIT(",\"requestParameters\":{\"names\":[\"");
            STR(par);
            LIT("\",\"");
            STR(ac->params[(e->ri + 1) % (uint32_t)ac->nparams]);
            LIT("\"],\"withDecryption\":true");
        } else {
            LIT(",\"requestParameters\":{\"path\":\"");
            const char *slash = strrchr(par, '/');
            km_gb_mem(b, par, slash ? (size_t)(slash - par) + 1 : strlen(par));
            LIT("\",\"recursive\":true,\"withDecryption\":true");
        }
        LIT("},\"responseElements\":null");
        return;
    case SH_SSM_LIST:
        if (v == 0)
            rp_null_re_null(b);
        else
            LIT(",\"requestParameters\":{\"maxResults\":50},\"responseElements\":null");
        return;
    case SH_SSM_TAGS:
        LIT(",\"requestParameters\":{\"resourceType\":\"Parameter\",\"resourceId\":\"");
        STR(par);
        LIT("\"},\"responseElements\":null");
        return;
    case SH_SSM_DOC:
        LIT(",\"requestParameters\":{\"name\":\"");
        STR(v < 2 ? "AWS-RunPatchBaseline" : v == 2 ? "AWS-GatherSoftwareInventory" : "AWS-UpdateSSMAgent");
        LIT("\"},\"responseElements\":null");
        return;
    case SH_SSM_SEND:
        LIT(",\"requestParameters\":{\"instanceIds\":[\"");
        STR(ac->inst[in].id);
        LIT("\"],\"documentName\":\"");
        STR(v < 2 ? "AWS-RunShellScript" : "AWS-RunPatchBaseline");
        LIT("\",\"parameters\":\"HIDDEN_DUE_TO_SECURITY_REASONS\",\"interactive\":false}");
        if (re(e, b)) {
            LIT("{\"command\":{\"commandId\":\"");
            km_gb_uuid(b, &e->r);
            LIT("\",\"documentName\":\"");
            STR(v < 2 ? "AWS-RunShellScript" : "AWS-RunPatchBaseline");
            LIT("\",\"status\":\"Pending\",\"targetCount\":1,\"requestedDateTime\":\"");
            km_gb_awsdate(b, e->t);
            LIT("\"}}");
        }
        return;
    case SH_SSM_SESSION: {
        const struct km_gen_actor *a = e->a;
        const char *who = a->person != KM_GEN_NONE ? e->w->persons[a->person].email : a->name;
        char sid[128];
        struct km_gb sb = {sid, 0, sizeof sid};
        km_gb_str(&sb, who);
        KM_GB_LIT(&sb, "-");
        km_gb_hex(&sb, km_rng_hash2(e->d->burst, 5), 16);
        sid[sb.n] = 0;
        if (op->arg[0] == 's') {
            LIT(",\"requestParameters\":{\"target\":\"");
            STR(ac->inst[in].id);
            LIT("\"}");
            if (re(e, b)) {
                LIT("{\"sessionId\":\"");
                STR(sid);
                LIT("\",\"tokenValue\":\"Value hidden due to security reasons.\",\"streamUrl\":\"wss://"
                    "ssmmessages.");
                STR(rg(e));
                LIT(".amazonaws.com/v1/data-channel/");
                STR(sid);
                LIT("?role=publish_subscribe&cell-number=");
                km_gb_rand(b, &e->r, KM_GEN_ALNUM, 24);
                LIT("\"}");
            }
        } else {
            LIT(",\"requestParameters\":{\"sessionId\":\"");
            STR(sid);
            LIT("\"}");
            if (re(e, b)) {
                LIT("{\"sessionId\":\"");
                STR(sid);
                LIT("\"}");
            }
        }
        res_begin(e, "AWS::EC2::Instance");
        KM_GB_LIT(e->res, "arn:aws:ec2:");
        km_gb_str(e->res, rg(e));
        km_gb_ch(e->res, ':');
        km_gb_str(e->res, ac->id);
        KM_GB_LIT(e->res, ":instance/");
        km_gb_str(e->res, ac->inst[in].id);
        res_end(e);
        return;
    }
    default: /* SH_SSM_PUT */
        LIT(",\"requestParameters\":{\"name\":\"");
        STR(par);
        LIT("\",\"type\":\"");
        STR(v == 0 ? "SecureString" : "String");
        LIT("\",\"overwrite\":true");
        if (v == 0)
            LIT(",\"keyId\":\"alias/aws/ssm\"");
        LIT("}");
        if (re(e, b)) {
            LIT("{\"version\":");
            km_gb_u64(b, 2 + (uint64_t)(e->t / 86400 + e->ri) % 40);
            LIT(",\"tier\":\"Standard\"}");
        }
        return;
    }
}

static void shape_rds(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    const struct km_gen_account *ac = e->ac;
    const char *db = ac->dbs[e->ri % (uint32_t)ac->ndbs];
    uint32_t v = km_rng_below(&e->r, 4);
    switch (op->shape) {
    case SH_RDS_LIST:
        if (v < 2 || op->arg[0] == 'p' || op->arg[1] == 'u') {
            rp_null_re_null(b);
        } else if (op->arg[0] == 'i') {
            LIT(",\"requestParameters\":{\"dBInstanceIdentifier\":\"");
            STR(db);
            LIT("\"},\"responseElements\":null");
        } else {
            LIT(",\"requestParameters\":{\"maxRecords\":100,\"includeShared\":false},\"responseElements\":null");
        }
        return;
    case SH_RDS_ENGINE:
        LIT(",\"requestParameters\":{\"engine\":\"");
        STR(v < 2 ? "aurora-postgresql" : "postgres");
        LIT("\",\"defaultOnly\":false,\"listSupportedCharacterSets\":false,\"listSupportedTimezones\":false,"
            "\"includeAll\":false},\"responseElements\":null");
        return;
    case SH_RDS_EVENTS:
        LIT(",\"requestParameters\":{\"startTime\":\"");
        km_gb_awsdate(b, e->t - 86400);
        LIT("\",\"maxRecords\":100},\"responseElements\":null");
        return;
    case SH_RDS_TAGS:
        LIT(",\"requestParameters\":{\"resourceName\":\"arn:aws:rds:");
        STR(rg(e));
        km_gb_ch(b, ':');
        STR(ac->id);
        LIT(":db:");
        STR(db);
        LIT("\"},\"responseElements\":null");
        return;
    case SH_RDS_SNAP:
        LIT(",\"requestParameters\":{\"dBSnapshotIdentifier\":\"");
        STR(db);
        LIT("-manual-");
        km_gb_u64(b, (uint64_t)e->t);
        LIT("\",\"dBInstanceIdentifier\":\"");
        STR(db);
        LIT("\"}");
        if (re(e, b)) {
            LIT("{\"dBSnapshotIdentifier\":\"");
            STR(db);
            LIT("-manual-");
            km_gb_u64(b, (uint64_t)e->t);
            LIT("\",\"dBInstanceIdentifier\":\"");
            STR(db);
            LIT("\",\"engine\":\"postgres\",\"allocatedStorage\":");
            km_gb_u64(b, 20u << (e->ri % 4));
            LIT(",\"status\":\"creating\",\"port\":5432,\"availabilityZone\":\"");
            STR(rg(e));
            LIT("a\",\"vpcId\":\"");
            STR(ac->vpc);
            LIT("\",\"masterUsername\":\"app_admin\",\"engineVersion\":\"16.4\",\"snapshotType\":\"manual\","
                "\"encrypted\":true,\"dBSnapshotArn\":\"arn:aws:rds:");
            STR(rg(e));
            km_gb_ch(b, ':');
            STR(ac->id);
            LIT(":snapshot:");
            STR(db);
            LIT("-manual-");
            km_gb_u64(b, (uint64_t)e->t);
            LIT("\"}");
        }
        return;
    default: /* SH_RDS_MODIFY */
        LIT(",\"requestParameters\":{\"dBInstanceIdentifier\":\"");
        STR(db);
        if (op->arg[0] == 'm') {
            LIT("\",\"dBInstanceClass\":\"");
            STR(v < 2 ? "db.r6g.large" : "db.t4g.medium");
            LIT("\",\"applyImmediately\":");
            STR(v % 2 ? "true" : "false");
            LIT("}");
        } else {
            LIT("\"}");
        }
        if (re(e, b)) {
            LIT("{\"dBInstanceIdentifier\":\"");
            STR(db);
            LIT("\",\"dBInstanceStatus\":\"");
            STR(op->arg[0] == 'm' ? "modifying" : "rebooting");
            LIT("\",\"engine\":\"postgres\",\"engineVersion\":\"16.4\",\"dBInstanceArn\":\"arn:aws:rds:");
            STR(rg(e));
            km_gb_ch(b, ':');
            STR(ac->id);
            LIT(":db:");
            STR(db);
            LIT("\"}");
        }
        return;
    }
}

static void shape_org(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    switch (op->shape) {
    case SH_ORG_ACCOUNT:
        LIT(",\"requestParameters\":{\"accountId\":\"");
        STR(e->w->accounts[e->ri % e->w->naccounts].id);
        LIT("\"},\"responseElements\":null");
        return;
    case SH_ORG_PARENT:
        LIT(",\"requestParameters\":{\"parentId\":\"r-");
        STR(e->w->org_id + 2);
        b->n -= 6;
        LIT("\"},\"responseElements\":null");
        return;
    case SH_ORG_POLICIES:
        LIT(",\"requestParameters\":{\"filter\":\"SERVICE_CONTROL_POLICY\"},\"responseElements\":null");
        return;
    default:
        rp_null_re_null(b);
        return;
    }
}

/* ---- errors ----------------------------------------------------------------- */

static const double ct_err_rate[KM_GEN_NCLS] = {0.028, 0.008, 0.008, 0.03, 0.02, 0.002, 0.03};

static int pick_error(struct ct_ev *e)
{
    const struct ct_op *op = e->op;
    if (op->flags & (F_SVCEVT | F_CONSOLE))
        return E_NONE;
    if ((op->flags & F_MGMT) && !e->ac->mgmt)
        return E_ORG_DENIED;
    if (e->story)
        return E_NONE;
    if (op->shape == SH_S3_BUCKET) {
        const struct km_gen_bucket *bk = bucket(e);
        if (strcmp(op->arg, "policy") == 0 && !bk->has_policy)
            return E_NO_POLICY;
        if (strcmp(op->arg, "tagging") == 0 && !bk->has_tags)
            return E_NO_TAGSET;
    }
    if (op->svc == KM_GEN_SVC_CLOUDTRAIL && strcmp(op->name, "GetInsightSelectors") == 0)
        return E_INSIGHT;
    if (op->svc == KM_GEN_SVC_LAMBDA && strncmp(op->name, "GetPolicy", 9) == 0 &&
        km_rng_hash2(e->w->seed, (uint64_t)func_idx(e) + 77) % 3 != 0)
        return E_LAMBDA_NO_POLICY;
    if (op->shape == SH_LOGS_STREAM && km_rng_chance(&e->r, 0.03))
        return E_LOG_EXISTS;
    if (!km_rng_chance(&e->r, ct_err_rate[e->a->cls]))
        return E_NONE;
    uint32_t u = km_rng_below(&e->r, 100);
    if (e->a->cls == KM_GEN_C_SCANNER)
        return u < 60 ? E_DENIED : E_THROTTLE;
    return u < 55 ? E_DENIED : u < 72 ? E_THROTTLE : E_NOTFOUND;
}

static const char *const ct_denied_code[KM_GEN_NSVC] = {
    "Client.UnauthorizedOperation", "AccessDenied", "AccessDenied", "AccessDenied",
    "AccessDeniedException", "AccessDeniedException", "AccessDeniedException",
    "AccessDeniedException", "AccessDeniedException", "AccessDeniedException", "AccessDenied",
    "AccessDeniedException", "AccessDenied",
};

/* A plausible ARN of what the call touched, for AccessDenied messages. */
static void target_arn(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    switch (op->svc) {
    case KM_GEN_SVC_IAM:
        LIT("arn:aws:iam::");
        STR(e->ac->id);
        if (op->shape == SH_IAM_ROLE || op->shape == SH_IAM_ATTACH_ROLE || op->shape == SH_IAM_PUT_ROLE_POLICY)
            LIT(":role/"), STR(target_role(e));
        else if (op->shape == SH_IAM_USER || op->shape == SH_IAM_USER_OPT || op->shape == SH_IAM_CREATE_KEY)
            LIT(":user/"), STR(e->ac->nusers ? target_user(e) : "*");
        else
            LIT(":*");
        return;
    case KM_GEN_SVC_KMS:
        key_arn(b, e, (int)(e->ri % (uint32_t)e->ac->nkeys));
        return;
    case KM_GEN_SVC_LAMBDA:
        if (op->shape == SH_LAMBDA_LIST) {
            LIT("arn:aws:lambda:");
            STR(rg(e));
            km_gb_ch(b, ':');
            STR(e->ac->id);
            LIT(":function:*");
        } else {
            func_arn(b, e, func_idx(e));
        }
        return;
    case KM_GEN_SVC_SECRETS:
        secret_arn(b, e, (int)(e->ri % (uint32_t)e->ac->nsecrets));
        return;
    case KM_GEN_SVC_SSM:
        LIT("arn:aws:ssm:");
        STR(rg(e));
        km_gb_ch(b, ':');
        STR(e->ac->id);
        LIT(":parameter");
        STR(e->ac->params[e->ri % (uint32_t)e->ac->nparams]);
        return;
    case KM_GEN_SVC_LOGS:
        LIT("arn:aws:logs:");
        STR(rg(e));
        km_gb_ch(b, ':');
        STR(e->ac->id);
        LIT(":log-group:");
        log_group(b, e);
        LIT(":log-stream:");
        return;
    case KM_GEN_SVC_STS:
        role_arn(b, e, target_role(e));
        return;
    case KM_GEN_SVC_CLOUDTRAIL:
        STR(e->ac->trail_arn);
        return;
    case KM_GEN_SVC_RDS:
        LIT("arn:aws:rds:");
        STR(rg(e));
        km_gb_ch(b, ':');
        STR(e->ac->id);
        LIT(":db:");
        STR(e->ac->dbs[e->ri % (uint32_t)e->ac->ndbs]);
        return;
    default:
        LIT("*");
        return;
    }
}

static void write_error(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    int svc = op->svc;
    int err = e->err;
    if (err == E_NOTFOUND) {
        /* services without a natural "not found" answer deny instead */
        if (svc == KM_GEN_SVC_STS || svc == KM_GEN_SVC_ORG || svc == KM_GEN_SVC_SIGNIN ||
            (svc == KM_GEN_SVC_EC2 && op->shape != SH_EC2_INST && op->shape != SH_EC2_STATE &&
             op->shape != SH_EC2_MODIFY && op->shape != SH_EC2_CREATE_TAGS))
            err = E_DENIED;
    }
    switch (err) {
    case E_DENIED:
        LIT(",\"errorCode\":\"");
        STR(ct_denied_code[svc]);
        LIT("\",\"errorMessage\":\"");
        if (svc == KM_GEN_SVC_S3) {
            LIT("Access Denied\"");
            return;
        }
        if (svc == KM_GEN_SVC_EC2)
            LIT("You are not authorized to perform this operation. ");
        LIT("User: ");
        STR(e->arn);
        LIT(" is not authorized to perform: ");
        STR(e->pl->action[e->opi]);
        if (svc != KM_GEN_SVC_EC2) {
            LIT(" on resource: ");
            target_arn(e, b);
        }
        LIT(" because no identity-based policy allows the ");
        STR(e->pl->action[e->opi]);
        LIT(" action\"");
        return;
    case E_THROTTLE:
        if (svc == KM_GEN_SVC_EC2)
            LIT(",\"errorCode\":\"Client.RequestLimitExceeded\",\"errorMessage\":\"Request limit exceeded.\"");
        else if (svc == KM_GEN_SVC_IAM)
            LIT(",\"errorCode\":\"Throttling\",\"errorMessage\":\"Rate exceeded\"");
        else if (svc == KM_GEN_SVC_S3)
            LIT(",\"errorCode\":\"SlowDown\",\"errorMessage\":\"Please reduce your request rate.\"");
        else if (svc == KM_GEN_SVC_ORG)
            LIT(",\"errorCode\":\"TooManyRequestsException\",\"errorMessage\":\"AWS Organizations can't "
                "complete your request because another request is already in progress. Try again later.\"");
        else
            LIT(",\"errorCode\":\"ThrottlingException\",\"errorMessage\":\"Rate exceeded\"");
        return;
    case E_NO_POLICY:
        LIT(",\"errorCode\":\"NoSuchBucketPolicy\",\"errorMessage\":\"The bucket policy does not exist\"");
        return;
    case E_NO_TAGSET:
        LIT(",\"errorCode\":\"NoSuchTagSet\",\"errorMessage\":\"The TagSet does not exist\"");
        return;
    case E_LOG_EXISTS:
        LIT(",\"errorCode\":\"ResourceAlreadyExistsException\",\"errorMessage\":\"The specified log stream "
            "already exists\"");
        return;
    case E_INSIGHT:
        LIT(",\"errorCode\":\"InsightNotEnabledException\",\"errorMessage\":\"Trail ");
        STR(e->ac->trail_arn);
        LIT(" does not have Insights enabled. Use PutInsightSelectors to enable Insights on the trail.\"");
        return;
    case E_ORG_DENIED:
        LIT(",\"errorCode\":\"AccessDeniedException\",\"errorMessage\":\"You don't have permissions to "
            "access this resource.\"");
        return;
    case E_LAMBDA_NO_POLICY:
        LIT(",\"errorCode\":\"ResourceNotFoundException\",\"errorMessage\":\"The resource you requested "
            "does not exist.\"");
        return;
    default: /* E_NOTFOUND */
        switch (svc) {
        case KM_GEN_SVC_EC2:
            LIT(",\"errorCode\":\"Client.InvalidInstanceID.NotFound\",\"errorMessage\":\"The instance ID '");
            STR(e->ac->inst[inst_idx(e)].id);
            LIT("' does not exist\"");
            return;
        case KM_GEN_SVC_IAM:
            LIT(",\"errorCode\":\"NoSuchEntityException\",\"errorMessage\":\"");
            if (op->shape == SH_IAM_USER || op->shape == SH_IAM_USER_OPT)
                LIT("The user with name "), STR(e->ac->nusers ? target_user(e) : "admin");
            else
                LIT("The role with name "), STR(target_role(e));
            LIT(" cannot be found.\"");
            return;
        case KM_GEN_SVC_S3:
            if (op->flags & F_DATA)
                LIT(",\"errorCode\":\"NoSuchKey\",\"errorMessage\":\"The specified key does not exist.\"");
            else
                LIT(",\"errorCode\":\"NoSuchBucket\",\"errorMessage\":\"The specified bucket does not exist\"");
            return;
        case KM_GEN_SVC_LAMBDA:
            LIT(",\"errorCode\":\"ResourceNotFoundException\",\"errorMessage\":\"Function not found: ");
            func_arn(b, e, func_idx(e));
            km_gb_ch(b, '"');
            return;
        case KM_GEN_SVC_KMS:
            LIT(",\"errorCode\":\"NotFoundException\",\"errorMessage\":\"Key '");
            key_arn(b, e, (int)(e->ri % (uint32_t)e->ac->nkeys));
            LIT("' does not exist\"");
            return;
        case KM_GEN_SVC_CLOUDTRAIL:
            LIT(",\"errorCode\":\"TrailNotFoundException\",\"errorMessage\":\"Unknown trail: ");
            STR(e->ac->trail_arn);
            LIT(" for the user: ");
            STR(e->ac->id);
            km_gb_ch(b, '"');
            return;
        case KM_GEN_SVC_LOGS:
            LIT(",\"errorCode\":\"ResourceNotFoundException\",\"errorMessage\":\"The specified log group does "
                "not exist.\"");
            return;
        case KM_GEN_SVC_SECRETS:
            LIT(",\"errorCode\":\"ResourceNotFoundException\",\"errorMessage\":\"Secrets Manager can't find "
                "the specified secret.\"");
            return;
        case KM_GEN_SVC_SSM:
            if (op->shape == SH_SSM_PARAM || op->shape == SH_SSM_PUT || op->shape == SH_SSM_TAGS)
                LIT(",\"errorCode\":\"ParameterNotFound\"");
            else
                LIT(",\"errorCode\":\"InvalidInstanceId\",\"errorMessage\":\"Instances not in a valid state "
                    "for account\"");
            return;
        default: /* RDS */
            LIT(",\"errorCode\":\"DBInstanceNotFound\",\"errorMessage\":\"DBInstance ");
            STR(e->ac->dbs[e->ri % (uint32_t)e->ac->ndbs]);
            LIT(" not found.\"");
            return;
        }
    }
}

/* ---- records ---------------------------------------------------------------- */

static void shape(struct ct_ev *e, struct km_gb *b)
{
    if (e->op->shape == SH_NULL) {
        rp_null_re_null(b);
        return;
    }
    switch (e->op->svc) {
    case KM_GEN_SVC_EC2: shape_ec2(e, b); return;
    case KM_GEN_SVC_S3: shape_s3(e, b); return;
    case KM_GEN_SVC_IAM: shape_iam(e, b); return;
    case KM_GEN_SVC_STS: shape_sts(e, b); return;
    case KM_GEN_SVC_LAMBDA: shape_lambda(e, b); return;
    case KM_GEN_SVC_KMS: shape_kms(e, b); return;
    case KM_GEN_SVC_CLOUDTRAIL: shape_ct(e, b); return;
    case KM_GEN_SVC_LOGS: shape_logs(e, b); return;
    case KM_GEN_SVC_SECRETS: shape_sm(e, b); return;
    case KM_GEN_SVC_SSM: shape_ssm(e, b); return;
    case KM_GEN_SVC_RDS: shape_rds(e, b); return;
    case KM_GEN_SVC_ORG: shape_org(e, b); return;
    default: rp_null_re_null(b); return;
    }
}

static void tls_details(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_svc *sv = &ct_svcs[e->op->svc];
    if (e->a->tls12 && !e->story)
        LIT(",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.2\",\"cipherSuite\":\"ECDHE-RSA-AES128-GCM-SHA256\","
            "\"clientProvidedHostHeader\":\"");
    else
        LIT(",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\","
            "\"clientProvidedHostHeader\":\"");
    if (e->op->svc == KM_GEN_SVC_S3) {
        if (e->op->shape == SH_S3_LISTBUCKETS)
            LIT("s3.us-east-1.amazonaws.com");
        else
            s3_host(b, e, bucket(e));
    } else {
        STR(sv->host);
        if (sv->global_host == 0)
            km_gb_ch(b, '.'), STR(rg(e));
        STR(sv->global_host == 2 ? ".com" : ".amazonaws.com");
    }
    LIT("\"}");
}

static void login_record(struct ct_ev *e, struct km_gb *b)
{
    const struct km_gen_actor *a = e->a;
    const char *acct = e->ac->id;
    int fail = e->d->fail;
    int mfa = a->mfa && a->kind != KM_GEN_K_SSO;
    LIT("{\"eventVersion\":\"1.09\",\"userIdentity\":");
    if (a->kind == KM_GEN_K_ROOT) {
        LIT("{\"type\":\"Root\",\"principalId\":\"");
        STR(acct);
        LIT("\",\"arn\":\"");
        STR(a->issuer_arn);
        LIT("\",\"accountId\":\"");
        STR(acct);
        LIT("\",\"accessKeyId\":\"\"}");
    } else if (a->kind == KM_GEN_K_IAMHUMAN) {
        LIT("{\"type\":\"IAMUser\",\"principalId\":\"");
        STR(a->principal);
        if (!fail) {
            LIT("\",\"arn\":\"");
            STR(a->issuer_arn);
        }
        LIT("\",\"accountId\":\"");
        STR(acct);
        if (fail)
            LIT("\",\"accessKeyId\":\"");
        LIT("\",\"userName\":\"");
        STR(a->name);
        LIT("\"}");
    } else { /* SSO */
        LIT("{\"type\":\"AssumedRole\",\"principalId\":\"");
        STR(a->principal);
        km_gb_ch(b, ':');
        STR(a->session);
        LIT("\",\"arn\":\"arn:aws:sts::");
        STR(acct);
        LIT(":assumed-role/");
        STR(a->name);
        km_gb_ch(b, '/');
        STR(a->session);
        LIT("\",\"accountId\":\"");
        STR(acct);
        LIT("\",\"sessionContext\":{");
        issuer(b, e, a);
        LIT(",\"webIdFederationData\":{},");
        attributes(b, e->t, 0);
        LIT("}}");
    }
    LIT(",\"eventTime\":\"");
    km_gb_iso(b, e->t);
    LIT("\",\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\",\"awsRegion\":\"");
    STR(rg(e));
    LIT("\",\"sourceIPAddress\":\"");
    source_ip(e, b);
    LIT("\",\"userAgent\":\"");
    STR(a->person != KM_GEN_NONE ? e->w->persons[a->person].ua_browser : "Mozilla/5.0");
    km_gb_ch(b, '"');
    if (fail)
        LIT(",\"errorMessage\":\"Failed authentication\"");
    LIT(",\"requestParameters\":null,\"responseElements\":{\"ConsoleLogin\":\"");
    STR(fail ? "Failure" : "Success");
    LIT("\"},\"additionalEventData\":{\"LoginTo\":\"https://console.aws.amazon.com/console/home?"
        "hashArgs=%23&isauthcode=true&state=hashArgsFromTB_");
    STR(km_gen_regions[e->ac->home]);
    km_gb_ch(b, '_');
    km_gb_hex(b, km_rng_next(&e->r), 16);
    LIT("\",\"MobileVersion\":\"No\",");
    if (mfa && !fail) {
        LIT("\"MFAIdentifier\":\"arn:aws:iam::");
        STR(acct);
        LIT(":mfa/");
        STR(a->kind == KM_GEN_K_ROOT ? "root-account-mfa-device" : a->name);
        LIT("\",");
    }
    LIT("\"MFAUsed\":\"");
    STR(mfa ? "Yes" : "No");
    LIT("\"},\"eventID\":\"");
    km_gb_uuid(b, &e->r);
    LIT("\",\"readOnly\":false,\"eventType\":\"AwsConsoleSignIn\",\"managementEvent\":true,"
        "\"recipientAccountId\":\"");
    STR(acct);
    LIT("\",\"eventCategory\":\"Management\"");
    tls_details(e, b);
    km_gb_ch(b, '}');
}

static void api_record(struct ct_ev *e, struct km_gb *b)
{
    const struct ct_op *op = e->op;
    const struct ct_svc *sv = &ct_svcs[op->svc];
    int svcevt = (op->flags & F_SVCEVT) != 0;
    int data = (op->flags & F_DATA) != 0;
    int service = e->a->kind == KM_GEN_K_SERVICE;
    e->aed->n = 0;
    e->res->n = 0;
    LIT("{\"eventVersion\":\"");
    STR(data ? "1.11" : svcevt ? "1.08" : sv->version);
    LIT("\",\"userIdentity\":");
    identity(e, b);
    LIT(",\"eventTime\":\"");
    km_gb_iso(b, e->t);
    LIT("\",\"eventSource\":\"");
    STR(sv->source);
    LIT("\",\"eventName\":\"");
    STR(op->name);
    LIT("\",\"awsRegion\":\"");
    STR(rg(e));
    LIT("\",\"sourceIPAddress\":\"");
    if (svcevt)
        LIT("AWS Internal");
    else
        source_ip(e, b);
    LIT("\",\"userAgent\":\"");
    user_agent(e, b);
    km_gb_ch(b, '"');
    if (e->err)
        write_error(e, b);
    shape(e, b);
    if (e->aed->n) {
        LIT(",\"additionalEventData\":{");
        km_gb_mem(b, e->aed->p, e->aed->n);
        km_gb_ch(b, '}');
    }
    if (!svcevt) {
        LIT(",\"requestID\":\"");
        if (op->svc == KM_GEN_SVC_S3)
            km_gb_rand(b, &e->r, KM_GEN_UPNUM, 16);
        else
            km_gb_uuid(b, &e->r);
        km_gb_ch(b, '"');
    }
    LIT(",\"eventID\":\"");
    km_gb_uuid(b, &e->r);
    LIT("\",\"readOnly\":");
    STR(op->flags & F_RO ? "true" : "false");
    if (e->res->n) {
        LIT(",\"resources\":[");
        km_gb_mem(b, e->res->p, e->res->n);
        km_gb_ch(b, ']');
    }
    LIT(",\"eventType\":\"");
    STR(svcevt ? "AwsServiceEvent" : "AwsApiCall");
    LIT("\",\"managementEvent\":");
    STR(data ? "false" : "true");
    LIT(",\"recipientAccountId\":\"");
    STR(e->ac->id);
    km_gb_ch(b, '"');
    if (svcevt) {
        LIT(",\"serviceEventDetails\":{\"keyId\":\"");
        STR(e->ac->keys[e->ri % (uint32_t)e->ac->nkeys]);
        LIT("\"}");
    }
    if (e->a->kind == KM_GEN_K_XACCOUNT) {
        LIT(",\"sharedEventID\":\"");
        km_gb_uuid(b, &e->r);
        km_gb_ch(b, '"');
    }
    if (e->vpce) {
        LIT(",\"vpcEndpointId\":\"vpce-0");
        km_gb_hex(b, km_rng_hash2(e->w->seed, ((uint64_t)e->d->actor << 8) ^ op->svc), 16);
        LIT("\",\"vpcEndpointAccountId\":\"");
        STR(e->ac->id);
        km_gb_ch(b, '"');
    }
    LIT(",\"eventCategory\":\"");
    STR(data ? "Data" : "Management");
    km_gb_ch(b, '"');
    if (!service && !svcevt && !e->internal)
        tls_details(e, b);
    if (e->mode == M_CONSOLE && !service)
        LIT(",\"sessionCredentialFromConsole\":\"true\"");
    km_gb_ch(b, '}');
}

/* ---- units ------------------------------------------------------------------ */

#define CT_FILE_MAX 5000        /* records per file before a window's file is split */
#define CT_KEYS (KM_GEN_NREGIONS * 300)

static int pick_mode(const struct km_gen_world *w, const struct km_gen_actor *a, struct km_rng *r)
{
    switch (a->kind) {
    case KM_GEN_K_SSO:
    case KM_GEN_K_IAMHUMAN: {
        const struct km_gen_person *p = &w->persons[a->person];
        if (km_rng_chance(r, p->console))
            return M_CONSOLE;
        uint32_t u = km_rng_below(r, 100);
        if (u < 68)
            return M_CLI;
        if (u < 90 || (p->job != KM_GEN_JOB_DEV && p->job != KM_GEN_JOB_OPS))
            return M_SDK;
        return M_TF;
    }
    case KM_GEN_K_ROOT: return M_CONSOLE;
    case KM_GEN_K_TERRAFORM: return M_TF;
    case KM_GEN_K_SERVICE: return M_SERVICE;
    default: return M_MACHINE;
    }
}

static int pick_region(const struct km_gen_account *ac, const struct km_gen_actor *a,
                       struct km_rng *r)
{
    switch (a->kind) {
    case KM_GEN_K_LAMBDA: return ac->func_region[a->res];
    case KM_GEN_K_EC2: return ac->inst[a->res].region;
    case KM_GEN_K_SSO:
    case KM_GEN_K_IAMHUMAN:
    case KM_GEN_K_TERRAFORM:
    case KM_GEN_K_CI: {
        uint32_t u = km_rng_below(r, 100);
        if (u < 85)
            return ac->home;
        if (u < 96)
            return ac->regions[km_rng_below(r, ac->nregions)];
        return 0;
    }
    default: return ac->home;
    }
}

static double burst_mean(const struct km_gen_actor *a, int mode)
{
    switch (mode) {
    case M_CONSOLE: return 6;
    case M_CLI: return 2.5;
    case M_SDK: return 5;
    case M_TF: return 14;
    case M_SERVICE: return 1.6;
    default: break;
    }
    switch (a->kind) {
    case KM_GEN_K_SCANNER: return 30;
    case KM_GEN_K_CI: return 8;
    case KM_GEN_K_EC2: return 2;
    default: return 3;
    }
}

static int gap(int mode, struct km_rng *r)
{
    switch (mode) {
    case M_CONSOLE: return 1 + (int)km_rng_below(r, 20);
    case M_CLI: return (int)km_rng_below(r, 5);
    case M_SERVICE: return (int)km_rng_below(r, 30);
    default: return (int)km_rng_below(r, 2);
    }
}

static int pick_svc(const struct ct_plan *pl, uint32_t gi, struct km_rng *r)
{
    const uint32_t *cum = pl->svc_cum[gi];
    uint32_t tot = cum[KM_GEN_NSVC - 1];
    if (!tot)
        return KM_GEN_SVC_STS;
    uint32_t x = km_rng_below(r, tot);
    int s = 0;
    while (cum[s] <= x)
        s++;
    return s;
}

static int pick_op(const struct ct_plan *pl, int cls, int svc, struct km_rng *r)
{
    int n = pl->cls_n[cls][svc];
    if (!n)
        return pl->op_getcaller;
    const uint32_t *cum = pl->cls_cum[cls][svc];
    uint32_t x = km_rng_below(r, cum[n - 1]);
    int i = 0;
    while (cum[i] <= x)
        i++;
    return pl->cls_op[cls][svc][i];
}

/* Fills d[0..n) with the unit's background records. */
static void plan_records(const struct ct_plan *pl, const struct km_gen_account *ac, uint32_t g,
                         uint32_t n, double *aw, struct ct_desc *d, struct km_rng *r)
{
    const struct km_gen_world *w = pl->w;
    double tot = 0;
    for (uint32_t k = 0; k < ac->nactors; k++) {
        const struct km_gen_actor *a = &w->actors[ac->first_actor + k];
        tot += a->rate * km_gen_activity(w, a, g);
        aw[k] = tot;
    }
    uint32_t i = 0;
    while (i < n) {
        double x = km_rng_unit(r) * tot;
        uint32_t lo = 0, hi = ac->nactors - 1;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (aw[mid] > x)
                hi = mid;
            else
                lo = mid + 1;
        }
        uint32_t gi = ac->first_actor + lo;
        const struct km_gen_actor *a = &w->actors[gi];
        int mode = pick_mode(w, a, r);
        int region = pick_region(ac, a, r);
        double mean = burst_mean(a, mode);
        double more = 1.0 - 1.0 / mean;
        int len = 1;
        while (len < 200 && km_rng_chance(r, more))
            len++;
        uint32_t burst = (uint32_t)km_rng_next(r);
        int t = (int)km_rng_below(r, 300);
        int svc = pick_svc(pl, gi, r);
        double resvc = a->cls == KM_GEN_C_HUMAN ? 0.2 : a->cls == KM_GEN_C_SCANNER ? 0.3 : 0.5;
        int human = a->kind == KM_GEN_K_SSO || a->kind == KM_GEN_K_IAMHUMAN || a->kind == KM_GEN_K_ROOT;
        int login = mode == M_CONSOLE && human &&
                    km_rng_chance(r, a->kind == KM_GEN_K_ROOT ? 0.5 : a->kind == KM_GEN_K_SSO ? 0.1 : 0.3);
        for (int k = 0; k < len && i < n && t < 300; k++) {
            struct ct_desc *e = &d[i++];
            memset(e, 0, sizeof *e);
            e->t = (uint16_t)t;
            e->actor = gi;
            e->mode = (uint8_t)mode;
            e->burst = burst;
            e->seed = km_rng_next(r);
            e->res = (uint16_t)km_rng_below(r, 65536);
            if (login) {
                e->op = (uint16_t)pl->op_consolelogin;
                e->region = 0;
                e->fail = (uint8_t)(a->kind != KM_GEN_K_SSO && km_rng_chance(r, 0.2));
                login = e->fail; /* a failure is followed by a retry */
                t += 3 + (int)km_rng_below(r, 20);
                continue;
            }
            if (k > 0 && km_rng_chance(r, resvc))
                svc = pick_svc(pl, gi, r);
            int opi = pick_op(pl, a->cls, svc, r);
            const struct ct_op *op = &ct_ops[opi];
            if (((op->flags & F_NEED_CI) && a->kind != KM_GEN_K_CI) ||
                ((op->flags & F_NEED_IAMUSER) && a->kind != KM_GEN_K_IAMHUMAN))
                opi = pl->op_getcaller;
            else if ((op->flags & F_NEED_EC2) && a->kind != KM_GEN_K_EC2)
                opi = pl->op_getparam;
            op = &ct_ops[opi];
            e->op = (uint16_t)opi;
            if (op->flags & F_GLOBAL)
                e->region = 0;
            else if (op->svc == KM_GEN_SVC_S3)
                e->region = ac->buckets[bucket_for(ac, a, op, e->res)].region;
            else if (a->kind == KM_GEN_K_SCANNER && (g / 12) % 6 == a->sweep % 6)
                e->region = (uint8_t)km_rng_below(r, KM_GEN_NREGIONS); /* full sweep */
            else if (a->kind == KM_GEN_K_SCANNER)
                e->region = ac->regions[km_rng_below(r, ac->nregions)];
            else if (op->svc == KM_GEN_SVC_LAMBDA && a->kind != KM_GEN_K_LAMBDA)
                e->region = ac->func_region[e->res % (uint32_t)ac->nfuncs];
            else
                e->region = (uint8_t)region;
            t += gap(mode, r);
        }
    }
}

/* 1 when a record of account acct at time t (an S3 data event if data) is not
 * delivered: its trail was stopped, or no longer selected data events. */
static int ct_silenced(const struct ct_plan *pl, uint32_t acct, int64_t t, int data)
{
    for (int k = 0; k < pl->nsil; k++) {
        const struct ct_silence *sl = &pl->sil[k];
        if (sl->acct != acct)
            continue;
        if (t > sl->from && t < sl->until)
            return 1;
        if (data && t > sl->data_from && t < sl->data_until)
            return 1;
    }
    return 0;
}

/* 1 when unit (acct, window g) has records a silence drops. */
static int ct_unit_silenced(const struct ct_plan *pl, uint32_t acct, uint32_t g)
{
    int64_t a = pl->w->start + (int64_t)g * 300, b = a + 300;
    for (int k = 0; k < pl->nsil; k++) {
        const struct ct_silence *sl = &pl->sil[k];
        if (sl->acct == acct && b > sl->data_from && a < sl->data_until)
            return 1;
    }
    return 0;
}

/* Drops the silenced records of d[0..n) (order kept); returns how many stay. */
static uint32_t ct_filter(const struct ct_plan *pl, uint32_t acct, int64_t wstart,
                          struct ct_desc *d, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!ct_silenced(pl, acct, wstart + d[i].t, (ct_ops[d[i].op].flags & F_DATA) != 0))
            d[k++] = d[i];
    return k;
}

/*
 * The planted scenarios' part of the plan: which unit each CloudTrail plant
 * goes to, and the silences. A unit inside a silence still draws its share
 * of the background and then drops what falls into the silence; the plan
 * draws those units once here to count what they drop, and gives that many
 * records to the units outside every silence (in proportion to their
 * shares), so --events stays exact. tmp has room for nunits doubles.
 */
static int ct_plants(struct ct_plan *pl, double *tmp, struct km_err *err)
{
    const struct km_gen_world *w = pl->w;
    if (pl->nplants) {
        pl->plant_unit = calloc(pl->nplants, sizeof *pl->plant_unit);
        pl->plant_order = calloc(pl->nplants, sizeof *pl->plant_order);
        if (!pl->plant_unit || !pl->plant_order)
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plants)");
    }
    for (uint32_t i = 0; i < pl->nplants; i++) {
        const struct km_gen_plant *p = &pl->plants[i];
        int64_t g = (p->t - w->start) / 300;
        if (p->t < w->start || g >= pl->nwin || p->acct >= w->naccounts)
            return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX,
                              "a planted record lies outside the dataset");
        pl->plant_unit[i] = (uint64_t)p->acct * pl->nwin + (uint64_t)g;
        uint32_t j = i;
        while (j > 0 && pl->plant_unit[pl->plant_order[j - 1]] > pl->plant_unit[i]) {
            pl->plant_order[j] = pl->plant_order[j - 1];
            j--;
        }
        pl->plant_order[j] = i;
    }
    const struct km_gen_scen *S = w->scen;
    for (int k = 0; S && k < S->nsil && pl->nsil < 2; k++) {
        struct ct_silence *sl = &pl->sil[pl->nsil++];
        sl->acct = S->sil[k].acct;
        sl->from = S->sil[k].from;
        sl->until = S->sil[k].until;
        sl->data_from = S->sil[k].data_from;
        /* after a tampering, data events come back with the selectors, a minute later */
        sl->data_until = sl->until + (S->sil[k].scen == KM_GEN_SCEN_TAMPERING ? 62 : 0);
    }
    for (uint32_t i = 0; i < pl->nplants; i++) {
        const struct km_gen_plant *p = &pl->plants[i];
        if (ct_silenced(pl, p->acct, p->t, 0))
            return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX,
                              "a planted record falls into a silenced trail");
    }
    if (pl->story)
        for (int k = 0; k < CT_STORY_N; k++)
            if (ct_silenced(pl, 0, pl->story_t[k], 0))
                return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX,
                                  "the story falls into a silenced trail");
    if (!pl->nsil)
        return KM_OK;
    /* count what the silenced units drop */
    uint32_t most = 0;
    for (uint64_t u = 0; u < pl->nunits; u++)
        if (ct_unit_silenced(pl, (uint32_t)(u / pl->nwin), (uint32_t)(u % pl->nwin)) &&
            pl->count[u] > most)
            most = pl->count[u];
    double *aw = malloc(sizeof(double) * w->nactors);
    struct ct_desc *d = malloc(sizeof(struct ct_desc) * ((size_t)most + 1));
    if (!aw || !d) {
        free(aw);
        free(d);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (silence)");
    }
    uint64_t lost = 0;
    double total = 0;
    for (uint64_t u = 0; u < pl->nunits; u++) {
        uint32_t acc = (uint32_t)(u / pl->nwin), g = (uint32_t)(u % pl->nwin);
        if (!ct_unit_silenced(pl, acc, g)) {
            tmp[u] = pl->count[u];
            total += tmp[u];
            continue;
        }
        tmp[u] = 0;
        struct km_rng r;
        km_rng_init(&r, w->seed, 0xc7000000000000ull ^ u);
        plan_records(pl, &w->accounts[acc], g, pl->count[u], aw, d, &r);
        lost += pl->count[u] - ct_filter(pl, acc, w->start + (int64_t)g * 300, d, pl->count[u]);
    }
    free(aw);
    free(d);
    if (lost && total > 0) {
        uint32_t *add = calloc(pl->nunits, sizeof *add);
        if (!add)
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (silence)");
        km_gen_apportion(tmp, pl->nunits, total, lost, add);
        for (uint64_t u = 0; u < pl->nunits; u++)
            pl->count[u] += add[u];
        free(add);
    }
    return KM_OK;
}

static int ct_unit(void *state, uint64_t u, struct km_gen_thread *ts, struct km_err *err)
{
    const struct ct_plan *pl = state;
    const struct km_gen_world *w = pl->w;
    uint32_t acc = (uint32_t)(u / pl->nwin), g = (uint32_t)(u % pl->nwin);
    const struct km_gen_account *ac = &w->accounts[acc];
    int64_t wstart = w->start + (int64_t)g * 300;
    uint32_t n = pl->count[u], nstory = 0, nplant = 0, pat = 0;
    if (acc == 0 && pl->story)
        for (int k = 0; k < CT_STORY_N; k++)
            nstory += pl->story_t[k] >= wstart && pl->story_t[k] < wstart + 300;
    /* this unit's plants: plant_order[pat .. pat + nplant) */
    uint32_t lo = 0, hi = pl->nplants;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (pl->plant_unit[pl->plant_order[mid]] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    pat = lo;
    while (pat + nplant < pl->nplants && pl->plant_unit[pl->plant_order[pat + nplant]] == u)
        nplant++;
    if (n + nstory + nplant == 0)
        return KM_OK;

    /* scratch: [aw: nactors doubles][counts: CT_KEYS+2][pad][desc: total][sorted: total] */
    size_t total = (size_t)n + nstory + nplant;
    size_t need = sizeof(double) * w->nactors +
                  sizeof(uint32_t) * (CT_KEYS + 2) + 2 * sizeof(struct ct_desc) * total + 64;
    if (ts->scratch_cap < need) {
        size_t cap = need + need / 2;
        void *p = realloc(ts->scratch, cap);
        if (!p)
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (%zu records in one window)",
                              total);
        ts->scratch = p;
        ts->scratch_cap = cap;
    }
    char *base = ts->scratch;
    double *aw = (double *)base;
    uint32_t *cnt = (uint32_t *)(aw + w->nactors);
    struct ct_desc *d = (struct ct_desc *)(((uintptr_t)(cnt + CT_KEYS + 2) + 15) & ~(uintptr_t)15);
    struct ct_desc *s = d + total;

    struct km_rng r;
    km_rng_init(&r, w->seed, 0xc7000000000000ull ^ u);
    plan_records(pl, ac, g, n, aw, d, &r);
    if (pl->nsil && ct_unit_silenced(pl, acc, g))
        n = ct_filter(pl, acc, wstart, d, n);
    for (int k = 0; k < CT_STORY_N && acc == 0 && pl->story; k++) {
        if (!(pl->story_t[k] >= wstart && pl->story_t[k] < wstart + 300))
            continue;
        struct ct_desc *e = &d[n++];
        memset(e, 0, sizeof *e);
        e->t = (uint16_t)(pl->story_t[k] - wstart);
        e->actor = w->story_actor;
        e->op = pl->story_op[k];
        e->region = pl->story_region[k];
        e->mode = M_CLI;
        e->story = (uint8_t)(k + 1);
        e->burst = (uint32_t)km_rng_hash2(w->seed, 0x570 + (uint64_t)k);
        e->seed = km_rng_hash2(w->seed, 0x571 + (uint64_t)k);
    }
    for (uint32_t k = 0; k < nplant; k++) {
        uint32_t i = pl->plant_order[pat + k];
        const struct km_gen_plant *p = &pl->plants[i];
        struct ct_desc *e = &d[n++];
        memset(e, 0, sizeof *e);
        e->t = (uint16_t)(p->t - wstart);
        e->region = p->region;
        e->plant = (uint16_t)(i + 1);
    }

    /* stable counting sort by (region, second) */
    memset(cnt, 0, sizeof(uint32_t) * (CT_KEYS + 1));
    for (uint32_t i = 0; i < n; i++)
        cnt[d[i].region * 300 + d[i].t + 1]++;
    for (int k = 0; k < CT_KEYS; k++)
        cnt[k + 1] += cnt[k];
    for (uint32_t i = 0; i < n; i++)
        s[cnt[d[i].region * 300 + d[i].t]++] = d[i];

    struct km_gb aed = ts->side[0], res = ts->side[1];
    struct km_rng fr;
    km_rng_init(&fr, w->seed, 0xf11e000000000000ull ^ u);
    uint32_t i = 0;
    while (i < n) {
        int region = s[i].region;
        uint32_t end = i;
        while (end < n && s[end].region == region && end - i < CT_FILE_MAX)
            end++;
        struct km_gb *b = &ts->json;
        b->n = 0;
        if (km_gb_reserve(b, KM_GB_RECORD_MAX))
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (file buffer)");
        LIT("{\"Records\":[");
        for (uint32_t j = i; j < end; j++) {
            if (km_gb_reserve(b, KM_GB_RECORD_MAX))
                return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (file buffer)");
            if (j > i)
                km_gb_ch(b, ',');
            size_t at = b->n;
            if (s[j].plant) {
                const struct km_gen_plant *p = &pl->plants[s[j].plant - 1];
                km_gb_mem(b, w->scen->aws + p->text, p->len);
                continue;
            }
            struct ct_ev e;
            e.pl = pl;
            e.w = w;
            e.ac = ac;
            e.d = &s[j];
            e.gi = s[j].actor;
            e.a = &w->actors[e.gi];
            e.opi = s[j].op;
            e.op = &ct_ops[e.opi];
            e.region = s[j].region;
            e.mode = s[j].mode;
            e.story = s[j].story;
            e.t = wstart + s[j].t;
            e.day = (uint32_t)((e.t - w->start) / 86400);
            e.ri = s[j].res;
            e.r.s = s[j].seed;
            e.aed = &aed;
            e.res = &res;
            e.arn[0] = 0;
            int svc = e.op->svc;
            e.vpce = !e.story && e.a->kind == KM_GEN_K_EC2 && ac->vpce &&
                     (svc == KM_GEN_SVC_SSM || svc == KM_GEN_SVC_KMS || svc == KM_GEN_SVC_LOGS ||
                      svc == KM_GEN_SVC_SECRETS || svc == KM_GEN_SVC_STS);
            e.internal = !e.story && e.mode == M_CONSOLE && svc != KM_GEN_SVC_SIGNIN &&
                         km_rng_below(&e.r, 100) < 2;
            e.err = E_NONE;
            if (e.op->flags & F_CONSOLE) {
                login_record(&e, b);
            } else {
                e.err = pick_error(&e);
                api_record(&e, b);
            }
            if (b->n - at >= KM_GB_RECORD_MAX || aed.n >= aed.cap || res.n >= res.cap)
                return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX, "record too large");
        }
        LIT("]}");

        /* delivery: 5-7 minutes after the window opened */
        int64_t stamp = wstart + 300 + 60 * (int64_t)km_rng_below(&fr, 3);
        struct km_gen_tm tm;
        km_gen_gmtime(stamp, &tm);
        char sfx[17];
        km_gen_rand_str(sfx, &fr, KM_GEN_ALNUM, 16);
        const char *rgn = km_gen_regions[region];
        char rel[256];
        snprintf(rel, sizeof rel,
                 "AWSLogs/%s/CloudTrail/%s/%04d/%02d/%02d/%s_CloudTrail_%s_%04d%02d%02dT%02d%02dZ_%s.json.gz",
                 ac->id, rgn, tm.year, tm.mon, tm.day, ac->id, rgn, tm.year, tm.mon, tm.day, tm.hour,
                 tm.min, sfx);
        int rc = km_gen_emit(ts, rel, end - i, err);
        if (rc)
            return rc;
        i = end;
    }
    return KM_OK;
}

const struct km_gen_provider km_gen_cloudtrail = {
    "aws.cloudtrail",
    ct_plan_make,
    ct_unit,
    ct_free,
};
