// Origin access control: edges sign each origin request with a shared secret (HMAC-SHA256); the origin verifies it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError } from './errors.ts';

export const ORIGIN_DATE_HEADER = 'x-edgeline-date';
export const ORIGIN_SIGNATURE_HEADER = 'x-edgeline-signature';
/** Clock difference tolerated between edge and origin, and so how long a captured request can be replayed. */
export const DEFAULT_MAX_SKEW_MS = 30_000;
/** Shorter secrets are guessable offline from one captured request. */
export const MIN_SECRET_LENGTH = 16;

export const ORIGIN_AUTH_REASONS = ['missing', 'malformed', 'bad-signature', 'stale', 'future'] as const;
export type OriginAuthReason = (typeof ORIGIN_AUTH_REASONS)[number];
export type OriginAuthResult = { readonly ok: true } | { readonly ok: false; readonly reason: OriginAuthReason };

/**
 * `ORIGIN_SECRET` may hold several comma-separated secrets for rotation: edges sign with the first, origins accept
 * any. Rotate by deploying "new,old" to origins, then "new" to edges, then "new" to origins.
 */
export type OriginSecret = string | readonly string[];

function secretsOf(secret: OriginSecret): string[] {
  const list = typeof secret === 'string' ? secret.split(',') : [...secret];
  return list.map((s) => s.trim()).filter(Boolean);
}

/** A problem with an ORIGIN_SECRET value, for config validation; undefined when it is usable. */
export function originSecretProblem(secret: OriginSecret): string | undefined {
  const list = secretsOf(secret);
  if (list.length === 0) return 'expected at least one secret';
  if (list.some((s) => s.length < MIN_SECRET_LENGTH)) return `each secret must be at least ${MIN_SECRET_LENGTH} characters`;
  return undefined;
}

export interface OriginRequestParts {
  readonly method: string;
  /** The request target exactly as sent on the wire: path plus query, still percent-encoded. */
  readonly path: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

function mac(secret: string, method: string, path: string, date: string): Buffer {
  // Newline-separated fields cannot run together: neither a method nor a request target may contain a newline.
  return createHmac('sha256', secret).update(`edgeline-origin-v1\n${method.toUpperCase()}\n${path}\n${date}`).digest();
}

/** Headers an edge adds to one origin request. */
export function signOriginRequest(secret: OriginSecret, req: OriginRequestParts): Record<string, string> {
  const first = secretsOf(secret)[0];
  if (first === undefined) throw new Error('ORIGIN_SECRET is empty');
  const date = String(Math.floor(req.now / 1000));
  return { [ORIGIN_DATE_HEADER]: date, [ORIGIN_SIGNATURE_HEADER]: `v1=${mac(first, req.method, req.path, date).toString('base64url')}` };
}

const DATE = /^\d{1,12}$/;
const SIGNATURE = /^v1=([A-Za-z0-9_-]{43})$/;

function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined | null {
  const v = headers[name];
  if (Array.isArray(v)) return v.length === 1 ? (v[0] ?? null) : null; // sent twice: ambiguous, refuse
  return v;
}

/**
 * Checks one request at the origin: signature first (constant-time, against every accepted secret), then the
 * clock, so "stale" and "future" are only said of requests an edge really signed.
 */
export function verifyOriginRequest(
  secret: OriginSecret,
  req: OriginRequestParts & { readonly headers: Readonly<Record<string, string | string[] | undefined>> },
  maxSkewMs = DEFAULT_MAX_SKEW_MS,
): OriginAuthResult {
  const date = header(req.headers, ORIGIN_DATE_HEADER);
  const signature = header(req.headers, ORIGIN_SIGNATURE_HEADER);
  if (date === undefined || signature === undefined) return { ok: false, reason: 'missing' };
  if (date === null || signature === null || !DATE.test(date)) return { ok: false, reason: 'malformed' };
  const m = SIGNATURE.exec(signature);
  if (!m) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(m[1] ?? '', 'base64url');
  let valid = false;
  // Every secret is tried (no early exit), so timing does not reveal which one matched.
  for (const s of secretsOf(secret)) valid = timingSafeEqual(given, mac(s, req.method, req.path, date)) || valid;
  if (!valid) return { ok: false, reason: 'bad-signature' };
  const skew = req.now - Number(date) * 1000;
  // The date has whole seconds, so a fresh request may look up to 1 s old; allow for it.
  if (skew > maxSkewMs + 1000) return { ok: false, reason: 'stale' };
  if (skew < -maxSkewMs) return { ok: false, reason: 'future' };
  return { ok: true };
}

export interface OriginAuthOptions {
  readonly secret: OriginSecret;
  readonly maxSkewMs?: number;
  readonly now?: () => number;
  /** Paths answered without a signature (exact match). Default: /healthz and /metrics, for probes and scrapers. */
  readonly exemptPaths?: readonly string[];
  /** Called once per refused request, e.g. to count it in /metrics. */
  readonly onReject?: (reason: OriginAuthReason, req: Request) => void;
}

/** Express middleware for the origin: 403 JSON `{ error: "ORIGIN_AUTH_FAILED", reason, message }` unless signed. */
export function originAuthMiddleware(opts: OriginAuthOptions): RequestHandler {
  const problem = originSecretProblem(opts.secret);
  if (problem) throw new Error(`ORIGIN_SECRET: ${problem}`);
  const secrets = secretsOf(opts.secret);
  const exempt = new Set(opts.exemptPaths ?? ['/healthz', '/metrics']);
  const now = opts.now ?? Date.now;
  const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  return (req: Request, res: Response, next: NextFunction) => {
    if (exempt.has(req.path)) return next();
    const result = verifyOriginRequest(secrets, { method: req.method, path: req.originalUrl, headers: req.headers, now: now() }, maxSkewMs);
    if (result.ok) return next();
    opts.onReject?.(result.reason, req);
    const err = new ForbiddenError(`origin requests must be signed by an edge (${result.reason})`, 'ORIGIN_AUTH_FAILED', { reason: result.reason });
    res.status(403).set('Cache-Control', 'no-store').json(err.toJSON());
  };
}
