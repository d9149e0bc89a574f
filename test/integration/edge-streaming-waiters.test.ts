// Collapsed waiters stream: requests joined to an in-flight fill get its bytes as they arrive, on this edge and on
// the other edges sharing Redis, while the origin is asked once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { request as undiciRequest } from 'undici';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { ENDED_FILL_LINGER_MS } from '../../server/edge/fill-progress.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Viewer {
  received: number;
  readonly done: Promise<{ status: number; xcache: unknown; bytes: Buffer }>;
}

function view(url: string): Viewer {
  const v = { received: 0 } as { received: number; done: Viewer['done'] };
  v.done = (async () => {
    const res = await undiciRequest(url);
    const chunks: Buffer[] = [];
    for await (const c of res.body) {
      const b = c as Buffer;
      v.received += b.length;
      chunks.push(b);
    }
    return { status: res.statusCode, xcache: res.headers['x-cache'], bytes: Buffer.concat(chunks) };
  })();
  return v;
}

describe('streaming waiters over three edges sharing Redis', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-stream-waiters');
  const edges: EdgeApp[] = [];
  const servers: Listening[] = [];
  let redis: Redis;

  before(async () => {
    redis = new Redis(SHARED_REDIS_URL);
    origin = await startCountingOrigin();
    for (const id of ['edge-a', 'edge-b', 'edge-c']) {
      const edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id }));
      edges.push(edge);
      servers.push(await listen(edge, { port: 0 }));
    }
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(edges.map((e) => e.close()));
    await origin.stop();
    redis.disconnect();
    await prefix.cleanup();
  });

  it('gives every waiter its first bytes before the origin has finished sending, from one origin fetch', async () => {
    const body = Buffer.alloc(600 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 131 + 17) & 0xff;
    const path = '/vod/herd/720p/seg_00001.ts';
    origin.set(path, { body, headers: { 'content-type': 'video/mp2t' }, pieces: 3 });
    const viewers = Array.from({ length: 30 }, (_, i) => view(`${servers[i % 3]?.url}${path}`));
    // The origin has sent its first piece and waits: every viewer, on every edge, must already be receiving.
    await waitFor('every viewer to receive bytes while the origin holds the rest', () => viewers.every((v) => v.received > 0));
    assert.equal(origin.piecesSent, 1, 'the origin has not sent more than its first piece');
    assert.equal(origin.count(path), 1);
    origin.sendPiece();
    await waitFor('the second piece to be sent', () => origin.piecesSent === 2);
    origin.sendPiece();
    const results = await Promise.all(viewers.map((v) => v.done));
    assert.equal(origin.count(path), 1, 'one origin fetch for 30 viewers over 3 edges');
    const want = sha(body);
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(r.xcache, 'MISS');
      assert.equal(sha(r.bytes), want);
    }
    // Stored once the fill ends, on every edge (the followers keep their own copy in memory).
    await waitFor('every edge to hold the object', () => edges.every((e) => e.memory.get(path) !== undefined));
    const hits = await Promise.all(servers.map(async (s) => (await undiciRequest(`${s.url}${path}`)).headers['x-cache']));
    assert.deepEqual(hits, ['HIT', 'HIT', 'HIT']);
    // The fill's bytes in Redis duplicate the stored object once it has ended: they expire soon, not with the lock.
    const fillKeys = await redis.keys(`${prefix.prefix}fill:${path}*`);
    assert.equal(fillKeys.length, 2, `the fill's meta and bytes: ${fillKeys.join(', ')}`);
    for (const k of fillKeys) {
      const ttl = await redis.pttl(k);
      assert.ok(ttl > 0 && ttl <= ENDED_FILL_LINGER_MS, `${k} expires within ${ENDED_FILL_LINGER_MS} ms of the end: ${ttl} ms`);
    }
  });

  it('cuts the followers short, and leaves no fill behind, when the origin fails mid-body', async () => {
    const path = '/vod/herd/720p/seg_00002.ts';
    origin.set(path, { body: Buffer.alloc(300 * 1024, 5), pieces: 2 });
    const viewers = Array.from({ length: 6 }, (_, i) => view(`${servers[i % 3]?.url}${path}`));
    await waitFor('every viewer to receive bytes', () => viewers.every((v) => v.received > 0));
    await origin.stop();
    const results = await Promise.allSettled(viewers.map((v) => v.done));
    for (const r of results) assert.equal(r.status, 'rejected', 'a cut body is an error for the viewer, never a short 200');
    await waitFor('no fill left on any edge', () => edges.every((e) => e.edge.fills.size === 0));
    for (const e of edges) assert.equal(e.memory.get(path), undefined);
    await origin.start();
  });
});
