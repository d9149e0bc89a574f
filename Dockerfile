# Edgeline: one image, every role. `docker run edgeline` starts the origin; pass another command for other roles:
#   docker run -p 8081:8081 edgeline edge --origin http://origin:8080 --redis redis://redis:6379
# Multi-stage: dependencies are installed in a full image, the runtime image gets only what runs.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (tsx runs the TypeScript sources; ffmpeg/ffprobe ship inside their npm packages).
# The binaries come from the platform's own package (linux-x64 or linux-arm64), so find them rather than name one.
RUN npm ci --omit=dev --no-audit --no-fund \
 && find node_modules/@ffmpeg-installer node_modules/@ffprobe-installer -type f \( -name ffmpeg -o -name ffprobe \) -exec chmod 0755 {} +

FROM node:20-bookworm-slim AS runtime
# fonts for the burned-in timecode of the sample and the live test channel
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 MEDIA_DIR=/data/media
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY server ./server
COPY player ./player
RUN mkdir -p /data/media && chown -R node:node /data
USER node
VOLUME ["/data/media"]
EXPOSE 8080 8081 8000
# Every role answers /healthz on its PORT (default per role); override PORT to match the role you run.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.status<500?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["tini", "--", "node", "bin/edgeline.js"]
CMD ["origin"]
