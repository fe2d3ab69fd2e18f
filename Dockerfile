# sealsync-agent and sealctl: a runtime image with the two binaries, their
# shared libraries, CA certificates, tini and the render tools kustomize and
# helm (static; staged by `make image`), and nothing else (no shell, no
# package manager, no compiler). docs/IMAGE.md explains the layout.
#
# Plain Dockerfile syntax: Debian 12's docker.io (20.10, classic builder,
# no buildx) builds it. Two ways, one file:
#
#  - with a registry:  docker build -t sealsync:dev .
#    The build stage starts from debian:12-slim, installs the compiler and
#    -dev packages and runs scripts/build-release.sh (the release build CI
#    tests in tests/e2e/t7020-release-build.sh).
#  - without one:      make image   (scripts/image.sh)
#    BUILD_BASE is a local Debian 12 root from mmdebstrap
#    (scripts/image-base.sh) holding the runtime libraries but no compiler;
#    the binaries come from the host's release build, staged in the build
#    context under .image/stage with the render tools
#    (scripts/image-tools.sh). With a registry, no Go: no render tools.
ARG BUILD_BASE=debian:12-slim

FROM ${BUILD_BASE} AS build
COPY . /src
RUN set -e; \
    if [ -x /src/.image/stage/usr/bin/sealsync-agent ]; then \
        cp -a /src/.image/stage /stage; \
    else \
        apt-get update; \
        apt-get install -y --no-install-recommends \
          build-essential cmake pkg-config libsodium-dev libgit2-dev libyaml-dev \
          libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev libssh2-1-dev \
          libcmocka-dev zlib1g-dev binutils ca-certificates tini; \
        sh /src/scripts/build-release.sh /src /build /stage; \
    fi; \
    sh /src/scripts/image-root.sh /stage /out

# The runtime root is only what image-root.sh copied into /out.
FROM scratch
COPY --from=build /out/ /
ENV PATH=/usr/bin
# Runs with a read-only root file system: the Git cache is a tmpfs/emptyDir.
USER 65532:65532
VOLUME ["/var/cache/sealsync"]
# tini is PID 1: it reaps every child re-parented to it (the agent waits only
# for the children it started) and forwards signals to the agent.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sealsync-agent", "--config", "/etc/sealsync/config.yaml"]
