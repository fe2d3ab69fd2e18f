#!/bin/bash
# -n, --once and --render: checks without a cluster, one-shot syncs, and
# rendering for review with Secret values redacted.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

test_expect_success 'setup: keys and a repo' '
	ss_keys &&
	ss_repo_init &&
	mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: \"1\"\n" >repo/apps/cm.yaml &&
	ss_seal "" api token=render-me-not >repo/apps/api.sealed.yaml &&
	ss_commit first
'

test_expect_success '-n checks config, identities and repo without a cluster' '
	"$AGENT" -n --repo "file://$TRASH/repo" --path apps --identities keys.txt \
		--cache-dir cache 2>n.log &&
	grep -q "are valid" n.log
'

test_expect_success '-n fails on a bad revision, naming the file' '
	printf "kind: ConfigMap\n" >repo/apps/bad.yaml && ss_commit bad &&
	test_expect_code 1 "$AGENT" -n --repo "file://$TRASH/repo" --path apps \
		--identities keys.txt --cache-dir cache 2>n-bad.log &&
	grep -q "apps/bad.yaml" n-bad.log &&
	git -C repo rm -q apps/bad.yaml && ss_commit unbad
'

test_expect_success '-n fails on a config error, usage errors exit 2' '
	test_expect_code 1 "$AGENT" -n --repo "file://$TRASH/repo" --path apps \
		--identities no-such-keys.txt --cache-dir cache 2>n-keys.log &&
	grep -q no-such-keys.txt n-keys.log &&
	test_expect_code 2 "$AGENT" --repo "file://$TRASH/repo" --bogus-flag 2>usage.log &&
	test_expect_code 2 "$AGENT" --identities keys.txt --path apps 2>usage2.log &&
	grep -q "no repository" usage2.log
'

test_expect_success 'a config file works like the flags, unknown settings are errors' '
	cat >agent.yaml <<-EOF &&
	source:
	  url: file://$TRASH/repo
	units:
	  - name: web
	    path: apps
	    namespace: prod
	keys:
	  file: $TRASH/keys.txt
	cacheDir: $TRASH/cache
	EOF
	"$AGENT" -n --config agent.yaml 2>cfg.log &&
	printf "sorce:\n  url: x\n" >>agent.yaml &&
	test_expect_code 1 "$AGENT" -n --config agent.yaml 2>cfg-bad.log &&
	grep -q "sorce" cfg-bad.log && grep -q "agent.yaml" cfg-bad.log
'

test_expect_success '--render DIR redacts Secret values' '
	mkdir out &&
	"$AGENT" --render out --repo "file://$TRASH/repo" --path apps \
		--identities keys.txt --cache-dir cache 2>render.log &&
	test -f out/default.yaml &&
	grep -q "redacted: 13 bytes" out/default.yaml &&
	test_not_contains render-me-not out/default.yaml &&
	test_not_contains "$(printf render-me-not | base64)" out/default.yaml
'

test_expect_success '--show-secrets is refused with a directory' '
	test_expect_code 2 "$AGENT" --render out --show-secrets --repo "file://$TRASH/repo" \
		--path apps --identities keys.txt --cache-dir cache 2>show.log &&
	grep -q "show-secrets" show.log
'

test_expect_success '--render - --show-secrets applied by kubectl equals the agent sync' '
	"$AGENT" --render - --show-secrets --repo "file://$TRASH/repo" --path apps \
		--identities keys.txt --cache-dir cache >rendered.yaml 2>/dev/null &&
	grep -q "$(printf render-me-not | base64)" rendered.yaml &&
	ss_apiserver_start &&
	kubectl apply --server-side --field-manager sealsync -f rendered.yaml &&
	kubectl get secret api -o json >by-kubectl.json &&
	kubectl get configmap web -o json >cm-by-kubectl.json &&
	kubectl delete secret api && kubectl delete configmap web &&
	ss_sync --path apps &&
	kubectl get secret api -o json >by-agent.json &&
	kubectl get configmap web -o json >cm-by-agent.json &&
	/usr/bin/python3 - by-kubectl.json by-agent.json cm-by-kubectl.json cm-by-agent.json <<-\PY
	import json, sys
	def core(p):
	    o = json.load(open(p))
	    m = o["metadata"]
	    return (o.get("data"), o.get("type"), m["name"], m.get("namespace"), m.get("labels"))
	a, b, c, d = sys.argv[1:5]
	assert core(a) == core(b), (core(a), core(b))
	assert core(c) == core(d), (core(c), core(d))
	PY
'

test_expect_success '--once exits 1 when the sync fails' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n" >repo/apps/dup.yaml &&
	ss_commit dup &&
	test_expect_code 1 ss_sync --path apps
'

test_done
