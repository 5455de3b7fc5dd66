#!/bin/sh
# hostile.sh — hostile input through the real CLI. Each case runs one
# `kumo ingest BAD GOOD` into a fresh store and requires: kumo exits 0 or 1
# (never a signal, a hang or a sanitizer report), its message names the bad
# file and, where it applies, the offset/line and the reason, and the good
# file given in the same command is still ingested (`stats --json` .events).
# Cases: 100k '[' nesting, a 200 MB string (refused by the record limit with
# peak RSS under 400 MB), --max-record 1K, a zip bomb (member expands
# 1000x+, zip built here from gzip's own deflate stream), a tar.gz holding a
# gzip bomb, a truncated .json.gz, binary garbage, a gzip header followed by
# garbage, an empty file, an empty directory, an unreadable file (run as
# nobody when root), symlinks (never followed), FIFOs (never opened: no hang), and
# `events` queries that match nothing.
. "$(dirname "$0")/lib.sh"

rec() { # rec ID ACTION [PAD]: one CloudTrail record on one line
  printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"},"eventTime":"2026-10-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.0","requestParameters":{"pad":"%s"},"responseElements":null,"requestID":"req-%s","eventID":"%s","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012"}\n' \
    "$2" "${3:-}" "$1" "$1"
}
I="$T/in"
mkdir -p "$I"
rec 0bad0000-0000-4000-8000-000000000001 GoodOne > "$I/good.json"

# hk NAME ARGS...: `kumo ingest ARGS` into the fresh store $T/s-NAME; output
# in $T/NAME.out, exit status in $T/NAME.rc (timeout 10: a hang is a failure)
hk() {
  n=$1; shift
  timeout 10 "$KUMO" --store "$T/s-$n" ingest "$@" > "$T/$n.out" 2>&1
  echo $? > "$T/$n.rc"
}
# verdict NAME WANT_RC WANT_EVENTS REGEX...: exit status, no sanitizer report,
# every REGEX (grep -E) found in the output, and the store's event count
verdict() {
  n=$1; want_rc=$2; want_ev=$3; shift 3
  rc=$(cat "$T/$n.rc"); why=""
  [ "$rc" = "$want_rc" ] || why="exit $rc, want $want_rc"
  if grep -q 'Sanitizer\|runtime error' "$T/$n.out"; then why="$why; sanitizer report"; fi
  for re in "$@"; do
    grep -Eq -- "$re" "$T/$n.out" || why="$why; no /$re/"
  done
  ev=$("$KUMO" --store "$T/s-$n" stats --json 2>>"$T/$n.out" | jq .events)
  [ "$ev" = "$want_ev" ] || why="$why; events=$ev, want $want_ev"
  if [ -z "$why" ]; then ok "$n"; else fail "$n" "$why: $(head -c 1500 "$T/$n.out")"; fi
}

# 1. 100,000 nested '[': refused at the depth limit, with an offset
head -c 100000 /dev/zero | tr '\0' '[' > "$I/deep.json"
hk hostile_deep_nesting "$I/deep.json" "$I/good.json"
verdict hostile_deep_nesting 1 1 'deep\.json: offset [0-9]+.*(nesting|depth)'

# 2. one 200 MB string: refused by the record limit, memory stays bounded
{ printf '{"eventVersion":"1.08","eventName":"'; head -c 200000000 /dev/zero | tr '\0' 'a'; printf '"}\n'; } \
  > "$I/huge.json"
if [ -x /usr/bin/time ]; then
  timeout 30 /usr/bin/time -f %M -o "$T/rss" "$KUMO" --store "$T/s-hostile_200mb_string" ingest \
    "$I/huge.json" "$I/good.json" > "$T/hostile_200mb_string.out" 2>&1
  echo $? > "$T/hostile_200mb_string.rc"
  rss=$(tail -n 1 "$T/rss")
  [ "$rss" -lt 400000 ] 2>/dev/null && ok "hostile_200mb_string_rss (${rss} KB)" \
    || fail hostile_200mb_string_rss "peak RSS ${rss} KB, want < 400000"
else
  hk hostile_200mb_string "$I/huge.json" "$I/good.json"
  fail hostile_200mb_string_rss "no /usr/bin/time: scripts/setup-deps.sh installs it (package time)"
fi
verdict hostile_200mb_string 1 1 'huge\.json: offset 0 \(line 1\).*(limit|max_record)'
rm -f "$I/huge.json"

# 3. --max-record 1K: the 3 KB record on line 2 is refused, its neighbours kept
{ rec 0bad0000-0000-4000-8000-000000000031 Small; \
  rec 0bad0000-0000-4000-8000-000000000032 Big "$(head -c 3000 /dev/zero | tr '\0' b)"; \
  rec 0bad0000-0000-4000-8000-000000000033 Small; } > "$I/mixed.jsonl"
hk hostile_max_record_1k --max-record 1K "$I/mixed.jsonl" "$I/good.json"
verdict hostile_max_record_1k 1 3 'mixed\.jsonl: offset [0-9]+ \(line 2\).*1024'

# 4. a zip bomb: one member of 300 MB of zeros in 291 KB (1030:1), then a good
# member. Built from gzip's raw deflate stream: gzip's trailer holds the CRC-32
# and size little-endian, exactly as zip wants them.
le16() { printf "$(printf '\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $(($1 >> 16 & 65535)); }
head -c 300000000 /dev/zero | gzip -9 -n > "$T/zeros.gz"
zsize=$(wc -c < "$T/zeros.gz")
{ # local header (stored sizes, no data descriptor), deflate data, central directory, end
  name=AWSLogs/bomb.json; clen=$((zsize - 18))
  printf 'PK\003\004\024\000\000\000\010\000\000\000\041\000'
  tail -c 8 "$T/zeros.gz" | head -c 4; le32 $clen; tail -c 4 "$T/zeros.gz"
  le16 ${#name}; le16 0; printf '%s' "$name"
  tail -c +11 "$T/zeros.gz" | head -c $clen
  cd_off=$((30 + ${#name} + clen))
  printf 'PK\001\002\024\000\024\000\000\000\010\000\000\000\041\000'
  tail -c 8 "$T/zeros.gz" | head -c 4; le32 $clen; tail -c 4 "$T/zeros.gz"
  le16 ${#name}; le16 0; le16 0; le16 0; le16 0; le32 0; le32 0; printf '%s' "$name"
  printf 'PK\005\006\000\000\000\000\001\000\001\000'; le32 $((46 + ${#name})); le32 $cd_off; le16 0
} > "$I/bomb.zip"
hk hostile_zip_bomb "$I/bomb.zip" "$I/good.json"
verdict hostile_zip_bomb 1 1 "bomb\.zip.*bomb refused.*AWSLogs/bomb\.json"

# 5. a tar.gz whose member is a gzip bomb
mkdir -p "$T/tb/logs"
cp "$T/zeros.gz" "$T/tb/logs/bomb.json.gz"
(cd "$T/tb" && tar czf "$I/bomb.tar.gz" logs)
hk hostile_tar_gz_gzip_bomb "$I/bomb.tar.gz" "$I/good.json"
verdict hostile_tar_gz_gzip_bomb 1 1 "bomb\.tar\.gz.*gzip bomb refused.*logs/bomb\.json\.gz"
rm -rf "$T/tb" "$T/zeros.gz"

# 6. a .json.gz cut in half: the records before the cut are kept
i=1
while [ $i -le 1000 ]; do rec "0bad0001-0000-4000-8000-$(printf %012d $i)" Listed; i=$((i + 1)); done \
  | gzip -n > "$T/full.json.gz"
head -c $(($(wc -c < "$T/full.json.gz") / 2)) "$T/full.json.gz" > "$I/cut.json.gz"
hk hostile_truncated_gzip "$I/cut.json.gz" "$I/good.json"
n=$("$KUMO" --store "$T/s-hostile_truncated_gzip" events --action Listed --format jsonl | wc -l)
g=$("$KUMO" --store "$T/s-hostile_truncated_gzip" events --action GoodOne --format jsonl | wc -l)
[ "$n" -gt 100 ] && [ "$n" -lt 1000 ] && [ "$g" = 1 ] && ok "hostile_truncated_gzip_prefix_kept ($n of 1000)" \
  || fail hostile_truncated_gzip_prefix_kept "kept $n of 1000, good $g"
verdict hostile_truncated_gzip 1 $((n + 1)) \
  'cut\.json\.gz: offset [0-9]+: truncated gzip' 'cut\.json\.gz: offset [0-9]+ \(line [0-9]+\): unterminated'

# 7. binary garbage (an ELF file), and a gzip header followed by garbage
head -c 65536 "$KUMO" > "$I/garbage.bin"
hk hostile_binary_garbage "$I/garbage.bin" "$I/good.json"
verdict hostile_binary_garbage 1 1 'garbage\.bin: offset 0 \(line 1\): not JSON'
{ printf '\037\213\010\000\000\000\000\000\000\003'; head -c 4096 "$KUMO"; } > "$I/fake.json.gz"
hk hostile_gzip_garbage "$I/fake.json.gz" "$I/good.json"
verdict hostile_gzip_garbage 1 1 'fake\.json\.gz: offset [0-9]+: .*gzip'

# 8. an empty file and an empty directory: nothing to ingest, nothing wrong
: > "$I/empty.json"
mkdir -p "$T/emptydir"
hk hostile_empty_file "$I/empty.json" "$T/emptydir" "$I/good.json" --json
verdict hostile_empty_file 0 1 '"files":2,' '"records_rejected":0'

# 9. an unreadable file. root reads anything, so as root (as CI runs) kumo is
# run as the unprivileged user nobody through setpriv, from a copy of the
# binary that nobody can reach, on a store directory nobody may write.
cp "$I/good.json" "$I/locked.json"; chmod 000 "$I/locked.json"
if [ "$(id -u)" -ne 0 ]; then
  hk hostile_unreadable "$I/locked.json" "$I/good.json"
  verdict hostile_unreadable 1 1 'locked\.json.*(ermission|cannot open)'
elif command -v setpriv >/dev/null 2>&1; then
  U="$T/unpriv"; mkdir -p "$U/bin" "$U/in"
  cp "$KUMO" "$U/bin/kumo"; cp "$I/good.json" "$U/in/good.json"
  cp "$I/locked.json" "$U/in/locked.json"; chmod 000 "$U/in/locked.json"
  chmod 755 "$T" "$U" "$U/bin" "$U/in"; chmod 644 "$U/in/good.json"
  mkdir -p "$T/s-hostile_unreadable"; chmod 777 "$T/s-hostile_unreadable"
  (cd "$U" && timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
     "$U/bin/kumo" --store "$T/s-hostile_unreadable" ingest "$U/in/locked.json" "$U/in/good.json") \
     > "$T/hostile_unreadable.out" 2>&1
  echo $? > "$T/hostile_unreadable.rc"
  verdict hostile_unreadable 1 1 'locked\.json.*(ermission|cannot open)'
  chmod 700 "$T"
else
  fail hostile_unreadable "running as root and setpriv (util-linux) is missing: cannot test"
fi
chmod 600 "$I/locked.json"

# 10. symlinks, as a PATH and inside a directory, to a file and a directory:
# none is followed (other.json's event must not arrive)
mkdir -p "$T/real" "$T/d"
rec 0bad0000-0000-4000-8000-000000000101 ViaLink > "$T/real/other.json"
ln -s "$T/real/other.json" "$I/link.json"
ln -s "$T/real/other.json" "$T/d/link.json"
ln -s "$T/real" "$T/d/linkdir"
hk hostile_symlink "$I/link.json" "$T/d" "$I/good.json"
verdict hostile_symlink 1 1 'link\.json: symlink not followed' 'd/link\.json: symlink not followed' \
  'linkdir: symlink not followed'

# 11. FIFOs, as a PATH and inside a directory: reported, never opened
mkfifo "$I/pipe.json" "$T/d/pipe2.json" 2>/dev/null
hk hostile_fifo "$I/pipe.json" "$T/d" "$I/good.json"
verdict hostile_fifo 1 1 'pipe\.json: not a regular file' 'pipe2\.json: not a regular file'

# 12. queries that match nothing, on a store and on an empty one: exit 0,
# headers only, no sanitizer report (an empty result once passed NULL to qsort)
: > "$T/q.out"; qrc=""
for f in table json csv; do
  "$KUMO" --store "$T/s-hostile_fifo" events --action NoSuchAction --format $f >> "$T/q.out" 2>&1
  qrc="$qrc$?"
done
"$KUMO" --store "$T/s-hostile_empty_file" events --since 2031-01-01 >> "$T/q.out" 2>&1; qrc="$qrc$?"
[ "$qrc" = 0000 ] && ! grep -q 'Sanitizer\|runtime error' "$T/q.out" && ok hostile_query_no_match \
  || fail hostile_query_no_match "exit statuses $qrc: $(head -c 1500 "$T/q.out")"

finish
