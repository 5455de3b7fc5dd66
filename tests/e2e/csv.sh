#!/bin/sh
# csv.sh — CSV exports end to end: ingest splits the rows (header + RFC 4180
# rows), each row is an event of the source its columns name; a ragged row is
# a reject with its line; `kumo show` of a CSV event prints the normalized
# event (re-normalized from the row and the file's header, so raw-only fields
# such as request_id come back) and, as the raw record, the row's exact bytes
# (compared with the bytes Python cuts from the file). The OTRF
# honey-bucket zip's first row is checked the same way.
. "$(dirname "$0")/lib.sh"
S="$T/store"
D="$T/in"
mkdir -p "$D"
# Entra portal sign-in download (CRLF, a quoted Location, BOM) and a
# CloudTrail console download with a quoted cell spanning two lines and a
# ragged row (line 4 of the file: 13 cells for 12 columns).
printf '\357\273\277Date (UTC),Request ID,User,Username,IP address,Location,Status,Sign-in error code,Correlation ID\r\n' > "$D/signins.csv"
printf '2024-03-05T10:11:12Z,1f0e3a52-6b1c-4d52-9f0a-0c2f3b4a5d6e,Alice,Alice@Contoso.com,203.0.113.7,"Redmond, Washington, US",Failure,50126,corr-1\r\n' >> "$D/signins.csv"
printf '2024-03-05T10:12:00Z,2b1c4d5e-0000-4000-8000-000000000001,Alice,alice@contoso.com,203.0.113.7,"Paris, IDF, FR",Success,0,corr-2\r\n' >> "$D/signins.csv"
printf 'Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,AWS region,Error code,Source IP address,Event source,Read-only\n' > "$D/events.csv"
printf '3b3e6b0e-4d1c-4f0a-9a5e-0b6f1a2c3d4e,2023-07-19T21:33:41Z,alice,CreateUser,AWS::IAM::User,"mallory\nthe second",AKIAEXAMPLE,us-east-1,,198.51.100.20,iam.amazonaws.com,false\n' >> "$D/events.csv"
printf 'x,2023-07-19T21:33:42Z,alice,CreateUser,,,,us-east-1,,198.51.100.20,iam.amazonaws.com,false,extra\n' >> "$D/events.csv"
"$KUMO" --store "$S" ingest --json "$D" > "$T/sum.json" 2>"$T/err"; rc=$?
new=$(jq .events_new "$T/sum.json"); rej=$(jq .records_rejected "$T/sum.json")
rj=$(jq -r '.rejects[] | "\(.file | split("/") | last) \(.line) \(.reason)"' "$T/sum.json")
[ "$rc" -eq 1 ] && [ "$new" = 3 ] && [ "$rej" = 1 ] \
  && echo "$rj" | grep -q '^events.csv 4 CSV row has 13 cells, the header has 12 columns' \
  && ok "csv_ingest ($new events, ragged row rejected at its line)" \
  || fail csv_ingest "rc=$rc new=$new rejected=$rej $rj $(head -c 300 "$T/err")"
srcs=$(jq -c '[.sources[] | [.source, .new]]' "$T/sum.json")
[ "$srcs" = '[["azure.signin",2],["aws.cloudtrail",1]]' ] || [ "$srcs" = '[["aws.cloudtrail",1],["azure.signin",2]]' ] \
  && ok csv_sources || fail csv_sources "$srcs"

# show: normalized fields, re-derived request_id, and the exact row
"$KUMO" --store "$S" show SignInLogs:1f0e3a52-6b1c-4d52-9f0a-0c2f3b4a5d6e > "$T/show.txt"; rc=$?
row=$(sed -n 2p "$D/signins.csv" | tr -d '\r')
[ "$rc" -eq 0 ] && grep -q '^  outcome  *failure$' "$T/show.txt" \
  && grep -q '^  error.code  *50126$' "$T/show.txt" \
  && grep -q '^  actor.email  *alice@contoso.com$' "$T/show.txt" \
  && grep -q '^  src.geo.city  *Redmond$' "$T/show.txt" \
  && grep -q '^  request_id  *corr-1$' "$T/show.txt" \
  && [ "$(sed -n '/^raw record$/{n;p;}' "$T/show.txt")" = "$row" ] \
  && ok csv_show_signin || fail csv_show_signin "rc=$rc $(cat "$T/show.txt")"
# --json: the raw record is exactly the row's bytes (CR LF excluded), and
# the evidence offset/length point at them in the decoded stream
"$KUMO" --store "$S" show --json 3b3e6b0e-4d1c-4f0a-9a5e-0b6f1a2c3d4e > "$T/show.json"; rc=$?
want=$(python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
i = b.index(b"3b3e6b0e"); j = b.index(b"\nx,", i)
print(i, j - i)
sys.stdout.flush(); sys.stdout.buffer.write(b[i:j])' "$D/events.csv")
got=$(jq -r '"\(.evidence.offset) \(.evidence.length)\n\(.raw)"' "$T/show.json")
[ "$rc" -eq 0 ] && [ "$got" = "$want" ] \
  && [ "$(jq -c .event.resources "$T/show.json")" = '[{"type":"AWS::IAM::User","name":"mallory\nthe second"}]' ] \
  && [ "$(jq -r .event.action "$T/show.json")" = CreateUser ] \
  && ok csv_show_json_raw_row || fail csv_show_json_raw_row "rc=$rc got=[$got] want=[$want]"

# the OTRF honey-bucket alerts: 301 rows, the first one shown with its row
Z="$CORPUS/otrf-security-datasets/datasets/atomic/aws/discovery/aws_s3_honeybucketlogs.zip"
if [ -f "$Z" ]; then
  "$KUMO" --store "$T/s2" ingest --json "$Z" > "$T/sum2.json" 2>/dev/null; rc=$?
  [ "$rc" -eq 0 ] && [ "$(jq .events_new "$T/sum2.json")" = 301 ] \
    && [ "$(jq .records_rejected "$T/sum2.json")" = 0 ] \
    && ok csv_honeybucket_ingest || fail csv_honeybucket_ingest "rc=$rc $(head -c 300 "$T/sum2.json")"
  "$KUMO" --store "$T/s2" show --json 283770f5-968d-448d-9328-0b010f4d3696 > "$T/hb.json"; rc=$?
  want=$(python3 -c '
import sys, zipfile
b = zipfile.ZipFile(sys.argv[1]).read("AWS_S3_HoneyBucketLogs.csv")
i = b.index(b"\n") + 1; j = b.index(b"\r\n", i)
sys.stdout.buffer.write(b[i:j])' "$Z")
  [ "$rc" -eq 0 ] && [ "$(jq -r .raw "$T/hb.json")" = "$want" ] \
    && [ "$(jq -r .event.request_id "$T/hb.json")" = E2E91AQVN6DJHZ91 ] \
    && [ "$(jq -r .event.account "$T/hb.json")" = ANONYMOUS_PRINCIPAL ] \
    && [ "$(jq -r .event.time "$T/hb.json")" = 2022-02-18T17:34:57Z ] \
    && ok csv_honeybucket_show || fail csv_honeybucket_show "rc=$rc $(head -c 600 "$T/hb.json")"
else
  fail csv_honeybucket_present "no $Z"
fi
finish
