#!/bin/bash
# Health checks against real controllers (tests/kube --workloads, with the
# job controller): a Deployment whose Pods become Ready makes its unit
# healthy; one whose Pods never become Ready (podrunner annotation) passes
# its progress deadline and makes its unit unhealthy, named in the log, an
# Event, /v1/status and a metric; a failed Job does the same; a unit that
# dependsOn the Deployment's unit creates its objects only after the
# Deployment is Available.
# servers: real (the kube stage of tests/run.sh only)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" python3 curl
SS_KUBE_SERVER=real
KUBE_CONTROLLERS=deployment-controller,replicaset-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,pod-garbage-collector-controller,job-controller
export KUBE_CONTROLLERS

deployment() { # FILE NAME READY(true|false) DEADLINE
	cat >"$1" <<-Y
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: $2, namespace: shop}
	spec:
	  replicas: 1
	  progressDeadlineSeconds: $4
	  selector: {matchLabels: {app: $2}}
	  template:
	    metadata:
	      labels: {app: $2}
	      annotations: {podrunner.sealsync.dev/ready: "$3"}
	    spec:
	      containers: [{name: c, image: registry.example/$2:1}]
	Y
}
status_of() { # FILE UNIT KEY (dotted)
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
u=[u for u in j["units"] if u["name"]==sys.argv[2]][0]
for k in sys.argv[3].split("."): u=u[k]
print(json.dumps(u) if isinstance(u,(list,dict)) else u)' "$@"
}

test_expect_success 'setup: cluster with workloads; units web (wait), app (dependsOn web)' '
	ss_kube_start --workloads && ss_keys && ss_repo_init && ss_ns shop &&
	mkdir -p repo/web repo/app repo/bad repo/job &&
	deployment repo/web/web.yaml web true 600 &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-cfg\n  namespace: shop\n" >repo/app/cm.yaml &&
	cat >cfg.yaml <<-\Y
	units:
	  - {name: app, path: app, dependsOn: [web]}
	  - {name: web, path: web, wait: true, timeout: 120s}
	Y
	ss_commit first
'

test_expect_success 'a Deployment whose Pods become Ready: unit healthy; the dependent applies after it is Available' '
	ss_sync --config cfg.yaml &&
	grep "\"unit healthy\"" agent.log | grep -q "\"unit\":\"web\"" &&
	kubectl -n shop get deployment web -o json >web.json &&
	kubectl -n shop get configmap app-cfg -o json >cm.json &&
	python3 -c "import json,sys
from datetime import datetime
d=json.load(open(\"web.json\")); c=json.load(open(\"cm.json\"))
av=[x for x in d[\"status\"][\"conditions\"] if x[\"type\"]==\"Available\" and x[\"status\"]==\"True\"]
assert av, d[\"status\"]
t=lambda s: datetime.strptime(s, \"%Y-%m-%dT%H:%M:%SZ\")
assert t(c[\"metadata\"][\"creationTimestamp\"]) >= t(av[0][\"lastTransitionTime\"]), (c[\"metadata\"], av)"
'

test_expect_success 'service: /v1/status and the metric say healthy' '
	PORT=$(ss_free_port) &&
	ss_daemon agent "$AGENT" --config cfg.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" \
		--listen "127.0.0.1:$PORT" --no-leader-election --interval 2s &&
	ss_wait_port "$PORT" &&
	i=0 && while [ $i -lt 300 ]; do
		curl -sS "http://127.0.0.1:$PORT/v1/status" >status.json &&
		test "$(status_of status.json web status)" = healthy && break
		sleep 0.2; i=$((i + 1))
	done &&
	test "$(status_of status.json web status)" = healthy &&
	test "$(status_of status.json app status)" = applied &&
	curl -sS "http://127.0.0.1:$PORT/metrics" | grep -qx "sealsync_unit_healthy{unit=\"web\"} 1"
'

test_expect_success 'a Deployment that never becomes available: unhealthy at its progress deadline, named everywhere' '
	deployment repo/web/web.yaml web false 5 &&
	ss_commit "never ready" &&
	i=0 && while [ $i -lt 600 ]; do
		curl -sS "http://127.0.0.1:$PORT/v1/status" >status.json &&
		test "$(status_of status.json web status)" = unhealthy && break
		sleep 0.2; i=$((i + 1))
	done &&
	test "$(status_of status.json web status)" = unhealthy &&
	status_of status.json web reason | grep -q "Deployment shop/web is Failed: progress deadline exceeded" &&
	status_of status.json web health.notCurrent | grep -q "\"name\": \"web\"" &&
	test "$(status_of status.json app status)" = waiting &&
	grep "\"unit unhealthy\"" agent.log | grep -q "Deployment shop/web is Failed" &&
	curl -sS "http://127.0.0.1:$PORT/metrics" >metrics &&
	grep -qx "sealsync_unit_healthy{unit=\"web\"} 0" metrics &&
	grep -qx "sealsync_unit_object_not_current{unit=\"web\",kind=\"Deployment\",namespace=\"shop\",name=\"web\",status=\"Failed\"} 1" metrics &&
	kubectl -n sealsync-system get events -o json >ev.json &&
	python3 -c "import json
ev=[e for e in json.load(open(\"ev.json\"))[\"items\"] if e[\"reason\"]==\"HealthCheckFailed\"]
assert ev and \"Deployment shop/web\" in ev[-1][\"message\"], ev" &&
	kubectl -n shop get deployment web -o jsonpath="{.spec.template.metadata.annotations}" | grep -q "\"false\""
'

test_expect_success 'a Job that fails: its unit is unhealthy, naming the Job (--once exits 1)' '
	cat >repo/job/job.yaml <<-\Y &&
	apiVersion: batch/v1
	kind: Job
	metadata: {name: migrate, namespace: shop}
	spec:
	  backoffLimit: 0
	  template:
	    metadata:
	      annotations: {podrunner.sealsync.dev/exit: "3"}
	    spec:
	      restartPolicy: Never
	      containers: [{name: c, image: registry.example/migrate:1}]
	Y
	printf "units:\n  - {name: job, path: job, wait: true, timeout: 120s}\n" >job.yaml &&
	ss_commit job &&
	: >once.log &&
	test_must_fail "$AGENT" --once --config job.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache2" --kubeconfig "$KUBECONFIG" \
		--agent-namespace sealsync-system --name once 2>once.log &&
	grep "\"unit unhealthy\"" once.log | grep -q "Job shop/migrate is Failed"
'

test_done
