#!/bin/bash
# ss-apiserver fault injection: by count (3 x 500 on PATCH), 429 with
# Retry-After, connection reset, per path, by seeded rate (repeatable), by
# flag; latency shown as a ratio of timings, never asserted.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/apiserver/e2e-lib.sh"
test_require "$APISERVER" curl

apiserver_start api || exit 1
apiserver_start flagged --fault "type=503,method=GET,path=/api/v1/namespaces/kube-system,count=2" || exit 1
apiserver_start seeded1 --seed 42 --fault "type=500,method=GET,path=/api/v1/namespaces/default,rate=0.5" || exit 1
apiserver_start seeded2 --seed 42 --fault "type=500,method=GET,path=/api/v1/namespaces/default,rate=0.5" || exit 1

cm() { # cm NAME VALUE: an apply body
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: "%s"\n' "$1" "$2"
}
apply_cm() { # apply_cm SERVER NAME VALUE: prints the status
	cm "$2" "$3" >body.yaml &&
	api_status "$1" "/api/v1/namespaces/default/configmaps/$2?fieldManager=t" -X PATCH \
		-H "Content-Type: application/apply-patch+yaml" --data-binary @body.yaml
}

test_expect_success 'three 500s on PATCH by count: the client sees them, then success' '
	api api /_admin/faults -X POST -H "Content-Type: application/json" \
		-d "{\"type\":\"500\",\"method\":\"PATCH\",\"count\":3}" >faults.json &&
	test "$(py_json "len(j[\"faults\"])" <faults.json)" = 1 &&
	for i in 1 2 3; do
		test "$(apply_cm api a v$i)" = 500 || exit 1
		test_contains "\"reason\":\"InternalError\"" "$TRASH/.body" || exit 1
	done &&
	test "$(apply_cm api a v4)" = 201 &&
	test "$(apply_cm api a v5)" = 200 &&
	test "$(api_status api /api/v1/namespaces/default/configmaps/a)" = 200 &&
	test_contains "\"k\":\"v5\"" "$TRASH/.body"
'

test_expect_success 'the request log shows the three faults and what was written' '
	grep "\"method\":\"PATCH\"" "$api_dir/requests.log" >patches &&
	test "$(grep -c "\"status\":500,.*\"fault\":\"500\"" patches)" = 3 &&
	test "$(grep -c "\"status\":201" patches)" = 1 &&
	test "$(grep -c "\"status\":200" patches)" = 1 &&
	test_contains "\"fieldManager\":\"t\"" patches &&
	test_contains "\"contentType\":\"application/apply-patch+yaml\"" patches &&
	test_contains "\"name\":\"a\",\"namespace\":\"default\",\"kind\":\"ConfigMap\"" patches &&
	api api /_admin/requests >all.ndjson &&
	test "$(grep -c "\"method\":\"PATCH\"" all.ndjson)" = 5
'

test_expect_success 'a faulted write changed nothing' '
	api api /_admin/faults -X POST -d "{\"type\":\"500\",\"method\":\"PATCH\",\"count\":1}" >/dev/null &&
	test "$(apply_cm api b v1)" = 500 &&
	test "$(api_status api /api/v1/namespaces/default/configmaps/b)" = 404
'

test_expect_success '429 carries Retry-After' '
	api api /_admin/faults -X POST \
		-d "{\"type\":\"429\",\"method\":\"GET\",\"count\":1,\"retryAfter\":7}" >/dev/null &&
	api api /api/v1/namespaces/default -D headers -o body &&
	grep -i "^retry-after: 7" headers &&
	test_contains "\"reason\":\"TooManyRequests\"" body &&
	test "$(api_status api /api/v1/namespaces/default)" = 200
'

test_expect_success 'reset closes the connection without a response' '
	api api /_admin/faults -X POST -d "{\"type\":\"reset\",\"method\":\"GET\",\"count\":1}" >/dev/null &&
	{ api api /api/v1/namespaces/default -o /dev/null 2>err; rc=$?; } ;
	echo "curl exit code $rc" &&
	{ test $rc = 52 || test $rc = 56 || test $rc = 35; } &&
	test "$(api_status api /api/v1/namespaces/default)" = 200 &&
	test_contains "\"fault\":\"reset\"" "$api_dir/requests.log"
'

test_expect_success 'a fault filtered by path spares other paths' '
	api api /_admin/faults -X POST \
		-d "{\"type\":\"500\",\"path\":\"/api/v1/namespaces/kube-public\",\"count\":5}" >/dev/null &&
	test "$(api_status api /api/v1/namespaces/default)" = 200 &&
	test "$(api_status api /api/v1/namespaces/kube-public)" = 500 &&
	api api /_admin/faults -X DELETE >/dev/null &&
	test "$(api_status api /api/v1/namespaces/kube-public)" = 200
'

test_expect_success 'a rule by Kubernetes verb: list fails, get of the same resource does not' '
	api api /_admin/faults -X POST -d "{\"type\":\"503\",\"verb\":\"list\",\"count\":1}" >/dev/null &&
	test "$(api_status api /api/v1/namespaces/default/configmaps/a)" = 200 &&
	test "$(api_status api /api/v1/namespaces/default/configmaps)" = 503 &&
	test "$(api_status api /api/v1/namespaces/default/configmaps)" = 200
'

test_expect_success 'dryrun filter: a fault only for real writes lets dry runs through' '
	api api /_admin/faults -X POST \
		-d "{\"type\":\"500\",\"method\":\"PATCH\",\"count\":5,\"dryrun\":\"false\"}" >/dev/null &&
	cm c v >body.yaml &&
	test "$(api_status api "/api/v1/namespaces/default/configmaps/c?fieldManager=t&dryRun=All" -X PATCH \
		-H "Content-Type: application/apply-patch+yaml" --data-binary @body.yaml)" = 201 &&
	test "$(apply_cm api c v)" = 500 &&
	api api /_admin/faults -X DELETE >/dev/null
'

test_expect_success 'faults set by flag (--fault) fire by count' '
	test "$(api_status flagged /api/v1/namespaces/kube-system)" = 503 &&
	test "$(api_status flagged /api/v1/namespaces/kube-system)" = 503 &&
	test "$(api_status flagged /api/v1/namespaces/kube-system)" = 200
'

test_expect_success 'rate faults with the same seed repeat the same pattern' '
	for s in seeded1 seeded2; do
		for i in $(seq 1 20); do api_status $s /api/v1/namespaces/default; echo; done >$s.codes
	done &&
	test_cmp seeded1.codes seeded2.codes &&
	grep -q 500 seeded1.codes && grep -q 200 seeded1.codes
'

test_expect_success 'bad fault rules are refused with 400' '
	test "$(api_status api /_admin/faults -X POST -d "{\"type\":\"boom\"}")" = 400 &&
	test "$(api_status api /_admin/faults -X POST -d "{\"type\":\"500\",\"rate\":2}")" = 400 &&
	test "$(api_status api /_admin/faults -X POST -d "not json")" = 400 &&
	test_must_fail "$APISERVER" --fault "type=500,nope=1" 2>err &&
	test_contains "unknown key" err
'

test_expect_success 'latency injection (timings printed as a ratio, not asserted)' '
	# the sum of curl time_total per request: process start-up excluded
	t() { for i in 1 2 3 4 5; do api api /api/v1/namespaces/default -o /dev/null -w "%{time_total}\n"; done |
		awk "{ s += \$1 } END { printf \"%d\", s * 1000 }"; }
	base=$(t) &&
	api api /_admin/faults -X POST -d "{\"type\":\"latency\",\"ms\":100,\"path\":\"/api/v1/namespaces/default\"}" >/dev/null &&
	slow=$(t) &&
	api api /_admin/faults -X DELETE >/dev/null &&
	echo "latency: 5 requests took ${base} ms without, ${slow} ms with 100 ms injected; ratio $(( (slow + 1) / (base + 1) ))" &&
	test_contains "\"fault\":\"latency\"" "$api_dir/requests.log"
'

test_done
