// ffprobe: what a source file holds (duration, the video and audio streams to package) and what an encoded segment is.
import { execFile } from 'node:child_process';
import { PackagingError } from '../../core/errors.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import type { Rational, SourceShape } from './ladder.ts';

export interface SourceVideo {
  /** Stream index in the file, for `-map 0:N`. */
  readonly index: number;
  readonly codec: string;
  /** Display size: after rotation metadata, which ffmpeg applies when decoding. */
  readonly width: number;
  readonly height: number;
  readonly frameRate: Rational | undefined;
  readonly isVariableFrameRate: boolean;
}

export interface SourceAudio {
  readonly index: number;
  readonly codec: string;
  readonly channels: number;
  readonly sampleRate: number;
}

export interface SourceInfo extends SourceShape {
  readonly path: string;
  readonly formatName: string;
  readonly durationSeconds: number;
  readonly video: SourceVideo | undefined;
  readonly audio: SourceAudio | undefined;
}

/** One stream of an encoded segment, as much as the master playlist needs. */
export interface ProbedStream {
  readonly type: 'video' | 'audio';
  readonly codec: string;
  readonly profile: string | undefined;
  readonly level: number | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly frameRate: Rational | undefined;
}

const STDERR_TAIL_CHARS = 2000;
const PROBE_TIMEOUT_MS = 120_000;
// Demuxers that open text and still pictures; ffprobe reads them happily, but they are not video to stream.
const NOT_VIDEO_FORMATS = /(^|,)(tty|image2|[a-z0-9]+_pipe|webp|apng)(,|$)/;

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** "30000/1001" → {num, den}; "0/0", "N/A" and zero rates → undefined. */
export function parseRational(v: unknown): Rational | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(str(v) ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  const d = Number(m[2]);
  return n > 0 && d > 0 ? { num: n, den: d } : undefined;
}

function sameRate(a: Rational | undefined, b: Rational | undefined): boolean {
  if (!a || !b) return a === b;
  return Math.abs(a.num / a.den - b.num / b.den) < 0.01;
}

/** Quarter turns from rotation metadata (old `rotate` tag or the display matrix side data). */
function isQuarterTurn(stream: Record<string, unknown>): boolean {
  const tag = num(record(stream['tags'])['rotate']);
  const sideData = Array.isArray(stream['side_data_list']) ? stream['side_data_list'] : [];
  const matrix = sideData.map((s) => num(record(s)['rotation'])).find((r) => r !== undefined);
  const degrees = tag ?? matrix ?? 0;
  return Math.abs(Math.round(degrees / 90)) % 2 === 1;
}

function reason(path: string, rule: string, stderrTail = ''): PackagingError {
  return new PackagingError(`cannot package "${path}": ${rule}`, stderrTail, 'PACKAGING_NOT_MEDIA');
}

/** Narrows ffprobe's `-show_format -show_streams` JSON to what packaging needs; throws when there is nothing to stream. */
export function parseSourceProbe(json: unknown, path: string): SourceInfo {
  const root = record(json);
  const format = record(root['format']);
  const formatName = str(format['format_name']) ?? '';
  const streams = (Array.isArray(root['streams']) ? root['streams'] : []).map(record);
  if (NOT_VIDEO_FORMATS.test(formatName)) {
    throw reason(path, `ffprobe reads it as "${formatName}", a still picture or text, not video or audio`);
  }
  const videoStream = streams.find((s) => s['codec_type'] === 'video' && num(record(s['disposition'])['attached_pic']) !== 1);
  const audioStream = streams.find((s) => s['codec_type'] === 'audio');
  if (!videoStream && !audioStream) throw reason(path, 'ffprobe found no video or audio stream in it');

  let video: SourceVideo | undefined;
  if (videoStream) {
    const w = num(videoStream['width']);
    const h = num(videoStream['height']);
    if (!w || !h) throw reason(path, 'its video stream has no picture size');
    const avg = parseRational(videoStream['avg_frame_rate']);
    const real = parseRational(videoStream['r_frame_rate']);
    const turned = isQuarterTurn(videoStream);
    video = {
      index: num(videoStream['index']) ?? 0,
      codec: str(videoStream['codec_name']) ?? 'unknown',
      width: turned ? h : w,
      height: turned ? w : h,
      frameRate: avg ?? real,
      // r_frame_rate is the lowest rate all timestamps fit; it differs from the average when frames come unevenly.
      isVariableFrameRate: !sameRate(avg, real),
    };
  }
  const audio: SourceAudio | undefined = audioStream && {
    index: num(audioStream['index']) ?? 0,
    codec: str(audioStream['codec_name']) ?? 'unknown',
    channels: num(audioStream['channels']) ?? 2,
    sampleRate: num(audioStream['sample_rate']) ?? 48000,
  };
  // Some containers (raw streams, MPEG-TS) leave the format's duration out; the longest stream's stands in.
  const streamDurations = streams.map((s) => num(s['duration']) ?? 0);
  const durationSeconds = num(format['duration']) ?? Math.max(0, ...streamDurations);
  if (!(durationSeconds > 0)) throw reason(path, 'ffprobe reports no duration for it');
  return { path, formatName, durationSeconds, video, audio };
}

/** Streams of an encoded file (a segment), for CODECS, RESOLUTION and FRAME-RATE. */
export function parseStreamsProbe(json: unknown): ProbedStream[] {
  const streams = (Array.isArray(record(json)['streams']) ? (record(json)['streams'] as unknown[]) : []).map(record);
  const out: ProbedStream[] = [];
  for (const s of streams) {
    const type = s['codec_type'];
    if (type !== 'video' && type !== 'audio') continue;
    out.push({
      type,
      codec: str(s['codec_name']) ?? 'unknown',
      profile: str(s['profile']),
      level: num(s['level']),
      width: num(s['width']),
      height: num(s['height']),
      frameRate: parseRational(s['avg_frame_rate']) ?? parseRational(s['r_frame_rate']),
    });
  }
  return out;
}

/** Last line of stderr that says something, without ffprobe's "path: " prefix. */
function lastReason(stderr: string, path: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const line = lines[lines.length - 1] ?? 'no output';
  return line.startsWith(`${path}: `) ? line.slice(path.length + 2) : line;
}

/** Runs ffprobe with JSON output; a failure becomes a PackagingError naming the file and ffprobe's reason. */
export function runFfprobe(paths: FfmpegPaths, path: string, args: readonly string[], signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      paths.ffprobe,
      ['-v', 'error', '-print_format', 'json', ...args, path],
      { maxBuffer: 16 * 1024 * 1024, timeout: PROBE_TIMEOUT_MS, signal, env: paths.env, windowsHide: true },
      (err, stdout, stderr) => {
        const tail = stderr.slice(-STDERR_TAIL_CHARS);
        if (err) {
          if (signal?.aborted) return reject(new PackagingError(`packaging "${path}" was aborted`, tail, 'PACKAGING_ABORTED', signal.reason));
          const killed = 'signal' in err && err.signal ? `ffprobe was killed by ${String(err.signal)}` : '';
          return reject(reason(path, `ffprobe: ${killed || lastReason(stderr, path)}`, tail));
        }
        try {
          resolve(JSON.parse(stdout) as unknown);
        } catch (parseErr) {
          reject(new PackagingError(`cannot package "${path}": ffprobe printed invalid JSON`, tail, 'PACKAGING_NOT_MEDIA', parseErr));
        }
      },
    );
  });
}

/** What a source holds; throws PackagingError (code PACKAGING_NOT_MEDIA) for anything that is not video or audio. */
export async function probeSource(paths: FfmpegPaths, path: string, signal?: AbortSignal): Promise<SourceInfo> {
  return parseSourceProbe(await runFfprobe(paths, path, ['-show_format', '-show_streams'], signal), path);
}

export async function probeStreams(paths: FfmpegPaths, path: string, signal?: AbortSignal): Promise<ProbedStream[]> {
  return parseStreamsProbe(await runFfprobe(paths, path, ['-show_streams'], signal));
}
