#!/bin/bash
# The agent as a service: every HTTP endpoint over HTTPS with curl (status,
# content type, body), /metrics through promtool, the webhook's signature,
# body cap, methods, rate limit, reseal and verify (no plaintext out), Events.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl curl openssl promtool age age-keygen

# st URL-PATH [curl args]: prints the status; body in $TRASH/body, headers in $TRASH/hdrs.
st() {
	p=$1; shift
	curl -sS --cacert "$TRASH/tls/ca.crt" -o "$TRASH/body" -D "$TRASH/hdrs" \
		-w '%{http_code}' "$@" "$URL$p"
}
header() { tr -d '\r' <"$TRASH/hdrs" | sed -n "s/^$1: //Ip" | head -n 1; }
metric() { curl -sS --cacert "$TRASH/tls/ca.crt" "$URL/metrics" | sed -n "s/^$1 //p"; }
sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$(cat "$TRASH/hook.txt")" | sed 's/.*= //'; }
gone() { # PID: exited (or a zombie not yet reaped by this shell)
	! test -d "/proc/$1" || test "$(cut -d" " -f3 "/proc/$1/stat")" = Z
}

ss_keys
ss_apiserver_start
age-keygen -o "$TRASH/escrow.txt" 2>/dev/null
ESCROW=$(sed -n 's/^# public key: //p' "$TRASH/escrow.txt")
make_tls
printf 'hook-secret-for-tests\n' >"$TRASH/hook.txt" && chmod 600 "$TRASH/hook.txt"
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' >repo/apps/ns.yaml
ss_seal shop db password=hunter2-plain user=app-user >repo/apps/db.sealed.yaml
ss_commit first
PORT=$(ss_free_port)
URL=https://127.0.0.1:$PORT
ss_daemon agent "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
	--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --path apps --interval 1h \
	--listen "127.0.0.1:$PORT" --tls-cert "$TRASH/tls/agent.crt" --tls-key "$TRASH/tls/agent.key" \
	--webhook-secret "$TRASH/hook.txt" --extra-recipient "$ESCROW" --http-max-body-kib 64 \
	--http-post-rate 30 --no-leader-election --log-level debug
ss_wait_port "$PORT"

test_expect_success 'TLS is verified: with the test CA /healthz is 200 ok, without it curl fails' '
	test "$(st /healthz)" = 200 &&
	test "$(cat body)" = ok &&
	header Content-Type | grep -q "^text/plain" &&
	test_must_fail curl -sS -o /dev/null "$URL/healthz"
'

test_expect_success '/readyz turns 200 after the first sync, with a JSON detail' '
	poll_eq 200 st /readyz &&
	header Content-Type | grep -q "^application/json" &&
	$PYTHON -c "import json; j=json.load(open(\"body\")); assert j[\"ready\"] is True, j; assert j[\"detail\"]" &&
	test "$(ss_secret_value shop db password)" = hunter2-plain
'

test_expect_success '/metrics is Prometheus text 0.0.4 that promtool accepts, with the values of this sync' '
	test "$(st /metrics)" = 200 &&
	header Content-Type | grep -q "^text/plain; version=0.0.4" &&
	promtool check metrics <body &&
	rev=$(git -C repo rev-parse HEAD) &&
	grep -qx "sealsync_last_applied_revision_info{unit=\"default\",revision=\"$rev\"} 1" body &&
	grep -qx "sealsync_objects_applied_total 2" body &&
	grep -qx "sealsync_keys{state=\"usable\"} 1" body &&
	grep -qx "sealsync_leader 1" body &&
	grep -qx "sealsync_suspended 0" body &&
	grep -q "^sealsync_sync_duration_seconds_bucket{le=\"+Inf\"} [1-9]" body &&
	grep -q "^sealsync_sealed_values{key_hint=\"[A-Za-z0-9+/]*\",recipient=\"$PUB\"} 2$" body &&
	grep -q "^# TYPE sealsync_sync_failures_total counter" body &&
	grep -q "^sealsync_active_key_age_seconds [0-9]" body
'

test_expect_success '/v1/recipients: JSON with the active key and extras; text/plain is a recipients file' '
	test "$(st /v1/recipients)" = 200 &&
	header Content-Type | grep -q "^application/json" &&
	$PYTHON -c "import json,sys; j=json.load(open(\"body\")); assert j[\"active\"]==sys.argv[1], j; assert j[\"extra\"]==[sys.argv[2]], j; assert j[\"recipients\"]==[sys.argv[1]], j" "$PUB" "$ESCROW" &&
	test "$(st /v1/recipients -H "Accept: text/plain")" = 200 &&
	header Content-Type | grep -q "^text/plain" &&
	grep -v "^#" body >lines &&
	printf "%s\n%s\n" "$PUB" "$ESCROW" >expect &&
	test_cmp expect lines &&
	echo secret-for-age | age -R body | age -d -i escrow.txt >decrypted &&
	test "$(cat decrypted)" = secret-for-age
'

test_expect_success 'sealctl recipients --agent verifies TLS, honours pins, wants https' '
	"$SEALCTL" recipients --agent "$URL" --agent-ca tls/ca.crt >out &&
	grep -qx "$PUB" out && grep -qx "$ESCROW" out &&
	"$SEALCTL" recipients --agent "$URL" --agent-ca tls/ca.crt --pin "$PUB" --pin "$ESCROW" >out2 &&
	test_cmp out out2 &&
	test_expect_code 1 "$SEALCTL" recipients --agent "$URL" --agent-ca tls/ca.crt --pin "$PUB" >out3 2>err &&
	grep -q "not pinned" err && ! test -s out3 &&
	test_expect_code 1 "$SEALCTL" recipients --agent "$URL" 2>err &&
	grep -qi "tls\|certificate" err &&
	test_expect_code 2 "$SEALCTL" recipients --agent "http://127.0.0.1:$PORT" 2>err &&
	grep -q https err
'

test_expect_success 'POST /v1/reseal: active key + escrow, scope kept, no plaintext in response or logs' '
	test "$(st /v1/reseal --data-binary @repo/apps/db.sealed.yaml)" = 200 &&
	header Content-Type | grep -q "^application/yaml" &&
	cp body resealed.yaml &&
	sed -n "s/^ *password: //p" resealed.yaml >pw.b64 && test -s pw.b64 &&
	! cmp -s pw.b64 <(sed -n "s/^ *password: //p" repo/apps/db.sealed.yaml) &&
	base64 -d pw.b64 >pw.age &&
	test "$(age -d -i keys.txt pw.age)" = hunter2-plain &&
	test "$(age -d -i escrow.txt pw.age)" = hunter2-plain &&
	grep -a -q "^-> sealsync/scope strict shop db password$" pw.age &&
	test_not_contains hunter2-plain resealed.yaml &&
	test_not_contains "$(printf hunter2-plain | base64)" resealed.yaml &&
	test_not_contains hunter2-plain agent.log &&
	test_not_contains "$(printf hunter2-plain | base64)" agent.log &&
	grep -q "\"path\":\"/v1/reseal\",\"status\":200" agent.log
'

test_expect_success 'POST /v1/reseal with JSON gives JSON, and the result still verifies' '
	$PYTHON -c "import json,sys; print(json.dumps({\"apiVersion\":\"sealsync.dev/v1\",\"kind\":\"SealedSecret\",\"metadata\":{\"name\":\"db\",\"namespace\":\"shop\"},\"spec\":{\"scope\":\"strict\",\"encryptedData\":{\"password\":open(\"pw.b64\").read().strip()}}}))" >in.json &&
	test "$(st /v1/reseal -H "Content-Type: application/json" --data-binary @in.json)" = 200 &&
	header Content-Type | grep -q "^application/json" &&
	$PYTHON -c "import json; j=json.load(open(\"body\")); assert j[\"kind\"]==\"SealedSecret\"" &&
	test "$(st /v1/verify --data-binary @body)" = 200
'

test_expect_success 'POST /v1/verify: 200 when all open, 409 naming the tampered key, no plaintext' '
	test "$(st /v1/verify --data-binary @repo/apps/db.sealed.yaml)" = 200 &&
	$PYTHON -c "import json; j=json.load(open(\"body\")); assert j[\"ok\"] and sorted(j[\"verified\"])==[\"password\",\"user\"], j" &&
	$PYTHON - repo/apps/db.sealed.yaml >tampered.yaml <<-\PY &&
	import base64, re, sys
	out = []
	for line in open(sys.argv[1]):
	    m = re.match(r"^(\s*user: )(\S+)$", line.rstrip("\n"))
	    if m:
	        b = bytearray(base64.b64decode(m.group(2)))
	        b[-1] ^= 1
	        line = m.group(1) + base64.b64encode(bytes(b)).decode() + "\n"
	    out.append(line)
	sys.stdout.write("".join(out))
	PY
	test "$(st /v1/verify --data-binary @tampered.yaml)" = 409 &&
	$PYTHON -c "import json; j=json.load(open(\"body\")); assert not j[\"ok\"] and [f[\"key\"] for f in j[\"failed\"]]==[\"user\"] and j[\"verified\"]==[\"password\"], j" &&
	test_not_contains app-user body &&
	test_not_contains hunter2-plain body
'

test_expect_success 'bad bodies are 400 with the place, never a crash' '
	test "$(st /v1/verify --data-binary "a: [unclosed")" = 400 &&
	grep -q "request body" body &&
	test "$(st /v1/reseal --data-binary "{\"apiVersion\":\"v1\",\"kind\":\"Secret\"}")" = 400 &&
	grep -q SealedSecret body &&
	test "$(st /healthz)" = 200
'

test_expect_success 'webhook: bad or missing signature is 401 and syncs nothing' '
	before=$(metric sealsync_syncs_total) &&
	mark=$(ss_writes_mark) &&
	test "$(st /hook -H "X-Hub-Signature-256: sha256=$(sign other-body)" --data-binary "{\"ref\":\"main\"}")" = 401 &&
	test "$(st /hook --data-binary "{\"ref\":\"main\"}")" = 401 &&
	test "$(st /hook -H "X-Hub-Signature-256: sha256=zz" --data-binary "{}")" = 401 &&
	sleep 1 &&
	test "$(metric sealsync_syncs_total)" = "$before" &&
	test "$(ss_writes_since "$mark")" = 0 &&
	grep -q "webhook refused" agent.log
'

# A push, then its webhook: the sync applies the new commit (an unchanged
# revision would cost no write: the steady state skips it).
test_expect_success 'webhook: a good signature is 202 and a sync follows' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pushed\n  namespace: shop\ndata:\n  k: v\n" \
		>repo/apps/pushed.yaml && ss_commit pushed &&
	before=$(metric sealsync_syncs_total) &&
	mark=$(ss_writes_mark) &&
	body="{\"ref\":\"refs/heads/main\"}" &&
	test "$(st /hook -H "X-Hub-Signature-256: sha256=$(sign "$body")" --data-binary "$body")" = 202 &&
	poll_gt "$before" metric sealsync_syncs_total &&
	poll_gt 0 ss_writes_since "$mark" &&
	poll_eq v kubectl -n shop get configmap pushed -o "jsonpath={.data.k}"
'

test_expect_success 'a body over the cap is 413, with or without Content-Length' '
	head -c 70000 /dev/zero | tr "\0" a >big &&
	test "$(st /v1/reseal -H "Expect: 100-continue" --data-binary @big)" = 413 &&
	test "$(st /v1/verify -H "Expect: 100-continue" -H "Transfer-Encoding: chunked" --data-binary @big)" = 413 &&
	test "$(st /healthz)" = 200
'

test_expect_success 'wrong methods are 405 with Allow, unknown paths 404' '
	test "$(st /healthz -X DELETE)" = 405 &&
	test "$(header Allow)" = GET &&
	test "$(st /v1/reseal)" = 405 &&
	test "$(header Allow)" = POST &&
	test "$(st /nothing-here)" = 404 &&
	test "$(st /v1/recipients/x)" = 404
'

test_expect_success 'sync results are Kubernetes Events on the inventory ConfigMap' '
	kubectl -n sealsync-system get events -o json >events.json &&
	$PYTHON -c "import json; j=json.load(open(\"events.json\")); e=[i for i in j[\"items\"] if i[\"reason\"]==\"SyncSucceeded\"]; assert e, j; assert e[0][\"involvedObject\"][\"name\"]==\"sealsync-inv-default\" and e[0][\"type\"]==\"Normal\", e" &&
	test_not_contains hunter2-plain events.json
'

failed_event() {
	kubectl -n sealsync-system get events -o json |
		$PYTHON -c "import json,sys; e=[i for i in json.load(sys.stdin)[\"items\"] if i[\"reason\"]==\"SyncFailed\"]; print(e[-1][\"message\"] if e else \"\")"
}

test_expect_success 'a failed sync is a Warning Event naming the file, never the value' '
	cp tampered.yaml repo/apps/db.sealed.yaml &&
	ss_commit "tampered value" &&
	body="{}" &&
	test "$(st /hook -H "X-Hub-Signature-256: sha256=$(sign "$body")" --data-binary "$body")" = 202 &&
	poll_gt 0 eval "failed_event | grep -c db.sealed.yaml" &&
	failed_event >failed.txt &&
	grep -q "db.sealed.yaml" failed.txt &&
	test_not_contains app-user failed.txt &&
	test_not_contains hunter2-plain failed.txt &&
	kubectl -n sealsync-system get events -o json >events2.json &&
	test_not_contains app-user events2.json &&
	test "$(ss_secret_value shop db password)" = hunter2-plain
'

test_expect_success 'POSTs past the rate limit get 429 with Retry-After' '
	# One curl, one connection, 40 POSTs: the bucket refills at 30 a minute,
	# and on a loaded machine 40 curl processes can be slower than that.
	args= &&
	for i in $(seq 1 40); do args="$args -o /dev/null $URL/v1/verify"; done &&
	curl -sS --cacert "$TRASH/tls/ca.crt" -D rl.hdrs -w "%{http_code}\n" \
		--data-binary x $args >rl.codes &&
	grep -qx 429 rl.codes &&
	ra=$(tr -d "\r" <rl.hdrs | sed -n "s/^[Rr]etry-[Aa]fter: *//p" | head -n 1) &&
	test "$ra" -ge 1 &&
	test "$(st /healthz)" = 200
'

test_expect_success 'a TLS key or webhook secret others can read is refused at start, by name' '
	cp tls/agent.key loose.key && chmod 644 loose.key &&
	p2=$(ss_free_port) &&
	test_expect_code 1 "$AGENT" --repo "file://$TRASH/repo" --identities keys.txt \
		--cache-dir "$TRASH/cache2" --kubeconfig "$KUBECONFIG" --path apps --no-leader-election \
		--listen "127.0.0.1:$p2" --tls-cert tls/agent.crt --tls-key loose.key 2>loose.log &&
	grep -q "loose.key" loose.log &&
	cp hook.txt loose-hook.txt && chmod 604 loose-hook.txt &&
	test_expect_code 1 "$AGENT" --repo "file://$TRASH/repo" --identities keys.txt \
		--cache-dir "$TRASH/cache2" --kubeconfig "$KUBECONFIG" --path apps --no-leader-election \
		--listen "127.0.0.1:$p2" --webhook-secret loose-hook.txt 2>loose2.log &&
	grep -q "loose-hook.txt" loose2.log &&
	test_not_contains hook-secret-for-tests loose2.log
'

test_expect_success 'SIGTERM stops the agent cleanly' '
	kill "$agent_pid" &&
	poll gone "$agent_pid" &&
	grep -q "\"stopping\"" agent.log
'

test_done
