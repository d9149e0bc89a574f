// How long an error answer is kept when its origin gave it no lifetime: CloudFront's ErrorCachingMinTTL per status class.

export interface ErrorCaching {
  /** 404 and 410: the negative TTL (a missing object is the common, cheap case). */
  readonly negativeTtlMs: number;
  readonly errorTtlMs: { readonly clientError: number; readonly serverError: number };
}

/** Statuses a cache may store without explicit freshness (RFC 9110 §15.1, "heuristically cacheable"). */
const HEURISTIC = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

export function isHeuristicallyCacheable(status: number): boolean {
  return HEURISTIC.has(status);
}

/** Statuses whose caching rules this edge implements (RFC 9110 §15): what must-understand asks about (RFC 9111 §5.2.2.3). */
const UNDERSTOOD = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 400, 403, 404, 405, 410, 414, 500, 501, 502, 503, 504]);

export function isUnderstoodStatus(status: number): boolean {
  return UNDERSTOOD.has(status);
}

export function isErrorStatus(status: number): boolean {
  return status >= 400 && status <= 599;
}

/**
 * The TTL of an error the origin said nothing about: 404/410 the negative TTL, 401/403/407 none, other 4xx and 5xx
 * their class's TTL.
 * A live playlist's 404 lasts one target duration when it is known (the next window may have the object).
 */
export function errorTtlMs(status: number, rules: ErrorCaching, targetDurationMs?: number): number {
  if (status === 404 || status === 410) return targetDurationMs ?? rules.negativeTtlMs;
  // A refusal of this edge (a wrong origin secret) or of credentials says nothing about the object: kept only when
  // the origin gives it a lifetime.
  if (status === 401 || status === 403 || status === 407) return 0;
  if (status >= 500) return rules.errorTtlMs.serverError;
  return rules.errorTtlMs.clientError;
}
