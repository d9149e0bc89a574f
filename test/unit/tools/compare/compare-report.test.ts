// report.json, report.html and the terminal summary of a comparison, built from made-up sessions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BeaconMetrics, BeaconSegment } from '../../../../server/core/qoe/beacon-schema.ts';
import type { ArmName } from '../../../../tools/compare/compare-options.ts';
import { buildCompareReport, type Conditions } from '../../../../tools/compare/compare-report.ts';
import { compareReportDocument, renderCompareHtml } from '../../../../tools/compare/report-page.ts';
import type { SessionResult } from '../../../../tools/compare/session-result.ts';
import { reportedWan } from '../../../../tools/compare/run-compare.ts';
import { fmtMs, fmtPercent, fmtRatio, formatTerminalSummary, speedWords, textTable, wanText } from '../../../../tools/compare/summary-text.ts';

function metrics(startupMs: number | null, stallMs = 0): BeaconMetrics {
  return {
    startupMs, firstSegmentTtfbMs: startupMs === null ? null : startupMs / 2, stallCount: stallMs > 0 ? 1 : 0, stallMs, watchMs: 9_000, avgBitrateKbps: 900, peakBitrateKbps: 1200,
    renditionSwitches: 1, droppedFrames: 0, totalFrames: 250, fatalErrors: 0, recoveries: 0, nonFatalErrors: 0, currentTimeS: 9, bufferS: 10, level: 0,
  };
}

function seg(xCache: string | null, ttfbMs: number, atMs: number): BeaconSegment {
  return { sn: 1, level: 0, type: 'main', isInit: false, atMs, durationS: 2, bytes: 50_000, ttfbMs, downloadMs: ttfbMs * 2, throughputKbps: 1000, xCache };
}

function sessions(arm: ArmName, startups: (number | null)[], xCache: string | null, ttfbMs: number): SessionResult[] {
  return startups.map((s, i) => ({
    arm, index: i + 1, wave: 1, sessionId: `${arm}-${i}`, source: 'server', metrics: metrics(s, arm === 'direct' ? 500 : 0),
    segments: [seg(xCache, ttfbMs, 300), seg(xCache, ttfbMs, 2_500)], beacons: 3, viewerRequests: 8, startedAt: 0, error: null,
  }));
}

const conditions: Conditions = {
  date: '2025-01-02T13:04:05.000Z',
  runSeconds: 42,
  wan: { rttMs: 150, bandwidthMbps: 20, jitterMs: 0, description: 'model', originReports: { enabled: true, label: 'WAN emulation ON' } },
  content: { src: '/vod/sample/master.m3u8', variants: [{ uri: '720p/index.m3u8', bandwidth: 3_000_000, resolution: '1280x720' }], targetDurationS: 4, durationS: 60, segmentsPerRendition: 15 },
  sessionsPerArm: 2,
  secondsPerSession: 6,
  concurrent: 2,
  lastMile: { rttMs: 0, bandwidthMbps: 0 },
  floor: 'static',
  stack: { startedByCompare: true, originUrl: 'http://127.0.0.1:1', edgeUrl: 'http://127.0.0.1:2', viewerEdgeUrl: 'http://127.0.0.1:2', edgeTier: 'memory only', redisPrefix: null, edgeWorkers: 1, coldCache: 'purged', warmUp: 'warmed' },
  machine: { cpuModel: 'Test CPU <script>', cores: 2, memoryGiB: 8, os: 'Linux', node: '20.0.0', chromium: '156.0', loadAverage: { start: 0.5, end: 1 } },
};

function report() {
  return buildCompareReport({
    conditions,
    arms: [
      { name: 'edge-warm', sessions: sessions('edge-warm', [150, 250], 'HIT', 5), origin: { before: 50, after: 50 } },
      { name: 'direct', sessions: sessions('direct', [900, 1100], null, 320), origin: { before: 0, after: 16 } },
      { name: 'edge-cold', sessions: sessions('edge-cold', [1300, null], 'MISS', 400), origin: { before: 16, after: 26 } },
      { name: 'floor', sessions: sessions('floor', [100, 300], null, 2), origin: null },
    ],
    notes: ['a note'],
    generatedAt: new Date('2025-01-02T13:05:00Z'),
  });
}

describe('compare report', () => {
  it('orders the arms, summarizes each and compares warm and cold with direct', () => {
    const r = report();
    assert.deepEqual(r.arms.map((a) => a.name), ['floor', 'direct', 'edge-cold', 'edge-warm']);
    const [floor, direct, cold, warm] = r.arms;
    assert.equal(direct?.summary.startupMs.median, 1000);
    assert.equal(direct?.summary.startupMs.p50, 1000);
    assert.equal(cold?.summary.started, 1);
    assert.equal(direct?.summary.originPer1kViewerRequests, 1000, 'every direct viewer request reached the origin');
    assert.equal(warm?.summary.originPer1kViewerRequests, 0);
    assert.equal(floor?.summary.originRequests, null, 'the floor never reads the origin');
    assert.deepEqual(r.comparisons.vsFloor.map((c) => [c.arm, c.baseline, c.startupMedianRatio]), [['direct', 'floor', 5], ['edge-cold', 'floor', 6.5], ['edge-warm', 'floor', 1]]);
    assert.equal(r.comparisons.warmVsDirect?.startupMedianRatio, 0.2);
    assert.equal(r.comparisons.coldVsDirect?.startupMedianRatio, 1.3);
    assert.deepEqual(r.charts.ttfbByXCache.map((g) => `${g.arm}:${g.xCache}`), ['floor:none', 'direct:none', 'edge-cold:MISS', 'edge-warm:HIT']);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'plain JSON');
  });

  it('renders a self-contained page: the answer, a summary table, six charts, every session and the conditions', () => {
    const r = report();
    const doc = compareReportDocument(r);
    assert.deepEqual(doc.sections.map((s) => s.heading), ['What does the cache tier buy my viewers?', 'Summary', 'Charts', 'Segments by X-Cache', 'Sessions', 'Conditions']);
    const charts = doc.sections.find((s) => s.heading === 'Charts')?.blocks ?? [];
    assert.equal(charts.length, 6);
    const html = renderCompareHtml(r);
    assert.equal((html.match(/<canvas data-chart=/g) ?? []).length, 6);
    assert.match(html, /Where startup goes/);
    assert.match(html, /5\.00× faster/, 'warm edge vs direct startup at the median');
    assert.match(html, /Test CPU &lt;script&gt;/, 'text is escaped');
    assert.ok(!/<script src=/i.test(html), 'no external scripts');
    assert.match(html, /id="report-data">\{"version":1/);
  });

  it('prints a table and the answer in the terminal', () => {
    const text = formatTerminalSummary(report());
    assert.match(text, /^What does the cache tier buy my viewers\?/);
    assert.match(text, /direct\s+2\/2\s+1\.00 s\s+5\.00×/, 'startup and its ratio to the floor');
    assert.match(text, /Floor: the same files from a plain static server on this machine start in 200 ms/);
    assert.match(text, /edge-cold\s+1\/2/);
    assert.match(text, /Startup: viewers served by a warm edge start in 200 ms/);
    assert.match(text, /A cold edge \(the first viewers after a purge\) starts in 1\.30 s \(median\), 1\.30× slower than direct: its misses cross/);
    assert.match(text, /note: a note/);
  });

  it('formats numbers for people', () => {
    assert.equal(fmtMs(12.4), '12 ms');
    assert.equal(fmtMs(1234), '1.23 s');
    assert.equal(fmtMs(null), '–');
    assert.equal(fmtPercent(0.01234), '1.23 %');
    assert.equal(fmtRatio(0.2), '0.200×');
    assert.equal(speedWords(0.25), '4.00× faster');
    assert.equal(speedWords(2), '2.00× slower');
    assert.equal(speedWords(null), 'not comparable');
    assert.equal(textTable(['a', 'bb'], [['x', '1'], ['yy', '22']]), 'a   bb\n--  --\nx    1\nyy  22');
  });

  it('describes the WAN a running origin reports, or says it is unknown', () => {
    assert.deepEqual(reportedWan({ enabled: true, rttMs: 80, bandwidthMbps: null, jitterMs: 5 }), { rttMs: 80, bandwidthMbps: 0, jitterMs: 5 });
    assert.deepEqual(reportedWan({ enabled: false }), { rttMs: 0, bandwidthMbps: 0, jitterMs: 0 });
    assert.deepEqual(reportedWan(undefined), { rttMs: null, bandwidthMbps: null, jitterMs: null });
    assert.equal(wanText({ rttMs: 80, bandwidthMbps: 0, jitterMs: 5 }), 'rtt 80 ms, unlimited bandwidth, jitter up to 5 ms');
    assert.equal(wanText({ rttMs: 0, bandwidthMbps: 0, jitterMs: 0 }), 'off (no emulated distance)');
    assert.match(wanText({ rttMs: null, bandwidthMbps: null, jitterMs: null }), /^unknown/);
  });
});
