#!/bin/sh
# corpus_gcp_audit.sh — every Google Cloud Logging record of the corpus
# ingests through the gcp.audit module: Panther's GCP_AuditLog.jsonl (206
# hand-written entries), plaso's gcp_logging.jsonl (11) and the three
# google-cloudevents LogEntryData files: 220 records, counted here with jq.
# new + duplicate + rejected must equal that count; the rejects must be
# exactly Panther's 8 non-LogEntry rows (lines 39, 40, 44, 45, 49, 50: only
# {"methodName"}; 149, 150: only {"operation", "p_enrichment"}); stats must
# show the gcp sources; `kumo show` must return one record's exact bytes.
# Then hand-written exports of our own (a Cloud Storage sink tree, a Pub/Sub
# push envelope, a gcloud --format=json array) ingest, and `kumo show` of
# the Pub/Sub event returns the envelope, byte for byte.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
P="$C/panther-analysis-tests/extracted/GCP_AuditLog.jsonl"
L="$C/plaso-test-data/test_data/jsonl/gcp_logging.jsonl"
E="$C/google-cloudevents-testdata/testdata/google/events/cloud/audit/v1"
[ -f "$P" ] && [ -f "$L" ] && [ -d "$E" ] || { fail gcp_corpus_present "no GCP corpus at $C"; exit 1; }
S="$T/store"

want=$(( $(jq -c . "$P" | wc -l) + $(jq -c . "$L" | wc -l) + $(ls "$E"/*.json | wc -l) ))
"$KUMO" --store "$S" ingest --json "$P" "$L" "$E" > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); dup=$(jq .events_duplicate "$T/sum.json")
rej=$(jq .records_rejected "$T/sum.json")
total=$((new + dup + rej))
[ "$want" = 220 ] && [ "$total" = "$want" ] \
  && ok "gcp_corpus_all_accounted ($new new + $dup duplicate + $rej rejected = $want)" \
  || fail gcp_corpus_all_accounted "new=$new dup=$dup rej=$rej total=$total want=$want"
lines=$(jq -r '[.rejects[] | select(.file | endswith("GCP_AuditLog.jsonl")) | .line] | sort | map(tostring) | join(",")' "$T/sum.json")
[ "$rc" -eq 1 ] && [ "$rej" = 8 ] && [ "$lines" = "39,40,44,45,49,50,149,150" ] \
  && ok gcp_corpus_only_non_entries_rejected \
  || fail gcp_corpus_only_non_entries_rejected "rc=$rc rejected=$rej lines=$lines $(jq -c '.rejects[:3]' "$T/sum.json")"
# every accepted record went to a GCP source
gsum=$(jq '[.sources[] | select(.source | test("^(gcp|workspace)\\.")) | .new + .duplicate] | add' "$T/sum.json")
[ "$gsum" = $((new + dup)) ] && ok gcp_corpus_all_gcp_sources || fail gcp_corpus_all_gcp_sources "gcp=$gsum accepted=$((new + dup))"
"$KUMO" --store "$S" stats --json > "$T/stats.json"
[ "$(jq .events "$T/stats.json")" = "$new" ] \
  && jq -e '[.groups[] | select(.provider == "gcp" and .source == "gcp.audit.activity" and .account == "fake-project")] | length == 1' "$T/stats.json" >/dev/null \
  && jq -e '[.groups[] | .source] | index("gcp.audit.data_access") and index("gcp.audit.policy") and index("gcp.logging")' "$T/stats.json" >/dev/null \
  && ok gcp_corpus_stats || fail gcp_corpus_stats "$(jq -c '.groups | map([.provider,.source,.account,.events])' "$T/stats.json")"
# plaso line 11 (a PERMISSION_DENIED CreateServiceAccount) by its id: exact raw line
ID='projects/ketchup/logs/cloudaudit.googleapis.com/activity#1awjxggeaxqgz@2024-12-03T17:58:44.882119Z'
"$KUMO" --store "$S" show --json "$ID" > "$T/show.json"
sed -n 11p "$L" > "$T/line11"
[ "$(jq -r .raw "$T/show.json")" = "$(cat "$T/line11")" ] \
  && [ "$(jq -r .event.outcome "$T/show.json")" = failure ] \
  && [ "$(jq -r '.event["error.code"]' "$T/show.json")" = 7 ] \
  && ok gcp_corpus_show_raw || fail gcp_corpus_show_raw "$(head -c 400 "$T/show.json")"

# ---- hand-written exports of our own ----------------------------------------------------
D="$T/sink/cloudaudit.googleapis.com/activity/2024/05/01"
mkdir -p "$D" "$T/other"
cat > "$D/10:00:00_10:59:59_S0.json" <<'JSON'
{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"Ops.Admin@Example.net"},"requestMetadata":{"callerIp":"198.51.100.20","callerSuppliedUserAgent":"google-cloud-sdk gcloud/470.0.0"},"serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy","resourceName":"projects/demo-proj"},"insertId":"sink-0001","resource":{"type":"project","labels":{"project_id":"demo-proj"}},"timestamp":"2024-05-01T10:15:00.000000001Z","severity":"NOTICE","logName":"projects/demo-proj/logs/cloudaudit.googleapis.com%2Factivity","receiveTimestamp":"2024-05-01T10:15:00.5Z"}
{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{"code":7,"message":"denied"},"authenticationInfo":{"principalEmail":"ci-bot@demo-proj.iam.gserviceaccount.com"},"requestMetadata":{"callerIp":"gce-internal-ip"},"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/-/serviceAccounts/ci-bot@demo-proj.iam.gserviceaccount.com"},"insertId":"sink-0002","resource":{"type":"service_account","labels":{"project_id":"demo-proj"}},"timestamp":"2024-05-01T10:16:00Z","severity":"ERROR","logName":"projects/demo-proj/logs/cloudaudit.googleapis.com%2Factivity"}
JSON
entry='{"protoPayload":{"serviceName":"storage.googleapis.com","methodName":"storage.objects.get","authenticationInfo":{"principalEmail":"reader@example.net"},"authorizationInfo":[{"permission":"storage.objects.get","granted":true,"permissionType":"DATA_READ"}]},"insertId":"ps-1","logName":"projects/demo-proj/logs/cloudaudit.googleapis.com%2Fdata_access","timestamp":"2024-05-01T11:00:00Z"}'
b64=$(printf '%s' "$entry" | base64 -w0)
printf '{"message":{"data":"%s","messageId":"77","publishTime":"2024-05-01T11:00:01Z","attributes":{"origin":"sink"}},"subscription":"projects/demo-proj/subscriptions/audit"}\n' "$b64" > "$T/other/push.json"
printf '[\n  {"insertId":"g-1","logName":"projects/demo-proj/logs/app","textPayload":"started","timestamp":"2024-05-01T12:00:00Z","severity":"INFO"},\n  {"insertId":"g-2","logName":"projects/demo-proj/logs/cloudaudit.googleapis.com%%2Fsystem_event","protoPayload":{"serviceName":"compute.googleapis.com","methodName":"compute.instances.preempted"},"timestamp":"2024-05-01T12:01:00Z"}\n]\n' > "$T/other/gcloud.json"
S2="$T/store2"
"$KUMO" --store "$S2" ingest --json "$T/sink" "$T/other" > "$T/sum2.json" 2>"$T/err2"; rc=$?
[ "$rc" = 0 ] && [ "$(jq .events_new "$T/sum2.json")" = 5 ] && [ "$(jq .records_rejected "$T/sum2.json")" = 0 ] \
  && [ "$(jq -c '[.sources[] | .source] | sort' "$T/sum2.json")" = '["gcp.audit.activity","gcp.audit.data_access","gcp.audit.system_event","gcp.logging"]' ] \
  && ok gcp_own_shapes_ingest || fail gcp_own_shapes_ingest "rc=$rc $(jq -c 'del(.rejects)' "$T/sum2.json") $(head -c 300 "$T/err2")"
"$KUMO" --store "$S2" show --json 'projects/demo-proj/logs/cloudaudit.googleapis.com/data_access#ps-1@2024-05-01T11:00:00Z' > "$T/show2.json"
head -n 1 "$T/other/push.json" > "$T/push1"
[ "$(jq -r .raw "$T/show2.json")" = "$(cat "$T/push1")" ] && [ "$(jq -r '.event["actor.email"]' "$T/show2.json")" = reader@example.net ] \
  && [ "$(jq -r .event.read_only "$T/show2.json")" = true ] \
  && ok gcp_pubsub_show_envelope_raw || fail gcp_pubsub_show_envelope_raw "$(head -c 400 "$T/show2.json")"
"$KUMO" --store "$S2" events --format jsonl > "$T/ev2.jsonl"
jq -e -s 'map(select(.action == "SetIamPolicy"))[0] | .category == "account_change" and .["actor.email"] == "ops.admin@example.net" and .account == "demo-proj"' "$T/ev2.jsonl" >/dev/null \
  && jq -e -s 'map(select(.action == "google.iam.admin.v1.CreateServiceAccountKey"))[0] | .outcome == "failure" and .["src.raw"] == "gce-internal-ip" and (has("src.ip") | not)' "$T/ev2.jsonl" >/dev/null \
  && ok gcp_own_shapes_fields || fail gcp_own_shapes_fields "$(head -c 600 "$T/ev2.jsonl")"
"$KUMO" --store "$S" verify >/dev/null && "$KUMO" --store "$S2" verify >/dev/null && ok gcp_verify || fail gcp_verify
finish
