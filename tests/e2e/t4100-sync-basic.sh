#!/bin/bash
# The agent's sync: plain manifests and SealedSecrets from a real Git repo
# end up in the API server, decrypted; no SealedSecret is ever sent.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

test_expect_success 'setup: keys, API server, repo with manifests and a SealedSecret' '
	ss_keys &&
	ss_apiserver_start &&
	ss_repo_init &&
	mkdir -p repo/apps &&
	cat >repo/apps/ns.yaml <<-\YAML &&
	apiVersion: v1
	kind: Namespace
	metadata:
	  name: shop
	YAML
	cat >repo/apps/cm.yaml <<-\YAML &&
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: settings
	  namespace: shop
	data:
	  mode: "on"
	YAML
	ss_seal shop db password=hunter2-plain user=app-user >repo/apps/db.sealed.yaml &&
	ss_commit "first"
'

test_expect_success 'a sync applies everything and the Secret holds the plaintext' '
	ss_sync --path apps &&
	test "$(ss_secret_value shop db password)" = hunter2-plain &&
	test "$(ss_secret_value shop db user)" = app-user &&
	kubectl -n shop get configmap settings -o jsonpath={.data.mode} >mode &&
	test "$(cat mode)" = on
'

test_expect_success 'applied objects carry the owner label; no SealedSecret reached the server' '
	kubectl -n shop get secret db -o jsonpath="{.metadata.labels.sealsync\.dev/owner}" >owner &&
	test "$(cat owner)" = sealsync.default &&
	test "$($REQLOG "$API_LOG" count PATCH --path sealedsecrets)" = 0 &&
	! grep -i sealedsecret "$API_LOG"
'

test_expect_success 'the inventory records the revision and the objects' '
	rev=$(git -C repo rev-parse HEAD) &&
	kubectl -n sealsync-system get configmap sealsync-inv-default -o jsonpath={.data.revision} >inv-rev &&
	test "$(cat inv-rev)" = "$rev" &&
	kubectl -n sealsync-system get configmap sealsync-inv-default -o jsonpath={.data.objects} >inv-objs &&
	grep -q "\"Secret\",\"shop\",\"db\"" inv-objs &&
	grep -q "\"ConfigMap\",\"shop\",\"settings\"" inv-objs
'

test_expect_success 'the logs say what happened and hold no value' '
	grep -q "sync succeeded" agent.log &&
	test_not_contains hunter2-plain agent.log &&
	test_not_contains "$(printf hunter2-plain | base64)" agent.log
'

test_expect_success 'a second sync without a commit re-applies (drift correction)' '
	kubectl -n shop patch configmap settings --type merge -p "{\"data\":{\"mode\":\"off\"}}" &&
	ss_sync --path apps &&
	test "$(kubectl -n shop get configmap settings -o jsonpath={.data.mode})" = on
'

test_expect_success 'a new commit changes a value' '
	ss_seal shop db password=second-value user=app-user >repo/apps/db.sealed.yaml &&
	ss_commit "rotate" &&
	ss_sync --path apps &&
	test "$(ss_secret_value shop db password)" = second-value
'

test_done
