#!/bin/bash
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
# --render with several units: the output is multi-document YAML that holds
# exactly the objects a sync applies, on stdout and in a folder, so that
# `sealsync-agent --render - | kubectl apply -f -` loses nothing.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

# objects FILE...: "Kind/namespace/name" of every document, sorted; a
# document that is not an object (empty, or two merged) fails.
objects() {
	/usr/bin/python3 - "$@" <<-\PY
	import sys, yaml
	out = []
	for p in sys.argv[1:]:
	    for d in yaml.safe_load_all(open(p)):
	        if not isinstance(d, dict) or "kind" not in d:
	            sys.exit("not an object in %s: %r" % (p, d))
	        m = d["metadata"]
	        out.append("%s/%s/%s" % (d["kind"], m.get("namespace", ""), m["name"]))
	print("\n".join(sorted(out)))
	PY
}

render() { # render TARGET [flags]: both units
	t=$1; shift
	"$AGENT" --render "$t" --repo "file://$TRASH/repo" --unit apps=apps:web \
		--unit db=db:data --identities keys.txt --cache-dir cache "$@"
}

test_expect_success 'setup: two units, three objects and a Secret' '
	ss_keys && ss_repo_init &&
	mkdir -p repo/apps repo/db repo/empty &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  a: \"1\"\n" >repo/apps/one.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  b: \"2\"\n" >repo/apps/two.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\n" >repo/db/three.yaml &&
	ss_seal data pw password=hunter2 >repo/db/pw.sealed.yaml &&
	touch repo/empty/.keep &&
	ss_commit first
'

test_expect_success '--render - with two units prints every object as its own document' '
	render - >all.yaml 2>render.log &&
	objects all.yaml >got &&
	printf "%s\n" ConfigMap/data/three ConfigMap/web/one ConfigMap/web/two Secret/data/pw >want &&
	test_cmp want got &&
	test "$(grep -c "^---$" all.yaml)" -ge 3
'

test_expect_success 'a unit with no objects adds no empty document' '
	"$AGENT" --render - --repo "file://$TRASH/repo" --unit apps=apps:web \
		--unit none=empty --unit db=db:data --identities keys.txt \
		--cache-dir cache >with-empty.yaml 2>/dev/null &&
	objects with-empty.yaml >got &&
	test_cmp want got
'

test_expect_success '--render DIR: one file per unit, each parses to its objects' '
	mkdir out && render out 2>dir.log &&
	objects out/apps.yaml >got-apps && objects out/db.yaml >got-db &&
	printf "%s\n" ConfigMap/web/one ConfigMap/web/two >want-apps &&
	printf "%s\n" ConfigMap/data/three Secret/data/pw >want-db &&
	test_cmp want-apps got-apps && test_cmp want-db got-db
'

test_expect_success 'kubectl apply -f - of the render creates what a sync creates' '
	ss_apiserver_start && ss_ns web data &&
	render - --show-secrets 2>/dev/null |
		kubectl apply --server-side --field-manager sealsync -f - >applied.txt &&
	test "$(wc -l <applied.txt)" -eq 4 &&
	kubectl -n web get configmap one two -o name >by-kubectl &&
	kubectl -n data get configmap three -o name >>by-kubectl &&
	kubectl -n data get secret pw -o name >>by-kubectl &&
	kubectl -n web delete configmap one two && kubectl -n data delete configmap three &&
	kubectl -n data delete secret pw &&
	ss_sync --unit apps=apps:web --unit db=db:data &&
	kubectl -n web get configmap one two -o name >by-agent &&
	kubectl -n data get configmap three -o name >>by-agent &&
	kubectl -n data get secret pw -o name >>by-agent &&
	test_cmp by-kubectl by-agent
'

test_done
