#!/bin/sh
# bench/run.sh: sealsync's benchmarks, each against a peer run in the same
# command (issue 8; docs/PERFORMANCE.md explains the rows and the results).
#
#   1 seal     sealctl / ss_age_seal vs the X25519 bound (openssl speed) and
#              the age CLI sealing the same values one per process
#   2 unseal   1 and 50 identities vs the X25519 bound and openssl's RSA-4096
#              private operation (what Sealed Secrets spends per item)
#   3 apply    the agent vs `kubectl apply --server-side`, fresh servers
#   4 flux     1,000 apps x (Deployment, ServiceAccount, Service, SealedSecret)
#              synced from git daemon: wall time and the agent's peak RSS
#   5 poll     a no-change poll: CPU, Git and API requests vs `git fetch`
#   6 rss      sealctl sealing 1,000 keys; the agent at 10,000 objects
#   3k, 4k     rows 3 and 4 against the real kube-apiserver of tests/kube
#              (when built; SS_BENCH_KUBE=0 leaves them out)
#
# Environment:
#   SS_BENCH_SCALE    full (default) or tiny (the smoke test: seconds)
#   SS_BUILD_DIR      build folder with the binaries (default: $BUILD, else build/)
#   SS_BENCH_RESULTS  where the JSON goes (default: bench/results/)
#   SS_BENCH_WORK     scratch folder, emptied first (default: BUILD/bench-work/SCALE)
#   SS_BENCH_ONLY     a subset of: seal unseal apply flux_and_poll kube big
#                     (by hand, while working on one row; the other rows
#                     then lack their figures and the run exits 1)
#
# Every figure is measured, never judged here: bench/report.py prints the
# table and writes the JSON. Exit 1 when a bench failed or left a figure out.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# `make bench BUILD=dir` passes BUILD through the environment.
B=${SS_BUILD_DIR:-${BUILD:-build}}
case $B in /*) ;; *) B=$top/$B ;; esac
B=$(cd "$B" 2>/dev/null && pwd) || { echo "bench: no build folder ${SS_BUILD_DIR:-${BUILD:-build}}" >&2; exit 1; }
scale=${SS_BENCH_SCALE:-full}
results=${SS_BENCH_RESULTS:-$top/bench/results}
PY=/usr/bin/python3
SEALCTL=$B/sealctl
AGENT=$B/sealsync-agent
APISERVER=$B/tests/apiserver/ss-apiserver
BENCH=$B/tests/bench/ss-bench
TOOL=$B/tests/tool/ss-test-tool

case $scale in
full) n_values=1000 n_age=200 n_ids=50 n_apply=1000 n_flux=1000 n_big=2500 ;;
tiny) n_values=10 n_age=10 n_ids=5 n_apply=20 n_flux=5 n_big=5 ;;
*) echo "bench: SS_BENCH_SCALE must be full or tiny" >&2; exit 2 ;;
esac

for prog in "$SEALCTL" "$AGENT" "$APISERVER" "$BENCH" "$TOOL"; do
	[ -x "$prog" ] || { echo "bench: missing $prog (make build)" >&2; exit 1; }
done

work=${SS_BENCH_WORK:-$B/bench-work/$scale}
rm -rf "$work"
mkdir -p "$work/home" "$results" || exit 1
facts=$work/facts.txt
: >"$facts"
failed=0
pids=""

# Git and kubectl see only this run's config and caches.
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
unset KUBECONFIG

stop_pid() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
cleanup() {
	kube_cleanup
	for p in $pids; do stop_pid "$p"; done
	pids=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# say writes to the run's stderr even inside a measured command's redirections.
exec 3>&2
t_start=$(date +%s)
say() { echo "bench: [$(($(date +%s) - t_start))s] $*" >&3; }
fact() { echo "$1 $2" >>"$facts"; }
bench_fail() { say "FAILED: $*"; failed=1; }

# measure NAME CMD...: runs CMD (redirections apply) under `ss-bench exec`
# and records NAME.wall_s, .user_s, .sys_s, .maxrss_kib, .exit.
measure() {
	m_name=$1; shift
	rm -f "$work/m.txt"
	"$BENCH" exec --out "$work/m.txt" -- "$@"
	m_rc=$?
	if [ -s "$work/m.txt" ]; then
		for kv in $(cat "$work/m.txt"); do fact "$m_name.${kv%%=*}" "${kv#*=}"; done
	fi
	[ $m_rc -eq 0 ] || bench_fail "$m_name: $1 exited $m_rc"
	return $m_rc
}

# key=value lines on stdin become facts NAME.key.
facts_from() { while IFS='=' read -r k v; do [ -n "$k" ] && fact "$1.$k" "$v"; done; }

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	i=0
	while [ $i -lt 200 ]; do
		$PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# api_start NAME: a fresh ss-apiserver in $work/NAME; kubeconfig at
# $work/NAME/kubeconfig, request log at $work/NAME/state/requests.log.
api_start() {
	d=$work/$1
	mkdir -p "$d/state"
	"$APISERVER" --port 0 --port-file "$d/port" --state-dir "$d/state" \
		--kubeconfig "$d/kubeconfig" >"$d/log" 2>&1 &
	eval "api_pid_$1=$!"
	pids="$pids $!"
	i=0
	while [ ! -s "$d/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$d/port" ] || { cat "$d/log" >&2; bench_fail "ss-apiserver $1 did not start"; return 1; }
}
api_requests() { wc -l <"$work/$1/state/requests.log" | tr -d ' '; }
# api_stop NAME: records the server's own CPU time (NAME.server_cpu_s: the
# time spent on the other side of the requests), then stops it by PID.
api_cpu() {
	eval "a_pid=\$api_pid_$1"
	awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$a_pid/stat" 2>/dev/null
}
api_stop() {
	fact "$1.server_cpu_s" "$(api_cpu "$1")"
	eval "stop_pid \$api_pid_$1"
}

# agent_once NAME URL API CACHE KEYS [flags]: one `--once` sync, measured.
agent_once() {
	a_name=$1 a_url=$2 a_api=$3 a_cache=$4 a_keys=$5
	shift 5
	measure "$a_name" "$AGENT" --once --repo "$a_url" --path apps --identities "$a_keys" \
		--cache-dir "$a_cache" --kubeconfig "$work/$a_api/kubeconfig" --log-level info \
		"$@" 2>>"$work/$a_name.log"
}

# objects_in API KINDS NS: how many objects the server holds (real kubectl).
objects_in() {
	kubectl --kubeconfig "$work/$1/kubeconfig" get "$2" -n "$3" -o name 2>>"$work/kubectl-get.log" | wc -l | tr -d ' '
}

repo_commit() { # DIR
	git -C "$1" init -q -b main && git -C "$1" add -A && git -C "$1" commit -q -m "bench" &&
		git -C "$1" rev-parse HEAD
}

. "$top/bench/rows.sh"

say "scale $scale, build $B, work $work"
bench_machine
bench_openssl
bench_keys || { say "cannot make keys"; exit 1; }
for b in seal unseal apply flux_and_poll kube big; do
	case " ${SS_BENCH_ONLY:-$b} " in *" $b "*) "bench_$b" ;; esac
done
fact load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
cleanup

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$results/bench-$scale-$stamp.json
$PY "$top/bench/report.py" --facts "$facts" --scale "$scale" --json "$out" || failed=1
cp "$out" "$results/latest-$scale.json" 2>/dev/null
echo "bench: results in $out"
[ $failed -eq 0 ] || { echo "bench: some benches failed (see above and $work)" >&2; exit 1; }
exit 0
