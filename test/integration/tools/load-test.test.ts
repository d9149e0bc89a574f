import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultsOf } from '../../../server/core/config.ts';
import { isAppError } from '../../../server/core/errors.ts';
import { loadTestSpec, type LoadTestOptions } from '../../../tools/load-test/options.ts';
import { Progress } from '../../../tools/load-test/progress.ts';
import type { LoadTestReport } from '../../../tools/load-test/report.ts';
import { runLoadTest } from '../../../tools/load-test/run-load-test.ts';
import { cleanupDir } from '../../helpers/redis.ts';
import { startHlsFixture } from '../../helpers/hls-fixture.ts';

const dirs: string[] = [];
after(() => dirs.forEach(cleanupDir));

function options(over: Partial<LoadTestOptions>): LoadTestOptions {
  const out = mkdtempSync(join(tmpdir(), 'edgeline-loadtest-'));
  dirs.push(out);
  // A long grace period: nothing is cut off, so every request the fixture answered is one the report counted.
  return defaultsOf(loadTestSpec, { viewers: 4, ramp: 400, duration: 2_500, grace: 10_000, out, progress: false, ...over });
}

function sumTally(r: LoadTestReport, key: 'byXCache' | 'byKind'): number {
  return Object.values(r.cache[key]).reduce((n, t) => n + t.requests, 0);
}

describe('edgeline loadtest against a counting HLS server', () => {
  it('VOD viewers: the report counts exactly what the server answered, and both report files are written', async () => {
    const fx = await startHlsFixture({ vodSegments: 6 });
    try {
      const opts = options({ target: `${fx.url}/vod/a/master.m3u8`, origin: fx.url });
      const { report, files } = await runLoadTest(opts, new Progress(undefined));
      const counts = fx.counts();
      assert.equal(report.totals.aborted, 0);
      assert.equal(report.totals.requests, counts.total);
      assert.equal(report.cache.byKind['playlist']?.requests, counts.playlist);
      assert.equal(report.cache.byKind['segment']?.requests, counts.segment);
      assert.equal(report.totals.bytes, counts.bytes);
      assert.equal(report.cache.byXCache['HIT']?.requests, counts.byXCache['HIT']);
      assert.equal(report.cache.byXCache['MISS']?.requests, counts.byXCache['MISS']);
      assert.equal(sumTally(report, 'byXCache'), counts.total);
      assert.equal(report.latencyMs.all.count, counts.total);
      assert.equal(report.cache.requestHitRatio, (counts.byXCache['HIT'] ?? 0) / counts.total);
      assert.equal(report.totals.errorCount, 0);
      // The fixture's /metrics counts what it answered, as an origin's would: nothing was offloaded.
      assert.equal(report.origin?.requests, counts.total);
      assert.equal(report.origin?.offload, 0);

      const v = report.viewers;
      assert.ok(v);
      assert.equal(v.started, 4);
      assert.equal(v.failed, 0);
      assert.equal(v.neverStarted, 0);
      assert.equal(v.startupMs.count, 4);
      assert.equal(v.stalls, 0);
      assert.ok(v.loops > 0, 'a 12 s VOD with a 30 s buffer loops');
      assert.ok(report.timeline.length >= 2);
      assert.ok(report.timeline.some((p) => p.activeViewers === 4));

      const json = JSON.parse(readFileSync(files.json, 'utf8')) as LoadTestReport;
      assert.deepEqual(json, JSON.parse(JSON.stringify(report)));
      const html = readFileSync(files.html, 'utf8');
      assert.match(html, /^<!doctype html>/);
      assert.match(html, /Chart\.js v4/);
      assert.ok(html.includes('Active viewers') && html.includes('Latency percentiles'));
    } finally {
      await fx.close();
    }
  });

  it('live viewers follow the sliding window and reload the media playlist', async () => {
    const fx = await startHlsFixture({ segmentDurationS: 1, liveWindow: 6 });
    try {
      const { report } = await runLoadTest(options({ target: `${fx.url}/live/ch/master.m3u8`, rendition: 'lowest', startupBuffer: 1_000 }), new Progress(undefined));
      const counts = fx.counts();
      assert.equal(report.totals.requests, counts.total);
      assert.equal(report.totals.errorCount, 0);
      // 4 master + 4 first media loads, then one reload per viewer about every second.
      assert.ok(counts.playlist >= 8 + 4, `${counts.playlist} playlist requests`);
      const segmentPaths = [...counts.byPath.keys()].filter((p) => p.endsWith('.ts'));
      assert.ok(segmentPaths.every((p) => p.startsWith('/live/ch/low/')), 'lowest rendition only');
      // The window starts at 0..5 and 3 target durations back is 3: no viewer asked for anything older.
      assert.ok(segmentPaths.every((p) => Number(/seg-(\d+)/.exec(p)?.[1]) >= 3), segmentPaths.join(' '));
      assert.equal(report.viewers?.stalls, 0);
    } finally {
      await fx.close();
    }
  });

  it('a server slower than real time makes viewers stall; a timeout and a 404 are counted by kind', async () => {
    // 1 s segments that take 1.3 s each: playback starts after one segment and then runs dry before the next.
    const fx = await startHlsFixture({ segmentDurationS: 1, vodSegments: 20, delayMs: (p) => (p.endsWith('.ts') ? 1_300 : 0) });
    try {
      const { report } = await runLoadTest(options({ target: `${fx.url}/vod/a/master.m3u8`, viewers: 2, ramp: 0, duration: 3_200, rendition: 'lowest', startupBuffer: 1_000 }), new Progress(undefined));
      assert.equal(report.totals.requests, fx.counts().total);
      assert.ok((report.viewers?.stalls ?? 0) >= 2, `stalls ${report.viewers?.stalls}`);
      assert.ok((report.viewers?.rebufferingRatio ?? 0) > 0);

      const timedOut = await runLoadTest(options({ target: `${fx.url}/vod/a/master.m3u8`, viewers: 1, ramp: 0, duration: 1_500, timeout: 300, rendition: 'lowest' }), new Progress(undefined));
      assert.ok(timedOut.report.totals.errors.timeout >= 1, JSON.stringify(timedOut.report.totals.errors));

      const missing = await runLoadTest(options({ target: `${fx.url}/vod/a/nope/index.m3u8`, viewers: 1, ramp: 0, duration: 1_200 }), new Progress(undefined));
      assert.ok(missing.report.totals.errors['4xx'] >= 1);
      assert.equal(missing.report.totals.errors['4xx'], missing.report.totals.requests);
      assert.equal(missing.report.viewers?.neverStarted, 1);
    } finally {
      await fx.close();
    }
  });

  it('counts connection errors when nothing listens', async () => {
    const fx = await startHlsFixture();
    const url = fx.url;
    await fx.close();
    const { report } = await runLoadTest(options({ target: `${url}/vod/a/master.m3u8`, viewers: 1, ramp: 0, duration: 1_200 }), new Progress(undefined));
    assert.ok(report.totals.errors.connect >= 1);
    assert.equal(report.totals.requests, 0);
    // An --origin whose /metrics cannot be read fails before any load is sent.
    await assert.rejects(runLoadTest(options({ target: `${url}/vod/a/master.m3u8`, origin: url }), new Progress(undefined)), (err: unknown) => isAppError(err) && err.code === 'LOADTEST_ORIGIN_METRICS');
  });
});
