#!/bin/bash
# A CRD and its custom resources in one revision:
# the CRD becomes Established on the server's own timing and the resources
# apply in the same sync. A resource whose CRD is missing fails its unit
# with an error naming the file and kind, and nothing of that unit beyond stage 0
# (Namespaces, CRDs) is written.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl python3

crd() { # crd PLURAL KIND
	cat <<-Y
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata:
	  name: $1.example.com
	spec:
	  group: example.com
	  names: {plural: $1, singular: $(echo "$2" | tr A-Z a-z), kind: $2, listKind: ${2}List}
	  scope: Namespaced
	  versions:
	  - name: v1
	    served: true
	    storage: true
	    schema:
	      openAPIV3Schema:
	        type: object
	        properties:
	          spec:
	            type: object
	            properties:
	              size: {type: integer}
	Y
}
cr() { # cr KIND NAME NAMESPACE SIZE
	printf "apiVersion: example.com/v1\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  size: %s\n" "$@"
}

test_expect_success 'setup: a CRD, a Namespace and two custom resources in one commit' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/a repo/b &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n" >repo/a/ns.yaml &&
	crd widgets Widget >repo/a/crd.yaml &&
	cr Widget w1 team-a 1 >repo/a/w1.yaml &&
	cr Widget w2 team-a 2 >repo/a/w2.yaml &&
	test_must_fail kubectl get crd widgets.example.com &&
	ss_commit first
'

test_expect_success 'one sync: the CRD is Established and the resources are applied' '
	ss_sync --unit a=a:team-a &&
	kubectl get crd widgets.example.com -o jsonpath="{.status.conditions[?(@.type==\"Established\")].status}" >est &&
	test "$(cat est)" = True &&
	test "$(kubectl -n team-a get widget w1 -o jsonpath={.spec.size})" = 1 &&
	test "$(kubectl -n team-a get widget w2 -o jsonpath={.spec.size})" = 2 &&
	grep -q "sync succeeded" agent.log
'

test_expect_success 'a resource whose CRD is missing fails its unit; only stage 0 is written' '
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n" >repo/b/ns.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: team-b\ndata:\n  k: v\n" >repo/b/cfg.yaml &&
	cr Gadget g1 team-b 3 >repo/b/g1.yaml &&
	ss_commit "no crd for gadgets" &&
	mark=$(ss_writes_mark) &&
	: >agent.log &&
	test_must_fail ss_sync --unit a=a:team-a --unit b=b:team-b &&
	grep "sync failed" agent.log >failed &&
	grep -q "Gadget" failed &&
	grep -q "b/g1.yaml" failed &&
	test_must_fail kubectl -n team-b get configmap cfg &&
	test "$($REQLOG "$API_LOG" writes --since $mark --path /namespaces/team-b/)" = 0 &&
	grep "sync failed" agent.log | grep -q "\"stage\":\"dry-run\"" &&
	rev=$(git -C repo rev-parse HEAD) &&
	inv_rev=$(kubectl -n sealsync-system get configmap sealsync-inv-b -o jsonpath={.data.revision} 2>/dev/null || :) &&
	test "$inv_rev" != "$rev"
'

test_expect_success 'the other unit of the same sync kept its objects' '
	test "$(kubectl -n team-a get widget w1 -o jsonpath={.spec.size})" = 1 &&
	kubectl -n sealsync-system get configmap sealsync-inv-a
'

test_done
