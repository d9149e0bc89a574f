// The ffmpeg command line of a live channel (pure), its segment names, and the font for the sample's clock.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SegmentFormat } from '../packaging/ffmpeg-args.ts';
import type { LiveRendition } from './types.ts';

export const DEFAULT_LIVE_RENDITIONS: readonly LiveRendition[] = [
  { name: '360p', width: 640, height: 360, videoKbps: 600 },
  { name: '240p', width: 426, height: 240, videoKbps: 300 },
];

export interface LiveOutput {
  readonly rendition: LiveRendition;
  /** Folder the segments are written to. */
  readonly dir: string;
  /** Where ffmpeg appends one CSV line per finished segment. */
  readonly segmentListPath: string;
}

export interface LiveFfmpegArgsOptions {
  /** "sample" or a file path. */
  readonly source: string;
  /** File sources without audio get none; the sample always has a tone. */
  readonly hasAudio: boolean;
  readonly outputs: readonly LiveOutput[];
  readonly segmentSeconds: number;
  readonly frameRate: number;
  readonly audioKbps: number;
  /** Number of the first segment this run writes: continues the previous run's numbering. */
  readonly startNumber: number;
  /** Part of every segment name, unique per manager start, so names never repeat even across origin restarts. */
  readonly segmentTag: string;
  /** Burned-in clock for the sample; undefined draws none. */
  readonly fontFile: string | undefined;
  /** Label drawn next to the clock. */
  readonly label: string;
  /** `ts`: MPEG-TS segments; `cmaf`: fMP4 segments after the init segment `initFile` (default ts). */
  readonly format?: SegmentFormat;
  /** CMAF: the init segment's file name in each rendition folder, one per run (liveInitFileName). */
  readonly initFile?: string;
}

/** AAC encoder delay (priming) of ffmpeg's encoder, in samples at the 48 kHz we encode. */
const AAC_PRIMING_SAMPLES = 1024;

function extensionOf(format: SegmentFormat): string {
  return format === 'cmaf' ? 'm4s' : 'ts';
}

export function segmentFilePattern(tag: string, format: SegmentFormat = 'ts'): string {
  return `seg-${tag}-%d.${extensionOf(format)}`;
}

/** The file name segmentFilePattern gives segment `sequence`. */
export function segmentFileName(tag: string, sequence: number, format: SegmentFormat = 'ts'): string {
  return `seg-${tag}-${sequence}.${extensionOf(format)}`;
}

/** The init segment of one ffmpeg run of a CMAF channel: a new run may start a new one (after EXT-X-DISCONTINUITY). */
export function liveInitFileName(tag: string, run: number): string {
  return `init-${tag}-${run}.mp4`;
}

/** The sequence number in a segment name written with segmentFilePattern (either format), or undefined. */
export function sequenceOfSegmentName(tag: string, filename: string): number | undefined {
  const prefix = `seg-${tag}-`;
  const ext = filename.endsWith('.ts') ? 3 : filename.endsWith('.m4s') ? 4 : 0;
  if (!filename.startsWith(prefix) || ext === 0) return undefined;
  const digits = filename.slice(prefix.length, -ext);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

/**
 * Quotes a filter option value. Two levels unquote it (ffmpeg-filters "Notes on filtergraph escaping"): the graph
 * parser drops the quotes, then the option parser unescapes `\:` and `\\`. Values holding a quote are not needed here.
 */
function filterValue(v: string): string {
  return `'${v.replace(/[\\:]/g, (c) => `\\${c}`)}'`;
}

export function liveFfmpegArgs(o: LiveFfmpegArgsOptions): string[] {
  const top = o.outputs[0]?.rendition;
  if (!top) throw new Error('a live channel needs at least one rendition');
  const isSample = o.source === 'sample';
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning', '-y', '-filter_complex_threads', '1'];
  // -re paces reading at the native rate, which is what makes this live rather than a fast transcode.
  if (isSample) {
    args.push('-re', '-f', 'lavfi', '-i', `testsrc2=size=${top.width}x${top.height}:rate=${o.frameRate}`);
    // A beep every second makes audio/video sync and stalls audible.
    args.push('-re', '-f', 'lavfi', '-i', 'sine=frequency=440:beep_factor=2:sample_rate=48000');
  } else {
    // A live source is a file (its probe reads it as file: too): no protocol other than the file one may be opened.
    args.push('-protocol_whitelist', 'file', '-re', '-stream_loop', '-1', '-i', o.source);
  }
  const n = o.outputs.length;
  const pre: string[] = [];
  if (!isSample) pre.push(`fps=${o.frameRate}`);
  if (isSample && o.fontFile) {
    // Wall clock bottom-left (testsrc2 draws its own stream timecode top-left): glass-to-glass latency at a glance.
    const size = Math.max(10, Math.round(top.height / 14));
    pre.push(
      `drawtext=fontfile=${filterValue(o.fontFile)}:text=${filterValue(`${o.label} %{localtime}`)}` +
        `:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:x=${size / 2}:y=h-th-${size / 2}`,
    );
  }
  pre.push(`split=${n}${o.outputs.map((_, i) => `[s${i}]`).join('')}`);
  const graph = [`[0:v]${pre.join(',')}`];
  o.outputs.forEach((out, i) => {
    const { width: w, height: h } = out.rendition;
    // Letterbox into the exact size, so RESOLUTION in the master playlist is known before any frame is encoded.
    const fit = isSample
      ? `scale=${w}:${h}`
      : `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`;
    graph.push(`[s${i}]${fit},setsar=1,format=yuv420p[v${i}]`);
  });
  const format = o.format ?? 'ts';
  const audioSource = isSample ? '1:a:0' : o.hasAudio ? '0:a:0' : undefined;
  let audioInputs: string[] | undefined = audioSource ? o.outputs.map(() => audioSource) : undefined;
  if (audioSource && format === 'cmaf') {
    // The mp4 muxer shifts every track by the AAC priming (its first packet is 1024 samples before 0) except in the
    // first fragment's tfdt, which leaves a 21 ms hole in the video after the first segment. Delaying the audio by
    // exactly that much makes both tracks start at 0 and run on without a hole (audio 21 ms late: far below what
    // anyone hears as out of sync).
    const labels = o.outputs.map((_, i) => `[a${i}]`);
    graph.push(`[${audioSource}]asetpts=PTS+${AAC_PRIMING_SAMPLES}/48000/TB${labels.length > 1 ? `,asplit=${labels.length}` : ''}${labels.join('')}`);
    audioInputs = labels;
  }
  args.push('-filter_complex', graph.join(';'));

  const gop = Math.max(1, Math.round(o.frameRate * o.segmentSeconds));
  o.outputs.forEach((out, i) => {
    const kbps = out.rendition.videoKbps;
    const audioInput = audioInputs?.[i];
    args.push('-map', `[v${i}]`);
    if (audioInput) args.push('-map', audioInput);
    args.push(
      '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1',
      '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`,
      // Keyframes exactly at segment boundaries, in every rendition, so players switch renditions without glitches.
      '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
      '-force_key_frames', `expr:gte(t,n_forced*${o.segmentSeconds})`,
    );
    if (audioInput) args.push('-c:a', 'aac', '-b:a', `${o.audioKbps}k`, '-ac', '2', '-ar', '48000');
    if (format === 'cmaf') {
      if (!o.initFile) throw new Error('a CMAF live channel needs an init segment name');
      // Fragmented MP4: the header (ftyp + moov) once into the init segment, then one moof + mdat per segment.
      args.push(
        '-f', 'segment', '-segment_format', 'mp4',
        '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof',
        '-segment_header_filename', join(out.dir, o.initFile),
      );
    } else {
      // Every packet reaches the file as it is muxed (not 32 KiB at a time): a run that is killed leaves its unfinished
      // segment ending on whole packets, which the channel can still publish (partial-segment.ts).
      args.push('-f', 'segment', '-segment_format', 'mpegts', '-segment_format_options', 'flush_packets=1');
    }
    args.push(
      '-segment_time', String(o.segmentSeconds),
      '-segment_list', out.segmentListPath, '-segment_list_type', 'csv',
      '-segment_start_number', String(o.startNumber),
      join(out.dir, segmentFilePattern(o.segmentTag, format)),
    );
  });
  return args;
}

const PREFERRED_FONTS = [/DejaVuSansMono\.ttf$/, /LiberationMono-Regular\.ttf$/, /DejaVuSans\.ttf$/, /LiberationSans-Regular\.ttf$/, /\.ttf$/i];

/** A TrueType font for drawtext, or undefined: the static ffmpeg cannot rely on fontconfig, so it needs a file. */
export async function findFontFile(root = '/usr/share/fonts'): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await readdir(root, { recursive: true })).map(String);
  } catch {
    return undefined;
  }
  for (const re of PREFERRED_FONTS) {
    const hit = names.filter((n) => re.test(n) && !n.includes("'")).sort()[0];
    if (hit) return join(root, hit);
  }
  return undefined;
}
