#!/usr/bin/env bash
# The main job on an embedded default: installs what is needed, builds pgark, then runs it against
# a throwaway PostgreSQL 15 cluster with a local repository under /tmp/pgark-quickstart.
# Every step prints the command it runs, so this doubles as a tour. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

Q=${PGARK_QUICKSTART_DIR:-/tmp/pgark-quickstart}
PG_BIN=/usr/lib/postgresql/15/bin
PORT=${PGARK_QUICKSTART_PORT:-55440}
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; OWNER=postgres; else as_pg() { "$@"; }; OWNER=$(id -un); fi

if [ -f "$Q/pg/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$Q/pg" -m fast -w stop >/dev/null || true; fi
rm -rf "$Q"; mkdir -p "$Q"/{bin,repo,log,lock,spool,sock}
cp build/pgark "$Q/bin/pgark"
chown -R "$OWNER" "$Q"; chmod 755 "$Q"

cat >"$Q/pgark.conf" <<CONF
[global]
repo1-path=$Q/repo
repo1-retention-full=2
log-path=$Q/log
lock-path=$Q/lock
spool-path=$Q/spool
start-fast=y
compress-type=lz4

[demo]
pg1-path=$Q/pg
pg1-port=$PORT
pg1-socket-path=$Q/sock
pg1-user=postgres
CONF
chown "$OWNER" "$Q/pgark.conf"

run() { echo "+ $*"; "$@"; }
pgark() { run as_pg "$Q/bin/pgark" --config="$Q/pgark.conf" --stanza=demo --log-level-console=info "$@"; }

run as_pg "$PG_BIN/initdb" -k -D "$Q/pg" -A trust -U postgres --no-instructions >/dev/null
cat >>"$Q/pg/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$Q/sock'
wal_level = replica
archive_mode = on
archive_command = '$Q/bin/pgark --config=$Q/pgark.conf --stanza=demo archive-push %p'
CONF
run as_pg "$PG_BIN/pg_ctl" -D "$Q/pg" -l "$Q/pg.log" -w start >/dev/null
trap 'as_pg "$PG_BIN/pg_ctl" -D "$Q/pg" -m fast -w stop >/dev/null 2>&1 || true' EXIT

run "$Q/bin/pgark" version
pgark stanza-create
pgark check
as_pg psql -X -q -h "$Q/sock" -p "$PORT" -U postgres -c "create table t as select g as id from generate_series(1, 1000) g" postgres
as_pg psql -X -q -h "$Q/sock" -p "$PORT" -U postgres -Atc "select pg_walfile_name(pg_switch_wal())" postgres
pgark check
seg=$(ls "$Q/repo/archive/demo/15-1/0000000100000000" | head -1 | cut -c1-24)
pgark archive-get "$seg" "$Q/restored-$seg"
cmp "$Q/restored-$seg" "$Q/pg/pg_wal/$seg" && echo "quickstart: archive-get returned $seg byte for byte"
echo "quickstart: the WAL archive in $Q/repo/archive/demo:"
find "$Q/repo/archive/demo" -type f | sort | sed 's/^/  /'
echo "quickstart: done (backup and restore steps join as those commands land)"
