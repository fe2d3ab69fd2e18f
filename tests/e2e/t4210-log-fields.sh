#!/bin/bash
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
# Logs a newcomer can use: counts are JSON numbers, the agent says what it
# is about to do when it starts, and a unit that fails after a restart
# names the revision the cluster keeps (from its inventory).
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

test_expect_success 'setup: keys, a repo with one unit, an API server' '
	ss_keys && ss_repo_init && mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n" >repo/apps/cm.yaml &&
	ss_seal "" api token=t0k3n >repo/apps/api.sealed.yaml &&
	ss_commit first && ss_apiserver_start
'

test_expect_success 'JSON logs: applied, pruned, values are numbers, duration a number' '
	ss_sync --path apps --log-format json 2>json.log &&
	grep "\"sync succeeded\"" "$TRASH/agent.log" | tail -n 1 >ok.json &&
	cat ok.json &&
	/usr/bin/python3 - ok.json <<-\PY
	import json, sys
	o = json.loads(open(sys.argv[1]).read())
	assert o["applied"] == 2 and type(o["applied"]) is int, o
	assert o["pruned"] == 0 and type(o["pruned"]) is int, o
	assert o["values"] == 1 and type(o["values"]) is int, o
	assert type(o["duration"]) is float and o["duration"] >= 0, o
	assert type(o["unit"]) is str and type(o["revision"]) is str, o
	PY
'

test_expect_success 'a unit named like a number stays a string' '
	mkdir -p repo/num &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: num\n" >repo/num/cm.yaml &&
	ss_commit num && ss_ns n123 && ss_sync --unit 123=num:n123 &&
	grep "\"sync succeeded\"" "$TRASH/agent.log" | tail -n 1 | grep -q "\"unit\":\"123\""
'

test_expect_success 'the start-up line names version, mode, units, listen address and keys' '
	"$AGENT" -n --repo "file://$TRASH/repo" --identities keys.txt --cache-dir cache \
		--unit apps=apps --unit more=apps:other 2>check.log &&
	grep "\"sealsync-agent starting\"" check.log >start.json &&
	cat start.json &&
	test "$(wc -l <start.json)" -eq 1 &&
	/usr/bin/python3 - start.json "$PUB" <<-\PY
	import json, sys
	o = json.loads(open(sys.argv[1]).read())
	assert o["version"] and o["commit"], o
	assert o["mode"] == "check", o
	assert o["units"] == 2, o
	assert o["unit_paths"] == "apps=apps,more=apps", o
	assert o["listen"] == "(none)", o
	hint, rec = o["keys"].split("=")
	assert rec == sys.argv[2] and len(hint) == 6, o
	PY
'

test_expect_success 'the service start-up line shows the listen address' '
	port=$(/usr/bin/python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])") &&
	ss_daemon svc "$AGENT" --repo "file://$TRASH/repo" --path apps --identities keys.txt \
		--cache-dir cache --kubeconfig "$KUBECONFIG" --no-leader-election \
		--listen "127.0.0.1:$port" --log-format text &&
	i=0 && while ! grep -q "starting" svc.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	ss_stop "$svc_pid" &&
	grep "sealsync-agent starting" svc.log >line &&
	cat line &&
	grep -q " mode=service " line && grep -q " listen=127.0.0.1:$port " line &&
	grep -q " units=1 " line
'

test_expect_success '--once failing at unseal after a restart logs kept=<the applied commit>' '
	ss_sync --path apps && good=$(git -C repo rev-parse HEAD) &&
	"$SEALCTL" keygen -w other.txt 2>/dev/null &&
	other=$(sed -n "s/^# public key: //p" other.txt) &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\nstringData:\n  token: x\n" |
		"$SEALCTL" seal -r "$other" --namespace default >repo/apps/api.sealed.yaml &&
	ss_commit "sealed to another key" &&
	: >"$TRASH/agent.log" &&
	test_expect_code 1 ss_sync --path apps --log-format text &&
	grep "sync failed" "$TRASH/agent.log" >fail.line &&
	cat fail.line &&
	grep -q " stage=unseal " fail.line &&
	grep -q " kept=$good" fail.line
'

test_expect_success 'the start-up line never shows a password from the repo URL' '
	test_expect_code 1 "$AGENT" -n --repo "https://user:hunter2secret@127.0.0.1:1/repo.git" \
		--path apps --identities keys.txt --cache-dir cache3 --timeout 2s 2>url.log;
	grep "sealsync-agent starting" url.log >url.line && cat url.line &&
	grep -q "\"repo\":\"https://127.0.0.1:1/repo.git\"" url.line &&
	test_not_contains hunter2secret url.line
'

test_done
