// createEdgeApp(): one edge process — tiers, upstream, collapsing, purges — behind a raw node:http handler.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { publishHeartbeat, removeEdge } from '../core/edge-registry.ts';
import { hasDuplicateHost } from '../core/host-header.ts';
import { healthAnswer, sendJson, trackRequest, type HealthReport } from '../core/http-basics.ts';
import { logDestination, rootLogger, type Logger } from '../core/log.ts';
import { accessLogTo, accessLogVia } from './access-log.ts';
import { createEdgeMetrics, type EdgeMetrics } from './edge-metrics.ts';
import { signOriginRequest } from '../core/origin-auth.ts';
import { createQoeMetrics } from '../core/qoe/qoe-metrics.ts';
import { SessionStore } from '../core/qoe/session-store.ts';
import { describeRedisTarget } from '../core/redis-target.ts';
import { Behaviors, type CacheBehavior } from './behaviors.ts';
import { RedisKeys } from './cache-key.ts';
import { LocalFills, RemoteFills } from './collapsing.ts';
import { commonHeaders, viaOf } from './deliver.ts';
import { resolveEdgeSettings, type EdgeConfig, type ResolvedEdgeSettings } from './edge-config.ts';
import { Invalidator } from './invalidation.ts';
import { MemoryTier } from './memory-tier.ts';
import { OriginClient } from './origin-client.ts';
import { OriginProbe } from './origin-probe.ts';
import { runPipeline, type Edge, type UpstreamFetcher } from './pipeline.ts';
import { Prefetcher } from './prefetch.ts';
import { PurgeLog } from './purge-log.ts';
import { RateLimiter } from '../core/rate-limiter.ts';
import { RedisTier } from './redis-tier.ts';
import { createViewerHandler, isViewerRequest, type ViewerCheck } from './routes.ts';
import { SendingObjects } from './sending-objects.ts';
import { httpsBaseOf, protocolCheck, rateLimitCheck, signatureCheck, viewerResolver } from './viewer-checks.ts';
import { trustProxyOf } from '../core/viewer-address.ts';

export interface EdgeDeps {
  /** Milliseconds since the epoch; tests move it to make objects stale. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  readonly metrics?: EdgeMetrics;
  /** Instead of the config's file (or the defaults). */
  readonly behaviors?: readonly CacheBehavior[];
  /** Instead of the shield/origin client built from config (unit tests). */
  readonly upstream?: UpstreamFetcher;
  /** Checks before the cache (signed URLs, rate limits). */
  readonly viewerChecks?: readonly ViewerCheck[];
  /** How long startup waits for Redis before serving without it. */
  readonly redisWaitMs?: number;
  /** Worker processes sharing EDGE_MEMORY_MB (set by the CLI under node:cluster). */
  readonly workerCount?: number;
  /** /metrics text instead of this process's registry (under node:cluster: every worker's, summed). */
  readonly metricsText?: () => Promise<string>;
  /**
   * Load the Express shell and read the player page now rather than on the first request that needs them (the
   * browser tests do; the CLI does not, so an idle edge holds neither).
   */
  readonly loadPlayerAtStartup?: boolean;
}

/** A request listener (give it to supertest or listen()) with the edge's parts attached. */
export interface EdgeApp extends RequestListener {
  readonly settings: ResolvedEdgeSettings;
  readonly metrics: EdgeMetrics;
  readonly memory: MemoryTier;
  readonly redis: RedisTier | undefined;
  readonly keys: RedisKeys;
  readonly invalidator: Invalidator;
  readonly edge: Edge;
  /**
   * Announce this edge to routers through the Redis registry (server/core/edge-registry.ts) at `url`, every
   * heartbeat, with its request rate as load. Called once listening, when the URL is known.
   */
  announce(url: string): void;
  /** Resolves once the background work requests started (Redis stores, lock releases, refreshes) has finished. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Origin reachability for /healthz: checked this often in the background. A slow origin (1 s away) still counts as
 * reachable; one that does not answer within the timeout (frozen, partitioned) is reported unreachable within ~5 s.
 */
const ORIGIN_PROBE_INTERVAL_MS = 2_000;
const ORIGIN_PROBE_TIMEOUT_MS = 3_000;
/** Prefetched bytes no viewer has asked for yet: a quarter of the memory tier, at most 64 MiB (at least 8 MiB). */
function prefetchBudgetBytes(memoryMaxBytes: number): number {
  return Math.max(8 * 1024 * 1024, Math.min(64 * 1024 * 1024, Math.floor(memoryMaxBytes / 4)));
}

/** Forget purges after this: far longer than a fill can take (every upstream call has a timeout). */
const PURGE_LOG_RETENTION_MS = 10 * 60_000;

/** /metrics: the registry's text (or, under node:cluster, every worker's summed by the primary). */
function serveText(req: IncomingMessage, res: ServerResponse, contentType: string, text: () => Promise<string>, logger: Logger): void {
  text().then(
    (body) => {
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
    },
    (err: unknown) => {
      logger.warn({ err }, 'metrics unavailable');
      sendJson(req, res, 503, { error: 'EDGE_METRICS_UNAVAILABLE', message: 'metrics could not be gathered from the workers' });
    },
  );
}

/** The answer of the error handler (core/http.ts finishApp) when a request meets a bug before the shell. */
function internalError(req: IncomingMessage, res: ServerResponse, logger: Logger, err: unknown): void {
  logger.error({ err, path: req.url }, 'unhandled error');
  if (res.headersSent) res.destroy();
  else sendJson(req, res, 500, { error: 'INTERNAL', message: 'internal error' });
}

export async function createEdgeApp(config: EdgeConfig, deps: EdgeDeps = {}): Promise<EdgeApp> {
  const settings = resolveEdgeSettings(config, { cores: availableParallelism(), workerCount: deps.workerCount, behaviors: deps.behaviors });
  const clock = deps.clock ?? Date.now;
  const logger = (deps.logger ?? rootLogger).child({ role: 'edge', edgeId: settings.edgeId });
  const metrics = deps.metrics ?? createEdgeMetrics();
  const behaviors = new Behaviors(settings.behaviors);
  const keys = new RedisKeys(config.redisPrefix);

  const memory = new MemoryTier({
    maxBytes: settings.memoryMaxBytes,
    maxObjectBytes: settings.maxObjectBytes,
    onEvict: () => metrics.memoryEvictions.inc(),
  });
  const purges = new PurgeLog({ clock, retentionMs: PURGE_LOG_RETENTION_MS, maxRecords: 10_000 });
  const invalidatorToken = `${settings.edgeId}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  let redis: RedisTier | undefined;
  let remote: RemoteFills | undefined;
  if (settings.redisTarget) {
    redis = new RedisTier({
      target: settings.redisTarget,
      keys,
      commandTimeoutMs: config.redisTimeoutMs,
      maxObjectBytes: settings.maxObjectBytes,
      breakerThreshold: config.breakerThreshold,
      breakerCooldownMs: config.breakerCooldownMs,
      clock: Date.now,
      logger,
      metrics,
      lockToken: invalidatorToken,
      purgeEpoch: () => purges.redisEpoch,
    });
    remote = new RemoteFills(redis, keys.fillChannel, config.collapseWaitMs);
    const ready = await redis.waitReady(deps.redisWaitMs ?? 2_000);
    if (!ready) logger.warn({ redis: describeRedisTarget(settings.redisTarget) }, 'Redis not reachable yet: serving from memory and origin; will keep retrying');
  } else {
    logger.info('no Redis configured: memory tier only (no cross-edge collapsing or purge fan-out)');
  }

  const secret = config.originSecret;
  const origin = deps.upstream
    ? undefined
    : new OriginClient({
        origins: config.origin,
        shield: config.shield,
        connectTimeoutMs: config.originConnectTimeoutMs,
        headersTimeoutMs: config.originTimeoutMs,
        bodyTimeoutMs: config.originBodyTimeoutMs,
        downMs: config.originDownMs,
        via: viaOf(settings.edgeId),
        userAgent: `edgeline-edge/${settings.edgeId}`,
        surrogateToken: settings.edgeId,
        signHeaders: secret ? (method, path) => signOriginRequest(secret, { method, path, now: Date.now() }) : undefined,
        clock: Date.now,
        logger,
        metrics,
      });

  const background = new Set<Promise<unknown>>();
  const edge: Edge = {
    clock,
    memory,
    redis,
    remote,
    fills: new LocalFills(),
    purges,
    sending: new SendingObjects(),
    upstream: deps.upstream ?? (origin as OriginClient),
    metrics,
    logger,
    common: commonHeaders(settings.edgeId, { perRequestCors: config.corsOrigins.length > 0 }),
    maxObjectBytes: settings.maxObjectBytes,
    lockTtlMs: config.lockTtlMs,
    // Written straight to the log writer (access-log.ts); a logger handed in by a test gets the lines itself.
    accessLog: config.accessLog && logger.isLevelEnabled('info') ? (deps.logger ? accessLogVia(logger) : accessLogTo(logDestination, { pid: process.pid, role: 'edge', edgeId: settings.edgeId })) : undefined,
    track(work) {
      background.add(work);
      void work.catch((err: unknown) => logger.warn({ err }, 'background work failed')).finally(() => background.delete(work));
    },
  };

  // Off only when no behavior may prefetch: then finishing a request costs nothing more.
  const prefetcher = config.prefetchSegments > 0 || behaviors.list.some((b) => (b.prefetchSegments ?? 0) > 0)
    ? new Prefetcher({ edge, behaviors, defaultSegments: config.prefetchSegments, maxUnservedBytes: prefetchBudgetBytes(settings.memoryMaxBytes), run: (x) => runPipeline(x, edge) })
    : undefined;
  edge.prefetch = prefetcher;

  const invalidator = new Invalidator({ redis, keys, memory, purges, clock, logger, metrics, edgeId: settings.edgeId, heartbeatMs: config.heartbeatMs });
  await invalidator.start();

  metrics.observe({
    memory: () => ({ bytes: memory.bytes, entries: memory.entries, maxBytes: memory.maxBytes }),
    redisUp: () => redis?.isAvailable ?? false,
    breakerOpen: () => redis?.breaker.state === 'open',
  });

  // Origin reachability is probed in the background and only reported: /healthz answers at once from this process's own
  // state, so a frozen or slow origin never makes the edge look down (it still serves what it holds).
  const originProbe = origin ? new OriginProbe(() => origin.probe(ORIGIN_PROBE_TIMEOUT_MS), ORIGIN_PROBE_INTERVAL_MS, Date.now) : undefined;
  originProbe?.start();
  const health = (): HealthReport => {
    const warnings: string[] = [];
    const redisStatus = redis ? redis.status : undefined;
    if (redis && !redis.isAvailable) warnings.push('Redis tier unavailable: serving from memory and origin');
    const originState = originProbe?.state;
    if (originState?.reachable === false) warnings.push('no origin reachable: serving cached copies within stale-if-error only');
    // Degraded is still healthy: an edge that cannot reach Redis or the origin serves what it can, as any other would.
    return {
      ok: true,
      status: warnings.length > 0 ? 'degraded' : 'ok',
      edge: settings.edgeId,
      region: config.region,
      redis: redisStatus ? { configured: true, ...redisStatus } : { configured: false },
      origin: originState ?? { reachable: null, checkedAt: null, origins: [] },
      memory: { bytes: memory.bytes, entries: memory.entries, maxBytes: memory.maxBytes },
      warnings,
    };
  };

  // Behind trusted proxies (--trust-proxy), checks and req.ip (QoE rate limits) see the viewer, not the hop.
  const trustProxy = trustProxyOf(config.trustProxy);
  const viewerOf = viewerResolver(trustProxy);
  // QoE metrics are declared now (dashboards read them from the first scrape); their routes load with the shell.
  const qoeStore = config.player ? new SessionStore() : undefined;
  const qoe = qoeStore ? { store: qoeStore, metrics: createQoeMetrics(metrics.registry, 'edge', () => qoeStore.size) } : undefined;
  // Everything but viewers, /healthz and /metrics goes to the Express shell (edge-shell.ts), loaded when first needed.
  let shell: Promise<RequestListener> | undefined;
  const loadShell = (): Promise<RequestListener> => {
    shell ??= import('./edge-shell.ts').then((m) =>
      m.createEdgeShell({ config, logger, metrics, health, invalidator, trustProxy, qoe, loadPlayerAtStartup: deps.loadPlayerAtStartup ?? false }),
    );
    return shell;
  };
  if (deps.loadPlayerAtStartup) await loadShell();

  const checks: ViewerCheck[] = [];
  // Rate limits first (refused requests count too: a flood of bad signatures is still a flood), then CloudFront's
  // order: protocol policy, then signatures.
  if (config.rateLimit > 0) {
    const limiter = new RateLimiter({
      ratePerSecond: config.rateLimit,
      burst: config.rateBurst,
      redis: redis?.client,
      prefix: config.redisPrefix,
      redisTimeoutMs: config.redisTimeoutMs,
      onRedisError: () => metrics.redisErrors.inc({ op: 'rate-limit' }),
    });
    checks.push(rateLimitCheck(limiter, viewerOf));
  }
  if (behaviors.list.some((b) => b.viewerProtocolPolicy !== 'allow-all')) checks.push(protocolCheck(config.tlsCert ? httpsBaseOf(config.publicUrl, config.httpsPort) : undefined, viewerOf));
  if (config.signingKeys) checks.push(signatureCheck(config.signingKeys, Date.now, { urlCookies: config.signedUrlCookies }, viewerOf));
  checks.push(...(deps.viewerChecks ?? []));
  const viewer = createViewerHandler({
    edge,
    behaviors,
    edgeId: settings.edgeId,
    checks,
    corsOrigins: config.corsOrigins,
    forward: origin ? (r) => origin.forward(r) : undefined,
    // RFC 9111 §4.4, on every edge: the purge is numbered and fanned out like an API invalidation.
    invalidate: async (paths) => {
      await invalidator.submit(paths);
    },
  });
  const metricsText = deps.metricsText ?? (() => metrics.registry.metrics());
  const accounting = { logger, metrics };
  // /healthz and /metrics as the shell answers them (core/http-basics.ts), without loading it: routers poll /healthz.
  const own = (req: IncomingMessage, res: ServerResponse): boolean => {
    const m = req.method;
    if ((m !== 'GET' && m !== 'HEAD') || (req.url !== '/healthz' && req.url !== '/metrics')) return false;
    trackRequest(req, res, accounting);
    // RFC 9112 §3.2, as the shell does for every request.
    if (hasDuplicateHost(req)) sendJson(req, res, 400, { error: 'DUPLICATE_HOST', message: 'a request must carry exactly one Host header (RFC 9112 §3.2)' });
    else if (req.url === '/metrics') serveText(req, res, metrics.registry.contentType, metricsText, logger);
    else healthAnswer('edge', health).then(({ status, body }) => sendJson(req, res, status, body), (err: unknown) => internalError(req, res, logger, err));
    return true;
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (isViewerRequest(req, behaviors)) viewer(req, res);
    else if (!own(req, res)) loadShell().then((app) => app(req, res), (err: unknown) => internalError(req, res, logger, err));
  };

  // Load for the router: requests per second over the last heartbeat, for this whole edge (workers × this one's rate).
  let announced: NodeJS.Timeout | undefined;
  const startedAt = Date.now();
  const announce = (url: string): void => {
    const tier = redis;
    if (!tier || announced) return;
    const share = Math.max(1, deps.workerCount ?? 1);
    let lastCount = metrics.totalRequests();
    let lastAt = Date.now();
    const beat = async (): Promise<void> => {
      const now = Date.now();
      const count = metrics.totalRequests();
      const load = now > lastAt ? ((count - lastCount) * 1000 * share) / (now - lastAt) : 0;
      lastCount = count;
      lastAt = now;
      await tier.attempt('registry', (r) =>
        publishHeartbeat(
          r,
          config.redisPrefix,
          { id: settings.edgeId, url, ...(config.internalUrl ? { internalUrl: config.internalUrl } : {}), region: config.region, load: Math.round(load), startedAt, ts: now },
          Math.max(3 * config.heartbeatMs, 3_000),
        ),
      );
    };
    void beat();
    announced = setInterval(() => void beat(), config.heartbeatMs);
    announced.unref();
  };

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (announced) {
      clearInterval(announced);
      const tier = redis;
      if (tier) await tier.attempt('registry', (r) => removeEdge(r, config.redisPrefix, settings.edgeId));
    }
    originProbe?.stop();
    prefetcher?.stop();
    await invalidator.stop();
    // Let stores and refreshes finish (each is bounded by upstream and Redis timeouts), then release what remains.
    const deadline = new Promise<void>((r) => setTimeout(r, 5_000).unref());
    await Promise.race([Promise.allSettled([...background]), deadline]);
    edge.fills.settleAll({ kind: 'retry' });
    remote?.releaseAll();
    await Promise.allSettled([redis?.close(), origin?.close()]);
  };

  const settled = async (): Promise<void> => {
    while (background.size > 0) await Promise.allSettled([...background]);
  };

  return Object.assign(handler, { settings, metrics, memory, redis, keys, invalidator, edge, announce, settled, close });
}
