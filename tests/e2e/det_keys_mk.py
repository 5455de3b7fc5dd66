#!/usr/bin/env python3
"""det_keys_mk.py — writes the hand-made records of tests/e2e/det_keys.sh.

Usage: det_keys_mk.py CASE OUTDIR

Every case is a small world in the providers' real export shapes
(CloudTrail {"Records":[...]}, Google Cloud audit LogEntry lines, Azure
Activity diagnostic records): days of ordinary use, then the event the
detection is about, or its negative twin. Times, keys and addresses are
fixed, so the expected findings are known exactly.
"""
import json
import os
import sys
import uuid
from datetime import datetime, timedelta, timezone

ACCT = "111122223333"
KEY = "AKIAEXAMPLEKEY000001"   # AKIA + 16: a long-term key
OFFICE = "198.51.100.10"
HOME = "198.51.100.77"
ATTACK = "203.0.113.77"
UA_MAC = ("aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 "
          "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe")
UA_KALI = "aws-cli/2.13.0 Python/3.11.9 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off"
UA_LINUX = "aws-cli/2.13.0 Python/3.11.9 Linux/6.5.0-21-generic exe/x86_64.ubuntu.22 prompt/off"
UA_SCAN = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 lang/python#3.11 scanner/2.0"
T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)

SVC = {"GetCallerIdentity": "sts", "ListBuckets": "s3", "GetBucketPolicy": "s3",
       "ListUsers": "iam", "ListRoles": "iam", "GetRole": "iam", "ListPolicies": "iam",
       "ListAccounts": "organizations", "DescribeOrganization": "organizations",
       "DescribeInstances": "ec2", "DescribeVpcs": "ec2", "DescribeSubnets": "ec2",
       "DescribeSecurityGroups": "ec2", "DescribeVolumes": "ec2", "DescribeSnapshots": "ec2",
       "ListFunctions": "lambda", "GetFunction": "lambda", "DescribeDBInstances": "rds",
       "DescribeDBClusters": "rds", "ListKeys": "kms", "DescribeKey": "kms",
       "ListSecrets": "secretsmanager", "DescribeTrails": "cloudtrail",
       "GetTrailStatus": "cloudtrail", "DescribeLogGroups": "logs", "ListTopics": "sns",
       "ListQueues": "sqs", "DescribeTable": "dynamodb", "ListTables": "dynamodb",
       "DescribeClusters": "ecs", "PutObject": "s3", "CreateUser": "iam",
       "AttachUserPolicy": "iam", "CreateAccessKey": "iam", "GetObject": "s3"}

n_ev = [0]


def ct(t, action, ip, ua, key=KEY, user="dev.alice", err=None, role=None, acct=ACCT):
    n_ev[0] += 1
    if role:
        session = role[1]
        ident = {"type": "AssumedRole", "principalId": "AROAEXAMPLEROLE0001:" + session,
                 "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role[0], session),
                 "accountId": acct, "accessKeyId": key,
                 "sessionContext": {"sessionIssuer": {
                     "type": "Role", "principalId": "AROAEXAMPLEROLE0001",
                     "arn": "arn:aws:iam::%s:role/%s" % (acct, role[0]),
                     "accountId": acct, "userName": role[0]},
                     "attributes": {"creationDate": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                    "mfaAuthenticated": "false"}}}
    else:
        ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001",
                 "arn": "arn:aws:iam::%s:user/%s" % (acct, user), "accountId": acct,
                 "accessKeyId": key, "userName": user}
    r = {"eventVersion": "1.09", "userIdentity": ident,
         "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
         "eventSource": SVC.get(action, "ec2") + ".amazonaws.com", "eventName": action,
         "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": ua,
         "requestParameters": None, "responseElements": None,
         "requestID": str(uuid.UUID(int=n_ev[0] * 7919)),
         "eventID": str(uuid.UUID(int=(1 << 100) + n_ev[0])),
         "readOnly": action.startswith(("List", "Describe", "Get")),
         "eventType": "AwsApiCall", "managementEvent": True,
         "recipientAccountId": acct, "eventCategory": "Management"}
    if err:
        r["errorCode"] = err
        r["errorMessage"] = "User: %s is not authorized to perform: %s" % (ident["arn"], action)
    return r


def history(days, start=T0, key=KEY, user="dev.alice", ip=OFFICE, ua=UA_MAC):
    """A key's ordinary use: a few calls every working hour of `days` days."""
    out = []
    for d in range(days):
        for h in (9, 11, 14, 16):
            t = start + timedelta(days=d, hours=h)
            for i, a in enumerate(("DescribeInstances", "GetObject", "PutObject")):
                out.append(ct(t + timedelta(seconds=20 * i), a, ip, ua, key=key, user=user))
    return out


def colleagues(days, start=T0):
    """Other people working from the office: the organisation's network."""
    out = []
    for d in range(days):
        for k, who in enumerate(("bob.ops", "carol.dev", "dan.data")):
            t = start + timedelta(days=d, hours=10, minutes=k)
            out.append(ct(t, "DescribeInstances", OFFICE, UA_MAC,
                          key="AKIAEXAMPLEKEY00010" + str(k), user=who))
    return out


def attack(t, ip=ATTACK, ua=UA_KALI, key=KEY, escalate=True):
    seq = [("GetCallerIdentity", None), ("ListBuckets", None), ("ListUsers", None),
           ("DescribeInstances", None), ("ListAccounts", "AccessDeniedException")]
    if escalate:
        seq += [("CreateUser", None), ("AttachUserPolicy", None), ("CreateAccessKey", None)]
    return [ct(t + timedelta(seconds=35 * i), a, ip, ua, key=key, err=e)
            for i, (a, e) in enumerate(seq)]


def sweep(t, ip, role, ua=UA_SCAN, n=24):
    acts = [a for a in SVC if a.startswith(("List", "Describe", "Get")) and a != "GetObject"
            and a != "GetCallerIdentity"][:n]
    return [ct(t + timedelta(seconds=3 * i), a, ip, ua, key="ASIA" + role[1][-16:].upper(),
               role=role) for i, a in enumerate(acts)]


def denied_run(t, n, ip="192.0.2.50", key="ASIAEXAMPLESESS00099"):
    acts = ["GetRole", "ListPolicies", "DescribeKey"]
    return [ct(t + timedelta(seconds=20 * i), acts[i % 3], ip, UA_LINUX, key=key,
               role=("ci-deployer", "build-4711"), err="AccessDenied") for i in range(n)]


# ---- Google Cloud ----------------------------------------------------------------------

SA = "loader@demo-proj.iam.gserviceaccount.com"
SAKEY = ("//iam.googleapis.com/projects/demo-proj/serviceAccounts/" + SA +
         "/keys/0123456789abcdef0123456789abcdef01234567")


def gcp(t, method, ip, ua, who=SA, key=SAKEY, code=None, service="storage.googleapis.com"):
    n_ev[0] += 1
    auth = {"principalEmail": who}
    if key:
        auth["serviceAccountKeyName"] = key
    p = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "authenticationInfo": auth,
         "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": ua},
         "serviceName": service, "methodName": method,
         "resourceName": "projects/demo-proj", "status": {}}
    if code:
        p["status"] = {"code": code, "message": "Permission denied"}
    return {"insertId": "ins%06d" % n_ev[0], "logName":
            "projects/demo-proj/logs/cloudaudit.googleapis.com%2Factivity",
            "protoPayload": p, "resource": {"type": "project",
                                            "labels": {"project_id": "demo-proj"}},
            "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "severity": "ERROR" if code else "NOTICE"}


def azure(t, op, ip, upn, failed):
    n_ev[0] += 1
    sub = "0b1f6471-1bf0-4dda-aec3-111122223333"
    return {"time": t.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
            "resourceId": "/SUBSCRIPTIONS/%s/RESOURCEGROUPS/RG1" % sub.upper(),
            "operationName": op.upper(), "category": "Administrative",
            "resultType": "Failure" if failed else "Success",
            "resultSignature": "Failed.Forbidden" if failed else "Succeeded.OK",
            "callerIpAddress": ip, "correlationId": str(uuid.UUID(int=n_ev[0] + (1 << 90))),
            "identity": {"claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": upn,
                                    "http://schemas.microsoft.com/identity/claims/objectidentifier":
                                        "5d0c1a47-0000-4000-8000-000000000001"}},
            "level": "Error" if failed else "Informational",
            "properties": {"statusCode": "Forbidden" if failed else "OK",
                           "eventCategory": "Administrative", "message": op}}


# ---- cases -------------------------------------------------------------------------------

def case(name):
    at = T0 + timedelta(days=11, hours=3)           # a night after 11 days of history
    recs, gl, az = [], [], []
    if name == "leak":                              # the positive: full history
        recs = history(11) + colleagues(11) + attack(at)
    elif name == "leak_office":                     # twin: the night use from the office, usual client
        recs = history(11) + colleagues(11) + attack(at, ip=OFFICE, ua=UA_MAC)
    elif name == "leak_plain":                      # new network + new platform, no tool, nothing after
        recs = history(11) + colleagues(11) + attack(at, ua=UA_LINUX, escalate=False)
    elif name == "leak_thin":                       # the same with 3 days of history only
        recs = (history(3) + colleagues(3) +
                attack(T0 + timedelta(days=3, hours=3), ua=UA_LINUX, escalate=False))
    elif name == "leak_short":                      # half a day of history: not judged
        recs = history(1)[:6] + attack(T0 + timedelta(hours=15), ua=UA_LINUX, escalate=False)
    elif name == "leak_first_day":                  # the leak is the key's first use; its owner's days follow
        recs = (history(5) + colleagues(5) +
                attack(T0 + timedelta(hours=2), ua=UA_LINUX, escalate=False))
    elif name == "leak_asia":                       # temporary keys are not long-term
        recs = (history(11, key="ASIAEXAMPLESESS00001") +
                attack(at, key="ASIAEXAMPLESESS00001"))
    elif name == "denied":                          # 12 denied in 4 minutes
        recs = history(2) + denied_run(T0 + timedelta(days=1, hours=20), 12)
    elif name == "denied9":                         # twin: 9 denied
        recs = history(2) + denied_run(T0 + timedelta(days=1, hours=20), 9)
    elif name == "routine":                         # a scanner's hourly sweeps for 3 days
        for d in range(3):
            for hr in range(0, 24, 2):
                t = T0 + timedelta(days=d, hours=hr, minutes=5)
                recs += sweep(t, "192.0.2.8", ("posture-scan", "scan-%d-%d" % (d, hr)))
        # and one sweep by another role, once
        recs += sweep(T0 + timedelta(days=2, hours=13), "192.0.2.99", ("adhoc-audit", "once-1"))
    elif name == "gcp":                             # a service-account key from a new place
        for d in range(5):
            for hr in (8, 12, 16):
                t = T0 + timedelta(days=d, hours=hr)
                gl.append(gcp(t, "storage.objects.create", "35.190.10.20",
                              "gcloud-python/3.1 google-api-python-client/2.0 (gzip),gzip(gfe)"
                              " linux"))
        t = T0 + timedelta(days=5, hours=2)
        for i, m in enumerate(("storage.buckets.list", "google.iam.admin.v1.ListServiceAccounts",
                               "v1.compute.instances.list", "SetIamPolicy")):
            gl.append(gcp(t + timedelta(seconds=30 * i), m, "203.0.113.200",
                          "python-requests/2.31.0 (Windows NT 10.0)",
                          service="cloudresourcemanager.googleapis.com"))
        # a person denied 11 times in 5 minutes (no key)
        for i in range(11):
            gl.append(gcp(t + timedelta(hours=1, seconds=25 * i), "v1.compute.instances.get",
                          "198.51.100.40", "google-cloud-sdk gcloud/470.0.0",
                          who="eve@example.net", key=None, code=7,
                          service="compute.googleapis.com"))
    elif name == "azure":
        t = T0 + timedelta(days=1, hours=4)
        for i in range(10):
            az.append(azure(t + timedelta(seconds=40 * i),
                            "Microsoft.Authorization/roleAssignments/write", "198.51.100.41",
                            "mallet@example.net", True))
        for i in range(9):   # twin: 9 denials for another person
            az.append(azure(t + timedelta(hours=3, seconds=40 * i),
                            "Microsoft.Authorization/roleAssignments/write", "198.51.100.42",
                            "trent@example.net", True))
    else:
        raise SystemExit("unknown case " + name)
    return recs, gl, az


def main():
    name, out = sys.argv[1], sys.argv[2]
    recs, gl, az = case(name)
    os.makedirs(out, exist_ok=True)
    if recs:
        recs.sort(key=lambda r: r["eventTime"])
        with open(os.path.join(out, "%s_cloudtrail.json" % ACCT), "w") as f:
            json.dump({"Records": recs}, f)
    if gl:
        d = os.path.join(out, "cloudaudit.googleapis.com", "activity", "2025", "03", "01")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "00:00:00_23:59:59_S0.json"), "w") as f:
            for r in gl:
                f.write(json.dumps(r) + "\n")
    if az:
        d = os.path.join(out, "insights-activity-logs", "resourceId=", "y=2025", "m=03", "d=02")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "PT1H.json"), "w") as f:
            for r in az:
                f.write(json.dumps(r) + "\n")


main()
