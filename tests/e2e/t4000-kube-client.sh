#!/bin/bash
# The agent's Kubernetes client (agent/kube*.c) against the local API
# server, through ss-kubetool: server-side apply, dry-run, batch, list with
# selectors, delete, create/update conflicts, retries on injected faults,
# TLS verification, the response cap and redaction of echoed values.
. "$(dirname "$0")/lib.sh"

KT=$SS_BUILD_DIR/tests/kubetool/ss-kubetool
test_require "$APISERVER" "$KT" openssl curl

ST=$TRASH/state
KC=$ST/kubeconfig
LOG=$ST/requests.log
NS=t4000

# Two connections are plenty here; each TLS handshake costs the server.
kt() { "$KT" --concurrency 2 --kubeconfig "$KC" "$@"; }

# log_count KEY=VALUE...: requests in the server's log matching every pair.
log_count() {
	$PYTHON - "$LOG" "$@" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    n += all(str(r.get(k)) == v for k, v in (a.split("=", 1) for a in sys.argv[2:]))
print(n)
EOF
}

# jget FILE EXPR: a value from a JSON file (EXPR in Python, on `o`).
jget() {
	$PYTHON -c 'import json,sys; o=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

admin() { # admin METHOD PATH [JSON]
	curl -sS --fail --cacert "$ST/ca.crt" -H "Authorization: Bearer $TOKEN" \
		-X "$1" ${3:+-H 'Content-Type: application/json' --data "$3"} \
		"https://127.0.0.1:$PORT$2"
}

cm() { # cm NAME KEY VALUE [LABELS-JSON]
	labels=${4:-"{}"}
	printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","namespace":"%s","labels":%s},"data":{"%s":"%s"}}\n' \
		"$1" "$NS" "$labels" "$2" "$3"
}

test_expect_success 'start the API server' '
	ss_daemon apiserver "$APISERVER" --port 0 --port-file "$TRASH/port" --state-dir "$ST" &&
	i=0 && while [ ! -s "$TRASH/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	test -s "$KC"
'
PORT=$(cat "$TRASH/port" 2>/dev/null)
TOKEN=$(sed -n "s/^ *token: *//p" "$KC" 2>/dev/null | tr -d "\"'")

test_expect_success 'discovery maps kinds to resources and scope' '
	kt resource v1 Secret >out &&
	echo "secrets namespaced" >expect && test_cmp expect out &&
	kt resource apps/v1 Deployment >out &&
	echo "deployments namespaced" >expect && test_cmp expect out &&
	kt resource rbac.authorization.k8s.io/v1 ClusterRole >out &&
	echo "clusterroles cluster" >expect && test_cmp expect out &&
	test_must_fail kt resource example.com/v1 Gadget 2>err &&
	test_contains "error(not found)" err && test_contains "Gadget" err
'

test_expect_success 'apply creates, then updates, with our field manager' '
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}\n" $NS >ns.json &&
	kt apply ns.json >/dev/null &&
	cm one k v1 >one.json && kt apply one.json >res1.json &&
	test "$(jget res1.json "o[\"data\"][\"k\"]")" = v1 &&
	cm one k v2 >one.json && kt apply one.json >res2.json &&
	test "$(jget res2.json "o[\"data\"][\"k\"]")" = v2 &&
	test "$(jget res2.json "o[\"metadata\"][\"managedFields\"][0][\"manager\"]")" = sealsync &&
	test "$(log_count method=PATCH path=/api/v1/namespaces/$NS/configmaps/one status=201 fieldManager=sealsync contentType=application/apply-patch+yaml)" = 1 &&
	test "$(log_count method=PATCH path=/api/v1/namespaces/$NS/configmaps/one status=200)" = 1 &&
	kt get v1 ConfigMap $NS one >got.json &&
	test "$(jget got.json "o[\"data\"][\"k\"]")" = v2
'

test_expect_success 'dry-run changes nothing' '
	cm one k v3 >one.json && kt apply --dry-run one.json >dry.json &&
	test "$(jget dry.json "o[\"data\"][\"k\"]")" = v3 &&
	test "$(log_count method=PATCH path=/api/v1/namespaces/$NS/configmaps/one dryRun=True)" = 1 &&
	kt get v1 ConfigMap $NS one >got.json &&
	test "$(jget got.json "o[\"data\"][\"k\"]")" = v2
'

test_expect_success 'batch applies many objects concurrently; list filters by label' '
	{
		echo "[" &&
		for i in $(seq 1 30); do
			if [ $((i % 3)) = 0 ]; then l="{\"app\":\"web\",\"tier\":\"a\"}"; else l="{\"app\":\"db\"}"; fi &&
			cm "b$i" k "v$i" "$l" && { [ $i = 30 ] || echo ","; }
		done &&
		echo "]"
	} >batch.json &&
	kt --concurrency 6 batch batch.json >res.txt &&
	test "$(grep -c " ok 201 " res.txt)" = 30 &&
	kt list v1 ConfigMap $NS app=web >web.json &&
	test "$(jget web.json "len(o[\"items\"])")" = 10 &&
	kt list v1 ConfigMap $NS "app in (web,db),tier!=a" >db.json &&
	test "$(jget db.json "len(o[\"items\"])")" = 20 &&
	kt list v1 ConfigMap - app >all.json &&
	test "$(jget all.json "len(o[\"items\"])")" = 30
'

test_expect_success 'a batch reports each failure and still applies the rest' '
	printf "[%s,%s,%s]\n" "$(cm good1 k v)" \
		"{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g\"}}" \
		"$(cm Bad_Name k v)" >mixed.json &&
	test_must_fail kt batch mixed.json >res.txt 2>err &&
	grep "^0 ok 201" res.txt &&
	grep "^1 not found 0 .*Gadget" res.txt &&
	grep "^2 bad input 422 .*Invalid" res.txt &&
	test_contains "Gadget" err &&
	kt get v1 ConfigMap $NS good1 >/dev/null
'

test_expect_success 'delete removes; get and delete then report not found' '
	kt delete v1 ConfigMap $NS b1 &&
	test_must_fail kt get v1 ConfigMap $NS b1 2>err &&
	test_contains "error(not found)" err && test_contains "NotFound" err &&
	test_must_fail kt delete v1 ConfigMap $NS b1 2>err &&
	test_contains "error(not found)" err
'

test_expect_success 'create of an existing object is a conflict' '
	cm fresh k v >fresh.json &&
	kt create fresh.json >created.json &&
	test_must_fail kt create fresh.json 2>err &&
	test_contains "error(conflict)" err && test_contains "AlreadyExists" err
'

test_expect_success 'update with a stale resourceVersion is a conflict' '
	rv=$(jget created.json "o[\"metadata\"][\"resourceVersion\"]") &&
	$PYTHON -c "import json,sys; o=json.load(open(sys.argv[1])); o[\"data\"][\"k\"]=\"w\"; print(json.dumps(o))" created.json >upd.json &&
	kt update upd.json >updated.json &&
	test "$(jget updated.json "o[\"data\"][\"k\"]")" = w &&
	test "$(jget updated.json "o[\"metadata\"][\"resourceVersion\"]")" != "$rv" &&
	test_must_fail kt update upd.json 2>err &&
	test_contains "error(conflict)" err
'

test_expect_success 'three 500s then success: retried' '
	admin POST /_admin/faults "{\"type\":\"500\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/$NS/configmaps/retry\",\"count\":3}" >/dev/null &&
	cm retry k v >retry.json &&
	kt --retries 3 apply retry.json >/dev/null &&
	test "$(log_count method=PATCH path=/api/v1/namespaces/$NS/configmaps/retry status=500)" = 3 &&
	test "$(log_count method=PATCH path=/api/v1/namespaces/$NS/configmaps/retry status=201)" = 1
'

test_expect_success 'when 500s outlast the retries: SS_E_NET with the attempts named' '
	admin POST /_admin/faults "{\"type\":\"503\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/$NS/configmaps/retry2\",\"count\":5}" >/dev/null &&
	cm retry2 k v >retry2.json &&
	test_must_fail kt --retries 1 apply retry2.json 2>err &&
	test_contains "error(network error)" err && test_contains "after 2 attempts" err &&
	test_contains "HTTP 503" err &&
	test "$(log_count method=PATCH path=/api/v1/namespaces/$NS/configmaps/retry2 status=503)" = 2 &&
	admin DELETE /_admin/faults >/dev/null
'

test_expect_success '429 with Retry-After is retried' '
	admin POST /_admin/faults "{\"type\":\"429\",\"retryAfter\":1,\"method\":\"GET\",\"path\":\"/api/v1/namespaces/$NS/configmaps/one\",\"count\":1}" >/dev/null &&
	kt get v1 ConfigMap $NS one >/dev/null &&
	test "$(log_count method=GET path=/api/v1/namespaces/$NS/configmaps/one status=429)" = 1
'

test_expect_success 'a batch retries each object on its own (500s, resets)' '
	{
		echo "[" &&
		for i in $(seq 1 40); do
			cm "fb$i" k "v$i" && { [ $i = 40 ] || echo ","; }
		done &&
		echo "]"
	} >fb.json &&
	admin POST /_admin/faults "[{\"type\":\"500\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/$NS/configmaps/fb\",\"count\":5},{\"type\":\"reset\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/$NS/configmaps/fb\",\"count\":3}]" >/dev/null &&
	kt --concurrency 3 --retries 4 batch fb.json >res.txt &&
	test "$(grep -c " ok 201 " res.txt)" = 40 &&
	test "$(log_count method=PATCH status=500 fault=500)" -ge 5 &&
	kt list v1 ConfigMap $NS >all.json &&
	test "$(jget all.json "len([i for i in o[\"items\"] if i[\"metadata\"][\"name\"].startswith(\"fb\")])")" = 40
'

test_expect_success 'a 4xx is never retried' '
	test_must_fail kt get v1 ConfigMap $NS nothing-here 2>err &&
	test "$(log_count method=GET path=/api/v1/namespaces/$NS/configmaps/nothing-here)" = 1
'

test_expect_success 'connection resets are retried' '
	admin POST /_admin/faults "{\"type\":\"reset\",\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/$NS/configmaps/reset\",\"count\":2}" >/dev/null &&
	cm reset k v >reset.json &&
	kt apply reset.json >/dev/null &&
	kt get v1 ConfigMap $NS reset >/dev/null &&
	test "$(log_count method=PATCH path=/api/v1/namespaces/$NS/configmaps/reset status=201)" = 1
'

test_expect_success 'a Secret round-trips' '
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s1\",\"namespace\":\"%s\"},\"data\":{\"pw\":\"c2VjcmV0\"}}\n" $NS >s1.json &&
	kt apply s1.json >/dev/null &&
	kt get v1 Secret $NS s1 >s1.out &&
	test "$(jget s1.out "o[\"data\"][\"pw\"]")" = c2VjcmV0
'

test_expect_success 'TLS: a server certificate from another CA is refused' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
		-out other.crt -days 1 -subj /CN=other-ca 2>/dev/null &&
	other=$(base64 -w0 other.crt) &&
	sed "s|certificate-authority-data: .*|certificate-authority-data: $other|" "$KC" >kc-other &&
	before=$(wc -l <"$LOG") &&
	test_must_fail "$KT" --kubeconfig kc-other get v1 ConfigMap $NS one 2>err &&
	test_contains "certificate" err &&
	test "$(wc -l <"$LOG")" = "$before"
'

test_expect_success 'TLS: insecure-skip-tls-verify is refused without the explicit flag' '
	sed "s|certificate-authority-data: .*|insecure-skip-tls-verify: true|" "$KC" >kc-insecure &&
	test_must_fail "$KT" --kubeconfig kc-insecure get v1 ConfigMap $NS one 2>err &&
	test_contains "insecure-skip-tls-verify" err && test_contains "error(unsafe permissions)" err &&
	"$KT" --insecure --kubeconfig kc-insecure get v1 ConfigMap $NS one >/dev/null
'

# kc_with_cert CERT KEY: our kubeconfig, its user also holding a client
# certificate and key (data forms). The server does not ask for one, but
# libcurl loads the pair before the handshake, so a bad pair fails.
kc_with_cert() {
	sed "/^ *token:/a\\    client-certificate-data: $(base64 -w0 "$1")\n    client-key-data: $(base64 -w0 "$2")" "$KC"
}

test_expect_success 'client certificate and key from -data fields are loaded' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cl.key \
		-out cl.crt -days 1 -subj /CN=sealsync 2>/dev/null &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cl2.key \
		-out cl2.crt -days 1 -subj /CN=other 2>/dev/null &&
	kc_with_cert cl.crt cl.key >kc-cert &&
	test_contains client-key-data kc-cert &&
	"$KT" --kubeconfig kc-cert get v1 ConfigMap $NS one >/dev/null &&
	kc_with_cert cl.crt cl2.key >kc-mismatch &&
	test_must_fail "$KT" --kubeconfig kc-mismatch get v1 ConfigMap $NS one 2>err &&
	test_contains "error(bad input)" err && test_contains "private key" err &&
	test_not_contains "$(sed -n 2p cl2.key)" err
'

test_expect_success 'a wrong token is refused (401), and the token is not in the error' '
	sed "s|token: .*|token: wrong-token-4000|" "$KC" >kc-badtoken &&
	test_must_fail "$KT" --kubeconfig kc-badtoken get v1 ConfigMap $NS one 2>err &&
	test_contains "HTTP 401" err &&
	test_not_contains "wrong-token-4000" err && test_not_contains "$TOKEN" err
'

test_expect_success 'the response cap aborts a larger response' '
	test_must_fail kt --max-response 300 get v1 ConfigMap $NS one 2>err &&
	test_contains "error(limit exceeded)" err &&
	test_contains "larger than the limit of 300 bytes" err
'

test_expect_success 'values echoed by the server are redacted, raw and base64' '
	b64=$(printf %s hunter2-secret | base64) &&
	cm echo-hunter2-secret k v "{\"$b64\":\"x\"}" >echo.json &&
	test_must_fail kt apply echo.json 2>plain &&
	test_contains "hunter2-secret" plain && test_contains "$b64" plain &&
	test_must_fail kt --redact hunter2-secret apply echo.json 2>err &&
	test_contains "HTTP 422" err && test_contains "[REDACTED]" err &&
	test_not_contains "hunter2-secret" err && test_not_contains "$b64" err
'

test_done
