#!/bin/bash
# The recipes of README's "Five minutes with sealctl" and of sealctl(1)'s
# EXAMPLES, run as written, with a value over 1 KiB. The emitter used to
# double-quote values longer than 1024 bytes, and the `grep | awk | base64
# -d` recovery then failed (newcomer issue, item 3). Sealed values are plain
# scalars however long.
. "$(dirname "$0")/lib.sh"

test_require age age-keygen kubectl yq "$SEALCTL"
PATH=$SS_BUILD_DIR:$PATH
LONG=$(head -c 1500 /dev/zero | tr "\0" "p")L0ng
export LONG

# The ```sh blocks of README.md's section $1, one after another.
readme_blocks() {
	awk -v sec="$1" '
		/^## / { on = (substr($0, 4) == sec) }
		on && /^```sh$/ { inb = 1; next }
		on && /^```$/ { inb = 0; next }
		on && inb { print }' "$SS_SRC_DIR/README.md"
}

# Block $1 (1-based) of the .nf/.fi blocks of sealctl.1's EXAMPLES, as sh.
man_block() {
	awk -v want="$1" '
		/^\.SH / { on = ($2 == "EXAMPLES") }
		on && /^\.nf$/ { n++; inb = 1; next }
		on && /^\.fi$/ { inb = 0; next }
		on && inb && n == want { print }' "$SS_SRC_DIR/docs/sealctl.1" |
	sed -e "s/\\\\e/\\\\/g" -e "s/\\\\-/-/g"
}

test_expect_success 'README: Five minutes with sealctl, with a 1.5 KiB password' '
	mkdir five && cd five && git init -q . &&
	printf "t0ken" >token.txt && printf "api-key" >api.key &&
	readme_blocks "Five minutes with sealctl" | sed "s/password=s3cret/password=\$LONG/" >recipe.sh &&
	test $(grep -c "sealctl" recipe.sh) -ge 8 &&
	sh -e recipe.sh >out 2>err &&
	printf "%s" "$LONG" >want &&
	tail -c 1504 out >got &&
	cmp want got &&
	cd ..
'

test_expect_success 'README: what set, unset and seal --from-file did' '
	"$SEALCTL" recover -i five/keys.txt five/api.sealed.yaml 2>/dev/null |
	grep -q "^  key: $(printf api-key | base64)$" &&
	test_not_contains "token:" five/db.sealed.yaml
'

test_expect_success 'a 1.5 KiB sealed value is one plain word on its line' '
	line=$(grep "^    password: " five/db.sealed.yaml) &&
	test "${line#*: }" = "$(echo "${line#*: }" | tr -d "\" ")" &&
	test ${#line} -gt 2000
'

test_expect_success 'setup for sealctl(1): cluster, recovery and new keys' '
	mkdir man && cd man &&
	"$SEALCTL" keygen -w keys.txt 2>/dev/null && age-keygen -y keys.txt >cluster.pub &&
	"$SEALCTL" keygen -w recovery.txt 2>/dev/null &&
	"$SEALCTL" keygen -w new-keys.txt 2>/dev/null && age-keygen -y new-keys.txt >new.pub &&
	cd ..
'

man_run() { # man_run N: block N with the recovery key and the long value
	man_block "$1" |
	sed -e "s/age1recovery\.\.\./$(age-keygen -y man/recovery.txt)/" \
	    -e "s/password=s3cret/password=\$LONG/" >man/block$1.sh &&
	test -s man/block$1.sh &&
	(cd man && sh -e block$1.sh)
}

test_expect_success 'sealctl(1): seal a Secret for the cluster and a recovery key' '
	man_run 1 &&
	grep -q "^kind: SealedSecret" man/db-creds.sealed.yaml
'

test_expect_success 'sealctl(1): add a key to a committed file, changing only that line' '
	cp man/db-creds.sealed.yaml before &&
	man_run 2 2>err &&
	diff before man/db-creds.sealed.yaml >d; test $? -eq 1 &&
	test $(grep -c "^[<>]" d) -eq 1 &&
	grep -q "^>     token: YWdl" d
'

test_expect_success 'sealctl(1): reseal the repository after a rotation and check it' '
	mkdir -p man/repo/apps && cp man/db-creds.sealed.yaml man/repo/apps/ &&
	man_run 3 2>err &&
	test_contains "value(s) decrypted: ok" err
'

test_expect_success 'sealctl(1): open one value with age only (yq -r)' '
	man_run 4 >got &&
	printf "%s" "$LONG" >want &&
	cmp want got
'

test_done
