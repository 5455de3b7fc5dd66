#!/usr/bin/env python3
"""det_persist_records.py OUTDIR — writes the hand-made records of
tests/e2e/det_persist.sh: positive cases and their negative twins for
credential_persistence, privilege_grant and exposure, in the providers' own
shapes (CloudTrail {"Records":[...]}, Azure Activity and Entra audit
diagnostic-settings records {"records":[...]}, Google Cloud audit LogEntry
lines). Every case is commented with what the detection must say about it;
the expectations themselves live in det_persist.sh."""
import json
import os
import sys

OUT = sys.argv[1]
A, B, OUTSIDE = "111122223333", "444455556666", "999988887777"
SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
TEN = "7f3c2b1a-0d9e-4c8b-a6f5-e4d3c2b1a098"
PROJ = "corp-prod-1"
n = [0]


def t(day, hh, mm, ss=0):
    return "2026-03-%02dT%02d:%02d:%02dZ" % (day, hh, mm, ss)


def iam_user(name, key, acct=A):
    return {"type": "IAMUser", "principalId": "AIDA" + name.upper().replace(".", "")[:12],
            "arn": "arn:aws:iam::%s:user/%s" % (acct, name), "accountId": acct,
            "accessKeyId": key, "userName": name}


def sso(person, acct=A, role="AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"):
    return {"type": "AssumedRole", "principalId": "AROAEXAMPLE:" + person,
            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, person),
            "accountId": acct, "accessKeyId": "ASIA" + person.split("@")[0].upper()[:10].ljust(16, "X"),
            "sessionContext": {"sessionIssuer": {
                "type": "Role", "principalId": "AROAEXAMPLE",
                "arn": "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s" % (acct, role),
                "accountId": acct, "userName": role},
                "attributes": {"creationDate": "2026-03-02T08:00:00Z", "mfaAuthenticated": "false"}}}


def ct(when, who, name, source, ip, req=None, resp=None, acct=A, ua="aws-cli/2.15.0", err=None):
    n[0] += 1
    r = {"eventVersion": "1.09", "userIdentity": who, "eventTime": when, "eventSource": source,
         "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": ua,
         "requestParameters": req, "responseElements": resp,
         "requestID": "req-%04d" % n[0], "eventID": "0f0e0d0c-0000-4000-8000-%012d" % n[0],
         "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
         "recipientAccountId": acct, "eventCategory": "Management"}
    if err:
        r["errorCode"] = err
        r["errorMessage"] = "denied"
    return r


def pol(*stmts):
    return json.dumps({"Version": "2012-10-17", "Statement": list(stmts)})


IAM, S3, EC2, RDS, STS = ("iam.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com",
                          "rds.amazonaws.com", "sts.amazonaws.com")
eve = iam_user("eve.ops", "AKIAEVE0000000000001")
shadow = iam_user("svc-shadow", "AKIASHADOW0000000001")
ann = iam_user("ann.admin", "AKIAANN0000000000001")
carl = iam_user("carl.ops", "AKIACARL000000000001")
dev = iam_user("dev.user", "AKIADEV0000000000001")
ops = sso("ops@corp.test")
tf = sso("tf@corp.test", role="terraform-admin")
records = [
    # credential_persistence, high: a user created, given a key and a password by the
    # same caller within a minute, and the key then used from an address never seen
    ct(t(2, 10, 0), eve, "CreateUser", IAM, "198.51.100.10", {"userName": "svc-shadow"},
       {"user": {"userName": "svc-shadow", "arn": "arn:aws:iam::%s:user/svc-shadow" % A}}),
    ct(t(2, 10, 0, 40), eve, "CreateAccessKey", IAM, "198.51.100.10", {"userName": "svc-shadow"},
       {"accessKey": {"accessKeyId": "AKIASHADOW0000000001", "status": "Active",
                      "userName": "svc-shadow"}}),
    # privilege_grant, high: AdministratorAccess to the principal created just before
    ct(t(2, 10, 0, 50), eve, "AttachUserPolicy", IAM, "198.51.100.10",
       {"userName": "svc-shadow", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ct(t(2, 10, 1), eve, "CreateLoginProfile", IAM, "198.51.100.10",
       {"userName": "svc-shadow", "passwordResetRequired": False},
       {"loginProfile": {"userName": "svc-shadow", "passwordResetRequired": False}}),
    ct(t(2, 12, 0), shadow, "GetCallerIdentity", STS, "192.0.2.99"),
    ct(t(2, 12, 0, 30), shadow, "ListBuckets", S3, "192.0.2.99"),
    # low (negative twin): a user rotating their own key
    ct(t(2, 11, 0), dev, "CreateAccessKey", IAM, "198.51.100.30", {"userName": "dev.user"},
       {"accessKey": {"accessKeyId": "AKIADEVNEW000000001", "userName": "dev.user"}}),
    # medium: an IAM user creating a key for another user
    ct(t(2, 11, 5), ann, "CreateAccessKey", IAM, "198.51.100.20", {"userName": "svc-report"},
       {"accessKey": {"accessKeyId": "AKIAREPORT000000001", "userName": "svc-report"}}),
    # low: an administrator's SSO session rotating a service user's key
    ct(t(2, 11, 10), ops, "CreateAccessKey", IAM, "198.51.100.40", {"userName": "svc-ci"},
       {"accessKey": {"accessKeyId": "AKIACINEW0000000001", "userName": "svc-ci"}}),
    # no chain: the key comes two days after the user (low user, medium key)
    ct(t(2, 9, 0), carl, "CreateUser", IAM, "198.51.100.50", {"userName": "svc-late"}),
    ct(t(4, 11, 0), carl, "CreateAccessKey", IAM, "198.51.100.50", {"userName": "svc-late"},
       {"accessKey": {"accessKeyId": "AKIALATE0000000001", "userName": "svc-late"}}),
    # medium: a new SAML identity provider
    ct(t(2, 11, 20), ann, "CreateSAMLProvider", IAM, "198.51.100.20",
       {"name": "Partner", "sAMLMetadataDocument": "<md/>"},
       {"sAMLProviderArn": "arn:aws:iam::%s:saml-provider/Partner" % A}),
    # medium: a role trusting an account outside the organisation; none: a service
    ct(t(2, 11, 25), ann, "UpdateAssumeRolePolicy", IAM, "198.51.100.20",
       {"roleName": "vendor-access", "policyDocument": pol(
           {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % OUTSIDE},
            "Action": "sts:AssumeRole"})}),
    ct(t(2, 11, 26), ann, "UpdateAssumeRolePolicy", IAM, "198.51.100.20",
       {"roleName": "ec2-role", "policyDocument": pol(
           {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"})}),
    # privilege_grant, medium: an inline policy allowing everything, by a person
    ct(t(2, 11, 30), ops, "PutRolePolicy", IAM, "198.51.100.40",
       {"roleName": "ci-deploy", "policyName": "all",
        "policyDocument": pol({"Effect": "Allow", "Action": "*", "Resource": "*"})}),
    # none: narrow policies
    ct(t(2, 11, 31), ops, "PutRolePolicy", IAM, "198.51.100.40",
       {"roleName": "app-role", "policyName": "read",
        "policyDocument": pol({"Effect": "Allow", "Action": ["s3:GetObject"],
                               "Resource": "arn:aws:s3:::app/*"})}),
    ct(t(2, 11, 32), ops, "AttachRolePolicy", IAM, "198.51.100.40",
       {"roleName": "app-role", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    # low: the same grant by Terraform
    ct(t(2, 11, 33), tf, "AttachRolePolicy", IAM, "198.51.100.60",
       {"roleName": "tf-admin", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
       ua="APN/1.0 HashiCorp/1.0 Terraform/1.13.3 terraform-provider-aws/6.12.2"),
    # medium: a policy's default version made iam:*
    ct(t(2, 11, 34), ann, "CreatePolicyVersion", IAM, "198.51.100.20",
       {"policyArn": "arn:aws:iam::%s:policy/app-policy" % A, "setAsDefault": True,
        "policyDocument": pol({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})}),
    # medium: a user added to an administrators' group
    ct(t(2, 11, 35), ann, "AddUserToGroup", IAM, "198.51.100.20",
       {"groupName": "Admins", "userName": "bob"}),
    # the second account of the organisation (seen in the store)
    ct(t(2, 11, 40), sso("ops@corp.test", acct=B), "ListBuckets", S3, "198.51.100.40", acct=B),
    # exposure, high: bucket policy to "*"; none: "*" limited to a VPC endpoint
    ct(t(2, 11, 41), ops, "PutBucketPolicy", S3, "198.51.100.40",
       {"bucketName": "public-site", "bucketPolicy": {"Version": "2012-10-17", "Statement": [
           {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::public-site/*"}]}}),
    ct(t(2, 11, 42), ops, "PutBucketPolicy", S3, "198.51.100.40",
       {"bucketName": "vpc-only", "bucketPolicy": {"Version": "2012-10-17", "Statement": [
           {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::vpc-only/*",
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}}]}}),
    # exposure, high: a public-read ACL
    ct(t(2, 11, 43), ops, "PutBucketAcl", S3, "198.51.100.40",
       {"bucketName": "legacy-files", "x-amz-acl": ["public-read"], "acl": [""]}),
    # exposure, medium: a snapshot shared with an unknown account; none: with the
    # organisation's other account
    ct(t(2, 11, 44), ops, "ModifySnapshotAttribute", EC2, "198.51.100.40",
       {"snapshotId": "snap-0aaa", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": OUTSIDE}]}}}),
    ct(t(2, 11, 45), ops, "ModifySnapshotAttribute", EC2, "198.51.100.40",
       {"snapshotId": "snap-0bbb", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": B}]}}}),
    # exposure, high: an AMI made public
    ct(t(2, 11, 46), ops, "ModifyImageAttribute", EC2, "198.51.100.40",
       {"imageId": "ami-0ccc", "attributeType": "launchPermission",
        "launchPermission": {"add": {"items": [{"group": "all"}]}}}),
    # exposure, medium: public access block deleted; none: set fully on
    ct(t(2, 11, 47), ops, "DeleteBucketPublicAccessBlock", S3, "198.51.100.40",
       {"bucketName": "data-lake", "publicAccessBlock": ""}),
    ct(t(2, 11, 48), ops, "PutBucketPublicAccessBlock", S3, "198.51.100.40",
       {"bucketName": "data-lake", "PublicAccessBlockConfiguration": {
           "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
           "RestrictPublicBuckets": True}}),
    # exposure, high: an RDS snapshot restorable by all
    ct(t(2, 11, 49), ops, "ModifyDBSnapshotAttribute", RDS, "198.51.100.40",
       {"dBSnapshotIdentifier": "orders-final", "attributeName": "restore",
        "valuesToAdd": ["all"]}),
    # none: the same public policy, denied
    ct(t(2, 11, 50), ops, "PutBucketPolicy", S3, "198.51.100.40",
       {"bucketName": "denied-site", "bucketPolicy": {"Version": "2012-10-17", "Statement": [
           {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::denied-site/*"}]}}, err="AccessDenied"),
]
os.makedirs(os.path.join(OUT, "aws"), exist_ok=True)
json.dump({"Records": records}, open(os.path.join(OUT, "aws", "trail.json"), "w"))

# ---- Azure Activity (diagnostic settings) ----------------------------------------
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def claims_user(upn, oid):
    return {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": upn,
            "http://schemas.microsoft.com/identity/claims/objectidentifier": oid,
            "name": upn.split("@")[0], "ipaddr": "198.51.100.70", "idtyp": "user"}


def claims_app(appid):
    return {"appid": appid, "idtyp": "app",
            "http://schemas.microsoft.com/identity/claims/objectidentifier": appid}


def act(when, op, status, claims, rid, body=None, body_key="requestbody"):
    n[0] += 1
    props = {"eventCategory": "Administrative"}
    if body is not None:
        props[body_key] = json.dumps(body)
    return {"time": when, "resourceId": rid, "operationName": op, "category": "Administrative",
            "resultType": status, "callerIpAddress": "198.51.100.70",
            "correlationId": "c0ffee00-0000-4000-8000-%012d" % n[0],
            "identity": {"claims": claims}, "level": "Information", "location": "global",
            "properties": props}


def assign(rid, role, principal, ptype):
    return {"Id": rid.rsplit("/", 1)[1], "Properties": {
        "PrincipalId": principal, "PrincipalType": ptype,
        "RoleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/" + role,
        "Scope": "/subscriptions/" + SUB}}


RA = "/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments/" % SUB
RAW = "Microsoft.Authorization/roleAssignments/write"
admin = claims_user("admin@corp.test", "11111111-2222-3333-4444-555555555555")
az = [
    # privilege_grant, medium: Owner to a user by a person (Start and Success: one finding)
    act(t(2, 12, 0), RAW, "Start", admin, RA + "a1a1a1a1-0000-4000-8000-000000000001",
        assign(RA + "a1a1a1a1-0000-4000-8000-000000000001", OWNER,
               "99999999-8888-7777-6666-555555555555", "User")),
    act(t(2, 12, 0, 2), RAW, "Success", admin, RA + "a1a1a1a1-0000-4000-8000-000000000001",
        assign(RA + "a1a1a1a1-0000-4000-8000-000000000001", OWNER,
               "99999999-8888-7777-6666-555555555555", "User"), "responseBody"),
    # none: Reader
    act(t(2, 12, 5), RAW, "Success", admin, RA + "a1a1a1a1-0000-4000-8000-000000000002",
        assign(RA + "a1a1a1a1-0000-4000-8000-000000000002", READER,
               "99999999-8888-7777-6666-555555555556", "User")),
    # low: Owner written by a service principal (automation)
    act(t(2, 12, 10), RAW, "Success", claims_app("dcc37600-e3f6-4f1d-bbd5-f0eab28c1e2d"),
        RA + "a1a1a1a1-0000-4000-8000-000000000003",
        assign(RA + "a1a1a1a1-0000-4000-8000-000000000003", OWNER,
               "99999999-8888-7777-6666-555555555557", "ServicePrincipal")),
    # none: Owner started, then failed
    act(t(2, 12, 15), RAW, "Start", admin, RA + "a1a1a1a1-0000-4000-8000-000000000004",
        assign(RA + "a1a1a1a1-0000-4000-8000-000000000004", OWNER,
               "99999999-8888-7777-6666-555555555558", "User")),
    act(t(2, 12, 15, 3), RAW, "Failure", admin, RA + "a1a1a1a1-0000-4000-8000-000000000004"),
    # exposure, high: a container opened to anonymous reads; none: closed
    act(t(2, 12, 20), "Microsoft.Storage/storageAccounts/blobServices/containers/write",
        "Success", admin, "/subscriptions/%s/resourceGroups/web/providers/Microsoft.Storage/"
        "storageAccounts/corpweb/blobServices/default/containers/downloads" % SUB,
        {"properties": {"publicAccess": "Container"}}),
    act(t(2, 12, 21), "Microsoft.Storage/storageAccounts/blobServices/containers/write",
        "Success", admin, "/subscriptions/%s/resourceGroups/web/providers/Microsoft.Storage/"
        "storageAccounts/corpweb/blobServices/default/containers/private" % SUB,
        {"properties": {"publicAccess": "None"}}),
]
os.makedirs(os.path.join(OUT, "azure"), exist_ok=True)
json.dump({"records": az}, open(os.path.join(OUT, "azure", "activity.json"), "w"))


# ---- Entra ID audit (diagnostic settings) -------------------------------------------
def audit(when, activity, category, targets):
    n[0] += 1
    return {"time": when, "resourceId": "/tenants/%s/providers/Microsoft.aadiam" % TEN,
            "operationName": activity, "category": "AuditLogs", "tenantId": TEN,
            "resultSignature": "None", "callerIpAddress": "198.51.100.70",
            "correlationId": "a0d17000-0000-4000-8000-%012d" % n[0], "Level": 4,
            "properties": {"id": "Directory_a0d17000_%d" % n[0], "category": category,
                           "correlationId": "a0d17000-0000-4000-8000-%012d" % n[0],
                           "result": "success", "activityDisplayName": activity,
                           "activityDateTime": when, "loggedByService": "Core Directory",
                           "operationType": "Assign", "initiatedBy": {"user": {
                               "id": "11111111-2222-3333-4444-555555555555",
                               "userPrincipalName": "admin@corp.test",
                               "ipAddress": "198.51.100.70"}},
                           "targetResources": targets}}


def role_target(role):
    return {"id": "62e90394-69f5-4237-9190-012177145e10", "displayName": role, "type": "Role"}


aad = [
    # privilege_grant, high: Global Administrator to a guest
    audit(t(2, 12, 30), "Add member to role", "RoleManagement", [
        {"id": "44444444-0000-4000-8000-000000000001", "type": "User",
         "userPrincipalName": "guest_x#EXT#@corp.onmicrosoft.com",
         "modifiedProperties": [{"displayName": "Role.DisplayName", "oldValue": None,
                                 "newValue": "\"Global Administrator\""}]},
        role_target("Global Administrator")]),
    # none: a reader role
    audit(t(2, 12, 31), "Add member to role", "RoleManagement", [
        {"id": "44444444-0000-4000-8000-000000000002", "type": "User",
         "userPrincipalName": "bob@corp.test"}, role_target("Reports Reader")]),
    # credential_persistence, medium: credentials added to a service principal
    audit(t(2, 12, 32), "Add service principal credentials", "ApplicationManagement", [
        {"id": "55555555-0000-4000-8000-000000000001", "type": "ServicePrincipal",
         "displayName": "Payroll API"}]),
]
os.makedirs(os.path.join(OUT, "entra"), exist_ok=True)
json.dump({"records": aad}, open(os.path.join(OUT, "entra", "audit.json"), "w"))


# ---- Google Cloud audit logs ------------------------------------------------------------
def gcp(when, who, method, service, resource, deltas=None, extra=None, labels=None,
        rtype="project"):
    n[0] += 1
    pp = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
          "authenticationInfo": {"principalEmail": who},
          "requestMetadata": {"callerIp": "198.51.100.80",
                              "callerSuppliedUserAgent": "google-cloud-sdk gcloud/470.0.0"},
          "serviceName": service, "methodName": method, "resourceName": resource,
          "authorizationInfo": [{"resource": resource, "permission": "x", "granted": True}]}
    if deltas is not None:
        pp["serviceData"] = {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                             "policyDelta": {"bindingDeltas": deltas}}
    if extra:
        pp.update(extra)
    lab = {"project_id": PROJ}
    if labels:
        lab.update(labels)
    return {"insertId": "ins%06d" % n[0], "logName": "projects/%s/logs/cloudaudit.googleapis.com"
            "%%2Factivity" % PROJ, "protoPayload": pp, "resource": {"type": rtype, "labels": lab},
            "severity": "NOTICE", "timestamp": when, "receiveTimestamp": when}


def add(member, role):
    return [{"action": "ADD", "member": member, "role": role}]


SA = "deployer@%s.iam.gserviceaccount.com" % PROJ
gl = [
    # privilege_grant, high: roles/owner to a gmail user; none: a viewer inside
    gcp(t(2, 13, 0), "ann@corp.test", "SetIamPolicy", "cloudresourcemanager.googleapis.com",
        "projects/" + PROJ, add("user:outsider@gmail.com", "roles/owner")),
    gcp(t(2, 13, 1), "ann@corp.test", "SetIamPolicy", "cloudresourcemanager.googleapis.com",
        "projects/" + PROJ, add("user:bob@corp.test", "roles/viewer")),
    # exposure, high: a bucket readable by allUsers; medium: by an outside partner
    gcp(t(2, 13, 2), "bob@corp.test", "storage.setIamPermissions", "storage.googleapis.com",
        "projects/_/buckets/corp-public", add("allUsers", "roles/storage.objectViewer"),
        rtype="gcs_bucket", labels={"bucket_name": "corp-public"}),
    gcp(t(2, 13, 3), "bob@corp.test", "storage.setIamPermissions", "storage.googleapis.com",
        "projects/_/buckets/corp-share", add("user:partner@vendor.example",
                                             "roles/storage.objectViewer"),
        rtype="gcs_bucket", labels={"bucket_name": "corp-share"}),
    # credential_persistence, low: a person creates a service-account key; none: automation
    gcp(t(2, 13, 4), "bob@corp.test", "google.iam.admin.v1.CreateServiceAccountKey",
        "iam.googleapis.com", "projects/-/serviceAccounts/1234567890",
        extra={"response": {"name": "projects/%s/serviceAccounts/%s/keys/0a1b2c3d4e5f" % (
            PROJ, SA)}}, rtype="service_account", labels={"email_id": SA}),
    gcp(t(2, 13, 5), SA, "google.iam.admin.v1.CreateServiceAccountKey", "iam.googleapis.com",
        "projects/-/serviceAccounts/1234567891",
        extra={"response": {"name": "projects/%s/serviceAccounts/app@%s.iam.gserviceaccount.com"
                                    "/keys/9f8e7d6c" % (PROJ, PROJ)}},
        rtype="service_account", labels={"email_id": "app@%s.iam.gserviceaccount.com" % PROJ}),
    # privilege_grant, medium: roles/editor to a service account of an unknown project
    gcp(t(2, 13, 6), "ann@corp.test", "SetIamPolicy", "cloudresourcemanager.googleapis.com",
        "projects/" + PROJ,
        add("serviceAccount:ci@other-project-9.iam.gserviceaccount.com", "roles/editor")),
]
os.makedirs(os.path.join(OUT, "gcp"), exist_ok=True)
with open(os.path.join(OUT, "gcp", "audit.jsonl"), "w") as f:
    for r in gl:
        f.write(json.dumps(r) + "\n")
