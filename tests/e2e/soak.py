#!/usr/bin/python3
"""soak.py: the fault soak of t7040 (issue 9, acceptance 2).

Drives CYCLES sync cycles of the real agent against ss-apiserver with
seeded random faults and seeded commits that add, change and remove
objects, and checks after every cycle, from the request log and the
server's objects:

  R1  no prune (a successful DELETE) and no inventory commit (data.revision
      changed) happened before every object of the attempted revision had
      been applied (a successful real PATCH) in that cycle, except the
      objects the cluster already held as the revision has them when the
      cycle began: the agent skips objects it applied unchanged before;
  R2  a committed inventory matches the cluster: every object in
      data.objects exists with our owner label, and every object with our
      label is in data.objects or data.pending;
  R3  a sync that exits 0 leaves the cluster exactly at its revision;
  R4  when the faults stop, one clean sync converges the cluster to the
      last revision exactly (no object of a failed revision left behind).

The first cycles run `sealsync-agent --once` each; the last LONG cycles run
one long-running agent triggered through its signed webhook, whose RSS and
open fds are printed at the start and the end of those cycles.

usage: soak.py --agent BIN --sealctl BIN --trash DIR --kubeconfig FILE
               --reqlog FILE --pub AGE1 --seed N --cycles N --long N
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

NS = "soak"
OWNER = "sealsync.default"
INV = ("sealsync-system", "sealsync-inv-default")
MAX_CM = 24
SECRET_NAMES = ["s0", "s1", "s2"]


class Kube:
    """Just enough of a client: GET and admin calls with the kubeconfig's
    token, over one kept-alive TLS connection."""

    def __init__(self, kubeconfig):
        text = open(kubeconfig).read()
        pick = lambda k: text.split(k + ":", 1)[1].split("\n", 1)[0].strip()
        self.server = urllib.parse.urlsplit(pick("server"))
        self.token = pick("token")
        ca = base64.b64decode(pick("certificate-authority-data")).decode()
        self.ctx = ssl.create_default_context(cadata=ca)
        self.conn = None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": "Bearer " + self.token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(
                        self.server.hostname, self.server.port, context=self.ctx, timeout=30)
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                return r.status, (json.loads(raw) if raw and r.status < 300 else None)
            except (OSError, http.client.HTTPException):
                self.conn = None  # admin and reads are never faulted: a stale connection
                if attempt:
                    raise

    def get(self, path):
        st, j = self.call("GET", path)
        return j if st == 200 else None


class Repo:
    """The Git repo's desired state: name -> expected data, per revision."""

    def __init__(self, trash, sealctl, pub, rng):
        self.dir = os.path.join(trash, "repo")
        self.sealctl, self.pub, self.rng = sealctl, pub, rng
        self.cms = {}      # cm name -> value
        self.secrets = {}  # secret name -> plaintext
        self.serial = 0
        os.makedirs(os.path.join(self.dir, "apps"), exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args):
        subprocess.run(["git", "-C", self.dir] + list(args), check=True,
                       stdout=subprocess.DEVNULL)

    def path(self, name):
        return os.path.join(self.dir, "apps", name + ".yaml")

    def value(self):
        self.serial += 1
        return "v%d-%08x" % (self.serial, self.rng.getrandbits(32))

    def write_cm(self, name):
        with open(self.path(name), "w") as f:
            f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
                    "  namespace: %s\ndata:\n  v: \"%s\"\n" % (name, NS, self.cms[name]))

    def write_secret(self, name):
        doc = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n"
               "stringData:\n  password: \"%s\"\n" % (name, NS, self.secrets[name]))
        out = subprocess.run([self.sealctl, "seal", "-r", self.pub, "--namespace", NS],
                             input=doc.encode(), check=True, stdout=subprocess.PIPE)
        with open(self.path(name), "wb") as f:
            f.write(out.stdout)

    def mutate(self):
        """Seeded edits: add, change and remove objects; returns a summary."""
        r, ops = self.rng, []
        for _ in range(r.randint(1, 4)):
            op = r.random()
            if (op < 0.35 or len(self.cms) < 3) and len(self.cms) < MAX_CM:
                name = "cm-%d" % r.randrange(MAX_CM * 2)
                if name not in self.cms:
                    self.cms[name] = self.value()
                    self.write_cm(name)
                    ops.append("+" + name)
            elif op < 0.7 and self.cms:
                name = r.choice(sorted(self.cms))
                self.cms[name] = self.value()
                self.write_cm(name)
                ops.append("~" + name)
            elif op < 0.88 and len(self.cms) > 1:
                name = r.choice(sorted(self.cms))
                del self.cms[name]
                os.unlink(self.path(name))
                ops.append("-" + name)
            else:
                name = r.choice(SECRET_NAMES)
                if name in self.secrets and r.random() < 0.5:
                    del self.secrets[name]
                    os.unlink(self.path(name))
                    ops.append("-" + name)
                else:
                    self.secrets[name] = self.value()
                    self.write_secret(name)
                    ops.append("~" + name)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", " ".join(ops) or "empty")
        return ops

    def head(self):
        # the branch's ref file (no packed refs in a repo this test made)
        with open(os.path.join(self.dir, ".git", "refs", "heads", "main")) as f:
            return f.read().strip()

    def expected(self):
        exp = {("ConfigMap", n): v for n, v in self.cms.items()}
        exp.update({("Secret", n): v for n, v in self.secrets.items()})
        return exp


def fault_rules(rng):
    """A seeded fault profile for one cycle (None: a clean cycle)."""
    if rng.random() < 0.3:
        return []
    rules = []
    # Each error costs the agent a backoff (200 ms and up; 1 s for a 429's
    # Retry-After), so rates are low; with one retry, two faults in a row
    # on one request fail the sync at that stage.
    pool = [
        {"type": "500", "method": "PATCH", "rate": 0.04},
        {"type": "503", "method": "GET", "rate": 0.03},
        {"type": "reset", "rate": 0.015},
        {"type": "429", "method": "PATCH", "dryrun": "false", "rate": 0.03},
        {"type": "latency", "ms": 5, "rate": 0.2},
        {"type": "500", "method": "DELETE", "rate": 0.4},
        {"type": "500", "method": "PATCH", "path": "/api/v1/namespaces/sealsync-system",
         "dryrun": "false", "rate": 0.3},
        {"type": "reset", "method": "PATCH", "dryrun": "false", "rate": 0.03},
    ]
    for rule in pool:
        if rng.random() < 0.4:
            rules.append(rule)
    return rules


class Soak:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.kube = Kube(a.kubeconfig)
        self.repo = Repo(a.trash, a.sealctl, a.pub, self.rng)
        self.violations = []
        self.faults = 0
        self.failed_revs = {}     # revision -> cycle of its first failure
        self.committed = set()
        self.log_pos = 0
        self.cycle = 0
        self.long_pid = None

    # ---- server state ----
    def inventory(self):
        cm = self.kube.get("/api/v1/namespaces/%s/configmaps/%s" % INV)
        if cm is None:
            return "", [], []
        d = cm.get("data") or {}
        objs = json.loads(d.get("objects") or "[]")
        pend = json.loads(d.get("pending") or "[]")
        return d.get("revision", ""), objs, pend

    def ours(self):
        """(kind, name) -> value of every object in NS with our owner label."""
        out = {}
        for kind, res in (("ConfigMap", "configmaps"), ("Secret", "secrets")):
            lst = self.kube.get("/api/v1/namespaces/%s/%s" % (NS, res)) or {"items": []}
            for o in lst["items"]:
                labels = o["metadata"].get("labels") or {}
                if labels.get("sealsync.dev/owner") != OWNER:
                    continue
                d = o.get("data") or {}
                if kind == "ConfigMap":
                    v = d.get("v")
                else:
                    v = base64.b64decode(d.get("password", "")).decode()
                out[(kind, o["metadata"]["name"])] = v
        return out

    def new_log_lines(self):
        """The request log's entries since the last call (whole lines only)."""
        with open(self.a.reqlog, "rb") as f:
            f.seek(self.log_pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.log_pos += end
        return [json.loads(x) for x in data[:end].splitlines() if x.strip()]

    # ---- checks ----
    def violate(self, rule, msg):
        self.violations.append("cycle %d: %s: %s" % (self.cycle, rule, msg))

    @staticmethod
    def ref_key(ref):
        return (ref[1], ref[3]) if ref[2] == NS else None

    def check_order(self, log, exp, committed, before):
        """R1 from the request log: every object of the revision applied
        before the first prune and before the last inventory write of a commit
        (but those the cluster held as the revision has them before the sync:
        the agent skips unchanged objects)."""
        applied_at, deletes, inv_writes = {}, [], []
        for i, e in enumerate(log):
            if e.get("fault") not in (None, "latency") or not 200 <= (e.get("status") or 0) < 300:
                continue
            real = not e.get("dryRun") and "dryRun=All" not in (e.get("query") or "")
            if e.get("method") == "PATCH" and real and e.get("namespace") == NS:
                applied_at.setdefault((e.get("kind"), e.get("name")), i)
            if e.get("method") == "DELETE" and e.get("namespace") == NS:
                deletes.append((i, (e.get("kind"), e.get("name"))))
            if e.get("method") in ("PATCH", "PUT", "POST") and real and \
                    e.get("path", "").endswith("/configmaps/" + INV[1]):
                inv_writes.append(i)
        need = [k for k in exp if before.get(k) != exp[k]]
        last_apply = max((applied_at.get(k, 1 << 30) for k in need), default=-1)
        for i, key in deletes:
            if i < last_apply:
                self.violate("R1", "prune of %s/%s before every object was applied" % key)
            if key in exp:
                self.violate("R1", "pruned %s/%s that is in the revision" % key)
        if committed and (not inv_writes or inv_writes[-1] < last_apply):
            self.violate("R1", "inventory committed before every object was applied")

    def check_inventory(self, live):
        """R2: the committed inventory against the cluster."""
        rev, objs, pend = self.inventory()
        if not rev:
            return rev, objs, pend
        listed = {self.ref_key(r) for r in objs} - {None}
        known = listed | ({self.ref_key(r) for r in pend} - {None})
        for key in sorted(listed - set(live)):
            self.violate("R2", "%s/%s is in the inventory but not in the cluster" % key)
        for key in sorted(set(live) - known):
            self.violate("R2", "%s/%s carries our label but no inventory lists it" % key)
        return rev, objs, pend

    def check_exact(self, rule, live, exp):
        if live != exp:
            extra = sorted(set(live) - set(exp))
            missing = sorted(set(exp) - set(live))
            stale = sorted(k for k in exp if k in live and live[k] != exp[k])
            self.violate(rule, "cluster differs from the revision: extra %s missing %s "
                         "stale %s" % (extra, missing, stale))

    # ---- agents ----
    def agent_args(self):
        a = self.a
        return [a.agent, "--repo", "file://" + os.path.join(a.trash, "repo"),
                "--identities", os.path.join(a.trash, "keys.txt"),
                "--cache-dir", os.path.join(a.trash, "cache"), "--kubeconfig", a.kubeconfig,
                "--path", "apps", "--max-retries", "1", "--log-level", "info"]

    def run_once(self):
        with open(os.path.join(self.a.trash, "agent.log"), "ab") as log:
            return subprocess.run(self.agent_args() + ["--once"], stdout=log, stderr=log,
                                  timeout=120).returncode

    def start_long(self):
        port = self.a.hook_port
        self.long_log = os.path.join(self.a.trash, "long.log")
        self.long_pos, self.long_n, self.long_last, self.long_rev = 0, 0, None, ""
        self.long = subprocess.Popen(
            self.agent_args() + ["--interval", "1h", "--listen", "127.0.0.1:%d" % port,
                                 "--webhook-secret", os.path.join(self.a.trash, "hook.txt"),
                                 "--http-post-rate", "100000", "--no-leader-election"],
            stdout=open(self.long_log, "ab"), stderr=subprocess.STDOUT)
        with open(os.path.join(self.a.trash, "long.pid"), "w") as f:
            f.write(str(self.long.pid))
        return self.wait_long_sync(0)

    def long_results(self):
        """Sync results the long-running agent logged so far, and the last one."""
        with open(self.long_log, "rb") as f:
            f.seek(self.long_pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.long_pos += end
        for line in data[:end].splitlines():
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("msg") in ("sync succeeded", "sync failed"):
                self.long_n, self.long_last = self.long_n + 1, j.get("msg")
                self.long_rev = j.get("revision", "")
        return self.long_n, self.long_last

    def wait_long_sync(self, before, head=None):
        # A result for another revision is not this cycle's: the agent may
        # finish a retry of the previous cycle's failed revision (backoff)
        # after the webhook was sent, which a loaded machine makes likely.
        for _ in range(3000):
            n, last = self.long_results()
            if n > before and (head is None or self.long_rev == head):
                return 0 if last == "sync succeeded" else 1
            if self.long.poll() is not None:
                sys.exit("the long-running agent exited (%s)" % self.long.returncode)
            time.sleep(0.02)
        sys.exit("the long-running agent did not finish a sync")

    def trigger_long(self):
        before, _ = self.long_results()
        body = b'{"ref":"refs/heads/main"}'
        sig = hmac.new(open(os.path.join(self.a.trash, "hook.txt"), "rb").read().strip(),
                       body, hashlib.sha256).hexdigest()
        req = urllib.request.Request("http://127.0.0.1:%d/hook" % self.a.hook_port, data=body,
                                     method="POST")
        req.add_header("X-Hub-Signature-256", "sha256=" + sig)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            if r.status not in (200, 202):
                sys.exit("webhook: %d" % r.status)
        return self.wait_long_sync(before, self.repo.head())

    def usage(self):
        """RSS in KiB, open fds, fds that are neither sockets nor Git pack
        files, and open Git pack files."""
        pid = self.long.pid
        rss, fds, files, packs = 0, 0, 0, 0
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            fds += 1
            if "/objects/pack/" in target:
                packs += 1
            elif not target.startswith("socket:"):
                files += 1
        return rss, fds, files, packs

    # ---- one cycle ----
    def one_cycle(self, sync):
        self.cycle += 1
        if self.cycle == 1 or self.rng.random() < 0.75:
            self.repo.mutate()
        head, exp = self.repo.head(), self.repo.expected()
        rules = fault_rules(self.rng)
        # The log is cut before the cluster is read: a long-running agent may
        # already be applying the new commit (its own poll, or a retry of the
        # last failed revision). An apply before the cut is then in
        # live_before, one after it in this cycle's log; read the other way
        # round, an apply between the two reads was in neither and its
        # object looked never applied (a false R1 on a fast machine).
        self.new_log_lines()  # skip what came before this sync
        rev_before = self.inventory()[0]
        live_before = self.ours()
        self.kube.call("DELETE", "/_admin/faults")
        if rules:
            self.kube.call("POST", "/_admin/faults", rules)
        t0 = time.monotonic()
        rc = sync()
        if self.a.verbose:
            print("cycle %d rc %d %.2fs rules %d" % (self.cycle, rc, time.monotonic() - t0,
                                                   len(rules)), file=sys.stderr)
        self.kube.call("DELETE", "/_admin/faults")
        log = self.new_log_lines()
        self.faults += sum(1 for e in log if e.get("fault") is not None)
        live = self.ours()
        rev, objs, pend = self.check_inventory(live)
        committed = rev != rev_before
        if committed and rev != head:
            self.violate("R1", "committed %s, not the attempted %s" % (rev[:12], head[:12]))
        self.check_order(log, exp, committed, live_before)
        if committed:
            self.committed.add(rev)
            listed = {self.ref_key(r) for r in objs} - {None}
            if listed != set(exp):
                self.violate("R1", "the committed inventory is not the revision's objects")
        if rc == 0:
            self.check_exact("R3", live, exp)
            if rev != head:
                self.violate("R3", "sync exited 0 but the inventory says %s" % rev[:12])
        else:
            self.failed_revs.setdefault(head, self.cycle)
        return rc

    def run(self):
        a = self.a
        fails = 0
        for _ in range(a.cycles - a.long):
            fails += self.one_cycle(self.run_once) != 0
        start = None
        if a.long > 0:
            self.kube.call("DELETE", "/_admin/faults")
            if self.start_long() != 0:
                fails += 1
            start = self.usage()
            for _ in range(a.long):
                fails += self.one_cycle(self.trigger_long) != 0
        # R4: the faults stop; one clean sync converges exactly.
        self.kube.call("DELETE", "/_admin/faults")
        self.cycle += 1
        rc = self.trigger_long() if a.long > 0 else self.run_once()
        head, exp = self.repo.head(), self.repo.expected()
        live = self.ours()
        rev, objs, pend = self.check_inventory(live)
        if rc != 0:
            self.violate("R4", "the clean sync failed")
        self.check_exact("R4", live, exp)
        if rev != head or pend:
            self.violate("R4", "inventory at %s with %d pending" % (rev[:12], len(pend)))
        self.committed.add(rev)
        later = sum(1 for r in self.failed_revs if r in self.committed)
        print("soak: cycles %d (%d with --once, %d with one long-running agent), "
              "failed syncs %d" % (a.cycles, a.cycles - a.long, a.long, fails))
        print("soak: faults injected %d" % self.faults)
        print("soak: revisions that failed %d: later converged %d, superseded by a newer "
              "revision that converged %d" % (len(self.failed_revs), later,
                                              len(self.failed_revs) - later))
        if start is not None:
            end = self.usage()
            print("soak: long-running agent RSS %d KiB -> %d KiB, open fds %d -> %d "
                  "(Git pack files %d -> %d, other files %d -> %d)"
                  % (start[0], end[0], start[1], end[1], start[3], end[3], start[2], end[2]))
            # Sockets come and go with the API client's connection cache (at
            # most --concurrency, 8). libgit2 keeps every pack file of the
            # cache repository open and each fetch adds one: printed, not
            # asserted (reported; the source module owns it). Everything
            # else must stay put.
            if end[2] != start[2] or end[1] - end[3] > start[1] - start[3] + 8:
                self.violate("fds", "open fds grew from %s to %s" % (start[1:], end[1:]))
        if fails == 0:  # the faults had no teeth: nothing was tested
            self.violate("setup", "no sync failed under the injected faults")
        print("soak: violations %d" % len(self.violations))
        for v in self.violations[:20]:
            print("soak: " + v)
        if a.long > 0:
            self.long.terminate()
            self.long.wait(timeout=30)
        return 0 if not self.violations else 1


def main():
    p = argparse.ArgumentParser()
    for k in ("agent", "sealctl", "trash", "kubeconfig", "reqlog", "pub"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cycles", type=int, default=200)
    p.add_argument("--long", type=int, default=150)
    p.add_argument("--hook-port", type=int, default=0)
    p.add_argument("--verbose", action="store_true")
    sys.exit(Soak(p.parse_args()).run())


main()
