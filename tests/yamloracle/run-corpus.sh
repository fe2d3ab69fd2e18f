#!/bin/sh
# The YAML corpus test: every case in tests/corpus/yaml goes through the Go
# oracle (sigs.k8s.io/yaml, as Kubernetes reads YAML) and through our loader
# (yaml2json). The oracle's output must equal the recorded CASE.out, and our
# values must agree with it. One process each for the whole corpus.
#   run-corpus.sh ORACLE YAML2JSON CORPUS_DIR WORK_DIR
# With SS_CORPUS_RECORD=1 it (re)writes the CASE.out files from the oracle.
set -u
oracle=$1 yaml2json=$2 corpus=$3 work=$4
rm -rf "$work" && mkdir -p "$work" || exit 2
set --
for f in "$corpus"/*.yaml "$corpus"/*.json; do
	[ -f "$f" ] && set -- "$@" "$f"
done
[ "$#" -ge 200 ] || { echo "yaml corpus: only $# cases, want at least 200"; exit 1; }
"$oracle" -o "$work" "$@" || { echo "yaml corpus: the oracle failed"; exit 1; }
if [ "${SS_CORPUS_RECORD:-0}" = 1 ]; then
	for f in "$@"; do cp "$work/$(basename "$f").oracle" "$f.out" || exit 1; done
	echo "yaml corpus: recorded $# oracle outputs"
fi
"$yaml2json" --compare-dir "$work" "$@"
