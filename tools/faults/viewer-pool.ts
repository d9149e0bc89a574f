// A bounded group of FaultViewers joining over a ramp; every request they make is kept, for the fault's figures.
import { setMaxListeners } from 'node:events';
import { Agent } from 'undici';
import type { BufferModelOptions } from '../load-test/buffer-model.ts';
import { FaultViewer, type ViewerEvent } from './viewer.ts';

export interface PoolOptions {
  /** The router's master playlist URL. */
  readonly masterUrl: string;
  readonly viewers: number;
  readonly rampMs: number;
  readonly buffer?: BufferModelOptions;
  readonly timeoutMs?: number;
}

export interface ViewerTotals {
  readonly viewers: number;
  readonly requests: number;
  /** Requests that failed on every pathway: what the player sees as an error. */
  readonly failedRequests: number;
  /** Requests that failed on one pathway and were answered by another. */
  readonly failedOver: number;
  readonly stalls: number;
  readonly stallMs: number;
  readonly skippedSegments: number;
  /** Viewers still without a first frame when the pool stopped. */
  readonly neverStarted: number;
  /** Viewers whose loop ended with an error (a malformed playlist). */
  readonly crashed: number;
}

/** Short buffers make a fault visible: a viewer needs a good segment every 2 s or so, as a live player would. */
export const FAULT_BUFFER: BufferModelOptions = { startupThresholdS: 4, resumeThresholdS: 2, maxBufferS: 8 };

/** Every viewer's pending sleep listens for the stop: as many listeners as viewers is expected, not a leak. */
function abortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

export class ViewerPool {
  readonly events: ViewerEvent[] = [];
  private readonly t0 = performance.now();
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, pipelining: 1, connect: { timeout: 2_000 } });
  private readonly stopping = abortController();
  private readonly viewers: FaultViewer[] = [];
  private readonly runs: Promise<void>[] = [];
  private launching: Promise<void> | undefined;

  constructor(private readonly opts: PoolOptions) {}

  /** Milliseconds since the pool was made: the time axis of its events. */
  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  start(): void {
    this.launching = this.launch();
  }

  private async launch(): Promise<void> {
    const spacing = this.opts.viewers > 1 ? this.opts.rampMs / this.opts.viewers : 0;
    for (let i = 0; i < this.opts.viewers && !this.stopping.signal.aborted; i++) {
      if (i > 0) await this.sleep(spacing);
      if (this.stopping.signal.aborted) break;
      const index = i;
      const viewer = new FaultViewer(this.opts.masterUrl, {
        agent: this.agent,
        now: () => performance.now(),
        record: (e) => this.events.push({ ...e, atMs: this.elapsedMs() - e.ms, viewer: index }),
        sleep: (ms) => this.sleep(ms),
        isStopping: () => this.stopping.signal.aborted,
        buffer: this.opts.buffer ?? FAULT_BUFFER,
        timeoutMs: this.opts.timeoutMs ?? 10_000,
      });
      this.viewers.push(viewer);
      this.runs.push(viewer.run());
    }
  }

  /** Resolves when every viewer has started playing (or after `timeoutMs`); false if some never did. */
  async allPlaying(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    await this.launching;
    while (performance.now() < deadline) {
      if (this.viewers.length === this.opts.viewers && this.viewers.every((v) => v.buffer.snapshot().startupMs !== undefined)) return true;
      await this.sleep(100);
    }
    return false;
  }

  /** How many viewers are on each edge now, by the edge's base URL. */
  edges(): Map<string, number> {
    const m = new Map<string, number>();
    for (const v of this.viewers) {
      const p = v.edgeUrl ?? '(none)';
      m.set(p, (m.get(p) ?? 0) + 1);
    }
    return m;
  }

  private stopped: Promise<ViewerTotals> | undefined;

  /** Stops every viewer (requests in flight finish or time out) and returns the totals; again, the same totals. */
  stop(): Promise<ViewerTotals> {
    this.stopped ??= this.finish();
    return this.stopped;
  }

  private async finish(): Promise<ViewerTotals> {
    // Playback numbers freeze at the stop; what is still in flight is not counted against the fault.
    const snaps = this.viewers.map((v) => v.buffer.snapshot());
    this.stopping.abort();
    await this.launching;
    await Promise.allSettled(this.runs);
    await this.agent.close();
    const player = this.events.filter((e) => e.kind !== 'steering');
    return {
      viewers: this.viewers.length,
      requests: player.length,
      failedRequests: player.filter((e) => !e.ok).length,
      failedOver: player.filter((e) => e.ok && e.failedOver).length,
      stalls: snaps.reduce((n, s) => n + s.stallCount, 0),
      stallMs: snaps.reduce((n, s) => n + s.stallMs, 0),
      skippedSegments: this.viewers.reduce((n, v) => n + v.skippedSegments, 0),
      neverStarted: snaps.filter((s) => s.startupMs === undefined).length,
      crashed: this.viewers.filter((v) => v.failure !== undefined).length,
    };
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      const signal = this.stopping.signal;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
