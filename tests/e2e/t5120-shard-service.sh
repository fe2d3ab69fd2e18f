#!/bin/bash
# Sharding with running agents on the real kube-apiserver (Leases, audit
# log): shards a and b plus one agent without a shard, two replicas each
# (six processes), one repository and one config. Each unit is applied by
# exactly one agent (inventory owner, field managers in the audit log);
# each shard elects its own leader on its own Lease; SIGKILL of shard a's
# leader hands the shard to its other replica (the time printed, not
# asserted); moving a unit to shard b (config changed, old agents stopped
# first, then shard b restarted) applies it there with no DELETE in
# between; a unit that writes another shard's Lease is refused.
# Issue 17, acceptance 4; docs/SHARDING.md.
# servers: real (the kube stage of tests/run.sh only)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" python3 curl
SS_KUBE_SERVER=real

cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: default\ndata:\n  v: \"%s\"\n" "$1" "$2"; }
config() { # SHARD-OF-u-n ("" none)
	{
		printf "name: sealsync\nnamespace: sealsync-system\nunits:\n"
		printf "  - {name: u-a, path: a, namespace: default, shard: a}\n"
		printf "  - {name: u-b, path: b, namespace: default, shard: b}\n"
		printf "  - {name: u-n, path: other, namespace: default%s}\n" "${1:+, shard: $1}"
	} >shards.yaml
}
agent() { # NAME [SHARD]; port in PORT_NAME
	p=$(ss_free_port) && eval "PORT_$1=$p" &&
	ss_daemon "$1" "$AGENT" --config "$TRASH/shards.yaml" --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache-$1" --kubeconfig "$KUBECONFIG" \
		--interval 2s --listen "127.0.0.1:$p" --field-manager "fm-$1" --log-level debug \
		${2:+--shard "$2"} &&
	ss_wait_port "$p" 60
}
leader_of() { # NAME: 1 while that agent leads its shard
	eval p=\$PORT_$1
	curl -sS "http://127.0.0.1:$p/metrics" | sed -n "s/^sealsync_leader\\({shard=\"[a-z]*\"}\\)\\{0,1\\} //p"
}
leaders() { echo $(( $(leader_of "$1") + $(leader_of "$2") )); }
leader_name() { if [ "$(leader_of "$1")" = 1 ]; then echo "$1"; else echo "$2"; fi; }
holder_pid() { kubectl -n sealsync-system get lease "$1" -o jsonpath={.spec.holderIdentity} | sed "s/.*_//"; }
inv_shard() { kubectl -n sealsync-system get configmap "sealsync-inv-$1" -o jsonpath={.data.shard}; }
value() { kubectl get configmap "$1" -o jsonpath={.data.v}; }
# managers CM [SINCE]: field managers of the real (not dry-run) PATCHes of it.
managers() {
	$REQLOG "$API_LOG" dump --since "${2:-0}" | grep "^PATCH /api/v1/namespaces/default/configmaps/$1 " |
		grep -v dryRun | sed -n "s/.*fieldManager=\\([a-z0-9-]*\\).*/\\1/p" | sort -u
}

test_expect_success 'setup: six agents (a, b, none; two replicas each), one repository' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/a repo/b repo/other &&
	cm cm-a 1 >repo/a/cm.yaml && cm cm-b 1 >repo/b/cm.yaml && cm cm-n 1 >repo/other/cm.yaml &&
	ss_commit first && config "" &&
	agent a1 a && agent a2 a && agent b1 b && agent b2 b && agent n1 && agent n2
'

test_expect_success 'one leader per shard, each on its own Lease' '
	poll_eq 1 leaders a1 a2 && poll_eq 1 leaders b1 b2 && poll_eq 1 leaders n1 n2 &&
	LA=$(leader_name a1 a2) LB=$(leader_name b1 b2) LN=$(leader_name n1 n2) &&
	echo "$LA $LB $LN" >roles && cat roles &&
	eval "pa=\$${LA}_pid pb=\$${LB}_pid pn=\$${LN}_pid" &&
	poll_eq "$pa" holder_pid sealsync-leader-a &&
	poll_eq "$pb" holder_pid sealsync-leader-b &&
	poll_eq "$pn" holder_pid sealsync-leader &&
	eval p=\$PORT_$LA &&
	curl -sS "http://127.0.0.1:$p/metrics" >metrics &&
	grep -q "^sealsync_leader{shard=\"a\"} 1$" metrics
'

test_expect_success 'every unit is applied by exactly one agent, its shard.s leader' '
	read LA LB LN <roles &&
	poll_eq 1 value cm-a && poll_eq 1 value cm-b && poll_eq 1 value cm-n &&
	test "$(managers cm-a)" = "fm-$LA" &&
	test "$(managers cm-b)" = "fm-$LB" &&
	test "$(managers cm-n)" = "fm-$LN" &&
	test "$(inv_shard u-a)" = a && test "$(inv_shard u-b)" = b && test "$(inv_shard u-n)" = "" &&
	eval p=\$PORT_$LA &&
	poll_eq 1 eval "curl -sS http://127.0.0.1:$p/metrics | sed -n \"s/^sealsync_unit_ready{unit=\\\"u-a\\\",shard=\\\"a\\\"} //p\"" &&
	! grep -q "\"unit\":\"u-b\"" a1.log a2.log n1.log n2.log &&
	! grep -q "\"unit\":\"u-a\"" b1.log b2.log n1.log n2.log
'

test_expect_success 'SIGKILL of shard a.s leader: its other replica takes the shard over' '
	read LA LB LN <roles &&
	if [ "$LA" = a1 ]; then FA=a2; else FA=a1; fi &&
	eval "lpid=\$${LA}_pid fpid=\$${FA}_pid" &&
	t0=$(date +%s%N) &&
	kill -KILL "$lpid" &&
	i=0 && while [ "$(leader_of "$FA")" != 1 ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done &&
	t1=$(date +%s%N) &&
	say "shard a hand-over after SIGKILL: $(( (t1 - t0) / 1000000 )) ms (Lease 15 s)" &&
	test "$(leader_of "$FA")" = 1 &&
	poll_eq "$fpid" holder_pid sealsync-leader-a &&
	mark=$(ss_writes_mark) &&
	cm cm-a 2 >repo/a/cm.yaml && ss_commit second &&
	poll_eq 2 value cm-a &&
	test "$(managers cm-a "$mark")" = "fm-$FA" &&
	test "$(leaders b1 b2)" = 1 && test "$(leaders n1 n2)" = 1
'

test_expect_success 'moving u-n to shard b: applied there, no prune in between' '
	mark=$(ss_writes_mark) &&
	config b &&
	ss_stop "$n1_pid" && ss_stop "$n2_pid" &&
	cm cm-n 2 >repo/other/cm.yaml && ss_commit third &&
	ss_stop "$b1_pid" && ss_stop "$b2_pid" &&
	agent b1 b && agent b2 b &&
	poll_eq b inv_shard u-n &&
	poll_eq 2 value cm-n &&
	managers cm-n "$mark" >mgr && cat mgr &&
	grep -q "^fm-b[12]$" mgr && test "$(wc -l <mgr)" = 1 &&
	grep -h "unit handed over to this shard" b1.log b2.log | grep -q "\"unit\":\"u-n\"" &&
	$REQLOG "$API_LOG" dump --since "$mark" >writes &&
	! grep "^DELETE" writes &&
	kubectl get configmap cm-a && kubectl get configmap cm-b
'

test_expect_success 'a unit that writes another shard.s Lease is refused' '
	printf "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: sealsync-leader-a\n  namespace: sealsync-system\nspec:\n  holderIdentity: taken\n" >repo/b/lease.yaml &&
	cm cm-b 3 >repo/b/cm.yaml &&
	ss_commit "lease of shard a" &&
	poll_gt 0 eval "grep -h \"sync failed\" b1.log b2.log | grep -c \"sealsync-leader-a is the agent.s own state\"" &&
	test "$(value cm-b)" = 1 &&
	test "$(kubectl -n sealsync-system get lease sealsync-leader-a -o jsonpath={.spec.holderIdentity})" != taken
'

test_done
