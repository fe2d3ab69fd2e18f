#!/bin/sh
# Installs what `make image` needs beyond scripts/deps.sh: mmdebstrap, which
# builds the base image from Debian's packages without a registry. Only run
# where a Docker engine answers (scripts/image.sh calls it), so `make test`
# on a machine without one installs nothing for the image.
set -eu
PKGS="mmdebstrap"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "image-deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "image-deps: run as root:  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
