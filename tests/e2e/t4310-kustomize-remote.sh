#!/bin/bash
# Remote references in kustomizations (issue 16, acceptance 2): every form
# fails its unit naming the kustomization file and field, and no
# connection is made (a listener on 127.0.0.1 counts them); kustomize run
# through the sandbox on a remote base cannot connect either (second
# layer), and a probe inside the sandbox sees socket()/connect() refused.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-render.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" "$TEST_TOOL" kubectl

connections() { cat "$TRASH/listener.count"; }

test_expect_success 'setup: kustomize, keys, API server, a counting listener on 127.0.0.1' '
	ss_kustomize_bin &&
	ss_keys &&
	ss_apiserver_start &&
	echo 0 >listener.count &&
	cat >listener.py <<-\PY &&
	import socket, sys
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	s.listen(64)
	open(sys.argv[1] + ".port.tmp", "w").write(str(s.getsockname()[1]))
	import os; os.rename(sys.argv[1] + ".port.tmp", sys.argv[1] + ".port")
	n = 0
	while True:
	    c, _ = s.accept()
	    n += 1
	    open(sys.argv[1] + ".count", "w").write(str(n))
	    c.close()
	PY
	ss_daemon listener /usr/bin/python3 listener.py "$TRASH/listener" &&
	i=0 && while [ ! -s listener.port ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	P=$(cat listener.port) && echo "$P" >port
'

P=$(cat "$TRASH/port" 2>/dev/null)
H=127.0.0.1:$P

# unit NAME FIELD-YAML: a unit folder whose kustomization holds FIELD-YAML.
unit() {
	mkdir -p repo/u/$1 &&
	printf "%s\n" "$2" >repo/u/$1/kustomization.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n" "$1" >repo/u/$1/cm.yaml
}

test_expect_success 'setup: one unit per form of remote reference' '
	ss_repo_init &&
	unit https "resources: [cm.yaml, \"https://$H/base.yaml\"]" &&
	unit http "resources: [cm.yaml, \"http://$H/base.yaml\"]" &&
	unit gitssh "resources: [\"ssh://git@$H/o/r.git\"]" &&
	unit scp "bases: [\"git@127.0.0.1:o/r.git\"]" &&
	unit getter "resources: [\"git::http://$H/o/r.git//base\"]" &&
	unit shorthand "resources: [cm.yaml, \"github.com/o/r//base?ref=v1\"]" &&
	unit shorthandlocal "resources: [\"$H/o/r//base?ref=v1\"]" &&
	unit hostlike "resources: [\"example.com/o/r/base\"]" &&
	unit openapi "$(printf "resources: [cm.yaml]\nopenapi:\n  path: https://$H/schema.json")" &&
	unit nested "$(printf "resources: [cm.yaml]\ncomponents: [../../comp/outer]")" &&
	mkdir -p repo/comp/outer repo/comp/inner &&
	printf "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents: [../inner]\n" \
		>repo/comp/outer/kustomization.yaml &&
	printf "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - local.yaml\n  - https://$H/evil.yaml\n" \
		>repo/comp/inner/kustomization.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n" >repo/comp/inner/local.yaml &&
	unit patchurl "$(printf "resources: [cm.yaml]\npatches:\n  - path: https://$H/p.yaml")" &&
	unit genurl "$(printf "resources: [cm.yaml]\nconfigMapGenerator:\n  - name: g\n    files: [k=https://$H/f.txt]")" &&
	unit missing "resources: [cm.yaml, not-here]" &&
	ss_commit remote
'

forms="https http gitssh scp getter shorthand shorthandlocal hostlike openapi nested patchurl genurl missing"

test_expect_success 'a sync of every unit fails; every unit fails in load, nothing applied' '
	args="" && for u in $forms; do args="$args --unit $u=u/$u:default"; done &&
	test_must_fail ss_sync --kustomize "$KUSTOMIZE" $args &&
	for u in $forms; do
		grep "\"sync failed\"" agent.log | grep "\"unit\":\"$u\"" >fail-$u &&
		grep -q "\"stage\":\"load\"" fail-$u || { echo "unit $u"; return 1; }
	done &&
	test_must_fail kubectl -n default get configmap https
'

# field UNIT FILE FIELD: the failure names the kustomization file and field.
field() {
	grep -q "\"file\":\"$2\"" fail-$1 && grep -q "\"field\":\"$3\"" fail-$1 ||
		{ echo "unit $1:"; cat fail-$1; return 1; }
}

test_expect_success 'each error names the kustomization file and the field' '
	field https u/https/kustomization.yaml "resources\\[1\\]" &&
	field http u/http/kustomization.yaml "resources\\[1\\]" &&
	field gitssh u/gitssh/kustomization.yaml "resources\\[0\\]" &&
	field scp u/scp/kustomization.yaml "bases\\[0\\]" &&
	field getter u/getter/kustomization.yaml "resources\\[0\\]" &&
	field shorthand u/shorthand/kustomization.yaml "resources\\[1\\]" &&
	field shorthandlocal u/shorthandlocal/kustomization.yaml "resources\\[0\\]" &&
	field hostlike u/hostlike/kustomization.yaml "resources\\[0\\]" &&
	field openapi u/openapi/kustomization.yaml openapi.path &&
	field nested comp/inner/kustomization.yaml "resources\\[1\\]" &&
	field patchurl u/patchurl/kustomization.yaml "patches\\[0\\].path" &&
	field genurl u/genurl/kustomization.yaml "configMapGenerator\\[0\\].files\\[0\\]" &&
	field missing u/missing/kustomization.yaml "resources\\[1\\]" &&
	grep -q "remote reference is refused" fail-https &&
	grep -q "not a file or folder of the repository" fail-missing
'

test_expect_success 'no connection reached the listener' '
	test "$(connections)" = 0
'

test_expect_success 'second layer: kustomize itself, run in the sandbox on a remote base, cannot connect' '
	printf "resources:\n  - http://$H/base.yaml\n" >k.yaml &&
	test_must_fail "$TEST_TOOL" render-run --tmp "$TRASH/rtmp" --timeout 30 \
		--file kustomization.yaml=k.yaml -- "$KUSTOMIZE" build . >out 2>err &&
	grep -q "operation not permitted" err &&
	test "$(connections)" = 0
'

test_expect_success 'a probe inside the sandbox: socket() and connect() to the listener refused' '
	"$TEST_TOOL" render-run --tmp "$TRASH/rtmp" -- "$TEST_TOOL" render-probe net "$P" >probe 2>probe.err &&
	grep -q "^socket: Operation not permitted$" probe &&
	grep -q "^connect: refused: " probe &&
	grep -q "^socket6: Operation not permitted$" probe &&
	"$TEST_TOOL" render-run --tmp "$TRASH/rtmp" -- "$TEST_TOOL" render-probe uring >uring &&
	test "$(cat uring)" = "io_uring_setup: Operation not permitted" &&
	test "$(connections)" = 0
'

test_expect_success 'control: the same probe outside the sandbox connects, and is counted' '
	"$TEST_TOOL" render-probe net "$P" >probe-out &&
	grep -q "^connect: connected$" probe-out &&
	i=0 && while [ "$(connections)" = 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	test "$(connections)" = 1
'

test_done
