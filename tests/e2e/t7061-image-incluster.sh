#!/bin/bash
# The image run as the kubelet would run deploy/'s Pod (issue "The image,
# built and run", acceptance 3, 4, 5 and the rest of 2), against the real
# kube-apiserver of tests/kube:
#   3. in-cluster configuration only: a ServiceAccount token bound to
#      deploy/'s Role and ClusterRole, ca.crt and namespace mounted at
#      /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST
#      and _PORT; the container's user, groups, read-only root, capabilities,
#      volumes and args are read from the Deployment `kustomize build deploy`
#      renders; the keys mounted read-only, 0440, readable through the Pod's
#      supplementary group (fsGroup); it syncs a repository served by
#      git daemon, /readyz answers ready, the Secret is in the cluster;
#   4. SIGTERM (docker stop) ends it with exit code 0 and clears the Lease's
#      holder; the time taken is printed;
#   5. after the sync, neither the container's file system (docker export:
#      every image layer and the writable layer) nor any writable mount of
#      the running container (read from the host through /proc/PID/root)
#      holds the key or the plaintext value;
#   2. in the container, a test-only request makes a key holder attempt
#      socket(), connect() and open(): all three fail under its sandbox.
# The container runs with --network host and the cluster on 127.0.0.1, so
# nothing leaves the host's loopback. Every container is removed by id.
#
# Run by the image stage of tests/run.sh (SS_STAGES=image), after t7060
# (which builds the image; `make image` here is then a cache hit).
# stage: image

# lib.sh points HOME at the trash folder; Go's caches must stay the shared
# ones, or the Kubernetes binaries would be a cold build (docs/KUBE.md).
real_home=$HOME
export GOMODCACHE=${GOMODCACHE:-$real_home/go/pkg/mod}
export GOCACHE=${GOCACHE:-$real_home/.cache/go-build}
export GOPATH=${GOPATH:-$real_home/go}
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"

. "$SS_SRC_DIR/tests/e2e/lib-image.sh"
test_require "$SEALCTL" "$TEST_TOOL" git curl bc

KUBE_DIR=$SS_SRC_DIR/tests/kube
if ! sh "$KUBE_DIR/build.sh" >kube-build.log 2>&1; then
	sed 's/^/# /' kube-build.log | tail -n 20
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - build the Kubernetes test binaries (required under CI=true)"
		echo "1..1"; exit 1
	fi
	echo "1..0 # SKIP cannot build the Kubernetes test binaries (see kube-build.log)"
	exit 0
fi

CLUSTER=$TRASH/cluster
cluster_down() { [ ! -f "$CLUSTER/pids" ] || sh "$KUBE_DIR/cluster.sh" down "$CLUSTER" >/dev/null; }
trap 'ctr_cleanup; cluster_down; ss_stop_all' EXIT
# Bounded wait: wait_for SECONDS CMD... until CMD succeeds.
wait_for() {
	limit=$(($1 * 10)); shift; i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt $limit ] || return 1
		sleep 0.1
	done
}

test_expect_success 'make image (cached by its inputs hash) and the cluster up' '
	make -s -C "$SS_SRC_DIR" image >make-image.log 2>&1 &&
	docker image inspect "$IMAGE" >/dev/null &&
	sh "$KUBE_DIR/cluster.sh" up "$CLUSTER" >up.log 2>&1 || { cat up.log; return 1; }
'
. "$CLUSTER/env" 2>/dev/null
export KUBECONFIG=${KUBE_KUBECONFIG:-/nonexistent}
K=${KUBECTL:-false}
SA_USER=system:serviceaccount:sealsync-system:sealsync
VALUE=incluster-plain-value

test_expect_success 'deploy/ rendered by kustomize applies to the real server' '
	"$KUSTOMIZE" build "$SS_SRC_DIR/deploy" >deploy.yaml &&
	$K apply --server-side --field-manager=t7061 -f deploy.yaml >apply.out &&
	$K -n sealsync-system get serviceaccount sealsync >/dev/null &&
	test "$($K auth can-i create secrets -n default --as=$SA_USER)" = yes &&
	test "$($K auth can-i update leases -n sealsync-system --as=$SA_USER)" = yes &&
	test "$($K auth can-i create secrets -n kube-system --as=system:serviceaccount:default:default)" = no
'

# What the kubelet would run, taken from the rendered Deployment: user,
# groups, flags from the security context, args, and the volumes' mounts.
test_expect_success 'the Deployment pod spec maps onto docker run' '
	$PYTHON - deploy.yaml >pod.env <<-"P"
	import shlex, sys, yaml
	dep = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Deployment"][0]
	pod = dep["spec"]["template"]["spec"]
	c = pod["containers"][0]
	psc, csc = pod["securityContext"], c["securityContext"]
	vols = {v["name"]: v for v in pod["volumes"]}
	kinds = {"emptyDir": "cache", "secret": "keys", "configMap": "config"}
	mounts = {}
	for m in c["volumeMounts"]:
	    for k in vols[m["name"]]:
	        # the first of each kind: the cache comes before the render socket
	        if k in kinds and kinds[k] not in mounts: mounts[kinds[k]] = m
	flags = []
	if csc.get("readOnlyRootFilesystem"): flags.append("--read-only")
	if "ALL" in csc.get("capabilities", {}).get("drop", []): flags += ["--cap-drop", "ALL"]
	if csc.get("allowPrivilegeEscalation") is False: flags += ["--security-opt", "no-new-privileges"]
	assert psc["seccompProfile"]["type"] == "RuntimeDefault"  # the engine default profile
	assert mounts["keys"].get("readOnly") and mounts["config"].get("readOnly")
	out = {
	    "POD_USER": "%d:%d" % (psc["runAsUser"], psc["runAsGroup"]),
	    "POD_FSGROUP": str(psc["fsGroup"]),
	    "POD_FLAGS": " ".join(flags),
	    "POD_ARGS": " ".join(shlex.quote(a) for a in c.get("args", [])),
	    "POD_KEYS_MODE": "%o" % vols[mounts["keys"]["name"]]["secret"]["defaultMode"],
	    "POD_KEYS_DIR": mounts["keys"]["mountPath"],
	    "POD_CONFIG_DIR": mounts["config"]["mountPath"],
	    "POD_CACHE_DIR": mounts["cache"]["mountPath"],
	    "POD_NS": dep["metadata"]["namespace"],
	}
	for k, v in out.items(): print("%s=%s" % (k, shlex.quote(v)))
	P
	cat pod.env &&
	. ./pod.env && test "$POD_KEYS_MODE" = 440 && test -n "$POD_ARGS"
'
. ./pod.env

# The repository, served by git daemon on the host's loopback.
ss_keys
mkdir -p srv && git init -q -b main srv/repo && mkdir -p srv/repo/apps &&
	ss_seal default db password=$VALUE >srv/repo/apps/db.sealed.yaml &&
	git -C srv/repo add -A && git -C srv/repo commit -q -m first
GIT_PORT=$(ss_free_port)
ss_daemon gitd git daemon --reuseaddr --base-path="$TRASH/srv" --export-all \
	--port="$GIT_PORT" --listen=127.0.0.1
ss_wait_port "$GIT_PORT" || say "git daemon did not start"
HTTP_PORT=$(ss_free_port)
PROBE_PORT=$(ss_free_port)

# The mounts, laid out as the kubelet makes them: the ConfigMap's config.yaml
# (source and listeners pointed at this test), the key Secret as a
# ..data/ symlink farm, root-owned, files 0440 and folders 0750 in the
# Pod's fsGroup, and the ServiceAccount token, ca.crt and namespace.
test_expect_success 'the ServiceAccount token, the key Secret and the ConfigMap as volumes' '
	$K -n "$POD_NS" get configmap sealsync-config -o jsonpath="{.data.config\.yaml}" >cm.yaml &&
	mkdir -p vol/config &&
	$PYTHON - cm.yaml vol/config/config.yaml "git://127.0.0.1:$GIT_PORT/repo" \
		"127.0.0.1:$HTTP_PORT" "127.0.0.1:$PROBE_PORT" <<-"P" &&
	import sys, yaml
	cfg = yaml.safe_load(open(sys.argv[1]))
	cfg["source"].update(url=sys.argv[3], insecure=True, interval="1h")
	cfg["http"].update(listen=sys.argv[4], probeListen=sys.argv[5])
	yaml.safe_dump(cfg, open(sys.argv[2], "w"))
	P
	ts=..2026_01_01_00_00_00.000000001 &&
	mkdir -p vol/keys/$ts && cp keys.txt vol/keys/$ts/keys.txt &&
	ln -s $ts vol/keys/..data && ln -s ..data/keys.txt vol/keys/keys.txt &&
	chown -R 0:"$POD_FSGROUP" vol/keys && chmod 0750 vol/keys vol/keys/$ts &&
	chmod "$POD_KEYS_MODE" vol/keys/$ts/keys.txt &&
	mkdir -p vol/sa &&
	$K -n "$POD_NS" create token sealsync --duration=1h >vol/sa/token &&
	cp "$KUBE_CA" vol/sa/ca.crt && printf %s "$POD_NS" >vol/sa/namespace &&
	chmod 0755 vol vol/config vol/sa && chmod 0644 vol/config/config.yaml vol/sa/* &&
	test "$(stat -c %a:%u:%g vol/keys/$ts/keys.txt)" = "440:0:$POD_FSGROUP"
'

# Ready as the leader that has synced (a follower is ready once its keys
# are loaded, before any sync: docs/SERVICE.md).
ready_synced() {
	curl -sf "http://127.0.0.1:$PROBE_PORT/readyz" | grep -q "\"detail\": *\"synced"
}

RUN_POD="$POD_FLAGS --network host --user $POD_USER --group-add $POD_FSGROUP
	--tmpfs $POD_CACHE_DIR:rw,size=64m,uid=${POD_USER%%:*},gid=$POD_FSGROUP,mode=0700
	-e KUBERNETES_SERVICE_HOST=$KUBE_API_ADDR -e KUBERNETES_SERVICE_PORT=$KUBE_API_PORT
	-v $TRASH/vol/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro
	-v $TRASH/vol/keys:$POD_KEYS_DIR:ro -v $TRASH/vol/config:$POD_CONFIG_DIR:ro"

# The control for the group: without the fsGroup the key is unreadable.
test_expect_success 'without the supplementary group the agent cannot read the key Secret' '
	eval "set -- $POD_ARGS" &&
	test_must_fail docker run --rm $(echo "$RUN_POD" | sed "s/--group-add [0-9]*//; s/--user [0-9:]*/--user 65532:65534/") \
		"$IMAGE" "$@" --once 2>nogroup.err &&
	tail -n 3 nogroup.err &&
	grep -q "Permission denied" nogroup.err
'

test_expect_success 'the container, configured in-cluster only, syncs; /readyz answers ready' '
	eval "set -- $POD_ARGS" &&
	t0=$(date +%s.%N) &&
	cid=$(docker run -d $RUN_POD "$IMAGE" "$@") && ctr_track "$cid" && POD_CID=$cid &&
	echo "$cid" >pod.cid &&
	wait_for 60 ready_synced || { docker logs "$cid" 2>&1 | tail -n 20; return 1; }
	say "ready after $(echo "$(date +%s.%N) - $t0" | bc) s" &&
	code=$(curl -sS -o readyz.json -w "%{http_code}" "http://127.0.0.1:$PROBE_PORT/readyz") &&
	say "/readyz: $code $(cat readyz.json)" &&
	test "$code" = 200 && grep -q "\"ready\": *true" readyz.json &&
	test "$($K -n default get secret db -o jsonpath={.data.password} | base64 -d)" = $VALUE
'
POD_CID=$(cat pod.cid 2>/dev/null)
lease_holder() { $K -n "$POD_NS" get lease sealsync-leader -o jsonpath={.spec.holderIdentity}; }
holder_set() { test -n "$(lease_holder)"; }

test_expect_success 'the audit log shows the Secret written by the ServiceAccount' '
	$PYTHON - "$KUBE_AUDIT_LOG" "$SA_USER" >audit.out <<-"P" &&
	import json, sys
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    o = e.get("objectRef", {})
	    if (e["user"]["username"] == sys.argv[2] and o.get("resource") == "secrets"
	            and o.get("name") == "db" and e["verb"] in ("create", "patch", "update")
	            and e.get("responseStatus", {}).get("code", 0) < 300):
	        print(e["verb"], o["namespace"], o["name"])
	P
	cat audit.out && grep -q " default db$" audit.out
'

test_expect_success 'the container holds the Lease in its namespace' '
	wait_for 30 holder_set &&
	say "holder: $(lease_holder)"
'

# Acceptance 5. From the host: every writable mount of the running
# container (its mountinfo; proc, sysfs and cgroup aside) read through
# /proc/PID/root, and docker export of the container (every image layer and
# its writable layer).
SECRET_KEY=$(grep "^AGE-SECRET-KEY-1" keys.txt | head -n1)
INIT=$(docker inspect -f "{{.State.Pid}}" "$POD_CID" 2>/dev/null | tr -dc 0-9)
AG=$(children_of "${INIT:-0}" | tr -dc 0-9)
writable_files() { # prints every regular file on a writable mount of $AG
	awk '$6 ~ /^rw/ { for (i = 7; $i != "-"; i++); if ($(i + 1) !~ /^(proc|sysfs|cgroup2?|mqueue|devpts)$/) print $5 }' \
		"/proc/$AG/mountinfo" >rw.mounts &&
	cp "/proc/$AG/mountinfo" mountinfo &&
	while read -r mp; do
		find "/proc/$AG/root$mp" -xdev -type f
	done <rw.mounts
}
scan_writable() { # prints the files holding the key or the value
	writable_files >rw.files &&
	tr "\n" "\0" <rw.files | xargs -0 -r grep -a -l -F -e "$SECRET_KEY" -e "$VALUE" || true
}

test_expect_success 'no writable path of the running container holds the key or the value' '
	test -n "$AG" && test "$(cat /proc/$AG/comm)" = sealsync-agent &&
	scan_writable >found &&
	say "writable mounts: $(tr "\n" " " <rw.mounts)" &&
	say "files scanned: $(wc -l <rw.files)" &&
	grep -qx "$POD_CACHE_DIR" rw.mounts &&
	grep -q "^/proc/$AG/root$POD_CACHE_DIR/." rw.files &&
	{ test ! -s found || { cat found; false; }; }
'

test_expect_success 'the same scan finds both when planted in the cache tmpfs (control)' '
	planted=/proc/$AG/root$POD_CACHE_DIR/planted &&
	{ cat keys.txt; echo $VALUE; } >"$planted" &&
	scan_writable >found2; rm -f "$planted" &&
	grep -qx "$planted" found2
'

test_expect_success 'docker export of the synced container holds neither' '
	test "$(docker inspect -f "{{.State.Running}}" "$POD_CID")" = true &&
	docker export "$POD_CID" >pod-root.tar &&
	test -s pod-root.tar &&
	! grep -a -q -F -e "$SECRET_KEY" pod-root.tar &&
	! grep -a -q -F -e $VALUE pod-root.tar
'

# Acceptance 4.
test_expect_success 'SIGTERM (docker stop) exits 0 and clears the Lease holder' '
	t0=$(date +%s.%N) &&
	docker stop -t 30 "$POD_CID" >/dev/null &&
	say "docker stop took $(echo "$(date +%s.%N) - $t0" | bc) s" &&
	code=$(docker wait "$POD_CID") && say "exit code: $code" &&
	test "$code" = 0 &&
	test "$(docker inspect -f "{{.State.ExitCode}} {{.State.OOMKilled}}" "$POD_CID")" = "0 false" &&
	docker logs "$POD_CID" >pod.log 2>&1 &&
	grep -q "released the lease" pod.log &&
	lease_holder >holder.after && test ! -s holder.after
'

# Acceptance 2 (rest): the probe of t7050, run inside the image under the
# same lock-down. The test tool starts a key holder exactly as the agent
# does and sends it a request only the test tool's key holder answers.
LISTEN_PORT=$(ss_free_port)
ss_daemon listener $PYTHON -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True: s.accept()[0].close()
' "$LISTEN_PORT"
ss_wait_port "$LISTEN_PORT" || say "listener did not start"
probe() {
	docker run --rm $POD_FLAGS --network host --user "$POD_USER" \
		-v "$TEST_TOOL:/probe/ss-test-tool:ro" --entrypoint /probe/ss-test-tool \
		"$IMAGE" keyholder-probe "$@"
}

test_expect_success 'in the container, the key holder cannot socket(), connect() or open()' '
	probe "$LISTEN_PORT" >probe.out 2>probe.err || { cat probe.err; return 1; }
	cat probe.out &&
	grep -qx "sandboxed: 1" probe.out &&
	grep -qx "socket: Operation not permitted" probe.out &&
	grep -qx "connect: Operation not permitted" probe.out &&
	grep -qx "open: Operation not permitted" probe.out &&
	grep -q "^Seccomp:.*2$" probe.out
'

test_expect_success 'the same probe without the sandbox connects and opens (the probe can fail)' '
	probe --no-sandbox "$LISTEN_PORT" >probe0.out 2>probe0.err || { cat probe0.err; return 1; }
	grep -qx "sandboxed: 0" probe0.out &&
	grep -qx "socket: ok" probe0.out &&
	grep -qx "connect: ok" probe0.out &&
	grep -qx "open: ok" probe0.out
'

test_done
