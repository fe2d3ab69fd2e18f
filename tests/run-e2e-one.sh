#!/bin/sh
# Runs one e2e script; prints "NAME OK NOTOK SECONDS" (used by tests/run.sh,
# which runs several of these at once).
#   run-e2e-one.sh BUILD_DIR STAGE LOG_DIR SCRIPT
build=$1 stage=$2 log_dir=$3 t=$4
top=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$t" .sh)
out="$log_dir/e2e-$stage-$name.log"
t0=$(date +%s)
# ASan+UBSan programs are 2-5x slower; polls wait longer for them (lib.sh).
poll_s=30
[ "$stage" = asan ] && poll_s=90
SS_POLL_SECONDS=$poll_s SS_BUILD_DIR="$build" SS_SRC_DIR="$top" SS_SHARED_DIR="$top/../shared" \
	timeout -k 10 900 bash "$t" >"$out" 2>&1 </dev/null
rc=$?
secs=$(( $(date +%s) - t0 ))
ok=$(grep -c '^ok ' "$out")
nok=$(grep -c '^not ok ' "$out")
if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
	nok=1
	echo "not ok - $name exited $rc" >>"$out"
fi
echo "$name $ok $nok $secs"
