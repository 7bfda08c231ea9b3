#!/usr/bin/env bash
# pgark expire against pgbackrest 2.45 expire on synthetic repositories (lib/synth_repo.py: real
# info files, empty manifests, WAL names only): the cases a single cluster cannot easily produce.
# Two clusters in the history (stanza-upgrade), timeline switches and .history files, offline
# backups, WAL retention per type and count, time retention, diff retention, --set, --dry-run,
# history manifests (repo-retention-history), stray and unfinished backup directories. Each case
# runs both tools on identical copies; the files left, backup.info and the log lines must match.
# No PostgreSQL cluster is needed; the whole script takes a few seconds.
source "$(dirname "$0")/lib/harness.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
command -v python3 >/dev/null || skip "python3 not installed (run scripts/install-deps.sh)"
export TZ=UTC
SYNTH="$(cd "$(dirname "$0")" && pwd)/lib/synth_repo.py"
printf '[global]\nlog-path=%s\nlock-path=%s\n\n[main]\npg1-path=%s/pg\n' "$T/log" "$T/lock" "$T" >"$T/oracle.conf"

day() { date -u -d "$1 days ago" +%Y%m%d; }  # a label date N days ago
ago() { echo $(($1 * -86400)); }                # a timestamp N days ago, as synth_repo.py takes it

W1=$(for i in 1 2 3 4 5 6 7 8 9 A B C D E F; do printf '"00000001000000000000000%s",' $i; done)
cat >"$T/one.json" <<EOF
{"history": [[1, "15", 7000000000000000001]],
 "backups": [
  ["$(day 10)-000000F", 1, "000000010000000000000002", "000000010000000000000003", $(ago 10)],
  ["$(day 10)-000000F_$(day 9)-000000D", 1, "000000010000000000000005", "000000010000000000000005", $(ago 9)],
  ["$(day 10)-000000F_$(day 8)-000000I", 1, "000000010000000000000007", "000000010000000000000007", $(ago 8)],
  ["$(day 7)-000000F", 1, "000000010000000000000009", "00000001000000000000000A", $(ago 7)],
  ["$(day 7)-000000F_$(day 6)-000000D", 1, "00000001000000000000000B", "00000001000000000000000B", $(ago 6)],
  ["$(day 7)-000000F_$(day 5)-000000I", 1, "00000001000000000000000C", "00000001000000000000000C", $(ago 5)],
  ["$(day 1)-000000F", 1, "00000001000000000000000E", "00000001000000000000000E", $(ago 1)]],
 "wal": {"15-1": [$W1 "000000010000000000000003.00000028.backup", "000000010000000100000000"]},
 "history_manifests": ["$(day 400)-000000F", "$(day 40)-000000F", "$(day 10)-000000F", "$(day 3)-000000F"],
 "stray": {"$(day 11)-000000F": []}
}
EOF
cat >"$T/two.json" <<EOF
{"history": [[1, "14", 7000000000000000001], [2, "15", 7000000000000000002]],
 "backups": [
  ["20260101-000000F", 1, "000000010000000000000002", "000000010000000000000003", 1767225600],
  ["20260102-000000F", 1, "000000010000000000000005", "000000010000000000000005", 1767312000],
  ["20260102-000000F_20260102-010000I", 1, "000000010000000000000007", "000000010000000000000007", 1767312000],
  ["20260104-000000F", 2, "000000010000000000000009", "00000001000000000000000A", 1767484800],
  ["20260104-000000F_20260105-000000I", 2, "0000000100000001000000FE", "000000010000000200000001", 1767571200],
  ["20260105-000000F", 2, null, null, 1767571200],
  ["20260106-000000F", 2, "000000020000000200000005", "000000020000000200000006", 1767657600],
  ["20260107-000000F", 2, "000000020000000300000005", "000000020000000300000006", 1767744000]],
 "wal": {"14-1": ["000000010000000000000001","000000010000000000000002","000000010000000000000003","000000010000000000000004","000000010000000000000005","000000010000000000000007","000000010000000000000008"],
         "15-2": ["000000010000000000000009","00000001000000000000000A","00000001000000000000000B","0000000100000001000000FE","0000000100000001000000FF","000000010000000200000000","000000010000000200000001","000000010000000200000002","00000001.history","00000002.history","000000010000000200000003.partial","000000020000000200000003","000000020000000200000004","000000020000000200000005","000000020000000200000006","000000020000000200000007","000000020000000300000000","000000020000000300000005","000000020000000300000006","000000020000000300000007","00000003.history","000000030000000300000007"],
         "13-9": ["000000010000000000000001"]},
 "stray": {"20260107-000000F_20260108-000000I": ["backup.manifest.copy"]}
}
EOF

CASES=0
# compare SPEC ARGS...: pgbackrest and pgark expire on fresh copies of SPEC's repository.
compare() {
  local spec=$1 side bin; shift
  rm -rf "$T/gen"; python3 "$SYNTH" "$T/gen" main "$T/$spec"
  for side in a b; do
    rm -rf "$T/$side"; cp -a "$T/gen" "$T/$side"
    bin=pgbackrest; [ $side = b ] && bin=$PGARK
    set +e
    "$bin" --config="$T/oracle.conf" --stanza=main --repo1-path="$T/$side" --log-level-console=detail \
      --log-level-stderr=off --no-log-timestamp "$@" expire 2>&1 | grep -v 'command begin' | sed "s#$T/$side#REPO#g" >"$T/$side.log"
    echo "rc=${PIPESTATUS[0]}" >>"$T/$side.log"
    set -e
    (cd "$T/$side" && find . -printf '%p %y %l\n' | sort && cat backup/main/backup.info) >"$T/$side.tree"
  done
  diff "$T/a.log" "$T/b.log" >&2 || fail "$spec $*: log differs (< pgbackrest, > pgark)"
  diff "$T/a.tree" "$T/b.tree" >&2 || fail "$spec $*: repository differs (< pgbackrest, > pgark)"
  CASES=$((CASES + 1))
}

step "one cluster: count, diff, archive types, time, --set, --dry-run, history manifests"
compare one.json
compare one.json --repo1-retention-full=2
compare one.json --repo1-retention-full=1 --repo1-retention-archive=2
compare one.json --repo1-retention-full=3 --repo1-retention-archive=1 --repo1-retention-archive-type=incr
compare one.json --repo1-retention-full=3 --repo1-retention-diff=1
compare one.json --repo1-retention-full=3 --repo1-retention-diff=1 --repo1-retention-archive-type=diff
compare one.json --repo1-retention-full=3 --repo1-retention-archive-type=diff
compare one.json --repo1-retention-archive=1 --repo1-retention-archive-type=diff
compare one.json --repo1-retention-full-type=time --repo1-retention-full=6
compare one.json --repo1-retention-full-type=time --repo1-retention-full=9
compare one.json --repo1-retention-full-type=time --repo1-retention-full=9 --repo1-retention-archive=1
compare one.json --repo1-retention-full-type=time --repo1-retention-full=20
compare one.json --repo1-retention-full-type=time --repo1-retention-full=6 --repo1-retention-archive-type=incr
compare one.json --set="$(day 7)-000000F"
compare one.json --set="$(day 7)-000000F_$(day 6)-000000D" --repo1-retention-full=2
compare one.json --set="$(day 1)-000000F" --repo1-retention-full=1
compare one.json --set="$(day 2)-000000F"
compare one.json --set=20260101-00000F
compare one.json --dry-run --repo1-retention-full=1 --repo1-retention-archive=1 --repo1-retention-archive-type=incr
compare one.json --dry-run --set="$(day 10)-000000F"
compare one.json --repo1-retention-full=2 --repo1-retention-history=5
compare one.json --repo1-retention-full=2 --repo1-retention-history=60
compare one.json --repo1-retention-full=1 --repo1-retention-history=0

step "two clusters, timelines, an offline backup, stray directories"
for args in "--repo1-retention-full=1" "--repo1-retention-full=2" "--repo1-retention-full=4" \
  "--repo1-retention-full=9 --repo1-retention-archive=1" "--repo1-retention-full=9 --repo1-retention-archive=3" \
  "--repo1-retention-full=9 --repo1-retention-archive=2 --repo1-retention-archive-type=incr" \
  "--repo1-retention-full=9 --repo1-retention-archive=4 --repo1-retention-archive-type=incr" \
  "--repo1-retention-full=9 --repo1-retention-archive=9"; do
  # shellcheck disable=SC2086
  compare two.json $args
done
compare two.json --set=20260102-000000F
compare two.json --set=20260106-000000F --repo1-retention-full=3
echo "PASS: $TEST_NAME ($CASES cases)"
