// The in-process memory tier: an LRU bounded in bytes (lru-cache maxSize), synchronous so hits stay lean.
import { LRUCache } from 'lru-cache';
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';

/** Bookkeeping per object beyond its body (key, headers, object), so many tiny playlists still respect the bound. */
const OVERHEAD_BYTES = 512;

export interface MemoryTierOptions {
  readonly maxBytes: number;
  /** Larger objects are not kept here (they would evict everything else). */
  readonly maxObjectBytes: number;
  readonly onEvict?: (key: CacheKey) => void;
}

export class MemoryTier {
  private readonly lru: LRUCache<CacheKey, CacheEntry> | undefined;
  readonly maxBytes: number;
  private readonly maxObjectBytes: number;

  constructor(opts: MemoryTierOptions) {
    this.maxBytes = opts.maxBytes;
    // An object may take at most a quarter of the tier, and never more than the configured object bound.
    this.maxObjectBytes = Math.min(opts.maxObjectBytes, Math.floor(opts.maxBytes / 4));
    const onEvict = opts.onEvict;
    this.lru =
      opts.maxBytes > 0
        ? new LRUCache<CacheKey, CacheEntry>({
            maxSize: opts.maxBytes,
            sizeCalculation: (e) => MemoryTier.sizeOf(e),
            dispose: onEvict ? (_v, k, reason) => (reason === 'evict' ? onEvict(k) : undefined) : undefined,
          })
        : undefined;
  }

  static sizeOf(e: CacheEntry): number {
    return e.body.length + OVERHEAD_BYTES;
  }

  get isEnabled(): boolean {
    return this.lru !== undefined;
  }

  get(key: CacheKey): CacheEntry | undefined {
    return this.lru?.get(key);
  }

  /** False when the object is too large for this tier (or the tier is off). */
  put(entry: CacheEntry): boolean {
    if (!this.lru || MemoryTier.sizeOf(entry) > this.maxObjectBytes) return false;
    this.lru.set(entry.key, entry);
    return true;
  }

  delete(key: CacheKey): boolean {
    return this.lru?.delete(key) ?? false;
  }

  /** Removes every key the predicate accepts; returns how many. O(n), only for purges. */
  deleteWhere(pred: (key: CacheKey) => boolean): number {
    if (!this.lru) return 0;
    const doomed: CacheKey[] = [];
    for (const k of this.lru.keys()) if (pred(k)) doomed.push(k);
    for (const k of doomed) this.lru.delete(k);
    return doomed.length;
  }

  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get entries(): number {
    return this.lru?.size ?? 0;
  }

  clear(): void {
    this.lru?.clear();
  }
}
