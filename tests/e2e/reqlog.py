#!/usr/bin/python3
"""Queries an API server's request log (JSON lines) for the e2e tests.

Two formats: ss-apiserver's request log (method, path, query, status,
dryRun) and kube-apiserver's audit log (verb, requestURI, objectRef,
responseStatus, user), read as the same fields: the audit verb gives the
method (get/list/watch GET, create POST, update PUT, patch PATCH,
delete/deletecollection DELETE), dryRun comes from requestURI's query. Of
the audit log only stage ResponseComplete counts (a watch also has a
ResponseStarted), and only requests of users outside "system:" (the
apiserver's own loopback, the controller-manager): the tests' kubectl and
the agent are users the test made.

  reqlog.py LOG writes [--path SUBSTR]      count real writes (not dryRun)
  reqlog.py LOG dryruns [--path SUBSTR]     count dry-run writes
  reqlog.py LOG count METHOD [--path S]     count requests by method
  reqlog.py LOG mark                        print the number of lines so far
  reqlog.py LOG writes --since N            only lines after mark N
  reqlog.py LOG dump [--since N]            print method, path, query, status
  reqlog.py LOG requests [--since N]        count every request (watches too)
"""
import json
import sys

WRITES = {"PATCH", "POST", "PUT", "DELETE"}


AUDIT_METHODS = {"get": "GET", "list": "GET", "watch": "GET", "create": "POST",
                 "update": "PUT", "patch": "PATCH", "delete": "DELETE",
                 "deletecollection": "DELETE"}


def from_audit(e):
    """An audit event as a request-log entry, or None when it does not count."""
    if e.get("stage") != "ResponseComplete":
        return None
    user = (e.get("user") or {}).get("username", "")
    if user.startswith("system:") and not user.startswith("system:serviceaccount:sealsync"):
        return None
    path, _, query = e.get("requestURI", "").partition("?")
    return {"method": AUDIT_METHODS.get(e.get("verb"), e.get("verb", "").upper()),
            "path": path, "query": query, "user": user,
            "status": (e.get("responseStatus") or {}).get("code"),
            "objectRef": e.get("objectRef") or {}}


def lines(path, since):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i < since or not line.strip():
                continue
            e = json.loads(line)
            if "auditID" in e:
                e = from_audit(e)
                if e is None:
                    continue
            yield e


def is_dry(e):
    q = e.get("query") or ""
    return bool(e.get("dryRun")) or "dryRun=All" in q


def main():
    log, cmd = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    since, path, method = 0, None, None
    if cmd == "count":
        method, args = args[0], args[1:]
    while args:
        if args[0] == "--since":
            since, args = int(args[1]), args[2:]
        elif args[0] == "--path":
            path, args = args[1], args[2:]
        else:
            sys.exit("reqlog: bad argument " + args[0])
    if cmd == "mark":
        with open(log, encoding="utf-8") as f:
            print(sum(1 for _ in f))
        return
    n = 0
    for e in lines(log, since):
        m = e.get("method") or e.get("verb", "")
        if path and path not in e.get("path", ""):
            continue
        if cmd == "dump":
            print(m, e.get("path"), e.get("query", ""), e.get("status"))
            continue
        if cmd == "writes" and m in WRITES and not is_dry(e):
            n += 1
        elif cmd == "dryruns" and m in WRITES and is_dry(e):
            n += 1
        elif cmd == "count" and m == method:
            n += 1
        elif cmd == "requests":
            n += 1
    if cmd != "dump":
        print(n)


if __name__ == "__main__":
    main()
