#!/usr/bin/env bash
# The stanza life cycle against real clusters: stanza-create (idempotent), check, stop/start
# refusals, stanza-upgrade to a new cluster (new history id and archive id, read by pgbackrest
# 2.45 too), and stanza-delete with its guards (stop first, PostgreSQL not running).
source "$(dirname "$0")/lib/harness.sh"
PORT=$PGARK_TEST_PORT
REPO=$T/repo

write_conf() { # write_conf PGDIR
  printf '[global]\nrepo1-path=%s\ncompress-type=gz\nlog-path=%s\nlock-path=%s\narchive-timeout=20\n' "$REPO" "$T/log" "$T/lock" >"$T/pgark.conf"
  printf '\n[main]\npg1-path=%s\npg1-port=%s\npg1-socket-path=%s\npg1-user=postgres\n' "$1" "$PORT" "$T/sock" >>"$T/pgark.conf"
  chown "$PG_OWNER" "$T/pgark.conf"
}
run() { as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main --log-level-console=info "$@"; }

write_conf "$T/pg"
pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
pg_start "$T/pg"

step "stanza-create, then again: already exists and is valid"
run stanza-create >/dev/null
expect_exit 0 run stanza-create
assert_contains "$OUT" "already exists on repo1 and is valid"
run check >/dev/null

step "stop makes the stanza commands and archive-push refuse; start lifts it"
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
run stop >/dev/null
expect_exit 62 run stanza-create
assert_contains "$OUT" "stop file exists"
# By hand, not through PostgreSQL, whose archiver would back off for a minute after failures.
expect_exit 62 run archive-push "$T/pg/pg_wal/$seg"
run start >/dev/null
expect_exit 0 run archive-push "$T/pg/pg_wal/$seg"
expect_exit 0 run stop
expect_exit 0 run stop
assert_contains "$OUT" "already exists"
run start >/dev/null

step "stanza-upgrade to another cluster: history id 2, archive id 15-2"
pg_stop "$T/pg"
pg_init "$T/pg2" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
write_conf "$T/pg2"
pg_start "$T/pg2"
expect_exit 44 run check
assert_contains "$OUT" "stanza-upgrade"
run stanza-upgrade >/dev/null
expect_exit 0 run stanza-upgrade
assert_contains "$OUT" "already up to date"
run check >/dev/null
[ -n "$(ls "$REPO/archive/main/15-2/0000000100000000/")" ] || fail "no WAL under the new archive id 15-2"
json=$(as_pg pgbackrest --config="$T/pgark.conf" --stanza=main --output=json info)
assert_contains "$json" '"id":"15-2"'
assert_contains "$json" '"id":"15-1"'
# archive-get with the new cluster's pg_control finds its own WAL, and not the old cluster's.
new=$(ls "$REPO/archive/main/15-2/0000000100000000/" | head -1 | cut -c1-24)
expect_exit 0 run archive-get "$new" "$T/got"

step "stanza-delete: only after stop, only while PostgreSQL is down"
expect_exit 62 run stanza-delete
assert_contains "$OUT" "must be stopped"
run stop >/dev/null
expect_exit 38 run stanza-delete
assert_contains "$OUT" "postmaster.pid"
pg_stop "$T/pg2"
run stanza-delete >/dev/null
[ ! -e "$REPO/archive/main" ] && [ ! -e "$REPO/backup/main" ] || fail "stanza directories left after stanza-delete"
run start >/dev/null
echo "PASS: $TEST_NAME"
