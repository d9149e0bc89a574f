// Runs packaging jobs a few at a time (JOB_CONCURRENCY), records their progress, and removes uploads when done.
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { AppError, isAppError } from '../../core/errors.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import type { Logger } from '../../core/log.ts';
import type { OriginMetrics } from '../origin-metrics.ts';
import type { JobStore } from './job-store.ts';
import type { PackagedAsset, PackageOptions } from './types.ts';

export type Packager = (opts: PackageOptions) => Promise<PackagedAsset>;

export interface JobQueueOptions {
  readonly store: JobStore;
  readonly mediaDir: string;
  readonly concurrency: number;
  /** Resolved only when a job runs, so an origin that never packages never looks for ffmpeg. */
  readonly ffmpeg: () => FfmpegPaths;
  /** Empty: the packager's default ladder. */
  readonly ladder: readonly string[];
  readonly segmentSeconds: number;
  /** Segment format; default: the packager's. */
  readonly format?: PackageOptions['format'];
  readonly preset?: PackageOptions['preset'];
  /** A job running longer is aborted (its ffmpeg killed) and fails with PACKAGING_TIME_LIMIT. */
  readonly jobTimeLimitMs: number;
  /** Renditions per upload at most (the highest of the ladder). */
  readonly maxRenditions: number;
  readonly logger: Logger;
  readonly metrics: OriginMetrics;
  /** Defaults to packageAsset from packager.ts; tests inject their own. */
  readonly packager?: Packager;
}

/** Progress is kept in memory on every tick but written to disk only every few percent. */
const PERSIST_EVERY_PERCENT = 5;

async function loadPackager(): Promise<Packager> {
  // Loaded on first use so the origin starts (and serves) without pulling in fluent-ffmpeg.
  const { packageAsset } = await import('./packager.ts');
  return packageAsset;
}

function formatLimit(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

export class JobQueue {
  private readonly opts: JobQueueOptions;
  private readonly pending: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private packager: Packager | undefined;
  private isAccepting = false;
  private isClosing = false;

  constructor(opts: JobQueueOptions) {
    this.opts = opts;
    this.packager = opts.packager;
  }

  /** Begin running queued jobs (enqueue may be called before, e.g. by startup recovery). */
  start(): void {
    this.isAccepting = true;
    this.pump();
  }

  enqueue(id: string): void {
    if (this.pending.includes(id) || this.running.has(id)) return;
    this.pending.push(id);
    this.pump();
  }

  /** Jobs waiting plus jobs running: the queue depth shown by /healthz. */
  depth(): { readonly waiting: number; readonly running: number } {
    return { waiting: this.pending.length, running: this.running.size };
  }

  /**
   * Stop: running jobs are aborted (the packager removes its temporary folder) and go back to "queued" with their
   * upload kept, so the next start packages them again.
   */
  async close(): Promise<void> {
    this.isAccepting = false;
    this.isClosing = true;
    for (const { controller } of this.running.values()) controller.abort(new AppError('SHUTDOWN', 503, 'origin shutting down'));
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.opts.store.flush();
  }

  private pump(): void {
    while (this.isAccepting && this.running.size < this.opts.concurrency && this.pending.length > 0) {
      const id = this.pending.shift();
      if (id === undefined) break;
      const controller = new AbortController();
      const limitMs = this.opts.jobTimeLimitMs;
      const timer = setTimeout(() => {
        controller.abort(new AppError('PACKAGING_TIME_LIMIT', 422, `packaging took longer than the limit of ${formatLimit(limitMs)} (JOB_TIME_LIMIT); ffmpeg was stopped`));
      }, limitMs);
      const done = this.run(id, controller.signal)
        .catch((err: unknown) => this.opts.logger.error({ err, id }, 'packaging job bookkeeping failed'))
        .finally(() => {
          clearTimeout(timer);
          this.running.delete(id);
          this.pump();
        });
      this.running.set(id, { controller, done });
    }
  }

  private async run(id: string, signal: AbortSignal): Promise<void> {
    const { store, logger, metrics } = this.opts;
    const job = store.get(id);
    if (!job || job.status !== 'queued') return;
    const started = Date.now();
    await store.update(id, { status: 'packaging', percent: 0, stage: 'probing', startedAt: new Date(started).toISOString(), attempts: job.attempts + 1, error: undefined });
    logger.info({ id, attempt: job.attempts + 1 }, 'packaging started');
    let lastPersisted = 0;
    try {
      this.packager ??= await loadPackager();
      const asset = await this.packager({
        input: job.uploadPath,
        id,
        mediaDir: this.opts.mediaDir,
        ...(this.opts.ladder.length > 0 ? { ladder: this.opts.ladder } : {}),
        segmentSeconds: this.opts.segmentSeconds,
        maxRenditions: this.opts.maxRenditions,
        ...(this.opts.format ? { format: this.opts.format } : {}),
        ...(this.opts.preset ? { preset: this.opts.preset } : {}),
        logger: this.opts.logger,
        ffmpeg: this.opts.ffmpeg(),
        signal,
        // Upload ids are checked against existing assets when accepted; a re-run after a restart replaces its own output.
        overwrite: true,
        onProgress: (p) => {
          if (store.get(id)?.status !== 'packaging') return;
          const percent = Math.min(99, Math.max(0, Math.floor(p.percent)));
          const persist = percent - lastPersisted >= PERSIST_EVERY_PERCENT;
          if (persist) lastPersisted = percent;
          void store.update(id, { percent, stage: p.stage }, { persist }).catch((err: unknown) => logger.warn({ err, id }, 'could not record progress'));
        },
      });
      const seconds = (Date.now() - started) / 1000;
      // The upload goes before the job says so: a client that sees "ready" or "failed" finds no leftover file.
      await rm(job.uploadPath, { force: true });
      await store.update(id, {
        status: 'ready',
        percent: 100,
        stage: undefined,
        finishedAt: new Date().toISOString(),
        durationSeconds: asset.durationSeconds,
        renditions: asset.renditions.map((r) => r.name),
        packagingMs: Math.round(seconds * 1000),
      });
      metrics.jobsFinished.inc({ result: 'ready' });
      metrics.jobDuration.observe({ result: 'ready' }, seconds);
      logger.info({ id, seconds, videoSeconds: asset.durationSeconds }, 'packaging ready');
    } catch (err) {
      if (this.isClosing && signal.aborted) {
        await store.update(id, { status: 'queued', percent: 0, stage: undefined });
        logger.info({ id }, 'packaging interrupted by shutdown; queued for the next start');
        return;
      }
      // The packager names the file it was given; users know their upload by its own name.
      const shownName = job.source.name || 'upload';
      // A job stopped by its time limit fails with that rule, not with the packager's "aborted".
      const cause: unknown = signal.aborted && isAppError(signal.reason) && signal.reason.code === 'PACKAGING_TIME_LIMIT' ? signal.reason : err;
      const message = (cause instanceof Error ? cause.message : String(cause)).split(job.uploadPath).join(shownName).split(basename(job.uploadPath)).join(shownName);
      const code = isAppError(cause) ? cause.code : 'PACKAGING_FAILED';
      const seconds = (Date.now() - started) / 1000;
      await rm(job.uploadPath, { force: true });
      await store.update(id, { status: 'failed', stage: undefined, finishedAt: new Date().toISOString(), error: { code, message } });
      metrics.jobsFinished.inc({ result: 'failed' });
      metrics.jobDuration.observe({ result: 'failed' }, seconds);
      logger.warn({ id, code, err }, 'packaging failed');
    }
  }
}
