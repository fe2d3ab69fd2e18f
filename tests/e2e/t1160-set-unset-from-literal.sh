#!/bin/bash
# Changing one value without kubectl and without a private key (newcomer
# issue, item 8): sealctl set FILE NAME KEY (stdin or --from-file) and
# sealctl unset FILE NAME KEY through the byte-preserving splice; seal
# --from-literal/--from-file --name builds the Secret itself.
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL"

test_expect_success 'setup: a committed SealedSecret with comments, keys elsewhere' '
	age-keygen -o keys.txt 2>/dev/null && age-keygen -y keys.txt >keys.pub &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: p1\n  user: admin\n" >s.yaml &&
	"$SEALCTL" seal -R keys.pub s.yaml >sealed.yaml &&
	{ echo "# shop database"; sed "s/^  encryptedData:$/  encryptedData:  # values/" sealed.yaml; echo "# end"; } >repo.yaml &&
	chmod 640 repo.yaml && cp repo.yaml orig.yaml &&
	mkdir nokeys
'

test_expect_success 'set from stdin replaces one line; the value opens; no key used' '
	printf "new-p4ss" | "$SEALCTL" set -R keys.pub repo.yaml db password 2>err &&
	diff orig.yaml repo.yaml >d; test $? -eq 1 &&
	test $(grep -c "^<" d) -eq 1 && test $(grep -c "^>" d) -eq 1 &&
	grep -q "^>     password: YWdl" d &&
	test "$(stat -c %a repo.yaml)" = 640 &&
	test_contains "# shop database" repo.yaml && test_contains "# end" repo.yaml &&
	"$SEALCTL" recover -i keys.txt repo.yaml 2>/dev/null >r.yaml &&
	grep -q "^  password: $(printf new-p4ss | base64)$" r.yaml &&
	grep -q "^  user: $(printf admin | base64)$" r.yaml
'

test_expect_success 'set --from-file adds a key, byte for byte (binary, final newline)' '
	printf "line1\n\001\377\n" >cert.bin &&
	cp repo.yaml before.yaml &&
	"$SEALCTL" set -R keys.pub --from-file cert.bin repo.yaml db ca.crt 2>err &&
	diff before.yaml repo.yaml >d; test $? -eq 1 &&
	test $(grep -c "^>" d) -eq 1 && test $(grep -c "^<" d) -eq 0 &&
	"$SEALCTL" recover -i keys.txt repo.yaml 2>/dev/null | sed -n "s/^  ca.crt: //p" | base64 -d >got &&
	cmp cert.bin got
'

test_expect_success 'set refuses other recipients (the mixed-key check) and a missing SealedSecret' '
	age-keygen -o other.txt 2>/dev/null && age-keygen -y other.txt >other.pub &&
	cp repo.yaml before.yaml &&
	echo v | test_expect_code 1 "$SEALCTL" set -R other.pub repo.yaml db token 2>err &&
	test_contains "recipients differ" err &&
	cmp before.yaml repo.yaml &&
	echo v | test_expect_code 1 "$SEALCTL" set -R keys.pub repo.yaml cache token 2>err &&
	test_contains "no SealedSecret named cache" err &&
	test_expect_code 2 "$SEALCTL" set -R keys.pub repo.yaml db 2>err </dev/null &&
	test_contains "give FILE NAME KEY" err
'

test_expect_success 'unset removes exactly the key'"'"'s line' '
	cp repo.yaml before.yaml &&
	"$SEALCTL" unset repo.yaml db user 2>err &&
	test_contains "removed key user of db from repo.yaml" err &&
	diff before.yaml repo.yaml >d; test $? -eq 1 &&
	test $(grep -c "^<" d) -eq 1 && grep -q "^<     user: YWdl" d &&
	test $(grep -c "^>" d) -eq 0 &&
	"$SEALCTL" verify -i keys.txt repo.yaml 2>/dev/null &&
	test "$(stat -c %a repo.yaml)" = 640
'

test_expect_success 'unset: a missing key, and the last key, are refused, the file unchanged' '
	cp repo.yaml before.yaml &&
	test_expect_code 1 "$SEALCTL" unset repo.yaml db nosuch 2>err &&
	test_contains "SealedSecret db has no key nosuch" err &&
	"$SEALCTL" unset repo.yaml db ca.crt 2>/dev/null &&
	test_expect_code 1 "$SEALCTL" unset repo.yaml db password 2>err &&
	test_contains "password is the last key of SealedSecret db" err &&
	grep -q "^    password: YWdl" repo.yaml
'

test_expect_success 'seal --name --from-literal --from-file: a Secret without kubectl' '
	printf "x509\n" >tls.crt &&
	"$SEALCTL" seal -R keys.pub -n shop --name web --from-literal user=admin \
		--from-file tls.crt --from-file key.pem=cert.bin -w web.yaml &&
	test_not_contains admin web.yaml &&
	"$SEALCTL" recover -i keys.txt web.yaml 2>/dev/null >w.yaml &&
	grep -q "^  name: web$" w.yaml && grep -q "^  namespace: shop$" w.yaml &&
	grep -q "^  user: $(printf admin | base64)$" w.yaml &&
	grep -q "^  tls.crt: $(base64 <tls.crt)$" w.yaml &&
	grep -q "^  key.pem: $(base64 -w0 <cert.bin)$" w.yaml
'

test_expect_success 'seal --from-literal: usage errors' '
	test_expect_code 2 "$SEALCTL" seal -R keys.pub --from-literal a=b 2>err &&
	test_contains "need --name NAME" err &&
	test_expect_code 2 "$SEALCTL" seal -R keys.pub --name x --from-literal novalue 2>err &&
	test_contains "--from-literal takes KEY=VALUE" err &&
	test_expect_code 1 "$SEALCTL" seal -R keys.pub -n shop --name x --from-literal a=1 --from-literal a=2 2>err &&
	test_contains "key a is given twice" err &&
	test_expect_code 2 "$SEALCTL" seal -R keys.pub --name x --from-literal a=1 s.yaml 2>err &&
	test_contains "either SECRET-FILE or --from-literal" err
'

test_expect_success 'the help says --from-literal is visible in the process list and history' '
	"$SEALCTL" seal --help >h &&
	test_contains "visible in the process list and kept in shell" h &&
	test_contains "history, so prefer --from-file for secrets" h
'

test_done
