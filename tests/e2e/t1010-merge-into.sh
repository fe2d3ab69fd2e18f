#!/bin/bash
# sealctl seal --merge-into (issue 3, acceptance 3): sealing keys into an
# existing SealedSecret file changes only those keys' lines; every other
# byte, comments included, stays.
. "$(dirname "$0")/lib.sh"

test_require age-keygen "$SEALCTL" "$PYTHON"

secret() { # secret NAME KEY=VALUE... (stringData)
	name=$1; shift
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: prod\nstringData:\n" "$name"
	for kv in "$@"; do printf "  %s: \"%s\"\n" "${kv%%=*}" "${kv#*=}"; done
}

test_expect_success 'setup: a committed SealedSecret with comments' '
	age-keygen -o keys.txt 2>pub.txt &&
	chmod 600 keys.txt &&
	sed -n "s/^Public key: //p" pub.txt >recipient &&
	secret db password=old-pass-1 username=admin-9 >s1.yaml &&
	"$SEALCTL" seal -r "$(cat recipient)" s1.yaml >sealed.yaml &&
	{
		echo "# Database credentials for prod; sealed with sealctl." &&
		sed -e "s/^  name: db$/  name: db  # keep this name/" \
		    -e "s/^  encryptedData:$/  encryptedData:   # values below/" \
		    -e "/^    username: /a\\    # (a comment after the last value)" sealed.yaml &&
		echo "# trailing comment ÄÖÜ"
	} >repo.yaml &&
	chmod 640 repo.yaml &&
	cp repo.yaml repo.orig &&
	test_contains "# keep this name" repo.yaml &&
	"$SEALCTL" verify repo.yaml
'

test_expect_success 'a new key: one line added, every other line byte-identical' '
	secret db apikey=new-api-key-7 >s2.yaml &&
	"$SEALCTL" seal -r "$(cat recipient)" --merge-into repo.yaml s2.yaml >out 2>err &&
	test ! -s out &&
	diff repo.orig repo.yaml >d; test $? -eq 1 &&
	grep "^[<>]" d >changes &&
	test $(wc -l <changes) -eq 1 &&
	grep -q "^>     apikey: YWdl" changes &&
	test_not_contains "new-api-key-7" repo.yaml &&
	test "$(stat -c %a repo.yaml)" = 640 &&
	test -z "$(ls -a | grep "\.tmp\.")"
'

test_expect_success 'an existing key and a new one: only their lines change' '
	cp repo.yaml repo.before &&
	secret db password=new-pass-2 token=tok-3 >s3.yaml &&
	"$SEALCTL" seal -r "$(cat recipient)" --merge-into repo.yaml s3.yaml &&
	diff repo.before repo.yaml >d2; test $? -eq 1 &&
	grep "^<" d2 >removed &&
	grep "^>" d2 >added &&
	test $(wc -l <removed) -eq 1 &&
	grep -q "^<     password: " removed &&
	test $(wc -l <added) -eq 2 &&
	grep -q "^>     password: " added &&
	grep -q "^>     token: " added &&
	grep -v "password: \|token: " repo.before >rest.before &&
	grep -v "password: \|token: " repo.yaml >rest.after &&
	test_cmp rest.before rest.after
'

test_expect_success 'the merged file recovers to the merged data' '
	"$SEALCTL" recover -i keys.txt -o json repo.yaml >rec.json 2>/dev/null &&
	$PYTHON -c "import json,base64,sys
d=json.load(open(\"rec.json\"))[\"data\"]
got={k: base64.b64decode(v).decode() for k,v in d.items()}
want={\"password\":\"new-pass-2\",\"username\":\"admin-9\",\"apikey\":\"new-api-key-7\",\"token\":\"tok-3\"}
sys.exit(0 if got==want else 1)"
'

test_expect_success 'merging follows the file'"'"'s scope; --scope that differs is refused' '
	secret web a=1 >w1.yaml &&
	"$SEALCTL" seal -r "$(cat recipient)" --scope namespace w1.yaml >web.yaml &&
	secret web b=2 >w2.yaml &&
	"$SEALCTL" seal -r "$(cat recipient)" --merge-into web.yaml w2.yaml &&
	"$SEALCTL" verify -i keys.txt web.yaml &&
	cp web.yaml web.orig &&
	secret web c=3 >w3.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" --scope strict \
		--merge-into web.yaml w3.yaml 2>scope.err &&
	test_contains "spec.encryptedData" scope.err &&
	test_cmp web.orig web.yaml
'

test_expect_success 'no SealedSecret of that name: exit 1, file untouched' '
	cp repo.yaml repo.keep &&
	secret other x=y >o.yaml &&
	test_expect_code 1 "$SEALCTL" seal -r "$(cat recipient)" --merge-into repo.yaml o.yaml 2>nf.err &&
	test_contains "no SealedSecret named other" nf.err &&
	test_cmp repo.keep repo.yaml
'

test_done
