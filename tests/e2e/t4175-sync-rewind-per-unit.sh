#!/bin/bash
# Rollback under the signature policy, per unit (invariant 7): each unit
# keeps its own baseline (the commit it applied, or the one it started to
# write), so a unit that applied C2 while another unit failed is not rolled
# back to the signed C1 when the branch is rewound: neither by a running
# agent, nor after a restart that lists the failing unit first, nor for a
# new unit. --allow-rewind-to SHA lets exactly that commit through.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl git ssh-keygen

UNITS="--unit team-a=a:team-a --unit team-b=b:team-b"
B_FIRST="--unit team-b=b:team-b --unit team-a=a:team-a"
POLICY="--allowed-signers $TRASH/allowed"
value_a() { ss_secret_value team-a db password; }
# expect_a VALUE: unit a's Secret holds VALUE (says what it holds if not).
expect_a() {
	got=$(value_a)
	[ "$got" = "$1" ] || { echo "# team-a db password is $got, want $1"; return 1; }
}
# attempts LOG COMMIT SINCE: unit team-a's sync results for COMMIT after
# line SINCE of LOG.
attempts() {
	tail -n "+$(($3 + 1))" "$1" | grep -a '"unit":"team-a"' |
		grep -aE '"msg":"sync (succeeded|failed)"' | grep -c "\"revision\":\"$2\""
}
wrong_key_b() {
	"$SEALCTL" keygen -w other.txt 2>/dev/null &&
	other=$(sed -n "s/^# public key: //p" other.txt) &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team-b\nstringData:\n  password: bad\n" |
		"$SEALCTL" seal -r "$other" >repo/b/db.sealed.yaml
}

test_expect_success 'setup: signed C1 applied by units a and b' '
	ss_keys &&
	ss_apiserver_start &&
	ss_ns team-a team-b team-c &&
	ss_repo_init &&
	ssh-keygen -q -t ed25519 -N "" -C good -f good &&
	echo "t@example.com namespaces=\"git\" $(cat good.pub)" >allowed &&
	git -C repo config gpg.format ssh &&
	git -C repo config user.signingkey "$TRASH/good" &&
	git -C repo config commit.gpgsign true &&
	mkdir -p repo/a repo/b repo/c &&
	ss_seal team-a db password=value-c1 >repo/a/db.sealed.yaml &&
	ss_seal team-b db password=b-c1 >repo/b/db.sealed.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: c1\n" >repo/c/c.yaml &&
	ss_commit C1 && git -C repo rev-parse HEAD >c1 &&
	ss_sync $UNITS $POLICY &&
	expect_a value-c1
'

test_expect_success 'running agent: a applies signed C2 while b fails; a rewind to C1 leaves a at C2' '
	ss_daemon svc "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache-d" --kubeconfig "$KUBECONFIG" --log-level debug \
		--interval 1s --no-leader-election $POLICY $UNITS &&
	ss_seal team-a db password=value-c2 >repo/a/db.sealed.yaml &&
	wrong_key_b &&
	ss_commit C2 && git -C repo rev-parse HEAD >c2 &&
	poll_eq value-c2 value_a &&
	since=$(wc -l <svc.log) &&
	git -C repo reset -q --hard "$(cat c1)" &&
	poll_gt 1 attempts svc.log "$(cat c1)" "$since" &&
	expect_a value-c2 &&
	sleep 2 &&
	expect_a value-c2 &&
	tail -n "+$((since + 1))" svc.log | grep -a "\"revision\":\"$(cat c1)\"" |
		grep -a "team-a" >refused &&
	test_contains "does not descend" refused &&
	test_contains "$(cat c2)" refused &&
	test_not_contains "sync succeeded" refused &&
	ss_stop "$svc_pid"
'

test_expect_success 'after a restart with the failing unit listed first, a is not rolled back' '
	git -C repo reset -q --hard "$(cat c2)" &&
	test_must_fail ss_sync $UNITS $POLICY &&
	expect_a value-c2 &&
	git -C repo reset -q --hard "$(cat c1)" &&
	: >agent.log &&
	test_must_fail ss_sync $B_FIRST $POLICY &&
	expect_a value-c2 &&
	grep "sync failed" agent.log | grep team-a >failed &&
	test_contains "does not descend from unit team-a" failed &&
	grep "sync succeeded" agent.log | grep -q team-b
'

test_expect_success 'a new unit with no inventory must descend from the newest baseline' '
	: >agent.log &&
	test_must_fail ss_sync $B_FIRST --unit team-c=c:team-c $POLICY &&
	test_must_fail kubectl -n team-c get configmap c &&
	grep "sync failed" agent.log | grep team-c >failed &&
	test_contains "does not descend" failed &&
	expect_a value-c2
'

test_expect_success '--allow-rewind-to another commit does not let C1 through' '
	test_must_fail ss_sync $UNITS $POLICY --allow-rewind-to "$(cat c2)" &&
	expect_a value-c2
'

test_expect_success '--allow-rewind-to C1 rolls back on purpose, with a warning; C1 is then the baseline' '
	: >agent.log &&
	ss_sync $UNITS --unit team-c=c:team-c $POLICY --allow-rewind-to "$(cat c1)" &&
	expect_a value-c1 &&
	test "$(kubectl -n team-c get configmap c -o jsonpath={.data.v})" = c1 &&
	grep "allow-rewind-to" agent.log | grep -q "$(cat c1)" &&
	ss_sync $UNITS --unit team-c=c:team-c $POLICY &&
	expect_a value-c1
'

test_expect_success 'after the intended rollback, a later rewind is refused again without the flag' '
	git -C repo commit -q --allow-empty -m C3 && git -C repo rev-parse HEAD >c3 &&
	ss_sync $UNITS $POLICY &&
	git -C repo reset -q --hard "$(cat c1)" &&
	test_must_fail ss_sync $UNITS $POLICY
'

test_done
