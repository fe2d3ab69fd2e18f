#!/bin/bash
# --diff: what the next sync would change, per unit, as a unified diff (the
# live object against the server's dry-run apply), Secrets per key only
# (changed / unchanged / added / removed, never a value), objects to be
# pruned, exit 0/1/2; and it writes nothing (request log / audit log).
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

OLD_PW=old-pass-4500-xyzzy
NEW_PW=new-pass-4500-plugh
KEEP=keep-4500-frobozz

# ss_diff [flags]: the agent's --diff, as docs/OPERATIONS.md shows it, on
# this test's repository; stdout to diff.out, stderr to diff.err.
ss_diff() {
	"$AGENT" --diff --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --unit apps=apps:shop \
		--max-retries 1 "$@" >"$TRASH/diff.out" 2>"$TRASH/diff.err"
}

# No value in the output or the log, in any encoding a diff could use.
no_values() {
	for v in "$OLD_PW" "$NEW_PW" "$KEEP"; do
		for f in diff.out diff.err; do
			test_not_contains "$v" "$f" &&
			test_not_contains "$(printf %s "$v" | base64)" "$f" || return 1
		done
	done
}

test_expect_success 'setup: a unit applied by a sync' '
	ss_keys && ss_repo_init && ss_apiserver_start && ss_ns shop &&
	mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  color: blue\n  size: \"3\"\n" >repo/apps/web.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\ndata:\n  a: \"1\"\n" >repo/apps/old.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: edited\ndata:\n  mode: fast\n" >repo/apps/edited.yaml &&
	ss_seal shop db password=$OLD_PW keep=$KEEP >repo/apps/db.sealed.yaml &&
	ss_commit first &&
	ss_sync --unit apps=apps:shop
'

test_expect_success 'nothing changed: exit 0, no object printed, no write' '
	mark=$(ss_writes_mark) &&
	ss_diff &&
	test ! -s diff.out &&
	grep -q "unit diffed" diff.err &&
	test "$(ss_writes_since "$mark")" = 0
'

test_expect_success 'a change in Git and an edit in the cluster: exit 1, both shown' '
	sed -i "s/color: blue/color: green/" repo/apps/web.yaml &&
	ss_seal shop db password=$NEW_PW keep=$KEEP >repo/apps/db.sealed.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  b: \"2\"\n" >repo/apps/new.yaml &&
	git -C repo rm -q apps/old.yaml &&
	ss_commit second &&
	kubectl -n shop patch configmap edited --type merge -p "{\"data\":{\"mode\":\"slow\"}}" \
		--field-manager by-hand &&
	mark=$(ss_writes_mark) &&
	test_expect_code 1 ss_diff &&
	cat diff.out &&
	test "$(ss_writes_since "$mark")" = 0 &&
	test "$($REQLOG "$API_LOG" dryruns --since "$mark")" -ge 4
'

test_expect_success 'the Git change: the ConfigMap value, with kubectl diff headers' '
	grep -q "^diff -u -N live/apps/v1.ConfigMap.shop.web merged/apps/v1.ConfigMap.shop.web$" diff.out &&
	grep -q "^--- live/apps/v1.ConfigMap.shop.web$" diff.out &&
	grep -q "^+++ merged/apps/v1.ConfigMap.shop.web$" diff.out &&
	grep -q "^-  color: blue$" diff.out &&
	grep -q "^+  color: green$" diff.out &&
	grep -q "^@@ " diff.out
'

test_expect_success 'the cluster edit: our value comes back' '
	grep -q "^-  mode: slow$" diff.out &&
	grep -q "^+  mode: fast$" diff.out
'

test_expect_success 'server-set fields are not shown' '
	test_must_fail grep -E "resourceVersion|managedFields|creationTimestamp|uid:|generation:" diff.out
'

test_expect_success 'the Secret: changed per key, never a value' '
	grep -q "^diff -u -N live/apps/v1.Secret.shop.db " diff.out &&
	grep -q "^#   password: changed$" diff.out &&
	grep -q "^#   keep: unchanged$" diff.out &&
	grep -q "^+  password: \"(hidden: changed)\"$" diff.out &&
	no_values
'

test_expect_success 'a new object is an addition, a removed one is to be pruned' '
	grep -q "^+++ merged/apps/v1.ConfigMap.shop.new$" diff.out &&
	grep -q "^+  b: \"2\"$" diff.out &&
	grep -q "^# to be pruned: v1 ConfigMap shop/old" diff.out &&
	grep -q "^-  name: old$" diff.out
'

test_expect_success 'the diff wrote nothing: the cluster is as before' '
	test "$(kubectl -n shop get configmap web -o jsonpath={.data.color})" = blue &&
	test "$(kubectl -n shop get configmap edited -o jsonpath={.data.mode})" = slow &&
	kubectl -n shop get configmap old &&
	test_must_fail kubectl -n shop get configmap new &&
	test "$(ss_secret_value shop db password)" = "$OLD_PW"
'

test_expect_success 'after the sync nothing is left to change: exit 0, no output' '
	ss_sync --unit apps=apps:shop &&
	ss_diff &&
	test ! -s diff.out
'

test_expect_success 'a kubectl apply of the Secret leaves a last-applied annotation: masked' '
	kubectl -n shop get secret db -o json >db.json &&
	/usr/bin/python3 - db.json <<-\PY &&
	import json, sys
	o = json.load(open(sys.argv[1]))
	m = o["metadata"]
	for k in ("managedFields", "resourceVersion", "uid", "creationTimestamp"):
	    m.pop(k, None)
	o["data"]["keep"] = "aGFuZC1zZXQtNDUwMA=="
	json.dump(o, open(sys.argv[1], "w"))
	PY
	kubectl apply -f db.json 2>/dev/null &&
	kubectl -n shop get secret db -o json | grep -q last-applied-configuration &&
	test_expect_code 1 ss_diff &&
	grep -q "^#   keep: changed$" diff.out &&
	grep -q "last-applied-configuration: \"(hidden)\"$" diff.out &&
	test_not_contains aGFuZC1zZXQtNDUwMA== diff.out &&
	test_not_contains hand-set-4500 diff.out &&
	no_values
'

test_expect_success 'an error exits 2: a revision that does not load' '
	printf "kind: ConfigMap\n" >repo/apps/bad.yaml && ss_commit bad &&
	test_expect_code 2 ss_diff &&
	grep -q "apps/bad.yaml" diff.err &&
	git -C repo rm -q apps/bad.yaml && ss_commit unbad
'

test_expect_success_faults 'a dry-run the server refuses is an error (exit 2), the rest still shown' '
	sed -i "s/color: green/color: yellow/" repo/apps/web.yaml && ss_commit yellow &&
	ss_fault "{\"type\":\"403\",\"method\":\"PATCH\",\"dryrun\":true,\"path\":\"/api/v1/namespaces/shop/configmaps/edited\"}" &&
	test_expect_code 2 ss_diff &&
	ss_faults_clear &&
	grep -q "configmaps/edited\|edited" diff.err &&
	grep -q "apps/edited.yaml" diff.err &&
	grep -q "^+  color: yellow$" diff.out
'

test_expect_success '--local goes with --diff only; --diff refuses --render' '
	test_expect_code 2 "$AGENT" --local . --repo "file://$TRASH/repo" --path apps \
		--identities keys.txt 2>usage.err &&
	grep -q -- "--local DIR goes with --diff" usage.err &&
	test_expect_code 2 "$AGENT" --diff --render - --repo "file://$TRASH/repo" --path apps \
		--identities keys.txt 2>usage2.err &&
	grep -q "mode of its own" usage2.err
'

test_done
