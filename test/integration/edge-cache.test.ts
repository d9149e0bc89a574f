// The edge against a real counting origin and a real Redis: hit, miss, stale, revalidate, negative caching, tiers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SEGMENT = Buffer.alloc(64 * 1024, 0x47);
const S = 1000;

describe('edge cache', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-cache');
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = (): number => now;
  let edge: EdgeApp;
  const others: EdgeApp[] = [];

  before(async () => {
    origin = await startCountingOrigin();
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix }), { clock });
  });

  after(async () => {
    await Promise.all([edge.close(), ...others.map((e) => e.close())]);
    await origin.stop();
    await prefix.cleanup();
  });

  it('misses once, then hits from memory with Age, Via, tier and CORS headers', async () => {
    origin.set('/vod/a/720p/seg_1.ts', { body: SEGMENT, headers: { 'content-type': 'video/mp2t' } });
    const miss = await request(edge).get('/vod/a/720p/seg_1.ts').expect(200);
    assert.equal(miss.headers['x-cache'], 'MISS');
    assert.equal(miss.headers['x-cache-tier'], 'origin');
    assert.equal(miss.headers['age'], undefined, 'a miss carries no Age');
    assert.deepEqual(Buffer.from(miss.body), SEGMENT);
    await edge.settled(); // the previous fill's store and lock release are over: the clock then moves
    now += 3 * S;
    const hit = await request(edge).get('/vod/a/720p/seg_1.ts').expect(200);
    assert.equal(hit.headers['x-cache'], 'HIT');
    assert.equal(hit.headers['x-cache-tier'], 'memory');
    assert.equal(hit.headers['age'], '3');
    assert.equal(hit.headers['via'], '1.1 test-edge (edgeline)');
    assert.equal(hit.headers['content-type'], 'video/mp2t');
    assert.match(hit.headers['etag'] ?? '', /^"[A-Za-z0-9_-]+"$/);
    assert.equal(hit.headers['access-control-allow-origin'], '*');
    assert.match(hit.headers['access-control-expose-headers'] ?? '', /X-Cache, X-Cache-Tier/);
    assert.deepEqual(Buffer.from(hit.body), SEGMENT);
    assert.equal(origin.count('/vod/a/720p/seg_1.ts'), 1);
    const head = await request(edge).head('/vod/a/720p/seg_1.ts').expect(200);
    assert.equal(head.headers['content-length'], String(SEGMENT.length));
    assert.equal(head.headers['x-cache'], 'HIT');
  });

  it('answers Range (206, multipart 206, 416, ignored) and conditional requests (304) from the cache', async () => {
    origin.set('/vod/a/720p/seg_2.ts', { body: SEGMENT, headers: { 'content-type': 'video/mp2t', 'last-modified': 'Tue, 01 Jan 2030 00:00:00 GMT' } });
    const first = await request(edge).get('/vod/a/720p/seg_2.ts').set('Range', 'bytes=100-199').expect(206);
    assert.equal(first.headers['content-range'], `bytes 100-199/${SEGMENT.length}`);
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(Buffer.from(first.body).length, 100);
    const suffix = await request(edge).get('/vod/a/720p/seg_2.ts').set('Range', 'bytes=-10').expect(206);
    assert.equal(suffix.headers['content-range'], `bytes ${SEGMENT.length - 10}-${SEGMENT.length - 1}/${SEGMENT.length}`);
    assert.equal(suffix.headers['x-cache'], 'HIT');
    const beyond = await request(edge).get('/vod/a/720p/seg_2.ts').set('Range', `bytes=${SEGMENT.length}-`).expect(416);
    assert.equal(beyond.headers['content-range'], `bytes */${SEGMENT.length}`);
    // Several ranges: multipart/byteranges, as the origin answers (http-parity.test.ts checks the parts).
    const multi = await request(edge).get('/vod/a/720p/seg_2.ts').set('Range', 'bytes=0-1,5-9').expect(206);
    assert.match(multi.headers['content-type'] ?? '', /^multipart\/byteranges; boundary=/);
    assert.equal(multi.headers['x-cache'], 'HIT');
    // A malformed Range is ignored: the whole object (RFC 9110 §14.2).
    const malformed = await request(edge).get('/vod/a/720p/seg_2.ts').set('Range', 'bytes=abc').expect(200);
    assert.equal(Buffer.from(malformed.body).length, SEGMENT.length);
    const etag = suffix.headers['etag'] ?? '';
    const notModified = await request(edge).get('/vod/a/720p/seg_2.ts').set('If-None-Match', etag).expect(304);
    assert.equal(notModified.headers['etag'], etag);
    assert.equal(notModified.headers['x-cache'], 'HIT');
    await request(edge).get('/vod/a/720p/seg_2.ts').set('If-Modified-Since', 'Wed, 02 Jan 2030 00:00:00 GMT').expect(304);
    await request(edge).get('/vod/a/720p/seg_2.ts').set('If-None-Match', '"other"').expect(200);
    // If-Range with a stale validator: the whole object instead of the range.
    const ifRange = await request(edge).get('/vod/a/720p/seg_2.ts').set('Range', 'bytes=0-9').set('If-Range', '"other"').expect(200);
    assert.equal(Buffer.from(ifRange.body).length, SEGMENT.length);
    assert.equal(origin.count('/vod/a/720p/seg_2.ts'), 1);
  });

  it('serves stale within stale-while-revalidate and refreshes once in the background', async () => {
    origin.set('/vod/b/index.m3u8', { body: '#EXTM3U\n#v1\n', headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=10, stale-while-revalidate=30' } });
    await request(edge).get('/vod/b/index.m3u8').expect(200);
    origin.set('/vod/b/index.m3u8', { body: '#EXTM3U\n#v2\n', headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=10, stale-while-revalidate=30' } });
    await edge.settled();
    now += 15 * S;
    const stale = await request(edge).get('/vod/b/index.m3u8').expect(200);
    assert.equal(stale.headers['x-cache'], 'STALE');
    assert.equal(stale.text, '#EXTM3U\n#v1\n');
    await waitFor('the background refresh to reach the origin', () => origin.count('/vod/b/index.m3u8') === 2);
    await waitFor('the refreshed playlist to be served', async () => (await request(edge).get('/vod/b/index.m3u8')).text === '#EXTM3U\n#v2\n');
    const fresh = await request(edge).get('/vod/b/index.m3u8').expect(200);
    assert.equal(fresh.headers['x-cache'], 'HIT');
    assert.equal(origin.count('/vod/b/index.m3u8'), 2);
  });

  it('revalidates an expired object with a conditional request (REVALIDATED on 304)', async () => {
    const headers = { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=5, stale-while-revalidate=0', etag: '"v1"' };
    origin.set('/vod/c/index.m3u8', { body: '#EXTM3U\n#c\n', headers });
    await request(edge).get('/vod/c/index.m3u8').expect(200);
    await edge.settled();
    now += 6 * S;
    const r = await request(edge).get('/vod/c/index.m3u8').expect(200);
    assert.equal(r.headers['x-cache'], 'REVALIDATED');
    assert.equal(r.text, '#EXTM3U\n#c\n');
    assert.equal(origin.lastHeaders('/vod/c/index.m3u8')?.['if-none-match'], '"v1"');
    const again = await request(edge).get('/vod/c/index.m3u8').expect(200);
    assert.equal(again.headers['x-cache'], 'HIT');
    // Changed at the origin: the conditional request gets a full 200 and the new bytes.
    await edge.settled();
    now += 6 * S;
    origin.set('/vod/c/index.m3u8', { body: '#EXTM3U\n#c2\n', headers: { ...headers, etag: '"v2"' } });
    const changed = await request(edge).get('/vod/c/index.m3u8').expect(200);
    assert.equal(changed.headers['x-cache'], 'MISS');
    assert.equal(changed.text, '#EXTM3U\n#c2\n');
  });

  it('caches 404 for the negative TTL; a 5xx passes through and is cached 10 s', async () => {
    const before = origin.count('/vod/gone/x.ts');
    await request(edge).get('/vod/gone/x.ts').expect(404);
    const second = await request(edge).get('/vod/gone/x.ts').expect(404);
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(origin.count('/vod/gone/x.ts') - before, 1);
    await edge.settled();
    now += 11 * S;
    const expired = await request(edge).get('/vod/gone/x.ts').expect(404);
    assert.equal(expired.headers['x-cache'], 'MISS');
    assert.equal(origin.count('/vod/gone/x.ts') - before, 2);

    // CloudFront: the origin's status passes through, errors are kept ErrorCachingMinTTL (10 s by default).
    origin.set('/vod/err/x.ts', { status: 500, body: 'boom', headers: { 'content-type': 'text/plain', 'x-trace': 'abc' } });
    const e1 = await request(edge).get('/vod/err/x.ts').expect(500);
    assert.equal(e1.headers['x-cache'], 'MISS');
    assert.equal(e1.text, 'boom');
    assert.equal(e1.headers['x-trace'], 'abc');
    const e2 = await request(edge).get('/vod/err/x.ts').expect(500);
    assert.equal(e2.headers['x-cache'], 'HIT');
    assert.equal(e2.text, 'boom');
    assert.equal(origin.count('/vod/err/x.ts'), 1, 'the second request did not reach the origin');
    await edge.settled();
    now += 11 * S;
    await request(edge).get('/vod/err/x.ts').expect(500);
    assert.equal(origin.count('/vod/err/x.ts'), 2, 'kept 10 s, not longer');
  });

  it('does not store no-store answers when min TTL is 0', async () => {
    origin.set('/live/ch/master.m3u8', { body: '#EXTM3U\n', headers: { 'cache-control': 'no-store' } });
    await request(edge).get('/live/ch/master.m3u8').expect(200);
    const r = await request(edge).get('/live/ch/master.m3u8').expect(200);
    assert.equal(r.headers['x-cache'], 'MISS');
    assert.equal(origin.count('/live/ch/master.m3u8'), 2);
  });

  it('live media playlists live half a target duration', async () => {
    origin.set('/live/ch/360p/index.m3u8', { body: '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:1\n', headers: { 'content-type': 'text/plain' } });
    await request(edge).get('/live/ch/360p/index.m3u8').expect(200);
    await edge.settled();
    now += 1.9 * S;
    assert.equal((await request(edge).get('/live/ch/360p/index.m3u8')).headers['x-cache'], 'HIT');
    await edge.settled();
    now += 0.2 * S;
    // 2.1 s > TD/2: revalidated before answering (a live player must not get the previous window).
    origin.set('/live/ch/360p/index.m3u8', { body: '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:2\n', headers: { 'content-type': 'text/plain' } });
    const next = await request(edge).get('/live/ch/360p/index.m3u8');
    assert.equal(next.headers['x-cache'], 'MISS');
    assert.match(next.text, /MEDIA-SEQUENCE:2/);
    // Origin down: the last window is served at most 1 × TD past its TTL (2 s + 4 s).
    const stop = origin.count('/live/ch/360p/index.m3u8');
    origin.set('/live/ch/360p/index.m3u8', { status: 503, body: 'down' });
    await edge.settled();
    now += 5.9 * S;
    assert.equal((await request(edge).get('/live/ch/360p/index.m3u8')).headers['x-cache'], 'STALE');
    await edge.settled();
    now += 0.2 * S;
    // Past that, the origin's own answer passes through.
    await request(edge).get('/live/ch/360p/index.m3u8').expect(503);
    assert.ok(origin.count('/live/ch/360p/index.m3u8') > stop);
  });

  it('a second edge sharing Redis answers from the Redis tier without asking the origin', async () => {
    origin.set('/vod/d/720p/seg_1.ts', { body: SEGMENT, headers: { 'content-type': 'video/mp2t' } });
    await request(edge).get('/vod/d/720p/seg_1.ts').expect(200);
    await waitFor('the segment to be stored in Redis', async () => (await edge.redis?.get('/vod/d/720p/seg_1.ts')) !== undefined);
    const second = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id: 'edge-two' }), { clock });
    others.push(second);
    const r = await request(second).get('/vod/d/720p/seg_1.ts').expect(200);
    assert.equal(r.headers['x-cache'], 'HIT');
    assert.equal(r.headers['x-cache-tier'], 'redis');
    assert.deepEqual(Buffer.from(r.body), SEGMENT);
    const again = await request(second).get('/vod/d/720p/seg_1.ts').expect(200);
    assert.equal(again.headers['x-cache-tier'], 'memory');
    assert.equal(origin.count('/vod/d/720p/seg_1.ts'), 1);
  });

  it('keeps query parameters out of the key by default (CMCD, signatures)', async () => {
    origin.set('/vod/e/720p/seg_1.ts', { body: SEGMENT });
    await request(edge).get('/vod/e/720p/seg_1.ts?CMCD=bl%3D1000').expect(200);
    const r = await request(edge).get('/vod/e/720p/seg_1.ts?CMCD=bl%3D2000&x=1').expect(200);
    assert.equal(r.headers['x-cache'], 'HIT');
    assert.equal(origin.count('/vod/e/720p/seg_1.ts'), 1);
  });

  it('counts outcomes by tier in /metrics and reports Redis and origin in /healthz', async () => {
    const metrics = await request(edge).get('/metrics').expect(200);
    assert.match(metrics.text, /hls_edge_cache_requests_total\{outcome="hit",tier="memory",role="edge"\} \d+/);
    assert.match(metrics.text, /hls_edge_origin_fetches_total\{upstream="origin",result="ok",role="edge"\} \d+/);
    assert.match(metrics.text, /hls_edge_request_duration_seconds_bucket\{le="0.001",outcome="hit",role="edge"\} \d+/);
    assert.match(metrics.text, /hls_edge_memory_tier_bytes\{role="edge"\} [1-9]\d*/);
    const health = await request(edge).get('/healthz').expect(200);
    assert.equal(health.body.redis.connected, true);
    assert.equal(health.body.origin.reachable, true);
    assert.equal(health.body.origin.origins[0].reachable, true);
    assert.deepEqual(health.body.warnings, []);
  });
});
