#!/usr/bin/env bash
# The test command: installs what is needed, builds, then runs every test (unit and integration)
# with ctest. Integration tests start their own PostgreSQL 15 clusters (as the postgres OS user
# when run as root) and use the real pgbackrest 2.45 as an oracle.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure --no-tests=error -j1 "$@"
