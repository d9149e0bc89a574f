// Pure math of a comparison: per-arm distributions (median, p90), X-Cache breakdowns, time series and warm-vs-direct ratios.
import { xCacheLabel } from '../../server/core/qoe/session-store.ts';
import { ARM_NAMES, type ArmName } from './compare-options.ts';
import type { SessionResult } from './session-result.ts';

export interface Distribution {
  readonly n: number;
  readonly median: number | null;
  /** The median again, under the name the reports' readers look for. */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly mean: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

/** Origin requests counted on the origin's /metrics around one arm. */
export interface OriginCount {
  readonly before: number;
  readonly after: number;
}

export interface ArmSummary {
  readonly arm: ArmName;
  readonly sessions: number;
  /** Sessions whose playback started (a startup time was measured). */
  readonly started: number;
  /** Sessions that never started or whose page failed. */
  readonly failed: number;
  readonly fatalErrors: number;
  readonly startupMs: Distribution;
  /** Where a startup's time goes, per started session (see startupBreakdown). */
  readonly startupBreakdownMs: { readonly playlists: Distribution; readonly firstSegment: Distribution; readonly decode: Distribution };
  readonly firstSegmentTtfbMs: Distribution;
  /** Per session: stall time ÷ (stall time + watch time). */
  readonly rebufferRatio: Distribution;
  readonly stallCount: number;
  readonly stallMs: number;
  readonly watchMs: number;
  /** The arm's stall time ÷ (stall + watch time), all sessions pooled. */
  readonly pooledRebufferRatio: number | null;
  readonly avgBitrateKbps: Distribution;
  /** Media segments (init segments excluded). */
  readonly segmentTtfbMs: Distribution;
  /** Download time ÷ media duration per segment: above 1, the segment arrived slower than real time. */
  readonly segmentDownloadRatio: Distribution;
  /** Media segments by X-Cache label (`none` when the response had no X-Cache). */
  readonly xCache: Readonly<Record<string, number>>;
  readonly viewerRequests: number;
  readonly originRequests: number | null;
  readonly originPer1kViewerRequests: number | null;
}

/** Linear interpolation between closest ranks (R-7, the spreadsheet PERCENTILE); null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

export function distribution(values: readonly number[]): Distribution {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { n: 0, median: null, p50: null, p90: null, mean: null, min: null, max: null };
  const median = quantile(finite, 0.5);
  return {
    n: finite.length,
    median,
    p50: median,
    p90: quantile(finite, 0.9),
    mean: finite.reduce((s, v) => s + v, 0) / finite.length,
    min: Math.min(...finite),
    max: Math.max(...finite),
  };
}

function mediaSegments(s: SessionResult): SessionResult['segments'] {
  return s.segments.filter((seg) => !seg.isInit);
}

/** Origin requests per 1,000 viewer requests; null when either count is unknown or nobody asked for anything. */
export function originPer1k(originRequests: number | null, viewerRequests: number): number | null {
  if (originRequests === null || viewerRequests <= 0) return null;
  return (Math.max(0, originRequests) / viewerRequests) * 1000;
}

export interface StartupBreakdown {
  /** Play request → the first media segment's request: master and media playlists (and an init segment). */
  readonly playlistsMs: number;
  /** That segment's request → its last byte. */
  readonly firstSegmentMs: number;
  /** Its last byte → playing with the playhead moving: append, transmux, decode, first frame. */
  readonly decodeMs: number;
}

/**
 * A started session's startup split at the first media segment of the main track to finish downloading (by `atMs`,
 * the download's end since the play request). Undefined before playback or without a media segment.
 */
export function startupBreakdown(s: SessionResult): StartupBreakdown | undefined {
  const startup = s.metrics?.startupMs;
  if (startup === null || startup === undefined) return undefined;
  let first: SessionResult['segments'][number] | undefined;
  for (const seg of s.segments) if (!seg.isInit && seg.type === 'main' && (!first || seg.atMs < first.atMs)) first = seg;
  if (!first) return undefined;
  const requestedAt = Math.max(0, first.atMs - first.downloadMs);
  return { playlistsMs: requestedAt, firstSegmentMs: first.atMs - requestedAt, decodeMs: Math.max(0, startup - first.atMs) };
}

export function summarizeArm(arm: ArmName, sessions: readonly SessionResult[], origin: OriginCount | null): ArmSummary {
  const started = sessions.filter((s) => s.metrics?.startupMs !== null && s.metrics?.startupMs !== undefined);
  const values = (pick: (s: SessionResult) => number | null | undefined): number[] =>
    sessions.map(pick).filter((v): v is number => typeof v === 'number');
  const segments = sessions.flatMap(mediaSegments);
  const xCache: Record<string, number> = {};
  for (const seg of segments) {
    const label = xCacheLabel(seg.xCache);
    xCache[label] = (xCache[label] ?? 0) + 1;
  }
  const stallMs = sessions.reduce((sum, s) => sum + (s.metrics?.stallMs ?? 0), 0);
  const watchMs = sessions.reduce((sum, s) => sum + (s.metrics?.watchMs ?? 0), 0);
  const viewerRequests = sessions.reduce((sum, s) => sum + s.viewerRequests, 0);
  const originRequests = origin ? Math.max(0, origin.after - origin.before) : null;
  return {
    arm,
    sessions: sessions.length,
    started: started.length,
    failed: sessions.length - started.length,
    fatalErrors: sessions.reduce((sum, s) => sum + (s.metrics?.fatalErrors ?? 0), 0),
    startupMs: distribution(values((s) => s.metrics?.startupMs)),
    startupBreakdownMs: {
      playlists: distribution(values((s) => startupBreakdown(s)?.playlistsMs)),
      firstSegment: distribution(values((s) => startupBreakdown(s)?.firstSegmentMs)),
      decode: distribution(values((s) => startupBreakdown(s)?.decodeMs)),
    },
    firstSegmentTtfbMs: distribution(values((s) => s.metrics?.firstSegmentTtfbMs)),
    rebufferRatio: distribution(values((s) => rebufferRatio(s.metrics?.stallMs ?? 0, s.metrics?.watchMs ?? 0))),
    stallCount: sessions.reduce((sum, s) => sum + (s.metrics?.stallCount ?? 0), 0),
    stallMs,
    watchMs,
    pooledRebufferRatio: rebufferRatio(stallMs, watchMs),
    avgBitrateKbps: distribution(values((s) => s.metrics?.avgBitrateKbps)),
    segmentTtfbMs: distribution(segments.map((seg) => seg.ttfbMs)),
    segmentDownloadRatio: distribution(segments.filter((seg) => seg.durationS > 0).map((seg) => seg.downloadMs / (seg.durationS * 1000))),
    xCache,
    viewerRequests,
    originRequests,
    originPer1kViewerRequests: originPer1k(originRequests, viewerRequests),
  };
}

/** stall ÷ (stall + watch), as the player README defines it; null before any watch or stall time. */
export function rebufferRatio(stallMs: number, watchMs: number): number | null {
  const total = stallMs + watchMs;
  return total > 0 ? stallMs / total : null;
}

/** a ÷ b, or null when either is unknown or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

export interface ArmComparison {
  /** e.g. edge-warm vs direct. */
  readonly arm: ArmName;
  readonly baseline: ArmName;
  /** arm ÷ baseline: below 1 means the arm is faster. */
  readonly startupMedianRatio: number | null;
  readonly startupP90Ratio: number | null;
  readonly segmentTtfbMedianRatio: number | null;
  readonly segmentTtfbP90Ratio: number | null;
  readonly segmentDownloadRatioMedianRatio: number | null;
  /** Percentage points: arm − baseline, of the pooled rebuffering ratios. */
  readonly rebufferRatioDeltaPoints: number | null;
  readonly startupMedianSavedMs: number | null;
  readonly originPer1kRatio: number | null;
}

export function compareArms(arm: ArmSummary, baseline: ArmSummary): ArmComparison {
  const a = arm;
  const b = baseline;
  return {
    arm: a.arm,
    baseline: b.arm,
    startupMedianRatio: ratio(a.startupMs.median, b.startupMs.median),
    startupP90Ratio: ratio(a.startupMs.p90, b.startupMs.p90),
    segmentTtfbMedianRatio: ratio(a.segmentTtfbMs.median, b.segmentTtfbMs.median),
    segmentTtfbP90Ratio: ratio(a.segmentTtfbMs.p90, b.segmentTtfbMs.p90),
    segmentDownloadRatioMedianRatio: ratio(a.segmentDownloadRatio.median, b.segmentDownloadRatio.median),
    rebufferRatioDeltaPoints: a.pooledRebufferRatio === null || b.pooledRebufferRatio === null ? null : (a.pooledRebufferRatio - b.pooledRebufferRatio) * 100,
    startupMedianSavedMs: a.startupMs.median === null || b.startupMs.median === null ? null : b.startupMs.median - a.startupMs.median,
    originPer1kRatio: ratio(a.originPer1kViewerRequests, b.originPer1kViewerRequests),
  };
}

export interface TimeSeries {
  readonly binSeconds: number;
  /** Start of each bin, seconds since the play request. */
  readonly labels: readonly number[];
  /** Per arm, the median of the bin's values (null where the bin is empty). */
  readonly series: Readonly<Partial<Record<ArmName, readonly (number | null)[]>>>;
}

/** Bin width giving at most ~60 points over a session. */
export function binSecondsFor(sessionSeconds: number): number {
  return Math.max(1, Math.ceil(sessionSeconds / 60));
}

/** Segment download time ÷ segment duration over the session (by when each download finished), median per bin per arm. */
export function downloadRatioOverTime(sessions: readonly SessionResult[], sessionSeconds: number): TimeSeries {
  const binSeconds = binSecondsFor(sessionSeconds);
  const bins = Math.max(1, Math.ceil(sessionSeconds / binSeconds));
  const byArm = new Map<ArmName, number[][]>();
  for (const s of sessions) {
    let arm = byArm.get(s.arm);
    if (!arm) {
      arm = Array.from({ length: bins }, () => []);
      byArm.set(s.arm, arm);
    }
    for (const seg of mediaSegments(s)) {
      if (seg.durationS <= 0) continue;
      const bin = Math.min(bins - 1, Math.floor(seg.atMs / 1000 / binSeconds));
      arm[bin]?.push(seg.downloadMs / (seg.durationS * 1000));
    }
  }
  const series: Partial<Record<ArmName, (number | null)[]>> = {};
  for (const [arm, values] of byArm) series[arm] = values.map((v) => quantile(v, 0.5));
  return { binSeconds, labels: Array.from({ length: bins }, (_, i) => i * binSeconds), series };
}

export interface XCacheTtfb {
  readonly arm: ArmName;
  readonly xCache: string;
  readonly ttfbMs: Distribution;
}

/** Media segment TTFB grouped by arm and X-Cache label, in a stable order (HIT before MISS before the rest). */
export function ttfbByXCache(sessions: readonly SessionResult[]): XCacheTtfb[] {
  const groups = new Map<string, { arm: ArmName; xCache: string; values: number[] }>();
  for (const s of sessions) {
    for (const seg of mediaSegments(s)) {
      const label = xCacheLabel(seg.xCache);
      const key = `${s.arm}\u0000${label}`;
      let g = groups.get(key);
      if (!g) {
        g = { arm: s.arm, xCache: label, values: [] };
        groups.set(key, g);
      }
      g.values.push(seg.ttfbMs);
    }
  }
  const order = ['HIT', 'STALE', 'REVALIDATED', 'MISS', 'BYPASS', 'ERROR', 'other', 'none'];
  return [...groups.values()]
    .sort((a, b) => ARM_NAMES.indexOf(a.arm) - ARM_NAMES.indexOf(b.arm) || order.indexOf(a.xCache) - order.indexOf(b.xCache))
    .map((g) => ({ arm: g.arm, xCache: g.xCache, ttfbMs: distribution(g.values) }));
}
