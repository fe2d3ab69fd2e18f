#!/bin/bash
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
# The steady state costs nothing: a no-change poll makes no write and at most
# one request per watched kind; a drift (an owned object edited by another
# field manager, or deleted) is repaired from the watch, not a timer; a change
# outside our managed fields is not drift; a drift made while the watch was
# down (410 in the stream, re-list refused for a while; or the agent stopped
# and the resourceVersion compacted) is still repaired.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

ss_keys
ss_apiserver_start
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' >repo/apps/ns.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: shop\ndata:\n  k: from-git\n' \
	>repo/apps/cm.yaml
ss_seal shop db password=hunter2-plain >repo/apps/db.sealed.yaml
ss_commit first

# start_agent NAME INTERVAL: a long-running agent logging to $TRASH/NAME.log.
start_agent() {
	ss_daemon "$1" "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --path apps --interval "$2" \
		--no-leader-election --log-level debug --max-retries 1
}
syncs() { grep -c '"sync succeeded"' "$TRASH/$1.log"; }
cm_value() { kubectl -n shop get configmap cm -o 'jsonpath={.data.k}'; }
# watches: watch requests on the owner label that the server accepted. The
# real server's audit log has a watch's ResponseStarted as soon as it is
# open (its ResponseComplete only when it ends).
watches() {
	if [ "$SS_KUBE_SERVER" = real ]; then
		grep '"stage":"ResponseStarted"' "$API_LOG" | grep '"verb":"watch"' |
			grep -c 'labelSelector=sealsync.dev'
	else
		grep '"verb":"watch"' "$API_LOG" | grep -c '"status":200'
	fi
}
now_ms() { date +%s%3N; }
# by_manager MARK MANAGER: real writes to the ConfigMap cm since MARK by MANAGER.
by_manager() {
	if [ "$SS_KUBE_SERVER" = real ]; then
		$REQLOG "$API_LOG" dump --since "$1" | grep '^PATCH /api/v1/namespaces/shop/configmaps/cm ' |
			grep -v 'dryRun=' | grep -c "fieldManager=$2"
		return 0
	fi
	tail -n "+$(($1 + 1))" "$API_LOG" | grep '"path":"/api/v1/namespaces/shop/configmaps/cm"' |
		grep -v '"dryRun":true' | grep -c "\"fieldManager\":\"$2\""
}
# edit_cm VALUE: kubectl edit (another field manager) of the owned field.
edit_cm() { KUBE_EDITOR="sed -i s/k:\ .*/k:\ $1/" kubectl -n shop edit configmap cm >/dev/null; }

test_expect_success 'setup: the agent applies, then watches the three kinds' '
	start_agent agent 1s &&
	poll_eq from-git cm_value &&
	poll_eq 3 watches
'

test_expect_success 'a no-change poll: 0 writes, at most one request per watched kind' '
	n=$(syncs agent) &&
	mark=$(ss_writes_mark) &&
	poll_gt $((n + 2)) syncs agent &&
	test "$(ss_writes_since "$mark")" = 0 &&
	reqs=$($REQLOG "$API_LOG" requests --since "$mark") &&
	say "requests in 3 no-change polls: $reqs" &&
	test "$reqs" -le 3
'

test_expect_success 'a label added by another manager is not drift: no apply follows' '
	kubectl -n shop label configmap cm team=ops >/dev/null &&
	n=$(syncs agent) &&
	mark=$(ss_writes_mark) &&
	poll_gt $((n + 2)) syncs agent &&
	test "$(ss_writes_since "$mark")" = 0 &&
	test "$(kubectl -n shop get configmap cm -o "jsonpath={.metadata.labels.team}")" = ops
'

test_expect_success 'kubectl edit of an owned field is repaired from the watch (time printed)' '
	mark=$(ss_writes_mark) &&
	t0=$(now_ms) && edit_cm edited &&
	poll_eq from-git cm_value &&
	say "drift repaired in $(( $(now_ms) - t0 )) ms (from the start of kubectl edit)" &&
	test "$(by_manager "$mark" kubectl-edit)" = 1 &&
	test "$(by_manager "$mark" sealsync)" = 1 &&
	test "$($REQLOG "$API_LOG" writes --path /secrets/db --since "$mark")" = 0
'

test_expect_success 'a deleted Secret is re-created from the watch' '
	kubectl -n shop delete secret db >/dev/null &&
	poll_eq hunter2-plain ss_secret_value shop db password
'

test_expect_success 'setup: an agent that polls Git once an hour (repairs come only from watches)' '
	ss_stop "$agent_pid" &&
	w=$(watches) &&
	start_agent agent2 1h &&
	poll_eq 1 syncs agent2 &&
	poll_gt "$w" watches &&
	sleep 0.5
'

test_expect_success_faults 'a drift while the watch is down (410 in the stream, re-list refused) is repaired' '
	ss_fault "{\"type\":\"503\",\"method\":\"list\",\"path\":\"/api/v1/configmaps\"}" &&
	ss_fault "{\"type\":\"503\",\"method\":\"watch\",\"path\":\"/api/v1/configmaps\"}" &&
	ss_admin POST /_admin/compact >/dev/null &&
	poll grep -q "watch failed" "$TRASH/agent2.log" &&
	mark=$(ss_writes_mark) &&
	edit_cm while-down && sleep 1 && test "$(cm_value)" = while-down &&
	ss_faults_clear &&
	poll_eq from-git cm_value &&
	test "$(by_manager "$mark" sealsync)" = 1
'

test_expect_success_faults 'agent stopped, object edited, resourceVersion expired (410): repaired at start' '
	ss_stop "$agent2_pid" &&
	edit_cm while-stopped &&
	ss_admin POST /_admin/compact >/dev/null &&
	start_agent agent3 1h &&
	poll_eq from-git cm_value
'

test_done
