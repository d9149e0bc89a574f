// Where ffmpeg and ffprobe live: FFMPEG_PATH / FFPROBE_PATH, else the binaries shipped in the @ffmpeg-installer npm packages.
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface FfmpegPaths {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** Environment for ffmpeg/ffprobe children (see ffmpegChildEnv); undefined means inherit the parent's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * npm 11 skips the installer packages' `chmod u+x` postinstall, so make the shipped binary executable here
 * rather than ask every user to approve install scripts.
 */
function ensureExecutable(path: string): string {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    const mode = statSync(path).mode;
    chmodSync(path, mode | 0o755);
  }
  return path;
}

function shipped(pkg: string): string {
  const mod = require(pkg) as { path: string };
  return ensureExecutable(mod.path);
}

export function resolveFfmpegPaths(env: Record<string, string | undefined>): FfmpegPaths {
  const isShipped = !env['FFMPEG_PATH'] || !env['FFPROBE_PATH'];
  return {
    ffmpeg: env['FFMPEG_PATH'] || shipped('@ffmpeg-installer/ffmpeg'),
    ffprobe: env['FFPROBE_PATH'] || shipped('@ffprobe-installer/ffprobe'),
    env: isShipped ? ffmpegChildEnv(env) : undefined,
  };
}

/**
 * The shipped static builds link glibc statically; their MPEG-TS demuxer calls iconv, which then dlopen()s the host's
 * gconv modules and segfaults (ffprobe on any .ts file dies with SIGSEGV). Pointing GCONV_PATH at a folder without
 * modules makes iconv_open fail cleanly instead; only DVB service-name decoding is lost.
 */
export function ffmpegChildEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...env, GCONV_PATH: env['GCONV_PATH'] ?? '/nonexistent-gconv' };
}
