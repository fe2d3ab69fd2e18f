#!/bin/bash
# Process hardening of the agent, by what the kernel shows: it is not
# dumpable (its /proc files belong to root, and another process of the same
# user cannot read its environ), its core limit is 0, and a crash writes no
# core file. Each check runs against a control process that must differ.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl setpriv

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

ss_apiserver_start
ss_repo_init
mkdir -p repo/apps
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' >repo/apps/ns.yaml
ss_commit first
# Everything the agent needs, owned by nobody (keys must be its own, 0600).
mkdir -p run
cp "$KUBECONFIG" run/kubeconfig
"$SEALCTL" keygen -w run/keys.txt 2>/dev/null
chown -R 65534:65534 run repo
chmod 755 "$TRASH" "$HOME"
PORT=$(ss_free_port)
ss_daemon agent $NOBODY "$AGENT" --repo "file://$TRASH/repo" --identities "$TRASH/run/keys.txt" \
	--cache-dir "$TRASH/run/cache" --kubeconfig "$TRASH/run/kubeconfig" --path apps \
	--listen "127.0.0.1:$PORT" --no-leader-election --interval 1h
ss_daemon control $NOBODY sleep 120
ss_wait_port "$PORT"

test_expect_success 'the agent runs as an ordinary user (nobody)' '
	grep -q "^Uid:[[:space:]]*65534" "/proc/$agent_pid/status" &&
	grep -q "^Uid:[[:space:]]*65534" "/proc/$control_pid/status"
'

test_expect_success 'not dumpable: its /proc files belong to root, unlike the control s' '
	test "$(stat -c %u "/proc/$agent_pid/status")" = 0 &&
	test "$(stat -c %u "/proc/$control_pid/status")" = 65534
'

test_expect_success 'not dumpable: the same user cannot read its environ or memory maps' '
	$NOBODY cat "/proc/$control_pid/environ" >/dev/null &&
	test_must_fail $NOBODY cat "/proc/$agent_pid/environ" >/dev/null &&
	test_must_fail $NOBODY cat "/proc/$agent_pid/maps" >/dev/null
'

test_expect_success 'its core file size limit is 0' '
	grep "^Max core file size" "/proc/$agent_pid/limits" >limits &&
	grep -q "^Max core file size *0 *0 " limits
'

test_expect_success 'a crash of the agent writes no core file (a crash of the control does)' '
	mkdir -p cores-agent cores-control && chmod 777 cores-agent cores-control &&
	port2=$(ss_free_port) || return 1
	# (an ASan build must let the signal kill the process, as a release build does)
	(cd cores-agent && ulimit -c unlimited &&
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" &&
		exec $NOBODY "$AGENT" --repo "file://$TRASH/repo" \
		--identities "$TRASH/run/keys.txt" --cache-dir "$TRASH/run/cache2" \
		--kubeconfig "$TRASH/run/kubeconfig" --path apps --listen "127.0.0.1:$port2" \
		--no-leader-election --interval 1h) >crash.log 2>&1 &
	apid=$!
	(cd cores-control && ulimit -c unlimited && exec $NOBODY sleep 60) &
	cpid=$!
	ss_wait_port "$port2" || { kill $apid $cpid; return 1; }
	kill -SEGV "$apid" "$cpid"
	wait "$apid"; arc=$?
	wait "$cpid"; crc=$?
	test "$arc" = 139 && test "$crc" = 139 &&
	test -z "$(ls cores-agent)" &&
	if [ "$(cat /proc/sys/kernel/core_pattern)" = core ]; then
		ls cores-control | grep -q "^core"
	else
		say "core_pattern is not \"core\": only the agent half is checked"
	fi
'

test_expect_success 'the agent works as nobody: it synced' '
	poll kubectl get namespace shop
'

test_done
