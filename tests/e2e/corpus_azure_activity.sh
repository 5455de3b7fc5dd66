#!/bin/sh
# corpus_azure_activity.sh — every Azure Monitor record of ../shared/corpus
# ingests as azure.activity / azure.resource: Panther's
# Azure_MonitorActivity.jsonl (249 lines: 197 Activity log records, 52
# storage and AKS kube-audit resource-log records) and plaso's Python-SDK
# azure_activity_log.jsonl (4 records) — 253 records, counted with jq when
# this test was written. None is invalid or a non-event: nothing is rejected.
# 2 are duplicates: Panther lines 141 and 150 repeat earlier lines byte for
# byte (same content hash); lines 231 and 234 reuse the kube-audit auditID
# "abc-123" of line 216 with other content: conflicting duplicates, kept.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
P="$C/panther-analysis-tests/extracted/Azure_MonitorActivity.jsonl"
PL="$C/plaso-test-data/test_data/jsonl/azure_activity_log.jsonl"
[ -f "$P" ] && [ -f "$PL" ] || { fail corpus_azure_activity_present "no corpus at $C"; exit 1; }
want=$(( $(jq -c . "$P" | wc -l) + $(jq -c . "$PL" | wc -l) ))
S="$T/store"
"$KUMO" --store "$S" ingest --json "$P" "$PL" > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); dup=$(jq .events_duplicate "$T/sum.json")
rej=$(jq .records_rejected "$T/sum.json")
total=$((new + dup + rej))
conf=$(jq .events_conflicting_duplicate "$T/sum.json")
[ "$want" = 253 ] && [ "$total" = 253 ] && [ "$dup" = 2 ] && [ "$conf" = 2 ] \
  && ok "corpus_azure_activity_all_accounted ($new new + $dup duplicate + $rej rejected)" \
  || fail corpus_azure_activity_all_accounted "new=$new dup=$dup rej=$rej total=$total want $want (2 duplicates, 2 conflicting: $conf)"
[ "$rc" -eq 0 ] && [ "$rej" = 0 ] && ok corpus_azure_activity_nothing_rejected \
  || fail corpus_azure_activity_nothing_rejected "rc=$rc $(jq -c '.rejects[:3]' "$T/sum.json")"
act=$(jq '[.sources[] | select(.source == "azure.activity") | .new + .duplicate] | add' "$T/sum.json")
res=$(jq '[.sources[] | select(.source == "azure.resource") | .new + .duplicate] | add' "$T/sum.json")
[ "$act" = 201 ] && [ "$res" = 52 ] && ok corpus_azure_activity_sources \
  || fail corpus_azure_activity_sources "azure.activity=$act (want 197+4) azure.resource=$res (want 52)"
"$KUMO" --store "$S" stats --json > "$T/stats.json"
aev=$(jq '[.groups[] | select(.provider == "azure" and .source == "azure.activity") | .events] | add' "$T/stats.json")
rev=$(jq '[.groups[] | select(.provider == "azure" and .source == "azure.resource") | .events] | add' "$T/stats.json")
[ "$(jq .events "$T/stats.json")" = "$new" ] && [ "$((aev + rev))" = "$new" ] && [ "$aev" = 199 ] \
  && ok corpus_azure_activity_stats || fail corpus_azure_activity_stats "activity=$aev resource=$rev new=$new"
# show: an SDK record by its eventDataId, with its exact raw line ...
"$KUMO" --store "$S" show --json 587eda65-125e-48c2-9b04-ab5e8d3a1d8e > "$T/show.json"
head -n 1 "$PL" > "$T/line1"
[ "$(jq -r .raw "$T/show.json")" = "$(cat "$T/line1")" ] \
  && [ "$(jq -r .event.action "$T/show.json")" = "Microsoft.Compute/disks/delete" ] \
  && [ "$(jq -r .event.outcome "$T/show.json")" = unknown ] \
  && ok corpus_azure_activity_show_sdk_raw || fail corpus_azure_activity_show_sdk_raw "$(head -c 300 "$T/show.json")"
# ... and a diagnostic-settings record (no eventDataId) by its content hash
h=$(head -n 1 "$P" | tr -d '\n' | sha256sum | cut -d' ' -f1)
"$KUMO" --store "$S" show --json "sha256:$h" > "$T/show2.json"
head -n 1 "$P" > "$T/pline1"
[ "$(jq -r .raw "$T/show2.json")" = "$(cat "$T/pline1")" ] \
  && [ "$(jq -r .event.request_id "$T/show2.json")" = "a1b2c3d4-e5f6-7890-abcd-ef1234567890" ] \
  && [ "$(jq -r .event.category "$T/show2.json")" = config_change ] \
  && ok corpus_azure_activity_show_diag_raw || fail corpus_azure_activity_show_diag_raw "$(head -c 300 "$T/show2.json")"
# the pivot: the Activity-log e-mail addresses are lower-case person keys
"$KUMO" --store "$S" events --source azure.activity --format jsonl \
  | jq -r '.["actor.email"] // empty' | sort -u > "$T/emails"
grep -qx 'attacker@example.com' "$T/emails" && ! grep -q '[A-Z]' "$T/emails" \
  && ok corpus_azure_activity_emails || fail corpus_azure_activity_emails "$(head -5 "$T/emails")"
"$KUMO" --store "$S" verify >/dev/null && ok corpus_azure_activity_verify || fail corpus_azure_activity_verify
finish
