#!/bin/bash
# sealctl verify -o json, and a text summary that counts the failures
# (newcomer issue, item 11).
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL" "$PYTHON"

test_expect_success 'setup: a tree with one good file and three bad ones' '
	age-keygen -o keys.txt 2>/dev/null && age-keygen -y keys.txt >keys.pub &&
	mkdir tree &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: hunter2-x\n" >s.yaml &&
	"$SEALCTL" seal -R keys.pub s.yaml >tree/good.yaml &&
	: >tree/empty.yaml &&
	printf "just: text\n" >tree/plain.yaml &&
	sed "s/^  namespace: shop/  namespace: other/" tree/good.yaml >tree/moved.yaml
'

test_expect_success 'text: every failure on its own line, and a summary that counts them' '
	test_expect_code 1 "$SEALCTL" verify tree 2>err >out &&
	test ! -s out &&
	test $(grep -c "^sealctl: tree/" err) -eq 3 &&
	test_contains "sealctl: verify: 4 file(s), 2 SealedSecret(s), 1 value(s): FAILED: 3 failure(s)" err &&
	test_expect_code 1 "$SEALCTL" verify -o text tree 2>err2 &&
	test_cmp err err2
'

test_expect_success '-o json: one object on stdout with counts and every failure, nothing on stderr' '
	test_expect_code 1 "$SEALCTL" verify -o json tree >r.json 2>err &&
	test ! -s err &&
	"$PYTHON" - r.json <<-\PY
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["ok"] is False, r
	assert (r["files"], r["sealedSecrets"], r["values"], r["failureCount"]) == (4, 2, 1, 3), r
	assert r["mode"] == "parsed", r
	files = sorted(f["file"] for f in r["failures"])
	assert files == ["tree/empty.yaml", "tree/moved.yaml", "tree/plain.yaml"], files
	moved = [f for f in r["failures"] if f["file"] == "tree/moved.yaml"][0]
	assert moved["key"] == "password" and moved["line"] > 0 and moved["document"] == 0, moved
	assert "used at strict other/db/password" in moved["message"], moved
	assert set(r["failures"][0]) == {"file", "line", "document", "field", "key", "message"}
	PY
'

test_expect_success '-o json when all is well, with -i: ok true, mode decrypted, exit 0' '
	"$SEALCTL" verify -o json -i keys.txt tree/good.yaml >ok.json &&
	"$PYTHON" -c "import json,sys; r=json.load(open(\"ok.json\")); assert r[\"ok\"] is True and r[\"mode\"] == \"decrypted\" and r[\"failures\"] == [] and r[\"values\"] == 1, r" &&
	test_not_contains hunter2-x ok.json
'

test_expect_success '-o yaml is not a verify format' '
	test_expect_code 2 "$SEALCTL" verify -o yaml tree 2>err &&
	test_contains "-o must be text or json" err
'

test_done
