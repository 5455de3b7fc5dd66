#!/bin/sh
# fault.sh — fault injection (KUMO_FAULT, docs/architecture.md "Fault
# injection"). For every step N of publishing (segment written, renamed, dir
# synced, packs flushed, syncfs, BEGIN, segment row, evidence completed,
# COMMIT) and both modes (fail: the step returns an error; abort: the process
# dies as with kill -9): the faulted ingest must say so (error, non-zero exit)
# or die, the store must stay readable and never over-count, and a re-run
# must end with exactly the right events and a clean `kumo verify`.
# Then SQLite errors: the N-th catalog statement fails (catalog-step); every
# command must report it and exit non-zero, and an ingest must delete no
# segment file on the strength of a failed manifest read.
. "$(dirname "$0")/lib.sh"

"$KUMO" gen --out "$T/data" --events 6000 --seed 11 --accounts 3 --days 2 >/dev/null 2>&1 \
  || { fail fault_setup "kumo gen failed"; exit 1; }
want=6000
ING="ingest -q --segment-rows 3000"

# san FILE: a sanitizer report in a faulted run's output is shown (and so
# fails this test in tests/run.sh): error paths must not leak either
san() { grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1" | head -3; }

# exact STORE: events by the manifest, events by a scan and verify all agree
exact() {
  got=$("$KUMO" --store "$1" stats --json 2>/dev/null | jq .events)
  rows=$("$KUMO" --store "$1" events --format jsonl 2>/dev/null | wc -l)
  [ "$got" = "$want" ] && [ "$rows" = "$want" ] && "$KUMO" --store "$1" verify >/dev/null 2>&1
}

# ---- publish steps -------------------------------------------------------
for mode in fail abort; do
  n=1 bad=0 fired=0
  while [ $n -le 200 ]; do
    S="$T/p-$mode-$n"
    KUMO_FAULT=publish:$n:$mode "$KUMO" --store "$S" $ING "$T/data" >/dev/null 2>"$T/err"
    rc=$?
    san "$T/err"
    grep -q "KUMO_FAULT: " "$T/err" || break   # past the last step: the fault never fired
    fired=$((fired + 1))
    step=$(sed -n 's/.*KUMO_FAULT: [a-z]* at \(publish:[0-9]*\) (\([a-z-]*\)).*/\1 \2/p' "$T/err" | head -1)
    if [ "$mode" = fail ]; then
      if [ $rc -eq 0 ] || ! grep -q "injected failure at publish step" "$T/err"; then
        bad=$((bad + 1)); echo "  $mode $step: exit $rc, error not reported: $(head -c 300 "$T/err")"
      fi
    elif [ $rc -ne 137 ]; then
      bad=$((bad + 1)); echo "  $mode $step: exit $rc, want 137 (killed)"
    fi
    if [ -f "$S/FORMAT" ]; then
      mid=$("$KUMO" --store "$S" stats --json 2>/dev/null | jq .events)
      if [ -z "$mid" ] || [ "$mid" -gt "$want" ]; then
        bad=$((bad + 1)); echo "  $mode $step: after the fault stats=$mid (want <= $want)"
      fi
    fi
    "$KUMO" --store "$S" $ING "$T/data" >/dev/null 2>&1
    if ! exact "$S"; then
      bad=$((bad + 1))
      echo "  $mode $step: after a re-run stats=$got rows=$rows want=$want; verify: $("$KUMO" --store "$S" verify 2>&1 | grep -v ' 0 bad' | head -3)"
    fi
    rm -rf "$S"
    n=$((n + 1))
  done
  [ $fired -ge 10 ] && [ $bad -eq 0 ] && ok "fault_publish_${mode}_every_step ($fired steps)" \
    || fail "fault_publish_${mode}_every_step" "$bad bad outcomes over $fired steps"
done

# ---- SQLite errors reach the user; nothing deleted on a failed read --------
S="$T/sq"
"$KUMO" --store "$S" ingest -q --segment-rows 1000 "$T/data" >/dev/null 2>&1
ls "$S/segments" > "$T/segs0"
[ "$(wc -l < "$T/segs0")" -ge 6 ] && exact "$S" && ok fault_sql_setup \
  || fail fault_sql_setup "want >= 6 segments and $want events"
# the manifest read fails at its first, middle and last row step: the writer
# must stop with the error and keep every published segment file
for n in 1 3 6 7; do
  KUMO_FAULT=catalog-step:$n:fail "$KUMO" --store "$S" ingest -q "$T/data" >/dev/null 2>"$T/err"
  rc=$?
  san "$T/err"
  ls "$S/segments" > "$T/segs1"
  if ! grep -q "KUMO_FAULT: failing" "$T/err"; then
    fail "fault_sql_manifest_read_$n" "the fault did not fire"
  elif [ $rc -ne 0 ] && grep -q "injected SQLite error" "$T/err" && cmp -s "$T/segs0" "$T/segs1"; then
    ok "fault_sql_manifest_read_$n"
  else
    fail "fault_sql_manifest_read_$n" "exit $rc; segments before/after: $(wc -l < "$T/segs0")/$(wc -l < "$T/segs1"); $(head -c 300 "$T/err")"
  fi
done
exact "$S" && ok fault_sql_store_intact || fail fault_sql_store_intact "stats=$got rows=$rows"

# every reading command, failed at its N-th catalog statement (N = 1, 2, 4,
# 8, ... until the fault no longer fires): a non-zero exit and the error on
# stderr, never a quiet partial answer
run_cmd() { # NAME: runs that command on $S, output in $T/err
  case "$1" in
    stats) "$KUMO" --store "$S" stats ;;
    verify) "$KUMO" --store "$S" verify ;;
    custody) "$KUMO" --store "$S" custody ;;
    events) "$KUMO" --store "$S" events --format jsonl ;;
    query) "$KUMO" --store "$S" query 'stats count() by account' ;;
    ingest) "$KUMO" --store "$S" ingest -q "$T/data" ;;
  esac >"$T/err" 2>&1
}
for cmd in stats verify custody events query ingest; do
  n=1 bad=0 fired=0
  while [ $n -le 100000 ]; do
    export KUMO_FAULT=catalog-step:$n:fail; run_cmd $cmd; rc=$?; unset KUMO_FAULT
    san "$T/err"
    grep -q "KUMO_FAULT: failing" "$T/err" || break
    fired=$((fired + 1))
    if [ $rc -eq 0 ] || ! grep -q "injected SQLite error" "$T/err"; then
      bad=$((bad + 1)); echo "  $cmd at catalog-step:$n: exit $rc: $(grep -v KUMO_FAULT "$T/err" | head -c 300)"
    fi
    n=$((n * 2))
  done
  [ $fired -ge 1 ] && [ $bad -eq 0 ] && ok "fault_sql_reported_${cmd} ($fired points)" \
    || fail "fault_sql_reported_${cmd}" "$bad of $fired faults not reported"
done
ls "$S/segments" > "$T/segs1"
cmp -s "$T/segs0" "$T/segs1" && exact "$S" && ok fault_sql_nothing_lost \
  || fail fault_sql_nothing_lost "segments $(wc -l < "$T/segs1") (was $(wc -l < "$T/segs0")); stats=$got rows=$rows"
finish
