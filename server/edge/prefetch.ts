// Edge prefetch: after a viewer fetches segment n of a media playlist, segments n+1…n+k are filled into the cache.
import { readPlaylist } from '../core/hls/read-playlist.ts';
import type { Behaviors, CacheBehavior } from './behaviors.ts';
import type { CacheEntry } from './cache-entry.ts';
import { cacheKeyOf, pathOfKey, type CacheKey } from './cache-key.ts';
import { newExchange, type Edge, type Exchange, type PrefetchHook } from './exchange.ts';
import { freshnessOf } from './freshness.ts';

export interface PrefetcherOptions {
  readonly edge: Edge;
  readonly behaviors: Behaviors;
  /** k for behaviors that do not set prefetchSegments (--prefetch-segments). */
  readonly defaultSegments: number;
  /** Prefetch fills running at once in this process. */
  readonly maxConcurrent?: number;
  /** Prefetches waiting for a free slot; more are dropped (a viewer asking will fetch it anyway). */
  readonly maxQueued?: number;
  /** Bytes of prefetched objects no viewer has been served yet; at the bound, nothing more is fetched ahead. */
  readonly maxUnservedBytes: number;
  /**
   * Runs a fill with no viewer attached through the pipeline, from lookup: the same entry point as a viewer's miss,
   * so it is collapsed locally and across edges and stored in both tiers (pipeline.ts's runPipeline).
   */
  readonly run: (x: Exchange) => Promise<void> | undefined;
}

/** The segment keys of one cached media playlist, in order, and where each one is. */
interface SegmentIndex {
  readonly keys: readonly CacheKey[];
  readonly position: ReadonlyMap<CacheKey, number>;
}

const DEFAULT_MAX_CONCURRENT = 4;
const DEFAULT_MAX_QUEUED = 64;
/** Rendition folders remembered (folder of a segment → the media playlist that listed it). */
const MAX_FOLDERS = 4096;
/** Prefetched-but-unserved keys remembered, whatever their bytes. */
const MAX_UNSERVED = 4096;
/** Only paths the viewer routes serve, in the shape the request guard lets through. */
const PREFETCHABLE_PATH = /^\/(?:vod|live)\/[A-Za-z0-9._~/-]+$/;
const BASE = 'http://edge.invalid';

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}

function isPlaylistPath(path: string): boolean {
  return path.endsWith('.m3u8');
}

function isEncoded(e: CacheEntry): boolean {
  return e.headers.some(([k, v]) => k === 'Content-Encoding' && v.trim().toLowerCase() !== 'identity');
}

/**
 * Learns the segment list of every media playlist a viewer is served (parsed once per cached copy), and when a viewer
 * is served segment n, fills the next k segments of that playlist: bounded in concurrency, queue and unserved bytes,
 * and counted (hls_edge_prefetched_total, hls_edge_prefetch_hits_total). A viewer who switches rendition fetches that
 * rendition's playlist first, so prefetch follows it there.
 */
export class Prefetcher implements PrefetchHook {
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly indexes = new WeakMap<CacheEntry, SegmentIndex | null>();
  /** Rendition folder → key of the media playlist last served for it. */
  private readonly folders = new Map<string, CacheKey>();
  private readonly queue: Array<{ key: CacheKey; behavior: CacheBehavior }> = [];
  /** Queued or running. */
  private readonly wanted = new Set<CacheKey>();
  /** Prefetched (or being prefetched) and not served to a viewer yet, with its size once known. */
  private readonly unserved = new Map<CacheKey, number>();
  private unservedBytes = 0;
  private running = 0;
  private isStopped = false;

  constructor(private readonly o: PrefetcherOptions) {
    this.maxConcurrent = o.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
    this.maxQueued = o.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  /** Called once a viewer has been served `x.entry` (pipeline.ts, finish). Cheap: maps and one memoised parse. */
  afterDelivery(x: Exchange): void {
    const e = x.entry;
    if (this.isStopped || !e || e.isNegative) return;
    const path = pathOfKey(x.key);
    if (isPlaylistPath(path)) {
      this.learn(x.key, e);
      return;
    }
    this.countHit(x.key);
    this.ahead(x, path);
  }

  /** A viewer's segment miss: start on the next ones now, in parallel with it, rather than once it is delivered. */
  onMiss(x: Exchange): void {
    const path = pathOfKey(x.key);
    if (!this.isStopped && !isPlaylistPath(path)) this.ahead(x, path);
  }

  /** Wants the k segments after `x.key` in the media playlist last served for its folder. */
  private ahead(x: Exchange, path: string): void {
    const k = x.behavior.prefetchSegments ?? this.o.defaultSegments;
    if (k <= 0) return;
    const playlistKey = this.folders.get(folderOf(path));
    const playlist = playlistKey === undefined ? undefined : this.o.edge.memory.get(playlistKey);
    const index = playlist ? this.indexOf(playlistKey as CacheKey, playlist) : undefined;
    const at = index?.position.get(x.key);
    if (!index || at === undefined) return;
    for (let i = at + 1; i <= at + k && i < index.keys.length; i++) this.want(index.keys[i] as CacheKey);
  }

  /** No new prefetches (edge closing); running ones finish and are awaited through edge.track. */
  stop(): void {
    this.isStopped = true;
    this.queue.length = 0;
  }

  /** Queued and running prefetches, for tests and logs. */
  get pending(): number {
    return this.wanted.size;
  }

  private learn(key: CacheKey, e: CacheEntry): void {
    const index = this.indexOf(key, e);
    if (!index) return;
    for (const segmentKey of index.keys) {
      const folder = folderOf(pathOfKey(segmentKey));
      if (this.folders.get(folder) === key) continue;
      this.folders.delete(folder);
      this.folders.set(folder, key);
      if (this.folders.size > MAX_FOLDERS) this.folders.delete(this.folders.keys().next().value as string);
    }
  }

  /** The playlist's segment keys, parsed once per cached copy; null for anything that is not a readable media playlist. */
  private indexOf(key: CacheKey, e: CacheEntry): SegmentIndex | undefined {
    let index = this.indexes.get(e);
    if (index === undefined) {
      index = e.status === 200 && !isEncoded(e) ? this.parse(key, e.body) : null;
      this.indexes.set(e, index);
    }
    return index ?? undefined;
  }

  private parse(key: CacheKey, body: Buffer): SegmentIndex | null {
    let read;
    try {
      read = readPlaylist(body.toString('utf8'), { baseUrl: `${BASE}${key}`, source: key });
    } catch (err) {
      this.o.edge.logger.debug({ key, err: (err as Error).message }, 'playlist not read for prefetch');
      return null;
    }
    if (read.kind !== 'media') return null;
    const keys: CacheKey[] = [];
    const position = new Map<CacheKey, number>();
    for (const s of read.media.segments) {
      // Only this edge's own paths: an absolute URI elsewhere is not ours to fetch.
      const url = new URL(s.uri);
      if (url.origin !== BASE || !PREFETCHABLE_PATH.test(url.pathname)) continue;
      const behavior = this.o.behaviors.match(url.pathname);
      const segmentKey = cacheKeyOf(url.pathname, url.search.slice(1) || undefined, behavior.queryParams);
      if (position.has(segmentKey)) continue;
      position.set(segmentKey, keys.length);
      keys.push(segmentKey);
    }
    return { keys, position };
  }

  private countHit(key: CacheKey): void {
    const bytes = this.unserved.get(key);
    if (bytes === undefined) return;
    this.unserved.delete(key);
    this.unservedBytes -= bytes;
    this.o.edge.metrics.prefetchHits.inc();
  }

  private want(key: CacheKey): void {
    const edge = this.o.edge;
    if (this.wanted.has(key) || this.unserved.has(key) || edge.fills.get(key)) return;
    const cached = edge.memory.get(key);
    if (cached && freshnessOf(cached, edge.clock()) === 'fresh') return;
    if (this.queue.length >= this.maxQueued || this.unservedBytes >= this.o.maxUnservedBytes) return;
    const behavior = this.o.behaviors.match(pathOfKey(key));
    if (behavior.bypass) return;
    this.wanted.add(key);
    this.queue.push({ key, behavior });
    // After the viewer's response, not in its way.
    if (this.running < this.maxConcurrent) setImmediate(() => this.pump());
  }

  private pump(): void {
    while (!this.isStopped && this.running < this.maxConcurrent) {
      const next = this.queue.shift();
      if (!next) return;
      this.running++;
      const work = this.fetchAhead(next.key, next.behavior).finally(() => {
        this.running--;
        this.wanted.delete(next.key);
        this.pump();
      });
      this.o.edge.track(work);
    }
  }

  private async fetchAhead(key: CacheKey, behavior: CacheBehavior): Promise<void> {
    const edge = this.o.edge;
    // A viewer's fill may have started while this waited in the queue: that one brings it.
    if (edge.fills.get(key)) return;
    const x = newExchange({ req: undefined, res: undefined, key, behavior, isHead: false, range: { kind: 'none' }, canStream: false, startedAt: performance.now() });
    // Marked before the fill: a viewer who arrives meanwhile waits for it (collapsed) and is served what it brings.
    this.markUnserved(key, 0);
    await this.o.run(x);
    const e = x.entry;
    const brought = e !== undefined && !e.isNegative && !(x.outcome === 'hit' && x.tier === 'memory');
    if (!this.unserved.has(key)) {
      // Served to a viewer while in flight: counted as a hit already.
      if (brought) edge.metrics.prefetched.inc({ tier: x.tier });
      return;
    }
    if (!brought) {
      this.unserved.delete(key);
      return;
    }
    edge.metrics.prefetched.inc({ tier: x.tier });
    this.markUnserved(key, e.body.length);
  }

  private markUnserved(key: CacheKey, bytes: number): void {
    this.unservedBytes += bytes - (this.unserved.get(key) ?? 0);
    this.unserved.delete(key);
    this.unserved.set(key, bytes);
    while (this.unserved.size > MAX_UNSERVED) {
      const [oldest, size] = this.unserved.entries().next().value as [CacheKey, number];
      this.unserved.delete(oldest);
      this.unservedBytes -= size;
    }
  }
}
