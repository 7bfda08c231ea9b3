#!/usr/bin/env bash
# pgark restore end to end on a real PostgreSQL 15 cluster: the DBA's point-in-time recovery
# (rows deleted by mistake come back from a full + diff backup and the archive, on a new
# timeline), every recovery target type that stops early (immediate/pause, name, xid/shutdown,
# lsn), delta restores (nothing changed; files changed, removed and added), a restore killed with
# SIGKILL and finished by --delta, a bundled and encrypted backup made by the real pgbackrest 2.45,
# and the refusals (running cluster, non-empty target, unknown set, wrong passphrase, corrupt
# repository file) with their exit codes, leaving no startable cluster behind.
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
PORT=$PGARK_TEST_PORT

write_conf() { # write_conf FILE REPO2_PASS
  cat >"$1" <<CONF
[global]
repo1-path=$T/repo
repo2-path=$T/repo2
repo2-cipher-type=aes-256-cbc
repo2-cipher-pass=$2
repo2-bundle=y
compress-type=lz4
$(test_globals)

$(main_stanza)
CONF
  chown "$PG_OWNER" "$1"
}
write_conf "$T/pgark.conf" repo2-secret
write_conf "$T/wrong.conf" not-the-secret
run() { as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main "$@"; }
pgbr() { as_pg pgbackrest --config="$T/pgark.conf" --stanza=main "$@"; }
# start_wait DIR: start and wait until the cluster accepts queries (it may stay in recovery).
start_wait() {
  pg_start "$1"
  local i
  for i in $(seq 1 100); do psql_q "$PORT" "select 1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "cluster $1 does not accept connections"
}
rows() { psql_q "$PORT" "select count(*) || '/' || sum(v) from t"; }
timeline() { psql_q "$PORT" "select timeline_id from pg_control_checkpoint()"; }

step "cluster, stanza, 100 rows, pgark full backup, pgbackrest bundled+encrypted full backup, pgark diff"
pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
pg_start "$T/pg"
run stanza-create >/dev/null
psql_q "$PORT" "create table t (id int primary key, v int); insert into t select i, 1 from generate_series(1, 100) i"
rel=$(psql_q "$PORT" "select pg_relation_filepath('t')")
run --type=full --log-level-console=warn backup
full=$(ls "$T/repo/backup/main" | grep -E 'F$' | tail -1)
pgbr --repo=2 --type=full --no-archive-check --log-level-console=error --log-level-stderr=error backup
pgbr_full=$(ls "$T/repo2/backup/main" | grep -E 'F$' | tail -1)
psql_q "$PORT" "update t set v = 2"
run --type=diff --log-level-console=warn backup
# pgark's incremental on top of pgbackrest's bundled, encrypted full (repo2).
run --repo=2 --type=incr --log-level-console=warn backup
pgark_incr=$(ls "$T/repo2/backup/main" | grep -E 'I$' | tail -1)
[ -n "$pgark_incr" ] || fail "no pgark incr backup in repo2"

step "the mistake: restore point, lsn, time, then delete id > 90 and switch WAL"
psql_q "$PORT" "select pg_create_restore_point('before_delete')" >/dev/null
lsn=$(psql_q "$PORT" "select pg_current_wal_lsn()")
sleep 1.1  # a commit after the backup's stop time, in its own second
ts=$(psql_q "$PORT" "select current_timestamp")
xid=$(psql_q "$PORT" "begin; select txid_current(); delete from t where id > 90; commit;")
seg=$(psql_q "$PORT" "select pg_walfile_name(pg_switch_wal())")
wait_archived "$PORT" "$seg"
assert_eq "$(rows)" "90/180"

step "refusals: running cluster, non-empty target, unknown set"
expect_exit 38 run restore
assert_contains "$OUT" "unable to restore while PostgreSQL is running"
new_pg_dir "$T/r2"; touch "$T/r2/stray"; chown "$PG_OWNER" "$T/r2/stray"
expect_exit 40 run --pg1-path="$T/r2" restore
assert_contains "$OUT" "unable to restore to path '$T/r2' because it contains files"
assert_contains "$OUT" "try using --delta"
expect_exit 75 run --pg1-path="$T/r2" --set=20200101-000000F restore
assert_contains "$OUT" "backup set 20200101-000000F is not valid"
[ "$(ls "$T/r2")" = stray ] || fail "a refused restore wrote into the target"

step "PITR: --delta --type=time --target='$ts' --target-action=promote"
pg_stop "$T/pg"
run --delta --type=time "--target=$ts" --target-action=promote --process-max=2 --log-level-console=info restore >"$T/pitr.log"
grep -q "restore backup set ${full}_.*D" "$T/pitr.log" || fail "the diff backup was not chosen: $(cat "$T/pitr.log")"
grep -q "recovery_target_time = '$ts'" "$T/pg/postgresql.auto.conf" || fail "no time target: $(cat "$T/pg/postgresql.auto.conf")"
grep -q "restore_command = '.*pgark --config=$T/pgark.conf --stanza=main archive-get %f \"%p\"'" "$T/pg/postgresql.auto.conf" \
  || fail "restore_command: $(cat "$T/pg/postgresql.auto.conf")"
[ -f "$T/pg/recovery.signal" ] || fail "no recovery.signal"
[ ! -e "$T/pg/backup.manifest" ] || fail "backup.manifest left in PGDATA"
pg_start "$T/pg"; wait_promoted "$PORT"
assert_eq "$(rows)" "100/200" "rows after PITR"
assert_eq "$(timeline)" "2" "timeline after PITR"
pg_stop "$T/pg"

step "--type=immediate of the full backup: recovery pauses at consistency (target-action pause)"
new_pg_dir "$T/r2"
run --pg1-path="$T/r2" --set="$full" --type=immediate --archive-mode=off restore
grep -q "recovery_target = 'immediate'" "$T/r2/postgresql.auto.conf" || fail "no immediate target"
grep -q "archive_mode = 'off'" "$T/r2/postgresql.auto.conf" || fail "archive-mode=off not written"
start_wait "$T/r2"
for i in $(seq 1 100); do [ "$(psql_q "$PORT" "select pg_get_wal_replay_pause_state()")" = paused ] && break; sleep 0.1; done
assert_eq "$(psql_q "$PORT" "select pg_is_in_recovery() || '/' || pg_get_wal_replay_pause_state()")" "true/paused"
assert_eq "$(rows)" "100/100" "rows of the full backup"
pg_stop "$T/r2"

step "changed --delta restore to the restore point (--type=name): a changed, a removed and a stray file"
printf 'garbage' | dd of="$T/r2/$rel" bs=1 seek=100 conv=notrunc status=none
rm -f "$T/r2/base/1/PG_VERSION"
touch "$T/r2/base/stray"; chown "$PG_OWNER" "$T/r2/base/stray"
run --pg1-path="$T/r2" --delta --type=name --target=before_delete --target-action=promote --archive-mode=off \
  --log-level-console=detail restore >"$T/delta.log"
[ ! -e "$T/r2/base/stray" ] || fail "delta restore kept a stray file"
[ -f "$T/r2/base/1/PG_VERSION" ] || fail "delta restore did not restore a removed file"
grep -q "restore file $T/r2/$rel (" "$T/delta.log" || fail "the changed file was not restored: $(grep "$rel" "$T/delta.log")"
grep -q "exists and matches backup" "$T/delta.log" || fail "delta restore kept nothing"
start_wait "$T/r2"; wait_promoted "$PORT"
assert_eq "$(rows)" "100/200" "rows at the restore point"
pg_stop "$T/r2"

step "--type=xid --target-exclusive --target-action=shutdown --target-timeline=1 (timeline 2 branched before it)"
run --pg1-path="$T/r2" --delta --type=xid "--target=$xid" --target-exclusive --target-action=shutdown \
  --target-timeline=1 --archive-mode=off restore
grep -q "recovery_target_inclusive = 'false'" "$T/r2/postgresql.auto.conf" || fail "no exclusive target"
as_pg "$PG_BIN/pg_ctl" -D "$T/r2" -l "$T/r2.log" -W start >/dev/null
for i in $(seq 1 150); do grep -q "shutdown at recovery target" "$T/r2.log" 2>/dev/null && [ ! -f "$T/r2/postmaster.pid" ] && break; sleep 0.1; done
grep -q "recovery stopping before commit of transaction $xid" "$T/r2.log" || fail "recovery did not stop before xid $xid: $(tail -5 "$T/r2.log")"
[ ! -f "$T/r2/postmaster.pid" ] || fail "cluster did not shut down at the target"

step "--type=lsn, then a --delta restore that changes nothing, then --type=preserve"
new_pg_dir "$T/r3"
if [ "$(id -u)" -eq 0 ]; then
  # As root, restore gives every path, file and link the owner the manifest names (postgres).
  "$PGARK" --config="$T/pgark.conf" --stanza=main --pg1-path="$T/r3" --type=lsn "--target=$lsn" --target-action=promote \
    --archive-mode=off restore
  [ -z "$(find "$T/r3" ! -user "$PG_OWNER")" ] || fail "root restore left files not owned by $PG_OWNER"
else
  run --pg1-path="$T/r3" --type=lsn "--target=$lsn" --target-action=promote --archive-mode=off restore
fi
files=$(find "$T/r3" -type f | wc -l)
run --pg1-path="$T/r3" --delta --type=lsn "--target=$lsn" --target-action=promote --archive-mode=off \
  --log-level-console=detail restore >"$T/nochange.log"
kept=$(grep -c "exists and matches backup" "$T/nochange.log")
copied=$(grep -c "^.*restore file .* checksum " "$T/nochange.log" || true)
# Rewritten: pg_control (restored under a temporary name) and postgresql.auto.conf (recovery settings added).
[ "$copied" -le 2 ] && [ "$kept" -ge $((files - 4)) ] || fail "no-change delta copied $copied, kept $kept of $files files"
# --type=preserve keeps the recovery settings the directory already has.
cp "$T/r3/postgresql.auto.conf" "$T/auto.conf.before"
run --pg1-path="$T/r3" --delta --type=preserve restore
cmp -s "$T/r3/postgresql.auto.conf" "$T/auto.conf.before" || fail "--type=preserve changed postgresql.auto.conf"
[ -f "$T/r3/recovery.signal" ] || fail "--type=preserve removed recovery.signal"
start_wait "$T/r3"; wait_promoted "$PORT"
assert_eq "$(rows)" "100/200" "rows at the lsn"
pg_stop "$T/r3"

step "a restore killed with SIGKILL cannot start; --delta finishes it"
new_pg_dir "$T/r4"
as_pg bash -c "echo \$\$ >'$T/r4.pid'; exec '$PGARK' --config='$T/pgark.conf' --stanza=main --pg1-path='$T/r4' --process-max=2 \
  --type=name --target=before_delete --target-action=promote --archive-mode=off restore" >/dev/null 2>&1 &
# Kill once the first data files are in place (largest first: the big relations are being copied).
for i in $(seq 1 2000); do [ -n "$(find "$T/r4/base" -type f -print -quit 2>/dev/null)" ] && break; sleep 0.002; done
kill -9 "$(cat "$T/r4.pid")"; wait || true
killed_files=$(find "$T/r4" -type f | wc -l)
echo "    killed with $killed_files files in place"
[ -f "$T/r4/backup.manifest" ] && [ "$killed_files" -lt 900 ] || fail "the restore was not killed half way ($killed_files files)"
[ ! -e "$T/r4/global/pg_control" ] || fail "an interrupted restore left global/pg_control"
expect_exit 40 run --pg1-path="$T/r4" restore
run --pg1-path="$T/r4" --delta --type=name --target=before_delete --target-action=promote --archive-mode=off restore
start_wait "$T/r4"; wait_promoted "$PORT"
assert_eq "$(rows)" "100/200" "rows after finishing the killed restore"
pg_stop "$T/r4"

step "a bundled, encrypted backup made by pgbackrest 2.45 (repo2); a wrong passphrase is refused"
new_pg_dir "$T/r5"
expect_exit 28 as_pg "$PGARK" --config="$T/wrong.conf" --stanza=main --repo=2 --pg1-path="$T/r5" restore
assert_contains "$OUT" "repo2/backup/main/backup.info"
assert_contains "$OUT" "wrong passphrase"
[ -z "$(ls "$T/r5")" ] || fail "a refused restore wrote into the target"
run --repo=2 --pg1-path="$T/r5" --set="$pgbr_full" --type=immediate --target-action=promote --archive-mode=off restore
grep -q -- "--repo=2" "$T/r5/postgresql.auto.conf" || fail "restore_command lacks --repo=2"
start_wait "$T/r5"; wait_promoted "$PORT"
assert_eq "$(rows)" "100/100" "rows of pgbackrest's full backup"
pg_stop "$T/r5"

step "pgbackrest 2.45 verifies and restores pgark's incr made on top of its own full (repo2)"
pgbr --repo=2 verify >/dev/null || fail "pgbackrest verify of repo2 failed"
new_pg_dir "$T/r8"
pgbr --repo=2 --pg1-path="$T/r8" --set="$pgark_incr" --type=immediate --target-action=promote --archive-mode=off \
  --log-level-console=error --log-level-stderr=error restore || fail "pgbackrest restore of pgark's incr failed"
start_wait "$T/r8"; wait_promoted "$PORT"
assert_eq "$(rows)" "100/200" "rows of pgark's incr on pgbackrest's full"
pg_stop "$T/r8"

step "a time target before every backup: the latest is restored, with a warning"
new_pg_dir "$T/r7"
OUT=$(run --pg1-path="$T/r7" --type=time "--target=2000-01-01 00:00:00+00" --log-level-console=warn restore 2>&1)
assert_contains "$OUT" "unable to find backup set with stop time less than '2000-01-01 00:00:00+00', latest backup set will be used"
[ -e "$T/r7/global/pg_control" ] || fail "the restore with an early time target did not complete"
rm -rf "$T/r7"

step "a corrupt repository file: the restore fails naming it, and leaves no pg_control"
victim=$(find "$T/repo/backup/main/$full/pg_data/base" -type f -size +8k -print -quit)
cp -p "$victim" "$T/victim.keep"
printf 'corrupt!' | dd of="$victim" bs=1 seek=200 conv=notrunc status=none
new_pg_dir "$T/r6"
set +e; OUT=$(run --pg1-path="$T/r6" --set="$full" restore 2>&1); rc=$?; set -e
[ "$rc" -ne 0 ] || fail "restore of a corrupt repository file succeeded"
assert_contains "$OUT" "${victim#$T/repo/}"
[ ! -e "$T/r6/global/pg_control" ] || fail "a failed restore wrote global/pg_control"
cp -p "$T/victim.keep" "$victim"

step "the recovery settings and signal files equal pgbackrest 2.45's for the same options"
opts=(--type=time "--target=$ts" --target-exclusive --target-action=shutdown --target-timeline=1
      --recovery-option=wal-retrieve-retry-interval=2s --archive-mode=off)
new_pg_dir "$T/o1"; new_pg_dir "$T/o2"
pgbr --pg1-path="$T/o1" "${opts[@]}" --log-level-console=error --log-level-stderr=error restore
run --pg1-path="$T/o2" "${opts[@]}" restore
norm() { # the data directory, the binary and the tool's name in the comments differ by design
  sed -e "s|$1|PGDATA|g; s|$PGARK |BIN |; s|'pgbackrest |'BIN |; /^#/s/pgBackRest\|pgark/TOOL/; s/on [0-9-]* [0-9:]*/on DATE/" \
    "$1/postgresql.auto.conf"
}
assert_contains "$(norm "$T/o1")" "recovery_target_time = '$ts'"
diff <(norm "$T/o1") <(norm "$T/o2") || fail "postgresql.auto.conf differs from pgbackrest's"
assert_eq "$(cd "$T/o2" && ls ./*.signal)" "$(cd "$T/o1" && ls ./*.signal)" "signal files"
echo "PASS: $TEST_NAME"
