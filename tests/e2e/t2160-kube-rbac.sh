#!/bin/bash
# RBAC on the real kube-apiserver: deploy/ rendered by the real kustomize
# and applied; the agent runs with a ServiceAccount token (TokenRequest API)
# of the sealsync ServiceAccount, bound to exactly deploy/'s Role and
# ClusterRole. A full sync of examples/repo succeeds; with one rule removed
# the sync fails at the stage that needs it (patch: the dry-run; delete:
# prune, after apply) with the server's error naming verb, group, resource
# and namespace; without the Events rule a sync still succeeds.
# docs/OPERATIONS.md lists each rule and why it is needed.
# servers: real (the kube stage of tests/run.sh only)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" python3
SS_KUBE_SERVER=real
SA=system:serviceaccount:sealsync-system:sealsync

# sa_kubeconfig: $TRASH/sa.kubeconfig with a fresh bound token of the SA.
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
sa_sync() { ss_sync --path apps --kubeconfig "$TRASH/sa.kubeconfig" "$@"; }
# names_rule FILE VERB RESOURCE GROUP NAMESPACE: the server's 403 text, as
# the agent logs it (quotes may be escaped), names all four.
names_rule() {
	sed 's/\\"/"/g' "$1" >"$1.plain" &&
	grep -F -q "cannot $2 resource \"$3\" in API group \"$4\" in the namespace \"$5\"" "$1.plain"
}
# drop_verb KIND NAME GROUP RESOURCE VERB: the Role or ClusterRole again
# without VERB on GROUP/RESOURCE (a rule naming several resources is split).
drop_verb() {
	kubectl -n sealsync-system get "$1" "$2" -o json | python3 -c '
import json, sys
o = json.load(sys.stdin); group, res, verb = sys.argv[1:4]
out = []
for r in o["rules"]:
    if group in r.get("apiGroups", []) and res in r.get("resources", []):
        rest = [x for x in r["resources"] if x != res]
        if rest:
            out.append(dict(r, resources=rest))
        r = dict(r, apiGroups=[group], resources=[res], verbs=[v for v in r["verbs"] if v != verb])
        if not r["verbs"]:
            continue
    out.append(r)
o["rules"] = out
for k in ("resourceVersion", "managedFields", "uid", "creationTimestamp"):
    o["metadata"].pop(k, None)
print(json.dumps(o))' "$3" "$4" "$5" | kubectl replace -f - >/dev/null &&
	test_must_fail kubectl auth can-i --as "$SA" -n demo "$5" "$4${3:+.$3}" >/dev/null
}
restore_rbac() { kubectl apply -f rendered.yaml >/dev/null; }

test_expect_success 'setup: deploy/ through the real kustomize, applied; a token of its ServiceAccount' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	kustomize build "$SS_SRC_DIR/deploy" >rendered.yaml &&
	kubectl apply -f rendered.yaml >/dev/null &&
	kubectl -n sealsync-system get role sealsync-state &&
	kubectl get clusterrole sealsync-apply &&
	sa_kubeconfig &&
	kubectl --kubeconfig sa.kubeconfig auth whoami -o jsonpath={.status.userInfo.username} >who &&
	test "$(cat who)" = "$SA" &&
	cp -r "$SS_SRC_DIR/examples/repo/." repo/ &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-creds\n  namespace: demo\nstringData:\n  password: rbac-secret\n" |
		"$SEALCTL" seal -r "$PUB" >repo/apps/db-creds.sealed.yaml &&
	ss_commit example
'

test_expect_success 'the token may do no more than deploy/ grants' '
	kubectl auth can-i --as "$SA" -n demo patch configmaps &&
	test_must_fail kubectl auth can-i --as "$SA" create clusterroles &&
	test_must_fail kubectl auth can-i --as "$SA" -n demo get pods &&
	test_must_fail kubectl auth can-i --as "$SA" -n sealsync-system delete leases
'

test_expect_success 'a full sync of the example repo with the token succeeds' '
	sa_sync &&
	test "$(ss_secret_value demo db-creds password)" = rbac-secret &&
	kubectl -n demo get deployment web &&
	kubectl -n sealsync-system get configmap sealsync-inv-default
'

test_expect_success 'without patch on configmaps the sync fails at the dry-run, naming the rule' '
	drop_verb clusterrole sealsync-apply "" configmaps patch &&
	sed -i "s/hello from git/hello again/" repo/apps/web-config.yaml && ss_commit again &&
	mark=$(ss_writes_mark) &&
	: >agent.log &&
	test_must_fail sa_sync &&
	grep "sync failed" agent.log >failed &&
	cat failed &&
	grep -q "dry-run" failed &&
	names_rule failed patch configmaps "" demo &&
	test "$($REQLOG "$API_LOG" writes --since $mark --path /namespaces/demo/)" = 0 &&
	test "$(kubectl -n demo get configmap web-config -o jsonpath={.data.GREETING})" = "hello from git" &&
	restore_rbac
'

test_expect_success 'without delete on services the sync fails at prune, after the apply' '
	drop_verb clusterrole sealsync-apply "" services delete &&
	python3 -c "
import sys
p = \"repo/apps/web.yaml\"; docs = open(p).read().split(\"---\n\")
open(p, \"w\").write(\"---\n\".join(d for d in docs if \"kind: Service\n\" not in d))" &&
	ss_commit "drop the Service" &&
	: >agent.log &&
	test_must_fail sa_sync &&
	grep "sync failed" agent.log >failed &&
	cat failed &&
	grep -q "prune" failed &&
	names_rule failed delete services "" demo &&
	test "$(kubectl -n demo get configmap web-config -o jsonpath={.data.GREETING})" = "hello again" &&
	kubectl -n demo get service web &&
	restore_rbac &&
	sa_sync &&
	test_must_fail kubectl -n demo get service web
'

test_expect_success 'without the Events rule a sync still succeeds' '
	drop_verb role sealsync-state "" events create &&
	drop_verb role sealsync-state "" events patch &&
	test_must_fail kubectl auth can-i --as "$SA" -n sealsync-system create events &&
	sed -i "s/hello again/hello third/" repo/apps/web-config.yaml && ss_commit third &&
	sa_sync &&
	test "$(kubectl -n demo get configmap web-config -o jsonpath={.data.GREETING})" = "hello third" &&
	grep "cannot post an Event" agent.log | grep -q "cannot create resource \\\\\"events\\\\\""
'

test_done
