#!/bin/sh
# crash.sh — kill -9 `kumo ingest` at random points (25 times) and show that
# the store stays readable, `kumo stats` never double-counts (its total always
# equals the distinct events a full scan returns and never exceeds the truth),
# verify stays clean, and a final re-run ends with exactly the right events.
. "$(dirname "$0")/lib.sh"

"$KUMO" gen --out "$T/data" --events 60000 --seed 7 --accounts 3 --days 2 >/dev/null 2>&1 \
  || { fail crash_setup "kumo gen failed"; exit 1; }
# reference: one clean ingest
"$KUMO" --store "$T/ref" ingest -q "$T/data" >/dev/null 2>&1
want=$("$KUMO" --store "$T/ref" stats --json | jq .events)
[ "$want" = 60000 ] && ok crash_reference_ingest || fail crash_reference_ingest "got $want events, want 60000"

S="$T/crash"
kills=0 bad=0
i=0
while [ $i -lt 25 ]; do
  i=$((i + 1))
  # small segments so kills land between publishes as well as inside them
  "$KUMO" --store "$S" ingest -q --segment-rows 3000 "$T/data" >/dev/null 2>&1 &
  pid=$!
  # a random delay of 0-800 ms
  ms=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
  ms=$((ms % 800))
  sleep "$(printf '0.%03d' "$ms")"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null
  [ -f "$S/FORMAT" ] || continue
  total=$("$KUMO" --store "$S" stats --json 2>/dev/null | jq .events)
  scanned=$("$KUMO" --store "$S" events --format jsonl 2>/dev/null | jq -r .event_id | sort -u | wc -l)
  rows=$("$KUMO" --store "$S" events --format jsonl 2>/dev/null | wc -l)
  if [ -z "$total" ] || [ "$total" -gt "$want" ] || [ "$total" != "$scanned" ] || [ "$rows" != "$scanned" ]; then
    bad=$((bad + 1))
    echo "  after kill $i: stats=$total distinct=$scanned rows=$rows (want <= $want)"
  fi
  if ! "$KUMO" --store "$S" verify >/dev/null 2>&1; then
    bad=$((bad + 1)); echo "  after kill $i: verify failed"; "$KUMO" --store "$S" verify | head -5
  fi
done
[ $bad -eq 0 ] && ok "crash_store_consistent_after_${i}_kills ($kills landed mid-run)" \
  || fail crash_store_consistent "$bad inconsistent states"
"$KUMO" --store "$S" ingest -q "$T/data" >/dev/null 2>&1
got=$("$KUMO" --store "$S" stats --json | jq .events)
distinct=$("$KUMO" --store "$S" events --format jsonl | jq -r .event_id | sort -u | wc -l)
[ "$got" = "$want" ] && [ "$distinct" = "$want" ] && ok crash_rerun_exact \
  || fail crash_rerun_exact "after re-run: stats=$got distinct=$distinct want=$want"
"$KUMO" --store "$S" verify >/dev/null 2>&1 && ok crash_verify_clean || fail crash_verify_clean
finish
