#!/bin/sh
# readonly.sh — every reading command works on a read-only store and prints
# what it prints on the writable original; writing commands fail naming the
# real cause. Root ignores file modes, so as root (CI) the commands run as
# user nobody (setpriv) on a `chmod -R a-w` copy, and, when the kernel lets
# us (unshare -m), also as root on a read-only bind mount.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/bad"
printf '{"Records":[{"eventVersion":"1.08","eventTime":"2024-07-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","eventID":"stop-1","recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a","accountId":"111122223333"}}, 42]}\n' > "$T/bad/ct.json"
"$KUMO" gen --events 2000 --seed 3 --out "$T/gen" > /dev/null 2>&1 || fail ro_gen
S=$T/S
"$KUMO" --store "$S" ingest "$T/gen" "$T/bad" > /dev/null 2>&1
[ $? -le 1 ] || fail ro_ingest
"$KUMO" --store "$S" hunt > /dev/null 2>&1 || fail ro_hunt
FID=$("$KUMO" --store "$S" findings --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
IID=$("$KUMO" --store "$S" incidents --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ -n "$FID" ] && [ -n "$IID" ] || fail ro_ids "finding '$FID' incident '$IID'"

# the reading commands (one per line; the store is passed by --store)
cat > "$T/cmds" <<EOF
stats
show stop-1
show --json stop-1
events --limit 50
events --format jsonl --limit 50
timeline --actor a
entity 203.0.113.7
query 'filter action = "StopLogging" | stats count() by account'
verify
verify --json
custody
custody --json
export --format jsonl --limit 20
findings
findings --json
finding $FID
incidents
incident $IID
identities
geo lookup 203.0.113.7
hunt --no-save
EOF
if "$KUMO" help 2>&1 | grep -q '^  rejects'; then echo "rejects" >> "$T/cmds"; fi

# hunt --no-save prints timings and runs detections in parallel: timings
# and line order may differ
norm() { sed -e 's/[0-9][0-9]*\.[0-9][0-9]* s\b/N s/g' -e 's#\[ *[0-9]*/[0-9]*\]#[n]#' | sort; }

# expected output from the writable store
i=0
while IFS= read -r c; do
  i=$((i + 1))
  eval "set -- $c"
  "$KUMO" --store "$S" "$@" 2>&1 | norm > "$T/want.$i"
  "$KUMO" --store "$S" "$@" > /dev/null 2>&1; echo $? > "$T/wantrc.$i"
done < "$T/cmds"

# run_all NAME DIR RUNNER...: every command on DIR, compared with the original
run_all() {
  name=$1 dir=$2; shift 2
  runner=$*
  i=0 bad=0
  while IFS= read -r c; do
    i=$((i + 1))
    eval "set -- $runner $c"
    "$@" > "$T/got.$i" 2>&1; rc=$?
    # the store's path appears in some outputs: compare with it mapped back
    sed "s#$dir#$S#g" "$T/got.$i" | norm > "$T/got2.$i"
    if [ "$rc" != "$(cat "$T/wantrc.$i")" ] || ! cmp -s "$T/want.$i" "$T/got2.$i"; then
      fail "${name}_$(echo "$c" | cut -d' ' -f1-2 | tr -c 'a-z0-9\n' _)" "rc=$rc: $(diff "$T/want.$i" "$T/got2.$i" | head -5)"
      bad=1
    fi
  done < "$T/cmds"
  [ $bad -eq 0 ] && ok "${name}_all_reading_commands ($i)"
}

# a copy with every write bit cleared
R=$T/ro
cp -a "$S" "$R"
chmod -R a-w "$R"
snap() { find "$1" -exec stat -c '%n %s %Y %a' {} + | sort; }
snap "$R" > "$T/snap.before"
if [ "$(id -u)" -eq 0 ]; then
  # nobody must reach the binary and the store
  chmod 755 "$T"
  cp "$KUMO" "$T/kumo-bin"
  chmod 755 "$T/kumo-bin"
  AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
  KB=$T/kumo-bin
  $AS "$KB" --store "$R" stats > /dev/null 2>&1 || true
  if $AS sh -c "touch '$R/x'" 2>/dev/null; then
    fail ro_nobody_cannot_write "user nobody could write the read-only copy: the test would prove nothing"
  fi
else
  AS=
  KB=$KUMO
fi
run_all ro_chmod "$R" $AS "$KB" --store "$R"

# writing commands name the real cause
out=$($AS "$KB" --store "$R" ingest "$T/bad" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "cannot lock $R/LOCK: Permission denied (read-only store?" \
  && ! echo "$out" | grep -q 'another kumo process' \
  && ok ro_ingest_says_permission || fail ro_ingest_says_permission "rc=$rc: $out"
out=$($AS "$KB" --store "$R" hunt 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q 'cannot lock' && echo "$out" | grep -q -- '--no-save' \
  && ok ro_hunt_refuses_clearly || fail ro_hunt_refuses_clearly "rc=$rc: $out"
snap "$R" > "$T/snap.after"
cmp -s "$T/snap.before" "$T/snap.after" && ok ro_nothing_written \
  || fail ro_nothing_written "$(diff "$T/snap.before" "$T/snap.after" | head -5)"

# a live lock is still reported as one
if command -v flock > /dev/null 2>&1; then
  W=$T/w; cp -a "$S" "$W"
  out=$(flock "$W/LOCK" "$KUMO" --store "$W" ingest "$T/bad" 2>&1)
  echo "$out" | grep -q 'another kumo process' && ok ro_real_lock_still_named \
    || fail ro_real_lock_still_named "$out"
fi

# as root: a read-only bind mount (EROFS), when this kernel/container
# allows it; each command runs in its own mount namespace
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  M=$T/mnt; mkdir -p "$M"
  cat > "$T/inmnt" <<'EOF'
#!/bin/sh
# inmnt SRC DST CMD...: runs CMD with SRC bind-mounted read-only on DST
src=$1 dst=$2; shift 2
exec unshare -m sh -c 'mount --bind "$0" "$1" && mount -o remount,bind,ro "$1" || exit 77
touch "$1/.w" 2>/dev/null && exit 78
shift; exec "$@"' "$src" "$dst" "$@"
EOF
  sh "$T/inmnt" "$R" "$M" true > /dev/null 2>&1; mrc=$?
  if [ $mrc -eq 0 ]; then
    run_all ro_mount "$M" sh "$T/inmnt" "$R" "$M" "$KUMO" --store "$M"
    out=$(sh "$T/inmnt" "$R" "$M" "$KUMO" --store "$M" ingest "$T/bad" 2>&1)
    echo "$out" | grep -q "cannot lock $M/LOCK: Read-only file system (read-only store?" \
      && ok ro_mount_ingest_says_erofs || fail ro_mount_ingest_says_erofs "$out"
  elif [ $mrc -eq 78 ]; then
    fail ro_mount "the read-only mount was writable"
  else
    echo "# skip ro_mount: bind mounts not permitted here ($mrc)"
  fi
else
  echo "# skip ro_mount: not root or unshare not permitted"
fi

finish
