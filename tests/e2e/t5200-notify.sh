#!/bin/bash
# Notifications out (docs/OPERATIONS.md "Notifications"): a unit fails and
# recovers, and a receiver on 127.0.0.1 gets one signed POST for each; the
# signature verifies and a replay is detectable by its timestamp; Slack and
# Teams payloads have their shapes; no value, token or webhook URL is in a
# payload, a log line or an Event; with the receiver down the syncs go on,
# and when it is back the queued events arrive, at most the queue bound.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl curl openssl python3

RECV="$PYTHON $SS_SRC_DIR/tests/e2e/notifyrecv.py"
# The URLs carry a token in their path, as Slack's and Teams' do.
HOOK_TOKEN=hooktoken-4b1d9c77e0
SLACK_TOKEN=slacktoken-9f3e21aa08
TEAMS_TOKEN=teamstoken-77c0d2b615
VALUE=notify-plaintext-value-31
VALUE2=notify-plaintext-value-32

# count FILE EVENT: webhook requests recorded in FILE for EVENT.
count() {
	[ -f "$1" ] || { echo 0; return; }
	$PYTHON -c 'import json,sys; print(sum(json.loads(l)["body"].find("\"event\":\"%s\"" % sys.argv[2]) >= 0 for l in open(sys.argv[1])))' "$1" "$2"
}
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
applied_rev() {
	kubectl -n sealsync-system get configmap sealsync-inv-apps -o jsonpath={.data.revision}
}
metric() { curl -sS "http://127.0.0.1:$PORT/metrics" | sed -n "s/^$1 //p"; }
syncs() { grep -c '"sync succeeded"' agent.log; }
failed_syncs() { grep -c '"sync failed"' agent.log; }
start_hook() {
	ss_daemon hookrecv $RECV --port "$HPORT" --log "$TRASH/hook.jsonl" \
		--cert tls/agent.crt --key tls/agent.key &&
	ss_wait_port "$HPORT"
}
bad_commit() {
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n' >repo/apps/bad.yaml &&
	ss_commit "$1"
}
good_commit() {
	rm -f repo/apps/bad.yaml &&
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  n: "%s"\n' "$1" >repo/apps/web.yaml &&
	ss_commit "good $1"
}

test_expect_success 'setup: two receivers, the agent with three targets syncs' '
	ss_keys && ss_apiserver_start && ss_repo_init && make_tls &&
	mkdir -p repo/apps notify && chmod 700 notify &&
	ss_seal "" db password=$VALUE >repo/apps/db.sealed.yaml &&
	good_commit 1 &&
	HPORT=$(ss_free_port) && SPORT=$(ss_free_port) && PORT=$(ss_free_port) &&
	printf "https://127.0.0.1:%s/hook/%s\n" "$HPORT" "$HOOK_TOKEN" >notify/ops-url &&
	printf "http://127.0.0.1:%s/slack/%s\n" "$SPORT" "$SLACK_TOKEN" >notify/slack-url &&
	printf "http://127.0.0.1:%s/teams/%s\n" "$SPORT" "$TEAMS_TOKEN" >notify/teams-url &&
	printf "hmac-key-for-tests-0d5e\n" >notify/ops-hmac &&
	chmod 600 notify/* &&
	cat >agent.yaml <<-EOF2 &&
	name: sealsync
	cacheDir: $TRASH/cache
	leaderElection: false
	source:
	  url: file://$TRASH/repo
	  interval: 1s
	units:
	  - name: apps
	    path: apps
	keys:
	  file: $TRASH/keys.txt
	kube:
	  kubeconfig: $KUBECONFIG
	  maxRetries: 2
	http:
	  listen: 127.0.0.1:$PORT
	notifyQueue: 3
	notify:
	  - name: ops
	    type: webhook
	    urlFile: $TRASH/notify/ops-url
	    secretFile: $TRASH/notify/ops-hmac
	    caFile: $TRASH/tls/ca.crt
	  - name: chat
	    type: slack
	    urlFile: $TRASH/notify/slack-url
	    events: [failure, recovery]
	    insecure: true
	  - name: teams
	    type: teams
	    urlFile: $TRASH/notify/teams-url
	    events: [failure]
	    insecure: true
	EOF2
	start_hook &&
	ss_daemon recv2 $RECV --port "$SPORT" --log "$TRASH/chat.jsonl" &&
	ss_wait_port "$SPORT" &&
	ss_daemon agent "$AGENT" --config agent.yaml --log-level debug &&
	poll_eq "$(git -C repo rev-parse HEAD)" applied_rev &&
	test "$(ss_secret_value default db password)" = "$VALUE"
'

test_expect_success 'a success without a failure before it sends nothing' '
	poll_gt 2 syncs &&
	test "$(lines hook.jsonl)" = 0 && test "$(lines chat.jsonl)" = 0
'

test_expect_success 'a value sealed to the wrong key: one signed failure POST per streak' '
	"$SEALCTL" keygen -w other.txt 2>/dev/null &&
	other=$(sed -n "s/^# public key: //p" other.txt) &&
	cp repo/apps/db.sealed.yaml db.good &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: %s\n" "$VALUE2" |
		"$SEALCTL" seal -r "$other" --namespace default >repo/apps/db.sealed.yaml &&
	ss_commit "wrong key" &&
	poll_eq 1 count hook.jsonl failure &&
	n=$(failed_syncs) && poll_gt $((n + 2)) failed_syncs &&
	test "$(count hook.jsonl failure)" = 1 &&
	test "$(lines hook.jsonl)" = 1 &&
	head -n 1 hook.jsonl >failure.jsonl &&
	$RECV verify notify/ops-hmac 300 failure.jsonl &&
	$PYTHON - "$(git -C repo rev-parse HEAD)" <<-\PY
	import json, sys
	r = json.loads(open("failure.jsonl").read())
	assert r["method"] == "POST" and r["path"].startswith("/hook/"), r
	assert r["headers"]["content-type"] == "application/json", r
	b = json.loads(r["body"])
	assert set(b) == {"event", "unit", "revision", "objects", "reason", "agent", "time"}, b
	assert b["event"] == "failure" and b["unit"] == "apps" and b["agent"] == "sealsync", b
	assert b["revision"] == sys.argv[1] and b["reason"] == "unseal", b
	o = b["objects"]
	assert len(o) == 1 and o[0]["name"] == "db" and o[0]["namespace"] == "default", o
	assert o[0]["kind"] in ("SealedSecret", "Secret"), o
	PY
'

test_expect_success 'the fix: a signed recovery POST after the failure' '
	cp db.good repo/apps/db.sealed.yaml &&
	good_commit 2 &&
	poll_eq "$(git -C repo rev-parse HEAD)" applied_rev &&
	poll_eq 1 count hook.jsonl recovery &&
	test "$(lines hook.jsonl)" = 2 &&
	$RECV verify notify/ops-hmac 300 hook.jsonl &&
	$PYTHON - "$(git -C repo rev-parse HEAD)" <<-\PY
	import json, sys
	rs = [json.loads(l) for l in open("hook.jsonl")]
	ev = [json.loads(r["body"]) for r in rs]
	assert [e["event"] for e in ev] == ["failure", "recovery"], ev
	assert ev[1]["revision"] == sys.argv[1] and ev[1]["reason"] == "recovered", ev
	PY
'

test_expect_success 'a replay is detectable: a receiver refuses an old timestamp or a changed body' '
	later=$(( $(date +%s) + 301 )) &&
	test_must_fail $RECV verify notify/ops-hmac 300 hook.jsonl "$later" >replay.out &&
	grep -q "stale timestamp" replay.out &&
	sed "s/recovered/recoverez/" hook.jsonl >tampered.jsonl &&
	test_must_fail $RECV verify notify/ops-hmac 300 tampered.jsonl >tampered.out &&
	grep -q "bad signature" tampered.out &&
	printf "wrong-key\n" >wrong.key &&
	test_must_fail $RECV verify wrong.key 300 hook.jsonl
'

test_expect_success 'Slack gets {text, blocks}; Teams an Adaptive Card 1.4 in a message' '
	poll_eq 3 lines chat.jsonl &&
	$PYTHON - <<-\PY
	import json
	rs = [json.loads(l) for l in open("chat.jsonl")]
	slack = [json.loads(r["body"]) for r in rs if r["path"].startswith("/slack/")]
	teams = [json.loads(r["body"]) for r in rs if r["path"].startswith("/teams/")]
	assert len(slack) == 2 and len(teams) == 1, rs
	for r in rs:
	    assert "x-sealsync-signature" not in r["headers"], r
	for s in slack:
	    assert set(s) == {"text", "blocks"} and isinstance(s["text"], str), s
	    assert s["blocks"][0]["type"] == "section", s
	    assert s["blocks"][0]["text"]["type"] == "mrkdwn", s
	assert "Sync failed" in slack[0]["text"] and "apps" in slack[0]["text"], slack
	assert "Sync recovered" in slack[1]["text"], slack
	t = teams[0]
	assert t["type"] == "message" and len(t["attachments"]) == 1, t
	a = t["attachments"][0]
	assert a["contentType"] == "application/vnd.microsoft.card.adaptive", a
	c = a["content"]
	assert c["type"] == "AdaptiveCard" and c["version"] == "1.4", c
	assert c["body"][0]["type"] == "TextBlock" and c["body"][0]["text"] == "Sync failed", c
	facts = {f["title"]: f["value"] for f in c["body"][1]["facts"]}
	assert facts["Unit"] == "apps" and facts["Reason"] == "unseal", facts
	assert "@type" not in t and "themeColor" not in t, t
	PY
'

test_expect_success 'no value, token or webhook URL in payloads, logs, metrics or Events' '
	kubectl -n sealsync-system get events -o yaml >events.yaml &&
	kubectl get events -A -o yaml >>events.yaml &&
	grep -q "sealsync-inv-apps" events.yaml &&
	curl -sS "http://127.0.0.1:$PORT/metrics" >metrics.txt &&
	$PYTHON -c "import json,sys; [print(json.loads(l)[\"body\"]) for f in sys.argv[1:] for l in open(f)]" \
		hook.jsonl chat.jsonl >payloads.txt &&
	test "$(wc -l <payloads.txt)" = 5 &&
	cat payloads.txt agent.log events.yaml metrics.txt >all.txt &&
	token=$($PYTHON -c "import json,sys,yaml; print(yaml.safe_load(open(sys.argv[1]))[\"users\"][0][\"user\"].get(\"token\",\"no-token-in-kubeconfig\"))" "$KUBECONFIG" 2>/dev/null ||
		sed -n "s/^ *token: //p" "$KUBECONFIG" | head -n 1) &&
	test -n "$token" &&
	for s in "$VALUE" "$(printf %s "$VALUE" | base64)" "$VALUE2" "$token" "$HOOK_TOKEN" "$SLACK_TOKEN" \
		"$TEAMS_TOKEN" "hmac-key-for-tests" "127.0.0.1:$HPORT" "127.0.0.1:$SPORT"; do
		test_not_contains "$s" all.txt || return 1
	done
'

test_expect_success 'metrics count what was sent per target' '
	test "$(metric "sealsync_notifications_sent_total{target=\"ops\"}")" = 2 &&
	test "$(metric "sealsync_notifications_sent_total{target=\"chat\"}")" = 2 &&
	test "$(metric "sealsync_notifications_sent_total{target=\"teams\"}")" = 1 &&
	test "$(metric "sealsync_notifications_queued{target=\"ops\"}")" = 0
'

test_expect_success 'receiver down: the syncs go on, every revision is applied' '
	ss_stop "$hookrecv_pid" &&
	before=$(lines hook.jsonl) &&
	for i in 3 4 5; do
		n=$(failed_syncs) && bad_commit "bad $i" &&
		poll_gt "$n" failed_syncs &&
		good_commit "$i" &&
		poll_eq "$(git -C repo rev-parse HEAD)" applied_rev || return 1
	done &&
	test "$(lines hook.jsonl)" = "$before" &&
	test "$(ss_secret_value default db password)" = "$VALUE" &&
	test "$(metric "sealsync_notifications_sent_total{target=\"ops\"}")" = 2 &&
	poll_gt 0 metric "sealsync_notifications_failed_total{target=\"ops\"}" &&
	echo "$before" >before.n
'

test_expect_success 'receiver back: the queued events arrive, at most the bound; overflow counted' '
	start_hook &&
	poll_eq 0 metric "sealsync_notifications_queued{target=\"ops\"}" &&
	before=$(cat before.n) && got=$(( $(lines hook.jsonl) - before )) &&
	echo "# delivered after the outage: $got" &&
	test "$got" -ge 1 && test "$got" -le 3 &&
	test "$(metric "sealsync_notifications_dropped_total{target=\"ops\",reason=\"overflow\"}")" -ge 3 &&
	tail -n 1 hook.jsonl >last.jsonl &&
	grep -q "\\\\\"event\\\\\":\\\\\"recovery\\\\\"" last.jsonl &&
	$RECV verify notify/ops-hmac 300 last.jsonl
'

# last_event FILE: the body of the last request in FILE.
last_event() { tail -n 1 "$1" | $PYTHON -c "import json,sys; print(json.loads(sys.stdin.read())[\"body\"])"; }

test_expect_success 'a Namespace that left Git without pruneClusterScoped: prune-refused' '
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: notify-ns\n" >repo/apps/ns.yaml &&
	ss_commit "add a namespace" &&
	poll_eq "$(git -C repo rev-parse HEAD)" applied_rev &&
	n=$(lines hook.jsonl) &&
	git -C repo rm -q apps/ns.yaml && ss_commit "drop the namespace" &&
	poll_eq "$(git -C repo rev-parse HEAD)" applied_rev &&
	poll_eq $((n + 1)) lines hook.jsonl &&
	last_event hook.jsonl >refused.json && cat refused.json &&
	$PYTHON - <<-\PY &&
	import json
	b = json.load(open("refused.json"))
	assert b["event"] == "prune-refused" and b["reason"] == "prune-cluster-scoped", b
	assert b["objects"] == [{"apiVersion": "v1", "kind": "Namespace", "namespace": None,
	                         "name": "notify-ns"}], b
	PY
	kubectl get namespace notify-ns
'

test_expect_success 'a unit emptied without allowEmpty: failure, then prune-refused, once' '
	n=$(lines hook.jsonl) &&
	git -C repo rm -q "apps/*.yaml" && mkdir -p repo/apps && echo "moved away" >repo/apps/README &&
	ss_commit "empty the unit" &&
	poll_eq $((n + 2)) lines hook.jsonl &&
	f=$(failed_syncs) && poll_gt $((f + 2)) failed_syncs &&
	test "$(lines hook.jsonl)" = $((n + 2)) &&
	tail -n 2 hook.jsonl >empty.jsonl &&
	$RECV verify notify/ops-hmac 300 empty.jsonl &&
	$PYTHON - <<-\PY &&
	import json
	ev = sorted((json.loads(json.loads(l)["body"]) for l in open("empty.jsonl")),
	            key=lambda e: e["event"])
	assert [e["event"] for e in ev] == ["failure", "prune-refused"], ev
	assert ev[1]["reason"] == "allow-empty", ev
	names = sorted(o["name"] for o in ev[1]["objects"])
	assert names == ["db", "web"], names
	PY
	test "$(ss_secret_value default db password)" = "$VALUE"
'

test_expect_success 'a managed key rotated by the agent: a signed rotation POST naming the Secret' '
	git init -q -b main repo2 && echo empty >repo2/README &&
	git -C repo2 add -A && git -C repo2 commit -q -m empty &&
	cat >rot.yaml <<-EOF2 &&
	name: rot
	cacheDir: $TRASH/cache2
	leaderElection: false
	source:
	  url: file://$TRASH/repo2
	  interval: 1s
	units:
	  - name: none
	    path: .
	keys:
	  managed: true
	  renewPeriod: 3s
	kube:
	  kubeconfig: $KUBECONFIG
	notify:
	  - name: ops
	    type: webhook
	    urlFile: $TRASH/notify/ops-url
	    secretFile: $TRASH/notify/ops-hmac
	    caFile: $TRASH/tls/ca.crt
	    events: [rotation]
	EOF2
	ss_daemon rotagent "$AGENT" --config rot.yaml --log-level debug &&
	poll_gt 0 count hook.jsonl rotation &&
	ss_stop "$rotagent_pid" &&
	grep "rotation" hook.jsonl | head -n 1 >rot.jsonl &&
	$RECV verify notify/ops-hmac 300 rot.jsonl &&
	$PYTHON - <<-\PY &&
	import json
	b = json.loads(json.loads(open("rot.jsonl").read())["body"])
	assert b["event"] == "rotation" and b["reason"] == "renew-period", b
	assert b["unit"] is None and b["agent"] == "rot", b
	assert b["objects"] == [{"apiVersion": "v1", "kind": "Secret",
	                         "namespace": "sealsync-system", "name": "rot-keys"}], b
	PY
	grep -q "rotated: new active key" rotagent.log &&
	test_not_contains AGE-SECRET-KEY hook.jsonl
'

test_expect_success 'an http:// URL without insecure is refused at start, the URL unsaid' '
	printf "http://127.0.0.1:%s/hook/%s\n" "$HPORT" "$HOOK_TOKEN" >notify/plain-url &&
	chmod 600 notify/plain-url &&
	sed "s|notify/ops-url|notify/plain-url|" agent.yaml >plain.yaml &&
	test_must_fail "$AGENT" -n --config plain.yaml 2>plain.err &&
	cat plain.err &&
	grep -q "notify target ops" plain.err && grep -q "plain-url" plain.err &&
	grep -q "https" plain.err &&
	test_not_contains "$HOOK_TOKEN" plain.err && test_not_contains "127.0.0.1:$HPORT" plain.err
'

test_expect_success 'a URL file others can read is refused; a typo in a target is named' '
	chmod 644 notify/ops-url &&
	test_must_fail "$AGENT" -n --config agent.yaml 2>perm.err &&
	grep -q "ops-url" perm.err && test_not_contains "$HOOK_TOKEN" perm.err &&
	chmod 600 notify/ops-url &&
	sed "s/secretFile:/secretFlie:/" agent.yaml >typo.yaml &&
	test_must_fail "$AGENT" -n --config typo.yaml 2>typo.err &&
	grep -q "notify\[0\]" typo.err && grep -q "did you mean secretFile" typo.err
'

test_done
