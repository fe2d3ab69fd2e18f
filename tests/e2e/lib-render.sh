# tests/e2e/lib-render.sh: helpers for the renderer's e2e tests (t43xx),
# after lib.sh (and lib-agent.sh).

# KUSTOMIZE: the pinned kustomize of tests/kube (docs/KUBE.md). The real
# cluster's env sets it; otherwise it is the binary tests/kube/build.sh puts
# in its bin folder, built here alone (same pin, same command, same place)
# when the kube stage has not run yet.
ss_kustomize_bin() {
	if [ -n "${KUSTOMIZE:-}" ] && [ -x "$KUSTOMIZE" ]; then return 0; fi
	ss_kbin=$(sh "$SS_SRC_DIR/tests/kube/build.sh" --dir) || return 1
	if [ ! -x "$ss_kbin/kustomize" ]; then
		mkdir -p "$ss_kbin" &&
		(cd "$SS_SRC_DIR/tests/kube" && CGO_ENABLED=0 GOTOOLCHAIN=local \
			GOFLAGS="-buildvcs=false -mod=readonly" "${GO:-/usr/local/go/bin/go}" build \
			-ldflags "-s -w" -o "$ss_kbin/kustomize.tmp.$$" sigs.k8s.io/kustomize/kustomize/v5) \
			>"$TRASH/kustomize-build.log" 2>&1 &&
		mv "$ss_kbin/kustomize.tmp.$$" "$ss_kbin/kustomize" || return 1
	fi
	KUSTOMIZE=$ss_kbin/kustomize
	export KUSTOMIZE
}

# Under the asan stage a sanitized tool run by the agent (ss-test-tool as
# the rendering tool) needs no address-space cap: ASan maps terabytes.
SS_RENDER_MEM=
[ -z "${ASAN_OPTIONS:-}" ] || SS_RENDER_MEM="--render-memory-mib 0"

# The SealedSecret nameReference snippet of deploy/kustomize, copied into
# a kustomization folder of the test repo.
ss_nameref() { # DIR
	cp "$SS_SRC_DIR/deploy/kustomize/sealedsecret-namereference.yaml" "$1/"
}

# objects.py: "kind ns name" lines of a multi-document YAML stream, sorted,
# SealedSecret counted as the Secret the agent makes of it.
ss_objects() { # FILE
	/usr/bin/python3 -c '
import sys, yaml
out = []
for d in yaml.safe_load_all(open(sys.argv[1])):
    if not d:
        continue
    kind = "Secret" if d["kind"] == "SealedSecret" else d["kind"]
    md = d.get("metadata", {})
    out.append("%s %s %s" % (kind, md.get("namespace", "-"), md["name"]))
print("\n".join(sorted(out)))' "$1"
}

# Every object kustomize printed (FILE) is in the API server with that
# content: each field of the built object equals the server's (metadata
# only for labels/annotations/name/namespace; the owner label aside);
# a SealedSecret's Secret holds its values unsealed, given as KEY=VALUE
# lines in VALUES.
ss_compare_build() { # FILE VALUES
	/usr/bin/python3 - "$1" "$2" <<-\PY
	import base64, json, subprocess, sys, yaml
	values = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[2]) if "=" in l)
	def sub(want, got, where):
	    if isinstance(want, dict):
	        if not isinstance(got, dict):
	            sys.exit("%s: not a mapping on the server" % where)
	        for k, v in want.items():
	            sub(v, got.get(k), where + "." + k)
	    elif isinstance(want, list):
	        if not isinstance(got, list) or len(got) != len(want):
	            sys.exit("%s: list differs" % where)
	        for i, (a, b) in enumerate(zip(want, got)):
	            sub(a, b, "%s[%d]" % (where, i))
	    elif want != got and not (isinstance(want, (int, float)) and str(want) == str(got)):
	        sys.exit("%s: built %r, server %r" % (where, want, got))
	for d in yaml.safe_load_all(open(sys.argv[1])):
	    if not d:
	        continue
	    md = d["metadata"]
	    ns = md.get("namespace")
	    kind = "secret" if d["kind"] == "SealedSecret" else d["kind"].lower()
	    cmd = ["kubectl", "get", kind, md["name"], "-o", "json"] + (["-n", ns] if ns else [])
	    got = json.loads(subprocess.check_output(cmd))
	    where = "%s/%s" % (d["kind"], md["name"])
	    if d["kind"] == "SealedSecret":
	        for k in d["spec"]["encryptedData"]:
	            v = base64.b64decode(got["data"][k]).decode()
	            if v != values.get(md["name"] + "." + k):
	                sys.exit("%s: key %s not unsealed to its value" % (where, k))
	        continue
	    want = {k: v for k, v in d.items() if k != "metadata"}
	    sub(want, got, where)
	    for k in ("labels", "annotations"):
	        sub(md.get(k, {}), got["metadata"].get(k, {}), where + ".metadata." + k)
	print("same")
	PY
}
