#!/bin/bash
# ss-apiserver driven by a second real client: the official Python client
# (Debian's python3-kubernetes), with TLS verified against the generated CA.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/apiserver/e2e-lib.sh"
test_require "$APISERVER" "$PYTHON"
$PYTHON -c 'import kubernetes' 2>/dev/null || { echo "1..0 # SKIP no python3-kubernetes"; exit 0; }

apiserver_start api || exit 1
export KUBECONFIG=$api_kubeconfig

cat >client.py <<'PY'
import sys
from kubernetes import client, config
from kubernetes.client.rest import ApiException

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
coord = client.CoordinationV1Api()
op = sys.argv[2]
ns = "py"

def cm(name, labels):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels),
                              data={"k": name})

if op == "create":
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    for i in range(5):
        core.create_namespaced_config_map(ns, cm("c%d" % i, {"team": "a" if i < 3 else "b"}))
    print("created")
elif op == "dup":
    try:
        core.create_namespaced_config_map(ns, cm("c0", {}))
    except ApiException as e:
        print(e.status, e.reason)
elif op == "list":
    for sel in sys.argv[3:]:
        items = core.list_namespaced_config_map(ns, label_selector=sel).items
        print(sel + ": " + " ".join(sorted(i.metadata.name for i in items)))
elif op == "delete":
    core.delete_namespaced_config_map("c1", ns)
    try:
        core.read_namespaced_config_map("c1", ns)
    except ApiException as e:
        print("read after delete:", e.status)
    items = core.list_namespaced_config_map(ns, label_selector="team=a").items
    print(" ".join(sorted(i.metadata.name for i in items)))
elif op == "watch":
    import threading
    from kubernetes import watch
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    def change():
        core.create_namespaced_config_map(ns, cm("w1", {"watch": "yes"}))
        core.delete_namespaced_config_map("w1", ns)
    t = threading.Thread(target=change)
    t.start()
    seen = []
    # From the listed resourceVersion on: nothing is missed, whatever the timing.
    for ev in watch.Watch().stream(core.list_namespaced_config_map, ns, label_selector="watch=yes",
                                   resource_version=rv, timeout_seconds=20):
        seen.append(ev["type"] + " " + ev["object"].metadata.name)
        if ev["type"] == "DELETED":
            break
    t.join()
    print(" ".join(seen))
elif op == "lease":
    l = coord.create_namespaced_lease(ns, client.V1Lease(
        metadata=client.V1ObjectMeta(name="leader"),
        spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15)))
    stale = l.metadata.resource_version
    l.spec.holder_identity = "b"
    l = coord.replace_namespaced_lease("leader", ns, l)
    print("updated", l.spec.holder_identity, l.metadata.resource_version != stale)
    l.metadata.resource_version = stale
    l.spec.holder_identity = "c"
    try:
        coord.replace_namespaced_lease("leader", ns, l)
    except ApiException as e:
        print("stale", e.status)
PY

test_expect_success 'create: a namespace and five ConfigMaps' '
	$PYTHON client.py "$KUBECONFIG" create >out &&
	test "$(cat out)" = created
'

test_expect_success 'creating an existing name is 409 AlreadyExists' '
	$PYTHON client.py "$KUBECONFIG" dup >out &&
	test "$(cat out)" = "409 Conflict" &&
	grep "\"method\":\"POST\"" "$api_dir/requests.log" | tail -n 1 >last &&
	test_contains "\"status\":409" last
'

test_expect_success 'list with label selectors (equality and set-based)' '
	$PYTHON client.py "$KUBECONFIG" list team=a "team in (b)" "team notin (a),team" "!team" >out &&
	cat >want <<-\EOF &&
	team=a: c0 c1 c2
	team in (b): c3 c4
	team notin (a),team: c3 c4
	!team: 
	EOF
	test_cmp want out
'

test_expect_success 'delete, then read is 404' '
	$PYTHON client.py "$KUBECONFIG" delete >out &&
	printf "read after delete: 404\nc0 c2\n" >want &&
	test_cmp want out
'

test_expect_success 'watch with a label selector sees ADDED then DELETED' '
	$PYTHON client.py "$KUBECONFIG" watch >out &&
	test "$(cat out)" = "ADDED w1 DELETED w1"
'

test_expect_success 'Lease: update with the current resourceVersion, 409 with a stale one' '
	$PYTHON client.py "$KUBECONFIG" lease >out &&
	printf "updated b True\nstale 409\n" >want &&
	test_cmp want out
'

test_expect_success 'TLS is verified: a client with another CA is refused' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout other.key -out other.crt -days 1 -subj /CN=other 2>/dev/null &&
	sed "s/certificate-authority-data: .*/certificate-authority-data: $(base64 -w0 <other.crt)/" \
		"$KUBECONFIG" >other.kubeconfig &&
	test_must_fail $PYTHON client.py other.kubeconfig list team=a 2>err &&
	test_contains "CERTIFICATE_VERIFY_FAILED" err
'

test_done
