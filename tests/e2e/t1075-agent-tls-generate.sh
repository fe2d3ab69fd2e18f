#!/bin/bash
# The agent's generated HTTPS certificate (http.tlsGenerate, docs/SERVICE.md
# "HTTPS"): made at start, key in memory only, its pin published in the
# recipients ConfigMap. `sealctl recipients --kubeconfig` prints the pin;
# `sealctl --agent https://... --pin sha256//...` then works with no CA,
# --agent-ca with the certificate itself works too, a wrong pin is refused,
# and with neither the error says to use --agent-ca or --pin.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" openssl

ss_keys
ss_apiserver_start
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: b}\n' >repo/apps/cm.yaml
ss_commit first
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData: {password: tls-gen-secret-1}\n' >"$TRASH/s.yaml"

PORT=$(ss_free_port)
URL=https://127.0.0.1:$PORT
start_agent() {
	ss_daemon agent "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --path apps --interval 1h \
		--listen "127.0.0.1:$PORT" --tls-generate --no-leader-election &&
	ss_wait_port "$PORT"
}
# The pin of the key the server presents, computed by openssl (not by us).
served_pin() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | openssl base64 -A | sed "s|^|sha256//|"
	echo
}
# The pin in the ConfigMap, once published (polled: the leader publishes
# after its keys load).
published_pin() {
	i=0
	while [ $i -lt 150 ]; do
		"$SEALCTL" recipients --kubeconfig "$KUBECONFIG" >rk.out 2>rk.err &&
			grep -q "^# agent TLS key" rk.out && [ "$(pin_of rk.out)" != "${1:-}" ] && break
		sleep 0.2; i=$((i + 1))
	done
	pin_of rk.out
}
pin_of() { sed -n 's|^# agent TLS key.*: \(sha256//.*\)$|\1|p' "$1"; }

start_agent

test_expect_success 'the pin published in the ConfigMap is the key the agent serves' '
	served_pin >served && test -s served && grep -q "^sha256//" served &&
	published_pin >published && cat rk.out &&
	test_cmp served published &&
	grep -v "^#" rk.out >keys && echo "$PUB" >want && test_cmp want keys &&
	grep "https certificate generated" "$TRASH/agent.log" >gen.log &&
	grep -qF "$(cat served)" gen.log
'

test_expect_success 'the certificate: self-signed, ECDSA P-256, names for loopback and the Service' '
	openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null |
		openssl x509 -noout -text >cert.txt &&
	grep -q "Issuer: CN = sealsync-agent" cert.txt &&
	grep -q "Subject: CN = sealsync-agent" cert.txt &&
	grep -q "NIST CURVE: P-256" cert.txt &&
	grep -q "CA:FALSE" cert.txt &&
	grep -q "DNS:localhost" cert.txt && grep -q "IP Address:127.0.0.1" cert.txt &&
	grep -q "DNS:sealsync.sealsync-system.svc" cert.txt
'

test_expect_success 'seal --agent --pin works with no CA; the value opens with the key' '
	"$SEALCTL" seal --agent "$URL" --pin "$(cat published)" "$TRASH/s.yaml" >db.yaml &&
	test_not_contains tls-gen-secret-1 db.yaml &&
	"$SEALCTL" recover -i "$TRASH/keys.txt" db.yaml >r 2>/dev/null &&
	test_contains "password: dGxzLWdlbi1zZWNyZXQtMQ==" r &&
	"$SEALCTL" recipients --agent "$URL" --pin "$(cat published)" --pin "$PUB" >ra &&
	grep -q "^$PUB\$" ra
'

test_expect_success 'neither --agent-ca nor --pin: the error says to use one of them' '
	test_expect_code 1 "$SEALCTL" seal --agent "$URL" "$TRASH/s.yaml" >out 2>err &&
	cat err && test ! -s out &&
	test_contains "TLS verification failed" err &&
	test_contains "self-signed" err &&
	test_contains "--agent-ca FILE" err && test_contains "--pin sha256//" err &&
	test_contains "sealctl recipients --kubeconfig" err
'

test_expect_success 'a wrong pin is refused before anything is sent' '
	test_expect_code 1 "$SEALCTL" seal --agent "$URL" \
		--pin sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "$TRASH/s.yaml" >out 2>err &&
	test ! -s out && test_contains "is not the pinned one" err
'

test_expect_success '--agent-ca with the certificate itself verifies chain and name' '
	openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 >self.crt &&
	"$SEALCTL" recipients --agent "$URL" --agent-ca self.crt >rc && grep -q "^$PUB\$" rc &&
	"$SEALCTL" recipients --agent "https://localhost:$PORT" --agent-ca self.crt \
		--pin "$(cat published)" >rc2 && test_cmp rc rc2
'

test_expect_success 'a restart makes a new key; the ConfigMap follows, the old pin is refused' '
	ss_stop "$agent_pid" && start_agent &&
	served_pin >served2 && ! test_cmp served served2 >/dev/null &&
	published_pin "$(cat published)" >published2 && test_cmp served2 published2 &&
	test_expect_code 1 "$SEALCTL" recipients --agent "$URL" --pin "$(cat published)" >out 2>err &&
	test ! -s out && test_contains "is not the pinned one" err
'

test_expect_success 'the key is never written: no PEM private key where the agent ran' '
	# api/ and cluster/ hold the API server'"'"'s own TLS keys; kubectl'"'"'s
	# cache/ holds the real server'"'"'s OpenAPI schema, whose prose says
	# "PRIVATE KEY block" (projected credential bundles)
	! grep -rl "PRIVATE KEY" "$TRASH" --exclude-dir=api --exclude-dir=cluster \
		--exclude-dir=kube-bin --exclude-dir=cache
'

test_expect_success 'deploy/config.yaml as shipped serves HTTPS on its main port, plain HTTP probes' '
	ss_stop "$agent_pid" &&
	PROBE=$(ss_free_port) &&
	kubectl kustomize "$SS_SRC_DIR/deploy" >rendered.yaml &&
	$PYTHON - rendered.yaml deploy-agent.yaml "127.0.0.1:$PORT" "127.0.0.1:$PROBE" \
		"file://$TRASH/repo" "$TRASH" <<-\PY &&
	import sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	cm = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "sealsync-config"][0]
	cfg = yaml.safe_load(cm["data"]["config.yaml"])
	cfg["http"].update(listen=sys.argv[3], probeListen=sys.argv[4])
	cfg["source"]["url"] = sys.argv[5]
	cfg["cacheDir"] = sys.argv[6] + "/cache3"
	cfg["keys"] = {"file": sys.argv[6] + "/keys.txt"}
	cfg["units"] = [{"name": "apps", "path": "apps", "namespace": "default"}]
	yaml.safe_dump(cfg, open(sys.argv[2], "w"))
	PY
	grep -q "tlsGenerate: true" deploy-agent.yaml &&
	ss_daemon agent2 "$AGENT" --config deploy-agent.yaml --kubeconfig "$KUBECONFIG" \
		--no-leader-election && ss_wait_port "$PORT" && ss_wait_port "$PROBE" &&
	curl -sf "http://127.0.0.1:$PROBE/healthz" >/dev/null &&
	served_pin >served3 &&
	"$SEALCTL" recipients --agent "$URL" --pin "$(cat served3)" >rd && grep -q "^$PUB\$" rd &&
	test_must_fail curl -sf "http://127.0.0.1:$PORT/v1/recipients" >/dev/null 2>&1
'

test_expect_success '--tls-generate with --tls-cert is refused, naming both' '
	test_must_fail "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
		--cache-dir "$TRASH/cache2" --kubeconfig "$KUBECONFIG" --path apps \
		--listen "127.0.0.1:0" --tls-generate --tls-cert "$TRASH/keys.txt" \
		--tls-key "$TRASH/keys.txt" --no-leader-election >out 2>err &&
	cat err && grep -q -- "--tls-generate and --tls-cert" err
'

test_done
