# The portal as a container: built with the project's own scripts, run from a slim image as a
# non-root user. README, "Containers", says how to build and run it; compose.yaml runs two
# replicas on PostgreSQL behind a load balancer.

# The browser's wasm and the server, optimized (scripts/build.sh release), then laid out as the
# runtime image holds them (scripts/bundle.sh; tests/integration/image.rs runs that layout).
FROM rust:1.95-bookworm AS build
# Node.js for wasm-opt and the precompressed assets of a release build.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/setup.sh \
 && scripts/build.sh release \
 && scripts/bundle.sh target/release /out

FROM debian:bookworm-slim
# CA certificates for STS, Entra ID, SMTP and webhooks; nothing else is needed at run time.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 xops \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/xops --create-home xops
COPY --from=build /out/ /opt/xops/
# By number, so that a host or an orchestrator can tell it is not root without the image.
USER 10001:10001
# The working folder holds the SQLite database and its key file when DATABASE_URL is not set,
# and mail written to files when no SMTP server is set.
WORKDIR /var/lib/xops
VOLUME ["/var/lib/xops"]
ENV XOPS_ADDR=0.0.0.0:3000
EXPOSE 3000
# `xops ready` asks this container's portal for /readyz: 200 only while the database answers.
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 CMD ["/opt/xops/xops", "ready"]
ENTRYPOINT ["/opt/xops/xops"]
