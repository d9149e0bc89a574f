// Vary at lookup and store time: a spec under the primary key points to variants under their own keys (as Varnish does).
import type { CacheEntry } from './cache-entry.ts';
import { variantKeyOf } from './cache-key.ts';
import type { Edge, Exchange } from './exchange.ts';
import { isRetained, isUsableOnError, retentionMs } from './freshness.ts';
import type { CacheBehavior } from './behaviors.ts';
import type { RawHeaders } from './cache-entry.ts';
import { forwardedRequestHeaders, selectingVaryNames } from './response-headers.ts';
import { varyNamesOf } from './vary.ts';

/** The entry found under the primary key, or, when it is a Vary spec, this request's variant from memory. */
export function variantInMemory(x: Exchange, found: CacheEntry, edge: Edge): CacheEntry | undefined {
  if (!found.isVarySpec) return found;
  if (!isRetained(found, edge.clock())) {
    edge.memory.delete(found.key);
    return undefined;
  }
  x.varyNames = found.varyNames;
  x.variantKey = variantKeyOf(x.key, found.varyNames ?? [], asSent(x, found.varyNames ?? []));
  return edge.memory.get(x.variantKey);
}

/** The same through Redis: `read` gets one key (checked for retention and purges by the caller's rule). */
export async function variantShared(x: Exchange, found: CacheEntry, edge: Edge, read: (key: string) => Promise<CacheEntry | undefined>): Promise<CacheEntry | undefined> {
  if (!found.isVarySpec) return found;
  edge.memory.put(found);
  x.varyNames = found.varyNames;
  x.variantKey = variantKeyOf(x.key, found.varyNames ?? [], asSent(x, found.varyNames ?? []));
  return read(x.variantKey);
}

/** Does an upstream answer vary for this behavior (a Vary naming a field that reaches the upstream)? */
export function variesHere(headers: RawHeaders, behavior: CacheBehavior): boolean {
  const vary = headers['vary'];
  return vary !== undefined && selectingVaryNames(varyNamesOf(vary), behavior) !== undefined;
}

/** Can a waiter use what a collapsed fill stored? Not another variant of a response that varies. */
export function fitsRequest(x: Exchange, entry: CacheEntry): boolean {
  return !entry.varyNames || entry.key === variantKeyOf(x.key, entry.varyNames, asSent(x, entry.varyNames));
}

/**
 * The request's fields as the upstream would see them: a variant is what the origin answered to the fields it got, so
 * a field the behavior does not send on (Accept-Encoding on media paths) selects nothing.
 */
function asSent(x: Exchange, names: readonly string[]): Record<string, string> {
  return forwardedRequestHeaders(x.viewerHeaders, x.behavior, names);
}

/** Stores a Vary spec in memory and, off the viewer's path, in Redis. */
export function storeVarySpec(spec: CacheEntry, edge: Edge): void {
  edge.memory.put(spec);
  const redis = edge.redis;
  if (redis) edge.track(redis.put(spec, retentionMs(spec)));
}

/** An upstream 5xx while an expired copy is within stale-if-error: the copy answers instead (RFC 5861 §4). */
export function isStaleBetterThan(x: Exchange, status: number, now: number): boolean {
  return status >= 500 && x.expired !== undefined && isUsableOnError(x.expired, now);
}
