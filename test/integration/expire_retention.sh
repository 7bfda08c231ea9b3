#!/usr/bin/env bash
# pgark expire does what pgbackrest 2.45 expire does. A real PostgreSQL 15 cluster archives with
# pgark; pgark takes full, diff and incr backups (F1 D1 I1 F2 I2 F3 D3). Then, on copies of that
# one repository, pgbackrest expire and pgark expire run with the same options: count, time
# (backups aged in backup.info), diff, archive retention, --set (a set, and the latest backup),
# --dry-run, and two repositories with and without --repo. After each: the same files remain, the
# same backup.info, the same log lines; the backups left are the expected ones (pgark info and
# pgbackrest info agree); the WAL left starts where retention says and has no gap after that;
# pgbackrest verify passes. backup.info reconstruction (a lost manifest, backups missing from
# backup.info) matches too. Finally a pgark backup expires automatically afterwards.
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
command -v python3 >/dev/null || skip "python3 not installed (run scripts/install-deps.sh)"
export TZ=UTC
PORT=$PGARK_TEST_PORT
SYNTH="$(cd "$(dirname "$0")" && pwd)/lib/synth_repo.py"

cat >"$T/pgark.conf" <<CONF
[global]
repo1-path=$T/repo
$(test_globals)
compress-type=lz4
expire-auto=n

$(main_stanza)
CONF
chown "$PG_OWNER" "$T/pgark.conf"

pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
pg_start "$T/pg"
run() { as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main "$@"; }
run stanza-create >/dev/null
as_pg pgbench -q -i -s 1 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1

step "backups F1 D1 I1 F2 I2 F3 D3"
for type in full diff incr full incr full diff; do
  psql_q "$PORT" "update pgbench_accounts set abalance = abalance + 1 where aid % 97 = 0" >/dev/null
  run --type=$type --log-level-console=error --log-level-stderr=error backup
  switch_wal "$PORT" >/dev/null
done
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
mapfile -t L < <(ls "$T/repo/backup/main" | grep -E '^[0-9]{8}-[0-9]{6}F' | sort)
[ ${#L[@]} = 7 ] || fail "expected 7 backups, got: ${L[*]}"
F1=${L[0]} D1=${L[1]} I1=${L[2]} F2=${L[3]} I2=${L[4]} F3=${L[5]} D3=${L[6]}
case "$F1 $D1 $I1 $F2 $I2 $F3 $D3" in *F\ *D\ *I\ *F\ *I\ *F\ *D) ;; *) fail "unexpected labels: ${L[*]}";; esac
cp -a "$T/repo" "$T/base"

# field LABEL KEY: a value of LABEL's backup.info entry in repository $1.
start_of() { grep "^$2=" "$1/backup/main/backup.info" | sed 's/.*"backup-archive-start":"\([0-9A-F]*\)".*/\1/'; }
stop_of() { grep "^$2=" "$1/backup/main/backup.info" | sed 's/.*"backup-archive-stop":"\([0-9A-F]*\)".*/\1/'; }
labels_in() { grep -oE '^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?' "$1/backup/main/backup.info" | tr '\n' ' ' | sed 's/ $//'; }
wal_in() { find "$1/archive/main" -name '*.lz4' -printf '%f\n' | cut -c1-24 | sort; }
tree_of() { (cd "$1" && find . -printf '%p %y %l\n' | sort && cat backup/main/backup.info 2>/dev/null || true); }

# check_wal REPO FROM [older]: every segment from FROM to the newest is there, and FROM is the
# oldest WAL (unless "older": older backups keep their own ranges).
check_wal() {
  wal_in "$1" | python3 -c '
import sys
segs = [l.strip() for l in sys.stdin if l.strip()]
start = sys.argv[1]
if len(sys.argv) < 3 and (not segs or segs[0] != start):
    sys.exit("oldest WAL is %s, expected %s" % (segs[0] if segs else None, start))
segs = [s for s in segs if s >= start]
n = lambda s: int(s[8:16], 16) * 256 + int(s[16:24], 16)
have = set(map(n, segs))
missing = [i for i in range(n(start), n(segs[-1]) + 1) if i not in have]
if missing: sys.exit("WAL gap after %s: %d segment(s) missing" % (start, len(missing)))' "$2" ${3:-} || fail "WAL in $1"
}

# scenario NAME ARGS...: pgbackrest expire on $T/a/repo, pgark expire on $T/b/repo (copies of
# $T/base, plus repo2 copies when ARGS name $REPO2, changed by $SETUP run in each repo copy);
# files, backup.info and log lines must match.
scenario() {
  local name=$1; shift
  step "$name: $*"
  local side tool out
  for side in a b; do
    # Hard links are safe: both tools replace files (write + rename) or remove them, never rewrite.
    rm -rf "$T/$side"; mkdir -p "$T/$side"; cp -al "$T/base" "$T/$side/repo"
    case "$*" in *REPO2*) cp -al "$T/base" "$T/$side/repo2";; *) mkdir "$T/$side/repo2";; esac
    if [ -n "${SETUP:-}" ]; then (cd "$T/$side/repo" && eval "$SETUP"); fi
    chown "$PG_OWNER" "$T/$side" "$T/$side/repo2"
    tool=pgbackrest; [ $side = b ] && tool=$PGARK
    set +e
    out=$(as_pg "$tool" --config="$T/pgark.conf" --stanza=main --repo1-path="$T/$side/repo" --log-level-console=detail \
      --log-level-stderr=off --no-log-timestamp "${@//REPO2/$T/$side/repo2}" expire 2>&1; echo "rc=$?")
    set -e
    printf '%s\n' "$out" | grep -v 'command begin' | sed "s#$T/$side/#REPO/#g" >"$T/$side.log"
  done
  diff "$T/a.log" "$T/b.log" >&2 || fail "$name: log differs (< pgbackrest, > pgark)"
  diff <(tree_of "$T/a/repo") <(tree_of "$T/b/repo") >&2 || fail "$name: repo1 differs (< pgbackrest, > pgark)"
  diff <(tree_of "$T/a/repo2") <(tree_of "$T/b/repo2") >&2 || fail "$name: repo2 differs (< pgbackrest, > pgark)"
  R=$T/b/repo
}

# info_agree: pgark info and pgbackrest info print the same for pgark's result.
info_agree() {
  local want got
  want=$(as_pg pgbackrest --config="$T/pgark.conf" --stanza=main --repo1-path="$R" info)
  got=$(as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main --repo1-path="$R" info)
  [ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got") >&2; fail "info differs after $1"; }
}
verify_ok() {
  as_pg pgbackrest --config="$T/pgark.conf" --stanza=main --repo1-path="$R" verify >/dev/null \
    || fail "pgbackrest verify failed after $1"
}

scenario count --repo1-retention-full=2
assert_eq "$(labels_in "$R")" "$F2 $I2 $F3 $D3"
assert_eq "$(ls "$R/backup/main" | grep -c '^2')" 4 "backup directories left"
check_wal "$R" "$(start_of "$R" "$F2")"
info_agree count; verify_ok count

scenario diff --repo1-retention-full=3 --repo1-retention-diff=1
assert_eq "$(labels_in "$R")" "$F1 $F2 $I2 $F3 $D3"
check_wal "$R" "$(start_of "$R" "$F1")"

scenario archive --repo1-retention-full=3 --repo1-retention-archive=1 --repo1-retention-archive-type=incr
assert_eq "$(labels_in "$R")" "$F1 $D1 $I1 $F2 $I2 $F3 $D3"
check_wal "$R" "$(start_of "$R" "$D3")" older
for b in "$F1" "$D1" "$I1" "$F2" "$I2" "$F3"; do  # older backups keep exactly their own WAL
  for s in "$(start_of "$R" "$b")" "$(stop_of "$R" "$b")"; do
    wal_in "$R" | grep -qx "$s" || fail "archive: WAL $s of $b was removed"
  done
done
[ "$(wal_in "$R" | wc -l)" -lt "$(wal_in "$T/base" | wc -l)" ] || fail "archive: no WAL was expired"
info_agree archive; verify_ok archive

# Time: F1 and F2 (with their dependents) stopped 10 and 9 days ago; keep 5 days.
for f in backup.info backup.info.copy; do
  python3 "$SYNTH" --age "$T/base/backup/main/$f" 864000 "$F1" "$D1" "$I1"
  python3 "$SYNTH" --age "$T/base/backup/main/$f" 777600 "$F2" "$I2"
done
scenario time --repo1-retention-full-type=time --repo1-retention-full=5
assert_eq "$(labels_in "$R")" "$F2 $I2 $F3 $D3"
check_wal "$R" "$(start_of "$R" "$F2")"
scenario time-not-met --repo1-retention-full-type=time --repo1-retention-full=30
assert_eq "$(labels_in "$R")" "$F1 $D1 $I1 $F2 $I2 $F3 $D3"
grep -q 'time-based archive retention not met' "$T/b.log" || fail "time-not-met: no message"
rm -rf "$T/base"; cp -a "$T/repo" "$T/base"

scenario set --set="$F2" --repo1-retention-full=2
assert_eq "$(labels_in "$R")" "$F1 $D1 $I1 $F3 $D3"
grep -q "expire adhoc backup set $F2, $I2" "$T/b.log" || fail "set: no log line"
info_agree set; verify_ok set

scenario set-latest --set="$D3"
assert_eq "$(labels_in "$R")" "$F1 $D1 $I1 $F2 $I2 $F3"
assert_eq "$(readlink "$R/backup/main/latest")" "$F3"

scenario set-bogus --set=bogus
grep -q '^rc=32$' "$T/b.log" || fail "set-bogus: expected exit 32"

before=$(repo_snapshot "$T/base")
scenario dry-run --dry-run --repo1-retention-full=1 --repo1-retention-archive-type=incr --repo1-retention-archive=1
assert_eq "$(repo_snapshot "$R")" "$before" "dry-run changed the repository"
grep -q '^P00   INFO: \[DRY-RUN\] repo1: remove expired backup' "$T/b.log" || fail "dry-run: no [DRY-RUN] line"

scenario two-repos-one --repo2-path=REPO2 --repo=2 --repo1-retention-full=1 --repo2-retention-full=1
assert_eq "$(labels_in "$T/b/repo")" "$F1 $D1 $I1 $F2 $I2 $F3 $D3"
assert_eq "$(labels_in "$T/b/repo2")" "$F3 $D3"
scenario two-repos-all --repo2-path=REPO2 --repo1-retention-full=2 --repo2-retention-full=1
assert_eq "$(labels_in "$T/b/repo")" "$F2 $I2 $F3 $D3"
assert_eq "$(labels_in "$T/b/repo2")" "$F3 $D3"

# backup.info reconstruction: a backup without its manifest leaves backup.info with its dependents
# (and its directory goes); backups missing from backup.info come back from their manifests.
drop() { for f in backup.info backup.info.copy; do python3 "$SYNTH" --drop "backup/main/$f" "$@"; done; }
SETUP="rm backup/main/$F2/backup.manifest" scenario reconstruct-missing --repo1-retention-full=9
assert_eq "$(labels_in "$R")" "$F1 $D1 $I1 $F3 $D3"
grep -q "backup '$I2' missing manifest removed from backup.info" "$T/b.log" || fail "reconstruct-missing: no warning"
SETUP="drop $F3 $D3" scenario reconstruct-add --repo1-retention-full=9
assert_eq "$(labels_in "$R")" "$F1 $D1 $I1 $F2 $I2 $F3 $D3"
info_agree reconstruct

step "backup expires automatically afterwards"
run --type=full --repo1-retention-full=1 --expire-auto --log-level-console=info backup >"$T/auto.log"
grep -q "repo1: expire full backup set $F1, $D1, $I1" "$T/auto.log" || { cat "$T/auto.log"; fail "no expire after backup"; }
R=$T/repo
new=$(ls "$R/backup/main" | grep -E '^[0-9]{8}-[0-9]{6}F$' | sort | tail -1)
assert_eq "$(labels_in "$R")" "$new"
check_wal "$R" "$(start_of "$R" "$new")"
info_agree auto; verify_ok auto
echo "PASS: $TEST_NAME"
