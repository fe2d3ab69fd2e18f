#!/bin/bash
# The Git source over git:// against a real `git daemon` on 127.0.0.1:
# refused without a policy or --insecure, warns on every poll, fetches only
# when the ref moved (counted with uploadpack.packObjectsHook on the server),
# and unreachable or stalled servers fail cleanly within the deadline.
. "$(dirname "$0")/lib.sh"
test_require git ssh-keygen "$TEST_TOOL"

PORT=$(ss_free_port)
URL="git://127.0.0.1:$PORT/repo"
poll() { "$TEST_TOOL" source-poll --url "$URL" --cache "$TRASH/cache" "$@"; }

test_expect_success 'setup: a repo served by git daemon, pack-objects runs counted' '
	git init -q srv/repo &&
	mkdir -p srv/repo/apps &&
	printf "kind: ConfigMap\n" >srv/repo/apps/cm.yaml &&
	printf "kind: Secret\n" >srv/repo/apps/s.yaml &&
	git -C srv/repo add . && git -C srv/repo commit -q -m one &&
	git -C srv/repo rev-parse HEAD >c1 &&
	printf "#!/bin/sh\necho pack >>\"%s/packs.log\"\nexec \"\$@\"\n" "$TRASH" >count-pack &&
	chmod +x count-pack &&
	git config --global uploadpack.packObjectsHook "$TRASH/count-pack" &&
	: >packs.log
'

# Daemons start at the script's top level so that their PIDs are recorded
# where the EXIT trap stops them (test bodies run in subshells).
ss_daemon gitd git daemon --verbose --reuseaddr --base-path="$TRASH/srv" --export-all \
	--port="$PORT" --listen=127.0.0.1
ss_wait_port "$PORT" || say "git daemon did not start"

test_expect_success 'git:// without a policy or --insecure is refused' '
	test_must_fail poll 2>err &&
	test_contains "git:// has no transport security" err &&
	test_must_fail test -d cache
'

test_expect_success 'with --insecure: cloned once, with a warning' '
	poll --insecure >out 2>err &&
	echo "$(cat c1) changed fetched" >expect &&
	test_cmp expect out &&
	test_contains "insecure transport without a signature policy" err &&
	test $(wc -l <packs.log) -eq 1
'

test_expect_success 'no new commit: the ref is compared, nothing is fetched, the warning repeats' '
	requests=$(grep -c "Request upload-pack" gitd.log) &&
	poll --insecure --last "$(cat c1)" >out 2>err &&
	echo "$(cat c1) unchanged cached" >expect &&
	test_cmp expect out &&
	test_contains "insecure transport" err &&
	test $(wc -l <packs.log) -eq 1 &&
	test $(grep -c "Request upload-pack" gitd.log) -eq $((requests + 1))
'

test_expect_success 'the files are those listed over file://' '
	"$TEST_TOOL" source-ls --url "file://$TRASH/srv/repo" --cache cache-file >expect &&
	"$TEST_TOOL" source-ls --url "$URL" --insecure --cache cache >out 2>/dev/null &&
	test_cmp expect out &&
	test $(wc -l <out) -eq 2
'

test_expect_success 'a second commit is fetched incrementally' '
	printf "kind: Service\n" >srv/repo/apps/svc.yaml &&
	git -C srv/repo add . && git -C srv/repo commit -q -m two &&
	git -C srv/repo rev-parse HEAD >c2 &&
	poll --insecure --last "$(cat c1)" >out 2>/dev/null &&
	echo "$(cat c2) changed fetched" >expect &&
	test_cmp expect out &&
	test $(wc -l <packs.log) -eq 2 &&
	"$TEST_TOOL" source-ls --url "$URL" --insecure --cache cache --path apps/svc.yaml >out 2>/dev/null &&
	test_contains "apps/svc.yaml 14" out
'

test_expect_success 'with a signature policy instead of --insecure, unsigned commits are refused' '
	ssh-keygen -q -t ed25519 -N "" -f key &&
	echo "a@b $(cat key.pub)" >allowed &&
	test_must_fail poll --allowed-signers allowed 2>err &&
	test_contains "commit $(cat c2) is not signed" err &&
	test_not_contains "insecure transport" err
'

test_expect_success 'a missing ref is named with the remote' '
	test_must_fail poll --insecure --ref nosuch 2>err &&
	test_contains "source $URL ref nosuch: ref not found on the remote" err
'

test_expect_success 'an unreachable remote fails with the remote and ref named' '
	dead=$(ss_free_port) &&
	test_expect_code 1 "$TEST_TOOL" source-poll --url "git://127.0.0.1:$dead/repo" --insecure \
		--cache cache2 --ref main 2>err &&
	test_contains "network error" err &&
	test_contains "source git://127.0.0.1:$dead/repo ref main" err
'

STALL=$(ss_free_port)
ss_daemon staller $PYTHON -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $STALL)); s.listen(8); held = []
while True:
    c, _ = s.accept(); held.append(c)
"
ss_wait_port "$STALL" || say "staller did not start"

test_expect_success 'a server that accepts and never answers is cut off at the deadline' '
	test_expect_code 1 "$TEST_TOOL" source-poll --url "git://127.0.0.1:$STALL/repo" --insecure \
		--cache cache3 --timeout 2 2>err &&
	test_contains "timed out" err &&
	test_contains "no answer within 2 s" err &&
	test_contains "source git://127.0.0.1:$STALL/repo ref main" err
'
ss_stop "$staller_pid"

test_expect_success 'after a timeout the next poll against a live server works' '
	poll --insecure --last "$(cat c2)" >out 2>/dev/null &&
	echo "$(cat c2) unchanged cached" >expect &&
	test_cmp expect out
'

test_done
