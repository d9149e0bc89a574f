// Small generated sources for tests and benchmarks (ffmpeg testsrc2 + sine), cached per machine in a temp folder.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveFfmpegPaths } from '../../server/origin/ffmpeg/paths.ts';

const run = promisify(execFile);
export const ffmpegPaths = resolveFfmpegPaths(process.env);
const CACHE = join(tmpdir(), 'edgeline-test-media');

export interface ClipOptions {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  audio?: boolean;
  video?: boolean;
  /** Extra input-side ffmpeg args, e.g. to make variable frame rate. */
  name?: string;
  extraOutputArgs?: string[];
}

/** Generate (once) a short clip and return its path. */
export async function makeClip(opts: ClipOptions = {}): Promise<string> {
  const { seconds = 6, width = 320, height = 240, fps = 25, audio = true, video = true } = opts;
  const name = opts.name ?? `clip-${seconds}s-${width}x${height}-${fps}-${audio ? 'a' : ''}${video ? 'v' : ''}.mp4`;
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, name);
  if (existsSync(out)) return out;
  const args = ['-y', '-hide_banner', '-loglevel', 'error'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`);
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
  if (video) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', 'aac', '-b:a', '64k');
  args.push(...(opts.extraOutputArgs ?? []), `${out}.part.mp4`);
  await run(ffmpegPaths.ffmpeg, args);
  const { renameSync } = await import('node:fs');
  renameSync(`${out}.part.mp4`, out);
  return out;
}
