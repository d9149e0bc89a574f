// Request collapsing: one fill per key in this process (a map of in-flight fills) and across edges (Redis lock + notice).
import type { AppError } from '../core/errors.ts';
import type { CacheTier } from './edge-metrics.ts';
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import type { FillNotice, RedisTier } from './redis-tier.ts';
import type { RawHeaders } from './cache-entry.ts';

/**
 * The bytes of a fill as they arrive, shared by its leader with the requests that joined it: every chunk is kept (in
 * arrival order) until the fill ends, so a follower reads from offset 0 at its own pace and then follows the leader.
 * One copy whatever the number of followers; it lives as long as the fill.
 */
export class SharedBody {
  readonly chunks: Buffer[] = [];
  size = 0;
  state: 'open' | 'done' | 'aborted' = 'open';
  /** Followers reading now; a body nobody follows may stop keeping its chunks (see `release`). */
  followers = 0;
  private kept = true;
  private waking = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly status: number, readonly headers: RawHeaders, readonly tier: CacheTier) {}

  /** A new follower may start from offset 0: every chunk so far is still here. */
  get isJoinable(): boolean {
    return this.kept && this.state !== 'aborted';
  }

  push(chunk: Buffer): void {
    if (this.state !== 'open') return;
    if (this.kept) this.chunks.push(chunk);
    this.size += chunk.length;
    this.wake();
  }

  end(): void {
    if (this.state !== 'open') return;
    this.state = 'done';
    this.wake();
  }

  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.wake();
  }

  /** Past the object bound with nobody following: stop keeping chunks (and take no new followers). */
  release(): void {
    if (this.followers > 0) return;
    this.kept = false;
    this.chunks.length = 0;
  }

  /** Resolves at the next chunk, end or abort. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => {
      const once = (): void => {
        this.listeners.delete(once);
        resolve();
      };
      this.listeners.add(once);
    });
  }

  /**
   * Followers are woken once per pass of the event loop (setImmediate), not per chunk: the leader first reads every
   * chunk the upstream has ready, then each follower writes them all at once (one writev) instead of one by one.
   */
  private wake(): void {
    if (this.waking) return;
    this.waking = true;
    setImmediate(() => {
      this.waking = false;
      for (const l of [...this.listeners]) l();
    });
  }
}

/** What a fill gives the requests that waited for it. */
export type FillOutcome =
  | { readonly kind: 'entry'; readonly entry: CacheEntry; readonly tier: CacheTier; readonly revalidated: boolean }
  | { readonly kind: 'error'; readonly error: AppError }
  /** Nothing shareable (not cacheable, or too large to hold): each waiter fetches for itself. */
  | { readonly kind: 'retry' };

/** What a waiter that can take a stream gets: the leader's bytes as they arrive, or the fill's outcome. */
export type FillJoin = { readonly kind: 'stream'; readonly body: SharedBody } | FillOutcome;

/** One in-flight fill. Whoever opened it must settle it exactly once (the pipeline does so in a finally). */
export class Fill {
  readonly outcome: Promise<FillOutcome>;
  private resolve!: (o: FillOutcome) => void;
  private settled = false;
  waiters = 0;
  /** Set when the leader starts streaming a response that may be kept. */
  body: SharedBody | undefined = undefined;
  private readonly streamWaiters = new Set<(b: SharedBody) => void>();

  constructor(readonly key: CacheKey, private readonly onSettle: (f: Fill) => void) {
    this.outcome = new Promise<FillOutcome>((r) => {
      this.resolve = r;
    });
  }

  /** The leader has the upstream's head: followers may start. */
  stream(body: SharedBody): void {
    if (this.settled || this.body) return;
    this.body = body;
    for (const w of [...this.streamWaiters]) w(body);
    this.streamWaiters.clear();
  }

  /** For a plain GET: the stream as soon as there is one, else the outcome. */
  join(): Promise<FillJoin> {
    if (this.body?.isJoinable) return Promise.resolve({ kind: 'stream', body: this.body });
    if (this.settled || this.body) return this.outcome;
    return new Promise<FillJoin>((resolve) => {
      const onStream = (b: SharedBody): void => {
        resolve(b.isJoinable ? { kind: 'stream', body: b } : { kind: 'retry' });
      };
      this.streamWaiters.add(onStream);
      void this.outcome.then((o) => {
        if (this.streamWaiters.delete(onStream)) resolve(o);
      });
    });
  }

  get isSettled(): boolean {
    return this.settled;
  }

  settle(o: FillOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettle(this);
    this.resolve(o);
  }
}

export class LocalFills {
  private readonly inFlight = new Map<CacheKey, Fill>();

  get(key: CacheKey): Fill | undefined {
    return this.inFlight.get(key);
  }

  /** Registers a new fill for the key; the caller is its leader. */
  open(key: CacheKey): Fill {
    const fill = new Fill(key, (f) => {
      if (this.inFlight.get(f.key) === f) this.inFlight.delete(f.key);
    });
    this.inFlight.set(key, fill);
    return fill;
  }

  get size(): number {
    return this.inFlight.size;
  }

  /** On shutdown: release every waiter. */
  settleAll(o: FillOutcome): void {
    for (const f of [...this.inFlight.values()]) f.settle(o);
  }
}

/** A notice about another edge's fill of one key: bytes arrived ("progress"), it ended, or Redis went away. */
export type RemoteNotice = FillNotice | 'progress' | 'down';

/**
 * The notices for one key, registered before the lock attempt so none published in between is missed. Notices queue
 * up (consecutive "progress" ones as one) until read with next().
 */
export class RemoteWatch {
  private readonly queue: RemoteNotice[] = [];
  private wake: (() => void) | undefined;
  private cancelled = false;

  constructor(private readonly onCancel: (w: RemoteWatch) => void) {}

  push(n: RemoteNotice): void {
    if (this.cancelled) return;
    if (n === 'progress' && this.queue.at(-1) === 'progress') return;
    this.queue.push(n);
    this.wake?.();
  }

  /** The next notice, or 'timeout' after `ms`. */
  next(ms: number): Promise<RemoteNotice | 'timeout'> {
    const n = this.queue.shift();
    if (n !== undefined) return Promise.resolve(n);
    if (this.cancelled) return Promise.resolve('down');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve('timeout');
      }, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(this.queue.shift() ?? 'progress');
      };
    });
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.onCancel(this);
    this.wake?.();
  }
}

/**
 * Cross-edge collapsing through Redis: the first edge to SET NX the key's lock fetches and publishes its progress
 * (fill-progress.ts); the others follow its bytes, or read the stored object, or fetch themselves when nothing moves
 * for `waitMs` or Redis goes away. Notices travel on one channel ("progress", "stored" or "failed" + key).
 */
export class RemoteFills {
  private readonly watching = new Map<CacheKey, Set<RemoteWatch>>();

  constructor(private readonly redis: RedisTier, readonly channel: string, readonly waitMs: number) {
    redis.subscribe(channel, (message) => {
      const nl = message.indexOf('\n');
      if (nl < 0) return;
      const notice = message.slice(0, nl);
      if (notice !== 'stored' && notice !== 'failed' && notice !== 'progress') return;
      this.release(message.slice(nl + 1), notice);
    });
    redis.onDown(() => {
      for (const key of [...this.watching.keys()]) this.release(key, 'down');
    });
  }

  watch(key: CacheKey): RemoteWatch {
    let set = this.watching.get(key);
    if (!set) {
      set = new Set();
      this.watching.set(key, set);
    }
    const w = new RemoteWatch((gone) => {
      const s = this.watching.get(key);
      s?.delete(gone);
      if (s && s.size === 0) this.watching.delete(key);
    });
    set.add(w);
    return w;
  }

  async notify(key: CacheKey, notice: FillNotice): Promise<void> {
    await this.redis.publish(this.channel, `${notice}\n${key}`);
  }

  private release(key: CacheKey, n: RemoteNotice): void {
    const set = this.watching.get(key);
    if (!set) return;
    for (const w of [...set]) w.push(n);
  }

  /** On shutdown. */
  releaseAll(): void {
    for (const key of [...this.watching.keys()]) this.release(key, 'down');
  }
}
