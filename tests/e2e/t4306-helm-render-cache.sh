#!/bin/bash
# A Helm unit is rendered again only when what helm reads changed (the
# render cache, like t4305's for kustomize): the key is the command line's
# inputs and the Git object ids of the chart folder and the values files,
# so a commit elsewhere applies without running helm, and one in a values
# file outside the chart renders again.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl
sh "$SS_SRC_DIR/tests/peers/helm/build.sh" >helm-build.log 2>&1 || { cat helm-build.log; exit 1; }
HELM=$(sh "$SS_SRC_DIR/tests/peers/helm/build.sh" --path)

renders() { grep '"unit rendered"' "$TRASH/agent_svc.log" | grep -c '"tool":"helm"'; }
skips() { grep -c 'render skipped: what it reads is unchanged' "$TRASH/agent_svc.log"; }
synced() { grep '"sync succeeded"' "$TRASH/agent_svc.log" | grep -c "\"revision\":\"$1\""; }
head_commit() { git -C "$TRASH/repo" rev-parse HEAD; }
cm_value() { kubectl -n shop get configmap web-config -o 'jsonpath={.data.color}'; }

test_expect_success 'setup: a chart, a values file outside it, an agent service' '
	ss_keys &&
	ss_apiserver_start &&
	ss_ns shop &&
	ss_repo_init &&
	mkdir -p repo/charts/web/templates repo/apps/web repo/docs &&
	printf "apiVersion: v2\nname: web\nversion: 0.1.0\n" >repo/charts/web/Chart.yaml &&
	printf "color: default\n" >repo/charts/web/values.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  color: {{ .Values.color | quote }}\n" \
		>repo/charts/web/templates/cm.yaml &&
	printf "color: blue\n" >repo/apps/web/values.yaml &&
	echo readme >repo/docs/README &&
	printf "units:\n  - name: web\n    path: apps/web\n    namespace: shop\n    helm:\n      chart: /charts/web\n      valuesFiles: [values.yaml]\n" >web.yaml &&
	ss_commit one &&
	ss_daemon agent_svc "$AGENT" --config web.yaml --helm "$HELM" --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" \
		--interval 1s --no-leader-election --log-level debug --max-retries 1 &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(cm_value)" = blue &&
	test "$(renders)" = 1
'

test_expect_success 'a commit outside the chart and the values files: applied, not rendered again' '
	echo changed >repo/docs/README &&
	ss_commit docs &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(renders)" = 1 &&
	test "$(skips)" -ge 1
'

test_expect_success 'a commit in the values file (outside the chart) renders again and applies' '
	printf "color: green\n" >repo/apps/web/values.yaml &&
	ss_commit values &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(renders)" = 2 &&
	test "$(cm_value)" = green
'

test_expect_success 'a commit in a chart template renders again and applies' '
	sed -i "s/-config/-config\n  labels: {v: \"2\"}/" repo/charts/web/templates/cm.yaml &&
	ss_commit template &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(renders)" = 3 &&
	test "$(kubectl -n shop get configmap web-config -o jsonpath={.metadata.labels.v})" = 2
'

test_done
