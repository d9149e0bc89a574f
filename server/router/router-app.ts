// createRouterApp(): the router role — edge directory, health checking, region detection and redirect routes on the shared shell.
import type { Express, RequestHandler } from 'express';
import type { RegistryRedis } from '../core/edge-registry.ts';
import { readEdges } from '../core/edge-registry-read.ts';
import { createApp, finishApp } from '../core/http.ts';
import { createPlayerRouter } from '../core/player-routes.ts';
import { createQoeRouter } from '../core/qoe/qoe-routes.ts';
import { rootLogger, type Logger } from '../core/log.ts';
import { createHttpMetrics, type HttpMetrics } from '../core/metrics.ts';
import { createRedisClient } from '../core/redis-client.ts';
import { trustProxyOf } from '../core/viewer-address.ts';
import { createRouterMetrics, type RouterMetrics } from './router-metrics.ts';
import { EdgeDirectory } from './edge-directory.ts';
import { probeHealth, type HealthProbe } from './health-probe.ts';
import { RegionResolver } from './region.ts';
import { RingSet } from './route-decision.ts';
import { checkRouterConfig, effectiveHealthTimeoutMs, registryTarget, type RouterConfig } from './router-config.ts';
import { createRouterRoutes } from './routes.ts';
import { createSteeringRoutes } from './steering-routes.ts';

export interface RouterDeps {
  /** A Redis or Redis Cluster client for the edge registry; the router makes its own from `config.redis` otherwise (and closes only that one). */
  readonly redis?: RegistryRedis;
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly probe?: HealthProbe;
  /** Mounted before the router's own routes, e.g. a content-steering endpoint. */
  readonly extraRouters?: readonly RequestHandler[];
  /** Serve the player (`/player/`) and take its QoE beacons (`POST /qoe`); on unless false. */
  readonly player?: boolean;
  /** Bundle the player now rather than on the first /player/ request. */
  readonly loadPlayerAtStartup?: boolean;
  readonly processMetrics?: boolean;
}

export interface RouterApp {
  readonly app: Express;
  readonly directory: EdgeDirectory;
  readonly httpMetrics: HttpMetrics;
  readonly metrics: RouterMetrics;
  /** Resolves after the first round of health checks (and registry read): routing answers are meaningful from then on. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function createRouterApp(config: RouterConfig, deps: RouterDeps = {}): RouterApp {
  checkRouterConfig(config);
  const logger = (deps.logger ?? rootLogger).child({ role: 'router' });
  const httpMetrics = createHttpMetrics('router', { processMetrics: deps.processMetrics ?? true });
  // Read at scrape time, after `directory` exists.
  const metrics = createRouterMetrics(httpMetrics.registry, () => directory.snapshot());

  const timeoutMs = effectiveHealthTimeoutMs(config);
  const target = registryTarget(config);
  const ownsRedis = !deps.redis && target !== undefined;
  const redis: RegistryRedis | undefined =
    deps.redis ??
    (target
      ? createRedisClient(target, {
          maxRetriesPerRequest: 1,
          // A registry read must never outlast a health round.
          commandTimeout: timeoutMs,
          connectTimeout: Math.max(timeoutMs, 1_000),
          retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
        })
      : undefined);
  // The directory logs failed reads once per outage; ioredis would otherwise print every reconnect attempt.
  if (ownsRedis) redis?.on('error', (err: Error) => logger.debug({ err }, 'redis error'));

  const directory = new EdgeDirectory({
    seeds: config.edges,
    healthIntervalMs: config.healthIntervalMs,
    healthTimeoutMs: timeoutMs,
    downAfterMs: config.downAfterMs,
    probe: deps.probe ?? probeHealth,
    ...(redis ? { readRegistry: () => readEdges(redis, config.redisPrefix) } : {}),
    metrics,
    logger,
    ...(deps.now ? { now: deps.now } : {}),
  });

  const app = createApp({
    role: 'router',
    logger,
    metrics: httpMetrics,
    health: () => {
      const edges = directory.snapshot();
      // The router itself is fine even with no healthy edge: it still answers 503 JSON and /routing explains why.
      return { ok: true, edgesKnown: edges.length, edgesHealthy: edges.filter((e) => e.healthy).length, registry: redis ? redis.status : 'off' };
    },
  });
  // req.ip (QoE rate limits, the CIDR region map) and the address forwarded to edges: the right-most untrusted hop.
  const trustProxy = trustProxyOf(config.trustProxy);
  app.set('trust proxy', trustProxy ?? false);

  // The player page served here plays `/vod/…` through this router's redirects, and beacons to this router's /qoe.
  if (deps.player ?? true) {
    app.use(createPlayerRouter({ logger, loadAtStartup: deps.loadPlayerAtStartup ?? false }));
    app.use(createQoeRouter({ registry: httpMetrics.registry, role: 'router', logger, readToken: config.adminToken, readTokenSetting: 'ROUTER_ADMIN_TOKEN (--admin-token)' }).router);
  }
  // Extra routers (e.g. content steering, later) go before the redirect routes.
  for (const extra of deps.extraRouters ?? []) app.use(extra);
  const rings = new RingSet(config.vnodes);
  const regions = regionResolver(config);
  // Master playlists with one pathway per edge, so players move to another edge when theirs dies (before the 302 routes).
  if (config.steering) app.use(createSteeringRoutes({ config, directory, rings, regions, metrics, logger, trustProxy }));
  app.use(createRouterRoutes({ config, directory, rings, regions, metrics }));
  finishApp(app, logger);

  const ready = directory.start();
  let closing: Promise<void> | undefined;
  return {
    app,
    directory,
    httpMetrics,
    metrics,
    ready,
    close() {
      closing ??= (async () => {
        await directory.stop();
        if (ownsRedis) await redis?.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}

function regionResolver(c: RouterConfig): RegionResolver {
  return new RegionResolver({ header: c.regionHeader, param: c.regionParam, cidrRules: c.cidrMap, defaultRegion: c.defaultRegion });
}
