// Content steering over HTTP: master playlists with one pathway per edge, and the steering manifest players reload.
import express, { type Request, type Response } from 'express';
import { AppError, UpstreamError } from '../core/errors.ts';
import { readPlaylist, type ReadPlaylist } from '../core/hls/read-playlist.ts';
import type { Logger } from '../core/log.ts';
import { resolveViewer, type TrustProxy } from '../core/viewer-address.ts';
import type { RouterMetrics } from './router-metrics.ts';
import type { EdgeDirectory, EdgeView } from './edge-directory.ts';
import { fetchMaster } from './master-fetch.ts';
import type { RegionResolver, ViewerRegion } from './region.ts';
import { decideRoute, type RingSet, type RouteDecision } from './route-decision.ts';
import type { RouterConfig } from './router-config.ts';
import { allowCors, checkAssetId } from './routes.ts';
import { pathwayOrder, pathwaysOf, queryName, rewriteMasterPlaylist, steeringManifest, type Pathway } from './steering.ts';

export interface SteeringRoutesContext {
  readonly config: RouterConfig;
  readonly directory: EdgeDirectory;
  readonly rings: RingSet;
  readonly regions: RegionResolver;
  readonly metrics: RouterMetrics;
  readonly logger: Logger;
  /** Proxies in front of the router (--trust-proxy); the viewer is the right-most address they did not add. */
  readonly trustProxy: TrustProxy | undefined;
}

const MASTER_PATH = /^\/(vod|live)\/([^/]+)\/master\.m3u8$/;
const STEERING_PATH = /^\/steering\/(vod|live)\/([^/]+)$/;
/** A steering manifest lists at most this many pathways: players ignore ids their master does not have anyway. */
const MAX_PRIORITY = 32;
/** Edges asked for one master playlist before the viewer gets a 502. */
const MASTER_ATTEMPTS = 3;

/**
 * Query parameters never carried from the viewer's master request onto edge URLs: CMCD (CTA-5004) carries
 * per-request values the player adds itself, `_HLS_*` are steering's own (rfc8216bis §7.2).
 */
function isPlayerOwned(name: string): boolean {
  return name === 'CMCD' || name.startsWith('_HLS_');
}

function rawQueryOf(req: Request): string[] {
  const q = req.originalUrl.indexOf('?');
  return q < 0 ? [] : req.originalUrl.slice(q + 1).split('&').filter((p) => p !== '');
}

export function createSteeringRoutes(ctx: SteeringRoutesContext): express.Router {
  const { config, directory, rings, regions, metrics, logger } = ctx;
  const router = express.Router();
  const ttlS = Math.max(1, Math.round(config.steeringTtlMs / 1000));

  const viewerRegion = (req: Request): ViewerRegion =>
    regions.resolve({ headers: req.headers, query: req.query as Record<string, unknown>, ip: req.ip ?? req.socket.remoteAddress });

  const plan = (asset: string, region: ViewerRegion): { decision: RouteDecision; order: EdgeView[]; pathways: Pathway[] } => {
    const edges = directory.snapshot();
    rings.rebuild(directory.version, edges);
    const decision = decideRoute({ asset, viewerRegion: region.region, regionSource: region.source, edges, rings, overloadThreshold: config.overloadThreshold });
    const order = pathwayOrder({ asset, viewerRegion: region.region, edges, rings, chosen: decision.edge, overloadThreshold: config.overloadThreshold });
    return { decision, order, pathways: pathwaysOf(order) };
  };

  /** SERVER-URI / RELOAD-URI: this router's steering path for the asset, with the viewer's region parameter if any. */
  const steeringUri = (kind: string, rawAsset: string, pieces: readonly string[]): string => {
    const region = config.regionParam ? pieces.filter((p) => queryName(p) === config.regionParam) : [];
    return `/steering/${kind}/${rawAsset}${region.length > 0 ? `?${region.join('&')}` : ''}`;
  };

  router.get(MASTER_PATH, async (req: Request, res: Response) => {
    const m = MASTER_PATH.exec(req.path);
    const kind = m?.[1] ?? 'vod';
    const rawAsset = m?.[2] ?? '';
    const asset = checkAssetId(rawAsset, kind === 'live' ? 'channel' : 'asset');
    const { decision, order, pathways } = plan(asset, viewerRegion(req));
    metrics.decisions.inc({ result: decision.result });
    allowCors(res);
    res.setHeader('Cache-Control', 'no-store');
    if (!decision.edge) {
      res.setHeader('Retry-After', '1');
      throw new AppError('ROUTER_NO_HEALTHY_EDGE', 503, `no healthy edge for ${kind} "${asset}" in any region`);
    }
    const pieces = rawQueryOf(req);
    const carry = pieces.filter((p) => !isPlayerOwned(queryName(p)) && queryName(p) !== config.regionParam);
    // The router fetches the master itself: the edge (trusting the router, --trust-proxy) must see the viewer's address
    // and scheme, not the router's, for IP conditions, rate limits and https-only behaviors. One hop, one address.
    const viewer = resolveViewer(req, ctx.trustProxy);
    const forwarded: Record<string, string> = {
      accept: 'application/vnd.apple.mpegurl, */*',
      'user-agent': 'edgeline-router',
      'x-forwarded-for': viewer.address,
      'x-forwarded-proto': viewer.isHttps ? 'https' : 'http',
      ...(viewer.host ? { 'x-forwarded-host': viewer.host } : {}),
    };
    if (typeof req.headers.cookie === 'string') forwarded['cookie'] = req.headers.cookie;
    const fetched = await fetchMaster({
      edges: order,
      pathAndQuery: `${req.path}${carry.length > 0 ? `?${carry.join('&')}` : ''}`,
      headers: forwarded,
      timeoutMs: config.masterTimeoutMs,
      maxAttempts: MASTER_ATTEMPTS,
      // Passive health: a failed fetch makes the directory check that edge now rather than at its next round.
      onEdgeFailure: (edge, reason) => {
        logger.warn({ edge: edge.id, reason }, 'master playlist fetch failed; trying the next edge');
        void directory.reportFailure(edge.url).catch(() => undefined);
      },
    });
    if (!fetched.ok) {
      metrics.masterPlaylists.inc({ result: 'failed' });
      res.setHeader('Retry-After', '1');
      throw new UpstreamError('ROUTER_MASTER_UNAVAILABLE', 502, `master playlist of ${kind} "${asset}" could not be fetched from ${fetched.tried} edge(s): ${fetched.lastError ?? 'none healthy'}`);
    }
    const answer = fetched.answer;
    res.setHeader('X-Edgeline-Edge', answer.edge.id);
    res.setHeader('X-Edgeline-Route', decision.result);
    if (answer.status < 200 || answer.status > 299) {
      // 404 for an unknown asset, 403 for a refused signature: the edge's own answer, as a redirect would have shown.
      metrics.masterPlaylists.inc({ result: 'passed_through' });
      if (answer.contentType) res.setHeader('Content-Type', answer.contentType);
      res.status(answer.status).send(answer.body);
      return;
    }
    let read: ReadPlaylist | undefined;
    try {
      read = readPlaylist(answer.body, { source: answer.url });
    } catch (err) {
      logger.warn({ edge: answer.edge.id, err: (err as Error).message }, 'master playlist is not a valid playlist; redirecting instead of steering');
    }
    if (read?.kind !== 'master') {
      // A media playlist under this name, or something the router cannot read: nothing to steer, so the player goes
      // to the edge and gets its answer, as without steering.
      metrics.masterPlaylists.inc({ result: 'redirected' });
      res.setHeader('Location', `${answer.edge.url}${req.originalUrl}`);
      res.status(302).end();
      return;
    }
    // The edge that answered leads (the decided one may just have failed); the rest keep their order.
    const listed = pathways.slice(0, config.steeringPathways);
    const source = pathways.find((p) => p.edge.key === answer.edge.key);
    const ordered = source ? [source, ...listed.filter((p) => p !== source)].slice(0, config.steeringPathways) : listed;
    const text = rewriteMasterPlaylist({
      master: read.master.parsed,
      sourceUrl: answer.url,
      sourceBase: answer.edge.probeUrl.replace(/\/+$/, ''),
      pathways: ordered,
      carryQuery: carry,
      steeringUri: steeringUri(kind, rawAsset, pieces),
    });
    metrics.masterPlaylists.inc({ result: 'steered' });
    res.setHeader('X-Edgeline-Pathways', ordered.map((p) => p.id).join(','));
    res.setHeader('Content-Type', 'application/vnd.apple.mpegurl');
    res.status(200).send(text);
  });

  router.get(STEERING_PATH, (req: Request, res: Response) => {
    const m = STEERING_PATH.exec(req.path);
    const kind = m?.[1] ?? 'vod';
    const rawAsset = m?.[2] ?? '';
    const asset = checkAssetId(rawAsset, kind === 'live' ? 'channel' : 'asset');
    const { pathways } = plan(asset, viewerRegion(req));
    const priority = pathways.slice(0, MAX_PRIORITY).map((p) => p.id);
    const current = typeof req.query['_HLS_pathway'] === 'string' ? req.query['_HLS_pathway'] : undefined;
    metrics.steeringManifests.inc({ result: current === undefined ? 'new' : priority[0] === current ? 'stay' : 'move' });
    allowCors(res);
    // Health changes by the second: a cached manifest would keep players on a dead edge.
    res.setHeader('Cache-Control', 'no-store');
    res.json(steeringManifest(ttlS, steeringUri(kind, rawAsset, rawQueryOf(req)), priority));
  });

  return router;
}
