#!/bin/sh
# tests/kube/cluster.sh: a real, throw-away Kubernetes control plane for tests.
#
#   sh tests/kube/cluster.sh up DIR [--workloads] [--bind ADDR]
#   sh tests/kube/cluster.sh down DIR
#
# up builds (or reuses) the binaries (tests/kube/build.sh), then starts etcd
# and kube-apiserver on free ports of 127.0.0.1 (the apiserver on ADDR with
# --bind; ADDR is in the serving certificate's IP SANs so containers can reach
# it), plus kube-controller-manager and podrunner with --workloads. It writes
#   DIR/kubeconfig   admin client certificate (O=system:masters)
#   DIR/env          shell-sourceable KUBE_* variables (see write_env)
#   DIR/pids         "name pid starttime" of every process started
#   DIR/audit.log    JSON lines, Metadata level, every request
#   DIR/*.log        each process's output
# and prints how long the start took. down stops every process by PID (TERM,
# then KILL after 20s) and waits until each is gone. Must never leave a
# process behind: a failed up stops what it started.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "kube-cluster: $*" >&2; exit 1; }
now() { date +%s.%N; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Field 22 of /proc/PID/stat: the start time, so a reused PID is never killed.
start_time() { cut -d' ' -f22 "/proc/$1/stat" 2>/dev/null || true; }

alive() { # PID STARTTIME
	[ -r "/proc/$1/stat" ] || return 1
	[ "$(start_time "$1")" = "$2" ] || return 1
	# A zombie has exited; only its parent's wait is missing.
	[ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]
}

# Started in the background of this shell (not setsid), so $! is the daemon's
# own PID; start time recorded at once (fork sets it, exec keeps it).
spawn() { # NAME CMD...: output to DIR/NAME.log
	name=$1; shift
	"$@" >"$dir/$name.log" 2>&1 </dev/null &
	pid=$!
	echo "$name $pid $(start_time $pid)" >>"$dir/pids"
}

make_pki() {
	p=$dir/pki
	mkdir -p "$p"
	sans="IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default"
	sans="$sans,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	[ "$bind" = 127.0.0.1 ] || sans="$sans,IP:$bind"
	ossl() { openssl "$@" 2>>"$dir/openssl.log"; }
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj /CN=sealsync-test-ca -keyout "$p/ca.key" -out "$p/ca.crt"
	leaf serving /CN=kube-apiserver "subjectAltName=$sans" serverAuth
	leaf admin "/O=system:masters/CN=admin" "" clientAuth
	leaf kcm /CN=system:kube-controller-manager "" clientAuth
	ossl genrsa -out "$p/sa.key" 2048
	ossl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub"
}

leaf() { # NAME SUBJECT SAN-EXT USAGE
	ext="extendedKeyUsage=$4"
	[ -z "$3" ] || ext="$ext
$3"
	printf '%s\n' "$ext" >"$p/$1.ext"
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
		-keyout "$p/$1.key" -out "$p/$1.csr"
	ossl x509 -req -in "$p/$1.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" \
		-CAcreateserial -days 30 -extfile "$p/$1.ext" -out "$p/$1.crt"
}

b64() { base64 -w0 <"$1"; }

kubeconfig() { # FILE CERTNAME
	cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $url
    certificate-authority-data: $(b64 "$dir/pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$dir/pki/$2.crt")
    client-key-data: $(b64 "$dir/pki/$2.key")
contexts:
- name: test
  context: {cluster: test, user: $2}
current-context: test
KC
}

write_audit_policy() {
	cat >"$dir/audit-policy.yaml" <<'AP'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
AP
}

start_etcd() {
	etcd_port=$(free_port)
	peer_port=$(free_port)
	spawn etcd "$bin/etcd" --data-dir "$dir/etcd" \
		--listen-client "http://127.0.0.1:$etcd_port" --listen-peer "http://127.0.0.1:$peer_port"
}

start_apiserver() {
	p=$dir/pki
	adv=""
	# A loopback address cannot be the kubernetes Service's endpoint.
	[ "$bind" = 127.0.0.1 ] || adv="--advertise-address=$bind"
	spawn apiserver "$bin/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:$etcd_port" \
		--bind-address="$bind" --secure-port="$api_port" $adv \
		--tls-cert-file="$p/serving.crt" --tls-private-key-file="$p/serving.key" \
		--client-ca-file="$p/ca.crt" \
		--authorization-mode=Node,RBAC \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$p/sa.pub" \
		--service-account-signing-key-file="$p/sa.key" \
		--service-cluster-ip-range=10.0.0.0/16 \
		--endpoint-reconciler-type=none \
		--audit-policy-file="$dir/audit-policy.yaml" \
		--audit-log-path="$dir/audit.log" --audit-log-format=json \
		--audit-log-maxsize=0 --audit-log-mode=blocking \
		--allow-privileged=true --profiling=false --v=1
}

start_workloads() {
	p=$dir/pki
	kubeconfig "$dir/kcm.kubeconfig" kcm
	# Only the controllers the tests need: fewer informers, less memory.
	spawn controller-manager "$bin/kube-controller-manager" \
		--kubeconfig="$dir/kcm.kubeconfig" --secure-port=0 --leader-elect=false \
		--use-service-account-credentials=true \
		--service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
		--controllers="$KUBE_CONTROLLERS" \
		--kube-api-qps=100 --kube-api-burst=200 --v=1
	spawn podrunner "$bin/podrunner" --kubeconfig="$dir/kubeconfig"
}

KUBE_CONTROLLERS=${KUBE_CONTROLLERS:-deployment-controller,replicaset-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller,pod-garbage-collector-controller,endpointslice-controller}

curl_api() { # PATH
	curl -sS --max-time 5 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" \
		--key "$dir/pki/admin.key" "$url$1"
}

wait_ready() { # SECONDS
	i=0
	while [ $i -lt $(($1 * 4)) ]; do
		[ "$(curl_api /readyz 2>/dev/null)" = ok ] && return 0
		check_alive || return 1
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

check_alive() {
	while read -r n pid st; do
		alive "$pid" "$st" || { echo "kube-cluster: $n exited" >&2; return 1; }
	done <"$dir/pids"
}

# The serviceaccount controller makes "default" in every namespace; pods
# cannot be created before it exists.
wait_workloads() {
	i=0
	while [ $i -lt 240 ]; do
		curl_api /api/v1/namespaces/default/serviceaccounts/default 2>/dev/null |
			grep -q '"kind": "ServiceAccount"' &&
			curl_api /api/v1/nodes/podrunner 2>/dev/null | grep -q '"kind": "Node"' && return 0
		check_alive || return 1
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

write_env() {
	cat >"$dir/env" <<ENV
KUBE_VERSION=$ver
KUBE_BIN=$bin
KUBECTL=$bin/kubectl
KUSTOMIZE=$bin/kustomize
KUBE_API_ADDR=$bind
KUBE_API_PORT=$api_port
KUBE_API_URL=$url
KUBE_ETCD_URL=http://127.0.0.1:$etcd_port
KUBE_KUBECONFIG=$dir/kubeconfig
KUBE_CA=$dir/pki/ca.crt
KUBE_AUDIT_LOG=$dir/audit.log
KUBE_PIDS=$dir/pids
KUBE_WORKLOADS=$workloads
export KUBE_VERSION KUBE_BIN KUBECTL KUSTOMIZE KUBE_API_ADDR KUBE_API_PORT KUBE_API_URL
export KUBE_ETCD_URL KUBE_KUBECONFIG KUBE_CA KUBE_AUDIT_LOG KUBE_PIDS KUBE_WORKLOADS
ENV
}

fail_up() {
	for f in "$dir"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f" >&2
		tail -n 20 "$f" >&2
	done
	down
	die "$1"
}

start_control_plane() { # one try with fresh ports
	api_port=$(free_port)
	case $bind in *:*) url=https://[$bind]:$api_port ;; *) url=https://$bind:$api_port ;; esac
	kubeconfig "$dir/kubeconfig" admin
	start_etcd
	start_apiserver
	wait_ready 180
}

up() {
	bflag=""
	[ $workloads -eq 0 ] || bflag=--workloads
	sh "$here/build.sh" $bflag || die "build failed"
	bin=$(sh "$here/build.sh" --dir)
	ver=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")
	[ ! -s "$dir/pids" ] || die "$dir/pids exists: cluster already up? (down first)"
	mkdir -p "$dir"
	: >"$dir/pids"
	t0=$(now)
	make_pki || fail_up "openssl failed (see $dir/openssl.log)"
	write_audit_policy
	# free_port hands out a port it has just closed: another process (other
	# scripts run at once) can take it before etcd or the apiserver binds.
	# Such a start is retried with new ports; any other failure is final.
	tries=1
	until start_control_plane; do
		grep -qs "address already in use" "$dir/etcd.log" "$dir/apiserver.log" &&
			[ $tries -lt 3 ] || fail_up "kube-apiserver not ready"
		echo "kube-cluster: a port was taken before it was bound; again with new ports" >&2
		down && : >"$dir/pids" && rm -rf "$dir/etcd"
		tries=$((tries + 1))
	done
	echo "kube-cluster: apiserver ready in $(echo "$(now) - $t0" | bc)s at $url"
	if [ $workloads -eq 1 ]; then
		start_workloads
		wait_workloads || fail_up "controller-manager/podrunner not ready"
	fi
	write_env
	echo "kube-cluster: up in $(echo "$(now) - $t0" | bc)s ($dir)"
}

down() {
	[ -f "$dir/pids" ] || return 0
	# Reverse order: clients first, etcd last.
	tac "$dir/pids" | while read -r n pid st; do
		alive "$pid" "$st" && kill -TERM "$pid" 2>/dev/null
		i=0
		while alive "$pid" "$st" && [ $i -lt 80 ]; do sleep 0.25; i=$((i + 1)); done
		if alive "$pid" "$st"; then
			echo "kube-cluster: $n ($pid) ignored TERM; KILL" >&2
			kill -KILL "$pid" 2>/dev/null
			i=0
			while alive "$pid" "$st" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		fi
	done
	rm -f "$dir/pids"
}

[ $# -ge 2 ] || die "usage: cluster.sh up DIR [--workloads] [--bind ADDR] | down DIR"
cmd=$1 dir=$2
shift 2
workloads=0 bind=127.0.0.1
while [ $# -gt 0 ]; do
	case $1 in
	--workloads) workloads=1 ;;
	--bind) [ $# -ge 2 ] || die "--bind needs an address"; bind=$2; shift ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case $cmd in
up) up ;;
down) down ;;
*) die "unknown command $cmd" ;;
esac
