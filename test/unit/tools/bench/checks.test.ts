// The bench's verdicts: ratios of medians judged against issue 11's "Done when", shown as pass / miss / info.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderBenchHtml } from '../../../../tools/bench/bench-report.ts';
import { buildChecks } from '../../../../tools/bench/checks.ts';
import { summarizeHerd } from '../../../../tools/bench/herd.ts';
import type { ToolRun } from '../../../../tools/bench/load-tools.ts';
import { median, percentile } from '../../../../tools/bench/measure.ts';
import { ratio, renderMarkdown, verdict, type BenchResults, type Body, type HerdRep, type MissPath, type MissResult, type Server, type ThroughputCell } from '../../../../tools/bench/results-table.ts';

function cell(body: Body, server: Server, connections: number, rps: number, p99Ms: number): ThroughputCell {
  const run: ToolRun = { tool: 'wrk', requests: rps, durationS: 1, requestsPerS: rps, errors: 0, p50Ms: p99Ms / 2, p99Ms, toolEventLoopUtilization: null };
  return {
    body, bodyBytes: body === 'segment' ? 1_250_000 : 548, server, tool: 'wrk', connections, url: 'http://x/', runs: [{ ...run, cpuUsPerRequest: 100, serverRssMb: 50 }],
    medianRps: rps, medianP99Ms: p99Ms, medianCpuUsPerRequest: 100, medianRssMb: 50, gbitPerS: 0, errors: 0,
  };
}

function herdRep(originFetches: number, loneMs: number, p50: number): HerdRep {
  return { herdPath: '/h', originFetches, loneOriginFetches: 1, loneMs, waiterP50Ms: p50, waiterP99Ms: p50 * 2, waiterMaxMs: p50 * 3, waiterP50ByNodeMs: [p50], errors: 0, failures: {}, xcache: {} };
}

function results(over: Partial<BenchResults> = {}): BenchResults {
  return {
    benchVersion: 2,
    conditions: {
      startedAt: '2026-12-02T00:00:00.000Z', finishedAt: '', wallS: 1, cpu: 'cpu', cores: 2, memGiB: 1, kernel: 'k', node: 'v20', git: null,
      loadBefore: [0, 0, 0], loadAfter: [0, 0, 0], nginx: '1', varnish: '7', wrk: '4', autocannon: null, redis: '7', runS: 5, reps: 3,
      connections: [32, 128], edgeWorkers: 2, edgeMemoryMb: 256, edgeFlags: 'no tuning flags', herdWaiters: 200, originDelayMs: 200,
      quick: false, sections: ['hits'], viewerAsset: null, headlineTool: 'wrk',
    },
    verification: [], throughput: [], miss: null, herd: [], memory: [], viewers: [], checks: [], notes: [],
    ...over,
  };
}

const find = (r: BenchResults, figure: RegExp): { pass: boolean | null; ratio: string; value: string; baseline: string } => {
  const c = buildChecks(r).find((k) => figure.test(k.figure));
  assert.ok(c, `a check matching ${figure}`);
  return c;
};

describe('bench checks', () => {
  it('takes medians and nearest-rank percentiles, and ratios only of known figures', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
    assert.equal(ratio(3, 2), 1.5);
    assert.ok(Number.isNaN(ratio(3, 0)));
    assert.ok(Number.isNaN(ratio(null, 2)));
    assert.ok(Number.isNaN(ratio(3, Number.NaN)));
  });

  it('judges segment hits against nginx at each connection count (≥ 1.0×)', () => {
    const r = results({ throughput: [cell('segment', 'edge', 32, 1000, 10), cell('segment', 'nginx', 32, 990, 10), cell('segment', 'edge', 128, 900, 10), cell('segment', 'nginx', 128, 1000, 10)] });
    const at32 = find(r, /^segment req\/s at 32 .*÷ nginx/);
    assert.equal(at32.pass, true);
    assert.equal(at32.ratio, '1.01×');
    const at128 = find(r, /^segment req\/s at 128 .*÷ nginx/);
    assert.equal(at128.pass, false);
    assert.equal(at128.ratio, '0.90×');
  });

  it('judges playlists against nginx (≥ 0.8×) and the node:http ceiling (≥ 0.9×), and Varnish for information', () => {
    const r = results({ throughput: [cell('playlist', 'edge', 32, 800, 5), cell('playlist', 'nginx', 32, 1000, 5), cell('playlist', 'node', 32, 900, 5), cell('playlist', 'varnish', 32, 2000, 5)] });
    assert.equal(find(r, /^playlist req\/s at 32 .*÷ nginx/).pass, true);
    assert.equal(find(r, /^playlist req\/s at 32 .*÷ node:http/).pass, false);
    assert.equal(find(r, /^playlist req\/s at 32 .*÷ Varnish/).pass, null);
  });

  it('decides tail latency on the playlist at 128 connections only (≤ 1.5× nginx p99)', () => {
    const r = results({ throughput: [cell('playlist', 'edge', 128, 1, 15.1), cell('playlist', 'nginx', 128, 1, 10), cell('segment', 'edge', 128, 1, 100), cell('segment', 'nginx', 128, 1, 10)] });
    assert.equal(find(r, /^playlist p99 at 128/).pass, false);
    assert.equal(find(r, /^segment p99 at 128/).pass, null);
    const ok = results({ throughput: [cell('playlist', 'edge', 128, 1, 15), cell('playlist', 'nginx', 128, 1, 10)] });
    assert.equal(find(ok, /^playlist p99 at 128/).pass, true);
  });

  it("shows the node:http ceiling's playlist p99 at 128 connections against nginx's, for information", () => {
    const r = results({ throughput: [cell('playlist', 'edge', 128, 1, 40), cell('playlist', 'nginx', 128, 1, 10), cell('playlist', 'node', 128, 1, 25)] });
    const ceiling = find(r, /^playlist p99 at 128 connections, node:http/);
    assert.equal(ceiling.pass, null);
    assert.equal(ceiling.ratio, '2.50×');
    assert.equal(ceiling.value, '25.0 ms');
    // Without the ceiling in the run there is nothing to show.
    const without = results({ throughput: [cell('playlist', 'edge', 128, 1, 40), cell('playlist', 'nginx', 128, 1, 10)] });
    assert.equal(buildChecks(without).some((c) => /node:http/.test(c.figure) && /p99/.test(c.figure)), false);
  });

  it('wants one origin fetch for the herd and waiters within 100 ms of a lone cold request', () => {
    const good = summarizeHerd('edge', 3, 200, 200, [herdRep(1, 300, 380), herdRep(1, 280, 390), herdRep(1, 310, 500)]);
    assert.equal(good.loneMedianMs, 300);
    assert.equal(good.waiterP50MedianMs, 390);
    assert.equal(good.originFetchesMax, 1);
    const r = results({ herd: [good] });
    assert.equal(find(r, /^origin fetches/).pass, true);
    assert.equal(find(r, /^waiters' time to last byte/).pass, true);

    // Medians: waiters p50 420 ms, lone 300 ms, so 120 ms apart; and one repetition fetched twice.
    const bad = summarizeHerd('edge', 3, 200, 200, [herdRep(1, 300, 450), herdRep(2, 280, 410), herdRep(1, 300, 420)]);
    const r2 = results({ herd: [bad] });
    assert.equal(find(r2, /^origin fetches/).pass, false, 'one repetition with 2 fetches misses');
    assert.equal(find(r2, /^waiters' time to last byte/).pass, false);
  });

  it('keeps the warm herds out of the targets and reports what the edges add beyond the origin delay and the floor', () => {
    const cold = summarizeHerd('edge', 3, 200, 200, [herdRep(1, 219, 420), herdRep(1, 220, 418), herdRep(1, 215, 430)]);
    // A warm edge herd faster than the cold one: if the checks took it for the edge's herd, the gap would pass.
    const warmEdge = summarizeHerd('edge', 3, 200, 200, [herdRep(0, 3, 190), herdRep(0, 2, 200), herdRep(0, 3, 210)], true);
    const floor = summarizeHerd('node', 3, 200, 200, [herdRep(0, 2, 180), herdRep(0, 2, 188), herdRep(0, 1, 195)], true);
    const r = results({ herd: [warmEdge, cold, floor] });
    const gap = find(r, /^waiters' time to last byte/);
    assert.equal(gap.pass, false);
    assert.equal(gap.ratio, '+201 ms');
    const f = find(r, /^the floor/);
    assert.equal(f.pass, null, 'the floor is information, not a target');
    assert.match(f.value, /^p50 188 ms/);
    assert.match(f.baseline, /warm edge ×3: p50 200 ms/);
    // 420 − (200 + 188); and against the floor's p99 (the median of 360, 376, 390): 420 − (200 + 376)
    assert.match(f.ratio, /floor p50\) = \+32 ms;/);
    assert.match(f.ratio, /floor p99, every waiter at once\) = -156 ms$/);
    assert.equal(buildChecks(results({ herd: [cold] })).some((c) => /^the floor/.test(c.figure)), false, 'no floor row without a floor');
  });

  it('judges the largest idle edge process against 70 MB (issue 10) and 60 MB (issue 11)', () => {
    const memory = (rssMb: number): BenchResults['memory'] => [{
      server: 'edge', memoryTierMb: 256, idleMb: rssMb + 40, idleProcesses: [{ name: 'primary', rssMb: 40 }, { name: 'worker', rssMb }],
      startedProcesses: [{ name: 'primary', rssMb: 41 }, { name: 'worker', rssMb: rssMb + 9 }],
      peakMb: 300, peakPssMb: 200, peakProcesses: [], samples: 3, budgetMb: 406,
    }];
    const idle = (rssMb: number, section: string): { pass: boolean | null; baseline: string } => {
      const c = buildChecks(results({ memory: memory(rssMb) })).find((k) => k.section === section && /^idle edge process/.test(k.figure));
      assert.ok(c, `an idle check in ${section}`);
      return c;
    };
    // 60 MB = 57.22 MiB, 70 MB = 66.76 MiB.
    assert.equal(idle(57.2, 'issue 11 · memory').pass, true);
    assert.equal(idle(57.3, 'issue 11 · memory').pass, false);
    assert.equal(idle(66.7, 'issue 10 · memory').pass, true);
    assert.equal(idle(66.8, 'issue 10 · memory').pass, false);
    assert.match(idle(60, 'issue 10 · memory').baseline, /2 s after start: primary 41, worker 69/);
    assert.equal(find(results({ memory: memory(58) }), /^peak RSS under load, edge/).pass, true);
  });

  it('judges the miss against +2 ms and shows the back-to-back pass beside it, for information', () => {
    const path = (p50: number): MissPath => ({ ttfbP50Ms: p50, ttfbP90Ms: p50 * 2, totalP50Ms: p50 * 3, xcache: { MISS: 57 }, ttfbMs: [] });
    const miss: MissResult = {
      count: 57, segmentBytes: 1_250_000, edge: path(5), origin: path(3.5), edgeWithoutRedis: null, addedP50Ms: 1.5, addedP90Ms: 3,
      backToBack: { edge: path(7.25), origin: path(3), addedP50Ms: 4.25, addedP90Ms: 8.5 },
    };
    const r = results({ miss });
    assert.equal(find(r, /^time to first byte p50, cold segment/).pass, true);
    assert.equal(find(r, /^time to first byte p90, cold segment/).pass, false);
    const b2b = find(r, /misses back to back/);
    assert.equal(b2b.pass, null, 'information, not a target');
    assert.equal(b2b.ratio, '+4.25 ms');
    assert.equal(b2b.value, '7.25 ms');
    const md = renderMarkdown({ ...r, checks: buildChecks(r) });
    assert.match(md, /\| back to back: added by the edge \| 4\.25 \| 8\.50 \|/);
  });

  it('prints pass / miss / info, never rounding a miss into a pass', () => {
    assert.equal(verdict(true), '**pass**');
    assert.equal(verdict(false), '**miss**');
    assert.equal(verdict(null), 'info');
    // 0.995× shows as "0.99×" or "1.00×" depending on rounding, but the verdict comes from the unrounded ratio.
    const r = results({ throughput: [cell('segment', 'edge', 32, 995, 1), cell('segment', 'nginx', 32, 1000, 1)] });
    const c = find(r, /^segment req\/s at 32 .*÷ nginx/);
    assert.equal(c.pass, false);
    const md = renderMarkdown({ ...r, checks: buildChecks(r) });
    assert.match(md, /\| segment \(1,250,000 B\), 32 conns \| 995 \| 1,000 \|/);
    assert.match(md, /\*\*miss\*\*/);
  });

  it('writes an HTML report with the verdicts and a chart per hit figure', () => {
    const r = results({ throughput: [cell('segment', 'edge', 32, 995, 1), cell('segment', 'nginx', 32, 1000, 1)] });
    const html = renderBenchHtml({ ...r, checks: buildChecks(r) });
    assert.match(html, /<td>miss<\/td>/);
    assert.match(html, /segment: warm hits, req\/s/);
    assert.match(html, /0 of 1 targets passed/);
  });

  it("lists issue 11's targets first, then the other targets, then the figures shown for information", () => {
    const r = results({
      throughput: [cell('segment', 'edge', 32, 1, 1), cell('segment', 'nginx', 32, 1, 1), cell('segment', 'varnish', 32, 1, 1), cell('segment', 'edge-redis', 32, 1, 1)],
    });
    const ranks = buildChecks(r).map((k) => (k.section.startsWith('issue 11') ? 0 : k.pass !== null ? 1 : 2));
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
    assert.equal(ranks[0], 0);
    assert.ok(ranks.includes(1) && ranks.includes(2));
  });
});
