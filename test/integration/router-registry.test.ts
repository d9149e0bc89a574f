// Edges registering through real Redis: a heartbeat makes an edge known and routable, expiry forgets it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { defaultsOf } from '../../server/core/config.ts';
import { readEdges } from '../../server/core/edge-registry-read.ts';
import { edgeIndexKey, edgeRecordKey, publishHeartbeat, removeEdge, type EdgeRecord } from '../../server/core/edge-registry.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { startFakeEdge, type FakeEdge } from '../helpers/fake-edge.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

interface RoutingEdge {
  id: string;
  url: string;
  region: string;
  status: string;
  load: number | null;
  sources: string[];
}

describe('edge registry through Redis', () => {
  const { prefix, cleanup } = testPrefix('router-registry');
  let redis: Redis;
  let edge: FakeEdge;
  let router: RouterApp;
  let server: Listening;
  const record = (over: Partial<EdgeRecord> = {}): EdgeRecord => ({ id: 'edge-r1', url: edge.url, region: 'eu', load: 3, startedAt: Date.now() - 1_000, ts: Date.now(), ...over });
  const edges = async (): Promise<RoutingEdge[]> => ((await (await fetch(`${server.url}/routing?asset=sample`)).json()) as { edges: RoutingEdge[] }).edges;

  before(async () => {
    redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
    edge = await startFakeEdge();
    // No configured edges: everything the router knows comes from Redis.
    const config = defaultsOf(routerFields, { redisPrefix: prefix, healthIntervalMs: 100, healthTimeoutMs: 100, downAfterMs: 400 });
    router = createRouterApp(config, { redis, processMetrics: false });
    server = await listen(router.app, { port: 0 });
    await router.ready;
  });

  after(async () => {
    await server.close();
    await router.close();
    await edge.close();
    await cleanup();
    redis.disconnect();
  });

  test('publishHeartbeat writes a record readEdges returns; removeEdge deletes it; bad records are skipped', async () => {
    await publishHeartbeat(redis, `${prefix}unit:`, record({ id: 'a' }), 5_000);
    await publishHeartbeat(redis, `${prefix}unit:`, record({ id: 'b', url: 'http://127.0.0.1:1', region: 'us' }), 5_000);
    const ttl = await redis.pttl(edgeRecordKey(`${prefix}unit:`, 'a'));
    assert.ok(ttl > 0 && ttl <= 5_000, `record has a TTL, got ${ttl}`);
    await redis.set(edgeRecordKey(`${prefix}unit:`, 'junk'), '{"id":"junk"}');
    await redis.zadd(edgeIndexKey(`${prefix}unit:`), Date.now() + 5_000, 'junk');
    const read = await readEdges(redis, `${prefix}unit:`);
    assert.deepEqual(read.edges.map((e) => [e.id, e.region]).sort(), [['a', 'eu'], ['b', 'us']]);
    assert.equal(read.invalid, 1);
    await removeEdge(redis, `${prefix}unit:`, 'a');
    assert.deepEqual((await readEdges(redis, `${prefix}unit:`)).edges.map((e) => e.id), ['b']);
    // The reader checks every record (the writer is an edge that refused a bad id or region at startup, or another
    // version): one it would not accept is skipped and counted.
    await publishHeartbeat(redis, `${prefix}unit:`, record({ id: 'bad id!' }), 5_000);
    const again = await readEdges(redis, `${prefix}unit:`);
    assert.deepEqual(again.edges.map((e) => e.id), ['b']);
    assert.equal(again.invalid, 2);
  });

  test('a heartbeat makes an edge known and routable; when heartbeats stop, expiry forgets it', async () => {
    assert.deepEqual(await edges(), []);
    const noEdge = await fetch(`${server.url}/vod/sample/master.m3u8`, { redirect: 'manual' });
    assert.equal(noEdge.status, 503);
    await noEdge.body?.cancel();

    await publishHeartbeat(redis, prefix, record(), 600);
    const known = await waitFor('the registered edge to be up', async () => (await edges()).find((e) => e.status === 'up'));
    assert.deepEqual([known.id, known.url, known.region, known.load, known.sources], ['edge-r1', edge.url, 'eu', 3, ['registry']]);
    const res = await fetch(`${server.url}/vod/sample/master.m3u8?region=eu`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${edge.url}/vod/sample/master.m3u8?region=eu`);
    assert.equal(res.headers.get('x-edgeline-edge'), 'edge-r1');

    // A newer heartbeat updates the load the router sees.
    await publishHeartbeat(redis, prefix, record({ load: 9, ts: Date.now() }), 600);
    await waitFor('the new load', async () => (await edges()).find((e) => e.load === 9));

    // No more heartbeats: Redis expires the record and the router forgets the edge, although it still answers /healthz.
    await waitFor('the edge to be forgotten', async () => (await edges()).length === 0, { timeoutMs: 5_000 });
    assert.equal(await redis.exists(edgeRecordKey(prefix, 'edge-r1')), 0);
  });
});
