#!/usr/bin/env python3
"""check_truth.py TRUTH FINDINGS [--allow-extra] — compares `kumo findings
--format json` with the generator's ground truth (kumo-ground-truth.json).

For every planted scenario and every detection it expects, a finding of that
detection must overlap the scenario's window (with 1 h of slack for
detections that look past it, e.g. the silence after a StopLogging) and share
an entity with it (an IP, a person, an identity, an access key, an account or
a role the truth names). Prints one line per (scenario, detection):
    ok   spray password_spray F-... high
    MISS travel impossible_travel
and then every finding of medium severity or above that no scenario explains
(`EXTRA ...`); a finding of any detection that shares an address, person,
identity or key with a scenario inside its window is that scenario's. Exit 0 when nothing is missed and (without --allow-extra) there
is no extra finding of medium or above.
"""
import json, sys
from datetime import datetime, timedelta

def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))

truth = json.load(open(sys.argv[1]))
findings = json.load(open(sys.argv[2]))
allow_extra = "--allow-extra" in sys.argv
slack = timedelta(hours=1)
kinds = ["ips", "persons", "identities", "access_keys", "accounts", "roles", "resources"]
explained = set()
missed = 0
for sc in truth["scenarios"]:
    first, last = ts(sc["first"]) - slack, ts(sc["last"]) + slack
    ents = sc.get("entities", {})
    # accounts alone tie too loosely (every finding has one): need another kind
    strong = {(k, v.lower()) for k in kinds if k != "accounts" for v in ents.get(k, [])}
    for det in sc["detections"]:
        hit = None
        for f in findings:
            if f["detection"] != det:
                continue
            if ts(f["last"]) < first or ts(f["first"]) > last:
                continue
            fe = {(k, v.lower()) for k in kinds for v in f["entities"].get(k, [])}
            if det == "log_silence":
                fe |= {("accounts", v.lower()) for v in f["entities"].get("accounts", [])}
                strong_d = strong | {("accounts", v.lower()) for v in ents.get("accounts", [])}
            else:
                strong_d = strong
            if fe & strong_d:
                hit = f
                break
        if hit:
            explained.add(hit["id"])
            # every finding of that detection inside the window is the scenario's
            for f in findings:
                if f["detection"] == det and not (ts(f["last"]) < first or ts(f["first"]) > last):
                    fe = {(k, v.lower()) for k in kinds for v in f["entities"].get(k, [])}
                    if fe & (strong | {("accounts", v.lower()) for v in ents.get("accounts", [])}):
                        explained.add(f["id"])
            print(f"ok   {sc['scenario']:12} {det:24} {hit['id']} {hit['severity']}")
        else:
            missed += 1
            print(f"MISS {sc['scenario']:12} {det}")
# any finding about a planted attack (its window, one of its addresses,
# persons, identities or keys) is explained, whichever detection made it:
# a stolen session used from abroad is also impossible travel
for sc in truth["scenarios"]:
    first, last = ts(sc["first"]) - slack, ts(sc["last"]) + slack
    ents = sc.get("entities", {})
    strong = {(k, v.lower()) for k in ("ips", "persons", "identities", "access_keys")
              for v in ents.get(k, [])}
    for f in findings:
        if ts(f["last"]) < first or ts(f["first"]) > last:
            continue
        fe = {(k, v.lower()) for k in kinds for v in f["entities"].get(k, [])}
        if fe & strong:
            explained.add(f["id"])
extra = [f for f in findings if f["id"] not in explained
         and f["severity"] in ("medium", "high", "critical")]
for f in extra:
    print(f"EXTRA {f['detection']:24} {f['id']} {f['severity']} {f['summary'][:150]}")
print(f"{missed} missed, {len(extra)} unexplained findings of medium or above")
sys.exit(1 if missed or (extra and not allow_extra) else 0)
