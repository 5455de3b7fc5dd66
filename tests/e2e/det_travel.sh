#!/bin/sh
# det_travel.sh — impossible_travel and new_location end to end on records
# written here: Entra sign-ins with the provider's location, CloudTrail calls
# of IAM users linked to the same persons, Google Cloud calls; addresses whose
# country the built-in database knows (checked first), and a test MMDB for
# city-level cases. Each positive has a negative twin: a journey that is
# possible in the time, one address placed twice, neighbouring countries, a
# documentation address with no provider location, a person without history.
# Also: the provider's location wins for a documentation address (the story's
# 203.0.113.66), VPN networks (info), a known cloud network (lower), GeoIP
# noise (low), re-running adds nothing.
. "$(dirname "$0")/lib.sh"
ROOT=${KUMO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v jq >/dev/null 2>&1 || { fail det_travel "jq is missing (scripts/setup-deps.sh)"; exit 1; }
unset KUMO_GEOIP KUMO_CONFIG KUMO_GEO_BUILTIN

# ---- the built-in database must place the addresses used ----------------------------
"$KUMO" geo lookup --json 91.64.10.20 177.68.20.30 126.0.0.5 90.0.0.5 41.0.0.9 80.128.0.5 \
  203.0.113.66 >"$T/geo.json" 2>&1
got=$(jq -r 'map((.country // "-") + ":" + ((.asn // 0)|tostring)) | join(" ")' "$T/geo.json" 2>/dev/null)
want="DE:3209 BR:27699 JP:17676 FR:3215 ZA:36994 DE:3320 -:0"
if [ "$got" = "$want" ]; then ok det_travel_builtin_db
else fail det_travel_builtin_db "the built-in database answers '$got', expected '$want' (make builds it from Debian data)"; exit 1; fi

# ---- test MMDB: a few US cities, an AWS range -------------------------------------------
cat >"$T/city.json" <<'EOF'
{"database_type": "GeoLite2-City", "record_size": 28, "networks": [
 ["64.0.0.0/24", {"city": {"names": {"en": "New York"}}, "country": {"iso_code": "US"},
   "location": {"latitude": 40.7143, "longitude": -74.006, "accuracy_radius": {"$uint16": 20}}}],
 ["64.0.1.0/24", {"city": {"names": {"en": "Los Angeles"}}, "country": {"iso_code": "US"},
   "location": {"latitude": 34.0522, "longitude": -118.2437, "accuracy_radius": {"$uint16": 20}}}],
 ["64.0.2.0/24", {"city": {"names": {"en": "Newark"}}, "country": {"iso_code": "US"},
   "location": {"latitude": 40.7357, "longitude": -74.1724, "accuracy_radius": {"$uint16": 1}}}],
 ["64.0.3.0/24", {"city": {"names": {"en": "New York"}}, "country": {"iso_code": "US"},
   "location": {"latitude": 40.7143, "longitude": -74.006, "accuracy_radius": {"$uint16": 1}}}],
 ["3.5.1.0/24", {"city": {"names": {"en": "Ashburn"}}, "country": {"iso_code": "US"},
   "location": {"latitude": 39.0437, "longitude": -77.4875, "accuracy_radius": {"$uint16": 50}}}]]}
EOF
cat >"$T/asn.json" <<'EOF'
{"database_type": "GeoLite2-ASN", "record_size": 24, "networks": [
 ["3.5.1.0/24", {"autonomous_system_number": {"$uint32": 14618},
   "autonomous_system_organization": "AMAZON-AES"}]]}
EOF
python3 "$ROOT/tests/e2e/mkmmdb.py" "$T/city.json" "$T/City.mmdb" &&
  python3 "$ROOT/tests/e2e/mkmmdb.py" "$T/asn.json" "$T/ASN.mmdb" ||
  { fail det_travel_mkmmdb "mkmmdb.py failed"; exit 1; }

# ---- records ----------------------------------------------------------------------------
python3 - "$T/logs" <<'PY' || { fail det_travel_records "writing records failed"; exit 1; }
import json, os, sys, uuid, datetime as dt
out = sys.argv[1]
TEN = "7f1d8a8e-0c0e-4a55-9c51-3f0d6c2b9e11"
ACCT = "111122223333"
signins, trail, gcp = [], [], []
def ts(day, hh, mm, ss=0):
    return dt.datetime(2026, 10, day, hh, mm, ss, tzinfo=dt.timezone.utc)
def iso(t): return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
def oid(upn): return str(uuid.uuid5(uuid.NAMESPACE_DNS, upn))
def signin(t, upn, ip, city, cc, lat, lon, code=0, interactive=True, coords=True):
    disp = upn.split("@")[0].replace(".", " ").title()
    st = {"errorCode": code}
    if code:
        st["failureReason"] = "Error validating credentials due to invalid username or password."
    signins.append({
        "time": iso(t), "resourceId": "/tenants/%s/providers/Microsoft.aadiam" % TEN,
        "operationName": "Sign-in activity", "operationVersion": "1.0",
        "category": "SignInLogs" if interactive else "NonInteractiveUserSignInLogs",
        "tenantId": TEN, "resultType": str(code), "callerIpAddress": ip,
        "correlationId": str(uuid.uuid4()), "identity": disp, "Level": 4, "location": cc,
        "properties": {"id": str(uuid.uuid4()), "createdDateTime": iso(t),
            "userDisplayName": disp, "userPrincipalName": upn, "userId": oid(upn),
            "appId": "4765445b-32c6-49b0-83e6-1d93765276ca", "appDisplayName": "OfficeHome",
            "ipAddress": ip, "status": st, "clientAppUsed": "Browser",
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/141.0.0.0",
            "location": dict({"city": city, "state": "", "countryOrRegion": cc},
                             **({"geoCoordinates": {"latitude": lat, "longitude": lon}} if coords else {})),
            "isInteractive": interactive, "userType": "Member",
            "resourceTenantId": TEN, "homeTenantId": TEN, "tenantId": TEN}})
def call(t, user, ip, name="ListBuckets", src="s3.amazonaws.com"):
    trail.append({"eventVersion": "1.11",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDA" + user.upper().replace(".", "")[:16],
            "arn": "arn:aws:iam::%s:user/%s" % (ACCT, user), "accountId": ACCT,
            "accessKeyId": "AKIA" + user.upper().replace(".", "").ljust(16, "X")[:16],
            "userName": user},
        "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": src, "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": "aws-cli/2.17.0",
        "requestParameters": None, "responseElements": None,
        "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()), "readOnly": True,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT,
        "eventCategory": "Management"})
def gcall(t, email, ip):
    gcp.append({"insertId": uuid.uuid4().hex[:12],
        "logName": "projects/corp-prod/logs/cloudaudit.googleapis.com%2Factivity",
        "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": email},
            "methodName": "v1.compute.instances.start",
            "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": "gcloud/500.0.0"},
            "resourceName": "projects/corp-prod/zones/europe-west1-b/instances/vm-1",
            "serviceName": "compute.googleapis.com"},
        "receiveTimestamp": iso(t), "resource": {"type": "gce_instance",
            "labels": {"project_id": "corp-prod"}},
        "severity": "NOTICE", "timestamp": iso(t)})

BERLIN = ("Berlin", "DE", 52.52, 13.41)
TOKYO = ("Tokyo", "JP", 35.69, 139.69)
def history(upn, ip, where, days=(1, 8, 15)):
    for d in days:
        signin(ts(d, 8, 0), upn, ip, *where)
        call(ts(d, 8, 10), upn.split("@")[0], ip)

# 1 alice: Berlin sign-in, 38 min later AWS calls from Brazil
history("alice.ito@corp.test", "91.64.10.20", BERLIN)
signin(ts(21, 8, 2), "alice.ito@corp.test", "91.64.10.20", *BERLIN)
for m in (40, 42, 45):
    call(ts(21, 8, m), "alice.ito", "177.68.20.30")
# 2 bob (twin): the same, 20 hours later: possible
history("bob.ng@corp.test", "91.64.10.21", BERLIN)
signin(ts(21, 8, 2), "bob.ng@corp.test", "91.64.10.21", *BERLIN)
call(ts(22, 4, 2), "bob.ng", "177.68.20.31")
# 3 carol: the provider places a Brazilian-registered address in Berlin: one place
history("carol.diaz@corp.test", "91.64.10.23", BERLIN)
signin(ts(21, 7, 50), "carol.diaz@corp.test", "91.64.10.23", *BERLIN)
signin(ts(21, 8, 0), "carol.diaz@corp.test", "177.68.20.40", *BERLIN)
for m in (5, 6):
    call(ts(21, 8, m), "carol.diaz", "177.68.20.40")
# 4 dave: Berlin, then France 10 min later: neighbours at country level
history("dave.roy@corp.test", "91.64.10.24", BERLIN)
signin(ts(21, 8, 0), "dave.roy@corp.test", "91.64.10.24", *BERLIN)
gcall(ts(21, 8, 10), "dave.roy@corp.test", "90.0.0.5")
# 5 erin: Berlin, then Japan 30 min later (a VPN in the second store)
history("erin.fox@corp.test", "91.64.10.25", BERLIN)
signin(ts(21, 8, 0), "erin.fox@corp.test", "91.64.10.25", *BERLIN)
call(ts(21, 8, 30), "erin.fox", "126.0.0.5")
# 6 frank: Tokyo, then the documentation address the provider places in Amsterdam
history("frank.lee@corp.test", "126.0.0.6", TOKYO)
signin(ts(21, 7, 0), "frank.lee@corp.test", "126.0.0.6", *TOKYO)
signin(ts(21, 7, 40), "frank.lee@corp.test", "203.0.113.66", "Amsterdam", "NL", 52.37, 4.89)
for m in (45, 50):
    call(ts(21, 7, m), "frank.lee", "203.0.113.66")
# 6' grace (twin): a documentation address nobody places
history("grace.kim@corp.test", "126.0.0.7", TOKYO)
signin(ts(21, 7, 0), "grace.kim@corp.test", "126.0.0.7", *TOKYO)
call(ts(21, 7, 40), "grace.kim", "203.0.113.77")
# 7 hank: New York, then Los Angeles 30 min later (city-level only with the MMDB)
for d in (1, 8, 15):
    call(ts(d, 14, 0), "hank.wu", "64.0.0.10")
call(ts(21, 14, 0), "hank.wu", "64.0.0.10")
call(ts(21, 14, 30), "hank.wu", "64.0.1.10")
signin(ts(1, 13, 0), "hank.wu@corp.test", "64.0.0.10", "New York", "US", 40.71, -74.0)
# 7' ivy: New York, then Newark (15 km) 5 min later: GeoIP noise
for d in (1, 8, 15):
    call(ts(d, 14, 0), "ivy.tan", "64.0.3.11")
call(ts(21, 14, 0), "ivy.tan", "64.0.3.11")
call(ts(21, 14, 5), "ivy.tan", "64.0.2.11")
signin(ts(1, 13, 0), "ivy.tan@corp.test", "64.0.3.11", "Manhattan", "US", 40.78, -73.97, coords=False)
# 8 jack: Berlin, then an AWS address (Ashburn in the MMDB) on two days
history("jack.ma@corp.test", "91.64.10.26", BERLIN)
for d, ip in ((20, "3.5.1.1"), (21, "3.5.1.2")):
    signin(ts(d, 8, 0), "jack.ma@corp.test", "91.64.10.26", *BERLIN)
    call(ts(d, 8, 30), "jack.ma", ip)
# 9 kim: failures from South Africa, then success there: a new country after failures
history("kim.lo@corp.test", "91.64.10.27", BERLIN)
for m in (0, 1, 2):
    signin(ts(21, 10, m), "kim.lo@corp.test", "41.0.0.9", "Johannesburg", "ZA", -26.2, 28.04, code=50126)
signin(ts(21, 10, 5), "kim.lo@corp.test", "41.0.0.9", "Johannesburg", "ZA", -26.2, 28.04)
# 10 liam: a new network in his own country
history("liam.ox@corp.test", "91.64.10.28", BERLIN)
signin(ts(21, 9, 0), "liam.ox@corp.test", "80.128.0.5", *BERLIN)
# 12 nora: signs in from Berlin every 20 min all day; her AWS key is used from
#    Japan at 12:10 — read from a second ingest (another segment), so her
#    Berlin run (09:00-17:00) overlaps it: a Berlin row is within 10 min
history("nora.bek@corp.test", "91.64.10.31", BERLIN)
for k in range(25):
    signin(ts(21, 9, 0) + dt.timedelta(minutes=20 * k), "nora.bek@corp.test", "91.64.10.31",
           *BERLIN, interactive=False)
late = [(ts(21, 12, 10), "nora.bek", "126.0.0.11")]
# 12' olga (twin): signs in at 05:00 and 21:00 only; the key is used from Japan at 13:00
history("olga.ruiz@corp.test", "91.64.10.32", BERLIN)
signin(ts(21, 5, 0), "olga.ruiz@corp.test", "91.64.10.32", *BERLIN)
signin(ts(21, 21, 0), "olga.ruiz@corp.test", "91.64.10.32", *BERLIN)
late.append((ts(21, 13, 0), "olga.ruiz", "126.0.0.12"))
# 11 mia: first seen yesterday: no history, no new place
signin(ts(20, 8, 0), "mia.cho@corp.test", "91.64.10.29", *BERLIN)
signin(ts(21, 8, 0), "mia.cho@corp.test", "126.0.0.9", *TOKYO)

def write(p, text):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(text)
signins.sort(key=lambda r: r["time"])
write(out + "/insights-logs-signinlogs/resourceId=/tenants/%s/providers/Microsoft.aadiam/y=2026/m=10/d=21/h=00/m=00/PT1H.json" % TEN,
      "".join(json.dumps(r) + "\n" for r in signins))
trail.sort(key=lambda r: r["eventTime"])
write(out + "/AWSLogs/%s/CloudTrail/us-east-1/2026/10/21/%s_CloudTrail_us-east-1_20261021T0840Z_a1.json" % (ACCT, ACCT),
      json.dumps({"Records": trail}))
write(out + "/cloudaudit.googleapis.com/activity/2026/10/21/08:00:00_08:59:59_S0.json",
      "".join(json.dumps(r) + "\n" for r in gcp))
trail.clear()
for t, u, ip in late:
    call(t, u, ip)
write(out + "2/AWSLogs/%s/CloudTrail/us-east-1/2026/10/21/%s_CloudTrail_us-east-1_20261021T1210Z_b2.json" % (ACCT, ACCT),
      json.dumps({"Records": trail}))
PY
S="$T/store"
"$KUMO" --store "$S" ingest -q "$T/logs" >"$T/ing.txt" 2>&1 &&
  "$KUMO" --store "$S" ingest -q "$T/logs2" >>"$T/ing.txt" 2>&1 || { fail det_travel_ingest "$(cat "$T/ing.txt")"; exit 1; }
check det_travel_two_segments [ "$(ls "$S/segments" | wc -l)" -ge 2 ]
"$KUMO" --store "$S" identities --format json >"$T/id.json" 2>&1
check det_travel_persons_linked sh -c "jq -e '[.persons[] | select(.person == \"alice.ito@corp.test\") | .identities[] | .kind] | (index(\"aws.iam_user\") != null) and (index(\"azure.user\") != null)' \"$T/id.json\" >/dev/null"

# ---- hunt with the built-in database ------------------------------------------------------
"$KUMO" --store "$S" hunt -q --only impossible_travel,new_location --json >"$T/h1.json" 2>"$T/h1.err"; rc=$?
check det_travel_hunt_runs [ $rc -eq 0 ]
"$KUMO" --store "$S" findings --format json >"$T/f.json"
python3 - "$T/f.json" >"$T/py.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
def of(det, who):
    return [x for x in f if x["detection"] == det and who in x["entities"]["persons"]]
res = {}
def t(name, cond, info=""):
    print(("ok - " if cond else "FAIL - ") + name + ("" if cond else "  " + str(info)[:600]))
# 1 alice: the journey, high (Brazil is new after 20 days), both sides named
a = of("impossible_travel", "alice.ito@corp.test")
t("det_travel_positive_found", len(a) == 1, [x["summary"] for x in a])
if a:
    a = a[0]; d = json.loads(json.dumps(a["details"]))
    t("det_travel_positive_entities",
      sorted(a["entities"]["ips"]) == ["177.68.20.30", "91.64.10.20"]
      and sorted(a["entities"]["countries"]) == ["BR", "DE"]
      and a["entities"]["persons"] == ["alice.ito@corp.test"]
      and "alice.ito" in a["entities"]["identities"]
      and "alice.ito@corp.test" in a["entities"]["identities"]
      and sorted(a["entities"]["accounts"]) == ["111122223333", "7f1d8a8e-0c0e-4a55-9c51-3f0d6c2b9e11"],
      a["entities"])
    t("det_travel_positive_window", a["first"].startswith("2026-10-21T08:02")
      and a["last"].startswith("2026-10-21T08:40"), (a["first"], a["last"]))
    t("det_travel_positive_severity", a["severity"] == "high" and "new-country" in d["reasons"], (a["severity"], d.get("reasons")))
    s = a["summary"]
    t("det_travel_positive_summary", all(w in s for w in ("alice.ito@corp.test", "Berlin, DE",
      "91.64.10.20", "Entra sign-in", "177.68.20.30", "AWS API call", "Brazil (BR)", "38 min", "km/h")), s)
    t("det_travel_positive_details", d["from"]["located_by"] == "provider" and d["to"]["located_by"] == "builtin"
      and d["from"]["radius_km"] == 100 and abs(d["from"]["lat"] - 52.52) < 0.01
      and d["from"]["ip"] == "91.64.10.20" and d["to"]["country"] == "BR"
      and d["seconds"] == 38 * 60 and d["min_distance_km"] >= 500 and d["speed_kmh"] > 900
      and d["min_distance_km"] < d["distance_km"] and len(a["event_ids"]) == 2, d)
# twins: nothing for bob (possible), carol (one place), dave (neighbours), grace (no place)
for who, why in (("bob.ng", "possible"), ("carol.diaz", "same_place"), ("dave.roy", "neighbours"),
                 ("grace.kim", "no_place"), ("hank.wu", "country_level"), ("mia.cho", "no_history")):
    x = of("impossible_travel", who + "@corp.test")
    t("det_travel_negative_" + why, not x, [y["summary"] for y in x])
# 5 erin: Japan 30 min after Berlin
e = of("impossible_travel", "erin.fox@corp.test")
t("det_travel_erin_found", len(e) == 1 and e[0]["severity"] == "high", [(y["severity"], y["summary"]) for y in e])
# 6 frank: the provider's Amsterdam for a documentation address wins, for its API calls too
fr = of("impossible_travel", "frank.lee@corp.test")
t("det_travel_provider_place_wins", len(fr) == 1 and "203.0.113.66" in fr[0]["entities"]["ips"]
  and sorted(fr[0]["entities"]["countries"]) == ["JP", "NL"] and "Amsterdam, NL" in fr[0]["summary"]
  and fr[0]["severity"] == "high" and fr[0]["details"]["to"]["located_by"] == "provider",
  [(y["severity"], y["summary"]) for y in fr])
# 12 nora: the overlapping runs of two segments: within 10 min, an upper bound
x = of("impossible_travel", "nora.bek@corp.test")
t("det_travel_overlapping_segments", len(x) == 1 and x[0]["details"]["seconds_at_most"] is True
  and x[0]["details"]["seconds"] == 600 and "within 10 min" in x[0]["summary"]
  and "126.0.0.11" in x[0]["entities"]["ips"], [(y["severity"], y["summary"]) for y in x])
x = of("impossible_travel", "olga.ruiz@corp.test")
t("det_travel_negative_eight_hours", not x, [y["summary"] for y in x])
# 8 jack: the AWS address is a US country-level answer: no journey without a city database
t("det_travel_cloud_country_level", not of("impossible_travel", "jack.ma@corp.test"))
# new_location
nl = lambda who: of("new_location", who + "@corp.test")
x = nl("alice.ito")
t("det_newloc_travel_side_high", len(x) == 1 and x[0]["severity"] == "high" and x[0]["entities"]["countries"] == ["BR"]
  and x[0]["details"]["side_of_impossible_travel"] is True, [(y["severity"], y["summary"]) for y in x])
x = nl("bob.ng")
t("det_newloc_new_country_medium", len(x) == 1 and x[0]["severity"] == "medium" and x[0]["entities"]["ips"] == ["177.68.20.31"]
  and "Brazil (BR)" in x[0]["summary"] and "seen only from DE" in x[0]["summary"], [(y["severity"], y["summary"]) for y in x])
x = nl("carol.diaz")
t("det_newloc_provider_disagreement_not_new", not [y for y in x if y["details"]["new"] == "country"]
  and all(y["entities"]["countries"] == ["DE"] for y in x), [y["summary"] for y in x])
x = nl("kim.lo")
t("det_newloc_failures_then_success_high", len(x) == 1 and x[0]["severity"] == "high"
  and x[0]["details"]["failures_before"] == 3 and "failed attempts" in x[0]["summary"], [(y["severity"], y["summary"]) for y in x])
x = nl("liam.ox")
t("det_newloc_new_asn_low", len(x) == 1 and x[0]["severity"] == "low" and x[0]["details"]["new"] == "asn"
  and "AS3320" in x[0]["summary"] and x[0]["details"]["known_asns"] == [3209], [(y["severity"], y["summary"]) for y in x])
x = nl("mia.cho")
t("det_newloc_needs_history", not x, [y["summary"] for y in x])
x = nl("grace.kim")
t("det_newloc_unplaced_not_new", not x, [y["summary"] for y in x])
x = nl("frank.lee")
t("det_newloc_documentation_address_placed_by_provider", len(x) == 1 and x[0]["entities"]["countries"] == ["NL"]
  and x[0]["entities"]["ips"] == ["203.0.113.66"], [y["summary"] for y in x])
PY
cat "$T/py.out"
fails=$((fails + $(grep -c '^FAIL' "$T/py.out")))

# re-running adds nothing
"$KUMO" --store "$S" hunt -q --only impossible_travel,new_location --json >"$T/h2.json" 2>&1
[ "$(json_num "$T/h2.json" new)" = 0 ] && [ "$(json_num "$T/h2.json" updated)" = 0 ] \
  && [ "$(json_num "$T/h2.json" total)" = "$(json_num "$T/h1.json" total)" ] \
  && ok det_travel_rerun_adds_nothing || fail det_travel_rerun_adds_nothing "$(cat "$T/h2.json")"

# the explanation names the detection's page and the evidence
fid=$(jq -r '[.[] | select(.detection == "impossible_travel" and (.entities.persons | index("alice.ito@corp.test")))][0].id' "$T/f.json")
"$KUMO" --store "$S" finding "$fid" >"$T/exp.txt" 2>&1
check det_travel_finding_explains sh -c "grep -q 'docs/detections/impossible_travel.md' \"$T/exp.txt\" && grep -q 'Evidence: 2 events' \"$T/exp.txt\""

# ---- city level: the test MMDB ---------------------------------------------------------------
cp -r "$S" "$T/s2"
"$KUMO" --store "$T/s2" hunt -q --only impossible_travel --geo "$T/City.mmdb" --geo "$T/ASN.mmdb" >/dev/null 2>&1
"$KUMO" --store "$T/s2" findings --format json >"$T/f2.json"
python3 - "$T/f2.json" >"$T/py2.out" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
def of(who):
    return [x for x in f if x["detection"] == "impossible_travel" and who + "@corp.test" in x["entities"]["persons"]]
def t(name, cond, info=""):
    print(("ok - " if cond else "FAIL - ") + name + ("" if cond else "  " + str(info)[:600]))
h = of("hank.wu")
t("det_travel_city_level", len(h) == 1 and h[0]["severity"] == "medium"
  and "New York, US" in h[0]["summary"] and "Los Angeles, US" in h[0]["summary"]
  and h[0]["details"]["to"]["located_by"] == "City.mmdb" and h[0]["details"]["to"]["radius_km"] == 20,
  [(y["severity"], y["summary"]) for y in h])
t("det_travel_city_noise_quiet", not of("ivy.tan"))
j = sorted(of("jack.ma"), key=lambda x: x["first"])
t("det_travel_cloud_first_then_known", len(j) == 2 and j[0]["severity"] == "high"
  and j[1]["severity"] == "low" and "known-cloud" in j[1]["details"]["reasons"]
  and "known-cloud" not in j[0]["details"]["reasons"] and "AS14618" in j[1]["summary"],
  [(y["severity"], y["summary"]) for y in j])
PY
cat "$T/py2.out"
fails=$((fails + $(grep -c '^FAIL' "$T/py2.out")))

# ---- configuration: a VPN network, GeoIP noise with no distance floor -------------------------
cp -r "$S" "$T/s3"
printf '[allow]\nvpn_networks = 126.0.0.0/24\n[impossible_travel]\nmin_km = 0\nmax_kmh = 100\n' >"$T/s3/kumo.conf"
"$KUMO" --store "$T/s3" hunt -q --only impossible_travel --geo "$T/City.mmdb" >/dev/null 2>&1
"$KUMO" --store "$T/s3" findings --format json >"$T/f3.json"
check det_travel_vpn_info sh -c "jq -e '[.[] | select(.detection == \"impossible_travel\") | select(.entities.persons | index(\"erin.fox@corp.test\"))] | length == 1 and .[0].severity == \"info\" and (.[0].details.reasons | index(\"vpn-relay\"))' \"$T/f3.json\" >/dev/null"
check det_travel_noise_low sh -c "jq -e '[.[] | select(.detection == \"impossible_travel\") | select(.entities.persons | index(\"ivy.tan@corp.test\"))] | length == 1 and .[0].severity == \"low\" and (.[0].details.reasons | index(\"geoip-noise\"))' \"$T/f3.json\" >/dev/null"
printf '[allow]\nvpn_networks = 126.0.0.0/33\n' >"$T/bad.conf"
"$KUMO" --store "$T/s3" hunt -q --no-save --only impossible_travel --config "$T/bad.conf" >"$T/bad.txt" 2>&1; rc=$?
check det_travel_bad_vpn_network sh -c "[ $rc -ne 0 ] && grep -q 'allow.vpn_networks' \"$T/bad.txt\""
# ---- the generator's planted travel scenario (kumo-ground-truth.json) ------------------------
# seed 1: the victim's office is in Dublin; seed 3: in San Francisco (the
# built-in database's United States spans 7,788 km: only the provider's own
# coordinates place both sides). The rest of each dataset is background:
# nothing of medium or above from these detections.
for spec in "1 100000" "3 30000"; do
  set -- $spec
  G="$T/gen$1"
  if ! "$KUMO" -q gen --out "$G/d" --events "$2" --seed "$1" --providers aws,azure,gcp --scenarios travel >"$G.log" 2>&1 ||
     ! "$KUMO" --store "$G/s" ingest -q "$G/d" >>"$G.log" 2>&1 ||
     ! "$KUMO" --store "$G/s" hunt -q --only impossible_travel,new_location >>"$G.log" 2>&1; then
    fail "det_travel_gen_seed$1" "$(tail -c 400 "$G.log")"; continue
  fi
  "$KUMO" --store "$G/s" findings --format json >"$G/f.json"
  python3 - "$G/f.json" "$G/d/kumo-ground-truth.json" "$1" <<'PY'
import json, sys, datetime as dt
f = json.load(open(sys.argv[1])); gt = json.load(open(sys.argv[2])); seed = sys.argv[3]
def t(name, cond, info=""):
    print(("ok - " if cond else "FAIL - ") + name + ("" if cond else "  " + str(info)[:700]))
def ts(s): return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
sc = [x for x in gt["scenarios"] if x["scenario"] == "travel"][0]
hit = [x for x in f if x["detection"] == "impossible_travel" and x["entities"]["persons"] == sc["entities"]["persons"]]
t("det_travel_gen_found_seed" + seed, len(hit) == 1 and hit[0]["severity"] in ("medium", "high", "critical"),
  [(x["severity"], x["summary"]) for x in f])
if hit:
    h = hit[0]
    t("det_travel_gen_ips_seed" + seed, sorted(h["entities"]["ips"]) == sorted(sc["entities"]["ips"]),
      (h["entities"]["ips"], sc["entities"]["ips"]))
    hour = dt.timedelta(hours=1)
    t("det_travel_gen_window_seed" + seed, ts(h["first"]) <= ts(sc["last"]) and ts(h["last"]) >= ts(sc["first"])
      and abs(ts(h["first"]) - ts(sc["first"])) <= hour and abs(ts(h["last"]) - ts(sc["last"])) <= hour,
      (h["first"], h["last"], sc["first"], sc["last"]))
    t("det_travel_gen_evidence_seed" + seed, len(set(h["event_ids"]) & set(sc["event_ids"])) >= 1,
      (h["event_ids"], sc["event_ids"]))
rest = [x for x in f if x not in hit and x["severity"] in ("medium", "high", "critical")
        and not (x["detection"] == "new_location" and x["entities"]["persons"] == sc["entities"]["persons"])]
t("det_travel_gen_background_quiet_seed" + seed, not rest, [(x["severity"], x["summary"]) for x in rest])
PY
done > "$T/gen.out" 2>&1
cat "$T/gen.out"
fails=$((fails + $(grep -c '^FAIL' "$T/gen.out")))
finish
