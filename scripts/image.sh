#!/bin/sh
# `make image`: the product image without a registry.
#   1. the base (scripts/image-base.sh), when its tag is missing;
#   2. the host's release build (scripts/build-release.sh) staged into
#      .image/stage, plus the render tools kustomize and helm
#      (scripts/image-tools.sh: the pinned versions the tests run, or the
#      host paths in SS_IMAGE_TOOLS; SS_IMAGE_TOOLS=none leaves them out);
#   3. docker build with that base, unless the tag exists and carries the
#      same inputs hash (base, Dockerfile, image scripts, staged binaries).
# Prints the time of each step and the image size.
#   SS_IMAGE_TAG   tag to build (default sealsync:dev)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tag=${SS_IMAGE_TAG:-sealsync:dev}
now() { date +%s; }

if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
	echo "image: no docker engine answers" >&2
	exit 1
fi

t0=$(now)
base=$(sh scripts/image-base.sh)
t1=$(now)
echo "image: base $base ($((t1 - t0))s)"

rm -rf .image/stage
sh scripts/build-release.sh "$top" "$top/build-release" "$top/.image/stage" >/dev/null
tools=$(sh scripts/image-tools.sh)
for t in $tools; do
	# installed under the name the agent looks up on PATH
	case $(basename "$t") in
	kustomize*) name=kustomize ;;
	helm*) name=helm ;;
	*) echo "image: $t: only kustomize and helm ship as render tools" >&2; exit 1 ;;
	esac
	install -m 0755 "$t" ".image/stage/usr/bin/$name"
done
t2=$(now)
echo "image: release build staged ($((t2 - t1))s; render tools: ${tools:-none})"

inputs=$({
	echo "$base"
	cat Dockerfile .dockerignore scripts/image-root.sh
	find .image/stage -type f | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -c1-16)
old=$(docker image inspect -f '{{index .Config.Labels "org.sealsync.inputs"}}' "$tag" 2>/dev/null || true)
if [ "$old" = "$inputs" ]; then
	echo "image: $tag is up to date (inputs $inputs)"
else
	old_id=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
	# The classic builder: Debian 12's docker.io has no buildx.
	# (It warns that it is deprecated: the log is shown only on a failure.)
	DOCKER_BUILDKIT=0 docker build --build-arg BUILD_BASE="$base" \
		--label org.sealsync.inputs="$inputs" -t "$tag" . >.image/build.log 2>&1 ||
		{ tail -n 30 .image/build.log >&2; echo "image: docker build failed" >&2; exit 1; }
	new_id=$(docker image inspect -f '{{.Id}}' "$tag")
	# The image this one replaces would stay behind untagged.
	[ -n "$old_id" ] && [ "$old_id" != "$new_id" ] && docker rmi "$old_id" >/dev/null 2>&1 || true
	echo "image: built $tag ($(($(now) - t2))s, inputs $inputs)"
	sh scripts/image-prune.sh "$base"
fi
echo "image: $tag size $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.1f MiB", $1/1048576}')"
