#!/bin/bash
# deploy/ is a kustomize base that kubectl renders and the API server accepts.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require kubectl "$APISERVER"

test_expect_success 'kubectl kustomize renders deploy/' '
	kubectl kustomize "$SS_SRC_DIR/deploy" >rendered.yaml &&
	grep -q "kind: Deployment" rendered.yaml &&
	grep -q "readOnlyRootFilesystem: true" rendered.yaml &&
	grep -q "runAsNonRoot: true" rendered.yaml &&
	grep -q "fsGroup: 65532" rendered.yaml &&
	grep -q "defaultMode: 288" rendered.yaml
'

test_expect_success 'the rendered base applies cleanly with server-side apply' '
	ss_apiserver_start &&
	kubectl apply --server-side -f rendered.yaml &&
	kubectl -n sealsync-system get deployment sealsync &&
	kubectl -n sealsync-system get serviceaccount sealsync &&
	kubectl get clusterrole sealsync-apply &&
	kubectl -n sealsync-system get configmap sealsync-config -o jsonpath="{.data.config\.yaml}" >config.yaml &&
	grep -q "cacheDir" config.yaml
'

test_expect_success 'the shipped agent config is valid for the agent' '
	sed -e "s|https://git.example.com/org/cluster.git|file:///nonexistent|" config.yaml >agent.yaml &&
	"$AGENT" --config agent.yaml --help 2>/dev/null >/dev/null
'

test_done
