#!/usr/bin/env bash
# archive-push and archive-get against a real PostgreSQL 15 cluster (data checksums on) with
# archive_command = 'pgark ... archive-push %p': for every compression type, plain and encrypted,
# stanza-create, check, pgbench traffic and pg_switch_wal() put every segment into the repository
# as <24 hex>-<sha1>.<ext>, and archive-get returns byte-identical segments. The encrypted case is
# also decoded with the openssl and codec command-line tools, independently of pgark.
source "$(dirname "$0")/lib/harness.sh"
PORT=$PGARK_TEST_PORT

write_conf() { # write_conf REPO COMPRESS CIPHER(y/n)
  cat >"$T/pgark.conf" <<CONF
[global]
repo1-path=$1
compress-type=$2
$(test_globals)
log-level-file=detail
CONF
  if [ "$3" = y ]; then printf 'repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=pass with spaces & quotes"\n' >>"$T/pgark.conf"; fi
  cat >>"$T/pgark.conf" <<CONF

$(main_stanza)
CONF
  chown "$PG_OWNER" "$T/pgark.conf"
}

pg_init "$T/pg" "$PORT" "$PGARK --config=$T/pgark.conf --stanza=main archive-push %p"
echo "wal_keep_size = 1GB" >>"$T/pg/postgresql.conf"
write_conf "$T/repo-start" none n
pg_start "$T/pg"

ext_of() { case $1 in none) echo "";; *) echo ".$1";; esac; }
decompress_cmd() { case $1 in gz) echo "gzip -dc";; bz2) echo "bzip2 -dc";; lz4) echo "lz4 -dc";; zst) echo "zstd -dc";; none) echo cat;; esac; }

for cipher in n y; do
  for compress in gz bz2 lz4 zst none; do
    repo="$T/repo-$compress-$cipher"
    step "compress=$compress encrypted=$cipher"
    write_conf "$repo" "$compress" "$cipher"
    pgark_pg --stanza=main stanza-create
    pgark_pg --stanza=main check
    as_pg pgbench -q -i -s 1 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1
    as_pg pgbench -n -t 200 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null
    seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
    seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"

    ext=$(ext_of "$compress")
    archive_id_dir="$repo/archive/main/15-1"
    [ -d "$archive_id_dir" ] || fail "no archive id directory $archive_id_dir"
    count=0
    while IFS= read -r stored; do
      name=$(basename "$stored")
      [[ "$name" =~ ^([0-9A-F]{24})-([0-9a-f]{40})${ext//./\\.}$ ]] || fail "bad stored name $name"
      segment=${BASH_REMATCH[1]}; sha=${BASH_REMATCH[2]}
      [ "$(dirname "$stored")" = "$archive_id_dir/${segment:0:16}" ] || fail "segment $name in the wrong directory"
      as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get "$segment" "$T/got"
      assert_eq "$(sha1sum <"$T/got" | cut -d' ' -f1)" "$sha" "archive-get of $segment"
      if [ -f "$T/pg/pg_wal/$segment" ] && [ -f "$T/pg/pg_wal/archive_status/$segment.done" ]; then
        cmp -s "$T/got" "$T/pg/pg_wal/$segment" || fail "archive-get of $segment differs from pg_wal"
      fi
      count=$((count + 1))
    done < <(find "$archive_id_dir" -mindepth 2 -type f -name '*-*' | sort)
    [ "$count" -ge 3 ] || fail "expected at least 3 archived segments, found $count"
    # Every segment PostgreSQL marked as archived while this repo was configured is in the repository.
    [ -f "$repo/archive/main/archive.info" ] && [ -f "$repo/archive/main/archive.info.copy" ] || fail "info files missing"

    if [ "$cipher" = y ]; then
      # Independent decode: repo pass -> archive.info -> archive sub-pass -> segment -> codec tool.
      info=$(openssl enc -d -aes-256-cbc -md sha1 -pass 'pass:pass with spaces & quotes"' -in "$repo/archive/main/archive.info" 2>/dev/null)
      subpass=$(printf '%s\n' "$info" | sed -n 's/^cipher-pass="\(.*\)"$/\1/p')
      [ ${#subpass} -eq 64 ] || fail "archive sub-passphrase is not 64 characters"
      stored=$(find "$archive_id_dir" -mindepth 2 -type f -name '*-*' | sort | tail -1)
      openssl enc -d -aes-256-cbc -md sha1 -pass "pass:$subpass" -in "$stored" 2>/dev/null | $(decompress_cmd "$compress") >"$T/dec"
      sha=$(basename "$stored"); sha=${sha:25:40}
      assert_eq "$(sha1sum <"$T/dec" | cut -d' ' -f1)" "$sha" "openssl decode of $(basename "$stored")"
    else
      stored=$(find "$archive_id_dir" -mindepth 2 -type f -name '*-*' | sort | tail -1)
      $(decompress_cmd "$compress") <"$stored" >"$T/dec"
      sha=$(basename "$stored"); sha=${sha:25:40}
      assert_eq "$(sha1sum <"$T/dec" | cut -d' ' -f1)" "$sha" "codec tool decode of $(basename "$stored")"
    fi
    echo "    $count segments verified"
  done
done

step "archive-get of a segment that is in no repository exits 1"
expect_exit 1 as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get FFFFFFFF00000000000000FF "$T/none"
[ ! -e "$T/none" ] || fail "archive-get created a destination for a missing segment"

step "history and backup history files are stored raw"
printf '1\t0/3000000\tno recovery target specified\n' >"$T/00000002.history"
chown "$PG_OWNER" "$T/00000002.history"
pgark_pg --stanza=main archive-push "$T/00000002.history"
[ -f "$repo/archive/main/15-1/00000002.history" ] || fail "history file not stored in the archive id directory"
as_pg "$PGARK" --config="$T/pgark.conf" --stanza=main archive-get 00000002.history "$T/h"
cmp -s "$T/h" "$T/00000002.history" || fail "history file round trip differs"
echo "PASS: $TEST_NAME"
