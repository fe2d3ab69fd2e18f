#!/bin/bash
# Prune with the controller-manager running (tests/kube --workloads): a
# Deployment that left Git is deleted and its ReplicaSets and Pods are
# garbage-collected; a Namespace that left Git (pruneClusterScoped) finishes
# terminating, its contents deleted by the namespace controller.
# servers: real (the kube stage of tests/run.sh only)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" python3
SS_KUBE_SERVER=real

count() { # KIND NAMESPACE SELECTOR: how many
	kubectl -n "$2" get "$1" -l "$3" -o name | grep -c . || :
}
# gone WHAT...: kubectl get fails with NotFound within 120 s.
gone() {
	i=0
	while kubectl get "$@" >/dev/null 2>&1 && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
	! kubectl get "$@" >/dev/null 2>&1
}
wait_count() { # WANT KIND NAMESPACE SELECTOR: within 120 s
	i=0
	while [ "$(count "$2" "$3" "$4")" != "$1" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
	test "$(count "$2" "$3" "$4")" = "$1"
}

test_expect_success 'setup: cluster with workloads; a Namespace and a 2-replica Deployment from Git' '
	ss_kube_start --workloads && ss_keys && ss_repo_init &&
	mkdir -p repo/apps &&
	cat >cfg.yaml <<-\Y &&
	units:
	  - name: apps
	    path: apps
	    namespace: default
	    pruneClusterScoped: true
	Y
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n" >repo/apps/ns.yaml &&
	cat >repo/apps/web.yaml <<-\Y &&
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, namespace: shop}
	spec:
	  replicas: 2
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers: [{name: web, image: registry.example/web:1.0}]
	Y
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  namespace: shop\n" >repo/apps/keep.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stays\n" >repo/apps/stays.yaml &&
	ss_commit first &&
	ss_sync --config cfg.yaml &&
	wait_count 1 replicasets shop app=web &&
	wait_count 2 pods shop app=web
'

test_expect_success 'a Deployment removed from Git is deleted; its ReplicaSets and Pods are collected' '
	git -C repo rm -q apps/web.yaml && ss_commit "drop web" &&
	ss_sync --config cfg.yaml &&
	gone -n shop deployment web &&
	wait_count 0 replicasets shop app=web &&
	wait_count 0 pods shop app=web &&
	kubectl -n shop get configmap keep
'

test_expect_success 'a Namespace removed from Git (pruneClusterScoped) finishes terminating' '
	git -C repo rm -q apps/ns.yaml apps/keep.yaml && ss_commit "drop shop" &&
	ss_sync --config cfg.yaml &&
	gone namespace shop &&
	kubectl get configmap stays &&
	tail -n 1 agent.log | grep -q "sync succeeded"
'

test_done
