#!/bin/sh
# crash.sh — kill -9 `kumo ingest` at random points (25 times) and show that
# the store stays readable, `kumo stats` never double-counts (its total always
# equals the distinct events a full scan returns and never exceeds the truth),
# verify stays clean, and a re-run ends with exactly the right events.
# Kill times are drawn within the first 70% of the measured duration of a clean
# ingest, so they land mid-run; every three kills (or when a crashed store has
# caught up) the next kills start on a fresh store (a new round), so each round
# is killed, recovered and killed again. Every round ends with a re-run that
# must give exactly the right events and a clean verify: a crash that lost
# events for good (e.g. evidence marked complete before its segment was
# published) fails the round it happened in.
. "$(dirname "$0")/lib.sh"

"$KUMO" gen --out "$T/data" --events 60000 --seed 7 --accounts 3 --days 2 >/dev/null 2>&1 \
  || { fail crash_setup "kumo gen failed"; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(now_ms)
"$KUMO" --store "$T/ref" ingest -q --segment-rows 3000 "$T/data" >/dev/null 2>&1
dur=$(( $(now_ms) - t0 ))
[ "$dur" -ge 50 ] || dur=50
want=$("$KUMO" --store "$T/ref" stats --json | jq .events)
[ "$want" = 60000 ] && ok "crash_reference_ingest (${dur} ms)" || fail crash_reference_ingest "got $want events, want 60000"

# end_round STORE: a re-run must end exact (stats and distinct ids) and verified
bad_rounds=0 ended=0
end_round() {
  ended=$((ended + 1))
  "$KUMO" --store "$1" ingest -q "$T/data" >/dev/null 2>&1
  got=$("$KUMO" --store "$1" stats --json | jq .events)
  distinct=$("$KUMO" --store "$1" events --format jsonl | jq -r .event_id | sort -u | wc -l)
  if [ "$got" != "$want" ] || [ "$distinct" != "$want" ]; then
    bad_rounds=$((bad_rounds + 1)); echo "  round $round: after a re-run stats=$got distinct=$distinct want=$want"
  elif ! "$KUMO" --store "$1" verify >/dev/null 2>&1; then
    bad_rounds=$((bad_rounds + 1)); echo "  round $round: verify failed after a re-run"
  fi
}

round=1
S="$T/crash$round"
kills=0 bad=0 i=0 tries=0
while [ $kills -lt 25 ] && [ $tries -lt 80 ]; do
  tries=$((tries + 1))
  "$KUMO" --store "$S" ingest -q --segment-rows 3000 "$T/data" >/dev/null 2>&1 &
  pid=$!
  r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  ms=$((r % (dur * 7 / 10)))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); i=$kills; else i=$kills; fi
  wait "$pid" 2>/dev/null
  [ -f "$S/FORMAT" ] || continue
  total=$("$KUMO" --store "$S" stats --json 2>/dev/null | jq .events)
  scanned=$("$KUMO" --store "$S" events --format jsonl 2>/dev/null | jq -r .event_id | sort -u | wc -l)
  rows=$("$KUMO" --store "$S" events --format jsonl 2>/dev/null | wc -l)
  if [ -z "$total" ] || [ "$total" -gt "$want" ] || [ "$total" != "$scanned" ] || [ "$rows" != "$scanned" ]; then
    bad=$((bad + 1))
    echo "  round $round, kill $i: stats=$total distinct=$scanned rows=$rows (want <= $want)"
  fi
  if ! "$KUMO" --store "$S" verify >/dev/null 2>&1; then
    bad=$((bad + 1)); echo "  round $round, kill $i: verify failed"; "$KUMO" --store "$S" verify | head -5
  fi
  if [ "$total" = "$want" ] || { [ $((kills % 3)) -eq 0 ] && [ $kills -gt 0 ]; }; then  # a fresh store
    end_round "$S"
    round=$((round + 1)); S="$T/crash$round"
  fi
done
[ $bad -eq 0 ] && ok "crash_store_consistent_after_${kills}_kills ($tries runs, $round rounds)" \
  || fail crash_store_consistent "$bad inconsistent states"
[ $kills -ge 20 ] && ok crash_kills_landed || fail crash_kills_landed "only $kills of $tries runs were killed mid-run"
[ $bad_rounds -eq 0 ] && ok "crash_every_round_exact_after_rerun ($ended rounds and the last)" \
  || fail crash_every_round_exact_after_rerun "$bad_rounds of $ended rounds lost or double-counted events"
"$KUMO" --store "$S" ingest -q "$T/data" >/dev/null 2>&1
got=$("$KUMO" --store "$S" stats --json | jq .events)
distinct=$("$KUMO" --store "$S" events --format jsonl | jq -r .event_id | sort -u | wc -l)
[ "$got" = "$want" ] && [ "$distinct" = "$want" ] && ok crash_rerun_exact \
  || fail crash_rerun_exact "after re-run: stats=$got distinct=$distinct want=$want"
"$KUMO" --store "$S" verify >/dev/null 2>&1 && ok crash_verify_clean || fail crash_verify_clean
# many small segments: events still come out in time order
"$KUMO" --store "$S" events --format jsonl | jq -r .time > "$T/times"
sort -c "$T/times" 2>/dev/null && [ "$(wc -l < "$T/times")" = "$want" ] && ok events_time_ordered_across_segments \
  || fail events_time_ordered_across_segments "$(sort -c "$T/times" 2>&1 | head -1)"
finish
