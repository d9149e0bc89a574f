// ffprobe for live channels: which streams a source has, and the CODECS of a finished segment.
import { execFile } from 'node:child_process';
import { codecOf } from '../../core/hls/codecs.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';

function runFfprobe(paths: FfmpegPaths, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(paths.ffprobe, ['-v', 'error', '-print_format', 'json', ...args], { env: paths.env, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(stderr.trim().split('\n').slice(-3).join(' ') || err.message));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as unknown);
      } catch (parseErr) {
        reject(parseErr as Error);
      }
    });
  });
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
  const streams = streamsOf(await runFfprobe(paths, ['-show_entries', 'stream=codec_type,codec_name', file]));
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
  return codecsFromProbe(await runFfprobe(paths, ['-show_entries', 'stream=codec_type,codec_name,profile,level', file]));
}
