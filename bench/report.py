#!/usr/bin/python3
"""Turns bench/run.sh's facts into rows: prints the table, writes the JSON.

  report.py --facts FILE --scale full|tiny --json OUT

Each row has our figure, the peer's figure (another program measured in the
same run, or the issue's goal where the issue names no peer), their ratio,
the goal, and peak RSS. Exit 1 when a row is missing a figure: a bench that
rots shows up in `make test` (tests/e2e/t6000-bench-smoke.sh).

Times of the crypto rows are CPU time (user + sys): openssl speed divides by
CPU time too, and the machine may be shared. Apply and sync rows are wall
time, which is what an operator waits for.
"""
import argparse
import json
import sys

GOAL_FLUX_S = 10.0
GOAL_AGENT_MIB = 48.0
GOAL_SEALCTL_MIB = 8.0
GOAL_POLL_CPU_S = 0.05
GOAL_DRIFT_S = 2.0
GOAL_RAW_RATIO = 1.25


def load(path):
    f = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line:
                k, _, v = line.partition(" ")
                f[k] = v
    return f


class Facts:
    def __init__(self, d):
        self.d = d

    def num(self, k):
        try:
            return float(self.d[k])
        except (KeyError, ValueError):
            return None

    def str(self, k):
        return self.d.get(k, "")

    def cpu(self, prefix):
        u, s = self.num(prefix + ".user_s"), self.num(prefix + ".sys_s")
        return None if u is None or s is None else u + s

    def per(self, total, n, scale=1e6):
        return None if total is None or not n else total * scale / n

    def mib(self, k):
        v = self.num(k)
        return None if v is None else v / 1024.0

    def delta(self, a, b):
        x, y = self.num(a), self.num(b)
        return None if x is None or y is None else x - y


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def row(rid, what, ours, unit, peer, peer_what, r, r_means, goal, met,
        rss_ours=None, rss_peer=None, extra=None):
    return {"id": rid, "what": what,
            "ours": {"value": ours, "unit": unit},
            "peer": {"value": peer, "unit": unit, "what": peer_what},
            "ratio": {"value": r, "means": r_means},
            "goal": goal, "met": met,
            "peak_rss_mib": {"ours": rss_ours, "peer": rss_peer},
            "extra": extra or {}}


def le(v, limit):
    return None if v is None else v <= limit


def ge(v, limit):
    return None if v is None else v >= limit


def rows_crypto(f):
    n = f.num("seal.values")
    x_us = ratio(1e6, f.num("openssl.x25519_ops_per_s"))
    bound2 = None if x_us is None else 2 * x_us
    rsa_us = ratio(1e6, f.num("openssl.rsa4096_sign_per_s"))
    seal_cli = f.per(f.cpu("seal.cli"), n)
    age_cli = f.per(f.cpu("seal.age"), f.num("seal.age.values"))
    r = []
    x = ratio(seal_cli, bound2)
    r.append(row("1a", "seal/value: sealctl seal, Secret of %d keys" % (n or 0), seal_cli, "us CPU",
                 bound2, "X25519 bound, 2 ops (openssl speed)", x, "ours/peer", "<= 1.5x", le(x, 1.5),
                 f.mib("seal.cli.maxrss_kib"), None,
                 {"values_sealed": f.num("seal.cli.values"), "wall_s": f.num("seal.cli.wall_s"),
                  "x25519_us_openssl": x_us,
                  "x25519_us_libsodium": f.num("crypto1.sodium_x25519_cpu_us")}))
    x = ratio(f.num("crypto1.seal_cpu_us"), bound2)
    r.append(row("1b", "seal/value: ss_age_seal in process", f.num("crypto1.seal_cpu_us"), "us CPU",
                 bound2, "X25519 bound, 2 ops (openssl speed)", x, "ours/peer", "<= 1.5x", le(x, 1.5),
                 f.mib("crypto1.maxrss_kib"), None,
                 {"wall_us": f.num("crypto1.seal_wall_us")}))
    x = ratio(age_cli, seal_cli)
    r.append(row("1c", "seal/value: sealctl vs age CLI, one process per value", seal_cli, "us CPU",
                 age_cli, "age -e (%s)" % f.str("age_version"), x, "peer/ours", ">= 100x", ge(x, 100),
                 f.mib("seal.cli.maxrss_kib"), f.mib("seal.age.maxrss_kib"),
                 {"age_values": f.num("seal.age.values"),
                  "age_wall_us": f.per(f.num("seal.age.wall_s"), f.num("seal.age.values")),
                  "ours_wall_us": f.per(f.num("seal.cli.wall_s"), n)}))
    ids = f.num("crypto50.identities")
    for rid, key, what, goal in (("2a", "crypto1", "1 identity", None),
                                 ("2b", "crypto50", "%d identities (hint)" % (ids or 0), 1.5)):
        ours = f.num(key + ".open_cpu_us")
        x = ratio(ours, x_us)
        r.append(row(rid, "unseal/value: ss_age_open in process, " + what, ours, "us CPU", x_us,
                     "X25519 bound, 1 op (openssl speed)", x, "ours/peer",
                     "<= %.1fx" % goal if goal else "-", le(x, goal) if goal else None,
                     f.mib(key + ".maxrss_kib"), None,
                     {"x25519_ops_per_value": ratio(f.num(key + ".open_x25519_ops"),
                                                    f.num(key + ".values")),
                      "wall_us": f.num(key + ".open_wall_us")}))
    ours = f.per(f.cpu("unseal.cli50"), n)
    x = ratio(ours, x_us)
    r.append(row("2c", "unseal/value: sealctl verify -i, %s identities" % f.str("identities"), ours,
                 "us CPU", x_us, "X25519 bound, 1 op (openssl speed)", x, "ours/peer", "<= 1.5x",
                 le(x, 1.5), f.mib("unseal.cli50.maxrss_kib"), None,
                 {"one_identity_us": f.per(f.cpu("unseal.cli1"), n)}))
    ours = f.num("crypto50.open_cpu_us")
    x = ratio(rsa_us, ours)
    r.append(row("2d", "unseal/value vs Sealed Secrets' RSA-4096 private op", ours, "us CPU", rsa_us,
                 "openssl speed rsa4096 sign", x, "peer/ours", "-", None,
                 f.mib("crypto50.maxrss_kib"), None))
    return r


def rows_apply(f):
    r = []
    ours, peer = f.num("apply.agent.wall_s"), f.num("apply.kubectl.wall_s")
    x = ratio(peer, ours)
    r.append(row("3", "apply %d objects: agent --once vs kubectl apply --server-side"
                 % (f.num("apply.objects") or 0), ours, "s wall", peer, "kubectl (fresh server)",
                 x, "peer/ours", ">= 5x", ge(x, 5),
                 f.mib("apply.agent.maxrss_kib"), f.mib("apply.kubectl.maxrss_kib"),
                 {"agent_cpu_s": f.cpu("apply.agent"), "kubectl_cpu_s": f.cpu("apply.kubectl"),
                  "agent_requests": f.num("apply.agent.requests"),
                  "server_cpu_s_for_agent": f.num("api_agent.server_cpu_s"),
                  "server_cpu_s_for_kubectl": f.num("api_kubectl.server_cpu_s"),
                  "kubectl_requests": f.num("apply.kubectl.requests"),
                  "agent_objects_on_server": f.num("apply.agent.applied"),
                  "kubectl_objects_on_server": f.num("apply.kubectl.applied")}))
    ours, peer = f.num("apply.agent.wall_s"), f.num("raw.wall_s")
    x = ratio(ours, peer)
    r.append(row("3r", "apply %d objects: agent --once vs the raw-request bound (same requests)"
                 % (f.num("apply.objects") or 0), ours, "s wall", peer,
                 "ss-bench raw: the agent's requests, pre-serialized, %s at a time"
                 % f.str("apply.concurrency"), x, "ours/peer", "<= 1.25x", le(x, GOAL_RAW_RATIO),
                 f.mib("apply.agent.maxrss_kib"), f.mib("apply.raw.maxrss_kib"),
                 {"agent_requests": f.num("apply.agent.requests"),
                  "raw_requests": f.num("raw.requests"),
                  "raw_requests_on_server": f.num("apply.raw.requests"),
                  "raw_stages": f.num("raw.stages"),
                  "raw_process_wall_s": f.num("apply.raw.wall_s"),
                  "agent_requests_span_s": f.num("apply.agent.span_s"),
                  "raw_requests_span_s": f.num("apply.raw.span_s"),
                  "git_source_alone_wall_s": f.num("apply.source.wall_s"),
                  "git_source_alone_cpu_s": f.cpu("apply.source"),
                  "raw_requests_cpu_s": f.num("raw.cpu_s"),
                  "raw_process_cpu_s": f.cpu("apply.raw"),
                  "raw_connections": f.num("raw.connections"),
                  "raw_mismatched": f.num("raw.mismatched"),
                  "server_cpu_s_for_raw": f.num("api_raw.server_cpu_s"),
                  "raw_objects_on_server": f.num("apply.raw.applied")}))
    ours, rss = f.num("flux.agent.wall_s"), f.mib("flux.agent.maxrss_kib")
    x = ratio(ours, GOAL_FLUX_S)
    met = None if ours is None or rss is None else ours <= GOAL_FLUX_S and rss <= GOAL_AGENT_MIB
    r.append(row("4", "flux shape, %d objects from git daemon: agent --once"
                 % (f.num("flux.objects") or 0), ours, "s wall", GOAL_FLUX_S,
                 "goal (issue 8)", x, "ours/peer", "<= 10 s and <= 48 MiB", met, rss, GOAL_AGENT_MIB,
                 {"cpu_s": f.cpu("flux.agent"), "requests": f.num("flux.agent.requests"),
                  "server_cpu_s": f.num("flux.agent.server_cpu_s"),
                  "objects_on_server": f.num("flux.agent.applied"),
                  "sealctl_seal_s": f.num("flux.seal.wall_s")}))
    return r


def rows_kube(f):
    """Rows 3 and 4 again on the real kube-apiserver (tests/kube); none when
    bench/run.sh skipped them (no binaries, or SS_BENCH_KUBE=0)."""
    if f.num("kube.skipped"):
        return []
    r = []
    ours, peer = f.num("kapply.agent.wall_s"), f.num("kapply.kubectl.wall_s")
    r.append(row("3k", "apply %d objects on the real kube-apiserver: agent --once vs kubectl "
                 "apply --server-side" % (f.num("apply.objects") or 0), ours, "s wall", peer,
                 "kubectl %s (fresh cluster)" % f.str("kube.version"), ratio(peer, ours),
                 "peer/ours", "-", None,
                 f.mib("kapply.agent.maxrss_kib"), f.mib("kapply.kubectl.maxrss_kib"),
                 {"agent_cpu_s": f.cpu("kapply.agent"), "kubectl_cpu_s": f.cpu("kapply.kubectl"),
                  "server_cpu_s_for_agent": f.num("kube_agent.server_cpu_s"),
                  "server_cpu_s_for_kubectl": f.num("kube_kubectl.server_cpu_s"),
                  "agent_objects_on_server": f.num("kapply.agent.applied"),
                  "kubectl_objects_on_server": f.num("kapply.kubectl.applied"),
                  "cluster_up_s": f.num("kube_agent.up_s")}))
    ours, rss = f.num("kflux.agent.wall_s"), f.mib("kflux.agent.maxrss_kib")
    fake = f.num("flux.agent.wall_s")
    r.append(row("4k", "flux shape, %d objects from git daemon on the real kube-apiserver: "
                 "agent --once" % (f.num("flux.objects") or 0), ours, "s wall", fake,
                 "the same sync on tests/apiserver (row 4)", ratio(ours, fake), "ours/peer", "-",
                 None, rss, f.mib("flux.agent.maxrss_kib"),
                 {"cpu_s": f.cpu("kflux.agent"), "server_cpu_s": f.num("kube_flux.server_cpu_s"),
                  "objects_on_server": f.num("kflux.agent.applied")}))
    return r


def rows_poll(f):
    r = []
    sess = f.delta("poll.after_agent.upload_pack", "flux.before_poll.upload_pack")
    packs = f.delta("poll.after_agent.pack_objects", "flux.before_poll.pack_objects")
    g_sess = f.delta("poll.after_fetch.upload_pack", "poll.after_clone.upload_pack")
    g_packs = f.delta("poll.after_fetch.pack_objects", "poll.after_clone.pack_objects")
    git_cpu = f.cpu("poll.git")
    met = None if sess is None else sess == 1 and packs == 0
    ours = f.cpu("poll.agent")
    r.append(row("5a", "no-change poll CPU: agent --once (ref check + drift re-apply) vs git fetch",
                 ours, "s CPU", git_cpu, "git fetch", ratio(ours, git_cpu), "ours/peer",
                 "1 ref comparison, no fetch", met,
                 f.mib("poll.agent.maxrss_kib"), f.mib("poll.git.maxrss_kib"),
                 {"wall_s": f.num("poll.agent.wall_s"), "git_wall_s": f.num("poll.git.wall_s"),
                  "server_cpu_s": f.delta("poll.agent.server_cpu_total_s",
                                          "flux.agent.server_cpu_s")}))
    ours = f.cpu("poll.source")
    s_sess = f.delta("poll.after_source.upload_pack", "poll.after_agent.upload_pack")
    s_packs = f.delta("poll.after_source.pack_objects", "poll.after_agent.pack_objects")
    r.append(row("5b", "no-change poll CPU: the agent's Git source alone vs git fetch", ours,
                 "s CPU", git_cpu, "git fetch", ratio(ours, git_cpu), "ours/peer",
                 "1 ref comparison, no fetch",
                 None if s_sess is None else s_sess == 1 and s_packs == 0,
                 f.mib("poll.source.maxrss_kib"), f.mib("poll.git.maxrss_kib"),
                 {"result": f.str("poll.source.result"), "upload_pack_sessions": s_sess,
                  "pack_objects_runs": s_packs}))
    r.append(row("5c", "no-change poll Git requests (upload-pack sessions)", sess, "sessions",
                 g_sess, "git fetch", ratio(sess, g_sess), "ours/peer",
                 "1 ref comparison, no fetch", met, None, None,
                 {"pack_objects_runs": packs, "git_fetch_pack_objects_runs": g_packs}))
    ours = f.num("poll.agent.requests")
    first = f.num("flux.agent.requests")
    r.append(row("5d", "no-change poll API requests vs the first sync", ours, "requests", first,
                 "first sync of the same revision", ratio(ours, first), "ours/peer", "-", None,
                 None, None, {"writes": f.num("poll.agent.writes"),
                              "dry_runs": f.num("poll.agent.dryruns")}))
    ours = f.num("steady.cpu_per_poll_s")
    polls = f.num("steady.polls")
    reqs, writes = f.num("steady.requests"), f.num("steady.writes")
    met = None if ours is None or writes is None else ours <= GOAL_POLL_CPU_S and writes == 0
    r.append(row("5e", "no-change poll CPU: long-running agent at %d objects (watches)"
                 % (f.num("flux.objects") or 0), ours, "s CPU", GOAL_POLL_CPU_S,
                 "goal (Performance II)", ratio(ours, GOAL_POLL_CPU_S), "ours/peer",
                 "<= 50 ms, 0 writes", met, None, None,
                 {"polls": polls, "requests": reqs, "writes": writes,
                  "requests_per_poll": ratio(reqs, polls)}))
    ours = f.num("steady.drift_repair_s")
    r.append(row("5f", "drift repair: kubectl edit of a Service -> the agent's apply", ours, "s",
                 GOAL_DRIFT_S, "goal (Performance II)", ratio(ours, GOAL_DRIFT_S), "ours/peer",
                 "<= 2 s", le(ours, GOAL_DRIFT_S)))
    return r


def rows_rss(f):
    r = []
    ours = f.mib("seal.cli.maxrss_kib")
    x = ratio(ours, GOAL_SEALCTL_MIB)
    r.append(row("6a", "peak RSS: sealctl seal, Secret of %d keys" % (f.num("seal.values") or 0),
                 ours, "MiB", GOAL_SEALCTL_MIB, "goal (issue 8)", x, "ours/peer", "<= 8 MiB",
                 le(ours, GOAL_SEALCTL_MIB), ours, None,
                 {"age_cli_per_process_mib": f.mib("seal.age.maxrss_kib")}))
    ours = f.mib("big.agent.maxrss_kib")
    x = ratio(ours, GOAL_AGENT_MIB)
    r.append(row("6b", "peak RSS: agent --once at %d objects" % (f.num("big.objects") or 0), ours,
                 "MiB", GOAL_AGENT_MIB, "goal (issue 8)", x, "ours/peer", "<= 48 MiB",
                 le(ours, GOAL_AGENT_MIB), ours, None,
                 {"wall_s": f.num("big.agent.wall_s"), "cpu_s": f.cpu("big.agent"),
                  "server_cpu_s": f.num("api_big.server_cpu_s"),
                  "objects_on_server": f.num("big.agent.applied")}))
    return r


def fmt(v, digits=None):
    if v is None:
        return "n/a"
    if digits is None:
        digits = 0 if abs(v) >= 1000 else 1 if abs(v) >= 10 else 2 if abs(v) >= 1 else 3
    return "%.*f" % (digits, v)


def print_table(rows, machine):
    print("sealsync bench (%s): %s, %s CPUs, %s MiB RAM, load %s" % (
        machine["scale"], machine["cpu_model"], machine["nproc"],
        fmt((machine["mem_total_kib"] or 0) / 1024.0, 0), machine["load_start"]))
    hdr = "%-4s %-74s %12s %12s %9s %-26s %-4s %9s %9s" % (
        "row", "what", "ours", "peer", "ratio", "goal", "met", "rss ours", "rss peer")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        met = {True: "yes", False: "NO", None: "-"}[r["met"]]
        rt = r["ratio"]["value"]
        print("%-4s %-74s %12s %12s %9s %-26s %-4s %9s %9s" % (
            r["id"], r["what"][:74], fmt(r["ours"]["value"]) + " " + r["ours"]["unit"].split()[0],
            fmt(r["peer"]["value"]), (fmt(rt, 2) + "x") if rt is not None else "n/a",
            r["goal"][:26], met, fmt(r["peak_rss_mib"]["ours"]), fmt(r["peak_rss_mib"]["peer"])))
    print("units: us = microseconds; CPU = user+sys; rss in MiB; peer column: see 'what' in the JSON")


def missing(rows):
    bad = []
    for r in rows:
        for part in ("ours", "peer", "ratio"):
            if r[part]["value"] is None:
                bad.append("%s.%s" % (r["id"], part))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--facts", required=True)
    ap.add_argument("--scale", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    d = load(a.facts)
    f = Facts(d)
    rows = rows_crypto(f) + rows_apply(f) + rows_kube(f) + rows_poll(f) + rows_rss(f)
    machine = {k: d.get(k) for k in ("scale", "cpu_model", "kernel", "load_start", "load_end",
                                      "date", "commit", "openssl_version", "age_version",
                                      "git_version", "kubectl_version")}
    machine["nproc"] = f.num("nproc")
    machine["mem_total_kib"] = f.num("mem_total_kib")
    print_table(rows, machine)
    bad = missing(rows)
    out = {"machine": machine, "rows": rows, "missing": bad, "facts": d}
    with open(a.json, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    if bad:
        print("bench: rows without a figure: " + " ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
