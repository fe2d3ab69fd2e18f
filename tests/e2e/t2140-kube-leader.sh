#!/bin/bash
# Leader election on a coordination.k8s.io/v1 Lease (real or tests/apiserver): two agents with
# managed keys started together make ONE key Secret with one key; one of
# them leads and syncs; SIGKILL (no release of the Lease) and the other
# takes over once the Lease expires (15 s). The takeover time is printed,
# not asserted (bench measures it); the deadline is generous.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl python3 curl

leader_of() { curl -sS "http://127.0.0.1:$1/metrics" | sed -n 's/^sealsync_leader //p'; }
leaders() { echo $(( $(leader_of "$PORT_A") + $(leader_of "$PORT_B") )); }
holder() { kubectl -n sealsync-system get lease sealsync-leader -o jsonpath={.spec.holderIdentity}; }
secret_ids() {
	kubectl -n sealsync-system get secret sealsync-keys -o "jsonpath={.data.keys\.txt}" | base64 -d |
		grep -c "^AGE-SECRET-KEY-1"
}
# key_creates: POSTs that created a Secret in sealsync-system (audit log).
key_creates() {
	$REQLOG "$API_LOG" dump | grep -c "^POST /api/v1/namespaces/sealsync-system/secrets .* 201$"
}
agent() { # NAME PORT
	ss_daemon "$1" "$AGENT" --repo "file://$TRASH/repo" --managed-keys \
		--cache-dir "$TRASH/cache-$1" --kubeconfig "$KUBECONFIG" --path apps --interval 2s \
		--listen "127.0.0.1:$2" --field-manager "fm-$1" --key-renew-period 1h --log-level debug
}

test_expect_success 'setup: two agents with managed keys started together' '
	ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\ndata:\n  v: \"1\"\n" >repo/apps/cfg.yaml &&
	ss_commit first &&
	PORT_A=$(ss_free_port) && PORT_B=$(ss_free_port) &&
	agent a "$PORT_A" && agent b "$PORT_B" &&
	ss_wait_port "$PORT_A" && ss_wait_port "$PORT_B"
'

test_expect_success 'one key Secret with one key, created once' '
	poll_eq 1 secret_ids &&
	sleep 2 &&
	test "$(secret_ids)" = 1 &&
	test "$(key_creates)" = 1
'

test_expect_success 'exactly one leader; it holds the Lease and syncs' '
	poll_eq 1 leaders &&
	if [ "$(leader_of "$PORT_A")" = 1 ]; then L=a F=b; else L=b F=a; fi &&
	echo "$L $F" >roles &&
	eval lpid=\$${L}_pid &&
	poll_eq "$lpid" eval "holder | sed s/.*_//" &&
	poll_eq 1 eval "kubectl get configmap cfg -o jsonpath={.data.v}" &&
	kubectl get configmap cfg --show-managed-fields -o jsonpath="{.metadata.managedFields[*].manager}" >mgr &&
	grep -qw "fm-$L" mgr && ! grep -qw "fm-$F" mgr
'

test_expect_success 'SIGKILL the leader: the other takes over within 120 s and syncs' '
	read L F <roles &&
	eval lpid=\$${L}_pid fpid=\$${F}_pid &&
	eval fport=\$PORT_$(echo $F | tr a-z A-Z) &&
	t0=$(date +%s%N) &&
	kill -KILL "$lpid" &&
	i=0 && while [ "$(leader_of "$fport")" != 1 ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done &&
	t1=$(date +%s%N) &&
	say "takeover after SIGKILL: $(( (t1 - t0) / 1000000 )) ms (Lease 15 s)" &&
	test "$(leader_of "$fport")" = 1 &&
	poll_eq "$fpid" eval "holder | sed s/.*_//" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\ndata:\n  v: \"2\"\n" >repo/apps/cfg.yaml &&
	ss_commit second &&
	poll_eq 2 eval "kubectl get configmap cfg -o jsonpath={.data.v}" &&
	grep -q "became leader" "$F.log"
'

test_done
