#!/bin/bash
# One meaning per option across verbs (newcomer issue, item 9): -o is always
# an output format and -w always an output file; -n/--namespace works with
# --raw; inspect and recover walk folders like verify; `sealctl help VERB`
# shows the verb's help; an unknown option suggests the closest one.
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL"

test_expect_success 'setup: a key and two Secrets in a tree' '
	age-keygen -o keys.txt 2>/dev/null &&
	age-keygen -y keys.txt >keys.pub &&
	mkdir -p tree/a/b tree/c &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: one\n  namespace: shop\nstringData:\n  k1: v-one\n" >s1.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: two\n  namespace: shop\nstringData:\n  k2: v-two\n" >s2.yaml &&
	"$SEALCTL" seal -R keys.pub s1.yaml >tree/a/b/one.yaml &&
	"$SEALCTL" seal -R keys.pub s2.yaml >tree/c/two.yaml
'

test_expect_success '-o is the format: seal -o json, inspect -o json, recover -o json, verify -o json' '
	"$SEALCTL" seal -R keys.pub -o json s1.yaml >one.json &&
	grep -q "\"kind\": \"SealedSecret\"" one.json &&
	"$SEALCTL" inspect -o json one.json | grep -q "\"sealedSecrets\"" &&
	"$SEALCTL" recover -i keys.txt -o json one.json 2>/dev/null | grep -q "\"kind\": \"Secret\"" &&
	"$SEALCTL" verify -o json one.json | grep -q "\"ok\": true"
'

test_expect_success '-o with a file name is refused, pointing to -w (keygen, seal)' '
	test_expect_code 2 "$SEALCTL" keygen -o new.txt 2>err &&
	test_contains "write the identity to a file with -w new.txt" err &&
	test ! -e new.txt &&
	test_expect_code 2 "$SEALCTL" seal -R keys.pub -o out.yaml s1.yaml 2>err &&
	test_contains "-o is the output format, yaml or json (write to a file with -w FILE)" err &&
	test ! -e out.yaml
'

test_expect_success '-w and --output are the file: keygen -w, keygen --output; --output yaml points to -o' '
	"$SEALCTL" keygen -w k1.txt 2>/dev/null && test "$(stat -c %a k1.txt)" = 600 &&
	"$SEALCTL" keygen --output k2.txt 2>/dev/null && test "$(stat -c %a k2.txt)" = 600 &&
	test_expect_code 2 "$SEALCTL" seal -R keys.pub --output yaml s1.yaml 2>err &&
	test_contains "for the format '"'"'yaml'"'"' use -o yaml" err &&
	test ! -e yaml
'

test_expect_success '-n works with --raw (seal and recover)' '
	printf "raw-value" | "$SEALCTL" seal --raw -R keys.pub -n shop --name db --key pw >v.b64 &&
	"$SEALCTL" inspect --raw --from-file v.b64 >info &&
	test_contains "scope: strict shop/db/pw" info &&
	"$SEALCTL" recover --raw -i keys.txt -n shop --name db --key pw --from-file v.b64 >pt 2>/dev/null &&
	test "$(cat pt)" = raw-value &&
	test_expect_code 1 "$SEALCTL" recover --raw -i keys.txt -n other --name db --key pw --from-file v.b64 >/dev/null 2>&1
'

test_expect_success 'inspect walks a folder like verify' '
	"$SEALCTL" inspect -o json tree >i.json &&
	test_contains "\"file\": \"tree/a/b/one.yaml\"" i.json &&
	test_contains "\"file\": \"tree/c/two.yaml\"" i.json
'

test_expect_success 'recover walks a folder like verify' '
	"$SEALCTL" recover -i keys.txt tree >all.yaml 2>err &&
	test_contains "2 DECRYPTED Secret(s)" err &&
	grep -q "^  k1: $(printf v-one | base64)$" all.yaml &&
	grep -q "^  k2: $(printf v-two | base64)$" all.yaml
'

test_expect_success 'sealctl help VERB prints what VERB --help prints' '
	for v in keygen rotate seal reseal verify recover inspect recipients completion; do
		"$SEALCTL" help $v >h1 && "$SEALCTL" $v --help >h2 && test_cmp h2 h1 &&
		grep -q "^usage: sealctl $v" h1 || return 1
	done &&
	test_expect_code 2 "$SEALCTL" help frobnicate 2>err &&
	test_contains "unknown verb '"'"'frobnicate'"'"'" err
'

test_expect_success 'an unknown option suggests the closest one the verb takes' '
	test_expect_code 2 "$SEALCTL" verify --identities keys.txt tree 2>err &&
	test_contains "unknown option --identities; did you mean --identity?" err &&
	test_expect_code 2 "$SEALCTL" seal --recipent x s1.yaml 2>err &&
	test_contains "did you mean --recipient?" err &&
	test_expect_code 2 "$SEALCTL" seal --raw --namspace shop -R keys.pub 2>err </dev/null &&
	test_contains "did you mean --namespace?" err &&
	test_expect_code 2 "$SEALCTL" keygen --ouput x 2>err &&
	test_contains "did you mean --output?" err &&
	test_expect_code 2 "$SEALCTL" seal --identities keys.txt s1.yaml 2>err &&
	test_contains "unknown option --identities" err &&
	test_not_contains "did you mean" err &&
	test_expect_code 2 "$SEALCTL" verify --zzzzzzzz 2>err &&
	test_contains "unknown option --zzzzzzzz" err && test_not_contains "did you mean" err
'

test_expect_success 'a long option without its argument says so' '
	test_expect_code 2 "$SEALCTL" seal --merge-into 2>err </dev/null &&
	test_contains "option --merge-into needs an argument" err
'

test_done
