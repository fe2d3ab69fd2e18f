#!/usr/bin/python3
"""A notification receiver for the e2e tests (t5200): records requests.

notifyrecv.py --port PORT --log FILE [--cert CRT --key KEY] [--status N]

Listens on 127.0.0.1:PORT (https with --cert/--key) and appends one JSON
line per request to FILE: {"method", "path", "headers" (lower-case names),
"body"}. Answers every request with --status (default 200). Test-only.

notifyrecv.py verify KEY MAXAGE FILE [NOW]: checks every recorded request's
X-Sealsync-Signature as a receiver should (HMAC-SHA256 over
"<timestamp>.<body>", compared in constant time) and that its timestamp is
at most MAXAGE seconds before NOW (default: the time now). Prints one line
per request, "ok" or why it is refused; exits 1 when any is refused.
"""
import hashlib
import hmac
import http.server
import json
import ssl
import sys
import time


def verify(key, max_age, req, now):
    h = req["headers"]
    ts, sig = h.get("x-sealsync-timestamp"), h.get("x-sealsync-signature", "")
    if ts is None or not ts.isdigit() or not sig.startswith("sha256="):
        return "unsigned"
    want = hmac.new(key, (ts + "." + req["body"]).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig[len("sha256="):]):
        return "bad signature"
    if abs(now - int(ts)) > max_age:
        return "stale timestamp (a replay?)"
    return "ok"


def verify_main(argv):
    key = open(argv[0], "rb").read().rstrip(b"\r\n")
    max_age = int(argv[1])
    now = int(argv[3]) if len(argv) > 3 else int(time.time())
    bad = 0
    for line in open(argv[2]):
        r = verify(key, max_age, json.loads(line), now)
        print(r)
        bad |= r != "ok"
    return 1 if bad else 0


def serve(argv):
    opts = dict(zip(argv[0::2], argv[1::2]))
    log, status = opts["--log"], int(opts.get("--status", "200"))

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode()
            rec = {"method": "POST", "path": self.path, "body": body,
                   "headers": {k.lower(): v for k, v in self.headers.items()}}
            with open(log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(opts["--port"])), H)
    if "--cert" in opts:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts["--cert"], opts["--key"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        sys.exit(verify_main(sys.argv[2:]))
    serve(sys.argv[1:])
