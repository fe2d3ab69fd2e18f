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
    elif len(a) >= 3 and a[0] == "split":
        cmd_split(a[1], a[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
