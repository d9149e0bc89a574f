// Edges and router on a real local Redis Cluster (three masters): shared tier, cross-edge collapsing, purges, registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { request as undiciRequest } from 'undici';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { keyNodes } from '../../server/core/redis-client.ts';
import { CacheEntry } from '../../server/edge/cache-entry.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startRedisCluster, type LocalCluster } from '../helpers/redis-cluster.ts';

const TOKEN = 'cluster-admin-token-0123456789';
const PREFIX = 'test:cluster:';

describe('Redis Cluster', { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  let origin: CountingOrigin;
  const edges: EdgeApp[] = [];
  const servers: Listening[] = [];
  let a: EdgeApp;
  let b: EdgeApp;
  let router: RouterApp | undefined;

  /** Which masters hold a key: [] when no node has it. */
  const holders = async (edge: EdgeApp, key: string): Promise<number[]> => {
    const client = edge.redis?.client;
    assert.ok(client);
    const found: number[] = [];
    for (const node of keyNodes(client)) {
      const keys = await node.keys(key);
      if (keys.length > 0) found.push(node.options.port ?? 0);
    }
    return found;
  };

  before(async () => {
    [cluster, origin] = await Promise.all([startRedisCluster(3), startCountingOrigin()]);
    for (const id of ['edge-a', 'edge-b']) {
      const edge = await createEdgeApp(
        testEdgeConfig({ origin: [origin.url], redis: 'none', redisClusterNodes: cluster.nodes, redisPrefix: PREFIX, id, region: id === 'edge-a' ? 'eu' : 'us', adminToken: TOKEN, heartbeatMs: 30_000 }),
        { redisWaitMs: 10_000 },
      );
      edges.push(edge);
      const server = await listen(edge, { port: 0 });
      servers.push(server);
      edge.announce(server.url);
    }
    // Heartbeats (and the purge log catch-up they run) are slow here, so a purge reaching the other edge in time came by pub/sub.
    [a, b] = edges as [EdgeApp, EdgeApp];
    assert.equal(a.redis?.isCluster, true, 'REDIS_CLUSTER_NODES wins over REDIS_URL');
    assert.equal(a.redis?.isAvailable, true);
  });

  after(async () => {
    await router?.close();
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(edges.map((e) => e.close()));
    await origin?.stop();
    await cluster?.stop();
  });

  it('misses once at the origin, then the other edge hits the shared tier; objects spread over the masters', async () => {
    const paths = Array.from({ length: 12 }, (_, i) => `/vod/c/240p/seg_${i}.ts`);
    for (const p of paths) origin.set(p, { body: `bytes of ${p}`, headers: { 'content-type': 'text/plain' } });
    for (const p of paths) {
      const miss = await request(a).get(p).expect(200);
      assert.equal(miss.headers['x-cache'], 'MISS');
    }
    const nodesUsed = new Set<number>();
    for (const p of paths) {
      const where = await waitFor(`${p} stored in the cluster`, async () => {
        const h = await holders(a, `${PREFIX}obj:${p}`);
        return h.length === 1 ? h : undefined;
      });
      nodesUsed.add(where[0] ?? 0);
      const hit = await request(b).get(p).expect(200);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.headers['x-cache-tier'], 'redis');
      assert.equal(hit.text, `bytes of ${p}`);
      assert.equal(origin.count(p), 1);
    }
    assert.ok(nodesUsed.size >= 2, `objects hash to several masters, got ${[...nodesUsed].join(',')}`);
  });

  it('collapses concurrent misses across edges through the cluster: one origin fetch', async () => {
    const path = '/vod/cold/240p/seg_1.ts';
    origin.set(path, { body: Buffer.alloc(64 * 1024, 7), headers: { 'content-type': 'video/mp2t' } });
    origin.hold();
    const responses = Array.from({ length: 20 }, async (_, i) => {
      const res = await undiciRequest(`${servers[i % 2]?.url}${path}`);
      return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) };
    });
    // Both edges' requests are parked: one leader at the origin, the other edge waiting on the cluster's lock + notice.
    await waitFor('requests on both edges to wait for one fill', () => origin.count(path) === 1 && (a.edge.fills.get(path) !== undefined) && (b.edge.fills.get(path) !== undefined));
    origin.release();
    const results = await Promise.all(responses);
    assert.equal(origin.count(path), 1, 'the origin saw exactly one request');
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(r.bytes.length, 64 * 1024);
    }
  });

  it('a purge through one edge applies on the other (pub/sub across nodes) and deletes from every master', async () => {
    const paths = Array.from({ length: 6 }, (_, i) => `/vod/p/240p/seg_${i}.ts`);
    for (const p of paths) {
      origin.set(p, { body: `old ${p}`, headers: { 'content-type': 'video/mp2t' } });
      await request(a).get(p).expect(200);
      await waitFor(`${p} in the cluster`, async () => (await holders(a, `${PREFIX}obj:${p}`)).length === 1);
      await request(b).get(p).expect(200); // now in b's memory tier too
      assert.notEqual(b.memory.get(p), undefined);
    }
    const created = await request(a).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/p/*'] }).expect(201);
    await waitFor('edge b to apply the purge from pub/sub', () => paths.every((p) => b.memory.get(p) === undefined));
    for (const p of paths) assert.deepEqual(await holders(a, `${PREFIX}obj:${p}`), [], `${p} deleted from every master`);
    const status = await waitFor('the invalidation to complete on both edges', async () => {
      const s = await request(b).get(`/_edge/invalidations/${created.body.id as string}`).set('Authorization', `Bearer ${TOKEN}`).expect(200);
      return s.body.status === 'Completed' && s.body.edges.length >= 2 ? (s.body as { edges: Array<{ edge: string }> }) : undefined;
    });
    assert.deepEqual([...new Set(status.edges.map((e) => e.edge))].sort(), ['edge-a', 'edge-b']);
    origin.set(paths[0] ?? '', { body: 'new', headers: { 'content-type': 'text/plain' } });
    const fresh = await request(b).get(paths[0] ?? '').expect(200);
    assert.equal(fresh.headers['x-cache'], 'MISS');
    assert.equal(fresh.text, 'new');
  });

  it('refuses to store a fill that predates a matching purge, though object and purge log live in different slots', async () => {
    const tier = a.redis;
    assert.ok(tier);
    const seq = a.edge.purges.appliedSeq;
    const old = new CacheEntry({
      key: '/vod/late/x.ts', status: 200, body: Buffer.from('old'), headers: [], etag: '"e"', upstreamEtag: undefined, lastModifiedMs: undefined,
      storedAt: Date.now(), ttlMs: 60_000, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, fillSeq: seq, upstream: 'origin', targetDurationS: undefined,
    });
    await request(b).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/late/x.ts'] }).expect(201);
    assert.equal(await tier.put(old, 60_000), 'purged');
    assert.equal(await tier.put(old.with({ key: '/vod/other/x.ts' }), 60_000), 'stored');
  });

  it('the router reads the edges’ heartbeats from the cluster', async () => {
    router = createRouterApp(
      defaultsOf(routerFields, { redisClusterNodes: cluster.nodes, redisPrefix: PREFIX, healthIntervalMs: 200, healthTimeoutMs: 150, downAfterMs: 600 }),
      { processMetrics: false, player: false },
    );
    await router.ready;
    const snapshot = await waitFor('both edges in the registry', () => {
      const s = router?.directory.snapshot() ?? [];
      return s.length === 2 && s.every((e) => e.healthy) ? s : undefined;
    });
    assert.deepEqual(snapshot.map((e) => [e.id, e.region, e.sources.join()]).sort(), [['edge-a', 'eu', 'registry'], ['edge-b', 'us', 'registry']]);
    assert.deepEqual(snapshot.map((e) => e.url).sort(), servers.map((s) => s.url).sort());
  });
});
