#!/bin/sh
# Removes what earlier `make image` runs left behind, and only that:
# sealsync-base tags other than BASE, and untagged images built on any
# sealsync-base image (the Dockerfile's build stage), except the newest
# one on BASE, which is the build cache of the next run.
#   scripts/image-prune.sh BASE
set -u
keep=$1
bases=$(docker images --no-trunc -q sealsync-base | sort -u)
keep_id=$(docker image inspect -f '{{.Id}}' "$keep" 2>/dev/null || true)
kept=""
# `docker images` lists the newest first.
for img in $(docker images --no-trunc -q --filter dangling=true); do
	hist=$(docker history -q --no-trunc "$img" 2>/dev/null) || continue
	for b in $bases; do
		echo "$hist" | grep -qxF "$b" || continue
		if [ "$b" = "$keep_id" ] && [ -z "$kept" ]; then
			kept=$img
		else
			docker rmi "$img" >/dev/null 2>&1 || true
		fi
		break
	done
done
for t in $(docker images --format '{{.Repository}}:{{.Tag}}' sealsync-base); do
	[ "$t" = "$keep" ] || docker rmi "$t" >/dev/null 2>&1 || true
done
