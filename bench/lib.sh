# Shared by the bench/*.sh scripts (sourced, not run): the PostgreSQL binaries, running as the
# cluster owner, the scratch directory and its cleanup, the configuration lines every benchmark
# uses, and the small helpers for timing and medians. Needs $PORT set before conf_common is used.
PG_BIN=/usr/lib/postgresql/15/bin
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; OWNER=postgres; else as_pg() { "$@"; }; OWNER=$(id -un); fi

# bench_dir NAME PGARK_BIN: sets B to a fresh /tmp directory with sock, log, lock and bin/pgark (a
# copy, so that a rebuild during the run does not change the binary being measured).
bench_dir() {
  B=$(mktemp -d "/tmp/pgark-bench-$1.XXXXXX")
  chmod 755 "$B"
  mkdir -p "$B"/{bin,sock,log,lock}
  cp "$2" "$B/bin/pgark"
}
# Stops the benchmark's cluster, if any, and removes $B.
bench_cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$B/pg" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$B"; }

# The end of every configuration file: logs to the console at warn only, and the stanza `bench`.
conf_common() {
  cat <<CONF
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
}

tool_bin() { if [ "$1" = pgark ]; then echo "$B/bin/pgark"; else echo pgbackrest; fi; }
now() { date +%s%3N; }
# The median of the numbers on standard input (separated by spaces or newlines).
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
