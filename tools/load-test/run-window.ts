// The time box of a run: a stop at --duration (or on Ctrl-C), a grace period for requests in flight, then a hard abort.
import { setMaxListeners } from 'node:events';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setTimeout as sleepFor } from 'node:timers/promises';

/** How busy the tool itself was during the measured window: if it was saturated, it may have been the limit. */
export interface ToolLoad {
  /** CPU seconds of the whole process (all threads) from the start to the stop. */
  readonly cpuS: number;
  /** Share of the window the main thread's event loop was busy (1 = saturated). */
  readonly eventLoopUtilization: number;
}

export class RunWindow {
  readonly startedAt = new Date();
  private readonly startedMs = performance.now();
  private readonly cpuAtStart = process.cpuUsage();
  private readonly eluAtStart: EventLoopUtilization = performance.eventLoopUtilization();
  private toolLoadAtStop: ToolLoad | undefined;
  private readonly stopController = new AbortController();
  private readonly hardController = new AbortController();
  private readonly graceMs: number;
  private readonly timer: NodeJS.Timeout;
  private stoppedMs: number | undefined;
  private readonly stopped: Promise<void>;

  constructor(durationMs: number, graceMs: number, external?: AbortSignal) {
    this.graceMs = graceMs;
    // Every sleeping viewer listens on these; thousands of listeners are expected, not a leak.
    setMaxListeners(0, this.stopController.signal);
    setMaxListeners(0, this.hardController.signal);
    this.stopped = new Promise<void>((resolve) => this.stopController.signal.addEventListener('abort', () => resolve(), { once: true }));
    this.timer = setTimeout(() => this.stop(), durationMs);
    if (external) {
      if (external.aborted) this.stop();
      else external.addEventListener('abort', () => this.stop(), { once: true });
    }
  }

  /** Fires at the stop: no new requests, sleeps end. */
  get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }

  /** Fires when the grace period is over: requests still running are aborted. */
  get hardStopSignal(): AbortSignal {
    return this.hardController.signal;
  }

  stop(): void {
    if (this.stoppedMs !== undefined) return;
    this.stoppedMs = performance.now();
    const cpu = process.cpuUsage(this.cpuAtStart);
    this.toolLoadAtStop = {
      cpuS: (cpu.user + cpu.system) / 1e6,
      eventLoopUtilization: performance.eventLoopUtilization(this.eluAtStart).utilization,
    };
    clearTimeout(this.timer);
    this.stopController.abort();
  }

  /** The tool's own load over the window (known once stopped). */
  toolLoad(): ToolLoad | undefined {
    return this.toolLoadAtStop;
  }

  isStopping(): boolean {
    return this.stoppedMs !== undefined;
  }

  elapsedMs(): number {
    return performance.now() - this.startedMs;
  }

  /** Seconds from the start to the stop (or to now while running). */
  measuredS(): number {
    return ((this.stoppedMs ?? performance.now()) - this.startedMs) / 1000;
  }

  /** Resolves after `ms`, or at once when the run stops. */
  async sleep(ms: number): Promise<void> {
    if (this.isStopping()) return;
    try {
      await sleepFor(Math.max(0, ms), undefined, { signal: this.stopController.signal });
    } catch {
      // Aborted by the stop: that is the point.
    }
  }

  whenStopped(): Promise<void> {
    return this.stopped;
  }

  /** After the stop: give `pending` the grace period, then abort what is left and wait for it to unwind. */
  async drain(pending: Promise<unknown>): Promise<void> {
    await this.stopped;
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.graceMs);
    });
    await Promise.race([pending, graceOver]);
    clearTimeout(graceTimer);
    this.hardController.abort();
    await pending;
  }
}
