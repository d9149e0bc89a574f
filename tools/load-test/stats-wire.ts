// LoadStats across a thread boundary: counters as plain data, HdrHistograms encoded (worker threads of --mode max).
import * as hdr from 'hdr-histogram-js';
import { ERROR_KINDS, LoadStats, newHistogram, summarize, type ErrorKind, type IntervalSample, type RequestKind, type Tally } from './load-stats.ts';

/** An interval as it crosses a thread boundary: counters plus the encoded latency histogram. */
export interface WireInterval {
  readonly requests: number;
  readonly bytes: number;
  readonly errors: number;
  readonly hits: number;
  readonly withXCache: number;
  readonly histogram: string;
}

/** A whole collector as it crosses a thread boundary (structured-clone friendly: arrays and numbers). */
export interface WireStats {
  readonly all: string;
  readonly byKind: readonly [RequestKind, string][];
  readonly byXCacheLatency: readonly [string, string][];
  readonly ttfbByKind: readonly [RequestKind, string][];
  readonly kindTally: readonly [RequestKind, Tally][];
  readonly xCacheTally: readonly [string, Tally][];
  readonly statusClasses: readonly [string, number][];
  readonly errors: Record<ErrorKind, number>;
  readonly responses: number;
  readonly bytes: number;
  readonly aborted: number;
  readonly hits: number;
  readonly withXCache: number;
}

export const encodeHistogram = (h: hdr.Histogram): string => hdr.encodeIntoCompressedBase64(h);
export const decodeHistogram = (s: string): hdr.Histogram => {
  const h = newHistogram();
  h.add(hdr.decodeFromCompressedBase64(s, 32, false));
  return h;
};

/** One interval from several collectors (one per worker thread): counters add up, histograms merge. */
export function mergeIntervals(parts: readonly WireInterval[]): IntervalSample {
  const h = newHistogram();
  let requests = 0;
  let bytes = 0;
  let errors = 0;
  let hits = 0;
  let withXCache = 0;
  for (const p of parts) {
    requests += p.requests;
    bytes += p.bytes;
    errors += p.errors;
    hits += p.hits;
    withXCache += p.withXCache;
    h.add(decodeHistogram(p.histogram));
  }
  return { requests, bytes, errors, hits, withXCache, latency: summarize(h) };
}

/** takeInterval() for another thread: the histogram travels encoded. */
export function takeWireInterval(stats: LoadStats): WireInterval {
  return stats.takeIntervalWith((counts, histogram) => ({ ...counts, histogram: encodeHistogram(histogram) }));
}

export function statsToWire(s: LoadStats): WireStats {
  return {
    all: encodeHistogram(s.all),
    byKind: [...s.byKind].map(([k, h]) => [k, encodeHistogram(h)]),
    byXCacheLatency: [...s.byXCacheLatency].map(([k, h]) => [k, encodeHistogram(h)]),
    ttfbByKind: [...s.ttfbByKind].map(([k, h]) => [k, encodeHistogram(h)]),
    kindTally: [...s.kindTally],
    xCacheTally: [...s.xCacheTally],
    statusClasses: [...s.statusClasses],
    errors: { ...s.errors },
    responses: s.responses,
    bytes: s.bytes,
    aborted: s.aborted,
    hits: s.hits,
    withXCache: s.withXCache,
  };
}

export function statsFromWire(w: WireStats): LoadStats {
  const s = new LoadStats();
  s.all.add(decodeHistogram(w.all));
  for (const [k, h] of w.byKind) s.byKind.set(k, decodeHistogram(h));
  for (const [k, h] of w.byXCacheLatency) s.byXCacheLatency.set(k, decodeHistogram(h));
  for (const [k, h] of w.ttfbByKind) s.ttfbByKind.set(k, decodeHistogram(h));
  for (const [k, t] of w.kindTally) s.kindTally.set(k, { ...t });
  for (const [k, t] of w.xCacheTally) s.xCacheTally.set(k, { ...t });
  for (const [k, n] of w.statusClasses) s.statusClasses.set(k, n);
  for (const k of ERROR_KINDS) s.errors[k] = w.errors[k];
  s.responses = w.responses;
  s.bytes = w.bytes;
  s.aborted = w.aborted;
  s.hits = w.hits;
  s.withXCache = w.withXCache;
  return s;
}
