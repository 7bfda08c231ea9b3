#!/usr/bin/env bash
# s3-server.sh: a throwaway S3-compatible server for pgark's tests, on loopback only, over HTTPS
# with a self-signed certificate, checking AWS SigV4 signatures (a wrong secret is refused).
#
#   s3-server.sh install                      npm-install the server once (into $PGARK_S3_HOME)
#   s3-server.sh start DIR PORT [BUCKET...]   install if needed, start, wait until it answers
#   s3-server.sh stop DIR                     stop the server started from DIR (by its saved PID)
#
# DIR receives the certificate (DIR/cert.pem, CN and SAN localhost + 127.0.0.1), the objects
# (DIR/data), the log and the PID. Credentials: access key S3RVER, secret S3RVER (the server's only
# account). Buckets default to "pgark". Use endpoint "localhost" with DIR/cert.pem as CA file to
# test verified TLS: pgBackRest matches only DNS names in certificates, never IP addresses.
#
# The server is the npm package @20minutes/s3rver 5.0.0, a fork of s3rver that verifies SigV4
# (s3rver itself does not). We patch two of its bugs after installing:
#   - it signs path-style bucket requests ("GET /bucket/?list-type=2") over "/bucket" while every
#     client signs the path as sent ("/bucket/"): listings fail with SignatureDoesNotMatch;
#   - a delimiter listing leaves out a common prefix that holds only deeper keys
#     ("backup/<label>/pg_data/..."), so a recursive removal would miss objects.
#   - a ranged GET of an empty object answers 206 with "Content-Length: 1" and no body (the client
#     sees a truncated transfer); S3 answers 416 InvalidRange, which the patch makes it do.
# Node runs with --openssl-legacy-provider: the server encrypts list continuation tokens with DES,
# which OpenSSL 3 has only there; without it any listing of more than 1000 keys answers 500.
# Known limit: requests with no Authorization header are served anonymously.
#
# Needs node (18 or later) and npm, openssl, curl, python3 (scripts/install-deps.sh installs them).
set -euo pipefail

S3_HOME=${PGARK_S3_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pgark-s3-server}
PACKAGE=@20minutes/s3rver@5.0.0

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

install_server() {
  local lib="$S3_HOME/node_modules/@20minutes/s3rver/lib"
  # Bump the marker's number when the patches change, so existing installs are patched again.
  local marker="$S3_HOME/.patched-3"
  if [ -f "$marker" ]; then return 0; fi
  command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "s3-server: node and npm are needed (run scripts/install-deps.sh)" >&2; exit 1; }
  mkdir -p "$S3_HOME"
  # A lock, so two tests starting at once do not install over each other.
  exec 9>"$S3_HOME/.install.lock"
  flock 9
  if [ -f "$marker" ]; then return 0; fi
  if [ ! -d "$lib" ]; then
    [ -f "$S3_HOME/package.json" ] || echo '{"name":"pgark-s3-server","private":true}' >"$S3_HOME/package.json"
    (cd "$S3_HOME" && npm install --no-audit --no-fund --loglevel=error "$PACKAGE" >npm-install.log 2>&1) ||
      { echo "s3-server: npm install $PACKAGE failed, see $S3_HOME/npm-install.log" >&2; exit 1; }
  fi
  # Each patch asserts the text it replaces, so an upstream change fails loudly instead of silently.
  python3 - "$lib" <<'PY'
import pathlib, sys
lib = pathlib.Path(sys.argv[1])

def patch(relative, old, new):
    path = lib / relative
    text = path.read_text()
    if new in text:
        return
    if old not in text:
        sys.exit(f"s3-server: {path} is not the version this script patches")
    path.write_text(text.replace(old, new))

# SigV4's canonical URI is the path exactly as the client sent it.
patch("middleware/authentication.js",
      "      uri: canonicalizedResource,\n",
      "      // pgark patch: SigV4 canonical URI = request path as sent\n"
      "      uri: request && request.signature && request.signature.version === 4 ? ctx.path : canonicalizedResource,\n")
# Walk below a common prefix so that prefixes holding only deeper keys are reported.
patch("stores/filesystem.js",
      "          // avoid directories occurring beneath a common prefix\n          return false\n",
      "          // pgark patch: report prefixes that hold only deeper keys\n          return true\n")
# A range of an empty object cannot be satisfied (416), as S3 says.
patch("stores/filesystem.js",
      "      if (range.start < 0 || Math.min(range.end, lastByte) < range.start) {\n",
      "      // pgark patch: no range of an empty object is satisfiable\n"
      "      if (range.start < 0 || Math.min(range.end, lastByte) < range.start ||\n"
      "          (Number(metadata['content-length']) === 0 && options && options.start !== undefined)) {\n")
PY
  # The package has no executable; its CLI module is called directly.
  cat >"$S3_HOME/run.js" <<'EOF'
require('@20minutes/s3rver/lib/cli.js').parseAsync(process.argv).catch((e) => { console.error(e); process.exit(1); });
EOF
  touch "$marker"
}

start_server() {
  local dir=$1 port=$2; shift 2
  local buckets=("$@")
  [ ${#buckets[@]} -gt 0 ] || buckets=(pgark)
  install_server
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/s3.pid" ] && kill -0 "$(cat "$dir/s3.pid")" 2>/dev/null; then
    echo "s3-server: already running in $dir (pid $(cat "$dir/s3.pid"))"; return 0
  fi
  if [ ! -f "$dir/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 3650 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
  fi
  local args=(-d "$dir/data" -a 127.0.0.1 -p "$port" --key "$dir/key.pem" --cert "$dir/cert.pem" --no-vhost-buckets)
  for b in "${buckets[@]}"; do args+=(--configure-bucket "$b"); done
  # setsid: the server outlives the calling shell's job control but is stopped by its PID.
  NODE_PATH="$S3_HOME/node_modules" setsid node --openssl-legacy-provider "$S3_HOME/run.js" "${args[@]}" \
    >"$dir/s3.log" 2>&1 </dev/null &
  echo $! >"$dir/s3.pid"
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null --cacert "$dir/cert.pem" "https://localhost:$port/"; then
      echo "s3-server: https://localhost:$port buckets=${buckets[*]} ca=$dir/cert.pem pid=$(cat "$dir/s3.pid")"
      return 0
    fi
    kill -0 "$(cat "$dir/s3.pid")" 2>/dev/null || break
    sleep 0.2
  done
  echo "s3-server: the server did not come up on port $port; its log:" >&2
  cat "$dir/s3.log" >&2
  stop_server "$dir" >/dev/null
  exit 1
}

stop_server() {
  local dir=$1 pid
  [ -f "$dir/s3.pid" ] || { echo "s3-server: nothing running in $dir"; return 0; }
  pid=$(cat "$dir/s3.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$dir/s3.pid"
  echo "s3-server: stopped pid $pid"
}

case "${1:-}" in
install) install_server; echo "s3-server: installed in $S3_HOME" ;;
start) [ $# -ge 3 ] || usage; start_server "${@:2}" ;;
stop) [ $# -eq 2 ] || usage; stop_server "$2" ;;
*) usage ;;
esac
