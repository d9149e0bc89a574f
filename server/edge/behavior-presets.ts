// Named sets of cache behaviors for `--behaviors-preset`: ready-made policies for common kinds of origin.
import { BEHAVIOR_DEFAULTS, type CacheBehavior } from './behaviors.ts';

const DAY = 86_400_000;

/**
 * follow-origin: a general web origin behind the edge, as nginx or Varnish would front it. Every path, every method
 * (others than GET/HEAD pass through uncached and invalidate, RFC 9111 §4.4), lifetimes only from the origin's
 * headers (min 0, default 0, max 365 days), errors cached only when the origin says so, every query parameter and
 * every end-to-end request header sent on, every response header kept (Set-Cookie too: the origin marks what is
 * private). Stale copies answer for 60 s when the origin fails. /healthz, /metrics, /_edge/ stay the edge's own.
 */
export const FOLLOW_ORIGIN: readonly CacheBehavior[] = [
  {
    ...BEHAVIOR_DEFAULTS,
    pathPattern: '/*',
    minTtlMs: 0,
    defaultTtlMs: 0,
    maxTtlMs: 365 * DAY,
    staleIfErrorMs: 60_000,
    negativeTtlMs: 0,
    errorTtlMs: { clientError: 0, serverError: 0 },
    queryParams: 'all',
    allowedMethods: 'all',
    originRequestHeaders: 'all',
    stripResponseHeaders: [],
  },
];

export const BEHAVIOR_PRESETS: Readonly<Record<string, readonly CacheBehavior[]>> = { 'follow-origin': FOLLOW_ORIGIN };
