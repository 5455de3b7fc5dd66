#!/bin/sh
# dups.sh — conflicting duplicates (issue 9): a record that reuses an event id
# with other content is kept and reported; only the same record (same key and
# the same stored content, or the same raw bytes) is dropped as a duplicate.
# Reads the Panther test logs from the corpus at run time.
. "$(dirname "$0")/lib.sh"
P="$CORPUS/panther-analysis-tests"
CT="$P/extracted/AWS_CloudTrail.jsonl"
if [ ! -f "$CT" ]; then echo "ok - dups: corpus not present (skipped)"; exit 0; fi

# 1. the whole directory: the records the old rule lost are there
S="$T/s"
"$KUMO" --store "$S" ingest --json "$P" >"$T/i1.json" 2>"$T/i1.err"
nconf=$(json_num "$T/i1.json" events_conflicting_duplicate)
check "dups: ingest reports conflicting duplicates" [ "${nconf:-0}" -gt 0 ]
for a in StopLogging DeleteTrail; do
  "$KUMO" --store "$S" query "filter action = \"$a\" | stats count() as n" >"$T/q_$a" 2>&1
  n=$(awk 'NR==2 {print $1}' "$T/q_$a")
  check "dups: $a is stored" [ "${n:-0}" -ge 1 ]
done
# failed console logins from 111.111.111.111: as many as distinct records
want=$(python3 - "$CT" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1], 'rb'):
    d = json.loads(line)
    if (d.get('eventName') == 'ConsoleLogin' and d.get('sourceIPAddress') == '111.111.111.111'
            and (d.get('responseElements') or {}).get('ConsoleLogin') == 'Failure'):
        seen.add(line.strip())
print(len(seen))
PY
)
"$KUMO" --store "$S" query 'filter action = "ConsoleLogin" and outcome = "failure" and src.ip = "111.111.111.111" | stats count() as n' >"$T/q_login" 2>&1
got=$(awk 'NR==2 {print $1}' "$T/q_login")
check "dups: all $want distinct failed logins from 111.111.111.111 stored (got $got)" [ "$want" -ge 3 -a "$got" = "$want" ]

# stats and custody report them
"$KUMO" --store "$S" stats --json >"$T/st.json"
sc=$(json_num "$T/st.json" conflicting_duplicates)
check "dups: stats --json total = ingest's ($sc = $nconf)" [ "$sc" = "$nconf" ]
check "dups: stats --json names id \"1\"" grep -q '"source":"aws.cloudtrail","event_id":"1","events":' "$T/st.json"
"$KUMO" --store "$S" stats >"$T/st.txt"
check "dups: stats text names the conflicts" grep -q "^conflicting duplicates: $nconf events" "$T/st.txt"
"$KUMO" --store "$S" custody >"$T/cu.txt" 2>&1
check "dups: custody counts conflicts per evidence" grep -q "conflicting duplicates (id already stored" "$T/cu.txt"
check "dups: custody chain still verifies" sh -c '"$0" --store "$1" verify >/dev/null 2>&1' "$KUMO" "$S"

# 2. re-ingesting the same files adds nothing
"$KUMO" --store "$S" ingest --json "$P" >"$T/i2.json" 2>/dev/null
check "dups: re-ingest adds no events" [ "$(json_num "$T/i2.json" events_new)" = 0 ]

# 3. the count is what an independent reference computes: CloudTrail records
# grouped by eventID (keys compared case-insensitively, as the module reads
# them), compared on the fields the store keeps
S2="$T/s2"
"$KUMO" --store "$S2" ingest --json "$CT" >"$T/c.json" 2>/dev/null
kc=$(json_num "$T/c.json" events_conflicting_duplicate)
rc=$(python3 - "$CT" <<'PY'
import json, sys
F = ['eventtime', 'eventsource', 'eventname', 'awsregion', 'sourceipaddress', 'useragent',
     'errorcode', 'errormessage', 'recipientaccountid', 'eventtype', 'readonly', 'resources']
def low(v):
    if isinstance(v, dict):
        return {k.lower(): low(x) for k, x in v.items()}
    if isinstance(v, list):
        return [low(x) for x in v]
    return v
def g(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d
def proj(d):
    x = {k: d.get(k) for k in F}
    x['u'] = [g(d, 'useridentity', k) for k in ('type', 'principalid', 'arn', 'accountid',
                                                'accesskeyid', 'username', 'invokedby')]
    x['iss'] = [g(d, 'useridentity', 'sessioncontext', 'sessionissuer', k) for k in ('arn', 'username')]
    x['mfa'] = [g(d, 'useridentity', 'sessioncontext', 'attributes', 'mfaauthenticated'),
                g(d, 'additionaleventdata', 'mfaused')]
    x['login'] = g(d, 'responseelements', 'consolelogin')
    return json.dumps(x, sort_keys=True)
seen = {}
conf = 0
for line in open(sys.argv[1], 'rb'):
    d = low(json.loads(line))
    i = d.get('eventid')
    if i is None:
        continue
    c = proj(d)
    s = seen.setdefault(i, set())
    if s and c not in s:
        conf += 1
    s.add(c)
print(conf)
PY
)
check "dups: CloudTrail conflicts = Python reference ($kc = $rc)" [ "${rc:-x}" = "${kc:-y}" -a "${rc:-0}" -gt 100 ]

# 4. the same record delivered in two different files is still a duplicate;
# the same id with other content in a third file is a conflict
L=$(grep -m1 '"eventName": "StopLogging"' "$CT")
printf '%s\n' "$L" >"$T/a.jsonl"
printf '%s\n{"eventVersion":"1.05","eventTime":"2020-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"filler-1","recipientAccountId":"1"}\n' "$L" >"$T/b.jsonl"
printf '%s\n' "$L" | sed 's/"StopLogging"/"StartLogging"/' >"$T/c.jsonl"
S3="$T/s3"
"$KUMO" --store "$S3" ingest --json "$T/a.jsonl" >"$T/x1.json" 2>/dev/null
"$KUMO" --store "$S3" ingest --json "$T/b.jsonl" >"$T/x2.json" 2>/dev/null
check "dups: same record in another file is a duplicate" \
  [ "$(json_num "$T/x2.json" events_duplicate)" = 1 -a "$(json_num "$T/x2.json" events_new)" = 1 \
    -a "$(json_num "$T/x2.json" events_conflicting_duplicate)" = 0 ]
"$KUMO" --store "$S3" ingest --json "$T/c.jsonl" >"$T/x3.json" 2>/dev/null
check "dups: same id, other content in a later ingest is a conflict, kept" \
  [ "$(json_num "$T/x3.json" events_conflicting_duplicate)" = 1 -a "$(json_num "$T/x3.json" events_new)" = 1 ]
cp "$T/c.jsonl" "$T/c2.jsonl"; echo >>"$T/c2.jsonl"
"$KUMO" --store "$S3" ingest --json "$T/c2.jsonl" >"$T/x4.json" 2>/dev/null
check "dups: a third copy identical to the second dedupes against it" \
  [ "$(json_num "$T/x4.json" events_duplicate)" = 1 -a "$(json_num "$T/x4.json" events_new)" = 0 ]

# the summary says what happened to events without a usable time
printf '{"eventVersion":"1.08","eventTime":"redacted","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"t1","recipientAccountId":"1"}\n{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"t2","recipientAccountId":"1"}\n{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","eventID":"t3","recipientAccountId":"1"}\n' >"$T/tm.jsonl"
"$KUMO" --store "$T/tm" ingest "$T/tm.jsonl" >"$T/tm.txt" 2>&1
check "time_missing: summary says the events were stored with time_missing" \
  grep -q '^  2 events had no usable time at all: stored with time 0 and flag time_missing$' "$T/tm.txt"
check "time_missing: not called a fallback" sh -c '! grep -q "fallback field was used" "$0"' "$T/tm.txt"
"$KUMO" --store "$T/tm2" ingest --json "$T/tm.jsonl" >"$T/tm.json" 2>&1
check "time_missing: JSON counts them apart" \
  [ "$(json_num "$T/tm.json" time_missing)" = 2 -a "$(json_num "$T/tm.json" time_fallbacks)" = 0 ]
finish
