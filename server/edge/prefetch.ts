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
  /** The folders its segments are in (usually one): what learn() maps to the playlist on every hit. */
  readonly folders: readonly string[];
}

const DEFAULT_MAX_CONCURRENT = 4;
const DEFAULT_MAX_QUEUED = 64;
/** Rendition folders remembered (folder of a segment → the media playlist that listed it). */
const MAX_FOLDERS = 4096;
/** Prefetched-but-unserved keys remembered, whatever their bytes. */
const MAX_UNSERVED = 4096;
/** Media playlists whose segment list is remembered (the last copy served of each). */
const MAX_PLAYLISTS = 1024;
/** Segments known to be in the shared tier, when there is no memory tier to ask. */
const MAX_KNOWN_SHARED = 8192;
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
 * Learns the segment list of every media playlist a viewer is served (parsed once per copy, told apart by ETag), and
 * when a viewer is served segment n, fills the next k segments of that playlist: bounded in concurrency, queue and
 * unserved bytes, and counted (hls_edge_prefetched_total, hls_edge_prefetch_hits_total). A viewer who switches
 * rendition fetches that rendition's playlist first, so prefetch follows it there.
 *
 * It needs no memory tier: the segment lists are its own, and the fills it runs store in every tier the edge has. An
 * edge with `--memory-mb 0` prefetches into Redis, where its next viewer (or another worker or edge) finds it; what it
 * has seen there is remembered (until the object's TTL) so that a segment already shared is not read back from Redis
 * to find out.
 */
export class Prefetcher implements PrefetchHook {
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  /** Media playlist key → the ETag of the copy last served and its segment index (null: not a readable media playlist). */
  private readonly playlists = new Map<CacheKey, { readonly etag: string; readonly index: SegmentIndex | null }>();
  /** Memory tier off: segment key → until when (edge clock) it is fresh in the shared tier, as last seen. */
  private readonly knownShared = new Map<CacheKey, number>();
  /** The purge count knownShared was gathered under: any purge since forgets it all (purges are rare). */
  private knownEpoch = 0;
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

  /** Called once a viewer has been served `x.served` (pipeline.ts, finish). Cheap: maps and one memoised parse. */
  afterDelivery(x: Exchange): void {
    const e = x.served;
    if (this.isStopped || !e || e.isNegative) return;
    const path = pathOfKey(x.key);
    if (isPlaylistPath(path)) {
      this.learn(x.key, e);
      return;
    }
    this.countHit(x.key);
    this.rememberShared(x.key, e);
    this.ahead(x, path);
  }

  /** A viewer's segment miss: start on the next ones now, in parallel with it, rather than once it is delivered. */
  onMiss(x: Exchange): void {
    const path = pathOfKey(x.key);
    if (this.isStopped || isPlaylistPath(path)) return;
    // It joins a prefetch still on its way and is streamed its bytes: the prefetch served it.
    if (this.unserved.has(x.key) && this.o.edge.fills.get(x.key)) this.countHit(x.key);
    this.ahead(x, path);
  }

  /** Wants the k segments after `x.key` in the media playlist last served for its folder. */
  private ahead(x: Exchange, path: string): void {
    const k = x.behavior.prefetchSegments ?? this.o.defaultSegments;
    if (k <= 0) return;
    const playlistKey = this.folders.get(folderOf(path));
    const index = playlistKey === undefined ? undefined : this.playlists.get(playlistKey)?.index;
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
    for (const folder of index.folders) {
      if (this.folders.get(folder) === key) continue;
      this.folders.delete(folder);
      this.folders.set(folder, key);
      if (this.folders.size > MAX_FOLDERS) this.folders.delete(this.folders.keys().next().value as string);
    }
  }

  /**
   * The playlist's segment keys, parsed once per copy (a live playlist's next copy has another ETag) and kept as the
   * playlist's current index; undefined for anything that is not a readable media playlist. An encoded variant is
   * not read and leaves the identity copy's index in place.
   */
  private indexOf(key: CacheKey, e: CacheEntry): SegmentIndex | undefined {
    const known = this.playlists.get(key);
    if (known?.etag === e.etag) return known.index ?? undefined;
    if (isEncoded(e)) return known?.index ?? undefined;
    const index = e.status === 200 ? this.parse(key, e.body) : null;
    this.playlists.delete(key);
    this.playlists.set(key, { etag: e.etag, index });
    if (this.playlists.size > MAX_PLAYLISTS) this.playlists.delete(this.playlists.keys().next().value as CacheKey);
    return index ?? undefined;
  }

  /** Memory tier off: the shared tier holds `e` fresh until its TTL runs out (nothing to fetch ahead before then). */
  private rememberShared(key: CacheKey, e: CacheEntry): void {
    if (this.o.edge.memory.isEnabled || !this.o.edge.redis) return;
    this.knownShared.delete(key);
    this.knownShared.set(key, e.storedAt + e.ttlMs);
    if (this.knownShared.size > MAX_KNOWN_SHARED) this.knownShared.delete(this.knownShared.keys().next().value as CacheKey);
  }

  /** Is there a fresh copy this edge can serve without fetching: in its memory tier, or (memory tier off) in Redis as last seen. */
  private isCached(key: CacheKey): boolean {
    const edge = this.o.edge;
    const now = edge.clock();
    if (!edge.memory.isEnabled) {
      if (edge.purges.epoch !== this.knownEpoch) {
        this.knownShared.clear();
        this.knownEpoch = edge.purges.epoch;
      }
      return (this.knownShared.get(key) ?? 0) > now;
    }
    const cached = edge.memory.get(key);
    return cached !== undefined && freshnessOf(cached, now) === 'fresh';
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
    const folders = [...new Set(keys.map((k) => folderOf(pathOfKey(k))))];
    return { keys, position, folders };
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
    // No tier to prefetch into: a memory tier of 0 and no Redis.
    if (!edge.memory.isEnabled && !edge.redis) return;
    if (this.wanted.has(key) || this.unserved.has(key) || edge.fills.get(key)) return;
    if (this.isCached(key)) return;
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
    // canStream: the fill is shared as it arrives (fill.ts streamToViewer, with no viewer of its own), so a viewer who
    // joins it gets the first bytes at once instead of waiting for the whole object.
    const x = newExchange({ req: undefined, res: undefined, key, behavior, isHead: false, range: { kind: 'none' }, canStream: true, startedAt: performance.now() });
    // Marked before the fill: a viewer who arrives meanwhile joins it (collapsed) and is served what it brings.
    this.markUnserved(key, 0);
    await this.o.run(x);
    const e = x.served;
    if (e && !e.isNegative) this.rememberShared(key, e);
    // A hit in memory brought nothing; a hit in Redis brought the object into memory, or nothing when there is none.
    const brought = e !== undefined && !e.isNegative && !(x.outcome === 'hit' && (x.tier === 'memory' || !edge.memory.isEnabled));
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
