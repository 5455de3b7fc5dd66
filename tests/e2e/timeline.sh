#!/bin/sh
# timeline.sh — `kumo timeline` and `kumo entity` end to end. Part 1 runs on
# `kumo gen --providers aws,azure,gcp --events 20000`, whose story (an
# attacker at 203.0.113.66 sprays Entra ID, then takes over mallory across
# three clouds: docs/generator.md) is checked against numbers computed
# independently with python over `kumo events --format jsonl`. Part 2 uses a
# few hand-written CloudTrail records for exact bursts and terminal safety.
. "$(dirname "$0")/lib.sh"
# the independent counts below see only stored countries: no GeoIP lookup
# (tests/e2e/geo.sh tests the enrichment)
export KUMO_GEO_BUILTIN=none
unset KUMO_GEOIP
S="$T/store"
k() { "$KUMO" --store "$S" "$@"; }
PY=python3
command -v $PY >/dev/null 2>&1 || { fail timeline_needs_python3; finish; exit; }

# ---- part 1: the generated organisation ------------------------------------
"$KUMO" -q gen --out "$T/org" --events 20000 --providers aws,azure,gcp >/dev/null 2>&1 \
  && k ingest -q "$T/org" >/dev/null 2>&1 \
  || { fail timeline_setup "gen/ingest failed"; finish; exit; }
rm -rf "$T/org"
k events --format jsonl > "$T/all.jsonl"
IP=203.0.113.66
k events --ip $IP --format jsonl > "$T/ip.jsonl"

# The python side: independent counts over `kumo events` output.
cat > "$T/check.py" <<'EOF'
import json, sys, datetime
EPOCH = datetime.datetime(1970, 1, 1)
def us(s):
    d = datetime.datetime.fromisoformat(s.rstrip('Z'))
    return (d - EPOCH) // datetime.timedelta(microseconds=1)
def load(p):
    return [json.loads(l) for l in open(p) if l.strip()]
def who(e):
    for f in ('actor.email', 'actor.name', 'actor.arn', 'actor.id'):
        if e.get(f):
            return e[f]
    return None
def key(e):
    src = e.get('src.ip') or e.get('src.raw')
    # failures and interrupts (Entra MFA prompts) each keep their own lines
    return (e.get('provider'), who(e), e.get('action'), e.get('service'), src,
            {'failure': 1, 'interrupted': 2}.get(e.get('outcome'), 0))
def bursts(evs, window=60 * 1000000):
    # consecutive events (time order, ties in scan order) with one key, gaps <= window
    out = []
    for e in sorted(evs, key=lambda e: us(e['time'])):
        t = us(e['time'])
        if out and out[-1][0] == key(e) and t - out[-1][2] <= window:
            out[-1][2] = t; out[-1][3] += 1
        else:
            out.append([key(e), t, t, 1])
    return out
def res_match(e, x):
    for r in e.get('resources') or []:
        if isinstance(r, str):
            vals = [(r, True)]
        elif isinstance(r, dict):
            vals = [(r.get('name'), False), (r.get('id'), True)]
        else:
            continue
        for v, tail in vals:
            if not isinstance(v, str):
                continue
            if v == x or (tail and len(v) > len(x) and v.endswith(x) and v[-len(x) - 1] in '/:'):
                return True
    return False
def counts(evs, f):
    c = {}
    for e in evs:
        v = f(e)
        if v:
            c[v] = c.get(v, 0) + 1
    return c
def dim_ok(dim, c):
    # the command's top list equals the top of the python counts
    top = sorted(c.items(), key=lambda kv: (-kv[1], kv[0].encode()))
    got = [(d['value'], d['count']) for d in dim['top']]
    return dim['distinct'] == len(c) and got == top[:len(got)] and \
        len(got) == min(len(top), len(got)) and not dim['capped']
def entity_ok(ent, evs):
    ok = ent['events'] == len(evs)
    if evs:
        ts = [us(e['time']) for e in evs]
        ok = ok and us(ent['first']) == min(ts) and us(ent['last']) == max(ts)
    fails = [e for e in evs if e.get('outcome') == 'failure']
    ok = ok and ent['failures'] == len(fails)
    # interrupts are counted apart, never as failures
    ok = ok and ent['interrupted'] == sum(1 for e in evs if e.get('outcome') == 'interrupted')
    for name, f in (('providers', lambda e: e.get('provider')),
                    ('sources', lambda e: e.get('source')),
                    ('accounts', lambda e: e.get('account')),
                    ('countries', lambda e: e.get('src.geo.country')),
                    ('user_agents', lambda e: e.get('user_agent')),
                    ('actions', lambda e: e.get('action')),
                    ('source_ips', lambda e: e.get('src.ip') or e.get('src.raw')),
                    ('identities', lambda e: e.get('actor.arn') or e.get('actor.email')
                                            or e.get('actor.name') or e.get('actor.id'))):
        if not dim_ok(ent[name], counts(evs, f)):
            print('dimension', name, 'differs', file=sys.stderr); ok = False
    if not dim_ok(ent['error_codes'], counts(fails, lambda e: e.get('error.code'))):
        print('dimension error_codes differs', file=sys.stderr); ok = False
    return ok

cmd = sys.argv[1]
if cmd == 'sorted':            # FILE: jsonl times never go back
    ts = [us(l['time']) for l in load(sys.argv[2])]
    print('yes' if all(a <= b for a, b in zip(ts, ts[1:])) else 'no')
elif cmd == 'same-events':     # TIMELINE EVENTS: the same event ids (timeline ungrouped)
    a = sorted(l['event']['event_id'] for l in load(sys.argv[2]))
    b = sorted(e['event_id'] for e in load(sys.argv[3]))
    print('yes' if a == b and a else 'no')
elif cmd == 'providers':       # TIMELINE: provider runs in order, e.g. azure,aws,azure,gcp
    seq = []
    for l in load(sys.argv[2]):
        if not seq or seq[-1] != l['provider']:
            seq.append(l['provider'])
    print(','.join(seq))
elif cmd == 'provider-runs':   # EVENTS: the same, computed from kumo events
    seq = []
    for e in sorted(load(sys.argv[2]), key=lambda e: us(e['time'])):
        if not seq or seq[-1] != e['provider']:
            seq.append(e['provider'])
    print(','.join(seq))
elif cmd == 'bursts':          # TIMELINE EVENTS: lines and counts equal python's grouping
    tl = load(sys.argv[2]); b = bursts(load(sys.argv[3]))
    ok = [l['count'] for l in tl] == [x[3] for x in b] and \
         [us(l['time']) for l in tl] == [x[1] for x in b] and \
         [us(l['last']) for l in tl] == [x[2] for x in b]
    print('yes' if ok and any(x[3] > 1 for x in b) else 'no')
elif cmd == 'filter-resource': # ALL X: the events whose resources name X
    for e in load(sys.argv[2]):
        if res_match(e, sys.argv[3]):
            print(json.dumps(e))
elif cmd == 'filter':          # ALL FIELD VALUE
    for e in load(sys.argv[2]):
        if e.get(sys.argv[3]) == sys.argv[4]:
            print(json.dumps(e))
elif cmd == 'between':         # EVENTS SINCE UNTIL: inclusive bounds
    a, b = us(sys.argv[3]), us(sys.argv[4])
    for e in load(sys.argv[2]):
        if a <= us(e['time']) <= b:
            print(json.dumps(e))
elif cmd == 'width':           # FILE: the widest line in characters
    print(max(len(l.rstrip('\n')) for l in open(sys.argv[2], encoding='utf-8')))
elif cmd == 'entity':          # ENTITY_JSON EVENTS
    print('yes' if entity_ok(json.load(open(sys.argv[2])), load(sys.argv[3])) else 'no')
EOF
py() { $PY "$T/check.py" "$@"; }

# 1. the attacker's IP: every event of it, all three providers, in time order
k timeline --ip $IP --format jsonl --no-group > "$T/tl_ip.jsonl"; rc=$?
[ $rc -eq 0 ] && [ "$(wc -l < "$T/tl_ip.jsonl")" -eq "$(wc -l < "$T/ip.jsonl")" ] \
  && [ "$(py same-events "$T/tl_ip.jsonl" "$T/ip.jsonl")" = yes ] \
  && ok timeline_ip_all_events || fail timeline_ip_all_events "rc=$rc $(wc -l < "$T/tl_ip.jsonl")"
[ "$(py sorted "$T/tl_ip.jsonl")" = yes ] && ok timeline_ip_time_order || fail timeline_ip_time_order
runs=$(py providers "$T/tl_ip.jsonl")
case ",$runs," in *,aws,*) ;; *) runs="missing aws: $runs" ;; esac
case ",$runs," in *,azure,*) ;; *) runs="missing azure: $runs" ;; esac
case ",$runs," in *,gcp,*) ;; *) runs="missing gcp: $runs" ;; esac
[ "$runs" = "$(py provider-runs "$T/ip.jsonl")" ] && ok timeline_ip_spans_three_clouds \
  || fail timeline_ip_spans_three_clouds "$runs"

# 2. the person key: mallory's e-mail (from the story's Google Cloud events)
EMAIL=$(jq -r 'select(.provider == "gcp") | .["actor.email"]' "$T/ip.jsonl" | head -n 1)
k events --actor "$EMAIL" --format jsonl > "$T/person.jsonl"
k timeline --actor "$(echo "$EMAIL" | tr a-z A-Z)" --format jsonl > "$T/tl_person.jsonl"
n=$(jq -s 'map(.count) | add' "$T/tl_person.jsonl")
[ -n "$EMAIL" ] && [ "$n" = "$(wc -l < "$T/person.jsonl" | tr -d ' ')" ] \
  && [ "$(jq -r .provider "$T/tl_person.jsonl" | sort -u | tr '\n' ,)" = "aws,azure,gcp," ] \
  && ok timeline_person_across_clouds || fail timeline_person_across_clouds "email=$EMAIL n=$n"
[ "$(py bursts "$T/tl_person.jsonl" "$T/person.jsonl")" = yes ] \
  && ok timeline_bursts_grouped || fail timeline_bursts_grouped
[ "$(py sorted "$T/tl_person.jsonl")" = yes ] && ok timeline_person_time_order \
  || fail timeline_person_time_order
# the table: a header, one line per burst, "×N over" on burst lines
COLUMNS= k timeline --actor "$EMAIL" > "$T/tl_person.txt" 2>/dev/null
lines=$(($(wc -l < "$T/tl_person.txt") - 1))
multi=$(jq -s 'map(select(.count > 1)) | length' "$T/tl_person.jsonl")
head -n 1 "$T/tl_person.txt" | grep -q '^TIME  *PROVIDER  *DESCRIPTION' \
  && [ "$lines" -eq "$(wc -l < "$T/tl_person.jsonl")" ] \
  && [ "$(grep -c '×[0-9]* over ' "$T/tl_person.txt")" -eq "$multi" ] \
  && ok timeline_table || fail timeline_table "lines=$lines multi=$multi"
# a file gets every line whole, whatever $COLUMNS says (a terminal's cut:
# tests/e2e/output.sh)
COLUMNS=100 k timeline --actor "$EMAIL" > "$T/tl_person100.txt" 2>/dev/null
cmp -s "$T/tl_person100.txt" "$T/tl_person.txt" && [ "$(py width "$T/tl_person.txt")" -gt 120 ] \
  && ! grep -q '~$' "$T/tl_person.txt" && ok timeline_table_file_whole || fail timeline_table_file_whole
# --since/--until: one day of it
k timeline --actor "$EMAIL" --since 2026-10-03 --until 2026-10-03T12:00:00Z --format jsonl \
  --no-group > "$T/tl_day.jsonl"
py between "$T/person.jsonl" 2026-10-03T00:00:00 2026-10-03T12:00:00 > "$T/day.jsonl"
[ -s "$T/day.jsonl" ] && [ "$(py same-events "$T/tl_day.jsonl" "$T/day.jsonl")" = yes ] \
  && ok timeline_time_bounds || fail timeline_time_bounds "$(wc -l < "$T/tl_day.jsonl")"

# 3. bounded memory: a whole-store timeline through temporary runs is the same
k timeline --format jsonl > "$T/tl_all_mem.jsonl"
k timeline --format jsonl --mem 64K > "$T/tl_all_spill.jsonl"
cmp -s "$T/tl_all_mem.jsonl" "$T/tl_all_spill.jsonl" \
  && [ "$(jq -s 'map(.count) | add' "$T/tl_all_spill.jsonl")" -eq "$(wc -l < "$T/all.jsonl")" ] \
  && [ "$(py sorted "$T/tl_all_spill.jsonl")" = yes ] \
  && ok timeline_spill_same_output || fail timeline_spill_same_output

# 4. --resource: exact element match (id, name, last ARN/path component)
TRAIL=$(jq -r 'select(.action == "StopLogging") | .resources[0].id' "$T/ip.jsonl" | head -n 1)
PROJ=$(jq -r 'select(.provider == "gcp") | .resources[0].id' "$T/ip.jsonl" | head -n 1 | sed 's|.*/||')
for X in "$TRAIL" "$PROJ"; do
  name=timeline_resource_arn; [ "$X" = "$PROJ" ] && name=timeline_resource_last_component
  py filter-resource "$T/all.jsonl" "$X" > "$T/res.jsonl"
  k timeline --resource "$X" --no-group --format jsonl > "$T/tl_res.jsonl"
  [ -n "$X" ] && [ -s "$T/res.jsonl" ] && [ "$(py same-events "$T/tl_res.jsonl" "$T/res.jsonl")" = yes ] \
    && ok $name || fail $name "X=$X $(wc -l < "$T/res.jsonl") vs $(wc -l < "$T/tl_res.jsonl")"
done

# 5. --session
SID=$(jq -r 'select(.provider == "azure" and .session_id != null) | .session_id' "$T/person.jsonl" | head -n 1)
py filter "$T/all.jsonl" session_id "$SID" > "$T/sess.jsonl"
k timeline --session "$SID" --no-group --format jsonl > "$T/tl_sess.jsonl"
[ -n "$SID" ] && [ "$(py same-events "$T/tl_sess.jsonl" "$T/sess.jsonl")" = yes ] \
  && ok timeline_session || fail timeline_session "sid=$SID"

# 6. entity: numbers equal independent counts
k entity $IP --json > "$T/ent_ip.json"
[ "$(jq -r .kind "$T/ent_ip.json")" = ip ] && [ "$(py entity "$T/ent_ip.json" "$T/ip.jsonl")" = yes ] \
  && ok entity_ip_counts || fail entity_ip_counts "$(head -c 600 "$T/ent_ip.json")"
k entity "$EMAIL" --json --top 50 > "$T/ent_person.json"
[ "$(jq -r .kind "$T/ent_person.json")" = email ] \
  && [ "$(py entity "$T/ent_person.json" "$T/person.jsonl")" = yes ] \
  && [ "$(jq '.providers.distinct' "$T/ent_person.json")" = 3 ] \
  && ok entity_person_counts || fail entity_person_counts
# the person with the most Entra interrupts (MFA prompts, "Stay signed in?"):
# counted apart from the failures, in JSON and in the text report
IEMAIL=$(jq -r 'select(.outcome == "interrupted") | .["actor.email"] // empty' "$T/all.jsonl" \
         | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
k events --actor "$IEMAIL" --format jsonl > "$T/inter.jsonl"
k entity "$IEMAIL" --json --top 50 > "$T/ent_inter.json"
k entity "$IEMAIL" > "$T/ent_inter.txt"
ni=$(jq -s 'map(select(.outcome == "interrupted")) | length' "$T/inter.jsonl")
[ -n "$IEMAIL" ] && [ "$ni" -gt 0 ] && [ "$(jq .interrupted "$T/ent_inter.json")" = "$ni" ] \
  && [ "$(py entity "$T/ent_inter.json" "$T/inter.jsonl")" = yes ] \
  && grep -q "^  interrupted *$ni " "$T/ent_inter.txt" \
  && ok entity_interrupts_apart || fail entity_interrupts_apart "email=$IEMAIL ni=$ni"
KEY=$(jq -r 'select(.provider == "aws") | .["actor.access_key"]' "$T/ip.jsonl" | head -n 1)
k events --key "$KEY" --format jsonl > "$T/key.jsonl"
k entity "$KEY" --json > "$T/ent_key.json"
[ "$(jq -r .kind "$T/ent_key.json")" = key ] && [ "$(py entity "$T/ent_key.json" "$T/key.jsonl")" = yes ] \
  && jq -r '.source_ips.top[].value' "$T/ent_key.json" | grep -qx $IP \
  && ok entity_key_counts || fail entity_key_counts
# an ARN no identity has: the entity is the resource
py filter-resource "$T/all.jsonl" "$TRAIL" > "$T/res.jsonl"
k entity "$TRAIL" --json > "$T/ent_res.json"
[ "$(jq -r .kind "$T/ent_res.json")" = resource ] && [ "$(py entity "$T/ent_res.json" "$T/res.jsonl")" = yes ] \
  && ok entity_resource_fallback || fail entity_resource_fallback "$(head -c 300 "$T/ent_res.json")"
k entity 198.18.0.1 --json > "$T/ent_none.json"; rc=$?
[ $rc -eq 0 ] && [ "$(jq .events "$T/ent_none.json")" = 0 ] && ok entity_unknown_is_empty \
  || fail entity_unknown_is_empty "rc=$rc"
k entity $IP > "$T/ent_ip.txt"
grep -q "^  events  *$(jq .events "$T/ent_ip.json")\$" "$T/ent_ip.txt" && grep -q '^identities' "$T/ent_ip.txt" \
  && ! grep -q '^source IPs' "$T/ent_ip.txt" && ok entity_text || fail entity_text "$(head -5 "$T/ent_ip.txt")"

# ---- part 2: hand-written records -------------------------------------------
S="$T/store2"
rec() { # rec ID TIME NAME ACTION [ERROR] [UA]
  err=""; [ -n "$5" ] && err="\"errorCode\":\"$5\",\"errorMessage\":\"no\","
  printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/%s","accountId":"123456789012","accessKeyId":"AKIAEXAMPLEKEY000001","userName":"%s"},"eventTime":"%s","eventSource":"iam.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"%s",%s"requestParameters":null,"responseElements":null,"requestID":"r-%s","eventID":"%s","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"123456789012"}' \
    "$3" "$3" "$2" "$4" "${6:-aws-cli/2.0}" "$err" "$1" "$1"
}
{
  printf '{"Records":['
  i=0
  for s in 00 10 20 30 40; do
    i=$((i + 1)); rec "c0000000-0000-4000-8000-00000000000$i" "2026-10-01T10:00:${s}Z" alice ListUsers; printf ,
  done
  rec c0000000-0000-4000-8000-000000000006 2026-10-01T10:02:10Z alice ListUsers; printf ,
  rec c0000000-0000-4000-8000-000000000007 2026-10-01T10:02:15Z alice ListUsers AccessDenied; printf ,
  rec c0000000-0000-4000-8000-000000000008 2026-10-01T10:03:00Z 'evil\u001b[2Jname' 'Get\u009bUser' "" 'ua\u0007x'
  printf ']}'
} > "$T/burst.json"
k ingest -q "$T/burst.json" >/dev/null 2>&1
k timeline --actor alice > "$T/b.txt" 2>"$T/b.err"; rc=$?
[ $rc -eq 0 ] && [ "$(wc -l < "$T/b.txt")" -eq 4 ] \
  && sed -n 2p "$T/b.txt" | grep -q '×5 over 40s: alice' \
  && sed -n 3p "$T/b.txt" | grep -q '10:02:10Z  aws  *alice' \
  && sed -n 4p "$T/b.txt" | grep -q '10:02:15Z  aws  *FAILED alice' \
  && grep -q '^7 events in 3 lines' "$T/b.err" \
  && ok timeline_burst_exact || fail timeline_burst_exact "rc=$rc $(cat "$T/b.txt" "$T/b.err")"
[ "$(k timeline --actor alice --burst 100 --format jsonl | jq .count | tr '\n' ' ')" = "6 1 " ] \
  && ok timeline_burst_window_option || fail timeline_burst_window_option
[ "$(k timeline --actor alice --no-group --format jsonl | wc -l)" -eq 7 ] \
  && ok timeline_no_group || fail timeline_no_group
k timeline --ip 198.51.100.7 > "$T/esc.txt" 2>/dev/null
k entity 198.51.100.7 > "$T/esc2.txt" 2>/dev/null
if LC_ALL=C grep -q "$(printf '[\033\007]')" "$T/esc.txt" "$T/esc2.txt" \
   || LC_ALL=C grep -q "$(printf '\302\233')" "$T/esc.txt" "$T/esc2.txt"; then
  fail timeline_control_chars_escaped "$(od -c "$T/esc.txt" | head)"
else
  grep -q 'Get\\u009bUser' "$T/esc.txt" && ok timeline_control_chars_escaped \
    || fail timeline_control_chars_escaped "$(cat "$T/esc.txt")"
fi

# usage errors and a missing store
k timeline --bogus x >/dev/null 2>&1; [ $? -eq 2 ] && ok timeline_unknown_option || fail timeline_unknown_option
k timeline --format xml >/dev/null 2>&1; [ $? -eq 2 ] && ok timeline_bad_format || fail timeline_bad_format
k timeline --mem 1 >/dev/null 2>&1; [ $? -eq 2 ] && ok timeline_bad_mem || fail timeline_bad_mem
k timeline --actor >/dev/null 2>&1; [ $? -eq 2 ] && ok timeline_missing_value || fail timeline_missing_value
k entity >/dev/null 2>&1; [ $? -eq 2 ] && ok entity_needs_value || fail entity_needs_value
k entity x --kind planet >/dev/null 2>&1; [ $? -eq 2 ] && ok entity_bad_kind || fail entity_bad_kind
k entity a b >/dev/null 2>&1; [ $? -eq 2 ] && ok entity_one_at_a_time || fail entity_one_at_a_time
"$KUMO" --store "$T/nowhere" timeline --ip $IP >/dev/null 2>&1; [ $? -eq 1 ] \
  && ok timeline_no_store || fail timeline_no_store
finish
