#!/bin/bash
# The renderer's confinement, by behaviour (issue 16, acceptance 7):
# symlinks in the repository to the key file or a ServiceAccount token are
# refused and nothing of either reaches a log, an output or an object; a
# tool that names such a file directly is stopped by Landlock; a render
# that never ends is killed at its deadline and reported; what a render
# can see holds no plaintext, and nothing is left behind afterwards.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-render.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" "$TEST_TOOL" kubectl

sync_k() { ss_sync --kustomize "$KUSTOMIZE" "$@"; }

# nothing of the key file or the token anywhere the test can look
leak_check() {
	key=$(grep "^AGE-SECRET-KEY" "$TRASH/keys.txt") &&
	test_not_contains "$key" agent.log &&
	test_not_contains token-value-4f2a agent.log &&
	kubectl get configmaps,secrets -A -o yaml >all.yaml &&
	test_not_contains "$key" all.yaml &&
	test_not_contains "$(printf %s "$key" | base64 -w0 | cut -c1-40)" all.yaml &&
	test_not_contains token-value-4f2a all.yaml &&
	test_not_contains "$(printf token-value-4f2a | base64)" all.yaml
}

test_expect_success 'setup: kustomize, keys, a token file, API server, units with symlinks out' '
	ss_kustomize_bin &&
	ss_keys &&
	mkdir -p sa && printf token-value-4f2a >sa/token &&
	ss_apiserver_start &&
	ss_repo_init &&
	mkdir -p repo/u/keylink repo/u/keyrel repo/u/tokenlink repo/u/dirlink repo/u/abs &&
	printf "configMapGenerator:\n  - name: k\n    files: [key.txt]\n" >repo/u/keylink/kustomization.yaml &&
	ln -s "$TRASH/keys.txt" repo/u/keylink/key.txt &&
	printf "configMapGenerator:\n  - name: k\n    files: [stolen.txt]\n" >repo/u/keyrel/kustomization.yaml &&
	ln -s ../../../keys.txt repo/u/keyrel/stolen.txt &&
	test -r repo/u/keyrel/stolen.txt &&
	printf "resources: [token.yaml]\n" >repo/u/tokenlink/kustomization.yaml &&
	ln -s "$TRASH/sa/token" repo/u/tokenlink/token.yaml &&
	printf "resources: [sa]\n" >repo/u/dirlink/kustomization.yaml &&
	ln -s "$TRASH/sa" repo/u/dirlink/sa &&
	printf "configMapGenerator:\n  - name: k\n    files: [$TRASH/keys.txt]\n" >repo/u/abs/kustomization.yaml &&
	ss_commit links
'

test_expect_success 'each unit that links out fails naming the symlink; nothing of the key or token leaks' '
	test_must_fail sync_k --unit keylink=u/keylink --unit keyrel=u/keyrel \
		--unit tokenlink=u/tokenlink --unit dirlink=u/dirlink --unit abs=u/abs &&
	grep "\"sync failed\"" agent.log >fails &&
	grep "\"unit\":\"keylink\"" fails | grep -q "\"file\":\"u/keylink/key.txt\"" &&
	grep "\"unit\":\"keylink\"" fails | grep -q "an absolute target leaves" &&
	grep "\"unit\":\"keyrel\"" fails | grep -q "\"file\":\"u/keyrel/stolen.txt\"" &&
	grep "\"unit\":\"keyrel\"" fails | grep -q "it leaves the repository" &&
	grep "\"unit\":\"tokenlink\"" fails | grep -q "\"file\":\"u/tokenlink/token.yaml\"" &&
	grep "\"unit\":\"dirlink\"" fails | grep -q "\"file\":\"u/dirlink/sa\"" &&
	grep "\"unit\":\"abs\"" fails | grep -q "an absolute path is refused" &&
	leak_check
'

test_expect_success 'Landlock: a tool that opens the key file or the token by path is refused' '
	if [ "$("$TEST_TOOL" render-run --tmp "$TRASH/rtmp" -- "$TEST_TOOL" render-probe env 2>&1 >/dev/null | grep -c "Landlock applied")" = 0 ]; then
		echo "# no Landlock on this kernel: the file system is not confined (docs/REPOSITORIES.md)"; return 0
	fi &&
	"$TEST_TOOL" render-run --tmp "$TRASH/rtmp" -- "$TEST_TOOL" render-probe read "$TRASH/keys.txt" >probe &&
	test "$(cat probe)" = "open $TRASH/keys.txt: Permission denied" &&
	"$TEST_TOOL" render-run --tmp "$TRASH/rtmp" -- "$TEST_TOOL" render-probe read "$TRASH/sa/token" >probe &&
	test "$(cat probe)" = "open $TRASH/sa/token: Permission denied" &&
	"$TEST_TOOL" render-probe read "$TRASH/sa/token" >control &&
	grep -q "read 16 bytes" control
'

test_expect_success 'the environment holds nothing of the agent (HELM_*, KUBECONFIG, KUSTOMIZE_PLUGIN_HOME)' '
	HELM_KUBETOKEN=x KUSTOMIZE_PLUGIN_HOME=/p KUBECONFIG=/k SECRET_ENV=y \
		"$TEST_TOOL" render-run --tmp "$TRASH/rtmp" -- "$TEST_TOOL" render-probe env >env &&
	sed "s/=.*//" env | sort >names &&
	printf "%s\n" HOME LC_ALL PATH TMPDIR XDG_CACHE_HOME XDG_CONFIG_HOME XDG_DATA_HOME >want &&
	test_cmp want names &&
	grep -q "^PATH=/nonexistent$" env
'

test_expect_success 'a render that never ends is killed at its deadline and reported' '
	mkdir -p repo/u/slow &&
	printf "resources: []\n" >repo/u/slow/kustomization.yaml &&
	ss_commit slow &&
	printf "#!/bin/sh\nexec /bin/sleep 4242\n" >sleeper.sh && chmod +x sleeper.sh &&
	: >agent.log &&
	test_must_fail ss_sync --kustomize "$TRASH/sleeper.sh" --render-timeout 2s --unit slow=u/slow &&
	grep "\"sync failed\"" agent.log | grep -q "render of unit slow exceeded its timeout of 2s" &&
	! ps -eo args | grep -q "^/bin/sleep 4242" &&
	test -z "$(find cache/render -mindepth 1)"
'

test_expect_success 'what the tool can see holds no plaintext, and nothing is left after the render' '
	mkdir -p repo/u/dump &&
	printf "resources: [db.sealed.yaml]\n" >repo/u/dump/kustomization.yaml &&
	ss_seal default db password=plain-7e1d >repo/u/dump/db.sealed.yaml &&
	ss_commit dump &&
	: >agent.log &&
	ss_sync --kustomize "$TEST_TOOL" --unit dump=u/dump $SS_RENDER_MEM &&
	test "$(ss_secret_value default db password)" = plain-7e1d &&
	kubectl get configmap copy-dump -o json >dump.json &&
	/usr/bin/python3 -c "
import base64, json, sys
d = json.load(open(\"dump.json\"))[\"binaryData\"]
files = {k: base64.b64decode(v) for k, v in d.items()}
assert any(k.startswith(\"copy.\") and k.endswith(\"db.sealed.yaml\") for k in files), sorted(files)
for k, v in files.items():
    assert b\"plain-7e1d\" not in v and base64.b64encode(b\"plain-7e1d\") not in v, k
    assert b\"AGE-SECRET-KEY\" not in v, k
print(len(files))" >nfiles &&
	test "$(cat nfiles)" -ge 2 &&
	test -z "$(find cache/render -mindepth 1)"
'

test_expect_success 'after a real kustomize build, nothing is left under the render folder' '
	: >agent.log &&
	sync_k --unit dump=u/dump &&
	grep -q "\"unit rendered\"" agent.log &&
	test -d cache/render &&
	test -z "$(find cache/render -mindepth 1)" &&
	leak_check
'

test_done
