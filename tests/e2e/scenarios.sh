#!/bin/sh
# scenarios.sh — kumo finds what kumo gen plants, and nothing else: every
# scenario of `--scenarios all` (three clouds, two seeds) is found by each
# detection its ground truth expects, with a shared entity and an overlapping
# window, and no other finding is of medium severity or above; the same
# background without plants (`--scenarios none`) yields no finding of medium
# or above at all. The comparison is tests/e2e/check_truth.py.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
for seed in 42 7; do
  D="$T/all$seed"
  "$KUMO" -q gen --out "$D/logs" --events 150000 --seed $seed --providers aws,azure,gcp --scenarios all >/dev/null 2>&1
  "$KUMO" --store "$D/s" ingest -q "$D/logs" >/dev/null 2>&1
  "$KUMO" --store "$D/s" hunt -q >/dev/null 2>"$D/hunt.err"
  "$KUMO" --store "$D/s" findings --format json > "$D/f.json"
  if python3 "$HERE/check_truth.py" "$D/logs/kumo-ground-truth.json" "$D/f.json" > "$D/check.txt" 2>&1; then
    ok "scenarios_all_found_seed$seed ($(grep -c '^ok' "$D/check.txt") scenario detections)"
  else
    fail "scenarios_all_found_seed$seed" "$(grep -v '^ok' "$D/check.txt" | head -20)"
  fi
done
D="$T/none"
"$KUMO" -q gen --out "$D/logs" --events 150000 --seed 42 --providers aws,azure,gcp --scenarios none >/dev/null 2>&1
"$KUMO" --store "$D/s" ingest -q "$D/logs" >/dev/null 2>&1
"$KUMO" --store "$D/s" hunt -q >/dev/null 2>&1
"$KUMO" --store "$D/s" findings --severity medium --format json > "$D/f.json"
n=$(jq length "$D/f.json")
[ "$n" = 0 ] && ok "scenarios_background_quiet" \
  || fail scenarios_background_quiet "$n findings of medium or above: $(jq -r '.[] | .detection + " " + .summary' "$D/f.json" | head -8)"
"$KUMO" --store "$D/s" incidents --json | jq -e 'length == 0' >/dev/null && ok scenarios_background_no_incident \
  || fail scenarios_background_no_incident
# the cross-cloud incident: one address, three clouds, one incident
D="$T/all42"
ip=$(jq -r '.scenarios[] | select(.scenario == "incident") | .entities.ips[0]' "$D/logs/kumo-ground-truth.json")
"$KUMO" --store "$D/s" incidents --json > "$D/i.json"
jq -e --arg ip "$ip" '[.[] | select(.entities.ips | index($ip))] | length == 1 and (.[0].providers | length) == 3
  and (.[0].severity | IN("high","critical"))' "$D/i.json" >/dev/null \
  && ok "scenarios_cross_cloud_incident ($ip)" \
  || fail scenarios_cross_cloud_incident "$(jq -c --arg ip "$ip" '[.[] | select(.entities.ips | index($ip)) | {id, providers, findings: (.findings|length)}]' "$D/i.json")"
finish
