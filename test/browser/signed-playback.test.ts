// Done-when for private content: a URL signed by @aws-sdk/cloudfront-signer plays in the player through a real edge in
// front of a real origin with ORIGIN_SECRET; one byte changed is 403; the origin refuses viewers who go around the edge.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { listen, type Listening } from '../../server/core/listen.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS } from '../../server/edge/behaviors.ts';
import { KeyGroup } from '../../server/edge/cloudfront/key-group.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { packageClip } from '../integration/origin-fixture.ts';

const SECRET = 'signed-playback-origin-secret-0123456789';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

interface PageQoe {
  currentTimeS: number;
  fatalErrors: number;
  segments: Array<{ isInit: boolean; xCache: string | null; bytes: number }>;
}

/** Changes one character of the Signature parameter (still valid CloudFront base64, so it is a bad signature, not junk). */
function oneByteChanged(url: string): string {
  const at = url.indexOf('Signature=') + 'Signature='.length + 7;
  return url.slice(0, at) + (url[at] === 'A' ? 'B' : 'A') + url.slice(at + 1);
}

describe('signed playback through an edge', { timeout: 180_000 }, () => {
  const prefix = testPrefix('signed-playback');
  let mediaDir: string;
  let origin: OriginApp;
  let originServer: Listening;
  let edge: EdgeApp;
  let edgeServer: Listening;
  let browser: TestBrowser;

  before(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-signed-'));
    const [, launched] = await Promise.all([packageClip(mediaDir, 'paid', 6), launchBrowser()]);
    browser = launched;
    origin = createOriginApp(originConfig({ mediaDir, originSecret: [SECRET] }));
    await origin.start();
    originServer = await listen(origin.app, { port: 0 });
    edge = await createEdgeApp(
      testEdgeConfig({
        origin: [originServer.url],
        redis: SHARED_REDIS_URL,
        redisPrefix: prefix.prefix,
        originSecret: SECRET,
        signingKeys: KeyGroup.fromPems({ K2025: publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
      }),
      // The paid asset needs a signed URL or signed cookies; the player page itself is public.
      { behaviors: [{ ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/paid/*', requireSignature: true }, ...DEFAULT_BEHAVIORS] },
    );
    edgeServer = await listen(edge, { port: 0 });
  });

  after(async () => {
    await browser?.close();
    await edgeServer?.close();
    await edge?.close();
    await originServer?.close();
    await origin?.close();
    await prefix.cleanup();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  async function play(src: string): Promise<PageQoe> {
    const tab = await browser.newPage();
    try {
      await tab.goto(`${edgeServer.url}/player/?src=${encodeURIComponent(src)}`);
      await tab.waitForFunction(() => (window.__edgelineQoe?.currentTimeS ?? 0) > 2, undefined, { timeout: 60_000, polling: 250 });
      return (await tab.evaluate(() => window.__edgelineQoe)) as unknown as PageQoe;
    } finally {
      await tab.close();
    }
  }

  it('plays a master playlist URL signed with a wildcard custom policy; one byte changed is 403', async () => {
    const policy = JSON.stringify({
      Statement: [{ Resource: `${edgeServer.url}/vod/paid/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.round(Date.now() / 1000) + 3_600 } } }],
    });
    const signed = getSignedUrl({ url: `${edgeServer.url}/vod/paid/master.m3u8`, keyPairId: 'K2025', privateKey: PRIVATE, policy });
    // The player's later requests carry no query: the edge answered the signed playlist with the same policy as cookies.
    const qoe = await play(signed);
    assert.equal(qoe.fatalErrors, 0);
    const segments = qoe.segments.filter((s) => !s.isInit);
    assert.ok(segments.length >= 2 && segments.every((s) => s.bytes > 0), `segments played: ${JSON.stringify(segments)}`);
    const cookies = await browser.context.cookies(`${edgeServer.url}/vod/paid/master.m3u8`);
    assert.deepEqual(cookies.map((c) => c.name).sort(), ['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
    assert.ok(cookies.every((c) => c.path === '/vod/paid/' && c.httpOnly), 'scoped to the asset, out of reach of scripts');

    const tampered = await fetch(oneByteChanged(signed));
    assert.equal(tampered.status, 403);
    assert.deepEqual(await tampered.json(), { error: 'EDGE_SIGNATURE_INVALID', message: 'a valid CloudFront-style signature is required (bad-signature)', reason: 'bad-signature' });
    assert.equal((await fetch(`${edgeServer.url}/vod/paid/master.m3u8`)).status, 403, 'no signature, no cookies');
    const metrics = await edge.metrics.registry.metrics();
    assert.match(metrics, /hls_edge_rejected_requests_total\{reason="signature-bad-signature",role="edge"\} 1/);
  });

  it('refuses a direct request to the origin, signed viewer URL or not', async () => {
    const res = await fetch(`${originServer.url}/vod/paid/master.m3u8`);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { reason: string }).reason, 'missing');
    const signedForOrigin = getSignedUrl({ url: `${originServer.url}/vod/paid/master.m3u8`, keyPairId: 'K2025', privateKey: PRIVATE, dateLessThan: new Date(Date.now() + 3_600_000) });
    assert.equal((await fetch(signedForOrigin)).status, 403);
  });

  it('plays with signed cookies from @aws-sdk/cloudfront-signer set by the application, and not without them', async () => {
    await browser.context.clearCookies();
    const policy = JSON.stringify({
      Statement: [{ Resource: `${edgeServer.url}/vod/paid/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.round(Date.now() / 1000) + 3_600 } } }],
    });
    const values = getSignedCookies({ keyPairId: 'K2025', privateKey: PRIVATE, policy });
    const host = new URL(edgeServer.url).hostname;
    await browser.context.addCookies(
      Object.entries(values).map(([name, value]) => ({ name, value: String(value), domain: host, path: '/vod/paid/', httpOnly: true, sameSite: 'Lax' as const })),
    );
    const qoe = await play(`${edgeServer.url}/vod/paid/master.m3u8`);
    assert.equal(qoe.fatalErrors, 0);
    assert.ok(qoe.segments.some((s) => !s.isInit && s.xCache === 'HIT'), 'the second viewer is served from the cache');
    await browser.context.clearCookies();
    const tab = await browser.newPage();
    try {
      await tab.goto(`${edgeServer.url}/player/`);
      const status = await tab.evaluate(async (u) => (await fetch(u)).status, `${edgeServer.url}/vod/paid/master.m3u8`);
      assert.equal(status, 403, 'without cookies the page cannot read the asset');
    } finally {
      await tab.close();
    }
  });
});
