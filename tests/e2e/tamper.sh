#!/bin/sh
# tamper.sh — every tampering of issue 9 (and more) on a copy of a freshly
# ingested store must make `kumo verify` exit 1 and name what is wrong; the
# untouched store (and legitimate later writes: re-ingest, more data, hunt)
# must verify with exit 0. Each tampering gets its own fresh copy. The
# catalog is edited through python3's sqlite3 module (no sqlite3 CLI needed).
. "$(dirname "$0")/lib.sh"

# sql DB STATEMENTS: runs SQL on a catalog as a tamperer would
sql() {
  python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(sys.argv[2])
db.commit()
db.close()
EOF
}
q1() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$1" "$2"; }

# a store with events, rejects, several segments and findings
mkdir -p "$T/bad"
printf '{"Records":[{"eventVersion":"1.08","eventTime":"2024-07-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","eventID":"stop-1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a","accountId":"111122223333"}}, 42, "x"]}\n' > "$T/bad/ct.json"
"$KUMO" gen --events 3000 --seed 1 --out "$T/genA" > /dev/null 2>&1 || fail tamper_gen
"$KUMO" gen --events 3000 --seed 2 --out "$T/genB" > /dev/null 2>&1 || fail tamper_gen_b
S=$T/S
# exit 1: the two rejected records of bad/ct.json
"$KUMO" --store "$S" ingest --segment-rows 1000 "$T/genA" "$T/bad" > /dev/null 2>&1
[ $? -le 1 ] || fail tamper_ingest
"$KUMO" --store "$S" hunt > /dev/null 2>&1 || fail tamper_hunt
"$KUMO" --store "$T/B" ingest --segment-rows 1000 "$T/genB" > /dev/null 2>&1 || fail tamper_ingest_b
[ "$(q1 "$S/catalog.sqlite" 'SELECT COUNT(*) FROM rejects')" -ge 1 ] || fail tamper_has_rejects
[ "$(q1 "$S/catalog.sqlite" 'SELECT COUNT(*) FROM findings')" -ge 1 ] || fail tamper_has_findings

# the untouched store verifies
out=$("$KUMO" --store "$S" verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'catalog: as [0-9]* commit record' \
  && ok tamper_untouched_verifies || fail tamper_untouched_verifies "rc=$rc: $out"
"$KUMO" --store "$S" verify --json > "$T/v.json"
python3 - "$T/v.json" "$S/HEAD" <<'EOF' && ok tamper_json_head || fail tamper_json_head "$(cat "$T/v.json")"
import json, sys
v = json.load(open(sys.argv[1]))
seq, h = open(sys.argv[2]).read().split()
assert v["ok"] is True and v["problems"] == [] and v["catalog_ok"] is True, v
assert v["head"]["seq"] == int(seq) and v["head"]["hash"] == h, (v["head"], seq, h)
assert v["anchors"] >= 3, v
EOF

n=0
# tamper NAME PATTERN SETUP: a fresh copy C, SETUP run on it (C and DB set),
# then verify must exit 1 and print PATTERN (extended regex)
tamper() {
  name=$1 pat=$2 setup=$3
  n=$((n + 1))
  C=$T/c$n
  rm -rf "$C"
  cp -a "$S" "$C"
  DB=$C/catalog.sqlite
  eval "$setup" || { fail "tamper_$name" "setup failed"; return; }
  out=$("$KUMO" --store "$C" verify 2>&1); rc=$?
  if [ $rc -eq 1 ] && echo "$out" | grep -Eq "$pat"; then
    ok "tamper_$name"
  else
    fail "tamper_$name" "rc=$rc, want 1 and /$pat/: $out"
  fi
  jrc=0
  "$KUMO" --store "$C" verify --json > "$T/j.json" 2>&1 || jrc=$?
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if v["ok"] is False and v["problems"] else 1)' "$T/j.json" \
    && [ $jrc -eq 1 ] || fail "tamper_${name}_json" "rc=$jrc: $(head -c 600 "$T/j.json")"
  rm -rf "$C"
}

segA=$(q1 "$S/catalog.sqlite" 'SELECT file FROM segments WHERE rows = 1000 ORDER BY id LIMIT 1')
segB=$(q1 "$T/B/catalog.sqlite" 'SELECT file FROM segments WHERE rows = 1000 ORDER BY id LIMIT 1')
[ -n "$segA" ] && [ -n "$segB" ] || fail tamper_segments_found

tamper segment_replaced 'BAD segment .*checksum' \
  'cp "$T/B/segments/$segB" "$C/segments/$segA"'
tamper segment_byte_flipped 'BAD segment .*checksum mismatch' \
  'chmod u+w "$C/segments/$segA"; printf "XX" | dd of="$C/segments/$segA" bs=1 seek=200 conv=notrunc 2>/dev/null'
tamper segment_file_deleted 'BAD segment' \
  'rm "$C/segments/$segA"'
tamper segments_sha256 'checksum .*catalog|segments anchored by custody record' \
  'sql "$DB" "UPDATE segments SET sha256 = '"'"'00'"'"' || substr(sha256, 3) WHERE id = 1"'
tamper segments_all_deleted 'catalog holds 0 segments' \
  'sql "$DB" "DELETE FROM segments; DELETE FROM segment_groups;"'
tamper segments_one_deleted 'segments anchored by custody record #[0-9]+ changed.*deleted' \
  'sql "$DB" "DELETE FROM segment_groups WHERE segment_id = 2; DELETE FROM segments WHERE id = 2"'
tamper segments_tmax 'time bounds|segments anchored by custody record' \
  'sql "$DB" "UPDATE segments SET tmax = tmin WHERE id = 1"'
tamper segment_groups_rows 'segments anchored by custody record #[0-9]+ changed' \
  'sql "$DB" "UPDATE segment_groups SET rows = rows + 7 WHERE rowid = 1"'
tamper segment_groups_added 'segments anchored by custody record' \
  'sql "$DB" "INSERT INTO segment_groups SELECT segment_id, provider, source, '"'"'999999999999'"'"', 5, tmin, tmax FROM segment_groups WHERE rowid = 1"'
tamper custody_last_deleted 'truncated: HEAD names record' \
  'sql "$DB" "DELETE FROM custody WHERE seq = (SELECT MAX(seq) FROM custody)"'
tamper custody_last_two_deleted 'truncated: HEAD names record' \
  'sql "$DB" "DELETE FROM custody WHERE seq >= (SELECT MAX(seq) - 1 FROM custody)"'
tamper custody_field_edited 'custody: BROKEN.*record' \
  'sql "$DB" "UPDATE custody SET events_new = events_new + 1 WHERE seq = 3"'
tamper custody_commit_note 'custody: BROKEN' \
  'sql "$DB" "UPDATE custody SET note = replace(note, '"'"'segments 1,'"'"', '"'"'segments 0,'"'"') WHERE action = '"'"'commit'"'"'"'
tamper head_deleted 'HEAD is missing' \
  'rm "$C/HEAD"'
tamper head_forged 'HEAD names record #[0-9]+ with hash' \
  'echo "3 $(printf "%064d" 0)" > "$C/HEAD"'
tamper objects_row_deleted 'objects anchored by custody record #[0-9]+ changed.*deleted' \
  'sql "$DB" "DELETE FROM objects WHERE id = (SELECT MIN(id) FROM objects)"'
tamper objects_member_edited 'objects anchored by custody record' \
  'sql "$DB" "UPDATE objects SET member = '"'"'forged'"'"' WHERE id = (SELECT MIN(id) FROM objects)"'
tamper evidence_base_renamed 'evidence anchored by custody record #[0-9]+ changed' \
  'sql "$DB" "UPDATE evidence SET base = '"'"'forged-origin.json.gz'"'"' WHERE id = 5"'
tamper evidence_row_deleted 'evidence anchored by custody record #[0-9]+ changed.*deleted' \
  'sql "$DB" "DELETE FROM evidence WHERE id = 5"'
tamper evidence_complete_flipped 'evidence anchored by custody record|catalog holds [0-9]+ evidence' \
  'sql "$DB" "UPDATE evidence SET complete = 0 WHERE id = 5"'
tamper evidence_unanchored 'anchored by no custody record|evidence anchored by custody record' \
  'sql "$DB" "UPDATE evidence SET anchor = NULL, base = '"'"'x.json'"'"' WHERE id = 5"'
tamper evidence_reanchored 'not a commit record|evidence anchored by custody record' \
  'sql "$DB" "UPDATE evidence SET anchor = 2 WHERE id = 5"'
tamper names_dir_edited 'BROKEN' \
  'sql "$DB" "UPDATE names SET text = '"'"'/forged/dir/'"'"' WHERE id = (SELECT dir FROM evidence WHERE id = 5)"'
tamper rejects_row_deleted 'rejects anchored by custody record #[0-9]+ changed' \
  'sql "$DB" "DELETE FROM rejects WHERE id = (SELECT MIN(id) FROM rejects)"'
tamper rejects_row_edited 'rejects anchored by custody record #[0-9]+ changed' \
  'sql "$DB" "UPDATE rejects SET reason = '"'"'nothing to see'"'"' WHERE id = (SELECT MIN(id) FROM rejects)"'
tamper rejects_row_added 'rejects' \
  'sql "$DB" "INSERT INTO rejects(evidence_id, member, offset, line, code, reason, anchor) SELECT evidence_id, member, offset + 1, line, code, reason, anchor FROM rejects WHERE id = (SELECT MIN(id) FROM rejects)"'
pack=$(ls "$S/vault/packs" | head -n 1)
tamper vault_object_replaced 'BAD evidence' \
  'chmod u+w "$C/vault/packs/$pack"; printf "X" | dd of="$C/vault/packs/$pack" bs=1 seek=100 conv=notrunc 2>/dev/null'
tamper findings_row_edited 'findings: BROKEN' \
  'sql "$DB" "UPDATE findings SET json = json || '"'"' '"'"' WHERE id = (SELECT MIN(id) FROM findings)"'
tamper findings_row_deleted 'findings: BROKEN' \
  'sql "$DB" "DELETE FROM findings WHERE id = (SELECT MIN(id) FROM findings)"'

# a crash between COMMIT and the HEAD update leaves records past HEAD:
# accepted, with a note (HEAD set back to the record before the last one)
C=$T/crash; cp -a "$S" "$C"
python3 - "$C" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/catalog.sqlite")
seq, h = db.execute("SELECT seq, hex(hash) FROM custody ORDER BY seq DESC LIMIT 1 OFFSET 1").fetchone()
open(sys.argv[1] + "/HEAD", "w").write("%d %s\n" % (seq, h.lower()))
EOF
out=$("$KUMO" --store "$C" verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'after HEAD' && ok tamper_records_past_head_accepted \
  || fail tamper_records_past_head_accepted "rc=$rc: $out"

# a new store has HEAD "0 000…" before its first commit, so a crash between
# that first commit and the HEAD update (HEAD still "0 000…") is records
# past HEAD, not a missing HEAD (crash.sh met this under kill -9)
C=$T/first; mkdir -p "$T/emptydir"
"$KUMO" --store "$C" ingest "$T/emptydir" > /dev/null 2>&1
zero=$(printf '0 %064d' 0)
[ "$(cat "$C/HEAD" 2>/dev/null)" = "$zero" ] && ok tamper_new_store_has_head \
  || fail tamper_new_store_has_head "HEAD: $(cat "$C/HEAD" 2>&1)"
"$KUMO" --store "$C" ingest "$T/genA" > /dev/null 2>&1
echo "$zero" > "$C/HEAD"
out=$("$KUMO" --store "$C" verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'after HEAD (#0)' && ok tamper_crash_before_first_head_accepted \
  || fail tamper_crash_before_first_head_accepted "rc=$rc: $out"

# legitimate later writes keep it verifying: re-ingest (already held), new
# data in more transactions, a second hunt
C=$T/later; cp -a "$S" "$C"
"$KUMO" --store "$C" ingest "$T/genA" > /dev/null 2>&1 \
  && "$KUMO" --store "$C" ingest --segment-rows 700 "$T/genB" > /dev/null 2>&1 \
  && "$KUMO" --store "$C" hunt > /dev/null 2>&1 || fail tamper_later_writes_run
out=$("$KUMO" --store "$C" verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'chain intact' && [ "$(cut -d' ' -f1 "$C/HEAD")" = \
  "$(q1 "$C/catalog.sqlite" 'SELECT MAX(seq) FROM custody')" ] \
  && ok tamper_later_writes_verify || fail tamper_later_writes_verify "rc=$rc: $out"

# a store made before anchoring (no anchor columns, no HEAD, no commit
# records): verifies, saying what is not anchored; opened writable once, it
# is migrated and the next ingest anchors every row
C=$T/old; rm -rf "$C"
"$KUMO" --store "$C" ingest "$T/bad" > /dev/null 2>&1
[ $? -le 1 ] || fail tamper_old_ingest
python3 - "$C/catalog.sqlite" <<'EOF' || fail tamper_old_make "cannot strip anchors"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for t in ("segments", "evidence", "objects", "rejects"):
    db.execute("DROP INDEX IF EXISTS %s_anchor" % t)
    db.execute("ALTER TABLE %s DROP COLUMN anchor" % t)
# one file: its commit record is the chain's last; without it the chain is
# the one an old kumo wrote
seqs = db.execute("SELECT seq FROM custody WHERE action = 'commit'").fetchall()
last = db.execute("SELECT MAX(seq) FROM custody").fetchone()[0]
assert seqs == [(last,)], (seqs, last)
db.execute("DELETE FROM custody WHERE seq = ?", (last,))
db.commit()
EOF
rm -f "$C/HEAD"
# a reading command on a writable old store does not change it
"$KUMO" --store "$C" verify > /dev/null 2>&1
python3 -c 'import sqlite3,sys; c=[r[1] for r in sqlite3.connect(sys.argv[1]).execute("PRAGMA table_info(segments)")]; sys.exit("anchor" in c)' "$C/catalog.sqlite" \
  && [ ! -e "$C/HEAD" ] && ok tamper_reader_leaves_old_store_alone || fail tamper_reader_leaves_old_store_alone
chmod -R a-w "$C"
if [ "$(id -u)" -eq 0 ]; then RUN="setpriv --reuid=nobody --regid=nogroup --clear-groups"; chmod 755 "$T"; else RUN=; fi
out=$($RUN "$KUMO" --store "$C" verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'not anchored' && echo "$out" | grep -q 'no HEAD file' \
  && ok tamper_old_store_verifies_readonly || fail tamper_old_store_verifies_readonly "rc=$rc: $out"
chmod -R u+w "$C"
"$KUMO" --store "$C" ingest "$T/genA" > /dev/null 2>&1 || fail tamper_old_reingest
out=$("$KUMO" --store "$C" verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'catalog: as' && ! echo "$out" | grep -q 'not anchored' \
  && ok tamper_old_store_anchored_after_ingest || fail tamper_old_store_anchored_after_ingest "rc=$rc: $out"

finish
