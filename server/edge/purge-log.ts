// Recent purges this process has applied: decides whether a fill or a shared copy predates a matching purge.
import type { CacheKey } from './cache-key.ts';

/** One invalidation as stored in Redis (and in the log): `paths` are exact paths or prefixes ending in "*". */
export interface PurgeRecord {
  /**
   * Order across every edge and every epoch (purge-scripts.ts: max(previous + 1, Redis time in µs)); 0 for a purge
   * applied to this process only (Redis unavailable, or a conservative resync).
   */
  readonly seq: number;
  /** The seq of the purge logged before this one in the same epoch (0 for the first): proves a chain is unbroken. */
  readonly prev: number;
  /** The Redis epoch that numbered it ('' for local purges). */
  readonly epoch: string;
  readonly id: string;
  readonly at: number;
  readonly paths: readonly string[];
}

/**
 * A path ending in "*" is a prefix; any other path matches the key exactly or with a query string (a purge of
 * /vod/a/x.m3u8 removes /vod/a/x.m3u8?lang=en too). The Lua store script in purge-scripts.ts applies the same rule.
 */
export function purgeMatches(pattern: string, key: CacheKey): boolean {
  if (pattern.endsWith('*')) return key.startsWith(pattern.slice(0, -1));
  return key === pattern || (key.length > pattern.length && key.startsWith(pattern) && key.charCodeAt(pattern.length) === 63 /* ? */);
}

export function recordMatches(rec: Pick<PurgeRecord, 'paths'>, key: CacheKey): boolean {
  for (const p of rec.paths) if (purgeMatches(p, key)) return true;
  return false;
}

interface Applied {
  readonly rec: PurgeRecord;
  /** Local order of application, so local-only purges (seq 0) are ordered too. */
  readonly epoch: number;
}

export interface PurgeLogOptions {
  readonly clock: () => number;
  /** Records older than this are forgotten: longer than any fill can take. */
  readonly retentionMs: number;
  readonly maxRecords: number;
}

export class PurgeLog {
  private applied: Applied[] = [];
  private readonly seen = new Set<string>();
  /**
   * This process's place in the Redis purge log: in epoch `redisEpoch`, every purge up to `appliedSeq` has been applied
   * here, and `appliedId` is the one numbered `appliedSeq` (undefined when the log no longer holds it). Undefined epoch:
   * Redis has not been read yet. Only invalidation.ts moves it, after checking the chain (purge-sync.ts).
   */
  redisEpoch: string | undefined = undefined;
  appliedSeq = 0;
  appliedId: string | undefined = undefined;
  /** Number of purges applied by this process (a local order, unrelated to Redis epochs). */
  epoch = 0;

  constructor(private readonly opts: PurgeLogOptions) {}

  has(id: string): boolean {
    return this.seen.has(id);
  }

  /** Records a purge; false when this id was already applied (a message and a log read may bring the same one). */
  add(rec: PurgeRecord): boolean {
    if (this.has(rec.id)) return false;
    this.epoch++;
    this.applied.push({ rec, epoch: this.epoch });
    this.seen.add(rec.id);
    this.trim();
    return true;
  }

  /** Did a purge applied here after local epoch `since` match the key? (A fill started at `since`.) */
  purgedSinceEpoch(key: CacheKey, since: number): boolean {
    if (since >= this.epoch) return false;
    for (let i = this.applied.length - 1; i >= 0; i--) {
      const a = this.applied[i];
      if (!a || a.epoch <= since) break;
      if (recordMatches(a.rec, key)) return true;
    }
    return false;
  }

  /**
   * Did a purge with a sequence number above `seq` match the key? (A copy filled under `seq`.) Sequence numbers rise
   * across epochs, so this holds after Redis lost its counter too. Local purges (seq 0) say nothing about shared copies.
   */
  purgedSinceSeq(key: CacheKey, seq: number): boolean {
    for (const a of this.applied) if (a.rec.seq > seq && recordMatches(a.rec, key)) return true;
    return false;
  }

  private trim(): void {
    const cutoff = this.opts.clock() - this.opts.retentionMs;
    let drop = 0;
    while (drop < this.applied.length && ((this.applied[drop]?.rec.at ?? 0) < cutoff || this.applied.length - drop > this.opts.maxRecords)) drop++;
    if (drop === 0) return;
    for (const a of this.applied.slice(0, drop)) this.seen.delete(a.rec.id);
    this.applied = this.applied.slice(drop);
  }
}
