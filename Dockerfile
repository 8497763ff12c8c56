# One image for every service; the app is chosen at run time: `docker run geo-nuget <app>`.
# Built on the current Node LTS (DESIGN §9); the code also runs on Node 20 for local runs and CI.
FROM node:22-bookworm-slim AS deps
WORKDIR /srv
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production
# Memory settings measured in BENCHMARKS.md (same values as tools/dev/lib/site-env.ts): a small young
# generation and two malloc arenas. Secondary sites add --max-old-space-size=128 to NODE_OPTIONS
# (SECONDARY_APP_NODE_OPTIONS), which keeps each of their services under 200 MB RSS; the primary's
# blob-transfer uses --max-semi-space-size=16 instead (docker-compose.yml), as it serves every blob.
ENV NODE_OPTIONS="--max-semi-space-size=2" MALLOC_ARENA_MAX=2
# GeoNodeStatus `revision`: `docker build --build-arg GEO_REVISION=$(git rev-parse HEAD) .`
ARG GEO_REVISION=unknown
ENV GEO_REVISION=${GEO_REVISION}
WORKDIR /srv
COPY --from=deps /srv/node_modules ./node_modules
COPY package.json tsconfig.base.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
COPY tools/bin ./tools/bin
# Container health check (docker-compose.yml `healthcheck:`): plain node, gRPC health or HTTP.
COPY tools/docker/healthcheck.cjs ./tools/docker/healthcheck.cjs
USER node
# tsx runs the TypeScript sources with the workspace path aliases (ADR 0001). `cli` as the app runs
# the `geo` CLI (apps/cli), e.g. `docker run geo-nuget cli db migrate --role primary --database-url …`.
ENTRYPOINT ["sh", "-c", "exec node --require tsx/cjs apps/\"$0\"/src/main.ts \"$@\""]
CMD ["gateway"]
