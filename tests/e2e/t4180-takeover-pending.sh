#!/bin/bash
# No takeover through `pending` (DESIGN §4): a revision that fails after
# recording its new objects as pending leaves there objects sealsync never
# created. One made by hand with that name is not taken over by the next
# revision (no owner label added, data untouched) nor pruned by a later
# one; only our label, objects we applied, or sealsync.dev/managed: "true"
# let an existing object through.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n%bdata:\n  v: \"%s\"\n" "$1" "${3:-}" "$2"; }
owner() { kubectl -n team get configmap "$1" -o "jsonpath={.metadata.labels.sealsync\.dev/owner}"; }
# by_hand [ANNOTATIONS]: the team's own ConfigMap "hand" (field manager "hand").
by_hand() {
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hand\n  namespace: team\n%bdata:\n  v: by-hand\n" "${1:-}" |
		kubectl apply --server-side --field-manager hand -f - >/dev/null
}
pending() { kubectl -n sealsync-system get configmap sealsync-inv-default -o jsonpath={.data.pending}; }

test_expect_success 'setup: one object applied' '
	ss_keys &&
	ss_apiserver_start &&
	ss_ns team &&
	ss_repo_init &&
	mkdir -p repo/apps &&
	cm base 1 >repo/apps/base.yaml &&
	ss_commit R1 &&
	ss_sync --unit default=apps:team &&
	test "$(owner base)" = sealsync.default
'

test_expect_success 'a revision that fails at its dry-run leaves "hand" in pending, never created' '
	cm hand from-git >repo/apps/hand.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lost\n  namespace: no-such-ns\n" >repo/apps/lost.yaml &&
	ss_commit R2 &&
	test_must_fail ss_sync --unit default=apps:team &&
	pending >p && test_contains "\"hand\"" p &&
	test_must_fail kubectl -n team get configmap hand
'

test_expect_success 'a team creates "hand" by hand; the next revision does not take it over' '
	by_hand &&
	git -C repo rm -q apps/lost.yaml &&
	ss_commit R3 &&
	: >agent.log &&
	test_must_fail ss_sync --unit default=apps:team &&
	test "$(kubectl -n team get configmap hand -o jsonpath={.data.v})" = by-hand &&
	test -z "$(owner hand)" &&
	grep "sync failed" agent.log >failed &&
	test_contains "is not managed by sealsync" failed
'

test_expect_success 'a later revision without it does not prune the hand-made object' '
	git -C repo rm -q apps/hand.yaml &&
	ss_commit R4 &&
	ss_sync --unit default=apps:team &&
	test "$(kubectl -n team get configmap hand -o jsonpath={.data.v})" = by-hand &&
	test -z "$(owner hand)"
'

test_expect_success 'marked for adoption, it is taken over' '
	by_hand "  annotations:\n    sealsync.dev/managed: \"true\"\n" &&
	cm hand from-git >repo/apps/hand.yaml &&
	ss_commit R5 &&
	ss_sync --unit default=apps:team &&
	test "$(kubectl -n team get configmap hand -o jsonpath={.data.v})" = from-git &&
	test "$(owner hand)" = sealsync.default
'

test_expect_success 'an object of ours that a failed revision created is adopted by the next one' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lost\n  namespace: no-such-ns\n" >repo/apps/lost.yaml &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fresh\n" >repo/apps/ns.yaml &&
	cm half 1 "  namespace: fresh\n" >repo/apps/half.yaml &&
	ss_commit R6 &&
	test_must_fail ss_sync --unit default=apps:team &&
	test "$(kubectl get namespace fresh -o "jsonpath={.metadata.labels.sealsync\.dev/owner}")" = sealsync.default &&
	git -C repo rm -q apps/lost.yaml &&
	ss_commit R7 &&
	ss_sync --unit default=apps:team &&
	test "$(kubectl -n fresh get configmap half -o jsonpath={.data.v})" = 1
'

test_done
