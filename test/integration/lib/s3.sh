# S3 helpers for integration tests (sourced after harness.sh): start the local S3 test server
# (test/s3/s3-server.sh) and the fault-injecting proxy (test/s3/fault-proxy.py) in $T, and stop
# them when the test ends. The server takes S3_PORT and the proxies S3_PORT+1..+3: the first block
# of four free ports from PGARK_TEST_S3_PORT (default: PGARK_TEST_PORT - 26332, i.e. 29100 for the
# default 55432), so that several people testing at once on one machine do not collide. The block
# sits below Linux's ephemeral ports (32768-60999 by default): there the test's own outgoing
# connections take local ports, and one of them once held S3_PORT+2 just as a proxy was to listen
# on it (bind: address already in use).
S3_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../s3" && pwd)
port_used() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
S3_PORT=${PGARK_TEST_S3_PORT:-$((PGARK_TEST_PORT - 26332))}
for _ in $(seq 1 20); do
  port_used "$S3_PORT" || port_used $((S3_PORT + 1)) || port_used $((S3_PORT + 2)) || port_used $((S3_PORT + 3)) || break
  S3_PORT=$((S3_PORT + 4))
done
S3_DIRS=()
S3_PROXY_PIDS=()

command -v node >/dev/null && command -v npm >/dev/null || skip "node and npm are needed for the S3 test server (run scripts/install-deps.sh)"

s3_stop_all() {
  local p d
  for p in "${S3_PROXY_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for d in "${S3_DIRS[@]:-}"; do [ -n "$d" ] && bash "$S3_TOOLS/s3-server.sh" stop "$d" >/dev/null 2>&1 || true; done
}
# Stop the servers first, then the harness's own cleanup with the test's exit status.
# set +e: a failing stop must not skip the harness's cleanup (which stops the clusters).
trap 'rc=$?; set +e; s3_stop_all; (exit $rc); cleanup' EXIT

# s3_start: starts the server on $S3_PORT with bucket "pgark"; sets S3_DIR and S3_CA (its certificate).
s3_start() {
  S3_DIR="$T/s3"
  S3_DIRS+=("$S3_DIR")
  bash "$S3_TOOLS/s3-server.sh" start "$S3_DIR" "$S3_PORT" pgark >"$T/s3-start.log" 2>&1 ||
    { cat "$T/s3-start.log"; fail "the S3 test server did not start"; }
  S3_CA="$S3_DIR/cert.pem"
  chmod 755 "$S3_DIR"
  chmod 644 "$S3_CA"
}

# s3_proxy PORT CERT KEY [RULE...]: a TLS proxy on PORT in front of the server; see fault-proxy.py
# for the rules. Its request log is $T/proxy-PORT.log.
s3_proxy() {
  local port=$1 cert=$2 key=$3; shift 3
  python3 "$S3_TOOLS/fault-proxy.py" --port "$port" --cert "$cert" --key "$key" --upstream-port "$S3_PORT" \
    --log "$T/proxy-$port.log" "$@" >"$T/proxy-$port.out" 2>&1 &
  local pid=$! i
  S3_PROXY_PIDS+=("$pid")
  # The proxy says when it listens (no request: that would use up one of the injected failures);
  # one that cannot bind its port exits, and the test fails with its message.
  for i in $(seq 1 50); do
    grep -q "^fault-proxy: listening on" "$T/proxy-$port.out" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$T/proxy-$port.out"; fail "the fault proxy did not start on port $port"
}
