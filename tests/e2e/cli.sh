#!/bin/sh
# cli.sh — end-to-end behaviour of ingest/stats/show/events/verify/custody on
# small hand-written CloudTrail files: every container shape, re-ingest,
# duplicates across shapes, bad records, gzip bombs, stdin, exact raw bytes,
# CSV formula neutralisation, tamper detection.
. "$(dirname "$0")/lib.sh"
S="$T/store"
k() { "$KUMO" --store "$S" "$@"; }

rec() { # rec ID NAME IP UA [DAY]
  printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAEXAMPLEKEY000001","userName":"alice"},"eventTime":"2026-10-0%sT10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","userAgent":"%s","requestParameters":null,"responseElements":null,"requestID":"req-%s","eventID":"%s","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012"}' \
    "${5:-1}" "$2" "$3" "$4" "$1" "$1"
}
A=$(rec 1aaaaaaa-0000-4000-8000-000000000001 CreateUser 198.51.100.7 aws-cli/2.0)
B=$(rec 2aaaaaaa-0000-4000-8000-000000000002 ListUsers 198.51.100.8 "=HYPERLINK(\\\"x\\\")")
C=$(rec 3aaaaaaa-0000-4000-8000-000000000003 DeleteUser ec2.amazonaws.com "[aws-sdk-go/1.0]")
mkdir -p "$T/in"
printf '{"Records":[%s,%s,%s]}' "$A" "$B" "$C" > "$T/in/records.json"

# 1. a Records file
k ingest -q "$T/in/records.json" > "$T/o1" 2>&1; rc=$?
n=$(k stats --json | jq .events)
[ $rc -eq 0 ] && [ "$n" = 3 ] && ok ingest_records_file || fail ingest_records_file "rc=$rc events=$n"

# 2. same file again: already held, nothing new
k ingest --json "$T/in/records.json" > "$T/o2" 2>&1; rc=$?
[ $rc -eq 0 ] && [ "$(jq .files_already_held "$T/o2")" = 1 ] && [ "$(jq .events_new "$T/o2")" = 0 ] \
  && [ "$(k stats --json | jq .events)" = 3 ] && ok reingest_adds_nothing || fail reingest_adds_nothing "$(cat "$T/o2")"
k custody | grep -q 'already held' && ok custody_says_reacquire || fail custody_says_reacquire

# 3. the same events as JSON Lines, gzipped: all duplicates
printf '%s\n%s\n%s\n' "$A" "$B" "$C" | gzip > "$T/in/lines.jsonl.gz"
k ingest --json "$T/in/lines.jsonl.gz" > "$T/o3" 2>&1
[ "$(jq .events_duplicate "$T/o3")" = 3 ] && [ "$(jq .events_new "$T/o3")" = 0 ] \
  && ok duplicates_across_shapes || fail duplicates_across_shapes "$(cat "$T/o3")"

# 4. a bad line among good ones: rejected with its line, the rest stored, exit 1
D=$(rec 4aaaaaaa-0000-4000-8000-000000000004 GetUser 203.0.113.9 curl)
E=$(rec 5aaaaaaa-0000-4000-8000-000000000005 GetUser 203.0.113.9 curl 5)
printf '%s\n{"eventVersion": "1.08", "eventName": oops}\n%s\n' "$D" "$E" > "$T/in/bad.jsonl"
k ingest "$T/in/bad.jsonl" > "$T/o4" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q 'bad.jsonl.*line 2' "$T/o4" && [ "$(k stats --json | jq .events)" = 5 ] \
  && ok bad_record_reported_rest_kept || fail bad_record_reported_rest_kept "rc=$rc $(cat "$T/o4")"

# 5. a gzip bomb beside a good file: refused, named, the good file ingested
head -c 300000000 /dev/zero | gzip -1 > "$T/in/bomb.json.gz"
F=$(rec 6aaaaaaa-0000-4000-8000-000000000006 GetUser 203.0.113.10 curl)
printf '[%s]' "$F" > "$T/in/good.json"
start=$(date +%s)
k ingest --max-ratio 50 "$T/in/bomb.json.gz" "$T/in/good.json" > "$T/o5" 2>&1; rc=$?
took=$(( $(date +%s) - start ))
[ $rc -eq 1 ] && grep -qi 'bomb' "$T/o5" && grep -q 'bomb.json.gz' "$T/o5" && [ "$took" -lt 20 ] \
  && [ "$(k stats --json | jq .events)" = 6 ] && ok gzip_bomb_refused || fail gzip_bomb_refused "rc=$rc took=${took}s $(cat "$T/o5")"

# 6. stdin
G=$(rec 7aaaaaaa-0000-4000-8000-000000000007 GetUser 203.0.113.11 curl)
printf '%s\n' "$G" | k ingest -q - >/dev/null 2>&1
[ "$(k stats --json | jq .events)" = 7 ] && ok ingest_stdin || fail ingest_stdin

# 7. zip and tar.gz containing .json.gz members
H=$(rec 8aaaaaaa-0000-4000-8000-000000000008 GetUser 203.0.113.12 curl)
I=$(rec 9aaaaaaa-0000-4000-8000-000000000009 GetUser 203.0.113.13 curl)
mkdir -p "$T/arc/AWSLogs"
printf '{"Records":[%s]}' "$H" | gzip > "$T/arc/AWSLogs/h.json.gz"
printf '{"Records":[%s]}' "$I" > "$T/arc/AWSLogs/i.json"
(cd "$T/arc" && tar czf "$T/in/logs.tgz" AWSLogs)
J=$(rec aaaaaaaa-0000-4000-8000-00000000000a GetUser 203.0.113.14 curl)
printf '{"Records":[%s]}' "$J" | gzip > "$T/arc/j.json.gz"
if command -v zip >/dev/null 2>&1; then
  (cd "$T/arc" && zip -q "$T/in/logs.zip" j.json.gz)
else
  python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.write(sys.argv[2],'j.json.gz'); z.close()" "$T/in/logs.zip" "$T/arc/j.json.gz"
fi
k ingest -q "$T/in/logs.tgz" "$T/in/logs.zip" >/dev/null 2>&1
[ "$(k stats --json | jq .events)" = 10 ] && ok ingest_tar_gz_and_zip || fail ingest_tar_gz_and_zip "$(k stats --json | jq .events)"

# 8. show: the exact raw bytes, from inside a tar member
k show --json aaaaaaaa-0000-4000-8000-00000000000a > "$T/o8"
[ "$(jq -r .raw "$T/o8")" = "$J" ] && ok show_exact_raw_zip || fail show_exact_raw_zip "$(jq -r .raw "$T/o8")"
k show --json 8aaaaaaa-0000-4000-8000-000000000008 > "$T/o8b"
[ "$(jq -r .raw "$T/o8b")" = "$H" ] && [ "$(jq -r .event.action "$T/o8b")" = GetUser ] \
  && ok show_exact_raw_tar_member || fail show_exact_raw_tar_member "$(cat "$T/o8b")"
k show 2aaaaaaa-0000-4000-8000-000000000002 | grep -q 'raw record' && ok show_text || fail show_text
k show 00000000-0000-4000-8000-000000000000 >/dev/null 2>&1 && fail show_unknown_id || ok show_unknown_id

# 9. events filters and formats
[ "$(k events --ip 203.0.113.9 --format jsonl | wc -l)" = 2 ] && ok events_by_ip || fail events_by_ip
[ "$(k events --ip ec2.amazonaws.com --format jsonl | jq -r '.["src.ip"] // "none"')" = none ] \
  && ok service_host_not_an_ip || fail service_host_not_an_ip
[ "$(k events --actor alice --action CreateUser --format jsonl | wc -l)" = 1 ] && ok events_by_actor_action || fail events_by_actor_action
[ "$(k events --since 2026-10-05 --until 2026-10-06 --format jsonl | wc -l)" = 1 ] && ok events_by_time || fail events_by_time
k events --action ListUsers --format csv > "$T/o9"
grep -q ",\"'=HYPERLINK" "$T/o9" && ok csv_formula_neutralised || fail csv_formula_neutralised "$(cat "$T/o9")"
k events --format xml >/dev/null 2>&1; [ $? -eq 2 ] && ok events_bad_format_usage || fail events_bad_format_usage

# 10. verify, then tamper with a vault object
k verify > "$T/o10" && ok verify_clean || fail verify_clean "$(cat "$T/o10")"
v=$(find "$S/vault" -type f | head -n 1); chmod u+w "$v"
printf 'X' | dd of="$v" bs=1 seek=20 conv=notrunc 2>/dev/null
k verify > "$T/o10b"; rc=$?
[ $rc -eq 1 ] && grep -q BAD "$T/o10b" && ok verify_detects_tamper || fail verify_detects_tamper "$(cat "$T/o10b")"

# 11. a store from the future is refused
mkdir -p "$T/future"; echo "kumo-store 99" > "$T/future/FORMAT"
"$KUMO" --store "$T/future" stats > "$T/o11" 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q newer "$T/o11" && ok newer_store_refused || fail newer_store_refused "$(cat "$T/o11")"

# 13. every export shape of CloudTrail, through the CLI, in one command
S2="$T/shapes"
esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }   # JSON-escape a record into a string
K1=$(rec b1aaaaaa-0000-4000-8000-000000000001 GetUser 192.0.2.1 shape-lookup 2)
K2=$(rec b2aaaaaa-0000-4000-8000-000000000002 GetUser 192.0.2.2 shape-cwl 2)
K3=$(rec b3aaaaaa-0000-4000-8000-000000000003 GetUser 192.0.2.3 shape-export 2)
K4=$(rec b4aaaaaa-0000-4000-8000-000000000004 GetUser 192.0.2.4 shape-eventbridge 2)
K5=$(rec b5aaaaaa-0000-4000-8000-000000000005 GetUser 192.0.2.5 shape-firehose 2)
mkdir -p "$T/shapes-in"
printf '{"Events":[{"EventId":"b1aaaaaa-0000-4000-8000-000000000001","EventName":"GetUser","ReadOnly":"true","EventTime":"2026-10-02T10:00:00+00:00","EventSource":"iam.amazonaws.com","Username":"alice","Resources":[],"CloudTrailEvent":"%s"}],"NextToken":"x"}' "$(esc "$K1")" > "$T/shapes-in/lookup-events.json"
printf '{"events":[{"logStreamName":"123456789012_CloudTrail_us-east-1","timestamp":1790000000000,"message":"%s","ingestionTime":1790000000500,"eventId":"3800"}],"searchedLogStreams":[]}' "$(esc "$K2")" > "$T/shapes-in/filter-log-events.json"
printf '2026-10-02T10:00:00.000Z %s\n' "$K3" | gzip > "$T/shapes-in/000000.gz"
printf '{"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"123456789012","time":"2026-10-02T10:00:00Z","region":"us-east-1","resources":[],"detail":%s}' "$K4" > "$T/shapes-in/eventbridge.json"
printf '{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"aws-cloudtrail","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1790000000000,"message":"%s"}]}' "$(esc "$K5")" | gzip > "$T/shapes-in/firehose.gz"
printf '{"awsAccountId":"123456789012","digestStartTime":"2026-10-02T09:00:00Z","digestEndTime":"2026-10-02T10:00:00Z","digestS3Bucket":"b","digestS3Object":"o","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2026-10-02T09:59:00Z","oldestEventTime":"2026-10-02T09:00:00Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}' > "$T/shapes-in/digest.json"
"$KUMO" --store "$S2" ingest --json "$T/shapes-in" > "$T/o13" 2>&1; rc=$?
[ $rc -eq 0 ] && [ "$(jq .events_new "$T/o13")" = 5 ] && [ "$(jq .evidence_only_records "$T/o13")" = 1 ] \
  && ok all_cloudtrail_shapes_ingest || fail all_cloudtrail_shapes_ingest "rc=$rc $(cat "$T/o13")"
for u in lookup cwl export eventbridge firehose; do
  n=$("$KUMO" --store "$S2" events --format jsonl | jq -r '.user_agent' | grep -c "^shape-$u\$")
  [ "$n" = 1 ] && ok "shape_$u" || fail "shape_$u" "found $n"
done
# the exact raw record of a CloudWatch event is the element, message string included
"$KUMO" --store "$S2" show --json b2aaaaaa-0000-4000-8000-000000000002 | jq -r .raw | jq -e '.eventId == "3800"' >/dev/null \
  && ok show_raw_is_export_element || fail show_raw_is_export_element
"$KUMO" --store "$S2" custody --json | jq -r .format | grep -q '^aws.cloudtrail.digest' \
  && ok digest_kept_as_evidence || fail digest_kept_as_evidence "$("$KUMO" --store "$S2" custody --json | jq -r .format)"

# 14. control bytes in logged strings never reach the terminal raw
printf '[{"eventVersion":"1.08","eventTime":"2026-10-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"X","userAgent":"\\u001b[2Jevil","sourceIPAddress":"192.0.2.77","eventID":"00000000-0000-4000-8000-00000000beef"}]' > "$T/esc.json"
"$KUMO" --store "$T/esc" ingest -q "$T/esc.json" >/dev/null 2>&1
"$KUMO" --store "$T/esc" show 00000000-0000-4000-8000-00000000beef | grep '^  user_agent' > "$T/o14"
grep -q 'x1b\[2Jevil' "$T/o14" && ! grep -q "$(printf '\033')" "$T/o14" \
  && ok terminal_escapes_neutralised || fail terminal_escapes_neutralised "$(cat -v "$T/o14")"

# 15. the e-mail key matches whatever the case typed
printf '{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:Bob@Corp.Test","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/Bob@Corp.Test","accountId":"123456789012"},"eventTime":"2026-10-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.88","userAgent":"sso","eventID":"00000000-0000-4000-8000-0000000000b0","recipientAccountId":"123456789012"}]}' > "$T/sso.json"
"$KUMO" --store "$T/sso" ingest -q "$T/sso.json" >/dev/null 2>&1
[ "$("$KUMO" --store "$T/sso" events --actor BOB@CORP.TEST --format jsonl | jq -r '.["actor.email"]')" = bob@corp.test ] \
  && ok actor_email_case_insensitive || fail actor_email_case_insensitive

# 12. unknown command / no store
"$KUMO" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok unknown_command || fail unknown_command
"$KUMO" --store "$T/none" stats 2>&1 | grep -q 'no kumo store' && ok missing_store_message || fail missing_store_message
finish
