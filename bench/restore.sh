#!/usr/bin/env bash
# Benchmark: restore time of the same backup by pgark and by pgBackRest 2.45, side by side in one
# run: a full backup of a pgbench database made by pgBackRest (so both tools read identical
# repository files), restored into an empty directory and then again with --delta (nothing
# changed), for lz4 and zst, at process-max 1 and 2 (the cells issue 5 names; this machine has 2 cores).
# Usage: bench/restore.sh [path/to/pgark] [pgbench scale=20] [rounds=3]. Run as root or as a user who
# can run PostgreSQL. Prints seconds (median of the rounds) and the pgark/pgBackRest ratio.
# Run by hand only; it never passes or fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PGARK_BIN=$(realpath "${1:-build/pgark}")
SCALE=${2:-20}
ROUNDS=${3:-3}
PORT=55451
bench_dir restore "$PGARK_BIN"
trap bench_cleanup EXIT
chown -R "$OWNER" "$B"

conf() { # conf COMPRESS
  cat >"$B/$1.conf" <<CONF
[global]
repo1-path=$B/repo-$1
repo1-retention-full=9
compress-type=$1
start-fast=y
$(conf_common)
CONF
  chown "$OWNER" "$B/$1.conf"
}

echo "preparing a pgbench database of scale $SCALE and a pgBackRest full backup per compression..." >&2
as_pg "$PG_BIN/initdb" -k -D "$B/pg" -A trust -U postgres --no-instructions >/dev/null
printf "listen_addresses = ''\nport = $PORT\nunix_socket_directories = '$B/sock'\nwal_level = replica\n" >>"$B/pg/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$B/pg" -l "$B/pg.log" -w start >/dev/null
as_pg pgbench -q -i -s "$SCALE" -h "$B/sock" -p $PORT -U postgres postgres >/dev/null 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$B/pg" -m fast -w stop >/dev/null
for compress in lz4 zst; do
  conf "$compress"
  as_pg pgbackrest --config="$B/$compress.conf" --stanza=bench --no-online stanza-create >/dev/null
  # Offline backups keep the setup independent of WAL archiving; restore reads the same files.
  as_pg pgbackrest --config="$B/$compress.conf" --stanza=bench --type=full --no-online backup >/dev/null
done
size=$(du -sh "$B/pg" | cut -f1)

declare -A FRESH DELTA
for compress in lz4 zst; do
  for pmax in 1 2; do
    for round in $(seq 1 "$ROUNDS"); do
      # The tools take turns going first: on this VM a restore's cost depends on what the one
      # before it left in memory (see bench/README.md, "Buffered writes and the delta check").
      order="pgbackrest pgark"; [ $((round % 2)) = 0 ] && order="pgark pgbackrest"
      for tool in $order; do
        bin=$(tool_bin "$tool")
        dest="$B/restore-$tool"
        rm -rf "$dest"; mkdir -p "$dest"; chown "$OWNER" "$dest"; chmod 700 "$dest"
        sync
        read -r t0 t1 t2 < <(as_pg bash -c '
          now() { date +%s%3N; }
          a=$(now); "$1" --config="$2" --stanza=bench --pg1-path="$3" --process-max="$4" --type=none restore
          b=$(now); "$1" --config="$2" --stanza=bench --pg1-path="$3" --process-max="$4" --type=none --delta restore
          c=$(now); echo "$a $b $c"' _ "$bin" "$B/$compress.conf" "$dest" "$pmax")
        FRESH[$tool-$compress-$pmax]+="$((t1 - t0)) "
        DELTA[$tool-$compress-$pmax]+="$((t2 - t1)) "
      done
    done
  done
done

printf '\nrestore of a %s cluster (pgbench scale %s), median of %s rounds\n' "$size" "$SCALE" "$ROUNDS"
printf '%-26s %14s %10s %8s\n' "case" "pgBackRest ms" "pgark ms" "ratio"
for compress in lz4 zst; do
  for pmax in 1 2; do
    for kind in FRESH DELTA; do
      declare -n times=$kind
      a=$(echo "${times[pgbackrest-$compress-$pmax]}" | median)
      b=$(echo "${times[pgark-$compress-$pmax]}" | median)
      label=$([ $kind = FRESH ] && echo "empty dir" || echo "--delta, unchanged")
      printf '%-26s %14s %10s %8s\n' "$compress p$pmax $label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')"
    done
  done
done
echo
echo "each round, ms (pgBackRest / pgark):"
for compress in lz4 zst; do
  for pmax in 1 2; do
    for kind in FRESH DELTA; do
      declare -n times=$kind
      printf '%-26s %s / %s\n' "$compress p$pmax $kind" "${times[pgbackrest-$compress-$pmax]}" "${times[pgark-$compress-$pmax]}"
    done
  done
done
