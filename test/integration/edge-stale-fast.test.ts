// Serve stale fast (issue 14.3): with the origin frozen, an expired copy answers STALE after the behavior's deadline
// (not after the origin timeout) while the refresh goes on; a cold object gets a 504 after the deadline, also when
// another edge holds its fill lock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const S = 1000;
const LIVE = '/live/ch/360p/index.m3u8';
const windowOf = (seq: number): string => `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${seq}\n#EXTINF:2,\nseg_${seq}.ts\n`;

describe('serve stale fast with a frozen origin', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-stale-fast');
  let a: EdgeApp;
  let b: EdgeApp;
  let now = 1_900_000_000_000;

  before(async () => {
    origin = await startCountingOrigin();
    // The origin and collapse timeouts are far away (2 min; each test gives up after 30 s): the answers below can only
    // come from the behaviors' deadlines.
    const config = (id: string) => testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id, originTimeoutMs: 120_000, collapseWaitMs: 120_000 });
    a = await createEdgeApp(config('edge-a'), { clock: () => now });
    b = await createEdgeApp(config('edge-b'), { clock: () => now });
  });

  after(async () => {
    origin.release();
    await Promise.all([a.close(), b.close()]);
    await origin.stop();
    await prefix.cleanup();
  });

  it('answers an expired live playlist 200 STALE and refreshes it once the origin answers', { timeout: 30_000 }, async () => {
    origin.set(LIVE, { body: windowOf(1), headers: { 'content-type': 'application/vnd.apple.mpegurl' } });
    assert.equal((await request(a).get(LIVE).expect(200)).headers['x-cache'], 'MISS');
    // ½ TD = 1 s of life, then 1 × TD (2 s) in which a stale copy may stand in for a failing origin.
    await a.settled(); // the previous fill's store and lock release are over: the clock then moves
    now += 1.5 * S;
    origin.set(LIVE, { body: windowOf(2), headers: { 'content-type': 'application/vnd.apple.mpegurl' } });
    origin.hold();
    const before = origin.count(LIVE);
    const stale = await request(a).get(LIVE);
    assert.equal(stale.status, 200);
    assert.equal(stale.headers['x-cache'], 'STALE');
    assert.match(stale.text, /MEDIA-SEQUENCE:1\n/);
    assert.equal(origin.count(LIVE), before + 1, 'the refresh reached the origin and is still waiting on it');
    origin.release();
    await waitFor('the refresh to store the new window', () => a.memory.get(LIVE)?.body.toString().includes('MEDIA-SEQUENCE:2') === true);
    // The refresh waited ~1 s on the held origin, and RFC 9111 §4.2.3 counts that delay into the copy's age, so with
    // 1 s of life it may already be due again: what matters is that viewers now get the new window, not the old one.
    const fresh = await request(a).get(LIVE).expect(200);
    assert.match(fresh.text, /MEDIA-SEQUENCE:2\n/);
  });

  it('answers a cold playlist 504 after its deadline, on the edge that fetches and on one waiting for its lock', { timeout: 30_000 }, async () => {
    const path = '/vod/cold/360p/index.m3u8';
    origin.set(path, { body: '#EXTM3U\n', headers: { 'content-type': 'application/vnd.apple.mpegurl' } });
    origin.hold();
    const leader = request(a).get(path).then((r) => r);
    await waitFor('edge A to ask the origin (it holds the fill lock)', () => origin.count(path) === 1);
    const waiter = await request(b).get(path);
    assert.equal(waiter.status, 504);
    assert.equal(waiter.headers['x-cache'], 'ERROR');
    assert.equal(waiter.body.error, 'EDGE_ORIGIN_TIMEOUT');
    const led = await leader;
    assert.equal(led.status, 504);
    assert.equal(led.body.error, 'EDGE_ORIGIN_TIMEOUT');
    assert.equal(origin.count(path), 1, 'the waiting edge did not fetch for itself');
    origin.release();
    // The fill went on in the background: the object is there for the next viewer, on both edges through Redis.
    await waitFor('the fill to finish in the background', () => a.memory.get(path) !== undefined);
    assert.equal((await request(b).get(path).expect(200)).headers['x-cache'], 'HIT');
    assert.equal(origin.count(path), 1);
  });
});
