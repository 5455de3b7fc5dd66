#!/bin/sh
# bench/travel_ipgeo.sh STORE OUTDIR — the two tables of impossible_travel's
# equivalent SQL (docs/detections/impossible_travel.md), from a kumo store:
#   OUTDIR/events.csv  time, person, src_ip, provider, source (every event)
#   OUTDIR/ipgeo.csv   ip, lat, lon, radius_km, country (each distinct address,
#                      answered by `kumo geo lookup`: the same databases)
set -e
cd "$(dirname "$0")/.."
S=$1; O=$2
K=${KUMO:-./kumo}
mkdir -p "$O"
$K --store "$S" query --format csv --max-rows 1000000000 \
  'fields time, person, src.ip, provider, source' | sed '1s/.*/time,person,src_ip,provider,source/' >"$O/events.csv"
tail -n +2 "$O/events.csv" | cut -d, -f3 | grep -v '^$' | sort -u >"$O/ips.txt"
echo "ip,lat,lon,radius_km,country" >"$O/ipgeo.csv"
xargs -n 2000 $K geo lookup --json <"$O/ips.txt" |
  jq -r '.[] | select(.lat != null) | [.ip, .lat, .lon, .radius_km, .country] | @csv' >>"$O/ipgeo.csv"
echo "$(($(wc -l <"$O/events.csv") - 1)) events, $(($(wc -l <"$O/ipgeo.csv") - 1)) placed addresses"
