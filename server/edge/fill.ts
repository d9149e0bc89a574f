// A fill: the upstream answer for one key, streamed to its first viewer while kept, and shared with other edges.
import type { ServerResponse } from 'node:http';
import { UpstreamError } from '../core/errors.ts';
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import { streamHead, type XCache } from './deliver.ts';
import type { Edge, Exchange, Next } from './exchange.ts';
import { freshnessOf, isRetained, retentionMs } from './freshness.ts';
import { discardBody, type UpstreamResponse } from './origin-client.ts';
import { variantShared } from './variants.ts';

/** A copy from Redis, unless it is past retention or a purge newer than its fill matches it. */
async function sharedRead(key: CacheKey, edge: Edge): Promise<CacheEntry | undefined> {
  if (!edge.redis) return undefined;
  const e = await edge.redis.get(key);
  if (!e || !isRetained(e, edge.clock()) || edge.purges.purgedSinceSeq(key, e.fillSeq)) return undefined;
  return e;
}

/** The exchange's copy from Redis (its variant, when a Vary spec is stored under its key). */
export async function sharedLookup(x: Exchange, edge: Edge): Promise<CacheEntry | undefined> {
  const e = await sharedRead(x.key, edge);
  return e ? variantShared(x, e, edge, (k) => sharedRead(k, edge)) : undefined;
}

/**
 * The cross-edge half of collapsing: take the key's lock in Redis, or, when another edge holds it, wait for its
 * "stored" notice (registered before trying the lock, so it cannot slip by) and read the object from Redis.
 */
export async function collapseAcrossEdges(x: Exchange, edge: Edge): Promise<CacheEntry | undefined> {
  const redis = edge.redis;
  const remote = edge.remote;
  if (!redis || !remote || !redis.isAvailable) return undefined;
  const wait = remote.prepareWait(x.key);
  try {
    const lock = await redis.acquireLock(x.key, edge.lockTtlMs);
    if (lock !== 'held') {
      x.lockHeld = lock === 'acquired';
      return undefined;
    }
    edge.metrics.collapsedWaiters.inc({ scope: 'remote' });
    // Only a fresh copy ends the wait: a stale one is what a refresh is trying to replace.
    const usable = (e: CacheEntry | undefined): CacheEntry | undefined => (e && freshnessOf(e, edge.clock()) === 'fresh' ? e : undefined);
    // Stored between our miss and the lock attempt?
    let shared = usable(await sharedLookup(x, edge));
    if (!shared && (await wait.result) === 'stored') shared = usable(await sharedLookup(x, edge));
    if (shared) edge.memory.put(shared);
    return shared;
  } finally {
    wait.cancel();
  }
}

/** Redis store, then the "stored" notice for other edges, then unlock — off the viewer's path. */
export function shareLater(x: Exchange, entry: CacheEntry, edge: Edge): void {
  const redis = edge.redis;
  if (!redis) return;
  const lockHeld = x.lockHeld;
  x.lockHeld = false;
  // The lock and the notice are the exchange's key (a variant is stored under its own key, vary.ts).
  const key = x.key;
  edge.track(
    (async () => {
      const r = await redis.put(entry, retentionMs(entry));
      if (r === 'purged') edge.logger.debug({ key: entry.key }, 'store refused: purged while the fill was in flight');
      if (lockHeld) {
        await edge.remote?.notify(key, r === 'stored' ? 'stored' : 'failed');
        await redis.releaseLock(key);
      }
    })(),
  );
}

export function releaseLater(x: Exchange, edge: Edge, notice: 'failed'): void {
  if (!x.lockHeld || !edge.redis) return;
  x.lockHeld = false;
  const redis = edge.redis;
  edge.track(
    (async () => {
      await edge.remote?.notify(x.key, notice);
      await redis.releaseLock(x.key);
    })(),
  );
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * A miss streams to its viewer while the bytes are kept for the store (the viewer does not wait for the store).
 * Past the object bound it stops keeping them and honours the viewer's backpressure instead.
 */
export async function streamToViewer(x: Exchange, edge: Edge, prefix: Buffer[]): Promise<Next> {
  const up = x.upstream as UpstreamResponse;
  const res = x.res;
  const it = x.bodyIter ?? (up.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  x.bodyIter = undefined;
  x.status = up.status;
  const xcache: XCache = x.outcome === 'bypass' ? 'BYPASS' : 'MISS';
  let keep = x.outcome !== 'bypass' && prefix.length === 0;
  if (!keep) x.fill?.settle({ kind: 'retry' });
  const chunks: Buffer[] = [];
  let size = 0;
  const viewerGone = (): boolean => !res || res.destroyed;
  if (res && !res.destroyed) streamHead(res, up.status, up.headers, edge.common, xcache, x.tier, x.behavior.stripResponseHeaders);
  if (x.isHead) keep = false;
  const send = async (chunk: Buffer): Promise<void> => {
    if (!res || res.destroyed || x.isHead) return;
    x.bytes += chunk.length;
    if (!res.write(chunk) && !keep) await drained(res);
  };
  for (const c of prefix) await send(c);
  try {
    for (;;) {
      if (!keep && (viewerGone() || x.isHead)) {
        // Nobody to send to and nothing to keep: stop reading.
        discardBody(up.body);
        break;
      }
      const r = await it.next();
      if (r.done) break;
      if (keep) {
        size += r.value.length;
        if (size > edge.maxObjectBytes) {
          keep = false;
          chunks.length = 0;
          x.fill?.settle({ kind: 'retry' });
        } else {
          chunks.push(r.value);
        }
      }
      await send(r.value);
    }
  } catch (err) {
    // The upstream failed mid-body: headers are gone, so the viewer's response can only be cut short.
    edge.logger.warn({ key: x.key, err: (err as Error).message }, 'upstream body failed while streaming');
    res?.destroy();
    x.upstream = undefined;
    x.delivered = true;
    x.error = new UpstreamError('EDGE_ORIGIN_BODY', 502, `upstream body failed for ${x.key}`, err);
    x.fill?.settle({ kind: 'error', error: x.error });
    releaseLater(x, edge, 'failed');
    return 'done';
  }
  if (res && !res.destroyed) res.end();
  x.delivered = true;
  if (!keep) {
    x.upstream = undefined;
    x.fill?.settle({ kind: 'retry' });
    releaseLater(x, edge, 'failed');
    return 'done';
  }
  x.body = Buffer.concat(chunks, size);
  return 'store';
}
