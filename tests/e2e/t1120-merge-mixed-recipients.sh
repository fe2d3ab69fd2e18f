#!/bin/bash
# --merge-into used to succeed when this seal's recipients differed from
# those of the file's other values, leaving one SealedSecret sealed half to
# a retired key. It is refused unless --allow-mixed, naming both key sets
# by their hint tags; a namespace mismatch names both namespaces
# (newcomer issue, item 4).
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL"

secret() { # secret NAME NS KEY=VALUE
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n  %s: %s\n" \
		"$1" "$2" "${3%%=*}" "${3#*=}"
}
hint() { # the hint tag inspect shows for key file $1's recipient
	secret h default k=v | "$SEALCTL" seal -r "$(age-keygen -y "$1")" |
	"$SEALCTL" inspect -o json | sed -n "s/.*\"hint\": \"\(.*\)\".*/\1/p"
}

test_expect_success 'setup: a file sealed to the old key' '
	age-keygen -o old.txt 2>/dev/null && age-keygen -o new.txt 2>/dev/null &&
	age-keygen -y old.txt >old.pub && age-keygen -y new.txt >new.pub &&
	secret db shop password=one >s1.yaml &&
	"$SEALCTL" seal -R old.pub s1.yaml >db.yaml &&
	cp db.yaml orig.yaml &&
	hint old.txt >old.hint && hint new.txt >new.hint &&
	test -s old.hint && test -s new.hint
'

test_expect_success 'a merge with other recipients is refused, naming both key sets' '
	secret db shop token=two >s2.yaml &&
	test_expect_code 1 "$SEALCTL" seal -R new.pub --merge-into db.yaml s2.yaml 2>err &&
	test_contains "recipients differ: key password of db is sealed to hints [$(cat old.hint)], this seal to [$(cat new.hint)]" err &&
	test_contains "--allow-mixed" err &&
	test_contains "sealctl reseal" err &&
	cmp orig.yaml db.yaml
'

test_expect_success 'the same recipients merge; replacing every key needs no --allow-mixed' '
	"$SEALCTL" seal -R old.pub --merge-into db.yaml s2.yaml &&
	grep -q "^    token: YWdl" db.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: a\n  token: b\n" >both.yaml &&
	"$SEALCTL" seal -R new.pub --merge-into db.yaml both.yaml &&
	cp db.yaml after-both.yaml
'

test_expect_success '--allow-mixed merges anyway, and inspect shows both key sets' '
	cp orig.yaml mixed.yaml &&
	"$SEALCTL" seal -R new.pub --allow-mixed --merge-into mixed.yaml s2.yaml &&
	"$SEALCTL" inspect -o json mixed.yaml >i.json &&
	test_contains "$(cat old.hint)" i.json &&
	test_contains "$(cat new.hint)" i.json
'

test_expect_success '--allow-mixed without --merge-into is a usage error' '
	test_expect_code 2 "$SEALCTL" seal -R new.pub --allow-mixed s2.yaml 2>err &&
	test_contains "--allow-mixed applies to --merge-into" err
'

test_expect_success 'a namespace mismatch names both namespaces' '
	secret db prod token=three >s3.yaml &&
	test_expect_code 1 "$SEALCTL" seal -R old.pub --merge-into orig.yaml s3.yaml 2>err &&
	test_contains "SealedSecret db in orig.yaml is in namespace shop, not prod" err &&
	test_not_contains "no SealedSecret named" err
'

test_expect_success 'a name that is nowhere is still "no SealedSecret named"' '
	secret cache shop k=v >s4.yaml &&
	test_expect_code 1 "$SEALCTL" seal -R old.pub --merge-into orig.yaml s4.yaml 2>err &&
	test_contains "no SealedSecret named cache in orig.yaml" err
'

test_done
