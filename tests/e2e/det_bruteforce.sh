#!/bin/sh
# det_bruteforce.sh — brute_force end to end. Sign-ins in the providers'
# shapes (tests/e2e/signins.py): 14 failed Entra sign-ins against one user
# from two addresses and then a sign-in from one of them (high); an AWS root
# console brute force (medium); a slow guessing spread over three addresses
# and a day (medium, distributed); a user whose own address had signed her in
# before (medium, the sign-in named as likely the owner's). Negative twins: a
# busy user who mistypes now and then but signs in between (the count
# resets), nine failures, MFA interrupts and token errors, lockouts alone,
# user names AWS hid. Then a re-run that adds nothing, the thresholds from
# the configuration, real corpus events (Panther's labelled tests, Stratus
# Red Team): quiet with the defaults, the right identities with a threshold
# of one, a generated three-cloud background with nothing of medium or
# above, and the generator's planted brute force against its ground truth.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
S="$T/store"

python3 - "$T/logs" "$HERE" > "$T/expect.json" <<'PY'
import sys, json, datetime
sys.path.insert(0, sys.argv[2])
from signins import Writer, at

w = Writer(sys.argv[1], seed=2)
day = datetime.datetime(2026, 4, 6, 2, 0, 0)
exp = {}
# B1: 14 failures against ana from two addresses within 8 minutes, a lockout,
# then a sign-in from one of them: high
t = day
for i in range(14):
    w.entra(t, "ana.ruiz@corp.test", "203.0.113.7" if i % 2 else "203.0.113.8", 50126)
    t = at(t, seconds=34)
w.entra(t, "ana.ruiz@corp.test", "203.0.113.8", 50053)
exp["b1_ok"] = w.entra(at(t, minutes=3), "ana.ruiz@corp.test", "203.0.113.7", 0)
# B2: AWS root, 11 failed console sign-ins in 5 minutes: medium
t = at(day, hours=1)
for i in range(11):
    w.console(t, "root", "198.51.100.77", ok=False, utype="Root")
    t = at(t, seconds=27)
# B3: slow: 33 failures against ben over 20 hours from 3 addresses, never 10
# within 20 minutes: medium (distributed)
t = at(day, hours=3)
for i in range(33):
    w.entra(t, "ben.ode@corp.test", "192.0.2.%d" % (21 + i % 3), 50126)
    t = at(t, minutes=36)
# B4: cleo's own home address signed her in the day before; 12 failures from
# it (a phone with an old password), then she signs in there: medium
home = "198.51.100.140"
w.entra(at(day, hours=-20), "cleo.park@corp.test", home, 0)
t = at(day, hours=2)
for i in range(12):
    w.entra(t, "cleo.park@corp.test", home, 50126)
    t = at(t, seconds=70)
w.entra(at(t, minutes=1), "cleo.park@corp.test", home, 0)
# N1: dan signs in all morning; 12 of his sign-ins had a mistype first
t = at(day, hours=6)
for i in range(40):
    if i % 3 == 0:
        w.entra(t, "dan.moss@corp.test", "198.51.100.150", 50126)
    w.entra(at(t, seconds=8), "dan.moss@corp.test", "198.51.100.150", 0)
    t = at(t, seconds=45)
# N2: nine failures only
t = at(day, hours=7)
for i in range(9):
    w.entra(t, "eve.lund@corp.test", "203.0.113.9", 50126)
    t = at(t, seconds=40)
# N3: interrupts and token errors, twenty of each kind
t = at(day, hours=8)
for i in range(20):
    for k, code in enumerate((50074, 50140, 70044, 700082, 50173)):
        cat = "SignInLogs" if code in (50074, 50140) else "NonInteractiveUserSignInLogs"
        w.entra(at(t, seconds=k), "finn.berg@corp.test", "198.51.100.160", code, category=cat)
    t = at(t, seconds=50)
# N4: lockouts alone (an address Entra already blocks)
t = at(day, hours=9)
for i in range(15):
    w.entra(t, "gus.hale@corp.test", "203.0.113.12", 50053)
    t = at(t, seconds=30)
# N5: names AWS hid: no identity to count
t = at(day, hours=10)
for i in range(15):
    w.console(t, None, "203.0.113.13", ok=False, hidden=True)
    t = at(t, seconds=20)
w.close()
json.dump(exp, sys.stdout)
PY
[ $? -eq 0 ] && ok bf_data_written || fail bf_data_written
"$KUMO" --store "$S" ingest -q "$T/logs" > "$T/ing.txt" 2>&1 || fail bf_ingest "$(cat "$T/ing.txt")"

"$KUMO" --store "$S" hunt --only brute_force --json -q > "$T/h1.json" 2>"$T/h1.err"
"$KUMO" --store "$S" findings --detection brute_force --format json > "$T/f.json"
python3 - "$T/f.json" "$T/expect.json" > "$T/py.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1])); exp = json.load(open(sys.argv[2]))
by = {}
for x in f:
    assert x["detection"] == "brute_force" and x["technique"] == "T1110.001"
    for i in x["entities"]["identities"]:
        by.setdefault(i, []).append(x)
def one(ident):
    assert ident in by and len(by[ident]) == 1, (ident, sorted(by))
    return by[ident][0]
s = one("ana.ruiz@corp.test")
assert s["severity"] == "high", s["severity"]
assert "14 failed sign-ins from 2 addresses" in s["summary"] and "1 lockout" in s["summary"], s["summary"]
assert "signed in from 203.0.113.7" in s["summary"], s["summary"]
assert sorted(s["entities"]["ips"]) == ["203.0.113.7", "203.0.113.8"], s["entities"]["ips"]
assert s["entities"]["persons"] == ["ana.ruiz@corp.test"], s["entities"]["persons"]
assert exp["b1_ok"] in s["event_ids"] and len(s["event_ids"]) == 15, len(s["event_ids"])
assert s["details"]["compromise"]["source"] == "203.0.113.7" and s["details"]["windows"] == ["fast"], s["details"]
assert s["first"] == "2026-04-06T02:00:00Z", s["first"]
s = one("root")
assert s["severity"] == "medium" and "AWS console 111122223333" in s["summary"], s["summary"]
assert s["details"]["failures"] == 11 and s["entities"]["accounts"] == ["111122223333"], s
s = one("ben.ode@corp.test")
assert s["severity"] == "medium" and s["details"]["windows"] == ["distributed"], s["details"]
assert s["details"]["sources"] == 3 and "spread over addresses" in s["summary"], s["summary"]
s = one("cleo.park@corp.test")
assert s["severity"] == "medium" and "likely its owner" in s["summary"], s["summary"]
assert s["details"]["signed_in_after"]["known_source"] is True, s["details"]
for quiet in ("dan.moss@corp.test", "eve.lund@corp.test", "finn.berg@corp.test",
              "gus.hale@corp.test", "HIDDEN_DUE_TO_SECURITY_REASONS"):
    assert quiet not in by, (quiet, by[quiet][0]["summary"])
assert len(f) == 4, [x["summary"] for x in f]
print("ok")
PY
if [ $? -eq 0 ]; then ok bf_findings; else fail bf_findings "$(cat "$T/py.out" "$T/h1.err" | head -c 1500)"; fi

"$KUMO" --store "$S" hunt --only brute_force --json -q > "$T/h2.json" 2>&1
[ "$(json_num "$T/h2.json" new)" = 0 ] && [ "$(json_num "$T/h2.json" updated)" = 0 ] \
  && ok bf_rerun_adds_nothing || fail bf_rerun_adds_nothing "$(cat "$T/h2.json")"

# thresholds: 15 failures needed, the distributed window off: ana (14), ben gone
printf '[brute_force]\nmin_failures = 15\nslow_min_failures = 0\n' > "$T/t.conf"
"$KUMO" --store "$S" hunt --only brute_force --no-save -q --config "$T/t.conf" > "$T/t.txt" 2>&1
! grep -q "ana.ruiz" "$T/t.txt" && ! grep -q "ben.ode" "$T/t.txt" && grep -q "hunt: 1 detection" "$T/t.txt" \
  && ok bf_threshold_setting || fail bf_threshold_setting "$(head -c 600 "$T/t.txt")"
# allow.identities: an expected account is not counted
printf '[allow]\nidentities = ana.ruiz@corp.test\n' > "$T/a.conf"
"$KUMO" --store "$S" hunt --only brute_force --no-save -q --config "$T/a.conf" > "$T/a.txt" 2>&1
! grep -q "ana.ruiz" "$T/a.txt" && grep -q "ben.ode" "$T/a.txt" && ok bf_allow_identity || fail bf_allow_identity "$(head -c 600 "$T/a.txt")"
# the 50126 list is the configuration's: without it, only AWS is left
printf '[brute_force]\nentra_failure_codes = 50034\n' > "$T/c.conf"
"$KUMO" --store "$S" hunt --only brute_force --no-save -q --config "$T/c.conf" > "$T/c.txt" 2>&1
grep -q "hunt: 1 detection.*: 1 finding" "$T/c.txt" && grep -q "Brute force against root" "$T/c.txt" \
  && ok bf_codes_setting || fail bf_codes_setting "$(head -c 600 "$T/c.txt")"

# real events: Panther's labelled CloudTrail and Entra tests, Stratus' console
# login. With the defaults nothing (single failures); with a threshold of
# one, exactly the identities whose credential checks failed there.
C="$T/corpus"; CS="$T/cstore"; mkdir -p "$C"
pan="$CORPUS/panther-analysis-tests/extracted"
if [ -f "$pan/AWS_CloudTrail.jsonl" ] && [ -f "$pan/Azure_Audit.jsonl" ]; then
  cp "$pan/AWS_CloudTrail.jsonl" "$pan/Azure_Audit.jsonl" "$C/"
  st="$CORPUS/stratus-red-team-detonation-logs/docs/detonation-logs/aws.initial-access.console-login-without-mfa.json"
  [ -f "$st" ] && cp "$st" "$C/"
  "$KUMO" --store "$CS" ingest -q "$C" > "$T/ci.txt" 2>&1
  "$KUMO" --store "$CS" hunt --only brute_force,password_spray --no-save -q > "$T/c0.txt" 2>&1
  grep -q "2 detections in .*: 0 findings" "$T/c0.txt" && ok bf_corpus_quiet || fail bf_corpus_quiet "$(head -c 800 "$T/c0.txt")"
  # what the corpus holds, by the query engine: failed console sign-ins and
  # Entra credential failures per identity (the reference for the detection)
  "$KUMO" --store "$CS" query 'filter (action = "ConsoleLogin" and outcome = "failure") or error.code in ["50126", "50034", "50056", "50064"] | stats count() as n by coalesce(actor.email, actor.name) as who | sort who' --format csv > "$T/cref.csv" 2>&1
  printf '[brute_force]\nmin_failures = 1\nwindow = 100000d\nslow_min_failures = 0\n' > "$T/c2.conf"
  "$KUMO" --store "$CS" hunt --only brute_force -q --config "$T/c2.conf" > /dev/null 2>&1
  "$KUMO" --store "$CS" findings --format json > "$T/cf.json"
  python3 - "$T/cf.json" "$T/cref.csv" > "$T/pyc.out" 2>&1 <<'PY'
import csv, json, sys
f = json.load(open(sys.argv[1]))
ref = sorted(r["who"] for r in csv.DictReader(open(sys.argv[2])) if r["who"] != "HIDDEN_DUE_TO_SECURITY_REASONS")
got = sorted({i for x in f for i in x["entities"]["identities"]})
assert ref, "no reference identities"
assert got == ref, (got, ref)
# Panther's lockout (50053) and service-principal failures (7000215) are never tries
assert "boromir@lotr.com" not in got and "user1@microsoft.com" not in got
print(" ".join(got))
PY
  if [ $? -eq 0 ]; then ok "bf_corpus_identities ($(cat "$T/pyc.out"))"; else fail bf_corpus_identities "$(cat "$T/pyc.out" "$T/cref.csv" | head -c 1200)"; fi
else
  ok "bf_corpus_skipped (no Panther tests under $CORPUS)"
fi

# a generated three-cloud background with the story (no part of it is a
# brute force): nothing
G="$T/gen"; GS="$T/gstore"
"$KUMO" -q gen --out "$G" --events 60000 --seed 5 --providers aws,azure,gcp >/dev/null 2>&1
"$KUMO" --store "$GS" ingest -q "$G" >/dev/null 2>&1
"$KUMO" --store "$GS" hunt --only brute_force --no-save -q > "$T/g.txt" 2>&1
grep -q "1 detection in .*: 0 findings" "$T/g.txt" && ok bf_background_quiet || fail bf_background_quiet "$(head -c 800 "$T/g.txt")"

# the generator's planted brute force: the ground truth's entities and window
P="$T/plant"; PS="$T/pstore"
"$KUMO" -q gen --out "$P" --events 60000 --seed 4 --providers aws,azure,gcp --scenarios bruteforce >/dev/null 2>&1
"$KUMO" --store "$PS" ingest -q "$P" >/dev/null 2>&1
"$KUMO" --store "$PS" hunt --only brute_force -q >/dev/null 2>&1
"$KUMO" --store "$PS" findings --format json > "$T/p.json"
python3 - "$T/p.json" "$P/kumo-ground-truth.json" > "$T/pyp.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
gt = [s for s in json.load(open(sys.argv[2]))["scenarios"] if s["scenario"] == "bruteforce"][0]
assert len(f) == 1, [x["summary"] for x in f]
x = f[0]
for k in ("ips", "persons", "identities", "accounts"):
    assert sorted(x["entities"][k]) == sorted(gt["entities"][k]), (k, x["entities"][k], gt["entities"][k])
assert gt["first"][:19] <= x["first"][:19] and x["last"][:19] <= gt["last"][:19], (x["first"], x["last"], gt)
assert x["severity"] == "high" and x["details"]["compromise"]["source"] in gt["entities"]["ips"], x
print(x["details"]["failures"], "failures")
PY
if [ $? -eq 0 ]; then ok "bf_planted_scenario ($(cat "$T/pyp.out"))"; else fail bf_planted_scenario "$(head -c 1500 "$T/pyp.out")"; fi
finish
