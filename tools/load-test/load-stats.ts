// Counters and HdrHistograms of every request the tool makes, split by playlist vs segment and by X-Cache.
import * as hdr from 'hdr-histogram-js';

export type RequestKind = 'playlist' | 'segment';
/** connect: no connection; timeout: no headers or body in time; 4xx/5xx: the server said no; other: reset mid-body etc. */
export type ErrorKind = 'connect' | 'timeout' | '4xx' | '5xx' | 'other';
export const ERROR_KINDS: readonly ErrorKind[] = ['connect', 'timeout', '4xx', '5xx', 'other'];

/**
 * X-Cache values that count as cache hits: the edge answered from its cache. REVALIDATED cost the origin a
 * conditional request but no body, STALE none at all (the refresh runs in the background). MISS, BYPASS and ERROR are
 * misses. Responses without X-Cache (a plain origin) are left out of the ratio.
 */
export const HIT_VALUES: ReadonlySet<string> = new Set(['HIT', 'STALE', 'REVALIDATED']);
/** Built once: the hot path of --mode max must not build a string per response. */
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Bucket for responses that carry no X-Cache header. */
export const NO_X_CACHE = 'none';

export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
}

export interface Tally {
  requests: number;
  bytes: number;
}

/** 1 µs to 1 h at 3 significant digits; the pure-JS build (no WebAssembly, which needs no install step either). */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/** Percentiles of a histogram of microseconds, in milliseconds. */
export function summarize(h: hdr.Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0 };
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p99_9: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

/** Share of hits among responses that carry X-Cache, by requests and by bytes; null when none carried it. */
export function hitRatios(byXCache: ReadonlyMap<string, Tally>): { requests: number | null; bytes: number | null } {
  let req = 0;
  let hitReq = 0;
  let bytes = 0;
  let hitBytes = 0;
  for (const [value, t] of byXCache) {
    if (value === NO_X_CACHE) continue;
    req += t.requests;
    bytes += t.bytes;
    if (HIT_VALUES.has(value)) {
      hitReq += t.requests;
      hitBytes += t.bytes;
    }
  }
  return { requests: req === 0 ? null : hitReq / req, bytes: bytes === 0 ? null : hitBytes / bytes };
}

/** What changed since the previous interval: feeds the report's charts over time. */
export interface IntervalSample {
  readonly requests: number;
  readonly bytes: number;
  readonly errors: number;
  readonly hits: number;
  readonly withXCache: number;
  readonly latency: LatencySummary;
}

export class LoadStats {
  readonly all = newHistogram();
  readonly byKind = new Map<RequestKind, hdr.Histogram>();
  readonly byXCacheLatency = new Map<string, hdr.Histogram>();
  /** Request start to response headers (time to first byte), by kind: what a cache in the way changes most. */
  readonly ttfbByKind = new Map<RequestKind, hdr.Histogram>();
  readonly kindTally = new Map<RequestKind, Tally>();
  readonly xCacheTally = new Map<string, Tally>();
  readonly statusClasses = new Map<string, number>();
  readonly errors: Record<ErrorKind, number> = { connect: 0, timeout: 0, '4xx': 0, '5xx': 0, other: 0 };
  /** Responses received (any status): what the server saw and finished. */
  responses = 0;
  bytes = 0;
  /** Requests cut off by the hard stop: not errors, but the server may have seen them. */
  aborted = 0;
  private readonly interval = newHistogram();
  private intervalStart = { requests: 0, bytes: 0, errors: 0, hits: 0, withXCache: 0 };
  /** Responses with a hit X-Cache value, and responses with any X-Cache value. */
  hits = 0;
  withXCache = 0;

  /**
   * A response arrived in full (or its body failed, see recordError). `latencyUs` runs from request to last byte,
   * `ttfbUs` (when measured) from request to the response headers.
   */
  recordResponse(kind: RequestKind, status: number, bytes: number, latencyUs: number, xCache: string | undefined, ttfbUs?: number): void {
    const us = Math.max(1, Math.round(latencyUs));
    if (ttfbUs !== undefined) histogramFor(this.ttfbByKind, kind).recordValue(Math.max(1, Math.round(ttfbUs)));
    this.all.recordValue(us);
    this.interval.recordValue(us);
    histogramFor(this.byKind, kind).recordValue(us);
    const xc = xCache ? xCache.toUpperCase() : NO_X_CACHE;
    histogramFor(this.byXCacheLatency, xc).recordValue(us);
    addTally(this.kindTally, kind, bytes);
    addTally(this.xCacheTally, xc, bytes);
    if (xc !== NO_X_CACHE) {
      this.withXCache += 1;
      if (HIT_VALUES.has(xc)) this.hits += 1;
    }
    const cls = STATUS_CLASSES[Math.floor(status / 100)] ?? 'other';
    this.statusClasses.set(cls, (this.statusClasses.get(cls) ?? 0) + 1);
    this.responses += 1;
    this.bytes += bytes;
    if (status >= 500) this.errors['5xx'] += 1;
    else if (status >= 400) this.errors['4xx'] += 1;
  }

  recordError(kind: ErrorKind): void {
    this.errors[kind] += 1;
  }

  errorCount(): number {
    let n = 0;
    for (const k of ERROR_KINDS) n += this.errors[k];
    return n;
  }

  /** Everything since the previous call, and start a new interval. */
  takeInterval(): IntervalSample {
    return this.takeIntervalWith((counts, histogram) => ({ ...counts, latency: summarize(histogram) }));
  }

  /** The interval's counters and latency histogram to `read` (which must not keep the histogram), then a new interval. */
  takeIntervalWith<T>(read: (counts: Omit<IntervalSample, 'latency'>, histogram: hdr.Histogram) => T): T {
    const now = { requests: this.responses, bytes: this.bytes, errors: this.errorCount(), hits: this.hits, withXCache: this.withXCache };
    const start = this.intervalStart;
    this.intervalStart = now;
    const counts = {
      requests: now.requests - start.requests,
      bytes: now.bytes - start.bytes,
      errors: now.errors - start.errors,
      hits: now.hits - start.hits,
      withXCache: now.withXCache - start.withXCache,
    };
    const out = read(counts, this.interval);
    this.interval.reset();
    return out;
  }

  /** Fold another collector in (worker threads each keep their own). */
  merge(other: LoadStats): void {
    this.all.add(other.all);
    for (const [k, h] of other.byKind) histogramFor(this.byKind, k).add(h);
    for (const [k, h] of other.byXCacheLatency) histogramFor(this.byXCacheLatency, k).add(h);
    for (const [k, h] of other.ttfbByKind) histogramFor(this.ttfbByKind, k).add(h);
    for (const [k, t] of other.kindTally) addTally(this.kindTally, k, t.bytes, t.requests);
    for (const [k, t] of other.xCacheTally) addTally(this.xCacheTally, k, t.bytes, t.requests);
    for (const [k, n] of other.statusClasses) this.statusClasses.set(k, (this.statusClasses.get(k) ?? 0) + n);
    for (const k of ERROR_KINDS) this.errors[k] += other.errors[k];
    this.responses += other.responses;
    this.bytes += other.bytes;
    this.aborted += other.aborted;
    this.hits += other.hits;
    this.withXCache += other.withXCache;
  }
}

function histogramFor<K>(map: Map<K, hdr.Histogram>, key: K): hdr.Histogram {
  let h = map.get(key);
  if (!h) {
    h = newHistogram();
    map.set(key, h);
  }
  return h;
}

function addTally<K>(map: Map<K, Tally>, key: K, bytes: number, requests = 1): void {
  const t = map.get(key);
  if (t) {
    t.requests += requests;
    t.bytes += bytes;
  } else {
    map.set(key, { requests, bytes });
  }
}
