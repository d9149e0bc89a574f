// One request through the edge as named steps, each returning the next step and what it needs (exchange.ts, Next):
// lookup → hit | stale | revalidate | miss | bypass → join → lock → upstream → received → (refresh | collect) → store
// → deliver, or fail. The fetch this request leads (fill-leader.ts) is closed once, in runPipeline's finally.
import { AppError, UpstreamError } from '../core/errors.ts';
import type { CacheTier } from './edge-metrics.ts';
import { CacheEntry } from './cache-entry.ts';
import { deliverBuffered, deliverEntry, deliverError, type ResponseSink, type XCache } from './deliver.ts';
import { buildEntry, refreshEntry } from './entry-builder.ts';
import { DONE, newExchange, type Answer, type Edge, type Exchange, type Fetched, type Next } from './exchange.ts';
import type { FillLeader } from './fill-leader.ts';
import { collapseAcrossEdges, followFill, lead, shareLater, sharedLookup, streamToViewer } from './fill.ts';
import { ageSeconds, freshnessOf, isRetained, isUsableOnError } from './freshness.ts';
import { answerDeadlineMs, withDeadline } from './answer-deadline.ts';
import type { Fill } from './collapsing.ts';
import { discardBody, type UpstreamResponse } from './origin-client.ts';
import { forwardedRequestHeaders } from './response-headers.ts';
import { fitsRequest, isStaleBetterThan, storeVarySpec, variantInMemory, variesHere } from './variants.ts';

export { Exchange, newExchange, type Edge, type ExchangeInit, type Next, type Step, type UpstreamFetcher } from './exchange.ts';

// The results that carry nothing but the next step's name, allocated once.
const LOOKUP: Next = { to: 'lookup' };
const LOOKUP_SHARED: Next = { to: 'lookupShared' };
const MISS: Next = { to: 'miss' };
const REVALIDATE: Next = { to: 'revalidate' };
const BYPASS: Next = { to: 'bypass' };
const JOIN: Next = { to: 'join' };
const UPSTREAM: Next = { to: 'upstream' };

/** Fresh → hit, within stale-while-revalidate → stale, else revalidate (validators) or miss. */
function judge(x: Exchange, e: CacheEntry, tier: CacheTier, now: number): Next {
  const f = freshnessOf(e, now);
  if (f !== 'expired') return { to: f === 'fresh' ? 'hit' : 'stale', entry: e, tier };
  x.expired = e;
  x.expiredTier = tier;
  return !e.isNegative && e.hasValidators ? REVALIDATE : MISS;
}

function lookup(x: Exchange, edge: Edge): Next {
  if (x.behavior.bypass) return BYPASS;
  const now = edge.clock();
  const found = edge.memory.get(x.key);
  const e = found && variantInMemory(x, found, edge);
  if (e) {
    if (isRetained(e, now)) return judge(x, e, 'memory', now);
    edge.memory.delete(e.key);
  }
  return edge.redis?.isAvailable ? LOOKUP_SHARED : MISS;
}

async function lookupShared(x: Exchange, edge: Edge): Promise<Next> {
  const e = await sharedLookup(x, edge);
  if (!e) return MISS;
  edge.memory.put(e);
  return judge(x, e, 'redis', edge.clock());
}

function hit(x: Exchange, entry: CacheEntry, tier: CacheTier): Next {
  x.outcome = 'hit';
  return { to: 'deliver', answer: { kind: 'entry', entry, tier } };
}

function stale(x: Exchange, edge: Edge, entry: CacheEntry, tier: CacheTier): Next {
  // RFC 5861 §3: answer with the stale copy now, refresh once in the background.
  x.outcome = 'stale';
  refreshLater(x, edge, entry, tier);
  return { to: 'deliver', answer: { kind: 'entry', entry, tier } };
}

function miss(x: Exchange, edge: Edge): Next {
  x.outcome = 'miss';
  // A cold segment: fetch the ones after it while the viewer waits for this one.
  if (x.res && edge.prefetch) edge.prefetch.onMiss(x);
  return JOIN;
}

/** Collapsing in this process: lead a new fill of the key, or wait for the one already under way. */
function join(x: Exchange, edge: Edge): Next | Promise<Next> {
  const running = edge.fills.get(x.key);
  if (!running) return { to: 'lock', leader: lead(x, edge, edge.fills.open(x.key)) };
  running.waiters++;
  edge.metrics.collapsedWaiters.inc({ scope: 'local' });
  return waitFor(running, x, edge);
}

async function waitFor(running: Fill, x: Exchange, edge: Edge): Promise<Next> {
  // A viewer waits for the upstream only so long: then the stale copy answers, or a 504 (answer-deadline.ts).
  const deadline = deadlineOf(x, edge);
  // A plain GET follows the leader's bytes as they arrive; others (Range, conditional, HEAD) need the object.
  let o = await withDeadline(x.canStream && x.res ? running.join() : running.outcome, deadline);
  if (o === 'late') return late(x, edge, deadline);
  if (o.kind === 'stream') {
    // A response that varies may be another variant: wait for the stored object and check it.
    if (!variesHere(o.body.headers, x.behavior)) return { to: 'deliver', answer: { kind: 'follow', body: o.body } };
    o = await withDeadline(running.outcome, deadline);
    if (o === 'late') return late(x, edge, deadline);
  }
  // Another variant of a response that varies is no answer for this request: fetch for ourselves.
  if (o.kind === 'entry' && fitsRequest(x, o.entry)) {
    if (o.revalidated) x.outcome = 'revalidated';
    return { to: 'deliver', answer: { kind: 'entry', entry: o.entry, tier: o.tier } };
  }
  if (o.kind === 'error') return { to: 'fail', error: o.error };
  // 'retry': nothing shareable; fetch for ourselves, uncollapsed.
  return UPSTREAM;
}

/** Collapsing across edges: take the key's lock in Redis, or follow the edge that holds it (fill.ts). */
function lock(x: Exchange, edge: Edge, leader: FillLeader): Next | Promise<Next> {
  return edge.remote ? lockAcrossEdges(x, edge, leader) : UPSTREAM;
}

async function lockAcrossEdges(x: Exchange, edge: Edge, leader: FillLeader): Promise<Next> {
  const deadline = deadlineOf(x, edge);
  const shared = await collapseAcrossEdges(x, edge, leader, deadline);
  if (shared === 'late') return late(x, edge, deadline);
  if (shared === undefined) return UPSTREAM;
  if (shared instanceof CacheEntry) {
    leader.settle({ kind: 'entry', entry: shared, tier: 'redis', revalidated: false });
    return { to: 'deliver', answer: { kind: 'entry', entry: shared, tier: 'redis' } };
  }
  // Another edge's fill, followed as it arrives: handled like an upstream answer from the Redis tier. A prefetch (no
  // viewer, canStream) streams too: viewers who join it get its bytes as they arrive.
  return x.canStream ? { to: 'deliver', answer: streamOf(shared, 'redis', leader, []) } : { to: 'collect', up: shared, leader, tier: 'redis' };
}

/** The fetch itself: from the shield or origin, with the expired copy's validators when there is one. */
async function upstream(x: Exchange, edge: Edge): Promise<Next> {
  // A bypass, or a waiter whose fill had nothing to share, leads a fetch of its own that no one joined.
  const leader = x.leader ?? lead(x, edge, undefined);
  const deadline = deadlineOf(x, edge);
  const validators = x.expired ? { etag: x.expired.upstreamEtag, lastModified: lastModifiedOf(x.expired) } : undefined;
  x.sentHeaders = forwardedRequestHeaders(x.viewerHeaders, x.behavior, x.varyNames);
  const fetching = edge.upstream.fetch(x.upstreamPath, validators, x.sentHeaders);
  try {
    const up = await withDeadline(fetching, deadline);
    if (up === 'late') {
      // The fill goes on without this viewer (it refreshes the cache for the next ones).
      handOver(x, edge, leader, fetching);
      return late(x, edge, deadline);
    }
    return { to: 'received', up, leader };
  } catch (err) {
    return { to: 'fail', error: upstreamFailure(x, err) };
  }
}

function received(x: Exchange, edge: Edge, up: UpstreamResponse, leader: FillLeader): Next {
  x.tier = up.upstream;
  if (isStaleBetterThan(x, up.status, edge.clock())) {
    // RFC 5861 §4: a 5xx within stale-if-error is answered with the stale copy.
    discardBody(up.body);
    return { to: 'fail', error: new UpstreamError('EDGE_ORIGIN_ERROR', 502, `upstream answered an error for ${x.key}`) };
  }
  if (up.status === 304) return { to: 'refresh', up, leader };
  return x.canStream ? { to: 'deliver', answer: streamOf(up, up.upstream, leader, []) } : { to: 'collect', up, leader, tier: up.upstream };
}

/** A 304 to a revalidation: the expired copy, refreshed with the answer's headers (RFC 9111 §4.3.4). */
function refresh(x: Exchange, edge: Edge, up: UpstreamResponse, leader: FillLeader): Next {
  up.body.resume();
  const refreshed = x.expired ? refreshEntry(x.expired, x.behavior, up, edge.clock(), leader.seq) : undefined;
  if (!refreshed) return { to: 'fail', error: new UpstreamError('EDGE_ORIGIN_ERROR', 502, `upstream answered 304 for ${x.key} but the refreshed object may not be cached`) };
  x.outcome = 'revalidated';
  return { to: 'store', leader, fetched: { kind: 'refreshed', entry: refreshed, tier: up.upstream } };
}

/** Range, conditional and HEAD requests (and background refreshes) need the whole object first. */
async function collect(x: Exchange, edge: Edge, up: UpstreamResponse, leader: FillLeader, tier: CacheTier): Promise<Next> {
  const it = up.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (err) {
      return { to: 'fail', error: new UpstreamError('EDGE_ORIGIN_BODY', 502, `upstream body failed for ${x.key}`, err) };
    }
    if (r.done) break;
    size += r.value.length;
    chunks.push(r.value);
    if (size > edge.maxObjectBytes) {
      // Too large to hold: stream it whole instead (RFC 9110 §14.2 lets a server ignore Range).
      leader.settle({ kind: 'retry' });
      return { to: 'deliver', answer: { kind: 'stream', up, tier, leader, body: it, prefix: chunks } };
    }
  }
  return { to: 'store', leader, fetched: { kind: 'body', up, body: Buffer.concat(chunks, size), tier, delivered: false } };
}

function store(x: Exchange, edge: Edge, fetched: Fetched, leader: FillLeader): Next {
  const { tier } = fetched;
  let entry: CacheEntry | undefined;
  let spec: CacheEntry | undefined;
  // Not stored (uncacheable, a bypass, or purged meanwhile): the answer is this request's alone.
  let uncached: Answer | undefined;
  if (fetched.kind === 'body') {
    const { up, body } = fetched;
    const built = buildEntry(x.key, x.behavior, up, body, edge.clock(), leader.seq, x.expired?.targetDurationS, x.sentHeaders);
    entry = built.entry;
    spec = built.spec;
    uncached = { kind: 'buffered', status: up.status, headers: up.headers, tier, body };
  } else {
    entry = fetched.entry;
  }
  const delivered = fetched.kind === 'body' && fetched.delivered;
  // A purge that arrived while this fill was in flight wins: do not put the old object back.
  const isPurged = entry !== undefined && edge.purges.purgedSinceEpoch(x.key, leader.epoch);
  if (entry && !isPurged && x.outcome !== 'bypass') {
    if (spec) storeVarySpec(spec, edge);
    edge.memory.put(entry);
    leader.settle({ kind: 'entry', entry, tier, revalidated: x.outcome === 'revalidated' });
    shareLater(x, entry, edge, leader);
    x.served = entry;
    return delivered ? DONE : { to: 'deliver', answer: { kind: 'entry', entry, tier } };
  }
  leader.settle({ kind: 'retry' });
  if (delivered) return DONE;
  if (entry) uncached = { kind: 'buffered', status: entry.status, headers: Object.fromEntries(entry.headers.map(([k, v]) => [k.toLowerCase(), v])), tier, body: entry.body };
  return uncached ? { to: 'deliver', answer: uncached } : { to: 'fail', error: new UpstreamError('EDGE_ORIGIN_ERROR', 502, `no response for ${x.key}`) };
}

function deliver(x: Exchange, edge: Edge, a: Answer): Next | Promise<Next> {
  if (a.kind === 'stream') return streamToViewer(x, edge, a);
  if (a.kind === 'follow') return followFill(x, edge, a.body);
  x.tier = a.tier;
  if (a.kind === 'entry') x.served = a.entry;
  const res = x.res;
  if (!res || !x.req) return DONE;
  if (a.kind === 'buffered') {
    x.status = a.status;
    x.bytes = deliverBuffered(res, a.status, a.headers, a.body, edge.common, x.outcome === 'bypass' ? 'BYPASS' : 'MISS', a.tier, x.behavior.stripResponseHeaders);
    return DONE;
  }
  const xcache: XCache = x.outcome === 'hit' ? 'HIT' : x.outcome === 'stale' ? 'STALE' : x.outcome === 'revalidated' ? 'REVALIDATED' : 'MISS';
  const written = deliverEntry(res, x.req.headers, a.entry, { common: edge.common, xcache, tier: a.tier, ageS: ageSeconds(a.entry, edge.clock()), range: x.range });
  // node:http sends no body for HEAD: count what went out.
  x.bytes = x.isHead ? 0 : written;
  x.status = res.statusCode;
  if (a.tier === 'redis' && x.bytes > 0) holdWhileSending(res, edge.sending.hold(a.entry));
  return DONE;
}

/** Keeps a Redis read on offer to the key's next viewers until this response is over (sending-objects.ts). */
function holdWhileSending(res: ResponseSink, release: () => void): void {
  if (res.closed) release();
  else res.on('close', release);
}

function fail(x: Exchange, edge: Edge, err: AppError): Next {
  x.leader?.settle({ kind: 'error', error: err });
  // RFC 5861 §4: within stale-if-error, a stale copy beats an error.
  if (x.expired && isUsableOnError(x.expired, edge.clock())) return staleOnError(x, x.expired);
  x.outcome = 'error';
  if (x.res) {
    x.status = err.status;
    x.bytes = deliverError(x.res, err, edge.common);
  }
  edge.logger.warn({ key: x.key, code: err.code, err: err.message }, 'upstream failed and no stale copy may answer');
  return DONE;
}

function staleOnError(x: Exchange, expired: CacheEntry): Next {
  x.outcome = 'stale';
  return { to: 'deliver', answer: { kind: 'entry', entry: expired, tier: x.expiredTier ?? 'memory' } };
}

function streamOf(up: UpstreamResponse, tier: CacheTier, leader: FillLeader, prefix: readonly Buffer[]): Answer {
  return { kind: 'stream', up, tier, leader, body: up.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>, prefix };
}

/** Runs the step `n` names with what it carries. */
function step(x: Exchange, edge: Edge, n: Next): Next | Promise<Next> {
  switch (n.to) {
    case 'lookup':
      return lookup(x, edge);
    case 'lookupShared':
      return lookupShared(x, edge);
    case 'hit':
      return hit(x, n.entry, n.tier);
    case 'stale':
      return stale(x, edge, n.entry, n.tier);
    case 'revalidate':
      x.outcome = 'miss';
      return JOIN;
    case 'miss':
      return miss(x, edge);
    case 'bypass':
      x.outcome = 'bypass';
      return UPSTREAM;
    case 'join':
      return join(x, edge);
    case 'lock':
      return lock(x, edge, n.leader);
    case 'upstream':
      return upstream(x, edge);
    case 'received':
      return received(x, edge, n.up, n.leader);
    case 'refresh':
      return refresh(x, edge, n.up, n.leader);
    case 'collect':
      return collect(x, edge, n.up, n.leader, n.tier);
    case 'store':
      return store(x, edge, n.fetched, n.leader);
    case 'deliver':
      return deliver(x, edge, n.answer);
    case 'fail':
      return fail(x, edge, n.error);
    case 'done':
      return DONE;
  }
}

function upstreamFailure(x: Exchange, err: unknown): AppError {
  return err instanceof AppError ? err : new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, `upstream failed for ${x.key}`, err);
}

/** When this viewer stops waiting for the upstream (performance.now() time), or undefined: no viewer waits, or no bound. */
function deadlineOf(x: Exchange, edge: Edge): number | undefined {
  if (!x.res) return undefined;
  const hasStaleCopy = x.expired !== undefined && isUsableOnError(x.expired, edge.clock());
  const ms = answerDeadlineMs(x.behavior, hasStaleCopy, x.expired?.targetDurationS);
  return ms === undefined ? undefined : x.startedAt + ms;
}

/**
 * Past the deadline: the expired copy answers if it may stand in for an error (stale-if-error, RFC 5861 §4; a
 * stalled upstream is one), else a 504 now rather than after the upstream's own timeouts.
 */
function late(x: Exchange, edge: Edge, deadline: number | undefined): Next {
  if (x.expired && isUsableOnError(x.expired, edge.clock())) return staleOnError(x, x.expired);
  const waited = deadline === undefined ? 0 : Math.round(deadline - x.startedAt);
  return { to: 'fail', error: new UpstreamError('EDGE_ORIGIN_TIMEOUT', 504, `the upstream did not answer ${x.key} within ${waited} ms`) };
}

/** The viewer gave up on the fetch it leads: a background exchange takes the fetch's leader and finishes the fill. */
function handOver(x: Exchange, edge: Edge, leader: FillLeader, fetching: Promise<UpstreamResponse>): void {
  const bg = newExchange({ req: undefined, res: undefined, key: x.key, upstreamPath: x.upstreamPath, viewerHeaders: x.viewerHeaders, behavior: x.behavior, isHead: false, range: { kind: 'none' }, canStream: false, startedAt: performance.now() });
  bg.expired = x.expired;
  bg.expiredTier = x.expiredTier;
  bg.varyNames = x.varyNames;
  bg.sentHeaders = x.sentHeaders;
  bg.outcome = x.outcome;
  bg.leader = leader;
  x.leader = undefined;
  edge.track(
    fetching.then(
      (up) => runPipeline(bg, edge, { to: 'received', up, leader }),
      (err: unknown) => runPipeline(bg, edge, { to: 'fail', error: upstreamFailure(bg, err) }),
    ),
  );
}

function lastModifiedOf(e: CacheEntry): string | undefined {
  for (const [k, v] of e.headers) if (k === 'Last-Modified') return v;
  return undefined;
}

/** One background refresh per key (collapsed with any fill already running). */
function refreshLater(x: Exchange, edge: Edge, entry: CacheEntry, tier: CacheTier): void {
  if (edge.fills.get(x.key)) return;
  const bg = newExchange({ req: undefined, res: undefined, key: x.key, upstreamPath: x.upstreamPath, viewerHeaders: x.viewerHeaders, behavior: x.behavior, isHead: false, range: { kind: 'none' }, canStream: false, startedAt: performance.now() });
  bg.expired = entry;
  bg.expiredTier = tier;
  const work = runPipeline(bg, edge, entry.hasValidators ? REVALIDATE : MISS);
  if (work) edge.track(work);
}

/** Runs the steps from `from`; synchronous as long as every step is (a memory hit never awaits). */
export function runPipeline(x: Exchange, edge: Edge, from: Next = LOOKUP): Promise<void> | undefined {
  let n = from;
  try {
    while (n.to !== 'done') {
      const r = step(x, edge, n);
      if (r instanceof Promise) return continueAsync(r, x, edge);
      n = r;
    }
  } catch (err) {
    crashed(x, edge, err);
  }
  finish(x, edge);
  return undefined;
}

async function continueAsync(pending: Promise<Next>, x: Exchange, edge: Edge): Promise<void> {
  try {
    let n = await pending;
    while (n.to !== 'done') n = await step(x, edge, n);
  } catch (err) {
    crashed(x, edge, err);
  } finally {
    finish(x, edge);
  }
}

function crashed(x: Exchange, edge: Edge, err: unknown): void {
  edge.logger.error({ err, key: x.key }, 'edge pipeline failed');
  x.outcome = 'error';
  if (!x.res) return;
  // A response already under way can only be cut short (deliverError does so).
  if (!x.res.headersSent) x.status = 500;
  x.bytes = deliverError(x.res, { status: 500, code: 'EDGE_INTERNAL', message: 'internal error' }, edge.common);
}

/** Whatever happened: the fetch this request led is closed (its fill settled, its lock let go), the request counted and logged once. */
function finish(x: Exchange, edge: Edge): void {
  x.leader?.close();
  if (!x.res) return;
  if (x.served && edge.prefetch) edge.prefetch.afterDelivery(x);
  const seconds = (performance.now() - x.startedAt) / 1000;
  edge.metrics.cell(x.outcome, x.outcome === 'error' ? 'none' : x.tier).count(x.bytes, seconds);
  edge.accessLog?.request({ method: x.isHead ? 'HEAD' : 'GET', key: x.key, status: x.status, outcome: x.outcome, tier: x.tier, bytes: x.bytes, ms: Math.round(seconds * 10_000) / 10, cmcd: x.cmcd });
}
