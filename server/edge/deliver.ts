// Writes edge responses on node:http: stored objects (with Range and preconditions), streamed misses, followed fills,
// pass-throughs and errors. Nothing else in the edge writes to a response.
import type { IncomingHttpHeaders } from 'node:http';
import type { AppError } from '../core/errors.ts';
import { parseAge } from '../core/http/age.ts';
import { byterangesChunks, planByteranges } from '../core/http/multipart-byteranges.ts';
import { conditionalHeadersOf, evaluatePreconditions, hasPreconditions, ifRangeAllows, type Validators } from '../core/http/preconditions.ts';
import { contentRangeOf, resolveRange, unsatisfiedContentRange, type RangeRequest } from '../core/http/range.ts';
import type { CacheTier } from './edge-metrics.ts';
import type { CacheEntry, HeaderList, RawHeaders } from './cache-entry.ts';
import { headerValue } from './cache-entry.ts';
import { commonWithout, passedHeaders } from './response-headers.ts';

export type XCache = 'HIT' | 'MISS' | 'STALE' | 'REVALIDATED' | 'BYPASS' | 'ERROR';

/**
 * Where the edge writes a response: what it uses of node:http's ServerResponse (which is one), so the pipeline and
 * these writers can be driven with a fake in unit tests.
 */
export interface ResponseSink {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** True once the response is over ('close' was emitted): finished, or cut. */
  readonly closed: boolean;
  readonly statusCode: number;
  /** Headers as a flat [name, value, …] list: one array, no per-response object. */
  writeHead(status: number, headers: string[]): unknown;
  /** False when the socket's buffer is full: wait for 'drain' (or 'close'). */
  write(chunk: Buffer): boolean;
  /** Optional batching: writes between cork() and uncork() leave in one writev (node:http's ServerResponse has both). */
  cork?(): void;
  uncork?(): void;
  end(chunk?: Buffer): unknown;
  destroy(): unknown;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Resolves when the sink can take more (its buffer drained) or is gone (closed). */
export function drained(res: ResponseSink): Promise<void> {
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

/** What a player's script may read (the same list as the origin's CORS, so a player sees one shape either way). */
export const EXPOSED_HEADERS = [
  'Content-Length', 'Content-Range', 'Content-Type', 'Accept-Ranges', 'ETag', 'Last-Modified', 'Cache-Control',
  'Age', 'Date', 'Via', 'X-Cache', 'X-Cache-Tier',
].join(', ');

/**
 * Headers on every edge response, built once per edge: Via (RFC 9110 §7.6.3) and CORS for players on any page.
 * With `perRequestCors` (a list of page origins allowed credentials) Access-Control-Allow-Origin is left out here:
 * routes.ts sets it per request, for listed origins only.
 */
export function commonHeaders(edgeId: string, opts: { perRequestCors?: boolean } = {}): string[] {
  const allowAny = opts.perRequestCors ? [] : ['Access-Control-Allow-Origin', '*'];
  return ['Via', viaOf(edgeId), ...allowAny, 'Access-Control-Expose-Headers', EXPOSED_HEADERS];
}

export function viaOf(edgeId: string): string {
  return `1.1 ${edgeId} (edgeline)`;
}

// Slots at the end of a stored object's head, filled per response (the array is consumed synchronously by writeHead).
const TIER = 1;
const XCACHE = 3;
const AGE = 5;

/** The full 200 (or negative) head of a stored object, built once and reused by every hit. */
function headOf(entry: CacheEntry, common: readonly string[]): string[] {
  if (entry.head) return entry.head;
  const h: string[] = [];
  for (const [k, v] of entry.headers) h.push(k, v);
  h.push('Content-Length', String(entry.body.length));
  if (!entry.isNegative) h.push('ETag', entry.etag, 'Accept-Ranges', 'bytes');
  h.push(...commonWithout(common, entry.headers), 'Age', '0', 'X-Cache', 'HIT', 'X-Cache-Tier', 'memory');
  entry.head = h;
  return h;
}

function withSlots(head: string[], age: number, xcache: XCache, tier: CacheTier): string[] {
  const n = head.length;
  head[n - AGE] = String(age);
  head[n - XCACHE] = xcache;
  head[n - TIER] = tier;
  return head;
}

// A 304 carries the validators and caching headers, not the representation's (RFC 9110 §15.4.5).
const REPRESENTATION_HEADERS = new Set(['Content-Type', 'Content-Encoding', 'Content-Language', 'Content-Disposition']);
// A multipart/byteranges body has its own Content-Type; each part carries the object's (RFC 9110 §14.6).
const CONTENT_TYPE = new Set(['Content-Type']);
// A 412 is about the request, not the stored object: its own no-store replaces the object's caching fields.
const NOT_THE_OBJECT = new Set([...REPRESENTATION_HEADERS, 'Cache-Control', 'Expires']);
const NOTHING = new Set<string>();

/** Headers for 206/304/412/416: built per response (rare compared with plain hits). */
function partialHead(entry: CacheEntry, common: readonly string[], age: number, xcache: XCache, tier: CacheTier, extra: string[], drop: ReadonlySet<string>): string[] {
  const h: string[] = [];
  for (const [k, v] of entry.headers) {
    if (!drop.has(k)) h.push(k, v);
  }
  h.push('ETag', entry.etag, ...extra, ...commonWithout(common, entry.headers), 'Age', String(age), 'X-Cache', xcache, 'X-Cache-Tier', tier);
  return h;
}

export interface DeliverContext {
  readonly common: readonly string[];
  readonly xcache: XCache;
  readonly tier: CacheTier;
  readonly ageS: number;
  readonly range: RangeRequest;
}

/**
 * Bytes of body written. Handles If-* preconditions (RFC 9110 §13.2.2) and byte ranges (§14) with the same rules as
 * the origin (core/http): one range → 206, several → multipart/byteranges, none satisfiable → 416.
 */
export function deliverEntry(res: ResponseSink, reqHeaders: IncomingHttpHeaders, entry: CacheEntry, c: DeliverContext): number {
  // A plain hit (no Range, no If-*) skips all of this: the stored head is written as is.
  if (!entry.isNegative && (c.range.kind === 'bytes' || hasPreconditions(reqHeaders))) {
    // The edge's strong tag, and the origin's (maybe weak) one that a client saw on a miss: the same bytes.
    const validators: Validators = {
      etag: entry.etag,
      altEtags: entry.upstreamEtag && entry.upstreamEtag !== entry.etag ? [entry.upstreamEtag] : undefined,
      lastModifiedMs: entry.lastModifiedMs,
    };
    if (hasPreconditions(reqHeaders)) {
      // Stored objects answer GET and HEAD only (routes.ts).
      const verdict = evaluatePreconditions('GET', conditionalHeadersOf(reqHeaders), validators);
      if (verdict === 'not-modified') {
        res.writeHead(304, partialHead(entry, c.common, c.ageS, c.xcache, c.tier, [], REPRESENTATION_HEADERS));
        res.end();
        return 0;
      }
      if (verdict === 'precondition-failed') {
        const body = Buffer.from(JSON.stringify({ error: 'EDGE_PRECONDITION_FAILED', message: 'If-Match / If-Unmodified-Since did not hold for the stored object' }));
        res.writeHead(412, [...partialHead(entry, c.common, c.ageS, c.xcache, c.tier, ['Content-Type', 'application/json', 'Content-Length', String(body.length), 'Cache-Control', 'no-store'], NOT_THE_OBJECT)]);
        res.end(body);
        return body.length;
      }
    }
    if (c.range.kind === 'bytes' && ifRangeAllows(reqHeaders['if-range'], validators)) {
      const size = entry.body.length;
      const r = resolveRange(c.range, size);
      if (r.kind === 'unsatisfiable') {
        const body = Buffer.from(JSON.stringify({ error: 'EDGE_RANGE_NOT_SATISFIABLE', message: `the range does not overlap the ${size} bytes of the object` }));
        res.writeHead(416, partialHead(entry, c.common, c.ageS, c.xcache, c.tier, ['Content-Range', unsatisfiedContentRange(size), 'Content-Type', 'application/json', 'Content-Length', String(body.length)], REPRESENTATION_HEADERS));
        res.end(body);
        return body.length;
      }
      if (r.kind === 'partial') {
        const [only, ...more] = r.ranges;
        if (only && more.length === 0) {
          const length = only.end - only.start + 1;
          res.writeHead(206, partialHead(entry, c.common, c.ageS, c.xcache, c.tier, ['Content-Range', contentRangeOf(only, size), 'Content-Length', String(length), 'Accept-Ranges', 'bytes'], NOTHING));
          // subarray shares the stored bytes: no copy.
          res.end(entry.body.subarray(only.start, only.end + 1));
          return length;
        }
        const plan = planByteranges(r.ranges, size, headerValue(entry.headers, 'Content-Type'));
        res.writeHead(206, partialHead(entry, c.common, c.ageS, c.xcache, c.tier, ['Content-Type', plan.contentType, 'Content-Length', String(plan.length), 'Accept-Ranges', 'bytes'], CONTENT_TYPE));
        for (const chunk of byterangesChunks(plan, entry.body)) res.write(chunk);
        res.end();
        return plan.length;
      }
    }
  }
  res.writeHead(entry.status, withSlots(headOf(entry, c.common), c.ageS, c.xcache, c.tier));
  res.end(entry.body);
  return entry.body.length;
}

/** The head of a response streamed from upstream while it is being stored (a miss, bypass or pass-through). */
export function streamHead(res: ResponseSink, status: number, upstreamHeaders: RawHeaders, common: readonly string[], xcache: XCache, tier: CacheTier, strip: readonly string[] = ['set-cookie']): void {
  const h: string[] = [];
  const passed: HeaderList = passedHeaders(upstreamHeaders, strip);
  for (const [k, v] of passed) h.push(k, v);
  const one = (name: string): string | undefined => {
    const v = upstreamHeaders[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const length = one('content-length');
  if (length !== undefined && /^\d{1,15}$/.test(length)) h.push('Content-Length', length);
  const etag = one('etag');
  if (etag !== undefined && etag.length <= 256) h.push('ETag', etag);
  if (status === 200) h.push('Accept-Ranges', 'bytes');
  // A shield's Age still counts: the object is that old (RFC 9111 §5.1).
  const age = parseAge(upstreamHeaders['age']);
  if (age.kind === 'valid') h.push('Age', String(age.seconds));
  h.push(...commonWithout(common, passed), 'X-Cache', xcache, 'X-Cache-Tier', tier);
  res.writeHead(status, h);
}

/**
 * A response written as its bytes arrive: a streamed miss to its viewer, or a fill under way followed by a request
 * that joined it (fill.ts decides what to write and when; this writes it). Counts the body bytes written; a HEAD gets
 * the head alone; a background fill has no viewer, and every write is then a no-op.
 */
export class StreamedResponse {
  bytes = 0;

  constructor(private readonly res: ResponseSink | undefined, private readonly isHead = false) {}

  /** Nobody to write to: the viewer went away, or there never was one. */
  get isGone(): boolean {
    return !this.res || this.res.destroyed;
  }

  head(status: number, upstreamHeaders: RawHeaders, common: readonly string[], xcache: XCache, tier: CacheTier, strip?: readonly string[]): void {
    if (this.res && !this.res.destroyed) streamHead(this.res, status, upstreamHeaders, common, xcache, tier, strip);
  }

  /** Writes one chunk; when `paced`, the promise resolves once the viewer can take more (or is gone). */
  write(chunk: Buffer, paced: boolean): Promise<void> | undefined {
    const res = this.res;
    if (!res || res.destroyed || this.isHead) return undefined;
    this.bytes += chunk.length;
    return !res.write(chunk) && paced ? drained(res) : undefined;
  }

  /**
   * Writes chunks[from…] at once, without waiting for the socket (several leave in one writev); returns the index
   * after the last one written.
   */
  writeFrom(chunks: readonly Buffer[], from: number): number {
    const res = this.res;
    if (!res || res.destroyed) return chunks.length;
    const batch = chunks.length - from > 1;
    if (batch) res.cork?.();
    let i = from;
    while (i < chunks.length && !res.destroyed) {
      const c = chunks[i++] as Buffer;
      this.bytes += c.length;
      res.write(c);
    }
    if (batch) res.uncork?.();
    return i;
  }

  end(): void {
    if (this.res && !this.res.destroyed) this.res.end();
  }

  /** Cut short: the client sees a truncated response, never one that looks complete. */
  cut(): void {
    this.res?.destroy();
  }
}

/** The head of a request passed to the origin uncached (pass.ts: methods other than GET and HEAD). */
export function passHead(res: ResponseSink, status: number, upstreamHeaders: RawHeaders, common: readonly string[], tier: CacheTier, strip: readonly string[]): void {
  const passed = passedHeaders(upstreamHeaders, strip);
  const h: string[] = [];
  for (const [k, v] of passed) h.push(k, v);
  const length = upstreamHeaders['content-length'];
  const one = Array.isArray(length) ? length[0] : length;
  if (one !== undefined && /^\d{1,15}$/.test(one)) h.push('Content-Length', one);
  h.push(...commonWithout(common, passed), 'X-Cache', 'BYPASS', 'X-Cache-Tier', tier);
  res.writeHead(status, h);
}

/** JSON error body with X-Cache: ERROR; never cached (no-store). */
export function deliverError(
  res: ResponseSink,
  err: Pick<AppError, 'status' | 'code' | 'message'>,
  common: readonly string[],
  extra: readonly string[] = [],
  fields: Readonly<Record<string, string>> = {},
): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const body = Buffer.from(JSON.stringify({ error: err.code, message: err.message, ...fields }));
  res.writeHead(err.status, [
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    String(body.length),
    'Cache-Control',
    'no-store',
    ...extra,
    ...common,
    'X-Cache',
    'ERROR',
  ]);
  res.end(body);
  return body.length;
}

/** A buffered response that was not stored (uncacheable), for the request that fetched it. */
export function deliverBuffered(res: ResponseSink, status: number, upstreamHeaders: RawHeaders, body: Buffer, common: readonly string[], xcache: XCache, tier: CacheTier, strip: readonly string[] = ['set-cookie']): number {
  const h: string[] = [];
  const passed: HeaderList = passedHeaders(upstreamHeaders, strip);
  for (const [k, v] of passed) h.push(k, v);
  h.push('Content-Length', String(body.length), ...commonWithout(common, passed), 'X-Cache', xcache, 'X-Cache-Tier', tier);
  res.writeHead(status, h);
  res.end(body);
  return body.length;
}
