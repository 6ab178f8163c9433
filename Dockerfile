# syntax=docker/dockerfile:1
# evidence-hub worker image: Node 24 LTS on Debian slim (glibc: the Temporal core bridge ships prebuilt
# glibc binaries, so no Alpine/musl), non-root, read-only root file system friendly.
# Not built in this repository's CI (no container daemon there): see README, "Container image".
#
#   docker build -t evidence-hub:0.1.0 .
#   docker run --read-only --tmpfs /tmp -v evidence-hub-data:/var/lib/evidence-hub \
#     -v /etc/evidence-hub:/etc/evidence-hub:ro -e TEMPORAL_ADDRESS=temporal:7233 -p 9464:9464 evidence-hub:0.1.0

ARG NODE_IMAGE=node:24-slim

# --- build: compile TypeScript with the dev dependencies, then drop them -------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
# `npm ci` runs `prepare`, the TypeScript build into dist/; then the dev dependencies are dropped.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# --- runtime: the built tree only ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOME=/tmp
RUN groupadd --system --gid 10001 evidence-hub \
  && useradd --system --uid 10001 --gid evidence-hub --home-dir /var/lib/evidence-hub --no-create-home evidence-hub \
  && mkdir -p /var/lib/evidence-hub /etc/evidence-hub \
  && chown evidence-hub:evidence-hub /var/lib/evidence-hub
WORKDIR /app
# Owned by root and not writable by the worker: the code, the catalog, the default mapping pack.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/mappings ./mappings
COPY --from=build /app/evidence/export/verify.sh ./evidence/export/verify.sh
COPY --from=build /app/examples ./examples
COPY --from=build /app/docs/schemas ./docs/schemas

# The only writable paths: mount them (a volume / emptyDir) when the root file system is read-only.
# /var/lib/evidence-hub: a filesystem store, folders the sources read, local state. /tmp: scratch space.
VOLUME ["/var/lib/evidence-hub", "/tmp"]
USER 10001:10001
# /metrics, /healthz, /readyz (--metrics-address; the default 127.0.0.1 is unreachable from outside a container).
EXPOSE 9464
# No curl in the slim image: Node's own fetch asks /healthz (process up).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/evidence-hub.js"]
CMD ["worker", "--config", "/etc/evidence-hub/evidence-hub.yaml", "--metrics-address", "0.0.0.0:9464"]
