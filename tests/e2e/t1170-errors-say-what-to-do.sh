#!/bin/bash
# Errors that say what to do (newcomer issue, item 12, sealctl's part): a
# tab in YAML, an identity file passed as recipients, a SealedSecret piped
# into seal, a wrong key (naming the hint of the key the value is sealed to).
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL"

test_expect_success 'setup' '
	age-keygen -o keys.txt 2>/dev/null && age-keygen -y keys.txt >keys.pub &&
	age-keygen -o other.txt 2>/dev/null &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: hunter2-x\n" >s.yaml &&
	"$SEALCTL" seal -R keys.pub s.yaml >sealed.yaml
'

test_expect_success 'a tab in YAML: the line and "YAML indents with spaces only"' '
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n\tname: db\n" >tab.yaml &&
	test_expect_code 1 "$SEALCTL" seal -R keys.pub tab.yaml 2>err &&
	test_contains "tab.yaml:4: document 0: line 4 is indented with a tab: YAML indents with spaces only" err &&
	cp tab.yaml tree-tab.yaml &&
	test_expect_code 1 "$SEALCTL" verify tree-tab.yaml 2>err &&
	test_contains "line 4 is indented with a tab" err
'

test_expect_success 'an identity file as -R: say so, point to age-keygen -y, never show the key' '
	test_expect_code 1 "$SEALCTL" seal -R keys.txt s.yaml >out 2>err &&
	test_contains "this is an identity file (it holds a secret key), not a recipients file: give its public keys (age-keygen -y keys.txt >recipients.txt)" err &&
	test_not_contains "AGE-SECRET-KEY" err &&
	test ! -s out
'

test_expect_success 'a secret key as -r: say so, never echo it' '
	test_expect_code 1 "$SEALCTL" seal -r "$(tail -n 1 keys.txt)" s.yaml 2>err &&
	test_contains "-r got a secret key, not a recipient" err &&
	test_not_contains "AGE-SECRET-KEY" err
'

test_expect_success 'a SealedSecret piped into seal points to reseal and --merge-into' '
	test_expect_code 1 "$SEALCTL" seal -R keys.pub <sealed.yaml 2>err &&
	test_contains "this is already a SealedSecret, seal takes a Secret" err &&
	test_contains "sealctl reseal" err &&
	test_contains "--merge-into FILE" err
'

test_expect_success 'a wrong key names the hint of the key the value is sealed to' '
	hint=$("$SEALCTL" inspect -o json sealed.yaml | sed -n "s/.*\"hint\": \"\(.*\)\".*/\1/p") &&
	test -n "$hint" &&
	test_expect_code 1 "$SEALCTL" recover -i other.txt sealed.yaml >out 2>err &&
	test_contains "key password: no identity matches any of the 1 X25519 stanzas: wrong key; the value is sealed to the key(s) with hint $hint" err &&
	test_expect_code 1 "$SEALCTL" verify -i other.txt sealed.yaml 2>err &&
	test_contains "with hint $hint" err &&
	test_not_contains hunter2-x err
'

test_done
