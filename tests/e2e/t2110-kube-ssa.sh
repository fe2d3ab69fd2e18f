#!/bin/bash
# Server-side apply as the real kube-apiserver does it: the agent's field manager
# owns what Git says (operation Apply); a field that left Git leaves the
# live object; a field another manager changed (kubectl edit, kubectl scale)
# is taken back; a field only another manager sets stays; a new sealed value
# changes that key of the live Secret only.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl python3

deploy() { # deploy REPLICAS [EXTRA_ANNOTATION_LINE]
	cat <<-Y
	apiVersion: apps/v1
	kind: Deployment
	metadata:
	  name: web
	  namespace: shop
	  annotations:
	    owner-team: payments
	$2
	spec:
	  replicas: $1
	  selector:
	    matchLabels: {app: web}
	  template:
	    metadata:
	      labels: {app: web}
	    spec:
	      containers:
	      - name: web
	        image: registry.example/web:1.0
	Y
}

# managers KIND NAME: "manager operation" per managedFields entry.
managers() {
	kubectl -n shop get "$1" "$2" --show-managed-fields -o json |
		python3 -c 'import json,sys
for m in json.load(sys.stdin)["metadata"]["managedFields"]: print(m["manager"], m["operation"])'
}

test_expect_success 'setup: a Namespace, a Deployment, a ConfigMap and a Secret from Git' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n" >repo/apps/ns.yaml &&
	deploy 2 "    reviewed: \"yes\"" >repo/apps/web.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\ndata:\n  mode: \"on\"\n  extra: \"1\"\n" >repo/apps/cfg.yaml &&
	ss_seal shop db a=first-a b=first-b >repo/apps/db.sealed.yaml &&
	ss_commit first &&
	ss_sync --path apps &&
	test "$(kubectl -n shop get deployment web -o jsonpath={.spec.replicas})" = 2 &&
	test "$(ss_secret_value shop db a)" = first-a
'

test_expect_success 'managedFields name the agent with operation Apply' '
	for o in "deployment web" "configmap cfg" "secret db"; do
		managers $o >m.txt && grep -qx "sealsync Apply" m.txt || { cat m.txt; return 1; }
	done
'

test_expect_success 'a field removed from Git disappears from the live object' '
	deploy 2 >repo/apps/web.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\ndata:\n  mode: \"on\"\n" >repo/apps/cfg.yaml &&
	ss_commit "drop fields" &&
	ss_sync --path apps &&
	kubectl -n shop get deployment web -o json >web.json &&
	python3 -c "import json; a=json.load(open(\"web.json\"))[\"metadata\"][\"annotations\"]; assert \"reviewed\" not in a and a[\"owner-team\"] == \"payments\", a" &&
	test -z "$(kubectl -n shop get configmap cfg -o jsonpath={.data.extra})" &&
	test "$(kubectl -n shop get configmap cfg -o jsonpath={.data.mode})" = on
'

test_expect_success 'kubectl scale and kubectl edit of fields in Git are taken back' '
	kubectl -n shop scale deployment web --replicas=5 &&
	printf "#!/bin/sh\nsed -i \"s/^  mode: .*/  mode: edited/\" \"\$1\"\n" >edit.sh &&
	chmod +x edit.sh &&
	KUBE_EDITOR=$TRASH/edit.sh kubectl -n shop edit configmap cfg &&
	test "$(kubectl -n shop get deployment web -o jsonpath={.spec.replicas})" = 5 &&
	test "$(kubectl -n shop get configmap cfg -o jsonpath={.data.mode})" = edited &&
	ss_sync --path apps &&
	test "$(kubectl -n shop get deployment web -o jsonpath={.spec.replicas})" = 2 &&
	test "$(kubectl -n shop get configmap cfg -o jsonpath={.data.mode})" = on &&
	managers deployment web >m.txt && grep -qx "sealsync Apply" m.txt
'

test_expect_success 'a field only another manager sets is left alone' '
	kubectl -n shop annotate deployment web on-call=alice &&
	kubectl -n shop patch configmap cfg --type merge -p "{\"data\":{\"local\":\"kept\"}}" &&
	ss_sync --path apps &&
	test "$(kubectl -n shop get deployment web -o jsonpath={.metadata.annotations.on-call})" = alice &&
	test "$(kubectl -n shop get configmap cfg -o jsonpath={.data.local})" = kept
'

test_expect_success 'a new sealed value changes only that key of the live Secret' '
	kubectl -n shop patch secret db --type merge -p "{\"stringData\":{\"c\":\"by-hand\"}}" &&
	ss_seal shop db a=second-a b=first-b >repo/apps/db.sealed.yaml &&
	ss_commit "rotate a" &&
	ss_sync --path apps &&
	test "$(ss_secret_value shop db a)" = second-a &&
	test "$(ss_secret_value shop db b)" = first-b &&
	test "$(ss_secret_value shop db c)" = by-hand &&
	test_not_contains second-a agent.log
'

test_done
