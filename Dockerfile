# syntax=docker/dockerfile:1
# claimflow image: build with the full toolchain, run on a slim image with production
# dependencies only, as a non-root user.
#   docker build -t claimflow .
#   docker run --rm -e EDI_MONGODB_URI=mongodb://... -p 9464:9464 -v claimflow-out:/app/837_output claimflow

# ---- build: compile TypeScript to dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the build before the sources are copied, and
# mongodb-memory-server's postinstall (a devDependency, for tests and `claimflow demo`) would
# download a mongod the image never uses.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# ---- runtime ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    EDI_OUTPUT_DIR=/app/837_output \
    EDI_METRICS_PORT=9464
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts is required, not an optimisation: `prepare` runs `npm run build`, and
# TypeScript is a devDependency that --omit=dev leaves out.
# --omit=dev also leaves out mongodb-memory-server: `claimflow run` never loads it (only
# `claimflow demo` does), and without EDI_MONGODB_URI `run` exits 2 instead of starting a demo.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The output directory must belong to the runtime user before VOLUME: a new named volume
# copies its ownership from the image.
RUN mkdir -p /app/837_output && chown node:node /app/837_output
# uid 1000 is the image's `node` user; numeric so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
VOLUME /app/837_output
EXPOSE 9464
# The slim image has no curl: Node's fetch probes /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.EDI_METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/claimflow.js"]
CMD ["run"]
