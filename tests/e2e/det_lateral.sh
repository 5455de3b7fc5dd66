#!/bin/sh
# det_lateral.sh — the lateral-movement detections end to end: role_chain,
# gcp_impersonation, azure_role_assignment (docs/detections/*.md).
#  1. hand-made records (tests/e2e/det_lateral_data.py, shapes of `kumo gen`):
#     positives and their negative twins, checked on `kumo findings --format json`
#  2. re-running the hunt adds nothing
#  3. new terms over five days: what recurs from day 1 is expected, what is
#     new on day 5 is reported; role_chain.report_expected = false
#  4. real corpus events read at run time: Panther's labelled GCP token and
#     Azure role-assignment tests, Stratus Red Team and Panther AssumeRole
#     records (single hops: no chain)
#  5. the generated three-cloud background (40 000 events, 3 days): nothing
#     of medium or above; the story's denied role assignment is low
. "$(dirname "$0")/lib.sh"
PY=python3
command -v $PY >/dev/null 2>&1 || { fail det_lateral_needs_python3; finish; exit; }
ROOT=${KUMO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA="$ROOT/tests/e2e/det_lateral_data.py"
ONLY=role_chain,gcp_impersonation,azure_role_assignment

# check.py FINDINGS.json CASE: prints ok/FAIL lines
cat > "$T/check.py" <<'EOF'
import json, sys
F = json.load(open(sys.argv[1]))
case = sys.argv[2]
fails = 0
def check(name, cond, why=''):
    global fails
    print(('ok - ' if cond else 'FAIL - ') + name + ('' if cond else '  ' + why))
    fails += 0 if cond else 1
def by(det, pred=lambda f: True):
    return [f for f in F if f['detection'] == det and pred(f)]
def ent(f, k):
    return f['entities'][k]
SEV = {'info': 0, 'low': 1, 'medium': 2, 'high': 3, 'critical': 4}
A, B, C = '111122223333', '444455556666', '777788889999'
if case == 'short':
    # role_chain: alice's chain of three hops, one finding, medium
    rc = by('role_chain', lambda f: 'alice.ito@corp.test' in ent(f, 'persons'))
    check('role_chain_alice_one_finding', len(rc) == 1, str([f['summary'] for f in rc]))
    if rc:
        f = rc[0]
        d = f['details']
        check('role_chain_alice_medium', f['severity'] == 'medium', f['severity'])
        check('role_chain_alice_three_hops_twin_once', d['hops'] == 3 and len(d['chain']) == 3, str(d['hops']))
        check('role_chain_alice_roles', [h['role'].split('/')[-1] for h in d['chain']] == ['ops-admin', 'billing-admin', 'data-reader'])
        check('role_chain_alice_accounts', sorted(ent(f, 'accounts')) == [A, B, C], str(ent(f, 'accounts')))
        check('role_chain_alice_keys_linked', [h['access_key'] for h in d['chain']] == ['ASIAALICESSO0000001', 'ASIAOPSADMIN0000001', 'ASIABILLING00000001'])
        check('role_chain_alice_issued', d['chain'][-1]['issued_key'] == 'ASIADATAREAD0000001')
        check('role_chain_alice_twin_evidence', 'aaaaaaaa-0000-4000-8000-000000000003' in f['event_ids'], str(f['event_ids']))
        check('role_chain_alice_window', f['first'] == '2026-03-10T10:00:00Z' and f['last'] == '2026-03-10T10:06:00Z', f['first'] + ' ' + f['last'])
        check('role_chain_alice_summary', 'ops-admin in 111122223333, then billing-admin in 444455556666, then data-reader in 777788889999 within 6 minutes' in f['summary'], f['summary'])
        check('role_chain_alice_first_seen', d['first_seen_cross_account'] is True)
        check('role_chain_alice_identities', 'ops-admin/alice.ito@corp.test' in ent(f, 'identities'))
    hb = by('role_chain', lambda f: 'AKIABOBOPS000000001' in ent(f, 'access_keys'))
    check('role_chain_longterm_key_high', len(hb) == 1 and hb[0]['severity'] == 'high', str([(x['severity'], x['summary']) for x in hb]))
    check('role_chain_longterm_key_ip', hb and '203.0.113.77' in ent(hb[0], 'ips'))
    neg = by('role_chain', lambda f: any(k in ent(f, 'access_keys') for k in ('ASIACAROLSSO0000001', 'AKIADANDEV000000001', 'ASIALAMBDA000000001', 'ASIAGITHUB000000001', 'ASIAGITHUB000000001')))
    check('role_chain_negatives_quiet', not neg, str([x['summary'] for x in neg]))
    check('role_chain_two_findings', len(by('role_chain')) == 2, str([x['summary'] for x in by('role_chain')]))
    check('role_chain_other_address_not_linked', not by('role_chain', lambda f: 'ASIANETADMIN0000001' in ent(f, 'access_keys')))
    # gcp_impersonation
    SA = lambda n: n + '@corp-prod-4711.iam.gserviceaccount.com'
    g = lambda origin, sa: by('gcp_impersonation', lambda f: f.get('details', {}).get('origin') == origin and f.get('details', {}).get('service_account') == sa)
    f1 = g('frank@corp.test', SA('sa-deployer'))
    check('gcp_first_seen_pair_medium', len(f1) == 1 and f1[0]['severity'] == 'medium', str([(x['severity'], x['summary']) for x in f1]))
    if f1:
        check('gcp_pair_counts', f1[0]['details']['token_calls'] == 1 and f1[0]['details']['delegated_calls'] == 3, json.dumps(f1[0]['details'])[:300])
        check('gcp_pair_entities', 'frank@corp.test' in ent(f1[0], 'persons') and SA('sa-deployer') in ent(f1[0], 'identities') and 'corp-prod-4711' in ent(f1[0], 'accounts'))
    f2 = g('frank@corp.test', SA('sa-admin'))
    check('gcp_chain_two_steps_high', len(f2) == 1 and f2[0]['severity'] == 'high' and f2[0]['details']['depth'] == 2, str([(x['severity'], x['details']['depth']) for x in f2]))
    if f2:
        check('gcp_chain_identities', SA('sa-deployer') in ent(f2[0], 'identities') and SA('sa-admin') in ent(f2[0], 'identities'))
    f3 = g('eve.outsider@gmail.com', SA('sa-deployer'))
    check('gcp_outside_principal_high', len(f3) == 1 and f3[0]['severity'] == 'high' and f3[0]['details']['outside'], str([(x['severity']) for x in f3]))
    f4 = g('gina@corp.test', SA('sa-admin'))
    check('gcp_denied_low', len(f4) == 1 and f4[0]['severity'] == 'low' and 'denied' in f4[0]['summary'], str([(x['severity'], x['summary']) for x in f4]))
    gr = by('gcp_impersonation', lambda f: f['key'].startswith('grant|'))
    check('gcp_grant_outsider_high', len(gr) == 1 and gr[0]['severity'] == 'high' and 'roles/iam.serviceAccountTokenCreator' in ent(gr[0], 'roles'), str([(x['severity'], x['summary']) for x in gr]))
    check('gcp_grant_viewer_quiet', not by('gcp_impersonation', lambda f: 'vic@corp.test' in json.dumps(f)))
    # azure_role_assignment
    az = lambda who: by('azure_role_assignment', lambda f: f.get('details', {}).get('assignee') == who)
    OID = '0a0a0a0a-1111-4222-8333-00000000000'
    a1 = az(OID + '2')
    check('azure_owner_used_new_scope_high', len(a1) == 1 and a1[0]['severity'] == 'high', str([(x['severity'], x['summary']) for x in a1]))
    if a1:
        f = a1[0]
        check('azure_owner_entities', 'Owner' in ent(f, 'roles') and '22222222-aaaa-4bbb-8ccc-000000000002' in ent(f, 'accounts')
              and '/subscriptions/22222222-aaaa-4bbb-8ccc-000000000002' in ent(f, 'resources') and 'lea@corp.test' in ent(f, 'identities')
              and 'ivan@corp.test' in ent(f, 'identities'), json.dumps(f['entities']))
        check('azure_owner_window', f['first'].startswith('2026-03-10T10:20:00') and f['last'].startswith('2026-03-10T10:32:00'), f['first'] + ' ' + f['last'])
        check('azure_owner_use_details', f['details']['used']['new_scope'] is True and f['details']['used']['subscription'] == '22222222-aaaa-4bbb-8ccc-000000000002')
    a2 = az(OID + '3')
    check('azure_owner_known_scope_medium', len(a2) == 1 and a2[0]['severity'] == 'medium' and a2[0]['details']['used']['new_scope'] is False, str([(x['severity']) for x in a2]))
    a3 = az(OID + '4')
    check('azure_contributor_unused_medium', len(a3) == 1 and a3[0]['severity'] == 'medium' and a3[0]['details']['used'] is None, str([(x['severity']) for x in a3]))
    check('azure_reader_quiet', not az(OID + '5'))
    den = by('azure_role_assignment', lambda f: f['key'].startswith('denied|'))
    check('azure_denied_low', len(den) == 1 and den[0]['severity'] == 'low' and 'mia@corp.test' in ent(den[0], 'identities'), str([(x['severity'], x['summary']) for x in den]))
    el = by('azure_role_assignment', lambda f: f.get('details', {}).get('operation') == 'elevateAccess')
    check('azure_elevate_medium', len(el) == 1 and el[0]['severity'] == 'medium' and 'User Access Administrator' in ent(el[0], 'roles'), str([(x['severity']) for x in el]))
elif case == 'baseline':
    rc = by('role_chain')
    dave = [f for f in rc if 'dave.kim@corp.test' in ent(f, 'persons')]
    erin = [f for f in rc if 'erin.lee@corp.test' in ent(f, 'persons')]
    check('baseline_recurring_hop_low', len(dave) == 1 and dave[0]['severity'] == 'low' and dave[0]['first'].startswith('2026-04-01'), str([(x['severity'], x['first']) for x in dave]))
    check('baseline_new_hop_medium', len(erin) == 1 and erin[0]['severity'] == 'medium' and erin[0]['first'] == '2026-04-05T11:05:00Z', str([(x['severity'], x['first']) for x in erin]))
    gi = by('gcp_impersonation')
    olga = [f for f in gi if f.get('details', {}).get('origin') == 'olga@corp.test']
    paul = [f for f in gi if f.get('details', {}).get('origin') == 'paul@corp.test']
    wif = [f for f in gi if f.get('details', {}).get('origin', '').startswith('principal://')]
    check('baseline_routine_impersonation_quiet', not olga, str([x['summary'] for x in olga]))
    check('baseline_new_impersonation_medium', len(paul) == 1 and paul[0]['severity'] == 'medium', str([x['severity'] for x in paul]))
    check('baseline_new_workload_identity_low', len(wif) == 1 and wif[0]['severity'] == 'low' and 'repo:corp/other' in wif[0]['details']['origin'], str([(x['severity'], x['details']['origin']) for x in wif]))
elif case == 'noexpected':
    rc = by('role_chain')
    check('report_expected_false_hides_low', rc and all(f['severity'] != 'low' for f in rc), str([(x['severity'], x['summary']) for x in rc]))
    check('report_expected_false_keeps_medium', any('erin.lee@corp.test' in ent(f, 'persons') for f in rc))
elif case == 'anyaddress':
    h = by('role_chain', lambda f: 'ASIANETADMIN0000001' in ent(f, 'access_keys'))
    check('role_chain_any_address_links', len(h) == 1 and h[0]['severity'] == 'medium' and h[0]['details']['hops'] == 2,
          str([(x['severity'], x['summary']) for x in h]))
    check('role_chain_any_address_same_others', len(by('role_chain')) == 3)
elif case == 'background':
    hi = [f for f in F if f['detection'] in ('role_chain', 'gcp_impersonation', 'azure_role_assignment') and SEV[f['severity']] >= 2]
    check('background_nothing_medium_or_above', not hi, str([(x['detection'], x['severity'], x['summary']) for x in hi][:5]))
    story = [f for f in F if f['detection'] == 'azure_role_assignment' and f['key'].startswith('denied|') and any(p.startswith('mallory.') for p in ent(f, 'persons') + ent(f, 'identities'))]
    check('background_story_denied_assignment_low', len(story) >= 1 and all(f['severity'] == 'low' for f in story), str(len(story)))
sys.exit(1 if fails else 0)
EOF

pycheck() { $PY "$T/check.py" "$@" || fails=$((fails + 1)); }
hunt_json() { # STORE OUT [hunt args]: hunts the three, writes findings JSON
  st=$1; out=$2; shift 2
  "$KUMO" -q --store "$st" hunt --only $ONLY "$@" >/dev/null 2>"$T/hunt.err" \
    || { fail "hunt_$(basename "$st")" "$(cat "$T/hunt.err")"; return 1; }
  "$KUMO" --store "$st" findings --format json > "$out"
}

# ---- 1. hand-made records -----------------------------------------------------
$PY "$DATA" "$T/short" short && "$KUMO" -q --store "$T/s1" ingest "$T/short" >/dev/null 2>&1 \
  || { fail det_lateral_setup_short; finish; exit; }
if hunt_json "$T/s1" "$T/f1.json"; then pycheck "$T/f1.json" short; fi

printf '[role_chain]\nsame_address = false\n' > "$T/anyaddr.conf"
"$KUMO" -q --store "$T/s1b" ingest "$T/short" >/dev/null 2>&1
if hunt_json "$T/s1b" "$T/f1b.json" --config "$T/anyaddr.conf"; then pycheck "$T/f1b.json" anyaddress; fi

# ---- 2. a second hunt adds no duplicates ----------------------------------------
n1=$("$KUMO" --store "$T/s1" findings --format jsonl | wc -l)
"$KUMO" --store "$T/s1" hunt --only $ONLY > "$T/rerun.out" 2>&1
n2=$("$KUMO" --store "$T/s1" findings --format jsonl | wc -l)
check rerun_no_duplicates [ "$n1" -eq "$n2" ] && [ "$n1" -gt 0 ]
check rerun_reports_nothing_new grep -q ' 0 new' "$T/rerun.out"

# ---- 3. new terms over five days ------------------------------------------------
$PY "$DATA" "$T/base" baseline && "$KUMO" -q --store "$T/s2" ingest "$T/base" >/dev/null 2>&1 \
  || { fail det_lateral_setup_baseline; finish; exit; }
if hunt_json "$T/s2" "$T/f2.json"; then pycheck "$T/f2.json" baseline; fi
printf '[role_chain]\nreport_expected = false\n' > "$T/noexp.conf"
"$KUMO" -q --store "$T/s3" ingest "$T/base" >/dev/null 2>&1
if hunt_json "$T/s3" "$T/f3.json" --config "$T/noexp.conf"; then pycheck "$T/f3.json" noexpected; fi

# ---- 4. real corpus events -------------------------------------------------------
PT="$CORPUS/panther-analysis-tests/extracted"
if [ -f "$PT/GCP_AuditLog.jsonl" ] && [ -f "$PT/GCP_AuditLog.labels.jsonl" ]; then
  # Panther's labelled token tests share one insertId: one store per test
  $PY - "$PT" "$T/pg" > "$T/pg.list" <<'EOF'
import json, os, sys
pt, out = sys.argv[1], sys.argv[2]
labels = [json.loads(l) for l in open(os.path.join(pt, 'GCP_AuditLog.labels.jsonl'))]
logs = open(os.path.join(pt, 'GCP_AuditLog.jsonl')).read().splitlines()
for i, (lab, rec) in enumerate(zip(labels, logs)):
    if lab['rule_id'] in ('GCP.IAM.serviceAccounts.getAccessToken.Privilege.Escalation',
                          'GCP.IAM.serviceAccounts.signBlob',
                          'GCP.IAM.serviceAccounts.signJwt.Privilege.Escalation'):
        d = os.path.join(out, str(i))
        os.makedirs(d)
        open(os.path.join(d, 'entry.json'), 'w').write(rec + '\n')
        print(i, 1 if lab['expected_alert'] else 0)
EOF
  pos=0; neg=0; bad=""
  while read -r i want; do
    "$KUMO" -q --store "$T/pgs$i" ingest "$T/pg/$i" >/dev/null 2>&1
    "$KUMO" -q --store "$T/pgs$i" hunt --only gcp_impersonation >/dev/null 2>&1
    got=$("$KUMO" --store "$T/pgs$i" findings --format jsonl --severity medium | wc -l)
    if [ "$want" = 1 ]; then pos=$((pos + 1)); [ "$got" -ge 1 ] || bad="$bad pos$i"
    else neg=$((neg + 1)); [ "$got" -eq 0 ] || bad="$bad neg$i"; fi
  done < "$T/pg.list"
  check panther_gcp_token_tests_found [ "$pos" -ge 3 ] && [ "$neg" -ge 2 ]
  check panther_gcp_token_tests_agree [ -z "$bad" ]
  [ -n "$bad" ] && echo "  disagree:$bad"
else
  ok "panther_gcp_token_tests_skipped_no_corpus"
fi
if [ -f "$PT/Azure_MonitorActivity.jsonl" ]; then
  mkdir -p "$T/pa"
  $PY - "$PT" "$T/pa/activity.json" > "$T/pa.want" <<'EOF'
import json, os, sys
pt, out = sys.argv[1], sys.argv[2]
labels = [json.loads(l) for l in open(os.path.join(pt, 'Azure_MonitorActivity.labels.jsonl'))]
logs = open(os.path.join(pt, 'Azure_MonitorActivity.jsonl')).read().splitlines()
want = []
with open(out, 'w') as f:
    for lab, rec in zip(labels, logs):
        if lab['rule_id'] == 'Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated':
            f.write(rec + '\n')
            want.append(1 if lab['expected_alert'] else 0)
print(sum(want), len(want) - sum(want))
EOF
  read -r wpos wneg < "$T/pa.want"
  "$KUMO" -q --store "$T/pas" ingest "$T/pa" >/dev/null 2>&1
  if hunt_json "$T/pas" "$T/fa.json"; then
    got=$($PY -c "import json; F=json.load(open('$T/fa.json')); print(sum(1 for f in F if f['detection']=='azure_role_assignment' and f['severity'] in ('medium','high')))")
    reader=$($PY -c "import json; F=json.load(open('$T/fa.json')); print(sum(1 for f in F if 'Reader' in f['entities']['roles']))")
    check panther_azure_role_assignment_positives [ "$got" -eq "$wpos" ] && [ "$wpos" -ge 3 ]
    check panther_azure_role_assignment_negative_quiet [ "$reader" -eq 0 ] && [ "$wneg" -ge 1 ]
  fi
else
  ok "panther_azure_tests_skipped_no_corpus"
fi
SR="$CORPUS/stratus-red-team-detonation-logs/docs/detonation-logs"
if [ -d "$SR" ]; then
  mkdir -p "$T/sr"
  # every detonation that assumes a role or gets a federation token: single hops
  for f in "$SR"/*.json; do
    grep -qE '"(AssumeRole|GetFederationToken)"' "$f" && cp "$f" "$T/sr/"
  done
  [ -f "$PT/AWS_CloudTrail.jsonl" ] && grep -E '"eventName": "(AssumeRole|AssumeRoleWithSAML|AssumeRoleWithWebIdentity|GetFederationToken)"' "$PT/AWS_CloudTrail.jsonl" > "$T/sr/panther_sts.jsonl"
  nsr=$(ls "$T/sr" | wc -l)
  "$KUMO" -q --store "$T/srs" ingest "$T/sr" >/dev/null 2>&1
  nhops=$("$KUMO" --store "$T/srs" query 'filter action in ["AssumeRole","GetFederationToken"] and actor.type != "AWSService" | stats count() as n' --format csv | tail -1)
  if hunt_json "$T/srs" "$T/fs.json"; then
    got=$($PY -c "import json; F=json.load(open('$T/fs.json')); print(sum(1 for f in F if f['detection']=='role_chain' and f['severity'] in ('medium','high','critical')))")
    check corpus_aws_single_hops_present [ "$nsr" -ge 5 ] && [ "${nhops:-0}" -ge 8 ]
    check corpus_aws_single_hops_no_chain [ "$got" -eq 0 ]
  fi
else
  ok "stratus_skipped_no_corpus"
fi

# ---- 5. the generated background --------------------------------------------------
"$KUMO" -q gen --out "$T/bg" --events 40000 --days 3 --providers aws,azure,gcp >/dev/null 2>&1 \
  && "$KUMO" -q --store "$T/bgs" ingest "$T/bg" >/dev/null 2>&1 \
  || { fail det_lateral_setup_background; finish; exit; }
rm -rf "$T/bg"
if hunt_json "$T/bgs" "$T/fb.json"; then pycheck "$T/fb.json" background; fi
finish
