#!/bin/bash
# sealctl seal / recover / inspect / verify with the real age CLI (issue 3,
# acceptance 2): every value of a sealed Secret opens with stock
# `base64 -d | age -d`, and `sealctl recover` gives back the input's data.
. "$(dirname "$0")/lib.sh"

test_require age age-keygen "$SEALCTL" "$PYTHON"

# Prints key<TAB>base64 value for each spec.encryptedData entry of a
# SealedSecret in JSON (sealctl -o json).
values_of() {
	$PYTHON -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k,v in sorted(d["spec"]["encryptedData"].items()): print(k+"\t"+v)' "$1"
}

# Prints the data of a Secret (YAML, via python3-yaml) as key=base64 lines.
data_of() {
	$PYTHON -c 'import yaml,sys,base64
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if not doc: continue
    d=dict(doc.get("data") or {})
    for k,v in (doc.get("stringData") or {}).items(): d[k]=base64.b64encode(v.encode()).decode()
    for k in sorted(d): print(doc["metadata"]["name"]+"/"+k+"="+d[k])' "$1"
}

test_expect_success 'setup: keys from age-keygen, a Secret with data and stringData' '
	age-keygen -o keys.txt 2>pub.txt &&
	chmod 600 keys.txt &&
	sed -n "s/^Public key: //p" pub.txt >recipient &&
	age-keygen -o other.txt 2>other.pub &&
	chmod 600 other.txt &&
	sed -n "s/^Public key: //p" other.pub >other.recipient &&
	cat >secret.yaml <<-\EOF
	apiVersion: v1
	kind: Secret
	metadata:
	  name: db-creds
	  namespace: prod
	  labels:
	    app: db
	type: kubernetes.io/basic-auth
	data:
	  password: czNjcjN0LXBhc3N3MHJkLTQyIQ==
	  binary: AAEC/f7/
	stringData:
	  username: admin-user-x7
	  config.yaml: |
	    host: db.prod
	    port: 5432
	EOF
	echo "s3cr3t-passw0rd-42!" >plain.password
'

test_expect_success 'seal writes a SealedSecret, no plaintext' '
	"$SEALCTL" seal -r "$(cat recipient)" secret.yaml >sealed.yaml &&
	test_contains "apiVersion: sealsync.dev/v1" sealed.yaml &&
	test_contains "kind: SealedSecret" sealed.yaml &&
	test_contains "scope: strict" sealed.yaml &&
	test_not_contains "s3cr3t-passw0rd" sealed.yaml &&
	test_not_contains "czNjcjN0LXBhc3N3MHJkLTQyIQ==" sealed.yaml &&
	test_not_contains "admin-user-x7" sealed.yaml &&
	test_not_contains "db.prod" sealed.yaml
'

test_expect_success 'every value opens with stock age after base64 -d' '
	"$SEALCTL" seal -r "$(cat recipient)" -o json <secret.yaml >sealed.json &&
	values_of sealed.json >values &&
	test $(wc -l <values) -eq 4 &&
	while IFS="	" read -r key val; do
		printf "%s" "$val" | base64 -d >"$key.age" &&
		age -d -i keys.txt "$key.age" >"$key.out" || return 1
	done <values &&
	printf "%s" "s3cr3t-passw0rd-42!" >want.password &&
	cmp want.password password.out &&
	printf "\000\001\002\375\376\377" >want.binary &&
	cmp want.binary binary.out &&
	printf "admin-user-x7" >want.username &&
	cmp want.username username.out &&
	printf "host: db.prod\nport: 5432\n" >want.config &&
	cmp want.config config.yaml.out &&
	test_must_fail age -d -i other.txt password.age
'

test_expect_success 'recover gives back the input data, with a warning' '
	"$SEALCTL" recover -i keys.txt sealed.yaml >recovered.yaml 2>recover.err &&
	test_contains "WARNING" recover.err &&
	test_not_contains "s3cr3t" recover.err &&
	data_of secret.yaml >want.data &&
	data_of recovered.yaml >got.data &&
	test_cmp want.data got.data &&
	test_contains "type: kubernetes.io/basic-auth" recovered.yaml &&
	test_contains "app: db" recovered.yaml
'

test_expect_success 'several recipients: each key opens every value' '
	"$SEALCTL" seal -r "$(cat other.recipient)" -R recipient secret.yaml >two.yaml &&
	"$SEALCTL" recover -i keys.txt two.yaml >r1.yaml 2>/dev/null &&
	"$SEALCTL" recover -i other.txt two.yaml >r2.yaml 2>/dev/null &&
	test_cmp r1.yaml r2.yaml &&
	"$SEALCTL" inspect -r "$(cat recipient)" two.yaml >inspect.out &&
	test_contains "recipient: $(cat recipient)" inspect.out &&
	test $(grep -c "hint:" inspect.out) -eq 8 &&
	test_not_contains "s3cr3t" inspect.out
'

test_expect_success 'several documents in, several SealedSecrets out; JSON List' '
	{ cat secret.yaml; echo "---"; sed "s/db-creds/api-creds/" secret.yaml; } >multi.yaml &&
	"$SEALCTL" seal -r "$(cat recipient)" multi.yaml >multi.sealed &&
	test $(grep -c "^kind: SealedSecret" multi.sealed) -eq 2 &&
	"$SEALCTL" seal -r "$(cat recipient)" -o json multi.yaml >multi.json &&
	test_contains "\"kind\": \"List\"" multi.json &&
	"$SEALCTL" recover -i keys.txt multi.json >multi.rec 2>/dev/null &&
	test_contains "name: api-creds" multi.rec &&
	test_contains "name: db-creds" multi.rec
'

test_expect_success 'scope options: namespace scope, -n for a Secret without one' '
	sed "/namespace: prod/d" secret.yaml >nons.yaml &&
	test_must_fail "$SEALCTL" seal -r "$(cat recipient)" nons.yaml 2>nons.err &&
	test_contains "metadata.namespace" nons.err &&
	"$SEALCTL" seal -r "$(cat recipient)" -n staging --scope namespace nons.yaml >ns.yaml &&
	test_contains "scope: namespace" ns.yaml &&
	test_contains "namespace: staging" ns.yaml &&
	"$SEALCTL" inspect ns.yaml >ns.inspect &&
	test_contains "scope: namespace staging" ns.inspect &&
	"$SEALCTL" seal -r "$(cat recipient)" --scope cluster nons.yaml >cl.yaml &&
	"$SEALCTL" recover -i keys.txt -n anywhere cl.yaml >cl.rec 2>/dev/null &&
	test_contains "namespace: anywhere" cl.rec
'

test_expect_success 'verify: ok with and without identities, fails with the wrong key' '
	"$SEALCTL" verify sealed.yaml 2>v1.err &&
	test_contains "ok" v1.err &&
	"$SEALCTL" verify -i keys.txt sealed.yaml two.yaml 2>v2.err &&
	test_contains "2 file(s), 2 SealedSecret(s), 8 value(s) decrypted: ok" v2.err &&
	test_expect_code 1 "$SEALCTL" verify -i other.txt sealed.yaml 2>v3.err &&
	test_contains "sealed.yaml:" v3.err &&
	test_contains "field spec.encryptedData: key" v3.err &&
	test_contains "FAILED" v3.err
'

test_expect_success 'a plain age -e value needs --allow-unscoped' '
	printf "plain-age-value-9" | age -e -r "$(cat recipient)" | base64 -w0 >plain.b64 &&
	printf "apiVersion: sealsync.dev/v1\nkind: SealedSecret\nmetadata: {name: db, namespace: prod}\nspec:\n  encryptedData:\n    v: %s\n" \
		"$(cat plain.b64)" >unscoped.yaml &&
	test_expect_code 1 "$SEALCTL" verify unscoped.yaml 2>u1.err &&
	test_contains "no scope stanza" u1.err &&
	"$SEALCTL" verify --allow-unscoped unscoped.yaml &&
	test_expect_code 1 "$SEALCTL" recover -i keys.txt unscoped.yaml >u.out 2>u2.err &&
	test ! -s u.out &&
	test_contains "unscoped.yaml:6: document 0: field spec.encryptedData: key v: " u2.err &&
	test_not_contains "plain-age-value-9" u2.err &&
	"$SEALCTL" recover -i keys.txt --allow-unscoped unscoped.yaml >u.yaml 2>/dev/null &&
	test_contains "v: $(printf plain-age-value-9 | base64)" u.yaml &&
	"$SEALCTL" inspect unscoped.yaml >u.inspect &&
	test_contains "scope: \"none (unscoped)\"" u.inspect
'

test_expect_success 'usage: --help on every verb, exit 2 on bad usage' '
	for v in seal reseal verify recover inspect; do
		"$SEALCTL" $v --help >help.$v && test_contains "usage: sealctl $v" help.$v || return 1
	done &&
	test_expect_code 2 "$SEALCTL" seal secret.yaml &&
	test_expect_code 2 "$SEALCTL" seal -r "$(cat recipient)" --scope galaxy secret.yaml &&
	test_expect_code 2 "$SEALCTL" recover sealed.yaml &&
	test_expect_code 2 "$SEALCTL" verify --bogus &&
	test_expect_code 2 "$SEALCTL" inspect --in-place sealed.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r age1notakey secret.yaml
'

test_expect_success 'seal --raw still goes to the single-value verb' '
	printf "raw-value-1" | "$SEALCTL" seal --raw -r "$(cat recipient)" \
		--namespace prod --name db --key k >raw.b64 &&
	base64 -d raw.b64 | age -d -i keys.txt >raw.out &&
	printf "raw-value-1" >raw.want &&
	cmp raw.want raw.out
'

test_done
