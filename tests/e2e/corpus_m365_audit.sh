#!/bin/sh
# corpus_m365_audit.sh — the Microsoft 365 records of ../shared/corpus:
# plaso's microsoft_audit_log.jsonl (4 unified-audit-log records on 3
# newline-terminated lines), OTRF GoldenSAML OfficeActivityEvents.Zip (1 Log
# Analytics OfficeActivity row) and Microsoft365DefenderEvents.Zip (9
# advanced-hunting rows) ingest as m365.audit / m365.defender; the 38 rows
# of WindowsEvents.Zip are Windows event-log rows and must all be rejected by
# windows.eventlog with a reason that says so. 52 records, counted with jq
# when this test was written; no duplicates.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
PL="$C/plaso-test-data/test_data/jsonl/microsoft_audit_log.jsonl"
G="$C/otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess"
[ -f "$PL" ] && [ -d "$G" ] || { fail corpus_m365_present "no corpus at $C"; exit 1; }
unz() { python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))" "$1" "$2"; }
want=$(( $(jq -c . "$PL" | wc -l) + $(unz "$G/OfficeActivityEvents.Zip" OfficeActivityEvents.json | jq -c . | wc -l) \
  + $(unz "$G/Microsoft365DefenderEvents.Zip" Microsoft365DefenderEvents.json | jq -c . | wc -l) \
  + $(unz "$G/WindowsEvents.Zip" WindowsEvents.json | jq -c . | wc -l) ))
S="$T/store"
"$KUMO" --store "$S" ingest --json "$PL" "$G/OfficeActivityEvents.Zip" "$G/Microsoft365DefenderEvents.Zip" \
  "$G/WindowsEvents.Zip" > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); dup=$(jq .events_duplicate "$T/sum.json")
rej=$(jq .records_rejected "$T/sum.json")
total=$((new + dup + rej))
[ "$want" = 52 ] && [ "$total" = 52 ] && [ "$new" = 14 ] && [ "$dup" = 0 ] \
  && ok "corpus_m365_all_accounted ($new new + $dup duplicate + $rej rejected)" \
  || fail corpus_m365_all_accounted "new=$new dup=$dup rej=$rej total=$total want $want"
lines=$(jq -r '[.rejects[] | select(.file | endswith("WindowsEvents.Zip!WindowsEvents.json")) | .line] | sort | map(tostring) | join(",")' "$T/sum.json")
seq38=$(seq -s, 1 38)
nwin=$(jq '[.rejects[] | select(.reason | startswith("windows.eventlog: Windows event-log row (")) | select(.reason | endswith("a host log, not a cloud audit log; not ingested"))] | length' "$T/sum.json")
[ "$rc" -eq 1 ] && [ "$rej" = 38 ] && [ "$lines" = "$seq38" ] && [ "$nwin" = 38 ] \
  && ok corpus_m365_windows_rows_rejected_with_reason \
  || fail corpus_m365_windows_rows_rejected_with_reason "rc=$rc rej=$rej lines=$lines reasons=$nwin $(jq -c '.rejects[:2]' "$T/sum.json")"
au=$(jq '[.sources[] | select(.source == "m365.audit") | .new] | add' "$T/sum.json")
de=$(jq '[.sources[] | select(.source == "m365.defender") | .new] | add' "$T/sum.json")
[ "$au" = 5 ] && [ "$de" = 9 ] && ok corpus_m365_sources || fail corpus_m365_sources "m365.audit=$au m365.defender=$de"
"$KUMO" --store "$S" stats --json > "$T/stats.json"
sa=$(jq '[.groups[] | select(.provider == "m365" and .source == "m365.audit") | .events] | add' "$T/stats.json")
sd=$(jq '[.groups[] | select(.provider == "m365" and .source == "m365.defender") | .events] | add' "$T/stats.json")
[ "$(jq .events "$T/stats.json")" = 14 ] && [ "$sa" = 5 ] && [ "$sd" = 9 ] \
  && ok corpus_m365_stats || fail corpus_m365_stats "audit=$sa defender=$sd"
# show: the last plaso record (no trailing newline) by its UAL Id
"$KUMO" --store "$S" show --json 0a454a7b-fbac-4329-a20c-72bad3bc5000 > "$T/show.json"
tail -n 1 "$PL" > "$T/last"
[ "$(jq -r .raw "$T/show.json")" = "$(cat "$T/last")" ] \
  && [ "$(jq -r .event.category "$T/show.json")" = authentication ] \
  && [ "$(jq -r '.event["actor.email"]' "$T/show.json")" = piet@sst5f.onmicrosoft.com ] \
  && ok corpus_m365_show_auditdata_raw || fail corpus_m365_show_auditdata_raw "$(head -c 300 "$T/show.json")"
# the OfficeActivity row inside its zip, and the Defender row that links to it
"$KUMO" --store "$S" show --json 699e0b10-1c53-403e-976f-ce0847a92b44 > "$T/show2.json"
unz "$G/OfficeActivityEvents.Zip" OfficeActivityEvents.json | tr -d '\r' | head -n 1 > "$T/office"
[ "$(jq -r .raw "$T/show2.json")" = "$(cat "$T/office")" ] \
  && [ "$(jq -r .event.action "$T/show2.json")" = MailItemsAccessed ] \
  && ok corpus_m365_show_office_raw || fail corpus_m365_show_office_raw "$(head -c 300 "$T/show2.json")"
"$KUMO" --store "$S" events --source m365.defender --format jsonl \
  | jq -r 'select(.action == "MailItemsAccessed") | .related | tostring' > "$T/rel"
[ "$(cat "$T/rel")" = '["699e0b10-1c53-403e-976f-ce0847a92b44"]' ] \
  && ok corpus_m365_defender_related || fail corpus_m365_defender_related "$(cat "$T/rel")"
"$KUMO" --store "$S" verify >/dev/null && ok corpus_m365_verify || fail corpus_m365_verify
finish
