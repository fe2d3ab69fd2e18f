#!/bin/sh
# Key files (issue 2, acceptance 3 and 5): sealctl keygen writes age-keygen's
# format with mode 0600 and never overwrites; a key file others can read is
# refused (0644) while 0600 and 0440 pass; rotate appends a new active key;
# usage errors exit 2 and every verb has --help.
. "$(dirname "$0")/lib.sh"
test_require age "$SEALCTL"

test_expect_success 'keygen -w: age-keygen format, mode 0600, public key on stderr' '
	"$SEALCTL" keygen -w k.txt 2>err &&
	test "$(stat -c %a k.txt)" = 600 &&
	test "$(wc -l <k.txt)" = 3 &&
	grep -q -E -x "# created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z" k.txt &&
	grep -q -E -x "# public key: age1[02-9ac-hj-np-z]{58}" k.txt &&
	grep -q -E -x "AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}" k.txt &&
	test "$(sed -n "s/^Public key: //p" err)" = "$(sed -n "s/^# public key: //p" k.txt)" &&
	test "$(age-keygen -y k.txt)" = "$(sed -n "s/^# public key: //p" k.txt)"
'

test_expect_success 'keygen refuses to overwrite' '
	cp k.txt k.orig &&
	test_expect_code 1 "$SEALCTL" keygen -w k.txt 2>err &&
	test_contains "k.txt: file exists; refusing to overwrite" err &&
	cmp k.txt k.orig
'

test_expect_success 'keygen to stdout' '
	"$SEALCTL" keygen >k2.txt 2>err &&
	grep -c "^AGE-SECRET-KEY-1" k2.txt >n && test "$(cat n)" = 1 &&
	grep "^Public key: age1" err
'

test_expect_success 'key file mode: 0644 refused naming the file; 0600 and 0440 accepted' '
	sed -n "s/^# public key: //p" k.txt >pub &&
	printf v | "$SEALCTL" seal --raw -R pub --scope cluster >v.b64 &&
	chmod 0644 k.txt &&
	test_expect_code 1 "$SEALCTL" recover --raw -i k.txt <v.b64 >out 2>err &&
	test_contains "k.txt: refusing key file with mode 0644: readable by others" err &&
	test_not_contains "$(grep AGE-SECRET k.txt)" err &&
	chmod 0600 k.txt &&
	"$SEALCTL" recover --raw -i k.txt <v.b64 >out 2>/dev/null &&
	test "$(cat out)" = v &&
	chmod 0440 k.txt &&
	"$SEALCTL" recover --raw -i k.txt <v.b64 >out 2>/dev/null &&
	test "$(cat out)" = v &&
	chmod 0660 k.txt &&
	test_expect_code 1 "$SEALCTL" recover --raw -i k.txt <v.b64 >out 2>err &&
	test_contains "writable by group or others" err &&
	chmod 0600 k.txt
'

test_expect_success 'a FIFO as identity path is refused at once, not read (no hang)' '
	mkfifo -m 0600 fifo.txt &&
	test_expect_code 1 timeout 10 "$SEALCTL" recover --raw -i fifo.txt <v.b64 >out 2>err &&
	test_contains "fifo.txt: refusing key file with mode 0600: not a regular file" err &&
	test_expect_code 1 timeout 10 "$SEALCTL" rotate -i fifo.txt 2>err &&
	test_contains "not a regular file" err &&
	test_must_fail test -s out
'

test_expect_success 'rotate appends a new active identity; old values still open' '
	"$SEALCTL" rotate -i k.txt 2>err &&
	grep "^Public key: age1" err &&
	test "$(grep -c "^AGE-SECRET-KEY-1" k.txt)" = 2 &&
	test "$(stat -c %a k.txt)" = 600 &&
	test "$(sed -n "s/^Public key: //p" err)" = "$(sed -n "s/^# public key: //p" k.txt | tail -n 1)" &&
	"$SEALCTL" recover --raw -i k.txt <v.b64 >out 2>/dev/null &&
	test "$(cat out)" = v &&
	printf w | "$SEALCTL" seal --raw -r "$(sed -n "s/^Public key: //p" err)" --scope cluster >w.b64 &&
	base64 -d w.b64 | age -d -i k.txt >out &&
	test "$(cat out)" = w
'

test_expect_success 'identities from a folder laid out like a Secret volume' '
	mkdir -p vol/..2026_01_01 &&
	cp k.txt vol/..2026_01_01/keys.txt && chmod 0440 vol/..2026_01_01/keys.txt &&
	ln -s ..2026_01_01 vol/..data && ln -s ..data/keys.txt vol/keys.txt &&
	"$SEALCTL" recover --raw -i vol <w.b64 >out 2>/dev/null &&
	test "$(cat out)" = w
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 "$SEALCTL" &&
	test_expect_code 2 "$SEALCTL" bogus &&
	test_expect_code 2 "$SEALCTL" seal --raw --scope cluster </dev/null &&
	test_expect_code 2 "$SEALCTL" seal --raw -R pub --scope bogus </dev/null &&
	test_expect_code 2 "$SEALCTL" seal --raw -R pub --namespace prod </dev/null 2>err &&
	test_contains "scope: name is required" err &&
	test_expect_code 2 "$SEALCTL" seal --raw -R pub --scope cluster --name x </dev/null &&
	test_expect_code 2 "$SEALCTL" recover --raw </dev/null &&
	test_expect_code 2 "$SEALCTL" rotate &&
	test_expect_code 2 "$SEALCTL" keygen --bogus &&
	test_expect_code 2 "$SEALCTL" keygen extra
'

test_expect_success 'a bad recipient is bad input (exit 1), naming what is wrong' '
	test_expect_code 1 "$SEALCTL" seal --raw -r age1notakey --scope cluster </dev/null 2>err &&
	test_contains "malformed recipient" err &&
	printf "# team\nssh-ed25519 AAAA\n" >r.txt &&
	test_expect_code 1 "$SEALCTL" seal --raw -R r.txt --scope cluster </dev/null 2>err &&
	test_contains "r.txt:2:" err
'

test_expect_success '--help on sealctl and every verb' '
	"$SEALCTL" --help >h && grep keygen h && grep recover h &&
	for v in keygen rotate seal recover inspect; do
		"$SEALCTL" $v --help >h && grep "^usage: sealctl $v" h || exit 1
	done &&
	"$SEALCTL" seal --raw --help >h && grep "^usage: sealctl seal --raw" h
'

test_done
