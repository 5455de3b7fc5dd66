#!/bin/sh
# gen_scenarios.sh — `kumo gen --scenarios all` end to end: the dataset
# ingests cleanly (the ground truth is kept as evidence only, nothing is
# rejected, the total is exact), every event id the ground truth lists is in
# the store at a time inside the scenario's first..last, with the scenario's
# addresses, accounts and persons; no background event uses a scenario's
# address; the silence after each planted StopLogging holds (no CloudTrail
# record of that account between the stop and the restart, no S3 data event
# after the PutEventSelectors); `kumo events --ip` and `kumo query` find the
# spray; the attacker addresses are in the countries the ground truth names
# (checked against Debian's tor-geoipdb when it is installed); `none` plants
# nothing, not even the story; bad lists are usage errors.
. "$(dirname "$0")/lib.sh"
S="$T/store"
k() { "$KUMO" --store "$S" "$@"; }
PY=python3
command -v $PY >/dev/null 2>&1 || { fail gen_scenarios_needs_python3; finish; exit; }
N=30000

"$KUMO" -q gen --out "$T/all" --events $N --days 3 --accounts 3 --seed 11 \
  --providers aws,azure,gcp --scenarios all >"$T/gen.log" 2>&1 \
  || { fail gen_scenarios_gen "$(cat "$T/gen.log")"; finish; exit; }
check gen_scenarios_truth_written test -s "$T/all/kumo-ground-truth.json"
k ingest -q --json "$T/all" >"$T/ingest.json" 2>"$T/ingest.err"
rc=$?
check gen_scenarios_ingest_exit_0 test "$rc" -eq 0
check gen_scenarios_ingest_no_reject test "$(json_num "$T/ingest.json" records_rejected)" = 0
check gen_scenarios_truth_evidence_only test "$(json_num "$T/ingest.json" evidence_only_records)" = 1
check gen_scenarios_exact_total test "$(json_num "$T/ingest.json" events_new)" = $N
check gen_scenarios_no_type_problems test "$(json_num "$T/ingest.json" type_problems)" = 0
k export --format jsonl --out "$T/all.jsonl" >/dev/null 2>&1

cat > "$T/check.py" <<'EOF'
import json, sys, bisect, ipaddress, os, datetime
def ts(s):
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
gt = json.load(open(sys.argv[1]))
evs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
byid = {e.get('event_id'): e for e in evs}
fails = []
def bad(name, why):
    fails.append(name)
    print("FAIL - gen_scenarios_%s" % name)
    print("  " + why)
def good(name, why=None):
    print("ok - gen_scenarios_%s" % name)
scen = {s['scenario']: s for s in gt['scenarios']}
want = ['story', 'spray', 'bruteforce', 'travel', 'lateral', 'leakedkey', 'persistence',
        'privilege', 'tampering', 'exposure', 'incident']
(good if list(scen) == want else bad)('truth_lists_every_scenario', str(list(scen)))
listed = {}
for name, s in scen.items():
    ents = s['entities']
    ids = s['event_ids']
    for i in ids:
        listed[i] = name
    n = sum(s['records'].values())
    if name == 'story':
        continue
    missing = [i for i in ids if i not in byid]
    if missing:
        bad(name + '_events_present', "%d of %d event ids not in the store, e.g. %s" % (len(missing), len(ids), missing[0]))
        continue
    good(name + '_events_present')
    found = [byid[i] for i in ids]
    # restore records of a silence are the responder's: not in event_ids, not counted here
    nres = sum(len(x['restore_event_ids']) for x in s['silences'])
    (good if len(found) + nres == n else bad)(name + '_record_count', "%d ids + %d restores vs %d records" % (len(found), nres, n))
    out = [e['time'] for e in found if not (ts(s['first']) <= ts(e['time']) <= ts(s['last']))]
    (good if not out else bad)(name + '_times_in_window', "%s outside %s..%s" % (out[:2], s['first'], s['last']))
    accs = set(e.get('account') for e in found if e.get('account')) - set(ents['accounts'])
    (good if not accs else bad)(name + '_accounts', "accounts not in the ground truth: %s" % accs)
    ips = set(e.get('src.ip') for e in found if e.get('src.ip')) - set(ents['ips'])
    (good if not ips else bad)(name + '_ips', "addresses not in the ground truth: %s" % ips)
    mails = set(e.get('actor.email') for e in found if e.get('actor.email'))
    extra = mails - set(ents['persons']) - set(ents['identities'])
    (good if not extra else bad)(name + '_persons', "e-mails not in the ground truth: %s" % extra)
    geo = set(e.get('src.geo.country') for e in found if e.get('src.geo.country')) - set(ents['countries'])
    (good if not geo else bad)(name + '_countries', "countries not in the ground truth: %s" % geo)
# no background event comes from an attacker address (travel's home address is the person's own)
attack = {}
for name, s in scen.items():
    for ip in s['entities']['ips']:
        if name != 'travel' or ip in [x for x in s['entities']['ips'][:1]]:
            attack[ip] = name
stray = [e for e in evs if e.get('src.ip') in attack and attack[e['src.ip']] != 'story'
         and e.get('event_id') not in listed
         and not (attack[e['src.ip']] == 'travel')]
(good if not stray else bad)('attacker_addresses_only_in_plants',
     "%d background events from %s" % (len(stray), stray[0].get('src.ip') if stray else ''))
# the silences
for name in ('tampering', 'incident'):
    for sl in scen[name]['silences']:
        inside = [e for e in evs if e['source'] == 'aws.cloudtrail' and e.get('account') == sl['account']
                  and ts(sl['from']) < ts(e['time']) < ts(sl['until'])]
        (good if not inside else bad)(name + '_silence_holds', "%d records of %s between %s and %s" % (len(inside), sl['account'], sl['from'], sl['until']))
        before = sum(1 for e in evs if e['source'] == 'aws.cloudtrail' and e.get('account') == sl['account'] and ts(e['time']) < ts(sl['from']))
        after = sum(1 for e in evs if e['source'] == 'aws.cloudtrail' and e.get('account') == sl['account'] and ts(e['time']) > ts(sl['until']))
        (good if before > 0 and after > 0 else bad)(name + '_stream_before_and_after', "%d before, %d after" % (before, after))
        rs = [byid.get(i) for i in sl['restore_event_ids']]
        (good if rs and all(r and r.get('action') in ('StartLogging', 'PutEventSelectors') for r in rs) else bad)(name + '_restarted', str([r and r.get('action') for r in rs]))
        if 'data_events_from' in sl:
            data = [e for e in evs if e['source'] == 'aws.cloudtrail' and e.get('account') == sl['account']
                    and e.get('action') in ('GetObject', 'PutObject', 'HeadObject', 'ListObjects', 'DeleteObject')
                    and ts(sl['data_events_from']) < ts(e['time']) < ts(sl['until'])]
            (good if not data else bad)(name + '_data_events_stop', "%d S3 data events after PutEventSelectors" % len(data))
# what each scenario's records are
acts = lambda n: set(byid[i].get('action') for i in scen[n]['event_ids'] if i in byid)
expect = {
    'spray': {'ConsoleLogin', 'SignInLogs', 'google.login.LoginService.loginFailure'},
    'lateral': {'AssumeRole', 'GenerateAccessToken', 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE'},
    'leakedkey': {'GetCallerIdentity', 'ListUsers', 'GetAccountAuthorizationDetails'},
    'persistence': {'CreateUser', 'CreateLoginProfile', 'CreateAccessKey', 'CreateOpenIDConnectProvider',
                    'google.iam.admin.v1.CreateServiceAccountKey'},
    'privilege': {'AttachUserPolicy', 'SetIamPolicy', 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE'},
    'tampering': {'StopLogging', 'PutEventSelectors', 'DeleteFlowLogs', 'DeleteDetector',
                  'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE', 'google.logging.v2.ConfigServiceV2.DeleteSink'},
    'exposure': {'PutBucketPolicy', 'ModifySnapshotAttribute', 'storage.setIamPermissions'},
    'incident': {'StopLogging', 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE',
                 'google.logging.v2.ConfigServiceV2.DeleteSink'},
}
for n, want_acts in expect.items():
    miss = want_acts - acts(n)
    (good if not miss else bad)(n + '_actions', "missing %s" % miss)
sp = scen['spray']
fail_users = set(byid[i].get('actor.email') for i in sp['event_ids'] if byid[i]['source'] == 'azure.signin' and byid[i].get('outcome') != 'success')
ok_users = [byid[i].get('actor.email') for i in sp['event_ids'] if byid[i]['source'] == 'azure.signin' and byid[i].get('outcome') == 'success']
(good if len(fail_users) >= 15 and len(ok_users) == 1 else bad)('spray_shape', "%d users failing, successes %s" % (len(fail_users), ok_users))
bf = scen['bruteforce']
bff = [byid[i] for i in bf['event_ids'] if byid[i].get('outcome') == 'failure']
(good if len(bff) >= 30 and len(set(e.get('actor.email') for e in bff)) == 1 else bad)('bruteforce_shape', "%d failures" % len(bff))
lk = scen['leakedkey']
den = [byid[i] for i in lk['event_ids'] if byid[i].get('outcome') == 'failure']
keys = set(byid[i].get('actor.access_key') for i in lk['event_ids'])
(good if len(den) >= 4 and keys == set(lk['entities']['access_keys']) else bad)('leakedkey_shape', "%d denied, keys %s" % (len(den), keys))
tr = scen['travel']
cs = set(byid[i].get('src.geo.country') for i in tr['event_ids'] if byid[i].get('src.geo.country'))
(good if len(cs) == 2 else bad)('travel_two_countries', str(cs))
# the attacker addresses are where the ground truth says (tor-geoipdb)
geo = '/usr/share/tor/geoip'
if os.path.exists(geo):
    rows = []
    for l in open(geo):
        if l[0] != '#':
            a, b, c = l.strip().split(',')
            rows.append((int(a), int(b), c))
    rows.sort()
    st = [r[0] for r in rows]
    def cc(ip):
        v = int(ipaddress.IPv4Address(ip)); i = bisect.bisect_right(st, v) - 1
        return rows[i][2] if i >= 0 and rows[i][0] <= v <= rows[i][1] else None
    wrong = []
    for name, s in scen.items():
        if name in ('story', 'travel'):
            continue
        for ip in s['entities']['ips']:
            if cc(ip) not in s['entities']['countries']:
                wrong.append((name, ip, cc(ip)))
    (good if not wrong else bad)('addresses_in_their_countries', str(wrong))
else:
    print("ok - gen_scenarios_addresses_in_their_countries # SKIP no /usr/share/tor/geoip")
sys.exit(1 if fails else 0)
EOF
$PY "$T/check.py" "$T/all/kumo-ground-truth.json" "$T/all.jsonl" || fails=$((fails + 1))

# kumo finds the spray by its address, with events and with a query
ip=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['scenarios'][1]['entities']['ips'][0])" "$T/all/kumo-ground-truth.json")
nrec=$($PY -c "import json,sys; print(sum(json.load(open(sys.argv[1]))['scenarios'][1]['records'].values()))" "$T/all/kumo-ground-truth.json")
got=$(k events --ip "$ip" --format jsonl --limit 1000 | grep -c '"event_id"')
check gen_scenarios_events_by_ip test "$got" = "$nrec"
k query "filter src.ip = \"$ip\" | stats count() as n" --format json >"$T/q.json" 2>&1
check gen_scenarios_query_by_ip test "$(json_num "$T/q.json" n)" = "$nrec"

# none: pure background, not even the story; the same total
"$KUMO" -q gen --out "$T/none" --events 5000 --days 1 --providers aws,azure,gcp --scenarios none \
  >/dev/null 2>&1
check gen_scenarios_none_has_no_story sh -c "! grep -rq '203.0.113.66' '$T/none' && \
  ! find '$T/none' -name '*.gz' -exec cat {} + | gzip -dc | grep -q '203.0.113.66'"
check gen_scenarios_none_truth_empty grep -q '"scenarios":\[\],' "$T/none/kumo-ground-truth.json"

# usage errors: exit 2, nothing written
"$KUMO" -q gen --out "$T/bad1" --events 5000 --scenarios spray,nosuch >/dev/null 2>&1
check gen_scenarios_bad_name_exit_2 test $? -eq 2
"$KUMO" -q gen --out "$T/bad2" --events 5000 --providers aws --scenarios bruteforce >"$T/bad2.log" 2>&1
check gen_scenarios_unplantable_exit_2 test $? -eq 2
check gen_scenarios_unplantable_says_why grep -q "bruteforce" "$T/bad2.log"
check gen_scenarios_nothing_written test ! -e "$T/bad2/kumo-ground-truth.json"
finish
