import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadStats, hitRatios, newHistogram, summarize } from '../../../../tools/load-test/load-stats.ts';
import { mergeIntervals, statsFromWire, statsToWire, takeWireInterval } from '../../../../tools/load-test/stats-wire.ts';

describe('summarize', () => {
  it('gives percentiles in milliseconds from microsecond samples', () => {
    const h = newHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.recordValue(ms * 1000);
    const s = summarize(h);
    assert.equal(s.count, 1000);
    // HdrHistogram keeps 3 significant digits: values are exact to within 0.1 %.
    const near = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) <= expected * 0.001 + 0.001, `${actual} vs ${expected}`);
    near(s.p50, 500);
    near(s.p90, 900);
    near(s.p99, 990);
    near(s.p99_9, 999);
    near(s.max, 1000);
    near(s.mean, 500.5);
  });

  it('is all zeros for an empty histogram', () => {
    assert.deepEqual(summarize(newHistogram()), { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0 });
  });

  it('sees a single slow outlier only at the top percentiles', () => {
    const h = newHistogram();
    for (let i = 0; i < 999; i++) h.recordValue(1_000);
    h.recordValue(2_000_000);
    const s = summarize(h);
    assert.equal(s.p99, 1);
    assert.ok(s.p99_9 <= 1.001);
    assert.ok(Math.abs(s.max - 2000) < 2);
  });
});

describe('hit ratio', () => {
  it('counts HIT, STALE and REVALIDATED as hits, by requests and by bytes, ignoring responses without X-Cache', () => {
    const r = hitRatios(
      new Map([
        ['HIT', { requests: 6, bytes: 600 }],
        ['STALE', { requests: 1, bytes: 100 }],
        ['REVALIDATED', { requests: 1, bytes: 100 }],
        ['MISS', { requests: 1, bytes: 1_000 }],
        ['BYPASS', { requests: 1, bytes: 200 }],
        ['none', { requests: 50, bytes: 50_000 }],
      ]),
    );
    assert.equal(r.requests, 0.8);
    assert.equal(r.bytes, 0.4);
  });

  it('is null when no response carried X-Cache', () => {
    assert.deepEqual(hitRatios(new Map([['none', { requests: 3, bytes: 3 }]])), { requests: null, bytes: null });
  });
});

describe('LoadStats', () => {
  it('splits counts by kind and X-Cache, counts 4xx/5xx as errors, and reports intervals', () => {
    const s = new LoadStats();
    s.recordResponse('playlist', 200, 100, 1_000, 'MISS');
    s.recordResponse('segment', 200, 10_000, 5_000, 'hit');
    s.recordResponse('segment', 404, 20, 800, undefined);
    s.recordResponse('segment', 503, 20, 900, 'ERROR');
    s.recordError('connect');
    const first = s.takeInterval();
    assert.equal(first.requests, 4);
    assert.equal(first.bytes, 10_140);
    assert.equal(first.errors, 3);
    assert.equal(first.hits, 1);
    assert.equal(first.withXCache, 3);
    assert.deepEqual(s.errors, { connect: 1, timeout: 0, '4xx': 1, '5xx': 1, other: 0 });
    assert.deepEqual(s.kindTally.get('segment'), { requests: 3, bytes: 10_040 });
    assert.deepEqual(s.xCacheTally.get('HIT'), { requests: 1, bytes: 10_000 });
    assert.deepEqual(s.xCacheTally.get('none'), { requests: 1, bytes: 20 });
    assert.equal(s.statusClasses.get('2xx'), 2);
    s.recordResponse('segment', 200, 5, 100, 'HIT');
    const second = s.takeInterval();
    assert.equal(second.requests, 1);
    assert.equal(second.latency.count, 1);
    assert.equal(s.all.totalCount, 5);
  });

  it('merges another collector', () => {
    const a = new LoadStats();
    const b = new LoadStats();
    a.recordResponse('segment', 200, 10, 1_000, 'HIT');
    b.recordResponse('segment', 200, 20, 2_000, 'MISS');
    b.recordError('timeout');
    a.merge(b);
    assert.equal(a.responses, 2);
    assert.equal(a.bytes, 30);
    assert.equal(a.all.totalCount, 2);
    assert.equal(a.errors.timeout, 1);
    assert.deepEqual(hitRatios(a.xCacheTally), { requests: 0.5, bytes: 10 / 30 });
  });

  it('crosses a thread boundary intact (structured clone of the wire form)', () => {
    const a = new LoadStats();
    for (let i = 1; i <= 100; i++) a.recordResponse(i % 2 ? 'segment' : 'playlist', i === 100 ? 503 : 200, i, i * 1000, i % 3 ? 'HIT' : 'MISS');
    a.recordError('other');
    a.aborted = 2;
    const b = statsFromWire(structuredClone(statsToWire(a)));
    assert.equal(b.responses, 100);
    assert.equal(b.bytes, 5050);
    assert.equal(b.aborted, 2);
    assert.deepEqual(b.errors, a.errors);
    // Percentiles survive exactly; the exact max becomes its bucket's top (within HdrHistogram's 0.1 %).
    const { max: maxB, ...restB } = summarize(b.all);
    const { max: maxA, ...restA } = summarize(a.all);
    assert.deepEqual(restB, restA);
    assert.ok(Math.abs(maxB - maxA) <= maxA * 0.001, `${maxB} vs ${maxA}`);
    assert.equal(summarize(b.byKind.get('segment') ?? newHistogram()).p90, summarize(a.byKind.get('segment') ?? newHistogram()).p90);
    assert.deepEqual([...b.xCacheTally], [...a.xCacheTally]);
    assert.deepEqual([...b.statusClasses], [...a.statusClasses]);
    assert.deepEqual(hitRatios(b.xCacheTally), hitRatios(a.xCacheTally));
  });

  it('merges the intervals of several threads into one', () => {
    const a = new LoadStats();
    const b = new LoadStats();
    for (let i = 1; i <= 50; i++) a.recordResponse('segment', 200, 10, i * 1000, 'HIT');
    for (let i = 51; i <= 100; i++) b.recordResponse('segment', 200, 10, i * 1000, 'MISS');
    const merged = mergeIntervals([structuredClone(takeWireInterval(a)), structuredClone(takeWireInterval(b))]);
    assert.equal(merged.requests, 100);
    assert.equal(merged.hits, 50);
    assert.equal(merged.withXCache, 100);
    assert.equal(merged.latency.count, 100);
    assert.ok(Math.abs(merged.latency.p50 - 50) < 0.1 && Math.abs(merged.latency.max - 100) < 0.1, JSON.stringify(merged.latency));
    assert.equal(takeWireInterval(a).requests, 0, 'taking an interval starts a new one');
  });
});
