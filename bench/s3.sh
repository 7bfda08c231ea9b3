#!/usr/bin/env bash
# Benchmark: pgark side by side with pgBackRest 2.45 on S3 repositories, in one run, on the same
# local S3 server (test/s3/s3-server.sh: HTTPS on loopback, self-signed certificate verified through
# repo1-storage-ca-file, SigV4 checked) with the same repository settings for both tools:
#   - milliseconds per archive-push of a 16 MiB WAL segment (lz4 and zst);
#   - seconds per full online backup of a pgbench database (lz4 and zst, process-max 1 and 2);
#   - the pgark/pgBackRest ratios (lower is better), the S3 server's CPU time during each tool's
#     run (on a small machine the server bounds both), each backup's own CPU time, and how many HTTP requests and TLS connections
#     each tool makes per push and per backup (counted once, untimed, through test/s3/fault-proxy.py).
# Usage: bench/s3.sh [path/to/pgark] [pgbench scale=150] [segments=16] [rounds=1]
# Environment: CONFIGS="lz4:1 zst:1 lz4:2 zst:2" (compress-type:process-max of the backups),
#   COUNT=0 skips the request count, BACKUP=0 / PUSH=0 skip a part, PGARK_TEST_PORT picks the ports
#   (PostgreSQL on it, the S3 server on +3668, the counting proxy on +3669, or the next free pair).
# Run as root or as a user who can run PostgreSQL; needs node/npm (the S3 server) and python3. As
# root the server's files go on a file system made for the run (mkfs.ext4, losetup: see below).
# Run by hand, not by CI. Scale 150 is about 2.3 GB and takes minutes per backup on a small machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGARK_BIN=$(realpath "${1:-build/pgark}")
SCALE=${2:-150}
N=${3:-16}
ROUNDS=${4:-1}
CONFIGS=${CONFIGS:-lz4:1 zst:1 lz4:2 zst:2}
PORT=${PGARK_TEST_PORT:-55452}
S3_PORT=$((PORT + 3668))
PROXY_PORT=$((PORT + 3669))
bench_dir s3 "$PGARK_BIN"
PROXY_PID=
S3_LOOP=
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
  bash "$HERE/test/s3/s3-server.sh" stop "$B/s3" >/dev/null 2>&1 || true
  if [ -n "$S3_LOOP" ]; then umount "$B/s3" 2>/dev/null || true; losetup -d "$S3_LOOP" 2>/dev/null || true; fi
  bench_cleanup
}
trap cleanup EXIT
mkdir -p "$B"/{seg,s3}
# The S3 server's files go on a file system of their own, made for this run (as root; otherwise
# on /tmp's): a run then starts on an empty file system whatever the one before removed. ext4
# skips inodes freed in the last minutes when it creates files (recently_deleted()); on the shared
# /tmp the server's CPU for the same backup grew from run to run (3.6, 4.0, 5.7 s) as each run
# removed ~10 GB and ~16000 files at its end. The image file is sparse and removed at the end;
# direct I/O on it keeps its pages out of the page cache a second time.
if [ "$(id -u)" -eq 0 ] && command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null; then
  truncate -s 24G "$B/s3.img"
  mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$B/s3.img"
  S3_LOOP=$(losetup --find --show --direct-io=on "$B/s3.img")
  mount "$S3_LOOP" "$B/s3"
fi

port_used() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The first pair of free ports from there, in steps of four as test/integration/lib/s3.sh does.
for _ in $(seq 1 20); do
  port_used "$S3_PORT" || port_used "$PROXY_PORT" || break
  S3_PORT=$((S3_PORT + 4)); PROXY_PORT=$((PROXY_PORT + 4))
done
bash "$HERE/test/s3/s3-server.sh" start "$B/s3" "$S3_PORT" bench >&2
chmod 755 "$B/s3"; chmod 644 "$B/s3/cert.pem"
# Every timed run writes to a repository path of its own, and none is removed before the end: the
# ext4 behaviour above cost 30% of the server's CPU when the run before had just removed its ~1000
# objects, so removing a repository between runs would charge one tool for cleaning up after the
# other. A run of all four configurations leaves about 10 GB until the end.
chown -R "$OWNER" "$B"/{bin,sock,log,lock,seg}
chown "$OWNER" "$B"

echo "preparing a pgbench database of scale $SCALE and $N WAL segments..." >&2
as_pg "$PG_BIN/initdb" -k -D "$B/pg" -A trust -U postgres --no-instructions >/dev/null
# WAL of the backups is thrown away (archive-check=n); wal_keep_size keeps the segments pgbench wrote.
printf "listen_addresses = ''\nport = $PORT\nunix_socket_directories = '$B/sock'\narchive_mode = on\narchive_command = 'true'\nwal_keep_size = 2GB\nmax_wal_size = 4GB\n" \
  >>"$B/pg/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$B/pg" -l "$B/pg.log" -w start >/dev/null
as_pg pgbench -q -i -s "$SCALE" -h "$B/sock" -p $PORT -U postgres postgres >/dev/null 2>&1
as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "vacuum analyze" postgres >/dev/null
as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "select pg_switch_wal()" postgres >/dev/null
as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "checkpoint" postgres >/dev/null
size=$(as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "select pg_size_pretty(sum(pg_database_size(oid))) from pg_database" postgres)
# The newest N complete segments: real WAL of pgbench's load, 16 MiB each.
current=$(as_pg psql -X -h "$B/sock" -p $PORT -U postgres -Atqc "select pg_walfile_name(pg_current_wal_lsn())" postgres)
ls "$B/pg/pg_wal" | grep -E '^[0-9A-F]{24}$' | awk -v c="$current" '$0 < c' | tail -n "$N" | while read -r s; do cp "$B/pg/pg_wal/$s" "$B/seg/"; done
chown -R "$OWNER" "$B/seg"
count=$(ls "$B/seg" | wc -l)
[ "$count" -gt 0 ] || { echo "no complete WAL segment to push" >&2; exit 1; }

# conf TOOL REPO_PATH COMPRESS PROCESS_MAX [PORT]: the same settings for both tools.
conf() {
  cat >"$B/$1.conf" <<CONF
[global]
repo1-type=s3
repo1-path=/$2
repo1-s3-bucket=bench
repo1-s3-endpoint=localhost
repo1-storage-port=${5:-$S3_PORT}
repo1-s3-region=us-east-1
repo1-s3-key=S3RVER
repo1-s3-key-secret=S3RVER
repo1-s3-uri-style=path
repo1-storage-ca-file=$B/s3/cert.pem
repo1-retention-full=9
compress-type=$3
process-max=$4
archive-check=n
start-fast=y
$(conf_common)
CONF
  chown "$OWNER" "$B/$1.conf"
}
run() { local tool=$1; shift; as_pg "$(tool_bin "$tool")" --config="$B/$tool.conf" --stanza=bench "$@"; }
# CPU milliseconds the S3 server (one node process) has used so far: what a tool costs the server.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$(cat "$B/s3/s3.pid")/stat"; }
# CPU milliseconds of this shell's finished children so far: a backup's own cost (the tool, its
# workers and threads), as the server's above.
client_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print int(($16 + $17) * 1000 / hz)}' "/proc/$$/stat"; }
row() { # row LABEL PGBACKREST_MS PGARK_MS DIVISOR [SERVER_PGBACKREST SERVER_PGARK [CLIENT_PGBACKREST CLIENT_PGARK]]
  printf '%-26s %14.2f %14.2f %8.2f' "$1" "$(echo "$2/$4" | bc -l)" "$(echo "$3/$4" | bc -l)" "$(echo "$3/$2" | bc -l)"
  [ $# -lt 6 ] || printf ' %9.2f %9.2f' "$(echo "$5/$4" | bc -l)" "$(echo "$6/$4" | bc -l)"
  [ $# -lt 8 ] || printf ' %9.2f %9.2f' "$(echo "$7/$4" | bc -l)" "$(echo "$8/$4" | bc -l)"
  echo
}

# pushes TOOL: archive-push every segment from one shell running as the cluster owner (as
# PostgreSQL runs archive_command: a runuser per call would add the same cost to both tools);
# prints the milliseconds it took.
pushes() {
  as_pg bash -c 'a=$(date +%s%3N); for s in "$1"/seg/*; do "$2" --config="$3" --stanza=bench archive-push "$s"; done
                 echo $(( $(date +%s%3N) - a ))' _ "$B" "$(tool_bin "$1")" "$B/$1.conf"
}

# --- request counts, through the logging proxy (untimed) ---
if [ "${COUNT:-1}" = 1 ]; then
  python3 "$HERE/test/s3/fault-proxy.py" --port "$PROXY_PORT" --cert "$B/s3/cert.pem" --key "$B/s3/key.pem" \
    --upstream-port "$S3_PORT" --log "$B/proxy.log" --log-connections --lifetime 7200 --max-requests 10000000 \
    >"$B/proxy.out" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 50); do port_used "$PROXY_PORT" && break; sleep 0.1; done
  # counted TOOL WHAT: the requests logged since the last call, by method, and the connections.
  counted() {
    local f="$B/proxy.log"; touch "$f"
    awk -v tool="$1" -v what="$2" '
      $1 == "CONNECTION" { c++; next } { m[$1]++; t++ }
      END { printf "%-10s %-32s %5d %5d %5d %5d %5d %6d %5d\n", tool, what, m["HEAD"], m["GET"], m["PUT"], m["POST"], m["DELETE"], t, c }' "$f"
    : >"$f"
  }
  first=$(ls "$B/seg" | head -1)
  {
    printf '%-10s %-32s %5s %5s %5s %5s %5s %6s %5s\n' tool "requests per" HEAD GET PUT POST DEL total conns
    for tool in pgbackrest pgark; do
      compress=lz4; pmax=1
      conf "$tool" "count-$tool" "$compress" "$pmax" "$PROXY_PORT"
      run "$tool" stanza-create >/dev/null
      : >"$B/proxy.log"
      run "$tool" archive-push "$B/seg/$first"
      counted "$tool" "archive-push (16 MiB, lz4)"
      run "$tool" --type=full backup
      counted "$tool" "full backup ($size, lz4, p1)"
    done
  } >"$B/counts.txt"
  kill "$PROXY_PID"; PROXY_PID=
fi

# order ROUND: the tools take turns going first (pgBackRest in odd rounds). On this VM memory the
# guest handed back to the host costs a fault when it is touched again, so a run's cost depends on
# what ran before it; taking turns spreads that over both tools.
order() { if [ $(($1 % 2)) = 1 ]; then echo pgbackrest pgark; else echo pgark pgbackrest; fi; }

# --- archive-push ---
declare -A PUSH FULL SRV CLI
if [ "${PUSH:-1}" = 1 ]; then
  for compress in lz4 zst; do
    for round in $(seq 1 "$ROUNDS"); do
      for tool in $(order "$round"); do
        conf "$tool" "push-$tool-$compress-$round" "$compress" 1
        run "$tool" stanza-create >/dev/null
        sync
        c0=$(server_cpu)
        PUSH[$tool-$compress]+="$(($(pushes "$tool") * 1000 / count)) "
        SRV[$tool-$compress]+="$(( ($(server_cpu) - c0) * 1000 / count)) "
      done
    done
  done
fi

# --- full backup ---
if [ "${BACKUP:-1}" = 1 ]; then
  for cfg in $CONFIGS; do
    compress=${cfg%:*}; pmax=${cfg#*:}
    for round in $(seq 1 "$ROUNDS"); do
      for tool in $(order "$round"); do
        conf "$tool" "backup-$tool-$compress-$pmax-$round" "$compress" "$pmax"
        run "$tool" stanza-create >/dev/null
        sync
        t0=$(now); c0=$(server_cpu); u0=$(client_cpu)
        run "$tool" --type=full backup
        t1=$(now); c1=$(server_cpu); u1=$(client_cpu)
        FULL[$tool-$cfg]+="$((t1 - t0)) "
        SRV[$tool-$cfg]+="$((c1 - c0)) "
        CLI[$tool-$cfg]+="$((u1 - u0)) "
      done
    done
  done
fi

echo
echo "S3 repository on a local HTTPS server (s3rver), scale $SCALE ($size), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${PUSH:-1}" = 1 ]; then
  printf '\n%-26s %14s %14s %8s %19s\n' "per 16 MiB segment" "pgBackRest ms" "pgark ms" "ratio" "server CPU ms (b/a)"
  for compress in lz4 zst; do
    row "archive-push $compress" "$(echo "${PUSH[pgbackrest-$compress]}" | median)" "$(echo "${PUSH[pgark-$compress]}" | median)" 1000 \
      "$(echo "${SRV[pgbackrest-$compress]}" | median)" "$(echo "${SRV[pgark-$compress]}" | median)"
  done
fi
if [ "${BACKUP:-1}" = 1 ]; then
  printf '\n%-26s %14s %14s %8s %19s %19s\n' "full backup ($size)" "pgBackRest s" "pgark s" "ratio" "server CPU s (b/a)" "client CPU s (b/a)"
  for cfg in $CONFIGS; do
    row "${cfg%:*} process-max=${cfg#*:}" "$(echo "${FULL[pgbackrest-$cfg]}" | median)" "$(echo "${FULL[pgark-$cfg]}" | median)" 1000 \
      "$(echo "${SRV[pgbackrest-$cfg]}" | median)" "$(echo "${SRV[pgark-$cfg]}" | median)" \
      "$(echo "${CLI[pgbackrest-$cfg]}" | median)" "$(echo "${CLI[pgark-$cfg]}" | median)"
  done
fi
echo "($count segments per push round, median of $ROUNDS rounds; ratio = pgark / pgBackRest, lower is better;"
echo " server CPU = user+sys time of the S3 server's process during the run, pgBackRest's / pgark's;"
echo " client CPU = user+sys time of the backup command and its workers)"
if [ -f "$B/counts.txt" ]; then echo; echo "HTTP requests and TLS connections (counted through a proxy, untimed):"; cat "$B/counts.txt"; fi
