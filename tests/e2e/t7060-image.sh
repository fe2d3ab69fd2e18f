#!/bin/bash
# The product image (issue "The image, built and run", acceptance 1, 2 and 5
# as far as they need no real cluster): `make image` builds sealsync:dev
# without a registry; both programs run from it; it runs as 65532 and holds
# no shell, no package manager, no setuid file; the agent, read-only and
# without capabilities, syncs and keeps its key holder sandboxed; a seccomp
# profile that forbids the sandbox stops it; no layer holds a key or value.
#
# Run by the image stage of tests/run.sh (SS_STAGES=image). Without a Docker
# engine it is skipped, except in CI where /var/run/docker.sock exists.
# stage: image
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-image.sh"
test_require "$SEALCTL" "$APISERVER" kubectl

trap 'ctr_cleanup; ss_stop_all' EXIT
mib() { awk '{printf "%.1f", $1 / 1048576}'; }

test_expect_success 'make image builds the image (cached by its inputs hash)' '
	t0=$(date +%s) &&
	make -s -C "$SS_SRC_DIR" image >make-image.log 2>&1 &&
	say "make image: $(( $(date +%s) - t0 ))s" &&
	grep "^image:" make-image.log &&
	docker image inspect "$IMAGE" >/dev/null
'

test_expect_success 'sealctl --help and sealsync-agent --help exit 0 in the image' '
	docker run --rm "$IMAGE" sealctl --help >sealctl.help 2>&1 &&
	docker run --rm "$IMAGE" sealsync-agent --help >agent.help 2>&1 &&
	grep -q -- "--render" agent.help && test -s sealctl.help
'

test_expect_success 'sealctl in the image seals what sealctl on the host recovers' '
	ss_keys &&
	printf img-roundtrip | docker run -i --rm "$IMAGE" \
		sealctl seal --raw -r "$PUB" --scope cluster >v.b64 &&
	"$SEALCTL" recover --raw -i keys.txt --scope cluster <v.b64 >v.out &&
	test "$(cat v.out)" = img-roundtrip
'

test_expect_success 'the image runs as user 65532' '
	user=$(docker image inspect -f "{{.Config.User}}" "$IMAGE") &&
	say "user: $user" &&
	test "${user%%:*}" = 65532
'

test_expect_success 'the image holds the programs, the render tools, tini, libraries, CA certificates and no more' '
	cid=$(docker create "$IMAGE") && ctr_track "$cid" &&
	docker export "$cid" >root.tar &&
	tar -tvf root.tar >root.list &&
	tar -tf root.tar | sed -n "s|^usr/bin/||p" | grep . | sort >bin.list &&
	printf "helm\nkustomize\nsealctl\nsealsync-agent\ntini\n" >bin.want &&
	say "usr/bin: $(tr "\n" " " <bin.list)" &&
	test_cmp bin.want bin.list &&
	tar -tf root.tar | grep -q "^etc/ssl/certs/ca-certificates.crt$" &&
	! tar -tf root.tar | grep -E "(^|/)(sh|bash|dash|busybox|apt|apt-get|dpkg|gcc|cc|ld|perl|python3)$" &&
	! tar -tf root.tar | grep -E "^(var/lib/dpkg|var/lib/apt|usr/share/doc)/"
'

test_expect_success 'no setuid or setgid file in the image' '
	awk "\$1 ~ /^-.*[sS]/" root.list >setid.list &&
	{ test ! -s setid.list || { cat setid.list; false; }; }
'

test_expect_success 'the image has no shell to run' '
	# 127: docker run found no such executable in the image.
	test_expect_code 127 docker run --rm --entrypoint /bin/sh "$IMAGE" -c true 2>nosh.err &&
	grep -q "no such file" nosh.err
'

test_expect_success 'the render tools run in the image: the pinned kustomize and helm' '
	docker run --rm "$IMAGE" kustomize version >kustomize.version 2>&1 &&
	docker run --rm "$IMAGE" helm version --short >helm.version 2>&1 &&
	say "render tools: kustomize $(cat kustomize.version), helm $(cat helm.version)" &&
	want_k=$(awk "\$1 == \"sigs.k8s.io/kustomize/kustomize/v5\" && \$2 ~ /^v/ {print \$2}" \
		"$SS_SRC_DIR/tests/kube/go.mod") &&
	want_h=$(sed -n "s|^require helm.sh/helm/v4 \(v[^ ]*\).*|\1|p" "$SS_SRC_DIR/tests/peers/helm/go.mod") &&
	test -n "$want_k" && test -n "$want_h" &&
	grep -q "^$want_k$" kustomize.version &&
	grep -q "^$want_h" helm.version
'

test_expect_success 'the image size with the render tools' '
	say "size with render tools: $(docker image inspect -f "{{.Size}}" "$IMAGE" | mib) MiB"
'

test_expect_success 'the image size, without the render tools (SS_IMAGE_TOOLS=none), is at most 40 MiB' '
	SS_IMAGE_TAG=$IMAGE-notools SS_IMAGE_TOOLS=none \
		make -s -C "$SS_SRC_DIR" image >make-image-notools.log 2>&1 &&
	size=$(docker image inspect -f "{{.Size}}" "$IMAGE-notools") &&
	say "size without render tools: $(echo "$size" | mib) MiB" &&
	test "$size" -le $((40 * 1048576)) &&
	docker run --rm "$IMAGE-notools" sealsync-agent --help >/dev/null 2>&1 &&
	# 127: tini found no such executable
	test_expect_code 127 docker run --rm "$IMAGE-notools" kustomize version 2>notools.err &&
	grep -q "exec kustomize failed" notools.err
'

# Acceptance 2: the agent, locked down, against the test API server on the
# host's loopback (--network host). Its inputs are a read-only copy owned
# by 65532 (libgit2 refuses a repository another user owns).
ss_apiserver_start
ss_ns shop
ss_repo_init
mkdir -p repo/apps
ss_seal shop db password=img-plain-value >repo/apps/db.sealed.yaml
ss_commit first
mkdir -p in && cp -r repo in/repo && cp keys.txt "$KUBECONFIG" in/ &&
	chown -R 65532:65532 in && chmod -R go-rwx in

LOCKDOWN="--read-only --cap-drop ALL --security-opt no-new-privileges
	--tmpfs /var/cache/sealsync:rw,size=64m,uid=65532,gid=65532,mode=0700
	--network host -v $TRASH/in:/in:ro"
AGENT_ARGS="--repo file:///in/repo --identities /in/keys.txt --kubeconfig /in/kubeconfig
	--cache-dir /var/cache/sealsync --path apps --no-leader-election --log-level debug"

test_expect_success 'the locked-down agent container syncs the sealed value' '
	cid=$(docker run -d $LOCKDOWN "$IMAGE" sealsync-agent $AGENT_ARGS --interval 1h) &&
	ctr_track "$cid" && AGENT_CID=$cid &&
	i=0 && while ! docker logs "$cid" 2>&1 | grep -q "sync succeeded"; do
		i=$((i + 1)); [ $i -lt 300 ] || { docker logs "$cid" 2>&1 | tail -n 20; return 1; }
		sleep 0.1
	done &&
	test "$(ss_secret_value shop db password)" = img-plain-value
'

test_expect_success 'in the container tini is PID 1 and the agent its child' '
	INIT=$(docker inspect -f "{{.State.Pid}}" "$AGENT_CID" | tr -dc 0-9) &&
	say "host PIDs: tini $INIT" &&
	test "$(cat /proc/$INIT/comm)" = tini &&
	AG=$(children_of "$INIT" | tr -dc 0-9) && test -n "$AG" &&
	test "$(cat /proc/$AG/comm)" = sealsync-agent
'

test_expect_success 'the key holder has more seccomp filters than the agent (read from the host)' '
	docker logs "$AGENT_CID" >ctr.log 2>&1 &&
	khns=$($PYTHON -c "
import json, sys
for l in open(sys.argv[1]):
    try: j = json.loads(l)
    except ValueError: continue
    if j.get(\"msg\") == \"key holder started\": print(j[\"pid\"])
" ctr.log) && test -n "$khns" &&
	KH="" && for c in $(children_of "$AG"); do
		test "$(status_of "$c" NSpid | awk "{print \$NF}")" = "$khns" && KH=$c
	done && test -n "$KH" &&
	fa=$(status_of "$AG" Seccomp_filters) && fk=$(status_of "$KH" Seccomp_filters) &&
	say "Seccomp_filters: agent $fa, key holder $fk" &&
	test "$fa" -ge 1 && test "$fk" -gt "$fa" &&
	test "$(status_of "$AG" NoNewPrivs)" = 1 &&
	test "$(status_of "$AG" CapEff)" = 0000000000000000 &&
	test "$(status_of "$AG" Uid | awk "{print \$2}")" = 65532
'

cat >deny-seccomp.json <<'JSON'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["seccomp"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["prctl"], "action": "SCMP_ACT_ERRNO",
     "args": [{"index": 0, "value": 22, "op": "SCMP_CMP_EQ"}]}
  ]
}
JSON

test_expect_success 'the agent refuses to start when its sandbox cannot apply' '
	test_must_fail docker run --rm $LOCKDOWN --security-opt seccomp="$TRASH/deny-seccomp.json" \
		"$IMAGE" sealsync-agent $AGENT_ARGS --once 2>deny.err &&
	cat deny.err &&
	grep -q "cannot sandbox the key holder" deny.err
'

test_expect_success 'the same one-shot run with the default profile succeeds (the refusal is the profile)' '
	docker run --rm $LOCKDOWN "$IMAGE" sealsync-agent $AGENT_ARGS --once 2>once.err ||
		{ tail -n 20 once.err; return 1; }
'

# Acceptance 5: the test's key and value are in no layer. The control shows
# the scan finds them when a container does hold them.
SECRET_KEY=$(grep "^AGE-SECRET-KEY-1" keys.txt | head -n1)
scan() { # scan FILE: prints how many of the key and the value FILE holds
	n=0
	grep -a -q -F -e "$SECRET_KEY" "$1" && n=$((n + 1))
	grep -a -q -F -e img-plain-value "$1" && n=$((n + 1))
	echo "$n"
}

test_expect_success 'no layer of the image, nor the agent container, holds the key or the value' '
	docker save "$IMAGE" >image.tar &&
	docker export "$AGENT_CID" >agent-root.tar &&
	test "$(scan image.tar)" = 0 &&
	test "$(scan root.tar)" = 0 &&
	test "$(scan agent-root.tar)" = 0
'

test_expect_success 'the scan finds both in a container that holds them (control)' '
	cid=$(docker create "$IMAGE") && ctr_track "$cid" &&
	{ cat keys.txt; echo img-plain-value; } >planted &&
	docker cp planted "$cid:/tmp/planted" &&
	docker export "$cid" >planted.tar &&
	test "$(scan planted.tar)" = 2
'

test_done
