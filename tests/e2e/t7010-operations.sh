#!/bin/bash
# Every ```sh block of docs/OPERATIONS.md, run in order against the local
# API server, with sealctl, sealsync-agent and the real age on PATH.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl age age-keygen

test_expect_success 'setup: tools on PATH, API server, a repository with a namespace' '
	mkdir -p bin && ln -s "$SEALCTL" bin/sealctl && ln -s "$AGENT" bin/sealsync-agent &&
	ss_apiserver_start &&
	cp -r "$SS_SRC_DIR/deploy" deploy &&
	ss_repo_init &&
	mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n" >repo/apps/ns.yaml &&
	ss_commit "namespace"
'

/usr/bin/python3 - "$SS_SRC_DIR/docs/OPERATIONS.md" "$TRASH/blocks" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read()
os.makedirs(sys.argv[2], exist_ok=True)
for i, b in enumerate(re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)):
    open(os.path.join(sys.argv[2], "%02d.sh" % i), "w").write(b)
PY

for block in "$TRASH"/blocks/*.sh; do
	name=$(head -n 1 "$block" | cut -c1-60)
	test_expect_success "runbook block $(basename "$block" .sh): $name" '
		PATH="$TRASH/bin:$PATH" bash -e -o pipefail "'"$block"'"
	'
done

test_expect_success 'the runbook had blocks, and they did what they say' '
	test $(ls blocks | wc -l) -ge 10 &&
	test "$(ss_secret_value shop db-creds password)" = s3cret-from-runbook &&
	test "$(stat -c %a keys.txt)" = 600 &&
	test "$(stat -c %a restored-keys.txt)" = 600 &&
	cmp keys.txt restored-keys.txt &&
	test_not_contains s3cret-from-runbook preview.yaml &&
	! git -C repo log -p | grep -q s3cret-from-runbook
'

test_done
