#!/bin/sh
# reprocess.sh — a file rejected under a tighter --max-record is held (a
# plain re-ingest answers "already held"); `kumo reprocess` runs the held copy
# again from the vault: the record is stored, counts stay exact, custody
# shows the reprocess and the old rejects are superseded, not deleted.
. "$(dirname "$0")/lib.sh"
S="$T/s"
# three records; the second is larger than 300 bytes
{
  printf '{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"11111111-1111-4111-8111-111111111111","recipientAccountId":"123456789012"}\n'
  printf '{"eventVersion":"1.08","eventTime":"2024-05-01T10:01:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","eventID":"22222222-2222-4222-8222-222222222222","recipientAccountId":"123456789012","sourceIPAddress":"203.0.113.9","userAgent":"%s"}\n' "$(printf 'a%.0s' $(seq 1 300))"
  printf '{"eventVersion":"1.08","eventTime":"2024-05-01T10:02:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"33333333-3333-4333-8333-333333333333","recipientAccountId":"123456789012"}\n'
} >"$T/x.jsonl"
"$KUMO" --store "$S" ingest --json --max-record 300 "$T/x.jsonl" >"$T/i1.json" 2>/dev/null
check "reprocess: tight limit rejects one record" \
  [ "$(json_num "$T/i1.json" records_rejected)" = 1 -a "$(json_num "$T/i1.json" events_new)" = 2 ]
"$KUMO" --store "$S" ingest --json "$T/x.jsonl" >"$T/i2.json" 2>/dev/null
check "reprocess: re-ingest answers already held" [ "$(json_num "$T/i2.json" files_already_held)" = 1 ]
"$KUMO" --store "$S" rejects --format jsonl >"$T/r1.jsonl"
check "reprocess: the reject is listed" grep -q '"reason":"record of [0-9]* bytes exceeds the 300-byte limit' "$T/r1.jsonl"

sha=$(sha256sum "$T/x.jsonl" | cut -c1-12)
"$KUMO" --store "$S" reprocess --json "$sha" >"$T/p.json" 2>"$T/p.err"
check "reprocess: exit 0" [ $? -eq 0 ]
check "reprocess: 1 new, 2 duplicates, 0 rejected" \
  [ "$(json_num "$T/p.json" events_new)" = 1 -a "$(json_num "$T/p.json" events_duplicate)" = 2 \
    -a "$(json_num "$T/p.json" records_rejected)" = 0 ]
"$KUMO" --store "$S" query 'filter action = "StopLogging" | stats count() as n' >"$T/q" 2>&1
check "reprocess: the record is stored" [ "$(awk 'NR==2 {print $1}' "$T/q")" = 1 ]
"$KUMO" --store "$S" stats --json >"$T/st.json"
check "reprocess: exactly 3 events" [ "$(json_num "$T/st.json" events)" = 3 ]
"$KUMO" --store "$S" custody >"$T/c.txt"
check "reprocess: custody records the reprocess" grep -q " reprocess $T/x.jsonl" "$T/c.txt"
check "reprocess: custody note names the limits" grep -q "reprocessed from the vault with max-record 67108864" "$T/c.txt"
check "reprocess: chain verifies" sh -c '"$0" --store "$1" verify >/dev/null 2>&1' "$KUMO" "$S"
"$KUMO" --store "$S" rejects --format json >"$T/r2.json"
check "reprocess: no current rejects" [ "$(json_num "$T/r2.json" count)" = 0 ]
"$KUMO" --store "$S" rejects --all --format json >"$T/r3.json"
check "reprocess: history keeps the superseded reject" \
  [ "$(json_num "$T/r3.json" count)" = 1 -a "$(json_num "$T/r3.json" superseded_by_custody)" -ge 1 ]
# again: nothing new, nothing lost
"$KUMO" --store "$S" reprocess --json --all >"$T/p2.json" 2>/dev/null
check "reprocess: a second run adds nothing" \
  [ "$(json_num "$T/p2.json" events_new)" = 0 -a "$(json_num "$T/p2.json" events_duplicate)" = 3 ]
# tighter again: the reject comes back as current
"$KUMO" --store "$S" reprocess --json --max-record 300 "$sha" >"$T/p3.json" 2>/dev/null
"$KUMO" --store "$S" rejects --format json >"$T/r4.json"
check "reprocess: a new reject under a tighter limit is current" [ "$(json_num "$T/r4.json" count)" = 1 ]
"$KUMO" --store "$S" custody >"$T/c2.txt"
check "reprocess: custody note names the limit given" grep -q "with --max-record 300;" "$T/c2.txt"
# errors
"$KUMO" --store "$S" reprocess ffff0000 >/dev/null 2>"$T/e1"
check "reprocess: unknown sha is an error (exit 2)" [ $? -eq 2 ]
check "reprocess: ...that says so" grep -q "no evidence held" "$T/e1"
"$KUMO" --store "$S" reprocess --bogus >/dev/null 2>&1
check "reprocess: unknown option exit 2" [ $? -eq 2 ]
"$KUMO" --store "$S" reprocess >/dev/null 2>&1
check "reprocess: nothing selected exit 2" [ $? -eq 2 ]
# a file whose every record was rejected: the reprocess stores its event and
# leaves the evidence row (anchored in custody) as it was, so verify passes
S2="$T/s2"
head -n 1 "$T/x.jsonl" > "$T/one.json"
"$KUMO" --store "$S2" ingest --max-record 10 "$T/one.json" >/dev/null 2>&1
"$KUMO" --store "$S2" reprocess --all >/dev/null 2>&1
n2=$("$KUMO" --store "$S2" stats --json | jq .events)
"$KUMO" --store "$S2" verify > "$T/v2" 2>&1; v2=$?
[ "$n2" = 1 ] && [ "$v2" = 0 ] && ok reprocess_all_rejected_then_verify \
  || fail reprocess_all_rejected_then_verify "events=$n2 verify=$v2 $(head -c 600 "$T/v2")"
finish
