#!/bin/bash
# Kustomize units (issue 16, acceptance 1): a base and two overlays
# (namespace, namePrefix, patches, configMapGenerator, a scope-cluster
# SealedSecret in the base, a strict one per overlay). Each overlay unit
# applies exactly what `kustomize build` prints, values unsealed; a unit is
# rendered again only when what its build read changed.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-render.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

sync_k() { ss_sync --kustomize "$KUSTOMIZE" "$@"; }

# ss_seal_as NS NAME SCOPE FILE-NAME KEY=VALUE: sealed for NS/NAME (what the
# build makes of it), stored under FILE-NAME (what the repository says).
ss_seal_as() {
	ns=$1 name=$2 scope=$3 as=$4; shift 4
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n  %s: \"%s\"\n" \
		"$name" "$ns" "${1%%=*}" "${1#*=}" |
		"$SEALCTL" seal -r "$PUB" --scope "$scope" |
		sed -e "s/^  name: $name\$/  name: $as/" -e "/^  namespace: /d"
}

test_expect_success 'setup: kustomize, keys, API server, a base and two overlays' '
	ss_kustomize_bin &&
	ss_keys &&
	ss_apiserver_start &&
	ss_ns staging prod &&
	ss_repo_init &&
	mkdir -p repo/apps/base repo/apps/overlays/staging repo/apps/overlays/prod repo/other &&
	cat >repo/apps/base/kustomization.yaml <<-\YAML &&
	resources:
	  - web.yaml
	  - shared.sealed.yaml
	configurations:
	  - sealedsecret-namereference.yaml
	YAML
	ss_nameref repo/apps/base &&
	cat >repo/apps/base/web.yaml <<-\YAML &&
	apiVersion: apps/v1
	kind: Deployment
	metadata:
	  name: web
	  labels: {app: web}
	spec:
	  replicas: 1
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers:
	        - name: web
	          image: registry.example/web:1
	          envFrom:
	            - secretRef: {name: shared}
	            - secretRef: {name: db}
	            - configMapRef: {name: settings}
	YAML
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shared\nstringData:\n  token: \"shared-base-value\"\n" |
		"$SEALCTL" seal -r "$PUB" --scope cluster -n default | sed "/^  namespace: /d" >repo/apps/base/shared.sealed.yaml &&
	for env in staging prod; do
		cat >repo/apps/overlays/$env/kustomization.yaml <<-YAML &&
		namespace: $env
		namePrefix: $env-
		resources:
		  - ../../base
		  - db.sealed.yaml
		configurations:
		  - sealedsecret-namereference.yaml
		patches:
		  - path: replicas.yaml
		configMapGenerator:
		  - name: settings
		    literals: [mode=$env]
		YAML
		ss_nameref repo/apps/overlays/$env &&
		printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n" \
			>repo/apps/overlays/$env/replicas.yaml &&
		ss_seal_as $env $env-db strict db password=pw-$env >repo/apps/overlays/$env/db.sealed.yaml || return 1
	done &&
	echo "unrelated: 1" >repo/other/x.txt &&
	ss_commit one
'

test_expect_success 'each overlay unit applies the objects kustomize builds, values unsealed' '
	sync_k --unit staging=apps/overlays/staging:staging --unit prod=apps/overlays/prod:prod &&
	for env in staging prod; do
		"$KUSTOMIZE" build repo/apps/overlays/$env >built-$env.yaml &&
		printf "%s\n" "$env-shared.token=shared-base-value" "$env-db.password=pw-$env" >values-$env &&
		ss_compare_build built-$env.yaml values-$env >cmp-$env &&
		test "$(cat cmp-$env)" = same || return 1
	done
'

test_expect_success 'the set of applied objects is the set kustomize printed (inventory)' '
	for env in staging prod; do
		ss_objects built-$env.yaml >want-$env &&
		kubectl -n sealsync-system get configmap sealsync-inv-$env -o jsonpath={.data.objects} |
			/usr/bin/python3 -c "import json,sys; print(\"\n\".join(sorted(\"%s %s %s\" % (o[1], o[2] or \"-\", o[3]) for o in json.load(sys.stdin))))" >got-$env &&
		test_cmp want-$env got-$env || return 1
	done &&
	grep -q "^Deployment staging staging-web$" want-staging &&
	grep -q "^ConfigMap prod prod-settings-" want-prod
'

test_expect_success 'the prefix followed the SealedSecret into the Deployment (nameReference snippet)' '
	kubectl -n prod get deployment prod-web -o jsonpath="{.spec.template.spec.containers[0].envFrom[*].secretRef.name}" >refs &&
	test "$(cat refs)" = "prod-shared prod-db" &&
	kubectl -n prod get secret prod-shared -o jsonpath={.data.token} | base64 -d >v &&
	test "$(cat v)" = shared-base-value
'

test_expect_success 'logs: one render per unit, errors name no value, no plaintext' '
	test "$(grep -c "\"unit rendered\"" agent.log)" = 2 &&
	grep "\"unit rendered\"" agent.log | grep -q "\"folder\":\"apps/overlays/prod\"" &&
	test_not_contains pw-prod agent.log &&
	test_not_contains shared-base-value agent.log
'

test_done
