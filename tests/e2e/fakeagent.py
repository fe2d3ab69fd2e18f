#!/usr/bin/python3
"""A hostile stand-in for the agent's https API, for the e2e tests.

  fakeagent.py PORT CERT KEY RECIPIENTS REPLY

GET /v1/recipients answers the file RECIPIENTS (the real agent's answer, so
recipient pins pass); POST /v1/reseal answers the file REPLY, read at each
request (a SealedSecret the test forged). Each request is logged on stderr.
"""
import http.server
import ssl
import sys

PORT, CERT, KEY, RECIPIENTS, REPLY = sys.argv[1:6]


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/v1/recipients":
            self.answer(read(RECIPIENTS), "text/plain; charset=utf-8")
        else:
            self.send_error(404)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v1/reseal":
            self.answer(read(REPLY), "application/yaml")
        else:
            self.send_error(404)


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv = http.server.HTTPServer(("127.0.0.1", int(PORT)), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
