#!/usr/bin/env bash
# Installs everything pgark needs to build, test and demo on Debian 12 (as root or a sudo user).
# Idempotent: a second run only checks. Debian packages only.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # build
  build-essential cmake pkg-config git
  libpq-dev libzstd-dev liblz4-dev zlib1g-dev libbz2-dev libssl-dev libcurl4-openssl-dev libxml2-dev
  catch2 libfmt-dev
  # tests: a real PostgreSQL 15, the real pgBackRest 2.45 as an oracle, the codec command-line tools
  postgresql-15 postgresql-client-15 pgbackrest
  gzip bzip2 lz4 zstd openssl util-linux procps python3 bc curl
)
# The local S3 test server (test/s3/s3-server.sh) runs on node and installs with npm. A node from
# elsewhere (nodesource ships npm inside its nodejs package) is kept: Debian's npm would conflict.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # The postgresql package starts a cluster of its own on 5432; tests use their own clusters.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
