#!/bin/bash
# Privilege separation (issue 9, acceptance 1): the identities live in a
# sandboxed key-holder process with no network and no file system; the
# agent process itself holds no identity in memory (read through /proc as
# root); a sandbox that cannot be applied stops the agent unless
# --no-sandbox; a dead key holder stops the agent.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" "$TEST_TOOL" kubectl
MEMSCAN="$PYTHON $SS_SRC_DIR/tests/e2e/memscan.py"

# Waits (bounded) until the agent log has a line matching $1.
wait_log() {
	i=0
	while ! grep -q "$1" "$TRASH/agent.log" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 300 ] || { echo "no '$1' in the log" >&2; return 1; }
		sleep 0.1
	done
}
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

ss_keys
ss_apiserver_start
ss_ns shop
ss_repo_init
mkdir -p repo/apps
ss_seal shop db password=kh-plain-value >repo/apps/db.sealed.yaml
ss_commit first
ss_daemon listener $PYTHON -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True: s.accept()[0].close()
' "$TRASH/listen.port"
ss_daemon agent "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/keys.txt" \
	--cache-dir "$TRASH/cache" --kubeconfig "$KUBECONFIG" --path apps --interval 1h \
	--no-leader-election --log-level debug
# ss_daemon sends the agent's output to agent.log

test_expect_success 'the agent syncs through its key holder' '
	wait_log "sync succeeded" &&
	test "$(ss_secret_value shop db password)" = kh-plain-value &&
	KH=$($PYTHON -c "
import json, sys
for l in open(sys.argv[1]):
    try: j = json.loads(l)
    except ValueError: continue
    if j.get(\"msg\") == \"key holder started\": print(j[\"pid\"])
" agent.log) &&
	test -n "$KH" && test "$(status_of "$KH" PPid)" = "$agent_pid"
'

test_expect_success 'the running key holder is under seccomp with NO_NEW_PRIVS' '
	test "$(status_of "$KH" Seccomp)" = 2 &&
	test "$(status_of "$KH" NoNewPrivs)" = 1 &&
	test "$(status_of "$agent_pid" Seccomp)" = 0
'

test_expect_success 'the sandboxed key holder cannot open a socket, connect or open a file' '
	test -s listen.port &&
	"$TEST_TOOL" keyholder-probe "$(cat listen.port)" >probe.out &&
	cat probe.out &&
	grep -qx "sandboxed: 1" probe.out &&
	grep -qx "socket: Operation not permitted" probe.out &&
	grep -qx "connect: Operation not permitted" probe.out &&
	grep -qx "open: Operation not permitted" probe.out &&
	grep -q "^Seccomp:.*2$" probe.out &&
	grep -q "^NoNewPrivs:.*1$" probe.out
'

test_expect_success 'the same probe without the sandbox does connect (the probe can fail)' '
	"$TEST_TOOL" keyholder-probe --no-sandbox "$(cat listen.port)" >probe0.out &&
	grep -qx "sandboxed: 0" probe0.out &&
	grep -qx "connect: ok" probe0.out &&
	grep -qx "open: ok" probe0.out
'

test_expect_success 'the agent process holds no identity; the key holder does' '
	$MEMSCAN "$agent_pid" keys.txt >agent.scan &&
	$MEMSCAN "$KH" keys.txt >kh.scan &&
	cat agent.scan kh.scan &&
	test "$(cat agent.scan)" = "$(printf "scalar absent\nstring absent")" &&
	grep -qx "scalar found" kh.scan
'

test_expect_success 'after a key rotation and reload, still none in the agent, both in the holder' '
	"$SEALCTL" rotate -i keys.txt >/dev/null 2>&1 &&
	test "$(grep -c "^AGE-SECRET-KEY-1" keys.txt)" = 2 &&
	wait_log "key files changed" &&
	wait_log "keys reloaded\\|key files changed" &&
	sleep 0.5 &&
	$MEMSCAN "$agent_pid" keys.txt >agent2.scan &&
	$MEMSCAN "$KH" keys.txt >kh2.scan &&
	cat agent2.scan kh2.scan &&
	! grep -q found agent2.scan &&
	test "$(grep -c "scalar found" kh2.scan)" = 2
'

test_expect_success 'a sandbox that cannot be applied stops the agent, naming the cause' '
	test_must_fail "$TEST_TOOL" deny-seccomp "$AGENT" --once --repo "file://$TRASH/repo" \
		--identities keys.txt --cache-dir cache2 --kubeconfig "$KUBECONFIG" \
		--path apps 2>deny.err &&
	cat deny.err &&
	grep -q "cannot sandbox the key holder" deny.err &&
	grep -q "no-sandbox" deny.err
'

test_expect_success '--no-sandbox runs without it and warns on every sync' '
	"$TEST_TOOL" deny-seccomp "$AGENT" --once --no-sandbox --repo "file://$TRASH/repo" \
		--identities keys.txt --cache-dir cache2 --kubeconfig "$KUBECONFIG" \
		--path apps 2>nosb.err &&
	grep -q "sync succeeded" nosb.err &&
	test "$(grep -c "without its seccomp sandbox" nosb.err)" -ge 2
'

test_expect_success 'a dead key holder stops the agent with an error' '
	kill -9 "$KH" &&
	i=0 && while kill -0 "$agent_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	test_expect_code 1 wait "$agent_pid" &&
	grep -q "the key holder exited" agent.log
'

test_done
