// `edgeline loadtest --arms prefetch,no-prefetch` end to end: the built origin, WAN proxy and edges as child processes,
// real Redis, a packaged clip; each arm runs against its own cold edge, and only the prefetch arm's edge prefetches.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteKeysWithPrefix } from '../../../server/cli/local-probes.ts';
import { defaultsOf } from '../../../server/core/config.ts';
import type { LoadTestArmsReport } from '../../../tools/load-test/arms.ts';
import { loadTestSpec } from '../../../tools/load-test/options.ts';
import { Progress } from '../../../tools/load-test/progress.ts';
import { runLoadTestArms } from '../../../tools/load-test/run-load-test.ts';
import { cleanupDir, SHARED_REDIS_URL } from '../../helpers/redis.ts';
import { packageClip, tempDir, type TempDir } from '../origin-fixture.ts';

describe('edgeline loadtest --arms prefetch,no-prefetch', { timeout: 180_000 }, () => {
  let tmp: TempDir;
  let mediaDir: string;
  const outDir = mkdtempSync(join(tmpdir(), 'edgeline-loadtest-arms-'));

  before(async () => {
    tmp = tempDir('edgeline-loadtest-arms-media-');
    mediaDir = join(tmp.dir, 'media');
    // 20 s in 2 s segments: more segments than a 10 s run plays, so there is always a next one to fetch ahead.
    await packageClip(mediaDir, 'clip', 20);
  });

  after(() => {
    tmp?.cleanup();
    cleanupDir(outDir);
  });

  it('runs each arm against its own cold edge, and only the prefetch arm\'s edge prefetches', async () => {
    const opts = defaultsOf(loadTestSpec, {
      arms: ['prefetch', 'no-prefetch'],
      // Only the path counts: each arm's viewers ask their own edge for it.
      target: 'http://127.0.0.1:9/vod/clip/master.m3u8',
      media: mediaDir,
      redis: SHARED_REDIS_URL,
      viewers: 5,
      ramp: 1_000,
      duration: 10_000,
      grace: 5_000,
      out: outDir,
      progress: false,
    });
    const { report, files } = await runLoadTestArms(opts, new Progress(undefined));

    assert.deepEqual(report.arms.map((a) => a.name), ['prefetch', 'no-prefetch'], 'both arms ran, in the order given');
    const [withPrefetch, without] = report.arms;
    assert.ok(withPrefetch && without);
    // Their own edges: other ports, other Redis prefixes, each started at zero and filled from the origin.
    assert.notEqual(withPrefetch.edge.url, without.edge.url);
    assert.ok(withPrefetch.edge.redisPrefix && without.edge.redisPrefix);
    assert.notEqual(withPrefetch.edge.redisPrefix, without.edge.redisPrefix);
    for (const arm of report.arms) {
      assert.equal(arm.summary.viewers, 5, `${arm.name}: every viewer started`);
      assert.equal(arm.summary.errors, 0, `${arm.name}: no errors`);
      assert.ok((arm.report.cache.byXCache['MISS']?.requests ?? 0) > 0, `${arm.name}: a cold edge misses`);
      assert.ok(arm.edgeCounters.originFetches > 0, `${arm.name}: its edge fetched from the origin`);
      assert.ok(arm.summary.segmentTtfbMs.count > 0, `${arm.name}: segment TTFB measured`);
      assert.ok((arm.summary.originRequests ?? 0) > 0, `${arm.name}: the origin counted its requests`);
      // Stopped, and its keys gone: the next arm, and the next run, start cold.
      await assert.rejects(fetch(`${arm.edge.url}/healthz`), `${arm.name}: its edge was stopped`);
      assert.equal(await deleteKeysWithPrefix(SHARED_REDIS_URL, arm.edge.redisPrefix ?? ''), 0, `${arm.name}: its Redis keys were deleted`);
    }
    assert.equal(withPrefetch.edge.prefetchSegments, 2);
    assert.ok(withPrefetch.edgeCounters.prefetched > 0, 'the prefetch arm\'s edge fetched segments ahead');
    assert.ok(withPrefetch.edgeCounters.prefetchHits > 0, 'and viewers were served what it fetched ahead');
    assert.equal(without.edge.prefetchSegments, 0);
    assert.equal(without.edgeCounters.prefetched, 0, 'the no-prefetch arm\'s edge fetched nothing ahead');
    assert.equal(without.edgeCounters.prefetchHits, 0);

    const json = JSON.parse(readFileSync(files.json, 'utf8')) as LoadTestArmsReport;
    assert.equal(json.mode, 'arms');
    assert.deepEqual(json.arms.map((a) => a.edgeCounters.prefetched), [withPrefetch.edgeCounters.prefetched, 0]);
    const html = readFileSync(files.html, 'utf8');
    assert.match(html, /Arms side by side/);
    assert.match(html, /<th>prefetch<\/th><th>no-prefetch<\/th>/);
    assert.ok(existsSync(join(outDir, 'logs', 'edge-prefetch.log')) && existsSync(join(outDir, 'logs', 'edge-no-prefetch.log')), 'each edge kept its own log');
  });
});
