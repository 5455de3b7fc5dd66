#!/bin/sh
# query_paths.sh — the executor's fast paths give the answers of its general
# path: stats on dictionary codes (serial and on two workers), dictionary
# bitmaps for filters, and the raw-bytes shortcut for `path = "text"`, each
# compared with the row-at-a-time evaluation (KUMO_QUERY_NOFAST=1) or an
# equivalent query the shortcut cannot take, over a generated three-cloud store.
. "$(dirname "$0")/lib.sh"
$KUMO gen --out "$T/data" --events 30000 --seed 11 --providers aws,azure,gcp >/dev/null 2>&1
# small segments, so that the two workers share several
$KUMO --store "$T/s" ingest -q --segment-rows 4000 "$T/data" >/dev/null 2>&1
check query_paths_store_built test "$($KUMO --store "$T/s" stats --json | jq .events)" -eq 30000
check query_paths_segments test "$(ls "$T/s/segments" | wc -l)" -ge 4

same() { # NAME QUERY: fast (2 workers), fast serial and general path agree
  $KUMO --store "$T/s" query --format csv --max-rows 1000000 "$2" > "$T/a.csv" 2>"$T/a.err"
  KUMO_QUERY_THREADS1=1 $KUMO --store "$T/s" query --format csv --max-rows 1000000 "$2" > "$T/b.csv" 2>/dev/null
  KUMO_QUERY_NOFAST=1 $KUMO --store "$T/s" query --format csv --max-rows 1000000 "$2" > "$T/c.csv" 2>/dev/null
  sort "$T/a.csv" > "$T/a.s"; sort "$T/b.csv" > "$T/b.s"; sort "$T/c.csv" > "$T/c.s"
  if [ "$(wc -l < "$T/a.s")" -ge 2 ] && cmp -s "$T/a.s" "$T/b.s" && cmp -s "$T/a.s" "$T/c.s"; then
    ok "$1"
  else
    fail "$1" "paths disagree or no rows for: $2"; diff "$T/a.s" "$T/c.s" | head -5
  fi
}
same query_paths_count_by_provider 'stats count() as n by provider'
same query_paths_two_keys 'stats count() as n, count(actor.email) as e by provider, outcome'
same query_paths_distinct 'filter provider = "aws" | stats count_distinct(src.ip) as ips, count_distinct(actor.name) as who by action'
same query_paths_bin 'stats count() as n, count_distinct(region) as r by bin(1h), provider'
same query_paths_in_ne 'filter provider in ["aws", "gcp"] and action != "ConsoleLogin" | stats count() as n by source'
same query_paths_pivot_prepass 'filter src.ip in ["203.0.113.66", "198.51.100.7"] and provider != "none" | fields time, provider, action, actor.name'
same query_paths_generic_filter 'filter tolower(action) like "create%" | stats count() as n by provider, action'

# the raw shortcut: `path = "x"` must agree with a regex that cannot take it
b=$($KUMO --store "$T/s" query --format tsv 'filter service = "s3.amazonaws.com" | stats count() as n by requestParameters.bucketName | sort n desc | limit 1' | tail -n 1 | cut -f1)
n1=$($KUMO --store "$T/s" query --format tsv "filter service = \"s3.amazonaws.com\" and requestParameters.bucketName = \"$b\" | stats count() as n" | tail -n 1)
n2=$($KUMO --store "$T/s" query --format tsv "filter service = \"s3.amazonaws.com\" and requestParameters.bucketName =~ /^$b\$/ | stats count() as n" | tail -n 1)
n3=$($KUMO --store "$T/s" query --format tsv "filter service = \"s3.amazonaws.com\" and requestParameters.bucketName != \"$b\" | stats count() as n" | tail -n 1)
n4=$($KUMO --store "$T/s" query --format tsv "filter service = \"s3.amazonaws.com\" and ispresent(requestParameters.bucketName) | stats count() as n" | tail -n 1)
n5=$($KUMO --store "$T/s" query --format tsv "filter service = \"s3.amazonaws.com\" | stats count() as n" | tail -n 1)
if [ -n "$b" ] && [ "$n1" -gt 0 ] && [ "$n1" = "$n2" ] && [ $((n1 + n3)) -eq "$n5" ] && [ "$n4" -le "$n5" ]; then
  ok query_paths_raw_shortcut
else
  fail query_paths_raw_shortcut "bucket '$b': = $n1, =~ $n2, != $n3, present $n4, all $n5"
fi
# time conditions narrow the segments read; an OR with a never-true term
# defeats the narrowing and must give the same rows
t0=$($KUMO --store "$T/s" query --format tsv 'stats min(time) as t' | tail -n 1)
day=$(echo "$t0" | cut -c1-10)
a=$($KUMO --store "$T/s" query --format csv --max-rows 1000000 "filter provider = \"aws\" and time >= \"${day}T06:00:00Z\" and time < \"${day}T18:00:00Z\" | sort time" | md5sum)
b=$($KUMO --store "$T/s" query --format csv --max-rows 1000000 "filter provider = \"aws\" and (time >= \"${day}T06:00:00Z\" or action = \"__never__\") and (\"${day}T18:00:00Z\" > time or action = \"__never__\") | sort time" | md5sum)
n=$($KUMO --store "$T/s" query --format tsv "filter provider = \"aws\" and time >= \"${day}T06:00:00Z\" and time < \"${day}T18:00:00Z\" | stats count() as n" | tail -n 1)
segs=$($KUMO --store "$T/s" query -v "filter time >= \"${day}T06:00:00Z\" and time < \"${day}T07:00:00Z\" | limit 1" 2>&1 >/dev/null | sed -n 's/.* \([0-9]*\) of \([0-9]*\) segments read.*/\1 \2/p')
if [ "$a" = "$b" ] && [ "${n:-0}" -gt 0 ] && [ "$(echo "$segs" | awk '{print ($1 < $2)}')" = 1 ]; then
  ok query_paths_time_narrowing
else
  fail query_paths_time_narrowing "same rows: $([ "$a" = "$b" ] && echo yes || echo no), n=$n, segments read/all: $segs"
fi
finish
