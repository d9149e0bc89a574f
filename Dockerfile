# Edgeline: one image, every role. `docker run edgeline` starts the origin; pass another command for other roles:
#   docker run -p 8081:8081 edgeline edge --origin http://origin:8080 --redis redis://redis:6379
# Two stages: the build stage compiles TypeScript and bundles the product and the player; the runtime stage holds the
# bundled product (dist/bundle, with its libraries inside, dist/player) and the production dependencies the bundle
# leaves to node_modules (the ffmpeg installers, fluent-ffmpeg: scripts/build-server.mjs says why). The instruments (tools/: load test,
# compare, bench, WAN proxy) and their libraries (optional dependencies: playwright-core, chart.js, hdr-histogram-js)
# are not in the image.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY server ./server
COPY tools ./tools
COPY player ./player
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# Debian's maintained ffmpeg parses uploads (the npm-shipped static build is only a fallback for bare machines);
# fonts for the burned-in timecode of the sample and the live test channel; tini reaps children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 MEDIA_DIR=/data/media FFMPEG_PATH=/usr/bin/ffmpeg FFPROBE_PATH=/usr/bin/ffprobe
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist/bundle ./dist/bundle
COPY --from=build /app/dist/player ./dist/player
RUN mkdir -p /data/media && chown -R node:node /data
USER node
VOLUME ["/data/media"]
EXPOSE 8080 8081 8000
# Every role answers /healthz on its PORT (default per role); override PORT to match the role you run.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.status<500?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["tini", "--", "node", "bin/edgeline.js"]
CMD ["origin"]
