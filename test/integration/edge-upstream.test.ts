// Upstream tiers and protection: a shield edge as mid tier, signed origin requests, signed viewer URLs, rate limits, registry.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { Redis } from 'ioredis';
import request from 'supertest';
import { readEdges } from '../../server/core/edge-registry-read.ts';
import { generate } from 'selfsigned';
import { listen, listenServer, type Listening } from '../../server/core/listen.ts';
import { verifyOriginRequest } from '../../server/core/origin-auth.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS } from '../../server/edge/behaviors.ts';
import { KeyGroup } from '../../server/edge/cloudfront/key-group.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { run as invalidate } from '../../server/cli/invalidate.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

describe('shield tier and origin access control', () => {
  let origin: CountingOrigin;
  let shield: EdgeApp;
  let shieldServer: Listening;
  let edge: EdgeApp;
  const SECRET = 'origin-secret-0123456789abcdef';

  before(async () => {
    origin = await startCountingOrigin();
    shield = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', id: 'shield-1', originSecret: SECRET }));
    shieldServer = await listen(shield, { port: 0 });
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], shield: shieldServer.url, redis: 'none', id: 'edge-1', originSecret: SECRET }));
  });

  after(async () => {
    await edge.close();
    await shieldServer.close();
    await shield.close();
    await origin.stop();
  });

  it('misses go through the shield, which asks the origin once for all edges behind it', async () => {
    origin.set('/vod/s/720p/seg_1.ts', { body: 'via the shield', headers: { 'content-type': 'text/plain' } });
    const first = await request(edge).get('/vod/s/720p/seg_1.ts').expect(200);
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(first.headers['x-cache-tier'], 'shield');
    assert.equal(first.text, 'via the shield');
    assert.equal(origin.count('/vod/s/720p/seg_1.ts'), 1);
    // The shield now has it; a second edge behind the same shield does not reach the origin.
    const other = await createEdgeApp(testEdgeConfig({ origin: [origin.url], shield: shieldServer.url, redis: 'none', id: 'edge-2' }));
    try {
      const r = await request(other).get('/vod/s/720p/seg_1.ts').expect(200);
      assert.equal(r.headers['x-cache-tier'], 'shield');
      assert.equal(origin.count('/vod/s/720p/seg_1.ts'), 1);
    } finally {
      await other.close();
    }
  });

  it('signs every origin request when ORIGIN_SECRET is set', async () => {
    origin.set('/vod/s/720p/seg_2.ts', { body: 'signed' });
    await request(shield).get('/vod/s/720p/seg_2.ts').expect(200);
    const h = origin.lastHeaders('/vod/s/720p/seg_2.ts');
    assert.ok(h);
    assert.deepEqual(verifyOriginRequest(SECRET, { method: 'GET', path: '/vod/s/720p/seg_2.ts', headers: h, now: Date.now() }), { ok: true });
    assert.match(String(h['via']), /1\.1 shield-1 \(edgeline\)/);
  });

  it('refuses a shield loop', async () => {
    const r = await request(shield).get('/vod/s/720p/seg_1.ts').set('Via', '1.1 shield-1 (edgeline)').expect(508);
    assert.equal(r.body.error, 'EDGE_LOOP');
  });
});

describe('signed URLs, rate limits, registry and the invalidate command', () => {
  let origin: CountingOrigin;
  let edge: EdgeApp;
  let server: Listening;
  const prefix = testPrefix('edge-protect');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const PRIVATE = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const PUBLIC = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const TOKEN = 'admin-token-abcdefghijklmnop';

  before(async () => {
    origin = await startCountingOrigin();
    edge = await createEdgeApp(
      testEdgeConfig({
        origin: [origin.url],
        redis: SHARED_REDIS_URL,
        redisPrefix: prefix.prefix,
        id: 'edge-p',
        region: 'eu',
        signingKeys: KeyGroup.fromPems({ K1: PUBLIC }),
        rateLimit: 1,
        rateBurst: 30,
        adminToken: TOKEN,
        heartbeatMs: 200,
      }),
      { behaviors: [{ ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/private/*', requireSignature: true }, ...DEFAULT_BEHAVIORS] },
    );
    server = await listen(edge, { port: 0 });
    edge.announce(server.url);
  });

  after(async () => {
    await server.close();
    await edge.close();
    await origin.stop();
    await prefix.cleanup();
  });

  it('accepts a URL signed by @aws-sdk/cloudfront-signer and refuses it with one byte changed', async () => {
    origin.set('/vod/private/a/720p/seg_1.ts', { body: 'paid content', headers: { 'content-type': 'text/plain' } });
    const target = `${server.url}/vod/private/a/720p/seg_1.ts`;
    const signed = getSignedUrl({ url: target, keyPairId: 'K1', privateKey: PRIVATE, dateLessThan: new Date(Date.now() + 3_600_000).toISOString() });
    const pathAndQuery = signed.slice(server.url.length);
    const ok = await request(edge).get(pathAndQuery).set('Host', new URL(server.url).host).expect(200);
    assert.equal(ok.text, 'paid content');
    // Signature parameters stay out of the key and away from the origin.
    assert.equal(origin.count('/vod/private/a/720p/seg_1.ts'), 1);
    assert.equal(origin.count('/vod/private/a/720p/seg_1.ts?'), 0);
    const hit = await request(edge).get(pathAndQuery).set('Host', new URL(server.url).host).expect(200);
    assert.equal(hit.headers['x-cache'], 'HIT');
    const tampered = pathAndQuery.replace('seg_1', 'seg_2');
    const denied = await request(edge).get(tampered).set('Host', new URL(server.url).host).expect(403);
    assert.equal(denied.body.error, 'EDGE_SIGNATURE_INVALID');
    assert.equal(denied.body.reason, 'bad-signature');
    const unsigned = await request(edge).get('/vod/private/a/720p/seg_1.ts').expect(403);
    assert.equal(unsigned.body.reason, 'missing');
    const metrics = await edge.metrics.registry.metrics();
    assert.match(metrics, /hls_edge_rejected_requests_total\{reason="signature-bad-signature",role="edge"\} 1/);
  });

  it('announces itself to routers through the Redis registry', async () => {
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const { edges } = await readEdges(redis, prefix.prefix);
      const me = edges.find((e) => e.id === 'edge-p');
      assert.ok(me, 'registered');
      assert.equal(me.url, server.url);
      assert.equal(me.region, 'eu');
    } finally {
      redis.disconnect();
    }
  });

  it('edgeline invalidate purges through the edge and waits for completion', async () => {
    origin.set('/vod/inv/index.m3u8', { body: '#EXTM3U\n' });
    await request(edge).get('/vod/inv/index.m3u8').expect(200);
    assert.notEqual(edge.memory.get('/vod/inv/index.m3u8'), undefined);
    const code = await invalidate(['/vod/inv/*', '--edge', server.url, '--token', TOKEN, '--wait', '--timeout', '5s']);
    assert.equal(code, 0);
    assert.equal(edge.memory.get('/vod/inv/index.m3u8'), undefined);
    assert.equal(await invalidate(['/vod/inv/*', '--edge', server.url, '--token', 'wrong-token']), 1);
  });

  it('limits a client that exceeds its rate with 429 and Retry-After', async () => {
    origin.set('/vod/pub/720p/seg_1.ts', { body: 'public' });
    let limited: request.Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await request(edge).get('/vod/pub/720p/seg_1.ts');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(limited, 'a 429 within 40 requests at burst 30');
    assert.equal(limited.body.error, 'EDGE_RATE_LIMITED');
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
  });
});

describe('viewer protocol policy over TLS', () => {
  it('redirects or refuses plain HTTP per behavior, and serves HTTPS', async () => {
    const origin = await startCountingOrigin();
    origin.set('/vod/secure/720p/seg_1.ts', { body: 'secure', headers: { 'content-type': 'text/plain' } });
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    const edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', tlsCert: 'cert.pem', tlsKey: 'key.pem', httpsPort: 8443, publicUrl: 'http://cdn.example:8081' }), {
      behaviors: [
        { ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/secure/*', viewerProtocolPolicy: 'https-only' },
        { ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/redir/*', viewerProtocolPolicy: 'redirect-to-https' },
        ...DEFAULT_BEHAVIORS,
      ],
    });
    const secure = await listenServer(https.createServer({ cert: pems.cert, key: pems.private }, edge), 0, '127.0.0.1');
    try {
      const refused = await request(edge).get('/vod/secure/720p/seg_1.ts').expect(403);
      assert.equal(refused.body.error, 'EDGE_HTTPS_ONLY');
      // Location comes from the configured public URL: a Host of the client's choosing never names the redirect's target.
      const moved = await request(edge).get('/vod/redir/720p/seg_1.ts?x=1').set('Host', 'evil.example:8081').expect(301);
      assert.equal(moved.headers['location'], 'https://cdn.example:8443/vod/redir/720p/seg_1.ts?x=1');
      const ok = await request(secure.url.replace('http:', 'https:')).get('/vod/secure/720p/seg_1.ts').trustLocalhost().disableTLSCerts().expect(200);
      assert.equal(ok.text, 'secure');
      await request(edge).get('/vod/open/720p/seg_1.ts').expect(404);
    } finally {
      await secure.close();
      await edge.close();
      await origin.stop();
    }
  });
});
