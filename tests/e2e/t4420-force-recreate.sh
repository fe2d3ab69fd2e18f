#!/bin/bash
# Force (docs/CONFIG.md "Health checks and dependsOn"): a Job whose
# template changed in Git is refused by the API server (spec.template is
# immutable); without sealsync.dev/force the unit fails naming the Job, the
# field and the annotation, and the Job is left alone; with it the Job is
# deleted and re-created (a new uid, the new template).
# servers: real (tests/apiserver does not refuse immutable fields)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" python3
SS_KUBE_SERVER=real

job() { # IMAGE [ANNOTATION-LINE]
	cat >repo/apps/job.yaml <<-Y
	apiVersion: batch/v1
	kind: Job
	metadata:
	  name: migrate
	  namespace: shop
	$2
	spec:
	  template:
	    spec:
	      restartPolicy: Never
	      containers: [{name: c, image: $1}]
	Y
}

test_expect_success 'setup: a Job applied from Git' '
	ss_kube_start && ss_keys && ss_repo_init && ss_ns shop &&
	mkdir -p repo/apps &&
	job registry.example/migrate:1 && ss_commit first &&
	ss_sync --path apps &&
	kubectl -n shop get job migrate -o jsonpath="{.metadata.uid}" >uid1 &&
	test -s uid1
'

test_expect_success 'a changed template without the annotation: the unit fails naming Job, field and annotation' '
	job registry.example/migrate:2 && ss_commit "new image" &&
	: >agent.log &&
	test_must_fail ss_sync --path apps &&
	grep "\"sync failed\"" agent.log >failed &&
	grep -q "Job shop/migrate" failed &&
	grep -q "field spec.template is immutable" failed &&
	grep -q "sealsync.dev/force" failed &&
	grep -q "kubectl delete Job migrate -n shop" failed &&
	test "$(kubectl -n shop get job migrate -o jsonpath="{.metadata.uid}")" = "$(cat uid1)" &&
	kubectl -n shop get job migrate -o jsonpath="{.spec.template.spec.containers[0].image}" |
		grep -qx registry.example/migrate:1
'

test_expect_success 'with sealsync.dev/force: "true" the Job is deleted and re-created' '
	job registry.example/migrate:2 "  annotations: {sealsync.dev/force: \"true\"}" &&
	ss_commit "force it" &&
	: >agent.log &&
	ss_sync --path apps &&
	grep -q "deleting and re-creating the object" agent.log &&
	kubectl -n shop get job migrate -o jsonpath="{.metadata.uid}" >uid2 &&
	! test "$(cat uid2)" = "$(cat uid1)" &&
	kubectl -n shop get job migrate -o jsonpath="{.spec.template.spec.containers[0].image}" |
		grep -qx registry.example/migrate:2 &&
	test "$($REQLOG "$API_LOG" count DELETE --path /jobs/migrate)" = 1
'

test_done
