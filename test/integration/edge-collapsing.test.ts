// Request collapsing: concurrent misses for one key make one origin fetch, in a process and across edges sharing Redis.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { request as undiciRequest } from 'undici';
import { listen, type Listening } from '../../server/core/listen.ts';
import { RedisKeys } from '../../server/edge/cache-key.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function counter(edge: EdgeApp, name: string, labels: string): Promise<number> {
  const text = await edge.metrics.registry.metrics();
  const m = new RegExp(`^${name}\\{${labels}[^}]*\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('edge request collapsing', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-collapse');
  const edges: EdgeApp[] = [];
  const servers: Listening[] = [];

  before(async () => {
    origin = await startCountingOrigin();
    for (const id of ['edge-a', 'edge-b']) {
      const edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id }));
      edges.push(edge);
      servers.push(await listen(edge, { port: 0 }));
    }
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(edges.map((e) => e.close()));
    await origin.stop();
    await prefix.cleanup();
  });

  it('coalesces concurrent misses: 200 requests over two edges, one origin request, identical bytes', async () => {
    const body = Buffer.alloc(512 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    const path = '/vod/cold/720p/seg_00001.ts';
    origin.set(path, { body, headers: { 'content-type': 'video/mp2t' } });
    origin.hold();
    const [a, b] = edges as [EdgeApp, EdgeApp];
    const responses = Array.from({ length: 200 }, async (_, i) => {
      const res = await undiciRequest(`${servers[i % 2]?.url}${path}`);
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, bytes, xcache: res.headers['x-cache'] };
    });
    // Every request is parked: one leader at the origin, the other edge's leader waiting on Redis, the rest locally.
    await waitFor('all 200 requests to be collapsed', async () => {
      const local = (a.edge.fills.get(path)?.waiters ?? 0) + (b.edge.fills.get(path)?.waiters ?? 0);
      const remote = (await counter(a, 'hls_edge_collapsed_waiters_total', 'scope="remote"')) + (await counter(b, 'hls_edge_collapsed_waiters_total', 'scope="remote"'));
      return local === 198 && remote === 1 && origin.count(path) === 1;
    });
    origin.release();
    const results = await Promise.all(responses);
    assert.equal(origin.count(path), 1, 'the origin saw exactly one request');
    const want = sha(body);
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(sha(r.bytes), want);
    }
    assert.equal(results.filter((r) => r.xcache === 'MISS').length, 200);
  });

  it('a waiter whose leader failed falls back to the origin instead of hanging', async () => {
    const path = '/vod/cold/720p/seg_00002.ts';
    await origin.stop();
    const [a] = edges as [EdgeApp, EdgeApp];
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => undiciRequest(`${servers[0]?.url}${path}`).then(async (r) => ({ status: r.statusCode, body: await r.body.json() }))));
      for (const r of results) assert.equal(r.status, 502);
    } finally {
      await origin.start();
    }
    assert.equal(a.edge.fills.size, 0, 'no fill left behind');
  });
});

describe('streaming misses', () => {
  it('streams the first viewer\'s bytes while the object is still arriving, then stores it', async () => {
    let finish: (() => void) | undefined;
    const half = Buffer.alloc(256 * 1024, 1);
    const slow = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': String(half.length * 2) });
      res.write(half);
      finish = () => res.end(half);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const originUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const edge = await createEdgeApp(testEdgeConfig({ origin: [originUrl], redis: 'none' }));
    const server = await listen(edge, { port: 0 });
    try {
      const res = await undiciRequest(`${server.url}/vod/s/720p/seg_1.ts`);
      assert.equal(res.headers['x-cache'], 'MISS');
      // The first half arrives before the origin has finished sending.
      let received = 0;
      const it = res.body[Symbol.asyncIterator]();
      while (received < half.length) {
        const r = await it.next();
        assert.ok(!r.done, 'body ended early');
        received += (r.value as Buffer).length;
      }
      assert.ok(finish, 'origin is still sending');
      finish();
      for (let r = await it.next(); !r.done; r = await it.next()) received += (r.value as Buffer).length;
      assert.equal(received, half.length * 2);
      await waitFor('the object to be stored', () => edge.memory.get('/vod/s/720p/seg_1.ts') !== undefined);
      const hit = await undiciRequest(`${server.url}/vod/s/720p/seg_1.ts`);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(Buffer.from(await hit.body.arrayBuffer()).length, half.length * 2);
    } finally {
      await server.close();
      await edge.close();
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });
});

describe('waiters on another edge stream', () => {
  it('follow the leading edge\'s bytes through Redis while the object still arrives, with one origin fetch', async () => {
    // An origin that sends the first part of the object in three writes and the rest only when told.
    const parts = [Buffer.alloc(100_000, 1), Buffer.alloc(70_000, 2), Buffer.alloc(30_000, 3)];
    const rest = Buffer.alloc(300_000, 4);
    const whole = Buffer.concat([...parts, rest]);
    const path = '/vod/remote/720p/seg_1.ts';
    let fetches = 0;
    let finish: (() => void) | undefined;
    const slow = http.createServer((req, res) => {
      if (req.url !== path) {
        res.writeHead(404).end();
        return;
      }
      fetches++;
      res.writeHead(200, { 'content-type': 'video/mp2t', 'cache-control': 'max-age=600', 'content-length': String(whole.length) });
      for (const p of parts) res.write(p);
      finish = () => res.end(rest);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const originUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const prefix = testPrefix('edge-remote-stream');
    const apps: EdgeApp[] = [];
    const listening: Listening[] = [];
    try {
      for (const id of ['edge-lead', 'edge-follow']) {
        const app = await createEdgeApp(testEdgeConfig({ origin: [originUrl], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id }));
        apps.push(app);
        listening.push(await listen(app, { port: 0 }));
      }
      const [lead, follow] = listening as [Listening, Listening];
      const first = await undiciRequest(`${lead.url}${path}`);
      const firstBody = first.body.arrayBuffer();
      await waitFor('the leading edge to stream', () => finish !== undefined && (apps[0]?.edge.fills.get(path)?.body?.size ?? 0) >= 200_000);
      const res = await undiciRequest(`${follow.url}${path}`);
      assert.equal(res.headers['x-cache'], 'MISS');
      // The bytes the leading edge has so far come through Redis before the origin sends the rest.
      const it = res.body[Symbol.asyncIterator]();
      const got: Buffer[] = [];
      let received = 0;
      while (received < 200_000) {
        const r = await it.next();
        assert.ok(!r.done, 'body ended early');
        got.push(r.value as Buffer);
        received += (r.value as Buffer).length;
      }
      assert.equal(received, 200_000, 'exactly what the leader had, nothing invented');
      finish?.();
      for (let r = await it.next(); !r.done; r = await it.next()) got.push(r.value as Buffer);
      assert.equal(sha(Buffer.concat(got)), sha(whole), 'the follower got the whole object, in order');
      assert.equal(sha(Buffer.from(await firstBody)), sha(whole));
      assert.equal(fetches, 1, 'one origin fetch for both edges');
    } finally {
      await Promise.all(listening.map((s) => s.close()));
      await Promise.all(apps.map((e) => e.close()));
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
      await prefix.cleanup();
    }
  });
});

describe('a later fill of the same key', () => {
  it('is what a waiter on another edge follows, never the earlier fill whose bytes are still in Redis', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const clock = (): number => now;
    const origin = await startCountingOrigin();
    const prefix = testPrefix('edge-later-fill');
    const keys = new RedisKeys(prefix.prefix);
    const redis = new Redis(SHARED_REDIS_URL);
    const apps: EdgeApp[] = [];
    const listening: Listening[] = [];
    try {
      for (const id of ['edge-a', 'edge-b']) {
        const app = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id }), { clock });
        apps.push(app);
        listening.push(await listen(app, { port: 0 }));
      }
      const [a, b] = listening as [Listening, Listening];
      const path = '/vod/later/index.m3u8';
      // No stale answers (stale-while-revalidate, stale-if-error): an expired copy is refetched while the viewer waits.
      const headers = { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=5, stale-while-revalidate=0, stale-if-error=0' };
      origin.set(path, { body: '#EXTM3U\n#v1\n', headers });
      const first = await undiciRequest(`${a.url}${path}`);
      assert.equal(await first.body.text(), '#EXTM3U\n#v1\n');
      // The first fill is over (stored, lock let go); its progress record lives on in Redis until it expires.
      await waitFor('the first fill to let go of its lock', async () => (await redis.exists(keys.lock(path))) === 0);
      assert.equal(await redis.exists(keys.fillMeta(path)), 1);
      // Expired: edge A refetches and holds the lock while the origin holds its answer; edge B then misses too.
      now += 10_000;
      origin.set(path, { body: '#EXTM3U\n#v2\n', headers });
      origin.hold();
      const second = undiciRequest(`${a.url}${path}`);
      await origin.waitForRequests(2);
      await waitFor('edge A to hold the lock', async () => (await redis.exists(keys.lock(path))) === 1);
      const third = undiciRequest(`${b.url}${path}`);
      await waitFor('edge B to wait on edge A', async () => (await counter(apps[1] as EdgeApp, 'hls_edge_collapsed_waiters_total', 'scope="remote"')) === 1);
      origin.release();
      assert.equal(await (await second).body.text(), '#EXTM3U\n#v2\n', 'edge A refetched');
      assert.equal(await (await third).body.text(), '#EXTM3U\n#v2\n', 'edge B followed the fill under way, not the earlier one');
      assert.equal(origin.count(path), 2);
    } finally {
      await Promise.all(listening.map((s) => s.close()));
      await Promise.all(apps.map((e) => e.close()));
      redis.disconnect();
      await origin.stop();
      await prefix.cleanup();
    }
  });
});
