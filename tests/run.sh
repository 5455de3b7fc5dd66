#!/bin/sh
# Runs every test: unit binaries in BUILD/tests, then tests/e2e/*.sh.
# Each prints "ok - name" / "FAIL - name" lines; this script counts them and
# ends with "N passed, N failed". Exit status is non-zero on any failure.
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export KUMO=${KUMO:-$ROOT/kumo}
case "$KUMO" in /*) ;; *) KUMO=$ROOT/$KUMO ;; esac
export KUMO_CORPUS=${KUMO_CORPUS:-$ROOT/../shared/corpus}
export KUMO_ROOT=$ROOT
cd "$ROOT" || exit 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# A sanitizer report anywhere in a test's output (also from a kumo child
# process whose exit status the test tolerated) fails that test.
sanitizer_check() {
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log.out"; then
    echo "FAIL - $(basename "$1"): sanitizer report"; echo "FAIL - $(basename "$1") sanitizer" >>"$log"
  fi
}
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  echo "# $(basename "$t")"
  "$t" >"$log.out" 2>&1; rc=$?
  cat "$log.out"; cat "$log.out" >>"$log"
  if [ $rc -ne 0 ] && ! grep -q '^FAIL - ' "$log.out"; then
    echo "FAIL - $(basename "$t") exited $rc"; echo "FAIL - $(basename "$t")" >>"$log"
  fi
  sanitizer_check "$t"
done
for t in tests/e2e/*.sh; do
  case "$t" in */lib.sh) continue ;; esac
  [ -f "$t" ] || continue
  echo "# $(basename "$t")"
  sh "$t" >"$log.out" 2>&1; rc=$?
  cat "$log.out"; cat "$log.out" >>"$log"
  if [ $rc -ne 0 ] && ! grep -q '^FAIL - ' "$log.out"; then
    echo "FAIL - $(basename "$t") exited $rc"; echo "FAIL - $(basename "$t")" >>"$log"
  fi
  sanitizer_check "$t"
done
rm -f "$log.out"
passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^FAIL - ' "$log")
echo
grep '^FAIL - ' "$log" | sed 's/^/  /'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
