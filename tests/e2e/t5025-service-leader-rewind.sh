#!/bin/bash
# Rollback under the signature policy across a leader failover (invariant
# 7): the leader applies signed C2 and then refuses the rewind to signed
# C1; after it stops, the new leader re-reads every unit's baseline from
# the inventories when it becomes leader, and refuses C1 as well.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl curl git ssh-keygen

leader_of() { curl -sS "http://127.0.0.1:$1/metrics" | sed -n 's/^sealsync_leader //p'; }
leaders() { echo $(( $(leader_of "$PORT_A") + $(leader_of "$PORT_B") )); }
value() { ss_secret_value shop db password; }
expect_value() {
	got=$(value)
	[ "$got" = "$1" ] || { echo "# shop db password is $got, want $1"; return 1; }
}
# attempts LOG COMMIT: that agent's sync results for COMMIT.
attempts() { grep -aE '"msg":"sync (succeeded|failed)"' "$1" | grep -c "\"revision\":\"$2\""; }

ss_keys
ss_apiserver_start
ss_ns shop
ss_repo_init
ssh-keygen -q -t ed25519 -N "" -C good -f good
echo "t@example.com namespaces=\"git\" $(cat good.pub)" >allowed
git -C repo config gpg.format ssh
git -C repo config user.signingkey "$TRASH/good"
git -C repo config commit.gpgsign true
mkdir -p repo/apps
ss_seal shop db password=value-c1 >repo/apps/db.sealed.yaml
ss_commit C1
git -C repo rev-parse HEAD >c1
PORT_A=$(ss_free_port)
PORT_B=$(ss_free_port)
for n in a b; do
	eval port=\$PORT_$(echo $n | tr a-z A-Z)
	ss_daemon "agent_$n" "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache-$n" --kubeconfig "$KUBECONFIG" --path apps --interval 1s \
		--listen "127.0.0.1:$port" --field-manager "fm-$n" --log-level debug \
		--allowed-signers "$TRASH/allowed"
done
ss_wait_port "$PORT_A"
ss_wait_port "$PORT_B"

test_expect_success 'the leader applies signed C1, then signed C2' '
	poll_eq 1 leaders &&
	if [ "$(leader_of "$PORT_A")" = 1 ]; then L=a F=b; else L=b F=a; fi &&
	echo "$L $F" >roles &&
	poll_eq value-c1 value &&
	ss_seal shop db password=value-c2 >repo/apps/db.sealed.yaml &&
	ss_commit C2 && git -C repo rev-parse HEAD >c2 &&
	poll_eq value-c2 value
'

test_expect_success 'the leader refuses the rewind to C1' '
	read L F <roles &&
	git -C repo reset -q --hard "$(cat c1)" &&
	poll grep -q "does not descend" "agent_$L.log" &&
	expect_value value-c2
'

test_expect_success 'after a failover the new leader refuses C1 too' '
	read L F <roles &&
	eval lpid=\$agent_${L}_pid &&
	eval fport=\$PORT_$(echo $F | tr a-z A-Z) &&
	kill "$lpid" &&
	poll_eq 1 leader_of "$fport" &&
	poll_gt 1 attempts "agent_$F.log" "$(cat c1)" &&
	expect_value value-c2 &&
	grep "\"revision\":\"$(cat c1)\"" "agent_$F.log" >tried &&
	test_not_contains "sync succeeded" tried &&
	test_contains "does not descend" tried
'

test_done
