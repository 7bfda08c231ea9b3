#!/usr/bin/env bash
# Two-way format compatibility of the WAL archive with the real pgBackRest 2.45 binary:
#  1. a stanza pgark created and filled: `pgbackrest info` and `pgbackrest archive-get` work, and
#     pgbackrest's own checksum check accepts pgark's info files (plain and encrypted);
#  2. a stanza pgbackrest created and filled: pgark reads its info files and `pgark archive-get`
#     returns the segments byte for byte;
#  3. zst frames as pgark writes them (with a content checksum and size pgBackRest does not write,
#     several frames per segment) are read by `pgbackrest archive-get` and by the zstd tool; pgark
#     reads them (decoded frame by frame on two threads), pgbackrest's zst frames (streamed), and a
#     segment stored as one 16 MiB frame (too large to decode whole: streamed).
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
PORT=$PGARK_TEST_PORT

write_conf() { # write_conf TOOL(pgark|pgbackrest) CIPHER(y/n)
  cat >"$T/pgark.conf" <<CONF
[global]
repo1-path=$T/repo-$1-$2
compress-type=lz4
$(test_globals)
CONF
  if [ "$2" = y ]; then printf 'repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=interop-secret\n' >>"$T/pgark.conf"; fi
  printf '\n'; main_stanza >>"$T/pgark.conf"
  chown "$PG_OWNER" "$T/pgark.conf"
  # archive_command is switched between the tools through a one-line wrapper script.
  printf '#!/bin/sh\nexec %s --config=%s --stanza=main archive-push "$1"\n' \
    "$([ "$1" = pgark ] && echo "$PGARK" || echo pgbackrest)" "$T/pgark.conf" >"$T/bin/pgark-pgbackrest-push"
  chmod 755 "$T/bin/pgark-pgbackrest-push"
}
pgbr() { as_pg pgbackrest --config="$T/pgark.conf" --stanza=main "$@"; }

write_conf pgark n
pg_init "$T/pg" "$PORT" "$T/bin/pgark-pgbackrest-push %p"
echo "wal_keep_size = 1GB" >>"$T/pg/postgresql.conf"
pg_start "$T/pg"

for cipher in n y; do
  step "pgark writes (encrypted=$cipher), pgbackrest reads"
  write_conf pgark "$cipher"
  pgark_pg --stanza=main stanza-create
  seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
  seg2=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg2"
  out=$(pgbr info)
  assert_contains "$out" "stanza: main"
  assert_contains "$out" "wal archive min/max (15)"
  pgbr archive-get "$seg" "$T/by-pgbackrest"
  cmp -s "$T/by-pgbackrest" "$T/pg/pg_wal/$seg" || fail "pgbackrest archive-get of $seg differs from pg_wal"
  # pgbackrest's check verifies the stanza's info files and archives a segment through pgark.
  pgbr check
  # Both tools agree about what is stored: the same segment through pgark.
  as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get "$seg2" "$T/by-pgark"
  cmp -s "$T/by-pgark" "$T/pg/pg_wal/$seg2" || fail "pgark archive-get of $seg2 differs"

  step "pgbackrest writes (encrypted=$cipher), pgark reads"
  write_conf pgbackrest "$cipher"
  pgbr stanza-create
  seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
  as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get "$seg" "$T/by-pgark"
  cmp -s "$T/by-pgark" "$T/pg/pg_wal/$seg" || fail "pgark archive-get of pgbackrest's $seg differs"
  # pgark validates pgbackrest's info files (stanza-create on an existing valid stanza is a no-op).
  out=$(as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main --log-level-console=info stanza-create 2>&1)
  assert_contains "$out" "already exists"
  pgark_pg --stanza=main check
  # And pgark pushes into pgbackrest's stanza; pgbackrest reads it back.
  write_conf pgbackrest "$cipher"; sed -i "s#exec pgbackrest#exec $PGARK#" "$T/bin/pgark-pgbackrest-push"
  seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
  pgbr archive-get "$seg" "$T/by-pgbackrest"
  cmp -s "$T/by-pgbackrest" "$T/pg/pg_wal/$seg" || fail "pgbackrest archive-get of pgark's $seg differs"
done

step "zst as pgark writes it (with a content checksum): pgbackrest and the zstd tool read it"
write_conf pgark n
sed -i 's#^compress-type=.*#compress-type=zst#; s#repo-pgark-n#repo-pgark-zst#' "$T/pgark.conf"
pgark_pg --stanza=main stanza-create
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
stored=$(find "$T/repo-pgark-zst/archive/main/15-1" -name "$seg-*.zst")
[ -n "$stored" ] || fail "segment $seg was not archived as .zst"
assert_contains "$(zstd -lv "$stored" 2>&1)" "XXH64"
# A 16 MiB segment is compressed in 1 MiB pieces on two threads, one frame each.
assert_contains "$(zstd -lv "$stored" 2>&1)" "# Zstandard Frames: 16"
zstd -dc "$stored" | cmp -s - "$T/pg/pg_wal/$seg" || fail "zstd -d of pgark's $seg differs"
pgbr archive-get "$seg" "$T/by-pgbackrest"
cmp -s "$T/by-pgbackrest" "$T/pg/pg_wal/$seg" || fail "pgbackrest archive-get of pgark's zst $seg differs"
# Every frame records its content size, so zstd -l can total them.
assert_contains "$(zstd -lv "$stored" 2>&1)" "Decompressed Size: 16.0 MiB (16777216 B)"
rm -f "$T/by-pgark"
as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get "$seg" "$T/by-pgark"
cmp -s "$T/by-pgark" "$T/pg/pg_wal/$seg" || fail "pgark archive-get of pgark's zst $seg differs"
# A damaged frame checksum (the file's last byte) is refused, and nothing is written.
cp "$stored" "$T/stored.good"
size=$(stat -c %s "$stored"); byte=$(od -An -tu1 -j $((size - 1)) -N1 "$stored" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 0x55)))" | dd of="$stored" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
cmp -s "$stored" "$T/stored.good" && fail "the stored file was not damaged"
rm -f "$T/by-pgark"
expect_exit 112 as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get "$seg" "$T/by-pgark"
assert_contains "$OUT" "invalid zst compressed data"
assert_contains "$OUT" "$(basename "$stored")"  # the damaged stored file is named
[ ! -e "$T/by-pgark" ] || fail "archive-get wrote a damaged segment"
# The same content as one frame of 16 MiB (with size and checksum): too large to decode whole.
zstd -q -3 -C --content-size -c "$T/pg/pg_wal/$seg" >"$stored"
assert_contains "$(zstd -lv "$stored" 2>&1)" "# Zstandard Frames: 1"
rm -f "$T/by-pgark"
as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get "$seg" "$T/by-pgark"
cmp -s "$T/by-pgark" "$T/pg/pg_wal/$seg" || fail "pgark archive-get of a one-frame zst $seg differs"

step "zst as pgbackrest writes it (no content size or checksum): pgark reads it"
write_conf pgbackrest n
sed -i 's#^compress-type=.*#compress-type=zst#; s#repo-pgbackrest-n#repo-pgbackrest-zst#' "$T/pgark.conf"
pgbr stanza-create
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
stored=$(find "$T/repo-pgbackrest-zst/archive/main/15-1" -name "$seg-*.zst")
[ -n "$stored" ] || fail "pgbackrest did not archive $seg as .zst"
rm -f "$T/by-pgark"
as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get "$seg" "$T/by-pgark"
cmp -s "$T/by-pgark" "$T/pg/pg_wal/$seg" || fail "pgark archive-get of pgbackrest's zst $seg differs"
echo "PASS: $TEST_NAME"
