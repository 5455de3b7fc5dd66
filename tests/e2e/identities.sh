#!/bin/sh
# identities.sh — persons across clouds end to end (docs/identities.md).
# Part 1 writes a small three-cloud store: alice.ito is an IAM user with no
# e-mail (111111111111), an IAM Identity Center session, an Entra user with a
# display name and an object id, an Azure Activity caller known only by that
# object id, a Google principal and the person behind a service account's
# delegation chain; a namesake IAM user alice.ito lives in 333333333333; bob
# has an Entra account and an IAM user. It checks `kumo identities` (table
# and JSON), `timeline --actor`, `entity`, `query ... by person`, a map file
# that links and one that unlinks, a bad map file, and a read-only copy of
# the store. Part 2 checks the generator's people; part 3 a corpus record.
. "$(dirname "$0")/lib.sh"
S="$T/store"
k() { "$KUMO" --store "$S" "$@"; }
command -v jq >/dev/null 2>&1 || { fail identities_needs_jq; finish; exit; }
OID=0f5f197a-9a66-42cb-9597-39352ca2df19
A=alice.ito@corp.test

# ---- part 1: records written here -----------------------------------------------
mkdir -p "$T/in"
ct() { # ct EVENTID TIME ACCOUNT USERIDENTITY-JSON EVENTNAME
  printf '{"eventVersion":"1.08","userIdentity":%s,"eventTime":"%s","eventSource":"sts.amazonaws.com","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestID":"req-%s","eventID":"%s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s"}' \
    "$4" "$2" "$5" "$1" "$1" "$3"
}
IAM_ALICE='{"type":"IAMUser","principalId":"AIDAALICE0000000001","arn":"arn:aws:iam::111111111111:user/alice.ito","accountId":"111111111111","accessKeyId":"AKIAALICE00000000001","userName":"alice.ito"}'
IAM_NAMESAKE='{"type":"IAMUser","principalId":"AIDANAMESAKE000001","arn":"arn:aws:iam::333333333333:user/alice.ito","accountId":"333333333333","userName":"alice.ito"}'
SSO_ALICE='{"type":"AssumedRole","principalId":"AROASSO00000000001:alice.ito@corp.test","arn":"arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_AdminAccess_0123456789abcdef/alice.ito@corp.test","accountId":"222222222222","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROASSO00000000001","arn":"arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdminAccess_0123456789abcdef","accountId":"222222222222","userName":"AWSReservedSSO_AdminAccess_0123456789abcdef"},"attributes":{"creationDate":"2026-03-02T09:59:00Z","mfaAuthenticated":"false"}}}'
IAM_BOB='{"type":"IAMUser","principalId":"AIDABOB00000000001","arn":"arn:aws:iam::111111111111:user/bob","accountId":"111111111111","userName":"bob"}'
ROOT='{"type":"Root","principalId":"111111111111","arn":"arn:aws:iam::111111111111:root","accountId":"111111111111"}'
{
  printf '{"Records":['
  ct 11111111-0000-4000-8000-000000000001 2026-03-02T09:00:00Z 111111111111 "$IAM_ALICE" GetCallerIdentity; printf ','
  ct 11111111-0000-4000-8000-000000000002 2026-03-02T09:01:00Z 111111111111 "$IAM_ALICE" ListBuckets; printf ','
  ct 11111111-0000-4000-8000-000000000003 2026-03-02T09:02:00Z 111111111111 "$IAM_ALICE" ListUsers; printf ','
  ct 11111111-0000-4000-8000-000000000004 2026-03-02T10:00:00Z 222222222222 "$SSO_ALICE" DescribeInstances; printf ','
  ct 11111111-0000-4000-8000-000000000005 2026-03-02T11:00:00Z 111111111111 "$IAM_BOB" ListBuckets; printf ','
  ct 11111111-0000-4000-8000-000000000006 2026-03-02T11:30:00Z 333333333333 "$IAM_NAMESAKE" ListBuckets; printf ','
  ct 11111111-0000-4000-8000-000000000007 2026-03-02T11:31:00Z 333333333333 "$IAM_NAMESAKE" ListRoles; printf ','
  ct 11111111-0000-4000-8000-000000000008 2026-03-02T11:40:00Z 111111111111 "$ROOT" GetAccountSummary
  printf ']}\n'
} > "$T/in/cloudtrail.json"
cat > "$T/in/signins.json" <<EOF
{"value":[
{"id":"aaaaaaaa-0000-4000-8000-000000000001","createdDateTime":"2026-03-02T08:00:00Z","userDisplayName":"Alice Ito","userPrincipalName":"Alice.Ito@corp.test","userId":"$OID","appDisplayName":"Azure Portal","ipAddress":"198.51.100.7","status":{"errorCode":0},"correlationId":"c-1"},
{"id":"aaaaaaaa-0000-4000-8000-000000000002","createdDateTime":"2026-03-02T08:05:00Z","userDisplayName":"Bob","userPrincipalName":"bob@corp.test","userId":"11111111-2222-3333-4444-555555555555","appDisplayName":"Azure Portal","ipAddress":"198.51.100.9","status":{"errorCode":0},"correlationId":"c-2"}
]}
EOF
cat > "$T/in/activity.json" <<EOF
{"time":"2026-03-02T12:00:00Z","resourceId":"/subscriptions/aaaaaaaa-1111-2222-3333-444444444444/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1","operationName":"Microsoft.Compute/virtualMachines/write","category":"Administrative","resultType":"Success","callerIpAddress":"198.51.100.7","correlationId":"c-3","tenantId":"87654321-4321-4321-4321-111111111111","identity":{"authorization":{"action":"Microsoft.Compute/virtualMachines/write","evidence":{"principalId":"$OID","principalType":"User","role":"Contributor"}}},"properties":{"eventDataId":"dddddddd-0000-4000-8000-000000000001"}}
EOF
gcp() { # gcp INSERTID TIME AUTHINFO-JSON METHOD
  printf '{"logName":"projects/proj-1/logs/cloudaudit.googleapis.com%%2Factivity","insertId":"%s","timestamp":"%s","resource":{"type":"gce_instance","labels":{"project_id":"proj-1"}},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"compute.googleapis.com","methodName":"%s","authenticationInfo":%s,"requestMetadata":{"callerIp":"198.51.100.7"}}}\n' \
    "$1" "$2" "$4" "$3"
}
{
  gcp g1 2026-03-02T13:00:00Z '{"principalEmail":"alice.ito@corp.test"}' v1.compute.instances.insert
  gcp g2 2026-03-02T13:05:00Z '{"principalEmail":"deployer@proj-1.iam.gserviceaccount.com","serviceAccountDelegationInfo":[{"firstPartyPrincipal":{"principalEmail":"alice.ito@corp.test"}}]}' v1.compute.instances.delete
  gcp g3 2026-03-02T13:10:00Z '{"principalEmail":"deployer@proj-1.iam.gserviceaccount.com"}' v1.compute.instances.list
} > "$T/in/gcp.json"
k ingest -q "$T/in" >/dev/null 2>"$T/ingest.err" || { fail identities_ingest "$(head -c 400 "$T/ingest.err")"; finish; exit; }
n=$(k query 'stats count()' --format csv | tail -n 1)
[ "$n" = 14 ] && ok identities_store || fail identities_store "14 events expected, got $n"

# -- kumo identities, table
k identities > "$T/id.txt" 2>"$T/id.err" || fail identities_table_run "$(cat "$T/id.err")"
check identities_table_domains grep -q "^domains:  corp.test (from tenant UPNs)" "$T/id.txt"
check identities_table_person grep -q "^alice.ito@corp.test  \"Alice Ito\"  10 events" "$T/id.txt"
check identities_table_local_part grep -q "aws.iam_user .*alice.ito .*local-part: alice.ito = local part of alice.ito@corp.test (domain corp.test from tenant UPNs)" "$T/id.txt"
check identities_table_object_id grep -q "object-id: object id $OID seen with UPN alice.ito@corp.test" "$T/id.txt"
check identities_table_used_by grep -q "gcp.service_account .*deployer@proj-1.iam.gserviceaccount.com .*alice.ito@corp.test" "$T/id.txt"
check identities_table_unlinked_root grep -q "aws.root .*111111111111 .*root" "$T/id.txt"

# -- kumo identities, JSON
k identities --format json > "$T/id.json" || fail identities_json_run
rules=$(jq -r --arg a "$A" '.persons[] | select(.person == $a) | [.identities[] | .kind + "=" + .rule] | sort | join(" ")' "$T/id.json")
want="aws.iam_user=local-part aws.iam_user=local-part aws.sso_session=email azure.user=email azure.user=object-id gcp.impersonation=email gcp.user=email"
[ "$rules" = "$want" ] && ok identities_json_alice_rules || fail identities_json_alice_rules "got: $rules"
check identities_json_domains_from [ "$(jq -r '.domains_from + " " + (.domains | join(","))' "$T/id.json")" = "tenant UPNs corp.test" ]
check identities_json_display [ "$(jq -r --arg a "$A" '.persons[] | select(.person == $a) | .display' "$T/id.json")" = "Alice Ito" ]
check identities_json_bob [ "$(jq -r '.persons[] | select(.person == "bob@corp.test") | [.identities[] | .kind + "=" + .rule] | join(" ")' "$T/id.json")" = "aws.iam_user=local-part azure.user=email" ]
check identities_json_sa_users [ "$(jq -r '.non_persons[] | select(.kind == "gcp.service_account") | "\(.events) \(.users | join(","))"' "$T/id.json")" = "1 $A" ]
check identities_json_map_null [ "$(jq -r '.map' "$T/id.json")" = null ]
np=$(jq '.persons | length' "$T/id.json")
[ "$np" = 2 ] && ok identities_json_persons || fail identities_json_persons "2 persons expected, got $np"
check identities_person_option [ "$(k identities --person alice.ito --format json | jq -r '[.persons[].person] | join(",")')" = "$A" ]

# -- timeline / events / entity / query see the person
k timeline --actor "$A" --no-group --format jsonl > "$T/tl.jsonl" 2>"$T/tl.err"
ids=$(jq -r .event.event_id "$T/tl.jsonl" | sort | tr '\n' ' ')
for e in 11111111-0000-4000-8000-000000000001 11111111-0000-4000-8000-000000000004 \
         11111111-0000-4000-8000-000000000006 dddddddd-0000-4000-8000-000000000001; do
  case "$ids" in *"$e"*) ;; *) fail identities_timeline_actor "missing $e in: $ids"; break ;; esac
done
c=$(wc -l < "$T/tl.jsonl")
[ "$c" = 10 ] && ok "identities_timeline_actor (10 events)" || fail identities_timeline_actor "10 events expected, got $c"
check identities_timeline_note grep -q "is the person alice.ito@corp.test" "$T/tl.err"
c=$(k timeline --actor alice.ito --no-group --format jsonl 2>/dev/null | wc -l)
[ "$c" = 10 ] && ok identities_timeline_by_iam_name || fail identities_timeline_by_iam_name "got $c"
c=$(k events --actor "$OID" --format jsonl 2>/dev/null | wc -l)
[ "$c" = 10 ] && ok identities_events_by_object_id || fail identities_events_by_object_id "got $c"
# a value that is no person keeps its plain meaning
c=$(k events --actor deployer@proj-1.iam.gserviceaccount.com --format jsonl 2>/dev/null | wc -l)
[ "$c" = 2 ] && ok identities_events_non_person || fail identities_events_non_person "got $c"
k entity "$A" --json > "$T/ent.json" || fail identities_entity_run
check identities_entity [ "$(jq -r '"\(.person.email) \(.events) \(.person.identities | length) \(.providers.distinct)"' "$T/ent.json")" = "$A 10 7 3" ]
k entity "$A" > "$T/ent.txt"
check identities_entity_text grep -q "(person alice.ito@corp.test \"Alice Ito\": 7 identities)" "$T/ent.txt"
k query 'stats count() by person' --format csv | sort > "$T/q.csv"
want=$(printf ',2\n%s,10\nbob@corp.test,2\nperson,count()' "$A")
[ "$(cat "$T/q.csv")" = "$want" ] && ok identities_query_by_person || fail identities_query_by_person "$(cat "$T/q.csv")"
c=$(k query "filter person = \"$A\" and provider = \"aws\" | stats count()" --format csv | tail -n 1)
[ "$c" = 6 ] && ok identities_query_person_filter || fail identities_query_person_filter "got $c"
c=$(k query 'filter person in ["bob@corp.test"] | fields event_id, person' --format csv | grep -c "bob@corp.test")
[ "$c" = 2 ] && ok identities_query_person_in || fail identities_query_person_in "got $c"

# -- a map that links (root is bob's) and unlinks (the namesake is not alice)
cat > "$S/identities.csv" <<EOF
person,link,identity,note
bob@corp.test, is, aws.root:111111111111:root, break-glass holder
$A, not, aws:333333333333:alice.ito, a namesake in the partner account
EOF
k identities --format json > "$T/idm.json" || fail identities_map_run
check identities_map_used [ "$(jq -r '.map.format + " " + (.map.statements | tostring)' "$T/idm.json")" = "csv 2" ]
check identities_map_link [ "$(jq -r '.persons[] | select(.person == "bob@corp.test") | .identities[] | select(.kind == "aws.root") | .rule' "$T/idm.json")" = map ]
check identities_map_unlink [ "$(jq -r '.unlinked[] | select(.account == "333333333333") | .rule_detail' "$T/idm.json" | grep -c 'identities.csv:3: not alice.ito@corp.test')" = 1 ]
c=$(k timeline --actor "$A" --no-group --format jsonl 2>/dev/null | wc -l)
[ "$c" = 8 ] && ok identities_map_timeline || fail identities_map_timeline "8 expected, got $c"
c=$(k query 'filter person = "bob@corp.test" | stats count()' --format csv | tail -n 1)
[ "$c" = 3 ] && ok identities_map_query || fail identities_map_query "3 expected, got $c"
# the same map in YAML, named by the configuration
cat > "$T/map.yaml" <<EOF
bob@corp.test:
  is: aws.root:111111111111:root
$A:
  not: [aws:333333333333:alice.ito]
EOF
printf '[identity]\nmap = %s\n' "$T/map.yaml" > "$T/kumo.conf"
c=$(k timeline --config "$T/kumo.conf" --actor "$A" --no-group --format jsonl 2>/dev/null | wc -l)
[ "$c" = 8 ] && ok identities_map_yaml || fail identities_map_yaml "8 expected, got $c"
rm -f "$S/identities.csv"

# -- a bad map file: exit 2 and a message naming the file and line
printf 'bob@corp.test, aws:bob\n\nnot-an-address, aws:x\n' > "$T/bad.csv"
k identities --map "$T/bad.csv" > /dev/null 2>"$T/bad.err"; rc=$?
[ "$rc" = 2 ] && grep -q "bad.csv: line 3: 'not-an-address' is not an e-mail address" "$T/bad.err" \
  && ok identities_bad_map || fail identities_bad_map "rc=$rc $(cat "$T/bad.err")"
printf '[identity]\nmap = %s\n' "$T/bad.csv" > "$T/bad.conf"
k timeline --config "$T/bad.conf" --actor "$A" > /dev/null 2>"$T/bad2.err"; rc=$?
[ "$rc" = 2 ] && grep -q "line 3" "$T/bad2.err" && ok identities_bad_map_timeline \
  || fail identities_bad_map_timeline "rc=$rc $(cat "$T/bad2.err")"

# -- a read-only copy answers the same and is left as it was
cp -r "$S" "$T/ro"
chmod -R a-w "$T/ro"
before=$(cd "$T/ro" && find . -type f -exec sha256sum {} + | sort | sha256sum)
"$KUMO" --store "$T/ro" identities --format json > "$T/ro.json" 2>"$T/ro.err" \
  && [ "$(jq -c .persons "$T/ro.json")" = "$(jq -c .persons "$T/id.json")" ] \
  && ok identities_read_only || fail identities_read_only "$(cat "$T/ro.err")"
c=$("$KUMO" --store "$T/ro" timeline --actor "$A" --no-group --format jsonl 2>/dev/null | wc -l)
c2=$("$KUMO" --store "$T/ro" query 'stats count() by person' --format csv | grep -c .)
[ "$c" = 10 ] && [ "$c2" = 4 ] && ok identities_read_only_timeline_query \
  || fail identities_read_only_timeline_query "timeline $c, query lines $c2"
# as root, a-w does not stop writes: also read it as an unprivileged user
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 \
   && setpriv --reuid=65534 --regid=65534 --clear-groups "$KUMO" help >/dev/null 2>&1; then
  chmod a+rx "$T"
  setpriv --reuid=65534 --regid=65534 --clear-groups "$KUMO" --store "$T/ro" identities --format json \
    > "$T/ro2.json" 2>"$T/ro2.err"
  c=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$KUMO" --store "$T/ro" \
      query "filter person = \"$A\" | stats count()" --format csv 2>>"$T/ro2.err" | tail -n 1)
  [ "$(jq -c .persons "$T/ro2.json" 2>/dev/null)" = "$(jq -c .persons "$T/id.json")" ] && [ "$c" = 10 ] \
    && ok identities_read_only_unprivileged || fail identities_read_only_unprivileged "$(cat "$T/ro2.err")"
fi
after=$(cd "$T/ro" && find . -type f -exec sha256sum {} + | sort | sha256sum)
[ "$before" = "$after" ] && [ -z "$(find "$T/ro" -newer "$T/ro.json" -type f)" ] \
  && ok identities_read_only_untouched || fail identities_read_only_untouched
chmod -R u+w "$T/ro"

# ---- part 2: the generator's people are one person each ------------------------
G="$T/gstore"
"$KUMO" -q gen --out "$T/org" --events 20000 --providers aws,azure,gcp >/dev/null 2>&1 \
  && "$KUMO" --store "$G" ingest -q "$T/org" >/dev/null 2>&1 \
  || { fail identities_gen_setup; finish; exit; }
rm -rf "$T/org"
"$KUMO" --store "$G" identities --format json > "$T/g.json"
# every identity that carries a person's e-mail is under that person
bad=$(jq -r '[.persons[] | .person as $p | .identities[] | select(.email != "" and .email != $p)] + [.unlinked[] | select(.email != "")] | length' "$T/g.json")
[ "$bad" = 0 ] && ok identities_gen_emails || fail identities_gen_emails "$bad identities with an e-mail outside its person"
three=$(jq '[.persons[] | select(([.identities[].kind] | index("aws.sso_session")) and ([.identities[].kind] | index("azure.user")) and ([.identities[].kind] | index("gcp.user")))] | length' "$T/g.json")
[ "$three" -ge 5 ] && ok "identities_gen_three_clouds ($three persons)" || fail identities_gen_three_clouds "only $three persons with SSO, Entra and Google identities"
lp=$(jq '[.persons[] | .person as $p | .identities[] | select(.kind == "aws.iam_user" and .rule == "local-part" and (.name + "@example.org") == $p)] | length' "$T/g.json")
[ "$lp" -ge 1 ] && ok "identities_gen_iam_users ($lp linked by local part)" || fail identities_gen_iam_users "no legacy IAM user linked"
# for a few persons: the person's events = the sum over their identities = a person query
for p in $(jq -r '.persons[0,5,10].person' "$T/g.json"); do
  want=$(jq -r --arg p "$p" '.persons[] | select(.person == $p) | .events' "$T/g.json")
  sum=$(jq -r --arg p "$p" '[.persons[] | select(.person == $p) | .identities[].events] | add' "$T/g.json")
  got=$("$KUMO" --store "$G" query "filter person = \"$p\" | stats count()" --format csv | tail -n 1)
  tl=$("$KUMO" --store "$G" events --actor "$p" --format jsonl 2>/dev/null | wc -l)
  [ "$want" = "$sum" ] && [ "$want" = "$got" ] && [ "$want" = "$tl" ] && ok "identities_gen_person_$p ($want events)" \
    || fail "identities_gen_person_$p" "person $want, identities $sum, query $got, events --actor $tl"
done

# ---- part 3: a corpus M365 user known by object id only (OTRF) -----------------
if [ -d "$CORPUS/otrf-security-datasets" ]; then
  "$KUMO" --store "$T/cstore" ingest -q "$CORPUS/otrf-security-datasets" >/dev/null 2>&1
  r=$("$KUMO" --store "$T/cstore" identities --person pgustavo@simulandlabs.com --format json \
      | jq -r '.persons[0] | .display + " " + ([.identities[] | select(.rule == "object-id") | .kind] | join(","))')
  [ "$r" = "Gustavo Pedro m365.user" ] && ok identities_corpus_object_id || fail identities_corpus_object_id "got: $r"
fi
finish
