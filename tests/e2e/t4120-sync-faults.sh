#!/bin/bash
# Faults during apply: retried; when they outlast the retries nothing is
# pruned and the inventory is not committed; the next attempt completes the
# same revision; objects of a half-applied revision that then left Git are
# pruned later (pending inventory).
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: \"%s\"\n" "$1" "${2:-v}"; }
inv_rev() {
	kubectl -n sealsync-system get configmap sealsync-inv-default -o jsonpath={.data.revision}
}

test_expect_success 'setup: first revision applied' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	cm a >repo/apps/a.yaml && cm old >repo/apps/old.yaml &&
	ss_commit first && ss_sync --path apps &&
	test "$(inv_rev)" = "$(git -C repo rev-parse HEAD)"
'

test_expect_success '500s and resets on apply are retried and the sync succeeds' '
	cm a 2 >repo/apps/a.yaml && ss_commit second &&
	mark=$(ss_writes_mark) &&
	ss_fault "{\"type\":\"500\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/default/configmaps/a\",\"count\":2}" &&
	ss_fault "{\"type\":\"reset\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/default/configmaps/a\",\"count\":1}" &&
	ss_sync --path apps &&
	test "$(kubectl get configmap a -o jsonpath={.data.k})" = 2 &&
	$REQLOG "$API_LOG" dump --since $mark >dump &&
	grep -c " 500$" dump >n500 && test "$(cat n500)" -ge 2
'

test_expect_success '429 with Retry-After is honoured and retried' '
	cm a 3 >repo/apps/a.yaml && ss_commit third &&
	ss_fault "{\"type\":\"429\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/default/configmaps/a\",\"count\":1,\"retry_after\":1}" &&
	ss_sync --path apps &&
	test "$(kubectl get configmap a -o jsonpath={.data.k})" = 3
'

test_expect_success 'faults that outlast the retries: no prune, inventory not committed' '
	before=$(inv_rev) &&
	git -C repo rm -q apps/old.yaml && cm new >repo/apps/new.yaml && cm z >repo/apps/z.yaml &&
	ss_commit fourth &&
	ss_fault "{\"type\":\"500\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/default/configmaps/z\",\"count\":100,\"dryrun\":\"false\"}" &&
	test_must_fail ss_sync --path apps &&
	ss_faults_clear &&
	kubectl get configmap old &&
	test "$(inv_rev)" = "$before" &&
	kubectl -n sealsync-system get configmap sealsync-inv-default -o jsonpath={.data.pending} >pending &&
	grep -q "\"new\"" pending
'

test_expect_success 'the next attempt completes the same revision and prunes' '
	ss_sync --path apps &&
	test "$(inv_rev)" = "$(git -C repo rev-parse HEAD)" &&
	kubectl get configmap new z &&
	test_must_fail kubectl get configmap old
'

test_expect_success 'an object of a half-applied revision that left Git is pruned later' '
	cm half >repo/apps/half.yaml && cm zz >repo/apps/zz.yaml && ss_commit fifth &&
	ss_fault "{\"type\":\"500\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/default/configmaps/zz\",\"count\":100,\"dryrun\":\"false\"}" &&
	test_must_fail ss_sync --path apps &&
	ss_faults_clear &&
	kubectl get configmap half &&
	git -C repo rm -q apps/half.yaml apps/zz.yaml && ss_commit sixth &&
	ss_sync --path apps &&
	test_must_fail kubectl get configmap half
'

test_done
