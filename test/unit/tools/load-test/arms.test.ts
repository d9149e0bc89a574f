import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../../server/core/config.ts';
import { armPrefetchSegments, srcPathOf } from '../../../../tools/load-test/arms.ts';
import { loadTestSpec } from '../../../../tools/load-test/options.ts';

describe('loadtest --arms', () => {
  it('takes arms by name, in order, and refuses unknown ones', () => {
    assert.deepEqual(loadConfig(loadTestSpec, {}, ['--arms', 'no-prefetch,prefetch']).values.arms, ['no-prefetch', 'prefetch']);
    assert.deepEqual(loadConfig(loadTestSpec, { LOADTEST_ARMS: 'prefetch' }, []).values.arms, ['prefetch']);
    assert.deepEqual(loadConfig(loadTestSpec, {}, []).values.arms, [], 'no arms: a plain run against --target');
    assert.throws(() => loadConfig(loadTestSpec, {}, ['--arms', 'prefetch,warm']), /expected arms from prefetch, no-prefetch, got "warm"/);
  });

  it('the prefetch arm fetches k segments ahead, the other none', () => {
    assert.equal(armPrefetchSegments('prefetch', 3), 3);
    assert.equal(armPrefetchSegments('no-prefetch', 3), 0);
  });

  it('each arm asks its own edge for the path and query of --target', () => {
    assert.equal(srcPathOf('http://127.0.0.1:8081/vod/sample/master.m3u8'), '/vod/sample/master.m3u8');
    assert.equal(srcPathOf('http://localhost:1/vod/a/master.m3u8?token=x'), '/vod/a/master.m3u8?token=x');
  });
});

describe('the arms report', () => {
  it('puts the arms side by side, one column each, in the order they ran', async () => {
    const { armRows, renderArmsSummary } = await import('../../../../tools/load-test/arms-report.ts');
    const summary = (stalls: number, ttfbP99: number) => ({
      viewers: 200, stalls, viewersWithStalls: stalls, stallS: stalls, rebufferingRatio: 0, startupMs: { p50: 300, p99: 900 },
      segmentTtfbMs: { p50: 5, p90: 50, p99: ttfbP99, count: 10 }, segmentMs: { p50: 6, p99: 700 }, errors: 0, requestHitRatio: 0.9, originRequests: 20,
    });
    const arm = (name: 'prefetch' | 'no-prefetch', k: number, stalls: number, ttfbP99: number, prefetched: number) => ({
      name,
      edge: { url: 'http://127.0.0.1:1', prefetchSegments: k, memoryMb: 256, redisPrefix: null },
      edgeCounters: { prefetched, prefetchHits: prefetched, originFetches: 20 },
      summary: summary(stalls, ttfbP99),
      report: { toolLoad: null, timeline: [] } as never,
    });
    const arms = [arm('prefetch', 2, 1, 400, 16), arm('no-prefetch', 0, 3, 900, 0)];
    const rows = armRows(arms);
    const byLabel = new Map(rows.map((r) => [r[0], r.slice(1)]));
    assert.deepEqual(byLabel.get('stalls'), [1, 3]);
    assert.deepEqual(byLabel.get('segment TTFB p99 ms'), [400, 900]);
    assert.deepEqual(byLabel.get('edge: prefetched'), [16, 0]);
    assert.deepEqual(byLabel.get('edge prefetch (segments ahead)'), [2, 0]);
    const text = renderArmsSummary({
      tool: 'edgeline loadtest', reportVersion: 1, mode: 'arms', src: '/vod/sample/master.m3u8', startedAt: '', finishedAt: '',
      conditions: { viewers: 200, rampMs: 10_000, durationMs: 60_000, rendition: 'auto', wan: { rttMs: 150, bandwidthMbps: 20, jitterMs: 0, description: '' }, origin: '', edges: '', redis: '', machine: { cores: 2, loadAverage: { start: 1, end: 2 } } },
      arms,
      notes: [],
    });
    assert.match(text, /prefetch\s+no-prefetch/);
    assert.match(text, /segment TTFB p99 ms\s+400\s+900/);
  });
});
