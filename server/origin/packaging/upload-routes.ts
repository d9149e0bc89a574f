// The upload API: POST /api/assets streams a multipart file to disk and queues packaging; GET reports job status.
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Busboy from 'busboy';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { requireBearerToken } from '../../core/bearer-token.ts';
import { AppError, BadRequestError, NotFoundError, PayloadTooLargeError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { OriginMetrics } from '../origin-metrics.ts';
import type { JobQueue } from './job-queue.ts';
import type { JobRecord, JobStore } from './job-store.ts';
import { ASSET_ID } from './types.ts';

export interface UploadRoutesOptions {
  /** Absolute media folder: uploads go to uploads/, assets are found in hls/. */
  readonly mediaDir: string;
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly maxBytes: number;
  readonly metrics: OriginMetrics;
  readonly logger: Logger;
  /** Bearer token for every /api route (ORIGIN_API_TOKEN); undefined: the API answers 403 to everyone. */
  readonly apiToken: string | undefined;
  /** Uploads waiting to be packaged at most; one more gets 429 with Retry-After. */
  readonly maxQueuedJobs: number;
  /** Why uploads cannot be packaged safely here (an unmaintained ffmpeg), or undefined; asked before reading a body. */
  readonly uploadProblem: () => string | undefined;
}

/** Seconds a client told 429 waits before trying again: about one short job. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 30;

/** What clients see of a job (the upload's path on disk stays private). */
export interface AssetView {
  readonly id: string;
  readonly status: JobRecord['status'];
  readonly percent: number;
  readonly stage?: string;
  readonly statusUrl: string;
  readonly playlistUrl?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly source?: { readonly name: string; readonly sizeBytes: number };
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationSeconds?: number;
  readonly renditions?: readonly string[];
  readonly packagingMs?: number;
}

// multipart framing around the file (boundaries, part headers, an id field) stays well under this.
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

export function uploadsDirOf(mediaDir: string): string {
  return join(mediaDir, 'uploads');
}

export function jobView(job: JobRecord): AssetView {
  return {
    id: job.id,
    status: job.status,
    percent: job.percent,
    ...(job.stage !== undefined && job.status === 'packaging' ? { stage: job.stage } : {}),
    statusUrl: `/api/assets/${job.id}`,
    ...(job.status === 'ready' ? { playlistUrl: `/vod/${job.id}/master.m3u8` } : {}),
    ...(job.error && job.status === 'failed' ? { error: job.error } : {}),
    source: job.source,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    ...(job.durationSeconds !== undefined ? { durationSeconds: job.durationSeconds } : {}),
    ...(job.renditions ? { renditions: job.renditions } : {}),
    ...(job.packagingMs !== undefined ? { packagingMs: job.packagingMs } : {}),
  };
}

function packagedView(id: string): AssetView {
  return { id, status: 'ready', percent: 100, statusUrl: `/api/assets/${id}`, playlistUrl: `/vod/${id}/master.m3u8` };
}

/** An id from the file name: a slug plus a short random suffix, so two uploads of "clip.mp4" do not collide. */
export function idFromFileName(name: string): string {
  const stem = name.replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  const suffix = randomUUID().slice(0, 6);
  return stem ? `${stem}-${suffix}` : `asset-${suffix}`;
}

interface ParsedUpload {
  tempPath: string | undefined;
  fileName: string;
  bytes: number;
  isTruncated: boolean;
  hasExtraFiles: boolean;
  fieldId: string | undefined;
  /** The temp file's write; settles (also on abort) before the temp file may be removed. */
  write: Promise<void> | undefined;
}

/** Stream the one "file" part to a hidden temp file; the caller removes `tempPath` unless it accepts the upload. */
function receive(req: Request, uploadsDir: string, maxBytes: number, out: ParsedUpload): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 16, fieldSize: 1024, parts: 32 } });
    } catch (err) {
      reject(new BadRequestError(`multipart body: ${(err as Error).message}`, 'BAD_MULTIPART'));
      return;
    }
    const files: NodeJS.ReadableStream[] = [];
    let isSettled = false;
    const fail = (err: unknown): void => {
      if (isSettled) return;
      isSettled = true;
      req.unpipe(busboy);
      req.resume();
      // Ending the part stream ends the temp file's write (and closes its descriptor) even though the body stopped.
      for (const f of files) (f as NodeJS.ReadableStream & { destroy(err?: Error): void }).destroy();
      busboy.destroy();
      reject(err);
    };
    busboy.on('field', (name, value) => {
      if (name === 'id') out.fieldId = value.trim();
    });
    busboy.on('file', (name, stream, info) => {
      if (name !== 'file' || out.tempPath !== undefined) {
        stream.resume();
        return;
      }
      out.fileName = (info.filename ?? '').slice(0, 255);
      // Dot-prefixed while incomplete: startup removes any that a crash left behind.
      out.tempPath = join(uploadsDir, `.${randomUUID()}.part`);
      stream.on('data', (chunk: Buffer) => {
        out.bytes += chunk.length;
      });
      // busboy stops passing data at the limit and marks the stream truncated; the rest of the body is discarded.
      stream.on('limit', () => {
        out.isTruncated = true;
      });
      files.push(stream);
      out.write = pipeline(stream, createWriteStream(out.tempPath, { flags: 'wx', mode: 0o640 }));
      // Handled here so an early failure is never unhandled; its error is reported at 'close' below.
      out.write.catch(() => undefined);
    });
    busboy.on('filesLimit', () => {
      out.hasExtraFiles = true;
    });
    busboy.on('error', (err: unknown) => fail(new BadRequestError(`multipart body: ${(err as Error).message}`, 'BAD_MULTIPART')));
    busboy.on('close', () => {
      (out.write ?? Promise.resolve()).then(
        () => {
          if (!isSettled) {
            isSettled = true;
            resolve();
          }
        },
        (err: unknown) => fail(err),
      );
    });
    req.on('close', () => {
      if (!req.complete) fail(new AppError('UPLOAD_ABORTED', 400, 'the client closed the connection before the upload finished'));
    });
    req.pipe(busboy);
  });
}

export function createUploadRouter(opts: UploadRoutesOptions): Router {
  const { store, queue, metrics, logger } = opts;
  const uploadsDir = uploadsDirOf(opts.mediaDir);
  const hlsDir = join(opts.mediaDir, 'hls');
  const limitText = `${Math.round((opts.maxBytes / 1024 / 1024) * 1000) / 1000} MiB (UPLOAD_MAX_MB)`;
  const isPackaged = (id: string): boolean => existsSync(join(hlsDir, id, 'master.m3u8'));
  const router = Router();

  router.use('/api', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // Publishing and listing assets is for the operator: a bearer token, compared in constant time; none set, no API.
  router.use('/api', requireBearerToken({
    expected: opts.apiToken,
    disabledCode: 'ORIGIN_API_DISABLED',
    disabledMessage: 'the upload API is off: start the origin with --api-token (ORIGIN_API_TOKEN) and send it as "Authorization: Bearer <token>"',
    unauthorizedCode: 'ORIGIN_UNAUTHORIZED',
    realm: 'edgeline-origin',
  }));

  router.post('/api/assets', async (req: Request, res: Response, next: NextFunction) => {
    const upload: ParsedUpload = { tempPath: undefined, fileName: '', bytes: 0, isTruncated: false, hasExtraFiles: false, fieldId: undefined, write: undefined };
    let isAccepted = false;
    let result = 'error';
    try {
      const contentType = req.headers['content-type'] ?? '';
      if (!/^multipart\/form-data\s*;/i.test(contentType)) {
        result = 'bad_request';
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, `POST /api/assets needs a multipart/form-data body with a "file" field, got Content-Type "${contentType}"`);
      }
      // Refused before the body is read: nothing is written to disk for an upload that cannot be packaged.
      const problem = opts.uploadProblem();
      if (problem) {
        result = 'refused';
        throw new AppError('FFMPEG_UNMAINTAINED', 503, problem);
      }
      if (queue.depth().waiting >= opts.maxQueuedJobs) {
        result = 'queue_full';
        res.setHeader('Retry-After', String(QUEUE_FULL_RETRY_AFTER_SECONDS));
        throw new AppError('QUEUE_FULL', 429, `${queue.depth().waiting} uploads are already waiting to be packaged (MAX_QUEUED_JOBS ${opts.maxQueuedJobs}); try again later`);
      }
      const queryId = typeof req.query['id'] === 'string' ? req.query['id'] : undefined;
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > opts.maxBytes + MULTIPART_OVERHEAD_BYTES) {
        // Refuse before reading: the body is known to be too big, and the connection is closed rather than drained.
        result = 'too_large';
        res.setHeader('Connection', 'close');
        throw new PayloadTooLargeError(`upload of ${declared} bytes exceeds the limit of ${limitText}`);
      }
      await receive(req, uploadsDir, opts.maxBytes, upload);
      if (upload.isTruncated) {
        result = 'too_large';
        throw new PayloadTooLargeError(`file "${upload.fileName}" exceeds the upload limit of ${limitText}`);
      }
      if (upload.tempPath === undefined) {
        result = 'bad_request';
        throw new BadRequestError('multipart body has no "file" field', 'NO_FILE');
      }
      if (upload.hasExtraFiles) {
        result = 'bad_request';
        throw new BadRequestError('send one file per upload, in the "file" field', 'TOO_MANY_FILES');
      }
      if (upload.bytes === 0) {
        result = 'empty';
        throw new BadRequestError(`file "${upload.fileName}" is empty`, 'EMPTY_UPLOAD');
      }
      const id = upload.fieldId || queryId || idFromFileName(upload.fileName);
      if (!ASSET_ID.test(id)) {
        result = 'bad_request';
        throw new BadRequestError(`asset id "${id}" must match ${ASSET_ID.source}`, 'BAD_ASSET_ID');
      }
      // Checked and reserved in one synchronous step, so two uploads racing for one id cannot both win.
      const existing = store.get(id);
      if ((existing && existing.status !== 'failed') || (!existing && isPackaged(id))) {
        result = 'bad_request';
        throw new AppError('ASSET_EXISTS', 409, `asset id "${id}" is already ${existing ? existing.status : 'packaged'}; choose another id`);
      }
      const uploadPath = join(uploadsDir, `${id}.${randomUUID().slice(0, 8)}.upload`);
      const created = store.create({ id, source: { name: upload.fileName, sizeBytes: upload.bytes }, uploadPath });
      try {
        await rename(upload.tempPath, uploadPath);
      } catch (err) {
        await store.update(id, { status: 'failed', error: { code: 'UPLOAD_FAILED', message: `could not store the upload: ${(err as Error).message}` } });
        throw err;
      }
      isAccepted = true;
      const job = await created;
      queue.enqueue(id);
      result = 'accepted';
      metrics.uploadBytes.inc(upload.bytes);
      logger.info({ id, bytes: upload.bytes, file: upload.fileName }, 'upload accepted');
      res.status(202).location(`/api/assets/${id}`).json(jobView(job));
    } catch (err) {
      if (err instanceof AppError && err.code === 'UPLOAD_ABORTED') result = 'aborted';
      // Removed before answering, so a client that sees the error never finds a stray file.
      if (!isAccepted && upload.tempPath !== undefined) {
        await upload.write?.catch(() => undefined);
        await rm(upload.tempPath, { force: true }).catch((e: unknown) => logger.warn({ err: e, path: upload.tempPath }, 'could not remove a failed upload'));
      }
      next(err);
    } finally {
      metrics.uploads.inc({ result });
    }
  });

  router.get('/api/assets', async (_req, res, next) => {
    try {
      const views = new Map<string, AssetView>();
      for (const job of store.list()) views.set(job.id, jobView(job));
      // Assets packaged by the CLI (or before jobs existed) are listed too.
      const names = await readdir(hlsDir).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (!views.has(name) && ASSET_ID.test(name) && isPackaged(name)) views.set(name, packagedView(name));
      }
      res.json({ assets: [...views.values()] });
    } catch (err) {
      next(err);
    }
  });

  router.get('/api/assets/:id', (req, res, next) => {
    const id = req.params['id'] ?? '';
    const job = ASSET_ID.test(id) ? store.get(id) : undefined;
    if (job) {
      res.json(jobView(job));
      return;
    }
    if (ASSET_ID.test(id) && isPackaged(id)) {
      res.json(packagedView(id));
      return;
    }
    next(new NotFoundError(`asset "${id.slice(0, 100)}" has no upload job and is not packaged`, 'ASSET_NOT_FOUND'));
  });

  return router;
}
