#!/bin/bash
# servers: real (starts its own cluster; the kube stage of tests/run.sh only)
# `sealctl recipients --kubeconfig` against the real kube-apiserver of
# tests/kube: the agent publishes its recipients ConfigMap there; sealctl
# reads it with the admin's client certificate, and with a ServiceAccount
# token handed out by an exec credential plugin, allowed by deploy/'s
# reader Role (and refused, 403, without it). The server's certificate is
# verified against the kubeconfig's CA.
real_home=$HOME
export GOMODCACHE=${GOMODCACHE:-$real_home/go/pkg/mod}
export GOCACHE=${GOCACHE:-$real_home/.cache/go-build}
export GOPATH=${GOPATH:-$real_home/go}
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" openssl

KUBE_DIR=$SS_SRC_DIR/tests/kube
CLUSTER=$TRASH/cluster
cluster_down() { [ ! -f "$CLUSTER/pids" ] || sh "$KUBE_DIR/cluster.sh" down "$CLUSTER"; }
trap 'ss_stop_all; cluster_down' EXIT

if ! sh "$KUBE_DIR/build.sh" >build.log 2>&1; then
	sed 's/^/# /' build.log | tail -n 20
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - build the Kubernetes test binaries (required under CI=true)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP cannot build the Kubernetes test binaries (see build.log)"
	exit 0
fi

test_expect_success 'cluster up; keys and a repo' '
	sh "$KUBE_DIR/cluster.sh" up "$CLUSTER" >up.log 2>&1 || { cat up.log; return 1; }
	. "$CLUSTER/env" && export KUBECONFIG=$KUBE_KUBECONFIG &&
	ss_keys && ss_repo_init && mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n" >repo/apps/cm.yaml &&
	ss_commit first
'
. "$CLUSTER/env" 2>/dev/null
export KUBECONFIG=${KUBE_KUBECONFIG:-/nonexistent}
K=${KUBECTL:-false}

test_expect_success 'deploy/ namespace and RBAC apply; the agent publishes its recipients' '
	$K apply --server-side -f "$SS_SRC_DIR/deploy/namespace.yaml" -f "$SS_SRC_DIR/deploy/rbac.yaml" &&
	ss_daemon agent "$AGENT" --repo "file://$TRASH/repo" --path apps \
		--identities "$TRASH/keys.txt" --cache-dir cache --kubeconfig "$KUBECONFIG" \
		--no-leader-election --interval 1h &&
	i=0 &&
	while [ "$($K -n sealsync-system get configmap sealsync-recipients -o jsonpath={.data.active} 2>/dev/null)" != "$PUB" ] &&
		[ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done &&
	echo "$($K -n sealsync-system get configmap sealsync-recipients -o jsonpath={.data.active})" >active &&
	echo "$PUB" >want && test_cmp want active
'

test_expect_success 'sealctl recipients --kubeconfig with the admin client certificate' '
	grep -q "client-certificate" "$KUBECONFIG" &&
	"$SEALCTL" recipients --kubeconfig "$KUBECONFIG" >out 2>err &&
	cat out && grep -v "^#" out >keys && test_cmp want keys
'

test_expect_success 'an exec plugin hands out a ServiceAccount token: deploy/ reader Role allows it' '
	$K -n sealsync-system create serviceaccount dev &&
	$K -n sealsync-system create token dev >dev.token &&
	cat >plugin.sh <<-EOF &&
	#!/bin/sh
	echo ran >"$TRASH/plugin-ran"
	printf "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}\n" "\$(cat "$TRASH/dev.token")"
	EOF
	chmod +x plugin.sh &&
	/usr/bin/python3 - "$KUBECONFIG" exec.kc "$TRASH/plugin.sh" <<-\PY &&
	import sys, yaml
	kc = yaml.safe_load(open(sys.argv[1]))
	kc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
	                                   "command": sys.argv[3], "interactiveMode": "Never"}}
	open(sys.argv[2], "w").write(yaml.safe_dump(kc))
	PY
	! grep -q client-key exec.kc &&
	"$SEALCTL" recipients --kubeconfig exec.kc >out 2>err &&
	test -f plugin-ran && grep -v "^#" out >keys && test_cmp want keys
'

test_expect_success 'without the reader Role: HTTP 403 and what to ask for' '
	$K -n sealsync-system delete rolebinding sealsync-recipients-reader &&
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig exec.kc >out 2>err &&
	cat err && test ! -s out &&
	grep -q "may not read ConfigMap sealsync-system/sealsync-recipients (HTTP 403)" err
'

test_expect_success 'a CA other than the cluster one: TLS verification fails, nothing printed' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=other-ca -keyout other.key -out other.crt 2>/dev/null &&
	/usr/bin/python3 - "$KUBECONFIG" ca.kc <<-\PY &&
	import base64, sys, yaml
	kc = yaml.safe_load(open(sys.argv[1]))
	c = kc["clusters"][0]["cluster"]
	c.pop("certificate-authority", None)
	c["certificate-authority-data"] = base64.b64encode(open("other.crt", "rb").read()).decode()
	open(sys.argv[2], "w").write(yaml.safe_dump(kc))
	PY
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig ca.kc >out 2>err &&
	cat err && test ! -s out && grep -q "TLS verification" err
'

test_expect_success 'cluster down' '
	ss_stop_all && cluster_down
'

test_done
