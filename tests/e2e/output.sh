#!/bin/sh
# output.sh — honest output (docs/output.md) and the query language's newer
# parts (docs/query.md), end to end on crafted records:
#   - through a pipe nothing is cut (a 300-character user agent, a long
#     timeline line), whatever $COLUMNS says; on a pseudo-terminal cells are
#     cut and a note says how to get the full text;
#   - no command's text output carries a raw ESC, C1 control, bidi control
#     or a byte that is not UTF-8 (events, query, timeline, entity, show of a
#     JSON and of a CSV record, custody of a file whose name holds an ESC,
#     stats, verify, identities, findings, incidents); JSON has U+FFFD, CSV the bytes;
#   - a regex that hits PCRE2's match limit is an error naming the pattern;
#   - the "no raw record has this path" warning only for absent paths;
#   - now()/ago(), time literals (epoch seconds, dates, "garbage"), sort by
#     an unaliased aggregate, flags, near-miss field names.
. "$(dirname "$0")/lib.sh"
S="$T/store"
D="$T/in"
mkdir -p "$D"
k() { "$KUMO" --store "$S" "$@"; }

python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
ua = "Mozilla/5.0 (crafted) " + "x" * 280 + " END-OF-UA"
def rec(i, name, user, t, **kw):
    r = {"eventVersion": "1.08", "eventTime": t, "eventSource": "s3.amazonaws.com",
         "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.%d" % (i + 1),
         "userAgent": ua, "userIdentity": {"type": "IAMUser", "userName": user,
         "accountId": "111122223333", "arn": "arn:aws:iam::111122223333:user/" + user},
         "requestParameters": {"bucketName": "bucket-%d" % i}, "eventID": "out-%d" % i,
         "readOnly": True, "eventType": "AwsApiCall", "recipientAccountId": "111122223333"}
    r.update(kw)
    return r
# under the description's 200-byte cap per value (docs/timeline.md), over 120 columns
long_res = "arn:aws:s3:::" + "long-bucket-name-" * 9 + "TAIL-OF-RESOURCE"
recs = [
    rec(0, "Get\u001b[31mObject", "alice\u009b31m", "2024-05-01T10:00:00Z"),
    rec(1, "ListBuckets", "bob", "2024-05-02T10:00:00Z"),
    rec(2, "PutObject", "carol\u202eevil", "2024-05-03T10:00:00Z"),
    rec(3, "ListBuckets", "bob", "2024-05-04T10:00:00Z"),
    rec(4, "ListBuckets", "bob", "2024-05-05T10:00:00Z",
        resources=[{"ARN": long_res, "type": "AWS::S3::Bucket"}]),
    rec(5, "GetObject", "dave", "2024-05-06T10:00:00Z", userAgent="a" * 40 + "b"),
]
notime = rec(6, "HeadBucket", "erin", "")
del notime["eventTime"]
recs.append(notime)
s = json.dumps({"Records": recs}).encode()
s = s.replace(b"bucket-2", b"bucket-\xff\xfe2").replace(b'"bob"', b'"bob\xffx"', 1)
open(d + "/ct.json", "wb").write(s)
# the CloudTrail console's CSV download, a cell holding an ESC
open(d + "/events.csv", "wb").write(
    b"Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,"
    b"AWS region,Error code,Source IP address,Event source,Read-only\n"
    b"csv-esc-1,2024-05-07T10:00:00Z,mallory\x1b]0;pwned\x07,CreateUser,,,,us-east-1,,"
    b"198.51.100.20,iam.amazonaws.com,false\n")
# a file whose name holds an ESC (custody prints the source path)
open(d + "/esc\x1b[31mname.json", "wb").write(json.dumps({"Records": [
    rec(7, "GetBucketAcl", "frank", "2024-05-08T10:00:00Z")]}).encode())
PY
k ingest "$D" >"$T/ing" 2>&1
n=$(k query --format csv 'stats count() as n' 2>/dev/null | tail -n 1)
[ "$n" = 9 ] && ok "output_ingest ($n events)" || fail output_ingest "n=$n $(cat "$T/ing")"

# clean FILE: no ESC/C0 other than \n \t, no DEL, no C1, no bidi control, valid UTF-8
clean() {
  python3 - "$1" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
try:
    s = b.decode("utf-8")
except UnicodeDecodeError as e:
    print("invalid UTF-8 at", e.start, b[max(0, e.start - 20):e.start + 5]); sys.exit(1)
m = re.search("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]", s)
if m:
    print("raw control U+%04X at %d: %r" % (ord(m.group()), m.start(), s[max(0, m.start() - 20):m.start() + 5])); sys.exit(1)
PY
}
ID=$(k query --format csv 'filter event_id = "out-0" | fields event_id' | tail -n 1)
k hunt >/dev/null 2>&1
for c in "stats" "events" "events --limit 3" "query" "timeline" "timeline --actor bob" \
         "entity 203.0.113.1" "entity alice" "show out-0" "show out-2" "show csv-esc-1" "custody" \
         "verify" "identities" "findings" "incidents"; do
  # shellcheck disable=SC2086
  set -- $c
  if [ "$1" = query ]; then
    COLUMNS=40 k query 'fields actor.name, action, user_agent, requestParameters.bucketName' >"$T/o" 2>"$T/e"
  else
    COLUMNS=40 k "$@" >"$T/o" 2>"$T/e"
  fi
  why=$(clean "$T/o")
  [ -z "$why" ] && [ -s "$T/o" ] && ok "escaped: $c" || fail "escaped: $c" "$why $(head -c 300 "$T/e")"
done
# what the escapes look like, and the bytes data formats keep
k query 'fields actor.name, action, requestParameters.bucketName' >"$T/q" 2>&1
grep -q 'alice\\u009b31m' "$T/q" && grep -q 'Get\\x1b\[31mObject' "$T/q" && grep -q 'carol\\u202eevil' "$T/q" \
  && grep -q 'bucket-\\xff\\xfe2' "$T/q" && grep -q 'bob\\xffx' "$T/q" \
  && ok escapes_visible || fail escapes_visible "$(cat "$T/q")"
k show csv-esc-1 >"$T/o" 2>&1
grep -q '^csv-esc-1,2024-05-07T10:00:00Z,mallory\\x1b\]0;pwned\\x07,CreateUser' "$T/o" && ok show_csv_raw_escaped || fail show_csv_raw_escaped "$(cat "$T/o")"
# show's normalized fields follow the text rule too (not the JSON form's U+FFFD)
k show out-1 >"$T/o" 2>&1
grep -q '^  actor.name  *bob\\xffx$' "$T/o" && grep -q '"userName": "bob\\xffx"' "$T/o" \
  && ok show_fields_invalid_utf8 || fail show_fields_invalid_utf8 "$(head -12 "$T/o")"
k custody >"$T/o" 2>&1
grep -q 'esc\\x1b\[31mname.json' "$T/o" && ok custody_name_escaped || fail custody_name_escaped "$(head -c 400 "$T/o")"
k query --format jsonl 'filter event_id = "out-2" | fields requestParameters.bucketName' >"$T/j" 2>&1
[ "$(jq -r '."requestParameters.bucketName"' "$T/j")" = "bucket-$(printf '\357\277\275\357\277\275')2" ] \
  && ok json_invalid_utf8_is_fffd || fail json_invalid_utf8_is_fffd "$(cat "$T/j")"
k query --format csv 'filter event_id = "out-2" | fields requestParameters.bucketName' | tail -n 1 >"$T/c"
printf 'bucket-\377\3762\n' | cmp -s - "$T/c" && ok csv_keeps_bytes || fail csv_keeps_bytes "$(od -c "$T/c" | head -3)"
k events --format csv --limit 1 >/dev/null 2>&1
k query --format csv 'filter event_id = "out-0" | fields action' | tail -n 1 >"$T/c"
printf '"Get\033[31mObject"\n' | cmp -s - "$T/c" && ok csv_control_quoted || fail csv_control_quoted "$(od -c "$T/c" | head -3)"

# never cut through a pipe, whatever $COLUMNS says
COLUMNS=60 k query 'fields event_id, user_agent' >"$T/q" 2>&1
grep -q 'END-OF-UA' "$T/q" && ! grep -q '…' "$T/q" && ! grep -q 'cut to fit' "$T/q" \
  && ok query_pipe_not_cut || fail query_pipe_not_cut "$(head -c 300 "$T/q")"
COLUMNS=60 k timeline --actor bob >"$T/tl" 2>/dev/null
grep -q 'TAIL-OF-RESOURCE' "$T/tl" && ! grep -q '~$' "$T/tl" && ok timeline_pipe_not_cut \
  || fail timeline_pipe_not_cut "$(cat "$T/tl")"
COLUMNS=60 k events >"$T/ev" 2>&1
grep -q 'bob\\xffx' "$T/ev" && ! grep -q '~ ' "$T/ev" && ok events_pipe_not_cut || fail events_pipe_not_cut "$(head -5 "$T/ev")"

# on a terminal: cut to its width, and said once
pty() { # COLS CMD...: CMD's output on a COLS-wide pseudo-terminal (CR removed)
  python3 - "$@" <<'PY'
import fcntl, os, pty, struct, sys, termios
cols = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    os.environ.pop("COLUMNS", None)
    os.execvp(sys.argv[2], sys.argv[2:])
out = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.buffer.write(out.replace(b"\r\n", b"\n"))
PY
}
pty 80 "$KUMO" --store "$S" query 'fields event_id, user_agent' >"$T/pq"
python3 - "$T/pq" <<'PY' && ok query_tty_cut || fail query_tty_cut "$(cat "$T/pq")"
import sys
ls = open(sys.argv[1], encoding="utf-8").read().splitlines()
table = [l for l in ls if not l.startswith("(")]
notes = [l for l in ls if "cut to fit the terminal" in l]
ok = (len(table) >= 9 and max(len(l) for l in table) <= 80 and any(l.endswith("\u2026") for l in table)
      and len(notes) == 1 and "--format jsonl" in notes[0] and not any("END-OF-UA" in l for l in ls))
sys.exit(0 if ok else 1)
PY
pty 80 "$KUMO" --store "$S" timeline --actor bob >"$T/ptl"
grep -q '~$' "$T/ptl" && grep -q 'cut to fit the terminal' "$T/ptl" && ! grep -q 'TAIL-OF-RESOURCE' "$T/ptl" \
  && ok timeline_tty_cut || fail timeline_tty_cut "$(cat "$T/ptl")"
pty 200 "$KUMO" --store "$S" query 'fields event_id | limit 2' >"$T/pq"
! grep -q 'cut to fit' "$T/pq" && grep -q 'out-0' "$T/pq" && ok tty_no_note_when_nothing_cut \
  || fail tty_no_note_when_nothing_cut "$(cat "$T/pq")"

# a regex that hits PCRE2's match limit is an error naming it
k query 'filter user_agent =~ /^(a+)+$/ | stats count()' >"$T/o" 2>"$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'regular expression /^(a+)+\$/ could not be matched' "$T/e" \
  && grep -q 'match limit' "$T/e" && ! grep -q '^0' "$T/o" && ok regex_limit_error \
  || fail regex_limit_error "rc=$rc $(cat "$T/o" "$T/e")"
k query 'parse user_agent /^(?<x>(a|aa)+)+$/ | fields x' >"$T/o" 2>"$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'match limit' "$T/e" && ok regex_limit_parse || fail regex_limit_parse "rc=$rc $(cat "$T/e")"
k query 'filter user_agent =~ /^a+b$/ | stats count() as n' --format csv >"$T/o" 2>"$T/e"
[ "$(tail -n 1 "$T/o")" = 1 ] && ok regex_plain_match || fail regex_plain_match "$(cat "$T/o" "$T/e")"

# the raw-path warning: only when the path is absent
k query 'filter requestParameters.bucketName like "zzz" | stats count() by requestParameters.bucketName' >/dev/null 2>"$T/e"
k query 'filter requestParameters.bucketName like "zzz"' >/dev/null 2>>"$T/e"
k query 'filter requestParameters.nope like "zzz" | stats count() by requestParameters.nope' >/dev/null 2>"$T/e2"
[ ! -s "$T/e" ] && grep -q "field 'requestParameters.nope' exists in no event read" "$T/e2" \
  && [ "$(grep -c warning "$T/e2")" -eq 1 ] && ok raw_path_warning_only_when_absent \
  || fail raw_path_warning_only_when_absent "$(cat "$T/e" "$T/e2")"

# query language: now() / ago(), time literals
q1() { k query --format csv "$1" 2>"$T/qe" | tail -n 1; }
[ "$(q1 'filter time >= ago(36500d) and time <= now() | stats count() as n')" = 9 ] \
  && [ "$(q1 'filter time > now() | stats count() as n')" = 0 ] && ok now_ago || fail now_ago "$(cat "$T/qe")"
# 1714816800 = 2024-05-04T10:00:00Z: epoch seconds, not µs
[ "$(q1 'filter time >= 1714816800 | stats count() as n')" = 5 ] \
  && [ "$(q1 'filter time >= 1714816800.5 | stats count() as n')" = 4 ] \
  && [ "$(q1 'filter 1714816800 <= time | stats count() as n')" = 5 ] \
  && [ "$(q1 'filter time >= "2024-05-04" | stats count() as n')" = 5 ] \
  && ok time_epoch_seconds_and_dates || fail time_epoch_seconds_and_dates "$(cat "$T/qe")"
k query 'filter time >= "garbage"' >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q 'not a time' "$T/e" && grep -q '^                 \^' "$T/e" \
  && ok time_garbage_error || fail time_garbage_error "rc=$rc $(cat "$T/e")"
# sort by an unaliased aggregate
k query --format csv 'stats count() by actor.name | sort count() desc | limit 1' >"$T/o" 2>"$T/e"
k query --format csv 'stats count() by actor.name | sort count() asc | limit 1' >"$T/o2" 2>>"$T/e"
[ "$(tail -n 1 "$T/o")" = 'bob,2' ] && [ "$(tail -n 1 "$T/o2" | cut -d, -f2)" = 1 ] \
  && ok sort_unaliased_aggregate || fail sort_unaliased_aggregate "$(cat "$T/o" "$T/e")"
# flags
[ "$(k query --format csv 'filter flags like "time_missing" | fields event_id' | tail -n 1)" = out-6 ] \
  && [ "$(q1 'filter ispresent(flags) | stats count() as n')" = 1 ] && ok flags_queryable || fail flags_queryable
# near-miss names are errors; backticks keep a record path
k query 'filter Actor.Name = "bob"' >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "unknown field 'Actor.Name'" "$T/e" && grep -q 'did you mean actor.name' "$T/e" \
  && ok field_case_error || fail field_case_error "rc=$rc $(cat "$T/e")"
k query 'filter actor.nmae = "bob"' >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q 'did you mean actor.name' "$T/e" && ok field_typo_error || fail field_typo_error "rc=$rc $(cat "$T/e")"
k query 'filter `Actor`.Name = "bob" | stats count()' >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 0 ] && ok field_backticks_raw || fail field_backticks_raw "rc=$rc $(cat "$T/e")"
[ "$(q1 'filter userAgent like "END-OF-UA" | stats count() as n')" = 7 ] \
  && ok raw_camelcase_path_still_works || fail raw_camelcase_path_still_works "$(cat "$T/qe")"
finish
