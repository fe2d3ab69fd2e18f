#!/bin/bash
# sealctl stays small: libcurl is loaded only when a verb talks https
# (--agent, recipients --kubeconfig, --version), not for sealing or
# verifying (Performance II, row 6a); and a failure among many keys still
# names its own key's line (that lookup is now by name, not a walk).
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL" "$PYTHON"

test_expect_success 'setup: a Secret of 200 keys, sealed' '
	age-keygen -o keys.txt 2>/dev/null && age-keygen -y keys.txt >keys.pub &&
	"$PYTHON" - >s.yaml <<-\PY &&
	print("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: shop\nstringData:")
	for i in range(200):
	    print("  key%d: value-%d" % (i, i))
	PY
	"$SEALCTL" seal -R keys.pub s.yaml >sealed.yaml &&
	test $(grep -c "^    key[0-9]*: " sealed.yaml) -eq 200
'

test_expect_success 'sealctl seal and verify -i never load libcurl' '
	LD_DEBUG=files "$SEALCTL" seal -R keys.pub s.yaml >/dev/null 2>seal.dbg &&
	grep -q "file=libsodium" seal.dbg &&
	! grep -q "libcurl" seal.dbg &&
	LD_DEBUG=files "$SEALCTL" verify -i keys.txt sealed.yaml 2>verify.dbg &&
	grep -q "200 value(s) decrypted: ok" verify.dbg &&
	! grep -q "libcurl" verify.dbg
'

test_expect_success 'sealctl --version loads libcurl on demand and names its version' '
	LD_DEBUG=files "$SEALCTL" --version >v 2>v.dbg &&
	grep -q "file=libcurl.so.4" v.dbg &&
	test_contains "libcurl $(pkg-config --modversion libcurl)" v
'

test_expect_success 'verify -i: a value sealed to another key fails on its own key'"'"'s line' '
	age-keygen -o other.txt 2>/dev/null && age-keygen -y other.txt >other.pub &&
	"$SEALCTL" seal -R other.pub s.yaml >other.yaml &&
	"$PYTHON" - sealed.yaml other.yaml >wrong.yaml <<-\PY &&
	import sys
	ours = open(sys.argv[1]).read().split("\n")
	theirs = open(sys.argv[2]).read().split("\n")
	i = [n for n, l in enumerate(ours) if l.startswith("    key150: ")][0]
	ours[i] = [l for l in theirs if l.startswith("    key150: ")][0]
	sys.stdout.write("\n".join(ours))
	PY
	line=$(grep -n "^    key150: " wrong.yaml | cut -d: -f1) &&
	test "$line" -gt 60 &&
	test_expect_code 1 "$SEALCTL" verify -i keys.txt wrong.yaml 2>err &&
	test_contains "sealctl: wrong.yaml:$line: document 0: field spec.encryptedData: key key150: no identity matches" err
'

test_done
