#!/usr/bin/env bash
# S3 repositories end to end, against the local S3 test server over verified HTTPS with SigV4:
#  1. pgark alone on S3: stanza-create, check (archive_command pushing to S3), full backup on two
#     workers into bundles, incr backup under load; pgark info is byte-identical to pgbackrest info; pgbackrest
#     2.45 verifies the bucket, restores it and PostgreSQL comes up with the source's data; so does
#     pgark restore from S3.
#  2. pgbackrest writes to S3 (stanza-create, archive-push, full backup), pgark reads it: info
#     identical, archive-get returns the same bytes.
#     Then expire (retention 1 full) removes every object of the older backups.
#  3. repo1 POSIX + repo2 S3 encrypted (as in pgbackrest.conf.example): archive-push goes to both,
#     backup --repo=2, info identical, pgbackrest verifies repo2.
#  4. faults through a fault-injecting proxy: 500, SlowDown, a connection reset and a server that
#     stops answering are retried, then the command succeeds; a wrong
#     secret fails with SignatureDoesNotMatch (and the secret is not printed); a certificate for
#     another host name is refused unless --no-repo1-storage-verify-tls.
#  4e. without bundles, small files go up several at once per worker (more connections than
#     workers); a 503 is retried, a PUT refused for good fails the backup naming the file.
#  5. no secret reaches a log file.
source "$(dirname "$0")/lib/harness.sh"
source "$(dirname "$0")/lib/s3.sh"
command -v pgbackrest >/dev/null || skip "pgbackrest 2.45 not installed (run scripts/install-deps.sh)"
PORT=$PGARK_TEST_PORT
RPORT=$((PORT + 1))

s3_start

# s3_repo N PATH [PORT] [CA]: the repo<N> lines of an S3 repository in the test bucket.
s3_repo() {
  local n=$1 path=$2 port=${3:-$S3_PORT} ca=${4:-$S3_CA}
  cat <<CONF
repo$n-type=s3
repo$n-path=$path
repo$n-s3-bucket=pgark
repo$n-s3-endpoint=localhost
repo$n-storage-port=$port
repo$n-s3-region=us-east-1
repo$n-s3-key=S3RVER
repo$n-s3-key-secret=S3RVER
repo$n-s3-uri-style=path
repo$n-storage-ca-file=$ca
repo$n-retention-full=2
CONF
}
# write_conf NAME REPO-LINES: $T/NAME.conf with the test's global settings and stanza "main".
write_conf() {
  {
    printf '[global]\n%s\n' "$2"
    printf 'log-path=%s\nlock-path=%s\narchive-timeout=30\nstart-fast=y\ncompress-type=lz4\n' "$T/log" "$T/lock"
    printf '\n'; main_stanza
  } >"$T/$1.conf"
  chown "$PG_OWNER" "$T/$1.conf"
}
run() { local conf=$1; shift; as_pg "$PGARK" --config="$T/$conf.conf" --stanza=main "$@"; }
pgbr() { local conf=$1; shift; as_pg pgbackrest --config="$T/$conf.conf" --stanza=main "$@"; }
state() { psql_q "$1" "select count(*), sum(abalance), (select count(*) from pgbench_history) from pgbench_accounts"; }
same_info() { # same_info CONF: pgark info and pgbackrest info agree byte for byte
  local ours theirs
  ours=$(run "$1" info) || fail "pgark info failed: $ours"
  theirs=$(pgbr "$1" info) || fail "pgbackrest info failed: $theirs"
  [ "$ours" = "$theirs" ] || fail "info differs from pgbackrest's on $1:"$'\n'"$ours"$'\n---\n'"$theirs"
}
# check_restored DIR: start a restored cluster on RPORT and compare with the source's state.
check_restored() {
  start_restored "$1" "$RPORT"
  local got; got=$(state "$RPORT")
  pg_stop "$1"
  assert_eq "$got" "$(cat "$T/expected")" "cluster restored to $1 differs from the source"
}

step "1. pgark on an S3 repository (at ${SECONDS}s)"
# Bundles (as pgBackRest advises for object stores): few objects, and restores read byte ranges.
write_conf s3 "$(s3_repo 1 /pgark)
repo1-bundle=y"
pg_init "$T/pg" "$PORT" "$PGARK --config=$T/s3.conf --stanza=main archive-push %p"
pg_start "$T/pg"
as_pg pgbench -q -i -s 1 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1
run s3 stanza-create >/dev/null
run s3 check >/dev/null || fail "check on the S3 repository failed"
run s3 --type=full --process-max=2 backup
as_pg pgbench -n -T 2 -c 2 -h "$T/sock" -p "$PORT" -U postgres postgres >/dev/null 2>&1
run s3 --type=incr backup
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
state "$PORT" >"$T/expected"
# The objects sit where pgBackRest puts them: <repo-path>/<archive|backup>/<stanza>/...
[ -f "$S3_DIR/data/pgark/pgark/backup/main/backup.info._S3rver_object" ] || fail "backup.info is not at pgark/backup/main in the bucket: $(ls -R "$S3_DIR/data" | head -20)"
same_info s3
assert_contains "$(run s3 info)" "incr backup:"
pgbr s3 verify >/dev/null || fail "pgbackrest verify failed on pgark's S3 repository"
new_pg_dir "$T/restore"
pgbr s3 --pg1-path="$T/restore" restore >/dev/null || fail "pgbackrest restore from S3 failed"
check_restored "$T/restore"
step "1b. pgark restore from S3 (at ${SECONDS}s)"
new_pg_dir "$T/restore"
run s3 --pg1-path="$T/restore" --process-max=2 restore >/dev/null || fail "pgark restore from S3 failed"
check_restored "$T/restore"

step "2. pgbackrest writes to S3, pgark reads it (at ${SECONDS}s)"
write_conf pgbr "$(s3_repo 1 /pgbr)"
pgbr pgbr stanza-create >/dev/null
run s3 archive-get "$seg" "$T/$seg" 
chown "$PG_OWNER" "$T/$seg"
pgbr pgbr archive-push "$T/$seg" >/dev/null || fail "pgbackrest archive-push to S3 failed"
pgbr pgbr --type=full --archive-check=n backup >/dev/null || fail "pgbackrest backup to S3 failed"
same_info pgbr
run pgbr archive-get "$seg" "$T/got" || fail "pgark archive-get of pgbackrest's segment failed"
cmp -s "$T/$seg" "$T/got" || fail "pgark archive-get returned other bytes than pgbackrest archived"

step "2b. expire on S3 removes every object of the expired backups (at ${SECONDS}s)"
bdir="$S3_DIR/data/pgark/pgark/backup/main"
old_full=$(ls "$bdir" | grep -E '^[0-9]{8}-[0-9]{6}F$' | head -1)
[ -n "$old_full" ] || fail "no full backup in the bucket: $(ls "$bdir")"
run s3 --repo1-retention-full=1 --type=full backup
# (its manifest stays in backup.history, as pgBackRest keeps it)
[ -z "$(find "$bdir/$old_full"* -type f 2>/dev/null)" ] || fail "objects of expired $old_full remain: $(find "$bdir/$old_full"* -type f | head)"
[ -f "$bdir/backup.history/${old_full:0:4}/$old_full.manifest.gz._S3rver_object" ] || fail "the history manifest of $old_full is missing"
same_info s3
pgbr s3 verify >/dev/null || fail "pgbackrest verify failed after pgark's expire on S3"

step "3. repo1 POSIX + repo2 S3 encrypted (at ${SECONDS}s)"
# repo2 as in pgbackrest.conf.example: S3 and encrypted.
write_conf two "repo1-path=$T/repo
repo1-retention-full=2
$(s3_repo 2 /two)
repo2-cipher-type=aes-256-cbc
repo2-cipher-pass=another-long-random-passphrase"
psql_q "$PORT" "alter system set archive_command = '$PGARK --config=$T/two.conf --stanza=main archive-push %p'" >/dev/null
psql_q "$PORT" "select pg_reload_conf()" >/dev/null
run two stanza-create >/dev/null
run two --repo=2 --type=full backup
seg=$(switch_wal "$PORT"); wait_archived "$PORT" "$seg"
for repo in 1 2; do
  rm -f "$T/got"
  run two --repo=$repo archive-get "$seg" "$T/got" || fail "segment $seg missing from repo$repo"
done
same_info two
pgbr two --repo=2 verify >/dev/null || fail "pgbackrest verify of repo2 (S3) failed"

step "4. faults: 500, reset, no answer and SlowDown are retried (at ${SECONDS}s)"
# Two 500s, then a connection reset, then a server that stops answering (io-timeout 1 s).
s3_proxy $((S3_PORT + 1)) "$S3_DIR/cert.pem" "$S3_DIR/key.pem" --fail any:2:500:InternalError \
  --fail any:1:reset:x --fail any:1:hang:x
write_conf proxy500 "$(s3_repo 1 /pgark $((S3_PORT + 1)))"
out=$(run proxy500 --io-timeout=1 --log-level-console=detail info 2>&1) || fail "info through faults failed: $out"
assert_contains "$out" "retry 1/4 of "
assert_contains "$out" "after: HTTP 500"
# (curl itself retries a reused connection that was reset once, so the no-answer can come within
# the same try as the reset)
assert_contains "$out" "retry 3/4 of "
assert_contains "$out" "full backup:"
assert_eq "$(grep -c injected "$T/proxy-$((S3_PORT + 1)).log")" 4
s3_proxy $((S3_PORT + 2)) "$S3_DIR/cert.pem" "$S3_DIR/key.pem" --fail PUT:2:503:SlowDown
write_conf slow "$(s3_repo 1 /slow $((S3_PORT + 2)))"
out=$(run slow --log-level-console=detail stanza-create 2>&1) || fail "stanza-create through SlowDown failed: $out"
assert_contains "$out" "after: HTTP 503"
assert_eq "$(grep -c 'PUT .* 503 injected' "$T/proxy-$((S3_PORT + 2)).log")" 2
same_info slow

step "4a. one PUT for a segment; parts for the rest: a reset is retried, a part that keeps failing aborts (at ${SECONDS}s)"
# Parts of 64 KiB. (The test server answers an abort with 405, it cannot abort uploads; pgark asks all the same.)
mp_repo() { s3_repo 1 "$1" "${2:-$S3_PORT}"; printf 'repo1-storage-upload-chunk-size=64KiB\n'; }
# restart_proxy RULE...: the proxy on S3_PORT+2 again, with new rules and an empty log.
restart_proxy() {
  kill "${S3_PROXY_PIDS[-1]}"; wait "${S3_PROXY_PIDS[-1]}" 2>/dev/null || true
  rm -f "$T/proxy-$((S3_PORT + 2)).log"
  s3_proxy $((S3_PORT + 2)) "$S3_DIR/cert.pem" "$S3_DIR/key.pem" "$@"
}
plog="$T/proxy-$((S3_PORT + 2)).log"
for path in /mp /mpfail; do write_conf "${path#/}" "$(mp_repo $path)"; run "${path#/}" stanza-create >/dev/null; done
write_conf mpproxy "$(mp_repo /mp $((S3_PORT + 2)))"
write_conf mpfail "$(mp_repo /mpfail $((S3_PORT + 2)))"
# A segment is compressed in memory before its name is known, so its size is too: one PUT.
mpseg=$(cd "$T" && ls | grep -E '^[0-9A-F]{24}$' | head -1)  # the copy step 2 made
[ -n "$mpseg" ] || fail "no segment copy in $T"
restart_proxy --fail PUT:1:reset:x
run mpproxy --compress-type=none archive-push "$T/$mpseg" || fail "archive-push through a reset failed"
assert_eq "$(grep -c "^PUT .*/$mpseg-[0-9a-f]* 200 forwarded" "$plog")" 1
assert_eq "$(grep -c 'reset injected' "$plog")" 1
! grep -q partNumber "$plog" || fail "the segment went up in parts: $(grep partNumber "$plog" | head -3)"
run mp archive-get "$mpseg" "$T/got-mp" || fail "archive-get of the segment failed"
cmp -s "$T/$mpseg" "$T/got-mp" || fail "the segment came back different"
# Compressed, the segment's Content-MD5 and payload SHA-256 are computed while it is compressed,
# not by the upload: the proxy checks both against the body, as AWS does.
write_conf mpz "$(mp_repo /mpz)"; run mpz stanza-create >/dev/null
write_conf mpzproxy "$(mp_repo /mpz $((S3_PORT + 2)))"
restart_proxy
run mpzproxy --compress-type=zst archive-push "$T/$mpseg" || fail "archive-push of a compressed segment failed: $(cat "$plog")"
assert_eq "$(grep -c "^PUT .*/$mpseg-[0-9a-f]*\.zst 200 forwarded digests" "$plog")" 1
run mpz archive-get "$mpseg" "$T/got-mpz" || fail "archive-get of the compressed segment failed"
cmp -s "$T/$mpseg" "$T/got-mpz" || fail "the compressed segment came back different"
# A file of unknown size (a history file, stored as it is) goes up in parts from a second thread.
mkdir -p "$T/hist"; head -c 1048576 /dev/urandom >"$T/hist/0000000A.history"; chown -R "$PG_OWNER" "$T/hist"
restart_proxy --fail PUT:1:reset:x
run mpproxy archive-push "$T/hist/0000000A.history" || fail "archive-push in parts through a reset failed"
assert_eq "$(grep -c 'PUT .*0000000A.history?partNumber=.* 200 forwarded' "$plog")" 16
assert_eq "$(grep -c 'reset injected' "$plog")" 1
run mp archive-get 0000000A.history "$T/got-hist" || fail "archive-get of the file pushed in parts failed"
cmp -s "$T/hist/0000000A.history" "$T/got-hist" || fail "the file pushed in parts came back different"
restart_proxy --fail PUT:99:500:InternalError
set +e; out=$(run mpfail archive-push "$T/hist/0000000A.history" 2>&1); rc=$?; set -e
[ $rc -eq 64 ] || fail "archive-push with every part refused: expected exit 64, got $rc: $out"
assert_contains "$out" "HTTP 500"
grep -q 'DELETE .*0000000A.history?uploadId=.* forwarded' "$plog" || fail "the failed upload was not aborted"
[ -z "$(find "$S3_DIR/data/pgark/mpfail/archive" -name '0000000A*')" ] || fail "a failed upload left an object"

step "4e. small files go up several at once; a 503 is retried, a refused PUT fails the backup naming the file (at ${SECONDS}s)"
# No bundles: every file is an object, and the small ones are grouped, several PUTs per worker at once.
write_conf grp "$(s3_repo 1 /grp)"
run grp stanza-create >/dev/null
write_conf grpproxy "$(s3_repo 1 /grp $((S3_PORT + 2)))"
small=/pg_data/base/1/PG_VERSION.lz4
restart_proxy --log-connections --fail "PUT:2:503:SlowDown:$small"
run grpproxy --archive-check=n --process-max=1 --type=full backup || fail "backup through two SlowDowns failed"
assert_eq "$(grep -c "^PUT .*$small 503 injected" "$plog")" 2
assert_eq "$(grep -c "^PUT .*$small 200 forwarded" "$plog")" 1
# One worker, yet its files went up on several connections at once.
conns=$(grep -c '^CONNECTION' "$plog")
[ "$conns" -ge 3 ] || fail "one worker used $conns connection(s): the small files did not go up side by side"
pgbr grp verify >/dev/null || fail "pgbackrest verify failed on the grouped backup"
new_pg_dir "$T/restore"
pgbr grp --pg1-path="$T/restore" restore >/dev/null || fail "pgbackrest restore of the grouped backup failed"
# template1 does not change under the test's load: restored byte for byte.
diff -r "$T/pg/base/1" "$T/restore/base/1" >/dev/null || fail "template1 restored from the grouped backup differs"
restart_proxy --fail "PUT:99:403:AccessDenied:$small"
# (job-retry 1: the worker runs the failed group once more, at once; a 403 is not retried by HTTP.)
expect_exit 64 run grpproxy --archive-check=n --process-max=2 --job-retry=1 --type=full backup
assert_eq "$(grep -c "^PUT .*$small 403 injected" "$plog")" 2
assert_contains "$OUT" "unable to back up file '$T/pg/base/1/PG_VERSION': unable to write file '/grp/backup/main/"
assert_contains "$OUT" "HTTP 403"
assert_eq "$(run grp info | grep -c 'full backup:')" 1
gdir="$S3_DIR/data/pgark/grp/backup/main"
failed=$(ls "$gdir" | grep -E '^[0-9]{8}-[0-9]{6}F$' | tail -1)
[ "$(ls "$gdir" | grep -cE '^[0-9]{8}-[0-9]{6}F$')" = 2 ] || fail "expected the listed backup and the failed one in $gdir: $(ls "$gdir")"
[ ! -e "$gdir/$failed$small._S3rver_object" ] || fail "a refused PUT left an object in $failed"

step "4b. a wrong secret: SignatureDoesNotMatch, the secret not printed (at ${SECONDS}s)"
set +e
out=$(as_pg env PGBACKREST_REPO1_S3_KEY_SECRET=wrong-secret-4711 "$PGARK" --config="$T/s3.conf" --stanza=main stanza-create 2>&1)
rc=$?
set -e
[ $rc -ne 0 ] || fail "a wrong secret was accepted"
assert_contains "$out" "HTTP 403"
assert_contains "$out" "SignatureDoesNotMatch"
case "$out" in *wrong-secret-4711*) fail "the secret was printed: $out";; esac

# Instance-role and web-identity keys are not supported yet: a clear refusal, not a silent failure.
expect_exit 67 run s3 --repo1-s3-key-type=auto stanza-create
assert_contains "$OUT" "repo1-s3-key-type=auto is not supported"

step "4c. TLS: a certificate for another host name is refused unless verification is off (at ${SECONDS}s)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other-key.pem" -out "$T/other.pem" -days 2 \
  -subj "/CN=other.example" -addext "subjectAltName=DNS:other.example" 2>/dev/null
chmod 644 "$T/other.pem" "$T/other-key.pem"
s3_proxy $((S3_PORT + 3)) "$T/other.pem" "$T/other-key.pem"
write_conf tls "$(s3_repo 1 /pgark $((S3_PORT + 3)) "$T/other.pem")"
expect_exit 39 run tls stanza-create
assert_contains "$OUT" "TLS certificate verification failed"
assert_contains "$OUT" "repo-storage-verify-tls"
out=$(run tls --no-repo1-storage-verify-tls stanza-create 2>&1) || fail "verify-tls=n still refused: $out"

step "4d. repo1-storage-host: connect elsewhere than the endpoint (at ${SECONDS}s)"
out=$(run s3 --repo1-s3-endpoint=s3.pgark.invalid --repo1-storage-host=127.0.0.1 --no-repo1-storage-verify-tls info 2>&1) ||
  fail "info through repo1-storage-host failed: $out"
assert_contains "$out" "full backup:"

step "5. no credential in any log file (at ${SECONDS}s)"
ls "$T/log"/*.log >/dev/null || fail "no log files written"
! grep -l "S3RVER\|another-long-random" "$T/log"/*.log || fail "a secret reached a log file"
grep -q "repo1-s3-key-secret=<redacted>" "$T/log"/main-stanza-create.log || fail "the command line log does not redact the secret"
echo "ok"
