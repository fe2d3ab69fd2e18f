#!/bin/bash
# The agent's Events, as kubectl sees them: `kubectl get events` shows
# each sync result with its reason and object (the unit's inventory
# ConfigMap), and a message that names the file but holds no value.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl python3

# events REASON: "kind/name<TAB>type<TAB>message" of the Events with REASON,
# as kubectl get events prints them.
events() {
	kubectl -n sealsync-system get events --field-selector "reason=$1" \
		-o custom-columns=OBJ:.involvedObject.kind,NAME:.involvedObject.name,TYPE:.type,MSG:.message \
		--no-headers
}
poll_events() { # REASON: waits up to 60 s for one
	i=0
	while [ -z "$(events "$1")" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
	events "$1" | grep -q .
}

test_expect_success 'setup: the agent as a service syncs a SealedSecret' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	ss_seal "" db password=event-secret-1 >repo/apps/db.sealed.yaml &&
	ss_commit first &&
	port=$(ss_free_port) &&
	ss_daemon agent "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --path apps --interval 2s \
		--listen "127.0.0.1:$port" --no-leader-election --log-level debug &&
	poll_events SyncSucceeded
'

test_expect_success 'kubectl get events shows SyncSucceeded on the inventory, with the revision' '
	events SyncSucceeded >ok.txt &&
	cat ok.txt &&
	grep -q "^ConfigMap *sealsync-inv-default *Normal .*$(git -C repo rev-parse HEAD)" ok.txt &&
	test "$(ss_secret_value default db password)" = event-secret-1
'

test_expect_success 'a failed sync is a Warning naming the file; no Event holds a value' '
	"$SEALCTL" keygen -w other.txt 2>/dev/null &&
	other=$(sed -n "s/^# public key: //p" other.txt) &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: event-secret-2\n" |
		"$SEALCTL" seal -r "$other" --namespace default >repo/apps/db.sealed.yaml &&
	ss_commit "wrong key" &&
	poll_events SyncFailed &&
	events SyncFailed >failed.txt &&
	cat failed.txt &&
	grep -q "^ConfigMap *sealsync-inv-default *Warning .*db.sealed.yaml" failed.txt &&
	kubectl -n sealsync-system get events -o yaml >all.yaml &&
	test_not_contains event-secret-1 all.yaml &&
	test_not_contains event-secret-2 all.yaml &&
	test_not_contains "$(printf event-secret-1 | base64)" all.yaml &&
	test "$(ss_secret_value default db password)" = event-secret-1
'

test_done
