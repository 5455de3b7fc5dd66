#!/bin/sh
# geo.sh — IP enrichment end to end: `kumo geo lookup/status/build`, the
# query fields (src.geo.*, src.asn, src.as_org, src.ip_class) on a small
# store with a provider-geolocated Entra sign-in whose own country wins,
# databases from --geo, $KUMO_GEOIP and the store's kumo.conf, a read-only
# store, entity/timeline/events, damaged databases, and — when `make` built
# it from Debian data — a few long-stable answers of the built-in database.
# MMDB files are written here by tests/e2e/mkmmdb.py (no binary is committed).
. "$(dirname "$0")/lib.sh"
ROOT=${KUMO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v jq >/dev/null 2>&1 || { fail geo "jq is missing (scripts/setup-deps.sh)"; exit 1; }
unset KUMO_GEOIP KUMO_CONFIG
export KUMO_GEO_BUILTIN=none

# ---- test databases ------------------------------------------------------------
cat >"$T/city.json" <<'EOF'
{"database_type": "GeoLite2-City", "record_size": 28, "networks": [
 ["81.2.69.0/24", {"city": {"names": {"en": "London"}}, "country": {"iso_code": "GB"},
   "location": {"latitude": 51.5142, "longitude": -0.0931, "accuracy_radius": {"$uint16": 20}}}],
 ["2001:218::/32", {"city": {"names": {"en": "Tokyo"}}, "country": {"iso_code": "JP"},
   "location": {"latitude": 35.685, "longitude": 139.7514}}]]}
EOF
cat >"$T/asn.json" <<'EOF'
{"database_type": "GeoLite2-ASN", "record_size": 24, "networks": [
 ["81.2.69.0/24", {"autonomous_system_number": {"$uint32": 20712},
   "autonomous_system_organization": "Andrews & Arnold Ltd"}],
 ["2001:218::/32", {"autonomous_system_number": 2914, "autonomous_system_organization": "NTT"}]]}
EOF
python3 "$ROOT/tests/e2e/mkmmdb.py" "$T/city.json" "$T/City.mmdb" &&
  python3 "$ROOT/tests/e2e/mkmmdb.py" "$T/asn.json" "$T/ASN.mmdb" ||
  { fail geo_mkmmdb "mkmmdb.py failed"; exit 1; }
GEO="--geo $T/City.mmdb --geo $T/ASN.mmdb"

# ---- kumo geo lookup / status ------------------------------------------------------
# shellcheck disable=SC2086
"$KUMO" geo lookup --json $GEO 81.2.69.160 10.1.2.3 'AWS Internal' >"$T/l.json" 2>"$T/l.err"
check geo_lookup_mmdb [ "$(jq -r '.[0] | [.country, .city, .asn, .as_org, .country_db, .asn_db, .radius_km] | join("|")' "$T/l.json")" = "GB|London|20712|Andrews & Arnold Ltd|City.mmdb|ASN.mmdb|20" ]
check geo_lookup_private [ "$(jq -r '.[1] | [.class, .country // "none"] | join("|")' "$T/l.json")" = "private|none" ]
check geo_lookup_label [ "$(jq -r '.[2].class' "$T/l.json")" = "cloud-internal" ]
# shellcheck disable=SC2086
"$KUMO" geo lookup $GEO 2001:218:0:1::5 >"$T/l.txt" 2>&1
check geo_lookup_text grep -q 'city     Tokyo  \[City.mmdb\]' "$T/l.txt"
# shellcheck disable=SC2086
"$KUMO" geo status $GEO >"$T/st.txt" 2>&1
check geo_status_lists grep -q 'City.mmdb *mmdb City' "$T/st.txt"
check geo_status_asn grep -q 'ASN.mmdb *mmdb ASN' "$T/st.txt"
# no built-in database anywhere: status says how to build one
mkdir -p "$T/bin" && cp "$KUMO" "$T/bin/kumo"
KUMO_GEO_BUILTIN= "$T/bin/kumo" geo status >"$T/st2.txt" 2>&1; rc=$?
check geo_status_absent [ $rc -eq 0 ]
check geo_status_howto grep -q 'kumo geo build' "$T/st2.txt"
KUMO_GEO_BUILTIN= "$T/bin/kumo" geo lookup --json 8.8.8.8 >"$T/l2.json" 2>&1
check geo_absent_not_error [ "$(jq -r '.[0] | [.class, .country // "none"] | join("|")' "$T/l2.json")" = "public|none" ]
"$KUMO" geo lookup --geo "$T/nope.mmdb" 8.8.8.8 >/dev/null 2>"$T/e.txt"; rc=$?
check geo_flag_missing_file sh -c "[ $rc -eq 2 ] && grep -q 'nope.mmdb' \"$T/e.txt\""
printf 'not an mmdb\n' >"$T/junk.mmdb"
"$KUMO" geo lookup --geo "$T/junk.mmdb" 8.8.8.8 >/dev/null 2>"$T/e.txt"; rc=$?
check geo_flag_bad_file sh -c "[ $rc -eq 1 ] && grep -q 'junk.mmdb' \"$T/e.txt\""

# ---- a tiny built-in database --------------------------------------------------------
mkdir -p "$T/tor" "$T/gn"
printf '# Generated: e2e\n1359103232,1359103487,FR\n134744064,134744319,US\n' >"$T/tor/geoip"
printf '2001:218::,2001:218:ffff:ffff:ffff:ffff:ffff:ffff,JP\n' >"$T/tor/geoip6"
printf 'FR\tFRA\t250\tFR\tFrance\tParis\t547030\t1\tEU\n' >"$T/gn/countryInfo.txt"
printf '1\tParis\tParis\t\t48.85341\t2.3488\tP\tPPLC\tFR\t\t11\t75\t\t\t2138551\t\t42\tEurope/Paris\t2020-01-01\n' \
  >"$T/gn/cities15000.txt"
"$KUMO" geo build --out "$T/k/tiny.kgeo" --tor "$T/tor" --geonames "$T/gn" --libloc "$T/none.db" \
  >"$T/b.txt" 2>&1
check geo_build_tiny grep -q 'wrote .*tiny.kgeo' "$T/b.txt"
check geo_build_note grep -q 'libloc-database missing' "$T/b.txt"
KUMO_GEO_BUILTIN="$T/k/tiny.kgeo" "$KUMO" geo lookup --json 81.2.69.160 8.8.8.8 >"$T/b.json" 2>&1
check geo_builtin_answers [ "$(jq -r '[.[0].country, .[0].country_db, .[0].location_db, .[1].country] | join("|")' "$T/b.json")" = "FR|builtin|builtin|US" ]
# MMDB before builtin
KUMO_GEO_BUILTIN="$T/k/tiny.kgeo" "$KUMO" geo lookup --json --geo "$T/City.mmdb" 81.2.69.160 >"$T/b2.json" 2>&1
check geo_mmdb_first [ "$(jq -r '.[0].country' "$T/b2.json")" = "GB" ]
# a damaged builtin is an error naming it, not a crash
cp "$T/k/tiny.kgeo" "$T/k/bad.kgeo"
printf 'XXXX' | dd of="$T/k/bad.kgeo" bs=1 seek=200 conv=notrunc 2>/dev/null
KUMO_GEO_BUILTIN="$T/k/bad.kgeo" "$KUMO" geo lookup 8.8.8.8 >/dev/null 2>"$T/e.txt"; rc=$?
check geo_builtin_damaged sh -c "[ $rc -eq 1 ] && grep -q 'bad.kgeo.*checksum' \"$T/e.txt\""
head -c 100 "$T/k/tiny.kgeo" >"$T/k/cut.kgeo"
KUMO_GEO_BUILTIN="$T/k/cut.kgeo" "$KUMO" geo status >/dev/null 2>"$T/e.txt"; rc=$?
check geo_builtin_truncated sh -c "[ $rc -eq 1 ] && grep -q 'cut.kgeo.*truncated' \"$T/e.txt\""

# ---- a small store ------------------------------------------------------------------------
mkdir -p "$T/in"
cat >"$T/in/signin.json" <<'EOF'
{"value": [{"id": "0a1b2c3d-0000-4000-8000-0000000000e1", "createdDateTime": "2024-03-05T10:11:12Z",
 "userPrincipalName": "ana@example.org", "userId": "11111111-2222-3333-4444-555555555555",
 "appDisplayName": "Azure Portal", "ipAddress": "81.2.69.144", "clientAppUsed": "Browser",
 "status": {"errorCode": 0}, "location": {"city": "Madrid", "countryOrRegion": "ES"}}]}
EOF
ct() { # ct ID IP: one CloudTrail record
  printf '{"eventVersion":"1.08","eventTime":"2024-03-05T10:%02d:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"%s","userIdentity":{"type":"IAMUser","userName":"alice","accountId":"111122223333"},"eventID":"00000000-0000-4000-8000-0000000000%02d","eventType":"AwsApiCall","recipientAccountId":"111122223333"}' "$1" "$2" "$1"
}
{ printf '{"Records":['; ct 1 81.2.69.160; printf ','; ct 2 'AWS Internal'; printf ','
  ct 3 10.0.0.5; printf ','; ct 4 2001:218::1; printf ','; ct 5 ec2.amazonaws.com; printf ']}\n'; } \
  >"$T/in/ct.json"
S="$T/store"
"$KUMO" --store "$S" ingest -q "$T/in" >"$T/ing.txt" 2>&1 || { fail geo_ingest "$(tail -3 "$T/ing.txt")"; exit 1; }
Q='fields src.raw, src.geo.country, src.geo.city, src.geo.db, src.asn, src.as_org, src.ip_class, src.geo.lat, src.geo.lon'
# shellcheck disable=SC2086
"$KUMO" --store "$S" query "$Q" --format jsonl $GEO >"$T/q.jsonl" 2>"$T/q.err"
row() { jq -c --arg r "$1" 'select(."src.raw" == $r) | [."src.geo.country", ."src.geo.city", ."src.geo.db", ."src.asn", ."src.ip_class"]' "$T/q.jsonl"; }
check geo_query_rows [ "$(wc -l <"$T/q.jsonl")" -eq 6 ]
check geo_query_provider_wins [ "$(row 81.2.69.144)" = '["ES","Madrid","provider",20712,"public"]' ]
check geo_query_lookup [ "$(row 81.2.69.160)" = '["GB","London","City.mmdb",20712,"public"]' ]
check geo_query_v6 [ "$(row 2001:218::1)" = '["JP","Tokyo","City.mmdb",2914,"public"]' ]
check geo_query_internal [ "$(row 'AWS Internal')" = '[null,null,null,null,"cloud-internal"]' ]
check geo_query_service [ "$(row ec2.amazonaws.com)" = '[null,null,null,null,"cloud-internal"]' ]
check geo_query_private [ "$(row 10.0.0.5)" = '[null,null,null,null,"private"]' ]
check geo_query_numbers [ "$(jq -r 'select(."src.raw" == "81.2.69.160") | (."src.geo.lat" | type) + " " + (."src.geo.lat" | tostring)' "$T/q.jsonl")" = "number 51.5142" ]
# the stored country's own point when it differs from the lookup: Spain has none without a builtin
check geo_query_provider_point [ "$(jq -r 'select(."src.raw" == "81.2.69.144") | ."src.geo.lat"' "$T/q.jsonl")" = "null" ]
# conditions on src.asn prune per dictionary value; on country they run per row
# shellcheck disable=SC2086
n=$("$KUMO" --store "$S" query 'filter src.asn = 20712 | stats count() as n' --format tsv $GEO | tail -1)
check geo_filter_asn [ "$n" = 2 ]
# shellcheck disable=SC2086
"$KUMO" --store "$S" query 'stats count() as n by src.geo.country | sort n desc, src.geo.country' --format tsv $GEO >"$T/s.tsv"
check geo_stats_country [ "$(tr '\t\n' ' ;' <"$T/s.tsv")" = "src.geo.country n; 3;ES 1;GB 1;JP 1;" ]
# without any database: the stored value only
"$KUMO" --store "$S" query "$Q" --format jsonl >"$T/q0.jsonl" 2>&1
check geo_query_nodb [ "$(jq -c 'select(."src.raw" == "81.2.69.160") | [."src.geo.country", ."src.asn", ."src.ip_class"]' "$T/q0.jsonl")" = '[null,null,"public"]' ]
check geo_query_nodb_stored [ "$(jq -r 'select(."src.raw" == "81.2.69.144") | ."src.geo.country"' "$T/q0.jsonl")" = "ES" ]
# $KUMO_GEOIP
KUMO_GEOIP="$T/City.mmdb:$T/ASN.mmdb" "$KUMO" --store "$S" query "$Q" --format jsonl >"$T/q1.jsonl" 2>&1
check geo_env [ "$(jq -c 'select(."src.raw" == "81.2.69.160") | [."src.geo.country", ."src.asn"]' "$T/q1.jsonl")" = '["GB",20712]' ]
# the store's kumo.conf
printf '[geo]\nmmdb = %s, %s\n' "$T/ASN.mmdb" "$T/City.mmdb" >"$S/kumo.conf"
"$KUMO" --store "$S" query "$Q" --format jsonl >"$T/q2.jsonl" 2>&1
check geo_config [ "$(jq -c 'select(."src.raw" == "2001:218::1") | [."src.geo.city", ."src.as_org"]' "$T/q2.jsonl")" = '["Tokyo","NTT"]' ]
rm -f "$S/kumo.conf"
# a bad --geo file fails the query with its name (only when geo fields are read)
"$KUMO" --store "$S" query "$Q" --geo "$T/junk.mmdb" >/dev/null 2>"$T/e.txt"; rc=$?
check geo_query_bad_db sh -c "[ $rc -ne 0 ] && grep -q 'junk.mmdb' \"$T/e.txt\""
"$KUMO" --store "$S" query 'stats count()' --geo "$T/junk.mmdb" >/dev/null 2>&1
check geo_query_lazy [ $? -eq 0 ]
# a read-only store still answers
cp -r "$S" "$T/ro" && chmod -R a-w "$T/ro"
# shellcheck disable=SC2086
"$KUMO" --store "$T/ro" query "$Q" --format jsonl $GEO >"$T/qro.jsonl" 2>"$T/qro.err"
check geo_readonly_store cmp -s "$T/q.jsonl" "$T/qro.jsonl"
chmod -R u+w "$T/ro"

# ---- entity, timeline, events ------------------------------------------------------------
# shellcheck disable=SC2086
"$KUMO" --store "$S" entity 81.2.69.160 --json $GEO >"$T/ent.json" 2>&1
check geo_entity_json [ "$(jq -r '.geo | [.class, .country, .city, .asn, .db] | join("|")' "$T/ent.json")" = "public|GB|London|20712|City.mmdb" ]
check geo_entity_countries [ "$(jq -r '.countries.top[0].value' "$T/ent.json")" = "GB" ]
# shellcheck disable=SC2086
"$KUMO" --store "$S" entity 81.2.69.160 $GEO >"$T/ent.txt" 2>&1
check geo_entity_text grep -q 'AS20712 Andrews & Arnold Ltd' "$T/ent.txt"
# shellcheck disable=SC2086
COLUMNS=300 "$KUMO" --store "$S" timeline --actor alice $GEO >"$T/tl.txt" 2>&1
check geo_timeline_country grep -q 'from 81.2.69.160 (GB)' "$T/tl.txt"
# shellcheck disable=SC2086
"$KUMO" --store "$S" events --format jsonl $GEO >"$T/ev.jsonl" 2>&1
check geo_events_enriched [ "$(jq -c 'select(."src.raw" == "81.2.69.160") | [."src.geo.country", ."src.asn", ."src.ip_class"]' "$T/ev.jsonl")" = '["GB",20712,"public"]' ]
"$KUMO" --store "$S" events --format jsonl >"$T/ev0.jsonl" 2>&1
check geo_events_plain_without_flag [ "$(grep -c 'src.ip_class' "$T/ev0.jsonl")" -eq 0 ]

# ---- the real built-in database (made by `make` from Debian data) --------------------------
if [ -r "$ROOT/share/kumo/kumo-geo.kgeo" ] && [ -r /usr/share/tor/geoip ]; then
  KUMO_GEO_BUILTIN="$ROOT/share/kumo/kumo-geo.kgeo" "$KUMO" geo lookup --json 8.8.8.8 1.1.1.1 \
    2001:4860:4860::8888 >"$T/real.json" 2>&1
  check geo_real_google [ "$(jq -r '.[0].country + "|" + .[2].country' "$T/real.json")" = "US|US" ]
  check geo_real_cloudflare [ "$(jq -r '.[1].country' "$T/real.json")" = "AU" ]
  if [ -r /usr/share/libloc-location/location.db ]; then
    check geo_real_asn [ "$(jq -r '.[0].asn' "$T/real.json")" = 15169 ]
  fi
  # found next to the binary, with no variable set
  KUMO_GEO_BUILTIN= "$KUMO" geo status >"$T/real.txt" 2>&1
  check geo_real_found_next_to_binary grep -q 'share/kumo/kumo-geo.kgeo' "$T/real.txt"
else
  echo "ok - geo_real_builtin # skip Debian tor-geoipdb not installed: no built-in database"
fi
finish
