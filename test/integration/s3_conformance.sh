#!/usr/bin/env bash
# The storage conformance suite (test/conformance) against a real S3-compatible server over
# verified HTTPS with SigV4: the same checks the POSIX driver passes, plus multipart abort, paged
# listings and batch deletes of more than 1000 keys, and a wrong secret refused with
# SignatureDoesNotMatch. The checks live in the unit test binary, hidden from the unit run.
source "$(dirname "$0")/lib/harness.sh"
source "$(dirname "$0")/lib/s3.sh"
UNIT=$(dirname "$PGARK_SRC_BIN")/test/pgark_unit_tests
[ -x "$UNIT" ] || fail "unit test binary $UNIT not built"

s3_start
step "conformance suite against https://localhost:$S3_PORT"
out=$(PGARK_TEST_S3_PORT=$S3_PORT PGARK_TEST_S3_CA=$S3_CA "$UNIT" "[s3-server]" 2>&1) || { echo "$out"; fail "S3 conformance failed"; }
# Both test cases must really have run (a filter that matches nothing passes too).
assert_contains "$out" "All tests passed"
assert_contains "$out" "in 2 test cases"
echo "$out" | tail -1
