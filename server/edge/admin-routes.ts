// Admin endpoints on the edge's Express app: invalidations behind a bearer token, CORS preflight for media.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { requireBearerToken } from '../core/bearer-token.ts';
import { NotFoundError } from '../core/errors.ts';
import { corsHeadersFor } from './cors.ts';
import { validateInvalidationPaths, type Invalidator } from './invalidation.ts';

export interface AdminRoutesOptions {
  readonly invalidator: Invalidator;
  readonly adminToken: string | undefined;
}

export function createAdminRouter(opts: AdminRoutesOptions): Router {
  const router = Router();
  const auth = requireBearerToken({
    expected: opts.adminToken,
    disabledCode: 'EDGE_ADMIN_DISABLED',
    disabledMessage: 'admin endpoints are disabled: start the edge with EDGE_ADMIN_TOKEN (--admin-token)',
    unauthorizedCode: 'EDGE_UNAUTHORIZED',
    realm: 'edgeline-admin',
  });
  router.post('/_edge/invalidations', auth, express.json({ limit: '256kb' }), async (req, res, next) => {
    try {
      const paths = validateInvalidationPaths(req.body);
      const { scope, record } = await opts.invalidator.submit(paths);
      const body = { id: record.id, status: 'InProgress', scope, paths: record.paths, createTime: new Date(record.at).toISOString() };
      if (scope === 'this-edge') {
        // Other edges cannot be told without Redis: say so rather than pretend the purge is global.
        res.status(503).set('Cache-Control', 'no-store').json({
          error: 'EDGE_PURGE_PARTIAL',
          message: 'Redis is unavailable: purged this edge process only; other edges were not reached',
          ...body,
        });
        return;
      }
      res.status(201).set('Cache-Control', 'no-store').location(`/_edge/invalidations/${record.id}`).json(body);
    } catch (err) {
      next(err);
    }
  });
  router.get('/_edge/invalidations/:id', auth, async (req, res, next) => {
    try {
      const id = String(req.params['id'] ?? '');
      const status = await opts.invalidator.status(id);
      if (!status) throw new NotFoundError(`no invalidation "${id.slice(0, 40)}" (unknown, older than a day, or Redis unavailable)`, 'EDGE_INVALIDATION_NOT_FOUND');
      res.set('Cache-Control', 'no-store').json(status);
    } catch (err) {
      next(err);
    }
  });
  return router;
}

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * CORS preflight for /vod and /live (Fetch standard): players send Range and CMCD-* headers. `corsOrigins` as the
 * edge's --cors-origin list (see cors.ts); empty: any page, without credentials.
 */
export function mediaPreflightFor(corsOrigins: readonly string[]): (req: Request, res: Response, next: NextFunction) => void {
  const allowed = corsOrigins.length > 0 ? new Set(corsOrigins) : undefined;
  return (req, res, next) => {
    if (req.method !== 'OPTIONS' || !/^\/(vod|live)\//.test(req.path)) {
      next();
      return;
    }
    const cors = corsHeadersFor(allowed, req.headers.origin);
    for (let i = 0; i < cors.length; i += 2) res.setHeader(cors[i] as string, cors[i + 1] as string);
    answerPreflight(req, res);
  };
}

/** CORS preflight for any page, without credentials. */
export const mediaPreflight = mediaPreflightFor([]);

function answerPreflight(req: Request, res: Response): void {
  res.setHeader('Allow', ALLOWED_METHODS);
  const asked = req.headers['access-control-request-headers'];
  res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  res.setHeader('Access-Control-Allow-Headers', typeof asked === 'string' && HEADER_LIST.test(asked.trim()) ? asked.trim() : 'Range, If-None-Match, If-Modified-Since, If-Range');
  res.setHeader('Access-Control-Max-Age', '86400');
  res.append('Vary', 'Access-Control-Request-Headers');
  res.status(204).end();
}

/** Anything but GET/HEAD/OPTIONS on media paths. */
export function mediaMethodNotAllowed(req: Request, res: Response, next: NextFunction): void {
  if (!/^\/(vod|live)\//.test(req.path)) {
    next();
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    // Only an absolute-form target ("GET http://host/vod/…", RFC 9112 §3.2.2) gets here: the viewer handler takes
    // origin-form ones. An edge is not a forward proxy, so the host in it is never trusted.
    res.status(400).set('Cache-Control', 'no-store').json({ error: 'EDGE_BAD_REQUEST', message: 'media requests must use an origin-form target (/vod/… or /live/…)' });
    return;
  }
  res.setHeader('Allow', ALLOWED_METHODS);
  res.status(405).set('Cache-Control', 'no-store').json({ error: 'EDGE_METHOD_NOT_ALLOWED', message: `${req.method.slice(0, 16)} is not allowed on media paths; use GET or HEAD` });
}
