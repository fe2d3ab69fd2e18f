#!/bin/bash
# SOPS migration (docs/MIGRATION.md, "From SOPS with Flux"): Secrets that the
# real sops (tests/peers/sops, pinned) encrypted to two age recipients are
# applied by a unit that opted in, recovered by sealctl, and imported into
# SealedSecrets that apply identically. Tampering with a value, a leaf left
# in clear, or the MAC fails the unit with nothing applied; a unit without
# `sops: true` refuses them by name; a sealed value offered as a data key,
# ssh recipients and PGP are refused by name.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl age-keygen ssh-keygen
sh "$SS_SRC_DIR/tests/peers/sops/build.sh" >sops-build.log 2>&1 || { cat sops-build.log; exit 1; }
SOPS=$(sh "$SS_SRC_DIR/tests/peers/sops/build.sh" --path)
export SOPS_AGE_KEY_FILE=/nonexistent # sops encrypts only; it never needs a key

# sops_enc FILE [sops flags]: the Secret in FILE encrypted to $PUB and $OTHER.
sops_enc() {
	f=$1; shift
	"$SOPS" encrypt --age "$PUB,$OTHER" "$@" --input-type yaml --output-type yaml "$f"
}

# py_edit FILE PYTHON: rewrites FILE's text t with the expression.
py_edit() {
	$PYTHON -c "import sys,re; p=sys.argv[1]; t=open(p).read(); t2=$2; assert t2!=t; open(p,'w').write(t2)" "$1"
}

# secret_yaml NAME: a Secret in namespace shop with data and stringData.
secret_yaml() {
	cat <<-YAML
	apiVersion: v1
	kind: Secret
	metadata:
	  name: $1
	  namespace: shop
	  labels:
	    app: shop
	type: Opaque
	data:
	  password: $(printf 'hunter2-sops' | base64)
	stringData:
	  user: app-user
	YAML
}

unit_cfg() { # PATH SOPS
	printf 'units:\n  - name: default\n    path: %s\n    sops: %s\n' "$1" "$2"
}

test_expect_success 'setup: keys, API server, two sops files (full and encrypted_regex)' '
	ss_keys &&
	age-keygen -o other.txt 2>/dev/null &&
	OTHER=$(sed -n "s/^# public key: //p" other.txt) &&
	ss_apiserver_start &&
	ss_ns shop &&
	ss_repo_init &&
	mkdir -p repo/apps &&
	secret_yaml db-full >full.plain.yaml &&
	secret_yaml db-regex >regex.plain.yaml &&
	sops_enc full.plain.yaml >repo/apps/full.sops.yaml &&
	sops_enc regex.plain.yaml --encrypted-regex "^(data|stringData)$" >repo/apps/regex.sops.yaml &&
	grep -q "recipient: $OTHER" repo/apps/full.sops.yaml &&
	grep -q "^    namespace: ENC\[AES256_GCM" repo/apps/full.sops.yaml &&
	grep -q "^    namespace: shop" repo/apps/regex.sops.yaml &&
	test_not_contains hunter2 repo/apps/full.sops.yaml &&
	unit_cfg apps true >sops.yaml &&
	unit_cfg apps false >nosops.yaml &&
	cp repo/apps/full.sops.yaml full.good.yaml &&
	cp repo/apps/regex.sops.yaml regex.good.yaml &&
	ss_commit "sops files"
'

test_expect_success 'a unit that did not opt in refuses SOPS files by name, applies nothing' '
	: >agent.log &&
	test_must_fail ss_sync --config nosops.yaml &&
	grep "sync failed" agent.log | grep "apps/full.sops.yaml" | grep -q "sops: true" &&
	test_must_fail kubectl -n shop get secret db-full
'

test_expect_success 'sealctl recover decrypts both files (MAC checked), stringData folded' '
	"$SEALCTL" recover -i keys.txt -o json full.good.yaml regex.good.yaml >rec.json 2>rec.err &&
	$PYTHON -c "
import json,sys,base64
docs=json.load(open(\"rec.json\"))[\"items\"]
assert len(docs)==2, docs
for d in docs:
    assert d[\"metadata\"][\"namespace\"]==\"shop\"
    assert \"stringData\" not in d and \"sops\" not in d
    assert base64.b64decode(d[\"data\"][\"password\"])==b\"hunter2-sops\"
    assert base64.b64decode(d[\"data\"][\"user\"])==b\"app-user\"
" &&
	"$SEALCTL" verify -i keys.txt full.good.yaml regex.good.yaml 2>verify.err &&
	grep -q "2 SOPS document(s) decrypted, MAC checked" verify.err
'

test_expect_success 'the other recipient also opens it: sealctl recover with its key' '
	"$SEALCTL" recover -i other.txt full.good.yaml >rec-other.yaml 2>/dev/null &&
	grep -q "password: $(printf hunter2-sops | base64)" rec-other.yaml
'

test_expect_success 'a unit with sops: true applies both Secrets, equal to sealctl recover' '
	ss_sync --config sops.yaml &&
	for n in db-full db-regex; do
		test "$(ss_secret_value shop $n password)" = hunter2-sops &&
		test "$(ss_secret_value shop $n user)" = app-user &&
		test "$(kubectl -n shop get secret $n -o jsonpath={.metadata.labels.app})" = shop || return 1
	done &&
	kubectl -n shop get secret db-full -o jsonpath="{.data.password} {.data.user}" >applied &&
	"$SEALCTL" recover -i keys.txt full.good.yaml 2>/dev/null >rec.yaml &&
	grep -q "password: $(cut -d" " -f1 applied)" rec.yaml &&
	grep -q "user: $(cut -d" " -f2 applied)" rec.yaml &&
	test_not_contains hunter2-sops agent.log
'

# tamper NAME FILE EXPR: the unit fails at unseal; nothing of the commit is
# applied (a new ConfigMap rides along and must not appear).
tamper() {
	cp full.good.yaml repo/apps/full.sops.yaml &&
	cp regex.good.yaml repo/apps/regex.sops.yaml &&
	py_edit "repo/apps/$2" "$3" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: marker-%s\n  namespace: shop\n" "$1" >repo/apps/marker.yaml &&
	ss_commit "tamper $1" &&
	: >agent.log &&
	test_must_fail ss_sync --config sops.yaml &&
	grep "sync failed" agent.log >failed.log &&
	test_must_fail kubectl -n shop get configmap "marker-$1"
}

test_expect_success 'a tampered value fails the unit, nothing applied' '
	tamper value full.sops.yaml "re.sub(r\"(password: ENC\[AES256_GCM,data:)(.)\", lambda m: m.group(1)+(\"A\" if m.group(2)!=\"A\" else \"B\"), t)" &&
	grep -q "does not decrypt" failed.log &&
	test "$(ss_secret_value shop db-full password)" = hunter2-sops
'

test_expect_success 'a tampered unencrypted leaf (metadata.namespace) fails the MAC' '
	ss_ns other &&
	tamper namespace regex.sops.yaml "t.replace(\"namespace: shop\", \"namespace: other\", 1)" &&
	grep -q "MAC mismatch" failed.log &&
	test_must_fail kubectl -n other get secret db-regex
'

test_expect_success 'a tampered MAC fails the unit' '
	tamper mac full.sops.yaml "re.sub(r\"(mac: ENC\[AES256_GCM,data:)(.)\", lambda m: m.group(1)+(\"A\" if m.group(2)!=\"A\" else \"B\"), t)" &&
	grep -q "sops mac" failed.log
'

test_expect_success 'a sealed value offered as a SOPS data key is refused (key holder)' '
	printf x | "$SEALCTL" seal --raw -r "$PUB" --scope cluster >sealed.txt 2>/dev/null &&
	$PYTHON -c "
import re,sys,base64,textwrap
t=open(\"full.good.yaml\").read()
v=base64.b64decode(open(\"sealed.txt\").read().strip())
b=base64.b64encode(v).decode()
arm=\"-----BEGIN AGE ENCRYPTED FILE-----\n\"+\"\n\".join(textwrap.wrap(b,64))+\"\n-----END AGE ENCRYPTED FILE-----\n\"
ind=\"\n\".join(\"            \"+l for l in arm.splitlines())
t=re.sub(r\"enc: \|\n(?:            .*\n)+\", lambda m: \"enc: |\n\"+ind+\"\n\", t)
open(\"repo/apps/full.sops.yaml\",\"w\").write(t)
" &&
	cp regex.good.yaml repo/apps/regex.sops.yaml && rm -f repo/apps/marker.yaml &&
	ss_commit "sealed value as data key" &&
	: >agent.log &&
	test_must_fail ss_sync --config sops.yaml &&
	grep "sync failed" agent.log | grep -q "sealsync/scope stanza" &&
	test_must_fail "$SEALCTL" recover -i keys.txt repo/apps/full.sops.yaml 2>rec-scope.err &&
	grep -q "sealsync/scope stanza" rec-scope.err
'

test_expect_success 'ssh recipients and PGP are refused by name' '
	ssh-keygen -q -t ed25519 -N "" -f sshkey &&
	"$SOPS" encrypt --age "$(cat sshkey.pub)" --input-type yaml --output-type yaml full.plain.yaml >ssh.sops.yaml &&
	test_must_fail "$SEALCTL" recover -i keys.txt ssh.sops.yaml 2>ssh.err &&
	grep -q "recipient type ssh-ed25519: only X25519 age recipients" ssh.err &&
	cp full.good.yaml pgp.sops.yaml &&
	py_edit pgp.sops.yaml "t.replace(\"\nsops:\n\", \"\nsops:\n    pgp:\n        - fp: ABCDEF\n          enc: x\n\", 1)" &&
	test_must_fail "$SEALCTL" recover -i keys.txt pgp.sops.yaml 2>pgp.err &&
	grep -q "sops pgp is not supported" pgp.err
'

test_expect_success 'a SOPS file used by a kustomize secretGenerator is refused by name' '
	mkdir -p repo/kust &&
	printf "password=hunter2-env\n" >plain.env &&
	"$SOPS" encrypt --age "$PUB" --input-type dotenv --output-type dotenv plain.env >repo/kust/secret.enc.env &&
	grep -q "^sops_mac=" repo/kust/secret.enc.env &&
	printf "secretGenerator:\n  - name: db-env\n    namespace: shop\n    envs:\n      - secret.enc.env\n" >repo/kust/kustomization.yaml &&
	ss_commit "kustomize" &&
	unit_cfg kust true >kust.yaml &&
	: >agent.log &&
	test_must_fail ss_sync --config kust.yaml &&
	grep "sync failed" agent.log | grep "secret.enc.env" | grep -q "secretGenerator" &&
	test_must_fail kubectl -n shop get secret db-env
'

test_expect_success 'sealctl import sops gives SealedSecrets that the agent applies identically' '
	"$SEALCTL" import sops -i keys.txt -r "$PUB" full.good.yaml regex.good.yaml >imported.yaml &&
	test_not_contains hunter2 imported.yaml &&
	test "$(grep -c "^kind: SealedSecret" imported.yaml)" = 2 &&
	test "$(grep -c "^  scope: strict" imported.yaml)" = 2 &&
	kubectl -n shop get secret db-full -o jsonpath="{.data}" >before.json &&
	kubectl -n shop delete secret db-full db-regex &&
	git -C repo rm -q apps/full.sops.yaml apps/regex.sops.yaml &&
	mkdir -p repo/apps && cp imported.yaml repo/apps/imported.yaml &&
	ss_commit "imported" &&
	ss_sync --config nosops.yaml &&
	kubectl -n shop get secret db-full -o jsonpath="{.data}" >after.json &&
	test_cmp before.json after.json &&
	test "$(ss_secret_value shop db-regex password)" = hunter2-sops
'

test_done
