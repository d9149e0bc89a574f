// Faults: Redis killed during traffic (no viewer errors, back in use after restart); origin down (stale-if-error, 502/504, failover).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import request from 'supertest';
import { request as undiciRequest } from 'undici';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { freePort } from '../helpers/ports.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('Redis failure', () => {
  let origin: CountingOrigin;
  let priv: PrivateRedis;
  let edge: EdgeApp;
  let server: Listening;

  before(async () => {
    origin = await startCountingOrigin();
    for (let i = 0; i < 40; i++) origin.set(`/vod/r/720p/seg_${i}.ts`, { body: Buffer.alloc(8 * 1024, i), headers: { 'content-type': 'video/mp2t' } });
    priv = await startPrivateRedis();
    edge = await createEdgeApp(
      testEdgeConfig({ origin: [origin.url], redis: priv.url, redisPrefix: 'faults:', redisTimeoutMs: 200, breakerCooldownMs: 300, collapseWaitMs: 1_000 }),
      // Small memory tier: most requests need Redis or the origin, so the outage is felt.
      {},
    );
    server = await listen(edge, { port: 0 });
  });

  after(async () => {
    await server.close();
    await edge.close();
    await priv.stop();
    await origin.stop();
  });

  it('killed during traffic: zero failed viewer requests; restarted: used again', async () => {
    let failures = 0;
    let requests = 0;
    let stop = false;
    const viewer = async (n: number): Promise<void> => {
      let i = n;
      while (!stop) {
        i = (i + 7) % 40;
        const path = `/vod/r/720p/seg_${i}.ts`;
        // Evict now and then so lookups go past the memory tier to Redis.
        if (i % 3 === 0) edge.memory.delete(path);
        try {
          const res = await undiciRequest(`${server.url}${path}`);
          const body = Buffer.from(await res.body.arrayBuffer());
          requests++;
          if (res.statusCode !== 200 || body.length !== 8 * 1024 || body[0] !== i) failures++;
        } catch {
          requests++;
          failures++;
        }
      }
    };
    const viewers = Array.from({ length: 8 }, (_, n) => viewer(n));
    await waitFor('traffic before the kill', () => requests >= 200);
    await priv.stop();
    const atKill = requests;
    await waitFor('traffic during the outage', () => requests >= atKill + 400);
    const health = await request(edge).get('/healthz').expect(200);
    assert.ok(health.body.warnings.some((w: string) => /Redis/.test(w)), 'healthz warns about Redis');
    stop = true;
    await Promise.all(viewers);
    assert.equal(failures, 0, `${failures} of ${requests} viewer requests failed`);

    await priv.start();
    await waitFor('the edge to reconnect', () => edge.redis?.isAvailable === true);
    origin.set('/vod/r/720p/after.ts', { body: 'after restart' });
    await request(edge).get('/vod/r/720p/after.ts').expect(200);
    const probe = new Redis(priv.url);
    try {
      await waitFor('the object to be stored in the restarted Redis', async () => (await probe.exists('faults:obj:/vod/r/720p/after.ts')) === 1);
    } finally {
      probe.disconnect();
    }
    const healthy = await request(edge).get('/healthz').expect(200);
    assert.deepEqual(healthy.body.warnings, []);
  });

  it('slow (paused) Redis: requests still succeed within the Redis timeout, from memory and the origin', async () => {
    const admin = new Redis(priv.url);
    try {
      for (let i = 0; i < 5; i++) origin.set(`/vod/slow/720p/seg_${i}.ts`, { body: `slow ${i}`, headers: { 'content-type': 'text/plain' } });
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => undiciRequest(`${server.url}/vod/slow/720p/seg_${i % 5}.ts`).then(async (r) => ({ status: r.statusCode, text: await r.body.text() }))),
      );
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 200);
        assert.equal(r.text, `slow ${i % 5}`);
      }
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
  });
});

describe('origin failure', () => {
  let origin: CountingOrigin;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = (): number => now;
  let edge: EdgeApp;

  before(async () => {
    origin = await startCountingOrigin();
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', originTimeoutMs: 300 }), { clock });
  });

  after(async () => {
    await edge.close();
    await origin.stop();
  });

  it('serves cached segments and playlists STALE within stale-if-error, then 502 JSON', async () => {
    origin.set('/vod/o/index.m3u8', { body: '#EXTM3U\n#o\n', headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=2, stale-while-revalidate=0, stale-if-error=60' } });
    origin.set('/vod/o/720p/seg_1.ts', { body: Buffer.alloc(1000, 9), headers: { 'content-type': 'video/mp2t' } });
    await request(edge).get('/vod/o/index.m3u8').expect(200);
    await request(edge).get('/vod/o/720p/seg_1.ts').expect(200);
    await origin.stop();

    now += 10_000;
    const playlist = await request(edge).get('/vod/o/index.m3u8').expect(200);
    assert.equal(playlist.headers['x-cache'], 'STALE');
    assert.equal(playlist.text, '#EXTM3U\n#o\n');
    // VOD segments without Cache-Control live the behavior's default 30 days; past that, its stale-if-error (1 day) covers an outage.
    now += 30 * 86_400_000 + 3_600_000;
    const segment = await request(edge).get('/vod/o/720p/seg_1.ts').expect(200);
    assert.equal(segment.headers['x-cache'], 'STALE');
    assert.equal(Buffer.from(segment.body).length, 1000);

    // Past stale-if-error: an error, in JSON, never cached.
    const gone = await request(edge).get('/vod/o/index.m3u8').expect(502);
    assert.equal(gone.headers['x-cache'], 'ERROR');
    assert.equal(gone.headers['cache-control'], 'no-store');
    assert.equal(gone.body.error, 'EDGE_ORIGIN_UNREACHABLE');
    // The origin is probed in the background: /healthz says so within a probe interval, and stays 200 (degraded).
    await waitFor('/healthz to report the origin unreachable', async () => {
      const health = await request(edge).get('/healthz').expect(200);
      return health.body.status === 'degraded' && health.body.warnings.some((w: string) => /origin/.test(w));
    });

    await origin.start();
    const back = await request(edge).get('/vod/o/index.m3u8').expect(200);
    assert.equal(back.headers['x-cache'], 'MISS');
  });

  it('answers 504 when the origin does not answer in time', async () => {
    origin.set('/vod/slow/720p/seg_1.ts', { body: 'late' });
    origin.hold();
    try {
      const r = await request(edge).get('/vod/slow/720p/seg_1.ts').expect(504);
      assert.equal(r.body.error, 'EDGE_ORIGIN_TIMEOUT');
    } finally {
      origin.release();
    }
  });

  it('fails over to the next origin on connection errors and 5xx', async () => {
    const deadPort = await freePort();
    const bad = await startCountingOrigin();
    bad.set('/vod/f/720p/seg_1.ts', { status: 503, body: 'down for maintenance' });
    origin.set('/vod/f/720p/seg_1.ts', { body: 'from the second origin', headers: { 'content-type': 'text/plain' } });
    const failover = await createEdgeApp(testEdgeConfig({ origin: [`http://127.0.0.1:${deadPort}`, bad.url, origin.url], redis: 'none' }));
    try {
      const r = await request(failover).get('/vod/f/720p/seg_1.ts').expect(200);
      assert.equal(r.text, 'from the second origin');
      assert.equal(bad.count('/vod/f/720p/seg_1.ts'), 1);
      const metrics = await failover.metrics.registry.metrics();
      assert.match(metrics, /hls_edge_origin_fetches_total\{upstream="origin",result="unreachable",role="edge"\} 1/);
      assert.match(metrics, /hls_edge_origin_fetches_total\{upstream="origin",result="error_status",role="edge"\} 1/);
    } finally {
      await failover.close();
      await bad.stop();
    }
  });
});
