#!/bin/bash
# A kustomize unit is rendered again only when what its build read changed:
# the cache key is the Git object ids below the folders the kustomization
# graph reached (the unit's overlay and its base), so a commit elsewhere in
# the repository applies without running kustomize.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-render.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

renders() { grep -c '"unit rendered"' "$TRASH/agent_svc.log"; }
skips() { grep -c 'render skipped: what it reads is unchanged' "$TRASH/agent_svc.log"; }
# synced COMMIT: the unit's sync of COMMIT succeeded
synced() { grep '"sync succeeded"' "$TRASH/agent_svc.log" | grep -c "\"revision\":\"$1\""; }
head_commit() { git -C "$TRASH/repo" rev-parse HEAD; }
cm_value() { kubectl -n shop get configmap app-cm -o 'jsonpath={.data.k}'; }

test_expect_success 'setup: kustomize, keys, API server, overlay + base, an agent service' '
	ss_kustomize_bin &&
	ss_keys &&
	ss_apiserver_start &&
	ss_ns shop &&
	ss_repo_init &&
	mkdir -p repo/apps/base repo/apps/overlay repo/docs &&
	printf "resources: [cm.yaml]\n" >repo/apps/base/kustomization.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata: {k: one}\n" >repo/apps/base/cm.yaml &&
	printf "namespace: shop\nnamePrefix: app-\nresources: [../base]\n" >repo/apps/overlay/kustomization.yaml &&
	echo readme >repo/docs/README &&
	ss_commit one &&
	ss_daemon agent_svc "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --unit app=apps/overlay:shop \
		--kustomize "$KUSTOMIZE" --interval 1s --no-leader-election --log-level debug \
		--max-retries 1 &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(cm_value)" = one &&
	test "$(renders)" = 1
'

test_expect_success 'a commit outside the overlay and its base: applied, not rendered again' '
	echo changed >repo/docs/README &&
	ss_commit docs &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(renders)" = 1 &&
	test "$(skips)" -ge 1
'

test_expect_success 'a commit in the base (outside the unit folder) renders again and applies' '
	sed -i "s/k: one/k: two/" repo/apps/base/cm.yaml &&
	ss_commit base &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(renders)" = 2 &&
	test "$(cm_value)" = two
'

test_expect_success 'a new file in the overlay folder renders again (the key covers the folder)' '
	echo note >repo/apps/overlay/NOTES &&
	ss_commit notes &&
	poll_eq 1 synced "$(head_commit)" &&
	test "$(renders)" = 3
'

test_done
