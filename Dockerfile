# sealsync-agent and sealctl on Debian 12 slim.
# The build steps live in scripts/build-release.sh, which CI also runs
# (tests/e2e/t7020-release-build.sh), so the image builds what CI tested.
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libsodium-dev libgit2-dev libyaml-dev \
      libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev libssh2-1-dev \
      libcmocka-dev zlib1g-dev binutils ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN sh scripts/build-release.sh /src /build /stage

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libsodium23 libgit2-1.5 libyaml-0-2 libjansson4 libcurl4 \
      libmicrohttpd12 libssh2-1 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 65532 sealsync \
    && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent \
         --shell /usr/sbin/nologin sealsync
COPY --from=build /stage/usr/bin/ /usr/bin/
# Runs with a read-only root filesystem: the Git cache is an emptyDir.
USER 65532:65532
VOLUME ["/var/cache/sealsync"]
ENTRYPOINT ["/usr/bin/sealsync-agent"]
CMD ["--config", "/etc/sealsync/config.yaml"]
