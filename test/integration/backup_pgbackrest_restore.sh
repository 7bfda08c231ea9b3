#!/usr/bin/env bash
# A pgark backup is a pgBackRest backup: full, then diff, then incr while pgbench writes, for each
# compression type plain and two of them encrypted, and with process-max 3 + repo-bundle (tiny
# bundles, so there are many) for lz4 plain and zst encrypted, and process-max 2 + repo-hardlink
# for gz. On a machine with 2 or more cores, a file of 8 MiB and more (here pgbench_accounts,
# about 26 MiB) is compressed in 4 MiB chunks on two threads, one frame each (compress/chunked.h);
# unencrypted, the chunked filter also takes both SHA-1s (the file's and the stored bytes'), which
# pgbackrest verify and restore check. The lz4 and zst cells check the frames, and the
# encrypted zst one is restored by pgark as well. The real pgbackrest 2.45 lists and verifies
# pgark's repository, restores the newest backup (following its references to the diff and the
# full), PostgreSQL starts on it and replays pgark's archive, and the data equals the source.
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
PORT=$PGARK_TEST_PORT
RPORT=$((PORT + 1))

write_conf() { # write_conf REPO COMPRESS CIPHER(y/n) [EXTRA global option lines...]
  {
    printf '[global]\nrepo1-path=%s\ncompress-type=%s\nlog-path=%s\nlock-path=%s\narchive-timeout=30\nstart-fast=y\n' "$1" "$2" "$T/log" "$T/lock"
    if [ "$3" = y ]; then printf 'repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=backup-secret\n'; fi
    local line; for line in "${@:4}"; do printf '%s\n' "$line"; done
    printf '\n'; main_stanza
  } >"$T/pgark.conf"
  chown "$PG_OWNER" "$T/pgark.conf"
}
run() { as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main "$@"; }
pgbr() { as_pg pgbackrest --config="$T/pgark.conf" --stanza=main "$@"; }
# restore_check RUNNER NAME: restores the newest backup with RUNNER (pgbr or run) into $T/restore,
# replays to the end of the archive and compares the data with $T/expected; leaves it in $got.
restore_check() {
  new_pg_dir "$T/restore"
  "$1" --pg1-path="$T/restore" --type=default restore >/dev/null || fail "$2 restore failed"
  start_restored "$T/restore" "$RPORT"
  got=$(state "$RPORT")
  pg_stop "$T/restore"
  assert_eq "$got" "$(cat "$T/expected")" "cluster restored by $2 differs from the source"
}
# frames FILE MAGIC: how many times the frame magic (as a grep -P pattern) occurs in FILE.
frames() { LC_ALL=C grep -obUaP "$2" "$1" | wc -l; }
state() { psql_q "$1" "select count(*), sum(abalance), (select count(*) from pgbench_history), (select sum(bbalance) from pgbench_branches) from pgbench_accounts"; }

write_conf "$T/repo" lz4 n
pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
pg_start "$T/pg"
as_pg pgbench -q -i -s 2 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1

# Keep the matrix affordable: every codec plain, two of them encrypted, parallel variants of two.
PAR="process-max=3 repo1-bundle=y repo1-bundle-size=1MiB repo1-bundle-limit=64KiB"
cells=("lz4 n" "zst n" "gz n process-max=2 repo1-hardlink=y" "none n" "zst y" "gz y" "lz4 n $PAR" "zst y $PAR")
for cell in "${cells[@]}"; do
  read -r compress cipher extra <<<"$cell"
  step "compress=$compress encrypted=$cipher $extra"
  repo="$T/repo-$compress-$cipher-${extra:+par}"
  # shellcheck disable=SC2086 # one option per word
  write_conf "$repo" "$compress" "$cipher" $extra
  run stanza-create >/dev/null
  labels=()
  for type in full diff incr; do
    as_pg pgbench -n -T 3 -c 2 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1 &
    load=$!
    run --type=$type --log-level-console=warn backup
    wait $load
    label=$(ls "$repo/backup/main" | grep -E '^[0-9]{8}-[0-9]{6}F' | sort | tail -1)
    case "$type:$label" in full:*F|diff:*D|incr:*I) ;; *) fail "label $label is not a $type backup";; esac
    labels+=("$label")
  done
  seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
  state "$PORT" >"$T/expected"
  out=$(pgbr info)
  assert_contains "$out" "incr backup: ${labels[2]}"
  assert_contains "$out" "diff backup: ${labels[1]}"
  pgbr verify >/dev/null || fail "pgbackrest verify failed on pgark's repository"
  restore_check pgbr pgbackrest
  echo "    restored ${labels[2]}: $got"
  # The chunked path: with two cores the largest relation file is split into frames (checked at process-max 1).
  if [ -z "$extra" ] && [ "$(nproc)" -ge 2 ] && [ "$compress" != gz ] && [ "$compress" != none ]; then
    big=$(find "$repo/backup/main/${labels[0]}/pg_data/base" -type f -size +1M -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
    [ -n "$big" ] || fail "no large relation file in the full backup"
    if [ "$cipher" = n ]; then
      case "$compress" in lz4) magic='\x04\x22\x4d\x18';; zst) magic='\x28\xb5\x2f\xfd';; esac
      n=$(frames "$big" "$magic")
      [ "$n" -ge 3 ] || fail "$big holds $n $compress frames: it was not compressed in chunks"
      echo "    $(basename "$big"): $n frames"
    else
      # Encrypted: pgark restores it too (its decoder reads the frames through the cipher).
      restore_check run pgark
      echo "    restored by pgark as well"
    fi
  fi
  case "$extra" in
    *bundle=y*) n=$(ls "$repo/backup/main/${labels[0]}/bundle" | wc -l)
                [ "$n" -gt 1 ] || fail "expected several bundles in the full backup, found $n";;
    *hardlink=y*) [ "$(stat -c %h "$repo/backup/main/${labels[2]}/pg_data/PG_VERSION.gz")" -ge 3 ] \
                    || fail "PG_VERSION.gz of the incr is not hard-linked to the full and diff";;
  esac
done
echo "PASS: $TEST_NAME"
