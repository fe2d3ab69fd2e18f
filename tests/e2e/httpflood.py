#!/usr/bin/python3
"""Bounded HTTP exhaustion attacks on 127.0.0.1 for the agent's e2e tests.

  httpflood.py trickle PORT N SECONDS READY
      N connections each send a request line, then one header line a
      second, never the blank line, for at most SECONDS. Prints JSON:
      {"closed": how many the server closed, "last": seconds until the last
      close (null if none)}. Touches READY once all N are connected.
  httpflood.py shortbody PORT N DECLARED SENT SECONDS READY STOP
      N POSTs to /v1/verify declare Content-Length DECLARED and send SENT
      bytes; touches READY, then waits for STOP (a file) or SECONDS.
      Prints JSON {"statuses": {code: count}, "refused": sends that failed}.

Only 127.0.0.1 is ever contacted; counts and times are capped.
"""
import json
import os
import select
import socket
import sys
import time

HOST = "127.0.0.1"
MAX_CONNS = 256
MAX_SECONDS = 120


def connect(port):
    s = socket.create_connection((HOST, port), timeout=5)
    s.setblocking(False)
    return s


def touch(path):
    with open(path, "w"):
        pass


def trickle(port, n, seconds, ready):
    t0 = time.monotonic()
    socks = {}
    for i in range(n):
        s = connect(port)
        s.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks[s] = i
    touch(ready)
    closed, last, tick = 0, None, 0
    while socks and time.monotonic() - t0 < seconds:
        r, _, _ = select.select(list(socks), [], [], 0.2)
        gone = []
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                gone.append(s)
        if time.monotonic() - t0 >= tick + 1:
            tick += 1
            for s in socks:
                if s in gone:
                    continue
                try:
                    s.send(b"X-Trickle-%d: x\r\n" % tick)
                except OSError:
                    gone.append(s)
        for s in set(gone):
            del socks[s]
            s.close()
            closed += 1
            last = round(time.monotonic() - t0, 1)
    for s in socks:
        s.close()
    print(json.dumps({"closed": closed, "last": last}))


def send_some(s, data, deadline):
    """Sends data on a non-blocking socket; False when the server cut it."""
    view = memoryview(data)
    while view and time.monotonic() < deadline:
        _, w, _ = select.select([], [s], [], 0.5)
        if not w:
            continue
        try:
            view = view[s.send(view):]
        except OSError:
            return False
    return not view


def status_of(s):
    try:
        head = s.recv(64)
    except OSError:
        return None
    if head.startswith(b"HTTP/1.1 ") or head.startswith(b"HTTP/1.0 "):
        return head[9:12].decode()
    return None


def shortbody(port, n, declared, sent, seconds, ready, stop):
    t0 = time.monotonic()
    socks, refused = [], 0
    body = b"a" * sent
    for _ in range(n):
        s = connect(port)
        head = b"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
        ok = send_some(s, head % declared, t0 + seconds)
        if ok:
            ok = send_some(s, body, min(t0 + seconds, time.monotonic() + 5))
        refused += 0 if ok else 1
        socks.append(s)
    touch(ready)
    while not os.path.exists(stop) and time.monotonic() - t0 < seconds:
        time.sleep(0.2)
    statuses = {}
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        code = status_of(s) if r else None
        statuses[code or "none"] = statuses.get(code or "none", 0) + 1
        s.close()
    print(json.dumps({"statuses": statuses, "refused": refused}))


def main(argv):
    port, n = int(argv[2]), min(int(argv[3]), MAX_CONNS)
    if argv[1] == "trickle":
        trickle(port, n, min(float(argv[4]), MAX_SECONDS), argv[5])
    elif argv[1] == "shortbody":
        shortbody(port, n, int(argv[4]), int(argv[5]), min(float(argv[6]), MAX_SECONDS),
                  argv[7], argv[8])
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main(sys.argv)
