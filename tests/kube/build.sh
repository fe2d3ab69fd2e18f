#!/bin/sh
# tests/kube/build.sh [--workloads] [--dir]: builds the real Kubernetes control
# plane the e2e tests run against (test-only; never part of the product).
#
#   etcd, kube-apiserver, kubectl, kustomize        always
#   kube-controller-manager, podrunner               with --workloads
#
# Binaries go to $KUBE_BUILD_DIR/kube/<k8s version>-<hash>/bin (default build/),
# keyed by the pinned version and a hash of go.mod, go.sum and our own Go
# sources, so a pin change never reuses a stale binary. Existing binaries are
# skipped; Go's module and build caches (~/go/pkg/mod, ~/.cache/go-build) make
# a rebuild after `rm -rf build/kube` a link-only job. --dir only prints the
# bin folder. Prints each binary's build time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
GO=${GO:-/usr/local/go/bin/go}
workloads=0 dironly=0
for a in "$@"; do
	case $a in
	--workloads) workloads=1 ;;
	--dir) dironly=1 ;;
	*) echo "usage: build.sh [--workloads] [--dir]" >&2; exit 2 ;;
	esac
done
ver=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")
[ -n "$ver" ] || { echo "build.sh: no k8s.io/kubernetes version in go.mod" >&2; exit 1; }
hash=$(cd "$here" && cat go.mod go.sum build.sh etcd/*.go podrunner/*.go | sha256sum | cut -c1-12)
# Always the source tree's build/ (not the asan stage's SS_BUILD_DIR): one
# set of binaries serves every stage.
build=${KUBE_BUILD_DIR:-$top/build}
bin=$build/kube/$ver-$hash/bin
if [ $dironly -eq 1 ]; then echo "$bin"; exit 0; fi
mkdir -p "$bin"

# The version the server reports (kubectl version, /version) comes from
# these link-time variables, as in k/k's own release build.
minor=$(echo "$ver" | cut -d. -f2)
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags="$ldflags -X $p.gitVersion=$ver -X $p.gitMajor=1 -X $p.gitMinor=$minor"
	ldflags="$ldflags -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

now() { date +%s.%N; }
build_one() { # NAME PACKAGE
	if [ -x "$bin/$1" ]; then echo "kube-build: $1 exists"; return 0; fi
	t0=$(now)
	(cd "$here" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" \
		"$GO" build -ldflags "$ldflags" -o "$bin/$1.tmp" "$2")
	mv "$bin/$1.tmp" "$bin/$1"
	echo "kube-build: $1 built in $(echo "$(now) - $t0" | bc)s"
}

t_all=$(now)
build_one etcd ./etcd
build_one kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build_one kubectl k8s.io/kubernetes/cmd/kubectl
build_one kustomize sigs.k8s.io/kustomize/kustomize/v5
if [ $workloads -eq 1 ]; then
	build_one kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
	build_one podrunner ./podrunner
fi
echo "kube-build: all in $(echo "$(now) - $t_all" | bc)s ($bin)"
