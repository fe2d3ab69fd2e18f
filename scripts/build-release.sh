#!/bin/sh
# The release build, shared by the Dockerfile and by tests: the same CMake
# build as `make build`, installed into a staging root.
#   scripts/build-release.sh SRC_DIR BUILD_DIR DEST_DIR
set -eu
src=$(cd "${1:-.}" && pwd)
build=${2:-$src/build-release}
dest=${3:-$build/stage}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSS_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target sealsync-agent sealctl
mkdir -p "$dest/usr/bin"
install -m 0755 "$build/sealsync-agent" "$build/sealctl" "$dest/usr/bin/"
# Strip debug info into separate files; the image carries only the binaries.
for b in sealsync-agent sealctl; do
	objcopy --only-keep-debug "$dest/usr/bin/$b" "$build/$b.debug"
	strip --strip-unneeded "$dest/usr/bin/$b"
done
echo "build-release: $(ls "$dest/usr/bin" | tr '\n' ' ')in $dest"
