# The gridcast image: dependencies are installed once, when the image is built (docker compose build),
# not at every container start. There is no build step: tsx (a runtime dependency) runs the TypeScript.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# The embedded store's default directory, for `docker run` without DATABASE_URL.
RUN mkdir -p /app/data && chown node:node /app/data

USER node
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
# Node alone (the slim image has no curl): 200 from /health when the store answers, 503 when it does not.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `docker compose run --rm gridcast query ...` runs any gridcast command in the image.
ENTRYPOINT ["node", "bin/gridcast.mjs"]
CMD ["start"]
