# syntax=docker/dockerfile:1
# Build: one self-contained executable (bun run build: bun build --compile --bytecode --format=esm;
# the bytecode saves parsing the bundle at each start, and needs ESM for the top-level await), then
# a slim non-root runtime image.
FROM oven/bun:1.4.5 AS build
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY tsconfig.json ./
COPY src ./src
RUN bun run build

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 --home-dir /app mercado
WORKDIR /app
COPY --from=build /app/dist/mercado /app/mercado
COPY public ./public
RUN mkdir -p /app/data && chown mercado /app/data && chmod 700 /app/data
USER mercado
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/data
EXPOSE 3000
# Liveness (docs/api.md, Probes): Swarm replaces a container that turns unhealthy, so /health, which
# fails only when the process is stuck; never /ready, which a database outage fails everywhere at
# once. The start period covers the store's start-up retries; curl is installed above for this.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/health" || exit 1
ENTRYPOINT ["/app/mercado"]
