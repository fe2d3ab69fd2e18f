#!/bin/bash
# ss-apiserver driven by the real kubectl, with its default validation on
# (never --validate=false): apply --server-side of a CRD, then of a folder
# with a Namespace, ConfigMap, Secret, Deployment and a custom resource;
# get, get -l, a field-manager conflict and --force-conflicts, delete.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/apiserver/e2e-lib.sh"
test_require "$APISERVER" kubectl curl

apiserver_start api || exit 1
apiserver_start slow --crd-established-delay 600000 || exit 1
export KUBECONFIG=$api_kubeconfig

mkdir -p crd m
cat >crd/widgets.yaml <<'Y'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
Y
cat >m/00-namespace.yaml <<'Y'
apiVersion: v1
kind: Namespace
metadata:
  name: shop
Y
cat >m/configmap.yaml <<'Y'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  labels: {app: shop, tier: web}
data:
  color: blue
  size: "3"
Y
cat >m/secret.yaml <<'Y'
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
  labels: {app: shop}
stringData:
  password: s3cr3t-kubectl-value
Y
cat >m/deployment.yaml <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: shop, tier: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
Y
cat >m/widget.yaml <<'Y'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: shop
  labels: {app: shop}
spec:
  size: 3
  color: red
Y

test_expect_success 'kubectl reads /version and reports a 1.32 server' '
	kubectl version >out 2>&1 &&
	test_contains "Server Version: v1.32" out
'

test_expect_success 'without the token every API call is 401 Unauthorized' '
	curl -sS --cacert "$api_ca" -o body -w "%{http_code}" "$api_url/api/v1/namespaces" >code &&
	test "$(cat code)" = 401 &&
	test_contains "\"reason\":\"Unauthorized\"" body &&
	curl -sS --cacert "$api_ca" -o body -w "%{http_code}" -H "Authorization: Bearer wrong" \
		"$api_url/api/v1/namespaces" >code &&
	test "$(cat code)" = 401 &&
	KUBECONFIG=/dev/null test_must_fail kubectl --server "$api_url" \
		--certificate-authority "$api_ca" get ns </dev/null
'

test_expect_success 'TLS: curl verifies the server with the generated CA, fails without it' '
	test "$(api_status api /api/v1/namespaces/default)" = 200 &&
	test_must_fail curl -sS -o /dev/null "$api_url/version" 2>err &&
	test_contains "certificate" err
'

test_expect_success 'apply --server-side of a CRD, which becomes Established' '
	kubectl apply --server-side -f crd/widgets.yaml >out &&
	test_contains "widgets.example.com serverside-applied" out &&
	kubectl get crd widgets.example.com \
		-o "jsonpath={.status.conditions[?(@.type==\"Established\")].status}" >out &&
	test "$(cat out)" = True &&
	kubectl api-resources --api-group=example.com >out &&
	test_contains "widgets" out
'

test_expect_success 'apply --server-side of a folder with core kinds and a custom resource' '
	kubectl apply --server-side -f m >out &&
	for o in namespace/shop configmap/settings secret/creds deployment.apps/web \
		widget.example.com/w1; do
		grep -q "^$o serverside-applied" out || { cat out; exit 1; }
	done
'

test_expect_success 'the validation kubectl does by default went to the server (fieldValidation=Strict)' '
	grep "\"method\":\"PATCH\"" "$api_dir/requests.log" >patches &&
	test "$(grep -c "fieldValidation=Strict" patches)" -ge 6 &&
	test "$(grep -c "\"fieldManager\":\"kubectl\"" patches)" -ge 6
'

test_expect_success 'get -o json shows the applied fields' '
	kubectl -n shop get configmap settings -o json >cm.json &&
	test "$(py_json "j[\"data\"][\"color\"]" <cm.json)" = blue &&
	kubectl -n shop get deployment web -o json >d.json &&
	test "$(py_json "j[\"spec\"][\"replicas\"]" <d.json)" = 2 &&
	test "$(py_json "j[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"image\"]" <d.json)" = nginx:1.25 &&
	kubectl -n shop get widget w1 -o json >w.json &&
	test "$(py_json "j[\"spec\"][\"color\"]" <w.json)" = red &&
	kubectl -n shop get secret creds -o json >s.json &&
	test "$(py_json "j[\"data\"][\"password\"]" <s.json | base64 -d)" = s3cr3t-kubectl-value &&
	test "$(py_json "\"stringData\" in j" <s.json)" = False
'

test_expect_success 'get -l filters by label' '
	kubectl -n shop get configmap,deployment -l tier=web -o name | sort >got &&
	printf "configmap/settings\ndeployment.apps/web\n" >want &&
	test_cmp want got &&
	kubectl -n shop get configmap,secret,deployment -l "app=shop,tier!=web" -o name >got &&
	echo secret/creds >want &&
	test_cmp want got &&
	kubectl -n shop get configmap -l tier=none -o name >got &&
	test ! -s got
'

test_expect_success 'a second manager changing a field gets a conflict, then forces it' '
	sed "s/color: blue/color: green/" m/configmap.yaml >cm2.yaml &&
	test_must_fail kubectl apply --server-side --field-manager other -f cm2.yaml >out 2>&1 &&
	test_contains "conflict with \"kubectl\"" out &&
	test_contains ".data.color" out &&
	test "$(kubectl -n shop get cm settings -o jsonpath={.data.color})" = blue &&
	kubectl apply --server-side --field-manager other --force-conflicts -f cm2.yaml &&
	test "$(kubectl -n shop get cm settings -o jsonpath={.data.color})" = green &&
	kubectl -n shop get cm settings -o json --show-managed-fields >mf.json &&
	test "$(py_json "sorted(e[\"manager\"] for e in j[\"metadata\"][\"managedFields\"])" <mf.json)" = "[\"kubectl\", \"other\"]"
'

test_expect_success 'server-side strict validation refuses an unknown field' '
	sed "s/^data:/bogus: 1\ndata:/" m/configmap.yaml >bad.yaml &&
	test_must_fail kubectl apply --server-side -f bad.yaml 2>err &&
	test_contains "unknown field \"bogus\"" err &&
	sed "s/color: red/colour: red/" m/widget.yaml >badw.yaml &&
	test_must_fail kubectl apply --server-side -f badw.yaml 2>err &&
	test_contains "unknown field \"spec.colour\"" err &&
	test "$(kubectl -n shop get widget w1 -o jsonpath={.spec.color})" = red
'

test_expect_success 'a bad Secret is refused without echoing its value' '
	cat >badsecret.yaml <<-Y &&
	apiVersion: v1
	kind: Secret
	metadata: {name: bad, namespace: shop}
	data: {token: "not*base64*s3cr3t-value"}
	Y
	test_must_fail kubectl apply --server-side -f badsecret.yaml 2>err &&
	test_contains "data[token]" err &&
	test_not_contains "s3cr3t-value" err &&
	test_not_contains "s3cr3t" "$api_dir/requests.log"
'

test_expect_success 'kubectl scale goes through the scale subresource' '
	kubectl -n shop scale deployment web --replicas=4 >out &&
	test_contains "deployment.apps/web scaled" out &&
	test "$(kubectl -n shop get deployment web -o jsonpath={.spec.replicas})" = 4
'

test_expect_success 'kubectl wait watches until a condition holds' '
	kubectl -n shop wait --for=jsonpath={.data.size}=4 --timeout=60s configmap/settings \
		>wait.out 2>&1 &
	wpid=$! &&
	sed "s/size: \"3\"/size: \"4\"/" m/configmap.yaml >cm4.yaml &&
	kubectl apply --server-side --field-manager other --force-conflicts -f cm4.yaml &&
	wait $wpid &&
	test_contains "condition met" wait.out
'

test_expect_success 'a CRD stays un-Established within --crd-established-delay; kubectl wait times out' '
	KUBECONFIG=$slow_kubeconfig kubectl apply --server-side -f crd/widgets.yaml &&
	test "$(KUBECONFIG=$slow_kubeconfig kubectl get crd widgets.example.com \
		-o "jsonpath={.status.conditions[?(@.type==\"Established\")].status}")" = False &&
	test_must_fail env KUBECONFIG=$slow_kubeconfig kubectl wait --for=condition=Established \
		--timeout=2s crd/widgets.example.com 2>err &&
	test_contains "timed out" err &&
	grep -q "\"verb\":\"watch\"" "$slow_dir/requests.log" &&
	test_must_fail env KUBECONFIG=$slow_kubeconfig kubectl -n default get widgets 2>err &&
	test_contains "the server doesn" err
'

test_expect_success 'delete removes; get then fails with NotFound' '
	kubectl -n shop delete configmap settings &&
	test_must_fail kubectl -n shop get configmap settings 2>err &&
	test_contains "configmaps \"settings\" not found" err &&
	kubectl -n shop delete widget w1 &&
	test_must_fail kubectl -n shop get widget w1 2>err &&
	test_contains "NotFound" err
'

test_expect_success 'deleting the namespace deletes what is in it' '
	kubectl delete namespace shop &&
	test_must_fail kubectl -n shop get deployment web 2>err &&
	test_contains "not found" err
'

test_done
