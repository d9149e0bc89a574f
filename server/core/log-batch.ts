// Log lines gathered into batches before the asynchronous writer: one hand-over per batch instead of one per line.
import type { DestinationStream } from 'pino';

/** What the batch writes to: sonic-boom (pino.destination) in the product, a fake in unit tests. */
export interface LineTarget {
  write(chunk: string): boolean;
  /** Writes everything the target holds before returning (sonic-boom's flushSync). */
  flushSync(): void;
  /** Writes what it holds, then calls back (sonic-boom's flush). */
  flush?(cb: (err?: Error) => void): void;
}

export interface LineBatchOptions {
  /** Lines per hand-over. */
  readonly maxLines: number;
  /** A line waits at most this long for the rest of its batch. */
  readonly maxDelayMs: number;
  /** Writes a chunk synchronously, after the target has flushed (the process is exiting: no event loop is left). */
  readonly writeNow: (chunk: string) => void;
}

/**
 * pino's destination for every logger of the process. sonic-boom measures its last buffered chunk in bytes on every
 * write (`Buffer.byteLength` of up to `maxWrite` characters), so handing it one access-log line per request cost a
 * worker more than the rest of a playlist hit; handing it `maxLines` lines at once costs that once per batch. Lines
 * keep their order: every line goes through here, and a batch is handed over whole.
 *
 * The timer is not unref'd: a process that ends by itself waits at most `maxDelayMs` for its last lines to be handed
 * over, then pino's own exit hook flushes the target. On `process.exit()` the `exit` hook of `flushOnExit` writes what
 * is left synchronously.
 */
export class LineBatch implements DestinationStream {
  private lines: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  constructor(
    private readonly target: LineTarget,
    private readonly opts: LineBatchOptions,
  ) {}

  write(line: string): boolean {
    const n = this.lines.push(line);
    if (n >= this.opts.maxLines) this.flush();
    else if (n === 1) this.timer = setTimeout(this.onTimer, this.opts.maxDelayMs);
    return true;
  }

  /**
   * Hands the lines gathered so far to the target; with a callback (pino's `logger.flush(cb)`), also has the target
   * write them out before calling it.
   */
  flush(cb?: (err?: Error) => void): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length > 0) {
      const chunk = this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join('');
      this.lines = [];
      this.target.write(chunk);
    }
    if (cb) {
      if (this.target.flush) this.target.flush(cb);
      else cb();
    }
  }

  /** Everything out now, in order: what the target holds, then this batch (no event loop is needed). */
  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.target.flushSync();
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('');
    this.lines = [];
    this.opts.writeNow(chunk);
  }

  /** Writes the last lines when the process exits through process.exit() (the event loop is gone by then). */
  flushOnExit(): void {
    process.once('exit', () => {
      try {
        this.flushSync();
      } catch {
        // A closed stdout at exit: nothing is left to tell.
      }
    });
  }
}
