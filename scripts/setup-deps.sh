#!/bin/sh
# Installs the Debian packages kumo builds and tests with, if any are missing.
# Called by `make`, `make check` and `make demo`; needs root (or sudo) only when
# something is missing. Non-interactive.
set -e
need=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v cc >/dev/null 2>&1 || need="$need gcc make"
have_pc libdeflate || need="$need libdeflate-dev"
have_pc zlib       || need="$need zlib1g-dev"
have_pc libarchive || need="$need libarchive-dev"
have_pc libzstd    || need="$need libzstd-dev"
have_pc sqlite3    || need="$need libsqlite3-dev"
have_pc libcrypto  || need="$need libssl-dev"
have_pc libpcre2-8 || need="$need libpcre2-dev"
have_pc libcjson   || need="$need libcjson-dev"
have_pc libmaxminddb || need="$need libmaxminddb-dev"
# the built-in offline geo database (kumo geo build, docs/geo.md): country
# ranges, AS numbers/names (read through libloc1) and GeoNames coordinates
[ -r /usr/share/tor/geoip ] || need="$need tor-geoipdb"
[ -r /usr/share/libloc-location/location.db ] || need="$need libloc-database"
[ -e /usr/lib/x86_64-linux-gnu/libloc.so.1 ] || ls /usr/lib/*/libloc.so.1 >/dev/null 2>&1 || \
  need="$need libloc1"
[ -r /usr/share/libtimezonemap/ui/countryInfo.txt ] || need="$need libtimezonemap-data"
have_pc yaml-0.1   || need="$need libyaml-dev"
command -v jq >/dev/null 2>&1 || need="$need jq"
[ -x /usr/bin/time ] || need="$need time"   # peak RSS in tests/e2e/hostile.sh
command -v clang >/dev/null 2>&1 || need="$need clang"
command -v python3 >/dev/null 2>&1 || need="$need python3"
[ -f /usr/share/tor/geoip ] || need="$need tor-geoipdb"   # country ranges (tests/e2e/gen_scenarios.sh)
[ -n "$need" ] || exit 0
echo "setup-deps: installing:$need" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need >&2
