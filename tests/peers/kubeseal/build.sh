#!/bin/sh
# tests/peers/kubeseal/build.sh [--dir]: builds Bitnami's kubeseal, pinned in
# this go.mod, for the `sealctl import bitnami` tests (test-only; never linked
# into the product). The binary goes to $KUBESEAL_BUILD_DIR/peers/kubeseal-<hash>
# (default: the source tree's build/), keyed by a hash of go.mod, go.sum and
# this script so a pin change never reuses a stale binary. An existing binary
# is reused. --dir prints the binary's path only. Prints the build time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
GO=${GO:-/usr/local/go/bin/go}
hash=$(cd "$here" && cat go.mod go.sum build.sh | sha256sum | cut -c1-12)
build=${KUBESEAL_BUILD_DIR:-$top/build}
bin=$build/peers/kubeseal-$hash
case ${1:-} in
--dir) echo "$bin"; exit 0 ;;
"") ;;
*) echo "usage: build.sh [--dir]" >&2; exit 2 ;;
esac
if [ -x "$bin" ]; then echo "kubeseal-build: exists"; exit 0; fi
mkdir -p "$build/peers"
t0=$(date +%s.%N)
(cd "$here" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" \
	"$GO" build -ldflags "-s -w" -o "$bin.tmp" github.com/bitnami/sealed-secrets/cmd/kubeseal)
mv "$bin.tmp" "$bin"
echo "kubeseal-build: built in $(echo "$(date +%s.%N) - $t0" | bc)s"
