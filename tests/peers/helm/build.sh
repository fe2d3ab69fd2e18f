#!/bin/sh
# tests/peers/helm/build.sh [--path]: builds the helm command the Helm unit
# tests render with (test-only; never part of the product, which runs the
# helm it finds on PATH or is given with --helm). The binary goes to
# $HELM_BUILD_DIR/peers/helm-<version>-<hash> (default the source tree's
# build/), keyed by the pinned version and a hash of go.mod, go.sum and this
# script so a pin change never reuses a stale binary; build/peers/helm links
# to it. --path only prints the binary's path (empty and exit 1 if absent).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
GO=${GO:-/usr/local/go/bin/go}
ver=$(awk '{ if ($1 == "require") $0 = substr($0, 9) }
	$1 == "helm.sh/helm/v4" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")
[ -n "$ver" ] || { echo "build.sh: no helm version in go.mod" >&2; exit 1; }
hash=$(cd "$here" && cat go.mod go.sum build.sh | sha256sum | cut -c1-12)
build=${HELM_BUILD_DIR:-$top/build}
bin=$build/peers/helm-$ver-$hash
if [ "${1:-}" = --path ]; then
	[ -x "$bin" ] || exit 1
	echo "$bin"; exit 0
fi
mkdir -p "$build/peers"
if [ -x "$bin" ]; then
	echo "helm-build: $ver exists"
else
	t0=$(date +%s)
	# helm's own Makefile stamps the version through -X; without it
	# `helm version` would say v4.x-dev. The value is the pinned module's.
	(cd "$here" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" \
		"$GO" build -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$ver" \
		-o "$bin.tmp" helm.sh/helm/v4/cmd/helm)
	mv "$bin.tmp" "$bin"
	echo "helm-build: $ver built in $(( $(date +%s) - t0 ))s"
fi
ln -sf "$(basename "$bin")" "$build/peers/helm"
