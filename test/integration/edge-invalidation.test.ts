// Invalidation: a purge through one edge empties every edge and Redis; a fill racing a purge does not resurrect it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import request from 'supertest';
import { CacheEntry } from '../../server/edge/cache-entry.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TOKEN = 'test-admin-token-0123456789';

describe('edge invalidation', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-inv');
  let a: EdgeApp;
  let b: EdgeApp;
  let redis: Redis;

  const objectKeys = async (pattern: string): Promise<string[]> => redis.keys(`${prefix.prefix}obj:${pattern}`);

  before(async () => {
    origin = await startCountingOrigin();
    const config = (id: string): ReturnType<typeof testEdgeConfig> =>
      testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id, adminToken: TOKEN, heartbeatMs: 200 });
    a = await createEdgeApp(config('edge-a'));
    b = await createEdgeApp(config('edge-b'));
    redis = new Redis(SHARED_REDIS_URL);
  });

  after(async () => {
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
    await origin.stop();
    await prefix.cleanup();
  });

  it('requires the bearer token', async () => {
    await request(a).post('/_edge/invalidations').send({ paths: ['/vod/x/*'] }).expect(401);
    const wrong = await request(a).post('/_edge/invalidations').set('Authorization', 'Bearer nope').send({ paths: ['/vod/x/*'] }).expect(401);
    assert.equal(wrong.body.error, 'EDGE_UNAUTHORIZED');
    assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="edgeline-admin"');
    const bad = await request(a).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['vod/no-slash', '/a*b'] }).expect(400);
    assert.match(bad.body.message, /paths\[0\]/);
    const disabled = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none' }));
    try {
      const r = await request(disabled).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/*'] }).expect(403);
      assert.equal(r.body.error, 'EDGE_ADMIN_DISABLED');
    } finally {
      await disabled.close();
    }
  });

  it('a prefix purge through one edge removes the objects from both edges and from Redis', async () => {
    for (const p of ['/vod/p/720p/seg_1.ts', '/vod/p/720p/seg_2.ts', '/vod/keep/720p/seg_1.ts']) origin.set(p, { body: `body of ${p}` });
    for (const p of ['/vod/p/720p/seg_1.ts', '/vod/p/720p/seg_2.ts', '/vod/keep/720p/seg_1.ts']) {
      await request(a).get(p).expect(200);
      await waitFor(`${p} in Redis`, async () => (await objectKeys(p)).length === 1);
      assert.equal((await request(b).get(p).expect(200)).headers['x-cache-tier'], 'redis');
    }
    const created = await request(b).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/p/*'] }).expect(201);
    assert.match(created.body.id, /^I[0-9A-F]{16}$/);
    assert.equal(created.headers['location'], `/_edge/invalidations/${created.body.id}`);
    assert.deepEqual(await objectKeys('/vod/p/*'), [], 'purged from Redis');
    assert.equal((await objectKeys('/vod/keep/*')).length, 1, 'other objects untouched');
    await waitFor('the invalidation to complete on every edge', async () => {
      const s = await request(a).get(`/_edge/invalidations/${created.body.id}`).set('Authorization', `Bearer ${TOKEN}`).expect(200);
      return s.body.status === 'Completed' && s.body.edges.length >= 2;
    });
    for (const edge of [a, b]) {
      assert.equal(edge.memory.get('/vod/p/720p/seg_1.ts'), undefined);
      assert.notEqual(edge.memory.get('/vod/keep/720p/seg_1.ts'), undefined);
    }
    const before = origin.count('/vod/p/720p/seg_1.ts');
    assert.equal((await request(a).get('/vod/p/720p/seg_1.ts').expect(200)).headers['x-cache'], 'MISS');
    assert.equal(origin.count('/vod/p/720p/seg_1.ts'), before + 1);
    await request(a).get('/_edge/invalidations/INOSUCHID0000000').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('an exact purge also removes query variants of the path', async () => {
    origin.set('/vod/q/index.m3u8', { body: '#EXTM3U\n' });
    await request(a).get('/vod/q/index.m3u8').expect(200);
    await request(a).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/q/index.m3u8'] }).expect(201);
    assert.equal(a.memory.get('/vod/q/index.m3u8'), undefined);
  });

  it('a fill in flight when the purge arrives does not put the old object back', async () => {
    const path = '/vod/race/720p/seg_1.ts';
    origin.set(path, { body: 'old bytes', headers: { 'content-type': 'text/plain' } });
    origin.hold();
    const inFlight = request(a).get(path);
    const pending = inFlight.then((r) => r);
    await waitFor('the fill to reach the origin', () => origin.count(path) === 1);
    // The fill's own outcome is the proof: the store step settles it with the object it stored ("entry", which is
    // then shared to Redis) or with "retry" when it keeps nothing. No sleep-then-look.
    const fill = a.edge.fills.get(path);
    assert.ok(fill, 'edge a has the fill in flight');
    await request(b).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/race/*'] }).expect(201);
    // Edge a learns of the purge through pub/sub before the fill completes.
    await waitFor('edge a to apply the purge', () => a.edge.purges.appliedSeq >= b.edge.purges.appliedSeq);
    origin.release();
    const [r, outcome] = await Promise.all([pending, fill.outcome]);
    assert.equal(r.text, 'old bytes', 'the viewer that asked before the purge still gets its answer');
    assert.equal(outcome.kind, 'retry', 'the store step kept nothing: no entry to put in memory or share to Redis');
    assert.equal(a.memory.get(path), undefined, 'not stored in memory');
    assert.deepEqual(await objectKeys(path), [], 'not stored in Redis');
    origin.set(path, { body: 'new bytes', headers: { 'content-type': 'text/plain' } });
    const after = await request(a).get(path).expect(200);
    assert.equal(after.text, 'new bytes');
  });

  it('a store moves the object\'s bytes from their staging key into place, with the retention as its expiry', async () => {
    const tier = a.redis;
    assert.ok(tier);
    const body = Buffer.alloc(300_000, 7);
    const entry = new CacheEntry({
      key: '/vod/staged/x.ts', status: 200, body, headers: [['Content-Type', 'video/mp2t']], etag: '"s"', upstreamEtag: undefined, lastModifiedMs: undefined,
      storedAt: Date.now(), ttlMs: 60_000, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, fillSeq: b.edge.purges.appliedSeq, upstream: 'origin', targetDurationS: undefined,
    });
    assert.equal(await tier.put(entry, 45_000), 'stored');
    const stored = await redis.getBuffer(`${prefix.prefix}obj:/vod/staged/x.ts`);
    assert.ok(stored && stored.equals(entry.encode()), 'the object holds exactly the encoded entry');
    const ttl = await redis.pttl(`${prefix.prefix}obj:/vod/staged/x.ts`);
    assert.ok(ttl > 40_000 && ttl <= 45_000, `expires with the retention (45 s), not the staging key's: ${ttl} ms`);
    assert.deepEqual(await redis.keys(`${prefix.prefix}staging:*`), [], 'nothing staged is left');
    const back = await tier.get('/vod/staged/x.ts');
    assert.ok(back && back.body.equals(body), 'read back whole');
  });

  it('Redis refuses a store whose fill predates a matching purge (the pub/sub message may come late)', async () => {
    const tier = a.redis;
    assert.ok(tier);
    const seq = b.edge.purges.appliedSeq;
    const old = new CacheEntry({
      key: '/vod/late/x.ts', status: 200, body: Buffer.from('old'), headers: [], etag: '"e"', upstreamEtag: undefined, lastModifiedMs: undefined,
      storedAt: Date.now(), ttlMs: 60_000, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, fillSeq: seq, upstream: 'origin', targetDurationS: undefined,
    });
    await request(b).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/late/x.ts'] }).expect(201);
    assert.equal(await tier.put(old, 60_000), 'purged');
    assert.deepEqual(await redis.keys(`${prefix.prefix}staging:*`), [], 'a refused store leaves no staged bytes behind');
    assert.equal(await tier.put(old.with({ key: '/vod/other/x.ts' }), 60_000), 'stored');
    // And a copy that slipped into Redis anyway is refused on read by an edge that knows the purge.
    await redis.set(`${prefix.prefix}obj:/vod/late/x.ts`, old.encode(), 'PX', 60_000);
    await waitFor('edge a to apply the purge', () => a.edge.purges.appliedSeq > seq);
    const r = await request(a).get('/vod/late/x.ts');
    assert.equal(r.status, 404, 'went to the origin (which has nothing) instead of serving the purged copy');
  });
});
