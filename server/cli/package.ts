// `edgeline package <input>`: package a video file into adaptive HLS under {media}/hls/{id}/ with a progress bar.
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fields, loadConfig } from '../core/config.ts';
import { PackagingError } from '../core/errors.ts';
import { resolveFfmpegPaths } from '../origin/ffmpeg/paths.ts';
import { DEFAULT_LADDER, LADDER } from '../origin/packaging/ladder.ts';
import { DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS, X264_PRESETS } from '../origin/packaging/ffmpeg-args.ts';
import { DEFAULT_SEGMENT_SECONDS, packageAsset } from '../origin/packaging/packager.ts';
import { ASSET_ID, type PackagedAsset } from '../origin/packaging/types.ts';
import { wantsHelp } from './help.ts';
import { createProgress } from './progress.ts';
import { abortOnStopSignal } from '../core/process/signals.ts';

const RUNG_NAMES = LADDER.map((r) => r.name);

export const spec = {
  id: fields.optionalString('id', { help: 'asset id (default: a slug of the file name)' }),
  ladder: fields.list('ladder', DEFAULT_LADDER, {
    env: 'PACKAGE_LADDER',
    help: 'renditions, capped at the source height',
    item: (name) => {
      if (!RUNG_NAMES.includes(name)) throw new Error(`expected renditions among ${RUNG_NAMES.join(',')}, got "${name}"`);
      return name;
    },
  }),
  segmentSeconds: fields.number('segment-seconds', DEFAULT_SEGMENT_SECONDS, { env: 'PACKAGE_SEGMENT_SECONDS', min: 1, max: 30, help: 'segment length' }),
  format: fields.oneOf('format', DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS, { env: 'PACKAGE_FORMAT', help: 'segments: cmaf (fMP4 with an init segment, EXT-X-MAP) or ts (MPEG-TS)' }),
  media: fields.string('media', './media', { env: 'MEDIA_DIR', help: 'media folder; output goes to <media>/hls/<id>/' }),
  preset: fields.oneOf('preset', 'veryfast', X264_PRESETS, { env: 'PACKAGE_PRESET', help: 'x264 preset (speed vs. size)' }),
  force: fields.bool('force', false, { help: 'replace an existing asset with the same id' }),
};

/** An asset id from a file name: lower case, runs of other characters become "-", at most 64 characters. */
export function slugOf(path: string): string {
  const stem = basename(path, extname(path)).toLowerCase();
  const slug = stem.replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+|[-_]+$/g, '').slice(0, 64).replace(/[-_]+$/, '');
  return ASSET_ID.test(slug) ? slug : 'asset';
}

/** Seconds of video packaged per wall-clock second: for the whole ladder, and counting each rendition. */
export function packagingSpeed(asset: Pick<PackagedAsset, 'durationSeconds' | 'elapsedMs' | 'renditions'>): { assetSecondsPerSecond: number; renditionSecondsPerSecond: number } {
  const wall = Math.max(asset.elapsedMs, 1) / 1000;
  return {
    assetSecondsPerSecond: asset.durationSeconds / wall,
    renditionSecondsPerSecond: (asset.durationSeconds * asset.renditions.length) / wall,
  };
}

function mbps(bits: number): string {
  return `${(bits / 1e6).toFixed(2)} Mb/s`;
}

/** Relative to the working folder when inside it, else absolute. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export function formatSummary(asset: PackagedAsset, cwd = process.cwd()): string {
  const speed = packagingSpeed(asset);
  const lines = [
    `packaged "${asset.id}" (${asset.format === 'cmaf' ? 'CMAF' : 'MPEG-TS'}): ${asset.durationSeconds.toFixed(1)} s of video, ${asset.renditions.length} rendition(s), in ${(asset.elapsedMs / 1000).toFixed(1)} s`,
  ];
  for (const r of asset.renditions) {
    const size = r.width && r.height ? `${r.width}x${r.height}` : 'audio';
    const fps = r.frameRate ? `${r.frameRate} fps` : '';
    lines.push(`  ${r.name.padEnd(6)} ${size.padEnd(10)} peak ${mbps(r.bandwidth).padEnd(11)} avg ${mbps(r.averageBandwidth).padEnd(11)} ${r.codecs.padEnd(24)} ${fps}`.trimEnd());
  }
  lines.push(
    `  speed: ${speed.assetSecondsPerSecond.toFixed(2)} s of video per second for the whole ladder (${speed.renditionSecondsPerSecond.toFixed(2)} rendition-seconds per second)`,
    `  master playlist: ${displayPath(join(asset.dir, 'master.m3u8'), cwd)}`,
  );
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const usage = 'edgeline package <input> [--id ID] [--ladder 1080p,720p,480p,360p,240p] [--segment-seconds 4] [--format ts|cmaf] [--media DIR]';
  if (wantsHelp(argv, usage, spec)) return 0;
  const { values: c, positionals } = loadConfig(spec, process.env, argv, { positionals: { min: 1, max: 1, name: '<input>' } });
  const input = resolve(positionals[0] ?? '');
  const id = c.id ?? slugOf(input);
  // Ctrl-C stops ffmpeg and removes the temporary folder instead of leaving it behind.
  const interrupt = abortOnStopSignal();
  const ffmpeg = resolveFfmpegPaths(process.env);
  // Your own file on your own machine: the old npm ffmpeg may package it (the origin refuses it for uploads).
  if (!ffmpeg.isMaintained) process.stderr.write(`note: packaging with ${ffmpeg.source === 'npm' ? 'the 2018 static ffmpeg from npm' : ffmpeg.ffmpeg} (${ffmpeg.version ?? 'version unknown'}); fine for your own files, but the origin refuses uploads with it. apt-get install ffmpeg for a maintained one.\n`);
  const progress = createProgress(`packaging ${id}`);
  try {
    const asset = await packageAsset({
      input,
      id,
      mediaDir: resolve(c.media),
      ladder: c.ladder,
      segmentSeconds: c.segmentSeconds,
      format: c.format,
      preset: c.preset,
      overwrite: c.force,
      ffmpeg,
      signal: interrupt.signal,
      onProgress: (p) => progress.update(p.percent, p.etaSeconds, p.stage),
    });
    progress.stop();
    process.stdout.write(`${formatSummary(asset)}\n`);
    return 0;
  } catch (err) {
    progress.stop();
    // main prints the message; ffmpeg's own words come first so the reason is not lost.
    if (err instanceof PackagingError && err.stderrTail) process.stderr.write(`${err.stderrTail}\n`);
    throw err;
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}
