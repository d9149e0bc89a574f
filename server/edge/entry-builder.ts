// Turns an upstream answer into a cache entry (or refreshes one after a 304), applying the behavior's lifetimes.
import type { IncomingHttpHeaders } from 'node:http';
import { parseAge } from '../core/http/age.ts';
import { parseHttpDate } from '../core/http/http-date.ts';
import { decideStore, type CacheBehavior, type StoreDecision } from './behaviors.ts';
import { CacheEntry, headerValue, strongEtagFor, type HeaderList, type RawHeaders, type Upstream } from './cache-entry.ts';
import { variantKeyOf, type CacheKey } from './cache-key.ts';
import { retentionMs } from './freshness.ts';
import { selectingVaryNames, storableHeaders } from './response-headers.ts';
import { varyNamesOf } from './vary.ts';

const DAY = 86_400_000;
const NOT_UPDATED_BY_304 = new Set(['Content-Encoding', 'Content-Md5', 'Content-Range', 'Content-Length']);

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

interface UpstreamAnswer {
  readonly headers: RawHeaders;
  readonly upstream: Upstream;
  /** When the request went out on the real clock (RFC 9111 §4.2.3 request_time; the upstream's clock is real too). */
  readonly requestedAt?: number | undefined;
  readonly respondedAt?: number | undefined;
  readonly surrogateControl?: string | undefined;
}

/**
 * RFC 9111 §4.2.3 corrected_initial_age, in ms: the larger of the apparent age (receipt − Date, whole seconds) and
 * Age + the response delay, both on the real clock as the upstream's are (the edge's own clock may be a test's). `undefined` for an invalid Age (several values, a list, not
 * digits): §5.1 / the cache test suite's age-parse-* say such a response is to be taken as stale.
 */
export function initialAgeMs(h: RawHeaders, requestedAt: number | undefined, respondedAt: number = Date.now()): number | undefined {
  const realNow = respondedAt;
  const age = parseAge(h['age']);
  if (age.kind === 'invalid') return undefined;
  const date = parseHttpDate(one(h['date']), realNow);
  const apparent = date === undefined ? 0 : Math.max(0, Math.floor((realNow - date) / 1000) * 1000);
  const corrected = (age.kind === 'valid' ? age.seconds * 1000 : 0) + (requestedAt === undefined ? 0 : Math.max(0, realNow - requestedAt));
  return Math.max(apparent, corrected);
}

export interface BuiltEntry {
  readonly decision: StoreDecision;
  /** Present when the decision is to store. */
  readonly entry: CacheEntry | undefined;
  /** When the response carries Vary: the spec to store under the primary key (the entry lives under a variant key). */
  readonly spec: CacheEntry | undefined;
}

/** A copy with validators is kept this long past its stale windows, to be revalidated (at most a day, or max TTL). */
function keepMsFor(behavior: CacheBehavior, hasValidators: boolean): number {
  return hasValidators ? Math.min(behavior.maxTtlMs, DAY) : 0;
}

export function buildEntry(
  key: CacheKey,
  behavior: CacheBehavior,
  up: UpstreamAnswer & { readonly status: number },
  body: Buffer,
  now: number,
  fillSeq: number,
  knownTargetDurationS: number | undefined,
  /** The viewer's fields as sent upstream (response-headers.ts): Authorization, and what selects a variant. */
  sentHeaders: IncomingHttpHeaders = {},
): BuiltEntry {
  const h = up.headers;
  const decision = decideStore(
    behavior,
    { status: up.status, cacheControl: h['cache-control'], expires: h['expires'], date: one(h['date']), vary: h['vary'], body, authorized: sentHeaders['authorization'] !== undefined, surrogateControl: up.surrogateControl },
    now,
    knownTargetDurationS,
  );
  if (!decision.store) return { decision, entry: undefined, spec: undefined };
  const headers = storableHeaders(h, behavior.stripResponseHeaders);
  const rawEtag = one(h['etag']);
  const upstreamEtag = rawEtag && rawEtag.length <= 256 ? rawEtag : undefined;
  const lastModifiedMs = parseHttpDate(headerValue(headers, 'Last-Modified'));
  const age = initialAgeMs(h, up.requestedAt, up.respondedAt);
  const varyNames = selectingVaryNames(varyNamesOf(h['vary']), behavior);
  const lifetime = {
    // An invalid Age: stale at once (still revalidatable).
    storedAt: now - (age ?? decision.ttlMs),
    ttlMs: decision.ttlMs,
    staleWhileRevalidateMs: decision.staleWhileRevalidateMs,
    staleIfErrorMs: decision.staleIfErrorMs,
    revalidateKeepMs: up.status === 200 ? keepMsFor(behavior, upstreamEtag !== undefined || lastModifiedMs !== undefined) : 0,
  };
  if (retentionMs(lifetime) <= 0) return { decision: { store: false, reason: 'ttl-0' }, entry: undefined, spec: undefined };
  const entry = new CacheEntry({
    key: varyNames ? variantKeyOf(key, varyNames, sentHeaders) : key,
    status: up.status,
    body,
    headers,
    etag: strongEtagFor(body, upstreamEtag),
    upstreamEtag,
    lastModifiedMs,
    ...lifetime,
    fillSeq,
    upstream: up.upstream,
    targetDurationS: decision.targetDurationS ?? knownTargetDurationS,
    varyNames,
  });
  const spec = varyNames ? varySpecOf(key, entry) : undefined;
  return { decision, entry, spec };
}

/** The Vary spec for a primary key: no body, the variant's lifetime (status 0 marks it, see CacheEntry.isVarySpec). */
export function varySpecOf(key: CacheKey, variant: CacheEntry): CacheEntry {
  return new CacheEntry({
    key,
    status: 0,
    body: Buffer.alloc(0),
    headers: [],
    etag: '""',
    upstreamEtag: undefined,
    lastModifiedMs: undefined,
    storedAt: variant.storedAt,
    ttlMs: variant.ttlMs,
    staleWhileRevalidateMs: variant.staleWhileRevalidateMs,
    staleIfErrorMs: variant.staleIfErrorMs,
    revalidateKeepMs: variant.revalidateKeepMs,
    fillSeq: variant.fillSeq,
    upstream: variant.upstream,
    targetDurationS: undefined,
    varyNames: variant.varyNames,
  });
}

/**
 * After a 304 the stored object is fresh again: headers the 304 carries replace the stored ones
 * (RFC 9111 §4.3.4) and the lifetimes are recomputed from them. Undefined when the result may not be stored.
 */
export function refreshEntry(old: CacheEntry, behavior: CacheBehavior, up: UpstreamAnswer, now: number, fillSeq: number): CacheEntry | undefined {
  // A 304 describes the stored representation: it cannot change its coding, digest or range (RFC 9111 §3.2).
  const fresh = storableHeaders(up.headers, behavior.stripResponseHeaders).filter(([k]) => !NOT_UPDATED_BY_304.has(k));
  // Every field the 304 carries replaces all stored lines of that field; the others stay (§3.2).
  const updated = new Set(fresh.map(([k]) => k));
  const headers: HeaderList = [...old.headers.filter(([k]) => !updated.has(k)), ...fresh];
  const raw: RawHeaders = {};
  for (const [k, v] of headers) {
    const lower = k.toLowerCase();
    const prev = raw[lower];
    raw[lower] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const decision = decideStore(
    behavior,
    { status: old.status, cacheControl: raw['cache-control'], expires: raw['expires'], date: one(raw['date']), vary: raw['vary'], body: old.body, surrogateControl: up.surrogateControl },
    now,
  );
  if (!decision.store) return undefined;
  const newEtag = one(up.headers['etag']);
  const age = initialAgeMs(up.headers, up.requestedAt, up.respondedAt);
  return old.with({
    headers,
    upstreamEtag: newEtag ?? old.upstreamEtag,
    lastModifiedMs: parseHttpDate(headerValue(headers, 'Last-Modified')) ?? old.lastModifiedMs,
    storedAt: now - (age ?? decision.ttlMs),
    ttlMs: decision.ttlMs,
    staleWhileRevalidateMs: decision.staleWhileRevalidateMs,
    staleIfErrorMs: decision.staleIfErrorMs,
    revalidateKeepMs: keepMsFor(behavior, true),
    fillSeq,
    upstream: up.upstream,
    targetDurationS: decision.targetDurationS ?? old.targetDurationS,
  });
}
