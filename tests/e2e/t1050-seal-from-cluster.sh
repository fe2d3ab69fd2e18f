#!/bin/sh
# sealctl seal of a Secret read back from the API server (kubectl apply, then
# kubectl get -o yaml | sealctl seal): kubectl's last-applied annotation
# (every value in clear or base64), the agent's owner label and the fields
# the server sets never reach the SealedSecret; any other label or annotation
# holding a value (raw or base64, 4 bytes or more) is refused, naming it and
# never printing the value.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$APISERVER" "$SEALCTL" kubectl

ss_apiserver_start || exit 1
ss_ns shop || exit 1
ss_keys || exit 1

# apply_secret [LABELS [ANNOTATIONS]]: the Secret db, applied with kubectl
# apply (flow mappings; the owner label is always there).
apply_secret() {
	kubectl delete secret db -n shop --ignore-not-found >/dev/null &&
	cat >secret.yaml <<Y &&
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  labels: {app: shop, tier: web, sealsync.dev/owner: main.shop${1:+, $1}}
  annotations: {note: plain${2:+, $2}}
type: Opaque
data:
  password: aHVudGVyMi1zM2NyM3Q=
stringData:
  user: admin-user
  short: web
Y
	kubectl apply -f secret.yaml >/dev/null
}

# meta_of FILE: FILE without its encryptedData values (random base64 could
# hold any short word by chance).
meta_of() { grep -v "^    [A-Za-z0-9._-]*: YWdlLWVuY3J5cHRpb24ub3JnL3Yx" "$1"; }

test_expect_success 'a Secret read back from the API server seals without server or kubectl metadata' '
	apply_secret "" &&
	kubectl get secret db -n shop -o yaml --show-managed-fields >got.yaml &&
	test_contains "last-applied-configuration" got.yaml &&
	test_contains "admin-user" got.yaml &&
	test_contains "uid:" got.yaml &&
	"$SEALCTL" seal -r "$PUB" <got.yaml >sealed.yaml 2>err &&
	"$SEALCTL" verify sealed.yaml &&
	meta_of sealed.yaml >meta.txt &&
	test_not_contains "last-applied" sealed.yaml &&
	test_not_contains "sealsync.dev/owner" sealed.yaml &&
	for f in uid resourceVersion creationTimestamp generation managedFields selfLink \
		ownerReferences finalizers status; do
		test_not_contains "$f" meta.txt || return 1
	done &&
	test_not_contains "admin-user" sealed.yaml &&
	test_not_contains "hunter2" sealed.yaml &&
	test_not_contains "aHVudGVyMi1zM2NyM3Q" sealed.yaml &&
	test_not_contains "YWRtaW4tdXNlcg" sealed.yaml &&
	test_contains "app: shop" sealed.yaml &&
	test_contains "tier: web" sealed.yaml &&
	test_contains "note: plain" sealed.yaml &&
	"$SEALCTL" recover -i "$TRASH/keys.txt" sealed.yaml >rec.yaml 2>/dev/null &&
	test_contains "password: aHVudGVyMi1zM2NyM3Q=" rec.yaml
'

test_expect_success 'every server-set field and status of the input are dropped' '
	/usr/bin/python3 - >full.json <<-\EOF &&
	import json, subprocess, sys
	d = json.loads(subprocess.check_output(["kubectl", "get", "secret", "db", "-n", "shop",
	                                        "-o", "json", "--show-managed-fields"]))
	m = d["metadata"]
	m.update(generation=3, selfLink="/api/v1/namespaces/shop/secrets/db",
	         finalizers=["example.com/keep"], managedFields=[{"manager": "kubectl"}],
	         ownerReferences=[{"apiVersion": "v1", "kind": "ConfigMap", "name": "o",
	                           "uid": "0000-1111"}])
	d["status"] = {"phase": "x"}
	print(json.dumps(d))
	EOF
	"$SEALCTL" seal -r "$PUB" <full.json >sealed2.yaml &&
	meta_of sealed2.yaml >meta2.txt &&
	for f in uid resourceVersion creationTimestamp generation managedFields selfLink \
		ownerReferences finalizers example.com/keep 0000-1111 status phase last-applied; do
		test_not_contains "$f" meta2.txt || return 1
	done
'

test_expect_success 'an annotation holding a value in base64 is refused, naming it' '
	apply_secret "" "backup: \"copy=aHVudGVyMi1zM2NyM3Q=\"" &&
	kubectl get secret db -n shop -o yaml >got.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$PUB" <got.yaml >out.yaml 2>err &&
	test_contains "annotation backup contains this value" err &&
	test_contains "password" err &&
	test_not_contains "aHVudGVy" err &&
	test_not_contains "hunter2" err &&
	test_must_fail test -s out.yaml
'

test_expect_success 'a label holding a raw value is refused, naming it' '
	apply_secret "owner-name: admin-user" &&
	kubectl get secret db -n shop -o yaml >got.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$PUB" <got.yaml >out.yaml 2>err &&
	test_contains "label owner-name contains this value" err &&
	test_contains "user" err &&
	test_not_contains "admin-user" err &&
	test_must_fail test -s out.yaml
'

test_expect_success 'a value inside a label or annotation name is refused without printing the name' '
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: named\n  namespace: shop\n  annotations: {x.io/admin-user: \"1\"}\nstringData: {user: admin-user}\n" >named.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$PUB" <named.yaml >out.yaml 2>err &&
	test_contains "the name of an annotation contains this value" err &&
	test_not_contains "admin-user" err
'

test_expect_success 'a value shorter than 4 bytes in a label (tier: web) is not refused' '
	apply_secret "" &&
	kubectl get secret db -n shop -o yaml >got.yaml &&
	"$SEALCTL" seal -r "$PUB" <got.yaml >out.yaml &&
	test_contains "tier: web" out.yaml
'

test_done
