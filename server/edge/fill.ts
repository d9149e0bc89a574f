// A fill: the upstream answer for one key, streamed to its first viewer while kept, and shared with other edges.
import { UpstreamError } from '../core/errors.ts';
import { decideStore } from './behaviors.ts';
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import { SharedBody, type Fill } from './collapsing.ts';
import { initialAgeMs } from './entry-builder.ts';
import { StreamedResponse, type XCache } from './deliver.ts';
import { DONE, type Answer, type Edge, type Exchange, type Next } from './exchange.ts';
import { FillLeader } from './fill-leader.ts';
import { FillPublisher, followRemoteFill } from './fill-progress.ts';
import { freshnessOf, isRetained, retentionMs } from './freshness.ts';
import { discardBody, type UpstreamResponse } from './origin-client.ts';
import { variantShared, variesHere } from './variants.ts';

/** How often a follower on another edge reads on when no notice arrived (a notice lost across a reconnect). */
const FOLLOW_POLL_MS = 250;

/** A copy from Redis, unless it is past retention or a purge newer than its fill matches it. */
async function sharedRead(key: CacheKey, edge: Edge): Promise<CacheEntry | undefined> {
  if (!edge.redis) return undefined;
  // An object a response is still sending is the one Redis holds, or an older copy still fresh (sending-objects.ts).
  const out = edge.sending.get(key);
  const reuse = out && freshnessOf(out, edge.clock()) === 'fresh' ? out : undefined;
  const e = reuse ?? (await edge.redis.get(key));
  if (!e || !isRetained(e, edge.clock()) || edge.purges.purgedSinceSeq(key, e.fillSeq)) return undefined;
  if (reuse) edge.metrics.sharedSends.inc();
  return e;
}

/** The exchange's copy from Redis (its variant, when a Vary spec is stored under its key). */
export async function sharedLookup(x: Exchange, edge: Edge): Promise<CacheEntry | undefined> {
  const e = await sharedRead(x.key, edge);
  return e ? variantShared(x, e, edge, (k) => sharedRead(k, edge)) : undefined;
}

/**
 * The cross-edge half of collapsing: take the key's lock in Redis, or, when another edge holds it, follow that edge's
 * fill: its bytes as they arrive (fill-progress.ts), or the stored object. The watch is registered before trying the
 * lock, so a notice published in between cannot slip by. Undefined: fetch for ourselves (with the lock if we got it).
 */
export async function collapseAcrossEdges(x: Exchange, edge: Edge, leader: FillLeader, deadline: number | undefined): Promise<CacheEntry | UpstreamResponse | 'late' | undefined> {
  const redis = edge.redis;
  const remote = edge.remote;
  if (!redis || !remote || !redis.isAvailable) return undefined;
  const watch = remote.watch(x.key);
  let following = false;
  try {
    const lock = await redis.acquireLock(x.key, edge.lockTtlMs);
    if (lock.kind !== 'held') {
      if (lock.kind === 'acquired') leader.holdLock(lock.token);
      return undefined;
    }
    edge.metrics.collapsedWaiters.inc({ scope: 'remote' });
    // Only a fresh copy ends the wait: a stale one is what a refresh is trying to replace.
    const usable = (e: CacheEntry | undefined): CacheEntry | undefined => (e && freshnessOf(e, edge.clock()) === 'fresh' ? e : undefined);
    // Stored between our miss and the lock attempt?
    let shared = usable(await sharedLookup(x, edge));
    if (!shared) {
      // The viewer's deadline (answer-deadline.ts) bounds the wait for the other edge's first bytes, not --collapse-wait.
      const left = deadline === undefined ? Infinity : Math.max(0, deadline - performance.now());
      const headWaitMs = Math.min(remote.waitMs, left);
      const r = await followRemoteFill({ redis, keys: redis.keys, key: x.key, fillId: lock.holder, watch, waitMs: remote.waitMs, headWaitMs, pollMs: FOLLOW_POLL_MS, clock: Date.now });
      if (r.kind === 'timeout' && headWaitMs < remote.waitMs) return 'late';
      if (r.kind === 'stream') {
        // A response that varies may be another variant than this request's: fetch for ourselves instead of following.
        if (variesHere(r.head.headers, x.behavior)) {
          r.body.destroy();
          return undefined;
        }
        following = true;
        leader.followsRemote = true;
        return { status: r.head.status, headers: r.head.headers, body: r.body, upstream: r.head.upstream, baseUrl: 'redis' };
      }
      if (r.kind === 'stored') shared = usable(await sharedLookup(x, edge));
    }
    if (shared) edge.memory.put(shared);
    return shared;
  } finally {
    // A follower's watch is cancelled when its body ends.
    if (!following) watch.cancel();
  }
}

/** Opens the fetch this exchange leads (fill-leader.ts): runPipeline's finally closes it. */
export function lead(x: Exchange, edge: Edge, fill: Fill | undefined): FillLeader {
  const leader = new FillLeader(x.key, fill, edge.purges.epoch, edge.purges.appliedSeq, (key, token) => {
    const redis = edge.redis;
    if (!redis) return;
    edge.track(
      (async () => {
        await edge.remote?.notify(key, 'failed');
        await redis.releaseLock(key, token);
      })(),
    );
  });
  x.leader = leader;
  return leader;
}

/** Redis store, then the "stored" notice for other edges, then unlock — off the viewer's path. */
export function shareLater(x: Exchange, entry: CacheEntry, edge: Edge, leader: FillLeader): void {
  const redis = edge.redis;
  // A copy of another edge's fill: that edge stores it in Redis.
  if (!redis || leader.followsRemote) return;
  const lockToken = leader.passLock();
  // The lock and the notice are the exchange's key (a variant is stored under its own key, vary.ts).
  const key = x.key;
  edge.track(
    (async () => {
      const r = await redis.put(entry, retentionMs(entry));
      if (r === 'purged') edge.logger.debug({ key: entry.key }, 'store refused: purged while the fill was in flight');
      if (lockToken !== undefined) {
        await edge.remote?.notify(key, r === 'stored' ? 'stored' : 'failed');
        await redis.releaseLock(key, lockToken);
      }
    })(),
  );
}

/** The head of an upstream answer may be shared with waiters while it streams: a 200 the behavior would store. */
function isShareableHead(x: Exchange, edge: Edge, up: UpstreamResponse): boolean {
  const { status, headers: h } = up;
  if (status !== 200) return false;
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const length = one(h['content-length']);
  if (length !== undefined && Number(length) > edge.maxObjectBytes) return false;
  const d = decideStore(x.behavior, { status, cacheControl: h['cache-control'], expires: h['expires'], date: one(h['date']), vary: one(h['vary']) }, edge.clock());
  if (!d.store) return false;
  // Stale on arrival (its Age already past its lifetime): not to be reused, so no request may follow it either.
  const age = initialAgeMs(h, up.requestedAt, up.respondedAt);
  return age !== undefined && age < d.ttlMs;
}

/**
 * A miss streams to its viewer while the bytes are kept for the store (the viewer does not wait for the store), and
 * to every request that joined the fill: here through a SharedBody, on other edges through Redis (fill-progress.ts).
 * Past the object bound it stops keeping them and honours the viewer's backpressure instead.
 */
export async function streamToViewer(x: Exchange, edge: Edge, a: Extract<Answer, { kind: 'stream' }>): Promise<Next> {
  const { up, leader, body: it } = a;
  const out = new StreamedResponse(x.res, x.isHead);
  x.status = up.status;
  x.tier = a.tier;
  const xcache: XCache = x.outcome === 'bypass' ? 'BYPASS' : 'MISS';
  let keep = x.outcome !== 'bypass' && a.prefix.length === 0 && !x.isHead;
  if (!keep) leader.settle({ kind: 'retry' });
  // Followers take the bytes as they arrive: in this process, and on other edges when this one holds the lock.
  let shared: SharedBody | undefined;
  let publisher: FillPublisher | undefined;
  if (keep && leader.fill && isShareableHead(x, edge, up)) {
    shared = new SharedBody(up.status, up.headers, a.tier);
    leader.stream(shared);
    const token = leader.lockToken;
    if (token !== undefined && edge.redis && edge.remote) {
      publisher = new FillPublisher(edge.redis, edge.redis.keys, edge.remote.channel, x.key, token, edge.lockTtlMs);
      publisher.head({ status: up.status, headers: up.headers, upstream: up.upstream });
    }
  }
  const chunks: Buffer[] = [];
  let size = 0;
  out.head(up.status, up.headers, edge.common, xcache, a.tier, x.behavior.stripResponseHeaders);
  for (const c of a.prefix) await out.write(c, true);
  try {
    for (;;) {
      if (!keep && (out.isGone || x.isHead) && (shared?.followers ?? 0) === 0) {
        // Nobody to send to and nothing to keep: stop reading.
        discardBody(up.body);
        shared?.abort();
        break;
      }
      const r = await it.next();
      if (r.done) break;
      if (keep) {
        size += r.value.length;
        if (size > edge.maxObjectBytes) {
          keep = false;
          chunks.length = 0;
          leader.settle({ kind: 'retry' });
          shared?.release();
          publisher?.end('aborted');
          publisher = undefined;
        } else {
          chunks.push(r.value);
        }
      }
      shared?.push(r.value);
      publisher?.chunk(r.value);
      await out.write(r.value, !keep);
    }
  } catch (err) {
    // The upstream failed mid-body: headers are gone, so the viewer's response can only be cut short.
    edge.logger.warn({ key: x.key, err: (err as Error).message }, 'upstream body failed while streaming');
    shared?.abort();
    publisher?.end('aborted');
    out.cut();
    x.bytes = out.bytes;
    leader.settle({ kind: 'error', error: new UpstreamError('EDGE_ORIGIN_BODY', 502, `upstream body failed for ${x.key}`, err) });
    return DONE;
  }
  shared?.end();
  publisher?.end('done');
  out.end();
  x.bytes = out.bytes;
  if (!keep) return DONE;
  return { to: 'store', leader, fetched: { kind: 'body', up, body: Buffer.concat(chunks, size), tier: a.tier, delivered: true } };
}

/**
 * A request that joined a fill under way in this process: the leader's bytes from offset 0, then as they arrive.
 * Every chunk is written as soon as it is there, without waiting for the socket to drain: the SharedBody keeps each
 * chunk until the fill ends whatever the follower does, so waiting would save no memory, and the socket's queue holds
 * the same Buffers (no copy) and sends what piled up in one writev. Waiting cost each follower a listener pair, a
 * promise and an event-loop turn per chunk: with a herd of followers in one process, that work delayed the leader's
 * own reading of the upstream, which every follower waits on.
 */
export async function followFill(x: Exchange, edge: Edge, body: SharedBody): Promise<Next> {
  const out = new StreamedResponse(x.res);
  x.tier = body.tier;
  x.status = body.status;
  if (out.isGone) return DONE;
  body.followers++;
  try {
    out.head(body.status, body.headers, edge.common, 'MISS', body.tier, x.behavior.stripResponseHeaders);
    let i = 0;
    for (;;) {
      i = out.writeFrom(body.chunks, i);
      if (out.isGone) break;
      if (body.state === 'done') {
        out.end();
        break;
      }
      if (body.state === 'aborted') {
        // The leader's upstream failed mid-body: like the leader's own viewer, the response is cut short.
        out.cut();
        break;
      }
      await body.next();
    }
  } finally {
    body.followers--;
    x.bytes = out.bytes;
  }
  return DONE;
}
