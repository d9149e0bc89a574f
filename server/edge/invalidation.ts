// Invalidation: purges numbered in Redis (per epoch), fanned out by pub/sub, applied by every edge, tracked by heartbeats.
import { randomBytes } from 'node:crypto';
import { BadRequestError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { keyNodes, unlinkEach } from '../core/redis-client.ts';
import type { EdgeMetrics } from './edge-metrics.ts';
import type { RedisKeys } from './cache-key.ts';
import type { MemoryTier } from './memory-tier.ts';
import { recordMatches, type PurgeLog, type PurgeRecord } from './purge-log.ts';
import { parsePurgeRecord } from './purge-scripts.ts';
import { continuesChain, planSync, type Doubt, type PurgePosition } from './purge-sync.ts';
import type { RedisTier } from './redis-tier.ts';


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

const RECORD_TTL_MS = 86_400_000;
/** How long after Redis lost its purge state every live edge process has beaten again (reconnect back-off ≤ 1 s). */
const EPOCH_SETTLE_MS = 3_000;

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
  private syncing: Promise<void> | undefined;
  private isSyncWanted = false;

  constructor(private readonly opts: InvalidatorOptions) {}

  /** Subscribes to purges, catches up with the log (now, and whenever a Redis connection is back), and starts heartbeats. */
  async start(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return;
    redis.subscribe(this.opts.keys.purgeChannel, (message) => {
      const rec = parsePurgeRecord(message);
      if (!rec) return;
      this.apply(rec, 'remote');
      this.advance(rec);
      void this.beat();
    });
    // Messages published while a connection was down are lost: the log has them (and says whether Redis lost its own).
    redis.onReady(() => void this.catchUp().then(() => this.beat()));
    await this.catchUp();
    await this.beat();
    this.timer = setInterval(() => {
      void this.catchUp().then(() => this.beat());
    }, this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Applies one purge to this process: forget matching objects in memory, remember it against in-flight fills. */
  apply(rec: PurgeRecord, source: 'local' | 'remote' | 'log' | 'resync'): boolean {
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
    const res = redis ? await redis.attempt('purge', () => redis.scripts.submit(id, at, paths, RECORD_TTL_MS)) : { ok: false as const };
    const rec = res.ok ? res.value : undefined;
    if (!redis || !rec) {
      const local: PurgeRecord = { seq: 0, prev: 0, epoch: '', id, at, paths };
      this.apply(local, 'local');
      return { scope: 'this-edge', record: local };
    }
    this.apply(rec, 'local');
    this.advance(rec);
    await redis.publish(this.opts.keys.purgeChannel, JSON.stringify(rec));
    await this.deleteShared(rec);
    await this.catchUp();
    await this.beat();
    return { scope: 'all-edges', record: rec };
  }

  /** Moves this process's place in the log past `rec` when it continues the chain; anything else is left to a log read. */
  private advance(rec: PurgeRecord): void {
    const p = this.opts.purges;
    if (!this.syncing && continuesChain(this.position(), rec)) {
      p.appliedSeq = rec.seq;
      p.appliedId = rec.id;
    } else {
      void this.catchUp();
    }
  }

  private position(): PurgePosition {
    const p = this.opts.purges;
    return { epoch: p.redisEpoch, seq: p.appliedSeq, id: p.appliedId };
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

  /**
   * Reads the log from this process's place and applies what it has not seen (missed messages, a restart, a Redis
   * outage). One read at a time; a call during a read schedules one more, so nothing announced meanwhile is skipped.
   */
  catchUp(): Promise<void> {
    if (this.syncing) {
      this.isSyncWanted = true;
      return this.syncing;
    }
    const run = async (): Promise<void> => {
      do {
        this.isSyncWanted = false;
        await this.sync();
      } while (this.isSyncWanted);
    };
    this.syncing = run().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async sync(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return;
    const pos = this.position();
    const memoryIsEmpty = this.opts.memory.entries === 0;
    const got = await redis.attempt('purge-log', () => redis.scripts.head(pos.epoch, pos.seq));
    if (!got.ok) return;
    let plan = planSync(pos, got.value, { isFullLog: got.value.epoch !== pos.epoch, memoryIsEmpty });
    if (plan.needsFullLog) {
      const all = await redis.attempt('purge-log', () => redis.scripts.head(undefined, 0));
      if (!all.ok) return;
      plan = planSync(pos, all.value, { isFullLog: true, memoryIsEmpty });
    }
    for (const rec of plan.apply) this.apply(rec, 'log');
    if (plan.doubt) this.dropMemory(plan.doubt, pos);
    const p = this.opts.purges;
    p.redisEpoch = plan.position.epoch;
    p.appliedSeq = plan.position.seq;
    p.appliedId = plan.position.id;
  }

  /**
   * When in doubt, purge everything this process holds: a purge of a lost history may never have reached it. Applied
   * as a local purge of "/*", so fills in flight are not stored either. Shared copies are not touched: every purge
   * deleted its matches from Redis, and stores were checked against the log Redis had.
   */
  private dropMemory(doubt: Doubt, was: PurgePosition): void {
    const entries = this.opts.memory.entries;
    this.apply({ seq: 0, prev: 0, epoch: '', id: `resync-${randomBytes(6).toString('hex')}`, at: this.opts.clock(), paths: ['/*'] }, 'resync');
    this.opts.logger.warn({ reason: doubt, previousEpoch: was.epoch, dropped: entries }, 'purge log lost or broken in Redis: dropped the memory tier, as purges may have been missed');
  }

  /** Tells the others how far this process has applied purges; expires if the process dies. */
  async beat(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return;
    const p = this.opts.purges;
    const value = JSON.stringify({ edge: this.opts.edgeId, instance: this.instance, epoch: p.redisEpoch ?? null, appliedSeq: p.appliedSeq, at: this.opts.clock() });
    const ttl = this.heartbeatTtlMs;
    await redis.attempt('heartbeat', (r) => r.set(this.opts.keys.edgeProcess(this.opts.edgeId, this.instance), value, 'PX', ttl));
  }

  /** A heartbeat key outlives two missed beats: a process silent longer is taken for dead. */
  private get heartbeatTtlMs(): number {
    return Math.max(3 * this.opts.heartbeatMs, 3_000);
  }

  /** Undefined when the id is unknown (or Redis is unavailable and the status cannot be read). */
  async status(id: string): Promise<InvalidationStatus | undefined> {
    const redis = this.opts.redis;
    if (!redis || !/^I[0-9A-F]{16}$/.test(id)) return undefined;
    const got = await redis.attempt('invalidation-status', (r) => r.get(this.opts.keys.invalidation(id)));
    const rec = got.ok && got.value ? parsePurgeRecord(got.value) : undefined;
    if (!rec) return undefined;
    const head = await redis.attempt('invalidation-status', () => redis.scripts.head(undefined, undefined));
    if (!head.ok) return undefined;
    const epoch = head.value.epoch;
    // A process has applied it when its heartbeat says so in the purge's own epoch. A purge of an epoch Redis has since
    // lost counts as applied by a process that has moved to the current epoch: moving there dropped its memory tier.
    const hasApplied = (hb: { epoch: unknown; appliedSeq: number }): boolean =>
      (hb.epoch === rec.epoch && hb.appliedSeq >= rec.seq) || (rec.epoch !== epoch && hb.epoch === epoch);
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
            const hb = JSON.parse(v) as { edge?: unknown; instance?: unknown; epoch?: unknown; appliedSeq?: unknown };
            if (typeof hb.edge === 'string' && typeof hb.instance === 'string' && typeof hb.appliedSeq === 'number') {
              edges.push({ edge: hb.edge, instance: hb.instance, applied: hasApplied({ epoch: hb.epoch, appliedSeq: hb.appliedSeq }) });
            }
          } catch {
            // not ours
          }
        }
      } while (cursor !== '0');
    }
    edges.sort((a, b) => (a.edge + a.instance).localeCompare(b.edge + b.instance));
    // Right after Redis lost its data, live processes have not all beaten again, so an absent heartbeat does not yet
    // mean a dead process. Each beats as soon as it reconnects (onReady), within the client's back-off of at most 1 s;
    // until the epoch is a few seconds old (Redis's clock on both sides), nothing is Completed.
    const isSettled = head.value.nowMs - head.value.sinceMs >= Math.min(this.heartbeatTtlMs, EPOCH_SETTLE_MS);
    return {
      id: rec.id,
      status: isSettled && edges.length > 0 && edges.every((e) => e.applied) ? 'Completed' : 'InProgress',
      createTime: new Date(rec.at).toISOString(),
      paths: rec.paths,
      edges,
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.syncing;
    const redis = this.opts.redis;
    if (redis) await redis.attempt('heartbeat', (r) => r.del(this.opts.keys.edgeProcess(this.opts.edgeId, this.instance)));
  }
}
