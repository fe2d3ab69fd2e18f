#!/bin/bash
# Invariants 1 and 2: no plaintext value on disk (cache, working folder,
# /tmp) and none in logs at debug level, even when the API server's error
# text echoes a value (as an admission webhook's message can).
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

VALUE=plain-$(openssl rand -hex 12)
B64=$(printf %s "$VALUE" | base64 -w0)

test_expect_success 'setup and sync a SealedSecret' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	ss_seal "" db password="$VALUE" >repo/apps/db.sealed.yaml &&
	ss_commit first &&
	ss_sync --path apps &&
	test "$(ss_secret_value default db password)" = "$VALUE"
'

test_expect_success 'no file under the cache, the trash folder or /tmp holds the value' '
	! grep -r -F -l -e "$VALUE" cache repo keys.txt agent.log 2>/dev/null &&
	! grep -r -F -l -e "$B64" cache agent.log 2>/dev/null &&
	# find fails when a file vanishes under it (other programs use /tmp).
	{ find /tmp -xdev -type f -mmin -30 -size -20M -print0 2>/dev/null >tmpfiles || :; } &&
	! xargs -0 -r grep -F -l -e "$VALUE" <tmpfiles 2>/dev/null
'

test_expect_success 'the cache holds a bare repository only (no work tree)' '
	! find cache -type f -name "*.yaml" | grep -q . &&
	find cache -name HEAD | grep -q .
'

test_expect_success_faults 'an API error that echoes the value is redacted in the logs' '
	ss_seal "" db password="$VALUE" extra=more >repo/apps/db.sealed.yaml &&
	ss_commit second &&
	ss_fault "{\"type\":\"422\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/default/secrets/db\",\"count\":10,\"message\":\"admission webhook denied: password $VALUE is weak (b64 $B64)\"}" &&
	: >agent.log &&
	test_must_fail ss_sync --path apps &&
	ss_faults_clear &&
	grep -q "sync failed" agent.log &&
	grep -q "admission webhook denied" agent.log &&
	test_not_contains "$VALUE" agent.log &&
	test_not_contains "$B64" agent.log
'

test_expect_success 'the running agent has a zero core limit and logs no value at debug' '
	"$AGENT" --repo "file://$TRASH/repo" --path apps --identities keys.txt --cache-dir cache \
		--kubeconfig "$KUBECONFIG" --interval 3600 --log-level debug 2>loop.log &
	pid=$! &&
	test_when_finished "kill $pid" &&
	i=0 && while ! grep -q "sync" loop.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done &&
	grep "^Max core file size" /proc/$pid/limits | grep -q " 0 " &&
	test_not_contains "$VALUE" loop.log
'

test_done
