#!/usr/bin/env bash
# Benchmark: time per archive-push of a 16 MiB WAL segment (lz4 and zst) and per archive-get,
# pgark side by side with pgBackRest 2.45 on the same segments and settings, in one run.
# Usage: bench/archive.sh [path/to/pgark] [segments=16] [rounds=3]. Run as root or as a user who can
# run PostgreSQL. Prints milliseconds per segment (median of the rounds) and the pgark/pgBackRest ratio.
set -euo pipefail
PGARK_BIN=$(realpath "${1:-build/pgark}")
N=${2:-16}
ROUNDS=${3:-3}
PG_BIN=/usr/lib/postgresql/15/bin
PORT=${PGARK_TEST_PORT:-55450}
B=$(mktemp -d /tmp/pgark-bench-archive.XXXXXX)
chmod 755 "$B"
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; OWNER=postgres; else as_pg() { "$@"; }; OWNER=$(id -un); fi
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$B/pg" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$B"; }
trap cleanup EXIT
mkdir -p "$B"/{bin,sock,log,lock,seg}
cp "$PGARK_BIN" "$B/bin/pgark"
chown -R "$OWNER" "$B"

echo "preparing $N WAL segments from pgbench traffic..." >&2
as_pg "$PG_BIN/initdb" -k -D "$B/pg" -A trust -U postgres --no-instructions >/dev/null
printf "listen_addresses = ''\nport = $PORT\nunix_socket_directories = '$B/sock'\nwal_keep_size = 4GB\nmax_wal_size = 4GB\n" >>"$B/pg/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$B/pg" -l "$B/pg.log" -w start >/dev/null
as_pg pgbench -q -i -s $((N + 2)) -h "$B/sock" -p $PORT -U postgres postgres >/dev/null 2>&1
as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "select pg_switch_wal()" postgres >/dev/null
as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "checkpoint" postgres >/dev/null
# Take the newest N complete segments (all 16 MiB of real WAL).
current=$(as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "select pg_walfile_name(pg_current_wal_lsn())" postgres)
ls "$B/pg/pg_wal" | grep -E '^[0-9A-F]{24}$' | awk -v c="$current" '$0 < c' | tail -n "$N" | while read -r s; do cp "$B/pg/pg_wal/$s" "$B/seg/"; done
chown -R "$OWNER" "$B/seg"
count=$(ls "$B/seg" | wc -l)

conf() { # conf TOOL COMPRESS ROUND
  cat >"$B/$1.conf" <<CONF
[global]
repo1-path=$B/repo-$1-$2-$3
compress-type=$2
log-path=$B/log
lock-path=$B/lock
log-level-file=off
log-level-console=warn

[bench]
pg1-path=$B/pg
pg1-port=$PORT
pg1-socket-path=$B/sock
pg1-user=postgres
CONF
  chown "$OWNER" "$B/$1.conf"
}
tool_bin() { if [ "$1" = pgark ]; then echo "$B/bin/pgark"; else echo pgbackrest; fi; }

declare -A PUSH GET
for compress in lz4 zst; do
  for round in $(seq 1 "$ROUNDS"); do
    for tool in pgbackrest pgark; do
      conf "$tool" "$compress" "$round"
      bin=$(tool_bin "$tool")
      as_pg "$bin" --config="$B/$tool.conf" --stanza=bench stanza-create >/dev/null
      sync
      # One shell as the cluster owner runs the whole loop, as PostgreSQL runs archive_command
      # directly: a runuser per call would add the same fixed cost to both tools and hide the ratio.
      read -r t0 t1 t2 < <(as_pg bash -c '
        now() { date +%s%3N; }
        a=$(now); for s in "$1"/seg/*; do "$2" --config="$3" --stanza=bench archive-push "$s"; done
        b=$(now)
        # PostgreSQL removes the previous RECOVERYXLOG before each restore_command; so do we.
        for s in "$1"/seg/*; do rm -f "$1/got"; "$2" --config="$3" --stanza=bench archive-get "$(basename "$s")" "$1/got"; done
        c=$(now); echo "$a $b $c"' _ "$B" "$bin" "$B/$tool.conf")
      PUSH[$tool-$compress]+="$(( (t1 - t0) * 1000 / count )) "
      GET[$tool-$compress]+="$(( (t2 - t1) * 1000 / count )) "
      rm -rf "$B/repo-$tool-$compress-$round"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '\n%-22s %14s %14s %8s\n' "per 16 MiB segment" "pgBackRest ms" "pgark ms" "ratio"
for compress in lz4 zst; do
  for op in push get; do
    if [ $op = push ]; then a=$(echo "${PUSH[pgbackrest-$compress]}" | median); b=$(echo "${PUSH[pgark-$compress]}" | median)
    else a=$(echo "${GET[pgbackrest-$compress]}" | median); b=$(echo "${GET[pgark-$compress]}" | median); fi
    printf '%-22s %14.1f %14.1f %8.2f\n' "archive-$op $compress" "$(echo "$a/1000" | bc -l)" "$(echo "$b/1000" | bc -l)" "$(echo "$b/$a" | bc -l)"
  done
done
echo "($count segments, median of $ROUNDS rounds; ratio = pgark / pgBackRest, lower is better)"
