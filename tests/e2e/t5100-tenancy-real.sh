#!/bin/bash
# Tenancy on the real kube-apiserver (RBAC, audit log): deploy-tenancy
# rendered by the real kustomize and applied; the agent runs with a token
# of its own ServiceAccount, whose ClusterRole there may only read. A unit
# with serviceAccountName team-a's sealsync-deployer (which may write only
# in team-a) applies there as that account (Impersonate-User only); an
# object for team-b fails the whole unit, nothing applied, the error naming
# the ServiceAccount, verb and resource; with allowedNamespaces a
# SealedSecret for team-b is refused before any request (audit log), and a
# value sealed with scope cluster is refused unless allowedScopes lists it.
# Issue 17, acceptance 1; docs/RBAC.md "Tenancy".
# servers: real (the kube stage of tests/run.sh only)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" python3
SS_KUBE_SERVER=real
AGENT_SA=system:serviceaccount:sealsync-system:sealsync
TEAM_SA=system:serviceaccount:team-a:sealsync-deployer

sa_kubeconfig() {
	kubectl -n sealsync-system create token sealsync --duration 1h >sa.token &&
	cat >sa.kubeconfig <<-Y
	apiVersion: v1
	kind: Config
	clusters: [{name: c, cluster: {server: "$KUBE_API_URL", certificate-authority: "$KUBE_CA"}}]
	users: [{name: sa, user: {tokenFile: "$TRASH/sa.token"}}]
	contexts: [{name: c, context: {cluster: c, user: sa}}]
	current-context: c
	Y
}
# config [UNIT-LINES...]: the agent config with one unit, team-a.
config() {
	{
		printf "name: sealsync\nnamespace: sealsync-system\nunits:\n"
		printf "  - name: team-a\n    path: teams/team-a\n    namespace: team-a\n"
		printf "    serviceAccountName: sealsync-deployer\n"
		for l in "$@"; do printf "    %s\n" "$l"; done
	} >agent.yaml
}
tsync() { ss_sync --config "$TRASH/agent.yaml" --kubeconfig "$TRASH/sa.kubeconfig" "$@"; }
# audit USER [SINCE]: "VERB URI" of that (impersonated) user's requests.
audit() {
	$REQLOG "$API_LOG" mark >/dev/null && # the barrier: the log is complete
	python3 - "$API_LOG" "$1" "${2:-0}" <<-'P'
	import json, sys
	log, who, since = sys.argv[1], sys.argv[2], int(sys.argv[3])
	for i, line in enumerate(open(log)):
	    if i < since or not line.strip():
	        continue
	    e = json.loads(line)
	    if e.get("stage") != "ResponseComplete":
	        continue
	    imp = (e.get("impersonatedUser") or {}).get("username")
	    user = imp or (e.get("user") or {}).get("username", "")
	    if user == who:
	        print(e["verb"], e["requestURI"], (e.get("responseStatus") or {}).get("code"))
	P
}
lines() { wc -l <"$API_LOG" | tr -d " "; }

test_expect_success 'setup: deploy-tenancy through kustomize, a token of the agent, team-b' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	kustomize build "$SS_SRC_DIR/deploy-tenancy" >rendered.yaml &&
	kubectl apply -f rendered.yaml >/dev/null &&
	ss_ns team-b &&
	sa_kubeconfig &&
	kubectl auth can-i --as "$AGENT_SA" -n team-a impersonate serviceaccounts/sealsync-deployer &&
	test_must_fail kubectl auth can-i --as "$AGENT_SA" -n kube-system impersonate serviceaccounts/sealsync-deployer &&
	test_must_fail kubectl auth can-i --as "$AGENT_SA" -n team-a patch configmaps &&
	kubectl auth can-i --as "$TEAM_SA" -n team-a patch configmaps &&
	test_must_fail kubectl auth can-i --as "$TEAM_SA" -n team-b patch configmaps &&
	mkdir -p repo/teams/team-a &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a1\ndata:\n  v: \"1\"\n" >repo/teams/team-a/a1.yaml &&
	ss_seal team-a db password=tenant-secret-1 >repo/teams/team-a/db.sealed.yaml &&
	ss_commit first && config
'

test_expect_success 'the unit applies in team-a as its ServiceAccount; the inventory as the agent' '
	start=$(lines) &&
	tsync &&
	test "$(kubectl -n team-a get configmap a1 -o jsonpath={.data.v})" = 1 &&
	test "$(ss_secret_value team-a db password)" = tenant-secret-1 &&
	audit "$TEAM_SA" "$start" >team.req &&
	grep "^patch .*/namespaces/team-a/configmaps/a1?.*dryRun=All" team.req &&
	grep "^patch .*/namespaces/team-a/configmaps/a1?" team.req | grep -v dryRun &&
	grep -q "^patch .*/namespaces/team-a/secrets/db?" team.req &&
	! grep -q "sealsync-system" team.req &&
	audit "$AGENT_SA" "$start" >agent.req &&
	grep -q "^create .*/namespaces/sealsync-system/configmaps" agent.req &&
	! grep -q "/namespaces/team-a/" agent.req
'

test_expect_success 'an object for team-b fails the whole unit, nothing applied, naming SA, verb and resource' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a2\ndata:\n  v: \"2\"\n" >repo/teams/team-a/a2.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b1\n  namespace: team-b\ndata:\n  v: \"1\"\n" >repo/teams/team-a/b1.yaml &&
	sed -i "s/\"1\"/\"changed\"/" repo/teams/team-a/a1.yaml &&
	ss_commit "team-b object" &&
	mark=$(ss_writes_mark) &&
	: >agent.log &&
	test_must_fail tsync &&
	grep "sync failed" agent.log | sed "s/\\\\\"/\"/g" >failed &&
	cat failed &&
	grep -q "requests as ServiceAccount team-a/sealsync-deployer" failed &&
	grep -F -q "User \"$TEAM_SA\" cannot" failed &&
	grep -F "resource \"configmaps\" in API group \"\" in the namespace \"team-b\"" failed &&
	$REQLOG "$API_LOG" dump --since "$mark" >reqs &&
	! grep -E "^(PATCH|POST|PUT|DELETE) " reqs | grep -v "/events" | grep -v "dryRun=" &&
	test_must_fail kubectl -n team-a get configmap a2 &&
	test "$(kubectl -n team-a get configmap a1 -o jsonpath={.data.v})" = 1 &&
	test_must_fail kubectl -n team-b get configmap b1 &&
	! grep -q tenant-secret-1 agent.log
'

test_expect_success 'allowedNamespaces: a SealedSecret for team-b is refused before any request' '
	rm repo/teams/team-a/b1.yaml &&
	ss_seal team-b stolen password=tenant-secret-2 >repo/teams/team-a/stolen.sealed.yaml &&
	ss_commit "team-b sealed secret" &&
	config "allowedNamespaces: [team-a]" &&
	start=$(lines) &&
	: >agent.log &&
	test_must_fail tsync &&
	grep "sync failed" agent.log >failed &&
	cat failed &&
	grep -q "stolen.sealed.yaml" failed &&
	grep -q "namespace team-b is not in unit team-a.s allowedNamespaces" failed &&
	audit "$TEAM_SA" "$start" >team.req &&
	test "$(wc -l <team.req)" = 0 &&
	audit "$AGENT_SA" "$start" >agent.req &&
	cat agent.req &&
	! grep -q "team-b" agent.req &&
	$REQLOG "$API_LOG" dump --since "$start" >reqs &&
	! grep -E "^(PATCH|POST|PUT|DELETE) " reqs | grep -v "/events" | grep -v "dryRun=" &&
	test_must_fail kubectl -n team-b get secret stolen &&
	test_must_fail kubectl -n team-a get configmap a2 &&
	! grep -q tenant-secret-2 agent.log
'

test_expect_success 'the same unit without the list: the SealedSecret reaches RBAC, which refuses it' '
	config &&
	: >agent.log &&
	test_must_fail tsync &&
	grep "sync failed" agent.log | sed "s/\\\\\"/\"/g" >failed &&
	grep -F -q "User \"$TEAM_SA\" cannot" failed &&
	test_must_fail kubectl -n team-b get secret stolen &&
	! grep -q tenant-secret-2 agent.log
'

test_expect_success 'scope cluster under tenancy: refused unless allowedScopes lists it' '
	rm repo/teams/team-a/stolen.sealed.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shared\n  namespace: team-a\nstringData:\n  token: tenant-secret-3\n" |
		"$SEALCTL" seal -r "$PUB" --scope cluster >repo/teams/team-a/shared.sealed.yaml &&
	ss_commit "cluster-scoped value" &&
	config "allowedNamespaces: [team-a]" &&
	start=$(lines) &&
	: >agent.log &&
	test_must_fail tsync &&
	grep "sync failed" agent.log >failed &&
	grep -q "spec.scope" failed &&
	grep -q "scope cluster is not allowed in unit team-a" failed &&
	audit "$TEAM_SA" "$start" >team.req &&
	test "$(wc -l <team.req)" = 0 &&
	config "allowedNamespaces: [team-a]" "allowedScopes: [strict, cluster]" &&
	tsync &&
	test "$(ss_secret_value team-a shared token)" = tenant-secret-3 &&
	kubectl -n team-a get configmap a2 &&
	test "$(kubectl -n team-a get configmap a1 -o jsonpath={.data.v})" = changed
'

test_done
