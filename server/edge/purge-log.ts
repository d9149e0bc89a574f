// Recent purges this process has applied: decides whether a fill or a shared copy predates a matching purge.
import type { CacheKey } from './cache-key.ts';

/** One invalidation as stored in Redis (and in the log): `paths` are exact paths or prefixes ending in "*". */
export interface PurgeRecord {
  /** Order across every edge (Redis INCR); 0 for a purge that could only be applied to this process. */
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly paths: readonly string[];
}

/**
 * A path ending in "*" is a prefix; any other path matches the key exactly or with a query string (a purge of
 * /vod/a/x.m3u8 removes /vod/a/x.m3u8?lang=en too). The Lua store script in redis-tier.ts applies the same rule.
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
  private readonly seen = new Set<number>();
  /** Every purge with seq <= appliedSeq has been applied here. */
  appliedSeq = 0;
  /** Number of purges applied by this process. */
  epoch = 0;

  constructor(private readonly opts: PurgeLogOptions) {}

  has(seq: number): boolean {
    return seq > 0 && this.seen.has(seq);
  }

  /** Records a purge; false when this seq was already applied. */
  add(rec: PurgeRecord): boolean {
    if (this.has(rec.seq)) return false;
    this.epoch++;
    this.applied.push({ rec, epoch: this.epoch });
    if (rec.seq > 0) this.seen.add(rec.seq);
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

  /** Did a purge with a sequence number above `seq` match the key? (A copy filled under `seq`.) */
  purgedSinceSeq(key: CacheKey, seq: number): boolean {
    for (const a of this.applied) if (a.rec.seq > seq && recordMatches(a.rec, key)) return true;
    return false;
  }

  private trim(): void {
    const cutoff = this.opts.clock() - this.opts.retentionMs;
    let drop = 0;
    while (drop < this.applied.length && ((this.applied[drop]?.rec.at ?? 0) < cutoff || this.applied.length - drop > this.opts.maxRecords)) drop++;
    if (drop === 0) return;
    for (const a of this.applied.slice(0, drop)) this.seen.delete(a.rec.seq);
    this.applied = this.applied.slice(drop);
  }
}
