// The origin's metric set: core per-request metrics plus media bytes, packaging jobs and live channel states.
import { Counter, Gauge, Histogram } from 'prom-client';
import { createHttpMetrics, type HttpMetrics } from '../core/metrics.ts';

export type JobState = 'queued' | 'packaging' | 'ready' | 'failed';
export const JOB_STATES: readonly JobState[] = ['queued', 'packaging', 'ready', 'failed'];
export const LIVE_STATES = ['starting', 'running', 'restarting', 'stopped'] as const;

export interface OriginMetrics extends HttpMetrics {
  /** Body bytes actually read from disk and written to clients, by source (vod/live) and kind. */
  readonly mediaBytes: Counter<'source' | 'kind'>;
  /** Finished packaging jobs by result (ready/failed). */
  readonly jobsFinished: Counter<'result'>;
  readonly jobDuration: Histogram<'result'>;
  readonly uploads: Counter<'result'>;
  readonly uploadBytes: Counter;
  /** Media requests refused by origin access control (ORIGIN_SECRET), by reason. */
  readonly authRejected: Counter<'reason'>;
  /** Current jobs by state and live channels by state are read when scraped, from these sources. */
  observeJobs(source: () => Readonly<Record<JobState, number>>): void;
  observeLive(source: () => readonly { readonly state: string }[]): void;
}

export function createOriginMetrics(opts: { processMetrics?: boolean } = {}): OriginMetrics {
  const http = createHttpMetrics('origin', opts);
  const registers = [http.registry];
  let jobSource: (() => Readonly<Record<JobState, number>>) | undefined;
  let liveSource: (() => readonly { readonly state: string }[]) | undefined;

  new Gauge({
    name: 'hls_origin_packaging_jobs',
    help: 'Packaging jobs known to the origin, by state',
    labelNames: ['state'] as const,
    registers,
    collect() {
      if (!jobSource) return;
      const counts = jobSource();
      for (const state of JOB_STATES) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: 'hls_origin_live_channels',
    help: 'Configured live channels, by state',
    labelNames: ['state'] as const,
    registers,
    collect() {
      if (!liveSource) return;
      const channels = liveSource();
      for (const state of LIVE_STATES) this.set({ state }, channels.filter((c) => c.state === state).length);
    },
  });

  return {
    ...http,
    mediaBytes: new Counter({
      name: 'hls_origin_media_bytes_total',
      help: 'Media body bytes sent from disk, by source (vod, live) and kind (master, media, segment, init)',
      labelNames: ['source', 'kind'] as const,
      registers,
    }),
    jobsFinished: new Counter({
      name: 'hls_origin_packaging_jobs_total',
      help: 'Packaging jobs finished, by result (ready, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    jobDuration: new Histogram({
      name: 'hls_origin_packaging_duration_seconds',
      help: 'Wall-clock time of a packaging job, from start to ready or failed',
      labelNames: ['result'] as const,
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    uploads: new Counter({
      name: 'hls_origin_uploads_total',
      help: 'Upload requests by result (accepted, empty, too_large, bad_request, aborted, error)',
      labelNames: ['result'] as const,
      registers,
    }),
    uploadBytes: new Counter({
      name: 'hls_origin_upload_bytes_total',
      help: 'Bytes of accepted uploads written to disk',
      registers,
    }),
    authRejected: new Counter({
      name: 'hls_origin_auth_rejected_total',
      help: 'Media requests refused by origin access control, by reason (missing, malformed, bad-signature, stale, future)',
      labelNames: ['reason'] as const,
      registers,
    }),
    observeJobs(source) {
      jobSource = source;
    },
    observeLive(source) {
      liveSource = source;
    },
  };
}
