# dp-pipeline job image: `dp-pipeline run` against the storage named by the environment
# (DP_STORAGE_ACCOUNT with managed identity, or DP_STORAGE_CONNECTION_STRING). See README.
# Node 22: the current LTS that Azure Functions and Container Apps support (20 is past EOL).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: see .ci/run (DuckDB's platform bindings are not in the lockfile).
# --ignore-scripts: `prepare` would build before the sources are here; we build below.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY functions ./functions
RUN npx tsc -p tsconfig.json

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
COPY fonts ./fonts
COPY examples ./examples
USER node
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["run"]
