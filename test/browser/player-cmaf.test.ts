// CMAF (fMP4) through a real edge in front of a real origin: hls.js in chromium and ffmpeg both play it without an error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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

/**
 * ffmpeg as a viewer: Debian's (5.1). The static 2018 build shipped in @ffmpeg-installer packages fMP4 correctly and
 * decodes it from files, but its HLS demuxer fails on fMP4 over HTTP from any server ("partial file"; python's
 * http.server too), so it cannot stand for a player.
 */
const FFMPEG_CLIENT = process.env['FFMPEG_CLIENT'] ?? '/usr/bin/ffmpeg';

interface PageQoe {
  startupMs: number | null;
  currentTimeS: number;
  fatalErrors: number;
  nonFatalErrors: number;
  errors: Array<{ type: string; details: string; fatal: boolean }>;
  segments: Array<{ isInit: boolean; sn: number; xCache: string | null }>;
}

describe('CMAF through an edge', { timeout: 180_000 }, () => {
  let tmp: TempDir;
  let origin: OriginApp;
  let originServer: Listening;
  let edge: EdgeApp;
  let edgeServer: Listening;
  const prefix = testPrefix('player-cmaf');
  const originTargets: string[] = [];

  before(async () => {
    tmp = tempDir('edgeline-player-cmaf-');
    const mediaDir = join(tmp.dir, 'media');
    const input = await makeClip({ seconds: 10, width: 640, height: 360 });
    // Two renditions, as the sample has: hls.js may switch between them.
    await packageAsset({ input, id: 'cmaf', mediaDir, ladder: ['360p'], segmentSeconds: 2, ffmpeg: ffmpegPaths, preset: 'veryfast', format: 'cmaf' });
    origin = createOriginApp(originConfig({ mediaDir }), { metrics: createOriginMetrics({ processMetrics: false }) });
    await origin.start();
    originServer = await listen((req, res) => {
      originTargets.push(req.url ?? '');
      origin.app(req, res);
    }, { port: 0 });
    edge = await createEdgeApp(testEdgeConfig({ origin: [originServer.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix }), { loadPlayerAtStartup: true });
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

  it('plays in chromium (hls.js) with no error, fatal or not, and the init segment comes through the edge', async () => {
    const browser = await launchBrowser();
    let qoe: PageQoe;
    const contentTypes = new Map<string, string>();
    try {
      const tab = await browser.newPage();
      tab.on('response', (r) => {
        const u = new URL(r.url());
        if (u.pathname.endsWith('.m4s') || u.pathname.endsWith('.mp4')) contentTypes.set(u.pathname.slice(u.pathname.lastIndexOf('.')), r.headers()['content-type'] ?? '');
      });
      const src = `${edgeServer.url}/vod/cmaf/master.m3u8`;
      await tab.goto(`${edgeServer.url}/player/?src=${encodeURIComponent(src)}&arm=cmaf`);
      await tab.waitForFunction(() => (window.__edgelineQoe?.currentTimeS ?? 0) > 3, undefined, { timeout: 60_000, polling: 250 });
      qoe = (await tab.evaluate(() => window.__edgelineQoe)) as unknown as PageQoe;
    } finally {
      await browser.close();
    }
    assert.ok(qoe.startupMs !== null && qoe.startupMs > 0, `startup measured: ${qoe.startupMs}`);
    assert.equal(qoe.fatalErrors, 0);
    assert.deepEqual(qoe.errors, [], 'hls.js reported nothing (no bufferSeekOverHole: the segments start at 0)');
    assert.ok(qoe.segments.filter((s) => !s.isInit).length >= 2, 'hls.js loaded media segments');
    assert.equal(contentTypes.get('.mp4'), 'video/mp4', 'the browser loaded the init segment from the edge');
    assert.equal(contentTypes.get('.m4s'), 'video/iso.segment');
    assert.ok(originTargets.some((t) => t.endsWith('/init.mp4')), 'the init segment was filled from the origin');
  });

  it('ffmpeg reads the CMAF playlist through the edge and decodes it with no error', async () => {
    const url = `${edgeServer.url}/vod/cmaf/360p/index.m3u8`;
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(FFMPEG_CLIENT, ['-hide_banner', '-nostdin', '-v', 'error', '-i', url, '-f', 'null', '-'], { timeout: 60_000 }, (err, _out, errText) => {
        if (err) return reject(new Error(`ffmpeg failed on ${url}: ${err.message}\n${errText}`));
        resolve(errText);
      });
    });
    assert.equal(stderr.trim(), '', 'ffmpeg -v error printed nothing');
    // Every segment went through the edge (its cache now holds them).
    const text = await (await fetch(`${edgeServer.url}/metrics`)).text();
    assert.match(text, /^hls_edge_viewer_requests_total\{kind="init"[^}]*\} [1-9]/m);
  });
});
