#!/bin/bash
# sealctl import bitnami (issue "Migration paths", acceptance 1): Bitnami
# SealedSecrets made by the real kubeseal (tests/peers/kubeseal, pinned), in
# manifest and --raw mode and all three of their scopes, converted with the
# controller's key, then `sealctl recover` gives back the original Secret.
# A wrong key, a changed ciphertext and a scope mismatch each fail naming
# file, object and key, and leave every file as it was.
. "$(dirname "$0")/lib.sh"

test_require age-keygen openssl "$SEALCTL" /usr/local/go/bin/go

# The original Secret exactly as `sealctl recover` prints it (data in
# base64; blob holds bytes 00 01 02 fd fe ff).
original() { # original [NAME]
	cat <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: ${1:-db}
  namespace: shop
  labels:
    app: db
  annotations:
    team: payments
type: Opaque
data:
  blob: AAEC/f7/
  password: czNjcmV0LXBhc3M=
  user: YWRtaW4=
EOF
}

# A Bitnami SealedSecret around --raw values: SCOPE-ANNOTATION KEY=VALUE...
bitnami_raw() {
	anno=$1; shift
	printf "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n"
	printf "  name: db\n  namespace: shop\n"
	[ -n "$anno" ] && printf "  annotations:\n    sealedsecrets.bitnami.com/%s: \"true\"\n" "$anno"
	printf "spec:\n  template:\n    type: Opaque\n    metadata:\n"
	printf "      labels: {app: db}\n      annotations: {team: payments}\n"
	printf "  encryptedData:\n"
	for kv in "$@"; do printf "    %s: %s\n" "${kv%%=*}" "${kv#*=}"; done
}

test_expect_success 'setup: kubeseal (pinned), a controller key and certificate, our key' '
	sh "$SS_SRC_DIR/tests/peers/kubeseal/build.sh" >build.log 2>&1 &&
	KUBESEAL=$(sh "$SS_SRC_DIR/tests/peers/kubeseal/build.sh" --dir) &&
	test -x "$KUBESEAL" &&
	echo "$KUBESEAL" >kubeseal.path &&
	openssl req -x509 -newkey rsa:4096 -nodes -keyout tls.key -out tls.crt \
		-subj "/CN=sealed-secret/O=sealed-secret" -days 3650 2>/dev/null &&
	openssl req -x509 -newkey rsa:4096 -nodes -keyout other.key -out other.crt \
		-subj "/CN=sealed-secret/O=sealed-secret" -days 3650 2>/dev/null &&
	{
		echo "apiVersion: v1"; echo "kind: List"; echo "items:"
		echo "- apiVersion: v1"; echo "  kind: Secret"; echo "  metadata:"
		echo "    name: sealed-secrets-key7x2kq"; echo "    namespace: kube-system"
		echo "    labels: {sealedsecrets.bitnami.com/sealed-secrets-key: active}"
		echo "  type: kubernetes.io/tls"; echo "  data:"
		echo "    tls.crt: $(base64 -w0 tls.crt)"; echo "    tls.key: $(base64 -w0 tls.key)"
	} >key-secret.yaml &&
	"$SEALCTL" keygen -w keys.txt 2>/dev/null &&
	age-keygen -y keys.txt >recipients.txt &&
	original >secret.yaml
'
KUBESEAL=$(cat kubeseal.path 2>/dev/null)

for scope in strict namespace-wide cluster-wide; do
	test_expect_success "manifest mode, $scope: import then recover gives the original Secret" '
		"$KUBESEAL" --cert tls.crt --scope '$scope' -o yaml <secret.yaml >bn-'$scope'.yaml &&
		test_contains "apiVersion: bitnami.com/v1alpha1" bn-'$scope'.yaml &&
		cp bn-'$scope'.yaml conv-'$scope'.yaml &&
		"$SEALCTL" import bitnami --key tls.key -R recipients.txt conv-'$scope'.yaml 2>err &&
		test_contains "1 SealedSecret(s), 3 value(s) in 1 file(s) converted in place" err &&
		test_contains "apiVersion: sealsync.dev/v1" conv-'$scope'.yaml &&
		test_not_contains "c3NjcmV0" conv-'$scope'.yaml &&
		"$SEALCTL" verify conv-'$scope'.yaml &&
		"$SEALCTL" recover -i keys.txt conv-'$scope'.yaml >got 2>/dev/null &&
		original >want &&
		test_cmp want got
	'
done

test_expect_success 'their scopes map to ours, and strict says each value is now bound to its key' '
	grep "^  scope: " conv-strict.yaml conv-namespace-wide.yaml conv-cluster-wide.yaml >scopes &&
	printf "%s\n" "conv-strict.yaml:  scope: strict" \
		"conv-namespace-wide.yaml:  scope: namespace" \
		"conv-cluster-wide.yaml:  scope: cluster" >want &&
	test_cmp want scopes &&
	cp bn-strict.yaml again.yaml &&
	"$SEALCTL" import bitnami --key tls.key -R recipients.txt again.yaml 2>err &&
	test_contains "each value is now also bound to the key it is listed under" err &&
	test_not_contains "sealedsecrets.bitnami.com" conv-namespace-wide.yaml &&
	sed "s/^    password: /    stolen: /" again.yaml >moved.yaml &&
	test_must_fail "$SEALCTL" recover -i keys.txt moved.yaml >/dev/null 2>err &&
	test_contains "key stolen" err
'

for scope in strict namespace-wide cluster-wide; do
	test_expect_success "--raw, $scope: import then recover gives the original Secret" '
		anno=; [ '$scope' = strict ] || anno='$scope' &&
		raw() { printf "%s" "$1" | "$KUBESEAL" --raw --cert tls.crt --scope '$scope' \
			--namespace shop --name db; } &&
		b=$(printf "\000\001\002\375\376\377" | "$KUBESEAL" --raw --cert tls.crt \
			--scope '$scope' --namespace shop --name db --from-file=/dev/stdin) &&
		bitnami_raw "$anno" "password=$(raw secret-pass)" "user=$(raw admin)" "blob=$b" \
			>raw-'$scope'.yaml &&
		"$SEALCTL" import bitnami --key tls.key -R recipients.txt -w out.yaml raw-'$scope'.yaml &&
		test_contains "encryptedData" raw-'$scope'.yaml &&
		test_not_contains "sealsync.dev" raw-'$scope'.yaml &&
		"$SEALCTL" recover -i keys.txt out.yaml >got 2>/dev/null &&
		original | sed "s/czNjcmV0LXBhc3M=/c2VjcmV0LXBhc3M=/" >want &&
		test_cmp want got
	'
done

test_expect_success '--key takes the controller key Secret as YAML (a v1 List), as kubeseal does' '
	"$SEALCTL" import bitnami --key key-secret.yaml -R recipients.txt -w - bn-strict.yaml >out.yaml &&
	"$SEALCTL" recover -i keys.txt out.yaml >got 2>/dev/null &&
	original >want &&
	test_cmp want got &&
	"$SEALCTL" import bitnami --key other.key --key key-secret.yaml -R recipients.txt \
		-w - bn-strict.yaml >out2.yaml &&
	"$SEALCTL" recover -i keys.txt out2.yaml >got2 2>/dev/null &&
	test_cmp want got2
'

# fails_unchanged FILE: import with ARGS... fails (exit 1) and FILE keeps its bytes.
fails_unchanged() {
	f=$1; shift
	cp "$f" "$f.before" &&
	test_expect_code 1 "$SEALCTL" import bitnami "$@" "$f" 2>err &&
	cmp "$f" "$f.before"
}

test_expect_success 'a wrong key fails naming file, object and key; nothing is written' '
	cp bn-strict.yaml wrong.yaml &&
	fails_unchanged wrong.yaml --key other.key -R recipients.txt &&
	test_contains "wrong.yaml:" err &&
	test_contains "SealedSecret shop/db" err &&
	test_contains "key blob" err &&
	test_contains "no --key opens it under their scope strict shop/db" err
'

test_expect_success 'a changed ciphertext fails naming the item (AES-GCM tag)' '
	k=$(sed -n "s/^    password: //p" bn-strict.yaml) &&
	t=$(printf "%s" "$k" | base64 -d | $PYTHON -c "import sys,base64; b=bytearray(sys.stdin.buffer.read()); b[-20]^=1; print(base64.b64encode(bytes(b)).decode())") &&
	sed "s|^    password: .*|    password: $t|" bn-strict.yaml >tampered.yaml &&
	fails_unchanged tampered.yaml --key tls.key -R recipients.txt &&
	test_contains "tampered.yaml:" err &&
	test_contains "SealedSecret shop/db" err &&
	test_contains "key password" err &&
	test_contains "the value was changed after sealing" err
'

test_expect_success 'a scope mismatch fails naming the item: renamed, and re-annotated' '
	sed "s/^  name: db$/  name: db2/" bn-strict.yaml >renamed.yaml &&
	fails_unchanged renamed.yaml --key tls.key -R recipients.txt &&
	test_contains "SealedSecret shop/db2" err &&
	test_contains "under their scope strict shop/db2" err &&
	grep -v "sealedsecrets.bitnami.com/namespace-wide" bn-namespace-wide.yaml >reannotated.yaml &&
	fails_unchanged reannotated.yaml --key tls.key -R recipients.txt &&
	test_contains "reannotated.yaml:" err &&
	test_contains "key blob" err &&
	test_contains "scope mismatch: the value was sealed namespace-wide shop, but the manifest" err
'

test_expect_success 'a tree is all or nothing: one bad file leaves the good one as it was' '
	mkdir -p tree/a tree/b &&
	cp bn-strict.yaml tree/a/good.yaml &&
	cp tampered.yaml tree/b/bad.yaml &&
	cp tree/a/good.yaml good.before &&
	test_expect_code 1 "$SEALCTL" import bitnami --key tls.key -R recipients.txt tree 2>err &&
	test_contains "tree/b/bad.yaml" err &&
	cmp tree/a/good.yaml good.before &&
	rm tree/b/bad.yaml &&
	echo "apiVersion: v1" >tree/b/other.yaml && echo "kind: ConfigMap" >>tree/b/other.yaml &&
	echo "metadata: {name: c}" >>tree/b/other.yaml && cp tree/b/other.yaml other.before &&
	"$SEALCTL" import bitnami --key tls.key -R recipients.txt tree 2>err &&
	test_contains "1 SealedSecret(s), 3 value(s) in 1 file(s)" err &&
	cmp tree/b/other.yaml other.before &&
	test_contains "sealsync.dev/v1" tree/a/good.yaml
'

test_expect_success 'template.data: a Go template and the legacy spec.data are refused by name; a literal is sealed' '
	sed "s/^  template:$/  template:\n    data:\n      dsn: \"postgres:\/\/{{ .user }}@db\"/" bn-strict.yaml >tmpl.yaml &&
	fails_unchanged tmpl.yaml --key tls.key -R recipients.txt &&
	test_contains "field spec.template.data: key dsn: a Go template" err &&
	sed "s/^  template:$/  template:\n    data:\n      host: db.shop.svc/" bn-strict.yaml >lit.yaml &&
	"$SEALCTL" import bitnami --key tls.key -R recipients.txt -w - lit.yaml >lit-out.yaml &&
	"$SEALCTL" recover -i keys.txt lit-out.yaml >got 2>/dev/null &&
	test_contains "host: ZGIuc2hvcC5zdmM=" got &&
	sed "s/^  encryptedData:$/  data: AgBsHFtX\n  encryptedData:/" bn-strict.yaml >legacy.yaml &&
	fails_unchanged legacy.yaml --key tls.key -R recipients.txt &&
	test_contains "field spec.data: the legacy single-blob format" err
'

test_expect_success 'usage: no key, no recipient, an unknown format' '
	test_expect_code 2 "$SEALCTL" import bitnami -R recipients.txt bn-strict.yaml 2>err &&
	test_contains "--key" err &&
	test_expect_code 2 "$SEALCTL" import bitnami --key tls.key bn-strict.yaml 2>err &&
	test_contains "recipient" err &&
	test_expect_code 2 "$SEALCTL" import vault x 2>err &&
	test_contains "unknown format" err &&
	"$SEALCTL" import --help >help &&
	test_contains "bitnami" help && test_contains "sops" help
'

test_done
