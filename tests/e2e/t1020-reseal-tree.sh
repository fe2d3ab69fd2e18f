#!/bin/bash
# sealctl reseal of a tree (issue 3, acceptance 4): 100 SealedSecrets go from
# key A to key B; all then open with B and none with A alone; files whose
# values already have exactly the new recipients keep their bytes.
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL" "$PYTHON" sha256sum

test_expect_success 'setup: keys A and B, a tree of 100 SealedSecrets for A, 5 for B' '
	age-keygen -o a.txt 2>a.pub && chmod 600 a.txt &&
	age-keygen -o b.txt 2>b.pub && chmod 600 b.txt &&
	A=$(sed -n "s/^Public key: //p" a.pub) &&
	B=$(sed -n "s/^Public key: //p" b.pub) &&
	echo "$B" >b.recipient &&
	# 100 Secrets sealed in one run, then one file each: tree/<ns>/<name>.yaml.
	for t in 0 1 2 3 4 5 6 7 8 9; do
		for i in 0 1 2 3 4 5 6 7 8 9; do
			printf -- "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app-%s\n  namespace: team-%s\nstringData:\n  token: value-%s-%s\n" $i $t $t $i
		done
	done >all.yaml &&
	"$SEALCTL" seal -r "$A" all.yaml >all.sealed &&
	$PYTHON -c "
import os
for doc in open(\"all.sealed\").read().split(\"---\\n\"):
    f = dict(l.strip().split(\": \", 1) for l in doc.splitlines() if l.startswith(\"  name\"))
    os.makedirs(\"tree/\" + f[\"namespace\"], exist_ok=True)
    open(\"tree/%s/%s.yaml\" % (f[\"namespace\"], f[\"name\"]), \"w\").write(doc)
" &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cur\n  namespace: ops\nstringData:\n  k: v\n" >cur.yaml &&
	mkdir -p tree/current &&
	"$SEALCTL" seal -r "$B" cur.yaml >cur.sealed &&
	for i in 0 1 2 3 4; do cp cur.sealed tree/current/cur-$i.yaml || return 1; done &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {a: b}\n" >tree/plain.yaml &&
	echo "not a manifest" >tree/README &&
	mkdir -p tree/.git && echo "x: [" >tree/.git/broken.yaml &&
	find tree -name "*.yaml" -not -path "*/.git/*" | sort >files &&
	test $(wc -l <files) -eq 106 &&
	sha256sum tree/current/*.yaml tree/plain.yaml >current.sums &&
	"$SEALCTL" inspect tree/team-3/app-7.yaml >before.inspect
'

test_expect_success 'a folder without --in-place is a usage error' '
	test_expect_code 2 "$SEALCTL" reseal -i a.txt -R b.recipient tree &&
	test_expect_code 2 "$SEALCTL" reseal -R b.recipient --in-place tree &&
	test_expect_code 2 "$SEALCTL" reseal -i a.txt --in-place tree
'

test_expect_success 'reseal the tree in place from A to B' '
	"$SEALCTL" reseal -i a.txt -R b.recipient --in-place tree 2>progress &&
	test $(grep -c "^sealctl: reseal: \[[0-9]*/106\] .*: 1 value(s) resealed" progress) -eq 100 &&
	test_contains "106 file(s), 100 rewritten, 100 value(s) resealed, 5 already current, 0 failure(s)" progress &&
	test_not_contains "value-3-7" progress &&
	sha256sum -c current.sums &&
	test -z "$(find tree -name "*.tmp.*")"
'

test_expect_success 'all open with B' '
	"$SEALCTL" verify -i b.txt tree 2>vb.err &&
	test_contains "106 file(s), 105 SealedSecret(s), 105 value(s) decrypted: ok" vb.err &&
	"$SEALCTL" recover -i b.txt tree/team-3/app-7.yaml >r.yaml 2>/dev/null &&
	test_contains "token: dmFsdWUtMy03" r.yaml
'

test_expect_success 'none opens with A alone' '
	test_expect_code 1 "$SEALCTL" verify -i a.txt tree 2>va.err &&
	test $(grep -c "^sealctl: tree/.*field spec.encryptedData: key .*: " va.err) -eq 105 &&
	test_must_fail "$SEALCTL" recover -i a.txt tree/team-0/app-0.yaml 2>/dev/null
'

test_expect_success 'scopes are kept' '
	"$SEALCTL" inspect tree/team-3/app-7.yaml >after.inspect &&
	grep "scope: strict team-3/app-7/token" before.inspect &&
	grep "scope: strict team-3/app-7/token" after.inspect &&
	! test_cmp before.inspect after.inspect >/dev/null
'

test_expect_success 'a second reseal changes no byte' '
	find tree -type f | sort | xargs sha256sum >all.sums &&
	"$SEALCTL" reseal -i b.txt -R b.recipient --in-place tree 2>again &&
	test_contains "106 file(s), 0 rewritten, 0 value(s) resealed, 105 already current" again &&
	sha256sum -c all.sums >/dev/null
'

test_expect_success 'one file to stdout; a failing file is left as it was' '
	"$SEALCTL" reseal -i b.txt -r "$(sed -n "s/^Public key: //p" a.pub)" tree/team-0/app-1.yaml >back.yaml &&
	"$SEALCTL" verify -i a.txt back.yaml &&
	cp tree/team-0/app-2.yaml keep.yaml &&
	test_expect_code 1 "$SEALCTL" reseal -i a.txt -r "$(sed -n "s/^Public key: //p" a.pub)" \
		--in-place tree/team-0/app-2.yaml tree/current/cur-0.yaml 2>fail.err &&
	test_contains "2 failure(s)" fail.err &&
	test_contains "tree/team-0/app-2.yaml" fail.err &&
	test_cmp keep.yaml tree/team-0/app-2.yaml
'

test_done
