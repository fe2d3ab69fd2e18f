#!/bin/bash
# Prune: only objects that left Git and carry our owner label; never an
# object made by hand; no take-over without the managed annotation;
# prune: disabled honoured; deleting everything needs allowEmpty.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

cm() { # cm NAME [ANNOTATION_LINE]
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n%b\ndata:\n  k: v\n" "$1" "${2:-}"
}

test_expect_success 'setup: three ConfigMaps and a Secret from Git, one ConfigMap by hand' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	cm one >repo/apps/one.yaml && cm two >repo/apps/two.yaml &&
	cm keep "  annotations:\n    sealsync.dev/prune: disabled" >repo/apps/keep.yaml &&
	ss_seal "" creds pw=prune-secret >repo/apps/creds.sealed.yaml &&
	ss_commit first &&
	cm by-hand | kubectl apply --server-side --field-manager hand -f - &&
	ss_sync --path apps &&
	kubectl get configmap one two keep && kubectl get secret creds
'

test_expect_success 'objects that left Git are pruned; the hand-made one stays' '
	git -C repo rm -q apps/two.yaml apps/creds.sealed.yaml && ss_commit "drop two" &&
	ss_sync --path apps &&
	test_must_fail kubectl get configmap two &&
	test_must_fail kubectl get secret creds &&
	kubectl get configmap one by-hand
'

test_expect_success 'prune: disabled is honoured' '
	git -C repo rm -q apps/keep.yaml && ss_commit "drop keep" &&
	ss_sync --path apps &&
	kubectl get configmap keep &&
	grep -q "prune skipped" agent.log
'

test_expect_success 'an existing object without our label is not taken over' '
	cm by-hand >repo/apps/by-hand.yaml && ss_commit "claim by-hand" &&
	: >agent.log &&
	test_must_fail ss_sync --path apps &&
	grep "sync failed" agent.log | grep -q "by-hand" &&
	grep "sync failed" agent.log | grep -q "sealsync.dev/managed" &&
	test -z "$(kubectl get configmap by-hand -o jsonpath="{.metadata.labels.sealsync\.dev/owner}")"
'

test_expect_success 'with the managed annotation it is taken over' '
	kubectl annotate configmap by-hand sealsync.dev/managed=true &&
	ss_sync --path apps &&
	test "$(kubectl get configmap by-hand -o jsonpath="{.metadata.labels.sealsync\.dev/owner}")" = sealsync.default
'

test_expect_success 'an object that lost our label is not pruned' '
	kubectl label configmap one sealsync.dev/owner- &&
	git -C repo rm -q apps/one.yaml && ss_commit "drop one" &&
	ss_sync --path apps &&
	kubectl get configmap one
'

test_expect_success 'deleting every file is refused without allowEmpty' '
	git -C repo rm -q -r apps && mkdir -p repo/apps && touch repo/apps/.keep && ss_commit "empty" &&
	: >agent.log &&
	test_must_fail ss_sync --path apps &&
	grep "sync failed" agent.log | grep -q allowEmpty &&
	kubectl get configmap by-hand
'

test_expect_success 'with allowEmpty it prunes everything that is ours' '
	cat >agent.yaml <<-EOF &&
	units:
	  - name: default
	    path: apps
	    allowEmpty: true
	EOF
	ss_sync --config agent.yaml &&
	test_must_fail kubectl get configmap by-hand
'

test_done
