// IP conditions through the router: with the router as a trusted proxy, a signed URL gets the same answer via it as directly.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS } from '../../server/edge/behaviors.ts';
import { KeyGroup } from '../../server/edge/cloudfront/key-group.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const MASTER = '/vod/paid/master.m3u8';
// Viewers on other loopback addresses: Linux routes all of 127.0.0.0/8 to lo, so a client can pick its source address.
const ALLOWED = '127.0.0.2';
const REFUSED = '127.0.0.3';

/** GET from a chosen source address, with extra headers: what a viewer at that address sees. */
function getFrom(localAddress: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** A custom-policy signed URL for every host (the router's and the edge's), valid only from `cidr`. */
function signedFor(cidr: string): string {
  const policy = JSON.stringify({
    Statement: [{ Resource: 'http*://*/vod/paid/*', Condition: { DateLessThan: { 'AWS:EpochTime': Math.round(Date.now() / 1000) + 3600 }, IpAddress: { 'AWS:SourceIp': cidr } } }],
  });
  const signed = new URL(getSignedUrl({ url: `http://cdn.example${MASTER}`, keyPairId: 'K1', privateKey: PRIVATE, policy }));
  return `${signed.pathname}${signed.search}`;
}

describe('trusted proxies', () => {
  let origin: CountingOrigin;
  let edge: EdgeApp;
  let edgeServer: Listening;
  let router: RouterApp;
  let routerServer: Listening;

  before(async () => {
    origin = await startCountingOrigin();
    origin.set(MASTER, { body: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n', headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=60' } });
    edge = await createEdgeApp(
      testEdgeConfig({
        origin: [origin.url],
        redis: 'none',
        id: 'edge-ip',
        signingKeys: KeyGroup.fromPems({ K1: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
        // The router reaches the edge from 127.0.0.1; viewers come from other addresses.
        trustProxy: ['127.0.0.1/32'],
        rateLimit: 1_000,
      }),
      { behaviors: [{ ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/paid/*', requireSignature: true }, ...DEFAULT_BEHAVIORS] },
    );
    edgeServer = await listen(edge, { port: 0 });
    router = createRouterApp(defaultsOf(routerFields, { edges: [{ url: edgeServer.url, region: undefined }] }), { processMetrics: false, player: false });
    routerServer = await listen(router.app, { port: 0 });
    await router.ready;
  });

  after(async () => {
    await routerServer.close();
    await router.close();
    await edgeServer.close();
    await edge.close();
    await origin.stop();
  });

  it('an IpAddress-restricted signed URL: the same answer through the router as directly, for the allowed and the refused viewer', async () => {
    const url = signedFor(`${ALLOWED}/32`);
    const direct = { allowed: await getFrom(ALLOWED, `${edgeServer.url}${url}`), refused: await getFrom(REFUSED, `${edgeServer.url}${url}`) };
    const viaRouter = { allowed: await getFrom(ALLOWED, `${routerServer.url}${url}`), refused: await getFrom(REFUSED, `${routerServer.url}${url}`) };
    assert.equal(direct.allowed.status, 200);
    assert.equal(direct.refused.status, 403);
    assert.match(direct.refused.body, /ip-not-allowed/);
    assert.equal(viaRouter.allowed.status, 200, 'the router forwarded the viewer\'s address, which the edge believed from the router');
    assert.match(viaRouter.allowed.body, /EXT-X-CONTENT-STEERING/, 'a steered master playlist');
    assert.equal(viaRouter.refused.status, 403, 'a viewer the policy refuses gets no master (and no signed variant URLs) through the router');
    assert.match(viaRouter.refused.body, /ip-not-allowed/);
  });

  it('ignores a forged X-Forwarded-For from an untrusted client, at the edge and at the router', async () => {
    const url = signedFor(`${ALLOWED}/32`);
    const forged = { 'X-Forwarded-For': ALLOWED, 'CloudFront-Viewer-Address': `${ALLOWED}:4242`, 'X-Forwarded-Proto': 'https' };
    assert.equal((await getFrom(REFUSED, `${edgeServer.url}${url}`, forged)).status, 403);
    assert.equal((await getFrom(REFUSED, `${routerServer.url}${url}`, forged)).status, 403);
    // Prepending to the chain does not help either: the edge walks it from the right, past the router only.
    assert.equal((await getFrom(REFUSED, `${routerServer.url}${url}`, { 'X-Forwarded-For': `${ALLOWED}, ${ALLOWED}` })).status, 403);
  });

  it('rate limits count the viewer behind the router, not the router', async () => {
    const limited = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', trustProxy: ['127.0.0.1/32'], rateLimit: 0.001, rateBurst: 1 }));
    const server = await listen(limited, { port: 0 });
    try {
      const path = '/vod/free/master.m3u8';
      origin.set(path, { body: '#EXTM3U\n', headers: { 'content-type': 'application/vnd.apple.mpegurl' } });
      // From the trusted hop, on behalf of two viewers: each has its own bucket of one.
      assert.equal((await getFrom('127.0.0.1', `${server.url}${path}`, { 'X-Forwarded-For': ALLOWED })).status, 200);
      assert.equal((await getFrom('127.0.0.1', `${server.url}${path}`, { 'X-Forwarded-For': REFUSED })).status, 200);
      assert.equal((await getFrom('127.0.0.1', `${server.url}${path}`, { 'X-Forwarded-For': ALLOWED })).status, 429);
      // An untrusted client's forged header is not a fresh bucket: it is counted as itself.
      assert.equal((await getFrom(REFUSED, `${server.url}${path}`, { 'X-Forwarded-For': '127.0.0.9' })).status, 429);
    } finally {
      await server.close();
      await limited.close();
    }
  });
});
