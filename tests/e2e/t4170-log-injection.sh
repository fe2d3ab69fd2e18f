#!/bin/bash
# File names are attacker-chosen text (anyone who can commit names files):
# a newline in one must not forge a log line in text logs, and bytes that
# are not UTF-8 must not make a JSON log field or the Kubernetes Event
# disappear.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

FORGED=$(printf 'apps/x\n2001-01-01T00:00:00.000Z info  sync succeeded unit=default revision=forged .yaml')
BADUTF=$(printf 'apps/bad\377\376.yaml')

# The newest SyncFailed Event's message ("" when none).
failed_event() {
	kubectl -n sealsync-system get events -o json |
		$PYTHON -c "import json,sys; e=[i for i in json.load(sys.stdin)[\"items\"] if i[\"reason\"]==\"SyncFailed\"]; print(e[-1][\"message\"] if e else \"\")"
}

test_expect_success 'setup: one ConfigMap applied' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" >repo/apps/a.yaml &&
	ss_commit first &&
	ss_sync --path apps
'

test_expect_success 'text logs: a newline in a file name is escaped, no line is forged' '
	printf "a: [\n" >"repo/$FORGED" &&
	ss_commit "newline in a name" &&
	: >agent.log &&
	test_must_fail ss_sync --path apps --log-format text &&
	cp agent.log agent-newline.log &&
	grep "sync failed" agent.log >failed.log &&
	grep -F -q "apps/x\\n2001-01-01T00:00:00.000Z" failed.log &&
	! grep -q "^2001-01-01" agent.log &&
	! grep -q "^[^ ]* info  *sync succeeded" agent.log &&
	# Every line is one record: a timestamp, a level, a message.
	! grep -v -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (debug|info |warn |error) " agent.log
'

test_expect_success 'text logs: values with spaces, quotes or = are quoted (logfmt)' '
	grep -F -q "file=\"apps/x\\n2001-01-01T00:00:00.000Z info  sync succeeded unit=default revision=forged .yaml\"" failed.log
'

test_expect_success 'the Event of the failed sync exists, with the newline escaped' '
	failed_event >event.txt &&
	grep -F -q "apps/x\\n2001-01-01" event.txt
'

test_expect_success 'JSON logs: a file name that is not UTF-8 keeps its error field, as \xNN' '
	git -C repo rm -q "$FORGED" &&
	printf "a: [\n" >"repo/$BADUTF" &&
	ss_commit "not UTF-8" &&
	: >agent.log &&
	test_must_fail ss_sync --path apps &&
	$PYTHON - agent.log <<-\PY
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1], "rb")]
	bad = [l for l in lines if l["msg"] == "sync failed"]
	assert bad, lines
	assert "apps/bad\\xff\\xfe.yaml" in bad[0]["error"], bad[0]
	assert bad[0]["file"] == "apps/bad\\xff\\xfe.yaml", bad[0]
	assert not [l for l in lines if l["msg"] == "cannot post an Event"], lines
	PY
'

test_expect_success 'the Event of that sync exists and names the file' '
	poll_gt 0 eval "failed_event | grep -c -F \"apps/bad\\\\xff\\\\xfe.yaml\""
'

test_expect_success 'text logs: the bytes are \xNN there too' '
	: >agent.log &&
	test_must_fail ss_sync --path apps --log-format text &&
	grep "sync failed" agent.log | grep -F -q "apps/bad\\xff\\xfe.yaml"
'

test_done
