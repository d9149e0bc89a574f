// Origin access control end to end: a real origin with ORIGIN_SECRET answers only what real edges signed — fills,
// revalidations and shield fetches — and refuses viewers who go around the cache.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { signOriginRequest } from '../../server/core/origin-auth.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';

const NEW_SECRET = 'oac-test-secret-new-0123456789abcdef';
const OLD_SECRET = 'oac-test-secret-old-0123456789abcdef';
const MASTER = '/vod/clip/master.m3u8';
const MEDIA = '/vod/clip/240p/index.m3u8';
const SEG = '/vod/clip/240p/seg_0.ts';

describe('origin access control with a real origin and real edges', { timeout: 60_000 }, () => {
  let mediaDir: string;
  let origin: OriginApp;
  let originServer: Listening;
  const metrics = createOriginMetrics({ processMetrics: false });
  const seen: Array<{ url: string; via: string | undefined }> = [];
  let now = Date.now();
  const edges: EdgeApp[] = [];
  const servers: Listening[] = [];

  async function startEdge(id: string, over: Partial<Parameters<typeof testEdgeConfig>[0]> = {}): Promise<{ edge: EdgeApp; server: Listening }> {
    const edge = await createEdgeApp(testEdgeConfig({ origin: [originServer.url], redis: 'none', id, originSecret: NEW_SECRET, ...over }), { clock: () => now });
    const server = await listen(edge, { port: 0 });
    edges.push(edge);
    servers.push(server);
    return { edge, server };
  }

  before(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-oac-'));
    const dir = join(mediaDir, 'hls', 'clip');
    mkdirSync(join(dir, '240p'), { recursive: true });
    writeFileSync(join(dir, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000\n240p/index.m3u8\n');
    writeFileSync(join(dir, '240p', 'index.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg_0.ts\n#EXT-X-ENDLIST\n');
    writeFileSync(join(dir, '240p', 'seg_0.ts'), Buffer.alloc(2_048, 0x47));
    // Mid-rotation: the origin accepts the new and the old secret (ORIGIN_SECRET="new,old").
    origin = createOriginApp(originConfig({ mediaDir, originSecret: [NEW_SECRET, OLD_SECRET] }), { metrics });
    await origin.start();
    const counted: RequestListener = (req, res) => {
      // Edges probe /healthz in the background (signed too); the assertions are about fetches.
      if (req.url !== '/healthz') seen.push({ url: req.url ?? '', via: typeof req.headers.via === 'string' ? req.headers.via : undefined });
      origin.app(req, res);
    };
    originServer = await listen(counted, { port: 0 });
  });

  after(async () => {
    for (const s of servers) await s.close();
    for (const e of edges) await e.close();
    await originServer?.close();
    await origin?.close();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('serves viewers through an edge, and refuses them at the origin directly', async () => {
    const { edge } = await startEdge('oac-edge');
    for (const path of [MASTER, MEDIA, SEG]) {
      const r = await request(edge).get(path).expect(200);
      assert.equal(r.headers['x-cache'], 'MISS', path);
    }
    assert.equal((await request(edge).get(SEG).expect(200)).headers['x-cache'], 'HIT');
    assert.deepEqual(seen.map((s) => s.url), [MASTER, MEDIA, SEG]);

    const direct = await request(originServer.url).get(SEG).expect(403);
    assert.deepEqual({ error: direct.body.error, reason: direct.body.reason }, { error: 'ORIGIN_AUTH_FAILED', reason: 'missing' });
    assert.equal(direct.headers['cache-control'], 'no-store');
    // Health and metrics stay open for probes and scrapers.
    await request(originServer.url).get('/healthz').expect(200);
    assert.match(await metrics.registry.metrics(), /hls_origin_auth_rejected_total\{reason="missing",role="origin"\} 1/);
  });

  it('refuses a captured edge signature that was tampered with, reused for another path, or replayed late', async () => {
    const h = signOriginRequest(NEW_SECRET, { method: 'GET', path: SEG, now: Date.now() });
    const sig = h['x-edgeline-signature'] ?? '';
    const tampered = `${sig.slice(0, -2)}${sig.endsWith('A') ? 'BB' : 'AA'}`;
    const bad = await request(originServer.url).get(SEG).set('x-edgeline-date', h['x-edgeline-date'] ?? '').set('x-edgeline-signature', tampered).expect(403);
    assert.equal(bad.body.reason, 'bad-signature');
    assert.equal((await request(originServer.url).get(MASTER).set(h).expect(403)).body.reason, 'bad-signature');
    const late = signOriginRequest(NEW_SECRET, { method: 'GET', path: SEG, now: Date.now() - 5 * 60_000 });
    assert.equal((await request(originServer.url).get(SEG).set(late).expect(403)).body.reason, 'stale');
    // The same headers, fresh and for this path, are accepted: the refusals above are about the signature alone.
    await request(originServer.url).get(SEG).set(h).expect(200);
  });

  it('signs revalidations: an expired playlist is revalidated with a conditional request the origin accepts', async () => {
    const edge = edges[0];
    assert.ok(edge);
    const before = seen.length;
    now += 10 * 60_000; // past the playlist's max-age and stale-while-revalidate
    const r = await request(edge).get(MEDIA).expect(200);
    assert.equal(r.headers['x-cache'], 'REVALIDATED');
    assert.deepEqual(seen.slice(before).map((s) => s.url), [MEDIA]);
  });

  it('signs shield fetches, and works with the old secret during a rotation', async () => {
    const { server: shieldServer } = await startEdge('oac-shield', { originSecret: OLD_SECRET });
    const { edge } = await startEdge('oac-child', { shield: shieldServer.url });
    const before = seen.length;
    const r = await request(edge).get('/vod/clip/240p/seg_0.ts?x=1').expect(200);
    assert.equal(r.headers['x-cache-tier'], 'shield');
    const fetched = seen.slice(before);
    assert.equal(fetched.length, 1);
    assert.match(fetched[0]?.via ?? '', /oac-shield \(edgeline\)/, 'the shield fetched it, signing with the old secret');
  });

  it('an edge with the wrong secret gets 403s, which it neither caches nor hides', async () => {
    const { edge } = await startEdge('oac-wrong', { originSecret: 'not-the-origin-secret-0123456789' });
    const r = await request(edge).get(SEG);
    assert.equal(r.status, 403);
    assert.equal(edge.memory.entries, 0);
    assert.match(await metrics.registry.metrics(), /hls_origin_auth_rejected_total\{reason="bad-signature",role="origin"\} [2-9]/);
  });
});
