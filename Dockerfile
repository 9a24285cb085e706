# One image for both roles: `node dist/worker.js` (worker) and `node dist/apiServer.js` (API).
# Node 22: an LTS line supported until April 2027 (20 reached its end of life in April 2026).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Workflows are bundled here, once: workers start without webpack and run exactly this code.
RUN npm run build && npm run build:workflows && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Named volumes mounted at /data start with this ownership, so the unprivileged user can write there.
RUN mkdir -p /data && chown node:node /data
ENV DATA_DIR=/data
USER node
EXPOSE 3000
CMD ["node", "dist/worker.js"]
