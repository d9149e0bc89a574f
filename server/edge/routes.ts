// Viewer requests on raw node:http (GET/HEAD /vod/*, /live/*, and any path a behavior claims): guard → behavior →
// cache key → pipeline, or a pass to the origin for other methods. No Express on this path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasPreconditions } from '../core/http/preconditions.ts';
import { parseRange, type RangeRequest } from '../core/http/range.ts';
import { viewerKindOf } from './edge-metrics.ts';
import type { Behaviors, CacheBehavior } from './behaviors.ts';
import { cacheKeyOf, requestKeyOf } from './cache-key.ts';
import { allowHeaderOf, isCacheableMethod, isMethodAllowed } from './methods.ts';
import { passToOrigin, type Forwarder, type Invalidate } from './pass.ts';
import { corsHeadersFor } from './cors.ts';
import { cmcdReport, countCmcd } from './cmcd-report.ts';
import { deliverError } from './deliver.ts';
import { newExchange, runPipeline, type Edge } from './pipeline.ts';
import { guardViewerRequest } from './request-guard.ts';

export interface Denial {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Low-cardinality label for hls_edge_rejected_requests_total. */
  readonly reason: string;
  readonly headers?: readonly string[];
  /** More fields for the JSON body. */
  readonly body?: Readonly<Record<string, string>>;
}

/**
 * A check before the cache (signed URLs, rate limits): undefined lets the request through. It may set headers on
 * `res` for a request it lets through (e.g. Set-Cookie); the response's own headers are written later.
 */
export type ViewerCheck = (req: IncomingMessage, path: string, query: string | undefined, behavior: CacheBehavior, res: ServerResponse) => Denial | undefined | Promise<Denial | undefined>;

export interface ViewerRoutesOptions {
  readonly edge: Edge;
  readonly behaviors: Behaviors;
  readonly edgeId: string;
  readonly checks?: readonly ViewerCheck[];
  /** Page origins allowed to read with credentials (cors.ts); then `edge.common` carries no Allow-Origin. */
  readonly corsOrigins?: readonly string[];
  /** Methods other than GET/HEAD that a behavior allows go here (absent: they are refused with 405). */
  readonly forward?: Forwarder;
  /** RFC 9111 §4.4 invalidation after an unsafe method. */
  readonly invalidate?: Invalidate;
}

/** The edge's own endpoints (Express): never a behavior's, whatever its pattern. */
const EDGE_OWN = /^\/(?:_edge(?:\/|$)|healthz$|metrics$|player(?:\/|$)|qoe(?:\/|$))/;

/**
 * True for the requests this handler owns; everything else goes to the Express app. GET/HEAD on /vod/ and /live/,
 * and any method on a path a configured behavior claims (routes.ts answers 405 itself for methods it does not allow),
 * except other methods on media paths whose behavior does not allow them (the Express app's 405 and preflight).
 */
export function isViewerRequest(req: IncomingMessage, behaviors?: Behaviors): boolean {
  const m = req.method ?? 'GET';
  const url = req.url ?? '';
  const isMedia = url.startsWith('/vod/') || url.startsWith('/live/');
  if (isMedia && (m === 'GET' || m === 'HEAD')) return true;
  if (!behaviors || !url.startsWith('/')) return false;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (EDGE_OWN.test(path) || !behaviors.claims(path)) return false;
  return !isMedia || isMethodAllowed(behaviors.match(path).allowedMethods, m);
}

export function createViewerHandler(opts: ViewerRoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { edge, behaviors } = opts;
  const checks = opts.checks ?? [];
  const loopMarker = `${opts.edgeId} (edgeline)`;
  const corsAllowed = opts.corsOrigins && opts.corsOrigins.length > 0 ? new Set(opts.corsOrigins) : undefined;

  const reject = (res: ServerResponse, startedAt: number, d: Denial): void => {
    edge.metrics.rejected.inc({ reason: d.reason });
    const bytes = deliverError(res, d, edge.common, d.headers, d.body);
    edge.metrics.cell('rejected', 'none').count(bytes, (performance.now() - startedAt) / 1000);
    edge.accessLog?.request({ status: d.status, reason: d.reason, outcome: 'rejected' });
  };
  const bad = (status: number, code: string, message: string, reason: string): Denial => ({ status, code, message, reason });

  const pass = (req: IncomingMessage, res: ServerResponse, startedAt: number, path: string, query: string | undefined, behavior: CacheBehavior): void => {
    const forward = opts.forward;
    if (!forward || !isMethodAllowed(behavior.allowedMethods, req.method ?? '')) {
      const allow = allowHeaderOf(behavior.allowedMethods);
      return reject(res, startedAt, { status: 405, code: 'EDGE_METHOD_NOT_ALLOWED', message: `${(req.method ?? '').slice(0, 16)} is not allowed here; use ${allow}`, reason: 'method', headers: ['Allow', allow] });
    }
    const forwardedQuery = cacheKeyOf(path, query, behavior.queryParams).slice(path.length + 1) || undefined;
    passToOrigin(req, res, path, forwardedQuery, behavior, { edge, forward, invalidate: opts.invalidate ?? (async () => undefined) }).then(
      ({ status, bytes }) => {
        edge.metrics.cell('bypass', 'origin').count(bytes, (performance.now() - startedAt) / 1000);
        edge.accessLog?.request({ method: req.method, path, status, outcome: 'bypass', bytes });
      },
      (err: unknown) => {
        edge.logger.error({ err, path }, 'pass to origin failed');
        // Under way already: deliverError cuts the response short instead.
        deliverError(res, { status: 500, code: 'EDGE_INTERNAL', message: 'internal error' }, edge.common);
      },
    );
  };

  const proceed = (req: IncomingMessage, res: ServerResponse, startedAt: number, path: string, query: string | undefined, behavior: CacheBehavior, range: RangeRequest): void => {
    if (!isCacheableMethod(req.method ?? 'GET')) return pass(req, res, startedAt, path, query, behavior);
    const h = req.headers;
    const isHead = req.method === 'HEAD';
    const isConditional = hasPreconditions(h);
    // The path and the query that reach the upstream; the key adds the behavior's headers and cookies to it.
    const upstreamPath = cacheKeyOf(path, query, behavior.queryParams);
    const x = newExchange({
      req,
      res,
      key: requestKeyOf(upstreamPath, behavior.keyHeaders, behavior.keyCookies, h),
      upstreamPath,
      behavior,
      isHead,
      range,
      canStream: !isHead && range.kind === 'none' && !isConditional,
      startedAt,
    });
    // CMCD is read only when the request carries it; the cache key and the upstream request never include it.
    const cmcd = cmcdReport(query, h);
    if (cmcd) {
      countCmcd(cmcd, edge.metrics.cmcd);
      x.cmcd = cmcd.log;
    }
    void runPipeline(x, edge);
  };

  /** Runs the checks from `i`; goes asynchronous only when a check does (rate limits with Redis). */
  const check = (i: number, req: IncomingMessage, res: ServerResponse, startedAt: number, path: string, query: string | undefined, behavior: CacheBehavior, range: RangeRequest): void => {
    for (; i < checks.length; i++) {
      const r = (checks[i] as ViewerCheck)(req, path, query, behavior, res);
      if (r === undefined) continue;
      if (r instanceof Promise) {
        const next = i + 1;
        r.then(
          (d) => (d ? reject(res, startedAt, d) : check(next, req, res, startedAt, path, query, behavior, range)),
          (err: unknown) => {
            edge.logger.error({ err }, 'viewer check failed');
            reject(res, startedAt, bad(500, 'EDGE_INTERNAL', 'internal error', 'check-failed'));
          },
        );
        return;
      }
      reject(res, startedAt, r);
      return;
    }
    proceed(req, res, startedAt, path, query, behavior, range);
  };

  return (req, res) => {
    const startedAt = performance.now();
    if (corsAllowed) {
      // Not part of the stored heads (edge.common leaves it out): one answer per requesting page.
      const cors = corsHeadersFor(corsAllowed, req.headers.origin);
      for (let i = 0; i < cors.length; i += 2) res.setHeader(cors[i] as string, cors[i + 1] as string);
    }
    edge.metrics.countViewerRequest(viewerKindOf(req.url ?? ''));
    const g = guardViewerRequest(req.url ?? '', req.headers, req.rawHeaders, req.method);
    if (!g.ok) return reject(res, startedAt, bad(400, 'EDGE_BAD_REQUEST', g.message, g.reason));
    // A request that already went through this edge is a shield loop: stop it (RFC 9110 §7.6.3, Via).
    const via = req.headers.via;
    if (via !== undefined && via.includes(loopMarker)) return reject(res, startedAt, bad(508, 'EDGE_LOOP', 'request loop: this edge is already in Via', 'loop'));
    // The origin's rule (core/http/range.ts): an invalid Range is ignored, several ranges get multipart/byteranges.
    const range = parseRange(req.method ?? 'GET', req.headers.range);
    const behavior = behaviors.match(g.path);
    if (checks.length === 0) proceed(req, res, startedAt, g.path, g.query, behavior, range);
    else check(0, req, res, startedAt, g.path, g.query, behavior, range);
  };
}
