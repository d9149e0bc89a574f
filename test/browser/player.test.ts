// The player in real chromium: plays a small clip through a real edge on another origin, records each segment's X-Cache as the edge sent it, and beacons to /qoe.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import express from 'express';
import { createApp, finishApp } from '../../server/core/http.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { rootLogger } from '../../server/core/log.ts';
import { createHttpMetrics } from '../../server/core/metrics.ts';
import { PLAYER_CSP, createPlayerRouter } from '../../server/core/player-routes.ts';
import { cmcdQueryParam, parseCmcdString } from '../../server/edge/cmcd.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createQoeRouter, type QoeRouter } from '../../server/core/qoe/qoe-routes.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { ffmpegPaths } from '../../tools/media/clip.ts';
import { cleanupDir } from '../helpers/redis.ts';

const run = promisify(execFile);

interface PageQoe {
  sessionId: string;
  arm: string | null;
  state: string;
  startupMs: number | null;
  firstSegmentTtfbMs: number | null;
  currentTimeS: number;
  fatalErrors: number;
  segments: Array<{ isInit: boolean; sn: number; level: number; xCache: string | null; bytes: number; ttfbMs: number; downloadMs: number }>;
}

/** Two renditions of an 8 s clip in 1 s segments, and a master playlist naming them. */
async function packageClip(dir: string): Promise<string[]> {
  const renditions = [
    { name: 'v0', size: '320x240', bitrate: '400k', bandwidth: 560_000 },
    { name: 'v1', size: '160x120', bitrate: '150k', bandwidth: 260_000 },
  ];
  for (const r of renditions) {
    await mkdir(join(dir, r.name), { recursive: true });
    await run(ffmpegPaths.ffmpeg, [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${r.size}:rate=25:duration=8`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=8',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-b:v', r.bitrate,
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod', '-hls_segment_filename', join(dir, r.name, 'seg%d.ts'), join(dir, r.name, 'index.m3u8'),
    ]);
  }
  const master = ['#EXTM3U', ...renditions.flatMap((r) => [`#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},RESOLUTION=${r.size}`, `${r.name}/index.m3u8`])];
  await writeFile(join(dir, 'master.m3u8'), `${master.join('\n')}\n`);
  return renditions.map((r) => r.name);
}

/** Segments with an even sequence number are fetched through the edge before playback: those are HITs, the rest MISSes (prefetch off, so warming one does not fill the next). */
const expectedXCache = (sn: number): string => (sn % 2 === 0 ? 'HIT' : 'MISS');

/** The first record of each (rendition, segment): a segment hls.js loads again would rightly be a HIT the second time. */
function firstLoads<T extends { sn: number; level: number; isInit: boolean }>(segments: readonly T[]): T[] {
  const seen = new Set<string>();
  return segments.filter((s) => !s.isInit && !seen.has(`${s.level}/${s.sn}`) && seen.add(`${s.level}/${s.sn}`));
}

describe('player in chromium', { timeout: 120_000 }, () => {
  let mediaDir: string;
  let originServer: Listening;
  let edge: EdgeApp;
  let edgeServer: Listening;
  let page: Listening;
  let qoe: QoeRouter;
  let browser: TestBrowser;
  const cmcdSeen: string[] = [];

  before(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'edgeline-player-test-'));
    const [renditions, launched] = await Promise.all([packageClip(mediaDir), launchBrowser()]);
    browser = launched;

    // A plain file server as the origin; a real edge (memory tier) in front of it, on another origin than the page.
    const originApp = express();
    originApp.use('/vod/clip', express.static(mediaDir));
    originServer = await listen(originApp, { port: 0 });
    edge = await createEdgeApp(testEdgeConfig({ origin: [originServer.url], redis: 'none', prefetchSegments: 0 }));
    edgeServer = await listen((req, res) => {
      const url = req.url ?? '';
      const cmcd = cmcdQueryParam(url.slice(url.indexOf('?') + 1));
      if (cmcd !== null && url.split('?')[0]?.endsWith('.ts')) cmcdSeen.push(cmcd);
      edge(req, res);
    }, { port: 0 });
    // Warm the edge with every even segment of both renditions, so the edge answers HIT and MISS in a known pattern.
    for (const r of renditions) {
      for (const file of (await readdir(join(mediaDir, r))).filter((f) => /^seg\d+\.ts$/.test(f))) {
        const sn = Number(file.slice(3, -3));
        if (expectedXCache(sn) !== 'HIT') continue;
        const res = await fetch(`${edgeServer.url}/vod/clip/${r}/${file}`);
        await res.arrayBuffer();
        assert.equal(res.headers.get('x-cache'), 'MISS', `warming ${r}/${file}`);
      }
    }

    const metrics = createHttpMetrics('edge', { processMetrics: false });
    const app = createApp({ role: 'edge', logger: rootLogger, metrics });
    app.use(createPlayerRouter({ loadAtStartup: true }));
    qoe = createQoeRouter({ registry: metrics.registry, role: 'edge', readToken: 'player-test-token', readTokenSetting: 'EDGE_ADMIN_TOKEN (--admin-token)' });
    app.use(qoe.router);
    page = await listen(finishApp(app, rootLogger), { port: 0 });
  });

  after(async () => {
    await browser?.close();
    await Promise.all([page?.close(), edgeServer?.close()]);
    await edge?.close();
    await originServer?.close();
    if (mediaDir) cleanupDir(mediaDir);
  });

  it('plays through a cross-origin edge, records the X-Cache the edge sent for each segment, and beacons to /qoe', async () => {
    const tab = await browser.newPage();
    const cspViolations: string[] = [];
    tab.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const src = `${edgeServer.url}/vod/clip/master.m3u8`;
    await tab.goto(`${page.url}/player/?src=${encodeURIComponent(src)}&arm=test-arm&beaconMs=1000`);
    await tab.waitForFunction(() => (window.__edgelineQoe?.currentTimeS ?? 0) > 3, undefined, { timeout: 45_000, polling: 250 });
    const live = (await tab.evaluate(() => window.__edgelineQoe)) as unknown as PageQoe;

    assert.ok(live.startupMs !== null && live.startupMs > 0, `startup time measured, got ${live.startupMs}`);
    assert.ok(live.firstSegmentTtfbMs !== null && live.firstSegmentTtfbMs <= live.startupMs, 'the first segment byte comes before startup');
    assert.equal(live.fatalErrors, 0);
    assert.equal(live.arm, 'test-arm');
    const mediaSegments = live.segments.filter((s) => !s.isInit);
    assert.ok(mediaSegments.length >= 3, `several segments recorded, got ${mediaSegments.length}`);
    assert.ok(mediaSegments.every((s) => s.bytes > 0), 'every segment record has its bytes');
    // The edge decided HIT or MISS from what it had cached; the player must have read it from each response (CORS
    // exposes it cross-origin), so warmed segments read HIT and the others MISS.
    const first = firstLoads(live.segments);
    assert.deepEqual(first.map((s) => `${s.sn}:${s.xCache}`), first.map((s) => `${s.sn}:${expectedXCache(s.sn)}`));
    assert.ok(first.some((s) => s.xCache === 'HIT') && first.some((s) => s.xCache === 'MISS'), 'both kinds were played');
    // The panel shows the numbers while playing.
    assert.match(await tab.locator('#summary').innerText(), /Startup time\s+\d/);

    assert.equal(await tab.evaluate(() => window.__edgelineQoeFinish?.()), true, 'final beacon accepted');
    const session = qoe.store.get(live.sessionId);
    assert.ok(session, 'the server kept the session');
    assert.equal(session.finalizedBy, 'final');
    assert.equal(session.arm, 'test-arm');
    assert.equal(session.cacheArm, 'edge');
    assert.equal(session.kind, 'vod');
    assert.ok(session.metrics.startupMs !== null && session.beacons >= 2, 'start beacon and final beacon arrived');
    const stored = firstLoads(session.segments);
    assert.deepEqual(stored.map((s) => `${s.sn}:${s.xCache}`), stored.map((s) => `${s.sn}:${expectedXCache(s.sn)}`), 'the beacons carried the same X-Cache per segment');
    assert.equal(session.metrics.fatalErrors, 0);

    const listed = (await (await fetch(`${page.url}/qoe/sessions?arm=test-arm`, { headers: { Authorization: 'Bearer player-test-token' } })).json()) as { sessions: Array<{ sessionId: string }> };
    assert.deepEqual(listed.sessions.map((s) => s.sessionId), [live.sessionId]);
    const metricsText = await (await fetch(`${page.url}/metrics`)).text();
    assert.match(metricsText, /hls_edge_qoe_startup_seconds_count\{[^}]*kind="vod"[^}]*arm="edge"[^}]*\} 1/);
    assert.match(metricsText, /hls_edge_qoe_segments_total\{[^}]*x_cache="HIT"[^}]*\} [1-9]/);
    assert.match(metricsText, /hls_edge_qoe_segments_total\{[^}]*x_cache="MISS"[^}]*\} [1-9]/);

    // hls.js sent CMCD (query mode) with the page's session id, so edges can count it.
    const parsed = cmcdSeen.map(parseCmcdString);
    assert.ok(parsed.length > 0, 'segment requests carried CMCD');
    assert.ok(parsed.some((p) => p.data.sid === live.sessionId && p.data.br !== undefined && p.data.sf === 'h'), 'CMCD carries the session id, bitrate and format');
    assert.deepEqual(cspViolations, [], 'the page runs within its Content-Security-Policy');
    await tab.close();
  });

  it('serves the page with security headers and revalidates the bundle', async () => {
    const res = await fetch(`${page.url}/player/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), PLAYER_CSP);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('referrer-policy'));
    assert.match(PLAYER_CSP, /frame-ancestors 'none'/);
    const js = await fetch(`${page.url}/player/player.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const etag = js.headers.get('etag') ?? '';
    await js.arrayBuffer();
    assert.equal((await fetch(`${page.url}/player/player.js`, { headers: { 'If-None-Match': etag } })).status, 304);
    const redirect = await fetch(`${page.url}/player?src=x`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/player/?src=x');
    assert.equal((await fetch(`${page.url}/player/nope.js`)).status, 404);
  });
});
