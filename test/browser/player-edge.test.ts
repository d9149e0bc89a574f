// The player in chromium through a real edge (real Redis) in front of a real origin: plays, beacons, hits, CMCD counted.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { packageAsset } from '../../server/origin/packaging/packager.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { tempDir, type TempDir } from '../integration/origin-fixture.ts';

interface PageSegment {
  isInit: boolean;
  sn: number;
  xCache: string | null;
  bytes: number;
}

interface PageQoe {
  sessionId: string;
  startupMs: number | null;
  currentTimeS: number;
  fatalErrors: number;
  segments: PageSegment[];
}

interface StoredSession {
  sessionId: string;
  finalizedBy: string | null;
  cacheArm: string;
  beacons: number;
  metrics: { startupMs: number | null; fatalErrors: number };
  segments: Array<{ isInit: boolean; sn: number; xCache: string | null }>;
}

/** Sum of every sample of one metric in Prometheus text. */
function metricSum(text: string, name: string, labelFilter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labelFilter !== '' && !line.includes(labelFilter)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('player through a real edge', { timeout: 180_000 }, () => {
  let tmp: TempDir;
  let origin: OriginApp;
  let originServer: Listening;
  let edge: EdgeApp;
  let edgeServer: Listening;
  const prefix = testPrefix('player-edge');
  /** Every request target the origin received: CMCD must never be among them. */
  const originTargets: string[] = [];

  before(async () => {
    tmp = tempDir('edgeline-player-edge-');
    const mediaDir = join(tmp.dir, 'media');
    // One rendition, so the second session asks for exactly the segments the first one stored.
    const input = await makeClip({ seconds: 10, width: 320, height: 240 });
    await packageAsset({ input, id: 'clip', mediaDir, ladder: ['240p'], segmentSeconds: 2, ffmpeg: ffmpegPaths, preset: 'ultrafast' });
    origin = createOriginApp(originConfig({ mediaDir }), { metrics: createOriginMetrics({ processMetrics: false }) });
    await origin.start();
    originServer = await listen((req, res) => {
      originTargets.push(req.url ?? '');
      origin.app(req, res);
    }, { port: 0 });
    edge = await createEdgeApp(testEdgeConfig({ origin: [originServer.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, adminToken: 'player-edge-token' }), { loadPlayerAtStartup: true });
    edgeServer = await listen(edge, { port: 0 });
  });

  after(async () => {
    await edgeServer?.close();
    await edge?.close();
    await originServer?.close();
    await origin?.close();
    await prefix.cleanup();
    tmp?.cleanup();
  });

  /** One session in a fresh browser (its own profile, so nothing comes from chromium's HTTP cache). */
  async function playSession(arm: string): Promise<{ live: PageQoe; stored: StoredSession }> {
    const browser = await launchBrowser();
    try {
      const tab = await browser.newPage();
      const src = `${edgeServer.url}/vod/clip/master.m3u8`;
      await tab.goto(`${edgeServer.url}/player/?src=${encodeURIComponent(src)}&arm=${arm}&beaconMs=1000`);
      await tab.waitForFunction(() => (window.__edgelineQoe?.currentTimeS ?? 0) > 3, undefined, { timeout: 60_000, polling: 250 });
      const live = (await tab.evaluate(() => window.__edgelineQoe)) as unknown as PageQoe;
      assert.equal(await tab.evaluate(() => window.__edgelineQoeFinish?.()), true, 'the edge accepted the final beacon');
      const res = await fetch(`${edgeServer.url}/qoe/sessions/${live.sessionId}`, { headers: { Authorization: 'Bearer player-edge-token' } });
      assert.equal(res.status, 200, 'the edge kept the session');
      return { live, stored: (await res.json()) as StoredSession };
    } finally {
      await browser.close();
    }
  }

  it('plays from the edge, beacons to the edge, and a second session is served from the cache', async () => {
    const before = await (await fetch(`${edgeServer.url}/metrics`)).text();
    assert.equal(metricSum(before, 'hls_edge_cmcd_requests_total'), 0);

    const first = await playSession('cold');
    assert.ok(first.live.currentTimeS > 3, 'the playhead advanced');
    assert.ok(first.stored.metrics.startupMs !== null && first.stored.metrics.startupMs > 0, `startup time in the beacon: ${first.stored.metrics.startupMs}`);
    assert.equal(first.stored.metrics.fatalErrors, 0);
    assert.equal(first.stored.finalizedBy, 'final');
    assert.equal(first.stored.cacheArm, 'edge', 'segments carried X-Cache, so the receiver files it under the edge arm');
    const firstMedia = first.stored.segments.filter((s) => !s.isInit);
    assert.ok(firstMedia.length >= 2, `segment records arrived, got ${firstMedia.length}`);
    assert.ok(firstMedia.every((s) => s.xCache === 'MISS' || s.xCache === 'HIT'), `every segment record carries X-Cache: ${firstMedia.map((s) => s.xCache).join(',')}`);
    assert.ok(firstMedia.some((s) => s.xCache === 'MISS'), 'a cold edge misses');

    const second = await playSession('warm');
    assert.equal(second.stored.metrics.fatalErrors, 0);
    assert.ok(second.stored.metrics.startupMs !== null);
    const seenBefore = new Set(firstMedia.map((s) => s.sn));
    const again = second.stored.segments.filter((s) => !s.isInit && seenBefore.has(s.sn));
    assert.ok(again.length >= 2, `the second session loaded segments the first one stored, got ${again.length}`);
    assert.deepEqual(again.map((s) => s.xCache), again.map(() => 'HIT'), 'what the first session fetched, the second gets as HITs');

    // Each segment reached the origin once, and none of the origin's requests carried CMCD.
    const segmentTargets = originTargets.filter((t) => t.endsWith('.ts'));
    assert.equal(new Set(segmentTargets).size, segmentTargets.length, `one origin fetch per segment: ${segmentTargets.join(' ')}`);
    assert.deepEqual(originTargets.filter((t) => t.includes('CMCD')), []);

    // hls.js sent CMCD with every request; the edge counted it.
    const text = await (await fetch(`${edgeServer.url}/metrics`)).text();
    const segmentRecords = first.stored.segments.length + second.stored.segments.length;
    const cmcdRequests = metricSum(text, 'hls_edge_cmcd_requests_total');
    assert.ok(cmcdRequests >= segmentRecords, `CMCD counted on ${cmcdRequests} requests, at least the ${segmentRecords} segments`);
    assert.ok(metricSum(text, 'hls_edge_cmcd_requests_total', 'object_type="m"') >= 2, 'playlist requests report ot=m');
    assert.ok(metricSum(text, 'hls_edge_cmcd_buffer_length_seconds_count') > 0, 'buffer lengths observed');
    assert.ok(metricSum(text, 'hls_edge_cmcd_measured_throughput_kbps_count') > 0, 'measured throughput observed');
    assert.ok(metricSum(text, 'hls_edge_cmcd_startup_requests_total') >= 2, 'each session flagged its startup requests (su)');
    assert.equal(metricSum(text, 'hls_edge_qoe_startup_seconds_count', 'arm="edge"'), 2, 'both sessions counted as edge sessions');
  });
});
