#!/bin/bash
# A failed `sealctl seal ... > file` used to leave an empty file that
# `sealctl verify` then passed. verify now fails on an empty or non-manifest
# file under its paths, naming it, and seal -w FILE writes the file
# atomically and only when sealing succeeded (newcomer issue, item 2).
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL"

test_expect_success 'setup: a key and a Secret' '
	age-keygen -o keys.txt 2>pub.txt &&
	sed -n "s/^Public key: //p" pub.txt >recipient &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: s3cret-value\n" >secret.yaml &&
	mkdir repo
'

test_expect_success 'seal -w FILE writes the SealedSecret, nothing on stdout' '
	"$SEALCTL" seal -r "$(cat recipient)" -w repo/db.sealed.yaml secret.yaml >out &&
	test ! -s out &&
	grep -q "^kind: SealedSecret$" repo/db.sealed.yaml &&
	test_not_contains s3cret-value repo/db.sealed.yaml &&
	test "$(stat -c %a repo/db.sealed.yaml)" = 644 &&
	"$SEALCTL" verify repo 2>err &&
	test_contains "1 file(s), 1 SealedSecret(s), 1 value(s): ok" err
'

test_expect_success 'seal --output FILE is the same as -w' '
	"$SEALCTL" seal -r "$(cat recipient)" --output long.yaml secret.yaml &&
	grep -q "^kind: SealedSecret$" long.yaml
'

test_expect_success 'a failed seal -w leaves an existing file byte for byte' '
	cp repo/db.sealed.yaml before &&
	echo "kind: Secret" >bad.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" -w repo/db.sealed.yaml bad.yaml 2>err &&
	cmp before repo/db.sealed.yaml &&
	test -z "$(ls -a repo | grep "\.tmp")"
'

test_expect_success 'a failed seal -w creates no file at all' '
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" -w repo/new.sealed.yaml bad.yaml 2>err &&
	test ! -e repo/new.sealed.yaml
'

test_expect_success 'what `seal > file` leaves after a failure: verify names the empty file and fails' '
	test_must_fail "$SEALCTL" seal -r "$(cat recipient)" bad.yaml >repo/broken.sealed.yaml 2>/dev/null &&
	test ! -s repo/broken.sealed.yaml &&
	test_expect_code 1 "$SEALCTL" verify repo 2>err &&
	test_contains "sealctl: repo/broken.sealed.yaml: empty: no document" err &&
	test_contains "FAILED: 1 failure(s)" err &&
	rm repo/broken.sealed.yaml
'

test_expect_success 'a file of comments only is empty too' '
	printf "# nothing here\n" >repo/comments.yaml &&
	test_expect_code 1 "$SEALCTL" verify repo 2>err &&
	test_contains "repo/comments.yaml: empty: no document" err &&
	rm repo/comments.yaml
'

test_expect_success 'verify names a .yaml that is not a Kubernetes manifest' '
	printf "password: s3cret\nuser: admin\n" >repo/notes.yaml &&
	test_expect_code 1 "$SEALCTL" verify repo 2>err &&
	test_contains "repo/notes.yaml:1: document 0: not a Kubernetes manifest (no apiVersion and kind)" err &&
	test_not_contains s3cret err &&
	rm repo/notes.yaml
'

test_expect_success 'a kustomization.yaml (no apiVersion) and other kinds still pass' '
	printf "resources:\n- db.sealed.yaml\n" >repo/kustomization.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n" >repo/cm.yaml &&
	"$SEALCTL" verify repo 2>err &&
	test_contains "3 file(s), 1 SealedSecret(s), 1 value(s): ok" err
'

test_done
