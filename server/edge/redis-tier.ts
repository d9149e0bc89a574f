// The shared Redis tier: binary objects with expiry, fill locks, pub/sub — bounded timeouts and a circuit breaker.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from '../core/log.ts';
import { Cluster, createRedisClient, type RedisClient } from '../core/redis-client.ts';
import { describeRedisTarget, type RedisTarget } from '../core/redis-target.ts';
import type { EdgeMetrics } from './edge-metrics.ts';
import { CacheEntry } from './cache-entry.ts';
import type { CacheKey, RedisKeys } from './cache-key.ts';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.ts';
import { recordMatches } from './purge-log.ts';
import { PurgeScripts } from './purge-scripts.ts';
import { defineScript, type RedisScript } from '../core/redis-script.ts';
import { StallWatch } from './redis-stall.ts';

export interface RedisTierOptions {
  /** One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
  readonly target: RedisTarget;
  readonly keys: RedisKeys;
  /**
   * Bound on each command of the control connection (locks, purges, heartbeats); on the connections that carry object
   * bytes (objects, fill progress), the longest time one may move no bytes while a command waits.
   */
  readonly commandTimeoutMs: number;
  readonly maxObjectBytes: number;
  readonly breakerThreshold: number;
  readonly breakerCooldownMs: number;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics: EdgeMetrics;
  /** Every edge process has its own lock token (each fill adds a counter), so only the holder releases a lock. */
  readonly lockToken: string;
  /** The purge epoch this process's fills start under (the purge log's), for the store-time check. */
  readonly purgeEpoch?: () => string | undefined;
}

export type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export type FillNotice = 'stored' | 'failed';

export type LockAttempt = { readonly kind: 'acquired'; readonly token: string } | { readonly kind: 'held'; readonly holder: string } | { readonly kind: 'unavailable' };

/**
 * The slowest rate at which a value being stored is expected to leave for Redis (a link a hundred times slower than
 * a gigabit LAN): only a write connection silent beyond it, plus the command bound, is stalled.
 */
const WRITE_FLOOR_BYTES_PER_SECOND = 1_000_000;

/**
 * Connections by what they carry: control (locks, purges, heartbeats, registry), reads of object bytes, writes of
 * object bytes, and the subscriber. A 30 MB object moving through Redis takes longer than a lock should ever wait, and
 * on one connection every command queued behind it would wait too. Control keeps its fixed bound per command; the
 * byte connections are bounded by progress (redis-stall.ts), so a large object on a slow link is neither a failure
 * nor a step towards opening the breaker, while a Redis that stops answering still fails within the bound. Reads and
 * writes are apart so a viewer's read never queues behind a store, and a read's silence is seen at once (a write's
 * last bytes sit in the kernel's buffer, unseen).
 */
export class RedisTier {
  readonly client: RedisClient;
  private readonly reader: RedisClient;
  private readonly writer: RedisClient;
  private readonly readStall: StallWatch;
  private readonly writeStall: StallWatch;
  /** The store script, on the write connection. */
  private readonly writerScripts: PurgeScripts;
  private readonly sub: RedisClient;
  readonly breaker: CircuitBreaker;
  private readonly channelHandlers = new Map<string, (message: string) => void>();
  private readonly downListeners = new Set<() => void>();
  private readonly readyListeners = new Set<() => void>();
  /** The purge counter, log and store-time check (one Lua each, loaded with defineCommand). */
  readonly scripts: PurgeScripts;
  private readonly releaseScript: RedisScript;
  private readonly reads = new Map<CacheKey, Promise<CacheEntry | undefined>>();
  /** An outage is one warning when it starts and one line when it ends; the failures between are counted, not logged. */
  private outage: { since: number; failures: number } | undefined;
  private closed = false;
  private lockSeq = 0;

  constructor(private readonly opts: RedisTierOptions) {
    const retryStrategy = (times: number): number => Math.min(100 * times, 1_000);
    // Commands fail at once while disconnected (no offline queue) and after commandTimeoutMs when Redis is slow:
    // a viewer never waits on Redis for longer than that.
    const failFast = { connectTimeout: Math.max(1_000, opts.commandTimeoutMs * 4), enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy, lazyConnect: false };
    this.client = createRedisClient(opts.target, { ...failFast, commandTimeout: opts.commandTimeoutMs });
    this.reader = createRedisClient(opts.target, failFast);
    this.writer = createRedisClient(opts.target, failFast);
    const stallMs = opts.commandTimeoutMs;
    this.readStall = new StallWatch({ stallMs, moved: () => bytesMoved(this.reader), clock: () => Date.now() });
    this.writeStall = new StallWatch({ stallMs, moved: () => bytesMoved(this.writer), clock: () => Date.now(), floorBytesPerSecond: WRITE_FLOOR_BYTES_PER_SECOND });
    // The subscriber may queue its SUBSCRIBE until connected; ioredis resubscribes after every reconnect. In a cluster,
    // classic PUBLISH reaches subscribers on every node (the cluster bus forwards it), so one subscription suffices.
    this.sub = createRedisClient(opts.target, { connectTimeout: Math.max(1_000, opts.commandTimeoutMs * 4), maxRetriesPerRequest: null, retryStrategy });
    this.breaker = new CircuitBreaker({
      failureThreshold: opts.breakerThreshold,
      cooldownMs: opts.breakerCooldownMs,
      clock: opts.clock,
      onChange: (s) => this.onBreaker(s),
    });
    for (const c of [this.client, this.reader, this.writer]) {
      c.on('error', (err: Error) => {
        opts.metrics.redisErrors.inc({ op: 'connection' });
        this.warn('redis connection error', err);
      });
    }
    this.sub.on('error', (err: Error) => {
      opts.metrics.redisErrors.inc({ op: 'subscriber' });
      this.warn('redis subscriber error', err);
    });
    this.scripts = new PurgeScripts(this.client, opts.keys, () => randomBytes(8).toString('hex'));
    this.writerScripts = new PurgeScripts(this.writer, opts.keys, () => randomBytes(8).toString('hex'));
    this.releaseScript = defineScript(this.client, 'edgelineReleaseLock', 1, RELEASE_LUA);
    this.client.on('ready', () => {
      if (!this.recovered()) opts.logger.info({ redis: describeRedisTarget(opts.target) }, 'redis tier connected');
      for (const l of this.readyListeners) l();
    });
    // ioredis resubscribes right after 'ready'; subscribing again and awaiting the reply means the listeners run only
    // once messages are flowing, so a log read they start cannot miss one published in between.
    this.sub.on('ready', () => {
      const channels = [...this.channelHandlers.keys()];
      if (channels.length === 0) return;
      this.sub.subscribe(...channels).then(
        () => {
          for (const l of this.readyListeners) l();
        },
        (err: unknown) => this.warn('redis resubscribe failed', err),
      );
    });
    this.client.on('close', () => {
      if (this.closed) return;
      this.warn('redis disconnected', undefined);
      for (const l of this.downListeners) l();
    });
    for (const c of [this.reader, this.writer, this.sub]) {
      c.on('close', () => {
        if (!this.closed) for (const l of this.downListeners) l();
      });
    }
    this.sub.on('message', (channel: string, message: string) => this.channelHandlers.get(channel)?.(message));
  }

  /** Resolves when both connections are ready, or after `timeoutMs` (the edge then starts without Redis). */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const ready = (r: RedisClient): Promise<void> =>
      r.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => r.once('ready', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all([ready(this.client), ready(this.reader), ready(this.writer), ready(this.sub)]).then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get keys(): RedisKeys {
    return this.opts.keys;
  }

  /** The command connections ready and the breaker lets calls through. */
  get isAvailable(): boolean {
    return this.commandsReady && this.breaker.state !== 'open';
  }

  private get commandsReady(): boolean {
    return this.client.status === 'ready' && this.reader.status === 'ready' && this.writer.status === 'ready';
  }

  get status(): { connected: boolean; subscriber: boolean; breaker: BreakerState } {
    return { connected: this.commandsReady, subscriber: this.sub.status === 'ready', breaker: this.breaker.state };
  }

  /** Called when a connection drops (collapsed waiters stop waiting for notices that cannot arrive). */
  onDown(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** Called when a connection is (again) ready: the main one, or the subscriber once its channels are subscribed. */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Runs one Redis operation under the breaker: a failure is logged once per state change, counted, and
   * reported as `{ ok: false }` — a Redis problem is a miss, never a viewer error.
   */
  attempt<T>(op: string, fn: (r: RedisClient) => Promise<T>): Promise<Attempt<T>> {
    return this.run(this.client, op, fn);
  }

  /**
   * The same on the read connection, for commands whose replies carry object bytes: they fail when the connection
   * moves no bytes for the command bound, however long a large value takes to arrive.
   */
  attemptRead<T>(op: string, fn: (r: RedisClient) => Promise<T>): Promise<Attempt<T>> {
    return this.run(this.reader, op, (r) => this.readStall.bound(fn(r)));
  }

  /**
   * The same on the write connection, for commands that send `sending` bytes of an object: in order with each other
   * (a fill's appends, then its end), bounded by progress past the time the bytes take at the floor rate.
   */
  attemptWrite<T>(op: string, fn: (r: RedisClient) => Promise<T>, sending: number): Promise<Attempt<T>> {
    return this.run(this.writer, op, (r) => this.writeStall.bound(fn(r), sending));
  }

  private async run<T>(client: RedisClient, op: string, fn: (r: RedisClient) => Promise<T>): Promise<Attempt<T>> {
    if (this.closed || client.status !== 'ready' || !this.breaker.allow()) return { ok: false };
    try {
      const value = await fn(client);
      this.breaker.success();
      if (this.outage) this.recovered();
      return { ok: true, value };
    } catch (err) {
      this.breaker.failure();
      this.opts.metrics.redisErrors.inc({ op });
      this.warn(`redis ${op} failed`, err);
      return { ok: false };
    }
  }

  /**
   * Concurrent reads of one key share one GET: a popular segment missing from memory (a cold worker, a memory tier
   * too small) costs one Redis transfer per burst, not one per viewer — large values queue on the connection.
   */
  get(key: CacheKey): Promise<CacheEntry | undefined> {
    let p = this.reads.get(key);
    if (!p) {
      p = this.read(key).finally(() => this.reads.delete(key));
      this.reads.set(key, p);
    }
    return p;
  }

  private async read(key: CacheKey): Promise<CacheEntry | undefined> {
    this.opts.metrics.redisObjectReads.inc();
    const got = await this.attemptRead('get', (r) => r.getBuffer(this.opts.keys.object(key)));
    if (!got.ok || !got.value) return undefined;
    return CacheEntry.decode(got.value, key);
  }

  /** 'stored', 'purged' (a newer purge matches: refused), 'skipped' (too large, or Redis unavailable). */
  async put(entry: CacheEntry, retainMs: number): Promise<'stored' | 'purged' | 'skipped'> {
    if (entry.body.length > this.opts.maxObjectBytes || retainMs <= 0) return 'skipped';
    const value = entry.encode();
    if (this.isCluster) return this.putInCluster(entry, value, retainMs);
    const fillEpoch = this.opts.purgeEpoch?.();
    const res = await this.attemptWrite('put', () => this.writerScripts.store(entry.key, value, retainMs, entry.fillSeq, fillEpoch), value.length);
    if (!res.ok) return 'skipped';
    return res.value === 1 ? 'stored' : res.value === 0 ? 'purged' : 'skipped';
  }

  /** Keys spread over the slots of several nodes: multi-key scripts must stay within one slot. */
  get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  /**
   * The store script's rule (purge-scripts.ts) in two steps: the object and the purge log hash to different slots, so one script cannot touch
   * both. A purge landing between the check and the SET can leave an old copy in Redis; readers still refuse it
   * (fill.ts compares its fill sequence with the purges they applied), and the next fill replaces it.
   */
  private async putInCluster(entry: CacheEntry, value: Buffer, retainMs: number): Promise<'stored' | 'purged' | 'skipped'> {
    const k = this.opts.keys;
    const head = await this.attempt('put', (r) => r.hmget(k.purgeSeq, 'epoch', 'seq'));
    if (!head.ok) return 'skipped';
    const [epoch, seq] = head.value;
    const fillEpoch = this.opts.purgeEpoch?.() ?? '';
    // In another epoch every logged purge is one the fill did not know; in its own, those numbered after it.
    const from = !epoch ? undefined : epoch !== fillEpoch ? '-inf' : Number(seq ?? '0') > entry.fillSeq ? `(${entry.fillSeq}` : undefined;
    if (from !== undefined) {
      const newer = await this.attempt('put', (r) => r.zrangebyscore(k.purgeLog, from, '+inf'));
      if (!newer.ok) return 'skipped';
      for (const text of newer.value) {
        let rec: unknown;
        try {
          rec = JSON.parse(text);
        } catch {
          continue;
        }
        const paths = typeof rec === 'object' && rec !== null ? (rec as { paths?: unknown }).paths : undefined;
        if (Array.isArray(paths) && recordMatches({ paths: paths.filter((p): p is string => typeof p === 'string') }, entry.key)) return 'purged';
      }
    }
    const res = await this.attemptWrite('put', (r) => r.set(k.object(entry.key), value, 'PX', Math.ceil(retainMs)), value.length);
    return res.ok ? 'stored' : 'skipped';
  }

  /**
   * The cross-edge fill lock (SET NX PX GET, Redis 7): 'acquired' with this fill's own token, 'held' with the holder's
   * token, or 'unavailable'. Each fill has its own token (this process's token and a counter): it names the fill's
   * bytes in Redis (fill-progress.ts), so a waiter follows the fill that holds the lock now, never an earlier fill of
   * the same key whose bytes have not expired yet.
   */
  async acquireLock(key: CacheKey, ttlMs: number): Promise<LockAttempt> {
    const token = `${this.opts.lockToken}.${++this.lockSeq}`;
    const res = await this.attempt('lock', (r) => r.set(this.opts.keys.lock(key), token, 'PX', ttlMs, 'NX', 'GET'));
    if (!res.ok) return { kind: 'unavailable' };
    return res.value === null ? { kind: 'acquired', token } : { kind: 'held', holder: res.value };
  }

  /** Lets go of the lock if `token` still holds it (it may have expired and been taken by another fill). */
  async releaseLock(key: CacheKey, token: string): Promise<void> {
    await this.attempt('unlock', () => this.releaseScript([this.opts.keys.lock(key)], [token]));
  }

  async publish(channel: string, message: string): Promise<boolean> {
    const res = await this.attempt('publish', (r) => r.publish(channel, message));
    return res.ok;
  }

  /** One handler per channel; SUBSCRIBE is queued until connected and repeated after reconnects. */
  subscribe(channel: string, handler: (message: string) => void): void {
    this.channelHandlers.set(channel, handler);
    this.sub.subscribe(channel).catch((err: unknown) => this.warn(`redis subscribe ${channel} failed`, err));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.downListeners.clear();
    this.readyListeners.clear();
    const all = [this.client, this.reader, this.writer, this.sub];
    await Promise.allSettled(all.map((c) => c.quit()));
    for (const c of all) c.disconnect();
  }

  private onBreaker(s: BreakerState): void {
    if (s === 'open') this.warn('redis circuit open', undefined);
    this.opts.logger.debug({ state: s, cooldownMs: this.opts.breakerCooldownMs }, 'redis circuit');
  }

  /**
   * One warning per outage (its first failure), then silence: ioredis reports every reconnect attempt, and every
   * request, heartbeat and purge read that fails would add a line. The failures are counted in
   * hls_edge_redis_errors_total and summed in the line that ends the outage.
   */
  private warn(what: string, err: unknown): void {
    if (this.closed) return;
    const detail = err instanceof Error ? err.message : undefined;
    if (this.outage) {
      this.outage.failures++;
      this.opts.logger.debug({ what, err: detail }, 'redis still unavailable');
      return;
    }
    this.outage = { since: Date.now(), failures: 1 };
    this.opts.logger.warn({ what, err: detail, redis: describeRedisTarget(this.opts.target) }, 'redis tier unavailable: serving from memory and origin until it is back');
  }

  /** Ends an outage (a connection is ready or a command succeeded); false when there was none. */
  private recovered(): boolean {
    const o = this.outage;
    if (!o || this.client.status !== 'ready') return false;
    this.outage = undefined;
    this.opts.logger.info({ downMs: Date.now() - o.since, failures: o.failures, redis: describeRedisTarget(this.opts.target) }, 'redis tier back');
    return true;
  }
}

/**
 * Bytes the connection handed to the kernel or received, over every node of a cluster. bytesWritten counts what
 * still waits in the socket's own buffer; writableLength takes that off, so a large value queued at once is not
 * counted as moved before it moves.
 */
function bytesMoved(client: RedisClient): number {
  let n = 0;
  for (const node of client instanceof Cluster ? client.nodes('all') : [client]) {
    const s = node.stream as Socket | undefined; // none before the first connect
    if (s) n += s.bytesRead + s.bytesWritten - s.writableLength;
  }
  return n;
}
