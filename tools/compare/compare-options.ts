// Settings of `edgeline compare`: flags and environment variables, checked together, plus what is derived from them.
import { resolve } from 'node:path';
import { fields, type ValuesOf } from '../../server/core/config.ts';
import { ConfigError } from '../../server/core/errors.ts';

export const compareFields = {
  sessions: fields.int('sessions', 5, { env: 'COMPARE_SESSIONS', min: 1, max: 500, help: 'playback sessions per arm' }),
  seconds: fields.number('seconds', 30, { env: 'COMPARE_SECONDS', min: 2, max: 3600, help: 'length of each session, from page load, in seconds' }),
  // Same variables as the origin's WAN flags: they describe the same emulated distance.
  wanRttMs: fields.number('wan-rtt-ms', 150, { env: 'WAN_RTT_MS', min: 0, max: 10_000, help: 'emulated round trip between viewers/edge and the origin, ms (own stack only)' }),
  wanBandwidthMbps: fields.number('wan-bandwidth-mbps', 20, { env: 'WAN_BANDWIDTH_MBPS', min: 0, max: 100_000, help: 'emulated origin bandwidth per connection, Mbit/s; 0 = unlimited (own stack only)' }),
  wanJitterMs: fields.number('wan-jitter-ms', 0, { env: 'WAN_JITTER_MS', min: 0, max: 10_000, help: 'random extra delay per origin response, up to this many ms (own stack only)' }),
  lastMileRttMs: fields.number('last-mile-rtt-ms', 0, { env: 'COMPARE_LAST_MILE_RTT_MS', min: 0, max: 10_000, help: 'emulated round trip between the viewers and the edge, ms; 0 = none (own stack only)' }),
  lastMileBandwidthMbps: fields.number('last-mile-bandwidth-mbps', 0, { env: 'COMPARE_LAST_MILE_BANDWIDTH_MBPS', min: 0, max: 100_000, help: 'emulated viewer bandwidth per connection to the edge, Mbit/s; 0 = unlimited (own stack only)' }),
  floor: fields.bool('floor', true, { env: 'COMPARE_FLOOR', help: 'play a floor arm first: the same files from a plain static server on this machine (no CDN, no WAN)' }),
  concurrent: fields.int('concurrent', 4, { env: 'COMPARE_CONCURRENT', min: 1, max: 32, help: 'sessions playing at once (one browser context each)' }),
  out: fields.string('out', '', { env: 'COMPARE_OUT', help: 'report folder (default: reports/compare-<time>)' }),
  origin: fields.optionalUrl('origin', { help: 'target a running origin (with --edge) instead of starting one' }),
  edge: fields.optionalUrl('edge', { help: 'target a running edge (with --origin) instead of starting one' }),
  src: fields.string('src', '/vod/sample/master.m3u8', { env: 'COMPARE_SRC', help: 'master playlist path, played from the origin and from the edge' }),
  media: fields.string('media', './media', { env: 'MEDIA_DIR', help: 'media folder of the origin it starts (the sample is packaged there if missing)' }),
  redis: fields.string('redis', 'redis://127.0.0.1:6379', { env: 'REDIS_URL', help: 'Redis for the edge it starts (a private key prefix, removed afterwards); "none" = memory tier only' }),
  edgeWorkers: fields.int('edge-workers', 1, { env: 'COMPARE_EDGE_WORKERS', min: 1, max: 64, help: 'worker processes of the edge it starts' }),
  adminToken: fields.optionalString('admin-token', { env: 'EDGE_ADMIN_TOKEN', help: 'the edge\'s admin token, to purge the asset before the cold arm (--edge only)' }),
  warmUp: fields.bool('warm-up', true, { env: 'COMPARE_WARM_UP', help: 'before the warm arm, fetch every rendition\'s playlist and segments through the edge' }),
  chromium: fields.string('chromium', '/usr/bin/chromium', { env: 'CHROMIUM_PATH', help: 'Chromium executable (driven by playwright-core; nothing is downloaded)' }),
  startTimeoutMs: fields.durationMs('start-timeout', 90_000, { env: 'COMPARE_START_TIMEOUT', help: 'longest wait for the origin and edge it starts to answer /healthz' }),
};

export type CompareConfig = ValuesOf<typeof compareFields>;

export const ARM_NAMES = ['floor', 'direct', 'edge-cold', 'edge-cold-no-prefetch', 'edge-warm'] as const;
export type ArmName = (typeof ARM_NAMES)[number];

export interface CompareSettings {
  readonly sessions: number;
  readonly seconds: number;
  readonly concurrent: number;
  readonly wan: { readonly rttMs: number; readonly bandwidthMbps: number; readonly jitterMs: number };
  readonly outDir: string;
  /** Path (and query) of the master playlist, identical for every arm. */
  readonly srcPath: string;
  readonly target: { readonly kind: 'own'; readonly mediaDir: string; readonly redisUrl: string | undefined; readonly edgeWorkers: number } | { readonly kind: 'running'; readonly originUrl: string; readonly edgeUrl: string };
  readonly adminToken: string | undefined;
  readonly warmUp: boolean;
  /** Where the floor arm's static server finds the packaged files ({folder}/hls/…); undefined: no floor arm. */
  readonly floorMediaDir: string | undefined;
  /** Between the viewers and the edge (own stack only); zeros: none. */
  readonly lastMile: { readonly rttMs: number; readonly bandwidthMbps: number };
  readonly chromiumPath: string;
  readonly startTimeoutMs: number;
}

/** `compare-20250102-130405` in local time: sorts by date and needs no quoting in a shell. */
export function defaultOutName(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `compare-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/**
 * The playlist path every arm plays. Only a path makes sense: the direct arm asks the origin and the edge arms ask
 * the edge for the same path, so an absolute URL is reduced to its path and query.
 */
export function playlistPath(src: string): string {
  const trimmed = src.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    const u = new URL(trimmed);
    return `${u.pathname}${u.search}`;
  }
  if (!trimmed.startsWith('/') || trimmed.startsWith('//')) throw new Error(`expected a playlist path such as /vod/sample/master.m3u8, got "${src}"`);
  return trimmed;
}

/** Cross-field checks and derived values; every problem reported together. */
export function resolveCompareSettings(c: CompareConfig, now: Date, cwd: string): CompareSettings {
  const problems: string[] = [];
  let srcPath = '';
  try {
    srcPath = playlistPath(c.src);
  } catch (err) {
    problems.push(`COMPARE_SRC (--src): ${(err as Error).message}`);
  }
  if ((c.origin === undefined) !== (c.edge === undefined)) problems.push('--origin and --edge: give both (target running servers) or neither (start them)');
  if (problems.length > 0) throw new ConfigError(problems);
  const redis = c.redis.trim();
  return {
    sessions: c.sessions,
    seconds: c.seconds,
    // More slots than sessions is not an error: the sessions just run in one wave.
    concurrent: Math.min(c.concurrent, c.sessions),
    wan: { rttMs: c.wanRttMs, bandwidthMbps: c.wanBandwidthMbps, jitterMs: c.wanJitterMs },
    outDir: resolve(cwd, c.out || `reports/${defaultOutName(now)}`),
    srcPath,
    target:
      c.origin !== undefined && c.edge !== undefined
        ? { kind: 'running', originUrl: c.origin, edgeUrl: c.edge }
        : { kind: 'own', mediaDir: resolve(cwd, c.media), redisUrl: redis === '' || redis === 'none' ? undefined : redis, edgeWorkers: c.edgeWorkers },
    adminToken: c.adminToken,
    warmUp: c.warmUp,
    floorMediaDir: c.floor ? resolve(cwd, c.media) : undefined,
    lastMile: { rttMs: c.lastMileRttMs, bandwidthMbps: c.lastMileBandwidthMbps },
    chromiumPath: c.chromium,
    startTimeoutMs: c.startTimeoutMs,
  };
}
