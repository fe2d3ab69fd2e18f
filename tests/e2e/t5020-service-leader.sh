#!/bin/bash
# Leader election: two agents against one API server, only the Lease holder
# syncs (request log by field manager); SIGTERM to the leader releases the
# Lease and the other one takes over and syncs. Both serve /v1/recipients.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl curl

# writes_by MANAGER [SINCE-LINE]: real (not dry-run) PATCHes by that field manager.
writes_by() {
	$PYTHON - "$API_LOG" "$1" "${2:-0}" <<-\PY
	import json, sys
	n = 0
	for i, line in enumerate(open(sys.argv[1])):
	    if i < int(sys.argv[3]) or not line.strip():
	        continue
	    e = json.loads(line)
	    if e.get("method") == "PATCH" and e.get("fieldManager") == sys.argv[2] and not e.get("dryRun"):
	        n += 1
	print(n)
	PY
}
leader_of() { curl -sS "http://127.0.0.1:$1/metrics" | sed -n 's/^sealsync_leader //p'; }
leaders() { echo $(( $(leader_of "$PORT_A") + $(leader_of "$PORT_B") )); }
holder_pid() { holder | sed "s/.*_//"; }
holder() {
	kubectl -n sealsync-system get lease sealsync-leader -o jsonpath={.spec.holderIdentity}
}

ss_keys
ss_apiserver_start
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' >repo/apps/ns.yaml
ss_seal shop db password=leader-test-value >repo/apps/db.sealed.yaml
ss_commit first
PORT_A=$(ss_free_port)
PORT_B=$(ss_free_port)
for n in a b; do
	eval port=\$PORT_$(echo $n | tr a-z A-Z)
	ss_daemon "agent_$n" "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache-$n" --kubeconfig "$KUBECONFIG" --path apps --interval 2s \
		--listen "127.0.0.1:$port" --field-manager "fm-$n" --log-level debug
done
ss_wait_port "$PORT_A"
ss_wait_port "$PORT_B"

test_expect_success 'exactly one agent becomes leader, and it holds the Lease' '
	poll_eq 1 leaders &&
	if [ "$(leader_of "$PORT_A")" = 1 ]; then L=a F=b; else L=b F=a; fi &&
	echo "$L $F" >roles &&
	eval lpid=\$agent_${L}_pid &&
	poll_eq "$lpid" holder_pid
'

test_expect_success 'only the leader syncs; the follower is ready and serves recipients' '
	read L F <roles &&
	poll_gt 0 writes_by "fm-$L" &&
	test "$(ss_secret_value shop db password)" = leader-test-value &&
	sleep 3 &&
	test "$(writes_by "fm-$F")" = 0 &&
	eval fport=\$PORT_$(echo $F | tr a-z A-Z) &&
	curl -sS -o ready.json -w "%{http_code}" "http://127.0.0.1:$fport/readyz" >code &&
	test "$(cat code)" = 200 && grep -q follower ready.json &&
	curl -sS "http://127.0.0.1:$fport/v1/recipients" | grep -q "$PUB" &&
	curl -sS "http://127.0.0.1:$fport/metrics" | grep -qx "sealsync_syncs_total 0"
'

test_expect_success 'SIGTERM to the leader releases the Lease; the other takes over and syncs' '
	read L F <roles &&
	eval lpid=\$agent_${L}_pid fpid=\$agent_${F}_pid &&
	eval fport=\$PORT_$(echo $F | tr a-z A-Z) &&
	mark=$(ss_writes_mark) &&
	kill "$lpid" &&
	poll_eq 1 leader_of "$fport" &&
	poll_eq "$fpid" holder_pid &&
	poll_gt 0 writes_by "fm-$F" "$mark" &&
	grep -q "released the lease" "agent_$L.log" &&
	grep -q "became leader" "agent_$F.log"
'

test_expect_success 'the new leader applies new commits' '
	read L F <roles &&
	ss_seal shop db password=after-failover >repo/apps/db.sealed.yaml &&
	ss_commit second &&
	poll_eq after-failover ss_secret_value shop db password
'

test_expect_success 'a leader that cannot renew for the renew deadline steps down and stops syncing' '
	read L F <roles &&
	eval fport=\$PORT_$(echo $F | tr a-z A-Z) &&
	ss_fault "{\"type\":\"500\",\"method\":\"PUT\",\"path\":\"/apis/coordination.k8s.io\"}" &&
	poll_eq 0 leader_of "$fport" &&
	grep -q "lost leadership" "agent_$F.log" &&
	mark=$(ss_writes_mark) &&
	sleep 3 &&
	test "$(writes_by "fm-$F" "$mark")" = 0 &&
	ss_faults_clear &&
	poll_eq 1 leader_of "$fport"
'

test_expect_success 'no plaintext in either log' '
	test_not_contains leader-test-value agent_a.log &&
	test_not_contains leader-test-value agent_b.log &&
	test_not_contains after-failover agent_a.log &&
	test_not_contains after-failover agent_b.log
'

test_done
