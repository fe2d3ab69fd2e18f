#!/bin/bash
# sealsync-agent --import-bitnami (issue "Migration paths", the in-cluster
# import; docs/MIGRATION.md): Bitnami's controller key Secrets live in
# kube-system of the real kube-apiserver; the agent reads them there with
# its kubeconfig, converts the real kubeseal's output (file or stdin) and
# prints our SealedSecrets; `sealctl recover` gives back the original
# Secret. No plaintext on stdout or stderr; a selector or namespace that
# finds no key fails naming both, with nothing on stdout.
# servers: real (the kube stage of tests/run.sh)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" openssl age-keygen /usr/local/go/bin/go

original() { # the Secret as `sealctl recover` prints it
	cat <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  labels:
    app: db
type: Opaque
data:
  password: czNjcmV0LWNsdXN0ZXItcGFzcw==
  user: YWRtaW4tY2x1c3Rlcg==
EOF
}
# key_secret NAME CRT KEY: one controller key Secret, as their controller makes it.
key_secret() {
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: kube-system\n" "$1"
	printf "  labels: {sealedsecrets.bitnami.com/sealed-secrets-key: active}\n"
	printf "type: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n" \
		"$(base64 -w0 "$2")" "$(base64 -w0 "$3")"
}
no_plaintext() { # no_plaintext FILE...: neither value, raw or in base64
	for f in "$@"; do
		test_not_contains "s3cret-cluster-pass" "$f" &&
		test_not_contains "czNjcmV0LWNsdXN0ZXItcGFzcw" "$f" &&
		test_not_contains "admin-cluster" "$f" || return 1
	done
}

ss_apiserver_start

test_expect_success 'setup: kubeseal (pinned), two controller keys in kube-system, our key' '
	sh "$SS_SRC_DIR/tests/peers/kubeseal/build.sh" >build.log 2>&1 &&
	KUBESEAL=$(sh "$SS_SRC_DIR/tests/peers/kubeseal/build.sh" --dir) &&
	test -x "$KUBESEAL" && echo "$KUBESEAL" >kubeseal.path &&
	for k in old new; do
		openssl req -x509 -newkey rsa:3072 -nodes -keyout $k.key -out $k.crt \
			-subj "/CN=sealed-secret/O=sealed-secret" -days 3650 2>/dev/null || return 1
	done &&
	key_secret sealed-secrets-keyold01 old.crt old.key >keys.yaml &&
	echo --- >>keys.yaml && key_secret sealed-secrets-keynew02 new.crt new.key >>keys.yaml &&
	kubectl apply --server-side -f keys.yaml &&
	"$SEALCTL" keygen -w keys.txt 2>/dev/null &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\ntype: Opaque\nstringData:\n  password: s3cret-cluster-pass\n  user: admin-cluster\n" >secret.yaml
'
KUBESEAL=$(cat kubeseal.path 2>/dev/null)

test_expect_success 'strict, from a file: the agent converts with the keys in the cluster' '
	"$KUBESEAL" --cert new.crt -o yaml <secret.yaml >bn.yaml &&
	test_contains "apiVersion: bitnami.com/v1alpha1" bn.yaml &&
	"$AGENT" --import-bitnami bn.yaml --kubeconfig "$KUBECONFIG" \
		--identities "$TRASH/keys.txt" >conv.yaml 2>err &&
	cat err &&
	test_contains "apiVersion: sealsync.dev/v1" conv.yaml &&
	test_contains "scope: strict" conv.yaml &&
	test_contains "bitnami SealedSecrets converted" err &&
	grep -qE "\"values\":\"?2\"?" err &&
	"$SEALCTL" recover -i keys.txt conv.yaml >got 2>/dev/null &&
	original >want && test_cmp want got &&
	no_plaintext conv.yaml err
'

test_expect_success 'namespace-wide, from stdin, sealed to the older key' '
	"$KUBESEAL" --cert old.crt --scope namespace-wide -o yaml <secret.yaml >bn-ns.yaml &&
	"$AGENT" --import-bitnami - --kubeconfig "$KUBECONFIG" \
		--identities "$TRASH/keys.txt" <bn-ns.yaml >conv-ns.yaml 2>err &&
	test_contains "scope: namespace" conv-ns.yaml &&
	"$SEALCTL" recover -i keys.txt conv-ns.yaml >got 2>/dev/null &&
	original >want && test_cmp want got &&
	no_plaintext conv-ns.yaml err
'

test_expect_success 'an extra recipient: both keys open the converted values' '
	age-keygen -o escrow.txt 2>/dev/null && chmod 600 escrow.txt &&
	"$AGENT" --import-bitnami bn.yaml --kubeconfig "$KUBECONFIG" \
		--identities "$TRASH/keys.txt" \
		--extra-recipient "$(age-keygen -y escrow.txt)" >conv2.yaml 2>err &&
	"$SEALCTL" recover -i escrow.txt conv2.yaml >got 2>/dev/null &&
	original >want && test_cmp want got
'

test_expect_success 'a selector that finds no key: fails naming namespace and label, nothing on stdout' '
	test_must_fail "$AGENT" --import-bitnami bn.yaml --kubeconfig "$KUBECONFIG" \
		--identities "$TRASH/keys.txt" --bitnami-selector app=nothing >out 2>err &&
	cat err && test ! -s out &&
	test_contains "no Bitnami controller key in the Secrets in namespace kube-system with label app=nothing" err &&
	test_must_fail "$AGENT" --import-bitnami bn.yaml --kubeconfig "$KUBECONFIG" \
		--identities "$TRASH/keys.txt" --bitnami-namespace default >out 2>err &&
	test ! -s out && test_contains "namespace default" err
'

test_expect_success 'a value sealed with a key the cluster does not hold: named, nothing printed' '
	openssl req -x509 -newkey rsa:3072 -nodes -keyout stray.key -out stray.crt \
		-subj "/CN=sealed-secret" -days 3650 2>/dev/null &&
	"$KUBESEAL" --cert stray.crt -o yaml <secret.yaml >bn-stray.yaml &&
	test_must_fail "$AGENT" --import-bitnami bn-stray.yaml --kubeconfig "$KUBECONFIG" \
		--identities "$TRASH/keys.txt" >out 2>err &&
	cat err && test ! -s out &&
	test_contains "bn-stray.yaml" err && test_contains "db" err &&
	no_plaintext err
'

test_expect_success 'each run read the key Secrets with one list request in kube-system' '
	$REQLOG "$API_LOG" dump --path /api/v1/namespaces/kube-system/secrets >dump &&
	grep -c "labelSelector" dump >n && cat n && test "$(cat n)" -eq 5
'

test_done
