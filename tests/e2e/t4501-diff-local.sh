#!/bin/bash
# --diff --local DIR: a pull request's working tree against the cluster,
# with no private key: plain objects as --diff shows them, sealed values as
# changed / unchanged / added / removed by their ciphertexts against the
# revision the unit's inventory last applied (read from DIR's repository).
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

# The trash folder lies in the build tree, inside the project's checkout:
# repository discovery (git's and --local's) stops at it.
GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES

PW=first-4501-xyzzy
NEW_PW=second-4501-plugh

# ss_local DIR [flags]: --diff --local as a CI job runs it: no key, no
# Git source, a kubeconfig. stdout to local.out, stderr to local.err.
ss_local() {
	dir=$1; shift
	"$AGENT" --diff --local "$dir" --unit apps=apps:shop --kubeconfig "$KUBECONFIG" \
		--max-retries 1 "$@" >"$TRASH/local.out" 2>"$TRASH/local.err"
}

test_expect_success 'setup: a unit applied by a sync' '
	ss_keys && ss_repo_init && ss_apiserver_start && ss_ns shop &&
	mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  color: blue\n" >repo/apps/web.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\ndata:\n  a: \"1\"\n" >repo/apps/old.yaml &&
	ss_seal shop db password=$PW user=admin-4501 >repo/apps/db.sealed.yaml &&
	ss_commit first &&
	ss_sync --unit apps=apps:shop &&
	git clone -q repo pr
'

test_expect_success 'an unchanged working tree: exit 0, nothing printed, no key' '
	mark=$(ss_writes_mark) &&
	ss_local pr &&
	test ! -s local.out &&
	grep -q "unit diffed" local.err &&
	test "$(ss_writes_since "$mark")" = 0
'

test_expect_success 'a re-sealed value is changed, the other unchanged, without a key' '
	mv keys.txt keys.away &&
	printf %s "$NEW_PW" | "$SEALCTL" set -r "$PUB" pr/apps/db.sealed.yaml db password &&
	printf "%s" "token-4501" | "$SEALCTL" set -r "$PUB" pr/apps/db.sealed.yaml db token &&
	mark=$(ss_writes_mark) &&
	test_expect_code 1 ss_local pr &&
	cat local.out &&
	grep -q "^#   password: changed$" local.out &&
	grep -q "^#   user: unchanged$" local.out &&
	grep -q "^#   token: added$" local.out &&
	grep -q "^--- applied/apps/sealsync.dev.v1.SealedSecret.shop.db$" local.out &&
	grep -q "^+++ local/apps/sealsync.dev.v1.SealedSecret.shop.db$" local.out &&
	test "$(ss_writes_since "$mark")" = 0 &&
	mv keys.away keys.txt
'

test_expect_success 'no ciphertext and no value in the output' '
	for v in $(grep -o "[A-Za-z0-9+/=]\{60,\}" pr/apps/db.sealed.yaml); do
		test_not_contains "$v" local.out || return 1
	done &&
	test_not_contains "$NEW_PW" local.out && test_not_contains "$PW" local.out
'

test_expect_success 'an unchanged SealedSecret in a changed tree is not printed' '
	git -C pr checkout -q apps/db.sealed.yaml &&
	sed -i "s/color: blue/color: red/" pr/apps/web.yaml &&
	git -C pr rm -q apps/old.yaml &&
	test_expect_code 1 ss_local pr &&
	test_must_fail grep -q SealedSecret local.out &&
	grep -q "^+  color: red$" local.out &&
	grep -q "^# to be pruned: v1 ConfigMap shop/old" local.out
'

test_expect_success 'the Secret of a SealedSecret still in Git is not taken for pruned' '
	test_must_fail grep -q "to be pruned: v1 Secret" local.out
'

test_expect_success_faults 'a kubeconfig that may only read: approximated, and said so' '
	ss_fault "{\"type\":\"403\",\"method\":\"PATCH\",\"dryrun\":true}" &&
	test_expect_code 1 ss_local pr &&
	ss_faults_clear &&
	grep -q "^# approximated: this kubeconfig may not dry-run it (403)" local.out &&
	grep -q "^+  color: red$" local.out &&
	grep -q "^# to be pruned: v1 ConfigMap shop/old" local.out
'

test_expect_success 'the applied revision missing from the repository: exit 2, how to fetch' '
	printf "# later\n" >>repo/apps/web.yaml && ss_commit later &&
	git clone -q --depth 1 "file://$TRASH/repo" shallow &&
	test_expect_code 2 ss_local shallow &&
	grep -q "fetch-depth" local.err &&
	grep -q "$(git -C repo rev-parse HEAD~1)" local.err
'

test_expect_success 'no cluster to compare with: exit 2, naming the kubeconfig' '
	test_expect_code 2 "$AGENT" --diff --local pr --unit apps=apps:shop \
		--kubeconfig "$TRASH/no-such-kubeconfig" >nokube.out 2>nokube.err &&
	grep -q "kubeconfig" nokube.err
'

test_expect_success 'a folder in no Git repository: exit 2' '
	mkdir -p plain/apps && cp pr/apps/web.yaml plain/apps/ &&
	test_expect_code 2 ss_local plain &&
	grep -q "no Git repository" local.err
'

test_done
