// An edge without a memory tier, real Redis: while one viewer is still being sent an object read from Redis, the next
// viewers of that key get the same object (no second Redis read, no second copy); a purge or the end of the sending
// ends the reuse.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TOKEN = 'test-admin-token-0123456789';
// Far more than loopback socket buffers hold: a viewer that stops reading keeps its response open.
const BODY = randomBytes(24 * 1024 * 1024);

interface Got {
  readonly status: number;
  readonly xcache: string | null;
  readonly tier: string | null;
  readonly body: Buffer;
}

async function get(server: Listening, path: string): Promise<Got> {
  const res = await fetch(`${server.url}${path}`);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, xcache: res.headers.get('x-cache'), tier: res.headers.get('x-cache-tier'), body };
}

/** A viewer that reads the response head, then stops reading: its response stays open until destroy(). */
async function stalledViewer(server: Listening, path: string): Promise<{ head: string; destroy(): void }> {
  const socket = net.connect(server.port, '127.0.0.1');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  const head = await new Promise<string>((resolve, reject) => {
    let seen = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      const end = seen.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.pause();
        socket.removeAllListeners('data');
        resolve(seen.slice(0, end));
      }
    });
  });
  return { head, destroy: () => socket.destroy() };
}

describe('edge: objects read from Redis are shared while they are being sent', { timeout: 60_000 }, () => {
  let origin: CountingOrigin;
  let edge: EdgeApp;
  let server: Listening;
  const prefix = testPrefix('edge-sending');

  /** A counter of the edge's /metrics (its only sample, under the registry's default labels). */
  async function metric(name: string): Promise<number> {
    const text = await edge.metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    assert.ok(line, `${name} in /metrics`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  const redisGetsSoFar = (): Promise<number> => metric('hls_edge_redis_object_reads_total');

  before(async () => {
    origin = await startCountingOrigin();
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, memoryMb: 0, maxObjectMb: 32, adminToken: TOKEN }));
    server = await listen(edge, { port: 0 });
  });

  after(async () => {
    await server.close();
    await edge.close();
    await origin.stop();
    await prefix.cleanup();
  });

  it('viewers who come while one is still being sent get the same object without another Redis read', async () => {
    const path = '/vod/share/seg-00000.ts';
    origin.set(path, { body: BODY, headers: { 'content-type': 'video/mp2t', 'cache-control': 'public, max-age=3600' } });
    assert.equal((await get(server, path)).xcache, 'MISS');
    await waitFor('the object stored in Redis', async () => (await get(server, path)).tier === 'redis');

    const stalled = await stalledViewer(server, path);
    assert.match(stalled.head, /^HTTP\/1\.1 200/);
    assert.match(stalled.head, /x-cache-tier: redis/i);
    const before = await redisGetsSoFar();
    for (let i = 0; i < 3; i++) {
      const r = await get(server, path);
      assert.equal(r.status, 200);
      assert.equal(r.xcache, 'HIT');
      assert.equal(r.tier, 'redis');
      assert.ok(r.body.equals(BODY), 'the whole object, byte for byte');
    }
    assert.equal(await redisGetsSoFar(), before, 'the three viewers were given the object the stalled viewer is being sent');
    assert.equal(await metric('hls_edge_shared_sends_total'), 3);
    assert.equal(origin.count(path), 1);

    // Once no response sends it, the next viewer reads Redis again.
    stalled.destroy();
    await waitFor('a viewer after the stalled one closed to read Redis again', async () => {
      const r = await get(server, path);
      assert.ok(r.body.equals(BODY));
      return (await redisGetsSoFar()) > before;
    });
  });

  it('a purge ends the reuse: the object a stalled viewer is still being sent is not given to the next one', async () => {
    const path = '/vod/purge/seg-00000.ts';
    origin.set(path, { body: BODY, headers: { 'content-type': 'video/mp2t', 'cache-control': 'public, max-age=3600' } });
    await get(server, path);
    await waitFor('the object stored in Redis', async () => (await get(server, path)).tier === 'redis');
    const stalled = await stalledViewer(server, path);
    try {
      const purge = await fetch(`${server.url}/_edge/invalidations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ paths: ['/vod/purge/*'] }),
      });
      assert.equal(purge.status, 201);
      const fetchesBefore = origin.count(path);
      const r = await get(server, path);
      assert.equal(r.xcache, 'MISS', 'purged: fetched again, not handed the copy still being sent');
      assert.equal(origin.count(path), fetchesBefore + 1);
      assert.ok(r.body.equals(BODY));
    } finally {
      stalled.destroy();
    }
  });
});
