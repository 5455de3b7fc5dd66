#!/bin/sh
# powerloss.sh — a simulated power cut: writes after the last fsync are
# dropped. tests/e2e/powerloss.c is preloaded into `kumo ingest`; it records
# what each fsync/fdatasync/syncfs made durable (file bytes, directory
# entries). The ingest is killed (KUMO_FAULT=publish:N:abort at every publish
# step, and kill -9 at random instants), the store is rebuilt as a disk would
# hold it after the power came back (nothing unsynced survives), and then:
# the store is readable, never over-counts, and a re-run ends with exactly
# the right events and a clean `kumo verify` (vault objects the catalog
# references must have reached the disk before it referenced them).
. "$(dirname "$0")/lib.sh"

SRC="$(dirname "$0")/powerloss.c"
CC=${CC:-cc}
$CC -shared -fPIC -DPL_SHIM -O1 -o "$T/pl.so" "$SRC" -ldl 2>"$T/cc.err" &&
  $CC -DPL_RESTORE -O1 -o "$T/pl-restore" "$SRC" 2>>"$T/cc.err" \
  || { fail powerloss_build "$(head -5 "$T/cc.err")"; exit 1; }
# an ASan kumo wants its runtime first among preloaded libraries
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

"$KUMO" gen --out "$T/data" --events 6000 --seed 13 --accounts 3 --days 2 >/dev/null 2>&1 \
  || { fail powerloss_setup "kumo gen failed"; exit 1; }
want=6000
ING="ingest -q --segment-rows 3000"
P=$(cd "$T" && pwd -P)

# power_cut STORE N|-MS [BASE]: ingests into STORE (copied from BASE when given)
# under the shim, killed at publish step N or after MS milliseconds; leaves
# the store as the power cut left it in $P/restored. Returns 1 when the
# ingest was not killed.
power_cut() {
  rm -rf "$P/cur" "$P/shadow" "$P/restored"
  mkdir "$P/shadow"
  [ -n "$3" ] && cp -a "$3" "$P/cur"
  case "$2" in
    -*) ms=${2#-}
        PL_ROOT="$P/cur" PL_SHADOW="$P/shadow" LD_PRELOAD="$P/pl.so" \
          "$KUMO" --store "$P/cur" $ING "$T/data" >/dev/null 2>&1 &
        pid=$!
        sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
        kill -9 $pid 2>/dev/null; killed=$?
        wait $pid 2>/dev/null
        [ $killed -eq 0 ] || return 1 ;;
    *)  KUMO_FAULT=publish:$2:abort PL_ROOT="$P/cur" PL_SHADOW="$P/shadow" LD_PRELOAD="$P/pl.so" \
          "$KUMO" --store "$P/cur" $ING "$T/data" >/dev/null 2>"$T/err"
        [ $? -eq 137 ] || return 1 ;;
  esac
  "$T/pl-restore" "$P/shadow" "$P/restored"
}

# check LABEL: the restored store, before and after a re-run
bad=0
check_restored() {
  S="$P/restored"
  if [ -f "$S/FORMAT" ]; then
    mid=$("$KUMO" --store "$S" stats --json 2>"$T/err" | jq .events)
    if [ -z "$mid" ] || [ "$mid" -gt "$want" ]; then
      bad=$((bad + 1)); echo "  $1: after the power cut stats=$mid (want <= $want) $(head -c 200 "$T/err")"
    fi
  fi
  "$KUMO" --store "$S" $ING "$T/data" >/dev/null 2>"$T/err"
  got=$("$KUMO" --store "$S" stats --json 2>/dev/null | jq .events)
  rows=$("$KUMO" --store "$S" events --format jsonl 2>/dev/null | wc -l)
  if [ "$got" != "$want" ] || [ "$rows" != "$want" ]; then
    bad=$((bad + 1)); echo "  $1: after a re-run stats=$got rows=$rows want=$want $(head -c 200 "$T/err")"
  fi
  if ! "$KUMO" --store "$S" verify >"$T/v" 2>&1; then
    bad=$((bad + 1)); echo "  $1: verify after a re-run: $(grep -v ' 0 bad' "$T/v" | head -3)"
  fi
}

# 1. a fresh store, cut at every publish step
n=1 cuts=0
while [ $n -le 200 ] && power_cut "$P/cur" $n; do
  cuts=$((cuts + 1))
  check_restored "fresh store, cut at $(sed -n 's/.*(\(.*\)).*/\1/p' "$T/err" | head -1) (publish:$n)"
  n=$((n + 1))
done
[ $cuts -ge 10 ] && [ $bad -eq 0 ] && ok "powerloss_every_publish_step ($cuts cuts)" \
  || fail powerloss_every_publish_step "$bad bad outcomes over $cuts cuts"

# 2. a store holding part of the data (one account), cut at every step of
#    the ingest that adds the rest
acct=$(ls "$T/data/AWSLogs" | head -1)
mkdir -p "$T/part/AWSLogs" && cp -a "$T/data/AWSLogs/$acct" "$T/part/AWSLogs/"
"$KUMO" --store "$P/base" $ING "$T/part" >/dev/null 2>&1
base=$("$KUMO" --store "$P/base" stats --json | jq .events)
bad2=$bad n=1 cuts=0
while [ $n -le 200 ] && power_cut "$P/cur" $n "$P/base"; do
  cuts=$((cuts + 1))
  check_restored "store with $base events, cut at publish:$n"
  n=$((n + 1))
done
[ "$base" -gt 0 ] && [ $cuts -ge 5 ] && [ $bad -eq $bad2 ] && ok "powerloss_existing_store ($cuts cuts)" \
  || fail powerloss_existing_store "$((bad - bad2)) bad outcomes over $cuts cuts (base $base events)"

# 3. power cuts at random instants of a run
mkdir "$P/tshadow"; t0=$(date +%s%N)
PL_ROOT="$P/timing" PL_SHADOW="$P/tshadow" LD_PRELOAD="$P/pl.so" "$KUMO" --store "$P/timing" $ING "$T/data" >/dev/null 2>&1
dur=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $dur -ge 50 ] || dur=50
bad3=$bad cuts=0 tries=0
while [ $cuts -lt 8 ] && [ $tries -lt 30 ]; do
  tries=$((tries + 1))
  r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  power_cut "$P/cur" -$((r % dur)) || continue
  cuts=$((cuts + 1))
  check_restored "cut after $((r % dur)) of $dur ms"
done
[ $cuts -ge 4 ] && [ $bad -eq $bad3 ] && ok "powerloss_random_instants ($cuts cuts)" \
  || fail powerloss_random_instants "$((bad - bad3)) bad outcomes over $cuts cuts"
finish
