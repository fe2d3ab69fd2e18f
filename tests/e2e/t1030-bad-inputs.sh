#!/bin/bash
# Bad inputs to sealctl (issue 3, acceptance 5): each exits 1 with an error
# naming the file, document, field and key, and never the value.
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL" "$PYTHON"

SECRET_VALUE=Pa55-w0rd-SHOULD-NOT-LEAK
SECRET_B64=$(printf %s "$SECRET_VALUE" | base64)

# Every bad SealedSecret is document 1, after a ConfigMap.
bad() { # bad NAME < document text
	{ printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\ndata: {a: b}\n---\n"; cat; } >"$1"
}

# check ERRFILE FILE DOC FIELD KEY: the error names all four, no secret.
check() {
	test_contains "sealctl: $2:" "$1" &&
	test_contains "document $3: " "$1" &&
	{ test -z "$4" || test_contains "field $4: " "$1"; } &&
	{ test -z "$5" || test_contains "key $5: " "$1"; } &&
	test_not_contains "$SECRET_VALUE" "$1" &&
	test_not_contains "$SECRET_B64" "$1" &&
	test_not_contains "AGE-SECRET-KEY" "$1"
}

# fails_both FILE DOC FIELD KEY: verify and recover both refuse FILE.
fails_both() {
	test_expect_code 1 "$SEALCTL" verify "$1" 2>"$1.verify" &&
	check "$1.verify" "$@" &&
	test_expect_code 1 "$SEALCTL" recover -i keys.txt "$1" >"$1.out" 2>"$1.recover" &&
	check "$1.recover" "$@" &&
	test ! -s "$1.out"
}

test_expect_success 'setup: a key and a good SealedSecret' '
	age-keygen -o keys.txt 2>pub.txt && chmod 600 keys.txt &&
	sed -n "s/^Public key: //p" pub.txt >recipient &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\ndata:\n  password: %s\n" \
		"$SECRET_B64" >secret.yaml &&
	"$SEALCTL" seal -r "$(cat recipient)" secret.yaml >good.yaml &&
	"$SEALCTL" verify -i keys.txt good.yaml
'

test_expect_success 'not YAML' '
	printf "apiVersion: sealsync.dev/v1\nkind: SealedSecret\nmetadata: {name: db\n  x: [\n" | bad notyaml.yaml &&
	test_expect_code 1 "$SEALCTL" verify notyaml.yaml 2>err &&
	test_contains "sealctl: notyaml.yaml:" err &&
	test_contains "document 1" err &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" notyaml.yaml 2>err2 &&
	test_contains "notyaml.yaml:" err2
'

test_expect_success 'wrong kind' '
	sed "s/^kind: SealedSecret/kind: SealedSecrets/" good.yaml | bad wrongkind.yaml &&
	fails_both wrongkind.yaml 1 kind "" &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" wrongkind.yaml 2>err &&
	check err wrongkind.yaml 0 kind "" &&
	test_contains "expected a v1 Secret" err
'

test_expect_success 'missing metadata.name' '
	sed "/^  name: db/d" good.yaml | bad noname.yaml &&
	fails_both noname.yaml 1 metadata.name ""
'

test_expect_success 'value not base64' '
	sed "s/^\(    password: \).*/\1${SECRET_B64}**/" good.yaml | bad notb64.yaml &&
	fails_both notb64.yaml 1 spec.encryptedData password
'

test_expect_success 'value not an age file' '
	sed "s/^\(    password: \).*/\1${SECRET_B64}/" good.yaml | bad notage.yaml &&
	fails_both notage.yaml 1 spec.encryptedData password &&
	test_contains "age" notage.yaml.verify
'

test_expect_success 'unknown scope' '
	sed "s/^  scope: strict/  scope: galaxy/" good.yaml | bad badscope.yaml &&
	fails_both badscope.yaml 1 spec.scope ""
'

test_expect_success 'spec.scope differs from the value'"'"'s stanza' '
	sed "s/^  scope: strict/  scope: namespace/" good.yaml | bad mismatch.yaml &&
	fails_both mismatch.yaml 1 spec.encryptedData password &&
	test_contains "spec.scope is namespace but the value is sealed for strict prod/db/password" mismatch.yaml.verify
'

test_expect_success 'a SealedSecret moved to another namespace' '
	sed "s/^  namespace: prod/  namespace: staging/" good.yaml | bad moved.yaml &&
	fails_both moved.yaml 1 spec.encryptedData password &&
	test_contains "prod/db/password" moved.yaml.verify &&
	test_contains "staging" moved.yaml.verify &&
	# With no namespace in the manifest, the one it is used in decides.
	sed "/^  namespace: prod/d" good.yaml >nons.yaml &&
	"$SEALCTL" recover -i keys.txt -n prod nons.yaml >/dev/null 2>&1 &&
	test_expect_code 1 "$SEALCTL" recover -i keys.txt -n staging nons.yaml >out 2>err &&
	check err nons.yaml 0 spec.encryptedData password &&
	test ! -s out
'

test_expect_success 'a Secret with a key twice' '
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\ndata:\n  password: %s\n  password: %s\n" \
		"$SECRET_B64" "$SECRET_B64" | bad dup1.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" dup1.yaml >out 2>err &&
	test ! -s out &&
	test_contains "dup1.yaml:11: document 1" err &&
	test_contains "password" err &&
	test_not_contains "$SECRET_B64" err &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\ndata:\n  password: %s\nstringData:\n  password: %s\n" \
		"$SECRET_B64" "$SECRET_VALUE" >dup2.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" dup2.yaml >out 2>err2 &&
	test ! -s out &&
	check err2 dup2.yaml 0 stringData password
'

test_expect_success 'an oversized file' '
	{ cat good.yaml; $PYTHON -c "print(\"# \" + \"x\" * (5 << 20))"; } >big.yaml &&
	test_expect_code 1 "$SEALCTL" verify big.yaml 2>err &&
	test_contains "sealctl: big.yaml: " err &&
	test_contains "limit" err &&
	{ cat secret.yaml; $PYTHON -c "print(\"# \" + \"x\" * (5 << 20))"; } >bigsecret.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" bigsecret.yaml >out 2>err2 &&
	test_contains "bigsecret.yaml: " err2 &&
	test_not_contains "$SECRET_B64" err2
'

test_expect_success 'an alias bomb is refused quickly' '
	{
		echo "apiVersion: v1"; echo "kind: Secret"
		echo "metadata: {name: db, namespace: prod}"
		echo "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"
		p=a
		for n in b c d e f g h i; do
			echo "$n: &$n [*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p]"; p=$n
		done
		echo "stringData: {password: $SECRET_VALUE}"
	} >bomb.yaml &&
	test_expect_code 1 timeout 20 "$SEALCTL" seal -r "$(cat recipient)" bomb.yaml >out 2>err &&
	test ! -s out &&
	test_contains "sealctl: bomb.yaml" err &&
	test_not_contains "$SECRET_VALUE" err
'

test_expect_success 'a key file readable by others' '
	cp keys.txt open.txt && chmod 644 open.txt &&
	test_expect_code 1 "$SEALCTL" recover -i open.txt good.yaml >out 2>err &&
	test ! -s out &&
	test_contains "open.txt" err &&
	test_not_contains "AGE-SECRET-KEY" err &&
	test_expect_code 1 "$SEALCTL" reseal -i open.txt -R recipient good.yaml >out 2>err2 &&
	test_contains "open.txt" err2 &&
	test_expect_code 1 "$SEALCTL" verify -i open.txt good.yaml 2>err3 &&
	test_contains "open.txt" err3
'

test_expect_success 'a wrong key: the value is named, not shown' '
	age-keygen -o other.txt 2>/dev/null && chmod 600 other.txt &&
	test_expect_code 1 "$SEALCTL" recover -i other.txt good.yaml >out 2>err &&
	test ! -s out &&
	check err good.yaml 0 spec.encryptedData password
'

test_done
