#!/usr/bin/env bash
# Every bad input to the archive commands gives a clear error, a non-zero exit and an unchanged
# repository: unknown stanza, missing pg1-path, a WAL file from another cluster, a different
# segment pushed twice, a corrupt archive.info (falls back to the copy) and both copies corrupt,
# a wrong cipher passphrase, stop in force, a damaged or misplaced stored segment (lz4, zst), an
# unwritable repository, a full disk.
source "$(dirname "$0")/lib/harness.sh"
PORT=$PGARK_TEST_PORT
REPO=$T/repo

write_conf() { # write_conf [extra global lines...]
  {
    printf '[global]\nrepo1-path=%s\ncompress-type=zst\nlog-path=%s\nlock-path=%s\narchive-timeout=20\n' "$REPO" "$T/log" "$T/lock"
    printf 'repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=right-pass\n'
    for line in "$@"; do printf '%s\n' "$line"; done
    printf '\n'; main_stanza
  } >"$T/pgark.conf"
  chown "$PG_OWNER" "$T/pgark.conf"
}
write_conf
pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
echo "wal_keep_size = 1GB" >>"$T/pg/postgresql.conf"
pg_start "$T/pg"
pgark_pg --stanza=main stanza-create
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
# A segment we own a private copy of, for pushing by hand.
cp "$T/pg/pg_wal/$seg" "$T/seg"; chown "$PG_OWNER" "$T/seg"
push() { as_pg "$PGARK" --config="$T/pgark.conf" "$@"; }

# check_refused CODE TEXT ARGS...: exits CODE, says TEXT, and the repository is unchanged.
check_refused() {
  local code=$1 text=$2; shift 2
  local before; before=$(repo_snapshot "$REPO")
  expect_exit "$code" "$@"
  assert_contains "$OUT" "$text"
  assert_eq "$(repo_snapshot "$REPO")" "$before" "repository changed by: $*"
}

step "unknown stanza: no [nope] section, so no pg1-path"
check_refused 37 "does this stanza exist" push --stanza=nope archive-get "$seg" "$T/got"
step "a configured stanza that was never created"
check_refused 55 "stanza-create" push --stanza=nope --pg1-path="$T/pg" archive-push "$T/seg"

step "missing pg1-path (archive-get, stanza-create, and archive-push of a relative path)"
check_refused 37 "pg1-path" push --stanza=main --reset-pg1-path archive-get "$seg" "$T/got"
check_refused 37 "pg1-path" push --stanza=main --reset-pg1-path stanza-create
check_refused 37 "pg1-path" push --stanza=main --reset-pg1-path archive-push "pg_wal/$seg"

step "a WAL file from another cluster (system id mismatch)"
OTHER_PORT=$((PORT + 1))  # the second cluster, on the next of this test's ports
pg_init "$T/other" "$OTHER_PORT"
pg_start "$T/other"
oseg=$(switch_wal "$OTHER_PORT")
cp "$T/other/pg_wal/$oseg" "$T/foreign/" 2>/dev/null || { mkdir -p "$T/foreign"; cp "$T/other/pg_wal/$oseg" "$T/foreign/"; }
pg_stop "$T/other"
chown -R "$PG_OWNER" "$T/foreign"
# Give it the name of a segment that is not yet in the repository.
mv "$T/foreign/$oseg" "$T/foreign/00000001000000000000007F"
check_refused 44 "system-id" push --stanza=main archive-push "$T/foreign/00000001000000000000007F"

step "the same segment pushed twice is success with a warning; a different one is an error"
cp "$T/seg" "$T/dup/" 2>/dev/null || { mkdir -p "$T/dup"; cp "$T/seg" "$T/dup/$seg"; }
chown -R "$PG_OWNER" "$T/dup"
expect_exit 0 push --stanza=main --log-level-console=warn archive-push "$T/dup/$seg"
assert_contains "$OUT" "already exists"
# archive-check=n leaves archive-mode-check without a value: success, and no warning (as pgBackRest).
expect_exit 0 push --stanza=main --log-level-console=warn --no-archive-check archive-push "$T/dup/$seg"
[ -z "$OUT" ] || fail "archive-push with --no-archive-check printed: $OUT"
printf 'X' | dd of="$T/dup/$seg" bs=1 seek=100000 conv=notrunc 2>/dev/null
check_refused 45 "already exists" push --stanza=main archive-push "$T/dup/$seg"

step "corrupt archive.info falls back to archive.info.copy"
cp "$REPO/archive/main/archive.info" "$T/archive.info.good"
printf 'garbage' | dd of="$REPO/archive/main/archive.info" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_exit 0 push --stanza=main archive-get "$seg" "$T/got"
cmp -s "$T/got" "$T/seg" || fail "archive-get with a corrupt archive.info returned other bytes"
step "both copies corrupt: an error that names both files"
cp "$REPO/archive/main/archive.info.copy" "$T/archive.info.copy.good"
printf 'garbage' | dd of="$REPO/archive/main/archive.info.copy" bs=1 seek=40 conv=notrunc 2>/dev/null
check_refused 28 "archive.info.copy" push --stanza=main archive-push "$T/seg"
assert_contains "$OUT" "archive.info'"
cp "$T/archive.info.good" "$REPO/archive/main/archive.info"
cp "$T/archive.info.copy.good" "$REPO/archive/main/archive.info.copy"
chown "$PG_OWNER" "$REPO/archive/main/archive.info" "$REPO/archive/main/archive.info.copy"

step "wrong cipher passphrase"
write_conf; sed -i 's/right-pass/wrong-pass/' "$T/pgark.conf"
check_refused 28 "cipher" push --stanza=main archive-push "$T/seg"
write_conf

step "stop in force"
push --stanza=main stop
check_refused 62 "stop" push --stanza=main archive-push "$T/seg"
push --stanza=main start
expect_exit 0 push --stanza=main archive-push "$T/seg"

# archive-get verifies lz4 and zst segments by their frame checksums instead of a second SHA-1 pass
# when the segment's header and size say it is the segment asked for; anything else falls back to
# the SHA-1 in the stored name. Real 16 MiB segments, encrypted, for both codecs.
for compress in zst lz4; do
  step "$compress: a damaged stored segment is refused; another segment's intact file under its name too"
  sed -i "s#^compress-type=.*#compress-type=$compress#" "$T/pgark.conf"
  a=$(switch_wal "$PORT"); wait_archived "$PORT" "$a"
  b=$(switch_wal "$PORT"); wait_archived "$PORT" "$b"
  stored_a=$(find "$REPO/archive/main/15-1" -name "$a-*.$compress"); stored_b=$(find "$REPO/archive/main/15-1" -name "$b-*.$compress")
  [ -n "$stored_a" ] && [ -n "$stored_b" ] || fail "segments $a and $b were not archived as .$compress"
  expect_exit 0 push --stanza=main archive-get "$a" "$T/got-a"
  assert_eq "$(sha1sum <"$T/got-a" | cut -d' ' -f1)" "$(basename "$stored_a" | cut -c26-65)" "archive-get of $a"
  cp "$stored_a" "$T/stored-a.good"; cp "$stored_b" "$T/stored-b.good"
  size=$(stat -c %s "$stored_a")
  byte=$(od -An -tu1 -j $((size / 2)) -N1 "$stored_a" | tr -d ' ')
  printf "\\$(printf %03o $((byte ^ 0x55)))" | dd of="$stored_a" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
  cmp -s "$stored_a" "$T/stored-a.good" && fail "the stored file was not damaged"
  check_refused 112 "compressed data" push --stanza=main archive-get "$a" "$T/got-bad"
  [ ! -e "$T/got-bad" ] || fail "archive-get wrote a damaged segment"
  cp "$T/stored-a.good" "$stored_b"
  check_refused 26 "is corrupt" push --stanza=main archive-get "$b" "$T/got-bad"
  [ ! -e "$T/got-bad" ] || fail "archive-get wrote segment $a as $b"
  cp "$T/stored-a.good" "$stored_a"; cp "$T/stored-b.good" "$stored_b"
  expect_exit 0 push --stanza=main archive-get "$b" "$T/got-b"
  assert_eq "$(sha1sum <"$T/got-b" | cut -d' ' -f1)" "$(basename "$stored_b" | cut -c26-65)" "archive-get of $b"
done
sed -i "s#^compress-type=.*#compress-type=zst#" "$T/pgark.conf"

step "an unwritable repository"
chmod 0500 "$REPO/archive/main/15-1"
cp "$T/seg" "$T/dup/000000010000000100000001"; chown "$PG_OWNER" "$T/dup/000000010000000100000001"
check_refused 47 "0000000100000001" push --stanza=main archive-push "$T/dup/000000010000000100000001"
chmod 0750 "$REPO/archive/main/15-1"

step "a full disk"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=2m,mode=0755 tmpfs "$T/small" 2>/dev/null; then
  trap 'umount "$T/small" 2>/dev/null || true; cleanup' EXIT
  chown "$PG_OWNER" "$T/small"
  sed -i "s#^repo1-path=.*#repo1-path=$T/small/repo#; s#compress-type=zst#compress-type=none#" "$T/pgark.conf"
  pgark_pg --stanza=main stanza-create
  REPO=$T/small/repo
  cp "$T/seg" "$T/dup/000000010000000000000070"; chown "$PG_OWNER" "$T/dup/000000010000000000000070"
  check_refused 109 "space" push --stanza=main archive-push "$T/dup/000000010000000000000070"
  [ -z "$(find "$REPO" -name '*.pgbackrest.tmp')" ] || fail "a temp file was left behind on the full disk"
  umount "$T/small"
else
  echo "WARN: cannot mount a tmpfs here; full-disk case covered by the storage unit tests"
fi
echo "PASS: $TEST_NAME"
