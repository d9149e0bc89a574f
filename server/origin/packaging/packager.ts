// ffmpeg: a source file -> adaptive HLS renditions on disk, measured, with a master playlist, published atomically.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, BadRequestError, PackagingError, isAppError } from '../../core/errors.ts';
import { fileUrl } from '../ffmpeg/input-rules.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import { spawnTool } from '../ffmpeg/spawn-ffmpeg.ts';
import { rootLogger, type Logger } from '../../core/log.ts';
import { DEFAULT_LADDER, planRenditions, type RenditionPlan } from './ladder.ts';
import { writeMasterPlaylist } from '../../core/hls/write-master.ts';
import { orderVariants } from './variant-order.ts';
import { buildFfmpegJob, commandLine, DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS, type FfmpegJob, type SegmentFormat } from './ffmpeg-args.ts';
import { FFMPEG_PID_FILE, assetExists, assetExistsError, createScratch, discardScratch, hlsDirOf, publishScratch, removeStaleLeftovers } from './publish.ts';
import { checkAlignment, measureRendition } from './measure.ts';
import { encodingProgress, finishingProgress, parseFfmpegTime, probingProgress } from './progress.ts';
import { ASSET_ID, type PackageOptions, type PackagedAsset, type PackageProgress } from './types.ts';
import { probeSource, type SourceInfo } from './probe.ts';

export const DEFAULT_SEGMENT_SECONDS = 4;
export const MASTER_PLAYLIST = 'master.m3u8';
const MIN_SEGMENT_SECONDS = 1;
const MAX_SEGMENT_SECONDS = 30;
const STDERR_TAIL_LINES = 30;

/** Ids being packaged by this process: a second job for the same id would fight over the same final folder. */
const busy = new Set<string>();

function aborted(input: string, signal: AbortSignal | undefined, stderrTail = ''): PackagingError {
  return new PackagingError(`packaging "${input}" was aborted`, stderrTail, 'PACKAGING_ABORTED', signal?.reason);
}

function throwIfAborted(input: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw aborted(input, signal);
}

function validate(opts: PackageOptions): { ladder: readonly string[]; segmentSeconds: number; format: SegmentFormat } {
  if (!ASSET_ID.test(opts.id)) {
    throw new BadRequestError(`asset id "${opts.id}" must match ${ASSET_ID.source}`, 'ASSET_ID_INVALID');
  }
  const segmentSeconds = opts.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  if (!Number.isFinite(segmentSeconds) || segmentSeconds < MIN_SEGMENT_SECONDS || segmentSeconds > MAX_SEGMENT_SECONDS) {
    throw new BadRequestError(`segment seconds ${segmentSeconds} must be between ${MIN_SEGMENT_SECONDS} and ${MAX_SEGMENT_SECONDS}`, 'SEGMENT_SECONDS_INVALID');
  }
  const format = opts.format ?? DEFAULT_SEGMENT_FORMAT;
  if (!SEGMENT_FORMATS.includes(format)) {
    throw new BadRequestError(`segment format "${String(format)}" must be one of ${SEGMENT_FORMATS.join(', ')}`, 'SEGMENT_FORMAT_INVALID');
  }
  return { ladder: opts.ladder && opts.ladder.length > 0 ? opts.ladder : DEFAULT_LADDER, segmentSeconds, format };
}

/** The last lines of ffmpeg's stderr that say something (progress lines dropped), for PackagingError. */
export function stderrTail(lines: string, count = STDERR_TAIL_LINES): string {
  return lines.split(/\r?\n|\r/).filter((l) => l.trim() !== '' && !l.startsWith('frame=') && !l.startsWith('size=')).slice(-count).join('\n');
}

/** Runs the one ffmpeg process that writes every rendition; resolves with the tail of its stderr when it exits 0. */
async function runFfmpeg(
  input: string,
  job: FfmpegJob,
  paths: FfmpegPaths,
  scratch: string,
  onTime: (seconds: number) => void,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (signal?.aborted) throw aborted(input, signal);
  const args = commandLine(fileUrl(input), job);
  let partial = '';
  const run = spawnTool(paths, paths.ffmpeg, args, {
    pidFile: join(scratch, FFMPEG_PID_FILE),
    ...(signal ? { signal } : {}),
    onStderr: (chunk) => {
      // -stats ends its lines with \r; keep an unfinished line for the next chunk.
      const lines = (partial + chunk).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const t = parseFfmpegTime(line);
        if (t !== undefined) onTime(t);
      }
    },
  });
  logger.debug({ args, ffmpegPid: run.pid }, 'ffmpeg started');
  const exit = await run.exited;
  const tail = stderrTail(exit.stderr);
  if (exit.isAborted || signal?.aborted) throw aborted(input, signal, tail);
  if (exit.error) throw new PackagingError(`ffmpeg failed packaging "${input}": could not run ${paths.ffmpeg}: ${exit.error.message}`, tail, 'PACKAGING_FFMPEG_FAILED', exit.error);
  if (exit.code !== 0) {
    const last = tail.split('\n').filter(Boolean).pop() ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`);
    throw new PackagingError(`ffmpeg failed packaging "${input}": ${last}`, tail, 'PACKAGING_FFMPEG_FAILED');
  }
  return tail;
}

async function encodeAndMeasure(
  opts: PackageOptions,
  scratch: string,
  plans: readonly RenditionPlan[],
  source: SourceInfo,
  segmentSeconds: number,
  format: SegmentFormat,
  report: (p: PackageProgress) => void,
  logger: Logger,
): Promise<{ renditions: PackagedAsset['renditions']; durationSeconds: number }> {
  for (const plan of plans) await mkdir(join(scratch, plan.name));
  const job = buildFfmpegJob({ source, renditions: plans, outDir: scratch, segmentSeconds, preset: opts.preset ?? 'veryfast', format });
  const encodeStarted = performance.now();
  report(encodingProgress(0, source.durationSeconds, 0));
  const tail = await runFfmpeg(opts.input, job, opts.ffmpeg, scratch, (t) => report(encodingProgress(t, source.durationSeconds, performance.now() - encodeStarted)), logger, opts.signal);
  throwIfAborted(opts.input, opts.signal);
  report(finishingProgress(false));

  const measured = await Promise.all(plans.map((p) => measureRendition(join(scratch, p.name), p, opts.ffmpeg, opts.signal))).catch((err: unknown) => {
    // ffmpeg exited 0 but wrote nothing usable (e.g. every frame failed to decode): its warnings are the reason.
    if (err instanceof PackagingError && !err.stderrTail && tail) throw new PackagingError(err.message, tail, err.code, err.cause);
    throw err;
  });
  const misaligned = checkAlignment(measured);
  if (misaligned) throw new PackagingError(`renditions of "${opts.input}" are not aligned: ${misaligned}`, '', 'PACKAGING_FAILED');
  await writeFile(join(scratch, MASTER_PLAYLIST), writeMasterPlaylist({ variants: orderVariants(measured.map((m) => m.variant)) }));
  const durationSeconds = (measured[0]?.segments ?? []).reduce((sum, s) => sum + s.durationSeconds, 0);
  return { renditions: measured.map((m) => m.rendition), durationSeconds: Math.round(durationSeconds * 1000) / 1000 };
}

/**
 * Packages `opts.input` into {mediaDir}/hls/{id}/: master.m3u8, {rendition}/index.m3u8 and {rendition}/seg-NNNNN.ts
 * (MPEG-TS, H.264 + AAC), or for CMAF {rendition}/init.mp4 and {rendition}/seg-NNNNN.m4s (fMP4). Everything is written in a private dot-folder and renamed into place when complete, so an
 * aborted or failed job leaves nothing the origin would serve.
 */
export async function packageAsset(opts: PackageOptions): Promise<PackagedAsset> {
  const started = performance.now();
  const { ladder, segmentSeconds, format } = validate(opts);
  const logger = (opts.logger ?? rootLogger).child({ asset: opts.id });
  const hlsDir = hlsDirOf(opts.mediaDir);
  const report = (p: PackageProgress): void => {
    try {
      opts.onProgress?.(p);
    } catch (err) {
      logger.warn({ err }, 'progress callback failed');
    }
  };
  throwIfAborted(opts.input, opts.signal);
  if (busy.has(opts.id)) throw new AppError('ASSET_BUSY', 409, `asset "${opts.id}" is already being packaged`);
  busy.add(opts.id);
  let scratch: string | undefined;
  try {
    if (!opts.overwrite && (await assetExists(hlsDir, opts.id))) throw assetExistsError(opts.id);
    const removed = await removeStaleLeftovers(hlsDir);
    if (removed.length > 0) logger.info({ removed }, 'removed leftovers of interrupted packaging jobs');

    report(probingProgress());
    const source = await probeSource(opts.ffmpeg, opts.input, opts.signal);
    const planned = planRenditions(source, ladder);
    const plans = opts.maxRenditions !== undefined ? planned.slice(0, Math.max(1, opts.maxRenditions)) : planned;
    logger.debug({ source, plans }, 'packaging plan');

    scratch = await createScratch(hlsDir, opts.id);
    const { renditions, durationSeconds } = await encodeAndMeasure(opts, scratch, plans, source, segmentSeconds, format, report, logger);
    throwIfAborted(opts.input, opts.signal);
    await publishScratch(scratch, hlsDir, opts.id, opts.overwrite ?? false);
    scratch = undefined;
    report(finishingProgress(true));
    const elapsedMs = Math.round(performance.now() - started);
    logger.debug({ elapsedMs, renditions }, 'packaged');
    return { id: opts.id, dir: join(hlsDir, opts.id), durationSeconds, format, renditions, elapsedMs };
  } catch (err) {
    if (opts.signal?.aborted && !(isAppError(err) && err.code === 'PACKAGING_ABORTED')) throw aborted(opts.input, opts.signal);
    if (isAppError(err)) throw err;
    throw new PackagingError(`packaging "${opts.input}" failed: ${err instanceof Error ? err.message : String(err)}`, '', 'PACKAGING_FAILED', err);
  } finally {
    if (scratch) await discardScratch(scratch).catch((err: unknown) => logger.warn({ err, scratch }, 'could not remove temporary folder'));
    busy.delete(opts.id);
  }
}
