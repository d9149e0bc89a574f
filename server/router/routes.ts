// HTTP face of the router: 302 each playlist (and segment) request to an edge, explain decisions, take failure reports.
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError, BadRequestError, NotFoundError } from '../core/errors.ts';
import type { RouterMetrics } from './router-metrics.ts';
import type { EdgeDirectory, EdgeView } from './edge-directory.ts';
import type { RegionResolver, ViewerRegion } from './region.ts';
import { decideRoute, type RingSet, type RouteDecision } from './route-decision.ts';
import type { RouterConfig } from './router-config.ts';
import { pathwayOrder, pathwaysOf } from './steering.ts';

export interface RouterRoutesContext {
  readonly config: RouterConfig;
  readonly directory: EdgeDirectory;
  readonly rings: RingSet;
  readonly regions: RegionResolver;
  readonly metrics: RouterMetrics;
}

/** `/vod/{asset}/…` and `/live/{channel}/…`: the second segment is what gets hashed, so every rendition and segment of an asset lands together. */
const MEDIA_PATH = /^\/(vod|live)\/([^/]+)\/[^?]+$/;
const PLAYLIST = /\.m3u8$/;
const ASSET_ID = /^[^/\\\p{Cc}]{1,200}$/u;

/** Player pages on another origin fetch through the router; the redirect itself must pass their CORS check (Fetch §4.4). */
export function allowCors(res: Response): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
}

export function checkAssetId(raw: string, what: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new BadRequestError(`${what} "${raw}" is not valid percent-encoding`, 'ROUTER_BAD_ASSET');
  }
  if (!ASSET_ID.test(id) || id === '.' || id === '..') {
    throw new BadRequestError(`${what} "${raw}" must be 1-200 characters without slashes or control characters`, 'ROUTER_BAD_ASSET');
  }
  return id;
}

export function createRouterRoutes(ctx: RouterRoutesContext): express.Router {
  const { config, directory, rings, regions, metrics } = ctx;
  const router = express.Router();

  const viewerRegion = (req: Request): ViewerRegion =>
    regions.resolve({ headers: req.headers, query: req.query as Record<string, unknown>, ip: req.ip ?? req.socket.remoteAddress });

  const decide = (asset: string, region: ViewerRegion): RouteDecision => {
    const edges = directory.snapshot();
    rings.rebuild(directory.version, edges);
    return decideRoute({ asset, viewerRegion: region.region, regionSource: region.source, edges, rings, overloadThreshold: config.overloadThreshold });
  };

  router.options(/.*/, (_req, res) => {
    allowCors(res);
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Viewer-Region');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  });

  const redirect = (req: Request, res: Response, next: NextFunction): void => {
    const m = MEDIA_PATH.exec(req.path);
    if (!m) {
      next();
      return;
    }
    if (!config.routeSegments && !PLAYLIST.test(req.path)) {
      throw new NotFoundError(`segment ${req.path} is not routed here: this router redirects playlists only (--route-segments)`, 'ROUTER_SEGMENT_NOT_ROUTED');
    }
    const asset = checkAssetId(m[2] ?? '', m[1] === 'live' ? 'channel' : 'asset');
    const decision = decide(asset, viewerRegion(req));
    metrics.decisions.inc({ result: decision.result });
    allowCors(res);
    if (!decision.edge) {
      res.setHeader('Retry-After', '1');
      throw new AppError('ROUTER_NO_HEALTHY_EDGE', 503, `no healthy edge for ${m[1]} "${asset}" in any region`);
    }
    // originalUrl is the request target exactly as received: the query string (signatures, tokens) passes untouched.
    res.setHeader('Location', `${decision.edge.url}${req.originalUrl}`);
    // A redirect reflects edge health at this instant; caching it would pin viewers to an edge that may die.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Edgeline-Edge', decision.edge.id);
    res.setHeader('X-Edgeline-Route', decision.result);
    res.status(302).end();
  };
  router.get(/^\/(vod|live)\//, redirect);

  router.get('/routing', (req, res) => {
    const raw = typeof req.query['asset'] === 'string' ? req.query['asset'] : undefined;
    if (!raw) throw new BadRequestError('query parameter "asset" is required, e.g. /routing?asset=sample', 'ROUTER_BAD_ASSET');
    const asset = checkAssetId(encodeURIComponent(raw), 'asset');
    const region = viewerRegion(req);
    const d = decide(asset, region);
    allowCors(res);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      asset,
      region: { name: region.region ?? null, source: region.source },
      decision: {
        result: d.result,
        edge: d.edge ? { id: d.edge.id, url: d.edge.url, region: d.edge.region } : null,
        location: d.edge ? `${d.edge.url}/vod/${encodeURIComponent(asset)}/master.m3u8` : null,
        reason: d.reason,
        ring: d.ring,
        ringPosition: d.ringPosition,
        spill: d.isSpill,
        crossRegion: d.isCrossRegion,
      },
      candidates: d.candidates.map((c) => ({ ...c, load: c.load ?? null, verdict: c.verdict ?? null })),
      // What a player of this asset is steered across (content steering): pathways best first, as the steering manifest lists them.
      steering: config.steering
        ? {
            ttlS: Math.max(1, Math.round(config.steeringTtlMs / 1000)),
            pathwaysInMaster: config.steeringPathways,
            pathways: pathwaysOf(pathwayOrder({ asset, viewerRegion: region.region, edges: directory.snapshot(), rings, chosen: d.edge, overloadThreshold: config.overloadThreshold })).map((p) => ({
              id: p.id,
              edge: p.edge.id,
              url: p.edge.url,
              region: p.edge.region,
              healthy: p.edge.healthy,
            })),
          }
        : null,
      edges: directory.snapshot().map(edgeJson),
      settings: {
        healthIntervalMs: config.healthIntervalMs,
        downAfterMs: config.downAfterMs,
        overloadThreshold: config.overloadThreshold,
        regionHeader: config.regionHeader || null,
        regionParam: config.regionParam || null,
        defaultRegion: config.defaultRegion ?? null,
      },
    });
  });

  router.post('/_router/report-failure', express.json({ limit: '4kb', type: ['application/json', 'text/plain'] }), async (req, res) => {
    const body: unknown = req.body;
    const target = typeof body === 'object' && body !== null ? ((body as { url?: unknown; edge?: unknown }).url ?? (body as { edge?: unknown }).edge) : undefined;
    if (typeof target !== 'string' || target.length === 0 || target.length > 2048) {
      throw new BadRequestError('body must be JSON {"url": "<edge URL or a URL on it>"} or {"edge": "<edge id>"}', 'ROUTER_BAD_REPORT');
    }
    const report = await directory.reportFailure(target);
    allowCors(res);
    res.setHeader('Cache-Control', 'no-store');
    if (!report) {
      metrics.failureReports.inc({ outcome: 'unknown_edge' });
      throw new NotFoundError(`no known edge serves "${target}"`, 'ROUTER_UNKNOWN_EDGE');
    }
    metrics.failureReports.inc({ outcome: report.outcome });
    res.json({ outcome: report.outcome, edge: edgeJson(report.edge) });
  });

  return router;
}

function edgeJson(e: EdgeView): Record<string, unknown> {
  return {
    id: e.id,
    url: e.url,
    region: e.region,
    sources: e.sources,
    status: e.status,
    healthy: e.healthy,
    originReachable: e.originReachable ?? null,
    load: e.load ?? null,
    lastOkAt: e.lastOkAt === undefined ? null : new Date(e.lastOkAt).toISOString(),
    lastCheckAt: e.lastCheckAt === undefined ? null : new Date(e.lastCheckAt).toISOString(),
    consecutiveFailures: e.consecutiveFailures,
    lastError: e.lastError ?? null,
  };
}
