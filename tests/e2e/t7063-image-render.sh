#!/bin/bash
# The renderer inside the product image (issue 16, acceptance 7, in the
# image): two containers of sealsync:dev laid out as deploy/'s Pod, the agent
# and the render container (`--render-server`, its args, mounts and memory
# limit read from the Deployment `kustomize build deploy` renders), sharing
# only the render socket's folder, against the test API server on the host's
# loopback (--network host, like t7060):
#   - a kustomize overlay and a local Helm chart render with the image's own
#     kustomize and helm and apply: the objects equal what the host's pinned
#     kustomize and helm print, the SealedSecrets unsealed;
#   - a symlink to the key file or to the ServiceAccount token (kustomize
#     and a chart template) fails its unit naming the link; helm's
#     .Files.Get of those absolute paths gets nothing; neither key nor token
#     reaches a log or an object;
#   - no network from the render process: a remote kustomize base and a
#     chart with a remote dependency are refused naming the file, with zero
#     connections on a counting listener; a probe run by the render server
#     cannot socket() (the render container itself can connect: the
#     refusal is the sandbox);
#   - the render container holds no key and no token (its file system read
#     from the host; docker export and its writable mounts scanned); a
#     stand-in tool that dumps everything it can see finds no plaintext
#     value; a render that never ends is killed at its deadline; nothing is
#     left in the render folder.
#
# Run by the image stage of tests/run.sh (SS_STAGES=image), after t7060
# (which builds the image; `make image` here is then a cache hit).
# stage: image
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-render.sh"

. "$SS_SRC_DIR/tests/e2e/lib-image.sh"
test_require "$SEALCTL" "$APISERVER" "$TEST_TOOL" kubectl git
sh "$SS_SRC_DIR/tests/peers/helm/build.sh" >helm-build.log 2>&1 || { cat helm-build.log; exit 1; }
HELM=$(sh "$SS_SRC_DIR/tests/peers/helm/build.sh" --path)

trap 'ctr_cleanup; ss_stop_all' EXIT

KEYS_DIR=/etc/sealsync/keys
SA_DIR=/var/run/secrets/kubernetes.io/serviceaccount
TOKEN=token-value-7063-b9e1

# A listener that counts connections: what must never be contacted.
PORT=$(ss_free_port)
$PYTHON - "$PORT" >>listener.log 2>&1 <<-\PY &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); print("connection", flush=True); c.close()
PY
ss_pids="$ss_pids $!"
# (O_APPEND: emptied after the readiness check, the count starts at 0)
ss_wait_port "$PORT" && : >listener.log
connections() { grep -c "^connection$" listener.log; }

test_expect_success 'make image (cached by its inputs hash): it ships kustomize and helm' '
	make -s -C "$SS_SRC_DIR" image >make-image.log 2>&1 || { tail -n 20 make-image.log; return 1; }
	docker run --rm "$IMAGE" kustomize version >/dev/null &&
	docker run --rm "$IMAGE" helm version --short >/dev/null
'

# The render container as deploy/ declares it.
test_expect_success 'the render container of the Deployment maps onto docker run' '
	ss_kustomize_bin &&
	"$KUSTOMIZE" build "$SS_SRC_DIR/deploy" >deploy.yaml &&
	$PYTHON - deploy.yaml >render.env <<-"P" &&
	import shlex, sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	pod = [d for d in docs if d["kind"] == "Deployment"][0]["spec"]["template"]["spec"]
	c = [c for c in pod["containers"] if c["name"] == "render"][0]
	agent = [c for c in pod["containers"] if c["name"] == "agent"][0]
	psc, csc = pod["securityContext"], c["securityContext"]
	vols = {v["name"]: v for v in pod["volumes"]}
	mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
	assert all("emptyDir" in vols[n] for n in mounts), mounts
	sock_vol = [n for n in mounts if n in {m["name"] for m in agent["volumeMounts"]}]
	assert len(sock_vol) == 1, sock_vol
	cache_vol = [n for n in mounts if n not in sock_vol][0]
	args = c["args"]
	sock = args[args.index("--render-server") + 1]
	assert sock.startswith(mounts[sock_vol[0]] + "/"), sock
	flags = []
	if csc.get("readOnlyRootFilesystem"): flags.append("--read-only")
	if "ALL" in csc.get("capabilities", {}).get("drop", []): flags += ["--cap-drop", "ALL"]
	if csc.get("allowPrivilegeEscalation") is False: flags += ["--security-opt", "no-new-privileges"]
	mem = c["resources"]["limits"]["memory"]
	assert mem.endswith("Gi") or mem.endswith("Mi"), mem
	out = {
	    "R_USER": "%d:%d" % (psc["runAsUser"], psc["runAsGroup"]),
	    "R_FLAGS": " ".join(flags),
	    "R_ARGS": " ".join(shlex.quote(a) for a in args),
	    "R_SOCK_DIR": mounts[sock_vol[0]],
	    "R_SOCK": sock,
	    "R_CACHE_DIR": mounts[cache_vol],
	    "R_MEMORY": mem[:-2].lower() + mem[-2].lower(),
	    "A_SOCK_DIR": [m["mountPath"] for m in agent["volumeMounts"] if m["name"] == sock_vol[0]][0],
	}
	for k, v in out.items(): print("%s=%s" % (k, shlex.quote(v)))
	P
	cat render.env &&
	. ./render.env && test -n "$R_ARGS" && test "$R_SOCK_DIR" = "$A_SOCK_DIR"
'
. ./render.env

# The shared socket folder (the Pod's emptyDir), the agent's key Secret and
# ServiceAccount token volumes: the token is a marker the test looks for.
ss_keys
SECRET_KEY=$(grep "^AGE-SECRET-KEY-1" keys.txt | head -n1)
mkdir -p sock vol/keys vol/sa in rtmp &&
	cp keys.txt vol/keys/keys.txt && printf %s "$TOKEN" >vol/sa/token &&
	chown -R 65532:65532 sock vol && chmod 0700 sock && chmod 0500 vol/keys && chmod 0400 vol/keys/keys.txt

test_expect_success 'the render container starts from the image: no key, no token, its own memory limit' '
	eval "set -- $R_ARGS" &&
	cid=$(docker run -d $R_FLAGS --network host --user "$R_USER" --memory "$R_MEMORY" \
		--tmpfs "$R_CACHE_DIR:rw,size=64m,uid=${R_USER%%:*},gid=${R_USER#*:},mode=0700" \
		-v "$TRASH/sock:$R_SOCK_DIR" -v "$TEST_TOOL:/probe/ss-test-tool:ro" \
		"$IMAGE" "$@" --render-timeout 4s --log-level debug) &&
	ctr_track "$cid" && echo "$cid" >render.cid &&
	i=0 && while [ ! -S "sock/${R_SOCK##*/}" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || { docker logs "$cid" 2>&1 | tail -n 20; return 1; }
		sleep 0.1
	done &&
	test "$(docker inspect -f "{{.HostConfig.Memory}}" "$cid")" -gt 0
'
RENDER_CID=$(cat render.cid 2>/dev/null)
RINIT=$(docker inspect -f "{{.State.Pid}}" "$RENDER_CID" 2>/dev/null | tr -dc 0-9)
RS=$(children_of "${RINIT:-0}" | tr -dc 0-9)
SOCK=$TRASH/sock/${R_SOCK##*/}

ss_apiserver_start
ss_ns prod web apps
ss_repo_init

# stage_repo: the repository as the agent container reads it (owned by
# 65532: libgit2 refuses a repository another user owns).
stage_repo() {
	rm -rf in/repo && cp -r repo in/repo && cp "$KUBECONFIG" in/kubeconfig &&
	chown -R 65532:65532 in && chmod -R go-rwx in
}
# run_agent CONFIG [FLAGS]: one sync by the agent container, locked down like
# deploy/'s agent, with the key Secret and the token mounted where the Pod
# has them and the render socket shared with the render container.
run_agent() {
	cfg=$1; shift
	stage_repo && cp "$cfg" in/units.yaml && chown 65532:65532 in/units.yaml &&
	docker run --rm --read-only --cap-drop ALL --security-opt no-new-privileges \
		--user 65532:65532 --network host \
		--tmpfs /var/cache/sealsync:rw,size=64m,uid=65532,gid=65532,mode=0700 \
		-v "$TRASH/in:/in:ro" -v "$TRASH/vol/keys:$KEYS_DIR:ro" -v "$TRASH/vol/sa:$SA_DIR:ro" \
		-v "$TRASH/sock:$A_SOCK_DIR" \
		"$IMAGE" sealsync-agent --once --config /in/units.yaml --repo file:///in/repo \
		--identities "$KEYS_DIR/keys.txt" --kubeconfig /in/kubeconfig \
		--cache-dir /var/cache/sealsync --render-socket "$R_SOCK" --max-retries 1 \
		--log-level debug "$@" 2>>agent.log
}

# nothing of the key file or the token anywhere the test can look
leak_check() {
	docker logs "$RENDER_CID" >render.log 2>&1 &&
	for f in agent.log render.log; do
		test_not_contains "$SECRET_KEY" $f && test_not_contains "$TOKEN" $f || return 1
	done &&
	kubectl get configmaps,secrets -A -o yaml >all.yaml &&
	test_not_contains "$SECRET_KEY" all.yaml &&
	test_not_contains "$(printf %s "$SECRET_KEY" | base64 -w0 | cut -c1-40)" all.yaml &&
	test_not_contains "$TOKEN" all.yaml &&
	test_not_contains "$(printf %s "$TOKEN" | base64 -w0 | cut -c1-20)" all.yaml
}

# failed_naming UNIT TEXT: the agent's "sync failed" line of UNIT says TEXT
failed_naming() { grep "\"sync failed\"" agent.log | grep "\"unit\":\"$1\"" | grep -q -F "$2"; }

mkchart() { # mkchart DIR NAME [dependencies yaml]
	mkdir -p "$1/templates" &&
	printf "apiVersion: v2\nname: %s\nversion: 0.1.0\n%s" "$2" "${3:-}" >"$1/Chart.yaml"
}

test_expect_success 'setup: a kustomize base and overlay, a local chart with a values file' '
	mkdir -p repo/base repo/overlays/prod repo/apps/web &&
	printf "resources: [web.yaml, shared.sealed.yaml]\nconfigurations: [sealedsecret-namereference.yaml]\n" \
		>repo/base/kustomization.yaml &&
	ss_nameref repo/base &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  tier: base\n" >repo/base/web.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shared\nstringData:\n  token: \"img-shared-value\"\n" |
		"$SEALCTL" seal -r "$PUB" --scope cluster -n default | sed "/^  namespace: /d" >repo/base/shared.sealed.yaml &&
	cat >repo/overlays/prod/kustomization.yaml <<-\YAML &&
	namespace: prod
	namePrefix: prod-
	resources: [../../base, db.sealed.yaml]
	configurations: [sealedsecret-namereference.yaml]
	patches:
	  - patch: |-
	      - op: replace
	        path: /data/tier
	        value: prod
	    target: {kind: ConfigMap, name: web}
	configMapGenerator:
	  - name: settings
	    literals: [mode=prod]
	YAML
	ss_nameref repo/overlays/prod &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-db\n  namespace: prod\nstringData:\n  password: \"img-db-value\"\n" |
		"$SEALCTL" seal -r "$PUB" | sed -e "s/^  name: prod-db$/  name: db/" -e "/^  namespace: /d" \
		>repo/overlays/prod/db.sealed.yaml &&
	mkchart repo/charts/web web &&
	printf "color: default\n" >repo/charts/web/values.yaml &&
	cat >repo/charts/web/templates/cm.yaml <<-\EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: {{ .Release.Name }}-config
	  namespace: {{ .Release.Namespace }}
	data:
	  color: {{ .Values.color | quote }}
	EOF
	printf "color: blue\n" >repo/apps/web/values-prod.yaml &&
	cat >units.yaml <<-\EOF &&
	units:
	  - name: prod
	    path: overlays/prod
	    namespace: prod
	  - name: web
	    path: apps/web
	    namespace: web
	    helm:
	      chart: /charts/web
	      valuesFiles: [values-prod.yaml]
	EOF
	ss_commit real
'

test_expect_success 'the overlay and the chart render in the render container and apply' '
	: >agent.log &&
	run_agent units.yaml || { tail -n 20 agent.log; return 1; }
	grep -q "\"unit rendered\"" agent.log &&
	"$KUSTOMIZE" build repo/overlays/prod >built-prod.yaml &&
	printf "%s\n" prod-shared.token=img-shared-value prod-db.password=img-db-value >values-prod &&
	ss_compare_build built-prod.yaml values-prod >cmp-prod && test "$(cat cmp-prod)" = same &&
	test "$(ss_secret_value prod prod-db password)" = img-db-value &&
	test "$(kubectl -n prod get configmap prod-web -o jsonpath={.data.tier})" = prod &&
	(cd repo && "$HELM" template web ./charts/web --namespace web -f ./apps/web/values-prod.yaml) >built-web.yaml &&
	: >values-web && ss_compare_build built-web.yaml values-web >cmp-web && test "$(cat cmp-web)" = same &&
	test "$(kubectl -n web get configmap web-config -o jsonpath={.data.color})" = blue
'

test_expect_success 'the render server kept no copy of the revision' '
	test -n "$RS" && test "$(cat /proc/$RS/comm)" = sealsync-agent &&
	test -d "/proc/$RS/root$R_CACHE_DIR/render" &&
	test -z "$(find "/proc/$RS/root$R_CACHE_DIR/render" -mindepth 1)"
'

test_expect_success 'setup: units that link to the key file or the token, charts that read them' '
	mkdir -p repo/u/keylink repo/u/keyrel repo/u/tokenlink &&
	printf "configMapGenerator:\n  - name: k\n    files: [key.txt]\n" >repo/u/keylink/kustomization.yaml &&
	ln -s "$KEYS_DIR/keys.txt" repo/u/keylink/key.txt &&
	printf "configMapGenerator:\n  - name: k\n    files: [stolen.txt]\n" >repo/u/keyrel/kustomization.yaml &&
	ln -s "../../../../../../../..$KEYS_DIR/keys.txt" repo/u/keyrel/stolen.txt &&
	printf "resources: [token.yaml]\n" >repo/u/tokenlink/kustomization.yaml &&
	ln -s "$SA_DIR/token" repo/u/tokenlink/token.yaml &&
	mkchart repo/charts/keylink keylink &&
	ln -s "$KEYS_DIR/keys.txt" repo/charts/keylink/templates/key.yaml &&
	mkchart repo/charts/filesget filesget &&
	cat >repo/charts/filesget/templates/cm.yaml <<-EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: filesget
	  namespace: apps
	data:
	  key: {{ .Files.Get "$KEYS_DIR/keys.txt" | quote }}
	  token: {{ .Files.Get "$SA_DIR/token" | quote }}
	  marker: "read"
	EOF
	cat >links.yaml <<-\EOF &&
	units:
	  - {name: keylink, path: u/keylink, namespace: apps}
	  - {name: keyrel, path: u/keyrel, namespace: apps}
	  - {name: tokenlink, path: u/tokenlink, namespace: apps}
	  - name: chartlink
	    path: apps
	    namespace: apps
	    helm: {chart: /charts/keylink}
	EOF
	cat >filesget.yaml <<-\EOF &&
	units:
	  - name: filesget
	    path: apps
	    namespace: apps
	    helm: {chart: /charts/filesget}
	EOF
	ss_commit links
'

test_expect_success 'each unit that links to the key file or the token fails naming the link; nothing leaks' '
	: >agent.log &&
	test_must_fail run_agent links.yaml &&
	failed_naming keylink u/keylink/key.txt &&
	failed_naming keyrel u/keyrel/stolen.txt &&
	failed_naming tokenlink u/tokenlink/token.yaml &&
	failed_naming chartlink charts/keylink/templates/key.yaml &&
	kubectl -n apps get configmaps -o name >apps.cms &&
	! grep -q "^configmap/k-" apps.cms &&
	leak_check
'

test_expect_success 'helm .Files.Get of the key file and the token by absolute path gets nothing' '
	: >agent.log &&
	run_agent filesget.yaml || { tail -n 20 agent.log; return 1; }
	test "$(kubectl -n apps get configmap filesget -o jsonpath={.data.marker})" = read &&
	test -z "$(kubectl -n apps get configmap filesget -o jsonpath={.data.key})" &&
	test -z "$(kubectl -n apps get configmap filesget -o jsonpath={.data.token})" &&
	leak_check
'

test_expect_success 'setup: a remote kustomize base and a chart with a remote dependency' '
	mkdir -p repo/u/remote &&
	printf "resources:\n  - http://127.0.0.1:%s/base\n" "$PORT" >repo/u/remote/kustomization.yaml &&
	mkchart repo/charts/remote remote "dependencies:
  - name: redis
    version: 1.0.0
    repository: http://127.0.0.1:$PORT/charts
" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote\n" >repo/charts/remote/templates/cm.yaml &&
	cat >remote.yaml <<-\EOF &&
	units:
	  - {name: kremote, path: u/remote, namespace: apps}
	  - name: hremote
	    path: apps
	    namespace: apps
	    helm: {chart: /charts/remote}
	EOF
	ss_commit remote
'

test_expect_success 'remote references are refused naming the file; the listener saw no connection' '
	: >agent.log &&
	test_must_fail run_agent remote.yaml &&
	failed_naming kremote u/remote/kustomization.yaml &&
	failed_naming hremote charts/remote/Chart.yaml &&
	sleep 0.2 && test "$(connections)" = 0
'

# A job sent straight to the render server's socket (what the agent sends,
# from the host): the test tool, mounted read-only into the render
# container, run there as the rendering tool.
rjob() { "$TEST_TOOL" render-run --tmp "$TRASH/rtmp" --server "$SOCK" --unit probe -- "$@"; }

test_expect_success 'in the render server, the tool cannot open a socket: connect() never happens' '
	rjob /probe/ss-test-tool render-probe net "$PORT" >net.out 2>net.err || { cat net.err; return 1; }
	cat net.out &&
	grep -qx "socket: Operation not permitted" net.out &&
	grep -qx "socket6: Operation not permitted" net.out &&
	sleep 0.2 && test "$(connections)" = 0
'

test_expect_success 'the render container itself can connect (control: the refusal is the sandbox)' '
	docker exec "$RENDER_CID" /probe/ss-test-tool render-probe net "$PORT" >net0.out &&
	grep -qx "connect: connected" net0.out &&
	sleep 0.2 && test "$(connections)" = 1
'

test_expect_success 'the render container has no key and no token: the tool finds neither path' '
	rjob /probe/ss-test-tool render-probe read "$KEYS_DIR/keys.txt" >read.out &&
	rjob /probe/ss-test-tool render-probe read "$SA_DIR/token" >>read.out &&
	cat read.out &&
	! grep -q "read [0-9]* bytes" read.out &&
	test "$(grep -c "^open /.*: No such file or directory$" read.out)" = 2 &&
	test ! -e "/proc/$RS/root$KEYS_DIR" &&
	test ! -e "/proc/$RS/root$SA_DIR" &&
	test -e "/proc/$RS/root/usr/bin/kustomize" && test -e "/proc/$RS/root/usr/bin/helm"
'

test_expect_success 'a render that never ends is killed at the server deadline and reported' '
	test_must_fail rjob /probe/ss-test-tool render-probe sleep 2>sleep.err &&
	cat sleep.err &&
	grep -q "exceeded its timeout of 4s" sleep.err &&
	docker logs "$RENDER_CID" 2>&1 | grep "render job failed" | grep -q "\"unit\":\"probe\"" &&
	! ps -eo args | grep -q "^/probe/ss-test-tool render-probe sleep"
'

test_expect_success 'a tool that dumps everything it can see finds no plaintext value' '
	mkdir -p repo/u/dump &&
	printf "resources: [db.sealed.yaml]\n" >repo/u/dump/kustomization.yaml &&
	ss_seal apps dumpdb password=img-plain-dump-5c2 >repo/u/dump/db.sealed.yaml &&
	printf "units:\n  - {name: dump, path: u/dump, namespace: apps}\n" >dump.yaml &&
	ss_commit dump &&
	: >agent.log &&
	# the tool exists only in the render container: the dump proves
	# where the render ran
	run_agent dump.yaml --kustomize /probe/ss-test-tool || { tail -n 20 agent.log; return 1; }
	test "$(ss_secret_value apps dumpdb password)" = img-plain-dump-5c2 &&
	kubectl -n apps get configmap copy-dump -o json >dump.json &&
	$PYTHON -c "
import base64, json, sys
d = json.load(open(\"dump.json\"))[\"binaryData\"]
files = {k: base64.b64decode(v) for k, v in d.items()}
assert any(k.startswith(\"copy.\") and k.endswith(\"db.sealed.yaml\") for k in files), sorted(files)
for k, v in files.items():
    for bad in (b\"img-plain-dump-5c2\", base64.b64encode(b\"img-plain-dump-5c2\"), b\"AGE-SECRET-KEY\", b\"$TOKEN\"):
        assert bad not in v, (k, bad)
print(len(files))" >nfiles &&
	test "$(cat nfiles)" -ge 2 &&
	test -z "$(find "/proc/$RS/root$R_CACHE_DIR/render" -mindepth 1)"
'

# From the host: every writable mount of the running render container (its
# mountinfo; proc, sysfs and cgroup aside) read through /proc/PID/root, and
# docker export of it (every image layer and its writable layer).
scan_render() { # prints the files holding the key, the token or a value
	awk '$6 ~ /^rw/ { for (i = 7; $i != "-"; i++); if ($(i + 1) !~ /^(proc|sysfs|cgroup2?|mqueue|devpts)$/) print $5 }' \
		"/proc/$RS/mountinfo" >rw.mounts &&
	while read -r mp; do find "/proc/$RS/root$mp" -xdev -type f; done <rw.mounts >rw.files &&
	tr "\n" "\0" <rw.files | xargs -0 -r grep -a -l -F -e "$SECRET_KEY" -e "$TOKEN" \
		-e img-db-value -e img-shared-value -e img-plain-dump-5c2 || true
}

test_expect_success 'no writable path of the render container, nor its export, holds the key, the token or a value' '
	scan_render >found &&
	say "render container writable mounts: $(tr "\n" " " <rw.mounts)" &&
	grep -qx "$R_CACHE_DIR" rw.mounts &&
	{ test ! -s found || { cat found; false; }; } &&
	docker export "$RENDER_CID" >render-root.tar && test -s render-root.tar &&
	! grep -a -q -F -e "$SECRET_KEY" -e "$TOKEN" -e img-db-value -e img-plain-dump-5c2 render-root.tar
'

test_expect_success 'the same scan finds them when planted in the render cache (control)' '
	planted=/proc/$RS/root$R_CACHE_DIR/planted &&
	{ cat keys.txt; echo "$TOKEN"; } >"$planted" &&
	scan_render >found2; rm -f "$planted" &&
	grep -qx "$planted" found2
'

test_done
