#!/bin/bash
# Health checks, dependsOn, suspend and GET /v1/status without workloads:
# a unit of ConfigMaps with wait: true is healthy at once (and nothing of it
# is read back); a healthChecks entry that never appears makes its unit
# unhealthy after its timeout, named in the log, an Event, /v1/status and a
# metric; a unit waits for its dependency at the same revision, and for
# ever for one that is not healthy; a cycle or an unknown name is refused at
# load; a suspended unit is skipped. Workloads: t4410; force: t4420.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl curl python3

cm() { # FILE NAME
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: v\n' "$2" >"$1"
}
# jq-less JSON field of /v1/status: unit NAME's KEY (dotted)
status_of() { # FILE UNIT KEY
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
u=[u for u in j["units"] if u["name"]==sys.argv[2]][0]
for k in sys.argv[3].split("."): u=u[k]
print(json.dumps(u) if isinstance(u,(list,dict)) else u)' "$@"
}

test_expect_success 'setup: units base (ConfigMaps, wait) and app (dependsOn base)' '
	ss_apiserver_start && ss_keys && ss_repo_init &&
	mkdir -p repo/base repo/app repo/paused &&
	cm repo/base/a.yaml base-a && cm repo/base/b.yaml base-b &&
	cm repo/app/a.yaml app-a && cm repo/paused/a.yaml paused-a &&
	cat >cfg.yaml <<-\Y &&
	units:
	  - name: app
	    path: app
	    dependsOn: [base]
	  - name: base
	    path: base
	    wait: true
	    timeout: 30s
	  - name: paused
	    path: paused
	    suspend: true
	Y
	ss_commit first
'

test_expect_success '--once: base is healthy at once, then app applies; nothing of base is read back' '
	mark=$(ss_writes_mark) &&
	ss_sync --config cfg.yaml &&
	test "$($REQLOG "$API_LOG" dump --since "$mark" | grep -c "^GET .*/configmaps/base-")" = 0 &&
	kubectl get configmap base-a base-b app-a &&
	grep "\"unit healthy\"" agent.log | grep -q "\"unit\":\"base\"" &&
	grep -q "\"unit suspended: not syncing it\".*\"unit\":\"paused\"" agent.log &&
	test_must_fail kubectl get configmap paused-a
'

test_expect_success 'dependency order: base was applied before app (request log)' '
	$REQLOG "$API_LOG" dump | grep "^PATCH .*/configmaps/\(base-a\|app-a\) " |
		grep -v dryRun | sed "s,.*/configmaps/\([a-z-]*\) .*,\1," | uniq >order &&
	test "$(head -n 1 order)" = base-a &&
	test "$(tail -n 1 order)" = app-a
'

test_expect_success 'a health check that never passes: unhealthy after the timeout, app waits, exit 1' '
	cat >cfg2.yaml <<-\Y &&
	units:
	  - name: base
	    path: base
	    healthChecks:
	      - {apiVersion: v1, kind: ConfigMap, name: never-there}
	    timeout: 3s
	    interval: 2s
	  - name: app
	    path: app
	    dependsOn: [{name: base}]
	Y
	cm repo/app/b.yaml app-b && ss_commit second &&
	: >agent.log &&
	test_must_fail ss_sync --config cfg2.yaml &&
	grep "\"unit unhealthy\"" agent.log >unhealthy &&
	grep -q "\"unit\":\"base\"" unhealthy &&
	grep -q "timed out after 3s" unhealthy &&
	grep -q "ConfigMap default/never-there is NotFound" unhealthy &&
	grep -q "\"unit waits for a dependency\".*waiting for dependency base" agent.log &&
	test_must_fail kubectl get configmap app-b &&
	kubectl get events -n sealsync-system -o json >events.json &&
	python3 -c "import json,sys
ev=[e for e in json.load(open(\"events.json\"))[\"items\"] if e[\"reason\"]==\"HealthCheckFailed\"]
assert ev and \"never-there\" in ev[-1][\"message\"] and ev[-1][\"type\"]==\"Warning\", ev"
'

test_expect_success 'a cycle in dependsOn is refused at load, naming the units' '
	cat >cycle.yaml <<-\Y &&
	units:
	  - {name: a, path: base, dependsOn: [c]}
	  - {name: b, path: app, dependsOn: [a]}
	  - {name: c, path: app, dependsOn: [b]}
	Y
	test_must_fail "$AGENT" -n --config cycle.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache" 2>err &&
	grep -q "dependsOn forms a cycle: a -> c -> b -> a" err
'

test_expect_success 'dependsOn across shards is refused at load, naming both units and shards' '
	cat >shards.yaml <<-\Y &&
	units:
	  - {name: a, path: base, shard: one}
	  - {name: b, path: app, shard: two, dependsOn: [a]}
	Y
	test_must_fail "$AGENT" -n --config shards.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache" 2>err &&
	grep -q "unit b dependsOn a, which is in another shard (one, not two)" err
'

test_expect_success 'an unknown dependsOn name is refused at load, naming both' '
	printf "units:\n  - {name: a, path: base, dependsOn: [bsae]}\n" >unknown.yaml &&
	test_must_fail "$AGENT" -n --config unknown.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache" 2>err &&
	grep -q "unit a: dependsOn names bsae, which is not a unit" err &&
	printf "units:\n  - {name: a, path: base, healthChecks: [{kind: Deployment, name: x}]}\n" >bad.yaml &&
	test_must_fail "$AGENT" -n --config bad.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache" 2>err &&
	grep -q "units\[0\].healthChecks\[0\].apiVersion" err
'

test_expect_success 'service: /v1/status, /readyz detail and the metrics name the unhealthy object' '
	PORT=$(ss_free_port) &&
	ss_daemon agent "$AGENT" --config cfg2.yaml --repo "file://$TRASH/repo" \
		--identities "$TRASH/keys.txt" --cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" \
		--listen "127.0.0.1:$PORT" --no-leader-election --interval 1h &&
	ss_wait_port "$PORT" &&
	i=0 && while [ $i -lt 200 ]; do
		curl -sS "http://127.0.0.1:$PORT/v1/status" >status.json &&
		test "$(status_of status.json base status)" = unhealthy && break
		sleep 0.1; i=$((i + 1))
	done &&
	test "$(status_of status.json base status)" = unhealthy &&
	test "$(status_of status.json base healthy)" = False &&
	status_of status.json base reason | grep -q "never-there is NotFound" &&
	test "$(status_of status.json base health.notCurrent)" != "[]" &&
	status_of status.json base health.notCurrent | grep -q "\"name\": \"never-there\"" &&
	test "$(status_of status.json app status)" = waiting &&
	status_of status.json app reason | grep -q "waiting for dependency base (unhealthy)" &&
	test "$(status_of status.json app dependsOn)" = "[\"base\"]" &&
	curl -sS "http://127.0.0.1:$PORT/metrics" >metrics &&
	grep -qx "sealsync_unit_healthy{unit=\"base\"} 0" metrics &&
	grep -qx "sealsync_unit_status{unit=\"app\",status=\"waiting\"} 1" metrics &&
	grep -qx "sealsync_unit_object_not_current{unit=\"base\",kind=\"ConfigMap\",namespace=\"default\",name=\"never-there\",status=\"NotFound\"} 1" metrics &&
	curl -sS "http://127.0.0.1:$PORT/readyz" | grep -q "base=unhealthy"
'

test_expect_success 'the object appears: base turns healthy, app applies without a new commit' '
	cm never.yaml never-there &&
	kubectl apply --server-side --field-manager hand -f never.yaml >/dev/null &&
	i=0 && while [ $i -lt 300 ] && ! kubectl get configmap app-b >/dev/null 2>&1; do
		sleep 0.2; i=$((i + 1))
	done &&
	kubectl get configmap app-b &&
	curl -sS "http://127.0.0.1:$PORT/v1/status" >status.json &&
	test "$(status_of status.json base status)" = healthy &&
	test "$(status_of status.json app status)" = applied &&
	test "$(status_of status.json app revision)" = "$(git -C repo rev-parse HEAD)"
'

test_done
