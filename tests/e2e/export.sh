#!/bin/sh
# export.sh — `kumo export` over real corpus files (the CloudTrail user-guide
# examples, Entra ID sign-ins and audits as in corpus_entra.sh): every format
# parses (jq / Python's csv module), holds as many events as `kumo events`,
# in time order; named fields of two known events match their raw records
# (expected values are read from the corpus files here, not written down);
# filters, --limit and --out work; an unknown format is a usage error; an
# empty store says so and exits 0 with empty output.
. "$(dirname "$0")/lib.sh"
C="$CORPUS"
[ -d "$C/awsdocs-cloudtrail-user-guide" ] || { fail export_corpus_present "no corpus at $C"; exit 1; }
S="$T/store"
CT="$C/awsdocs-cloudtrail-user-guide/extracted"
CTF="$CT/cloudtrail-event-reference-aws-console-sign-in-events__02.event.json"
EL="$C/elastic-integrations-testdata/packages/azure/data_stream/signinlogs/_dev/test/pipeline/test-signinlogs-raw.log"
G="$C/microsoft-graph-docs-examples"
# two ingests: two segments whose time ranges overlap (2014-2022 and 2019-...),
# so time order needs the sort across segments
"$KUMO" --store "$S" ingest "$CT" >/dev/null 2>&1
"$KUMO" --store "$S" ingest "$EL" "$C/panther-analysis-tests/extracted/Azure_Audit.jsonl" \
  "$G/directoryaudit-list.example1.response.json" >/dev/null 2>&1
n=$("$KUMO" --store "$S" events --format jsonl | wc -l)
[ "$n" -gt 50 ] && ok "export_store_ready ($n events)" || fail export_store_ready "n=$n"

# every format: parses, one record per event
for f in jsonl ocsf timesketch; do
  "$KUMO" --store "$S" export --format $f > "$T/out.$f" 2>"$T/err.$f"; rc=$?
  c=$(jq -c . "$T/out.$f" 2>/dev/null | wc -l)
  [ "$rc" -eq 0 ] && [ "$c" = "$n" ] && [ "$(wc -l < "$T/out.$f")" = "$n" ] \
    && ok "export_${f}_parses_and_counts" || fail "export_${f}_parses_and_counts" "rc=$rc parsed=$c want $n $(head -c 300 "$T/err.$f")"
done
for f in csv timesketch-csv; do
  "$KUMO" --store "$S" export --format $f --out "$T/out.$f" 2>"$T/err.$f"; rc=$?
  c=$(python3 -c "import csv,sys; r=list(csv.reader(open(sys.argv[1],newline=''))); \
assert all(len(x)==len(r[0]) for x in r), 'ragged'; print(len(r)-1)" "$T/out.$f" 2>&1)
  [ "$rc" -eq 0 ] && [ "$c" = "$n" ] && ok "export_${f}_parses_and_counts" \
    || fail "export_${f}_parses_and_counts" "rc=$rc rows=$c want $n"
done
# the CSV header has every normalized field
hdr=$(head -n 1 "$T/out.csv")
miss=$(for k in provider source account actor.name src.ip src.geo.country category action outcome \
  error.code event_id request_id resources related; do echo ",$hdr," | grep -q ",$k," || echo "$k"; done)
[ -z "$miss" ] && ok export_csv_header_fields || fail export_csv_header_fields "missing: $miss"

# the same events as `kumo events`, in time order
"$KUMO" --store "$S" events --format jsonl | jq -r .event_id | sort > "$T/ids.events"
jq -r .event_id "$T/out.jsonl" | sort > "$T/ids.jsonl"
jq -r .metadata.uid "$T/out.ocsf" | sort > "$T/ids.ocsf"
jq -r .event_id "$T/out.timesketch" | sort > "$T/ids.ts"
cmp -s "$T/ids.events" "$T/ids.jsonl" && cmp -s "$T/ids.events" "$T/ids.ocsf" \
  && cmp -s "$T/ids.events" "$T/ids.ts" && ok export_same_events_as_events \
  || fail export_same_events_as_events "$(diff "$T/ids.events" "$T/ids.ocsf" | head -3)"
jq -s '[.[].timestamp] as $t | $t == ($t | sort)' "$T/out.timesketch" | grep -q true \
  && jq -s '[.[].time] as $t | $t == ($t | sort)' "$T/out.ocsf" | grep -q true \
  && "$KUMO" --store "$S" events --format jsonl | jq -s '[.[].time] as $t | $t == ($t | sort)' | grep -q true \
  && ok export_time_order || fail export_time_order

# Timesketch: the three required fields everywhere, no dotted field names
bad=$(jq -c 'select((.message|type) != "string" or (.datetime|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}\\+00:00$")|not)
  or (.timestamp_desc|type) != "string" or ([keys[] | select(contains("."))] | length) > 0) | .event_id' "$T/out.timesketch" | head -3)
[ -z "$bad" ] && ok export_timesketch_required_fields || fail export_timesketch_required_fields "$bad"
# OCSF: type_uid = class_uid * 100 + activity_id, and the classes in use
bad=$(jq -c 'select(.type_uid != .class_uid * 100 + .activity_id or (.metadata.version|type) != "string"
  or .metadata.product.name != "kumo" or (.time|type) != "number") | .metadata.uid' "$T/out.ocsf" | head -3)
[ -z "$bad" ] && ok export_ocsf_type_uid || fail export_ocsf_type_uid "$bad"
classes=$(jq -r .class_uid "$T/out.ocsf" | sort -u | tr '\n' ' ')
case "$classes" in *3001*3002*6003*) ok "export_ocsf_classes ($classes)" ;; *) fail export_ocsf_classes "$classes" ;; esac
# each class agrees with the normalized category
bad=$(python3 - "$T/out.ocsf" "$T/out.jsonl" <<'EOF'
import json, sys
cls = {json.loads(l)["metadata"]["uid"]: json.loads(l)["class_uid"] for l in open(sys.argv[1])}
want = {"authentication": 3002, "account_change": 3001, "api": 6003, "config_change": 5023}
for l in open(sys.argv[2]):
    e = json.loads(l)
    c = cls[e["event_id"]]
    w = want.get(e.get("category"))
    if (w and c != w) or (e.get("category") == "finding" and c not in (2003, 2004)):
        print(e["event_id"], e.get("category"), c)
EOF
)
[ -z "$bad" ] && ok export_ocsf_class_per_category || fail export_ocsf_class_per_category "$bad"

# a known CloudTrail console sign-in: fields from the raw record
id=$(jq -r .eventID "$CTF")
o=$(jq -c --arg id "$id" 'select(.metadata.uid == $id)' "$T/out.ocsf")
ms=$(python3 -c "import json,sys,datetime; t=json.load(open(sys.argv[1]))['eventTime']; \
print(int(datetime.datetime.fromisoformat(t.replace('Z','+00:00')).timestamp()*1000))" "$CTF")
mfa=$(jq -r '.additionalEventData.MFAUsed == "Yes"' "$CTF")
[ "$(echo "$o" | jq .class_uid)" = 3002 ] && [ "$(echo "$o" | jq .type_uid)" = 300201 ] \
  && [ "$(echo "$o" | jq -r .actor.user.name)" = "$(jq -r .userIdentity.userName "$CTF")" ] \
  && [ "$(echo "$o" | jq -r .actor.user.uid_alt)" = "$(jq -r .userIdentity.arn "$CTF")" ] \
  && [ "$(echo "$o" | jq -r .cloud.account.uid)" = "$(jq -r .recipientAccountId "$CTF")" ] \
  && [ "$(echo "$o" | jq -r .cloud.region)" = "$(jq -r .awsRegion "$CTF")" ] \
  && [ "$(echo "$o" | jq -r .src_endpoint.ip)" = "$(jq -r .sourceIPAddress "$CTF")" ] \
  && [ "$(echo "$o" | jq -r .api.operation)" = "$(jq -r .eventName "$CTF")" ] \
  && [ "$(echo "$o" | jq -r .http_request.user_agent)" = "$(jq -r .userAgent "$CTF")" ] \
  && [ "$(echo "$o" | jq -r .metadata.event_code)" = "$(jq -r .eventType "$CTF")" ] \
  && [ "$(echo "$o" | jq .time)" = "$ms" ] && [ "$(echo "$o" | jq .is_mfa)" = "$mfa" ] \
  && [ "$(echo "$o" | jq .status_id)" = 1 ] && [ "$(echo "$o" | jq -r .metadata.log_name)" = aws.cloudtrail ] \
  && ok export_ocsf_cloudtrail_signin || fail export_ocsf_cloudtrail_signin "$(echo "$o" | head -c 600)"

# a known Entra sign-in interrupt (the first elastic record, 50140): OCSF status 99 Other, and Timesketch
head -n 1 "$EL" > "$T/el1.json"
eid="SignInLogs:$(jq -r .properties.id "$T/el1.json")"
o=$(jq -c --arg id "$eid" 'select(.metadata.uid == $id)' "$T/out.ocsf")
ts=$(jq -c --arg id "$eid" 'select(.event_id == $id)' "$T/out.timesketch")
dt=$(python3 -c "import json,sys,re,datetime; t=json.load(open(sys.argv[1]))['properties']['createdDateTime']; \
m=re.match(r'(.*\.\d{1,6})\d*(.*)', t); d=datetime.datetime.fromisoformat(m.group(1)+m.group(2)); \
print(d.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f+00:00'))" "$T/el1.json")
[ "$(echo "$o" | jq .class_uid)" = 3002 ] && [ "$(echo "$o" | jq .status_id)" = 99 ] \
  && [ "$(echo "$o" | jq -r .status)" = Other ] \
  && [ "$(echo "$o" | jq -r .status_code)" = "$(jq -r .properties.status.errorCode "$T/el1.json")" ] \
  && [ "$(echo "$o" | jq -r .status_detail)" = "$(jq -r .properties.status.failureReason "$T/el1.json")" ] \
  && [ "$(echo "$o" | jq -r .src_endpoint.ip)" = "$(jq -r .properties.ipAddress "$T/el1.json")" ] \
  && [ "$(echo "$o" | jq -r .src_endpoint.location.country)" = "$(jq -r .properties.location.countryOrRegion "$T/el1.json")" ] \
  && [ "$(echo "$o" | jq -r .src_endpoint.location.city)" = "$(jq -r .properties.location.city "$T/el1.json")" ] \
  && [ "$(echo "$o" | jq -r .actor.user.email_addr)" = "$(jq -r .properties.userPrincipalName "$T/el1.json")" ] \
  && [ "$(echo "$o" | jq -r .metadata.log_name)" = azure.signin ] \
  && ok export_ocsf_entra_signin || fail export_ocsf_entra_signin "$(echo "$o" | head -c 600)"
upn=$(jq -r .properties.userPrincipalName "$T/el1.json")
app=$(jq -r .properties.appDisplayName "$T/el1.json")
[ "$(echo "$ts" | jq -r .datetime)" = "$dt" ] \
  && echo "$ts" | jq -r .message | grep -qF "$upn signed in to $app (SignInLogs)" \
  && echo "$ts" | jq -r .message | grep -qF "from $(jq -r .properties.ipAddress "$T/el1.json")" \
  && [ "$(echo "$ts" | jq -r .timestamp_desc)" = Sign-in ] \
  && [ "$(echo "$ts" | jq -r .actor_email)" = "$upn" ] \
  && [ "$(echo "$ts" | jq -r .src_geo_city)" = "$(jq -r .properties.location.city "$T/el1.json")" ] \
  && ok export_timesketch_entra_signin || fail export_timesketch_entra_signin "dt=$dt $(echo "$ts" | head -c 600)"

# filters and --limit are the ones of `kumo events`
a=$("$KUMO" --store "$S" export --format ocsf --source azure.signin 2>/dev/null | wc -l)
b=$("$KUMO" --store "$S" events --format jsonl --source azure.signin | wc -l)
l=$("$KUMO" --store "$S" export --format timesketch --limit 3 2>/dev/null | wc -l)
[ "$a" = "$b" ] && [ "$a" -gt 0 ] && [ "$l" = 3 ] && ok export_filters_and_limit \
  || fail export_filters_and_limit "source: $a vs $b, limit: $l"

# usage errors
"$KUMO" --store "$S" export --format xml > "$T/o" 2>"$T/e"; rc=$?
[ "$rc" -eq 2 ] && [ ! -s "$T/o" ] && grep -q "timesketch-csv" "$T/e" && ok export_unknown_format \
  || fail export_unknown_format "rc=$rc $(cat "$T/e")"
"$KUMO" --store "$S" export "where x" > /dev/null 2>&1; rc=$?
"$KUMO" --store "$S" export --since not-a-time > /dev/null 2>&1; rc2=$?
[ "$rc" -eq 2 ] && [ "$rc2" -eq 2 ] && ok export_usage_errors || fail export_usage_errors "rc=$rc rc2=$rc2"

# an empty store: a clear message, exit 0, empty output (also with --out)
mkdir -p "$T/nothing"
"$KUMO" --store "$T/empty" ingest "$T/nothing" >/dev/null 2>&1
"$KUMO" --store "$T/empty" export --format csv > "$T/o" 2>"$T/e"; rc=$?
"$KUMO" --store "$T/empty" export --format ocsf --out "$T/o2" 2>/dev/null; rc2=$?
[ "$rc" -eq 0 ] && [ "$rc2" -eq 0 ] && [ ! -s "$T/o" ] && [ -f "$T/o2" ] && [ ! -s "$T/o2" ] \
  && grep -q "no events" "$T/e" && ok export_empty_store || fail export_empty_store "rc=$rc rc2=$rc2 $(cat "$T/e")"
finish
