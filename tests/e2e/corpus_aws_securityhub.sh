#!/bin/sh
# corpus_aws_securityhub.sh — every Security Hub (ASFF) and GuardDuty record
# of the corpus ingests end to end. Counted independently with jq when this
# test was written:
#   awsdocs-security-hub-user-guide/extracted: 11 JSON files, one record each:
#     6 ASFF findings (events), 1 CloudTrail record (event), 3 EventBridge
#     *patterns* (rejected: list-valued source/detail-type), 1 "Security Hub
#     Insight Results" event (no finding: evidence only); plus the ASFF syntax
#     skeleton .fragment.txt, which is not JSON (rejected at line 1);
#   panther-analysis-tests: AWS_SecurityFindingFormat.jsonl 10 lines with 3
#     distinct Ids but 10 different records (3 new + 7 conflicting duplicates:
#     stored), AWS_GuardDuty.jsonl 8 lines with 3 distinct ids, 5 different
#     in the fields the store keeps (3 new + 2 conflicting) and 3 that differ
#     only in service.additionalInfo.sample or a severity that normalizes
#     alike (duplicates).
#   → 22 new + 3 duplicate + 4 rejected + 1 evidence-only = 30.
# Then: stats shows both sources, show returns exact raw bytes of an ASFF
# document and of a GuardDuty JSON Lines line. Last, an EventBridge event with
# three findings (written below) gives three events, show picks the right one
# and returns the whole event's bytes, re-ingest adds nothing.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
SH="$C/awsdocs-security-hub-user-guide/extracted"
P="$C/panther-analysis-tests/extracted"
[ -d "$SH" ] || { fail securityhub_corpus_present "no corpus at $C"; exit 1; }
S="$T/store"
"$KUMO" --store "$S" ingest --json "$SH" "$P/AWS_SecurityFindingFormat.jsonl" "$P/AWS_GuardDuty.jsonl" \
  > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); dup=$(jq .events_duplicate "$T/sum.json")
rej=$(jq .records_rejected "$T/sum.json"); evi=$(jq .evidence_only_records "$T/sum.json")
[ "$new" = 22 ] && [ "$dup" = 3 ] && [ "$rej" = 4 ] && [ "$evi" = 1 ] \
  && ok "securityhub_all_accounted ($new new + $dup duplicate + $rej rejected + $evi evidence-only = 30)" \
  || fail securityhub_all_accounted "new=$new dup=$dup rej=$rej evidence=$evi (want 22+3+4+1)"
for s in aws.securityhub:16:0 aws.guardduty:5:3 aws.cloudtrail:1:0; do
  n=${s%%:*}; r=${s#*:}
  got=$(jq -r --arg n "$n" '.sources[] | select(.source == $n) | "\(.new):\(.duplicate)"' "$T/sum.json")
  [ "$got" = "$r" ] && ok "securityhub_per_source $n $got" || fail "securityhub_per_source $n" "got '$got' want $r"
done
jq -r '.rejects[] | "\(.file | sub(".*/"; "")):\(.line):\(.reason | .[0:40])"' "$T/sum.json" | sort > "$T/rej"
printf '%s\n' \
  "securityhub-cwe-all-findings__01.eventbridge.json:1:aws.securityhub: an EventBridge event pa" \
  "securityhub-cwe-custom-actions__01.eventbridge.json:1:aws.securityhub: an EventBridge event pa" \
  "securityhub-cwe-custom-actions__02.eventbridge.json:1:aws.securityhub: an EventBridge event pa" \
  "securityhub-findings-format-syntax__full-syntax.fragment.txt:1:not JSON: starts with \"\"Findings\": [ \"" \
  | sort > "$T/want"
[ "$rc" -eq 1 ] && cmp -s "$T/rej" "$T/want" && ok securityhub_only_patterns_and_text_rejected \
  || fail securityhub_only_patterns_and_text_rejected "rc=$rc $(cat "$T/rej")"
"$KUMO" --store "$S" stats --json > "$T/stats.json"
sh_n=$(jq '[.groups[] | select(.provider == "aws" and .source == "aws.securityhub") | .events] | add' "$T/stats.json")
gd_n=$(jq '[.groups[] | select(.provider == "aws" and .source == "aws.guardduty") | .events] | add' "$T/stats.json")
[ "$sh_n" = 16 ] && [ "$gd_n" = 5 ] && ok securityhub_stats_sources || fail securityhub_stats_sources "sh=$sh_n gd=$gd_n"
# an ASFF document: the whole file is the record
ID="arn:aws:securityhub:us-east-2:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0/CloudTrail.2/finding/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
"$KUMO" --store "$S" show --json "$ID" > "$T/show1.json"
[ "$(jq -r .raw "$T/show1.json")" = "$(cat "$SH/sample-control-findings__01.asff.json")" ] \
  && [ "$(jq -r .event.severity "$T/show1.json")" = 40 ] \
  && ok securityhub_show_asff_raw || fail securityhub_show_asff_raw "$(head -c 300 "$T/show1.json")"
# a GuardDuty JSON Lines line
"$KUMO" --store "$S" show --json 8c258d654378414b9bc26f61a93eb816 > "$T/show2.json"
[ "$(jq -r .raw "$T/show2.json")" = "$(head -n 1 "$P/AWS_GuardDuty.jsonl")" ] \
  && [ "$(jq -r .event.action "$T/show2.json")" = "AttackSequence:IAM/CompromisedCredentials" ] \
  && [ "$(jq -r .event.severity "$T/show2.json")" = 90 ] \
  && ok securityhub_show_guardduty_raw || fail securityhub_show_guardduty_raw "$(head -c 300 "$T/show2.json")"
# one EventBridge event holding three findings (written here; the corpus has
# none): one record, three events, each with its finding's Id; all three
# refer to the whole event's raw bytes. request_id (the EventBridge id) is not
# in the store: its presence shows that show re-normalized the right finding.
cat > "$T/eb3.json" <<'EOF3'
{
  "version": "0",
  "id": "6c1f1d0e-0000-4000-8000-00000000eb03",
  "detail-type": "Security Hub Findings - Imported",
  "source": "aws.securityhub",
  "account": "444455556666",
  "time": "2024-06-02T08:00:00Z",
  "region": "eu-central-1",
  "resources": [],
  "detail": {
    "findings": [
      {"SchemaVersion": "2018-10-08", "Id": "kumo-test/eb3/finding-alpha",
       "ProductArn": "arn:aws:securityhub:eu-central-1::product/aws/inspector",
       "GeneratorId": "g1", "AwsAccountId": "444455556666", "Types": ["Software and Configuration Checks"],
       "CreatedAt": "2024-06-01T00:00:00Z", "UpdatedAt": "2024-06-01T01:00:00Z",
       "Title": "Alpha port open", "Severity": {"Label": "LOW"}},
      {"SchemaVersion": "2018-10-08", "Id": "kumo-test/eb3/finding-bravo",
       "ProductArn": "arn:aws:securityhub:eu-central-1::product/aws/inspector",
       "GeneratorId": "g2", "AwsAccountId": "444455556666", "Types": ["Software and Configuration Checks"],
       "CreatedAt": "2024-06-01T00:00:00Z", "UpdatedAt": "2024-06-01T02:00:00Z",
       "Title": "Bravo key exposed", "Severity": {"Normalized": 55}},
      {"SchemaVersion": "2018-10-08", "Id": "kumo-test/eb3/finding-charlie",
       "ProductArn": "arn:aws:securityhub:eu-central-1::product/aws/inspector",
       "GeneratorId": "g3", "AwsAccountId": "444455556666", "Types": ["Software and Configuration Checks"],
       "CreatedAt": "2024-06-01T00:00:00Z", "UpdatedAt": "2024-06-01T03:00:00Z",
       "Title": "Charlie root login", "Severity": {"Label": "CRITICAL"}}
    ]
  }
}
EOF3
"$KUMO" --store "$S" ingest --json "$T/eb3.json" > "$T/sum3.json" 2>"$T/err3"; rc=$?
[ "$rc" -eq 0 ] && [ "$(jq .events_new "$T/sum3.json")" = 3 ] \
  && [ "$(jq .records_rejected "$T/sum3.json")" = 0 ] \
  && ok "securityhub_eventbridge_3_findings_3_events" \
  || fail securityhub_eventbridge_3_findings_3_events "rc=$rc $(cat "$T/sum3.json" "$T/err3" | head -c 400)"
"$KUMO" --store "$S" show --json kumo-test/eb3/finding-bravo > "$T/show3.json"
[ "$(jq -r .raw "$T/show3.json")" = "$(cat "$T/eb3.json")" ] \
  && [ "$(jq -r .event.event_id "$T/show3.json")" = kumo-test/eb3/finding-bravo ] \
  && [ "$(jq -r .event.action "$T/show3.json")" = "Bravo key exposed" ] \
  && [ "$(jq -r .event.severity "$T/show3.json")" = 55 ] \
  && [ "$(jq -r .event.request_id "$T/show3.json")" = 6c1f1d0e-0000-4000-8000-00000000eb03 ] \
  && ok securityhub_show_second_finding_raw || fail securityhub_show_second_finding_raw "$(head -c 400 "$T/show3.json")"
"$KUMO" --store "$S" ingest --json "$T/eb3.json" > "$T/sum4.json" 2>/dev/null
[ "$(jq .events_new "$T/sum4.json")" = 0 ] && ok securityhub_eventbridge_reingest_0_new \
  || fail securityhub_eventbridge_reingest_0_new "$(head -c 300 "$T/sum4.json")"
# the same bytes under another name: read again, all three are duplicates
cp "$T/eb3.json" "$T/eb3-copy.json"
printf ' ' >> "$T/eb3-copy.json"
"$KUMO" --store "$S" ingest --json "$T/eb3-copy.json" > "$T/sum5.json" 2>/dev/null
[ "$(jq .events_new "$T/sum5.json")" = 0 ] && [ "$(jq .events_duplicate "$T/sum5.json")" = 3 ] \
  && ok securityhub_eventbridge_dedupe_per_finding \
  || fail securityhub_eventbridge_dedupe_per_finding "$(head -c 300 "$T/sum5.json")"
"$KUMO" --store "$S" verify >/dev/null && ok securityhub_verify || fail securityhub_verify
finish
