// The only place that builds cache keys and the Redis key names derived from them.
import type { IncomingHttpHeaders } from 'node:http';
import type { QueryParamPolicy } from './behaviors.ts';
import { cookiesNamed } from './response-headers.ts';
import { digestOf, normalisedField, variantOf } from './vary.ts';

/** A cache key is the path plus the canonical query that reached the upstream: "/vod/a/720p/seg_1.ts". */
export type CacheKey = string;

/**
 * Never part of a key: CloudFront signature parameters (a signed URL differs per viewer and expiry, the object does
 * not) and CMCD (CTA-5004), which players attach to every request with per-request values.
 */
const NEVER_KEYED = new Set(['Expires', 'Signature', 'Key-Pair-Id', 'Policy', 'Hash-Algorithm', 'CMCD']);
const MAX_QUERY_PARAMS = 64;

/**
 * The key for a validated path and its raw query (without "?"). Query parameters are excluded unless the
 * behavior names them ('all' or a list); included ones are sorted so that `?b=1&a=2` and `?a=2&b=1` share a key.
 */
export function cacheKeyOf(path: string, rawQuery: string | undefined, policy: QueryParamPolicy): CacheKey {
  if (policy === 'none' || !rawQuery) return path;
  const wanted = policy === 'all' ? undefined : new Set(policy);
  const pairs: Array<[string, string]> = [];
  let n = 0;
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    if (++n > MAX_QUERY_PARAMS) break;
    if (NEVER_KEYED.has(name)) continue;
    if (wanted && !wanted.has(name)) continue;
    pairs.push([name, value]);
  }
  if (pairs.length === 0) return path;
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return `${path}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

/**
 * A key with a tag after its query: `/a?#h=…`, `/a?x=1#v=…`. '#' never occurs in a path or an encoded query, and
 * the '?' keeps the purge rule (a path matches itself and itself + '?…') true for every variant of the path.
 */
function withTag(key: CacheKey, tag: string, value: string): CacheKey {
  return `${key}${key.includes('?') ? '' : '?'}#${tag}=${digestOf(value)}`;
}

/** The key with the behavior's key headers and cookies (CloudFront's cache policy); the plain key when it has none. */
export function requestKeyOf(key: CacheKey, keyHeaders: readonly string[], keyCookies: readonly string[], h: IncomingHttpHeaders): CacheKey {
  if (keyHeaders.length === 0 && keyCookies.length === 0) return key;
  let s = '';
  for (const n of keyHeaders) s += `${n}=${normalisedField(h[n]) ?? '!'}\n`;
  if (keyCookies.length > 0) s += `cookie=${cookiesNamed(h.cookie, keyCookies) ?? '!'}`;
  return withTag(key, 'h', s);
}

/** Where one variant of a response that carries Vary is stored; the primary key holds the Vary spec. */
export function variantKeyOf(primary: CacheKey, names: readonly string[], h: IncomingHttpHeaders): CacheKey {
  return withTag(primary, 'v', variantOf(names, h));
}

/** The path part of a key (what invalidation paths are matched against). */
export function pathOfKey(key: CacheKey): string {
  const q = key.indexOf('?');
  return q < 0 ? key : key.slice(0, q);
}

/** Escape Redis glob metacharacters (SCAN MATCH, PSUBSCRIBE). */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Redis key and channel names under one prefix, so several deployments (or tests) share a Redis safely.
 * Redis Cluster: a multi-key command or script must keep its keys in one hash slot. An object and its metadata are one
 * value (cache-entry.ts encodes both), so objects spread freely over the slots; every key the purge scripts and the
 * invalidation status touch together shares the `{purge}` hash tag. (A prefix carrying its own `{tag}` puts every key
 * in one slot, which is also correct.)
 */
export class RedisKeys {
  readonly purgeSeq: string;
  readonly purgeLog: string;
  readonly purgeChannel: string;
  readonly fillChannel: string;

  constructor(readonly prefix: string) {
    this.purgeSeq = `${prefix}{purge}:seq`;
    this.purgeLog = `${prefix}{purge}:log`;
    this.purgeChannel = `${prefix}ch:purge`;
    this.fillChannel = `${prefix}ch:fill`;
  }

  object(key: CacheKey): string {
    return `${this.prefix}obj:${key}`;
  }

  /** The key back from an object's Redis name. */
  keyOfObject(redisKey: string): CacheKey {
    return redisKey.slice(`${this.prefix}obj:`.length);
  }

  /** SCAN pattern for every object whose key starts with `keyPrefix`. */
  objectsStartingWith(keyPrefix: string): string {
    return `${globEscape(this.object(keyPrefix))}*`;
  }

  lock(key: CacheKey): string {
    return `${this.prefix}lock:${key}`;
  }

  /** A fill in progress, for waiters on other edges: its id, head and end (fill-progress.ts). */
  fillMeta(key: CacheKey): string {
    return `${this.prefix}fill:${key}`;
  }

  /** The bytes so far of one fill (by id, so a later fill of the same key never mixes in). */
  fillBody(key: CacheKey, fillId: string): string {
    return `${this.prefix}fill:${key}:${fillId}:body`;
  }

  /**
   * Where an object's bytes land before the store script moves them to `object(key)` (`id` is unique per store). Not
   * under `obj:`, so a purge's SCAN never finds it.
   */
  staging(key: CacheKey, id: string): string {
    return `${this.prefix}staging:${key}:${id}`;
  }

  invalidation(id: string): string {
    return `${this.prefix}{purge}:inv:${id}`;
  }

  /** Heartbeat of one edge process: which purges it has applied. */
  edgeProcess(edgeId: string, instance: string): string {
    return `${this.prefix}{purge}:edgeproc:${edgeId}:${instance}`;
  }

  edgeProcesses(): string {
    return `${globEscape(`${this.prefix}{purge}:edgeproc:`)}*`;
  }
}
