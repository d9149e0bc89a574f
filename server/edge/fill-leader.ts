// The exchange that fetches an object for everyone else: it owns the key's local fill and cross-edge lock, and lets go
// of both exactly once.
import type { CacheKey } from './cache-key.ts';
import type { Fill, FillOutcome, SharedBody } from './collapsing.ts';

/** Lets go of a cross-edge lock this leader still holds: tells the followers the fill failed, then unlocks. */
export type LockRelease = (key: CacheKey, token: string) => void;

/**
 * One upstream fetch and what it answers for. The pipeline opens a leader when a request fetches (join, or bypass and
 * uncollapsed retries, which lead no fill) and closes it in runPipeline's single `finally`: whatever way the request
 * ended, the fill is settled and the lock let go there, once. Earlier settling (the stored object, an error, "too large
 * to share") only decides what the waiters get sooner; closing never settles twice, and a lock passed on to the store
 * with `passLock` is that store's to release.
 */
export class FillLeader {
  private token: string | undefined = undefined;
  private closed = false;
  /** The upstream is another edge's fill, followed through Redis: that edge stores it there. */
  followsRemote = false;

  constructor(
    readonly key: CacheKey,
    /** The in-process fill that waiters joined; none for a bypass or a retry that fetches uncollapsed. */
    readonly fill: Fill | undefined,
    /** Purge position when the fetch began: a purge after it forbids storing what the fetch returns (purge-log.ts). */
    readonly epoch: number,
    readonly seq: number,
    private readonly release: LockRelease,
  ) {}

  /** The cross-edge lock, once taken (redis-tier.ts): its token also names the fill's bytes in Redis. */
  holdLock(token: string): void {
    this.token = token;
  }

  get lockToken(): string | undefined {
    return this.token;
  }

  /** The leader has the upstream's head: requests that joined may follow its bytes. */
  stream(body: SharedBody): void {
    this.fill?.stream(body);
  }

  /** Tells the waiters now what they get; the first settlement stands (Fill.settle). */
  settle(o: FillOutcome): void {
    this.fill?.settle(o);
  }

  /** Hands the lock to the store that will publish "stored" or "failed" and then unlock (fill.ts, shareLater). */
  passLock(): string | undefined {
    const t = this.token;
    this.token = undefined;
    return t;
  }

  /** Called once, from the pipeline's finally: waiters not yet told are told to fetch for themselves. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fill?.settle({ kind: 'retry' });
    const t = this.passLock();
    if (t !== undefined) this.release(this.key, t);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
