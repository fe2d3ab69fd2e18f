#!/bin/bash
# sealctl reseal --agent does not trust the agent's reply: /v1/reseal only
# rewraps each value's header (same file key to the new recipients) and
# returns the payload byte for byte, and the client refuses, naming the
# value and writing nothing, a reply whose payload or scope stanza differs
# from the original (a fake endpoint that serves the real recipients and a
# value resealed with other plaintext). --pin sha256//... pins the agent's
# TLS key: an endpoint with another certificate from the same CA and the
# same recipients is refused.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" openssl age-keygen

secret() { # secret NS NAME KEY=VALUE
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n  %s: \"%s\"\n" \
		"$2" "$1" "${3%%=*}" "${3#*=}"
}

# tls_pin CERT: curl's sha256// pin of the certificate's public key.
tls_pin() {
	printf 'sha256//%s' "$(openssl x509 -in "$1" -pubkey -noout |
		openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
}

# payload_of FILE KEY: hex of the value's payload (the bytes after the MAC line).
payload_of() {
	$PYTHON - "$1" "$2" <<-\EOF
	import base64, re, sys
	text = open(sys.argv[1]).read()
	v = re.search(r"^\s+%s: (\S+)$" % re.escape(sys.argv[2]), text, re.M).group(1)
	b = base64.b64decode(v)
	i = b.index(b"\n--- ")
	print(b[b.index(b"\n", i + 1) + 1:].hex())
	EOF
}

ss_keys
ss_apiserver_start
age-keygen -o "$TRASH/escrow.txt" 2>/dev/null && chmod 600 "$TRASH/escrow.txt"
ESCROW=$(sed -n 's/^# public key: //p' "$TRASH/escrow.txt")
age-keygen -o "$TRASH/attacker.txt" 2>/dev/null && chmod 600 "$TRASH/attacker.txt"
ATTACKER=$(sed -n 's/^# public key: //p' "$TRASH/attacker.txt")
make_tls
# Another server certificate from the same CA: CA verification alone passes it.
(cd tls && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout other.key -out other.csr -subj /CN=127.0.0.1 &&
	openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out other.crt -days 2 -extfile ext && chmod 600 other.key) >/dev/null 2>&1
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: b}\n' >repo/apps/cm.yaml
ss_commit first
PORT=$(ss_free_port)
URL=https://127.0.0.1:$PORT
ss_daemon agent "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
	--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --path apps --interval 1h \
	--listen "127.0.0.1:$PORT" --tls-cert "$TRASH/tls/agent.crt" --tls-key "$TRASH/tls/agent.key" \
	--extra-recipient "$ESCROW" --no-leader-election
ss_wait_port "$PORT"
CA=$TRASH/tls/ca.crt
PIN=$(tls_pin tls/agent.crt)
curl -sS --cacert "$CA" -H 'Accept: text/plain' "$URL/v1/recipients" >recipients.txt
# Two fake endpoints: the agent's own certificate (its TLS key stolen), and
# another certificate from the same CA. Both serve the real recipients.
FAKE_PORT=$(ss_free_port)
FAKE=https://127.0.0.1:$FAKE_PORT
OTHER_PORT=$(ss_free_port)
OTHER=https://127.0.0.1:$OTHER_PORT
touch reply.yaml
ss_daemon fake $PYTHON "$SS_SRC_DIR/tests/e2e/fakeagent.py" "$FAKE_PORT" tls/agent.crt \
	tls/agent.key recipients.txt reply.yaml
ss_daemon other $PYTHON "$SS_SRC_DIR/tests/e2e/fakeagent.py" "$OTHER_PORT" tls/other.crt \
	tls/other.key recipients.txt reply.yaml
ss_wait_port "$FAKE_PORT"
ss_wait_port "$OTHER_PORT"

test_expect_success 'setup: db.yaml sealed to the agent key only' '
	test_contains "$PUB" recipients.txt &&
	test_contains "$ESCROW" recipients.txt &&
	mkdir -p tree &&
	secret prod db password=original-secret-1 >s.yaml &&
	"$SEALCTL" seal -r "$PUB" s.yaml >tree/db.yaml &&
	cp tree/db.yaml db.before
'

test_expect_success 'the real agent rewraps: the payload is byte-identical, the plaintext the same' '
	"$SEALCTL" reseal --agent "$URL" --agent-ca "$CA" --pin "$PUB" --pin "$ESCROW" \
		--pin "$PIN" tree/db.yaml >resealed.yaml &&
	test "$(payload_of resealed.yaml password)" = "$(payload_of db.before password)" &&
	"$SEALCTL" inspect -r "$PUB" -r "$ESCROW" resealed.yaml >ins &&
	test_contains "recipient: $ESCROW" ins &&
	"$SEALCTL" recover -i "$TRASH/escrow.txt" resealed.yaml >r 2>/dev/null &&
	test_contains "password: b3JpZ2luYWwtc2VjcmV0LTE=" r
'

test_expect_success 'a reply with other plaintext, sealed to the same recipients, is refused naming the value' '
	secret prod db password=attacker-chosen-2 >evil.yaml &&
	"$SEALCTL" seal -r "$PUB" -r "$ESCROW" evil.yaml >reply.yaml &&
	test_expect_code 1 "$SEALCTL" reseal --agent "$FAKE" --agent-ca "$CA" --pin "$PUB" \
		--pin "$ESCROW" --pin "$PIN" --in-place tree 2>err &&
	cat err &&
	test_contains "tree/db.yaml" err &&
	test_contains "key password" err &&
	test_contains "payload differs from the original" err &&
	test_cmp db.before tree/db.yaml &&
	test_expect_code 1 "$SEALCTL" reseal --agent "$FAKE" --agent-ca "$CA" --pin "$PUB" \
		--pin "$ESCROW" --pin "$PIN" tree/db.yaml >out 2>err &&
	test_must_fail test -s out
'

test_expect_success 'a reply resealed to an extra (attacker) key is refused too' '
	secret prod db password=attacker-chosen-3 >evil.yaml &&
	"$SEALCTL" seal -r "$PUB" -r "$ESCROW" -r "$ATTACKER" evil.yaml >reply.yaml &&
	test_expect_code 1 "$SEALCTL" reseal --agent "$FAKE" --agent-ca "$CA" --pin "$PUB" \
		--pin "$ESCROW" --pin "$PIN" --in-place tree 2>err &&
	test_contains "key password" err &&
	test_cmp db.before tree/db.yaml
'

test_expect_success 'a reply that keeps the payload but drops the scope stanza is refused' '
	$PYTHON - tree/db.yaml reply.yaml <<-\EOF &&
	import base64, re, sys
	text = open(sys.argv[1]).read()
	m = re.search(r"^(\s+password: )(\S+)$", text, re.M)
	b = base64.b64decode(m.group(2))
	s = b"-> sealsync/scope strict prod db password\n\n"
	assert s in b
	b = b.replace(s, b"")
	open(sys.argv[2], "w").write(text.replace(m.group(2), base64.b64encode(b).decode()))
	EOF
	test_expect_code 1 "$SEALCTL" reseal --agent "$FAKE" --agent-ca "$CA" --pin "$PUB" \
		--pin "$ESCROW" --pin "$PIN" --in-place tree 2>err &&
	cat err &&
	test_contains "key password" err &&
	test_contains "sealsync/scope stanza differs" err &&
	test_cmp db.before tree/db.yaml
'

test_expect_success '--pin sha256//: another certificate with the same recipients is refused' '
	cp resealed.yaml reply.yaml &&
	test_expect_code 1 "$SEALCTL" reseal --agent "$OTHER" --agent-ca "$CA" --pin "$PUB" \
		--pin "$ESCROW" --pin "$PIN" --in-place tree 2>err &&
	cat err &&
	test_contains "TLS key is not the pinned one" err &&
	test_cmp db.before tree/db.yaml &&
	test_expect_code 1 "$SEALCTL" recipients --agent "$OTHER" --agent-ca "$CA" --pin "$PIN" >out 2>err &&
	test_must_fail test -s out &&
	"$SEALCTL" recipients --agent "$OTHER" --agent-ca "$CA" --pin "$PUB" --pin "$ESCROW" >out &&
	"$SEALCTL" recipients --agent "$URL" --agent-ca "$CA" --pin "$PIN" >out &&
	test_contains "$ESCROW" out
'

test_expect_success 'reseal --agent --pin age1... alone is a usage error (recipients are public)' '
	test_expect_code 2 "$SEALCTL" reseal --agent "$URL" --agent-ca "$CA" --pin "$PUB" \
		--pin "$ESCROW" --in-place tree 2>err &&
	test_contains "sha256//" err &&
	test_expect_code 2 "$SEALCTL" recipients --agent "$URL" --agent-ca "$CA" --pin sha256//short &&
	test_cmp db.before tree/db.yaml
'

test_done
