#!/usr/bin/env bash
# `pgark info` prints exactly what `pgbackrest info` (2.45) prints, byte for byte and with the same
# exit status, on repositories the real pgbackrest made: one plain and one encrypted repository
# (repo2, aes-256-cbc), WAL pushed by pgbackrest's archive_command, a full and an incr backup in
# repo1 and a full backup in repo2, taken with start-fast and lz4. Compared: text and JSON, with
# and without --stanza/--repo/--set/--type, before any backup (no valid backups), a missing
# stanza, an empty repository, and a backup lock held by another process.
# TZ is pinned: both tools print backup times in local time.
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
pgbackrest version | grep -q '^pgBackRest 2\.45' || skip "pgbackrest is not version 2.45"
export TZ=UTC
PORT=$PGARK_TEST_PORT
CONF=$T/pgbackrest.conf

cat >"$CONF" <<CONF
[global]
repo1-path=$T/repo1
repo1-retention-full=2
repo2-path=$T/repo2
repo2-retention-full=2
repo2-cipher-type=aes-256-cbc
repo2-cipher-pass=info-compare-secret
$(test_globals)
spool-path=$T/spool
compress-type=lz4

$(main_stanza)
CONF
chown "$PG_OWNER" "$CONF"

pgbr() { as_pg pgbackrest --config="$CONF" "$@"; }

# compare ARGS...: runs info with both tools; the output (trailing newlines kept) and the exit
# status must be identical.
compare() {
  local want got
  set +e
  want=$(as_pg env TZ=UTC pgbackrest --config="$CONF" info "$@" 2>&1; echo "[rc=$?]")
  got=$(as_pg env TZ=UTC "$PGARK" --config="$CONF" info "$@" 2>&1; echo "[rc=$?]")
  set -e
  if [ "$want" != "$got" ]; then
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -40 >&2 || true
    fail "info $* differs from pgbackrest (< pgbackrest, > pgark)"
  fi
  COMPARED=$((COMPARED + 1))
}
COMPARED=0
compare_all() { # compare_all ARGS...: text and JSON
  compare "$@"
  compare --output=json "$@"
}

step "empty repositories"
compare_all
compare_all --stanza=main

pg_init "$T/pg" "$PORT" "pgbackrest --config=$CONF --stanza=main archive-push %p"
pg_start "$T/pg"

step "stanza without backups"
pgbr --stanza=main stanza-create >/dev/null
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
compare_all
compare_all --stanza=main
compare_all --stanza=main --repo=2
out=$(as_pg "$PGARK" --config="$CONF" --stanza=main info)
assert_contains "$out" "status: error (no valid backups)"

step "backups: full + incr in repo1, full in the encrypted repo2"
pgbr --stanza=main --repo=1 --type=full --annotation=source="info compare" --annotation=run=1 backup >/dev/null
psql_q "$PORT" "create database appdb" >/dev/null
psql_q "$PORT" "create table t (i int); insert into t select generate_series(1, 50000)" >/dev/null
pgbr --stanza=main --repo=1 --type=incr backup >/dev/null
pgbr --stanza=main --repo=2 --type=full backup >/dev/null
labels() { ls "$T/$1/backup/main" | grep -E '^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?$'; }
full1=$(labels repo1 | grep 'F$')
incr1=$(labels repo1 | grep 'I$')
full2=$(labels repo2 | grep 'F$')
[ -n "$full1" ] && [ -n "$incr1" ] && [ -n "$full2" ] || fail "backup labels not found: '$full1' '$incr1' '$full2'"

step "info with backups (text and JSON)"
compare_all
compare_all --stanza=main
compare_all --stanza=main --repo=1
compare_all --stanza=main --repo=2
compare_all --stanza=main --type=full
compare_all --stanza=main --type=incr
compare_all --stanza=main --type=diff
out=$(as_pg "$PGARK" --config="$CONF" --stanza=main info)
assert_contains "$out" "incr backup: $incr1"
assert_contains "$out" "backup reference list: $full1"
assert_contains "$out" "repo2: backup set size:"

step "--set: database list, lsn, annotations; encrypted manifest in repo2"
compare_all --stanza=main --set="$full1"
compare_all --stanza=main --set="$incr1"
compare_all --stanza=main --set="$incr1" --repo=1
compare_all --stanza=main --set="$full2"
compare_all --stanza=main --set="$full2" --repo=2
compare_all --stanza=main --set=20000101-000000F
out=$(as_pg "$PGARK" --config="$CONF" --stanza=main --set="$full1" info)
assert_contains "$out" "annotation(s)"
assert_contains "$out" "database list: postgres (5)"  # appdb came after the full backup
out=$(as_pg "$PGARK" --config="$CONF" --stanza=main --set="$incr1" info)
assert_contains "$out" "database list: appdb ("  # user databases only, by name

step "missing stanza"
compare_all --stanza=nosuch

step "a backup lock held by another process"
if command -v flock >/dev/null; then
  lockfile=$T/lock/main-backup.lock
  as_pg sh -c "mkdir -p '$T/lock' && printf '%s' '{\"execId\":\"4242-0badcafe\",\"pctCplt\":4207,\"pid\":4242}' >'$lockfile'"
  # flock(1) holds the lock until the release file appears (the way a running backup holds it).
  flock "$lockfile" sh -c "while [ -d '$T' ] && [ ! -e '$T/release' ]; do sleep 0.1; done" &
  holder=$!
  for _ in $(seq 1 50); do flock -n "$lockfile" true 2>/dev/null || break; sleep 0.1; done
  compare_all --stanza=main
  compare_all
  out=$(as_pg "$PGARK" --config="$CONF" --stanza=main info)
  assert_contains "$out" "status: ok (backup/expire running - 42.07% complete)"
  touch "$T/release"
  wait "$holder"
else
  echo "flock(1) not found: lock comparison skipped"
fi

echo "PASS: $TEST_NAME ($COMPARED comparisons)"
