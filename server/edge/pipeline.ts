// One request through the edge as named steps: lookup → hit | stale | revalidate | miss | bypass → fetch → deliver → store.
import { AppError, UpstreamError } from '../core/errors.ts';
import type { CacheTier } from './edge-metrics.ts';
import { CacheEntry } from './cache-entry.ts';
import { deliverBuffered, deliverEntry, deliverError, type XCache } from './deliver.ts';
import { buildEntry, refreshEntry } from './entry-builder.ts';
import { newExchange, type Edge, type Exchange, type Next, type Step, type StepFn } from './exchange.ts';
import { collapseAcrossEdges, followFill, releaseLater, shareLater, sharedLookup, streamToViewer } from './fill.ts';
import { ageSeconds, freshnessOf, isRetained, isUsableOnError } from './freshness.ts';
import { answerDeadlineMs, withDeadline } from './answer-deadline.ts';
import { discardBody, type UpstreamResponse } from './origin-client.ts';
import { forwardedRequestHeaders } from './response-headers.ts';
import { fitsRequest, isStaleBetterThan, storeVarySpec, variantInMemory, variesHere } from './variants.ts';

export { Exchange, newExchange, type Edge, type ExchangeInit, type Step, type UpstreamFetcher } from './exchange.ts';

/** Fresh → hit, within stale-while-revalidate → stale, else revalidate (validators) or miss. */
function judge(x: Exchange, e: CacheEntry, tier: CacheTier, now: number): Next {
  const f = freshnessOf(e, now);
  if (f !== 'expired') {
    x.entry = e;
    x.tier = tier;
    return f === 'fresh' ? 'hit' : 'stale';
  }
  x.expired = e;
  x.expiredTier = tier;
  return !e.isNegative && e.hasValidators ? 'revalidate' : 'miss';
}

const steps: Record<Step, StepFn> = {
  lookup(x, edge) {
    if (x.behavior.bypass) return 'bypass';
    const now = edge.clock();
    const found = edge.memory.get(x.key);
    const e = found && variantInMemory(x, found, edge);
    if (e) {
      if (isRetained(e, now)) return judge(x, e, 'memory', now);
      edge.memory.delete(e.key);
    }
    return edge.redis?.isAvailable ? 'lookupShared' : 'miss';
  },

  async lookupShared(x, edge) {
    const e = await sharedLookup(x, edge);
    if (!e) return 'miss';
    edge.memory.put(e);
    return judge(x, e, 'redis', edge.clock());
  },

  hit(x) {
    x.outcome = 'hit';
    return 'deliver';
  },

  stale(x, edge) {
    // RFC 5861 §3: answer with the stale copy now, refresh once in the background.
    x.outcome = 'stale';
    if (x.entry) refreshLater(x.entry, x, edge);
    return 'deliver';
  },

  revalidate(x) {
    x.outcome = 'miss';
    return 'fetch';
  },

  miss(x, edge) {
    x.outcome = 'miss';
    // A cold segment: fetch the ones after it while the viewer waits for this one.
    if (x.res && edge.prefetch) edge.prefetch.onMiss(x);
    return 'fetch';
  },

  bypass(x) {
    x.outcome = 'bypass';
    return 'fetch';
  },

  async fetch(x, edge) {
    // A viewer waits for the upstream only so long: then the stale copy answers, or a 504 (answer-deadline.ts).
    const deadline = x.res ? deadlineOf(x, edge) : undefined;
    if (x.outcome !== 'bypass') {
      const running = edge.fills.get(x.key);
      if (running) {
        // Collapsed: wait for the fill already under way in this process.
        running.waiters++;
        edge.metrics.collapsedWaiters.inc({ scope: 'local' });
        // A plain GET follows the leader's bytes as they arrive; others (Range, conditional, HEAD) need the object.
        let o = await withDeadline(x.canStream && x.res ? running.join() : running.outcome, deadline);
        if (o === 'late') return late(x, edge, deadline);
        if (o.kind === 'stream') {
          // A response that varies may be another variant: wait for the stored object and check it.
          if (!variesHere(o.body.headers, x.behavior)) return followFill(x, edge, o.body);
          o = await withDeadline(running.outcome, deadline);
          if (o === 'late') return late(x, edge, deadline);
        }
        // Another variant of a response that varies is no answer for this request: fetch for ourselves.
        if (o.kind === 'entry' && fitsRequest(x, o.entry)) {
          x.entry = o.entry;
          x.tier = o.tier;
          if (o.revalidated) x.outcome = 'revalidated';
          return 'deliver';
        }
        if (o.kind === 'error') {
          x.error = o.error;
          return 'fail';
        }
        // 'retry': nothing shareable; fetch for ourselves, uncollapsed.
      } else {
        x.fill = edge.fills.open(x.key);
      }
    }
    x.fillEpoch = edge.purges.epoch;
    x.fillSeq = edge.purges.appliedSeq;
    if (x.fill && edge.remote) {
      const shared = await collapseAcrossEdges(x, edge, deadline);
      if (shared === 'late') return late(x, edge, deadline);
      if (shared && !(shared instanceof CacheEntry)) {
        // Another edge's fill, followed as it arrives: handled like an upstream answer from the Redis tier.
        x.upstream = shared;
        x.tier = 'redis';
        // A prefetch (no viewer, canStream) streams too: viewers who join it get its bytes as they arrive.
        return x.canStream ? 'deliver' : 'collect';
      }
      if (shared) {
        x.entry = shared;
        x.tier = 'redis';
        x.fill.settle({ kind: 'entry', entry: shared, tier: 'redis', revalidated: false });
        return 'deliver';
      }
    }
    const validators = x.expired ? { etag: x.expired.upstreamEtag, lastModified: lastModifiedOf(x.expired) } : undefined;
    x.sentHeaders = forwardedRequestHeaders(x.viewerHeaders, x.behavior, x.varyNames);
    const fetching = edge.upstream.fetch(x.upstreamPath, validators, x.sentHeaders);
    try {
      const up = await withDeadline(fetching, deadline);
      if (up === 'late') {
        // The fill goes on without this viewer (it refreshes the cache for the next ones).
        handOver(x, edge, fetching);
        return late(x, edge, deadline);
      }
      x.upstream = up;
    } catch (err) {
      x.error = upstreamFailure(x, err);
      return 'fail';
    }
    return 'received';
  },

  received(x, edge) {
    const up = x.upstream as UpstreamResponse;
    x.tier = up.upstream;
    if (isStaleBetterThan(x, up.status, edge.clock())) {
      // RFC 5861 §4: a 5xx within stale-if-error is answered with the stale copy.
      discardBody(up.body);
      x.upstream = undefined;
      x.error = new UpstreamError('EDGE_ORIGIN_ERROR', 502, `upstream answered an error for ${x.key}`);
      return 'fail';
    }
    if (up.status === 304) {
      up.body.resume();
      const refreshed = x.expired ? refreshEntry(x.expired, x.behavior, up, edge.clock(), x.fillSeq) : undefined;
      x.upstream = undefined;
      if (!refreshed) {
        x.error = new UpstreamError('EDGE_ORIGIN_ERROR', 502, `upstream answered 304 for ${x.key} but the refreshed object may not be cached`);
        return 'fail';
      }
      x.entry = refreshed;
      x.outcome = 'revalidated';
      return 'store';
    }
    return x.canStream ? 'deliver' : 'collect';
  },

  async collect(x, edge) {
    // Range, conditional and HEAD requests (and background refreshes) need the whole object first.
    const up = x.upstream as UpstreamResponse;
    const it = up.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    x.bodyIter = it;
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await it.next();
      } catch (err) {
        x.error = new UpstreamError('EDGE_ORIGIN_BODY', 502, `upstream body failed for ${x.key}`, err);
        x.upstream = undefined;
        return 'fail';
      }
      if (r.done) break;
      size += r.value.length;
      chunks.push(r.value);
      if (size > edge.maxObjectBytes) {
        // Too large to hold: stream it whole instead (RFC 9110 §14.2 lets a server ignore Range).
        x.fill?.settle({ kind: 'retry' });
        return streamToViewer(x, edge, chunks);
      }
    }
    x.upstream = up;
    x.body = Buffer.concat(chunks, size);
    x.bodyIter = undefined;
    return 'store';
  },

  deliver(x, edge) {
    if (x.upstream && x.body === undefined) return streamToViewer(x, edge, []);
    x.delivered = true;
    const res = x.res;
    if (!res || !x.req) return 'done';
    if (x.entry) {
      const xcache: XCache = x.outcome === 'hit' ? 'HIT' : x.outcome === 'stale' ? 'STALE' : x.outcome === 'revalidated' ? 'REVALIDATED' : 'MISS';
      x.status = x.entry.status;
      const written = deliverEntry(res, x.req.headers, x.entry, { common: edge.common, xcache, tier: x.tier, ageS: ageSeconds(x.entry, edge.clock()), range: x.range });
      // node:http sends no body for HEAD: count what went out.
      x.bytes = x.isHead ? 0 : written;
      x.status = res.statusCode;
    } else if (x.passthrough) {
      x.status = x.passthrough.status;
      x.bytes = deliverBuffered(res, x.passthrough.status, x.passthrough.headers, x.passthrough.body, edge.common, x.outcome === 'bypass' ? 'BYPASS' : 'MISS', x.tier, x.behavior.stripResponseHeaders);
    } else {
      x.error ??= new UpstreamError('EDGE_ORIGIN_ERROR', 502, `no response for ${x.key}`);
      return 'fail';
    }
    return 'done';
  },

  store(x, edge) {
    const now = edge.clock();
    let entry = x.entry;
    let spec: CacheEntry | undefined;
    if (x.body !== undefined && x.upstream) {
      const built = buildEntry(x.key, x.behavior, x.upstream, x.body, now, x.fillSeq, x.expired?.targetDurationS, x.sentHeaders);
      entry = built.entry;
      spec = built.spec;
      if (!entry) x.passthrough = { status: x.upstream.status, headers: x.upstream.headers, body: x.body };
      x.upstream = undefined;
    }
    // A purge that arrived while this fill was in flight wins: do not put the old object back.
    const isPurged = entry !== undefined && edge.purges.purgedSinceEpoch(x.key, x.fillEpoch);
    if (entry && !isPurged && x.outcome !== 'bypass') {
      x.entry = entry;
      if (spec) storeVarySpec(spec, edge);
      edge.memory.put(entry);
      x.fill?.settle({ kind: 'entry', entry, tier: x.tier, revalidated: x.outcome === 'revalidated' });
      shareLater(x, entry, edge);
    } else {
      if (entry) x.passthrough = { status: entry.status, headers: Object.fromEntries(entry.headers.map(([k, v]) => [k.toLowerCase(), v])), body: entry.body };
      x.entry = undefined;
      x.fill?.settle({ kind: 'retry' });
      releaseLater(x, edge, 'failed');
    }
    return x.delivered ? 'done' : 'deliver';
  },

  fail(x, edge) {
    const err = x.error ?? new UpstreamError('EDGE_ORIGIN_ERROR', 502, `upstream failed for ${x.key}`);
    x.fill?.settle({ kind: 'error', error: err });
    releaseLater(x, edge, 'failed');
    // RFC 5861 §4: within stale-if-error, a stale copy beats an error.
    if (x.expired && isUsableOnError(x.expired, edge.clock())) {
      x.entry = x.expired;
      x.tier = x.expiredTier ?? 'memory';
      x.outcome = 'stale';
      x.upstream = undefined;
      return 'deliver';
    }
    x.outcome = 'error';
    x.delivered = true;
    if (x.res) {
      x.status = err.status;
      x.bytes = deliverError(x.res, err, edge.common);
    }
    edge.logger.warn({ key: x.key, code: err.code, err: err.message }, 'upstream failed and no stale copy may answer');
    return 'done';
  },
};

function upstreamFailure(x: Exchange, err: unknown): AppError {
  return err instanceof AppError ? err : new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, `upstream failed for ${x.key}`, err);
}

/** When this viewer stops waiting for the upstream (performance.now() time), or undefined: the upstream's timeouts. */
function deadlineOf(x: Exchange, edge: Edge): number | undefined {
  const hasStaleCopy = x.expired !== undefined && isUsableOnError(x.expired, edge.clock());
  const ms = answerDeadlineMs(x.behavior, hasStaleCopy, x.expired?.targetDurationS);
  return ms === undefined ? undefined : x.startedAt + ms;
}

/**
 * Past the deadline: the expired copy answers if it may stand in for an error (stale-if-error, RFC 5861 §4; a
 * stalled upstream is one), else a 504 now rather than after the upstream's own timeouts.
 */
function late(x: Exchange, edge: Edge, deadline: number | undefined): Next {
  if (x.expired && isUsableOnError(x.expired, edge.clock())) {
    x.entry = x.expired;
    x.tier = x.expiredTier ?? 'memory';
    x.outcome = 'stale';
    return 'deliver';
  }
  const waited = deadline === undefined ? 0 : Math.round(deadline - x.startedAt);
  x.error = new UpstreamError('EDGE_ORIGIN_TIMEOUT', 504, `the upstream did not answer ${x.key} within ${waited} ms`);
  return 'fail';
}

/** The viewer gave up on the fetch it leads: a background exchange takes the fill (and its lock) and finishes it. */
function handOver(x: Exchange, edge: Edge, fetching: Promise<UpstreamResponse>): void {
  const bg = newExchange({ req: undefined, res: undefined, key: x.key, behavior: x.behavior, isHead: false, range: { kind: 'none' }, canStream: false, startedAt: performance.now() });
  bg.expired = x.expired;
  bg.expiredTier = x.expiredTier;
  bg.outcome = x.outcome;
  bg.fill = x.fill;
  bg.lockToken = x.lockToken;
  bg.fillEpoch = x.fillEpoch;
  bg.fillSeq = x.fillSeq;
  x.fill = undefined;
  x.lockToken = undefined;
  edge.track(
    fetching.then(
      (up) => {
        bg.upstream = up;
        return runPipeline(bg, edge, 'received');
      },
      (err: unknown) => {
        bg.error = upstreamFailure(bg, err);
        return runPipeline(bg, edge, 'fail');
      },
    ),
  );
}

function lastModifiedOf(e: CacheEntry): string | undefined {
  for (const [k, v] of e.headers) if (k === 'Last-Modified') return v;
  return undefined;
}

/** One background refresh per key (collapsed with any fill already running). */
function refreshLater(entry: CacheEntry, x: Exchange, edge: Edge): void {
  if (edge.fills.get(x.key)) return;
  const bg = newExchange({ req: undefined, res: undefined, key: x.key, upstreamPath: x.upstreamPath, viewerHeaders: x.viewerHeaders, behavior: x.behavior, isHead: false, range: { kind: 'none' }, canStream: false, startedAt: performance.now() });
  bg.expired = entry;
  bg.expiredTier = x.tier;
  const work = runPipeline(bg, edge, entry.hasValidators ? 'revalidate' : 'miss');
  if (work) edge.track(work);
}

/** Runs the steps from `from`; synchronous as long as every step is (a memory hit never awaits). */
export function runPipeline(x: Exchange, edge: Edge, from: Step = 'lookup'): Promise<void> | undefined {
  let step: Next = from;
  try {
    while (step !== 'done') {
      const r: Next | Promise<Next> = steps[step](x, edge);
      if (typeof r !== 'string') return continueAsync(r, x, edge);
      step = r;
    }
  } catch (err) {
    crashed(x, edge, err);
  }
  finish(x, edge);
  return undefined;
}

async function continueAsync(pending: Promise<Next>, x: Exchange, edge: Edge): Promise<void> {
  try {
    let step = await pending;
    while (step !== 'done') step = await steps[step](x, edge);
  } catch (err) {
    crashed(x, edge, err);
  } finally {
    finish(x, edge);
  }
}

function crashed(x: Exchange, edge: Edge, err: unknown): void {
  edge.logger.error({ err, key: x.key }, 'edge pipeline failed');
  x.outcome = 'error';
  if (x.res && !x.res.headersSent) {
    x.status = 500;
    x.bytes = deliverError(x.res, { status: 500, code: 'EDGE_INTERNAL', message: 'internal error' }, edge.common);
  } else {
    x.res?.destroy();
  }
}

/** Whatever happened, the fill is settled, the lock let go, and the request counted and logged once. */
function finish(x: Exchange, edge: Edge): void {
  if (x.fill && !x.fill.isSettled) x.fill.settle({ kind: 'retry' });
  releaseLater(x, edge, 'failed');
  if (!x.res) return;
  if (x.entry && edge.prefetch) edge.prefetch.afterDelivery(x);
  const seconds = (performance.now() - x.startedAt) / 1000;
  edge.metrics.cell(x.outcome, x.outcome === 'error' ? 'none' : x.tier).count(x.bytes, seconds);
  edge.accessLog?.request({ method: x.isHead ? 'HEAD' : 'GET', key: x.key, status: x.status, outcome: x.outcome, tier: x.tier, bytes: x.bytes, ms: Math.round(seconds * 10_000) / 10, cmcd: x.cmcd });
}
