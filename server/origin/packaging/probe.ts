// ffprobe: what a source file holds (duration, the video and audio streams to package) and what an encoded segment is.
import { PackagingError } from '../../core/errors.ts';
import { fileUrl, identifyContainer, pinnedInputOptions } from '../ffmpeg/input-rules.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import { FfprobeError, runFfprobe } from '../ffmpeg/run-ffprobe.ts';
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
  /** The demuxer every run on this file is pinned to (`-f`), identified and allowed by input-rules.ts. */
  readonly demuxer: string;
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
export function parseSourceProbe(json: unknown, path: string, demuxer?: string): SourceInfo {
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
  return { path, formatName, demuxer: demuxer ?? formatName.split(',')[0] ?? '', durationSeconds, video, audio };
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

/** ffprobe's failure as a PackagingError naming the file and ffprobe's reason. */
function probeFailed(err: unknown, path: string, signal: AbortSignal | undefined): unknown {
  if (!(err instanceof FfprobeError)) return err;
  if (err.isAborted) return new PackagingError(`packaging "${path}" was aborted`, err.stderrTail, 'PACKAGING_ABORTED', signal?.reason);
  return reason(path, err.message.split(fileUrl(path)).join(path), err.stderrTail);
}

/**
 * What a source holds. Its container is identified and checked against the allow-list first (nothing but the file is
 * read), then probed pinned to that demuxer; throws PackagingError PACKAGING_FORMAT_NOT_ALLOWED or PACKAGING_NOT_MEDIA.
 */
export async function probeSource(paths: FfmpegPaths, path: string, signal?: AbortSignal): Promise<SourceInfo> {
  const demuxer = await identifyContainer(paths, path, signal);
  const json = await runFfprobe(paths, fileUrl(path), ['-show_format', '-show_streams'], { inputOptions: pinnedInputOptions(demuxer), ...(signal ? { signal } : {}) })
    .catch((err: unknown) => Promise.reject(probeFailed(err, path, signal)));
  return parseSourceProbe(json, path, demuxer);
}

/** Streams of a segment this origin wrote (MPEG-TS), read with the same pins. */
/** Streams of a segment we wrote ourselves: MPEG-TS, or (`mov`) an fMP4 segment joined to its init segment. */
export async function probeStreams(paths: FfmpegPaths, path: string, signal?: AbortSignal, demuxer: 'mpegts' | 'mov' = 'mpegts'): Promise<ProbedStream[]> {
  const json = await runFfprobe(paths, fileUrl(path), ['-show_streams'], { inputOptions: pinnedInputOptions(demuxer), ...(signal ? { signal } : {}) })
    .catch((err: unknown) => Promise.reject(probeFailed(err, path, signal)));
  return parseStreamsProbe(json);
}
