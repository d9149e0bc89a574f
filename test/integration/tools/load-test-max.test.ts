import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { defaultsOf } from '../../../server/core/config.ts';
import { loadTestSpec } from '../../../tools/load-test/options.ts';
import { Progress } from '../../../tools/load-test/progress.ts';
import type { LoadTestReport } from '../../../tools/load-test/report.ts';
import { runLoadTest } from '../../../tools/load-test/run-load-test.ts';
import { cleanupDir } from '../../helpers/redis.ts';
import { startHlsFixture } from '../../helpers/hls-fixture.ts';

const run = promisify(execFile);
const dirs: string[] = [];
after(() => dirs.forEach(cleanupDir));

function outDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edgeline-loadtest-max-'));
  dirs.push(d);
  return d;
}

describe('edgeline loadtest --mode max', () => {
  it('hammers the segments of one rendition over fixed connections and counts every response', async () => {
    const fx = await startHlsFixture({ vodSegments: 8 });
    try {
      const opts = defaultsOf(loadTestSpec, { target: `${fx.url}/vod/a/master.m3u8`, mode: 'max', connections: 8, duration: 2_000, grace: 10_000, out: outDir(), progress: false });
      const { report } = await runLoadTest(opts, new Progress(undefined));
      const counts = fx.counts();
      // Resolving the URL set took one master and one media playlist request, which the report does not count.
      assert.equal(counts.playlist, 2);
      assert.equal(report.totals.requests, counts.segment);
      // The fixture's "high" rendition serves 80,000-byte segments.
      assert.equal(report.totals.bytes, counts.segment * 80_000);
      assert.equal(report.totals.aborted, 0);
      assert.equal(report.totals.errorCount, 0);
      assert.equal(report.max?.urls, 8);
      assert.equal(report.max?.connections, 8);
      // Only the highest rendition, and every one of its segments.
      const segments = [...counts.byPath.keys()].filter((p) => p.endsWith('.ts'));
      assert.equal(segments.length, 8);
      assert.ok(segments.every((p) => p.startsWith('/vod/a/high/')));
      assert.ok(report.totals.requests > 100, `${report.totals.requests} requests in 2 s`);
      assert.equal(report.cache.byXCache['MISS']?.requests, 8);
      assert.equal(report.viewers, null);
    } finally {
      await fx.close();
    }
  });

  it('splits the connections over worker threads and still counts every response', async () => {
    const fx = await startHlsFixture();
    try {
      const opts = defaultsOf(loadTestSpec, { target: `${fx.url}/vod/a/low/index.m3u8`, urls: 'target', mode: 'max', connections: 5, workers: 2, duration: 1_500, grace: 10_000, out: outDir(), progress: false });
      const { report } = await runLoadTest(opts, new Progress(undefined));
      const counts = fx.counts();
      assert.equal(report.max?.workers, 2);
      assert.equal(report.max?.urls, 1);
      assert.equal(report.totals.requests, counts.total);
      assert.equal(report.cache.byKind['playlist']?.requests, counts.playlist);
      assert.equal(report.latencyMs.all.count, counts.total);
      assert.equal(report.cache.byXCache['HIT']?.requests, counts.byXCache['HIT']);
      assert.ok(report.timeline.length >= 1 && report.timeline.every((p) => p.requestsPerS > 0));
    } finally {
      await fx.close();
    }
  });

  it('runs from the command line against one URL and writes the report', async () => {
    const fx = await startHlsFixture();
    try {
      const out = outDir();
      const { stdout } = await run(process.execPath, ['bin/edgeline.js', 'loadtest', '--mode', 'max', '--target', `${fx.url}/bytes/550`, '--connections', '4', '--duration', '1500ms', '--grace', '10s', '--out', out, '--no-progress'], {
        env: { ...process.env, LOG_LEVEL: 'silent' },
      });
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as LoadTestReport;
      const counts = fx.counts();
      assert.equal(report.totals.requests, counts.total);
      assert.equal(report.totals.bytes, counts.total * 550);
      assert.equal(report.cache.byKind['segment']?.requests, counts.total);
      assert.match(stdout, /edgeline loadtest \(max\)/);
      assert.match(stdout, /report\.html/);
      assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /Throughput/);
    } finally {
      await fx.close();
    }
  });
});
