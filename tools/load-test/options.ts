// The flags of `edgeline loadtest` (each with an environment variable) and the validated options they produce.
import { fields, type ValuesOf } from '../../server/core/config.ts';
import { MAX_PREFETCH_SEGMENTS } from '../../server/edge/behaviors.ts';
import { edgeFields } from '../../server/edge/edge-config.ts';

export const RENDITION_CHOICES = ['auto', 'lowest', 'highest', 'random'] as const;
export type RenditionChoice = (typeof RENDITION_CHOICES)[number];

/** Arms of a comparison (`--arms`): each runs the viewers against its own cold edge, with or without prefetch. */
export const ARM_CHOICES = ['prefetch', 'no-prefetch'] as const;
export type ArmChoice = (typeof ARM_CHOICES)[number];

function armName(s: string): string {
  if (!(ARM_CHOICES as readonly string[]).includes(s)) throw new Error(`expected arms from ${ARM_CHOICES.join(', ')}, got "${s}"`);
  return s;
}

export const loadTestSpec = {
  target: fields.url('target', 'http://127.0.0.1:8081/vod/sample/master.m3u8', {
    env: 'LOADTEST_TARGET',
    help: 'master playlist (or media playlist, or any URL in --mode max) to load',
  }),
  viewers: fields.int('viewers', 10, { env: 'LOADTEST_VIEWERS', min: 1, max: 100_000, help: 'simulated viewers' }),
  ramp: fields.durationMs('ramp', 10_000, { env: 'LOADTEST_RAMP', help: 'time over which viewers join, evenly spread (ms, or 10s, 2m)' }),
  duration: fields.durationMs('duration', 60_000, { env: 'LOADTEST_DURATION', help: 'hard stop after this long, plus --grace (ms, or 60s, 5m)' }),
  grace: fields.durationMs('grace', 2_000, { env: 'LOADTEST_GRACE', help: 'time in-flight requests get after the stop before they are aborted' }),
  rendition: fields.oneOf<RenditionChoice>('rendition', 'auto', RENDITION_CHOICES, {
    env: 'LOADTEST_RENDITION',
    help: 'auto = ABR from measured throughput; lowest, highest, random = fixed per viewer',
  }),
  out: fields.optionalString('out', { env: 'LOADTEST_OUT', help: 'report folder (default reports/loadtest-<timestamp>)' }),
  origin: fields.optionalUrl('origin', { env: 'LOADTEST_ORIGIN', help: "origin base URL: its /metrics before and after give the origin offload" }),
  mode: fields.oneOf('mode', 'viewers', ['viewers', 'max'] as const, {
    env: 'LOADTEST_MODE',
    help: 'viewers = simulated players; max = fixed connections, requests back to back, for peak throughput',
  }),
  connections: fields.int('connections', 32, { env: 'LOADTEST_CONNECTIONS', min: 1, max: 10_000, help: 'keep-alive connections in --mode max' }),
  urls: fields.oneOf('urls', 'stream', ['stream', 'target'] as const, {
    env: 'LOADTEST_URLS',
    help: '--mode max: stream = the segments of one rendition of a playlist target; target = the target URL alone',
  }),
  workers: fields.int('workers', 1, { env: 'LOADTEST_WORKERS', min: 1, max: 16, help: '--mode max: threads sharing the connections (1 = this thread, more = worker threads)' }),
  startupBuffer: fields.durationMs('startup-buffer', 4_000, { env: 'LOADTEST_STARTUP_BUFFER', help: 'buffered media a viewer needs before playback starts (and resumes after a stall)' }),
  maxBuffer: fields.durationMs('max-buffer', 30_000, { env: 'LOADTEST_MAX_BUFFER', help: 'buffered media ahead of the playhead at which a viewer waits' }),
  timeout: fields.durationMs('timeout', 10_000, { env: 'LOADTEST_TIMEOUT', help: 'per request: time to headers, and between body chunks' }),
  arms: fields.list('arms', [], {
    env: 'LOADTEST_ARMS',
    item: armName,
    help: 'compare arms, in this order (e.g. prefetch,no-prefetch): the tool starts an origin behind a WAN proxy and, per arm, its own cold edge (fresh Redis prefix) with prefetch on or off; --target gives only the path',
  }),
  media: fields.string('media', './media', { env: 'MEDIA_DIR', help: '--arms: media folder of the origin it starts (the sample is packaged there if missing)' }),
  redis: fields.string('redis', 'redis://127.0.0.1:6379', { env: 'REDIS_URL', help: '--arms: Redis for the edges it starts (a private key prefix per arm, removed afterwards); "none" = memory tier only' }),
  // Same variables as compare's and the origin's WAN flags: they describe the same emulated distance.
  wanRttMs: fields.number('wan-rtt-ms', 150, { env: 'WAN_RTT_MS', min: 0, max: 10_000, help: '--arms: emulated round trip between the edge and the origin, ms' }),
  wanBandwidthMbps: fields.number('wan-bandwidth-mbps', 20, { env: 'WAN_BANDWIDTH_MBPS', min: 0, max: 100_000, help: '--arms: emulated origin bandwidth per connection, Mbit/s; 0 = unlimited' }),
  wanJitterMs: fields.number('wan-jitter-ms', 0, { env: 'WAN_JITTER_MS', min: 0, max: 10_000, help: '--arms: random extra delay per origin response, up to this many ms' }),
  edgeMemoryMb: fields.int('edge-memory-mb', edgeFields.memoryMb.default, { env: 'LOADTEST_EDGE_MEMORY_MB', min: 0, help: '--arms: memory tier of the edges it starts, MiB; 0 = Redis tier only' }),
  prefetchSegments: fields.int('prefetch-segments', edgeFields.prefetchSegments.default, { env: 'LOADTEST_PREFETCH_SEGMENTS', min: 1, max: MAX_PREFETCH_SEGMENTS, help: '--arms: segments the prefetch arm\'s edge fetches ahead (the no-prefetch arm: 0)' }),
  startTimeout: fields.durationMs('start-timeout', 90_000, { env: 'LOADTEST_START_TIMEOUT', help: '--arms: longest wait for the origin, WAN proxy and edges it starts to answer /healthz' }),
  allowRemote: fields.bool('allow-remote', false, { env: 'LOADTEST_ALLOW_REMOTE', help: 'allow targets outside 127.0.0.0/8 and ::1' }),
  progress: fields.bool('progress', true, { env: 'LOADTEST_PROGRESS', help: 'live progress on stderr (a redrawn line in a terminal, plain lines otherwise)' }),
};

export type LoadTestOptions = ValuesOf<typeof loadTestSpec>;
