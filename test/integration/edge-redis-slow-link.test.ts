// A real Redis behind a slow link: a large object whose transfer takes longer than the Redis command bound is still
// stored and read (bytes are moving), without a counted failure; a link that stops moving bytes still fails within the
// bound, and the viewer is answered from the origin.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { startSlowLink, type SlowLink } from '../helpers/slow-link.ts';
import { waitFor } from '../helpers/wait-for.ts';

// 3 MiB at 4 MB/s: ~0.8 s each way, three times the shipped 250 ms bound.
const BODY = randomBytes(3 * 1024 * 1024);
const RATE = 4_000_000;

describe('edge: Redis behind a slow link', { timeout: 60_000 }, () => {
  let origin: CountingOrigin;
  let link: SlowLink;
  let edge: EdgeApp;
  let server: Listening;
  let direct: Redis;
  const prefix = testPrefix('edge-slow-link');

  async function get(path: string): Promise<{ status: number; tier: string | null; xcache: string | null; body: Buffer }> {
    const res = await fetch(`${server.url}${path}`);
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, tier: res.headers.get('x-cache-tier'), xcache: res.headers.get('x-cache'), body };
  }

  /** The sum of a counter's samples in the edge's /metrics (0 when it has none yet). */
  async function counter(name: string, labels = ''): Promise<number> {
    const text = await edge.metrics.registry.metrics();
    let sum = 0;
    for (const line of text.split('\n')) {
      if ((line.startsWith(`${name} `) || line.startsWith(`${name}{`)) && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /** Waits for the edge's store to land, looking at Redis directly (a viewer's request meanwhile would be a miss). */
  async function stored(path: string): Promise<void> {
    await waitFor('the object stored in Redis', async () => (await direct.exists(`${prefix.prefix}obj:${path}`)) === 1, { timeoutMs: 20_000 });
  }

  before(async () => {
    direct = new Redis(SHARED_REDIS_URL);
    origin = await startCountingOrigin();
    const target = new URL(SHARED_REDIS_URL);
    link = await startSlowLink({ host: target.hostname, port: Number(target.port || 6379) }, RATE);
    // The shipped command bound; no memory tier, so every hit is a Redis read through the link.
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: `redis://127.0.0.1:${link.port}`, redisPrefix: prefix.prefix, memoryMb: 0 }));
    server = await listen(edge, { port: 0 });
  });

  after(async () => {
    await server.close();
    await edge.close();
    await link.close();
    await origin.stop();
    direct.disconnect();
    await prefix.cleanup();
  });

  it('stores and reads an object whose transfer outlasts the command bound, with no Redis failure counted', async () => {
    const path = '/vod/slow/seg-00000.ts';
    origin.set(path, { body: BODY, headers: { 'content-type': 'video/mp2t', 'cache-control': 'public, max-age=3600' } });
    const first = await get(path);
    assert.equal(first.xcache, 'MISS');
    assert.ok(first.body.equals(BODY));
    await stored(path);
    const hit = await get(path);
    assert.equal(hit.status, 200);
    assert.equal(hit.tier, 'redis');
    assert.ok(hit.body.equals(BODY), 'the whole object, byte for byte');
    assert.equal(origin.count(path), 1, 'one origin fetch: the store did not time out');
    assert.equal(await counter('hls_edge_redis_errors_total'), 0, 'no Redis command failed');
    assert.equal(edge.redis?.breaker.state, 'closed');
  });

  it('a link that stops moving bytes fails the read, and the viewer gets the object from the origin', async () => {
    const path = '/vod/slow/seg-00001.ts';
    origin.set(path, { body: BODY, headers: { 'content-type': 'video/mp2t', 'cache-control': 'public, max-age=3600' } });
    await get(path);
    await stored(path);
    assert.equal((await get(path)).tier, 'redis');
    const fetches = origin.count(path);
    const readFailures = await counter('hls_edge_redis_errors_total', 'op="get"');
    link.hold();
    try {
      const r = await get(path);
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(BODY));
      assert.equal(r.tier, 'origin');
      assert.equal(origin.count(path), fetches + 1);
      assert.equal(await counter('hls_edge_redis_errors_total', 'op="get"'), readFailures + 1, 'the stalled read was counted as failed');
    } finally {
      link.flow();
    }
    await waitFor('the Redis tier to be used again', () => edge.redis?.isAvailable === true, { timeoutMs: 10_000 });
  });
});
