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
#     distinct Ids (3 new + 7 duplicate), AWS_GuardDuty.jsonl 8 lines with 3
#     distinct ids (3 new + 5 duplicate).
#   → 13 new + 12 duplicate + 4 rejected + 1 evidence-only = 30.
# Then: stats shows both sources, show returns exact raw bytes of an ASFF
# document and of a GuardDuty JSON Lines line.
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
[ "$new" = 13 ] && [ "$dup" = 12 ] && [ "$rej" = 4 ] && [ "$evi" = 1 ] \
  && ok "securityhub_all_accounted ($new new + $dup duplicate + $rej rejected + $evi evidence-only = 30)" \
  || fail securityhub_all_accounted "new=$new dup=$dup rej=$rej evidence=$evi (want 13+12+4+1)"
for s in aws.securityhub:9:7 aws.guardduty:3:5 aws.cloudtrail:1:0; do
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
[ "$sh_n" = 9 ] && [ "$gd_n" = 3 ] && ok securityhub_stats_sources || fail securityhub_stats_sources "sh=$sh_n gd=$gd_n"
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
"$KUMO" --store "$S" verify >/dev/null && ok securityhub_verify || fail securityhub_verify
finish
