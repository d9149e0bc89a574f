// Runs MaxDriver in this thread or in worker threads behind one interface, so --mode max can use several cores.
import { Worker } from 'node:worker_threads';
import type { LoadStats } from './load-stats.ts';
import { statsFromWire, takeWireInterval, type WireInterval, type WireStats } from './stats-wire.ts';
import { MaxDriver, type MaxDriverOptions } from './max-driver.ts';

export interface MaxRunner {
  /** Resolves once the runner can start at once (a worker thread has booted). */
  ready(): Promise<void>;
  start(): void;
  takeInterval(): Promise<WireInterval>;
  /** Stop sending; resolves when the last request finished. */
  stop(): Promise<void>;
  /** Cut requests in flight. */
  abort(): Promise<void>;
  /** Release connections (and the thread) and hand over the final counts. */
  finish(): Promise<LoadStats>;
}

/** Commands to a worker, and its answers. */
export type ToWorker = { readonly type: 'start' | 'tick' | 'stop' | 'abort' | 'finish' };
export type FromWorker =
  | { readonly type: 'tick'; readonly interval: WireInterval }
  | { readonly type: 'ready' | 'stopped' | 'aborted' }
  | { readonly type: 'finished'; readonly stats: WireStats };

export class LocalRunner implements MaxRunner {
  private readonly driver: MaxDriver;

  constructor(opts: MaxDriverOptions) {
    this.driver = new MaxDriver(opts);
  }

  async ready(): Promise<void> {}

  start(): void {
    this.driver.start();
  }

  async takeInterval(): Promise<WireInterval> {
    return takeWireInterval(this.driver.stats);
  }

  stop(): Promise<void> {
    return this.driver.stop();
  }

  abort(): Promise<void> {
    return this.driver.abort();
  }

  async finish(): Promise<LoadStats> {
    await this.driver.close();
    return this.driver.stats;
  }
}

/**
 * A MaxDriver in a worker thread. The worker runs TypeScript, so it first registers tsx the way bin/edgeline.js
 * does (a worker does not inherit loader hooks registered with the API).
 */
export class ThreadRunner implements MaxRunner {
  private readonly worker: Worker;
  private readonly waiting = new Map<FromWorker['type'], ((m: FromWorker) => void)[]>();
  private failure: Error | undefined;
  private readonly booted: Promise<FromWorker>;

  constructor(opts: MaxDriverOptions) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./max-worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    this.worker = new Worker(boot, { eval: true, workerData: opts });
    this.worker.on('message', (m: FromWorker) => this.waiting.get(m.type)?.shift()?.(m));
    this.worker.on('error', (err) => {
      this.failure = err;
      for (const queue of this.waiting.values()) queue.splice(0).forEach((resolve) => resolve({ type: 'aborted' }));
    });
    this.booted = this.expect('ready');
  }

  /** The answer of the given type that comes next. */
  private expect(answer: FromWorker['type']): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(answer) ?? [];
      queue.push((m) => (this.failure ? reject(this.failure) : resolve(m)));
      this.waiting.set(answer, queue);
    });
  }

  async ready(): Promise<void> {
    await this.booted;
  }

  private ask(type: ToWorker['type'], answer: FromWorker['type']): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = this.expect(answer);
    this.worker.postMessage({ type } satisfies ToWorker);
    return reply;
  }

  start(): void {
    this.worker.postMessage({ type: 'start' } satisfies ToWorker);
  }

  async takeInterval(): Promise<WireInterval> {
    const m = await this.ask('tick', 'tick');
    if (m.type !== 'tick') throw new Error('worker answered out of turn');
    return m.interval;
  }

  async stop(): Promise<void> {
    await this.ask('stop', 'stopped');
  }

  async abort(): Promise<void> {
    await this.ask('abort', 'aborted');
  }

  async finish(): Promise<LoadStats> {
    try {
      const m = await this.ask('finish', 'finished');
      if (m.type !== 'finished') throw new Error('worker answered out of turn');
      return statsFromWire(m.stats);
    } finally {
      await this.worker.terminate();
    }
  }
}

/** `count` runners sharing `connections`: one in this thread, or one per worker thread. */
export function createRunners(opts: MaxDriverOptions, count: number): MaxRunner[] {
  if (count <= 1) return [new LocalRunner(opts)];
  const runners: MaxRunner[] = [];
  for (let i = 0; i < count; i++) {
    // Spread connections as evenly as possible: 32 over 3 threads is 11 + 11 + 10.
    const connections = Math.floor(opts.connections / count) + (i < opts.connections % count ? 1 : 0);
    if (connections > 0) runners.push(new ThreadRunner({ ...opts, connections }));
  }
  return runners;
}
