#!/usr/bin/env bash
# A backup killed half way never counts as a backup and is resumed by the next one. While a slow
# backup (zst level 18 on the command line only, so archive-push stays fast; small manifest-save-threshold so finished files are recorded) runs: a
# second backup fails at once naming the holder of the lock, and info shows it running. Then
#  1. kill -9 the backup parent: pgark info and pgbackrest info list nothing, pgbackrest verify
#     passes, and the next backup resumes the directory, keeping files it checks are intact;
#  2. kill -9 one worker of the next backup: the backup fails at once with an error naming the
#     worker, nothing is listed, and the following backup resumes it and succeeds.
# pgbackrest verify passes on the repository and pgbackrest restores the last backup, whose data
# equals the source. Last, pgBackRest 2.45 itself resumes a backup pgark left unfinished.
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
PORT=$PGARK_TEST_PORT
RPORT=$((PORT + 1))
REPO=$T/repo

{
  printf '[global]\nrepo1-path=%s\ncompress-type=zst\nprocess-max=2\n' "$REPO"
  printf 'repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=resume-secret\nmanifest-save-threshold=1\n'
  printf 'log-path=%s\nlock-path=%s\narchive-timeout=30\nstart-fast=y\nrepo1-retention-full=9\n' "$T/log" "$T/lock"
  printf '\n'; main_stanza
} >"$T/pgark.conf"
chown "$PG_OWNER" "$T/pgark.conf"
run() { as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main "$@"; }
pgbr() { as_pg pgbackrest --config="$T/pgark.conf" --stanza=main "$@"; }
state() { psql_q "$1" "select count(*), sum(abalance), (select sum(bbalance) from pgbench_branches) from pgbench_accounts"; }
# Our own processes only: the copied binary's path is unique to this test directory.
parent_pid() { pgrep -f "^$T/bin/pgark --config=.* backup\$" | head -1; }
worker_pids() { pgrep -f "^$T/bin/pgark --log-level-console=off .* local\$" || true; }
partial() { ls "$REPO/backup/main" | grep -E '^[0-9]{8}-[0-9]{6}F$' | sort | tail -1; }

# start_slow LOG: starts a full backup in the background and waits until it has stored some files
# and saved the manifest with their checksums at least once: the manifest is saved every 1% of the
# bytes, so the lock's progress must have passed 2%. (Files changed in the last two seconds are
# copied last, so the first files stored may be small ones.)
progress() { run info 2>/dev/null | grep -o 'backup/expire running - [0-9.]*%' | grep -o '[0-9.]*%' | tr -d '%'; }
start_slow() {
  run --type=full --log-level-console=detail --compress-level=18 backup >"$1" 2>&1 &
  BG=$!
  local i p
  for i in $(seq 1 300); do
    if [ "$(grep -c 'backup file ' "$1" || true)" -ge 8 ]; then
      p=$(progress || true)
      [ -n "$p" ] && awk -v p="$p" 'BEGIN { exit !(p >= 2) }' && return 0
    fi
    kill -0 $BG 2>/dev/null || { cat "$1"; fail "backup ended before it could be interrupted"; }
    sleep 0.1
  done
  fail "backup stored no files within 30 s"
}
# no_backup_listed: neither tool lists any backup, and pgbackrest verify accepts the repository.
no_backup_listed() {
  local out
  out=$(run info); case "$out" in *"full backup"*) fail "pgark info lists an unfinished backup: $out";; esac
  out=$(pgbr info); case "$out" in *"full backup"*) fail "pgbackrest info lists an unfinished backup: $out";; esac
  pgbr verify >/dev/null || fail "pgbackrest verify failed with an unfinished backup in the repository"
}

pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
pg_start "$T/pg"
as_pg pgbench -q -i -s 3 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1
run stanza-create >/dev/null

step "concurrent backup, then kill -9 the backup parent"
start_slow "$T/b1.log"
expect_exit 50 run --type=full backup
assert_contains "$OUT" "$(parent_pid)"
# The lock file carries the progress; both tools show it.
assert_contains "$(run info)" "backup/expire running - "
assert_contains "$(pgbr info)" "backup/expire running - "
info_line() { "$@" info | grep -o 'backup/expire running - [0-9.]*% complete'; }
pct=$(info_line run); echo "    pgark info: $pct; pgbackrest info: $(info_line pgbr)"
pid=$(parent_pid); kill -9 "$pid"
wait $BG || true
for i in $(seq 1 50); do [ -z "$(worker_pids)" ] && break; sleep 0.1; done
[ -z "$(worker_pids)" ] || fail "workers outlived their killed parent: $(worker_pids)"
label=$(partial)
[ -n "$label" ] && [ -f "$REPO/backup/main/$label/backup.manifest.copy" ] || fail "no unfinished backup left to resume"
[ ! -f "$REPO/backup/main/$label/backup.manifest" ] || fail "a killed backup has a backup.manifest"
no_backup_listed

step "the next backup resumes it; kill -9 one of its workers"
start_slow "$T/b2.log"
assert_contains "$(cat "$T/b2.log")" "resumable backup $label of same type exists"
grep -q 'checksum resumed file' "$T/b2.log" || fail "no file was kept from the interrupted backup: $(head -40 "$T/b2.log")"
worker=$(worker_pids | head -1)
[ -n "$worker" ] || fail "no worker process found"
kill -9 "$worker"
start=$(date +%s)
set +e; wait $BG; rc=$?; set -e
[ $(( $(date +%s) - start )) -le 10 ] || fail "the backup took more than 10 s to notice its dead worker"
assert_eq "$rc" 39 "exit code of a backup whose worker was killed"
grep -q 'ERROR: \[039\]: worker [0-9] .*signal 9' "$T/b2.log" || fail "no clear error about the killed worker: $(tail -5 "$T/b2.log")"
assert_eq "$(partial)" "$label" "the unfinished backup keeps its label"
no_backup_listed

step "the following backup resumes it and succeeds"
as_pg pgbench -n -T 2 -c 2 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1
run --type=full --log-level-console=detail --process-max=3 backup >"$T/b3.log" 2>&1 \
  || { cat "$T/b3.log"; fail "backup after the killed worker failed"; }
assert_contains "$(cat "$T/b3.log")" "resumable backup $label of same type exists"
assert_contains "$(cat "$T/b3.log")" "new backup label = $label"
[ -z "$(find "$REPO/backup/main/$label" -name '*.tmp')" ] || fail "partial writes left in the resumed backup"
assert_contains "$(pgbr info)" "full backup: $label"
pgbr verify >/dev/null || fail "pgbackrest verify failed on the resumed backup"

seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
state "$PORT" >"$T/expected"
new_pg_dir "$T/restore"
pgbr --pg1-path="$T/restore" --type=default restore >/dev/null || fail "pgbackrest restore failed"
start_restored "$T/restore" "$RPORT"
got=$(state "$RPORT")
pg_stop "$T/restore"
assert_eq "$got" "$(cat "$T/expected")" "restored cluster differs from the source"
echo "    restored $label: $got"

step "pgbackrest resumes a backup pgark left unfinished"
start_slow "$T/b4.log"
pid=$(parent_pid); kill -9 "$pid"
wait $BG || true
label=$(partial)
[ ! -f "$REPO/backup/main/$label/backup.manifest" ] || fail "a killed backup has a backup.manifest"
# Our archive_command is not pgbackrest's, so its archive check would refuse the cluster (spec §14.7).
pgbr --type=full --no-archive-check --log-level-console=detail backup >"$T/b5.log" 2>&1 \
  || { tail -20 "$T/b5.log"; fail "pgbackrest could not back up after pgark's unfinished backup"; }
assert_contains "$(cat "$T/b5.log")" "checksum resumed file"
assert_contains "$(pgbr info)" "full backup: $label"
pgbr verify >/dev/null || fail "pgbackrest verify failed on the backup it resumed from pgark"
echo "PASS: $TEST_NAME"
