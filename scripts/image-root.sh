#!/bin/sh
# Assembles the runtime image's root file system (run inside the Dockerfile's
# build stage, whose libraries are Debian 12's packages):
#   scripts/image-root.sh STAGE OUT
# STAGE/usr/bin holds sealsync-agent, sealctl and any extra tools (the
# render tools, once they ship). OUT gets those binaries, tini, the shared
# libraries they load (their ldd closure), CA certificates and the
# passwd/group entries of user 65532, and nothing else.
set -eu
stage=$1 out=$2

mkdir -p "$out/usr/bin" "$out/usr/lib64" "$out/etc/ssl/certs" "$out/usr/lib/ssl" \
	"$out/tmp" "$out/var/cache/sealsync" "$out/etc/sealsync"
# Debian 12 is merged-/usr: keep the paths the binaries and ldd name.
ln -s usr/lib "$out/lib"
ln -s usr/lib64 "$out/lib64"
ln -s usr/bin "$out/bin"

cp -L "$stage"/usr/bin/* "$out/usr/bin/"
# tini-static: no library of its own to carry.
cp -L /usr/bin/tini-static "$out/usr/bin/tini"

# The dynamic loader and every library of every binary. libgcc_s is loaded
# by glibc at run time (pthread cancellation), which ldd cannot see.
libs=$(for b in "$out"/usr/bin/*; do
	ldd "$b" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
done | sort -u)
gcc_s=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && $NF ~ /^\// {print $NF; exit}')
for l in $libs $gcc_s; do
	mkdir -p "$out$(dirname "$l")"
	cp -L "$l" "$out$l"
done

# One CA bundle; OpenSSL's default file points at it too.
cp -L /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-certificates.crt"
ln -s /etc/ssl/certs/ca-certificates.crt "$out/usr/lib/ssl/cert.pem"
ln -s /etc/ssl/certs "$out/usr/lib/ssl/certs"

printf 'root:x:0:0:root:/root:/nonexistent\nsealsync:x:65532:65532:sealsync:/nonexistent:/nonexistent\n' \
	>"$out/etc/passwd"
printf 'root:x:0:\nsealsync:x:65532:\n' >"$out/etc/group"

# Root owns everything and nobody else writes it; no setuid or setgid bits.
chown -R 0:0 "$out"
chmod -R u=rwX,go=rX "$out"
chmod 1777 "$out/tmp"
chmod 0755 "$out"/usr/bin/*
echo "image-root: $(ls "$out/usr/bin" | tr '\n' ' ')+ $(echo "$libs $gcc_s" | wc -w) libraries"
