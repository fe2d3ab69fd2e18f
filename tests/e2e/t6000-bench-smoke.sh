#!/bin/bash
# Every bench of `make bench` at tiny size (SS_BENCH_SCALE=tiny), so the
# benches never rot. Asserts only that each row ran and printed its figures
# (ours, peer, ratio, peak RSS where measured): never a time. Rows 3k and
# 4k (the real kube-apiserver: three cluster starts) are left out here
# (SS_BENCH_KUBE=0); make bench runs them.
. "$(dirname "$0")/lib.sh"
test_require "$SEALCTL" "$AGENT" "$APISERVER" "$SS_BUILD_DIR/tests/bench/ss-bench" \
	"$TEST_TOOL" kubectl age openssl git

ROWS="1a 1b 1c 2a 2b 2c 2d 3 3r 4 5a 5b 5c 5d 5e 5f 6a 6b"
bench() {
	SS_BENCH_KUBE=0 SS_BENCH_SCALE=tiny SS_BENCH_RESULTS="$TRASH/results" SS_BENCH_WORK="$TRASH/work" \
		sh "$SS_SRC_DIR/bench/run.sh" "$@"
}

# check_json FILE: every row has numbers for ours, peer and ratio; the rows
# that measure a process have its peak RSS; the objects reached the server.
check_json() {
	$PYTHON - "$1" $ROWS <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	rows = {r["id"]: r for r in d["rows"]}
	bad = []
	for rid in sys.argv[2:]:
	    r = rows.get(rid)
	    if r is None:
	        bad.append(rid + ": missing"); continue
	    for part in ("ours", "peer", "ratio"):
	        v = r[part]["value"]
	        if not isinstance(v, (int, float)) or v < 0:
	            bad.append("%s: %s is %r" % (rid, part, v))
	for rid in ("1a", "1b", "2b", "2c", "3", "3r", "4", "5a", "6a", "6b"):
	    if not rows[rid]["peak_rss_mib"]["ours"]:
	        bad.append(rid + ": no peak RSS")
	ex = rows["3"]["extra"]
	if ex["agent_objects_on_server"] != 20 or ex["kubectl_objects_on_server"] != 20:
	    bad.append("3: objects on the servers: %r" % ex)
	rx = rows["3r"]["extra"]
	if rx["raw_objects_on_server"] != 20 or rx["raw_mismatched"] != 0 or \
	        rx["raw_requests"] != ex["agent_requests"] or not rx["raw_stages"]:
	    bad.append("3r: the replay is not the agent's requests: %r" % rx)
	if rows["4"]["extra"]["objects_on_server"] < 20:
	    bad.append("4: objects on the server: %r" % rows["4"]["extra"])
	if rows["2b"]["extra"]["x25519_ops_per_value"] is None:
	    bad.append("2b: no X25519 operation count")
	if rows["5e"]["extra"]["writes"] != 0 or not rows["5e"]["extra"]["polls"]:
	    bad.append("5e: writes or polls: %r" % rows["5e"]["extra"])
	if d["missing"]:
	    bad.append("missing: %r" % d["missing"])
	if bad:
	    print("\n".join(bad))
	sys.exit(1 if bad else 0)
	PY
}

test_expect_success 'make bench at tiny size runs every bench and prints every row' '
	bench >out 2>err &&
	for r in $ROWS; do
		grep -E "^$r +[a-z]" out >row || { echo "row $r not printed"; exit 1; }
		if grep -q "n/a.*n/a.*n/a" row; then echo "row $r lacks figures: $(cat row)"; exit 1; fi
	done &&
	test_contains "bench: results in $TRASH/results/bench-tiny-" out
'

test_expect_success 'the JSON has every row with our figure, the peer figure, the ratio and RSS' '
	ls results/bench-tiny-*.json >files &&
	test $(wc -l <files) -eq 1 &&
	test_cmp results/latest-tiny.json "$(cat files)" &&
	check_json results/latest-tiny.json
'

test_expect_success 'the JSON records the machine and the peers measured in the same run' '
	$PYTHON -c "import json,sys; m=json.load(open(sys.argv[1]))[\"machine\"]; \
f=json.load(open(sys.argv[1]))[\"facts\"]; \
sys.exit(0 if m[\"nproc\"] and m[\"cpu_model\"] and float(f[\"openssl.x25519_ops_per_s\"]) > 0 \
and float(f[\"openssl.rsa4096_sign_per_s\"]) > 0 and m[\"scale\"] == \"tiny\" else 1)" \
		results/latest-tiny.json
'

test_expect_success 'the bench values never show up in the report or the logs' '
	v=$(cat work/values/0) &&
	test -n "$v" &&
	test_not_contains "$v" out &&
	test_not_contains "$v" results/latest-tiny.json &&
	! grep -F -e "$v" work/*.log work/*.err
'

test_expect_success 'a bench that cannot run makes the driver fail and names it' '
	mkdir -p broken/tests/bench &&
	test_must_fail env SS_BUILD_DIR="$TRASH/broken" SS_BENCH_SCALE=tiny \
		SS_BENCH_RESULTS="$TRASH/results2" SS_BENCH_WORK="$TRASH/work2" \
		sh "$SS_SRC_DIR/bench/run.sh" >out2 2>err2 &&
	test_contains "missing" err2
'

test_expect_success 'an unknown scale is a usage error' '
	test_expect_code 2 env SS_BENCH_SCALE=huge SS_BENCH_RESULTS="$TRASH/results" \
		sh "$SS_SRC_DIR/bench/run.sh" 2>err3 &&
	test_contains "full or tiny" err3
'

test_done
