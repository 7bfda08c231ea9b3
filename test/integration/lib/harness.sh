# Shared harness for integration tests (sourced, not run). Each test script gets the pgark binary
# path as $1, makes a throwaway directory, and may start a real PostgreSQL 15 cluster in it.
# PostgreSQL refuses to run as root, so when the test runs as root every cluster command and every
# pgark command that PostgreSQL itself would run goes through `runuser -u postgres`.
# Exit status 77 = skipped (ctest SKIP_RETURN_CODE); any failed assertion exits 1.
set -euo pipefail

PGARK_SRC_BIN=${1:?usage: $0 /path/to/pgark}
PG_BIN=${PGARK_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}
TEST_NAME=$(basename "$0" .sh)
PGARK_TEST_PORT=${PGARK_TEST_PORT:-55432}

skip() { echo "SKIP: $TEST_NAME: $*"; exit 77; }
fail() { echo "FAIL: $TEST_NAME: $*" >&2; exit 1; }
step() { echo "--- $TEST_NAME: $*"; }

[ -x "$PG_BIN/initdb" ] || skip "PostgreSQL 15 binaries not found in $PG_BIN (run scripts/install-deps.sh)"

# as_pg CMD...: run as the cluster owner (postgres when we are root, ourselves otherwise).
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || skip "no postgres OS user"
  as_pg() { runuser -u postgres -- "$@"; }
  PG_OWNER=postgres
else
  as_pg() { "$@"; }
  PG_OWNER=$(id -un)
fi

# A fresh directory readable by the cluster owner; removed on exit (kept when PGARK_TEST_KEEP=1).
T=$(mktemp -d "/tmp/pgark-$TEST_NAME.XXXXXX")
chmod 755 "$T"
mkdir -p "$T/bin" "$T/repo" "$T/log" "$T/lock" "$T/spool" "$T/sock"
# The binary is copied so the postgres user can run it wherever the checkout lives.
cp "$PGARK_SRC_BIN" "$T/bin/pgark"
PGARK="$T/bin/pgark"
chown -R "$PG_OWNER" "$T"

PG_STARTED=()
cleanup() {
  local rc=$?
  for d in "${PG_STARTED[@]:-}"; do
    [ -n "$d" ] && [ -f "$d/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
  done
  if [ "${PGARK_TEST_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "test directory kept: $T"
  else
    rm -rf "$T"
  fi
  exit $rc
}
trap cleanup EXIT

# pg_init DIR PORT [archive_command]: initdb with data checksums and a test-friendly configuration.
pg_init() {
  local dir=$1 port=$2 archive_command=${3:-}
  as_pg "$PG_BIN/initdb" -k -D "$dir" -A trust -U postgres --no-instructions >"$T/initdb.log" 2>&1 \
    || { cat "$T/initdb.log"; fail "initdb failed"; }
  cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$T/sock'
wal_level = replica
max_wal_senders = 4
fsync = off
CONF
  if [ -n "$archive_command" ]; then
    printf "archive_mode = on\narchive_command = '%s'\n" "$archive_command" >>"$dir/postgresql.conf"
  fi
}

pg_start() { # pg_start DIR
  as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$1.log" -w start >/dev/null || { cat "$1.log"; fail "cluster $1 did not start"; }
  PG_STARTED+=("$1")
}
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null; }

# psql_q PORT SQL: one query, unaligned tuples-only output.
psql_q() { PGOPTIONS="-c client_min_messages=warning" as_pg psql -X -h "$T/sock" -p "$1" -U postgres -d postgres -Atq -v ON_ERROR_STOP=1 -c "$2"; }

# test_globals: the [global] lines every test configuration shares: its own log and lock
# directories, a WAL wait short enough for a test, and immediate checkpoints at backup start.
test_globals() { printf 'log-path=%s\nlock-path=%s\narchive-timeout=30\nstart-fast=y\n' "$T/log" "$T/lock"; }
# main_stanza: the [main] section of a test configuration, for the cluster in $T/pg on $PORT.
main_stanza() { printf '[main]\npg1-path=%s\npg1-port=%s\npg1-socket-path=%s\npg1-user=postgres\n' "$T/pg" "$PORT" "$T/sock"; }

# pgark_pg ARGS...: run pgark as the cluster owner with the test config.
pgark_pg() { as_pg "$PGARK" --config="$T/pgark.conf" "$@"; }

assert_eq() { [ "$1" = "$2" ] || fail "expected '$2', got '$1'${3:+ ($3)}"; }
assert_contains() { case "$1" in *"$2"*) ;; *) fail "expected output to contain '$2', got: $1";; esac; }

# expect_exit CODE CMD...: the command must exit with CODE; its combined output is left in $OUT.
expect_exit() {
  local want=$1; shift
  set +e; OUT=$("$@" 2>&1); local got=$?; set -e
  [ "$got" = "$want" ] || fail "expected exit $want from '$*', got $got: $OUT"
}

# repo_snapshot DIR: a digest of every file path, size, mode and content below DIR, to prove
# "unchanged" (an empty directory made on the way to a failed write does not count).
repo_snapshot() {
  (cd "$1" && find . -type f -printf '%p %s %m\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha1sum) | sha1sum | cut -d' ' -f1
}

# new_pg_dir DIR: DIR emptied and made again, 0700 and owned by the cluster owner (a restore target).
new_pg_dir() { rm -rf "$1"; mkdir -p "$1"; chown "$PG_OWNER" "$1"; chmod 700 "$1"; }

# wait_promoted PORT: waits (30 s at most) until the cluster on PORT has left recovery; fails otherwise,
# so a restored cluster that stays in recovery is reported as such and not as different data.
wait_promoted() {
  local i
  for i in $(seq 1 300); do
    [ "$(psql_q "$1" "select pg_is_in_recovery()" 2>/dev/null)" = f ] && return 0
    sleep 0.1
  done
  fail "cluster on port $1 did not leave recovery within 30 s"
}

# start_restored DIR PORT: start a restored cluster on PORT with archiving off (it must not push
# its new timeline into the source's repository) and wait until it has left recovery.
start_restored() {
  printf 'port = %s\narchive_mode = off\n' "$2" >>"$1/postgresql.auto.conf"
  pg_start "$1"
  wait_promoted "$2"
}

# wait_archived PORT SEGMENT: waits (30 s at most) until PostgreSQL reports SEGMENT archived.
wait_archived() {
  local i
  for i in $(seq 1 300); do
    local last
    last=$(psql_q "$1" "select coalesce(last_archived_wal, '') from pg_stat_archiver")
    if [ -n "$last" ] && [[ ! "$last" < "$2" ]]; then return 0; fi
    sleep 0.1
  done
  psql_q "$1" "select * from pg_stat_archiver" >&2 || true
  fail "segment $2 was not archived within 30 s"
}

# switch_wal PORT: forces a WAL switch after a write (so the segment is not empty); prints the segment.
switch_wal() {
  psql_q "$1" "create table if not exists _switch (i int); insert into _switch values (1)" >/dev/null
  psql_q "$1" "select pg_walfile_name(pg_switch_wal())"
}
