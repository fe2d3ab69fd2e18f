#!/bin/sh
# The base image without a registry: a minimal Debian 12 root built by
# mmdebstrap from Debian's packages and imported with `docker import`.
#   scripts/image-base.sh          builds it unless its tag exists; prints the tag
#
# It is the Dockerfile's BUILD_BASE: a shell and ldd to assemble the runtime
# root, plus the runtime libraries, CA certificates and tini, all from
# Debian's packages. No compiler: the binaries come from the host's release
# build (docs/IMAGE.md says why). The runtime image copies only the files it
# needs out of it (scripts/image-root.sh), so nothing else here ships.
#
# The tag carries a hash of this script, so changing the package list
# builds a new base. mmdebstrap uses the host's Debian sources file and
# apt's proxy setting, so it reaches the mirror the way apt does.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PKGS="libsodium23,libgit2-1.5,libyaml-0-2,libjansson4,libcurl4,libmicrohttpd12,libssh2-1,ca-certificates,tini"
hash=$(sha256sum "$0" | cut -c1-12)
tag="sealsync-base:bookworm-$hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
	echo "$tag"
	exit 0
fi
sh "$top/scripts/image-deps.sh" >&2

set -- --variant=minbase --include="$PKGS"
# The mirror and proxy apt uses on this host (a Debian 12 host: same suite).
src=/etc/apt/sources.list.d/debian.sources
[ -f "$src" ] || src=http://deb.debian.org/debian
for kind in http https; do
	p=$(apt-config dump 2>/dev/null | sed -n "s/^Acquire::$kind::Proxy \"\(.*\)\";$/\1/p" | head -n1)
	[ -n "$p" ] && set -- "$@" --aptopt="Acquire::$kind::Proxy \"$p\""
done
# Documentation and locales would only make the base bigger to import.
for d in doc man info locale; do
	set -- "$@" --dpkgopt="path-exclude=/usr/share/$d/*"
done

t0=$(date +%s)
# Through a file, not a pipe: a failed mmdebstrap must not import a part.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mmdebstrap "$@" bookworm "$tmp/root.tar" "$src" >"$tmp/log" 2>&1 ||
	{ tail -n 30 "$tmp/log" >&2; echo "image-base: mmdebstrap failed" >&2; exit 1; }
docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	"$tmp/root.tar" "$tag" >/dev/null
echo "image-base: built $tag in $(( $(date +%s) - t0 ))s" \
	"($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.1f MiB", $1/1048576}'))" >&2
echo "$tag"
