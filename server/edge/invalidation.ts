// Invalidation: purges numbered in Redis, fanned out by pub/sub, applied by every edge, tracked by heartbeats.
import { randomBytes } from 'node:crypto';
import { BadRequestError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { keyNodes, unlinkEach } from '../core/redis-client.ts';
import type { EdgeMetrics } from './edge-metrics.ts';
import type { RedisKeys } from './cache-key.ts';
import type { MemoryTier } from './memory-tier.ts';
import { recordMatches, type PurgeLog, type PurgeRecord } from './purge-log.ts';
import { script, type RedisTier } from './redis-tier.ts';

const MAX_PATHS = 1000;
/** A path to purge: exact, or a prefix when it ends in "*" (CloudFront allows the wildcard only at the end). */
const PURGE_PATH = /^\/[A-Za-z0-9._~!$&'()+,;=:@/-]{0,1023}\*?$/;

/** `{"paths": [...]}` from an admin request → the list, or a 400 naming the bad entry. */
export function validateInvalidationPaths(body: unknown): string[] {
  const paths = typeof body === 'object' && body !== null ? (body as { paths?: unknown }).paths : undefined;
  if (!Array.isArray(paths) || paths.length === 0) throw new BadRequestError('body must be {"paths": ["/vod/abc/*", ...]} with at least one path', 'EDGE_INVALIDATION_INVALID');
  if (paths.length > MAX_PATHS) throw new BadRequestError(`at most ${MAX_PATHS} paths per invalidation, got ${paths.length}`, 'EDGE_INVALIDATION_INVALID');
  paths.forEach((p, i) => {
    if (typeof p !== 'string' || !PURGE_PATH.test(p)) {
      throw new BadRequestError(
        `paths[${i}] must start with "/", use URL path characters, and may end in "*" (prefix); got ${JSON.stringify(p)?.slice(0, 100)}`,
        'EDGE_INVALIDATION_INVALID',
      );
    }
  });
  return [...new Set(paths as string[])];
}

/** Numbers the purge, logs it (last 10,000) and keeps its record for a day, atomically. */
const SUBMIT = script(`
local seq = redis.call('INCR', KEYS[1])
local rec = cjson.encode({seq = seq, id = ARGV[1], at = tonumber(ARGV[2]), paths = cjson.decode(ARGV[3])})
redis.call('ZADD', KEYS[2], seq, rec)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -10001)
redis.call('SET', KEYS[3], rec, 'PX', ARGV[4])
return rec`);

const RECORD_TTL_MS = 86_400_000;

export function parsePurgeRecord(text: string): PurgeRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const paths = r['paths'];
  if (typeof r['seq'] !== 'number' || typeof r['id'] !== 'string' || typeof r['at'] !== 'number') return undefined;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) return undefined;
  return { seq: r['seq'], id: r['id'], at: r['at'], paths: paths as string[] };
}

export interface InvalidationStatus {
  readonly id: string;
  /** CloudFront's words: InProgress until every live edge process has applied it. */
  readonly status: 'InProgress' | 'Completed';
  readonly createTime: string;
  readonly paths: readonly string[];
  readonly edges: ReadonlyArray<{ readonly edge: string; readonly instance: string; readonly applied: boolean }>;
}

export interface InvalidatorOptions {
  readonly redis: RedisTier | undefined;
  readonly keys: RedisKeys;
  readonly memory: MemoryTier;
  readonly purges: PurgeLog;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics: EdgeMetrics;
  readonly edgeId: string;
  readonly heartbeatMs: number;
}

export class Invalidator {
  readonly instance = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private catchingUp: Promise<void> | undefined;

  constructor(private readonly opts: InvalidatorOptions) {}

  /** Subscribes to purges, catches up with the log, and starts heartbeats. */
  async start(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return;
    redis.subscribe(this.opts.keys.purgeChannel, (message) => {
      const rec = parsePurgeRecord(message);
      if (!rec) return;
      this.apply(rec, 'remote');
      if (rec.seq === this.opts.purges.appliedSeq + 1) this.opts.purges.appliedSeq = rec.seq;
      else void this.catchUp();
      void this.beat();
    });
    await this.catchUp();
    await this.beat();
    this.timer = setInterval(() => {
      void this.catchUp().then(() => this.beat());
    }, this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Applies one purge to this process: forget matching objects in memory, remember it against in-flight fills. */
  apply(rec: PurgeRecord, source: 'local' | 'remote'): boolean {
    if (!this.opts.purges.add(rec)) return false;
    const n = this.opts.memory.deleteWhere((k) => recordMatches(rec, k));
    this.opts.metrics.purges.inc({ source });
    if (n > 0) this.opts.metrics.purgedObjects.inc({ tier: 'memory' }, n);
    this.opts.logger.info({ id: rec.id, seq: rec.seq, paths: rec.paths.length, removed: n, source }, 'purge applied');
    return true;
  }

  /**
   * Purges everywhere: numbered in Redis, applied here, announced to every edge, then deleted from Redis.
   * Without Redis only this process is purged (`scope: 'this-edge'`).
   */
  async submit(paths: readonly string[]): Promise<{ readonly scope: 'all-edges' | 'this-edge'; readonly record: PurgeRecord }> {
    const id = `I${randomBytes(8).toString('hex').toUpperCase()}`;
    const at = this.opts.clock();
    const redis = this.opts.redis;
    const k = this.opts.keys;
    const res = redis
      ? await redis.attempt('purge', (r) => redis.evalScript(r, SUBMIT, [k.purgeSeq, k.purgeLog, k.invalidation(id)], [id, at, JSON.stringify(paths), RECORD_TTL_MS]))
      : { ok: false as const };
    const rec = res.ok && typeof res.value === 'string' ? parsePurgeRecord(res.value) : undefined;
    if (!redis || !rec) {
      const local: PurgeRecord = { seq: 0, id, at, paths };
      this.apply(local, 'local');
      return { scope: 'this-edge', record: local };
    }
    this.apply(rec, 'local');
    if (rec.seq === this.opts.purges.appliedSeq + 1) this.opts.purges.appliedSeq = rec.seq;
    await redis.publish(k.purgeChannel, res.ok ? String(res.value) : JSON.stringify(rec));
    await this.deleteShared(rec);
    await this.catchUp();
    await this.beat();
    return { scope: 'all-edges', record: rec };
  }

  /** Deletes matching objects from Redis. Correctness does not hang on it: copies older than a purge are refused on read. */
  private async deleteShared(rec: PurgeRecord): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return;
    const k = this.opts.keys;
    let removed = 0;
    for (const p of rec.paths) {
      if (!p.endsWith('*')) {
        const del = await redis.attempt('purge-del', (r) => r.del(k.object(p)));
        if (del.ok) removed += del.value;
      }
      const pattern = k.objectsStartingWith(p.endsWith('*') ? p.slice(0, -1) : `${p}?`);
      // SCAN sees one node: in a cluster, every master is scanned, and keys are unlinked one by one (other slots).
      for (const node of keyNodes(redis.client)) {
        let cursor = '0';
        do {
          const page = await redis.attempt('purge-scan', () => node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
          if (!page.ok) break;
          cursor = page.value[0];
          const keys = page.value[1];
          if (keys.length > 0) {
            const del = await redis.attempt('purge-del', () => unlinkEach(node, keys));
            if (del.ok) removed += del.value;
          }
        } while (cursor !== '0');
      }
    }
    if (removed > 0) this.opts.metrics.purgedObjects.inc({ tier: 'redis' }, removed);
  }

  /** Applies every logged purge this process has not seen (missed messages, a restart, a Redis outage). */
  catchUp(): Promise<void> {
    this.catchingUp ??= this.readLog().finally(() => {
      this.catchingUp = undefined;
    });
    return this.catchingUp;
  }

  private async readLog(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return;
    const since = this.opts.purges.appliedSeq;
    const page = await redis.attempt('purge-log', (r) => r.zrangebyscore(this.opts.keys.purgeLog, `(${since}`, '+inf'));
    if (!page.ok) return;
    let max = since;
    for (const text of page.value) {
      const rec = parsePurgeRecord(text);
      if (!rec) continue;
      this.apply(rec, 'remote');
      max = Math.max(max, rec.seq);
    }
    if (max > this.opts.purges.appliedSeq) this.opts.purges.appliedSeq = max;
  }

  /** Tells the others how far this process has applied purges; expires if the process dies. */
  async beat(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return;
    const value = JSON.stringify({ edge: this.opts.edgeId, instance: this.instance, appliedSeq: this.opts.purges.appliedSeq, at: this.opts.clock() });
    const ttl = Math.max(3 * this.opts.heartbeatMs, 3_000);
    await redis.attempt('heartbeat', (r) => r.set(this.opts.keys.edgeProcess(this.opts.edgeId, this.instance), value, 'PX', ttl));
  }

  /** Undefined when the id is unknown (or Redis is unavailable and the status cannot be read). */
  async status(id: string): Promise<InvalidationStatus | undefined> {
    const redis = this.opts.redis;
    if (!redis || !/^I[0-9A-F]{16}$/.test(id)) return undefined;
    const got = await redis.attempt('invalidation-status', (r) => r.get(this.opts.keys.invalidation(id)));
    const rec = got.ok && got.value ? parsePurgeRecord(got.value) : undefined;
    if (!rec) return undefined;
    const edges: Array<{ edge: string; instance: string; applied: boolean }> = [];
    // The heartbeat keys share the {purge} hash tag, so in a cluster they sit on one node and one MGET reads a page.
    for (const node of keyNodes(redis.client)) {
      let cursor = '0';
      do {
        const page = await redis.attempt('invalidation-status', () => node.scan(cursor, 'MATCH', this.opts.keys.edgeProcesses(), 'COUNT', 1000));
        if (!page.ok) return undefined;
        cursor = page.value[0];
        if (page.value[1].length === 0) continue;
        const values = await redis.attempt('invalidation-status', () => node.mget(...page.value[1]));
        if (!values.ok) return undefined;
        for (const v of values.value) {
          if (!v) continue;
          try {
            const hb = JSON.parse(v) as { edge?: unknown; instance?: unknown; appliedSeq?: unknown };
            if (typeof hb.edge === 'string' && typeof hb.instance === 'string' && typeof hb.appliedSeq === 'number') {
              edges.push({ edge: hb.edge, instance: hb.instance, applied: hb.appliedSeq >= rec.seq });
            }
          } catch {
            // not ours
          }
        }
      } while (cursor !== '0');
    }
    edges.sort((a, b) => (a.edge + a.instance).localeCompare(b.edge + b.instance));
    return {
      id: rec.id,
      status: edges.every((e) => e.applied) ? 'Completed' : 'InProgress',
      createTime: new Date(rec.at).toISOString(),
      paths: rec.paths,
      edges,
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.catchingUp;
    const redis = this.opts.redis;
    if (redis) await redis.attempt('heartbeat', (r) => r.del(this.opts.keys.edgeProcess(this.opts.edgeId, this.instance)));
  }
}
