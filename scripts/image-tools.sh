#!/bin/sh
# The render tools the product image ships, as Argo CD's repo-server image
# does: kustomize and helm in /usr/bin, found there on PATH by the agent and
# by the render container (docs/IMAGE.md "The render tools").
#   scripts/image-tools.sh      prints the host paths of the binaries to ship
#
# SS_IMAGE_TOOLS picks them:
#   unset   the pinned versions the tests run: kustomize of tests/kube/go.mod
#           (built as tests/kube/build.sh builds it, into its bin folder) and
#           helm of tests/peers/helm/go.mod (tests/peers/helm/build.sh), from
#           the Go module proxy; reused where those already are (the bin
#           folders follow KUBE_BUILD_DIR and HELM_BUILD_DIR);
#   none    no render tools: an image without kustomize and helm (a unit
#           that needs one then fails, naming the missing tool);
#   PATHS   these host binaries instead (named kustomize* and helm*;
#           statically linked: the image carries no library for them).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-/usr/local/go/bin/go}

case ${SS_IMAGE_TOOLS-unset} in
none) exit 0 ;;
unset) ;;
*) echo "$SS_IMAGE_TOOLS"; exit 0 ;;
esac

fail() { echo "image-tools: cannot build $1 (see above; SS_IMAGE_TOOLS=none builds the image without the render tools)" >&2; exit 1; }

# kustomize alone: tests/kube/build.sh would build the whole control plane.
# Same pin, flags and folder as that script, so each reuses the other's.
kbin=$(sh "$top/tests/kube/build.sh" --dir)
if [ ! -x "$kbin/kustomize" ]; then
	mkdir -p "$kbin"
	(cd "$top/tests/kube" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" \
		"$GO" build -ldflags "-s -w" -o "$kbin/kustomize.tmp.$$" sigs.k8s.io/kustomize/kustomize/v5) >&2 &&
		mv "$kbin/kustomize.tmp.$$" "$kbin/kustomize" || fail kustomize
fi
sh "$top/tests/peers/helm/build.sh" >&2 || fail helm
echo "$kbin/kustomize $(sh "$top/tests/peers/helm/build.sh" --path)"
