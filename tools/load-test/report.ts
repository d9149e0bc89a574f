// The load-test report: one JSON shape for both modes, built from LoadStats, viewer snapshots and the timeline.
import { ERROR_KINDS, HIT_VALUES, hitRatios, newHistogram, summarize, type ErrorKind, type IntervalSample, type LatencySummary, type LoadStats, type Tally } from './load-stats.ts';
import type { LoadTestOptions } from './options.ts';
import type { ToolLoad } from './run-window.ts';
import type { ViewerSnapshot } from './viewer.ts';

export interface TimelinePoint {
  /** End of the interval, seconds since the start. */
  readonly tS: number;
  readonly requestsPerS: number;
  readonly gbitPerS: number;
  readonly errors: number;
  readonly hitRatio: number | null;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly activeViewers: number;
  readonly stalledViewers: number;
  /** Stalls that began in this interval. */
  readonly stalls: number;
  /** Share of the interval the tool's main event loop was busy (null when not measured): 1 = the tool was the limit. */
  readonly toolBusy: number | null;
}

export interface ViewerTotals {
  readonly started: number;
  /** Viewers that never reached playback before the run ended. */
  readonly neverStarted: number;
  /** Viewers that gave up (malformed playlist, refused host). */
  readonly failed: number;
  readonly failures: readonly string[];
  readonly startupMs: LatencySummary;
  readonly stalls: number;
  readonly stallS: number;
  readonly viewersWithStalls: number;
  readonly playedS: number;
  /** Stall time ÷ (stall time + play time), over all viewers. */
  readonly rebufferingRatio: number | null;
  readonly switches: number;
  readonly failedRequests: number;
  readonly skippedSegments: number;
  readonly loops: number;
  /** How many viewers ended on each rendition (index into the master playlist, lowest bandwidth first). */
  readonly finalRenditions: Record<string, number>;
}

export interface OriginOffload {
  readonly url: string;
  readonly requestsBefore: number;
  readonly requestsAfter: number;
  /** The counter's increase over samples taken through the run, reset-aware (not simply after − before). */
  readonly requests: number;
  /** Times the counter went down between two samples (an origin restart). */
  readonly counterResets: number;
  readonly samples: number;
  /** Readings that failed during the run (the origin was down or slow), skipped. */
  readonly missedSamples: number;
  /** 1 − origin requests ÷ requests the tool made. */
  readonly offload: number | null;
}

export interface LoadTestReport {
  readonly tool: 'edgeline loadtest';
  readonly reportVersion: 1;
  readonly mode: 'viewers' | 'max';
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Measured window: from the start to the stop (excluding the grace period). */
  readonly durationS: number;
  readonly settings: Record<string, string | number | boolean | null>;
  readonly totals: {
    readonly requests: number;
    readonly aborted: number;
    readonly bytes: number;
    readonly requestsPerS: number;
    readonly gbitPerS: number;
    readonly statusClasses: Record<string, number>;
    readonly errors: Record<ErrorKind, number>;
    readonly errorCount: number;
  };
  readonly latencyMs: {
    readonly all: LatencySummary;
    readonly byKind: Record<string, LatencySummary>;
    readonly byXCache: Record<string, LatencySummary>;
    /** Request start to response headers, by kind. */
    readonly ttfbByKind: Record<string, LatencySummary>;
  };
  readonly cache: {
    /** X-Cache values counted as hits. */
    readonly hitValues: readonly string[];
    readonly requestHitRatio: number | null;
    readonly byteHitRatio: number | null;
    readonly byXCache: Record<string, Tally>;
    readonly byKind: Record<string, Tally>;
  };
  readonly viewers: ViewerTotals | null;
  readonly origin: OriginOffload | null;
  readonly max: { readonly urls: number; readonly firstUrl: string; readonly connections: number; readonly workers: number } | null;
  /** The load tool's own CPU over the window: a saturated tool measures itself, not the server. */
  readonly toolLoad: (ToolLoad & { readonly cpuPerRequestUs: number | null }) | null;
  readonly timeline: readonly TimelinePoint[];
}

export function timelinePoint(tS: number, intervalS: number, s: IntervalSample, viewers: { active: number; stalled: number; newStalls: number }, toolBusy: number | null = null): TimelinePoint {
  const secs = Math.max(intervalS, 1e-3);
  return {
    tS: Math.round(tS * 1000) / 1000,
    requestsPerS: s.requests / secs,
    gbitPerS: (s.bytes * 8) / secs / 1e9,
    errors: s.errors,
    hitRatio: s.withXCache === 0 ? null : s.hits / s.withXCache,
    p50: s.latency.p50,
    p90: s.latency.p90,
    p99: s.latency.p99,
    max: s.latency.max,
    activeViewers: viewers.active,
    stalledViewers: viewers.stalled,
    stalls: viewers.newStalls,
    toolBusy,
  };
}

export function viewerTotals(snapshots: readonly ViewerSnapshot[]): ViewerTotals {
  const startup = newHistogram();
  let stalls = 0;
  let stallMs = 0;
  let playedS = 0;
  let withStalls = 0;
  let switches = 0;
  let failedRequests = 0;
  let skipped = 0;
  let loops = 0;
  let neverStarted = 0;
  const failures: string[] = [];
  const finalRenditions: Record<string, number> = {};
  for (const v of snapshots) {
    if (v.startupMs === undefined) neverStarted += 1;
    else startup.recordValue(Math.max(1, Math.round(v.startupMs * 1000)));
    stalls += v.stallCount;
    stallMs += v.stallMs;
    playedS += v.playedS;
    if (v.stallCount > 0) withStalls += 1;
    switches += v.switches;
    failedRequests += v.failedRequests;
    skipped += v.skippedSegments;
    loops += v.loops;
    if (v.failure !== undefined) failures.push(v.failure);
    finalRenditions[String(v.rendition)] = (finalRenditions[String(v.rendition)] ?? 0) + 1;
  }
  const stallS = stallMs / 1000;
  return {
    started: snapshots.length,
    neverStarted,
    failed: failures.length,
    failures: [...new Set(failures)].slice(0, 10),
    startupMs: summarize(startup),
    stalls,
    stallS,
    viewersWithStalls: withStalls,
    playedS,
    rebufferingRatio: stallS + playedS > 0 ? stallS / (stallS + playedS) : null,
    switches,
    failedRequests,
    skippedSegments: skipped,
    loops,
    finalRenditions,
  };
}

export interface ReportParts {
  readonly mode: 'viewers' | 'max';
  readonly options: LoadTestOptions;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly durationS: number;
  readonly stats: LoadStats;
  readonly timeline: readonly TimelinePoint[];
  readonly viewers: ViewerTotals | null;
  readonly origin: OriginOffload | null;
  readonly max: LoadTestReport['max'];
  readonly toolLoad: ToolLoad | undefined;
}

/** Options given as durations are milliseconds; the report says so in their names. */
const DURATION_SETTINGS = new Set(['ramp', 'duration', 'grace', 'startupBuffer', 'maxBuffer', 'timeout', 'startTimeout']);

export function buildReport(p: ReportParts): LoadTestReport {
  const { stats } = p;
  const secs = Math.max(p.durationS, 1e-3);
  const ratios = hitRatios(stats.xCacheTally);
  const errors = { ...stats.errors };
  const { progress: _progress, ...settings } = p.options;
  return {
    tool: 'edgeline loadtest',
    reportVersion: 1,
    mode: p.mode,
    target: p.options.target,
    startedAt: p.startedAt.toISOString(),
    finishedAt: p.finishedAt.toISOString(),
    durationS: Math.round(p.durationS * 1000) / 1000,
    settings: Object.fromEntries(Object.entries(settings).map(([k, v]) => [DURATION_SETTINGS.has(k) ? `${k}Ms` : k, typeof v === 'object' ? v.join(',') : (v ?? null)])),
    totals: {
      requests: stats.responses,
      aborted: stats.aborted,
      bytes: stats.bytes,
      requestsPerS: stats.responses / secs,
      gbitPerS: (stats.bytes * 8) / secs / 1e9,
      statusClasses: Object.fromEntries(stats.statusClasses),
      errors,
      errorCount: ERROR_KINDS.reduce((n, k) => n + errors[k], 0),
    },
    latencyMs: {
      all: summarize(stats.all),
      byKind: Object.fromEntries([...stats.byKind].map(([k, h]) => [k, summarize(h)])),
      byXCache: Object.fromEntries([...stats.byXCacheLatency].map(([k, h]) => [k, summarize(h)])),
      ttfbByKind: Object.fromEntries([...stats.ttfbByKind].map(([k, h]) => [k, summarize(h)])),
    },
    cache: {
      hitValues: [...HIT_VALUES],
      requestHitRatio: ratios.requests,
      byteHitRatio: ratios.bytes,
      byXCache: Object.fromEntries([...stats.xCacheTally].map(([k, t]) => [k, { ...t }])),
      byKind: Object.fromEntries([...stats.kindTally].map(([k, t]) => [k, { ...t }])),
    },
    viewers: p.viewers,
    origin: p.origin,
    max: p.max,
    toolLoad: p.toolLoad ? { ...p.toolLoad, cpuPerRequestUs: stats.responses > 0 ? (p.toolLoad.cpuS * 1e6) / stats.responses : null } : null,
    timeline: p.timeline,
  };
}
