// The bound on Redis commands that carry object bytes: they fail when their connection stops moving bytes, not at a
// fixed time, so a 30 MB object on a busy Redis is not a failure while a Redis that stopped answering still is.

export interface StallWatchOptions {
  /** Longest time the connection may move no bytes while a command waits for its reply. */
  readonly stallMs: number;
  /** Bytes moved so far on the connection(s) the commands use, both ways (only its changes matter). */
  readonly moved: () => number;
  readonly clock: () => number;
  /**
   * For a connection that sends large values: the slowest rate at which they are still expected to leave. The last
   * few MB of a value sit in the kernel's send buffer, where no count of Node's sees them move; until they would have
   * left at this rate, silence is not a stall.
   */
  readonly floorBytesPerSecond?: number;
}

interface Waiting {
  readonly since: number;
  readonly fail: (err: Error) => void;
}

/**
 * One timer for every waiting command, ticking at a quarter of the bound while any waits: a command fails once neither
 * it started nor a byte moved for `stallMs` (so between 1 and 1.25 bounds after the link went quiet). Its reply may
 * still come later, in order on the connection; it is dropped.
 */
export class StallWatch {
  private readonly waiting = new Set<Waiting>();
  private timer: NodeJS.Timeout | undefined;
  private lastMoved = 0;
  private lastChange = 0;
  /** Until when the values sent so far may still be leaving, at the floor rate. */
  private drainUntil = 0;

  constructor(private readonly opts: StallWatchOptions) {}

  /**
   * `reply` is the command's promise, taken after the command was written (its own bytes are not progress);
   * `sending` is how many bytes the command sends.
   */
  bound<T>(reply: Promise<T>, sending = 0): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const now = this.opts.clock();
      const floor = this.opts.floorBytesPerSecond;
      if (floor !== undefined && sending > 0) this.drainUntil = Math.max(now, this.drainUntil) + (sending / floor) * 1_000;
      const w: Waiting = { since: now, fail: reject };
      if (this.waiting.size === 0) this.start();
      this.waiting.add(w);
      reply.then(
        (v) => {
          this.settle(w);
          resolve(v);
        },
        (err: unknown) => {
          this.settle(w);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** Commands waiting now. */
  get size(): number {
    return this.waiting.size;
  }

  private start(): void {
    this.lastMoved = this.opts.moved();
    this.lastChange = this.opts.clock();
    this.timer = setInterval(() => this.tick(), Math.max(1, this.opts.stallMs / 4));
    this.timer.unref();
  }

  private settle(w: Waiting): void {
    if (!this.waiting.delete(w) || this.waiting.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Exposed for unit tests with a fake clock; the interval calls it. */
  tick(): void {
    const now = this.opts.clock();
    const moved = this.opts.moved();
    if (moved !== this.lastMoved) {
      this.lastMoved = moved;
      this.lastChange = now;
    }
    for (const w of this.waiting) {
      if (now - Math.max(w.since, this.lastChange, this.drainUntil) < this.opts.stallMs) continue;
      this.settle(w);
      w.fail(new Error(`Redis moved no bytes for ${this.opts.stallMs} ms`));
    }
  }
}
