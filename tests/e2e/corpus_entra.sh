#!/bin/sh
# corpus_entra.sh — every Microsoft Entra ID record of ../shared/corpus ingests
# as azure.signin / azure.audit: 60 records (counted with jq when this test
# was written: elastic 5 diagnostic sign-ins, Panther 48 diagnostic records,
# OTRF 4 Log Analytics AuditLogs rows, Graph docs 1 + 1 directoryAudits and
# 1 signIn). Exactly one is rejected: the Graph signIns docs response is
# truncated with a trailing comma (invalid JSON: the record starts at offset
# 241, line 5; the comma is its byte 2469, offset 2710).
# Panther reuses event ids across tests (6 x ServicePrincipalSignInLogs:36658c78-...,
# 1 x SignInLogs:d9ae0e20-..., 1 x ServicePrincipalSignInLogs:55270060-...,
# 3 x "Invited Users_123456789", 1 x IPCGraph_123456789, 1 x Directory_12351123,
# 2 x PIM_123415): 6 of these 15 carry other content (2 x "Invited Users",
# 1 x SignInLogs:d9ae0e20, 1 x Directory, 2 x PIM) and are conflicting
# duplicates, kept; the other 9 and OTRF's second row (the first audit event
# again, expanded by keyEvents) are the 10 duplicates.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
[ -d "$C/microsoft-graph-docs-examples" ] || { fail corpus_entra_present "no corpus at $C"; exit 1; }
S="$T/store"
EL="$C/elastic-integrations-testdata/packages/azure/data_stream/signinlogs/_dev/test/pipeline/test-signinlogs-raw.log"
OT="$C/otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/AADAuditEvents.Zip"
G="$C/microsoft-graph-docs-examples"
"$KUMO" --store "$S" ingest --json "$EL" "$C/panther-analysis-tests/extracted/Azure_Audit.jsonl" "$OT" \
  "$G/directoryaudit-list.example1.response.json" "$G/directoryaudit-list.example2.response.json" \
  "$G/signin-list.example1.response.json" > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); dup=$(jq .events_duplicate "$T/sum.json")
rej=$(jq .records_rejected "$T/sum.json")
total=$((new + dup + rej))
conf=$(jq .events_conflicting_duplicate "$T/sum.json")
[ "$total" = 60 ] && [ "$dup" = 10 ] && [ "$conf" = 6 ] \
  && ok "corpus_entra_all_accounted ($new new + $dup duplicate + $rej rejected)" \
  || fail corpus_entra_all_accounted "new=$new dup=$dup (conflicting $conf) rej=$rej total=$total want 60 (10 duplicates, 6 conflicting)"
rj=$(jq -r '.rejects[] | "\(.file | split("/") | last) \(.offset) \(.line)"' "$T/sum.json")
[ "$rc" -eq 1 ] && [ "$rej" = 1 ] && [ "$rj" = "signin-list.example1.response.json 241 5" ] \
  && jq -r '.rejects[0].reason' "$T/sum.json" | grep -q "trailing comma.*(at byte 2469 of the record)" \
  && ok corpus_entra_only_invalid_json_rejected \
  || fail corpus_entra_only_invalid_json_rejected "rc=$rc rejected=$rej $(jq -c .rejects "$T/sum.json")"
si=$(jq '[.sources[] | select(.source == "azure.signin") | .new + .duplicate] | add' "$T/sum.json")
au=$(jq '[.sources[] | select(.source == "azure.audit") | .new + .duplicate] | add' "$T/sum.json")
[ "$si" = 32 ] && [ "$au" = 27 ] && ok corpus_entra_sources \
  || fail corpus_entra_sources "azure.signin=$si (want 32) azure.audit=$au (want 27)"
"$KUMO" --store "$S" stats --json > "$T/stats.json"
sev=$(jq '[.groups[] | select(.provider == "azure" and .source == "azure.signin") | .events] | add' "$T/stats.json")
aev=$(jq '[.groups[] | select(.provider == "azure" and .source == "azure.audit") | .events] | add' "$T/stats.json")
[ "$(jq .events "$T/stats.json")" = "$new" ] && [ "$((sev + aev))" = "$new" ] && [ "$sev" -gt 0 ] \
  && ok corpus_entra_stats || fail corpus_entra_stats "signin=$sev audit=$aev new=$new"
# the five elastic sign-ins share properties.id: the category keeps them apart
"$KUMO" --store "$S" events --source azure.signin --format jsonl | jq -r .event_id \
  | grep -c ':8a4de8b5-095c-47d0-a96f-a75130c61d53$' > "$T/n5"
[ "$(cat "$T/n5")" = 5 ] && ok corpus_entra_category_in_event_id \
  || fail corpus_entra_category_in_event_id "$(cat "$T/n5") of 5"
# show returns the exact raw line of a diagnostic record ...
"$KUMO" --store "$S" show --json "SignInLogs:8a4de8b5-095c-47d0-a96f-a75130c61d53" > "$T/show.json"
head -n 1 "$EL" > "$T/line1"
[ "$(jq -r .raw "$T/show.json")" = "$(cat "$T/line1")" ] \
  && [ "$(jq -r '.event["error.code"]' "$T/show.json")" = 50140 ] \
  && ok corpus_entra_show_diag_raw || fail corpus_entra_show_diag_raw "$(head -c 300 "$T/show.json")"
# ... and of a Log Analytics row inside the zip (CRLF lines: the record ends at '}')
"$KUMO" --store "$S" show --json "Directory_ae69aa7a-e9b7-4066-84f2-58582994d8cb_7H1JL_8584070" > "$T/show2.json"
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('AADAuditEvents.json'))" "$OT" \
  | sed -n 3p | tr -d '\r' > "$T/line3"
[ "$(jq -r .raw "$T/show2.json")" = "$(cat "$T/line3")" ] \
  && [ "$(jq -r '.event.action' "$T/show2.json")" = "Update application" ] \
  && ok corpus_entra_show_log_analytics_raw || fail corpus_entra_show_log_analytics_raw "$(head -c 300 "$T/show2.json")"
"$KUMO" --store "$S" verify >/dev/null && ok corpus_entra_verify || fail corpus_entra_verify
finish
