// Prometheus metrics made from QoE beacons, declared once per registry: hls_<role>_qoe_…, by path kind and cache arm.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Role } from '../metrics.ts';
import { xCacheLabel, type ApplyResult, type SessionRecord } from './session-store.ts';

type SessionLabels = 'kind' | 'arm';

export type BeaconResult = 'accepted' | 'duplicate' | 'late' | 'invalid' | 'too_large' | 'rate_limited';

export interface QoeMetrics {
  readonly beacons: Counter<'type' | 'result'>;
  readonly sessions: Counter<SessionLabels | 'started'>;
  readonly startup: Histogram<SessionLabels>;
  readonly firstSegmentTtfb: Histogram<SessionLabels>;
  readonly rebufferRatio: Histogram<SessionLabels>;
  readonly sessionStalls: Histogram<SessionLabels>;
  readonly stalls: Counter<SessionLabels>;
  readonly stallSeconds: Counter<SessionLabels>;
  readonly watchSeconds: Counter<SessionLabels>;
  readonly fatalErrors: Counter<SessionLabels>;
  readonly segments: Counter<'x_cache'>;
  readonly segmentTtfb: Histogram<'x_cache'>;
  /** Count what a beacon changed: startup, live counters, segments, and the sessions it finalized. */
  record(result: ApplyResult): void;
  /** Once per session, when it ends (final beacon, idle, or evicted). */
  recordFinal(session: SessionRecord): void;
}

const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30];

export function createQoeMetrics(registry: Registry, role: Role, storedSessions: () => number = () => 0): QoeMetrics {
  const p = `hls_${role}_qoe`;
  const r = [registry];
  const sessionLabels = ['kind', 'arm'] as const;
  const m = {
    beacons: new Counter({ name: `${p}_beacons_total`, help: 'QoE beacons received, by type (start, update, final; unknown when rejected) and result', labelNames: ['type', 'result'] as const, registers: r }),
    sessions: new Counter({ name: `${p}_sessions_total`, help: 'Playback sessions ended (final beacon, idle or evicted), by path kind, cache arm and whether playback started', labelNames: ['kind', 'arm', 'started'] as const, registers: r }),
    startup: new Histogram({ name: `${p}_startup_seconds`, help: 'Startup time: play request to `playing` with the playhead advancing', labelNames: sessionLabels, buckets: SECONDS_BUCKETS, registers: r }),
    firstSegmentTtfb: new Histogram({ name: `${p}_first_segment_ttfb_seconds`, help: 'Play request to the first byte of the first media segment', labelNames: sessionLabels, buckets: SECONDS_BUCKETS, registers: r }),
    rebufferRatio: new Histogram({ name: `${p}_rebuffer_ratio`, help: 'Per session: stall time / (stall time + watch time)', labelNames: sessionLabels, buckets: [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], registers: r }),
    sessionStalls: new Histogram({ name: `${p}_session_stall_count`, help: 'Per session: stalls after startup (seeks excluded)', labelNames: sessionLabels, buckets: [0, 1, 2, 3, 5, 10, 20, 50], registers: r }),
    stalls: new Counter({ name: `${p}_stalls_total`, help: 'Stalls after startup (seeks excluded), as reported', labelNames: sessionLabels, registers: r }),
    stallSeconds: new Counter({ name: `${p}_stall_seconds_total`, help: 'Time spent stalled after startup', labelNames: sessionLabels, registers: r }),
    watchSeconds: new Counter({ name: `${p}_watch_seconds_total`, help: 'Time spent playing with the playhead advancing', labelNames: sessionLabels, registers: r }),
    fatalErrors: new Counter({ name: `${p}_fatal_errors_total`, help: 'Fatal player errors (hls.js fatal events)', labelNames: sessionLabels, registers: r }),
    segments: new Counter({ name: `${p}_segments_total`, help: 'Segments downloaded by players, by the X-Cache they saw (none when absent)', labelNames: ['x_cache'] as const, registers: r }),
    segmentTtfb: new Histogram({ name: `${p}_segment_ttfb_seconds`, help: 'Segment time to first byte seen by players, by X-Cache', labelNames: ['x_cache'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers: r }),
  };
  new Gauge({ name: `${p}_sessions_stored`, help: 'Sessions kept for GET /qoe/sessions', registers: r, collect() { this.set(storedSessions()); } });

  const metrics: QoeMetrics = {
    ...m,
    record(result) {
      const labels = { kind: result.session.kind, arm: result.session.cacheArm };
      if (result.startupMs !== undefined) m.startup.observe(labels, result.startupMs / 1000);
      if (result.firstSegmentTtfbMs !== undefined) m.firstSegmentTtfb.observe(labels, result.firstSegmentTtfbMs / 1000);
      if (result.deltas.stalls > 0) m.stalls.inc(labels, result.deltas.stalls);
      if (result.deltas.stallMs > 0) m.stallSeconds.inc(labels, result.deltas.stallMs / 1000);
      if (result.deltas.watchMs > 0) m.watchSeconds.inc(labels, result.deltas.watchMs / 1000);
      if (result.deltas.fatalErrors > 0) m.fatalErrors.inc(labels, result.deltas.fatalErrors);
      for (const seg of result.newSegments) {
        const x = { x_cache: xCacheLabel(seg.xCache) };
        m.segments.inc(x);
        if (!seg.isInit) m.segmentTtfb.observe(x, seg.ttfbMs / 1000);
      }
      for (const s of result.finalized) metrics.recordFinal(s);
    },
    recordFinal(session) {
      const labels = { kind: session.kind, arm: session.cacheArm };
      const started = session.metrics.startupMs !== null;
      m.sessions.inc({ ...labels, started: String(started) });
      if (!started) return;
      m.sessionStalls.observe(labels, session.metrics.stallCount);
      if (session.rebufferRatio !== null) m.rebufferRatio.observe(labels, session.rebufferRatio);
    },
  };
  return metrics;
}
