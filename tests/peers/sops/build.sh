#!/bin/sh
# tests/peers/sops/build.sh [--path]: builds the sops command the SOPS
# migration tests encrypt with (test-only; never part of the product).
# The binary goes to $SOPS_BUILD_DIR/peers/sops-<version>-<hash> (default the
# source tree's build/), keyed by the pinned version and a hash of go.mod and
# go.sum so a pin change never reuses a stale binary; build/peers/sops links
# to it. --path only prints the binary's path (empty and exit 1 if absent).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
GO=${GO:-/usr/local/go/bin/go}
ver=$(awk '{ if ($1 == "require") $0 = substr($0, 9) }
	$1 == "github.com/getsops/sops/v3" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")
[ -n "$ver" ] || { echo "build.sh: no sops version in go.mod" >&2; exit 1; }
hash=$(cd "$here" && cat go.mod go.sum build.sh | sha256sum | cut -c1-12)
build=${SOPS_BUILD_DIR:-$top/build}
bin=$build/peers/sops-$ver-$hash
if [ "${1:-}" = --path ]; then
	[ -x "$bin" ] || exit 1
	echo "$bin"; exit 0
fi
mkdir -p "$build/peers"
if [ -x "$bin" ]; then
	echo "sops-build: $ver exists"
else
	t0=$(date +%s)
	(cd "$here" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" \
		"$GO" build -ldflags "-s -w" -o "$bin.tmp" github.com/getsops/sops/v3/cmd/sops)
	mv "$bin.tmp" "$bin"
	echo "sops-build: $ver built in $(( $(date +%s) - t0 ))s"
fi
ln -sf "$(basename "$bin")" "$build/peers/sops"
