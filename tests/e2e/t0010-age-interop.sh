#!/bin/sh
# sealctl and the stock age CLI, both ways (issue 2, acceptance 3):
# sealctl's values open with `base64 -d | age -d`, age's files open with
# `sealctl recover --raw --allow-unscoped` (and only with it), and keys made
# by either tool work in the other.
. "$(dirname "$0")/lib.sh"
test_require age age-keygen base64 "$SEALCTL"

test_expect_success 'setup: one key from sealctl, one from age-keygen, a random value' '
	"$SEALCTL" keygen -w ss-keys.txt 2>keygen.err &&
	grep "^Public key: age1" keygen.err &&
	sed -n "s/^# public key: //p" ss-keys.txt >ss.pub &&
	age-keygen -o age-keys.txt 2>/dev/null &&
	sed -n "s/^# public key: //p" age-keys.txt >age.pub &&
	printf "s3cr3t-%s" "$(od -An -N8 -tx1 /dev/urandom | tr -d " \n")" >value
'

test_expect_success 'sealctl seal --raw | base64 -d | age -d gives the value back' '
	"$SEALCTL" seal --raw -R ss.pub --namespace prod --name db --key password <value >sealed.b64 &&
	test "$(wc -l <sealed.b64)" = 1 &&
	base64 -d sealed.b64 | age -d -i ss-keys.txt >out &&
	test_cmp value out
'

test_expect_success 'age-keygen keys work in sealctl (seal and recover)' '
	"$SEALCTL" seal --raw -r "$(cat age.pub)" --scope namespace --namespace prod <value >sealed2.b64 &&
	base64 -d sealed2.b64 | age -d -i age-keys.txt >out &&
	test_cmp value out &&
	"$SEALCTL" recover --raw -i age-keys.txt --scope namespace --namespace prod <sealed2.b64 >out2 2>err &&
	test_cmp value out2 &&
	grep "WARNING" err
'

test_expect_success 'sealctl keys work in age (encrypt with age -R, decrypt with age -d)' '
	age -e -R ss.pub -o plain.age value &&
	age -d -i ss-keys.txt plain.age >out &&
	test_cmp value out
'

test_expect_success 'age -e output opens with recover --allow-unscoped, is refused without' '
	age -e -r "$(cat ss.pub)" value | base64 -w0 >plain.b64 &&
	"$SEALCTL" recover --raw -i ss-keys.txt --allow-unscoped <plain.b64 >out 2>err &&
	test_cmp value out &&
	grep "WARNING: wrote a DECRYPTED SECRET" err &&
	test_expect_code 1 "$SEALCTL" recover --raw -i ss-keys.txt <plain.b64 >out 2>err &&
	test_contains "no sealsync/scope stanza" err &&
	test ! -s out &&
	test_not_contains "$(cat value)" err &&
	test_not_contains "$(grep AGE-SECRET ss-keys.txt)" err
'

test_expect_success 'armor both ways' '
	"$SEALCTL" seal --raw -R ss.pub --scope cluster --armor <value >sealed.asc &&
	head -n 1 sealed.asc | grep -x -e "-----BEGIN AGE ENCRYPTED FILE-----" &&
	age -d -i ss-keys.txt sealed.asc >out &&
	test_cmp value out &&
	age -e -a -R age.pub value >plain.asc &&
	"$SEALCTL" recover --raw -i age-keys.txt --allow-unscoped <plain.asc >out 2>/dev/null &&
	test_cmp value out
'

test_expect_success 'several recipients: each key opens the value with age' '
	"$SEALCTL" seal --raw -R ss.pub -R age.pub --scope cluster <value >multi.b64 &&
	base64 -d multi.b64 | age -d -i ss-keys.txt >out1 &&
	base64 -d multi.b64 | age -d -i age-keys.txt >out2 &&
	test_cmp value out1 &&
	test_cmp value out2
'

test_expect_success 'a multi-chunk binary value round-trips through age (--from-file)' '
	head -c 200000 /dev/urandom >big &&
	"$SEALCTL" seal --raw -R ss.pub --scope cluster --from-file big >big.b64 &&
	base64 -d big.b64 | age -d -i ss-keys.txt >big.out &&
	cmp big big.out &&
	"$SEALCTL" recover --raw -i ss-keys.txt --from-file big.b64 >big.out2 2>/dev/null &&
	cmp big big.out2
'

test_expect_success 'inspect shows scope and hint tags, never the value' '
	"$SEALCTL" inspect --raw -R ss.pub <sealed.b64 >info &&
	grep -x "scope: strict prod/db/password" info &&
	grep "^recipient 1: hint .* ($(cat ss.pub))" info &&
	grep -x "plaintext bytes: $(wc -c <value)" info &&
	test_not_contains "$(cat value)" info
'

test_done
