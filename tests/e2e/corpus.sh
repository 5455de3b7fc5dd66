#!/bin/sh
# corpus.sh — every CloudTrail record in ../shared/corpus ingests (none is
# invalid JSON there), digests are kept as evidence-only records, duplicates
# are counted, and accepted + duplicate + rejected equals the records the
# files hold (933 CloudTrail records and 3 digests, counted independently with
# Python's json module when this test was written). Three Panther test rows
# are not CloudTrail events (only p_log_type / p_enrichment keys, lines 470,
# 471 and 474): they must be rejected, with their line numbers.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
[ -d "$C/stratus-red-team-detonation-logs" ] || { fail corpus_present "no corpus at $C"; exit 1; }
S="$T/store"
"$KUMO" --store "$S" ingest --json \
  "$C/stratus-red-team-detonation-logs/docs" \
  "$C/otrf-security-datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip" \
  "$C/panther-analysis-tests/extracted/AWS_CloudTrail.jsonl" \
  "$C/plaso-test-data/test_data/jsonl/aws_cloudtrail.jsonl" \
  "$C/trailscraper-testdata/tests" \
  "$C/awsdocs-cloudtrail-user-guide/extracted" \
  "$C"/awsdocs-config-developer-guide/extracted/cloudtrail-log-files-for-aws-config__*.event.json \
  "$C/awsdocs-security-hub-user-guide/extracted/securityhub-ct__01.event.json" \
  "$C/elastic-integrations-testdata/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-cloudtrail-digest-json.log" \
  > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); dup=$(jq .events_duplicate "$T/sum.json")
rej=$(jq .records_rejected "$T/sum.json"); dig=$(jq .evidence_only_records "$T/sum.json")
total=$((new + dup + rej))
lines=$(jq -r '[.rejects[].line] | sort | map(tostring) | join(",")' "$T/sum.json")
[ "$rc" -eq 1 ] && [ "$rej" = 3 ] && [ "$lines" = "470,471,474" ] \
  && jq -r '.rejects[].reason' "$T/sum.json" | grep -q 'no source recognises' \
  && ok corpus_cloudtrail_only_non_events_rejected \
  || fail corpus_cloudtrail_only_non_events_rejected "rc=$rc rejected=$rej lines=$lines $(jq -c '.rejects[:5]' "$T/sum.json")"
[ "$total" = 933 ] && ok "corpus_cloudtrail_all_accounted ($new new + $dup duplicate + $rej rejected)" \
  || fail corpus_cloudtrail_all_accounted "new=$new dup=$dup rej=$rej total=$total want 933"
[ "$dig" = 3 ] && ok corpus_digests_kept || fail corpus_digests_kept "evidence-only=$dig want 3"
# every file given or found under the directories given is walked (counted
# independently with find: three directories, the Config files, five files)
want_files=$(( $(find "$C/stratus-red-team-detonation-logs/docs" "$C/trailscraper-testdata/tests" \
  "$C/awsdocs-cloudtrail-user-guide/extracted" -type f | wc -l) \
  + $(ls "$C"/awsdocs-config-developer-guide/extracted/cloudtrail-log-files-for-aws-config__*.event.json | wc -l) + 5 ))
files=$(jq .files "$T/sum.json")
[ "$files" = "$want_files" ] && ok "corpus_every_file_walked ($files)" \
  || fail corpus_every_file_walked "files=$files, want $want_files"
stats=$("$KUMO" --store "$S" stats --json | jq .events)
[ "$stats" = "$new" ] && ok corpus_stats_equal_new || fail corpus_stats_equal_new "stats=$stats new=$new"
# the trailscraper .json and .json.gz hold the same two events: duplicates, not new
# an event id stored more than once is one reused with other content: each
# extra row is a recorded conflicting duplicate (kumo stats), nothing else
"$KUMO" --store "$S" events --source aws.cloudtrail --format jsonl | jq -r .event_id | sort | uniq -c \
  | awk '$1 > 1 {print $2, $1 - 1}' | sort > "$T/dups"
"$KUMO" --store "$S" stats --json | jq -r '.conflicts[] | select(.source == "aws.cloudtrail") | "\(.event_id) \(.events)"' \
  | sort > "$T/conflicts"
[ -s "$T/dups" ] && cmp -s "$T/dups" "$T/conflicts" && ok corpus_repeated_event_ids_are_recorded_conflicts \
  || fail corpus_repeated_event_ids_are_recorded_conflicts "$(diff "$T/dups" "$T/conflicts" | head -5)"
# digests are in the vault and the custody log
"$KUMO" --store "$S" custody --json | jq -r .format | grep -q 'aws.cloudtrail.digest' \
  && ok corpus_digest_in_custody || fail corpus_digest_in_custody
# the lookup-events record is found by its id and shows its exact raw line
"$KUMO" --store "$S" show --json 0828c0d2-3589-4390-b954-c78b4a7df44b > "$T/show.json"
head -n 1 "$C/plaso-test-data/test_data/jsonl/aws_cloudtrail.jsonl" > "$T/line1"
[ "$(jq -r .raw "$T/show.json")" = "$(cat "$T/line1")" ] && [ "$(jq -r .event.action "$T/show.json")" = DescribeInstances ] \
  && ok corpus_show_lookup_events_raw || fail corpus_show_lookup_events_raw "$(head -c 300 "$T/show.json")"
"$KUMO" --store "$S" verify >/dev/null && ok corpus_verify || fail corpus_verify
finish
