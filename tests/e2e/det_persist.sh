#!/bin/sh
# det_persist.sh — credential_persistence, privilege_grant, exposure and
# log_silence end to end:
#  1. hand-made records of every provider (det_persist_records.py): each
#     positive and its negative twin, checked finding by finding (severity,
#     summary, entities) with nothing else reported; a second hunt adds no
#     duplicates;
#  2. `kumo gen --events 100000 --providers aws,azure,gcp`: the story's
#     IAM user + key chain, AdministratorAccess, roles/owner to a gmail user
#     and service-account key are found with their entities, and nothing
#     else of medium or above;
#  3. log_silence on the generated CloudTrail files: the story account's
#     trail files removed after its StopLogging (high), an interior gap
#     without tampering (medium), data that simply ends for one provider or
#     for everything (nothing);
#  4. the corpus (read at run time): Stratus Red Team detonations, and
#     Panther's labelled test events one per store (positives and negatives).
. "$(dirname "$0")/lib.sh"
PY=python3
command -v $PY >/dev/null 2>&1 || { fail det_persist_needs_python3; finish; exit; }
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK="$PY $HERE/det_persist_check.py"
DETS=credential_persistence,privilege_grant,exposure,log_silence
hunt() { "$KUMO" --store "$1" hunt -q --only "${2:-$DETS}" ${3:+--config "$3"} >/dev/null 2>&1; }
findings() { "$KUMO" --store "$1" findings --format json 2>/dev/null; }

# ---- 1. hand-made records ---------------------------------------------------------
S="$T/syn"
$PY "$HERE/det_persist_records.py" "$T/rec" \
  && "$KUMO" -q --store "$S" ingest "$T/rec" >/dev/null 2>&1 \
  || { fail det_persist_setup "records/ingest failed"; finish; exit; }
hunt "$S" && findings "$S" > "$T/syn.json" || fail det_persist_hunt "hunt failed"
cat > "$T/syn.spec" <<'EOF'
# credential_persistence
credential_persistence|high|eve.ops created IAM user svc-shadow and gave it an access key (AKIASHADOW0000000001) and a console password within 60s|identities=eve.ops,identities=svc-shadow,access_keys=AKIASHADOW0000000001,access_keys=AKIAEVE0000000000001,ips=198.51.100.10,ips=192.0.2.99,accounts=111122223333,resources=arn:aws:iam::111122223333:user/svc-shadow,first=2026-03-02T10:00:00Z,last=2026-03-02T12:00:30Z,details="used_from_new_address": true,event_ids=0f0e0d0c-0000-4000-8000-000000000005
credential_persistence|low|dev.user created an access key (AKIADEVNEW000000001) for their own user|identities=dev.user
credential_persistence|medium|ann.admin created an access key (AKIAREPORT000000001) for another IAM user, svc-report|identities=svc-report,access_keys=AKIAREPORT000000001
credential_persistence|low|ops@corp.test created an access key (AKIACINEW0000000001) for another IAM user, svc-ci|persons=ops@corp.test
credential_persistence|low|carl.ops created IAM user svc-late in aws|identities=svc-late
credential_persistence|medium|carl.ops created an access key (AKIALATE0000000001) for another IAM user, svc-late|
credential_persistence|medium|created a SAML identity provider arn:aws:iam::111122223333:saml-provider/Partner|resources=arn:aws:iam::111122223333:saml-provider/Partner
credential_persistence|medium|changed the trust policy of role vendor-access: it now trusts account(s) outside the organisation: 999988887777|roles=vendor-access
credential_persistence|medium|admin@corp.test added credentials to service principal Payroll API in azure|persons=admin@corp.test
credential_persistence|low|bob@corp.test created a key for service account deployer@corp-prod-1.iam.gserviceaccount.com|identities=deployer@corp-prod-1.iam.gserviceaccount.com,access_keys=0a1b2c3d4e5f
!credential_persistence|ec2-role
!credential_persistence|app@corp-prod-1
# privilege_grant
privilege_grant|high|eve.ops granted arn:aws:iam::aws:policy/AdministratorAccess to user svc-shadow (created shortly before)|identities=svc-shadow,roles=arn:aws:iam::aws:policy/AdministratorAccess,accounts=111122223333
privilege_grant|medium|ops@corp.test gave role ci-deploy an inline policy all allowing every action|roles=inline policy all
privilege_grant|low|granted arn:aws:iam::aws:policy/AdministratorAccess to role tf-admin|
privilege_grant|medium|made an administrator version ("*" or iam:*) the default of policy arn:aws:iam::111122223333:policy/app-policy|
privilege_grant|medium|ann.admin added user bob to group Admins|identities=bob
privilege_grant|medium|admin@corp.test granted Owner to User 99999999-8888-7777-6666-555555555555|roles=Owner,resources=/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590
privilege_grant|low|granted Owner to ServicePrincipal 99999999-8888-7777-6666-555555555557|
privilege_grant|high|granted Global Administrator to User guest_x#EXT#@corp.onmicrosoft.com (outside the organisation)|roles=Global Administrator
privilege_grant|high|ann@corp.test granted roles/owner to principal user:outsider@gmail.com (outside the organisation)|identities=outsider@gmail.com,roles=roles/owner,resources=projects/corp-prod-1,accounts=corp-prod-1
privilege_grant|medium|granted roles/editor to principal serviceAccount:ci@other-project-9.iam.gserviceaccount.com (outside the organisation)|
!privilege_grant|app-role
!privilege_grant|99999999-8888-7777-6666-555555555556
!privilege_grant|99999999-8888-7777-6666-555555555558
!privilege_grant|Reports Reader
!privilege_grant|bob@corp.test (
# exposure
exposure|high|S3 bucket arn:aws:s3:::public-site was made public|resources=arn:aws:s3:::public-site,identities=ops@corp.test,ips=198.51.100.40
exposure|high|S3 bucket arn:aws:s3:::legacy-files was made public: an ACL|
exposure|medium|EBS snapshot snap-0aaa was shared with account(s) outside the organisation|accounts=999988887777,resources=snap-0aaa
exposure|high|AMI ami-0ccc was made public|
exposure|medium|S3 bucket arn:aws:s3:::data-lake lost its public access block|
exposure|high|RDS snapshot orders-final was made public|
exposure|high|containers/downloads was made public (anonymous Container access)|
exposure|high|buckets/corp-public was made public (allUsers|
exposure|medium|buckets/corp-share was shared outside the organisation (user:partner@vendor.example|identities=partner@vendor.example
!exposure|vpc-only
!exposure|snap-0bbb
!exposure|denied-site
!exposure|containers/private
EOF
$CHECK "$T/syn.json" "$T/syn.spec" exact syn || fails=$((fails + 1))

# a second hunt adds nothing; the same findings are recorded once
n1=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/syn.json")
"$KUMO" --store "$S" hunt --only $DETS --json 2>/dev/null > "$T/rerun.json"
n2=$(findings "$S" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
check det_persist_rerun_no_duplicates [ "$n1" = "$n2" ] && [ "$n1" -gt 20 ]
check det_persist_rerun_adds_nothing grep -q '"new":0' "$T/rerun.json"

# the allow-list turns the created key's use from a listed address into a non-event
printf '[allow]\nnetworks = 192.0.2.0/24\n' > "$T/allow.conf"
S2="$T/syn2"
"$KUMO" -q --store "$S2" ingest "$T/rec" >/dev/null 2>&1
hunt "$S2" credential_persistence "$T/allow.conf"
findings "$S2" > "$T/syn2.json"
cat > "$T/syn2.spec" <<'EOF'
credential_persistence|high|eve.ops created IAM user svc-shadow and gave it an access key (AKIASHADOW0000000001) and a console password within 60s in aws 111122223333 from 198.51.100.10.|
EOF
$CHECK "$T/syn2.json" "$T/syn2.spec" "" allowed || fails=$((fails + 1))

# ---- 2. the generated organisation ----------------------------------------------------
G="$T/gen"; SG="$T/sgen"
"$KUMO" -q gen --out "$G" --events 100000 --providers aws,azure,gcp >/dev/null 2>&1 \
  && "$KUMO" -q --store "$SG" ingest "$G" >/dev/null 2>&1 \
  || { fail det_persist_gen_setup "gen/ingest failed"; finish; exit; }
hunt "$SG" && findings "$SG" > "$T/gen.json" || fail det_persist_gen_hunt
# the story's account, key and project, as the events say
"$KUMO" --store "$SG" events --action CreateUser --format jsonl > "$T/cu.jsonl"
"$KUMO" --store "$SG" events --action SetIamPolicy --ip 203.0.113.66 --format jsonl > "$T/sip.jsonl"
ACCT=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["account"])' "$T/cu.jsonl")
KEY=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["actor.access_key"])' "$T/cu.jsonl")
PROJ=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["account"])' "$T/sip.jsonl")
cat > "$T/gen.spec" <<EOF
credential_persistence|high|mallory.ops created IAM user backup-admin and gave it an access key|identities=mallory.ops,identities=backup-admin,accounts=$ACCT,ips=203.0.113.66,access_keys=$KEY,resources=arn:aws:iam::$ACCT:user/backup-admin
credential_persistence|low|mallory.mehta@example.org created a key for service account terraform@$PROJ.iam.gserviceaccount.com in gcp $PROJ from 203.0.113.66|persons=mallory.mehta@example.org,accounts=$PROJ
privilege_grant|high|mallory.ops granted arn:aws:iam::aws:policy/AdministratorAccess to user backup-admin (created shortly before)|identities=backup-admin,roles=arn:aws:iam::aws:policy/AdministratorAccess,accounts=$ACCT,ips=203.0.113.66
privilege_grant|high|granted roles/owner to principal user:cloudbackup.ops@gmail.com (outside the organisation)|persons=mallory.mehta@example.org,identities=cloudbackup.ops@gmail.com,roles=roles/owner,accounts=$PROJ,ips=203.0.113.66
max:credential_persistence|low
max:privilege_grant|low
max:exposure|low
max:log_silence|low
EOF
$CHECK "$T/gen.json" "$T/gen.spec" "" gen || fails=$((fails + 1))

# ---- 3. log_silence on the generated CloudTrail files -----------------------------------
# The generator does not stop the story's trail: the variants below are subsets of
# its files (hard links), some removed. subset DST SPEC...: AWS accounts to keep
# (aws:ACCT), Google's logs (gcp), and removals: cut:ACCT:STAMP (that account's
# CloudTrail files stamped after STAMP), hole:ACCT:REGION:DAY:H0:H1 (hours H0..H1-1
# of one day), awsend:DAY / gcpend:DAY (everything after that day of October).
cat > "$T/subset.py" <<'EOF'
import os, re, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
spec = [a.split(":") for a in sys.argv[3:]]
accts = [x[1] for x in spec if x[0] == "aws"]
def keep(rel):
    m = re.match(r"AWSLogs/(\d+)/CloudTrail/([^/]+)/\d+/\d+/(\d+)/.*_(\d{8})T(\d\d)(\d\d)Z_", rel)
    if m:
        acct, region, day, date, hh, mm = m.groups()
        if acct not in accts:
            return False
        for x in spec:
            if x[0] == "cut" and x[1] == acct and date + "T" + hh + mm + "Z" > x[2]:
                return False
            if x[0] == "hole" and x[1] == acct and x[2] == region and day == x[3] \
               and int(x[4]) <= int(hh) < int(x[5]):
                return False
            if x[0] == "awsend" and int(day) > int(x[1]):
                return False
        return True
    m = re.match(r"cloudaudit\.googleapis\.com/[^/]+/\d+/\d+/(\d+)/", rel)
    if m:
        return ["gcp"] in spec and not any(x[0] == "gcpend" and int(m.group(1)) > int(x[1])
                                          for x in spec)
    return False
for root, dirs, files in os.walk(src):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), src)
        if keep(rel):
            out = os.path.join(dst, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            try:
                os.link(os.path.join(src, rel), out)
            except OSError:
                shutil.copy(os.path.join(src, rel), out)
EOF
variant() { # NAME SPEC...: the subset ingested, log_silence run, findings in $T/NAME.json
  v=$1; shift
  $PY "$T/subset.py" "$G" "$T/$v" "$@" && "$KUMO" -q --store "$T/s$v" ingest "$T/$v" >/dev/null 2>&1
  hunt "$T/s$v" log_silence && findings "$T/s$v" > "$T/$v.json"
  rm -rf "$T/$v"
}
nfind() { $PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$1"; }
STOP=$("$KUMO" --store "$SG" events --action StopLogging --format jsonl | $PY -c '
import datetime, json, sys
e = json.loads(sys.stdin.readline())
t = datetime.datetime.strptime(e["time"][:19], "%Y-%m-%dT%H:%M:%S") + datetime.timedelta(minutes=5)
print(t.strftime("%Y%m%dT%H%MZ"))')
OTHER=$(ls "$G/AWSLogs" | grep -v "^$ACCT\$" | head -n 1)
# a: the story account's files end after its StopLogging, beside a healthy account
variant sa aws:$ACCT aws:$OTHER gcp cut:$ACCT:$STOP
cat > "$T/sa.spec" <<EOF
log_silence|high|The aws.cloudtrail log of $ACCT eu-west-1 went silent|accounts=$ACCT,resources=aws aws.cloudtrail $ACCT eu-west-1,identities=mallory.ops,ips=203.0.113.66
!log_silence|$OTHER
!log_silence|gcp
EOF
$CHECK "$T/sa.json" "$T/sa.spec" "" silence_stopped || fails=$((fails + 1))
$PY - "$T/sa.json" <<'EOF' && ok det_persist_silence_evidence || fail det_persist_silence_evidence
import json, sys
f = [x for x in json.load(open(sys.argv[1])) if "eu-west-1" in x["summary"]][0]
acts = [e["action"] for e in f["evidence"]]
# the last event before the silence and the tampering itself prove it
sys.exit(0 if "StopLogging" in acts and "to the end of the data" in f["summary"] else 1)
EOF
# b: the same without the removal: nothing
variant sb aws:$ACCT aws:$OTHER gcp
check det_persist_silence_none_when_logging [ "$(nfind "$T/sb.json")" = 0 ]
# c: eight hours missing from the healthy account's busiest region, no tampering
BUSY=$("$KUMO" --store "$SG" query "filter account = \"$OTHER\" | stats count() as n by region | sort n desc | limit 1" \
       | sed -n 2p | awk '{print $1}')
variant sc aws:$ACCT aws:$OTHER gcp hole:$OTHER:$BUSY:05:08:16
cat > "$T/sc.spec" <<EOF
log_silence|medium|The aws.cloudtrail log of $OTHER $BUSY went silent for|accounts=$OTHER,first=2026-10-05T07:
EOF
$CHECK "$T/sc.json" "$T/sc.spec" exact silence_gap || fails=$((fails + 1))
# d: the AWS export ends two days before Google's (the data ends, not a stream): nothing
variant sd aws:$OTHER gcp awsend:05
check det_persist_silence_none_when_a_provider_ends [ "$(nfind "$T/sd.json")" = 0 ]
# e: everything ends early: nothing
variant se aws:$OTHER gcp awsend:05 gcpend:05
check det_persist_silence_none_when_data_ends [ "$(nfind "$T/se.json")" = 0 ]

# f: 5000 streams in one segment (one region each): bounded, no silence invented
$PY - "$T/many" <<'EOF'
import json, os, sys
os.makedirs(sys.argv[1])
recs = [{"eventVersion": "1.09", "eventTime": "2026-03-02T%02d:%02d:%02dZ" % (i // 3600 % 24, i // 60 % 60, i % 60),
         "userIdentity": {"type": "IAMUser", "userName": "u", "accountId": "111122223333",
                          "arn": "arn:aws:iam::111122223333:user/u"},
         "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "awsRegion": "r-%d" % i,
         "sourceIPAddress": "198.51.100.1", "eventID": "00000000-0000-4000-8000-%012d" % i,
         "eventType": "AwsApiCall", "recipientAccountId": "111122223333"} for i in range(5000)]
json.dump({"Records": recs}, open(os.path.join(sys.argv[1], "t.json"), "w"))
EOF
"$KUMO" -q --store "$T/smany" ingest "$T/many" >/dev/null 2>&1
"$KUMO" -v --store "$T/smany" hunt --only log_silence --no-save > "$T/many.out" 2>&1
check det_persist_silence_bounded_streams grep -q "rows beyond 2048 streams" "$T/many.out"

# ---- 4. the corpus ---------------------------------------------------------------------
ST="$CORPUS/stratus-red-team-detonation-logs/docs/detonation-logs"
if [ -d "$ST" ]; then
  for t in persistence.iam-create-admin-user persistence.iam-backdoor-user \
           persistence.iam-create-user-login-profile privilege-escalation.iam-update-user-login-profile \
           persistence.iam-backdoor-role persistence.iam-create-backdoor-role \
           persistence.rolesanywhere-create-trust-anchor exfiltration.ec2-share-ebs-snapshot \
           exfiltration.ec2-share-ami exfiltration.rds-share-snapshot \
           defense-evasion.cloudtrail-stop credential-access.secretsmanager-retrieve-secrets \
           discovery.ec2-download-user-data execution.ec2-user-data; do
    "$KUMO" -q --store "$T/sst" ingest "$ST/aws.$t.json" >/dev/null 2>&1
  done
  hunt "$T/sst" && findings "$T/sst" > "$T/st.json"
  cat > "$T/st.spec" <<'EOF'
credential_persistence|high|christophe created IAM user malicious-iam-user and gave it an access key (AKIAXAFZN8JEPF6L682H)|identities=malicious-iam-user,access_keys=AKIAXAFZN8JEPF6L682H
credential_persistence|medium|christophe created an access key (AKIAL80DWDVKKM0UXEER) for another IAM user, stratus-red-team-backdoor-u-user|
credential_persistence|medium|christophe set the console password of IAM user stratus-red-team-login-profile-user without requiring a reset|
credential_persistence|medium|christophe changed the console password of IAM user stratus-red-team-update-login-profile-user without requiring a reset|
credential_persistence|medium|changed the trust policy of role stratus-red-team-backdoor-r-role: it now trusts account(s) outside the organisation|
credential_persistence|medium|created role stratus-red-team-malicious-iam-role, which trusts account(s) outside the organisation|
credential_persistence|medium|created an IAM Roles Anywhere trust anchor|
privilege_grant|high|granted arn:aws:iam::aws:policy/AdministratorAccess to user malicious-iam-user (created shortly before)|
privilege_grant|high|granted arn:aws:iam::aws:policy/AdministratorAccess to role stratus-red-team-malicious-iam-role (created shortly before)|
exposure|medium|EBS snapshot snap-041993b54a9b3af6f was shared with account(s) outside the organisation|accounts=098797384747
exposure|medium|AMI ami-de1fbCab6ccB03e6D was shared with account(s) outside the organisation|accounts=846424999548
exposure|medium|RDS snapshot exfiltration was shared with account(s) outside the organisation|accounts=503161813013
max:log_silence|info
EOF
  $CHECK "$T/st.json" "$T/st.spec" exact stratus || fails=$((fails + 1))
else
  fail det_persist_stratus_corpus "missing $ST"
fi

# Panther's labelled tests: each Log in its own store; the expected severity is
# ours (none = no finding of the detection; below = none of medium or above).
PA="$CORPUS/panther-analysis-tests/extracted"
if [ -d "$PA" ]; then
  cat > "$T/pa.cases" <<'EOF'
AWS_CloudTrail|AWS.IAM.Backdoor.User.Keys|user1 create keys for user1|credential_persistence|below
AWS_CloudTrail|AWS.IAM.Backdoor.User.Keys|user1 create keys for user2|credential_persistence|medium
AWS_CloudTrail|AWS.IAM.Backdoor.User.Keys|jackson create keys for jack|credential_persistence|medium
AWS_CloudTrail|AWS.IAM.Backdoor.User.Keys|CreateKey returns error code|credential_persistence|none
AWS_CloudTrail|AWS.IAM.AttachAdminUserPolicy|IAM User Policy Attached with Administrator Access|privilege_grant|medium
AWS_CloudTrail|AWS.IAM.AttachAdminUserPolicy|IAM User Policy Attached without Administrator Access|privilege_grant|none
AWS_CloudTrail|AWS.IAM.AttachAdminRolePolicy|IAM Role Policy Attached with Administrator Access|privilege_grant|medium
AWS_CloudTrail|AWS.IAM.AttachAdminRolePolicy|IAM Role Policy Attached without Administrator Access|privilege_grant|none
AWS_CloudTrail|AWS.IAM.BackdoorRole|IAM Role Policy Updated to Allow Internet Access|credential_persistence|medium
AWS_CloudTrail|AWS.IAM.BackdoorRole|IAM Role Policy Updated Without Internet Access|credential_persistence|none
AWS_CloudTrail|AWS.User.Login.Profile.Modified|ChangeOwnPassword|credential_persistence|below
AWS_CloudTrail|AWS.User.Login.Profile.Modified|User changed password for other|credential_persistence|medium
AWS_CloudTrail|AWS.User.Login.Profile.Modified|User changed password for other reset required|credential_persistence|below
AWS_CloudTrail|AWS.CloudTrail.AMIModifiedForPublicAccess|AMI Made Public|exposure|high
AWS_CloudTrail|AWS.CloudTrail.AMIModifiedForPublicAccess|AMI Not Made Public|exposure|none
AWS_CloudTrail|AWS.CloudTrail.AMIModifiedForPublicAccess|AMI Added to User|exposure|none
AWS_CloudTrail|AWS.CloudTrail.AMIModifiedForPublicAccess|Error Making AMI Public|exposure|none
AWS_CloudTrail|AWS.CloudTrail.AMIModifiedForPublicAccess|Access Granted To Unknown User|exposure|medium
AWS_CloudTrail|AWS.CloudTrail.SnapshotMadePublic|Snapshot Made Publicly Accessible|exposure|high
AWS_CloudTrail|AWS.CloudTrail.SnapshotMadePublic|Snapshot Not Made Publicly Accessible|exposure|none
AWS_CloudTrail|AWS.CloudTrail.SnapshotMadePublic|Error Making Snapshot Publicly Accessible|exposure|none
AWS_CloudTrail|AWS.RDS.SnapshotShared|Snapshot shared with another account|exposure|medium
AWS_CloudTrail|AWS.RDS.SnapshotShared|Snapshot shared with no accounts|exposure|none
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|ECR Made Public|exposure|high
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|S3 Made Publicly Accessible|exposure|high
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|S3 Not Made Publicly Accessible|exposure|none
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|S3 Failed to make Publicly Accessible|exposure|none
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|Invalid JSON Policy (Should Not Alert)|exposure|none
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|Multiple Conditions All Restrictive (Should Not Alert)|exposure|none
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|Mixed Conditions Some Restrictive (Should Alert)|exposure|high
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|Wildcard Principal No Conditions (Should Alert)|exposure|high
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|Secrets Manager Restricted Access (Should Not Alert)|exposure|none
AWS_CloudTrail|AWS.CloudTrail.ResourceMadePublic|KMS Key Restricted Access (Should Not Alert)|exposure|none
AWS_CloudTrail|AWS.S3.DeletePublicAccessBlock|Public Access Block Deleted Successfully|exposure|medium
AWS_CloudTrail|AWS.S3.DeletePublicAccessBlock|Public Access Block Deletion Failed|exposure|none
AWS_CloudTrail|AWS.S3.DeletePublicAccessBlock|Different S3 Event|exposure|none
GCP_AuditLog|GCP.GCS.Public|GCS AllUsers Read Permission|exposure|high
GCP_AuditLog|GCP.IAM.CorporateEmail|Gmail account added|exposure|medium
GCP_AuditLog|GCP.IAM.CorporateEmail|Expected account added|exposure|none
GCP_AuditLog|GCP.IAM.CorporateEmail|Expected GCP service account added by Service Agent Manager|exposure|none
GCP_AuditLog|Standard.AdminRoleAssigned|GCP - Admin Assigned|privilege_grant|medium
GCP_AuditLog|GCP.Project.ExternalUserOwnershipInvite|External User Ownership Invite|privilege_grant|high
GCP_AuditLog|GCP.Project.ExternalUserOwnershipInvite|Internal User Ownership Invite|privilege_grant|medium
GCP_AuditLog|GCP.Service.Account.or.Keys.Created|Created Service Account Key|credential_persistence|low
Azure_MonitorActivity|Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Owner Role Assignment|privilege_grant|medium
Azure_MonitorActivity|Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Non-Privileged Role Assignment|privilege_grant|none
Azure_MonitorActivity|Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Elevated Role Assignment (Storage Blob Data Owner)|privilege_grant|low
Azure_MonitorActivity|Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Elevate Access to All Azure Subscriptions|privilege_grant|high
Azure_MonitorActivity|Azure.MonitorActivity.StorageAccount.BlobAnonymousAccessEnabled|Storage Account Anonymous Access Enabled|exposure|medium
Azure_MonitorActivity|Azure.MonitorActivity.StorageAccount.BlobAnonymousAccessEnabled|Storage Account Anonymous Access Disabled|exposure|none
Azure_MonitorActivity|Azure.MonitorActivity.StorageAccount.BlobAnonymousAccessEnabled|Container Public Access Set to Blob|exposure|high
Azure_MonitorActivity|Azure.MonitorActivity.StorageAccount.BlobAnonymousAccessEnabled|Container Public Access Set to None|exposure|none
Azure_Audit|Azure.Audit.ServicePrincipalCredentialsAdded|Add Service Principal Credentials|credential_persistence|medium
Azure_Audit|Azure.Audit.ServicePrincipalCredentialsAdded|Create Service Principal|credential_persistence|none
Azure_Audit|Azure.Audit.RoleChangedPIM|Successfully added PIM role|privilege_grant|medium
Azure_Audit|Azure.Audit.RoleChangedPIM|requested adding PIM role|privilege_grant|none
Azure_Audit|Azure.Audit.ElevateUserAccessAdministrator|User Elevated to User Access Administrator|privilege_grant|high
EOF
  printf '[identity]\ndomains = runpanther.com, company.com, example.com, lotr.com\n' > "$T/pa.conf"
  $PY - "$PA" "$T/pa.cases" "$T/pa" <<'EOF' > "$T/pa.n"
import json, os, sys
src, cases, out = sys.argv[1:4]
n = 0
for line in open(cases):
    f, rule, test, det, exp = line.rstrip("\n").split("|")
    labels = [json.loads(l) for l in open(os.path.join(src, f + ".labels.jsonl"))]
    logs = open(os.path.join(src, f + ".jsonl")).read().splitlines()
    hits = [log for lab, log in zip(labels, logs)
            if lab["rule_id"] == rule and lab["test_name"] == test]
    n += 1
    d = os.path.join(out, "c%03d" % n)
    os.makedirs(d)
    open(os.path.join(d, "case"), "w").write("%s|%s|%s\n" % (det, exp, rule + ": " + test))
    if len(hits) == 1:
        open(os.path.join(d, "log.jsonl"), "w").write(hits[0] + "\n")
print(n)
EOF
  for d in "$T"/pa/c*; do
    IFS='|' read -r det exp name < "$d/case"
    [ -f "$d/log.jsonl" ] || continue
    "$KUMO" -q --store "$d/s" ingest "$d/log.jsonl" >/dev/null 2>&1
    "$KUMO" --store "$d/s" hunt -q --no-save --json --only "$det" --config "$T/pa.conf" \
      > "$d/hunt.json" 2>/dev/null
  done
  $PY - "$T/pa" <<'EOF' || fails=$((fails + 1))
import glob, json, os, sys
order = ["info", "low", "medium", "high", "critical"]
bad = 0
for d in sorted(glob.glob(os.path.join(sys.argv[1], "c*"))):
    det, exp, name = open(os.path.join(d, "case")).read().rstrip("\n").split("|", 2)
    nm = "det_persist_panther_" + "".join(c if c.isalnum() else "_" for c in name)
    if not os.path.exists(os.path.join(d, "log.jsonl")):
        print("FAIL - %s\n  test event not found" % nm); bad += 1; continue
    try:
        by = json.load(open(os.path.join(d, "hunt.json")))["by_severity"]
        got = max([order.index(k) for k, v in by.items() if v], default=-1)
    except Exception:
        print("FAIL - %s\n  hunt failed" % nm); bad += 1; continue
    want = {"none": got == -1, "below": got < 2, "low": got == 1, "medium": got == 2,
            "high": got == 3}[exp]
    if want:
        print("ok - " + nm)
    else:
        print("FAIL - %s\n  %s: got %s, want %s" % (nm, det, order[got] if got >= 0 else "none", exp))
        bad += 1
sys.exit(1 if bad else 0)
EOF
else
  fail det_persist_panther_corpus "missing $PA"
fi
finish
