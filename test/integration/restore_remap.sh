#!/usr/bin/env bash
# pgark restore of a cluster with a tablespace, pg_wal on a symlink and a symlinked
# postgresql.conf: --tablespace-map, --link-map (directory and file links) and --db-exclude into
# one directory, --tablespace-map-all without link options (links become plain directories and
# files) and --type=standby into another; PostgreSQL starts on both. Plus the refusals of bad maps
# and unknown databases.
source "$(dirname "$0")/lib/harness.sh"
PORT=$PGARK_TEST_PORT

cat >"$T/pgark.conf" <<CONF
[global]
repo1-path=$T/repo
compress-type=zst
$(test_globals)

$(main_stanza)
CONF
chown "$PG_OWNER" "$T/pgark.conf"
run() { as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main "$@"; }
q() { PGOPTIONS="-c client_min_messages=warning" as_pg psql -X -h "$T/sock" -p "$PORT" -U postgres -d "$1" -Atq -v ON_ERROR_STOP=1 -c "$2"; }
wait_ready() {
  local i
  for i in $(seq 1 150); do q postgres "select 1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "cluster does not accept connections"
}

step "cluster with pg_wal and postgresql.conf on symlinks, a tablespace, databases db2 and db3"
pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
mkdir -p "$T/conf" "$T/ts1"
mv "$T/pg/pg_wal" "$T/wal" && ln -s "$T/wal" "$T/pg/pg_wal"
mv "$T/pg/postgresql.conf" "$T/conf/postgresql.conf" && ln -s "$T/conf/postgresql.conf" "$T/pg/postgresql.conf"
chown -R "$PG_OWNER" "$T/conf" "$T/ts1" "$T/wal"; chown -h "$PG_OWNER" "$T/pg/pg_wal" "$T/pg/postgresql.conf"
pg_start "$T/pg"
run stanza-create >/dev/null
q postgres "create tablespace ts1 location '$T/ts1'"
q postgres "create table big tablespace ts1 as select i from generate_series(1, 50000) i"
q postgres "create database db2"
q postgres "create database db3"
q db2 "create table t2 as select i from generate_series(1, 1000) i"
q db3 "create table t3 as select i from generate_series(1, 1000) i"
ts_oid=$(q postgres "select oid from pg_tablespace where spcname = 'ts1'")
db3_oid=$(q postgres "select oid from pg_database where datname = 'db3'")
run --type=full --log-level-console=warn backup
pg_stop "$T/pg"

step "refusals: unknown tablespace, link and database"
new_pg_dir "$T/r1"
expect_exit 76 run --pg1-path="$T/r1" --tablespace-map=nope=/x restore
assert_contains "$OUT" "unable to remap invalid tablespace 'nope'"
expect_exit 78 run --pg1-path="$T/r1" --link-map=nope=/x restore
assert_contains "$OUT" "unable to remap invalid link 'nope'"
expect_exit 80 run --pg1-path="$T/r1" --db-include=nope restore
assert_contains "$OUT" "database to include 'nope' does not exist"
[ -z "$(ls "$T/r1")" ] || fail "a refused restore wrote into the target"

step "--tablespace-map, --link-map for pg_wal and postgresql.conf, --db-exclude=db3"
mkdir -p "$T/conf-r1"; chown "$PG_OWNER" "$T/conf-r1"
run --pg1-path="$T/r1" --tablespace-map=ts1="$T/ts1-r1" --link-map=pg_wal="$T/wal-r1" \
  --link-map=postgresql.conf="$T/conf-r1/postgresql.conf" --db-exclude=db3 --type=immediate --target-action=promote \
  --archive-mode=off restore
assert_eq "$(readlink "$T/r1/pg_tblspc/$ts_oid")" "$T/ts1-r1"
assert_eq "$(readlink "$T/r1/pg_wal")" "$T/wal-r1"
assert_eq "$(readlink "$T/r1/postgresql.conf")" "$T/conf-r1/postgresql.conf"
[ -f "$T/conf-r1/postgresql.conf" ] || fail "the linked postgresql.conf was not restored at the mapped place"
[ -d "$T/ts1-r1/PG_15_"* ] || fail "no tablespace directory in $T/ts1-r1"
# db3 is there but sparse: its files take (almost) no blocks.
db3_bytes=$(du -s --apparent-size --block-size=1 "$T/r1/base/$db3_oid" | cut -f1)
db3_used=$(du -s --block-size=1 "$T/r1/base/$db3_oid" | cut -f1)
[ "$db3_bytes" -gt 1000000 ] && [ "$db3_used" -lt $((db3_bytes / 10)) ] || fail "db3 not sparse: $db3_used of $db3_bytes bytes used"
pg_start "$T/r1"; wait_ready
wait_promoted "$PORT"
assert_eq "$(q postgres "select count(*) from big")" "50000"
assert_eq "$(q db2 "select count(*) from t2")" "1000"
q postgres "drop database db3"  # what the user does after a selective restore
pg_stop "$T/r1"

step "--tablespace-map-all, links restored as plain directories/files, --type=standby"
new_pg_dir "$T/r2"
run --pg1-path="$T/r2" --tablespace-map-all="$T/tsall" --type=standby --archive-mode=off restore 2>"$T/r2.err"
assert_contains "$(cat "$T/r2.err")" "contents of directory link 'pg_wal' will be restored in a directory at the same location"
assert_contains "$(cat "$T/r2.err")" "file link 'postgresql.conf' will be restored as a file at the same location"
assert_eq "$(readlink "$T/r2/pg_tblspc/$ts_oid")" "$T/tsall/ts1"
[ -d "$T/r2/pg_wal" ] && [ ! -L "$T/r2/pg_wal" ] || fail "pg_wal is not a plain directory"
[ -f "$T/r2/postgresql.conf" ] && [ ! -L "$T/r2/postgresql.conf" ] || fail "postgresql.conf is not a plain file"
[ -f "$T/r2/standby.signal" ] && [ ! -e "$T/r2/recovery.signal" ] || fail "standby.signal expected, alone"
pg_start "$T/r2"; wait_ready
assert_eq "$(q postgres "select pg_is_in_recovery()")" "t"
assert_eq "$(q postgres "select count(*) from big")" "50000"
assert_eq "$(q db3 "select count(*) from t3")" "1000"
pg_stop "$T/r2"

step "--delta --force (size and time decide) over the used standby, --force alone over the first copy"
touch "$T/r2/base/stray"
run --pg1-path="$T/r2" --tablespace-map-all="$T/tsall" --type=standby --archive-mode=off --delta --force \
  --log-level-console=detail restore >"$T/force.log" 2>&1
grep -q "exists and matches backup" "$T/force.log" || fail "--delta --force kept nothing"
[ ! -e "$T/r2/base/stray" ] || fail "--delta --force kept a stray file"
run --pg1-path="$T/r1" --force --tablespace-map=ts1="$T/ts1-r1" --link-map=pg_wal="$T/wal-r1" \
  --link-map=postgresql.conf="$T/conf-r1/postgresql.conf" --type=immediate --target-action=promote --archive-mode=off \
  --log-level-console=detail restore >"$T/force.log" 2>&1
! grep -q "exists and matches backup" "$T/force.log" || fail "--force alone kept a file"
pg_start "$T/r1"; wait_ready
wait_promoted "$PORT"
assert_eq "$(q db3 "select count(*) from t3")" "1000"  # dropped in this copy before: --force restored it whole
pg_stop "$T/r1"
echo "PASS: $TEST_NAME"
