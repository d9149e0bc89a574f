// The edge as a general RFC 9111 shared cache on any path: headers kept, Vary, Authorization, revalidation, methods.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { FOLLOW_ORIGIN } from '../../server/edge/behavior-presets.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS } from '../../server/edge/behaviors.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const S = 1000;

describe('edge as an RFC 9111 cache', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-rfc9111');
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = (): number => now;
  let edge: EdgeApp;

  before(async () => {
    origin = await startCountingOrigin();
    const behaviors = [
      // A GET,HEAD,OPTIONS behavior with the defaults' header policy (Set-Cookie stripped), then the preset on /*.
      { ...BEHAVIOR_DEFAULTS, pathPattern: '/opts/*', allowedMethods: 'GET,HEAD,OPTIONS' as const, defaultTtlMs: 0 },
      ...DEFAULT_BEHAVIORS.filter((b) => b.pathPattern !== '*'),
      ...FOLLOW_ORIGIN,
    ];
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix }), { clock, behaviors });
  });

  after(async () => {
    await edge.close();
    await origin.stop();
    await prefix.cleanup();
  });

  it('keeps end-to-end origin headers on miss and hit, drops hop-by-hop ones, strips Set-Cookie on media paths', async () => {
    const headers = {
      'cache-control': 'max-age=60',
      'x-custom': 'one',
      'content-security-policy': "default-src 'self'",
      'timing-allow-origin': '*',
      'content-location': '/page/a.html',
      connection: 'x-hop',
      'x-hop': 'secret',
      'set-cookie': 'session=1',
    };
    origin.set('/page/a', { body: 'page', headers: { 'content-type': 'text/html', ...headers } });
    origin.set('/vod/c/720p/seg_1.ts', { body: 'seg', headers: { 'content-type': 'video/mp2t', ...headers } });
    for (const path of ['/page/a', '/vod/c/720p/seg_1.ts']) {
      const miss = await request(edge).get(path).expect(200);
      await edge.settled(); // the previous fill's store and lock release are over: the clock then moves
      now += 2 * S;
      const hit = await request(edge).get(path).expect(200);
      assert.equal(miss.headers['x-cache'], 'MISS', path);
      assert.equal(hit.headers['x-cache'], 'HIT', path);
      for (const r of [miss, hit]) {
        assert.equal(r.headers['x-custom'], 'one', path);
        assert.equal(r.headers['content-security-policy'], "default-src 'self'", path);
        assert.equal(r.headers['timing-allow-origin'], '*', path);
        assert.equal(r.headers['content-location'], '/page/a.html', path);
        assert.equal(r.headers['x-hop'], undefined, `${path}: a field named by Connection is hop-by-hop`);
        assert.ok(r.headers['date'], `${path}: Date is passed on`);
      }
      assert.equal(hit.headers['date'], miss.headers['date'], `${path}: the stored Date, not a new one`);
      assert.equal(hit.headers['age'], '2', path);
      const cookie = path.startsWith('/vod/') ? undefined : ['session=1'];
      assert.deepEqual(miss.headers['set-cookie'], cookie, path);
      assert.deepEqual(hit.headers['set-cookie'], cookie, path);
    }
  });

  it('stores one variant per Vary value (normalised) and never reuses Vary: *', async () => {
    origin.set('/vary/a', { body: 'v', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language, X-Foo' } });
    const get = (lang: string | undefined, foo = '1') => {
      const r = request(edge).get('/vary/a').set('x-foo', foo);
      return lang === undefined ? r : r.set('accept-language', lang);
    };
    assert.equal((await get('en')).headers['x-cache'], 'MISS');
    assert.equal((await get('en')).headers['x-cache'], 'HIT');
    assert.equal((await get('fr')).headers['x-cache'], 'MISS', 'another value, another variant');
    assert.equal((await get(undefined)).headers['x-cache'], 'MISS', 'absent is a value of its own');
    assert.equal((await get('en', '2')).headers['x-cache'], 'MISS');
    assert.equal((await get('fr')).headers['x-cache'], 'HIT', 'variants live side by side');
    assert.equal((await get('en')).headers['x-cache'], 'HIT');
    assert.equal(origin.count('/vary/a'), 4);
    assert.equal(origin.lastHeaders('/vary/a')?.['accept-language'], 'en', 'the varying fields reach the origin');

    origin.set('/vary/b', { body: 'v', headers: { 'cache-control': 'max-age=60', vary: 'accept-language' } });
    await request(edge).get('/vary/b').set('accept-language', 'en, fr');
    const same = await request(edge).get('/vary/b').set('accept-language', 'en,fr');
    assert.equal(same.headers['x-cache'], 'HIT', 'whitespace around commas does not make another variant');

    origin.set('/vary/star', { body: 'v', headers: { 'cache-control': 'max-age=60', vary: '*' } });
    await request(edge).get('/vary/star').expect(200);
    assert.equal((await request(edge).get('/vary/star')).headers['x-cache'], 'MISS');
    assert.equal(origin.count('/vary/star'), 2);
  });

  it('stores a response that varies only on a field the origin never got (Accept-Encoding on media) as one object', async () => {
    const path = '/vod/vary-ae/720p/index.m3u8';
    origin.set(path, { body: '#EXTM3U', headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=60', vary: 'Accept-Encoding' } });
    const gzip = await request(edge).get(path).set('accept-encoding', 'gzip').expect(200);
    const br = await request(edge).get(path).set('accept-encoding', 'br').expect(200);
    const none = await request(edge).get(path).expect(200);
    assert.equal(gzip.headers['x-cache'], 'MISS');
    assert.equal(br.headers['x-cache'], 'HIT', 'the origin answered without Accept-Encoding: one representation for all');
    assert.equal(none.headers['x-cache'], 'HIT');
    assert.equal(none.headers['vary'], 'Accept-Encoding', 'Vary still reaches the viewer, for caches after the edge');
    assert.equal(origin.count(path), 1);
    assert.equal(origin.lastHeaders(path)?.['accept-encoding'], undefined, 'the media behavior does not forward it');
    const stored = edge.memory.get(path);
    assert.ok(stored && !stored.isVarySpec, 'stored under its own key, not as a Vary spec and a variant');
  });

  it('a second edge finds the Vary spec and the right variant in Redis', async () => {
    origin.set('/vary/shared', { body: 'v', headers: { 'cache-control': 'max-age=60', vary: 'accept-language' } });
    await request(edge).get('/vary/shared').set('accept-language', 'en').expect(200);
    await waitFor('the variant to be stored in Redis', async () => {
      const spec = await edge.redis?.get('/vary/shared');
      return spec?.isVarySpec === true && spec.varyNames?.[0] === 'accept-language';
    });
    const second = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id: 'edge-two' }), { clock, behaviors: edge.settings.behaviors });
    try {
      await waitFor('the variant in Redis', async () => (await request(second).get('/vary/shared').set('accept-language', 'en')).headers['x-cache-tier'] === 'redis');
      assert.equal(origin.count('/vary/shared'), 1);
      const fr = await request(second).get('/vary/shared').set('accept-language', 'fr');
      assert.equal(fr.headers['x-cache'], 'MISS');
      assert.equal(origin.count('/vary/shared'), 2);
    } finally {
      await second.close();
    }
  });

  it('sends Authorization to the origin and does not reuse the answer unless it is public (RFC 9111 §3.5)', async () => {
    origin.set('/auth/private', { body: 'mine', headers: { 'cache-control': 'max-age=60' } });
    await request(edge).get('/auth/private').set('authorization', 'Bearer a').expect(200);
    assert.equal(origin.lastHeaders('/auth/private')?.['authorization'], 'Bearer a');
    const again = await request(edge).get('/auth/private').set('authorization', 'Bearer b').expect(200);
    assert.equal(again.headers['x-cache'], 'MISS');
    assert.equal(origin.lastHeaders('/auth/private')?.['authorization'], 'Bearer b');
    assert.equal(origin.count('/auth/private'), 2, 'not stored');
    // On a media path (default header policy) Authorization still reaches the origin.
    origin.set('/vod/auth/720p/seg_1.ts', { body: 'seg' });
    await request(edge).get('/vod/auth/720p/seg_1.ts').set('authorization', 'Bearer c').expect(200);
    assert.equal(origin.lastHeaders('/vod/auth/720p/seg_1.ts')?.['authorization'], 'Bearer c');
    assert.equal((await request(edge).get('/vod/auth/720p/seg_1.ts').set('authorization', 'Bearer c')).headers['x-cache'], 'MISS');

    origin.set('/auth/public', { body: 'shared', headers: { 'cache-control': 'public, max-age=60' } });
    await request(edge).get('/auth/public').set('authorization', 'Bearer a').expect(200);
    assert.equal((await request(edge).get('/auth/public').set('authorization', 'Bearer a')).headers['x-cache'], 'HIT');
    assert.equal(origin.count('/auth/public'), 1);
  });

  it('must-revalidate and no-cache keep the copy and revalidate it with a conditional request (304)', async () => {
    origin.set('/mr/a', { body: 'kept', headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=1, must-revalidate', etag: '"v1"' } });
    origin.set('/nc/a', { body: 'kept', headers: { 'content-type': 'text/plain', 'cache-control': 'no-cache', 'last-modified': 'Tue, 01 Jan 2030 00:00:00 GMT' } });
    await request(edge).get('/mr/a').expect(200);
    await request(edge).get('/nc/a').expect(200);
    await edge.settled();
    now += 5 * S;
    const mr = await request(edge).get('/mr/a').expect(200);
    assert.equal(mr.headers['x-cache'], 'REVALIDATED');
    assert.equal(mr.text, 'kept');
    assert.equal(origin.lastHeaders('/mr/a')?.['if-none-match'], '"v1"');
    const nc = await request(edge).get('/nc/a').expect(200);
    assert.equal(nc.headers['x-cache'], 'REVALIDATED', 'no-cache: every reuse is revalidated');
    assert.equal(origin.lastHeaders('/nc/a')?.['if-modified-since'], 'Tue, 01 Jan 2030 00:00:00 GMT');
    assert.equal(origin.count('/mr/a'), 2);
    assert.equal(origin.count('/nc/a'), 2);
    // must-revalidate forbids a stale answer when the origin fails (stale-if-error does not apply).
    origin.set('/mr/a', { status: 503, body: 'down', headers: { 'content-type': 'text/plain' } });
    await edge.settled();
    now += 5 * S;
    await request(edge).get('/mr/a').expect(503);
  });

  it('forwards other methods uncached and a non-error answer invalidates the URL and its Location (RFC 9111 §4.4)', async () => {
    origin.set('/items/1', { body: 'item v1', headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' } });
    origin.set('/items', { body: 'list', headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' } });
    await request(edge).get('/items/1').expect(200);
    await request(edge).get('/items').expect(200);
    assert.equal((await request(edge).get('/items/1')).headers['x-cache'], 'HIT');
    assert.equal((await request(edge).get('/items')).headers['x-cache'], 'HIT');

    // The POST answer names /items/1 in Location: both the target and it are invalidated.
    origin.set('/items', { status: 201, body: 'created', headers: { location: '/items/1', 'content-type': 'text/plain' } });
    const post = await request(edge).post('/items').set('content-type', 'application/json').send('{"name":"x"}').expect(201);
    assert.equal(post.headers['x-cache'], 'BYPASS');
    assert.equal(post.text, 'created');
    assert.equal(origin.lastHeaders('/items')?.['content-type'], 'application/json', 'the body and its type reach the origin');
    const postCount = origin.count('/items');

    origin.set('/items', { body: 'list v2', headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' } });
    origin.set('/items/1', { body: 'item v2', headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' } });
    const list = await request(edge).get('/items').expect(200);
    assert.equal(list.headers['x-cache'], 'MISS');
    assert.equal(list.text, 'list v2');
    const item = await request(edge).get('/items/1').expect(200);
    assert.equal(item.headers['x-cache'], 'MISS', 'Location is invalidated too');
    assert.equal(item.text, 'item v2');
    assert.equal(origin.count('/items'), postCount + 1);

    // An error answer invalidates nothing.
    origin.set('/items', { status: 500, body: 'no', headers: { 'content-type': 'text/plain' } });
    await request(edge).delete('/items').expect(500);
    assert.equal((await request(edge).get('/items/1')).headers['x-cache'], 'HIT');
  });

  it('answers 405 with Allow for methods a behavior does not allow, and forwards OPTIONS where it is allowed', async () => {
    const put = await request(edge).put('/opts/x').send('x').expect(405);
    assert.equal(put.headers['allow'], 'GET, HEAD, OPTIONS');
    origin.set('/opts/x', { status: 204, body: '', headers: { allow: 'GET, OPTIONS' } });
    const before = origin.count('/opts/x');
    const opts = await request(edge).options('/opts/x').expect(204);
    assert.equal(opts.headers['allow'], 'GET, OPTIONS');
    assert.equal(origin.count('/opts/x'), before + 1);
    // Media paths keep their own answer (the Express app's 405).
    await request(edge).post('/vod/a/720p/seg_1.ts').expect(405);
  });
});
