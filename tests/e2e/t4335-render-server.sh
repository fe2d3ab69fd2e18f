#!/bin/bash
# The render server (`sealsync-agent --render-server SOCKET`, deploy/'s
# render container): with render.server set the agent sends each render
# job over the Unix socket instead of forking; the result is the same, the
# server's deadline and errors come back, garbage does not stop it, and it
# keeps no copy after a job.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
. "$SS_SRC_DIR/tests/e2e/lib-render.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

SOCK=$TRASH/rs/render.sock

test_expect_success 'setup: kustomize, keys, API server, a render server, a kustomize unit' '
	ss_kustomize_bin &&
	ss_keys &&
	ss_apiserver_start &&
	ss_ns shop &&
	mkdir -p rs &&
	ss_daemon render_server "$AGENT" --render-server "$SOCK" --cache-dir "$TRASH/rs-cache" \
		--render-timeout 3s &&
	i=0 && while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	test -S "$SOCK" &&
	ss_repo_init &&
	mkdir -p repo/app &&
	printf "namespace: shop\nnamePrefix: a-\nresources: [cm.yaml, db.sealed.yaml]\n" >repo/app/kustomization.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata: {k: v}\n" >repo/app/cm.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a-db\n  namespace: shop\nstringData:\n  pw: \"server-pw-1\"\n" |
		"$SEALCTL" seal -r "$PUB" | sed -e "s/^  name: a-db$/  name: db/" -e "/^  namespace: /d" >repo/app/db.sealed.yaml &&
	ss_commit one
'

test_expect_success 'the agent renders through the server: same objects, value unsealed, no local copy' '
	ss_sync --kustomize "$KUSTOMIZE" --render-socket "$SOCK" --unit app=app:shop &&
	test "$(ss_secret_value shop a-db pw)" = server-pw-1 &&
	kubectl -n shop get configmap a-cm -o jsonpath={.data.k} >v && test "$(cat v)" = v &&
	test ! -e cache/render &&
	grep -q "\"unit rendered\"" agent.log &&
	test -z "$(find rs-cache/render -mindepth 1)"
'

test_expect_success 'a job past the server deadline is killed there and reported to the agent' '
	printf "#!/bin/sh\nexec /bin/sleep 4343\n" >sleeper.sh && chmod +x sleeper.sh &&
	: >agent.log &&
	test_must_fail ss_sync --kustomize "$TRASH/sleeper.sh" --render-socket "$SOCK" \
		--render-timeout 60s --unit app=app:shop &&
	grep "\"sync failed\"" agent.log | grep -q "render of unit app exceeded its timeout of 3s" &&
	! ps -eo args | grep -q "^/bin/sleep 4343"
'

test_expect_success 'garbage on the socket gets no job run, and the server keeps serving' '
	/usr/bin/python3 -c "
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack(\"=Q\", 9) + b\"SSR1xxxxx\")
s.recv(100)
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack(\"=Q\", 1 << 40))
print(repr(s.recv(100)))" "$SOCK" >garbage &&
	test "$(cat garbage)" = "b'"'"''"'"'" &&
	grep -q "a malformed render request" render_server.log &&
	ss_sync --kustomize "$KUSTOMIZE" --render-socket "$SOCK" --unit app=app:shop
'

test_expect_success 'no server on the socket: the unit fails naming it' '
	: >agent.log &&
	test_must_fail ss_sync --kustomize "$KUSTOMIZE" --render-socket "$TRASH/none.sock" --unit app=app:shop &&
	grep "\"sync failed\"" agent.log | grep -q "render server $TRASH/none.sock"
'

test_done
