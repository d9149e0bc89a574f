// Signed-URL checks around the verifier: the URL → cookies hand-off for playlists, and CMCD appended by players.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { KeyGroup } from '../../../server/edge/cloudfront/key-group.ts';
import { verifyViewerRequest } from '../../../server/edge/cloudfront/verifier.ts';
import { signedUrlCookies } from '../../../server/edge/viewer-checks.ts';

const NOW = Date.UTC(2030, 0, 1, 12);
const LATER_S = NOW / 1000 + 3_600;
const BASE = 'https://cdn.example.com';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const group = KeyGroup.fromPems({ K1: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() });

function policy(resource: string): string {
  return JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': LATER_S } } }] });
}
function queryOf(url: string): string {
  return url.slice(url.indexOf('?') + 1);
}

describe('signedUrlCookies', () => {
  it('turns a wildcard custom policy into cookies scoped to the asset, expiring with the policy', () => {
    const url = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8`, keyPairId: 'K1', privateKey: PRIVATE, policy: policy(`${BASE}/vod/abc/*`) });
    const lines = signedUrlCookies(queryOf(url), '/vod/abc/master.m3u8', false);
    assert.ok(lines);
    assert.deepEqual(lines.map((l) => l.slice(0, l.indexOf('='))), ['CloudFront-Policy', 'CloudFront-Signature', 'CloudFront-Key-Pair-Id']);
    for (const l of lines) {
      assert.match(l, /; Path=\/vod\/abc\/; /);
      assert.match(l, new RegExp(`Expires=${new Date(LATER_S * 1000).toUTCString()}`));
      assert.match(l, /; HttpOnly; SameSite=Lax$/);
      assert.doesNotMatch(l, /Secure/, 'plain HTTP cannot keep a Secure cookie');
    }
    // The cookies verify for a segment of the same asset, and for nothing else.
    const cookie = lines.map((l) => l.slice(0, l.indexOf(';'))).join('; ');
    assert.deepEqual(verifyViewerRequest({ url: `${BASE}/vod/abc/720p/seg_9.ts`, cookies: cookie, now: NOW }, group), { ok: true, via: 'cookies', policy: 'custom', keyPairId: 'K1' });
    const other = verifyViewerRequest({ url: `${BASE}/vod/xyz/720p/seg_9.ts`, cookies: cookie, now: NOW }, group);
    assert.equal(other.ok ? 'ok' : other.reason, 'bad-signature');
  });

  it('over HTTPS the cookies are Secure and SameSite=None; SHA-256 is carried along', () => {
    const url = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8`, keyPairId: 'K1', privateKey: PRIVATE, policy: policy(`${BASE}/vod/abc/*`), algorithm: 'SHA256' } as Parameters<typeof getSignedUrl>[0]);
    const lines = signedUrlCookies(queryOf(url), '/vod/abc/master.m3u8', true) ?? [];
    assert.equal(lines.length, 4);
    assert.match(lines[3] ?? '', /^CloudFront-Hash-Algorithm=SHA256; /);
    assert.ok(lines.every((l) => l.endsWith('; Secure; HttpOnly; SameSite=None')));
  });

  it('scopes to the path before the first wildcard, even with wildcards in the host', () => {
    const url = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8`, keyPairId: 'K1', privateKey: PRIVATE, policy: policy('http*://*/vod/ab*') });
    assert.match(signedUrlCookies(queryOf(url), '/vod/abc/master.m3u8', false)?.[0] ?? '', /; Path=\/vod\/; /);
    const all = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8`, keyPairId: 'K1', privateKey: PRIVATE, policy: policy('*') });
    assert.match(signedUrlCookies(queryOf(all), '/vod/abc/master.m3u8', false)?.[0] ?? '', /; Path=\/; /);
  });

  it('gives nothing for canned policies, exact resources, or a path the policy does not cover', () => {
    const canned = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8`, keyPairId: 'K1', privateKey: PRIVATE, dateLessThan: new Date(LATER_S * 1000) });
    assert.equal(signedUrlCookies(queryOf(canned), '/vod/abc/master.m3u8', false), undefined);
    const exact = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8`, keyPairId: 'K1', privateKey: PRIVATE, policy: policy(`${BASE}/vod/abc/master.m3u8`) });
    assert.equal(signedUrlCookies(queryOf(exact), '/vod/abc/master.m3u8', false), undefined);
    const elsewhere = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8`, keyPairId: 'K1', privateKey: PRIVATE, policy: policy(`${BASE}/vod/xyz/*`) });
    assert.equal(signedUrlCookies(queryOf(elsewhere), '/vod/abc/master.m3u8', false), undefined);
  });
});

describe('CMCD appended to a signed URL', () => {
  const canned = getSignedUrl({ url: `${BASE}/vod/abc/master.m3u8?lang=en`, keyPairId: 'K1', privateKey: PRIVATE, dateLessThan: new Date(LATER_S * 1000) });
  const reason = (url: string): string => {
    const r = verifyViewerRequest({ url, now: NOW }, group);
    return r.ok ? 'ok' : r.reason;
  };

  it('still verifies a canned policy when a player adds CMCD (never keyed, never sent to the origin)', () => {
    assert.equal(reason(canned), 'ok');
    assert.equal(reason(`${canned}&CMCD=${encodeURIComponent('bl=300,br=800,sid="abc"')}`), 'ok');
    assert.equal(reason(canned.replace('?lang=en', '?CMCD=sf%3Dh&lang=en')), 'ok');
  });

  it('keeps every other parameter covered', () => {
    assert.equal(reason(`${canned}&CMCD=x&lang2=fr`), 'bad-signature');
    assert.equal(reason(canned.replace('lang=en', 'lang=fr')), 'bad-signature');
    assert.equal(reason(`${canned}&cmcd=x`), 'bad-signature', 'only the exact CMCD name is set aside');
  });
});
