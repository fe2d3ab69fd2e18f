#!/bin/sh
# The whole test suite, stage by stage. Ends with "N passed, N failed".
#
#   release   -Werror build; unit tests and vectors (CTest); e2e tests
#   kube      the e2e tests marked "# servers: both" or "# servers: real"
#             against a real kube-apiserver (tests/kube, docs/KUBE.md)
#   asan      the same suite built with ASan+UBSan
#   valgrind  the unit tests under valgrind (release build)
#   fuzz      every libFuzzer target for SS_FUZZ_SECONDS (default 8) each
#   lint      cppcheck over every C source (quiet is a pass)
#   image     make image, then the e2e scripts marked "# stage: image":
#             t7060-image.sh against it, t7061-image-incluster.sh (the image
#             in the real control plane of tests/kube), t7063-image-render.sh
#             (its render container) (Docker); says "skipped: no docker
#             engine" where none answers
#
# SS_STAGES picks stages (default: all); SS_E2E picks e2e scripts by glob
# (default t*.sh). Scripts marked "# servers: real" run in the kube stage
# only; tests/README.md has the table of which test runs where.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
stages=${SS_STAGES:-release kube asan valgrind fuzz lint image}
jobs=$(nproc)
passed=0
failed=0
failures=""
log_dir="$top/build/test-logs"
mkdir -p "$log_dir"

count() { # count <passed> <failed> <stage>
	passed=$((passed + $1))
	failed=$((failed + $2))
	echo "== $3: $1 passed, $2 failed"
}

fail_build() {
	failed=$((failed + 1))
	failures="$failures $1"
	echo "== $1: BUILD FAILED (see above)"
}

run_ctest() { # run_ctest <builddir> <stage>
	out="$log_dir/ctest-$2.log"
	(cd "$1" && ctest -j"$jobs" --output-on-failure --timeout 600) >"$out" 2>&1
	tail -n 40 "$out" | grep -E '^(The following|[[:space:]]+[0-9]+ - )' || true
	grep -E 'tests passed|Failed|\*\*\*' "$out" | tail -n 15
	tot=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$out" | tail -n1)
	bad=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$out" | tail -n1)
	if [ -z "$tot" ]; then
		grep -q 'No tests were found' "$out" && { count 0 0 "$2 ctest"; return; }
		count 0 1 "$2 ctest (no summary)"; failures="$failures $2:ctest"; return
	fi
	[ "$bad" -gt 0 ] && failures="$failures $2:ctest"
	count $((tot - bad)) "$bad" "$2 ctest"
}

# The e2e scripts of a stage: the kube stage takes those marked
# "# servers: both" or "# servers: real", the others all but the real-only.
e2e_scripts() { # e2e_scripts <stage>
	for t in $(ls "$top"/tests/e2e/${SS_E2E:-t*.sh} 2>/dev/null); do
		servers=$(sed -n 's/^# servers: \([a-z]*\).*/\1/p' "$t" | head -n1)
		case $1:${servers:-fake} in
		kube:both | kube:real | release:fake | release:both | asan:fake | asan:both) echo "$t" ;;
		esac
	done
}

run_e2e() { # run_e2e <builddir> <stage>
	# Scripts run SS_E2E_JOBS at a time (default 3): most of their time is
	# spent waiting on servers and child processes, not on the CPU.
	p=0; f=0
	res="$log_dir/e2e-$2-results.txt"
	# Go peers are built here, outside the per-script timeout: a cold
	# kubeseal build took ~14 min on the shared 2-core machine. Cached after.
	if e2e_scripts "$2" | xargs -r grep -l "peers/kubeseal/build.sh" >/dev/null 2>&1; then
		sh "$top/tests/peers/kubeseal/build.sh" >"$log_dir/kubeseal-build.log" 2>&1 ||
			echo "-- kubeseal peer build failed: $log_dir/kubeseal-build.log"
	fi
	# sops: a cold build took 24 min (4 min CPU) on the shared machine.
	if e2e_scripts "$2" | xargs -r grep -l "peers/sops/build.sh" >/dev/null 2>&1; then
		sh "$top/tests/peers/sops/build.sh" >"$log_dir/sops-build.log" 2>&1 ||
			echo "-- sops peer build failed: $log_dir/sops-build.log"
	fi
	# helm (tests/peers/helm): the Helm unit tests compare with its output.
	if e2e_scripts "$2" | xargs -r grep -l "peers/helm/build.sh" >/dev/null 2>&1; then
		sh "$top/tests/peers/helm/build.sh" >"$log_dir/helm-build.log" 2>&1 ||
			echo "-- helm peer build failed: $log_dir/helm-build.log"
	fi
	e2e_scripts "$2" |
		xargs -r -n1 -P"${SS_E2E_JOBS:-3}" sh "$top/tests/run-e2e-one.sh" "$1" "$2" "$log_dir" \
		>"$res"
	while read -r name ok nok secs; do
		p=$((p + ok)); f=$((f + nok))
		if [ "$nok" -gt 0 ]; then
			failures="$failures $2:$name"
			echo "-- $name: $ok ok, $nok not ok (${secs}s; log: $log_dir/e2e-$2-$name.log)"
			grep -E '^not ok|^#' "$log_dir/e2e-$2-$name.log" | head -n 40
		else
			echo "-- $name: $ok ok (${secs}s)"
		fi
	done <"$(sort "$res" >"$res.sorted" && echo "$res.sorted")"
	count "$p" "$f" "$2 e2e"
}

# A finding in a child process or a daemon (whose exit code no test sees)
# still fails the stage: every log the e2e tests left is searched.
sanitizer_reports() {
	found=$(grep -rlsE 'ERROR: (Address|Leak)Sanitizer|runtime error:|Sanitizer: CHECK failed' "$1" | sort)
	if [ -n "$found" ]; then
		for f in $found; do
			echo "-- sanitizer report in $f"
			grep -m3 -E 'ERROR: |runtime error:|CHECK failed' "$f"
		done
		failures="$failures asan:sanitizer-reports"
		count 0 "$(echo "$found" | wc -l)" "asan sanitizer reports"
	else
		count 1 0 "asan sanitizer reports"
	fi
}

stage_release() {
	echo "== release build ($(date +%T))"
	if make -s build BUILD=build; then
		run_ctest "$top/build" release
		run_e2e "$top/build" release
	else
		fail_build release
	fi
}

# The real Kubernetes control plane: built first (a cold build is ~20 min on
# a busy 2-core machine, too long for one e2e script's 900 s), then each
# script starts its own cluster (lib-agent.sh, SS_KUBE_SERVER=real).
stage_kube() {
	echo "== kube build ($(date +%T))"
	# Go's caches stay in the real HOME (lib.sh moves HOME into the trash).
	export GOMODCACHE="${GOMODCACHE:-$HOME/go/pkg/mod}" GOCACHE="${GOCACHE:-$HOME/.cache/go-build}"
	export GOPATH="${GOPATH:-$HOME/go}"
	t0=$(date +%s)
	[ -d "$top/build/tests" ] || make -s build BUILD=build || { fail_build kube; return; }
	if ! sh tests/kube/build.sh --workloads >"$log_dir/kube-build.log" 2>&1; then
		tail -n 20 "$log_dir/kube-build.log"
		if [ "${CI:-}" = true ]; then fail_build kube; return; fi
		echo "== kube: SKIPPED, the binaries did not build (a failure under CI=true)"
		return
	fi
	grep 'kube-build: all in' "$log_dir/kube-build.log"
	echo "== kube build took $(( $(date +%s) - t0 ))s"
	t0=$(date +%s)
	export SS_KUBE_SERVER=real
	run_e2e "$top/build" kube
	unset SS_KUBE_SERVER
	echo "== kube e2e took $(( $(date +%s) - t0 ))s"
}

stage_asan() {
	echo "== asan build ($(date +%T))"
	if make -s asan ASAN_BUILD=build-asan; then
		# exitcode=99: test_must_fail tells a sanitizer finding from a failure.
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
		export LSAN_OPTIONS=suppressions="$top/tests/lsan.supp"
		rm -rf "$top/build-asan/e2e-trash"
		run_ctest "$top/build-asan" asan
		run_e2e "$top/build-asan" asan
		sanitizer_reports "$top/build-asan/e2e-trash"
		unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	else
		fail_build asan
	fi
}

stage_valgrind() {
	echo "== valgrind (unit tests) ($(date +%T))"
	[ -d "$top/build/tests" ] || make -s build BUILD=build || { fail_build valgrind; return; }
	p=0; f=0
	for bin in $(find "$top/build/tests" -maxdepth 1 -type f -name 'unit_*' -perm -u+x | sort); do
		name=$(basename "$bin")
		if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--suppressions="$top/tests/valgrind.supp" "$bin" >"$log_dir/valgrind-$name.log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1)); failures="$failures valgrind:$name"
			echo "-- $name failed under valgrind"; tail -n 30 "$log_dir/valgrind-$name.log"
		fi
	done
	count "$p" "$f" valgrind
}

stage_fuzz() {
	echo "== fuzz build (clang, libFuzzer) ($(date +%T))"
	if ! make -s fuzz FUZZ_BUILD=build-fuzz; then
		fail_build fuzz; return
	fi
	p=0; f=0
	for bin in $(find "$top/build-fuzz/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort); do
		name=$(basename "$bin"); short=${name#fuzz_}
		work="$top/build-fuzz/corpus-work/$short"
		rm -rf "$work"; mkdir -p "$work"
		[ -d "$top/tests/fuzz/corpus/$short" ] && cp -r "$top/tests/fuzz/corpus/$short/." "$work/"
		if "$bin" -max_total_time="${SS_FUZZ_SECONDS:-8}" -rss_limit_mb=1024 -timeout=10 \
			-print_final_stats=0 "$work" >"$log_dir/fuzz-$short.log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1)); failures="$failures fuzz:$short"
			echo "-- fuzz $short found a crash"; tail -n 30 "$log_dir/fuzz-$short.log"
		fi
	done
	count "$p" "$f" fuzz
}

stage_lint() {
	echo "== lint: cppcheck ($(date +%T))"
	# varFuncNullUB: the log functions take a NULL sentinel, which is
	# well defined with glibc's NULL ((void *)0), the only target.
	if cppcheck -q --enable=warning,performance,portability --inline-suppr \
		-I include --suppress=missingIncludeSystem --suppress=varFuncNullUB \
		--error-exitcode=1 -j "$jobs" common crypto manifest import agent tools tests/apiserver \
		>"$log_dir/cppcheck.log" 2>&1; then
		count 1 0 lint
	else
		cat "$log_dir/cppcheck.log"
		failures="$failures lint:cppcheck"
		count 0 1 lint
	fi
}

# The image: built and checked where a Docker engine answers. Elsewhere the
# script skips (and counts nothing), except in CI with a Docker socket,
# where a silent engine is a failure.
stage_image() {
	echo "== image ($(date +%T))"
	[ -x "$top/build/sealctl" ] || make -s build BUILD=build || { fail_build image; return; }
	# The scripts marked "# stage: image", in order: t7060 builds the image;
	# t7061 runs it against the real control plane; t7063 runs the render
	# container from it.
	for name in $(grep -l "^# stage: image$" "$top"/tests/e2e/t*.sh | sed 's|.*/||; s|\.sh$||' | sort); do
		t0=$(date +%s)
		set -- $(SS_IMAGE_STAGE=1 sh "$top/tests/run-e2e-one.sh" "$top/build" image "$log_dir" \
			"$top/tests/e2e/$name.sh")
		log="$log_dir/e2e-image-$name.log"
		if grep -q "^1\.\.0 # SKIP" "$log"; then
			echo "== image $name: $(sed -n 's/^1\.\.0 # SKIP //p' "$log")"
			continue
		fi
		grep -E "^#   (# )?(image:|make image|size |render tools|Seccomp_filters|ready after|docker stop|exit code|holder:|writable mounts|render container|files scanned)" "$log" |
			sed 's/^#   \(# \)\{0,1\}/-- /'
		[ "$3" -gt 0 ] && { failures="$failures image:$name"; grep -E '^not ok' "$log"; }
		count "$2" "$3" "image $name ($(( $(date +%s) - t0 ))s)"
	done
}

for s in $stages; do
	"stage_$s"
done
[ -n "$failures" ] && echo "failures:$failures"
echo "== finished ($(date +%T))"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
