#!/bin/bash
# Sharding, one sync at a time (--once): an agent with --shard syncs only
# the units of its shard, the agent without one only the units without
# one; each inventory records its owning shard; moving a unit to another
# shard hands its inventory over with a compare-and-swap and applies it
# there with no DELETE in between; a unit still being applied by its old
# shard is not taken; a unit that writes any shard's inventory or Lease
# (or the key rotation Lease) is refused. docs/SHARDING.md.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl python3

cm() { # NAME VALUE: a ConfigMap in default
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: default\ndata:\n  v: \"%s\"\n" "$1" "$2"
}
# config SHARD-OF-u-n: units u-a (shard a), u-b (shard b), u-n (given).
config() {
	{
		printf "name: sealsync\nnamespace: sealsync-system\nunits:\n"
		printf "  - {name: u-a, path: a, namespace: default, shard: a}\n"
		printf "  - {name: u-b, path: b, namespace: default, shard: b}\n"
		if [ -n "$1" ]; then
			printf "  - {name: u-n, path: other, namespace: default, shard: %s}\n" "$1"
		else
			printf "  - {name: u-n, path: other, namespace: default}\n"
		fi
	} >shards.yaml
}
shard_sync() { ss_sync --config "$TRASH/shards.yaml" "$@"; }
inv_shard() { kubectl -n sealsync-system get configmap "sealsync-inv-$1" -o jsonpath={.data.shard}; }
value() { kubectl get configmap "$1" -o jsonpath={.data.v}; }

test_expect_success 'setup: one repository, three units' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/a repo/b repo/other &&
	cm cm-a 1 >repo/a/cm.yaml && cm cm-b 1 >repo/b/cm.yaml && cm cm-n 1 >repo/other/cm.yaml &&
	ss_commit first && config ""
'

test_expect_success 'each agent syncs only its shard; inventories name the owner' '
	shard_sync --shard a &&
	test "$(value cm-a)" = 1 &&
	test_must_fail kubectl get configmap cm-b &&
	test_must_fail kubectl get configmap cm-n &&
	test "$(inv_shard u-a)" = a &&
	test_must_fail kubectl -n sealsync-system get configmap sealsync-inv-u-n &&
	shard_sync --shard b &&
	test "$(value cm-b)" = 1 && test "$(inv_shard u-b)" = b &&
	test_must_fail kubectl get configmap cm-n &&
	shard_sync &&
	test "$(value cm-n)" = 1 &&
	kubectl -n sealsync-system get configmap sealsync-inv-u-n -o json |
		python3 -c "import json,sys; d=json.load(sys.stdin)[\"data\"]; sys.exit(d[\"shard\"] != \"\")"
'

test_expect_success 'an agent whose shard has no unit syncs nothing and succeeds' '
	mark=$(ss_writes_mark) &&
	shard_sync --shard nothing-here &&
	test "$($REQLOG "$API_LOG" writes --since $mark)" = 0
'

test_expect_success 'moving u-n to shard b: handed over by CAS, applied there, no DELETE' '
	config b &&
	cm cm-n 2 >repo/other/cm.yaml && ss_commit "second" &&
	mark=$(ss_writes_mark) &&
	: >agent.log &&
	shard_sync --shard b &&
	grep "unit handed over to this shard" agent.log | grep -q "\"from_shard\":\"(none)\"" &&
	test "$(inv_shard u-n)" = b &&
	test "$(value cm-n)" = 2 &&
	$REQLOG "$API_LOG" dump --since $mark >writes &&
	cat writes &&
	! grep -q "^DELETE" writes &&
	grep -q "^PUT /api/v1/namespaces/sealsync-system/configmaps/sealsync-inv-u-n" writes &&
	shard_sync &&
	test "$(value cm-n)" = 2 &&
	test "$(inv_shard u-n)" = b
'

test_expect_success 'a unit that its old shard is still applying is not taken over' '
	kubectl -n sealsync-system patch configmap sealsync-inv-u-a --type merge \
		-p "{\"data\":{\"pendingRevision\":\"$(git -C repo rev-parse HEAD)\"}}" >/dev/null &&
	sed -i "s/name: u-a, path: a, namespace: default, shard: a/name: u-a, path: a, namespace: default, shard: b/" shards.yaml &&
	cm cm-a 2 >repo/a/cm.yaml && ss_commit third &&
	mark=$(ss_writes_mark) &&
	: >agent.log &&
	test_must_fail shard_sync --shard b &&
	grep "sync failed" agent.log >failed &&
	grep -q "shard a is still applying revision" failed &&
	test "$($REQLOG "$API_LOG" writes --since $mark --path /configmaps/cm-a)" = 0 &&
	test "$(inv_shard u-a)" = a &&
	test "$(value cm-a)" = 1
'

test_expect_success 'once the old shard committed, the move goes through' '
	kubectl -n sealsync-system patch configmap sealsync-inv-u-a --type merge \
		-p "{\"data\":{\"pendingRevision\":\"\"}}" >/dev/null &&
	mark=$(ss_writes_mark) &&
	shard_sync --shard b &&
	test "$(inv_shard u-a)" = b &&
	test "$(value cm-a)" = 2 &&
	$REQLOG "$API_LOG" dump --since $mark >writes &&
	! grep -q "^DELETE" writes
'

# own OBJECT-YAML: unit u-b holds only cm-b and OBJECT; the sync must fail.
own() {
	cm cm-b 1 >repo/b/cm.yaml && printf "%s\n" "$1" >repo/b/own.yaml && ss_commit "own: $2" &&
	mark=$(ss_writes_mark) &&
	: >agent.log &&
	test_must_fail shard_sync --shard b &&
	grep "sync failed" agent.log >failed &&
	grep -q "is the agent.s own state" failed &&
	grep -q "own.yaml" failed &&
	test "$($REQLOG "$API_LOG" writes --since $mark --path /configmaps/cm-b)" = 0 &&
	test "$($REQLOG "$API_LOG" writes --since $mark --path "/$3")" = 0
}

test_expect_success 'a unit that writes another shard.s inventory is refused' '
	own "$(printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sealsync-inv-u-x\n  namespace: sealsync-system\ndata:\n  shard: b")" inventory sealsync-inv-u-x
'

test_expect_success 'a unit that writes another shard.s Lease is refused' '
	own "$(printf "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: sealsync-leader-a\n  namespace: sealsync-system\nspec:\n  holderIdentity: me")" lease sealsync-leader-a
'

test_expect_success 'a unit that writes the key rotation Lease is refused' '
	own "$(printf "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: sealsync-keys\n  namespace: sealsync-system\nspec:\n  holderIdentity: me")" rotation sealsync-keys
'

test_expect_success 'bad shard names are refused with the setting named' '
	test_expect_code 2 "$AGENT" -n --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--path a --shard "Bad_Shard" 2>err &&
	grep -q -- "--shard Bad_Shard" err &&
	printf "units:\n  - {name: u-a, path: a, shard: A}\n" >bad.yaml &&
	test_must_fail "$AGENT" -n --config bad.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" 2>err &&
	grep -q "units\[0\].shard" err
'

test_done
