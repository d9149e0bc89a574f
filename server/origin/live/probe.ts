// ffprobe for live channels: which streams a source has, the CODECS of a finished segment, how long a partial one is.
import { codecOf } from '../../core/hls/codecs.ts';
import { fileUrl } from '../ffmpeg/input-rules.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import { runFfprobe } from '../ffmpeg/run-ffprobe.ts';

const LIVE_PROBE_TIME_LIMIT_MS = 20_000;

/** A live source is the operator's own file (a setting, not an upload); only the file protocol is allowed all the same. */
function probe(paths: FfmpegPaths, file: string, entries: string): Promise<unknown> {
  return runFfprobe(paths, fileUrl(file), ['-show_entries', entries], { inputOptions: ['-protocol_whitelist', 'file'], timeLimitMs: LIVE_PROBE_TIME_LIMIT_MS });
}

interface ProbedStream {
  readonly codecType: string;
  readonly codecName: string;
  readonly profile: string;
  readonly level: number;
}

function streamsOf(json: unknown): ProbedStream[] {
  const streams = (json as { streams?: unknown }).streams;
  if (!Array.isArray(streams)) return [];
  return streams.map((s: unknown) => {
    const r = (s ?? {}) as Record<string, unknown>;
    return {
      codecType: typeof r['codec_type'] === 'string' ? r['codec_type'] : '',
      codecName: typeof r['codec_name'] === 'string' ? r['codec_name'] : '',
      profile: typeof r['profile'] === 'string' ? r['profile'] : '',
      level: typeof r['level'] === 'number' ? r['level'] : 0,
    };
  });
}

/** Which streams a source file has; rejects with ffprobe's reason when it is not media at all. */
export async function probeSource(paths: FfmpegPaths, file: string): Promise<{ hasVideo: boolean; hasAudio: boolean }> {
  const streams = streamsOf(await probe(paths, file, 'stream=codec_type,codec_name'));
  return { hasVideo: streams.some((s) => s.codecType === 'video'), hasAudio: streams.some((s) => s.codecType === 'audio') };
}

/** RFC 6381 CODECS for the streams ffprobe found in a segment, or undefined when it cannot name the video. */
export function codecsFromProbe(json: unknown): string | undefined {
  const out: string[] = [];
  for (const s of streamsOf(json)) {
    const codec = codecOf({ codec: s.codecName, profile: s.profile || undefined, level: s.level || undefined });
    if (s.codecName === 'h264' && !codec) return undefined;
    if (codec) out.push(codec);
  }
  return out.some((c) => c.startsWith('avc1.')) ? out.join(',') : undefined;
}

/** CODECS measured from a finished segment, so the master playlist states what x264 actually chose. */
export async function probeSegmentCodecs(paths: FfmpegPaths, file: string): Promise<string | undefined> {
  return codecsFromProbe(await probe(paths, file, 'stream=codec_type,codec_name,profile,level'));
}

/** Seconds of video in ffprobe's `packet=pts_time,duration_time` output: first frame to the end of the last one. */
export function videoSpanFromProbe(json: unknown): number | undefined {
  const packets = (json as { packets?: unknown }).packets;
  if (!Array.isArray(packets)) return undefined;
  let start = Infinity;
  let end = -Infinity;
  for (const p of packets) {
    const r = (p ?? {}) as Record<string, unknown>;
    const pts = Number(r['pts_time']);
    const duration = Number(r['duration_time'] ?? 0);
    if (!Number.isFinite(pts)) continue;
    start = Math.min(start, pts);
    end = Math.max(end, pts + (Number.isFinite(duration) && duration > 0 ? duration : 0));
  }
  return end > start ? end - start : undefined;
}

/** How many seconds of video an MPEG-TS segment holds (a partial one included), or undefined when it holds none. */
export async function probeVideoSpan(paths: FfmpegPaths, file: string): Promise<number | undefined> {
  const json = await runFfprobe(paths, fileUrl(file), ['-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time'], {
    inputOptions: ['-protocol_whitelist', 'file', '-f', 'mpegts'],
    timeLimitMs: LIVE_PROBE_TIME_LIMIT_MS,
  });
  return videoSpanFromProbe(json);
}
