// createOriginApp(): the origin role — VOD and live media, the upload API and its job queue, health and metrics.
import { constants, existsSync } from 'node:fs';
import { access, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Express, RequestHandler } from 'express';
import { ffmpegSummary, resolveFfmpegPaths, untrustedInputProblem, type FfmpegPaths } from './ffmpeg/paths.ts';
import { createApp, finishApp, type HealthReport } from '../core/http.ts';
import { rootLogger, type Logger } from '../core/log.ts';
import { createOriginMetrics, type OriginMetrics } from './origin-metrics.ts';
import { originAuthMiddleware } from '../core/origin-auth.ts';
import { mediaCors } from './serving/cors.ts';
import { FileResponder } from './serving/file-responder.ts';
import { JobQueue, type Packager } from './packaging/job-queue.ts';
import { JobStore, recoveryAction } from './packaging/job-store.ts';
import { removeStaleLeftovers } from './packaging/publish.ts';
import { createLiveRouter } from './live/routes.ts';
import type { LiveManager, LiveManagerOptions } from './live/types.ts';
import type { OriginConfig } from './origin-config.ts';
import { createUploadRouter, uploadsDirOf } from './packaging/upload-routes.ts';
import { createVodRouter } from './serving/vod-routes.ts';

export type LiveManagerFactory = (opts: LiveManagerOptions) => LiveManager;

export interface OriginDeps {
  readonly logger?: Logger;
  readonly metrics?: OriginMetrics;
  readonly ffmpeg?: FfmpegPaths;
  /** Packaging function for upload jobs; defaults to packageAsset from packager.ts. */
  readonly packager?: Packager;
  /** Builds the live manager when channels are configured; defaults to createLiveManager from live-manager.ts. */
  readonly createLiveManager?: LiveManagerFactory;
  /** Extra live manager options (renditions, frame rate, …): tests keep channels tiny with these. */
  readonly liveOptions?: Partial<Omit<LiveManagerOptions, 'channels' | 'mediaDir' | 'logger' | 'registry'>>;
  /**
   * The one slot in front of /vod/ and /live/ (after CORS, so preflights pass and refusals stay readable). Default:
   * origin access control from config.originSecret (edges' signatures verified, refusals counted), when it is set.
   */
  readonly mediaGuard?: RequestHandler;
  /** More routes mounted before the media routes: the player page, QoE beacons, … */
  readonly extraRouters?: readonly RequestHandler[];
  /** More fields for /healthz (e.g. the WAN emulation in force, so nobody mistakes it for a real origin). */
  readonly healthDetails?: () => Record<string, unknown>;
}

export interface OriginApp {
  /** The request handler: give it to supertest or listen(). */
  readonly app: Express;
  readonly config: OriginConfig;
  readonly mediaDir: string;
  readonly metrics: OriginMetrics;
  readonly jobs: JobStore;
  readonly queue: JobQueue;
  /** The live manager once started (undefined without channels). */
  live(): LiveManager | undefined;
  /** Create folders, recover jobs left by a previous run, start the job queue and the live channels. */
  start(): Promise<void>;
  /** Stop live channels and running jobs (they are re-queued for the next start). Does not close the HTTP server. */
  close(): Promise<void>;
}

async function loadLiveManagerFactory(): Promise<LiveManagerFactory> {
  // Loaded only when channels are configured: a VOD-only origin never pulls in the live code.
  const { createLiveManager } = await import('./live/manager.ts');
  return createLiveManager;
}

/** ORIGIN_SECRET in force: unsigned, tampered or stale media requests get 403, counted by reason; logged at most once a minute. */
function originAccessControl(secret: readonly string[], metrics: OriginMetrics, logger: Logger): RequestHandler {
  let lastWarnAt = 0;
  return originAuthMiddleware({
    secret,
    onReject: (reason, req) => {
      metrics.authRejected.inc({ reason });
      // A flood of unsigned requests must not become a flood of log lines; the counter has the numbers.
      const now = Date.now();
      if (now - lastWarnAt < 60_000) return;
      lastWarnAt = now;
      logger.warn({ reason, path: req.path.slice(0, 200) }, 'origin request without a valid edge signature refused (more are counted in hls_origin_auth_rejected_total)');
    },
  });
}

export function createOriginApp(config: OriginConfig, deps: OriginDeps = {}): OriginApp {
  const mediaDir = resolve(config.mediaDir);
  const logger = deps.logger ?? rootLogger.child({ role: 'origin' });
  const metrics = deps.metrics ?? createOriginMetrics();
  let ffmpeg = deps.ffmpeg;
  const ffmpegPaths = (): FfmpegPaths => (ffmpeg ??= resolveFfmpegPaths({ FFMPEG_PATH: config.ffmpegPath, FFPROBE_PATH: config.ffprobePath }));
  const jobs = new JobStore({ dir: join(mediaDir, 'jobs'), logger });
  const queue = new JobQueue({
    store: jobs,
    mediaDir,
    concurrency: config.jobConcurrency,
    ffmpeg: ffmpegPaths,
    ladder: config.packageLadder,
    segmentSeconds: config.packageSegmentSeconds,
    format: config.packageFormat,
    preset: config.packagePreset,
    jobTimeLimitMs: config.jobTimeLimitMs,
    maxRenditions: config.maxRenditions,
    logger,
    metrics,
    ...(deps.packager ? { packager: deps.packager } : {}),
  });
  let live: LiveManager | undefined;
  let isStarted = false;

  metrics.observeJobs(() => jobs.counts());
  metrics.observeLive(() => live?.status() ?? []);

  const health = async (): Promise<HealthReport> => {
    const isReadable = await access(mediaDir, constants.R_OK | constants.X_OK).then(() => true, () => false);
    const depth = queue.depth();
    return {
      ok: isReadable,
      // Whether the media folder is readable, not where it is: paths are for the operator's log, not for anyone asking.
      media: { readable: isReadable },
      // Which ffmpeg runs (PATH, a setting or the npm fallback) and its version, without its path on disk.
      ffmpeg: (({ source, version, acceptsUploads }) => ({ source, version, acceptsUploads }))(ffmpegSummary(ffmpegPaths())),
      jobs: { ...jobs.counts(), waiting: depth.waiting, running: depth.running, concurrency: config.jobConcurrency },
      live: live?.status() ?? [],
      ...(deps.healthDetails?.() ?? {}),
    };
  };

  const app = createApp({ role: 'origin', logger, metrics, health });
  for (const router of deps.extraRouters ?? []) app.use(router);
  app.use(createUploadRouter({
    mediaDir,
    store: jobs,
    queue,
    maxBytes: Math.floor(config.uploadMaxMb * 1024 * 1024),
    metrics,
    logger,
    apiToken: config.apiToken,
    maxQueuedJobs: config.maxQueuedJobs,
    uploadProblem: () => untrustedInputProblem(ffmpegPaths()),
  }));
  app.use(['/vod', '/live'], mediaCors);
  const mediaGuard = deps.mediaGuard ?? (config.originSecret.length > 0 ? originAccessControl(config.originSecret, metrics, logger) : undefined);
  if (mediaGuard) app.use(['/vod', '/live'], mediaGuard);
  const files = new FileResponder({ compress: config.compressPlaylists });
  const cacheControl = { playlist: config.vodPlaylistCacheControl, segment: config.segmentCacheControl, notFound: config.notFoundCacheControl };
  app.use('/vod', createVodRouter({ mediaDir, files, metrics, cacheControl }));
  app.use('/live', createLiveRouter({ manager: () => live, files, metrics, segmentSeconds: config.liveSegmentSeconds, cacheControl }));
  finishApp(app, logger);

  /** Jobs a previous run left queued or packaging run again if their upload survived, else fail with a reason. */
  async function recoverJobs(): Promise<void> {
    for (const job of jobs.list()) {
      // A crash after packaging finished but before the job file said so leaves a complete asset behind.
      const isPackaged = existsSync(join(mediaDir, 'hls', job.id, 'master.m3u8'));
      const action = recoveryAction(job, existsSync(job.uploadPath));
      if (action === 'fail' && isPackaged) {
        await jobs.update(job.id, { status: 'ready', percent: 100, stage: undefined, finishedAt: new Date().toISOString() });
        continue;
      }
      if (action === 'requeue') {
        if (job.status === 'packaging') await jobs.update(job.id, { status: 'queued', percent: 0, stage: undefined });
        queue.enqueue(job.id);
        logger.info({ id: job.id, was: job.status }, 'job re-queued after restart');
      } else if (action === 'fail') {
        const message = job.status === 'packaging' ? 'interrupted by restart and its upload is gone' : 'its upload is gone after a restart';
        await jobs.update(job.id, { status: 'failed', stage: undefined, finishedAt: new Date().toISOString(), error: { code: 'INTERRUPTED', message } });
        logger.warn({ id: job.id, was: job.status }, 'job failed at startup: upload missing');
      }
    }
    // Uploads no waiting job refers to (a crash mid-upload or between upload and job file) would only fill the disk.
    const wanted = new Set(jobs.list().filter((j) => j.status === 'queued').map((j) => resolve(j.uploadPath)));
    const uploadsDir = uploadsDirOf(mediaDir);
    for (const name of await readdir(uploadsDir)) {
      const path = join(uploadsDir, name);
      if (!wanted.has(path)) await rm(path, { force: true, recursive: true });
    }
  }

  return {
    app,
    config,
    mediaDir,
    metrics,
    jobs,
    queue,
    live: () => live,
    async start() {
      if (isStarted) return;
      isStarted = true;
      for (const sub of ['hls', 'live', 'uploads', 'jobs']) await mkdir(join(mediaDir, sub), { recursive: true });
      await jobs.load();
      // An ffmpeg a SIGKILLed origin (or `edgeline package`) left encoding is killed before its job is queued again.
      const removed = await removeStaleLeftovers(join(mediaDir, 'hls'));
      if (removed.length > 0) logger.info({ removed }, 'removed leftovers of interrupted packaging jobs');
      await recoverJobs();
      queue.start();
      if (config.live.length > 0) {
        const factory = deps.createLiveManager ?? (await loadLiveManagerFactory());
        live = factory({
          channels: config.live,
          mediaDir,
          ffmpeg: ffmpegPaths(),
          segmentSeconds: config.liveSegmentSeconds,
          windowSegments: config.liveWindow,
          segmentFormat: config.liveFormat,
          logger: logger.child({ component: 'live' }),
          registry: metrics.registry,
          ...deps.liveOptions,
        });
        await live.start();
      }
      const tool = ffmpegPaths();
      logger.info({ mediaDir, channels: config.live.map((c) => c.name), jobConcurrency: config.jobConcurrency, ffmpeg: ffmpegSummary(tool) }, 'origin started');
      const problem = untrustedInputProblem(tool);
      if (problem) logger.warn({ ffmpeg: tool.ffmpeg }, problem);
    },
    async close() {
      const manager = live;
      await Promise.all([manager?.close(), queue.close()]);
      await jobs.flush();
    },
  };
}
