#!/usr/bin/env python3
"""det_persist_check.py FINDINGS.json SPEC [exact] — checks `kumo findings
--format json` against a spec, one expectation per line (used by
det_persist.sh):

  DETECTION|SEVERITY|SUMMARY SUBSTRING|entity=value,entity=value,...
      exactly one finding of DETECTION whose summary contains the substring,
      with that severity, whose entity arrays contain every value given
      (entity: ips, persons, identities, access_keys, accounts, roles,
      resources, countries, event_ids; or first=/last= for its window,
      compared as a prefix)
  !DETECTION|SUMMARY SUBSTRING
      no finding of DETECTION contains the substring
  max:DETECTION|SEVERITY
      no finding of DETECTION above SEVERITY, except those the spec expects

With `exact`, every finding of a detection named in the spec must be one the
spec expects. Prints "ok - NAME" / "FAIL - NAME" lines (NAME from the
substring) and exits non-zero on any failure."""
import json
import sys

SEV = ["info", "low", "medium", "high", "critical"]
findings = json.load(open(sys.argv[1]))
exact = len(sys.argv) > 3 and sys.argv[3] == "exact"
prefix = sys.argv[4] if len(sys.argv) > 4 else "det"
bad = 0
matched = set()
named = set()


def say(ok, name, why=""):
    global bad
    print(("ok - " if ok else "FAIL - ") + prefix + "_" + name)
    if not ok:
        bad += 1
        if why:
            print("  " + why)


def slug(s):
    return "".join(c if c.isalnum() else "_" for c in s)[:60]


maxes = []
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    if line.startswith("max:"):
        det, sev = line[4:].split("|")
        maxes.append((det, sev))
        named.add(det)
        continue
    if line.startswith("!"):
        det, sub = line[1:].split("|", 1)
        named.add(det)
        hit = [f for f in findings if f["detection"] == det and sub in f["summary"]]
        say(not hit, "no_" + slug(det + "_" + sub),
            "unexpected: " + "; ".join(f["summary"] for f in hit))
        continue
    parts = line.split("|")
    det, sev, sub = parts[0], parts[1], parts[2]
    ents = parts[3] if len(parts) > 3 else ""
    named.add(det)
    hit = [f for f in findings if f["detection"] == det and sub in f["summary"]]
    name = slug(det + "_" + sub)
    if len(hit) != 1:
        say(False, name, "%d findings match (want 1): %s" % (len(hit), [f["summary"] for f in hit]))
        continue
    f = hit[0]
    matched.add(f["id"])
    why = []
    if f["severity"] != sev:
        why.append("severity %s, want %s" % (f["severity"], sev))
    for kv in filter(None, ents.split(",")):
        k, v = kv.split("=", 1)
        if k in ("first", "last"):
            if not f[k].startswith(v):
                why.append("%s %s, want %s" % (k, f[k], v))
        elif k == "event_ids":
            if v not in f["event_ids"]:
                why.append("event id %s missing" % v)
        elif k == "details":
            if v not in json.dumps(f.get("details")):
                why.append("details lack %s: %s" % (v, f.get("details")))
        elif v not in f["entities"].get(k, []):
            why.append("%s lacks %s: %s" % (k, v, f["entities"].get(k)))
    say(not why, name, "; ".join(why) + " — " + f["summary"])

for det, sev in maxes:
    over = [f for f in findings if f["detection"] == det and f["id"] not in matched
            and SEV.index(f["severity"]) > SEV.index(sev)]
    say(not over, "quiet_above_" + sev + "_" + det,
        "; ".join("%s %s" % (f["severity"], f["summary"]) for f in over[:5]))
if exact:
    for det in sorted(named):
        extra = [f for f in findings if f["detection"] == det and f["id"] not in matched]
        say(not extra, "nothing_else_" + det,
            "; ".join("%s %s" % (f["severity"], f["summary"]) for f in extra[:5]))
sys.exit(1 if bad else 0)
