#!/bin/bash
# All or nothing: a unit whose revision has any bad input writes nothing,
# keeps its previous revision in the cluster, and does not block another
# unit. Each failure names the place and never the value.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl age

UNITS="--unit team-a=a:team-a --unit team-b=b:team-b"

test_expect_success 'setup: two units, both applied' '
	ss_keys &&
	ss_apiserver_start &&
	ss_ns team-a team-b &&
	ss_repo_init &&
	mkdir -p repo/a repo/b &&
	ss_seal team-a db password=good-secret-a >repo/a/db.sealed.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: \"0\"\n" >repo/b/cfg.yaml &&
	ss_commit good &&
	git -C repo tag good &&
	ss_sync $UNITS &&
	test "$(ss_secret_value team-a db password)" = good-secret-a
'

# bad_case NAME COMMANDS: COMMANDS break unit a; unit b gets a new value.
bad_case() {
	test_expect_success "$1: unit a writes nothing, keeps its revision; unit b applies" '
		rm -rf repo/a && git -C repo checkout -q good -- a &&
		{ '"$2"' } &&
		printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: \"'"$1"'\"\n" >repo/b/cfg.yaml &&
		ss_commit "'"$1"'" &&
		mark=$(ss_writes_mark) &&
		: >agent.log &&
		test_must_fail ss_sync $UNITS &&
		test "$($REQLOG "$API_LOG" writes --since $mark --path /namespaces/team-a/)" = 0 &&
		test "$($REQLOG "$API_LOG" writes --since $mark --path sealsync-inv-team-a)" = 0 &&
		test "$(ss_secret_value team-a db password)" = good-secret-a &&
		test "$(kubectl -n team-b get configmap cfg -o jsonpath={.data.v})" = "'"$1"'" &&
		grep "sync failed" agent.log | grep -q "team-a" &&
		test_not_contains good-secret-a agent.log &&
		test_not_contains bad-secret agent.log
	'
}

bad_case wrong-key '
	"$SEALCTL" keygen -w other.txt 2>/dev/null &&
	other=$(sed -n "s/^# public key: //p" other.txt) &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team-a\nstringData:\n  password: bad-secret\n" |
		"$SEALCTL" seal -r "$other" >repo/a/db.sealed.yaml
'

bad_case moved-scope '
	ss_seal team-a other password=bad-secret >sealed.tmp &&
	sed "s/name: other/name: db/" sealed.tmp >repo/a/db.sealed.yaml
'

bad_case moved-namespace '
	ss_seal team-b db password=bad-secret >sealed.tmp &&
	sed "s/namespace: team-b/namespace: team-a/" sealed.tmp >repo/a/db.sealed.yaml
'

bad_case tampered '
	/usr/bin/python3 - repo/a/db.sealed.yaml <<-\PY
	import re, sys, base64
	p = sys.argv[1]; s = open(p).read()
	m = re.search(r"password: (\S+)", s)
	raw = bytearray(base64.b64decode(m.group(1))); raw[-5] ^= 1
	open(p, "w").write(s.replace(m.group(1), base64.b64encode(bytes(raw)).decode()))
	PY
'

bad_case unscoped '
	v=$(printf bad-secret | age -e -r "$PUB" | base64 -w0) &&
	/usr/bin/python3 - repo/a/db.sealed.yaml "$v" <<-\PY
	import re, sys
	p, v = sys.argv[1], sys.argv[2]; s = open(p).read()
	open(p, "w").write(re.sub(r"password: \S+", "password: " + v, s))
	PY
'

bad_case yaml-error '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n" >repo/a/broken.yaml
'

bad_case duplicate '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\ndata: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n" >repo/a/dup.yaml
'

bad_case agent-state '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sealsync-inv-team-b\n  namespace: sealsync-system\n" >repo/a/steal.yaml
'

# kustomize units build now (docs/REPOSITORIES.md); a remote base is
# refused before any build, whether or not kustomize is on PATH
bad_case kustomization-remote '
	printf "resources: [db.sealed.yaml, https://example.com/base]\n" >repo/a/kustomization.yaml
'

test_expect_success 'the errors name file and field' '
	rm -rf repo/a && git -C repo checkout -q good -- a &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n" >repo/a/dup.yaml &&
	ss_commit dup-again &&
	: >agent.log &&
	test_must_fail ss_sync $UNITS &&
	grep "sync failed" agent.log >failed &&
	grep -q "a/dup.yaml" failed &&
	git -C repo rm -q a/dup.yaml && ss_commit undup
'

test_expect_success 'a dry-run rejection writes nothing beyond stage 0' '
	rm -rf repo/a && git -C repo checkout -q good -- a &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fresh-ns\n" >repo/a/ns.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lost\n  namespace: no-such-ns\n" >repo/a/lost.yaml &&
	ss_commit dry-run-reject &&
	mark=$(ss_writes_mark) &&
	: >agent.log &&
	test_must_fail ss_sync $UNITS &&
	test "$($REQLOG "$API_LOG" writes --since $mark --path /namespaces/team-a/)" = 0 &&
	test "$($REQLOG "$API_LOG" writes --since $mark --path /namespaces/no-such-ns/)" = 0 &&
	test "$($REQLOG "$API_LOG" dryruns --since $mark --path /namespaces/no-such-ns/)" -ge 1 &&
	test "$(ss_secret_value team-a db password)" = good-secret-a &&
	grep "sync failed" agent.log | grep -q dry-run
'

test_expect_success 'back to a good revision, unit a applies again' '
	git -C repo rm -q a/ns.yaml a/lost.yaml &&
	ss_seal team-a db password=new-good-a >repo/a/db.sealed.yaml &&
	ss_commit fixed &&
	ss_sync $UNITS &&
	test "$(ss_secret_value team-a db password)" = new-good-a
'

test_done
