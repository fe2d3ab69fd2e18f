#!/bin/bash
# Fault soak (issue 9, acceptance 2): 200 sync cycles of the real agent
# against ss-apiserver with seeded random faults (500/503, 429 with
# Retry-After, connection resets, latency) and seeded commits that add,
# change and remove ConfigMaps and SealedSecrets. After every cycle
# tests/e2e/soak.py checks, from the request log and the server's objects,
# that no prune and no inventory commit happened before the whole revision
# was applied, that a committed inventory matches the cluster, and that a
# successful sync leaves exactly its revision; when the faults stop, one
# clean sync converges exactly. Cycles 1-40 run `--once` (a new process
# each: start-up, discovery, key hand-over under faults); the last 160 run
# one long-running agent (triggered by its signed webhook) whose RSS and
# open fds are printed at their start and end (fds must not grow by more
# than the API client's 8 pooled connections; Git pack files are printed
# apart). The ASan build runs 40 cycles (15 + 25): it is several times
# slower.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl git

SEED=${SS_SOAK_SEED:-9001}
CYCLES=200 LONG=160
case "$SS_BUILD_DIR" in
*-asan|*-asan/) CYCLES=40 LONG=25; say "ASan build: $CYCLES cycles ($LONG long-running)" ;;
esac

ss_keys
ss_apiserver_start --seed "$SEED"
ss_ns soak
printf 'soak-hook-secret\n' >hook.txt && chmod 600 hook.txt
HOOK_PORT=$(ss_free_port)
test_when_finished 'test -s long.pid && kill "$(cat long.pid)" 2>/dev/null'

test_expect_success "soak: $CYCLES cycles with seeded faults and commits, 0 violations" '
	test_when_finished "test -s long.pid && kill \"\$(cat long.pid)\" 2>/dev/null" &&
	$PYTHON "$SS_SRC_DIR/tests/e2e/soak.py" --agent "$AGENT" --sealctl "$SEALCTL" \
		--trash "$TRASH" --kubeconfig "$KUBECONFIG" --reqlog "$API_LOG" --pub "$PUB" \
		--seed "$SEED" --cycles "$CYCLES" --long "$LONG" --hook-port "$HOOK_PORT" >soak.out &&
	cat soak.out &&
	grep -q "^soak: violations 0$" soak.out
'
cat soak.out 2>/dev/null | sed "s/^/# /"

test_expect_success 'the agent logs of the soak hold no secret value' '
	test -s agent.log && test -s long.log &&
	! grep -q "v[0-9]*-[0-9a-f]\{8\}" agent.log long.log
'

test_done
