# lib.sh — helpers for end-to-end tests (sourced). Each test prints
# "ok - name" / "FAIL - name" lines that tests/run.sh counts.
KUMO=${KUMO:-./kumo}
CORPUS=${KUMO_CORPUS:-../shared/corpus}
T=$(mktemp -d /tmp/kumo-e2e-XXXXXX)
trap "chmod -R u+rwX $T 2>/dev/null; rm -rf $T" EXIT
fails=0
ok()   { echo "ok - $1"; }
fail() { echo "FAIL - $1"; shift; [ $# -gt 0 ] && echo "  $*"; fails=$((fails + 1)); }
# check NAME COND...: runs the condition, reports ok/FAIL
check() { n=$1; shift; if "$@"; then ok "$n"; else fail "$n" "condition failed: $*"; fi; }
# json_num FILE KEY: the first numeric value of "KEY": in a JSON file
json_num() { sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1; }
finish() { [ "$fails" -eq 0 ]; }
