#!/bin/sh
# query_golden.sh — `kumo query` on real corpus files, with answers read by
# hand from the files (jq over the originals when this test was written, never
# from kumo): every command, function and operator, raw JSON paths and
# @message, each output format, --since/--until and --tz; then the error
# paths (caret + hint, invalid regex, aggregate outside stats, warnings) and an
# empty store. A few hand-written records check raw-path corner cases.
#
# The store: 129 events, none duplicate or rejected —
#   OTRF ec2_proxy_s3_exfiltration.zip   103 CloudTrail records (no eventTime:
#     times are fallbacks, so no time is asserted on them); 98 from 1.2.3.4,
#     5 AssumeRole from "ec2.amazonaws.com"; 85 Describe* calls of 21 names;
#     9 with requestParameters.bucketName (7 ListObjects, 2 GetObject);
#     GetEnrollmentStatus 2, ListBuckets 2.
#   stratus-red-team detonation logs (10): StopLogging (86.245.153.234,
#     2024-07-31T13:06:24Z), ConsoleLogin (225.01.00.16), AttachUserPolicy /
#     CreateAccessKey / CreateUser (075.050.255.67, 2024-08-01T13:33:28Z),
#     5 x BatchGetSecretValue (88.223.251.255; 3 at 12:29:17, 2 at 12:29:16).
#     Addresses with leading zeros are not IPs (docs/schema.md: src.ip absent).
#   elastic test-signinlogs-raw.log (5 Entra sign-ins, one per category, all
#     resultType 50140 from 81.2.69.144 at 2019-10-18T09:45:48.0729893Z).
#   plaso gcp_logging.jsonl (11): 9 audit activity (1.1.1.1 x 8 and
#     34.72.217.225 — the ketchup CreateServiceAccount, status code 7) and 2
#     testlog entries without method, caller or principal.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
D="$C/stratus-red-team-detonation-logs/docs/detonation-logs"
OT="$C/otrf-security-datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip"
EL="$C/elastic-integrations-testdata/packages/azure/data_stream/signinlogs/_dev/test/pipeline/test-signinlogs-raw.log"
GL="$C/plaso-test-data/test_data/jsonl/gcp_logging.jsonl"
STOP="$D/aws.defense-evasion.cloudtrail-stop.json"
[ -f "$OT" ] && [ -f "$EL" ] && [ -f "$GL" ] && [ -f "$STOP" ] \
  || { fail query_golden_corpus "no corpus at $C"; exit 1; }
S="$T/store"
"$KUMO" --store "$S" ingest --json "$OT" "$STOP" "$D/aws.initial-access.console-login-without-mfa.json" \
  "$D/aws.persistence.iam-create-admin-user.json" "$D/aws.credential-access.secretsmanager-batch-retrieve-secrets.json" \
  "$EL" "$GL" >"$T/ingest.json" 2>"$T/ingest.err"
[ "$(jq .events_new "$T/ingest.json")" = 129 ] && [ "$(jq .records_rejected "$T/ingest.json")" = 0 ] \
  && ok query_golden_store || { fail query_golden_store "$(head -c 400 "$T/ingest.json") $(head -3 "$T/ingest.err")"; exit 1; }

q() { "$KUMO" --store "$S" query "$@"; }

# rows NAME QUERY [ROW...]: the JSON Lines answer equals the expected rows in
# any order (both sides normalised by jq -c; column order counts)
rows() {
  n=$1; qq=$2; shift 2
  q --format jsonl "$qq" >"$T/out" 2>"$T/err"; rc=$?
  got=$(jq -c . "$T/out" | sort)
  want=$(printf '%s\n' "$@" | jq -c . | sort)
  if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then ok "$n"
  else fail "$n" "query: $qq
  got (rc=$rc): $(echo "$got" | head -5 | tr '\n' ' ') $(head -3 "$T/err")
  want: $(echo "$want" | tr '\n' ' ')"; fi
}
# seq NAME QUERY ROW...: the same, in this order
seq_rows() {
  n=$1; qq=$2; shift 2
  q --format jsonl "$qq" >"$T/out" 2>"$T/err"; rc=$?
  got=$(jq -c . "$T/out")
  want=$(printf '%s\n' "$@" | jq -c .)
  if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then ok "$n"
  else fail "$n" "query: $qq
  got (rc=$rc): $(echo "$got" | tr '\n' ' ') $(head -3 "$T/err")
  want: $(echo "$want" | tr '\n' ' ')"; fi
}

rows golden_count_all 'stats count() as n' '{"n":129}'
rows golden_count_by_provider 'stats count() as n by provider' \
  '{"provider":"aws","n":113}' '{"provider":"azure","n":5}' '{"provider":"gcp","n":11}'

# ---- commands ------------------------------------------------------------------
rows cmd_fields 'filter action = "StopLogging" | fields event_id, src.ip, region, read_only, tolower(action) as a' \
  '{"event_id":"10163ed2-2253-469d-a5ee-cbc6651f8934","src.ip":"86.245.153.234","region":"apiso-centralnorth-2r","read_only":false,"a":"stoplogging"}'
# default columns: time, provider, source, actor.name, action, outcome, src.ip
rows cmd_filter_default_columns 'filter action = "CreateAccessKey"' \
  '{"time":"2024-08-01T13:33:28Z","provider":"aws","source":"aws.cloudtrail","actor.name":"christophe","action":"CreateAccessKey","outcome":"success","src.ip":null}'
rows cmd_stats_raw_path 'filter requestParameters.bucketName = "mordors3stack-s3bucket-llp2yingx64a" | stats count() as n by action' \
  '{"action":"GetObject","n":2}' '{"action":"ListObjects","n":7}'
seq_rows cmd_sort 'filter action = "BatchGetSecretValue" | sort time desc, event_id | fields event_id' \
  '{"event_id":"61619dbf-c10b-471e-9d78-8199a2f8233a"}' '{"event_id":"7c7a69f9-867d-4b5b-beee-7fe62ba34d5c"}' \
  '{"event_id":"cf4e352a-b575-4003-bd81-0c531f42e626"}' '{"event_id":"bddee0fb-2541-430d-aad5-b1fdd5d419f1"}' \
  '{"event_id":"cdc49957-9518-4ab3-a49e-b5a7c17903e6"}'
seq_rows cmd_sort_limit 'filter action = "BatchGetSecretValue" | sort time desc, event_id asc | limit 2 | fields event_id' \
  '{"event_id":"61619dbf-c10b-471e-9d78-8199a2f8233a"}' '{"event_id":"7c7a69f9-867d-4b5b-beee-7fe62ba34d5c"}'
rows cmd_limit 'filter provider = "azure" | limit 3 | stats count() as n' '{"n":3}'
rows cmd_dedup_count 'filter action like "Describe" | dedup action | stats count() as n' '{"n":21}'
rows cmd_dedup_missing_is_a_value 'filter provider = "gcp" | dedup src.ip | display src.ip' \
  '{"src.ip":"1.1.1.1"}' '{"src.ip":"34.72.217.225"}' '{"src.ip":null}'
rows cmd_display 'filter action = "CreateUser" | fields tolower(action) as low | display event_id, low' \
  '{"event_id":"3346344c-5a3e-429e-8405-420f98f75d6e","low":"createuser"}'
rows cmd_parse_glob 'filter action = "StopLogging" | parse user_agent "stratus-red-team_*-*" as run, rest | fields run, rest' \
  '{"run":"c97089f1","rest":"1ae3-4ecc-b006-f5e8fd0f2571"}'
rows cmd_parse_glob_email 'filter src.ip = "34.72.217.225" | parse actor.email "*@*" as user, domain | display user, domain' \
  '{"user":"dvwa-service-account","domain":"ketchup.iam.gserviceaccount.com"}'
rows cmd_parse_regex 'filter source = "gcp.audit.activity" and action like ".compute." | parse action /^(?<ver>[a-z0-9]+)\.compute\.(?<kind>[a-z]+)\./ | stats count() as n by ver, kind' \
  '{"ver":"beta","kind":"networks","n":2}' '{"ver":"v1","kind":"firewalls","n":2}' '{"ver":"beta","kind":"instances","n":3}'

# ---- functions -----------------------------------------------------------------
rows fn_count 'filter provider = "gcp" | stats count() as n, count(*) as star, count(src.ip) as with_ip' \
  '{"n":11,"star":11,"with_ip":9}'
rows fn_count_distinct 'filter source = "gcp.audit.activity" | stats count_distinct(action) as methods, count_distinct(actor.email) as people' \
  '{"methods":4,"people":3}'
# GCP times carry nanoseconds: truncated to µs (docs/sources/gcp_audit.md)
rows fn_min_max 'filter provider = "gcp" | stats min(time) as first, max(time) as last, min(action) as a, max(strlen(action)) as l' \
  '{"first":"2021-10-19T02:04:00.272384Z","last":"2024-12-03T17:58:44.882119Z","a":"beta.compute.instances.insert","l":40}'
# action lengths of the 5 sign-ins: 10 28 26 35 25; properties.status.errorCode 50140 each
rows fn_sum_avg 'filter provider = "azure" | stats sum(strlen(action)) as s, avg(strlen(action)) as a, sum(properties.status.errorCode) as codes' \
  '{"s":124,"a":24.8,"codes":250700}'
rows fn_earliest_latest 'filter source = "gcp.audit.activity" | stats earliest(action) as first, latest(actor.email) as last_who' \
  '{"first":"beta.compute.instances.insert","last_who":"dvwa-service-account@ketchup.iam.gserviceaccount.com"}'
rows fn_pct 'filter provider = "azure" | stats pct(strlen(action), 50) as p50, pct(strlen(action), 90) as p90, pct(strlen(action), 0) as p0' \
  '{"p50":26,"p90":35,"p0":10}'
rows fn_bin_1h 'filter provider = "gcp" | stats count() as n by bin(1h) as hour' \
  '{"hour":"2021-10-19T02:00:00Z","n":9}' '{"hour":"2024-04-26T20:00:00Z","n":1}' '{"hour":"2024-12-03T17:00:00Z","n":1}'
rows fn_bin_1d 'filter action = "BatchGetSecretValue" or action = "StopLogging" | stats count() as n by bin(1d)' \
  '{"bin(1d)":"2024-07-31T00:00:00Z","n":6}'
rows fn_ispresent 'filter source = "aws.cloudtrail" and not ispresent(src.ip) | stats count() as n by src.raw' \
  '{"src.raw":"ec2.amazonaws.com","n":5}' '{"src.raw":"075.050.255.67","n":3}' '{"src.raw":"225.01.00.16","n":1}'
rows fn_ispresent_raw 'filter ispresent(requestParameters.bucketName) | stats count() as n' '{"n":9}'
rows fn_isIpInSubnet 'filter isIpInSubnet(src.ip, "1.0.0.0/8") | stats count() as n by provider' \
  '{"provider":"aws","n":98}' '{"provider":"gcp","n":8}'
rows fn_isIpInSubnet_host 'filter isIpInSubnet(src.ip, "81.2.69.144/32") and not isIpInSubnet(src.ip, "81.2.69.145/32") | stats count() as n' '{"n":5}'
rows fn_coalesce 'filter provider = "gcp" | stats count() as n by coalesce(actor.email, "nobody") as who' \
  '{"who":"fakeemailxyz@gmail.com","n":7}' '{"who":"fake-account@fake-project.com","n":1}' \
  '{"who":"dvwa-service-account@ketchup.iam.gserviceaccount.com","n":1}' '{"who":"nobody","n":2}'
rows fn_tolower 'filter tolower(action) = "consolelogin" | fields event_id' '{"event_id":"865d9377-9c6b-4fd7-8aad-725e95f6a140"}'
rows fn_strlen 'filter source = "azure.signin" and strlen(action) > 26 | fields action' \
  '{"action":"NonInteractiveUserSignInLogs"}' '{"action":"MicrosoftServicePrincipalSignInLogs"}'

# ---- operators -----------------------------------------------------------------
rows op_eq_number_string 'filter error.code = 50140 | stats count() as n' '{"n":5}'
rows op_ne 'filter source = "gcp.audit.activity" and action != "beta.compute.instances.insert" | stats count() as n' '{"n":6}'
# a missing value makes != true: the 2 testlog entries have no action
rows op_ne_missing 'filter provider = "gcp" and action != "x" | stats count() as n' '{"n":11}'
rows op_gt_le 'filter provider = "aws" and action > "Get" and action <= "ListObjects" | stats count() as n by action' \
  '{"action":"GetEnrollmentStatus","n":2}' '{"action":"GetObject","n":2}' '{"action":"ListBuckets","n":2}' '{"action":"ListObjects","n":7}'
rows op_ge_lt_time 'filter time >= "2021-10-19T02:55:46.097818Z" and time < "2021-10-19T02:57:47.339377Z" | fields action' \
  '{"action":"v1.compute.firewalls.insert"}' '{"action":"v1.compute.firewalls.insert"}' '{"action":"beta.compute.networks.insert"}'
rows op_in 'filter action in ["StopLogging", "ConsoleLogin", "NoSuchAction"] | fields event_id' \
  '{"event_id":"10163ed2-2253-469d-a5ee-cbc6651f8934"}' '{"event_id":"865d9377-9c6b-4fd7-8aad-725e95f6a140"}'
rows op_not_in 'filter provider = "azure" and action not in ("SignInLogs", "ManagedIdentitySignInLogs") | stats count() as n' '{"n":3}'
rows op_like_substring 'filter user_agent like "stratus-red-team_6bf00313" | stats count() as n' '{"n":3}'
# without %, _ is an ordinary character
rows op_like_substring_underscore 'filter user_agent like "team_0a05" | stats count() as n' '{"n":5}'
rows op_like_wildcard 'filter action like "Describe%Status" | stats count() as n' '{"n":16}'
rows op_like_one_char 'filter action like "Get_bject%" | stats count() as n' '{"n":2}'
rows op_like_regex 'filter event_id like /^SignInLogs:/ | fields action' '{"action":"SignInLogs"}'
rows op_match_caseless 'filter action =~ /^batchget/i | stats count() as n' '{"n":5}'
rows op_and_or_not 'filter provider = "azure" and (action like "ServicePrincipal" or action = "ManagedIdentitySignInLogs") and not action like /^Microsoft/ | fields action' \
  '{"action":"ServicePrincipalSignInLogs"}' '{"action":"ManagedIdentitySignInLogs"}'
# ((not aws) and not azure) or StopLogging: 11 GCP + 1
rows op_precedence 'filter not provider = "aws" and provider != "azure" or action = "StopLogging" | stats count() as n' '{"n":12}'

# ---- raw JSON paths and @message --------------------------------------------------
q --format jsonl 'filter provider = "azure" and action = "SignInLogs" | fields properties.status as st' >"$T/st" 2>"$T/err"
want=$(head -n 1 "$EL" | jq -c .properties.status)
[ "$(jq -c '.st | fromjson' "$T/st" 2>/dev/null)" = "$want" ] && ok raw_path_object_as_json \
  || fail raw_path_object_as_json "$(cat "$T/st") want $want"
rows raw_path_array_index 'filter isIpInSubnet(src.ip, "34.72.217.225/32") | fields protoPayload.status.details[0].reason as r, protoPayload.status.code as c' \
  '{"r":"IAM_PERMISSION_DENIED","c":7}'
rows raw_path_number_spelling 'filter properties.status.errorCode = "50140.0" | stats count() as n' '{"n":5}'
q --format jsonl 'filter action = "StopLogging" | fields @message' >"$T/msg" 2>"$T/err"
jq -r '.["@message"]' "$T/msg" >"$T/msg.txt"
if [ "$(jq -c . "$T/msg.txt" 2>/dev/null)" = "$(jq -c '.[0]' "$STOP")" ] \
  && python3 -c 'import sys; m=open(sys.argv[1]).read().rstrip("\n"); sys.exit(0 if m and m in open(sys.argv[2]).read() else 1)' "$T/msg.txt" "$STOP"; then
  ok raw_message_exact_bytes
else fail raw_message_exact_bytes "$(head -c 300 "$T/msg")"; fi
# a raw path compared with text that no record holds: no false "exists in no event" warning
q --format jsonl 'filter requestParameters.bucketName = "no-such-bucket" | stats count() as n' >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && ! grep -q 'exists in no event' "$T/err" && ok raw_path_absent_value_no_false_warning \
  || fail raw_path_absent_value_no_false_warning "rc=$rc $(cat "$T/err")"
# hand-written records (not corpus): a JSON \u escape in a raw value
S2="$T/store2"
mkdir -p "$T/in2"
printf '%s\n' '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"},"eventTime":"2026-10-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Go-http-client/1.1","requestParameters":{"policyName":"a\u0026b","userName":"Bob"},"responseElements":null,"requestID":"r1","eventID":"1aaaaaaa-0000-4000-8000-0000000000e1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012"}' >"$T/in2/esc.json"
"$KUMO" --store "$S2" ingest -q "$T/in2/esc.json" >/dev/null 2>&1
"$KUMO" --store "$S2" query --format jsonl 'filter requestParameters.policyName = "a&b" | fields requestParameters.userName as u' >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = '{"u":"Bob"}' ] && ok raw_path_unicode_escape || fail raw_path_unicode_escape "$(cat "$T/out" "$T/err")"

# ---- output formats and options ------------------------------------------------------
q --format json 'filter action = "BatchGetSecretValue" | fields event_id' >"$T/json" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(jq length "$T/json")" = 5 ] \
  && [ "$(jq -r '.[].event_id' "$T/json" | sort | tr '\n' ' ')" = "61619dbf-c10b-471e-9d78-8199a2f8233a 7c7a69f9-867d-4b5b-beee-7fe62ba34d5c bddee0fb-2541-430d-aad5-b1fdd5d419f1 cdc49957-9518-4ab3-a49e-b5a7c17903e6 cf4e352a-b575-4003-bd81-0c531f42e626 " ] \
  && ok format_json || fail format_json "rc=$rc $(head -c 300 "$T/json")"
# CSV: a leading = + - @ is neutralised (insertId "-jp4orodaqma" is real; the others are literals), quotes doubled
q --format csv 'filter insertId = "-jp4orodaqma" or src.ip = "34.72.217.225" | sort time | fields insertId, action, protoPayload.status.message as m, "=1+2" as f, "@SUM(A1)" as g, "+x" as h' >"$T/csv" 2>"$T/err"
cat >"$T/csv.want" <<'EOF'
insertId,action,m,f,g,h
"'-jp4orodaqma",beta.compute.networks.insert,,"'=1+2","'@SUM(A1)","'+x"
1awjxggeaxqgz,google.iam.admin.v1.CreateServiceAccount,"Permission ""iam.serviceAccounts.create"" denied on resource (or it may not exist).","'=1+2","'@SUM(A1)","'+x"
EOF
cmp -s "$T/csv" "$T/csv.want" && ok format_csv_neutralised || fail format_csv_neutralised "$(cat "$T/csv" "$T/err")"
q --format tsv 'filter action = "StopLogging" | fields event_id, action' >"$T/tsv" 2>"$T/err"
printf 'event_id\taction\n10163ed2-2253-469d-a5ee-cbc6651f8934\tStopLogging\n' | cmp -s - "$T/tsv" && ok format_tsv || fail format_tsv "$(cat "$T/tsv")"
# a table through a pipe is never cut, whatever $COLUMNS says (on a terminal
# it is: tests/e2e/output.sh runs one on a pseudo-terminal)
COLUMNS=60 q --format table 'filter provider = "gcp" | fields time, action, actor.email, event_id' >"$T/table" 2>"$T/err"; rc=$?
python3 -c '
import sys
ls = open(sys.argv[1], encoding="utf-8").read().splitlines()
sys.exit(0 if len(ls) == 12 and max(len(l) for l in ls) > 60 and ls[0].startswith("time") else 1)' "$T/table" \
  && grep -q 'beta.compute.networks.insert' "$T/table" && ! grep -q '…' "$T/table" \
  && grep -q 'projects/fake-project/logs/testlog#1io3yo2fursxdi@2021-10-19T02:04:00.272384Z' "$T/table" \
  && [ $rc -eq 0 ] && ok format_table_pipe_whole \
  || fail format_table_pipe_whole "rc=$rc $(head -3 "$T/table")"
q --format jsonl --since 2021-10-19T02:55:46.097818Z --until 2021-10-19T02:57:39.354769Z 'fields action' >"$T/out" 2>"$T/err"
[ "$(jq -r .action "$T/out" | sort | tr '\n' ' ')" = "beta.compute.networks.insert v1.compute.firewalls.insert v1.compute.firewalls.insert " ] \
  && ok opt_since_until_inclusive || fail opt_since_until_inclusive "$(cat "$T/out" "$T/err")"
# a bare date in --until includes that whole day (docs/cli.md)
q --format jsonl --since 2024-07-31 --until 2024-07-31 'stats count() as n' >"$T/out" 2>"$T/err"
q --format jsonl --since 2024-07-31 --until 2024-08-01 'stats count() as n' >"$T/out2" 2>>"$T/err"
q --format jsonl --since 2024-07-31 --until 2024-08-01T23:59:59.999999Z 'stats count() as n' >"$T/out3" 2>>"$T/err"
[ "$(cat "$T/out")" = '{"n":6}' ] && [ "$(cat "$T/out2")" = '{"n":9}' ] && cmp -s "$T/out2" "$T/out3" \
  && ok opt_since_until_dates || fail opt_since_until_dates "$(cat "$T/out" "$T/out2" "$T/out3" "$T/err")"
q --format jsonl --tz +02:00 'filter action in ["StopLogging", "SignInLogs"] | sort time | fields time' >"$T/out" 2>"$T/err"
[ "$(jq -r .time "$T/out" | tr '\n' ' ')" = "2019-10-18T11:45:48.072989+02:00 2024-07-31T15:06:24+02:00 " ] \
  && ok opt_tz || fail opt_tz "$(cat "$T/out" "$T/err")"
q --format xml 'limit 1' >/dev/null 2>&1; [ $? -eq 2 ] && ok opt_bad_format_usage || fail opt_bad_format_usage

# ---- errors ------------------------------------------------------------------------
# caret QUERY OFFSET: the error shows the query line with '^' under byte OFFSET of it
caret() {
  Q="$1" OFF="$2" awk 'BEGIN { q = ENVIRON["Q"]; off = ENVIRON["OFF"] + 0 }
    seen { c = index($0, "^"); ok = (c == j + off); exit }
    { j = index($0, q); if (j) seen = 1 }
    END { exit !ok }' "$T/err"
}
qe() { q "$1" >"$T/out" 2>"$T/err"; echo $?; }
Q1='filter action = | stats count()'
rc=$(qe "$Q1")
[ "$rc" = 2 ] && caret "$Q1" 16 && grep -q '^hint: ' "$T/err" && grep -q 'expected an expression' "$T/err" \
  && ok err_syntax_caret_hint || fail err_syntax_caret_hint "rc=$rc $(cat "$T/err")"
rc=$(qe 'where action = "ConsoleLogin"')
[ "$rc" = 2 ] && caret 'where action' 0 && grep -q '^hint: .*filter' "$T/err" \
  && ok err_unknown_command_hint || fail err_unknown_command_hint "rc=$rc $(cat "$T/err")"
Q3='filter action = "x" and (src.ip = "1" | limit 1'
rc=$(qe "$Q3")
[ "$rc" = 2 ] && caret "$Q3" 38 && ok err_unclosed_paren || fail err_unclosed_paren "rc=$rc $(cat "$T/err")"
# the caret points into the regex (from PCRE2's error offset): between its slashes
Q4='filter action =~ /a(b/ | limit 1'
rc=$(qe "$Q4")
in_regex=0
for o in 17 18 19 20 21; do caret "$Q4" $o && in_regex=1; done
[ "$rc" = 2 ] && [ $in_regex = 1 ] && grep -q 'invalid regular expression' "$T/err" \
  && ok err_invalid_regex || fail err_invalid_regex "rc=$rc $(cat "$T/err")"
Q5='filter count() > 1'
rc=$(qe "$Q5")
[ "$rc" = 2 ] && caret "$Q5" 7 && grep -q 'only allowed in stats' "$T/err" \
  && ok err_aggregate_outside_stats || fail err_aggregate_outside_stats "rc=$rc $(cat "$T/err")"
Q6='stats count() as n by provider | fields max(n)'
rc=$(qe "$Q6")
[ "$rc" = 2 ] && caret "$Q6" 40 && ok err_aggregate_in_fields || fail err_aggregate_in_fields "rc=$rc $(cat "$T/err")"
rc=$(qe 'filter requestParameter.bucketName = "x" | stats count()')
[ "$rc" = 0 ] && grep -q "^warning: field 'requestParameter.bucketName' exists in no event" "$T/err" \
  && ok err_missing_path_warning || fail err_missing_path_warning "rc=$rc $(cat "$T/err")"
rc=$(qe 'stats count() as n by provider | fields provider, action')
[ "$rc" = 0 ] && grep -q "warning: 'action' is not a column after stats" "$T/err" \
  && ok err_not_a_column_after_stats || fail err_not_a_column_after_stats "rc=$rc $(cat "$T/err")"

# an empty store: every query runs and says nothing
E="$T/empty"
mkdir -p "$T/none"
"$KUMO" --store "$E" ingest -q "$T/none" >/dev/null 2>&1
"$KUMO" --store "$E" query --format json 'stats count() as n by action' >"$T/out" 2>"$T/err"; r1=$?
"$KUMO" --store "$E" query 'filter requestParameters.bucketName = "x" | sort time desc | limit 5' >"$T/out2" 2>>"$T/err"; r2=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ "$(jq -c . "$T/out")" = '[]' ] && ! grep -q 'warning' "$T/err" \
  && ok empty_store || fail empty_store "r1=$r1 r2=$r2 $(cat "$T/out" "$T/err")"
# count(f) / count_distinct(f) skip "" like ispresent(): of the 5 elastic Entra
# sign-ins, 2 name no identity type (interactive category, no userType), 2 are
# ServicePrincipalSignInLogs and 1 ManagedIdentitySignInLogs
rows query_golden_count_skips_empty 'filter source = "azure.signin" | stats count(actor.type) as n, count_distinct(actor.type) as d, count() as all' \
  '{"n":3,"d":2,"all":5}'
finish
