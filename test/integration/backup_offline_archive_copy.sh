#!/usr/bin/env bash
# Two backups that need no archive to be restored:
# 1. --archive-copy: the WAL from backup start to stop is copied into the backup (pg_data/pg_wal/,
#    re-compressed and re-encrypted with the backup's own passphrase). Restored with a
#    restore_command that finds nothing, PostgreSQL reaches consistency from those copies alone
#    (and, as a control, does not start once they are deleted); the manifest's pg_wal entries
#    carry the same fields as those of a real `pgbackrest backup --archive-copy`; pgbackrest 2.45
#    verifies and restores pgark's backup.
# 2. --no-online of a stopped cluster (full, then incr after a change): no backup_label, no [db],
#    option-online/archive-check false, pg_wal included; restored by pgark and by pgbackrest 2.45,
#    the data equals the source. While PostgreSQL runs it is refused (038, repository unchanged)
#    unless --force.
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
command -v jq >/dev/null || skip "jq not installed"
PORT=$PGARK_TEST_PORT
RPORT=$((PORT + 1))
REPO="$T/repo"
PASS=backup-secret

cat >"$T/pgark.conf" <<CONF
[global]
repo1-path=$REPO
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$PASS
compress-type=lz4
$(test_globals)

$(main_stanza)
CONF
chown "$PG_OWNER" "$T/pgark.conf"
run() { as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main "$@"; }
pgbr() { as_pg pgbackrest --config="$T/pgark.conf" --stanza=main "$@"; }
newest() { ls "$REPO/backup/main" | grep -E '^[0-9]{8}-[0-9]{6}F' | sort | tail -1; }
# decrypt FILE PASS: an encrypted repository file, decoded with openssl, independently of pgark.
decrypt() { openssl enc -d -aes-256-cbc -md sha1 -pass "pass:$2" -in "$1" 2>/dev/null; }
manifest() { decrypt "$REPO/backup/main/$1/backup.manifest" "$BACKUP_PASS"; }
# pgbench keeps sum(abalance) = sum(bbalance) = sum(tbalance) = sum(history.delta) at every
# transaction boundary: a cluster recovered to a consistent point must show it.
balances() { psql_q "$1" "select (select sum(abalance) from pgbench_accounts) = (select sum(bbalance) from pgbench_branches) and (select sum(bbalance) from pgbench_branches) = (select coalesce(sum(delta), 0) from pgbench_history) and (select count(*) from pgbench_accounts) = 100000"; }
state() { psql_q "$1" "select count(*), sum(abalance), (select count(*) from pgbench_history), (select count(*) from marks) from pgbench_accounts"; }
stop_restored() { pg_stop "$T/restore"; }
fresh_restore() { new_pg_dir "$T/restore"; rm -rf "$T/restore-ts"; }
MAP=--tablespace-map-all="$T/restore-ts"

# pgbackrest archives (its backup insists on an archive_command naming it), so pgark's
# archive-copy also reads WAL that pgBackRest wrote.
pg_init "$T/pg" "$PORT" "pgbackrest --config=$T/pgark.conf --stanza=main archive-push %p"
pg_start "$T/pg"
as_pg pgbench -q -i -s 1 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1
# A tablespace: offline manifests name it ts<oid> (no catalog to ask); restores map it aside.
mkdir "$T/ts1"; chown "$PG_OWNER" "$T/ts1"
psql_q "$PORT" "create tablespace ts1 location '$T/ts1'"
psql_q "$PORT" "create table marks (i int) tablespace ts1; insert into marks values (1)"
run stanza-create >/dev/null
BACKUP_PASS=$(decrypt "$REPO/backup/main/backup.info" "$PASS" | sed -n 's/^cipher-pass="\(.*\)"$/\1/p')

step "archive-copy: full backup while pgbench writes"
as_pg pgbench -n -T 3 -c 2 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1 &
load=$!
run --type=full --archive-copy --log-level-console=warn backup
wait $load
ac=$(newest)
manifest "$ac" >"$T/ac.manifest"
grep -q '^option-archive-copy=true$' "$T/ac.manifest" || fail "option-archive-copy is not true in the manifest"
start=$(sed -n 's/^backup-archive-start="\(.*\)"$/\1/p' "$T/ac.manifest")
stop=$(sed -n 's/^backup-archive-stop="\(.*\)"$/\1/p' "$T/ac.manifest")
tstop=$(sed -n 's/^backup-timestamp-stop=//p' "$T/ac.manifest")
wal=$(grep -E '^pg_data/pg_wal/[0-9A-F]{24}=' "$T/ac.manifest" || true)
[ -n "$wal" ] || fail "no WAL segment in the archive-copy backup's manifest"
[ "$(head -1 <<<"$wal" | cut -c16-39)" = "$start" ] || fail "first copied segment is not $start: $wal"
[ "$(tail -1 <<<"$wal" | cut -c16-39)" = "$stop" ] || fail "last copied segment is not $stop: $wal"
FILE_PASS=$(sed -n 's/^cipher-pass="\(.*\)"$/\1/p' "$T/ac.manifest")  # the backup's own file passphrase
while IFS= read -r line; do
  seg=$(cut -c16-39 <<<"$line"); entry=${line#*=}
  stored="$REPO/backup/main/$ac/pg_data/pg_wal/$seg.lz4"
  [ -f "$stored" ] || fail "$stored missing"
  # The copy is encrypted with the backup's passphrase (not the archive's) and lz4-compressed.
  sha=$(decrypt "$stored" "$FILE_PASS" | lz4 -dc | sha1sum | cut -d' ' -f1)
  assert_eq "$sha" "$(jq -r .checksum <<<"$entry")" "checksum of the copied $seg"
  ls "$REPO/archive/main/15-1/${seg:0:16}/$seg-$sha".* >/dev/null || fail "checksum of $seg is not the archived one"
  assert_eq "$(jq -c '[.size, .timestamp, ."repo-size"]' <<<"$entry")" "[16777216,$tstop,$(stat -c %s "$stored")]" "$seg entry"
done <<<"$wal"

step "pgbackrest 2.45 --archive-copy writes pg_wal entries with the same fields"
pgbr --type=full --archive-copy --log-level-console=warn backup
pgbr_full=$(newest)
manifest "$pgbr_full" >"$T/pgbr.manifest"
fields() { grep -E '^pg_data/pg_wal/[0-9A-F]{24}=' "$1" | sed 's/^[^=]*=//' | jq -c 'keys' | sort -u; }
assert_eq "$(fields "$T/ac.manifest")" "$(fields "$T/pgbr.manifest")" "fields of the pg_wal entries (pgark vs pgbackrest)"
pgbr verify >/dev/null || fail "pgbackrest verify failed on the repository"

step "restored without the archive, PostgreSQL reaches consistency from the copied WAL"
# restore_command=false: every fetch from the archive fails, so only pg_wal can serve recovery.
NOARCH=("$MAP" --type=immediate --target-action=promote --recovery-option=restore_command=false)
fresh_restore
run --set="$ac" --pg1-path="$T/restore" "${NOARCH[@]}" restore >/dev/null
start_restored "$T/restore" "$RPORT"
assert_eq "$(balances "$RPORT")" t "pgark-restored archive-copy backup is not consistent"
assert_eq "$(psql_q "$RPORT" "select count(*) from marks")" 1 "marks in the pgark-restored cluster"
stop_restored
fresh_restore
pgbr --set="$ac" --pg1-path="$T/restore" "${NOARCH[@]}" restore >/dev/null || fail "pgbackrest restore failed"
start_restored "$T/restore" "$RPORT"
assert_eq "$(balances "$RPORT")" t "pgbackrest-restored archive-copy backup is not consistent"
stop_restored
# Control: the same restore without the copied WAL cannot start (the test above is not vacuous).
fresh_restore
run --set="$ac" --pg1-path="$T/restore" "${NOARCH[@]}" restore >/dev/null
rm -f "$T/restore"/pg_wal/0000*
printf 'port = %s\narchive_mode = off\n' "$RPORT" >>"$T/restore/postgresql.auto.conf"
if as_pg "$PG_BIN/pg_ctl" -D "$T/restore" -l "$T/restore.log" -w -t 20 start >/dev/null 2>&1; then
  PG_STARTED+=("$T/restore"); fail "a restore without the copied WAL started"
fi

step "--no-online is refused while PostgreSQL runs (038), repository unchanged"
before=$(repo_snapshot "$REPO")
expect_exit 38 run --no-online --type=full backup
assert_contains "$OUT" "--no-online passed but postmaster.pid exists - looks like PostgreSQL is running"
expect_exit 31 run --no-online --archive-check backup
assert_contains "$OUT" "option 'archive-check' not valid without option 'online'"
assert_eq "$(repo_snapshot "$REPO")" "$before" "repository changed by a refused backup"
# An incr on pgbackrest's online full: offline turns checksum-page off, the backup set keeps it on.
run --no-online --force --log-level-console=warn backup >"$T/force.out" 2>&1 || { cat "$T/force.out"; fail "--force offline backup failed"; }
assert_contains "$(cat "$T/force.out")" "--force was passed so backup will continue"
assert_contains "$(cat "$T/force.out")" "incr backup cannot alter 'checksum-page' option to 'false', reset to 'true' from $pgbr_full"

step "offline full of the stopped cluster, then incr after a change"
pg_stop "$T/pg"
pgbr --no-online --type=full --log-level-console=warn backup
manifest "$(newest)" >"$T/pgbr-off.manifest"
run --no-online --type=full --log-level-console=warn backup
off_full=$(newest)
manifest "$off_full" >"$T/off.manifest"
# The same sections and keys as pgbackrest's offline manifest of the same stopped cluster, and the same pg_wal files.
shape() { awk -F= '/^\[/ {sec = $0; print; next} sec !~ /^\[target:(file|path|link)/ && NF {print sec, $1}' "$1"; }
assert_eq "$(shape "$T/off.manifest")" "$(shape "$T/pgbr-off.manifest")" "manifest sections and keys (pgark vs pgbackrest, offline)"
target() { sed -n '/^\[backup:target\]/,/^$/p' "$1"; }
assert_contains "$(target "$T/off.manifest")" '"tablespace-name":"ts'
assert_eq "$(target "$T/off.manifest")" "$(target "$T/pgbr-off.manifest")" "[backup:target] (pgark vs pgbackrest, offline)"
pgwal() { grep -oE '^pg_data/pg_wal/[^=]+' "$1"; }
assert_eq "$(pgwal "$T/off.manifest")" "$(pgwal "$T/pgbr-off.manifest")" "pg_wal files of the offline backups"
for want in option-online=false option-archive-check=false option-archive-copy=false option-checksum-page=false; do
  grep -qx "$want" "$T/off.manifest" || fail "offline manifest lacks $want"
done
! grep -qE '^(\[db\]|backup-lsn-|backup-archive-|pg_data/backup_label=)' "$T/off.manifest" || fail "offline manifest has online-only keys"
grep -qE '^pg_data/pg_wal/[0-9A-F]{24}=' "$T/off.manifest" || fail "offline manifest lacks the pg_wal segments"
pg_start "$T/pg"
psql_q "$PORT" "insert into marks select generate_series(2, 500)"
as_pg pgbench -n -t 200 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1
expected=$(state "$PORT")
pg_stop "$T/pg"
run --no-online --type=incr --log-level-console=warn backup
off_incr=$(newest)
case "$off_incr" in "${off_full}_"*I) ;; *) fail "expected an incr on $off_full, got $off_incr";; esac
pgbr verify >/dev/null || fail "pgbackrest verify failed after the offline backups"
info=$(pgbr --output=json info)
assert_eq "$(jq -c '.[0].backup[-1] | [.type, .prior, .archive.start, .lsn]' <<<"$info")" "[\"incr\",\"$off_full\",null,null]" "pgbackrest info of the offline incr"
assert_eq "$(run --output=json info | jq -c '.[0].backup[-1] | [.type, .prior, .archive.start, .lsn]')" \
  "[\"incr\",\"$off_full\",null,null]" "pgark info of the offline incr"

step "offline incr restored by pgark and by pgbackrest 2.45"
fresh_restore
run --pg1-path="$T/restore" "$MAP" restore >/dev/null
[ ! -e "$T/restore/backup_label" ] || fail "an offline backup restored a backup_label"
start_restored "$T/restore" "$RPORT"
assert_eq "$(state "$RPORT")" "$expected" "pgark-restored offline incr differs from the source"
stop_restored
fresh_restore
pgbr --pg1-path="$T/restore" "$MAP" --type=none restore >/dev/null || fail "pgbackrest restore of the offline incr failed"
start_restored "$T/restore" "$RPORT"
assert_eq "$(state "$RPORT")" "$expected" "pgbackrest-restored offline incr differs from the source"
stop_restored
echo "PASS: $TEST_NAME"
