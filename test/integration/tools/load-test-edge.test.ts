// `edgeline loadtest` through a real edge (real Redis) in front of a real origin: its report agrees with both /metrics.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultsOf } from '../../../server/core/config.ts';
import { listen, type Listening } from '../../../server/core/listen.ts';
import { createOriginMetrics } from '../../../server/origin/origin-metrics.ts';
import { loadTestSpec } from '../../../tools/load-test/options.ts';
import { Progress } from '../../../tools/load-test/progress.ts';
import { runLoadTest } from '../../../tools/load-test/run-load-test.ts';
import { createEdgeApp, type EdgeApp } from '../../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../../server/edge/edge-config.ts';
import { createOriginApp, type OriginApp } from '../../../server/origin/origin-app.ts';
import { originConfig } from '../../../server/origin/origin-config.ts';
import { cleanupDir, SHARED_REDIS_URL, testPrefix } from '../../helpers/redis.ts';
import { packageClip, tempDir, type TempDir } from '../origin-fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** Every sample of the hls_edge_* counters in one scrape, keyed by metric name and labels (role label dropped). */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(hls_edge_[a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '').split(',').filter((l) => l !== '' && !l.startsWith('role=')).join(',');
    samples.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return samples;
}

/** after − before, summed over the samples of `name` whose labels contain every one of `labels`. */
function delta(before: Map<string, number>, after: Map<string, number>, name: string, ...labels: string[]): number {
  let total = 0;
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}{`) || !labels.every((l) => key.includes(l))) continue;
    total += value - (before.get(key) ?? 0);
  }
  return total;
}

describe('edgeline loadtest through a real edge', { timeout: 120_000 }, () => {
  let tmp: TempDir;
  let origin: OriginApp;
  let originServer: Listening;
  let edge: EdgeApp;
  let edgeServer: Listening;
  const prefix = testPrefix('loadtest-edge');
  const outDir = mkdtempSync(join(tmpdir(), 'edgeline-loadtest-edge-'));

  before(async () => {
    tmp = tempDir('edgeline-loadtest-edge-media-');
    const mediaDir = join(tmp.dir, 'media');
    await packageClip(mediaDir, 'clip', 6);
    origin = createOriginApp(originConfig({ mediaDir }), { metrics: createOriginMetrics({ processMetrics: false }) });
    await origin.start();
    originServer = await listen(origin.app, { port: 0 });
    // Prefetch off: every origin fetch below is a viewer's miss, so the tool's accounting can be checked exactly.
    edge = await createEdgeApp(testEdgeConfig({ origin: [originServer.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, prefetchSegments: 0 }));
    edgeServer = await listen(edge, { port: 0 });
  });

  after(async () => {
    await edgeServer?.close();
    await edge?.close();
    await originServer?.close();
    await origin?.close();
    await prefix.cleanup();
    tmp?.cleanup();
    cleanupDir(outDir);
  });

  it("counts what the edge counted: requests by kind, HIT/MISS, bytes, and the origin's share", async () => {
    const before = await scrape(edgeServer.url);
    // A long grace period: nothing is cut off, so every request the edge answered is one the report counted.
    const opts = defaultsOf(loadTestSpec, {
      target: `${edgeServer.url}/vod/clip/master.m3u8`,
      origin: originServer.url,
      viewers: 4,
      ramp: 500,
      duration: 3_000,
      grace: 10_000,
      out: outDir,
      progress: false,
    });
    const { report } = await runLoadTest(opts, new Progress(undefined));
    assert.equal(report.totals.aborted, 0);
    assert.equal(report.totals.errorCount, 0, JSON.stringify(report.totals.errors));
    assert.equal(report.viewers?.started, 4);
    const requests = report.totals.requests;
    assert.ok(requests >= 4 * 3, `each viewer fetched playlists and segments: ${requests} requests`);

    // The edge counts a request once its response is handed over; wait for the last one to be counted.
    const after = await waitFor('the edge to count every request the load test made', async () => {
      const scraped = await scrape(edgeServer.url);
      return delta(before, scraped, 'hls_edge_cache_requests_total') >= requests && scraped;
    }, { timeoutMs: 5_000, intervalMs: 100 });
    const d = (name: string, ...labels: string[]): number => delta(before, after, name, ...labels);

    assert.equal(d('hls_edge_cache_requests_total'), requests, 'every request the tool made, and no other');
    assert.equal(d('hls_edge_viewer_requests_total'), requests);
    const playlists = d('hls_edge_viewer_requests_total', 'kind="master"') + d('hls_edge_viewer_requests_total', 'kind="media"');
    const segments = d('hls_edge_viewer_requests_total', 'kind="segment"') + d('hls_edge_viewer_requests_total', 'kind="init"');
    assert.equal(report.cache.byKind['playlist']?.requests, playlists, 'playlist requests');
    assert.equal(report.cache.byKind['segment']?.requests, segments, 'segment requests');
    assert.equal(d('hls_edge_viewer_requests_total', 'kind="master"'), 4, 'one master playlist per viewer');

    const hits = d('hls_edge_cache_requests_total', 'outcome="hit"');
    const misses = d('hls_edge_cache_requests_total', 'outcome="miss"');
    assert.equal(hits + misses, requests, 'a short VOD run sees only hits and misses');
    assert.equal(report.cache.byXCache['HIT']?.requests ?? 0, hits, 'HIT');
    assert.equal(report.cache.byXCache['MISS']?.requests ?? 0, misses, 'MISS');
    assert.ok(hits > misses, `viewers of one clip mostly hit: ${hits} hits, ${misses} misses`);
    assert.equal(report.cache.requestHitRatio, hits / requests);
    assert.equal(report.totals.bytes, d('hls_edge_cache_bytes_total'), 'body bytes');

    // Each miss either fetched from the origin or waited for a fetch already under way (collapsed).
    const originFetches = d('hls_edge_origin_fetches_total', 'upstream="origin"');
    assert.equal(misses, originFetches + d('hls_edge_collapsed_waiters_total'));
    // Offload from the origin's own /metrics: it saw exactly the edge's fetches.
    assert.ok(report.origin, 'origin offload measured');
    assert.equal(report.origin.requests, originFetches);
    assert.equal(report.origin.offload, 1 - originFetches / requests);
    // The master playlist, the media playlist and each of its segments: each fetched once.
    const master = await (await fetch(`${originServer.url}/vod/clip/master.m3u8`)).text();
    const mediaPath = master.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
    const media = await (await fetch(`${originServer.url}/vod/clip/${mediaPath}`)).text();
    const segmentCount = media.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
    assert.ok(segmentCount >= 2);
    assert.equal(originFetches, 2 + segmentCount);
  });
});
