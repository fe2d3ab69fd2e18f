#!/bin/bash
# Signature policy (invariant 7): commits signed with git's SSH signing
# (gpg.format=ssh, ed25519 keys) by an allowed signer are applied; unsigned,
# unknown-key, other-namespace and rewritten commits are refused, and so is
# a rollback to an older signed commit unless rewinds are allowed.
. "$(dirname "$0")/lib.sh"
test_require git ssh-keygen "$TEST_TOOL"

URL="file://$TRASH/repo"
poll() { "$TEST_TOOL" source-poll --url "$URL" --cache "$TRASH/cache" \
	--allowed-signers "$TRASH/allowed" "$@"; }
commit_signed() { # commit_signed KEY MESSAGE
	echo "$2" >>repo/file.yaml &&
	git -C repo add . &&
	git -C repo -c gpg.format=ssh -c user.signingkey="$TRASH/$1" commit -q -S -m "$2" &&
	git -C repo rev-parse HEAD
}

test_expect_success 'setup: two ed25519 keys, one allowed; a signed commit' '
	ssh-keygen -q -t ed25519 -N "" -C good -f good &&
	ssh-keygen -q -t ed25519 -N "" -C evil -f evil &&
	echo "tester@example.com namespaces=\"git\" $(cat good.pub)" >allowed &&
	git init -q repo &&
	commit_signed good one >s1 &&
	git -C repo -c gpg.ssh.allowedSignersFile="$TRASH/allowed" verify-commit HEAD
'

test_expect_success 'a commit signed by an allowed key is accepted' '
	poll >out &&
	echo "$(cat s1) changed fetched" >expect &&
	test_cmp expect out
'

test_expect_success 'a second signed commit descending from the first is accepted' '
	commit_signed good two >s2 &&
	poll --last "$(cat s1)" >out &&
	echo "$(cat s2) changed fetched" >expect &&
	test_cmp expect out
'

test_expect_success 'an unsigned commit is refused, naming the commit' '
	echo three >>repo/file.yaml && git -C repo commit -q -a -m unsigned &&
	git -C repo rev-parse HEAD >u1 &&
	test_expect_code 1 poll --last "$(cat s2)" >out 2>err &&
	test_must_fail test -s out &&
	test_contains "signature failure" err &&
	test_contains "commit $(cat u1) is not signed" err &&
	test_contains "ref main" err
'

test_expect_success 'a commit signed by a key that is not allowed is refused' '
	commit_signed evil four >e1 &&
	test_must_fail git -C repo -c gpg.ssh.allowedSignersFile="$TRASH/allowed" verify-commit HEAD &&
	test_must_fail poll --last "$(cat s2)" 2>err &&
	test_contains "commit $(cat e1) refused by the signature policy" err &&
	test_contains "$(ssh-keygen -lf evil.pub | cut -d" " -f2) is not an allowed signer" err
'

test_expect_success 'a signed commit whose content was changed after signing is refused' '
	git -C repo reset -q --hard "$(cat s2)" &&
	git -C repo cat-file commit "$(cat s2)" | sed "s/^two\$/two, changed/" >forged &&
	grep -q "^gpgsig -----BEGIN SSH SIGNATURE-----" forged &&
	forged=$(git -C repo hash-object -t commit -w --stdin <forged) &&
	test "$forged" != "$(cat s2)" &&
	git -C repo update-ref refs/heads/main "$forged" &&
	test_must_fail git -C repo -c gpg.ssh.allowedSignersFile="$TRASH/allowed" verify-commit "$forged" &&
	test_must_fail poll --last "$(cat s1)" 2>err &&
	test_contains "commit $forged refused by the signature policy" err &&
	test_contains "does not verify" err
'

test_expect_success 'a signature made for another namespace is refused' '
	git -C repo reset -q --hard "$(cat s2)" &&
	echo five >>repo/file.yaml && git -C repo add . &&
	tree=$(git -C repo write-tree) &&
	printf "tree %s\nparent %s\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\nfive\n" \
		"$tree" "$(cat s2)" >body &&
	rm -f body.sig && ssh-keygen -q -Y sign -n file -f good body &&
	{ sed -n 1,4p body &&
	  sed -e "1s/^/gpgsig /" -e "2,\$s/^/ /" body.sig &&
	  sed -n "5,\$p" body; } >signed &&
	ns=$(git -C repo hash-object -t commit -w --stdin <signed) &&
	git -C repo update-ref refs/heads/main "$ns" &&
	test_must_fail poll --last "$(cat s2)" 2>err &&
	test_contains "commit $ns refused by the signature policy" err &&
	test_contains "signed for namespace \"file\", not \"git\"" err
'

test_expect_success 'the same construction with namespace git verifies (the test above is sound)' '
	rm -f body.sig && ssh-keygen -q -Y sign -n git -f good body &&
	{ sed -n 1,4p body &&
	  sed -e "1s/^/gpgsig /" -e "2,\$s/^/ /" body.sig &&
	  sed -n "5,\$p" body; } >signed &&
	ok=$(git -C repo hash-object -t commit -w --stdin <signed) &&
	git -C repo update-ref refs/heads/main "$ok" &&
	poll --last "$(cat s2)" >out &&
	echo "$ok changed fetched" >expect &&
	test_cmp expect out &&
	echo "$ok" >s3
'

test_expect_success 'a rollback to an older signed commit is refused under the policy' '
	git -C repo update-ref refs/heads/main "$(cat s1)" &&
	test_must_fail poll --last "$(cat s3)" 2>err &&
	test_contains "commit $(cat s1) does not descend from the last applied commit $(cat s3)" err &&
	test_contains "signature failure" err
'

test_expect_success 'a signed force push is refused unless rewinds are allowed' '
	commit_signed good sideways >s4 &&
	test_must_fail poll --last "$(cat s3)" 2>err &&
	test_contains "does not descend" err &&
	poll --last "$(cat s3)" --allow-rewind >out 2>err &&
	echo "$(cat s4) changed cached" >expect &&
	test_cmp expect out &&
	test_contains "force push" err
'

test_expect_success 'sshsig-verify agrees with ssh-keygen -Y verify' '
	printf "some bytes\n" >msg &&
	for k in good evil; do
		for ns in git file; do
			rm -f msg.sig && ssh-keygen -q -Y sign -n $ns -f $k msg &&
			if ssh-keygen -q -Y verify -f allowed -I tester@example.com -n git \
				-s msg.sig <msg >/dev/null 2>&1
			then want=0; else want=1; fi &&
			if "$TEST_TOOL" sshsig-verify --signers allowed --sig msg.sig --msg msg \
				>principal 2>/dev/null
			then got=0; else got=1; fi &&
			echo "$k $ns: ssh-keygen $want, ours $got" &&
			test $want = $got || return 1
		done
	done &&
	rm -f msg.sig && ssh-keygen -q -Y sign -n git -f good msg &&
	"$TEST_TOOL" sshsig-verify --signers allowed --sig msg.sig --msg msg >principal &&
	echo tester@example.com >expect && test_cmp expect principal
'

test_expect_success 'a broken allowed signers file is named with its line' '
	printf "# keys\nx ssh-ed25519 AAAA*\n" >bad &&
	test_must_fail "$TEST_TOOL" source-poll --url "$URL" --cache cache \
		--allowed-signers bad 2>err &&
	test_contains "bad:2" err &&
	test_contains "bad base64" err
'

test_done
