// POST /qoe (player beacons -> Prometheus metrics + recent sessions) and GET /qoe/sessions (admin token), for any role to mount.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { AppError, BadRequestError, NotFoundError, PayloadTooLargeError } from '../errors.ts';
import { requireBearerToken } from '../bearer-token.ts';
import { rootLogger, type Logger } from '../log.ts';
import type { Role } from '../metrics.ts';
import { BEACON_MAX_BYTES, beaconSchema } from './beacon-schema.ts';
import { createQoeMetrics, type BeaconResult, type QoeMetrics } from './qoe-metrics.ts';
import { RateLimiter, rateLimitClientId } from '../rate-limiter.ts';
import { SessionStore, type SessionRecord } from './session-store.ts';

export interface QoeRouterOptions {
  /** The role's registry (served at its /metrics); metrics are named hls_<role>_qoe_…. */
  readonly registry: Registry;
  readonly role: Role;
  readonly logger?: Logger;
  readonly maxBodyBytes?: number;
  /** Per client address; beacons come every few seconds per session, so the default leaves room for many tabs. */
  readonly rateLimit?: { readonly burst: number; readonly perSecond: number };
  /**
   * Bearer token for reading sessions (GET /qoe/sessions…): the role's admin token. Sessions name what viewers watched
   * and from where; without a token configured they are readable by no one (403). Beacons need none.
   */
  readonly readToken: string | undefined;
  /** The setting that holds it, for the 403 message: "EDGE_ADMIN_TOKEN (--admin-token)". */
  readonly readTokenSetting: string;
  /** Pass one to read sessions from elsewhere (tests, `edgeline compare` in-process). */
  readonly store?: SessionStore;
  /**
   * Metrics declared ahead of the router (createQoeMetrics on `registry`, counting `store`'s sessions): the edge
   * declares them at startup, so dashboards see them from the first scrape, and builds the router when first needed.
   */
  readonly metrics?: QoeMetrics;
  readonly now?: () => number;
}

export interface QoeRouter {
  readonly router: Router;
  readonly store: SessionStore;
  readonly metrics: QoeMetrics;
}

const SWEEP_EVERY_MS = 1_000;

class TooManyRequestsError extends AppError {
  constructor(message: string, retryAfterS: number) {
    super('QOE_RATE_LIMITED', 429, message, { details: { retryAfterS } });
  }
}

function bodyParserType(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const type = (err as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

function toJson(s: SessionRecord): SessionRecord & { firstSeenAt: string; lastSeenAt: string } {
  return { ...s, firstSeenAt: new Date(s.firstSeenAtMs).toISOString(), lastSeenAt: new Date(s.lastSeenAtMs).toISOString() };
}

export function createQoeRouter(opts: QoeRouterOptions): QoeRouter {
  const now = opts.now ?? Date.now;
  const logger = (opts.logger ?? rootLogger).child({ component: 'qoe' });
  const store = opts.store ?? new SessionStore({ now });
  const metrics = opts.metrics ?? createQoeMetrics(opts.registry, opts.role, () => store.size);
  // Beacons are decided in this process: the same token bucket as the edge's viewer limits, without the Redis tier.
  const limiter = new RateLimiter({ burst: opts.rateLimit?.burst ?? 60, ratePerSecond: opts.rateLimit?.perSecond ?? 10, maxLocalClients: 10_000, now });
  const maxBodyBytes = opts.maxBodyBytes ?? BEACON_MAX_BYTES;
  // sendBeacon() with a string body sends text/plain; accept it so pages need no CORS preflight either way.
  const parseJson = express.json({ limit: maxBodyBytes, type: ['application/json', 'text/plain'], strict: true });
  let lastSweepMs = -Infinity;

  const sweep = (): void => {
    const t = now();
    if (t - lastSweepMs < SWEEP_EVERY_MS) return;
    lastSweepMs = t;
    for (const s of store.sweep()) metrics.recordFinal(s);
  };
  const reject = (result: BeaconResult, err: AppError, next: NextFunction): void => {
    metrics.beacons.inc({ type: 'unknown', result });
    next(err);
  };

  const router = Router();
  router.post(
    '/qoe',
    (req: Request, res: Response, next: NextFunction) => {
      res.set('Cache-Control', 'no-store');
      const decision = limiter.takeLocal(rateLimitClientId(req.ip ?? req.socket.remoteAddress ?? 'unknown'));
      if (!decision.allowed) {
        res.set('Retry-After', String(decision.retryAfterSeconds));
        reject('rate_limited', new TooManyRequestsError(`too many QoE beacons from this client; retry in ${decision.retryAfterSeconds} s`, decision.retryAfterSeconds), next);
        return;
      }
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBodyBytes) {
        reject('too_large', new PayloadTooLargeError(`QoE beacon of ${declared} bytes exceeds the ${maxBodyBytes}-byte limit`, 'QOE_BEACON_TOO_LARGE'), next);
        return;
      }
      next();
    },
    (req: Request, res: Response, next: NextFunction) => {
      parseJson(req, res, (err?: unknown) => {
        if (err === undefined || err === null) return next();
        const type = bodyParserType(err);
        if (type === 'entity.too.large') reject('too_large', new PayloadTooLargeError(`QoE beacon exceeds the ${maxBodyBytes}-byte limit`, 'QOE_BEACON_TOO_LARGE'), next);
        else reject('invalid', new BadRequestError(`QoE beacon is not valid JSON: ${(err as Error).message}`, 'QOE_INVALID_JSON'), next);
      });
    },
    (req: Request, res: Response, next: NextFunction) => {
      if (!req.is(['application/json', 'text/plain'])) {
        reject('invalid', new AppError('QOE_UNSUPPORTED_MEDIA_TYPE', 415, `QoE beacon must be application/json, got "${req.headers['content-type'] ?? ''}"`), next);
        return;
      }
      const parsed = beaconSchema.safeParse(req.body);
      if (!parsed.success) {
        const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
        reject('invalid', new BadRequestError(`QoE beacon does not match schema v1: ${issues.join('; ')}`, 'QOE_INVALID_BEACON', { issues }), next);
        return;
      }
      sweep();
      const result = store.apply(parsed.data);
      metrics.beacons.inc({ type: parsed.data.type, result: result.status });
      if (result.status === 'accepted') metrics.record(result);
      logger.debug({ sessionId: parsed.data.sessionId, type: parsed.data.type, seq: parsed.data.seq, status: result.status }, 'qoe beacon');
      res.status(204).end();
    },
  );

  const canRead = requireBearerToken({
    expected: opts.readToken,
    disabledCode: 'QOE_SESSIONS_DISABLED',
    disabledMessage: `QoE sessions are readable only with the admin token: set ${opts.readTokenSetting}`,
    unauthorizedCode: 'QOE_UNAUTHORIZED',
    realm: 'edgeline-qoe',
  });
  const noStore = (_req: Request, res: Response, next: NextFunction): void => {
    res.set('Cache-Control', 'no-store');
    next();
  };

  router.get('/qoe/sessions', noStore, canRead, (req: Request, res: Response, next: NextFunction) => {
    sweep();
    const q = req.query;
    const arm = typeof q['arm'] === 'string' && q['arm'] !== '' ? q['arm'] : undefined;
    const since = typeof q['since'] === 'string' ? Number(q['since']) : undefined;
    const limit = typeof q['limit'] === 'string' ? Number(q['limit']) : 100;
    if (since !== undefined && !Number.isFinite(since)) return next(new BadRequestError(`since "${String(q['since'])}" must be a time in ms since the epoch`));
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return next(new BadRequestError(`limit "${String(q['limit'])}" must be an integer from 1 to 1000`));
    const sessions = store.list({ arm, sinceMs: since, limit });
    res.set('Cache-Control', 'no-store').json({ count: sessions.length, stored: store.size, sessions: sessions.map(toJson) });
  });

  router.get('/qoe/sessions/:id', noStore, canRead, (req: Request, res: Response, next: NextFunction) => {
    sweep();
    const id = String(req.params['id']);
    const s = store.get(id);
    if (!s) return next(new NotFoundError(`no QoE session "${id.slice(0, 64)}"`, 'QOE_SESSION_NOT_FOUND'));
    res.set('Cache-Control', 'no-store').json(toJson(s));
  });

  return { router, store, metrics };
}
