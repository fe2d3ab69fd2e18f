#!/bin/bash
# sealctl seal / verify / reseal --agent URL: recipients from a running
# agent over verified https (optionally pinned), verify and reseal done by
# the agent's /v1/verify and /v1/reseal. The keys never leave the agent.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" openssl age-keygen

secret() { # secret NS NAME KEY=VALUE
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n  %s: \"%s\"\n" \
		"$2" "$1" "${3%%=*}" "${3#*=}"
}

ss_keys
ss_apiserver_start
age-keygen -o "$TRASH/escrow.txt" 2>/dev/null && chmod 600 "$TRASH/escrow.txt"
ESCROW=$(sed -n 's/^# public key: //p' "$TRASH/escrow.txt")
make_tls
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

test_expect_success 'seal --agent seals to the agent'"'"'s key and its extra recipient' '
	secret prod db password=agent-mode-secret-1 >s.yaml &&
	"$SEALCTL" seal --agent "$URL" --agent-ca "$CA" s.yaml >db.yaml &&
	test_not_contains "agent-mode-secret-1" db.yaml &&
	"$SEALCTL" inspect -r "$PUB" -r "$ESCROW" db.yaml >ins &&
	test_contains "recipient: $PUB" ins &&
	test_contains "recipient: $ESCROW" ins &&
	"$SEALCTL" recover -i "$TRASH/keys.txt" db.yaml >r1 2>/dev/null &&
	"$SEALCTL" recover -i "$TRASH/escrow.txt" db.yaml >r2 2>/dev/null &&
	test_cmp r1 r2 &&
	test_contains "password: YWdlbnQtbW9kZS1zZWNyZXQtMQ==" r1
'

test_expect_success 'seal --agent: pins are honoured, https and the CA are required' '
	"$SEALCTL" seal --agent "$URL" --agent-ca "$CA" --pin "$PUB" --pin "$ESCROW" s.yaml >pinned.yaml &&
	test_expect_code 1 "$SEALCTL" seal --agent "$URL" --agent-ca "$CA" --pin "$PUB" s.yaml >out 2>err &&
	test ! -s out &&
	test_expect_code 1 "$SEALCTL" seal --agent "$URL" s.yaml >out 2>err &&
	test ! -s out &&
	test_expect_code 2 "$SEALCTL" seal --agent "http://127.0.0.1:$PORT" s.yaml >out &&
	test_expect_code 2 "$SEALCTL" seal --pin "$PUB" -r "$PUB" s.yaml >out
'

test_expect_success 'verify --agent: 200 is ok; a value it cannot open is named' '
	"$SEALCTL" verify --agent "$URL" --agent-ca "$CA" db.yaml 2>v.err &&
	test_contains "checked by the agent: ok" v.err &&
	age-keygen -o other.txt 2>other.pub && chmod 600 other.txt &&
	secret prod api token=agent-mode-secret-2 >a.yaml &&
	"$SEALCTL" seal -r "$(sed -n "s/^Public key: //p" other.pub)" a.yaml >api.yaml &&
	test_expect_code 1 "$SEALCTL" verify --agent "$URL" --agent-ca "$CA" db.yaml api.yaml 2>v2.err &&
	test_contains "sealctl: api.yaml:" v2.err &&
	test_contains "document 0: field spec.encryptedData: key token: " v2.err &&
	test_not_contains "agent-mode-secret" v2.err &&
	test_expect_code 2 "$SEALCTL" verify --agent "$URL" -i other.txt db.yaml
'

test_expect_success 'reseal --agent: values the agent can open gain its recipients; current files keep their bytes' '
	mkdir -p tree &&
	secret prod old k=agent-mode-secret-3 >o.yaml &&
	"$SEALCTL" seal -r "$PUB" o.yaml >tree/old.yaml &&
	cp db.yaml tree/current.yaml &&
	cp tree/current.yaml current.before &&
	test_expect_code 2 "$SEALCTL" reseal --agent "$URL" --agent-ca "$CA" -i other.txt --in-place tree &&
	"$SEALCTL" reseal --agent "$URL" --agent-ca "$CA" --in-place tree 2>rs.err &&
	test_contains "2 file(s), 1 rewritten, 1 value(s) resealed, 1 already current, 0 failure(s)" rs.err &&
	test_cmp current.before tree/current.yaml &&
	"$SEALCTL" recover -i "$TRASH/escrow.txt" tree/old.yaml >r3 2>/dev/null &&
	test_contains "k: YWdlbnQtbW9kZS1zZWNyZXQtMw==" r3 &&
	cp api.yaml tree/api.yaml &&
	test_expect_code 1 "$SEALCTL" reseal --agent "$URL" --agent-ca "$CA" --in-place tree 2>rs2.err &&
	test_contains "tree/api.yaml" rs2.err &&
	test_not_contains "agent-mode-secret" rs2.err &&
	test_cmp api.yaml tree/api.yaml
'

test_done
