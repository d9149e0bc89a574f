// A fill's bytes for the edges waiting on it through Redis: the leader appends them as they arrive, followers read on.
import { Readable } from 'node:stream';
import type { RawHeaders, Upstream } from './cache-entry.ts';
import type { CacheKey, RedisKeys } from './cache-key.ts';
import type { RemoteWatch } from './collapsing.ts';
import type { RedisTier } from './redis-tier.ts';

/**
 * Layout, per fill (every key expires with the fill lock's TTL while the fill runs, ENDED_FILL_LINGER_MS after it ends):
 *   fill:<key>            hash { id, head: JSON {status, headers, upstream}, end: "done <bytes>" | "aborted" }
 *                         (id: the token of the fill lock the leader holds, so a waiter follows that fill only)
 *   fill:<key>:<id>:body  the bytes so far (APPEND)
 * Each change is followed by a "progress" notice on the fill channel. A follower reads what exists from offset 0,
 * then reads on at every notice (and every `pollMs`, in case a notice was lost), until "done" with every byte read.
 */
export interface FillHead {
  readonly status: number;
  readonly headers: RawHeaders;
  readonly upstream: Upstream;
}

/** How long an ended fill's meta and bytes stay in Redis for the followers still reading them. */
export const ENDED_FILL_LINGER_MS = 5_000;

/** The leader's side. Commands are sent without waiting, in order on one connection; failures only cut followers short. */
export class FillPublisher {
  private size = 0;
  private pending: Buffer[] = [];
  private pendingHead: FillHead | undefined;
  private scheduled = false;
  private ended = false;
  private failed = false;

  constructor(
    private readonly redis: RedisTier,
    private readonly keys: RedisKeys,
    private readonly channel: string,
    private readonly key: CacheKey,
    private readonly id: string,
    private readonly ttlMs: number,
  ) {}

  /**
   * The head goes out with the first chunks, in the same pass of the event loop (or at the end, whichever is first),
   * not at once: the leader's viewer gets its first bytes before the edge spends time on Redis commands for
   * followers that may not exist. Sent in order before every append, on the same connection.
   */
  head(h: FillHead): void {
    if (this.ended) return;
    this.pendingHead = h;
    this.schedule();
  }

  /**
   * A write that was never sent (Redis down, the breaker open) leaves a gap in the bytes: the fill is then declared
   * aborted, so followers cut their viewers short rather than pass on a body with a hole. A write that timed out was
   * still sent, in order, on the one connection (the tier's write connection, which carries every command here); and whatever happens, a follower ends a body only once it has read
   * every byte the leader counted ("done <bytes>"), so a lost write never yields a short 200.
   */
  private send(fn: Parameters<RedisTier['attemptWrite']>[1], sending = 0): void {
    if (this.failed) return;
    if (!this.redis.isAvailable) {
      this.failed = true;
      this.ended = true;
      return;
    }
    void this.redis.attemptWrite('fill-progress', fn, sending).then((r) => {
      if (r.ok || this.failed || this.redis.isAvailable) return;
      this.failed = true;
      this.ended = true;
      const meta = this.keys.fillMeta(this.key);
      void this.redis.attemptWrite('fill-progress', (c) => Promise.all([c.hset(meta, 'end', 'aborted'), c.publish(this.channel, `progress\n${this.key}`)]), 0);
    });
  }

  /**
   * Chunks that arrive in one pass of the event loop go out together, at its end (setImmediate): one APPEND, one
   * PEXPIRE and one notice for the lot instead of per chunk. Each notice wakes every edge following this fill into a
   * Redis read; under load the upstream's chunks arrive in bursts, and the leader's time is every follower's time.
   */
  chunk(b: Buffer): void {
    if (this.ended) return;
    this.size += b.length;
    this.pending.push(b);
    this.schedule();
  }

  /** One flush per event-loop pass: the leader reads every chunk the upstream has ready first, then one APPEND. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const h = this.pendingHead;
    if (h) {
      this.pendingHead = undefined;
      const meta = this.keys.fillMeta(this.key);
      this.send((r) => Promise.all([r.del(meta), r.hset(meta, 'id', this.id, 'head', JSON.stringify(h)), r.pexpire(meta, this.ttlMs), r.publish(this.channel, `progress\n${this.key}`)]));
    }
    const parts = this.pending;
    if (parts.length === 0) return;
    this.pending = [];
    const b = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    const body = this.keys.fillBody(this.key, this.id);
    // The expiry moves with every write: a long fill keeps its bytes, an abandoned one loses them one TTL later.
    this.send((r) => Promise.all([r.append(body, b), r.pexpire(body, this.ttlMs), r.publish(this.channel, `progress\n${this.key}`)]), b.length);
  }

  end(outcome: 'done' | 'aborted'): void {
    if (this.ended) return;
    // The head and the bytes not yet sent go before the end, on the same connection (an aborted fill's bytes do not).
    if (outcome === 'aborted') this.pending = [];
    this.flush();
    this.ended = true;
    const meta = this.keys.fillMeta(this.key);
    const body = this.keys.fillBody(this.key, this.id);
    // Once it has ended, a fill is kept only as long as its followers need to read its last bytes (each reads as fast as
    // Redis answers, whatever its viewer's pace): a done fill's bytes are also the stored object, and a copy kept for
    // the lock's whole TTL after every miss doubled the Redis memory a burst of misses takes.
    const linger = Math.min(this.ttlMs, ENDED_FILL_LINGER_MS);
    this.send((r) => Promise.all([r.hset(meta, 'end', outcome === 'done' ? `done ${this.size}` : 'aborted'), r.pexpire(meta, linger), r.pexpire(body, linger), r.publish(this.channel, `progress\n${this.key}`)]));
  }
}

interface MetaRead {
  readonly id: string | null;
  readonly head: FillHead | undefined;
  readonly end: { readonly kind: 'done'; readonly size: number } | { readonly kind: 'aborted' } | undefined;
}

/** The fill's meta; without `withHead` (a follower reading on) the head is neither fetched nor parsed again. */
async function readMeta(redis: RedisTier, keys: RedisKeys, key: CacheKey, withHead = true): Promise<MetaRead | undefined> {
  if (!withHead) {
    const got = await redis.attemptRead('fill-follow', (r) => r.hmget(keys.fillMeta(key), 'id', 'end'));
    if (!got.ok) return undefined;
    const [id, end] = got.value;
    return { id: id ?? null, head: undefined, end: parseEnd(end ?? null) };
  }
  const got = await redis.attemptRead('fill-follow', (r) => r.hmget(keys.fillMeta(key), 'id', 'head', 'end'));
  if (!got.ok) return undefined;
  const [id, head, end] = got.value;
  return { id: id ?? null, head: head ? parseHead(head) : undefined, end: parseEnd(end ?? null) };
}

function parseHead(text: string): FillHead | undefined {
  try {
    const h = JSON.parse(text) as unknown;
    if (typeof h !== 'object' || h === null) return undefined;
    const r = h as Record<string, unknown>;
    if (typeof r['status'] !== 'number' || typeof r['headers'] !== 'object' || r['headers'] === null) return undefined;
    if (r['upstream'] !== 'origin' && r['upstream'] !== 'shield') return undefined;
    return { status: r['status'], headers: r['headers'] as RawHeaders, upstream: r['upstream'] };
  } catch {
    return undefined;
  }
}

function parseEnd(text: string | null): MetaRead['end'] {
  if (text === null) return undefined;
  if (text === 'aborted') return { kind: 'aborted' };
  const m = /^done (\d{1,15})$/.exec(text);
  return m ? { kind: 'done', size: Number(m[1]) } : { kind: 'aborted' };
}

export type RemoteFollowResult =
  /** The other edge's fill is streaming: its head, and a body that follows it. */
  | { readonly kind: 'stream'; readonly head: FillHead; readonly body: Readable }
  /** The fill ended as a stored object (read it from Redis), or failed, or nothing moved for `waitMs`. */
  | { readonly kind: 'stored' | 'failed' | 'timeout' | 'down' };

export interface FollowOptions {
  readonly redis: RedisTier;
  readonly keys: RedisKeys;
  readonly key: CacheKey;
  /** The fill to follow: the lock holder's token, which is the id its publisher writes (redis-tier.ts acquireLock). */
  readonly fillId: string;
  readonly watch: RemoteWatch;
  /** Longest time without progress (no head yet, or no new bytes) before giving up. */
  readonly waitMs: number;
  /** Longest wait for the head (the viewer's deadline may be shorter than waitMs). */
  readonly headWaitMs?: number;
  readonly pollMs: number;
  readonly clock: () => number;
}

/**
 * Waits for another edge's fill of `key`: resolves with its stream as soon as its head is in Redis (the body then
 * follows in the background), or with how the wait ended. The watch must be registered before the lock attempt.
 */
export async function followRemoteFill(o: FollowOptions): Promise<RemoteFollowResult> {
  let lastProgress = o.clock();
  for (;;) {
    const meta = await readMeta(o.redis, o.keys, o.key);
    // Only the fill that holds the lock: an earlier fill's meta stays until it expires, and its bytes are old.
    if (meta?.id === o.fillId && meta.head && meta.end?.kind !== 'aborted') {
      const body = new Readable({ read() {} });
      void pump(o, o.fillId, body);
      return { kind: 'stream', head: meta.head, body };
    }
    const left = (o.headWaitMs ?? o.waitMs) - (o.clock() - lastProgress);
    if (left <= 0) return { kind: 'timeout' };
    const n = await o.watch.next(Math.min(o.pollMs, left));
    if (n === 'stored' || n === 'failed' || n === 'down') return { kind: n };
    if (n === 'progress') lastProgress = o.clock();
  }
}

/** Reads the fill's body from offset 0 into `out` until its end; an abort (or a stall) destroys `out`. */
async function pump(o: FollowOptions, id: string, out: Readable): Promise<void> {
  let offset = 0;
  let lastProgress = o.clock();
  const bodyKey = o.keys.fillBody(o.key, id);
  try {
    for (;;) {
      if (out.destroyed) return;
      const [meta, got] = await Promise.all([
        readMeta(o.redis, o.keys, o.key, false),
        o.redis.attemptRead('fill-follow', (r) => r.getrangeBuffer(bodyKey, offset, -1)),
      ]);
      // A failed read (a slow Redis) is tried again; only a fill that is gone, or no progress for waitMs, ends it.
      if (meta && meta.id !== id) throw new Error('the fill being followed went away');
      if (meta && got.ok && got.value.length > 0) {
        offset += got.value.length;
        lastProgress = o.clock();
        out.push(got.value);
      }
      if (meta?.end?.kind === 'aborted') throw new Error('the leading edge aborted the fill');
      if (meta?.end?.kind === 'done' && got.ok && offset >= meta.end.size) {
        out.push(null);
        return;
      }
      const left = o.waitMs - (o.clock() - lastProgress);
      if (left <= 0) throw new Error(`no progress for ${o.waitMs} ms on the fill being followed`);
      const n = await o.watch.next(Math.min(o.pollMs, left));
      if (n === 'down') throw new Error('Redis went away while following a fill');
    }
  } catch (err) {
    out.destroy(err as Error);
  } finally {
    o.watch.cancel();
  }
}
