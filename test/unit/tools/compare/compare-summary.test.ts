// The comparison's pure math: quantiles, per-arm summaries, ratios, the dl÷dur time series and TTFB by X-Cache.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BeaconMetrics, BeaconSegment } from '../../../../server/core/qoe/beacon-schema.ts';
import type { ArmName } from '../../../../tools/compare/compare-options.ts';
import {
  binSecondsFor, compareArms, distribution, downloadRatioOverTime, originPer1k, quantile, rebufferRatio, startupBreakdown, summarizeArm, ttfbByXCache,
} from '../../../../tools/compare/compare-summary.ts';
import type { SessionResult } from '../../../../tools/compare/session-result.ts';

function metrics(over: Partial<BeaconMetrics> = {}): BeaconMetrics {
  return {
    startupMs: 500, firstSegmentTtfbMs: 200, stallCount: 0, stallMs: 0, watchMs: 10_000, avgBitrateKbps: 800, peakBitrateKbps: 800,
    renditionSwitches: 0, droppedFrames: 0, totalFrames: 250, fatalErrors: 0, recoveries: 0, nonFatalErrors: 0, currentTimeS: 10, bufferS: 20, level: 1,
    ...over,
  };
}

function seg(over: Partial<BeaconSegment> = {}): BeaconSegment {
  return { sn: 0, level: 1, type: 'main', isInit: false, atMs: 500, durationS: 2, bytes: 100_000, ttfbMs: 50, downloadMs: 200, throughputKbps: 4000, xCache: null, ...over };
}

function session(arm: ArmName, index: number, m: BeaconMetrics | null, segments: BeaconSegment[] = [], viewerRequests = 10): SessionResult {
  return { arm, index, wave: 1, sessionId: `s-${arm}-${index}`, source: 'server', metrics: m, segments, beacons: 2, viewerRequests, startedAt: 0, error: null };
}

describe('quantile and distribution', () => {
  it('interpolates between closest ranks (R-7)', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9), 91);
    assert.equal(quantile([7], 0.9), 7);
    assert.equal(quantile([3, 1, 2], 0), 1, 'order of input does not matter');
    assert.equal(quantile([3, 1, 2], 1), 3);
    assert.equal(quantile([], 0.5), null);
  });

  it('summarizes finite values only and is empty without any', () => {
    const d = distribution([4, 1, Number.NaN, 3, 2]);
    assert.deepEqual(d, { n: 4, median: 2.5, p50: 2.5, p90: 3.7, mean: 2.5, min: 1, max: 4 });
    assert.deepEqual(distribution([]), { n: 0, median: null, p50: null, p90: null, mean: null, min: null, max: null });
  });

  it('rebuffering ratio is stall ÷ (stall + watch), null with neither', () => {
    assert.equal(rebufferRatio(1_000, 9_000), 0.1);
    assert.equal(rebufferRatio(0, 0), null);
  });

  it('origin requests per 1,000 viewer requests', () => {
    assert.equal(originPer1k(25, 500), 50);
    assert.equal(originPer1k(null, 500), null);
    assert.equal(originPer1k(3, 0), null, 'no viewer requests: nothing to relate to');
  });
});

describe('summarizeArm', () => {
  it('medians and p90 of startup, pooled rebuffering, media segments only, X-Cache counts and origin ratio', () => {
    const sessions = [
      session('edge-warm', 1, metrics({ startupMs: 100, stallCount: 1, stallMs: 500, watchMs: 9_500 }), [seg({ isInit: true, xCache: 'HIT', ttfbMs: 999 }), seg({ xCache: 'HIT', ttfbMs: 5 }), seg({ xCache: 'MISS', ttfbMs: 300 })], 20),
      session('edge-warm', 2, metrics({ startupMs: 300 }), [seg({ xCache: 'HIT', ttfbMs: 7, downloadMs: 100 })], 30),
      session('edge-warm', 3, metrics({ startupMs: null, watchMs: 0 }), [], 5),
      session('edge-warm', 4, null, [], 0),
    ];
    const s = summarizeArm('edge-warm', sessions, { before: 100, after: 110 });
    assert.equal(s.sessions, 4);
    assert.equal(s.started, 2);
    assert.equal(s.failed, 2);
    assert.equal(s.startupMs.median, 200);
    assert.equal(s.startupMs.p90, 280);
    assert.equal(s.stallCount, 1);
    assert.equal(s.pooledRebufferRatio, 500 / (500 + 9_500 + 10_000));
    assert.equal(s.rebufferRatio.n, 2, 'sessions without any watch or stall time have no ratio');
    assert.deepEqual(s.xCache, { HIT: 2, MISS: 1 }, 'init segments are not counted');
    assert.equal(s.segmentTtfbMs.n, 3);
    assert.equal(s.segmentTtfbMs.median, 7);
    assert.equal(s.segmentDownloadRatio.median, 0.1, '200 ms for a 2 s segment');
    assert.equal(s.viewerRequests, 55);
    assert.equal(s.originRequests, 10);
    assert.ok(Math.abs((s.originPer1kViewerRequests ?? 0) - (10 / 55) * 1000) < 1e-9);
  });

  it('without origin counts the origin ratio is unknown, not zero', () => {
    const s = summarizeArm('direct', [session('direct', 1, metrics())], null);
    assert.equal(s.originRequests, null);
    assert.equal(s.originPer1kViewerRequests, null);
  });
});

describe('compareArms', () => {
  it('ratios are arm ÷ baseline and the rebuffering difference is in percentage points', () => {
    const direct = summarizeArm('direct', [
      session('direct', 1, metrics({ startupMs: 1_000, stallMs: 1_000, watchMs: 9_000 }), [seg({ ttfbMs: 400, downloadMs: 1_000 })], 10),
      session('direct', 2, metrics({ startupMs: 1_200, stallMs: 0, watchMs: 10_000 }), [seg({ ttfbMs: 400, downloadMs: 1_000 })], 10),
    ], { before: 0, after: 20 });
    const warm = summarizeArm('edge-warm', [
      session('edge-warm', 1, metrics({ startupMs: 200, stallMs: 0, watchMs: 10_000 }), [seg({ ttfbMs: 20, downloadMs: 100, xCache: 'HIT' })], 10),
      session('edge-warm', 2, metrics({ startupMs: 240, stallMs: 0, watchMs: 10_000 }), [seg({ ttfbMs: 20, downloadMs: 100, xCache: 'HIT' })], 10),
    ], { before: 20, after: 21 });
    const c = compareArms(warm, direct);
    assert.equal(c.arm, 'edge-warm');
    assert.equal(c.baseline, 'direct');
    assert.equal(c.startupMedianRatio, 220 / 1_100);
    assert.equal(c.startupMedianSavedMs, 880);
    assert.equal(c.segmentTtfbMedianRatio, 0.05);
    assert.equal(c.segmentDownloadRatioMedianRatio, 0.1);
    assert.ok(Math.abs((c.rebufferRatioDeltaPoints ?? 0) - -5) < 1e-9, 'direct stalled 1 s of 20 s, warm never');
    assert.equal(c.originPer1kRatio, 50 / 1000);
  });

  it('is null where the baseline has no value', () => {
    const empty = summarizeArm('direct', [], null);
    const warm = summarizeArm('edge-warm', [session('edge-warm', 1, metrics())], null);
    const c = compareArms(warm, empty);
    assert.equal(c.startupMedianRatio, null);
    assert.equal(c.rebufferRatioDeltaPoints, null);
    assert.equal(c.originPer1kRatio, null);
  });
});

describe('downloadRatioOverTime', () => {
  it('bins segments by when their download finished and takes the median per bin and arm', () => {
    const sessions = [
      session('direct', 1, metrics(), [seg({ atMs: 100, downloadMs: 1_000 }), seg({ atMs: 1_500, downloadMs: 500 }), seg({ isInit: true, atMs: 50, downloadMs: 9_999 })]),
      session('direct', 2, metrics(), [seg({ atMs: 900, downloadMs: 3_000 })]),
      session('edge-warm', 1, metrics(), [seg({ atMs: 99_000, downloadMs: 100 })]),
    ];
    const t = downloadRatioOverTime(sessions, 3);
    assert.equal(t.binSeconds, 1);
    assert.deepEqual(t.labels, [0, 1, 2]);
    assert.deepEqual(t.series.direct, [1, 0.25, null], 'bin 0: median of 0.5 and 1.5');
    assert.deepEqual(t.series['edge-warm'], [null, null, 0.05], 'a late segment lands in the last bin');
    assert.equal(t.series['edge-cold'], undefined);
  });

  it('keeps at most ~60 bins', () => {
    assert.equal(binSecondsFor(30), 1);
    assert.equal(binSecondsFor(600), 10);
    assert.equal(downloadRatioOverTime([], 600).labels.length, 60);
  });
});

describe('ttfbByXCache', () => {
  it('groups media segments by arm and X-Cache label, arms in order and HIT before MISS before none', () => {
    const sessions = [
      session('edge-warm', 1, metrics(), [seg({ xCache: 'MISS', ttfbMs: 300 }), seg({ xCache: 'HIT', ttfbMs: 4 }), seg({ xCache: 'hit', ttfbMs: 6 })]),
      session('direct', 1, metrics(), [seg({ xCache: null, ttfbMs: 200 }), seg({ isInit: true, xCache: null, ttfbMs: 1 })]),
    ];
    const groups = ttfbByXCache(sessions);
    assert.deepEqual(groups.map((g) => [g.arm, g.xCache, g.ttfbMs.n, g.ttfbMs.median]), [
      ['direct', 'none', 1, 200],
      ['edge-warm', 'HIT', 2, 5],
      ['edge-warm', 'MISS', 1, 300],
    ]);
  });
});

describe('startup breakdown', () => {
  it('splits a startup at the first main-track media segment to finish: playlists, that download, decode to playing', () => {
    const s = session('floor', 1, metrics({ startupMs: 900 }), [
      seg({ isInit: true, atMs: 150, downloadMs: 20 }),
      seg({ sn: 1, atMs: 700, downloadMs: 100 }),
      seg({ sn: 0, atMs: 500, downloadMs: 200 }),
      seg({ sn: 0, type: 'audio', atMs: 100, downloadMs: 50 }),
    ]);
    assert.deepEqual(startupBreakdown(s), { playlistsMs: 300, firstSegmentMs: 200, decodeMs: 400 });
    const arm = summarizeArm('floor', [s, session('floor', 2, metrics({ startupMs: null }), [seg()])], null);
    assert.equal(arm.startupBreakdownMs.decode.n, 1, 'a session that never played has no breakdown');
    assert.equal(arm.startupBreakdownMs.playlists.median, 300);
  });

  it('has none before playback or without a media segment', () => {
    assert.equal(startupBreakdown(session('floor', 1, metrics({ startupMs: null }), [seg()])), undefined);
    assert.equal(startupBreakdown(session('floor', 1, metrics(), [seg({ isInit: true })])), undefined);
  });
});
