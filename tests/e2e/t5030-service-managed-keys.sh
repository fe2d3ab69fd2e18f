#!/bin/bash
# Agent-managed keys: two agents started at once end with ONE key Secret
# whose every key unseals what was sealed to it; rotation with a short
# renew period appends a key (never drops one): new seals use the new key,
# old SealedSecrets still unseal, /v1/recipients lists both.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl curl age

active() { # PORT
	curl -sS "http://127.0.0.1:$1/v1/recipients" |
		$PYTHON -c "import json,sys; print(json.load(sys.stdin)[\"active\"])"
}
# The identities in the key Secret, as an age identity file (test-only, in $TRASH).
secret_keys() {
	kubectl -n sealsync-system get secret sealsync-keys -o "jsonpath={.data.keys\.txt}" | base64 -d
}
count_ids() { secret_keys | grep -c "^AGE-SECRET-KEY-1"; }
verify_at() { # PORT FILE: the HTTP status of /v1/verify
	curl -sS -o /dev/null -w "%{http_code}" --data-binary @"$2" "http://127.0.0.1:$1/v1/verify"
}
seal_to() { # RECIPIENT NAME VALUE
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: shop\nstringData:\n  password: "%s"\n' \
		"$2" "$3" | "$SEALCTL" seal -r "$1"
}
agent() { # NAME PORT [flags]
	n=$1 p=$2; shift 2
	ss_daemon "$n" "$AGENT" --repo "file://$TRASH/repo" --managed-keys \
		--cache-dir "$TRASH/cache-$n" --kubeconfig "$KUBECONFIG" --path apps \
		--listen "127.0.0.1:$p" --field-manager "fm-$n" --log-level debug "$@"
}

ss_apiserver_start
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' >repo/apps/ns.yaml
ss_commit first
# Slow key Secret creation down so that both agents find no Secret and both
# POST: the loser's 409 must make it read the winner's keys.
ss_fault '{"type":"latency","method":"POST","path":"/api/v1/namespaces/sealsync-system/secrets","ms":1500}'
PORT_A=$(ss_free_port)
PORT_B=$(ss_free_port)
agent agent_a "$PORT_A" --interval 2s --key-renew-period 1h
agent agent_b "$PORT_B" --interval 2s --key-renew-period 1h
ss_wait_port "$PORT_A"
ss_wait_port "$PORT_B"

test_expect_success 'two agents started at once agree on one key Secret with one key' '
	poll active "$PORT_A" && poll active "$PORT_B" &&
	KA=$(active "$PORT_A") &&
	poll_eq "$KA" active "$PORT_B" &&
	test "$(count_ids)" = 1 &&
	secret_keys | grep -qx "# public key: $KA" &&
	test "$(kubectl -n sealsync-system get secrets -o name | grep -c keys)" = 1 &&
	$PYTHON - "$API_LOG" >posts <<-\PY &&
	import json, sys
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    if e.get("method") == "POST" and e.get("path", "").endswith("/secrets"):
	        print(e["status"])
	PY
	test "$(grep -c 201 posts)" = 1 &&
	test "$(grep -vc -e 201 -e 409 posts)" = 0 &&
	if grep -q 409 posts; then
		say "the creation race happened: the loser read the winner s Secret" &&
		grep -q "created by another replica" agent_a.log agent_b.log
	fi &&
	echo "$KA" >key1
'

test_expect_success 'what is sealed to either agent s key unseals on both' '
	KA=$(cat key1) &&
	seal_to "$KA" db-one value-one >one.yaml &&
	seal_to "$(active "$PORT_B")" db-two value-two >two.yaml &&
	test "$(verify_at "$PORT_A" two.yaml)" = 200 &&
	test "$(verify_at "$PORT_B" one.yaml)" = 200 &&
	cp one.yaml repo/apps/one.sealed.yaml &&
	ss_commit "value for key 1" &&
	poll_eq value-one ss_secret_value shop db-one password
'

test_expect_success 'stop both; an agent with a short renew period rotates: the old key is kept' '
	ss_stop "$agent_a_pid" && ss_stop "$agent_b_pid" &&
	test "$(count_ids)" = 1
'

PORT_C=$(ss_free_port)
agent agent_c "$PORT_C" --interval 1s --key-renew-period 2s --no-leader-election
ss_wait_port "$PORT_C"

test_expect_success 'after the renew period a new key is active and /v1/recipients lists both' '
	K1=$(cat key1) &&
	poll test "$(active "$PORT_C")" != "" &&
	i=0; while [ "$(active "$PORT_C")" = "$K1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	K2=$(active "$PORT_C") && test "$K2" != "$K1" &&
	curl -sS "http://127.0.0.1:$PORT_C/v1/recipients" >r.json &&
	$PYTHON -c "import json,sys; j=json.load(open(\"r.json\")); assert sys.argv[1] in j[\"retained\"] and sys.argv[2] in j[\"recipients\"], j" "$K1" "$K2" &&
	secret_keys | grep -qx "# public key: $K1" &&
	secret_keys | grep -qx "# public key: $K2" &&
	grep -q "rotated: new active key" agent_c.log
'

test_expect_success 'new seals use the new key; the old SealedSecret still unseals and applies' '
	K1=$(cat key1) &&
	curl -sS -H "Accept: text/plain" "http://127.0.0.1:$PORT_C/v1/recipients" >now.txt &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-new\n  namespace: shop\nstringData:\n  password: value-new\n" |
		"$SEALCTL" seal -R now.txt >repo/apps/new.sealed.yaml &&
	sed -n "s/^ *password: //p" repo/apps/new.sealed.yaml | base64 -d >new.age &&
	secret_keys >all-ids.txt &&
	awk "/^# public key: $K1\$/{getline; print}" all-ids.txt >old-id.txt &&
	test -s old-id.txt &&
	test_must_fail age -d -i old-id.txt new.age &&
	test "$(age -d -i all-ids.txt new.age)" = value-new &&
	ss_commit "value for the new key" &&
	poll_eq value-new ss_secret_value shop db-new password &&
	test "$(ss_secret_value shop db-one password)" = value-one &&
	test "$(verify_at "$PORT_C" one.yaml)" = 200 &&
	rm -f all-ids.txt old-id.txt
'

test_expect_success 'rotation only ever appends: every earlier key is still in the Secret' '
	n=$(count_ids) &&
	sleep 2.5 &&
	test "$(count_ids)" -ge "$n" &&
	secret_keys | grep -qx "# public key: $(cat key1)"
'

test_expect_success 'no key material or plaintext in the logs' '
	for l in agent_a.log agent_b.log agent_c.log; do
		test_not_contains AGE-SECRET-KEY-1 "$l" &&
		test_not_contains value-one "$l" &&
		test_not_contains value-new "$l" || return 1
	done
'

test_done
