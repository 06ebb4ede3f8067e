# Strata's image: the service (`strata run`) and the producers (`strata produce …`) of docker-compose.yml.
# TypeScript runs through tsx (a runtime dependency): no build step.
FROM node:20.18.1-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY config ./config
COPY schemas ./schemas
COPY sql ./sql
COPY topologies ./topologies
COPY samples ./samples
# The compose file's offline profile runs the Open-Meteo emulator: only it, of dev/, is shipped.
COPY dev/open-meteo ./dev/open-meteo
COPY scripts/open-meteo-emulator.ts ./scripts/open-meteo-emulator.ts

# The warehouse lives on a volume; owned by the unprivileged user the service runs as.
RUN mkdir -p /data/warehouse && chown -R node:node /data
USER node

# In a container the metrics server must listen beyond loopback for Prometheus to scrape it.
ENV STRATA_WAREHOUSE=/data/warehouse \
    STRATA_METRICS_HOST=0.0.0.0 \
    STRATA_METRICS_PORT=9464 \
    STRATA_LOG_FORMAT=json
EXPOSE 9464
VOLUME ["/data/warehouse"]

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "bin/strata.mjs", "run"]
