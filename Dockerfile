# syntax=docker/dockerfile:1.7
#
# One build, one image per service. The workspace is compiled once; every image then shares the
# same runtime layers (Node, production dependencies, compiled code) and adds only its command,
# port and health check, so seven images cost about the space and pull time of one. A separate
# image per service still lets each be versioned, scanned, rolled out and scaled on its own:
#
#   docker build --target query-gateway -t cqrs-shop/query-gateway .
#
# Targets: command-service (also runs the migrations: `node services/command-service/dist/migrate.js`),
# outbox-relay, projector-order-history, projector-search, projector-analytics, query-gateway,
# and cqrs (the operator's command: topic creation, projection rebuilds).

# Node LTS, pinned to a patch release; CI bumps it (and may add the digest) on purpose.
ARG NODE_IMAGE=node:24.21.0-trixie-slim

# ---- build: install everything, compile, then keep production dependencies only -------------
FROM ${NODE_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PNPM_HOME=/pnpm \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    CI=true
# pnpm in the version package.json pins (packageManager), through the corepack Node ships.
RUN corepack enable pnpm
WORKDIR /src
# Dependencies first, from the lockfile alone, so code changes do not refetch them. The store is
# a cache mount, which a builder may not have kept: installs prefer it but may download.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY patches ./patches
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm fetch --frozen-lockfile
COPY . .
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prefer-offline \
    && pnpm run build
# Production dependencies only, installed afresh: `--prod` over the full install would leave the
# development packages in node_modules/.pnpm. Then the run-time files go to /app.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    find . -name node_modules -type d -prune -exec rm -rf {} + \
    && pnpm install --frozen-lockfile --prefer-offline --prod \
    && infra/container/assemble.sh /app

# ---- runtime: what every service image shares --------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    KAFKAJS_NO_PARTITIONER_WARNING=1
WORKDIR /app
# Owned by root and not writable by the service's user: the code cannot be changed at run time,
# and the root filesystem can be mounted read-only (nothing is written outside /tmp).
COPY --from=build /app /app
# Where the Compose setup keeps its identity provider's keys (named volumes mounted there take
# this ownership): the private key readable by its owner only, the JWKS by anyone.
RUN install -d -o 10001 -g 10001 -m 0700 /var/lib/cqrs-shop/identity/signing \
    && install -d -o 10001 -g 10001 -m 0755 /var/lib/cqrs-shop/identity/jwks
# A numeric id (runtimes can check it is not root) above the range of the host's own users.
USER 10001:10001
# Services stop gracefully on SIGTERM (in-flight work finishes, offsets are committed) within
# SHUTDOWN_TIMEOUT; Node runs as PID 1 and handles the signal itself.
STOPSIGNAL SIGTERM

# ---- one target per service ---------------------------------------------------------------------
FROM runtime AS command-service
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "infra/container/healthcheck.mjs", "COMMAND_PORT", "3001"]
CMD ["node", "services/command-service/dist/main.js"]

FROM runtime AS outbox-relay
EXPOSE 3010
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "infra/container/healthcheck.mjs", "RELAY_PORT", "3010"]
CMD ["node", "services/outbox-relay/dist/main.js"]

FROM runtime AS projector-order-history
EXPOSE 3011
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "infra/container/healthcheck.mjs", "ORDER_HISTORY_PORT", "3011"]
CMD ["node", "services/projector-order-history/dist/main.js"]

FROM runtime AS projector-search
EXPOSE 3012
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "infra/container/healthcheck.mjs", "SEARCH_PORT", "3012"]
CMD ["node", "services/projector-search/dist/main.js"]

FROM runtime AS projector-analytics
EXPOSE 3013
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "infra/container/healthcheck.mjs", "ANALYTICS_PORT", "3013"]
CMD ["node", "services/projector-analytics/dist/main.js"]

# Short-lived commands (topic creation, rebuilds) have no HTTP endpoint to check.
FROM runtime AS cqrs
HEALTHCHECK NONE
ENTRYPOINT ["node", "tools/cqrs/dist/cli.js"]
CMD ["help"]

# Last, so that a plain `docker build .` gives the gateway.
FROM runtime AS query-gateway
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "infra/container/healthcheck.mjs", "GATEWAY_PORT", "3000"]
CMD ["node", "services/query-gateway/dist/main.js"]
