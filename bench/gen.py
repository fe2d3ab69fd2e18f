#!/usr/bin/python3
"""Generates the inputs of bench/run.sh at run time (nothing is committed).

  gen.py secret N FILE VALUES_DIR   a Secret "db" in namespace "bench" with N
                                    random stringData keys; each value also
                                    raw in VALUES_DIR/<i> (for the age CLI)
  gen.py configmaps N DIR           a Namespace "bench" and N ConfigMaps,
                                    one file each
  gen.py flux APPS DIR SECRETS_DIR  the Flux-benchmark shape: a Namespace
                                    "apps" and per app a Deployment, a
                                    ServiceAccount and a Service in
                                    DIR/app-NNNNN/, plus its Secret (2 keys)
                                    in SECRETS_DIR/secrets-NNN.yaml (1,000
                                    per file) for sealctl
  gen.py repaired-after T0 LOG PATH seconds from T0 to the agent's apply of
                                    PATH after another manager's write
  gen.py split DIR SEALED...        splits sealctl's multi-document outputs
                                    into DIR/<name-without--db>/db.sealed.yaml
  gen.py rawplan KUBECONFIG LOG OUT the plan of `ss-bench raw` (row 3r): the
                                    requests of LOG (the agent's, from the
                                    request log of the server KUBECONFIG
                                    names) with their bodies taken from the
                                    objects that server now holds; writes
                                    OUT/plan and OUT/bodies/
  gen.py span LOG                   seconds from the first request of a request
                                    log to the last
  gen.py kubeconfig KUBECONFIG OUT  OUT/server, OUT/ca.pem, OUT/token of an
                                    ss-apiserver kubeconfig (for ss-bench raw)

The random values are bench data, made fresh each run; they live only in
the bench's work folder under the build directory.
"""
import json
import os
import secrets
import string
import sys

ALNUM = string.ascii_letters + string.digits


def rand_value(n=32):
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def cmd_secret(n, path, values_dir):
    os.makedirs(values_dir, exist_ok=True)
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: db",
             "  namespace: bench", "stringData:"]
    for i in range(n):
        v = rand_value()
        lines.append("  key%06d: %s" % (i, v))
        write(os.path.join(values_dir, str(i)), v)
    write(path, "\n".join(lines) + "\n")


def namespace(name):
    return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n" % name


def cmd_configmaps(n, d):
    write(os.path.join(d, "00-namespace.yaml"), namespace("bench"))
    for i in range(n):
        write(os.path.join(d, "cm-%06d.yaml" % i),
              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%06d\n"
              "  namespace: bench\n  labels:\n    app: bench\ndata:\n"
              "  index: \"%d\"\n  mode: fast\n" % (i, i))


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: apps
  labels:
    app: {app}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {app}
  template:
    metadata:
      labels:
        app: {app}
    spec:
      serviceAccountName: {app}
      containers:
        - name: web
          image: ghcr.io/stefanprodan/podinfo:6.5.0
          ports:
            - containerPort: 9898
              name: http
          envFrom:
            - secretRef:
                name: {app}-db
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: apps
spec:
  selector:
    app: {app}
  ports:
    - name: http
      port: 80
      targetPort: http
"""

SERVICE_ACCOUNT = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
  namespace: apps
"""

SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: {app}-db
  namespace: apps
stringData:
  username: {app}
  password: {pw}
"""


def cmd_flux(apps, d, secrets_dir):
    write(os.path.join(d, "00-namespace.yaml"), namespace("apps"))
    docs = []
    for i in range(apps):
        app = "app-%05d" % i
        base = os.path.join(d, app)
        write(os.path.join(base, "deployment.yaml"), DEPLOYMENT.format(app=app))
        write(os.path.join(base, "service.yaml"), SERVICE.format(app=app))
        write(os.path.join(base, "serviceaccount.yaml"), SERVICE_ACCOUNT.format(app=app))
        docs.append(SECRET.format(app=app, pw=rand_value()))
    # sealctl takes at most 1,024 Secrets per input: files of 1,000.
    for c in range(0, len(docs), 1000):
        write(os.path.join(secrets_dir, "secrets-%03d.yaml" % (c // 1000)),
              "---\n".join(docs[c:c + 1000]))


def log_time(e):
    import datetime
    t = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def cmd_span(log):
    with open(log, encoding="utf-8") as f:
        times = [log_time(json.loads(line)) for line in f if line.strip()]
    print("%.6f" % (max(times) - min(times)))


def cmd_repaired_after(t0, log, path):
    """Seconds from t0 (epoch) to the agent's first real apply of path
    that follows another manager's write of it (the request log)."""
    import datetime
    edited = False
    with open(log, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e.get("path") != path or e.get("dryRun") or e.get("method") != "PATCH":
                continue
            if e.get("fieldManager") != "sealsync":
                edited = True
            elif edited:
                t = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
                t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
                print("%.3f" % (t - t0))
                return
    sys.exit("gen.py repaired-after: no repairing apply in " + log)


def cmd_split(d, sealed_files):
    text = ""
    for path in sealed_files:
        with open(path, encoding="utf-8") as f:
            text += ("\n---\n" if text else "") + f.read().rstrip("\n")
    n = 0
    for doc in text.split("\n---\n"):
        name = None
        for line in doc.splitlines():
            if line.startswith("  name: "):
                name = line[len("  name: "):].strip()
                break
        if not name or not name.endswith("-db"):
            sys.exit("gen.py split: a document without an app name")
        write(os.path.join(d, name[:-3], "db.sealed.yaml"), doc.rstrip("\n") + "\n")
        n += 1
    print(n)


def kubeconfig_parts(path):
    """server, CA (PEM bytes) and token of ss-apiserver's kubeconfig."""
    import base64
    got = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, _, v = line.strip().partition(": ")
            if k in ("server", "certificate-authority-data", "token"):
                got[k] = v.strip().strip('"')
    return got["server"], base64.b64decode(got["certificate-authority-data"]), got["token"]


SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation")


def collection(e):
    """The collection path of a logged request (its path minus the name)."""
    path = e["path"]
    if e.get("name") and path.rsplit("/", 1)[-1] == e["name"]:
        path = path.rsplit("/", 1)[0]
    return path


def fetch_objects(server, ca_file, token, paths):
    """{(collection path, name): object as the server holds it}."""
    import ssl
    import urllib.request
    ctx = ssl.create_default_context(cafile=ca_file)
    objs = {}
    for p in sorted(paths):
        req = urllib.request.Request(server + p, headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, context=ctx) as r:
            lst = json.load(r)
            for o in lst.get("items", []):
                # A List's items of a built-in kind carry no apiVersion or
                # kind (as on the real server): the List names them.
                o.setdefault("apiVersion", lst.get("apiVersion"))
                o.setdefault("kind", lst.get("kind", "")[:-len("List")])
                md = o.get("metadata", {})
                for k in SERVER_FIELDS:
                    md.pop(k, None)
                o.pop("status", None)
                objs[(p, md.get("name"))] = o
    return objs


def requote(q):
    """The log's query has its values decoded: encode them again."""
    from urllib.parse import quote
    parts = []
    for kv in q.split("&"):
        k, eq, v = kv.partition("=")
        parts.append(k + eq + quote(v, safe=""))
    return "&".join(parts)


def cmd_kubeconfig(kcfg, out):
    """OUT/server, OUT/ca.pem and OUT/token: the parts ss-bench raw takes."""
    server, ca, token = kubeconfig_parts(kcfg)
    write(os.path.join(out, "ca.pem"), ca.decode())
    write(os.path.join(out, "token"), token + "\n")
    write(os.path.join(out, "server"), server + "\n")
    return server, token, os.path.join(out, "ca.pem")


def body_name(reqs, i):
    """The object a request with a body wrote. A create the server refused
    (404: its namespace did not exist yet) is logged without a name: it
    is the one the next write to the same collection names."""
    for e in reqs[i:]:
        if e["method"] in ("POST", "PUT", "PATCH") and collection(e) == collection(reqs[i]) \
                and e.get("name"):
            return e["name"]
    return None


def cmd_rawplan(kcfg, log, out):
    """Stages: a run of requests with the same method, dry-run flag and
    collection is one stage (the agent's batches); any change is a stage
    boundary, so the replay never overlaps what the agent did in order."""
    server, token, ca_file = cmd_kubeconfig(kcfg, os.path.join(out, "src"))
    with open(log, encoding="utf-8") as f:
        reqs = [json.loads(line) for line in f if line.strip()]
    with_body = [e for e in reqs if e["method"] in ("PATCH", "POST", "PUT")]
    objs = fetch_objects(server, ca_file, token,
                         {collection(e) for e in with_body})
    lines, prev = [], None
    for i, e in enumerate(reqs):
        key = (e["method"], bool(e.get("dryRun")), collection(e))
        if prev is not None and key != prev:
            lines.append("--")
        prev = key
        body = "-"
        if e in with_body:
            o = objs.get((collection(e), body_name(reqs, i)))
            if o is None:
                sys.exit("gen.py rawplan: no object for %s %s" % (e["method"], e["path"]))
            body = os.path.join(out, "bodies", "%06d.json" % i)
            write(body, json.dumps(o, separators=(",", ":")))
        target = e["path"] + ("?" + requote(e["query"]) if e.get("query") else "")
        lines.append("%s %s %s %d" % (e["method"], target, body, e["status"]))
    write(os.path.join(out, "plan"), "\n".join(lines) + "\n")
    print(len(reqs))


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "secret":
        cmd_secret(int(a[1]), a[2], a[3])
    elif len(a) == 3 and a[0] == "configmaps":
        cmd_configmaps(int(a[1]), a[2])
    elif len(a) == 4 and a[0] == "repaired-after":
        cmd_repaired_after(float(a[1]), a[2], a[3])
    elif len(a) == 4 and a[0] == "flux":
        cmd_flux(int(a[1]), a[2], a[3])
    elif len(a) == 2 and a[0] == "span":
        cmd_span(a[1])
    elif len(a) == 3 and a[0] == "kubeconfig":
        cmd_kubeconfig(a[1], a[2])
    elif len(a) == 4 and a[0] == "rawplan":
        cmd_rawplan(a[1], a[2], a[3])
    elif len(a) >= 3 and a[0] == "split":
        cmd_split(a[1], a[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
