#!/bin/sh
# The YAML corpus test: every case in tests/corpus/yaml goes through the Go
# oracle (sigs.k8s.io/yaml, as Kubernetes reads YAML) and through our loader
# (yaml2json); the values must agree.
#   run-corpus.sh ORACLE YAML2JSON CORPUS_DIR WORK_DIR
set -u
oracle=$1 yaml2json=$2 corpus=$3 work=$4
mkdir -p "$work" || exit 2
n=0 bad=0
for f in "$corpus"/*.yaml "$corpus"/*.json; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	out="$work/$(basename "$f").oracle"
	if ! "$oracle" "$f" >"$out"; then
		echo "FAIL $f: the oracle did not run"
		bad=$((bad + 1))
		continue
	fi
	if ! "$yaml2json" --compare "$f" "$out"; then
		echo "FAIL $f"
		bad=$((bad + 1))
	fi
done
echo "yaml corpus: $n cases, $((n - bad)) agree, $bad differ"
[ "$n" -ge 200 ] || { echo "yaml corpus: fewer than 200 cases"; exit 1; }
[ "$bad" -eq 0 ]
