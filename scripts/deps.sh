#!/bin/sh
# Installs the Debian 12 packages sealsync needs to build, test and demo.
# As root it runs apt-get (update once first); otherwise it prints the
# command to run. Only missing packages are installed.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libsodium-dev libgit2-dev libyaml-dev libjansson-dev libcurl4-openssl-dev
libmicrohttpd-dev libgnutls28-dev libssh2-1-dev libcmocka-dev zlib1g-dev libssl-dev
age git openssh-server openssh-client nginx fcgiwrap openssl curl procps
python3-kubernetes prometheus golang-go golang-k8s-sigs-yaml-dev
valgrind cppcheck"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# kubectl: the one on PATH is used; Debian's kubernetes-client only if none.
if ! command -v kubectl >/dev/null 2>&1; then
	missing="$missing kubernetes-client"
fi

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
