// Failover during playback in chromium: the edge a session plays from is killed (SIGKILL) and content steering moves it to the other edge.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { packageAsset } from '../../server/origin/packaging/packager.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';
import { freePort } from '../helpers/ports.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { tempDir, type TempDir } from '../integration/origin-fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/edgeline.js', import.meta.url));
const CLIP_SECONDS = 30;
/** How far past what was buffered at the kill the playhead must get: only segments fetched after the kill can carry it there. */
const PAST_BUFFER_S = 6;

interface PageQoe {
  state: string;
  currentTimeS: number;
  stallCount: number;
  stallMs: number;
  fatalErrors: number;
  segmentCount: number;
}

interface SegmentResponse {
  readonly origin: string;
  readonly status: number;
  readonly at: number;
}

/** An edge as its own process, killed for real. */
interface EdgeProcess {
  readonly id: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: string[];
  kill(): Promise<void>;
}

async function spawnEdge(id: string, originUrl: string, prefix: string): Promise<EdgeProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [BIN, 'edge', '--port', String(port), '--origin', originUrl, '--redis', SHARED_REDIS_URL, '--redis-prefix', prefix, '--id', id, '--region', 'local', '--workers', '1', '--heartbeat', '500ms', '--no-player', '--no-access-log'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn', REDIS_CLUSTER_NODES: '' } });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const kill = (): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
  process.once('exit', () => child.kill('SIGKILL'));
  await waitFor(
    `edge ${id} to answer /healthz`,
    async () => {
      if (child.exitCode !== null) throw new Error(`edge ${id} exited: ${stderr.join('')}`);
      try {
        const res = await fetch(`${url}/healthz`);
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000 },
  );
  return { id, url, child, stderr, kill };
}

describe('failover during playback', { timeout: 240_000 }, () => {
  let tmp: TempDir;
  let origin: OriginApp;
  let originServer: Listening;
  const edges: EdgeProcess[] = [];
  let router: RouterApp;
  let routerServer: Listening;
  let browser: TestBrowser | undefined;
  const prefix = testPrefix('failover');

  before(async () => {
    tmp = tempDir('edgeline-failover-');
    const mediaDir = join(tmp.dir, 'media');
    const input = await makeClip({ seconds: CLIP_SECONDS, width: 320, height: 240 });
    await packageAsset({ input, id: 'clip', mediaDir, ladder: ['240p'], segmentSeconds: 2, ffmpeg: ffmpegPaths, preset: 'ultrafast' });
    origin = createOriginApp(originConfig({ mediaDir }), { metrics: createOriginMetrics({ processMetrics: false }) });
    await origin.start();
    originServer = await listen(origin.app, { port: 0 });
    edges.push(...(await Promise.all(['edge-a', 'edge-b'].map((id) => spawnEdge(id, originServer.url, prefix.prefix)))));
    const config = defaultsOf(routerFields, {
      edges: edges.map((e) => ({ url: e.url, region: 'local' })),
      redis: SHARED_REDIS_URL,
      redisPrefix: prefix.prefix,
      healthIntervalMs: 250,
      healthTimeoutMs: 200,
      downAfterMs: 1_000,
      steeringTtlMs: 1_000,
    });
    router = createRouterApp(config, { processMetrics: false, loadPlayerAtStartup: true });
    routerServer = await listen(router.app, { port: 0 });
    await router.ready;
    // Edge ids come from their heartbeats in Redis: the pathways are named edge-a and edge-b.
    await waitFor('both edges registered', () => router.directory.snapshot().filter((e) => e.id.startsWith('edge-')).length === 2, { timeoutMs: 10_000 });
  });

  after(async () => {
    await browser?.close();
    await routerServer?.close();
    await router?.close();
    await Promise.all(edges.map((e) => e.kill()));
    await originServer?.close();
    await origin?.close();
    await prefix.cleanup();
    tmp?.cleanup();
  });

  it('keeps playing when the edge of the session is killed: steering moves it to the other edge with at most a short stall', async () => {
    const master = await (await fetch(`${originServer.url}/vod/clip/master.m3u8`)).text();
    const bandwidth = Number(/BANDWIDTH=(\d+)/.exec(master)?.[1] ?? '0');
    assert.ok(bandwidth > 0, 'the packaged master declares a BANDWIDTH');

    browser = await launchBrowser();
    const page = await browser.newPage();
    // A viewer link of twice the rendition's peak rate: the buffer grows about as fast as it plays out, so the session
    // still needs segments after the kill (hls.js would otherwise fetch the whole clip ahead from the first edge).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: (2 * bandwidth) / 8, uploadThroughput: -1 });
    const segments: SegmentResponse[] = [];
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname.endsWith('.ts') || u.pathname.endsWith('.m4s')) segments.push({ origin: u.origin, status: r.status(), at: Date.now() });
    });

    const src = `${routerServer.url}/vod/clip/master.m3u8`;
    await page.goto(`${routerServer.url}/player/?src=${encodeURIComponent(src)}&beaconMs=1000`);
    await page.waitForFunction(() => (window.__edgelineQoe?.currentTimeS ?? 0) >= 2, undefined, { timeout: 60_000, polling: 100 });

    const playingFrom = segments.filter((s) => s.status === 200).at(-1)?.origin;
    const victim = edges.find((e) => e.url === playingFrom);
    assert.ok(victim, `the session plays from one of the edges, got ${playingFrom}`);
    const survivor = edges.find((e) => e !== victim);
    assert.ok(survivor);
    const bufferedEnd = await page.evaluate(() => {
      const v = document.querySelector('video');
      return v && v.buffered.length > 0 ? v.buffered.end(v.buffered.length - 1) : 0;
    });
    assert.ok(bufferedEnd + PAST_BUFFER_S < CLIP_SECONDS - 2, `the buffer at the kill (${bufferedEnd.toFixed(1)} s) leaves playback that needs new segments`);
    const before = (await page.evaluate(() => window.__edgelineQoe)) as unknown as PageQoe;

    const killedAt = Date.now();
    await victim.kill();

    // The playhead must get well past everything the dead edge delivered.
    await page.waitForFunction((t) => (window.__edgelineQoe?.currentTimeS ?? 0) >= t, bufferedEnd + PAST_BUFFER_S, { timeout: 90_000, polling: 250 });
    const after = (await page.evaluate(() => window.__edgelineQoe)) as unknown as PageQoe;

    const afterKill = segments.filter((s) => s.at > killedAt && s.status === 200);
    assert.ok(afterKill.length >= 2, `segments arrived after the kill: ${afterKill.length}`);
    assert.deepEqual([...new Set(afterKill.map((s) => s.origin))], [survivor.url], 'every segment after the kill came from the other edge');
    assert.ok(after.segmentCount > before.segmentCount, 'the player recorded the new segments');
    assert.equal(after.fatalErrors, 0, 'no fatal error: the player switched pathways on its own');
    assert.notEqual(after.state, 'failed');
    // "At most a short stall": one rebuffering event of a few seconds is tolerated, the session never stops.
    const stalls = after.stallCount - before.stallCount;
    const stallMs = after.stallMs - before.stallMs;
    assert.ok(stalls <= 1, `at most one stall after the kill, got ${stalls}`);
    assert.ok(stallMs <= 5_000, `a short stall at most, got ${stallMs} ms`);

    // The router saw the edge go and moved steering to the survivor.
    const routing = (await (await fetch(`${routerServer.url}/routing?asset=clip`)).json()) as { edges: Array<{ id: string; status: string }>; steering: { pathways: Array<{ id: string }> } };
    assert.equal(routing.edges.find((e) => e.id === victim.id)?.status, 'down');
    assert.equal(routing.steering.pathways[0]?.id, survivor.id);
  });
});
