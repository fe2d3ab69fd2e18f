#!/bin/bash
# ss-apiserver under load: 10,000 ConfigMaps applied over 8 concurrent
# keep-alive connections, then listed: nothing lost. Prints the server's
# RSS. The ASan build (SS_BUILD_DIR ending in -asan) applies 1,000 to keep
# the suite fast; SS_STRESS_COUNT overrides.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/apiserver/e2e-lib.sh"
test_require "$APISERVER" "$PYTHON"

count=10000
case "$SS_BUILD_DIR" in *-asan) count=1000 ;; esac
count=${SS_STRESS_COUNT:-$count}

apiserver_start api || exit 1

cat >stress.py <<'PY'
import http.client, json, ssl, sys, threading, time
port, ca, token, count, conns = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), 8
ctx = ssl.create_default_context(cafile=ca)
hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/apply-patch+yaml"}
codes, lock = {}, threading.Lock()

def work(k):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    for i in range(k, count, conns):
        name = "cm-%05d" % i
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": name, "labels": {"shard": str(i % 10)}},
                           "data": {"index": str(i)}})
        c.request("PATCH", "/api/v1/namespaces/stress/configmaps/%s?fieldManager=stress" % name,
                  body=body, headers=hdr)
        r = c.getresponse()
        r.read()
        with lock:
            codes[r.status] = codes.get(r.status, 0) + 1
    c.close()

t0 = time.time()
ts = [threading.Thread(target=work, args=(k,)) for k in range(conns)]
for t in ts: t.start()
for t in ts: t.join()
print("applied %d in %.1f s over %d connections: %s" % (count, time.time() - t0, conns,
      json.dumps(codes, sort_keys=True)))
PY

cat >list.py <<'PY'
import http.client, json, ssl, sys
port, ca, token, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
c = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
c.request("GET", "/api/v1/namespaces/stress/configmaps" + (sys.argv[5] if len(sys.argv) > 5 else ""),
          headers={"Authorization": "Bearer " + token})
r = c.getresponse()
j = json.loads(r.read())
names = [i["metadata"]["name"] for i in j["items"]]
assert r.status == 200, r.status
assert j["kind"] == "ConfigMapList" and j["metadata"]["resourceVersion"]
print(len(names), len(set(names)), names == sorted(names),
      all(i["data"]["index"] == str(int(i["metadata"]["name"][3:])) for i in j["items"]))
PY

test_expect_success "setup: namespace stress" '
	api api /api/v1/namespaces -X POST -H "Content-Type: application/json" \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"stress\"}}" -o /dev/null
'

test_expect_success "apply $count ConfigMaps over 8 concurrent connections" '
	$PYTHON stress.py "$api_port" "$api_ca" "$APISERVER_TOKEN" $count >out &&
	cat out &&
	test_contains "{\"201\": $count}" out
'

test_expect_success 'list: every object is there, once, in order, with its data' '
	$PYTHON list.py "$api_port" "$api_ca" "$APISERVER_TOKEN" $count >out &&
	test "$(cat out)" = "$count $count True True"
'

cat >pages.py <<'PY'
import http.client, json, ssl, sys, urllib.parse
port, ca, token, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
c = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
names, cont, pages = [], "", 0
while True:
    q = "?limit=700" + ("&continue=" + urllib.parse.quote(cont) if cont else "")
    c.request("GET", "/api/v1/namespaces/stress/configmaps" + q, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    j = json.loads(r.read())
    assert r.status == 200, (r.status, j)
    pages += 1
    names += [i["metadata"]["name"] for i in j["items"]]
    cont = j["metadata"].get("continue", "")
    if cont:
        assert j["metadata"]["remainingItemCount"] == count - len(names)
    else:
        break
print(len(names), len(set(names)), names == sorted(names), pages == (count + 699) // 700)
PY

test_expect_success 'list in pages (limit, continue): the same set' '
	$PYTHON pages.py "$api_port" "$api_ca" "$APISERVER_TOKEN" $count >out &&
	test "$(cat out)" = "$count $count True True" &&
	test "$(api_status api "/api/v1/namespaces/stress/configmaps?limit=5&continue=%21%21")" = 400
'

test_expect_success 'a label selector over the whole set' '
	$PYTHON list.py "$api_port" "$api_ca" "$APISERVER_TOKEN" $count "?labelSelector=shard%3D3" >out &&
	test "$(cat out)" = "$((count / 10)) $((count / 10)) True True"
'

test_expect_success 'the request log has one line per write' '
	test "$(grep -c "\"method\":\"PATCH\".*\"status\":201" "$api_dir/requests.log")" = $count
'

test_expect_success 'server RSS (printed, not asserted)' '
	grep -E "^(VmRSS|VmHWM)" /proc/$api_pid/status &&
	api api /_admin/stats
'

test_done
