// The ffmpeg command line of a live channel (pure), its segment names, and the font for the sample's clock.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
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
}

export function segmentFilePattern(tag: string): string {
  return `seg-${tag}-%d.ts`;
}

/** The sequence number in a segment name written with segmentFilePattern, or undefined. */
export function sequenceOfSegmentName(tag: string, filename: string): number | undefined {
  const prefix = `seg-${tag}-`;
  if (!filename.startsWith(prefix) || !filename.endsWith('.ts')) return undefined;
  const digits = filename.slice(prefix.length, -3);
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
  args.push('-filter_complex', graph.join(';'));

  const gop = Math.max(1, Math.round(o.frameRate * o.segmentSeconds));
  const audioInput = isSample ? '1:a:0' : o.hasAudio ? '0:a:0' : undefined;
  o.outputs.forEach((out, i) => {
    const kbps = out.rendition.videoKbps;
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
    args.push(
      '-f', 'segment', '-segment_format', 'mpegts', '-segment_time', String(o.segmentSeconds),
      '-segment_list', out.segmentListPath, '-segment_list_type', 'csv',
      '-segment_start_number', String(o.startNumber),
      join(out.dir, segmentFilePattern(o.segmentTag)),
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
