// `edgeline sample`: generate a test-pattern source (testsrc2, burned-in timecode, sine tone) and package it as "sample".
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { fields, loadConfig } from '../core/config.ts';
import { PackagingError } from '../core/errors.ts';
import type { FfmpegPaths } from '../origin/ffmpeg/paths.ts';
import { resolveFfmpegPaths } from '../origin/ffmpeg/paths.ts';
import type { Logger } from '../core/log.ts';
import { DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS, X264_PRESETS } from '../origin/packaging/ffmpeg-args.ts';
import { packageAsset } from '../origin/packaging/packager.ts';
import { createScratch, discardScratch, hlsDirOf } from '../origin/packaging/publish.ts';
import { parseFfmpegTime } from '../origin/packaging/progress.ts';
import type { PackagedAsset, PackageOptions } from '../origin/packaging/types.ts';
import { wantsHelp } from './help.ts';
import { formatSummary } from './package.ts';
import { createProgress } from './progress.ts';
import { abortOnStopSignal } from '../core/process/signals.ts';

export const SAMPLE_ID = 'sample';
export const SAMPLE_LADDER: readonly string[] = ['720p', '480p', '360p', '240p'];
export const SAMPLE_SECONDS = 60;
const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;
/**
 * Share of the wall time spent generating the source, measured on 2 cores: generating runs on about one core for
 * ~7 CPU-s per minute of sample, packaging the four renditions keeps both busy for ~33 CPU-s.
 */
const GENERATE_SHARE = 30;

const FONT_ROOT = '/usr/share/fonts';
// Monospaced first: a running timecode in a proportional font wobbles.
const PREFERRED_FONTS = ['DejaVuSansMono.ttf', 'LiberationMono-Regular.ttf', 'DejaVuSans.ttf', 'LiberationSans-Regular.ttf', 'FreeMono.ttf'];

/** A TrueType/OpenType font under /usr/share/fonts for drawtext, preferring monospaced ones; undefined if none. */
export function findFont(root = FONT_ROOT): string | undefined {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 4) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path, depth + 1);
      else if (/\.(ttf|otf)$/i.test(e.name)) found.push(path);
    }
  };
  walk(root, 0);
  for (const name of PREFERRED_FONTS) {
    const hit = found.find((p) => p.endsWith(`/${name}`));
    if (hit) return hit;
  }
  return found.sort()[0];
}

/** Quote a value for an ffmpeg filter option (filter graph escaping: backslash, quote and colon are special). */
function filterValue(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`;
}

/** The video filter: the test pattern with a SMPTE timecode and a label burned in, or none without a font. */
export function sampleVideoFilter(font: string | undefined): string | undefined {
  if (!font) return undefined;
  const f = filterValue(font);
  return [
    // Frame-accurate timecode: compare renditions frame by frame, or see where a player really is.
    `drawtext=fontfile=${f}:timecode='00\\:00\\:00\\:00':rate=${FPS}:x=(w-tw)/2:y=h-th-48:fontsize=64:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12`,
    `drawtext=fontfile=${f}:text='Edgeline sample':x=w-tw-32:y=32:fontsize=36:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8`,
  ].join(',');
}

export interface SampleSourceOptions {
  readonly out: string;
  readonly seconds: number;
  readonly font: string | undefined;
}

/** ffmpeg arguments (inputs are lavfi sources) for the sample source, as [inputs, outputOptions]. */
export function sampleSourceArgs(o: SampleSourceOptions): { inputs: string[]; outputOptions: string[] } {
  const filter = sampleVideoFilter(o.font);
  return {
    inputs: [`testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=${o.seconds}`, `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${o.seconds}`],
    outputOptions: [
      ...(filter ? ['-vf', filter] : []),
      // A mezzanine for the packager, not for viewers. Lossless ultrafast x264 costs about a quarter of the CPU of
      // -crf 20 (it skips quantisation decisions) and decodes as fast; the price is ~2 MB per second on disk, briefly.
      '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '128k',
    ],
  };
}

function generateSource(paths: FfmpegPaths, o: SampleSourceOptions, onTime: (s: number) => void, signal?: AbortSignal): Promise<void> {
  const { inputs, outputOptions } = sampleSourceArgs(o);
  return new Promise((resolvePromise, reject) => {
    const cmd = ffmpeg({ stdoutLines: 100 }).setFfmpegPath(paths.ffmpeg);
    for (const i of inputs) cmd.input(i).inputFormat('lavfi');
    cmd.output(o.out).outputOptions('-hide_banner', '-nostdin', '-loglevel', 'error', '-stats', ...outputOptions);
    const onAbort = (): void => void cmd.kill('SIGKILL');
    const done = (err?: Error): void => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolvePromise();
    };
    cmd.on('stderr', (line: string) => {
      const t = parseFfmpegTime(line);
      if (t !== undefined) onTime(t);
    });
    cmd.on('error', (err: Error, _out: string | null, stderr: string | null) => {
      const tail = (stderr ?? '').split(/\r?\n|\r/).filter((l) => l.trim() && !l.startsWith('frame=')).slice(-20).join('\n');
      const message = signal?.aborted ? 'generating the sample source was aborted' : `ffmpeg could not generate the sample source: ${tail.split('\n').pop() ?? err.message}`;
      done(new PackagingError(message, tail, signal?.aborted ? 'PACKAGING_ABORTED' : 'PACKAGING_FFMPEG_FAILED', err));
    });
    cmd.on('end', () => done());
    if (signal?.aborted) return done(new PackagingError('generating the sample source was aborted', '', 'PACKAGING_ABORTED'));
    signal?.addEventListener('abort', onAbort, { once: true });
    cmd.run();
  });
}

export interface SampleProgress {
  readonly stage: 'generating' | 'probing' | 'encoding' | 'finishing';
  readonly percent: number;
  readonly etaSeconds: number | undefined;
}

export interface EnsureSampleOptions {
  readonly mediaDir: string;
  readonly ffmpeg: FfmpegPaths;
  readonly seconds?: number;
  /** Regenerate even if the asset exists (replaced atomically). */
  readonly force?: boolean;
  readonly onProgress?: (p: SampleProgress) => void;
  readonly signal?: AbortSignal;
  readonly preset?: PackageOptions['preset'];
  /** Segment format; default: the packager's. */
  readonly format?: PackageOptions['format'];
  readonly logger?: Logger;
  /** Told once when no font exists and the timecode is left out. */
  readonly onWarning?: (message: string) => void;
  /** Font for the timecode; default: findFont(). null: no text. */
  readonly font?: string | null;
}

export interface EnsureSampleResult {
  /** false when the asset was already there and nothing was done. */
  readonly packaged: boolean;
  readonly dir: string;
  readonly elapsedMs: number;
  readonly asset: PackagedAsset | undefined;
}

/** `/vod/sample/master.m3u8` (any query): the sample's playlist, which the tools package on first use like `edgeline up` does. */
export function isSamplePlaylistPath(srcPath: string): boolean {
  return srcPath.split('?')[0] === `/vod/${SAMPLE_ID}/master.m3u8`;
}

export function sampleDirOf(mediaDir: string): string {
  return join(mediaDir, 'hls', SAMPLE_ID);
}

/** Packages the sample unless {mediaDir}/hls/sample already holds one; what `edgeline up` runs on first start. */
export async function ensureSample(opts: EnsureSampleOptions): Promise<EnsureSampleResult> {
  const dir = sampleDirOf(opts.mediaDir);
  if (!opts.force && existsSync(join(dir, 'master.m3u8'))) return { packaged: false, dir, elapsedMs: 0, asset: undefined };
  const started = performance.now();
  const seconds = opts.seconds ?? SAMPLE_SECONDS;
  const font = opts.font === null ? undefined : (opts.font ?? findFont());
  if (!font) opts.onWarning?.(`no font found under ${FONT_ROOT}: the sample has no burned-in timecode`);
  const report = (stage: SampleProgress['stage'], percent: number): void => {
    const elapsed = (performance.now() - started) / 1000;
    // The job's pace so far, over both phases weighted by their measured cost.
    const etaSeconds = percent >= 3 && elapsed > 1 ? Math.round((elapsed / percent) * (100 - percent)) : undefined;
    opts.onProgress?.({ stage, percent: Math.round(percent * 10) / 10, etaSeconds });
  };
  // Next to the output (same disk, not a RAM-backed /tmp), in a dot-folder the packager cleans if we die.
  const hlsDir = hlsDirOf(opts.mediaDir);
  const work = await createScratch(hlsDir, `${SAMPLE_ID}-source`);
  try {
    const source = join(work, 'sample-source.mp4');
    report('generating', 0);
    await generateSource(opts.ffmpeg, { out: source, seconds, font }, (t) => report('generating', (Math.min(t, seconds) / seconds) * GENERATE_SHARE), opts.signal);
    const asset = await packageAsset({
      input: source,
      id: SAMPLE_ID,
      mediaDir: opts.mediaDir,
      ladder: SAMPLE_LADDER,
      ffmpeg: opts.ffmpeg,
      overwrite: opts.force ?? false,
      ...(opts.preset ? { preset: opts.preset } : {}),
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      onProgress: (p) => report(p.stage, GENERATE_SHARE + (p.percent * (100 - GENERATE_SHARE)) / 100),
    });
    return { packaged: true, dir, elapsedMs: Math.round(performance.now() - started), asset };
  } finally {
    await discardScratch(work);
  }
}

export const spec = {
  media: fields.string('media', './media', { env: 'MEDIA_DIR', help: 'media folder; the asset goes to <media>/hls/sample/' }),
  seconds: fields.int('seconds', SAMPLE_SECONDS, { env: 'SAMPLE_SECONDS', min: 1, max: 3600, help: 'length of the sample' }),
  preset: fields.oneOf('preset', 'veryfast', X264_PRESETS, { env: 'PACKAGE_PRESET', help: 'x264 preset for the renditions' }),
  format: fields.oneOf('format', DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS, { env: 'PACKAGE_FORMAT', help: 'segments: cmaf (fMP4) or ts (MPEG-TS)' }),
  force: fields.bool('force', false, { help: 'regenerate even if the sample exists' }),
};

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, 'edgeline sample [--media DIR] [--seconds 60] [--preset veryfast] [--format ts|cmaf] [--force]', spec)) return 0;
  const { values: c } = loadConfig(spec, process.env, argv);
  const mediaDir = resolve(c.media);
  const dir = sampleDirOf(mediaDir);
  if (!c.force && existsSync(join(dir, 'master.m3u8'))) {
    process.stdout.write(`${dir} already exists; nothing to do (--force regenerates it)\n`);
    return 0;
  }
  const interrupt = abortOnStopSignal();
  const progress = createProgress('sample');
  try {
    const result = await ensureSample({
      mediaDir,
      ffmpeg: resolveFfmpegPaths(process.env),
      seconds: c.seconds,
      force: c.force,
      preset: c.preset,
      format: c.format,
      signal: interrupt.signal,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      onProgress: (p) => progress.update(p.percent, p.etaSeconds, p.stage),
    });
    progress.stop();
    if (result.asset) process.stdout.write(`${formatSummary(result.asset)}\n`);
    process.stdout.write(`total with source generation: ${(result.elapsedMs / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (err) {
    progress.stop();
    if (err instanceof PackagingError && err.stderrTail) process.stderr.write(`${err.stderrTail}\n`);
    throw err;
  } finally {
    interrupt.dispose();
  }
}
