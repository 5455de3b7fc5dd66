#!/bin/sh
# hunt.sh — `kumo hunt` end to end on a generated three-cloud dataset (its
# story stops mallory's trail from 203.0.113.66): the StopLogging finding with
# its entities and evidence; re-running records nothing new; every output
# format parses and carries the issue's fields; findings are anchored in
# custody (an edited finding fails verify); reading commands work on a
# read-only store and hunt --no-save too; configuration errors name the line.
. "$(dirname "$0")/lib.sh"
S="$T/store"
"$KUMO" -q gen --out "$T/logs" --events 20000 --seed 7 --providers aws,azure,gcp >/dev/null 2>&1
"$KUMO" --store "$S" ingest -q "$T/logs" >/dev/null 2>&1
story_ip=203.0.113.66
n=$("$KUMO" --store "$S" events --ip $story_ip --format jsonl | wc -l)
[ "$n" -gt 20 ] && ok "hunt_store_ready ($n story events)" || fail hunt_store_ready "n=$n"

"$KUMO" --store "$S" hunt --json -q > "$T/h1.json" 2>"$T/h1.err"; rc=$?
new1=$(json_num "$T/h1.json" new)
[ "$rc" -eq 0 ] && [ "${new1:-0}" -ge 1 ] && ok "hunt_records ($new1 new)" \
  || fail hunt_records "rc=$rc $(cat "$T/h1.json" "$T/h1.err" | head -c 400)"

"$KUMO" --store "$S" findings --format json > "$T/f.json"
python3 - "$T/f.json" $story_ip > "$T/py.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1])); ip = sys.argv[2]
need = ["id","detection","severity","first","last","summary","entities","event_ids"]
ents = ["ips","persons","identities","access_keys","accounts","roles","resources","countries"]
for x in f:
    assert all(k in x for k in need), x.keys()
    assert all(isinstance(x["entities"][k], list) for k in ents)
    assert x["severity"] in ("info","low","medium","high","critical")
    assert x["first"].endswith("Z") and x["last"] >= x["first"]
    assert x["id"].startswith("F-") and len(x["id"]) == 18
stop = [x for x in f if x["detection"] == "logging_tampering" and "StopLogging" in x["summary"]]
assert len(stop) == 1, len(stop)
s = stop[0]
assert s["severity"] == "high", s["severity"]
assert s["entities"]["ips"] == [ip], s["entities"]["ips"]
assert s["entities"]["identities"] == ["mallory.ops"], s["entities"]["identities"]
assert len(s["entities"]["access_keys"]) == 1 and s["entities"]["access_keys"][0].startswith("AKIA")
assert len(s["entities"]["accounts"]) == 1 and len(s["entities"]["accounts"][0]) == 12
assert any(r.startswith("arn:aws:cloudtrail:") for r in s["entities"]["resources"])
assert len(s["event_ids"]) == 1 and s["evidence"][0]["event_id"] == s["event_ids"][0]
assert s["evidence"][0]["action"] == "StopLogging"
# the background has no other high tampering
assert not [x for x in f if x["severity"] in ("high","critical") and x is not s
            and x["detection"] == "logging_tampering"]
print(s["id"], s["event_ids"][0])
PY
if [ $? -eq 0 ]; then ok hunt_stoplogging_finding; else fail hunt_stoplogging_finding "$(cat "$T/py.out")"; fi
fid=$(tail -n 1 "$T/py.out" | cut -d' ' -f1); eid=$(tail -n 1 "$T/py.out" | cut -d' ' -f2)

# the evidence event is the stored one
"$KUMO" --store "$S" show "$eid" > "$T/show.txt" 2>&1
grep -q StopLogging "$T/show.txt" && ok hunt_evidence_shows || fail hunt_evidence_shows "$(head -c 300 "$T/show.txt")"

# re-running adds nothing
"$KUMO" --store "$S" hunt --json -q > "$T/h2.json" 2>&1
[ "$(json_num "$T/h2.json" new)" = 0 ] && [ "$(json_num "$T/h2.json" updated)" = 0 ] \
  && [ "$(json_num "$T/h2.json" total)" = "$(json_num "$T/h1.json" total)" ] \
  && ok hunt_rerun_adds_nothing || fail hunt_rerun_adds_nothing "$(cat "$T/h2.json")"

# formats
"$KUMO" --store "$S" findings --format jsonl | jq -e -s 'length > 0 and all(.[]; .id|startswith("F-"))' >/dev/null \
  && ok hunt_jsonl || fail hunt_jsonl
"$KUMO" --store "$S" findings --format ocsf > "$T/o.jsonl"
jq -e -s 'all(.[]; .class_uid == 2004 and .type_uid == 200401 and (.severity_id >= 1 and .severity_id <= 5)
  and (.finding_info.uid|startswith("F-")) and (.finding_info.first_seen_time > 0)
  and .metadata.version == "1.3.0")' "$T/o.jsonl" >/dev/null && ok hunt_ocsf || fail hunt_ocsf "$(head -c 400 "$T/o.jsonl")"
"$KUMO" --store "$S" findings --format asff > "$T/a.json"
jq -e --arg id "$fid" 'all(.[]; .SchemaVersion == "2018-10-08" and (.AwsAccountId|test("^[0-9]{12}$"))
  and (.ProductArn|startswith("arn:aws:securityhub:")) and (.Resources|length) >= 1
  and (.Severity.Label|IN("INFORMATIONAL","LOW","MEDIUM","HIGH","CRITICAL")))
  and (map(select(.Id == ("kumo/" + $id))) | length == 1)' "$T/a.json" >/dev/null \
  && ok hunt_asff || fail hunt_asff "$(head -c 400 "$T/a.json")"
"$KUMO" --store "$S" findings --severity high --format json | jq -e 'all(.[]; .severity|IN("high","critical"))' >/dev/null \
  && ok hunt_findings_severity_filter || fail hunt_findings_severity_filter
"$KUMO" --store "$S" findings --format xml >/dev/null 2>&1; [ $? -eq 2 ] && ok hunt_bad_format || fail hunt_bad_format

# explanation and incidents
"$KUMO" --store "$S" finding "$fid" > "$T/exp.txt"
grep -q "Evidence: 1 event" "$T/exp.txt" && grep -q "$eid" "$T/exp.txt" && grep -q "docs/detections/logging_tampering.md" "$T/exp.txt" \
  && ok hunt_finding_explains || fail hunt_finding_explains "$(head -c 500 "$T/exp.txt")"
"$KUMO" --store "$S" finding F-0000000000000000 >/dev/null 2>&1; [ $? -eq 1 ] && ok hunt_finding_unknown || fail hunt_finding_unknown
"$KUMO" --store "$S" incidents --json > "$T/i.json"
iid=$(jq -r --arg f "$fid" '[.[] | select(.findings | index($f))][0].id' "$T/i.json")
case "$iid" in I-*) ok hunt_incident_of_high_finding ;; *) fail hunt_incident_of_high_finding "$(head -c 300 "$T/i.json")" ;; esac
"$KUMO" --store "$S" incident "$iid" > "$T/story.txt"
grep -q "Storyline" "$T/story.txt" && grep -q "$story_ip" "$T/story.txt" && ok hunt_storyline || fail hunt_storyline "$(head -c 400 "$T/story.txt")"

# custody: the hunt is recorded; an edited finding fails verify
"$KUMO" --store "$S" custody --json | grep -q '"action":"hunt"' && ok hunt_in_custody || fail hunt_in_custody
"$KUMO" --store "$S" verify > "$T/v.txt"; rc=$?
[ $rc -eq 0 ] && grep -q "findings: as the last hunt recorded them" "$T/v.txt" && ok hunt_verify_clean || fail hunt_verify_clean "$(cat "$T/v.txt")"
cp -r "$S" "$T/s2"
sqlite3 "$T/s2/catalog.sqlite" "UPDATE findings SET json = replace(json, '\"high\"', '\"low\"') WHERE id = '$fid'" 2>/dev/null \
  || python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE findings SET json=replace(json,'\\\"high\\\"','\\\"low\\\"') WHERE id=?\",(sys.argv[2],)); c.commit()" "$T/s2/catalog.sqlite" "$fid"
"$KUMO" --store "$T/s2" verify > "$T/v2.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "findings: BROKEN" "$T/v2.txt" && ok hunt_verify_detects_edit || fail hunt_verify_detects_edit "rc=$rc $(cat "$T/v2.txt")"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM findings WHERE rowid IN (SELECT rowid FROM findings LIMIT 1)'); c.commit()" "$T/s2/catalog.sqlite"
"$KUMO" --store "$T/s2" verify >/dev/null; [ $? -eq 1 ] && ok hunt_verify_detects_delete || fail hunt_verify_detects_delete

# read-only store: reading commands work; hunt says --no-save; --no-save works
cp -r "$S" "$T/ro"; chmod -R a-w "$T/ro"
if [ "$(id -u)" = 0 ]; then ro_note="(root ignores permissions: read-only checks via a read-only bind are skipped)"; fi
"$KUMO" --store "$T/ro" findings --format json | jq -e 'length > 0' >/dev/null && ok hunt_ro_findings || fail hunt_ro_findings
"$KUMO" --store "$T/ro" incidents >/dev/null && ok hunt_ro_incidents || fail hunt_ro_incidents
"$KUMO" --store "$T/ro" hunt --no-save -q --only logging_tampering > "$T/ns.txt" 2>&1 \
  && grep -q "not recorded" "$T/ns.txt" && grep -q StopLogging "$T/ns.txt" && ok hunt_no_save || fail hunt_no_save "$(head -c 300 "$T/ns.txt")"
chmod -R u+w "$T/ro"

# configuration: a bad key names file and line; --only unknown detection
printf '[incident]\ngap = 1h\ngapp = 2h\n' > "$T/bad.conf"
"$KUMO" --store "$S" hunt --config "$T/bad.conf" -q > "$T/c.txt" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "bad.conf: .*line 3: unknown setting 'incident.gapp'" "$T/c.txt" && ok hunt_config_error || fail hunt_config_error "rc=$rc $(cat "$T/c.txt")"
"$KUMO" --store "$S" hunt --only no_such_detection -q > "$T/o.txt" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "no detection 'no_such_detection'" "$T/o.txt" && ok hunt_only_unknown || fail hunt_only_unknown "rc=$rc $(cat "$T/o.txt")"
printf '[logging_tampering]\ninclude_failed = false\n' > "$S/kumo.conf"
"$KUMO" --store "$S" config | grep -q 'logging_tampering.include_failed.*false.*\[set\]' && ok hunt_store_conf_read || fail hunt_store_conf_read
rm -f "$S/kumo.conf"
"$KUMO" --store "$T/empty" findings >/dev/null 2>&1; [ $? -ne 0 ] && ok hunt_findings_no_store || fail hunt_findings_no_store
finish
