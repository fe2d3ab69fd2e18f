#!/bin/bash
# Scopes after kustomize (issue 16, acceptance 6): a strict-scoped
# SealedSecret that an overlay moves (namespace or namePrefix transformer)
# fails its unit naming both scopes, and nothing of that unit is applied;
# a namespace-scoped one survives a rename but not a move. Plain Secrets
# (secretGenerator included) warn on every sync unless the unit allows them.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-render.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

sync_k() { ss_sync --kustomize "$KUSTOMIZE" "$@"; }

# sealed NS NAME SCOPE: a SealedSecret "db" sealed for NS/NAME, no namespace.
sealed() {
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n  password: \"scope-secret-%s\"\n" \
		"$2" "$1" "$3" | "$SEALCTL" seal -r "$PUB" --scope "$3" |
		sed -e "s/^  name: $2\$/  name: db/" -e "/^  namespace: /d"
}

# overlay DIR KUSTOMIZATION-LINES...: an overlay of base with a marker ConfigMap.
overlay() {
	d=repo/$1; shift
	mkdir -p "$d" &&
	printf "%s\n" "resources: [../base]" "$@" >"$d/kustomization.yaml"
}

test_expect_success 'setup: a base with a strict SealedSecret for staging/db, overlays that move it' '
	ss_kustomize_bin &&
	ss_keys &&
	ss_apiserver_start &&
	ss_ns staging prod &&
	ss_repo_init &&
	mkdir -p repo/base repo/nsbase &&
	printf "resources: [db.sealed.yaml, marker.yaml]\n" >repo/base/kustomization.yaml &&
	sealed staging db strict >repo/base/db.sealed.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: marker\ndata: {a: b}\n" >repo/base/marker.yaml &&
	overlay same "namespace: staging" &&
	overlay moved "namespace: prod" &&
	overlay renamed "namespace: staging" "namePrefix: x-" &&
	printf "resources: [db.sealed.yaml, marker.yaml]\n" >repo/nsbase/kustomization.yaml &&
	sealed staging db namespace >repo/nsbase/db.sealed.yaml &&
	cp repo/base/marker.yaml repo/nsbase/ &&
	mkdir -p repo/nsrenamed repo/nsmoved &&
	printf "resources: [../nsbase]\nnamespace: staging\nnamePrefix: y-\n" >repo/nsrenamed/kustomization.yaml &&
	printf "resources: [../nsbase]\nnamespace: prod\n" >repo/nsmoved/kustomization.yaml &&
	ss_commit one
'

test_expect_success 'the overlay that keeps namespace and name applies the value' '
	sync_k --unit same=same:staging &&
	test "$(ss_secret_value staging db password)" = scope-secret-strict
'

test_expect_success 'moved by the namespace transformer: the unit fails naming both scopes, nothing applied' '
	: >agent.log &&
	mark=$(ss_writes_mark) &&
	test_must_fail sync_k --unit moved=moved:prod &&
	grep "\"sync failed\"" agent.log >fail-moved &&
	grep -q "\"unit\":\"moved\"" fail-moved &&
	grep -q "\"stage\":\"unseal\"" fail-moved &&
	grep -q "strict staging/db/password" fail-moved &&
	grep -q "strict prod/db/password" fail-moved &&
	grep -q "moved (kustomize build)" fail-moved &&
	$REQLOG "$API_LOG" dump --since "$mark" >reqs &&
	! grep -E "^(PATCH|POST|PUT|DELETE) " reqs | grep -v "/events" &&
	test_must_fail kubectl -n prod get configmap marker &&
	test_must_fail kubectl -n prod get secret db &&
	test_not_contains scope-secret agent.log
'

test_expect_success 'renamed by namePrefix: the unit fails naming both scopes, nothing applied' '
	: >agent.log &&
	test_must_fail sync_k --unit renamed=renamed:staging &&
	grep "\"sync failed\"" agent.log >fail &&
	grep -q "strict staging/db/password" fail &&
	grep -q "strict staging/x-db/password" fail &&
	test_must_fail kubectl -n staging get configmap x-marker &&
	test_must_fail kubectl -n staging get secret x-db
'

test_expect_success 'scope namespace: a rename in the same namespace works, a move does not' '
	sync_k --unit nsrenamed=nsrenamed:staging &&
	test "$(ss_secret_value staging y-db password)" = scope-secret-namespace &&
	: >agent.log &&
	test_must_fail sync_k --unit nsmoved=nsmoved:prod &&
	grep "\"sync failed\"" agent.log | grep -q "namespace prod" &&
	test_must_fail kubectl -n prod get configmap marker
'

test_expect_success 'a plain Secret from a secretGenerator warns on every sync, naming it' '
	mkdir -p repo/gen &&
	printf "namespace: staging\nsecretGenerator:\n  - name: gen\n    literals: [k=plain-gen-value]\n" >repo/gen/kustomization.yaml &&
	ss_commit gen &&
	printf "units:\n  - name: gen\n    path: gen\n    namespace: staging\n" >gen.yaml &&
	printf "units:\n  - name: gen\n    path: gen\n    namespace: staging\n    allowPlainSecrets: true\n" >gen-allowed.yaml &&
	: >agent.log &&
	sync_k --config gen.yaml &&
	sync_k --config gen.yaml &&
	test "$(grep -c "a plain Secret in the unit" agent.log)" = 2 &&
	grep "a plain Secret in the unit" agent.log | grep -q "\"secret\":\"staging/gen-" &&
	test_not_contains plain-gen-value agent.log &&
	: >agent.log &&
	sync_k --config gen-allowed.yaml &&
	test_not_contains "a plain Secret" agent.log
'

test_done
