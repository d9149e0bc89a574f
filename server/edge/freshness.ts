// Pure freshness rules: is a stored object fresh, stale but usable, or expired? (RFC 9111 §4.2, RFC 5861)

/** The timing a stored object carries; every value in milliseconds, times from the injected clock. */
export interface Lifetime {
  /** When the object had age 0 (receipt time minus any Age the upstream reported). */
  readonly storedAt: number;
  readonly ttlMs: number;
  readonly staleWhileRevalidateMs: number;
  readonly staleIfErrorMs: number;
  /** How long past its stale windows a copy with validators is kept to be revalidated (a 304 makes it fresh again). */
  readonly revalidateKeepMs?: number | undefined;
}

/**
 * fresh: serve as is. stale: serve now and refresh in the background (stale-while-revalidate).
 * expired: must be revalidated or fetched before use; may still answer when the upstream fails (stale-if-error).
 */
export type Freshness = 'fresh' | 'stale' | 'expired';

export function ageMs(l: Lifetime, now: number): number {
  return Math.max(0, now - l.storedAt);
}

/** Whole seconds for the Age header (RFC 9111 §5.1). */
export function ageSeconds(l: Lifetime, now: number): number {
  return Math.floor(ageMs(l, now) / 1000);
}

export function freshnessOf(l: Lifetime, now: number): Freshness {
  const age = ageMs(l, now);
  if (age < l.ttlMs) return 'fresh';
  if (age < l.ttlMs + l.staleWhileRevalidateMs) return 'stale';
  return 'expired';
}

/** May this object answer when the upstream is failing? (RFC 5861 §4) */
export function isUsableOnError(l: Lifetime, now: number): boolean {
  return ageMs(l, now) < l.ttlMs + l.staleIfErrorMs;
}

/**
 * How long a tier keeps the object: fresh plus the longer stale window, so it can still be served stale or
 * revalidated with a conditional request.
 */
export function retentionMs(l: Pick<Lifetime, 'ttlMs' | 'staleWhileRevalidateMs' | 'staleIfErrorMs' | 'revalidateKeepMs'>): number {
  return l.ttlMs + Math.max(l.staleWhileRevalidateMs, l.staleIfErrorMs, l.revalidateKeepMs ?? 0);
}

/** Past its retention: treat as absent. */
export function isRetained(l: Lifetime, now: number): boolean {
  return ageMs(l, now) < retentionMs(l);
}
