// The flags of `edgeline loadtest` (each with an environment variable) and the validated options they produce.
import { fields, type ValuesOf } from '../../server/core/config.ts';

export const RENDITION_CHOICES = ['auto', 'lowest', 'highest', 'random'] as const;
export type RenditionChoice = (typeof RENDITION_CHOICES)[number];

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
  allowRemote: fields.bool('allow-remote', false, { env: 'LOADTEST_ALLOW_REMOTE', help: 'allow targets outside 127.0.0.0/8 and ::1' }),
  progress: fields.bool('progress', true, { env: 'LOADTEST_PROGRESS', help: 'live progress on stderr (a redrawn line in a terminal, plain lines otherwise)' }),
};

export type LoadTestOptions = ValuesOf<typeof loadTestSpec>;
