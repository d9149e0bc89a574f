// Turns an upstream answer into a cache entry (or refreshes one after a 304), applying the behavior's lifetimes.
import { parseAge } from '../core/http/age.ts';
import { parseHttpDate } from '../core/http/http-date.ts';
import { decideStore, type CacheBehavior, type StoreDecision } from './behaviors.ts';
import { CacheEntry, headerValue, keptHeaders, strongEtagFor, type HeaderList, type RawHeaders, type Upstream } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The upstream's Age in ms (a shield's copy is already that old); 0 when absent or invalid. (An invalid Age should
 * make the object stale, RFC 9111 §5.1 and the cache test suite's age-parse-*; that rule belongs to the edge
 * pipeline's rework, so the old reading is kept here.)
 */
function upstreamAgeMs(h: RawHeaders): number {
  const age = parseAge(h['age']);
  return age.kind === 'valid' ? age.seconds * 1000 : 0;
}

export interface BuiltEntry {
  readonly decision: StoreDecision;
  /** Present when the decision is to store. */
  readonly entry: CacheEntry | undefined;
}

export function buildEntry(
  key: CacheKey,
  behavior: CacheBehavior,
  up: { readonly status: number; readonly headers: RawHeaders; readonly upstream: Upstream },
  body: Buffer,
  now: number,
  fillSeq: number,
  knownTargetDurationS: number | undefined,
): BuiltEntry {
  const h = up.headers;
  const decision = decideStore(
    behavior,
    { status: up.status, cacheControl: h['cache-control'], expires: h['expires'], date: one(h['date']), vary: one(h['vary']), body },
    now,
    knownTargetDurationS,
  );
  if (!decision.store) return { decision, entry: undefined };
  const headers = keptHeaders(h);
  const upstreamEtag = one(h['etag']);
  return {
    decision,
    entry: new CacheEntry({
      key,
      status: up.status,
      body,
      headers,
      etag: strongEtagFor(body, upstreamEtag),
      upstreamEtag: upstreamEtag && upstreamEtag.length <= 256 ? upstreamEtag : undefined,
      lastModifiedMs: parseHttpDate(headerValue(headers, 'Last-Modified')),
      storedAt: now - upstreamAgeMs(h),
      ttlMs: decision.ttlMs,
      staleWhileRevalidateMs: decision.staleWhileRevalidateMs,
      staleIfErrorMs: decision.staleIfErrorMs,
      fillSeq,
      upstream: up.upstream,
      targetDurationS: decision.targetDurationS ?? knownTargetDurationS,
    }),
  };
}

/**
 * After a 304 the stored object is fresh again: headers the 304 carries replace the stored ones
 * (RFC 9111 §4.3.4) and the lifetimes are recomputed from them. Undefined when the result may not be stored.
 */
export function refreshEntry(
  old: CacheEntry,
  behavior: CacheBehavior,
  up: { readonly headers: RawHeaders; readonly upstream: Upstream },
  now: number,
  fillSeq: number,
): CacheEntry | undefined {
  const fresh = keptHeaders(up.headers);
  const merged: Array<[string, string]> = old.headers.map(([k, v]) => [k, headerValue(fresh, k) ?? v]);
  for (const [k, v] of fresh) if (!merged.some(([mk]) => mk === k)) merged.push([k, v]);
  const headers: HeaderList = merged;
  const raw: RawHeaders = { ...up.headers };
  for (const [k, v] of headers) raw[k.toLowerCase()] = v;
  const decision = decideStore(
    behavior,
    { status: 200, cacheControl: up.headers['cache-control'] ?? raw['cache-control'], expires: up.headers['expires'] ?? raw['expires'], date: one(up.headers['date']), vary: one(up.headers['vary']), body: old.body },
    now,
  );
  if (!decision.store) return undefined;
  const newEtag = one(up.headers['etag']);
  return old.with({
    headers,
    upstreamEtag: newEtag ?? old.upstreamEtag,
    lastModifiedMs: parseHttpDate(headerValue(headers, 'Last-Modified')) ?? old.lastModifiedMs,
    storedAt: now - upstreamAgeMs(up.headers),
    ttlMs: decision.ttlMs,
    staleWhileRevalidateMs: decision.staleWhileRevalidateMs,
    staleIfErrorMs: decision.staleIfErrorMs,
    fillSeq,
    upstream: up.upstream,
    targetDurationS: decision.targetDurationS ?? old.targetDurationS,
  });
}
