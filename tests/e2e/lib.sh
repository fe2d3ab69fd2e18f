# tests/e2e/lib.sh: a small git-style test library (TAP output).
#
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'what it proves' '
#       cmd1 &&
#       test_must_fail cmd2
#   '
#   test_done
#
# Every script runs in its own trash folder, $TRASH, made anew. Daemons are
# started with ss_daemon and stopped by PID when the script ends.
set -u

SS_BUILD_DIR=${SS_BUILD_DIR:-$(cd "$(dirname "$0")/../../build" && pwd)}
SS_SRC_DIR=${SS_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SS_SHARED_DIR=${SS_SHARED_DIR:-$SS_SRC_DIR/../shared}
export SS_BUILD_DIR SS_SRC_DIR SS_SHARED_DIR

SEALCTL=$SS_BUILD_DIR/sealctl
AGENT=$SS_BUILD_DIR/sealsync-agent
APISERVER=$SS_BUILD_DIR/tests/apiserver/ss-apiserver
TEST_TOOL=$SS_BUILD_DIR/tests/tool/ss-test-tool
# Debian's own python3 (python3-kubernetes is only visible to it).
PYTHON=/usr/bin/python3
export SEALCTL AGENT APISERVER TEST_TOOL PYTHON

test_name=$(basename "$0" .sh)
TRASH=$SS_BUILD_DIR/e2e-trash/$test_name
rm -rf "$TRASH"
mkdir -p "$TRASH"
cd "$TRASH" || exit 1
export HOME="$TRASH/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com
git config --global init.defaultBranch main
git config --global safe.directory '*'

test_count=0
test_failed=0
test_cleanup_cmds=""
ss_pids=""

say() { echo "# $*"; }

test_when_finished() {
	test_cleanup_cmds="$1
$test_cleanup_cmds"
}

# A body may "return 1" early: it returns from here, not from the caller.
test_eval_() {
	eval "$1"
}

test_expect_success() {
	test_count=$((test_count + 1))
	test_cleanup_cmds=""
	say "--- $1"
	# Evaluated in this shell, as git's test library does, so that a
	# setup test can set variables for the tests after it.
	set +u
	test_eval_ "$2" >"$TRASH/.out.$test_count" 2>&1
	rc=$?
	set -u
	cd "$TRASH" || exit 1
	sed 's/^/#   /' "$TRASH/.out.$test_count" | tail -n 60
	if [ -n "$test_cleanup_cmds" ]; then eval "$test_cleanup_cmds" >/dev/null 2>&1; fi
	if [ $rc -eq 0 ]; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
	fi
}

# Like git: expect a clean failure (exit 1..125), never a crash. The
# sanitizer builds exit 99 on a finding (tests/run.sh sets it), which is
# a crash too.
test_must_fail() {
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: command succeeded: $*" >&2; return 1
	elif [ $rc -gt 125 ] || [ $rc -eq 99 ]; then
		echo "test_must_fail: command died with $rc: $*" >&2; return 1
	fi
	return 0
}

test_expect_code() {
	want=$1; shift
	"$@"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "test_expect_code: want $want, got $rc: $*" >&2; return 1
	fi
	return 0
}

# Fails when file $2 contains the fixed string $1 (for secrets in output).
test_not_contains() {
	if grep -F -q -e "$1" "$2"; then
		echo "found forbidden string in $2" >&2; return 1
	fi
	return 0
}

test_contains() {
	if ! grep -F -q -e "$1" "$2"; then
		echo "expected '$1' in $2; it holds:" >&2; head -n 20 "$2" >&2; return 1
	fi
	return 0
}

test_cmp() { diff -u "$1" "$2"; }

# Bounded waits (30 s), never timing assertions:
# poll CMD...            until CMD succeeds
# poll_eq WANT CMD...    until CMD prints WANT
# poll_gt MIN CMD...     until CMD prints a number above MIN
# Each gives up after SS_POLL_SECONDS (default 30): a bound for a hung
# program, not a timing assertion; run-e2e-one.sh raises it for the
# sanitizer build, whose programs run several times slower on a busy CI host.
poll_limit=$(( ${SS_POLL_SECONDS:-30} * 10 ))
poll() {
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt $poll_limit ] || return 1; sleep 0.1
	done
}
poll_eq() {
	want=$1; shift; i=0
	while got=$("$@" 2>/dev/null); [ "$got" != "$want" ]; do
		i=$((i + 1)); sleep 0.1
		[ $i -lt $poll_limit ] || { echo "poll_eq: want '$want', got '$got': $*" >&2; return 1; }
	done
}
poll_gt() {
	min=$1; shift; i=0
	while got=$("$@" 2>/dev/null); ! [ "${got:-0}" -gt "$min" ] 2>/dev/null; do
		i=$((i + 1)); sleep 0.1
		[ $i -lt $poll_limit ] || { echo "poll_gt: want > $min, got '$got': $*" >&2; return 1; }
	done
}

# A free TCP port on 127.0.0.1 (the kernel picks it).
ss_free_port() {
	$PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until 127.0.0.1:$1 accepts connections (bounded: $2 seconds, default 20).
ss_wait_port() {
	i=0; limit=$(( ${2:-20} * 10 ))
	while [ $i -lt $limit ]; do
		if $PYTHON -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null; then
			return 0
		fi
		sleep 0.1; i=$((i + 1))
	done
	echo "port $1 did not open" >&2
	return 1
}

# Starts a daemon in the background; its PID is recorded and it is stopped
# (by PID) when the script ends. Output goes to $TRASH/<name>.log.
ss_daemon() {
	name=$1; shift
	"$@" >"$TRASH/$name.log" 2>&1 &
	pid=$!
	ss_pids="$ss_pids $pid"
	eval "${name}_pid=$pid"
	echo "$pid" >"$TRASH/$name.pid"
}

ss_stop() { # ss_stop PID
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

ss_stop_all() {
	for p in $ss_pids; do ss_stop "$p"; done
	ss_pids=""
}
trap ss_stop_all EXIT

# Skips the whole script (TAP "1..0 # SKIP") when a program is missing.
test_require() {
	for prog in "$@"; do
		if ! command -v "$prog" >/dev/null 2>&1 && [ ! -x "$prog" ]; then
			echo "1..0 # SKIP missing $prog"
			exit 0
		fi
	done
}

test_done() {
	echo "1..$test_count"
	ss_stop_all
	[ $test_failed -eq 0 ]
	exit $?
}
