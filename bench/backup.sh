#!/usr/bin/env bash
# Benchmark: wall time of a full online backup, pgark side by side with pgBackRest 2.45 on the same
# pgbench database and settings, for lz4 and zst at process-max 1 and 2, in one run; then an
# incremental backup of the unchanged cluster, also side by side.
# Usage: [COMPRESS="lz4 zst"] bench/backup.sh [path/to/pgark] [scale=10] [rounds=3]. Run as root or as a user who can run
# PostgreSQL. Prints seconds per backup (median of the rounds) and the pgark/pgBackRest ratio.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PGARK_BIN=$(realpath "${1:-build/pgark}")
SCALE=${2:-10}
ROUNDS=${3:-3}
PORT=55451
bench_dir backup "$PGARK_BIN"
trap bench_cleanup EXIT
chown -R "$OWNER" "$B"

echo "preparing a pgbench database of scale $SCALE..." >&2
as_pg "$PG_BIN/initdb" -k -D "$B/pg" -A trust -U postgres --no-instructions >/dev/null
# WAL is not what is measured: it is thrown away, and both tools run with archive-check=n.
printf "listen_addresses = ''\nport = $PORT\nunix_socket_directories = '$B/sock'\narchive_mode = on\narchive_command = 'true'\n" \
  >>"$B/pg/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$B/pg" -l "$B/pg.log" -w start >/dev/null
as_pg pgbench -q -i -s "$SCALE" -h "$B/sock" -p $PORT -U postgres postgres >/dev/null 2>&1
as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "vacuum analyze" postgres >/dev/null
size=$(as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "select pg_size_pretty(sum(pg_database_size(oid))) from pg_database" postgres)

conf() { # conf TOOL COMPRESS PROCESS_MAX
  cat >"$B/$1.conf" <<CONF
[global]
repo1-path=$B/repo-$1
compress-type=$2
process-max=$3
archive-check=n
start-fast=y
repo1-retention-full=9
$(conf_common)
CONF
  chown "$OWNER" "$B/$1.conf"
}

declare -A MS INCR
for compress in ${COMPRESS:-lz4 zst}; do
  for pmax in 1 2; do
    for round in $(seq 1 "$ROUNDS"); do
      for tool in pgbackrest pgark; do
        conf "$tool" "$compress" "$pmax"
        bin=$(tool_bin "$tool")
        rm -rf "$B/repo-$tool"
        as_pg "$bin" --config="$B/$tool.conf" --stanza=bench stanza-create >/dev/null
        sync
        t0=$(now)
        as_pg "$bin" --config="$B/$tool.conf" --stanza=bench --type=full backup
        t1=$(now)
        MS[$tool-$compress-$pmax]+="$((t1 - t0)) "
        # Then an incremental backup of the unchanged cluster: what a frequent incr schedule costs.
        t0=$(now)
        as_pg "$bin" --config="$B/$tool.conf" --stanza=bench --type=incr backup
        t1=$(now)
        INCR[$tool-$compress-$pmax]+="$((t1 - t0)) "
      done
    done
  done
done

# table TITLE ARRAY: one row per compression and process-max, median seconds and the ratio.
table() {
  local -n times=$2
  printf '\n%-22s %14s %14s %8s\n' "$1" "pgBackRest s" "pgark s" "ratio"
  for compress in ${COMPRESS:-lz4 zst}; do
    for pmax in 1 2; do
      a=$(echo "${times[pgbackrest-$compress-$pmax]}" | median); b=$(echo "${times[pgark-$compress-$pmax]}" | median)
      printf '%-22s %14.2f %14.2f %8.2f\n' "$compress process-max=$pmax" "$(echo "$a/1000" | bc -l)" \
        "$(echo "$b/1000" | bc -l)" "$(echo "$b/$a" | bc -l)"
    done
  done
}
table "full backup ($size)" MS
table "incr, nothing changed" INCR
echo "(scale $SCALE, median of $ROUNDS rounds; ratio = pgark / pgBackRest, lower is better)"
