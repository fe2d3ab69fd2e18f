#!/bin/bash
# The Git source over ssh:// against a real sshd on 127.0.0.1: ed25519
# client key, host key checked against the configured known_hosts file
# (plain and hashed entries); unknown or changed host keys and wrong client
# keys are refused; fetches only when the ref moved.
. "$(dirname "$0")/lib.sh"
test_require git ssh-keygen /usr/sbin/sshd "$TEST_TOOL"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP sshd needs root here (/run/sshd, login as root)"
	exit 0
fi

PORT=$(ss_free_port)
URL="ssh://root@127.0.0.1:$PORT$TRASH/srv/repo"
poll() { "$TEST_TOOL" source-poll --url "$URL" --cache "$TRASH/cache" \
	--ssh-key "$TRASH/client" --known-hosts "$TRASH/known_hosts" "$@"; }

# Server side, at top level so the EXIT trap stops sshd by PID.
mkdir -p /run/sshd srv home
ssh-keygen -q -t ed25519 -N "" -C host -f hostkey
ssh-keygen -q -t ed25519 -N "" -C client -f client
ssh-keygen -q -t ed25519 -N "" -C stranger -f stranger
cp client.pub authorized_keys
printf '#!/bin/sh\necho pack >>"%s/packs.log"\nexec "$@"\n' "$TRASH" >count-pack
chmod +x count-pack
git config --file "$TRASH/server.gitconfig" uploadpack.packObjectsHook "$TRASH/count-pack"
git config --file "$TRASH/server.gitconfig" safe.directory '*'
: >packs.log
cat >sshd_config <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $TRASH/hostkey
PidFile none
AuthorizedKeysFile $TRASH/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
LogLevel VERBOSE
SetEnv GIT_CONFIG_GLOBAL=$TRASH/server.gitconfig GIT_CONFIG_NOSYSTEM=1
CONF
ss_daemon sshd /usr/sbin/sshd -D -e -f "$TRASH/sshd_config"
ss_wait_port "$PORT" || say "sshd did not start"

test_expect_success 'setup: repo and known_hosts' '
	git init -q srv/repo &&
	mkdir -p srv/repo/apps &&
	printf "kind: ConfigMap\n" >srv/repo/apps/cm.yaml &&
	printf "kind: Secret\n" >srv/repo/apps/s.yaml &&
	git -C srv/repo add . && git -C srv/repo commit -q -m one &&
	git -C srv/repo rev-parse HEAD >c1 &&
	echo "[127.0.0.1]:$PORT $(cut -d" " -f1,2 hostkey.pub)" >known_hosts
'

test_expect_success 'clone over ssh with the key and a known host key' '
	poll >out &&
	echo "$(cat c1) changed fetched" >expect &&
	test_cmp expect out &&
	test $(wc -l <packs.log) -eq 1
'

test_expect_success 'no new commit: a new connection compares the ref, nothing is fetched' '
	logins=$(grep -c "Accepted publickey" sshd.log) &&
	poll --last "$(cat c1)" >out &&
	echo "$(cat c1) unchanged cached" >expect &&
	test_cmp expect out &&
	test $(wc -l <packs.log) -eq 1 &&
	test $(grep -c "Accepted publickey" sshd.log) -eq $((logins + 1))
'

test_expect_success 'the files are those listed over file://' '
	"$TEST_TOOL" source-ls --url "file://$TRASH/srv/repo" --cache cache-file >expect &&
	"$TEST_TOOL" source-ls --url "$URL" --cache cache --ssh-key client --known-hosts known_hosts >out &&
	test_cmp expect out &&
	test $(wc -l <out) -eq 2
'

test_expect_success 'a second commit is fetched incrementally' '
	printf "kind: Service\n" >srv/repo/apps/svc.yaml &&
	git -C srv/repo add . && git -C srv/repo commit -q -m two &&
	git -C srv/repo rev-parse HEAD >c2 &&
	poll --last "$(cat c1)" >out &&
	echo "$(cat c2) changed fetched" >expect &&
	test_cmp expect out &&
	test $(wc -l <packs.log) -eq 2
'

test_expect_success 'a hashed known_hosts entry is honoured' '
	cp known_hosts hashed && ssh-keygen -q -H -f hashed 2>/dev/null &&
	test_must_fail grep -q 127.0.0.1 hashed &&
	"$TEST_TOOL" source-poll --url "$URL" --cache cache --ssh-key client \
		--known-hosts hashed --last "$(cat c2)" >out &&
	test_contains "$(cat c2) unchanged cached" out
'

test_expect_success 'a changed host key is refused, naming the remote' '
	echo "[127.0.0.1]:$PORT $(cut -d" " -f1,2 stranger.pub)" >changed &&
	test_expect_code 1 "$TEST_TOOL" source-poll --url "$URL" --cache cache --ssh-key client \
		--known-hosts changed 2>err &&
	test_contains "source ssh://127.0.0.1:$PORT$TRASH/srv/repo ref main" err &&
	test_contains "does not match changed (changed host key)" err
'

test_expect_success 'a host key known only for another host or port is unknown' '
	other=$(ss_free_port) &&
	{ echo "[127.0.0.1]:$other $(cut -d" " -f1,2 hostkey.pub)" &&
	  echo "127.0.0.2 $(cut -d" " -f1,2 hostkey.pub)"; } >elsewhere &&
	test_must_fail "$TEST_TOOL" source-poll --url "$URL" --cache cache --ssh-key client \
		--known-hosts elsewhere 2>err &&
	test_contains "host key of 127.0.0.1 port $PORT is unknown (not in elsewhere)" err &&
	: >empty &&
	test_must_fail "$TEST_TOOL" source-poll --url "$URL" --cache cache --ssh-key client \
		--known-hosts empty 2>err &&
	test_contains "is unknown" err
'

test_expect_success 'a client key the server does not accept is refused, without key material' '
	test_expect_code 1 "$TEST_TOOL" source-poll --url "$URL" --cache cache --ssh-key stranger \
		--known-hosts known_hosts 2>err &&
	test_contains "ssh authentication refused" err &&
	test_contains "source ssh://127.0.0.1:$PORT$TRASH/srv/repo ref main" err &&
	test_not_contains "$(sed -n 2p stranger)" err &&
	test_not_contains "$(cut -d" " -f2 stranger.pub)" err
'

test_expect_success 'the user comes from --username when the URL has none' '
	"$TEST_TOOL" source-poll --url "ssh://127.0.0.1:$PORT$TRASH/srv/repo" --username root \
		--cache cache4 --ssh-key client --known-hosts known_hosts >out &&
	test_contains "$(cat c2) changed fetched" out
'

test_done
