#!/bin/sh
# Scope binding and every kind of bad value (issue 2, acceptance 4-6): each
# fails with exit 1 and its own message, and no error text ever holds the
# value or the private key.
. "$(dirname "$0")/lib.sh"
test_require age base64 "$SEALCTL" "$PYTHON"

# recover_fails NAME [recover options...] <input: recover must exit 1; its
# stderr is kept in err.NAME for the secret checks at the end.
recover_fails() {
	name=$1; shift
	test_expect_code 1 "$SEALCTL" recover --raw -i keys.txt "$@" >out."$name" 2>err."$name" &&
	test ! -s out."$name" &&
	test "$(wc -l <err."$name")" = 1
}

# flip FILE.b64 PYTHON-EXPR: decodes, edits the bytes b, re-encodes.
edit() {
	$PYTHON -c "import base64,sys; b=bytearray(base64.b64decode(open(sys.argv[1]).read())); $2; sys.stdout.write(base64.b64encode(bytes(b)).decode())" "$1"
}

test_expect_success 'setup: key, value sealed for prod/db/password' '
	"$SEALCTL" keygen -w keys.txt 2>/dev/null &&
	sed -n "s/^# public key: //p" keys.txt >pub &&
	printf "pw-%s" "$(od -An -N8 -tx1 /dev/urandom | tr -d " \n")" >value &&
	"$SEALCTL" seal --raw -R pub --namespace prod --name db --key password <value >sealed.b64 &&
	"$SEALCTL" recover --raw -i keys.txt --namespace prod --name db --key password <sealed.b64 >out 2>/dev/null &&
	test_cmp value out
'

test_expect_success 'moved to prod/db/user: refused, naming both scopes' '
	recover_fails user --namespace prod --name db --key user <sealed.b64 &&
	test_contains "sealed for strict prod/db/password, used at strict prod/db/user" err.user
'

test_expect_success 'moved to prod/other/password: refused' '
	recover_fails other --namespace prod --name other --key password <sealed.b64 &&
	test_contains "sealed for strict prod/db/password, used at strict prod/other/password" err.other
'

test_expect_success 'moved to staging/db/password: refused' '
	recover_fails staging --namespace staging --name db --key password <sealed.b64 &&
	test_contains "sealed for strict prod/db/password, used at strict staging/db/password" err.staging
'

test_expect_success 'a namespace-scoped value opens anywhere in its namespace, nowhere else' '
	"$SEALCTL" seal --raw -R pub --scope namespace --namespace prod <value >ns.b64 &&
	"$SEALCTL" recover --raw -i keys.txt --scope namespace --namespace prod <ns.b64 >out 2>/dev/null &&
	test_cmp value out &&
	recover_fails ns --scope namespace --namespace staging <ns.b64 &&
	test_contains "sealed for namespace prod, used at namespace staging" err.ns
'

test_expect_success 'editing the scope stanza (to move the value) breaks the header MAC' '
	edit sealed.b64 "i=b.find(b\"prod db password\"); b[i:i+16]=b\"prod db username\"" >moved.b64 &&
	recover_fails mac --namespace prod --name db --key username <moved.b64 &&
	test_contains "header MAC does not verify" err.mac
'

test_expect_success 'tampered payload' '
	edit sealed.b64 "b[-1]^=1" >tampered.b64 &&
	recover_fails payload <tampered.b64 &&
	test_contains "payload: chunk 1 does not authenticate" err.payload
'

test_expect_success 'truncated file' '
	edit sealed.b64 "del b[-20:]" >truncated.b64 &&
	recover_fails truncated <truncated.b64 &&
	test_contains "payload: truncated" err.truncated &&
	edit sealed.b64 "del b[60:]" >cut-header.b64 &&
	recover_fails cutheader <cut-header.b64 &&
	test_contains "header: stanza 1: truncated" err.cutheader
'

test_expect_success 'wrong key' '
	"$SEALCTL" keygen -w other.txt 2>/dev/null &&
	test_expect_code 1 "$SEALCTL" recover --raw -i other.txt <sealed.b64 >out 2>err.wrongkey &&
	test_contains "no identity matches" err.wrongkey
'

test_expect_success 'more X25519 stanzas than the cap (16)' '
	args="" && i=0 &&
	while [ $i -lt 17 ]; do args="$args -R pub"; i=$((i + 1)); done &&
	test_expect_code 1 "$SEALCTL" seal --raw $args --scope cluster <value >out 2>err.sealmany &&
	test_contains "more than 16 recipients" err.sealmany &&
	age -e $args value | base64 -w0 >many.b64 &&
	recover_fails many --allow-unscoped <many.b64 &&
	test_contains "more than 16 X25519 stanzas" err.many
'

test_expect_success 'no scope stanza, without --allow-unscoped' '
	age -e -R pub value | base64 -w0 >plain.b64 &&
	recover_fails unscoped <plain.b64 &&
	test_contains "no sealsync/scope stanza" err.unscoped
'

test_expect_success 'not base64, not age' '
	printf "not base64!\n" | test_expect_code 1 "$SEALCTL" recover --raw -i keys.txt >out 2>err.notb64 &&
	test_contains "<stdin>: not base64" err.notb64 &&
	printf "hello world" | base64 -w0 >notage.b64 &&
	recover_fails notage <notage.b64 &&
	test_contains "not an age v1 file" err.notage
'

test_expect_success 'each failure has its own message' '
	cat err.* | sed "s/[0-9]\{1,\}//g" >all &&
	sort all | uniq -d >dups &&
	test ! -s dups
'

test_expect_success 'no error text holds the value or the private key' '
	for f in err.*; do
		test_not_contains "$(cat value)" "$f" &&
		test_not_contains "$(grep AGE-SECRET-KEY keys.txt)" "$f" &&
		test_not_contains "$(grep AGE-SECRET-KEY other.txt)" "$f" || exit 1
	done
'

test_done
