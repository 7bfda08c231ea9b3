#!/usr/bin/env python3
"""fault-proxy.py: a TLS proxy for tests that sits between pgark and the local S3 test server and
injects failures. Loopback only, bounded (it exits after --lifetime seconds or --max-requests).

  fault-proxy.py --port P --cert C --key K --upstream-port U --log FILE [--fail RULE]...

RULE is METHOD:COUNT:STATUS:CODE[:TEXT], e.g. "PUT:2:503:SlowDown": the first COUNT requests with
that method ("any" = every method), and whose path contains TEXT when given, get STATUS with an S3
XML error CODE instead of being forwarded.
STATUS "reset" drops the connection with a TCP reset instead of answering; "hang" answers nothing
for 5 seconds (longer than a test's io-timeout), then drops the connection. Rules are tried in order.
Everything else is forwarded unchanged (headers included, so SigV4 signatures still verify), after
the checks AWS makes of a body and the test server does not: a Content-MD5 or a hex
x-amz-content-sha256 that does not match the body gets 400 BadDigest or XAmzContentSHA256Mismatch.
Each request is logged as "<METHOD> <path> <status> forwarded|injected|refused", with " digests"
after "forwarded" when the body's digests were checked (and with --log-connections
each accepted connection as "CONNECTION <client port>"). The certificate it serves
is the caller's choice, which is how tests offer a certificate for the wrong host name.
"""
import argparse
import base64
import hashlib
import http.client
import http.server
import re
import socket
import ssl
import struct
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--upstream-port", type=int, required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--fail", action="append", default=[])
parser.add_argument("--lifetime", type=float, default=600)
parser.add_argument("--max-requests", type=int, default=20000)
# For bench/s3.sh: one "CONNECTION <client port>" line per accepted TLS connection, so that
# connection reuse can be counted beside the requests.
parser.add_argument("--log-connections", action="store_true")
args = parser.parse_args()

rules = []
for rule in args.fail:
    method, count, status, code, *text = rule.split(":", 4)
    rules.append({"method": method.upper(), "left": int(count), "status": status, "code": code,
                  "text": text[0] if text else ""})
lock = threading.Lock()
handled = 0
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def setup(self):
        super().setup()
        if args.log_connections:
            with lock:
                with open(args.log, "a") as log:
                    log.write(f"CONNECTION {self.client_address[1]}\n")

    def record(self, status, how):
        with lock:
            with open(args.log, "a") as log:
                log.write(f"{self.command} {self.path} {status} {how}\n")

    def injected(self):
        with lock:
            for rule in rules:
                if rule["left"] > 0 and rule["method"] in ("ANY", self.command) and rule["text"] in self.path:
                    rule["left"] -= 1
                    return rule
        return None

    def handle_one(self):
        global handled
        with lock:
            handled += 1
            if handled > args.max_requests:
                self.send_error(503, "proxy request limit reached")
                return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = self.injected()
        if rule and rule["status"] in ("reset", "hang"):
            self.record(rule["status"], "injected")  # before the wait, so a test sees it at once
            if rule["status"] == "hang":
                time.sleep(5)
            # SO_LINGER 0: close() sends a TCP reset, as a crashed or overloaded peer would.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if rule:
            self.error_reply(int(rule["status"]), rule["code"], "injected by fault-proxy")
            self.record(rule["status"], "injected")
            return
        md5 = self.headers.get("Content-MD5")
        sha256 = self.headers.get("x-amz-content-sha256") or ""
        sha256 = sha256 if re.fullmatch("[0-9a-f]{64}", sha256) else ""  # not UNSIGNED-PAYLOAD and the like
        if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5:
            self.error_reply(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
            self.record(400, "refused")
            return
        if sha256 and hashlib.sha256(body).hexdigest() != sha256:
            self.error_reply(400, "XAmzContentSHA256Mismatch",
                             "The provided 'x-amz-content-sha256' header does not match what was computed.")
            self.record(400, "refused")
            return
        checked = " digests" if body and (md5 is not None or sha256) else ""
        upstream = http.client.HTTPSConnection("127.0.0.1", args.upstream_port, timeout=30,
                                               context=ssl._create_unverified_context())
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None,
                         headers=headers)
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)) if self.command != "HEAD" else
                         response.getheader("Content-Length", "0"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()
        self.record(response.status, "forwarded" + checked)

    def error_reply(self, status, code, message):
        reply = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                 f"<Message>{message}</Message></Error>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one


server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(args.cert, args.key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
# What a caller waits for: a bare connect to the port can succeed without this proxy (another
# socket on it), so the port being in use does not prove the proxy started.
print(f"fault-proxy: listening on 127.0.0.1:{args.port}", flush=True)
time.sleep(args.lifetime)
print("fault-proxy: lifetime over", file=sys.stderr)
server.shutdown()
