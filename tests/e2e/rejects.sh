#!/bin/sh
# rejects.sh — `kumo rejects`: every rejected record with file, offset, line,
# reason and its first bytes read back from the vault, escaped; filters by
# source (detected format) and reason; table/json/jsonl; strict options.
. "$(dirname "$0")/lib.sh"
S="$T/s"
# a CloudTrail file with two bad records, one carrying an ESC and a C1 CSI
printf '{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"11111111-1111-4111-8111-111111111111","recipientAccountId":"123456789012"}\n{"eventVersion": "1.08", "broken\n{"unknownThing":"\033[31mred\302\233x","other":1}\n' >"$T/ct.jsonl"
printf 'this is not json at all\n' >"$T/notes.txt"
gzip -c "$T/ct.jsonl" >"$T/ct2.jsonl.gz"
"$KUMO" --store "$S" ingest --json "$T/ct.jsonl" "$T/notes.txt" >"$T/i.json" 2>/dev/null
nrej=$(json_num "$T/i.json" records_rejected)
"$KUMO" --store "$S" rejects --format jsonl >"$T/all.jsonl"
check "rejects: as many as ingest rejected ($nrej)" [ "$(wc -l <"$T/all.jsonl")" -eq "${nrej:-0}" -a "${nrej:-0}" -ge 3 ]
# first bytes equal the file's bytes at each offset (escaped as documented)
python3 - "$T/all.jsonl" <<'PY' >"$T/py.out"
import json, sys
bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    data = open(r['file'], 'rb').read()[r['offset']:r['offset'] + 80]
    want = ''.join(chr(b) if 0x20 <= b < 0x7f and b != 0x5c else '\\x%02x' % b for b in data)
    if r['first_bytes'] != want:
        bad += 1
        print('mismatch', r['offset'], repr(r['first_bytes']), repr(want))
print('bad', bad)
PY
check "rejects: first bytes are the record's bytes from the vault" grep -q '^bad 0$' "$T/py.out"
# the original may be gone: bytes come from the vault
rm "$T/ct.jsonl"
"$KUMO" --store "$S" rejects >"$T/table.txt"
check "rejects: table shows first bytes with the original deleted" grep -q 'unknownThing' "$T/table.txt"
check "rejects: no raw ESC reaches the output" sh -c '! grep -q "$(printf "\033")" "$0"' "$T/table.txt"
check "rejects: no raw C1 reaches the output" sh -c '! grep -q "$(printf "\302\233")" "$0"' "$T/table.txt"
check "rejects: ESC shown escaped" grep -q 'unknownThing":"\\x1b\[31mred\\xc2\\x9bx' "$T/table.txt"
check "rejects: line numbers" grep -q '(line 3)' "$T/table.txt"
"$KUMO" --store "$S" rejects --source aws.cloudtrail --format json >"$T/src.json"
check "rejects: --source filters by detected source" [ "$(json_num "$T/src.json" count)" = 2 ]
"$KUMO" --store "$S" rejects --source AWS.CloudTrail --format json >"$T/src2.json"
check "rejects: --source is case-insensitive" [ "$(json_num "$T/src2.json" count)" = 2 ]
"$KUMO" --store "$S" rejects --reason "NOT JSON" --format json >"$T/rs.json"
check "rejects: --reason is a case-insensitive substring" \
  sh -c '[ "$(grep -c notes.txt "$0")" -ge 1 ] && ! grep -q ct.jsonl "$0"' "$T/rs.json"
"$KUMO" --store "$S" rejects --limit 1 --format jsonl >"$T/l.jsonl"
check "rejects: --limit" [ "$(wc -l <"$T/l.jsonl")" -eq 1 ]
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/src.json"
check "rejects: --format json is valid JSON" [ $? -eq 0 ]
# a gzip member: the bytes are decoded ones
"$KUMO" --store "$S" ingest -q "$T/ct2.jsonl.gz" >/dev/null 2>&1
"$KUMO" --store "$S" rejects --format jsonl | grep ct2.jsonl.gz >"$T/gz.jsonl"
check "rejects: gzip file's record bytes are decoded" grep -q '"first_bytes":"{\\"unknownThing' "$T/gz.jsonl"
for bad in "--limit 0" "--limit abc" "--format xml" "--nope" "--source"; do
  "$KUMO" --store "$S" rejects $bad >/dev/null 2>&1
  check "rejects: '$bad' is a usage error" [ $? -eq 2 ]
done
finish
