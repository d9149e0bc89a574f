// Which ffmpeg and ffprobe run: FFMPEG_PATH / FFPROBE_PATH when set, else a recent one on PATH, else the npm-shipped
// 2018 static build (a fallback for `npm ci && npm start` on a bare machine, never trusted with uploads).
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Where the binaries came from: a setting, PATH, or the @ffmpeg-installer npm packages. */
export type FfmpegSource = 'setting' | 'path' | 'npm';

export interface FfmpegPaths {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** Environment for ffmpeg/ffprobe children (see ffmpegChildEnv); undefined means inherit the parent's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly source?: FfmpegSource;
  /** The first line of `ffmpeg -version` ("ffmpeg version 5.1.6-0+deb12u1 …"), when it could be read. */
  readonly version?: string;
  /**
   * Recent enough to parse files from strangers: FFmpeg 5 or later and not the npm-shipped build (2018, with years of
   * decoder CVEs). Undefined (paths built by hand, e.g. in tests) counts as not maintained.
   */
  readonly isMaintained?: boolean;
}

/** FFmpeg 5.0 came out in January 2022; git snapshots ("N-…") are dated by their copyright line instead. */
const MIN_MAJOR = 5;
const MIN_SNAPSHOT_YEAR = 2022;

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

function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether `ffmpeg -version`'s first lines name FFmpeg ≥ 5 (or a snapshot from 2022 on). Pure, for unit tests. */
export function isRecentVersion(versionText: string): boolean {
  const release = /version n?(\d+)\.\d+/.exec(versionText);
  if (release) return Number(release[1]) >= MIN_MAJOR;
  const year = /Copyright \(c\) \d{4}-(\d{4})/.exec(versionText);
  return year ? Number(year[1]) >= MIN_SNAPSHOT_YEAR : false;
}

/** The first line of `binary -version` (version and copyright), or undefined when it does not run. */
export function readVersion(binary: string, env?: Readonly<Record<string, string | undefined>>): string | undefined {
  try {
    const out = execFileSync(binary, ['-version'], { timeout: 10_000, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

function describe(ffmpeg: string, ffprobe: string, source: FfmpegSource, env: Readonly<Record<string, string | undefined>> | undefined): FfmpegPaths {
  const version = readVersion(ffmpeg, env);
  const isMaintained = source !== 'npm' && version !== undefined && isRecentVersion(version);
  return { ffmpeg, ffprobe, env, source, ...(version ? { version } : {}), isMaintained };
}

/** The executable search path: the operating system's, not a setting of ours (settings come through core/config). */
function systemSearchPath(): string | undefined {
  // eslint-disable-next-line no-restricted-properties -- PATH is where the OS finds programs, not an Edgeline setting
  return process.env['PATH'];
}

/**
 * FFMPEG_PATH and FFPROBE_PATH when both are set (a setting wins, as flags do); else ffmpeg and ffprobe from PATH when
 * both are there and FFmpeg ≥ 5; else the npm-shipped binaries. Runs `ffmpeg -version` once to tell.
 */
export function resolveFfmpegPaths(env: Record<string, string | undefined>): FfmpegPaths {
  const setFfmpeg = env['FFMPEG_PATH'];
  const setFfprobe = env['FFPROBE_PATH'];
  if (setFfmpeg && setFfprobe) return describe(setFfmpeg, setFfprobe, 'setting', undefined);
  if (!setFfmpeg && !setFfprobe) {
    const searchPath = env['PATH'] ?? systemSearchPath();
    const ffmpeg = onPath('ffmpeg', searchPath);
    const ffprobe = onPath('ffprobe', searchPath);
    if (ffmpeg && ffprobe) {
      const found = describe(ffmpeg, ffprobe, 'path', undefined);
      if (found.isMaintained) return found;
    }
  }
  // One of the two set: the other comes from npm, and so does the child environment the static build needs. Uploads
  // need both maintained: the npm ffprobe would parse them first.
  const ffmpeg = setFfmpeg || shipped('@ffmpeg-installer/ffmpeg');
  const ffprobe = setFfprobe || shipped('@ffprobe-installer/ffprobe');
  const found = describe(ffmpeg, ffprobe, setFfmpeg ? 'setting' : 'npm', ffmpegChildEnv(env));
  return setFfmpeg && !setFfprobe ? { ...found, isMaintained: false } : found;
}

/** For /healthz and the startup log: which ffmpeg runs, its version, and whether uploads may use it. */
export function ffmpegSummary(paths: FfmpegPaths): { path: string; ffprobe: string; source: FfmpegSource | 'given'; version: string; acceptsUploads: boolean } {
  return { path: paths.ffmpeg, ffprobe: paths.ffprobe, source: paths.source ?? 'given', version: paths.version ?? 'unknown', acceptsUploads: paths.isMaintained === true };
}

/** Why uploads are refused with this ffmpeg, or undefined when they are not. */
export function untrustedInputProblem(paths: FfmpegPaths): string | undefined {
  if (paths.isMaintained) return undefined;
  const which = paths.source === 'npm' ? 'only the 2018 static ffmpeg from @ffmpeg-installer' : `ffmpeg ${paths.ffmpeg} (${paths.version ?? 'version unknown'})`;
  return `uploads are refused: ${which} is available, too old to parse files from strangers; install FFmpeg ${MIN_MAJOR} or later (apt-get install ffmpeg) or point FFMPEG_PATH and FFPROBE_PATH at one. \`edgeline package\` of your own files still works with it.`;
}

/**
 * The shipped static builds link glibc statically; their MPEG-TS demuxer calls iconv, which then dlopen()s the host's
 * gconv modules and segfaults (ffprobe on any .ts file dies with SIGSEGV). Pointing GCONV_PATH at a folder without
 * modules makes iconv_open fail cleanly instead; only DVB service-name decoding is lost.
 */
export function ffmpegChildEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...env, GCONV_PATH: env['GCONV_PATH'] ?? '/nonexistent-gconv' };
}
