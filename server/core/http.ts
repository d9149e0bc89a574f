// createApp(): the Express shell every role shares — request id, one log line per request, /healthz, /metrics, errors.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { isAppError } from './errors.ts';
import { hasDuplicateHost } from './host-header.ts';
import { healthAnswer, trackRequest, type HealthReport } from './http-basics.ts';
import type { Logger } from './log.ts';
import type { HttpMetrics } from './metrics.ts';

export type { HealthReport } from './http-basics.ts';

export interface AppShellOptions {
  readonly role: string;
  readonly logger: Logger;
  readonly metrics: HttpMetrics;
  readonly health?: () => Promise<HealthReport> | HealthReport;
}

declare module 'express-serve-static-core' {
  interface Locals {
    reqId?: string;
  }
}

/** Request targets longer than this are answered 414 by every role. */
export const MAX_URL_CHARS = 8192;

export function createApp(opts: AppShellOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Routes compute their own strong validators; Express's default hashes every body.
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    // req.path is read when the response finishes, as Express leaves it after routing.
    res.locals.reqId = trackRequest(req, res, opts, () => req.path);
    next();
  });

  // RFC 9112 §3.2: a request with more than one Host field line is answered 400 (which one would a cache key use?).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!hasDuplicateHost(req)) return next();
    res.status(400).set('Cache-Control', 'no-store').json({ error: 'DUPLICATE_HOST', message: 'a request must carry exactly one Host header (RFC 9112 §3.2)' });
  });

  // Longer targets are refused before any route parses them (CloudFront's own limit is 8,192 bytes); the header
  // limit of listen() bounds the whole request head regardless.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.url.length <= MAX_URL_CHARS) return next();
    res.status(414).set('Cache-Control', 'no-store').json({ error: 'URI_TOO_LONG', message: `request target must be at most ${MAX_URL_CHARS} characters (RFC 9110 §15.5.15)` });
  });

  app.get('/healthz', async (_req, res, next) => {
    try {
      const { status, body } = await healthAnswer(opts.role, opts.health);
      res.status(status).set('Cache-Control', 'no-store').json(body);
    } catch (err) {
      next(err);
    }
  });

  app.get('/metrics', async (_req, res, next) => {
    try {
      res.set('Content-Type', opts.metrics.registry.contentType).set('Cache-Control', 'no-store');
      res.send(await opts.metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  return app;
}

/** Last handlers: JSON 404 for unknown paths, and the one place errors become responses. */
export function finishApp(app: Express, logger: Logger): Express {
  app.use((req: Request, res: Response) => {
    res.status(404).set('Cache-Control', 'no-store').json({ error: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const reqId = res.locals.reqId;
    if (isAppError(err)) {
      if (err.status >= 500) logger.warn({ reqId, code: err.code, err }, err.message);
      if (!res.headersSent) res.status(err.status).set('Cache-Control', 'no-store').json(err.toJSON());
      else res.destroy();
      return;
    }
    // Body-parser and similar errors carry a status; anything else is a bug.
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) logger.error({ reqId, err, path: req.path }, 'unhandled error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).set('Cache-Control', 'no-store').json({
      error: status >= 500 ? 'INTERNAL' : 'BAD_REQUEST',
      message: status >= 500 ? 'internal error' : (err as Error).message,
    });
  });
  return app;
}
