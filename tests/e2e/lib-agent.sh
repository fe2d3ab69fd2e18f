# tests/e2e/lib-agent.sh: helpers for the agent's e2e tests (after lib.sh).
#
# SS_KUBE_SERVER picks the API server: "fake" (default) is tests/apiserver;
# "real" is the kube-apiserver of tests/kube, one cluster per script (the
# tests use fixed cluster-scoped names: Namespaces, CRDs, the inventory in
# sealsync-system). tests/run.sh's kube stage sets it for the scripts that
# carry the line "# servers: both" (or "# servers: real").
SS_KUBE_SERVER=${SS_KUBE_SERVER:-fake}
REQLOG_PY="/usr/bin/python3 $SS_SRC_DIR/tests/e2e/reqlog.py"
REQLOG=ss_reqlog

# reqlog.py over API_LOG (see there). On the real server the audit event of
# a request is written after its response is sent: a barrier request with a
# unique name must show up in the log first.
ss_reqlog() {
	if [ "$SS_KUBE_SERVER" = real ]; then
		ss_barrier=reqlog-barrier-$$-$(date +%s%N)
		kubectl get --raw "/api/v1/namespaces/$ss_barrier" >/dev/null 2>&1
		i=0
		while ! grep -q "$ss_barrier" "$API_LOG" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	fi
	$REQLOG_PY "$@"
}

# Starts ss-apiserver on a free port (or the real cluster, see above); sets
# KUBECONFIG and API_LOG.
ss_apiserver_start() {
	if [ "$SS_KUBE_SERVER" = real ]; then
		[ $# -eq 0 ] || { echo "ss_apiserver_start $*: options of tests/apiserver only" >&2; return 1; }
		ss_kube_start
		return
	fi
	mkdir -p "$TRASH/api"
	rm -f "$TRASH/api.port"
	ss_daemon apiserver "$APISERVER" --port 0 --port-file "$TRASH/api.port" \
		--state-dir "$TRASH/api" --kubeconfig "$TRASH/kubeconfig" "$@"
	i=0
	while [ ! -s "$TRASH/api.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$TRASH/api.port" ] || { cat "$TRASH/apiserver.log" >&2; return 1; }
	API_PORT=$(cat "$TRASH/api.port")
	KUBECONFIG=$TRASH/kubeconfig
	API_LOG=$TRASH/api/requests.log
	export KUBECONFIG API_LOG API_PORT
	ss_ns sealsync-system
}

# Creates namespaces by server-side apply (field manager "hand").
ss_ns() {
	for n in "$@"; do
		printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n" "$n" |
			kubectl apply --server-side --field-manager hand -f - >/dev/null || return 1
	done
}

# A cluster key pair in $TRASH/keys.txt; PUB holds its recipient.
ss_keys() {
	"$SEALCTL" keygen -w "$TRASH/keys.txt" 2>/dev/null &&
	PUB=$(sed -n 's/^# public key: //p' "$TRASH/keys.txt") &&
	export PUB
}

# ss_seal NS NAME KEY=VALUE... : a SealedSecret on stdout.
ss_seal() {
	ns=$1 name=$2; shift 2
	{
		printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n' "$name"
		[ -n "$ns" ] && printf '  namespace: %s\n' "$ns"
		printf 'stringData:\n'
		for kv in "$@"; do printf '  %s: "%s"\n' "${kv%%=*}" "${kv#*=}"; done
	} | "$SEALCTL" seal -r "$PUB" --namespace "${ns:-default}"
}

# A Git repo in $TRASH/repo; ss_commit MSG adds everything and commits.
ss_repo_init() {
	git init -q -b main "$TRASH/repo"
}
ss_commit() {
	git -C "$TRASH/repo" add -A && git -C "$TRASH/repo" commit -q --allow-empty -m "$1"
}

# One sync; extra flags follow. Logs to $TRASH/agent.log (appended).
ss_sync() {
	"$AGENT" --once --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --log-level debug \
		--max-retries 2 "$@" 2>>"$TRASH/agent.log"
}

ss_writes_mark() { $REQLOG "$API_LOG" mark; }
ss_writes_since() { $REQLOG "$API_LOG" writes --since "$1"; }

# kubectl get of one data key, decoded.
ss_secret_value() { # NS NAME KEY
	kubectl -n "$1" get secret "$2" -o "jsonpath={.data.$3}" | base64 -d
}

# Talks to the API server's admin endpoints with the kubeconfig's token/CA.
ss_admin() { # METHOD PATH [JSON]
	/usr/bin/python3 - "$KUBECONFIG" "$TRASH/admin-ca.crt" >"$TRASH/admin.env" <<-\PY
	import base64, json, sys
	try:
	    import yaml
	    kc = yaml.safe_load(open(sys.argv[1]))
	except ImportError:
	    kc = json.load(open(sys.argv[1]))
	cl = kc["clusters"][0]["cluster"]
	open(sys.argv[2], "wb").write(base64.b64decode(cl["certificate-authority-data"]))
	print(kc["users"][0]["user"]["token"])
	PY
	curl -sS --fail --cacert "$TRASH/admin-ca.crt" -H "Authorization: Bearer $(cat "$TRASH/admin.env")" \
		-X "$1" ${3:+-H "Content-Type: application/json" --data "$3"} \
		"https://127.0.0.1:$API_PORT$2"
}
ss_fault() {
	[ "$SS_KUBE_SERVER" != real ] || { echo "ss_fault: no fault injection on the real server" >&2; return 1; }
	ss_admin POST /_admin/faults "$1" >/dev/null
}

# A test that needs tests/apiserver's fault injection: a TAP skip on the
# real server, test_expect_success otherwise.
test_expect_success_faults() {
	if [ "$SS_KUBE_SERVER" = real ]; then
		test_count=$((test_count + 1))
		echo "ok $test_count - $1 # skip needs fault injection (tests/apiserver only)"
		return 0
	fi
	test_expect_success "$@"
}

# The real control plane of tests/kube (docs/KUBE.md) in $TRASH/cluster:
# its kubectl first in PATH, KUBECONFIG the admin's, API_LOG the audit log.
# --workloads adds kube-controller-manager and podrunner. Stopped when the
# script ends. The binaries must be built (tests/run.sh's kube stage does).
ss_kube_start() {
	KUBE_CLUSTER=$TRASH/cluster
	sh "$SS_SRC_DIR/tests/kube/cluster.sh" up "$KUBE_CLUSTER" "$@" >"$TRASH/cluster-up.log" 2>&1 ||
		{ cat "$TRASH/cluster-up.log" >&2; return 1; }
	trap 'ss_kube_down; ss_stop_all' EXIT
	. "$KUBE_CLUSTER/env" &&
	mkdir -p "$TRASH/kube-bin" &&
	ln -sf "$KUBECTL" "$TRASH/kube-bin/kubectl" &&
	ln -sf "$KUSTOMIZE" "$TRASH/kube-bin/kustomize" &&
	PATH=$TRASH/kube-bin:$PATH &&
	KUBECONFIG=$KUBE_KUBECONFIG API_LOG=$KUBE_AUDIT_LOG API_PORT=$KUBE_API_PORT &&
	export PATH KUBECONFIG API_LOG API_PORT &&
	grep 'kube-cluster: up in' "$TRASH/cluster-up.log" | sed 's/^/# /' &&
	ss_ns sealsync-system
}
ss_kube_down() {
	[ ! -f "${KUBE_CLUSTER:-/nonexistent}/pids" ] ||
		sh "$SS_SRC_DIR/tests/kube/cluster.sh" down "$KUBE_CLUSTER"
}
ss_faults_clear() { ss_admin DELETE /_admin/faults >/dev/null; }

# A test CA and a server certificate for 127.0.0.1 and localhost in
# $TRASH/tls (ca.crt, agent.crt, agent.key), made fresh by each test.
make_tls() {
	mkdir -p "$TRASH/tls" && (
		cd "$TRASH/tls" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.crt -days 2 -subj /CN=sealsync-test-ca &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout agent.key -out agent.csr -subj /CN=127.0.0.1 &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext &&
		openssl x509 -req -in agent.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out agent.crt -days 2 -extfile ext &&
		chmod 600 agent.key
	) >/dev/null 2>&1
}
