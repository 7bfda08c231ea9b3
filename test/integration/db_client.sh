#!/usr/bin/env bash
# Runs the libpq client's Catch2 tests that need a real PostgreSQL 15 cluster (tag [db][integration],
# hidden from the unit run): connection, settings, WAL switch, backup start/stop, advisory lock.
set -euo pipefail
UNIT_TESTS="$(dirname "$1")/test/pgark_unit_tests"
[ -x "$UNIT_TESTS" ] || { echo "SKIP: $UNIT_TESTS not built"; exit 77; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "SKIP: PostgreSQL 15 not installed"; exit 77; }
exec "$UNIT_TESTS" "[db][integration]"
