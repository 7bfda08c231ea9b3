#!/usr/bin/env bash
# Benchmark: time per archive-push of a 16 MiB WAL segment (lz4 and zst) and per archive-get,
# pgark side by side with pgBackRest 2.45 on the same segments and settings, in one run.
# Usage: bench/archive.sh [path/to/pgark] [segments=16] [rounds=3]. Run as root or as a user who can
# run PostgreSQL. Prints wall and CPU milliseconds per segment (median of the rounds) and the
# pgark/pgBackRest ratios.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PGARK_BIN=$(realpath "${1:-build/pgark}")
N=${2:-16}
ROUNDS=${3:-3}
PORT=${PGARK_TEST_PORT:-55450}
bench_dir archive "$PGARK_BIN"
trap bench_cleanup EXIT
mkdir -p "$B/seg"
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
$(conf_common)
CONF
  chown "$OWNER" "$B/$1.conf"
}

# One shell as the cluster owner runs every call, as PostgreSQL runs archive_command directly (a
# runuser per call would add the same fixed cost to both tools and hide the ratio). The tools take
# turns segment by segment (who goes first alternates), so a burst of load from elsewhere hits both
# alike. Per call it records wall time (EPOCHREALTIME) and CPU time (user + sys of the finished
# child, from the shell's `times`), and prints per tool and operation: wall ms, CPU ms per segment.
# shellcheck disable=SC2016
RUN='
cpu_ms() { # sets CPU_MS to the user+sys time of this shell'"'"'s finished children, in ms
  # (`times` in this shell: a subshell would count only its own children)
  local user sys v m sec
  times >"$B/times"; { read -r _; read -r user sys; } <"$B/times"
  CPU_MS=0
  for v in "$user" "$sys"; do m=${v%%m*}; sec=${v#*m}; sec=${sec%s}; CPU_MS=$(( CPU_MS + m * 60000 + 10#${sec/./} )); done
}
declare -A W C
call() { # call TOOL OP ARGS...: runs the tool, adds its wall and CPU time to W[TOOL-OP], C[TOOL-OP]
  local tool=$1 op=$2; shift 2
  local bin=$PGBR; [ "$tool" = pgark ] && bin=$PGARK
  local c0 w0 w1; cpu_ms; c0=$CPU_MS; w0=${EPOCHREALTIME/./}
  "$bin" --config="$B/$tool.conf" --stanza=bench "$@"
  w1=${EPOCHREALTIME/./}; cpu_ms
  W[$tool-$op]=$(( ${W[$tool-$op]:-0} + w1 - w0 )); C[$tool-$op]=$(( ${C[$tool-$op]:-0} + CPU_MS - c0 ))
}
i=0
for s in "$B"/seg/*; do
  if (( i++ % 2 )); then order="pgark pgbackrest"; else order="pgbackrest pgark"; fi
  for tool in $order; do call "$tool" push archive-push "$s"; done
done
i=0
for s in "$B"/seg/*; do
  if (( i++ % 2 )); then order="pgark pgbackrest"; else order="pgbackrest pgark"; fi
  # PostgreSQL removes the previous RECOVERYXLOG before each restore_command; so do we.
  for tool in $order; do rm -f "$B/got-$tool"; call "$tool" get archive-get "$(basename "$s")" "$B/got-$tool"; done
done
for k in "${!W[@]}"; do echo "$k ${W[$k]} ${C[$k]}"; done'

declare -A WALL CPU
for compress in lz4 zst; do
  for round in $(seq 1 "$ROUNDS"); do
    for tool in pgbackrest pgark; do
      conf "$tool" "$compress" "$round"
      as_pg "$(tool_bin "$tool")" --config="$B/$tool.conf" --stanza=bench stanza-create >/dev/null
    done
    sync
    while read -r key wall cpu; do # key = TOOL-OP; wall in us, cpu in ms, summed over the segments
      WALL[$key-$compress]+="$(( wall / count )) "
      CPU[$key-$compress]+="$(( cpu * 1000 / count )) "
    done < <(as_pg env B="$B" PGBR=pgbackrest PGARK="$B/bin/pgark" bash -c "$RUN")
    for tool in pgbackrest pgark; do rm -rf "$B/repo-$tool-$compress-$round"; done
  done
done

ms() { printf '%.1f' "$(echo "$1/1000" | bc -l)"; }
printf '\n%-18s %24s %24s %14s\n' "per 16 MiB segment" "pgBackRest wall / CPU ms" "pgark wall / CPU ms" "ratio wall/CPU"
for compress in lz4 zst; do
  for op in push get; do
    rw=$(echo "${WALL[pgbackrest-$op-$compress]}" | median); rc=$(echo "${CPU[pgbackrest-$op-$compress]}" | median)
    kw=$(echo "${WALL[pgark-$op-$compress]}" | median); kc=$(echo "${CPU[pgark-$op-$compress]}" | median)
    printf '%-18s %24s %24s %14s\n' "archive-$op $compress" "$(ms "$rw") / $(ms "$rc")" "$(ms "$kw") / $(ms "$kc")" \
      "$(printf '%.2f / %.2f' "$(echo "$kw/$rw" | bc -l)" "$(echo "$kc/$rc" | bc -l)")"
  done
done
echo "($count segments, median of $ROUNDS rounds, tools taking turns per segment; CPU = user + sys;"
echo " ratio = pgark / pgBackRest, lower is better; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
