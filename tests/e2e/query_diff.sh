#!/bin/sh
# query_diff.sh — differential test of `kumo query`: a generated store (AWS,
# Azure, GCP; several small segments so that pruning, per-segment bitmaps and
# merging are exercised), its events dumped by `kumo events --format jsonl`
# (an independent code path), and a few hundred random pipelines evaluated
# both by kumo and by the Python reference tests/e2e/query_ref.py, which must
# give the same answers. The seed is printed; rerun one with
#   QUERY_DIFF_SEED=N sh tests/e2e/query_diff.sh
# (QUERY_DIFF_SEED=random picks one from the clock; QUERY_DIFF_COUNT sets the
# number of queries; QUERY_DIFF_KEEP=FILE writes every query and its outcome).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { fail query_diff "python3 is missing (scripts/setup-deps.sh)"; exit 1; }
# src.geo.country/city are the stored values only when no geo database answers
# (the reference knows no GeoIP): switch the built-in one off
export KUMO_GEO_BUILTIN=none
unset KUMO_GEOIP
seed=${QUERY_DIFF_SEED:-20261001}
[ "$seed" = random ] && seed=$(( $(date +%s) % 1000000 ))
count=${QUERY_DIFF_COUNT:-300}
S="$T/store"
"$KUMO" gen --out "$T/gen" --events 4000 --seed "$seed" --providers aws,azure,gcp >"$T/gen.log" 2>&1 \
  || { fail query_diff_gen "$(tail -3 "$T/gen.log")"; exit 1; }
"$KUMO" --store "$S" ingest -q --segment-rows 700 "$T/gen" >"$T/ingest.log" 2>&1 \
  || { fail query_diff_ingest "$(tail -3 "$T/ingest.log")"; exit 1; }
"$KUMO" --store "$S" events --format jsonl --limit 1000000 >"$T/events.jsonl" 2>"$T/events.err" \
  || { fail query_diff_events "$(tail -3 "$T/events.err")"; exit 1; }
n=$(wc -l <"$T/events.jsonl")
[ "$n" -ge 3000 ] && ok "query_diff_store ($n events, seed $seed)" || fail query_diff_store "only $n events"
keep=${QUERY_DIFF_KEEP:+--keep "$QUERY_DIFF_KEEP"}
# shellcheck disable=SC2086
python3 "$(dirname "$0")/query_ref.py" --events "$T/events.jsonl" --kumo "$KUMO" --store "$S" \
  --seed "$seed" --count "$count" $keep >"$T/diff.out" 2>&1; rc=$?
cat "$T/diff.out"
if [ $rc -ne 0 ] && ! grep -q '^FAIL - ' "$T/diff.out"; then
  fail query_diff "query_ref.py exited $rc (seed $seed)"
fi
grep -q '^FAIL - ' "$T/diff.out" && fails=$((fails + 1))
finish
