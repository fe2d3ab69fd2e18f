#!/bin/bash
# The agent's keys without a restart: a key file added to the key folder is
# picked up on SIGHUP (and on change), new seals use the new key, old values
# still unseal, /v1/recipients lists both; retired keys; suspend via SIGHUP.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl curl age promtool openssl

URL=
st() {
	p=$1; shift
	curl -sS -o "$TRASH/body" -w '%{http_code}' "$@" "$URL$p"
}
metric() { curl -sS "$URL/metrics" | sed -n "s/^$1 //p"; }
active() { curl -sS "$URL/v1/recipients" | $PYTHON -c "import json,sys; print(json.load(sys.stdin)[\"active\"])"; }
# seal_to RECIPIENT NS NAME KEY=VALUE
seal_to() {
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n  %s: "%s"\n' \
		"$3" "$2" "${4%%=*}" "${4#*=}" | "$SEALCTL" seal -r "$1"
}
applied_rev() {
	kubectl -n sealsync-system get configmap sealsync-inv-default -o jsonpath={.data.revision}
}

ss_apiserver_start
mkdir -p keys.d && chmod 700 keys.d
"$SEALCTL" keygen -w keys.d/10-a.txt 2>/dev/null
KEY_A=$(sed -n 's/^# public key: //p' keys.d/10-a.txt)
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' >repo/apps/ns.yaml
seal_to "$KEY_A" shop db-a password=value-for-key-a >repo/apps/a.sealed.yaml
ss_commit first
PORT=$(ss_free_port)
URL=http://127.0.0.1:$PORT
printf 'hook-secret\n' >hook.txt && chmod 600 hook.txt
hook() {
	sig=$(printf '{}' | openssl dgst -sha256 -hmac hook-secret | sed 's/.*= //')
	curl -sS -o /dev/null -w '%{http_code}' -H "X-Hub-Signature-256: sha256=$sig" --data-binary '{}' "$URL/hook"
}
cat >agent.yaml <<EOF
name: sealsync
source:
  url: file://$TRASH/repo
  interval: 1h
units:
  - name: default
    path: apps
keys:
  dir: $TRASH/keys.d
kube:
  kubeconfig: $KUBECONFIG
http:
  listen: 127.0.0.1:$PORT
  webhookSecretFile: $TRASH/hook.txt
leaderElection: false
suspend: false
cacheDir: $TRASH/cache
EOF
ss_daemon agent "$AGENT" --config agent.yaml --log-level debug
ss_wait_port "$PORT"

test_expect_success 'the agent starts with key A and applies a value sealed to it' '
	poll_eq 200 st /readyz &&
	test "$(active)" = "$KEY_A" &&
	test "$(ss_secret_value shop db-a password)" = value-for-key-a
'

test_expect_success 'a key file added to the folder is picked up after SIGHUP, no restart' '
	"$SEALCTL" keygen -w keys.d/20-b.txt 2>/dev/null &&
	KEY_B=$(sed -n "s/^# public key: //p" keys.d/20-b.txt) &&
	kill -HUP "$agent_pid" &&
	poll_eq "$KEY_B" active &&
	kill -0 "$agent_pid" &&
	grep -q "\"keys reloaded\"" agent.log &&
	curl -sS "$URL/v1/recipients" >r.json &&
	$PYTHON -c "import json,sys; j=json.load(open(\"r.json\")); assert j[\"recipients\"]==[sys.argv[2], sys.argv[1]] and j[\"retained\"]==[sys.argv[1]], j" "$KEY_A" "$KEY_B" &&
	curl -sS -H "Accept: text/plain" "$URL/v1/recipients" >r.txt &&
	grep -qx "$KEY_B" r.txt && grep -qx "# $KEY_A" r.txt
'

test_expect_success 'new seals use the new key; old values still unseal in the same revision' '
	curl -sS -H "Accept: text/plain" "$URL/v1/recipients" >agent-recipients.txt &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-b\n  namespace: shop\nstringData:\n  password: value-for-key-b\n" |
		"$SEALCTL" seal -R agent-recipients.txt >repo/apps/b.sealed.yaml &&
	sed -n "s/^ *password: //p" repo/apps/b.sealed.yaml | base64 -d >b.age &&
	test "$(age -d -i keys.d/20-b.txt b.age)" = value-for-key-b &&
	test_must_fail age -d -i keys.d/10-a.txt b.age &&
	ss_commit "value for key B" &&
	test "$(hook)" = 202 &&
	poll_eq "$(git -C repo rev-parse HEAD)" applied_rev &&
	test "$(ss_secret_value shop db-b password)" = value-for-key-b &&
	test "$(ss_secret_value shop db-a password)" = value-for-key-a &&
	test "$(st /v1/verify --data-binary @repo/apps/a.sealed.yaml)" = 200 &&
	test "$(st /v1/verify --data-binary @repo/apps/b.sealed.yaml)" = 200
'

test_expect_success 'reseal moves an old value to the new key' '
	test "$(st /v1/reseal --data-binary @repo/apps/a.sealed.yaml)" = 200 &&
	sed -n "s/^ *password: //p" body | base64 -d >a2.age &&
	test "$(age -d -i keys.d/20-b.txt a2.age)" = value-for-key-a &&
	test_must_fail age -d -i keys.d/10-a.txt a2.age
'

# The metrics follow the sync that the inventory already shows: poll them.
metrics_both_keys() {
	curl -sS "$URL/metrics" >m.txt &&
	grep -qx "sealsync_keys{state=\"usable\"} 2" m.txt &&
	grep -q "^sealsync_sealed_values{key_hint=\"[^\"]*\",recipient=\"$KEY_A\"} 1$" m.txt &&
	grep -q "^sealsync_sealed_values{key_hint=\"[^\"]*\",recipient=\"$KEY_B\"} 1$" m.txt
}

test_expect_success 'metrics count both keys and the values sealed to each' '
	poll metrics_both_keys &&
	promtool check metrics <m.txt &&
	grep "\"sealed values by key\"" agent.log | tail -n 1 >inventory.log &&
	grep -q "$KEY_A=1" inventory.log && grep -q "$KEY_B=1" inventory.log
'

test_expect_success 'a changed key file is noticed without a signal' '
	"$SEALCTL" keygen -w keys.d/30-c.txt 2>/dev/null &&
	KEY_C=$(sed -n "s/^# public key: //p" keys.d/30-c.txt) &&
	poll_eq "$KEY_C" active &&
	grep -q "key files changed" agent.log
'

test_expect_success 'a key file others can read is refused on reload; the old keys stay' '
	"$SEALCTL" keygen -w 40-d.txt 2>/dev/null &&
	chmod 644 40-d.txt &&
	# made readable first, then moved in: the file watcher must never see
	# it with its private mode (it would load it and the active key changes)
	mv 40-d.txt keys.d/40-d.txt &&
	kill -HUP "$agent_pid" &&
	poll grep -q "key reload failed" agent.log &&
	grep "key reload failed" agent.log | grep -q "40-d.txt" &&
	test "$(active)" = "$KEY_C" &&
	rm -f keys.d/40-d.txt
'

test_expect_success 'suspend from the config file on SIGHUP: /readyz 503 says so, metrics too' '
	sed -i "s/^suspend: false/suspend: true/" agent.yaml &&
	kill -HUP "$agent_pid" &&
	poll_eq 503 st /readyz &&
	grep -q suspended body &&
	test "$(metric sealsync_suspended)" = 1 &&
	before=$(metric sealsync_syncs_total) &&
	mark=$(ss_writes_mark) &&
	sleep 1 &&
	test "$(metric sealsync_syncs_total)" = "$before" &&
	test "$(ss_writes_since "$mark")" = 0 &&
	sed -i "s/^suspend: true/suspend: false/" agent.yaml &&
	kill -HUP "$agent_pid" &&
	poll_eq 200 st /readyz &&
	test "$(metric sealsync_suspended)" = 0
'

# A new commit, so that the webhook's sync has something to write: with the
# steady state an unchanged revision costs no write (t4190).
test_expect_success 'after resuming, a webhook sync works again' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: resumed\n  namespace: shop\n" \
		>repo/apps/resumed.yaml && ss_commit resumed &&
	mark=$(ss_writes_mark) &&
	test "$(hook)" = 202 &&
	poll_gt 0 ss_writes_since "$mark" &&
	poll kubectl -n shop get configmap resumed
'

test_expect_success 'a retired key is kept but used for nothing: its values no longer unseal' '
	test_expect_code 1 "$AGENT" --once --config agent.yaml --cache-dir "$TRASH/cache-once" --listen "" --retired-keys "$KEY_A" \
		2>retired.log &&
	grep -q "a.sealed.yaml" retired.log &&
	test_expect_code 1 "$AGENT" --once --config agent.yaml --cache-dir "$TRASH/cache-once" --listen "" --retired-keys "$KEY_B" \
		2>retired-b.log &&
	grep -q "b.sealed.yaml" retired-b.log &&
	"$AGENT" --once --config agent.yaml --cache-dir "$TRASH/cache-once" --listen "" 2>not-retired.log
'

test_expect_success 'the active key cannot be retired' '
	test_expect_code 1 "$AGENT" --once --config agent.yaml --cache-dir "$TRASH/cache-once" --listen "" --retired-keys "$KEY_C" \
		2>retired-c.log &&
	grep -q "rotate before retiring" retired-c.log
'

test_expect_success 'a request cannot spend more than its X25519 budget' '
	: >strangers.txt &&
	for i in $(seq 1 16); do
		"$SEALCTL" keygen 2>/dev/null | sed -n "s/^# public key: //p" >>strangers.txt || return 1
	done &&
	v=$(printf x | "$SEALCTL" seal --raw --scope cluster -R strangers.txt) &&
	{
		printf "apiVersion: sealsync.dev/v1\nkind: SealedSecret\nmetadata:\n  name: burn\n  namespace: shop\nspec:\n  scope: cluster\n  encryptedData:\n"
		for i in $(seq 1 400); do printf "    k%03d: %s\n" "$i" "$v"; done
	} >burn.yaml &&
	test "$(st /v1/verify --data-binary @burn.yaml)" = 409 &&
	$PYTHON -c "import json; j=json.load(open(\"body\")); r=[f[\"reason\"] for f in j[\"failed\"]]; print(r[0], \"|\", r[-1], j[\"failed\"][-1][\"error\"]); assert len(r)==400, len(r); assert r[0]==\"no identity matched\" and r[-1]==\"limit exceeded\", (r[0], r[-1])" &&
	test "$(st /healthz)" = 200
'

test_expect_success 'no key material in the logs' '
	for f in keys.d/*.txt; do
		test_not_contains "$(grep ^AGE-SECRET-KEY "$f")" agent.log || return 1
	done &&
	test_not_contains value-for-key-a agent.log &&
	test_not_contains value-for-key-b agent.log
'

test_done
