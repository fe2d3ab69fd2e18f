#!/bin/bash
# Public keys from the cluster without reaching the agent's port: the agent
# publishes its recipients in a ConfigMap (and keeps it current when its
# keys change), and `sealctl recipients --kubeconfig` reads it through the
# API server with the user's kubeconfig (token, exec credential plugin),
# verified by the cluster CA. `sealctl recipients -i` prints an identity
# file's active recipient.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl openssl

# kc_edit OUT PYTHON: a copy of $KUBECONFIG changed by PYTHON (kc is the dict).
kc_edit() {
	/usr/bin/python3 - "$KUBECONFIG" "$1" "$2" <<-\PY
	import sys, yaml
	kc = yaml.safe_load(open(sys.argv[1]))
	exec(sys.argv[3])
	open(sys.argv[2], "w").write(yaml.safe_dump(kc))
	PY
}

wait_active() { # wait_active AGE1: the ConfigMap names it as active
	i=0
	while [ $i -lt 100 ]; do
		got=$(kubectl -n sealsync-system get configmap sealsync-recipients \
			-o "jsonpath={.data.active}" 2>/dev/null)
		[ "$got" = "$1" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "active is \"$got\", want $1"; return 1
}

test_expect_success 'setup: keys, a repo, an API server' '
	ss_keys && ss_repo_init && mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n" >repo/apps/cm.yaml &&
	ss_commit first && ss_apiserver_start
'

test_expect_success 'sealctl recipients -i prints the active recipient of an identity file' '
	"$SEALCTL" recipients -i keys.txt >out &&
	echo "$PUB" >want && test_cmp want out &&
	cp keys.txt rotated.txt && chmod 600 rotated.txt &&
	"$SEALCTL" rotate -i rotated.txt 2>/dev/null &&
	"$SEALCTL" recipients -i rotated.txt >out2 &&
	! test_cmp want out2 >/dev/null &&
	grep -q "^age1" out2 && grep -q "$(cat out2)" rotated.txt
'

test_expect_success 'without an agent: the error says which ConfigMap is missing' '
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig "$KUBECONFIG" >out 2>err &&
	cat err && test ! -s out &&
	grep -q "no ConfigMap sealsync-system/sealsync-recipients" err
'

test_expect_success 'the agent publishes its recipients in a ConfigMap' '
	ss_daemon agent "$AGENT" --repo "file://$TRASH/repo" --path apps \
		--identities "$TRASH/keys.txt" --cache-dir cache --kubeconfig "$KUBECONFIG" \
		--no-leader-election --interval 1h &&
	wait_active "$PUB" &&
	grep -q "recipients published" agent.log
'

test_expect_success 'sealctl recipients --kubeconfig prints them (token user)' '
	"$SEALCTL" recipients --kubeconfig "$KUBECONFIG" >out 2>err &&
	cat out && grep -v "^#" out >keys-only && echo "$PUB" >want && test_cmp want keys-only &&
	KUBECONFIG=$KUBECONFIG "$SEALCTL" recipients --kubeconfig >out-env &&
	test_cmp out out-env
'

test_expect_success 'the output seals: sealctl seal -R takes it' '
	"$SEALCTL" recipients --kubeconfig "$KUBECONFIG" >r.txt &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: v\n" |
		"$SEALCTL" seal -R r.txt --namespace default >s.yaml &&
	"$SEALCTL" recover -i keys.txt <s.yaml 2>/dev/null | grep -q "k: dg=="
'

test_expect_success 'an exec credential plugin supplies the token' '
	token=$(/usr/bin/python3 -c "import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))[\"users\"][0][\"user\"][\"token\"])" "$KUBECONFIG") &&
	mkdir -p plug &&
	cat >plug/cred.sh <<-EOF &&
	#!/bin/sh
	printf "%s|%s|%s\n" "\$*" "\$PLUGIN_REGION" "\$KUBERNETES_EXEC_INFO" >"$TRASH/plugin-ran"
	printf "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}\n" "$token"
	EOF
	chmod +x plug/cred.sh &&
	kc_edit exec.kc "kc[\"users\"][0][\"user\"] = {\"exec\": {\"apiVersion\": \"client.authentication.k8s.io/v1\", \"command\": \"plug/cred.sh\", \"args\": [\"token\", \"--cluster\", \"c1\"], \"env\": [{\"name\": \"PLUGIN_REGION\", \"value\": \"eu-1\"}]}}" &&
	"$SEALCTL" recipients --kubeconfig exec.kc >out 2>err &&
	grep -q "^$PUB$" out &&
	cat plugin-ran &&
	grep -q "^token --cluster c1|eu-1|" plugin-ran &&
	grep -q "\"kind\":\"ExecCredential\"" plugin-ran
'

test_expect_success 'a plugin token the server refuses: HTTP 401, log in again' '
	printf "#!/bin/sh\necho '"'"'{\"status\":{\"token\":\"wrong\"}}'"'"'\n" >plug/bad.sh &&
	chmod +x plug/bad.sh &&
	kc_edit bad.kc "kc[\"users\"][0][\"user\"] = {\"exec\": {\"command\": \"plug/bad.sh\"}}" &&
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig bad.kc >out 2>err &&
	cat err && test ! -s out && grep -q "HTTP 401" err
'

test_expect_success 'a failing plugin is named, with its exit status' '
	printf "#!/bin/sh\necho nope >&2\nexit 3\n" >plug/fail.sh && chmod +x plug/fail.sh &&
	kc_edit fail.kc "kc[\"users\"][0][\"user\"] = {\"exec\": {\"command\": \"plug/fail.sh\"}}" &&
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig fail.kc >out 2>err &&
	cat err && grep -q "credential plugin .*fail.sh failed (exit status 3)" err
'

test_expect_success '--context picks a context other than the current one' '
	kc_edit two.kc "import copy; c = copy.deepcopy(kc[\"clusters\"][0]); c[\"name\"] = \"off\"; c[\"cluster\"][\"server\"] = \"https://127.0.0.1:1\"; kc[\"clusters\"].append(c); x = copy.deepcopy(kc[\"contexts\"][0]); x[\"name\"] = \"good\"; kc[\"contexts\"].append(x); kc[\"contexts\"][0][\"context\"][\"cluster\"] = \"off\"" &&
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig two.kc >/dev/null 2>err-cur &&
	"$SEALCTL" recipients --kubeconfig two.kc --context good >out &&
	grep -q "^$PUB$" out &&
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig two.kc --context nope 2>err &&
	grep -q "no context named nope" err
'

test_expect_success 'the server certificate is verified against the kubeconfig CA' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=other-ca -keyout other.key -out other.crt 2>/dev/null &&
	kc_edit ca.kc "import base64; kc[\"clusters\"][0][\"cluster\"][\"certificate-authority-data\"] = base64.b64encode(open(\"other.crt\",\"rb\").read()).decode()" &&
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig ca.kc >out 2>err &&
	cat err && test ! -s out && grep -q "TLS verification" err &&
	kc_edit skip.kc "kc[\"clusters\"][0][\"cluster\"][\"insecure-skip-tls-verify\"] = True" &&
	test_expect_code 2 "$SEALCTL" recipients --kubeconfig skip.kc >out 2>err &&
	grep -q "insecure-skip-tls-verify: refused" err
'

test_expect_success '--pin: a recipient that is not pinned prints nothing' '
	"$SEALCTL" keygen -w pin.txt 2>/dev/null &&
	other=$(sed -n "s/^# public key: //p" pin.txt) &&
	test_expect_code 1 "$SEALCTL" recipients --kubeconfig "$KUBECONFIG" --pin "$other" >out 2>err &&
	test ! -s out && grep -q "not pinned" err &&
	"$SEALCTL" recipients --kubeconfig "$KUBECONFIG" --pin "$PUB" >out &&
	grep -q "^$PUB$" out
'

test_expect_success 'a key rotation updates the ConfigMap' '
	"$SEALCTL" rotate -i keys.txt 2>/dev/null &&
	new=$("$SEALCTL" recipients -i keys.txt) && test "$new" != "$PUB" &&
	wait_active "$new" &&
	"$SEALCTL" recipients --kubeconfig "$KUBECONFIG" >out &&
	cat out &&
	test "$(grep -v "^#" out)" = "$new" && grep -q "^# $PUB$" out
'

test_expect_success 'sealctl --agent, certificate not verifiable: the error says --agent-ca or --pin (from --kubeconfig)' '
	make_tls && port=$(ss_free_port) &&
	ss_daemon tlsagent "$AGENT" --name tls --repo "file://$TRASH/repo" --path apps \
		--identities "$TRASH/keys.txt" --cache-dir cache2 --kubeconfig "$KUBECONFIG" \
		--no-leader-election --interval 1h --listen "127.0.0.1:$port" \
		--tls-cert tls/agent.crt --tls-key tls/agent.key &&
	ss_wait_port "$port" &&
	test_expect_code 1 "$SEALCTL" recipients --agent "https://127.0.0.1:$port" >out 2>err &&
	cat err && test ! -s out &&
	grep -q "give --agent-ca FILE (the CA that signed it) or --pin sha256//... (the key.s pin: sealctl recipients --kubeconfig prints it)" err &&
	"$SEALCTL" recipients --agent "https://127.0.0.1:$port" --agent-ca tls/ca.crt >out &&
	grep -q "^age1" out
'

test_done
