#!/bin/sh
# corpus_aws_config.sh — every AWS Config record of the corpus ingests end to
# end. Counted independently with jq when this test was written:
#   aws-config-rdk-example-ci: 80 files; 78 parse as JSON and hold 78 CIs
#     (75 objects, 3 one-element arrays, 2 of them change notifications);
#     AWS_EC2_NetworkInterface.json is an array never closed (its one complete
#     CI is still a record, the file end is reported at line 1);
#     AWS_SSM_ManagedInstanceInventory_Linux.json has a raw newline inside a
#     string (reported at line 51) → 79 events, 2 rejects;
#   awsdocs-config-developer-guide: 3 snapshot/history files with 7 CIs and
#     8 SNS notifications (3 CI changes, 1 compliance change, 4 delivery /
#     evaluation status notifications kept as evidence only) → 11 events;
#   duplicates: vol-ce676ccc's CI is in two history files, the SSM inventory
#     CI in two notification files → 88 new + 2 duplicate.
# Then: stats shows aws/aws.config, show returns a CI's exact raw bytes, and a
# CI ingested with the CloudTrail record named in its relatedEvents (written
# here: the corpus has no CloudTrail record with that eventID) shows the
# link in `kumo events --format jsonl`.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
RDK="$C/aws-config-rdk-example-ci/rdk/template/example_ci"
DOCS="$C/awsdocs-config-developer-guide/extracted"
[ -d "$RDK" ] || { fail config_corpus_present "no corpus at $C"; exit 1; }
S="$T/store"
"$KUMO" --store "$S" ingest --json "$RDK" "$DOCS"/*.configitem.json "$DOCS"/*.sns.json \
  > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); dup=$(jq .events_duplicate "$T/sum.json")
rej=$(jq .records_rejected "$T/sum.json"); evi=$(jq .evidence_only_records "$T/sum.json")
[ "$((new + dup + rej))" = 92 ] && [ "$new" = 88 ] && [ "$dup" = 2 ] && [ "$evi" = 4 ] \
  && ok "config_all_accounted ($new new + $dup duplicate + $rej rejected + $evi evidence-only = 96)" \
  || fail config_all_accounted "new=$new dup=$dup rej=$rej evidence=$evi (want 88+2+2, 4)"
jq -r '.rejects[] | "\(.file | sub(".*/"; "")):\(.line):\(.reason)"' "$T/sum.json" | sort > "$T/rej"
printf '%s\n' \
  "AWS_EC2_NetworkInterface.json:1:unterminated array at end of input" \
  "AWS_SSM_ManagedInstanceInventory_Linux.json:51:newline inside a string" > "$T/want"
[ "$rc" -eq 1 ] && cmp -s "$T/rej" "$T/want" && ok config_only_invalid_json_rejected \
  || fail config_only_invalid_json_rejected "rc=$rc $(cat "$T/rej")"
"$KUMO" --store "$S" stats --json > "$T/stats.json"
[ "$(jq '[.groups[] | select(.provider == "aws" and .source == "aws.config") | .events] | add' "$T/stats.json")" = 88 ] \
  && ok config_stats_source || fail config_stats_source "$(head -c 400 "$T/stats.json")"
ID="AWS::EC2::Instance/i-03402838daac1d611/2017-04-05T22:23:11.677000Z"
"$KUMO" --store "$S" show --json "$ID" > "$T/show.json"
[ "$(jq -r .raw "$T/show.json")" = "$(cat "$RDK/AWS_EC2_Instance.json")" ] \
  && [ "$(jq -r .event.action "$T/show.json")" = ResourceDiscovered ] \
  && [ "$(jq -r .event.related[0] "$T/show.json")" = d3d87c29-bde3-4380-a7de-810f379246cc ] \
  && ok config_show_raw_exact || fail config_show_raw_exact "$(head -c 300 "$T/show.json")"
"$KUMO" --store "$S" verify >/dev/null && ok config_verify || fail config_verify

# Config ↔ CloudTrail: the CI and the RunInstances call its relatedEvents names
cat > "$T/ct.json" <<'EOF'
{"Records":[{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::681361479661:user/alice","accountId":"681361479661","userName":"alice"},"eventTime":"2017-04-05T22:15:52Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.20","userAgent":"console.ec2.amazonaws.com","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-22ce4934","minCount":1,"maxCount":1}]}},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-03402838daac1d611"}]}},"requestID":"0b7e9a28-7a55-4f1e-8f62-5b6f8a0e1d11","eventID":"d3d87c29-bde3-4380-a7de-810f379246cc","eventType":"AwsApiCall","recipientAccountId":"681361479661"}]}
EOF
L="$T/link"
"$KUMO" --store "$L" ingest --json "$RDK/AWS_EC2_Instance.json" "$T/ct.json" > "$T/link.json" 2>&1
"$KUMO" --store "$L" events --format jsonl > "$T/link.jsonl"
ci_rel=$(jq -r 'select(.source == "aws.config") | .related | index("d3d87c29-bde3-4380-a7de-810f379246cc")' "$T/link.jsonl")
ct_id=$(jq -r 'select(.source == "aws.cloudtrail") | .event_id' "$T/link.jsonl")
[ "$(jq .events_new "$T/link.json")" = 2 ] && [ "$ci_rel" = 0 ] \
  && [ "$ct_id" = d3d87c29-bde3-4380-a7de-810f379246cc ] \
  && ok config_related_links_cloudtrail || fail config_related_links_cloudtrail "$(cat "$T/link.jsonl")"
# kumo show follows the link both ways
ci_id=$(jq -r 'select(.source == "aws.config") | .event_id' "$T/link.jsonl")
"$KUMO" --store "$L" show --json "$ci_id" > "$T/show_ci.json"
[ "$(jq -r '.links[0].event_id' "$T/show_ci.json")" = d3d87c29-bde3-4380-a7de-810f379246cc ] \
  && [ "$(jq -r '.links[0].action' "$T/show_ci.json")" = RunInstances ] \
  && ok show_config_to_cloudtrail || fail show_config_to_cloudtrail "$(jq -c .links "$T/show_ci.json")"
"$KUMO" --store "$L" show --json d3d87c29-bde3-4380-a7de-810f379246cc > "$T/show_ct.json"
[ "$(jq -r '.links[0].source' "$T/show_ct.json")" = aws.config ] \
  && [ "$(jq -r '.links[0].event_id' "$T/show_ct.json")" = "$ci_id" ] \
  && ok show_cloudtrail_to_config || fail show_cloudtrail_to_config "$(jq -c .links "$T/show_ct.json")"
"$KUMO" --store "$L" show d3d87c29-bde3-4380-a7de-810f379246cc | grep -q '^linked events' \
  && ok show_text_lists_links || fail show_text_lists_links
finish
