// The origin's settings: the Fields spec for loadConfig (flags win over the environment) and a helper for tests.
import { defaultsOf, fields, type Field, type ValuesOf } from '../core/config.ts';
import { originSecretProblem } from '../core/origin-auth.ts';
import type { LiveChannelSpec } from './live/types.ts';
import { DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS } from './packaging/ffmpeg-args.ts';

/** Live channel names appear in URLs (/live/{name}/…) and as a metric label: short, lowercase, URL-safe. */
export const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `NAME=SOURCE` (SOURCE a file or "sample"); a bare `NAME` means the generated sample. Exported for unit tests. */
export function parseLiveSpecs(items: readonly string[]): LiveChannelSpec[] {
  const out: LiveChannelSpec[] = [];
  for (const item of items) {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim();
    const source = (eq < 0 ? 'sample' : item.slice(eq + 1)).trim();
    if (!CHANNEL_NAME.test(name)) throw new Error(`channel name "${name}" must match ${CHANNEL_NAME.source}`);
    if (source === '') throw new Error(`channel "${name}" needs a source: NAME=FILE or NAME=sample`);
    if (out.some((c) => c.name === name)) throw new Error(`channel "${name}" is given twice`);
    out.push({ name, source });
  }
  return out;
}

function liveField(): Field<readonly LiveChannelSpec[]> {
  const list = fields.list('live', [], {
    env: 'LIVE_CHANNELS',
    help: 'a live channel NAME=SOURCE (a video file looped, or "sample"); repeatable, comma-separated in the env',
  });
  return { ...list, default: [], parse: (raw) => parseLiveSpecs(list.parse(raw)) };
}

function cacheControlField(flag: string, env: string, def: string, help: string): Field<string> {
  const base = fields.string(flag, def, { env, help });
  return {
    ...base,
    parse: (raw) => {
      const v = base.parse(raw).trim();
      // Header values must not smuggle a line break or control characters into the response (RFC 9110 §5.5).
      const hasControl = [...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
      if (v === '' || hasControl) throw new Error(`expected a Cache-Control value such as "public, max-age=60", got "${v}"`);
      return v;
    },
  };
}

/** ORIGIN_SECRET: when set, /vod and /live answer only requests signed by an edge (comma-separated for rotation). */
function originSecretField(): Field<readonly string[]> {
  const list = fields.list('origin-secret', [], { env: 'ORIGIN_SECRET', help: 'shared secret(s) edges sign origin requests with; set = origin access control on' });
  return {
    ...list,
    parse: (raw) => {
      const secrets = list.parse(raw);
      const problem = secrets.length > 0 ? originSecretProblem(secrets) : undefined;
      if (problem) throw new Error(problem);
      return secrets;
    },
  };
}

const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;

export const originFields = {
  port: fields.int('port', 8080, { env: 'PORT', min: 0, max: 65535, help: 'TCP port to listen on' }),
  host: fields.string('host', '127.0.0.1', { env: 'HOST', help: 'address to bind (0.0.0.0 in containers)' }),
  mediaDir: fields.string('media', './media', { env: 'MEDIA_DIR', help: 'media folder: hls/, live/, uploads/, jobs/' }),
  live: liveField(),
  liveWindow: fields.int('live-window', 6, { env: 'LIVE_WINDOW', min: 2, max: 100, help: 'segments in a live playlist' }),
  liveFormat: fields.oneOf('live-format', DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS, { env: 'LIVE_FORMAT', help: 'segment format of live channels: cmaf (fMP4) or ts (MPEG-TS)' }),
  liveSegmentSeconds: fields.int('live-segment-seconds', 2, { env: 'LIVE_SEGMENT_SECONDS', min: 1, max: 10, help: 'live segment length' }),
  uploadMaxMb: fields.number('upload-max-mb', 2048, { env: 'UPLOAD_MAX_MB', min: 0.001, help: 'largest accepted upload, in MiB' }),
  jobConcurrency: fields.int('job-concurrency', 1, { env: 'JOB_CONCURRENCY', min: 1, max: 16, help: 'packaging jobs run at once' }),
  packageLadder: fields.list('package-ladder', [], { env: 'PACKAGE_LADDER', help: 'renditions for uploads, e.g. 720p,360p (empty: the packager default)' }),
  packageSegmentSeconds: fields.int('package-segment-seconds', 4, { env: 'PACKAGE_SEGMENT_SECONDS', min: 1, max: 30, help: 'segment length of uploaded assets' }),
  packageFormat: fields.oneOf('package-format', DEFAULT_SEGMENT_FORMAT, SEGMENT_FORMATS, { env: 'PACKAGE_FORMAT', help: 'segment format of uploads: cmaf (fMP4) or ts (MPEG-TS)' }),
  packagePreset: fields.oneOf('package-preset', 'veryfast', PRESETS, { env: 'PACKAGE_PRESET', help: 'x264 preset for uploads' }),
  vodPlaylistCacheControl: cacheControlField('cache-vod-playlist', 'CACHE_CONTROL_VOD_PLAYLIST', 'public, max-age=30, stale-while-revalidate=30', 'Cache-Control of VOD playlists'),
  segmentCacheControl: cacheControlField('cache-segment', 'CACHE_CONTROL_SEGMENT', 'public, max-age=1209600, immutable', 'Cache-Control of segments and init segments (VOD and live)'),
  notFoundCacheControl: cacheControlField('cache-not-found', 'CACHE_CONTROL_NOT_FOUND', 'public, max-age=10', 'Cache-Control of media 404s (live: max-age = target duration)'),
  compressPlaylists: fields.bool('compress-playlists', true, { env: 'COMPRESS_PLAYLISTS', help: 'gzip/br playlists for clients that accept it' }),
  ffmpegPath: fields.optionalString('ffmpeg-path', { env: 'FFMPEG_PATH', help: 'ffmpeg binary (default: the one from @ffmpeg-installer)' }),
  ffprobePath: fields.optionalString('ffprobe-path', { env: 'FFPROBE_PATH', help: 'ffprobe binary (default: the one from @ffprobe-installer)' }),
  originSecret: originSecretField(),
  apiToken: fields.optionalString('api-token', { env: 'ORIGIN_API_TOKEN', help: 'the origin\'s API token (bearer): the upload API (/api/assets) and QoE sessions (GET /qoe/sessions); unset: 403 to everyone' }),
  maxQueuedJobs: fields.int('max-queued-jobs', 8, { env: 'MAX_QUEUED_JOBS', min: 1, max: 10_000, help: 'uploads waiting to be packaged; more get 429 with Retry-After' }),
  jobTimeLimitMs: fields.durationMs('job-time-limit', 10 * 60_000, { env: 'JOB_TIME_LIMIT', help: 'longest a packaging job may run (e.g. 10m); then ffmpeg is killed and the job fails' }),
  maxRenditions: fields.int('max-renditions', 4, { env: 'MAX_RENDITIONS', min: 1, max: 10, help: 'renditions an upload is packaged into at most (the highest of its ladder)' }),
};

export type OriginConfig = ValuesOf<typeof originFields>;

/** Defaults plus overrides, without reading the environment: what tests and `edgeline up` build on. */
export function originConfig(overrides: Partial<{ -readonly [K in keyof OriginConfig]: OriginConfig[K] }> = {}): OriginConfig {
  return defaultsOf(originFields, overrides);
}
