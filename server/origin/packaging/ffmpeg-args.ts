// ffmpeg arguments for packaging: one decode, a split filter, one H.264 + AAC HLS output per rendition (pure).
import { join } from 'node:path';
import { pinnedInputOptions } from '../ffmpeg/input-rules.ts';
import { levelName } from './h264-levels.ts';
import type { Rational, RenditionPlan } from './ladder.ts';
import type { SourceInfo } from './probe.ts';

export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;
export type X264Preset = (typeof X264_PRESETS)[number];

export interface FfmpegJob {
  /** Before `-i`: global options, and the input pinned to its identified demuxer and the file protocol. */
  readonly inputOptions: readonly string[];
  readonly complexFilter: string | undefined;
  readonly outputs: ReadonlyArray<{ readonly path: string; readonly options: readonly string[] }>;
}

export interface BuildArgsOptions {
  readonly source: SourceInfo;
  readonly renditions: readonly RenditionPlan[];
  /** Folder holding one subfolder per rendition. */
  readonly outDir: string;
  readonly segmentSeconds: number;
  readonly preset: X264Preset;
  /** `cmaf`: fMP4 segments (.m4s) after an init segment (init.mp4); `ts`: MPEG-TS segments. */
  readonly format: SegmentFormat;
}

/** How segments are packed: CMAF (fragmented MP4, RFC 8216 §3.3) or MPEG-TS (§3.2). */
export const SEGMENT_FORMATS = ['cmaf', 'ts'] as const;
export type SegmentFormat = (typeof SEGMENT_FORMATS)[number];
/** Segment format of new packages when the caller does not say. */
export const DEFAULT_SEGMENT_FORMAT: SegmentFormat = 'ts';

/** ffmpeg's printf pattern for segment names, per format. */
export function segmentPattern(format: SegmentFormat): string {
  return format === 'cmaf' ? 'seg-%05d.m4s' : 'seg-%05d.ts';
}
/** The init segment of a CMAF rendition, next to its media playlist (EXT-X-MAP URI="init.mp4"). */
export const INIT_SEGMENT = 'init.mp4';
/** ffmpeg's own playlist, read back and replaced by ours (index.m3u8). */
export const FFMPEG_PLAYLIST = 'ffmpeg.m3u8';

function rate(r: Rational): string {
  return `${r.num}/${r.den}`;
}

/** Frames per GOP: a keyframe lands on every segment boundary even when the rate is fractional (29.97 × 4 → 120). */
export function gopFrames(frameRate: Rational, segmentSeconds: number): number {
  return Math.max(1, Math.ceil((frameRate.num / frameRate.den) * segmentSeconds - 1e-6));
}

/** AAC at the source's rate when it is a common one, else 48 kHz. */
function sampleRate(source: SourceInfo): number {
  const sr = source.audio?.sampleRate;
  return sr === 44100 || sr === 48000 ? sr : 48000;
}

/** Scale, frame rate and pixel format for every video rendition, fed by one decoded copy of the source. */
function filterGraph(source: SourceInfo, renditions: readonly RenditionPlan[]): string | undefined {
  const video = source.video;
  const withVideo = renditions.filter((r) => r.video);
  if (!video || withVideo.length === 0) return undefined;
  const branches = withVideo.map((r, i) => {
    const v = r.video;
    if (!v) throw new Error('unreachable: filtered on video');
    return `fps=fps=${rate(v.frameRate)},scale=${v.width}:${v.height},format=yuv420p[v${i}]`;
  });
  const input = `[0:${video.index}]`;
  if (branches.length === 1) return `${input}${branches[0]}`;
  const labels = withVideo.map((_, i) => `[s${i}]`).join('');
  return [`${input}split=${branches.length}${labels}`, ...branches.map((b, i) => `[s${i}]${b}`)].join(';');
}

/**
 * Keyframes are forced at every multiple of the segment length (and scene cuts may not add more), so ffmpeg's HLS
 * muxer cuts every rendition at the same instants: players switch renditions at any segment boundary without a glitch.
 */
export function buildFfmpegJob(o: BuildArgsOptions): FfmpegJob {
  const inputOptions = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-stats', ...pinnedInputOptions(o.source.demuxer)];
  let videoBranch = 0;
  const outputs = o.renditions.map((r) => {
    const dir = join(o.outDir, r.name);
    const opts: string[] = [];
    if (r.video) {
      const v = r.video;
      const gop = gopFrames(v.frameRate, o.segmentSeconds);
      opts.push(
        '-map', `[v${videoBranch++}]`,
        '-c:v', 'libx264', '-preset', o.preset,
        '-profile:v', v.profile, '-level', levelName(v.level),
        '-b:v', `${v.kbps}k`, '-maxrate', `${v.maxrateKbps}k`, '-bufsize', `${v.bufsizeKbps}k`,
        '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
        '-force_key_frames', `expr:gte(t,n_forced*${o.segmentSeconds})`,
      );
    }
    if (r.audio && o.source.audio) {
      opts.push(
        '-map', `0:${o.source.audio.index}`,
        '-c:a', 'aac', '-b:a', `${r.audio.kbps}k`, '-ac', String(r.audio.channels), '-ar', String(sampleRate(o.source)),
      );
    }
    opts.push(
      // Several outputs fed by one filter graph start at different moments; the default queue of 128 packets can overflow.
      '-max_muxing_queue_size', '4096',
      // Timestamps start at 0, without the MPEG-TS muxer's 1.4 s of mux delay and preload, which players see as a
      // start gap to seek over (hls.js: bufferSeekOverHole). MPEG-TS cannot carry negative timestamps, so they are
      // shifted to start at 0 (make_zero). fMP4 segments start with decode time 0 either way; left alone, the init
      // segment's edit list skips the encoder delay (B-frames, AAC priming) and both streams present from exactly 0.
      '-avoid_negative_ts', o.format === 'cmaf' ? 'disabled' : 'make_zero', '-muxdelay', '0', '-muxpreload', '0',
      '-f', 'hls', '-hls_time', String(o.segmentSeconds), '-hls_list_size', '0', '-hls_playlist_type', 'vod',
      ...(o.format === 'cmaf' ? ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', INIT_SEGMENT] : []),
      // The segment name is a printf pattern: a literal % in the media folder's path must be doubled.
      '-hls_segment_filename', join(dir.replace(/%/g, '%%'), segmentPattern(o.format)),
    );
    return { path: join(dir, FFMPEG_PLAYLIST), options: opts };
  });
  return { inputOptions, complexFilter: filterGraph(o.source, o.renditions), outputs };
}

/** The whole command line (give `input` as a file: URL, see input-rules.ts). */
export function commandLine(input: string, job: FfmpegJob): string[] {
  const args = [...job.inputOptions, '-i', input];
  if (job.complexFilter) args.push('-filter_complex', job.complexFilter);
  for (const out of job.outputs) args.push(...out.options, out.path);
  return args;
}
