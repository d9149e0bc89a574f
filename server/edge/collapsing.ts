// Request collapsing: one fill per key in this process (a map of in-flight fills) and across edges (Redis lock + notice).
import type { AppError } from '../core/errors.ts';
import type { CacheTier } from './edge-metrics.ts';
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import type { FillNotice, RedisTier } from './redis-tier.ts';

/** What a fill gives the requests that waited for it. */
export type FillOutcome =
  | { readonly kind: 'entry'; readonly entry: CacheEntry; readonly tier: CacheTier; readonly revalidated: boolean }
  | { readonly kind: 'error'; readonly error: AppError }
  /** Nothing shareable (not cacheable, or too large to hold): each waiter fetches for itself. */
  | { readonly kind: 'retry' };

/** One in-flight fill. Whoever opened it must settle it exactly once (the pipeline does so in a finally). */
export class Fill {
  readonly outcome: Promise<FillOutcome>;
  private resolve!: (o: FillOutcome) => void;
  private settled = false;
  waiters = 0;

  constructor(readonly key: CacheKey, private readonly onSettle: (f: Fill) => void) {
    this.outcome = new Promise<FillOutcome>((r) => {
      this.resolve = r;
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

export type RemoteWaitResult = FillNotice | 'timeout' | 'down';

/** A wait registered before the lock attempt, so a notice published in between is not missed. */
export interface RemoteWait {
  readonly result: Promise<RemoteWaitResult>;
  cancel(): void;
}

/**
 * Cross-edge collapsing through Redis: the first edge to SET NX the key's lock fetches; the others wait for a
 * notice on one channel ("stored" or "failed" + key) and read the object from Redis, or fetch themselves when
 * the wait times out or Redis goes away. Nobody waits longer than `waitMs`.
 */
export class RemoteFills {
  private readonly waiting = new Map<CacheKey, Set<(r: RemoteWaitResult) => void>>();

  constructor(private readonly redis: RedisTier, private readonly channel: string, private readonly waitMs: number) {
    redis.subscribe(channel, (message) => {
      const nl = message.indexOf('\n');
      if (nl < 0) return;
      const notice = message.slice(0, nl);
      if (notice !== 'stored' && notice !== 'failed') return;
      this.release(message.slice(nl + 1), notice);
    });
    redis.onDown(() => {
      for (const key of [...this.waiting.keys()]) this.release(key, 'down');
    });
  }

  prepareWait(key: CacheKey): RemoteWait {
    let done!: (r: RemoteWaitResult) => void;
    const result = new Promise<RemoteWaitResult>((resolve) => {
      done = resolve;
    });
    let set = this.waiting.get(key);
    if (!set) {
      set = new Set();
      this.waiting.set(key, set);
    }
    const timer = setTimeout(() => finish('timeout'), this.waitMs);
    timer.unref();
    const finish = (r: RemoteWaitResult): void => {
      clearTimeout(timer);
      const s = this.waiting.get(key);
      s?.delete(finish);
      if (s && s.size === 0) this.waiting.delete(key);
      done(r);
    };
    set.add(finish);
    return { result, cancel: () => finish('timeout') };
  }

  async notify(key: CacheKey, notice: FillNotice): Promise<void> {
    await this.redis.publish(this.channel, `${notice}\n${key}`);
  }

  private release(key: CacheKey, r: RemoteWaitResult): void {
    const set = this.waiting.get(key);
    if (!set) return;
    for (const finish of [...set]) finish(r);
  }

  /** On shutdown. */
  releaseAll(): void {
    for (const key of [...this.waiting.keys()]) this.release(key, 'down');
  }
}
