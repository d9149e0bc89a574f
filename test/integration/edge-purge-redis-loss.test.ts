// Purges after Redis lost its data (a private redis-server SIGKILLed and restarted): applied, and reported Completed only then.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';

const TOKEN = 'test-admin-token-redis-loss';
const SEGMENT = '/vod/lost/720p/seg_1.ts';

async function purge(edge: EdgeApp, paths: string[]): Promise<string> {
  const r = await request(edge).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths }).expect(201);
  return r.body.id as string;
}

/** What `edgeline invalidate --wait` does: poll until Completed. */
async function purgeAndWait(edge: EdgeApp, paths: string[], timeoutMs = 15_000): Promise<{ edges: Array<{ edge: string; applied: boolean }> }> {
  const id = await purge(edge, paths);
  return waitFor(
    `invalidation ${id} to complete`,
    async () => {
      const s = await request(edge).get(`/_edge/invalidations/${id}`).set('Authorization', `Bearer ${TOKEN}`);
      return s.status === 200 && s.body.status === 'Completed' ? (s.body as { edges: Array<{ edge: string; applied: boolean }> }) : undefined;
    },
    { timeoutMs },
  );
}

async function xcache(edge: EdgeApp, path: string): Promise<string | undefined> {
  return (await request(edge).get(path).expect(200)).headers['x-cache'];
}

/** What each edge answers now. The first edge to miss refills Redis, so the others may answer HIT: with the new bytes. */
async function bodies(edges: readonly EdgeApp[], path: string): Promise<string[]> {
  const out: string[] = [];
  for (const edge of edges) out.push((await request(edge).get(path).buffer(true).expect(200)).body.toString());
  return out;
}

let version = 0;
/** New bytes at the origin for the segment: a purged copy shows itself by its old bytes. */
function newVersion(origin: CountingOrigin): string {
  const body = `segment bytes v${++version}`;
  origin.set(SEGMENT, { body, headers: { 'content-type': 'video/mp2t' } });
  return body;
}

/** Both edges' subscriber and command connections are up again. */
async function reconnected(edges: readonly EdgeApp[]): Promise<void> {
  await waitFor('the edges to reconnect to Redis', () => edges.every((e) => e.redis?.status.connected && e.redis.status.subscriber && e.redis.isAvailable), { timeoutMs: 15_000 });
}

describe('purges survive Redis losing its data', () => {
  let origin: CountingOrigin;
  let redis: PrivateRedis;
  let a: EdgeApp;
  let b: EdgeApp;

  before(async () => {
    origin = await startCountingOrigin();
    origin.set(SEGMENT, { body: 'segment bytes', headers: { 'content-type': 'video/mp2t' } });
    redis = await startPrivateRedis();
    const config = (id: string): ReturnType<typeof testEdgeConfig> =>
      testEdgeConfig({ origin: [origin.url], redis: redis.url, redisPrefix: 'loss:', id, adminToken: TOKEN, heartbeatMs: 200, breakerCooldownMs: 200, redisTimeoutMs: 2_000 });
    a = await createEdgeApp(config('edge-a'));
    b = await createEdgeApp(config('edge-b'));
  });

  after(async () => {
    await Promise.all([a.close(), b.close()]);
    await redis.stop();
    await origin.stop();
  });

  it('three purges, a warm segment, Redis SIGKILLed and restarted: the next purge reaches every edge', async () => {
    for (const n of [1, 2, 3]) await purgeAndWait(a, [`/vod/other-${n}/*`]);
    for (const edge of [a, b]) {
      await request(edge).get(SEGMENT).expect(200);
      assert.equal(await xcache(edge, SEGMENT), 'HIT');
    }
    const seqBefore = a.edge.purges.appliedSeq;

    await redis.stop(); // SIGKILL, no persistence: counter, log and heartbeats are gone
    await redis.start();
    await reconnected([a, b]);
    // The edges find a new epoch; until they prove otherwise they drop what they held (a purge of the lost history
    // may have missed them). Warm the segment again under the new epoch, so the purge below is what must remove it.
    await waitFor('both edges to adopt the new epoch', () => a.edge.purges.redisEpoch === b.edge.purges.redisEpoch && a.edge.purges.redisEpoch !== undefined && a.edge.purges.appliedSeq === 0);
    for (const edge of [a, b]) {
      await waitFor('the segment to be a HIT again', async () => (await xcache(edge, SEGMENT)) === 'HIT');
    }

    const fresh = newVersion(origin);
    const status = await purgeAndWait(b, [SEGMENT]);
    assert.deepEqual(status.edges.map((e) => e.edge).sort(), ['edge-a', 'edge-b'], 'both edge processes report, in the new epoch');
    assert.ok(status.edges.every((e) => e.applied));
    assert.ok(a.edge.purges.appliedSeq > seqBefore, 'sequence numbers kept rising across the restart');
    // Completed means applied: no edge still holds the purged copy, so the next request is a MISS on each.
    for (const edge of [a, b]) assert.equal(edge.memory.get(SEGMENT), undefined);
    assert.equal(await xcache(a, SEGMENT), 'MISS');
    assert.deepEqual(await bodies([a, b], SEGMENT), [fresh, fresh]);
  });

  it('a copy stored before the restart is not served after a purge issued after it (the issue\'s repro)', async () => {
    for (const edge of [a, b]) {
      await request(edge).get(SEGMENT).expect(200);
      await waitFor('a warm segment', async () => (await xcache(edge, SEGMENT)) === 'HIT');
    }
    await redis.stop();
    await redis.start();
    await reconnected([a, b]);
    const fresh = newVersion(origin);
    await purgeAndWait(a, [SEGMENT]);
    for (const edge of [a, b]) assert.equal(edge.memory.get(SEGMENT), undefined);
    assert.equal(await xcache(b, SEGMENT), 'MISS');
    assert.deepEqual(await bodies([b, a], SEGMENT), [fresh, fresh]);
  });

  it('a copy filled before the restart is refused by the store-time check after a purge in the new epoch', async () => {
    const tier = a.redis;
    assert.ok(tier);
    await request(a).get(SEGMENT).expect(200);
    const stale = a.memory.get(SEGMENT);
    assert.ok(stale, 'a copy to try storing again');
    await redis.stop();
    await redis.start();
    await reconnected([a, b]);
    await purge(b, ['/vod/lost/*']);
    assert.equal(await tier.put(stale, 60_000), 'purged', 'a fill numbered in the lost epoch is older than every purge of the new one');
  });
});

describe('a pub/sub blip right after a restart', () => {
  let origin: CountingOrigin;
  let redis: PrivateRedis;
  let a: EdgeApp;
  let b: EdgeApp;
  let admin: Redis;

  before(async () => {
    origin = await startCountingOrigin();
    origin.set(SEGMENT, { body: 'segment bytes', headers: { 'content-type': 'video/mp2t' } });
    redis = await startPrivateRedis();
    // Heartbeats (and their periodic log reads) a minute apart: only the read on reconnect can bring the purge.
    const config = (id: string): ReturnType<typeof testEdgeConfig> =>
      testEdgeConfig({ origin: [origin.url], redis: redis.url, redisPrefix: 'blip:', id, adminToken: TOKEN, heartbeatMs: 60_000, redisTimeoutMs: 2_000 });
    a = await createEdgeApp(config('edge-a'));
    b = await createEdgeApp(config('edge-b'));
  });

  after(async () => {
    admin?.disconnect();
    await Promise.all([a.close(), b.close()]);
    await redis.stop();
    await origin.stop();
  });

  it('does not lose a purge: the subscriber reads the log when it is back', async () => {
    await redis.stop();
    await redis.start();
    await reconnected([a, b]);
    admin = new Redis(redis.url);
    for (const edge of [a, b]) {
      await request(edge).get(SEGMENT).expect(200);
      await waitFor('a warm segment', async () => (await xcache(edge, SEGMENT)) === 'HIT');
    }
    const appliedBefore = b.edge.purges.epoch;
    // Cut every subscriber and keep it out (no client slots left) while the purge is announced.
    const clients = Number((/connected_clients:(\d+)/.exec(await admin.info('clients')) ?? [])[1]);
    const pubsub = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const subscribers = pubsub.split('\n').filter((l) => l.trim() !== '').length;
    assert.ok(subscribers >= 2, 'both edges subscribe');
    await admin.config('SET', 'maxclients', String(clients - subscribers));
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await waitFor('the subscribers to be cut off', () => ![a, b].some((e) => e.redis?.status.subscriber));
    const fresh = newVersion(origin);
    await purge(a, [SEGMENT]);
    assert.equal(b.edge.purges.epoch, appliedBefore, 'edge b missed the announcement');
    assert.notEqual(b.memory.get(SEGMENT), undefined, 'and still holds the segment');
    await admin.config('SET', 'maxclients', '10000');
    await reconnected([a, b]);
    await waitFor('edge b to apply the purge from the log', () => b.edge.purges.epoch > appliedBefore);
    assert.equal(b.memory.get(SEGMENT), undefined);
    assert.equal(await xcache(b, SEGMENT), 'MISS');
    assert.deepEqual(await bodies([b], SEGMENT), [fresh]);
  });
});
