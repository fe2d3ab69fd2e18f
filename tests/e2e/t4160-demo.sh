#!/bin/bash
# make demo's script runs to the end: keys, sealing, a real Git repo, the
# local API server, the agent's sync, kubectl checks, and a prune.
. "$(dirname "$0")/lib.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl openssl

test_expect_success 'make demo runs examples/demo.sh after deps and build' '
	grep -A2 "^demo:" "$SS_SRC_DIR/Makefile" >demo-target &&
	grep -q "deps build" demo-target && grep -q "examples/demo.sh" demo-target
'

test_expect_success 'the demo runs to the end and exits 0' '
	SS_BUILD_DIR="$SS_BUILD_DIR" sh "$SS_SRC_DIR/examples/demo.sh" >demo.out 2>&1 &&
	grep -q "holds the password that was sealed" demo.out &&
	grep -q "web-config: pruned" demo.out &&
	grep -q "sync succeeded" demo.out
'

test_expect_success 'the demo stopped its API server' '
	pid=$(sed -n "s/.*, pid \([0-9]*\)$/\1/p" demo.out) &&
	test -n "$pid" &&
	! kill -0 "$pid" 2>/dev/null
'

test_expect_success 'the demo left no plaintext or private key in Git' '
	! git -C "$SS_BUILD_DIR/demo/repo" log -p | grep -q "AGE-SECRET-KEY" &&
	! git -C "$SS_BUILD_DIR/demo/repo" log -p | grep -q "stringData"
'

test_done
