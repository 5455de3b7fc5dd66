#!/bin/sh
# det_spray.sh — password_spray end to end. Sign-ins written in the providers'
# own shapes (tests/e2e/signins.py): an Entra spray followed by a sign-in as
# one target and that user's Azure activity from the same address
# (critical), the same spray without a sign-in (medium), a spray stopped by
# MFA after the password was right (high), an AWS console spray with user
# names AWS hid, a Workspace spray; and their negative twins: an office NAT
# where people mistype and then sign in, too few identities, interrupts and
# token errors only (never credential failures), many tries per user,
# allow-listed networks and user agents. Then the distributed variant, a
# re-run that adds nothing, the story of a generated three-cloud dataset
# (found, high or critical, mallory named) over a background that yields
# nothing of medium or above, the generator's planted spray scenario against
# its ground truth, and the pure background (`--scenarios none`): nothing.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
S="$T/store"

python3 - "$T/logs" "$HERE" > "$T/expect.json" <<'PY'
import sys, json, datetime
sys.path.insert(0, sys.argv[2])
from signins import Writer, at, BROWSER

w = Writer(sys.argv[1])
users = ["user%02d@corp.test" % i for i in range(60)]
exp = {}

def spray(ip, start, n, rounds=2, lock=None, ua=BROWSER, step=17, first_user=0, code=50126):
    """Each of n users tried once per round, `step` seconds apart."""
    t = start
    for r in range(rounds):
        for i in range(n):
            c = 50053 if lock == (r, i) else code
            w.entra(t, users[first_user + i], ip, c, ua=ua)
            t = at(t, seconds=step)
        t = at(t, minutes=2)
    return t

day = datetime.datetime(2026, 3, 2, 1, 0, 0)
# S1: spray, one lockout, then a sign-in as user05 and her activity: critical
t = spray("203.0.113.10", day, 12, lock=(1, 3))
ok_id = w.entra(at(t, seconds=20), users[5], "203.0.113.10", 0)
w.activity(at(t, minutes=9), users[5], "203.0.113.10")
exp["s1"] = {"ip": "203.0.113.10", "first": "2026-03-02T01:00:00Z", "success": ok_id,
             "who": users[5], "targets": users[:12]}
# S2: the same spray, nobody gets in: medium
spray("203.0.113.20", at(day, hours=2), 12)
# S3: office NAT: 15 people mistype once and get in, 20 more just sign in
t = at(day, hours=8)
for i in range(15):
    w.entra(t, users[20 + i], "198.51.100.30", 50126)
    w.entra(at(t, seconds=9), users[20 + i], "198.51.100.30", 0)
    t = at(t, minutes=1)
for i in range(20):
    w.entra(at(t, seconds=13 * i), users[40 + i], "198.51.100.30", 0)
# S4: nine identities only
spray("203.0.113.40", at(day, hours=3), 9)
# S5: interrupts (MFA required, keep me signed in) and token errors: never failures
t = at(day, hours=4)
for i in range(14):
    w.entra(t, users[i], "203.0.113.50", 50074)
    w.entra(at(t, seconds=3), users[i], "203.0.113.50", 50140)
    w.entra(at(t, seconds=6), users[i], "203.0.113.50", 70044, category="NonInteractiveUserSignInLogs")
    w.entra(at(t, seconds=7), users[i], "203.0.113.50", 700082, category="NonInteractiveUserSignInLogs")
    w.entra(at(t, seconds=8), users[i], "203.0.113.50", 50173, category="NonInteractiveUserSignInLogs")
    t = at(t, seconds=30)
# S6: AWS console spray: 8 IAM users and 4 names that do not exist, then a sign-in
t = at(day, hours=5)
for r in range(2):
    for i in range(8):
        w.console(t, "iam-user-%d" % i, "203.0.113.60", ok=False)
        t = at(t, seconds=11)
    for i in range(2):
        w.console(t, None, "203.0.113.60", ok=False, hidden=True)
        t = at(t, seconds=11)
ct_ok = w.console(at(t, seconds=30), "iam-user-6", "203.0.113.60", ok=True)
exp["s6"] = {"ip": "203.0.113.60", "success": ct_ok}
# S7: Google Workspace spray, nobody gets in
t = at(day, hours=6)
for i in range(11):
    w.workspace(t, users[i].replace("corp.test", "corp-mail.test"), "203.0.113.70", ok=False)
    t = at(t, seconds=23)
# S8: a spray from an address the configuration allows (and one from an agent it allows)
spray("203.0.113.80", at(day, hours=7), 12)
spray("203.0.113.90", at(day, hours=9), 12, ua="Mozilla/5.0 (compatible; MSAL 1.0) PKeyAuth/1.0")
# S9: twelve users tried five times each: guessing, not spraying
spray("203.0.113.100", at(day, hours=10), 12, rounds=5)
# S10: the password of user03 was right, MFA stopped the sign-in (50076): high
t = spray("203.0.113.110", at(day, hours=11), 12)
w.entra(at(t, seconds=5), users[3], "203.0.113.110", 50076)
# S11: distributed: 20 users, one try each, 2 per address over 10 addresses, no success
t = at(day, hours=13)
for i in range(20):
    w.entra(t, users[30 + i], "192.0.2.%d" % (10 + i // 2), 50126)
    t = at(t, minutes=2)
w.close()
json.dump(exp, sys.stdout)
PY
[ $? -eq 0 ] && ok spray_data_written || fail spray_data_written

"$KUMO" --store "$S" ingest -q "$T/logs" > "$T/ing.txt" 2>&1
n=$("$KUMO" --store "$S" query 'stats count()' --format csv | tail -n 1)
[ "${n:-0}" -eq 373 ] && ok "spray_ingested ($n events)" || fail spray_ingested "$(cat "$T/ing.txt")"

"$KUMO" --store "$S" hunt --only password_spray --json -q > "$T/h1.json" 2>"$T/h1.err"
"$KUMO" --store "$S" findings --detection password_spray --format json > "$T/f.json"
python3 - "$T/f.json" "$T/expect.json" > "$T/py.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1])); exp = json.load(open(sys.argv[2]))
by = {}
for x in f:
    assert x["detection"] == "password_spray" and x["technique"] == "T1110.003"
    by.setdefault(x["entities"]["ips"][0] if x["entities"]["ips"] else "", []).append(x)
def one(ip):
    assert ip in by and len(by[ip]) == 1, (ip, sorted(by))
    return by[ip][0]
# S1: critical, the compromised identity named, every target, the evidence
s = one("203.0.113.10"); e = exp["s1"]
assert s["severity"] == "critical", s["severity"]
assert e["who"] in s["summary"] and "203.0.113.10" in s["summary"], s["summary"]
assert "24 failed" not in s["summary"] and "23 failed sign-ins against 12" in s["summary"], s["summary"]
assert "1 lockout" in s["summary"] and "ROLEASSIGNMENTS/WRITE" in s["summary"], s["summary"]
assert sorted(set(e["targets"]) - set(s["entities"]["identities"])) == [], s["entities"]["identities"]
assert e["who"] in s["entities"]["persons"], s["entities"]["persons"]
assert s["entities"]["ips"] == ["203.0.113.10"] and s["entities"]["countries"] == ["NL"], s["entities"]
assert e["success"] in s["event_ids"], s["event_ids"]
assert s["first"] == e["first"], s["first"]
d = s["details"]
assert d["targets"] == 12 and d["tries"] == 23 and d["lockouts"] == 1 and d["median_tries"] == 2, d
assert d["compromised"][0]["identity"] == e["who"] and d["compromised"][0]["how"] == "signed_in", d
assert s["key"] == "203.0.113.10|2026-03-02T01:00:00Z", s["key"]
# S2: medium, nobody got in
s = one("203.0.113.20")
assert s["severity"] == "medium" and "no sign-in" in s["summary"], s
# S3, S4, S5, S9: nothing
for ip in ("198.51.100.30", "203.0.113.40", "203.0.113.50", "203.0.113.100"):
    assert ip not in by, (ip, by.get(ip, [{}])[0].get("summary"))
# S6: AWS console: high, hidden names counted apart, never an identity
s = one("203.0.113.60")
assert s["severity"] == "high" and "iam-user-6" in s["summary"] and "AWS console" in s["summary"], s["summary"]
assert s["details"]["hidden_user_names"] == 4 and s["details"]["targets"] == 12, s["details"]
assert "HIDDEN_DUE_TO_SECURITY_REASONS" not in s["entities"]["identities"], s["entities"]["identities"]
assert "111122223333" in s["entities"]["accounts"] and exp["s6"]["success"] in s["event_ids"]
# S7: Workspace
s = one("203.0.113.70")
assert s["severity"] == "medium" and "Google Workspace" in s["summary"] and s["details"]["targets"] == 11, s
# S8 without allow-lists: found
one("203.0.113.80"); one("203.0.113.90")
# S10: password accepted, MFA stopped it
s = one("203.0.113.110")
assert s["severity"] == "high" and "password accepted" in s["summary"] and "user03@corp.test" in s["summary"], s["summary"]
assert s["details"]["compromised"][0]["how"] == "password_accepted", s["details"]
# S11: no source alone has enough: not found by default
assert not [x for x in f if x["details"].get("variant") == "distributed"]
assert not [ip for ip in by if ip.startswith("192.0.2.")], sorted(by)
print("ok")
PY
if [ $? -eq 0 ]; then ok spray_findings; else fail spray_findings "$(cat "$T/py.out" "$T/h1.err" | head -c 1500)"; fi

# re-running records nothing new
"$KUMO" --store "$S" hunt --only password_spray --json -q > "$T/h2.json" 2>&1
[ "$(json_num "$T/h2.json" new)" = 0 ] && [ "$(json_num "$T/h2.json" updated)" = 0 ] \
  && ok spray_rerun_adds_nothing || fail spray_rerun_adds_nothing "$(cat "$T/h2.json")"

# allow-lists: the office range and the PKeyAuth agent
printf '[allow]\nnetworks = 203.0.113.80/32\nuser_agents = PKeyAuth/1.0\n' > "$T/allow.conf"
"$KUMO" --store "$S" hunt --only password_spray --no-save -q --config "$T/allow.conf" > "$T/a.txt" 2>&1
grep -q "203.0.113.10" "$T/a.txt" && ! grep -q "203.0.113.80" "$T/a.txt" && ! grep -q "203.0.113.90" "$T/a.txt" \
  && ok spray_allow_lists || fail spray_allow_lists "$(head -c 800 "$T/a.txt")"

# thresholds come from the configuration: 13 identities needed, S1 (12) is gone
printf '[password_spray]\nmin_identities = 13\n' > "$T/t.conf"
"$KUMO" --store "$S" hunt --only password_spray --no-save -q --config "$T/t.conf" > "$T/t.txt" 2>&1
! grep -q "203.0.113.10" "$T/t.txt" && ok spray_threshold_setting || fail spray_threshold_setting "$(head -c 600 "$T/t.txt")"

# the distributed variant, switched on: S11 (20 identities, 10 addresses); the
# office's mistypes were each followed by a sign-in, so they are not part of it
printf '[password_spray]\ntenant_min_identities = 15\n' > "$T/d.conf"
"$KUMO" --store "$S" hunt --only password_spray --no-save -q --config "$T/d.conf" > "$T/d.txt" 2>&1
"$KUMO" --store "$S" hunt --only password_spray -q --config "$T/d.conf" >/dev/null 2>&1
"$KUMO" --store "$S" findings --detection password_spray --format json > "$T/fd.json"
python3 - "$T/fd.json" > "$T/pyd.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
d = [x for x in f if x["details"].get("variant") == "distributed"]
assert len(d) == 1, [x["summary"] for x in d]
d = d[0]
assert d["severity"] == "medium" and "Distributed password spray" in d["summary"], d["summary"]
assert d["details"]["targets"] == 20 and d["details"]["sources"] == 10, d["details"]
assert len(d["entities"]["ips"]) == 10 and all(i.startswith("192.0.2.") for i in d["entities"]["ips"])
assert not [i for i in d["entities"]["identities"] if i in ("user20@corp.test", "user21@corp.test")]
print("ok")
PY
if [ $? -eq 0 ]; then ok spray_distributed; else fail spray_distributed "$(cat "$T/pyd.out" | head -c 800)"; fi

# group_by = asn: twelve addresses of one network, one user each. By address
# nothing; by AS number (when the geo database knows it) one spray naming
# every address; allow.asns silences it. Skipped without an ASN database.
if "$KUMO" geo lookup --json 14.160.7.10 2>/dev/null | grep -q '"asn":45899'; then
  python3 - "$T/asn" "$HERE" <<'PY'
import sys, datetime
sys.path.insert(0, sys.argv[2])
from signins import Writer, at
w = Writer(sys.argv[1], seed=9)
t = datetime.datetime(2026, 3, 9, 2, 0, 0)
for i in range(12):
    w.entra(t, "asn%02d@corp.test" % i, "14.160.7.%d" % (10 + i), 50126, country="VN")
    t = at(t, seconds=41)
w.close()
PY
  "$KUMO" --store "$T/astore" ingest -q "$T/asn" >/dev/null 2>&1
  "$KUMO" --store "$T/astore" hunt --only password_spray --no-save -q > "$T/asn0.txt" 2>&1
  printf '[password_spray]\ngroup_by = asn\n' > "$T/asn.conf"
  "$KUMO" --store "$T/astore" hunt --only password_spray -q --config "$T/asn.conf" > /dev/null 2>&1
  "$KUMO" --store "$T/astore" findings --format json > "$T/asn.json"
  printf '[password_spray]\ngroup_by = asn\n[allow]\nasns = AS45899\n' > "$T/asn2.conf"
  "$KUMO" --store "$T/astore" hunt --only password_spray --no-save -q --config "$T/asn2.conf" > "$T/asn2.txt" 2>&1
  python3 - "$T/asn.json" > "$T/pya.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
assert len(f) == 1, [x["summary"] for x in f]
x = f[0]
assert x["details"]["grouped_by"] == "asn" and x["details"]["source"] == "AS45899", x["details"]
assert x["details"]["targets"] == 12 and "Password spray from AS45899" in x["summary"], x["summary"]
assert sorted(x["entities"]["ips"]) == sorted("14.160.7.%d" % (10 + i) for i in range(12)), x["entities"]["ips"]
assert x["entities"]["countries"] == ["VN"], x["entities"]["countries"]
print("ok")
PY
  if [ $? -eq 0 ] && grep -q ": 0 findings" "$T/asn0.txt" && grep -q ": 0 findings" "$T/asn2.txt"; then ok spray_group_by_asn
  else fail spray_group_by_asn "$(cat "$T/pya.out" "$T/asn0.txt" "$T/asn2.txt" | head -c 900)"; fi
else
  ok "spray_group_by_asn_skipped (no ASN database)"
fi

# a bad group_by is an error naming the setting
printf '[password_spray]\ngroup_by = country\n' > "$T/g.conf"
"$KUMO" --store "$S" hunt --only password_spray --no-save -q --config "$T/g.conf" > "$T/g.txt" 2>&1
[ $? -ne 0 ] && grep -q "group_by" "$T/g.txt" && ok spray_bad_group_by || fail spray_bad_group_by "$(cat "$T/g.txt")"

# the story of a generated three-cloud dataset, over its background
G="$T/gen"; GS="$T/gstore"
"$KUMO" -q gen --out "$G" --events 40000 --seed 11 --providers aws,azure,gcp >/dev/null 2>&1
"$KUMO" --store "$GS" ingest -q "$G" >/dev/null 2>&1
"$KUMO" --store "$GS" hunt --only password_spray,brute_force -q >/dev/null 2>&1
"$KUMO" --store "$GS" findings --format json > "$T/g.json"
python3 - "$T/g.json" > "$T/pyg.out" 2>&1 <<'PY'
import json, sys
f = [x for x in json.load(open(sys.argv[1])) if x["detection"] in ("password_spray", "brute_force")]
story = [x for x in f if x["entities"]["ips"] == ["203.0.113.66"]]
assert len(story) == 1 and story[0]["detection"] == "password_spray", [x["summary"] for x in f]
s = story[0]
assert s["severity"] in ("high", "critical"), s["severity"]
who = s["details"]["compromised"][0]["identity"]
assert who.startswith("mallory.") and who in s["summary"], s["summary"]
assert who in s["entities"]["identities"] and who in s["entities"]["persons"], s["entities"]
assert s["details"]["targets"] == 10 and s["details"]["lockouts"] == 1 and s["details"]["tries"] == 18, s["details"]
rest = [x["summary"] for x in f if x is not s and x["severity"] in ("medium", "high", "critical")]
assert not rest, rest
print(s["severity"])
PY
if [ $? -eq 0 ]; then ok "spray_story_found_background_quiet ($(cat "$T/pyg.out"))"; else fail spray_story_found_background_quiet "$(head -c 1200 "$T/pyg.out")"; fi

# the planted spray scenario (Entra, AWS console with hidden names, Workspace):
# found with exactly the ground truth's entities and inside its window; the
# same background without plants yields nothing of medium or above
P="$T/plant"; PS="$T/pstore"
"$KUMO" -q gen --out "$P" --events 60000 --seed 3 --providers aws,azure,gcp --scenarios spray >/dev/null 2>&1
"$KUMO" --store "$PS" ingest -q "$P" >/dev/null 2>&1
"$KUMO" --store "$PS" hunt --only password_spray -q >/dev/null 2>&1
"$KUMO" --store "$PS" findings --format json > "$T/p.json"
python3 - "$T/p.json" "$P/kumo-ground-truth.json" > "$T/pyp.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
gt = [s for s in json.load(open(sys.argv[2]))["scenarios"] if s["scenario"] == "spray"][0]
assert len(f) == 1, [x["summary"] for x in f]
x = f[0]
for k in ("ips", "persons", "identities", "accounts"):
    assert sorted(x["entities"][k]) == sorted(gt["entities"][k]), (k, x["entities"][k], gt["entities"][k])
assert gt["first"][:19] <= x["first"][:19] and x["last"][:19] <= gt["last"][:19], (x["first"], x["last"], gt)
assert x["severity"] in ("high", "critical") and x["details"]["hidden_user_names"] > 0, x["details"]
who = x["details"]["compromised"][0]["identity"]
assert who in gt["entities"]["persons"] and who in x["summary"], x["summary"]
print(x["details"]["targets"], "targets")
PY
if [ $? -eq 0 ]; then ok "spray_planted_scenario ($(cat "$T/pyp.out"))"; else fail spray_planted_scenario "$(head -c 1500 "$T/pyp.out")"; fi
N="$T/none"; NS="$T/nstore"
"$KUMO" -q gen --out "$N" --events 60000 --seed 3 --providers aws,azure,gcp --scenarios none >/dev/null 2>&1
"$KUMO" --store "$NS" ingest -q "$N" >/dev/null 2>&1
"$KUMO" --store "$NS" hunt --only password_spray --no-save -q > "$T/n.txt" 2>&1
grep -q "1 detection in .*: 0 findings" "$T/n.txt" && ok spray_pure_background_quiet || fail spray_pure_background_quiet "$(head -c 600 "$T/n.txt")"
finish
