// Our signer writes exactly what @aws-sdk/cloudfront-signer writes, and the cookie helper writes safe Set-Cookie lines.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { cloudFrontBase64 } from '../../../../server/edge/cloudfront/base64.ts';
import { customPolicy } from '../../../../server/edge/cloudfront/policy.ts';
import { readSignedCookies, signedCookieHeaders } from '../../../../server/edge/cloudfront/signed-cookies.ts';
import { signCookies, signUrl } from '../../../../server/edge/cloudfront/signer.ts';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const LATER = new Date(Date.UTC(2030, 0, 1));
const START = new Date(Date.UTC(2029, 11, 31));
const URLS = ['https://cdn.example.com/vod/abc/720p/seg-00001.ts', 'https://cdn.example.com/vod/a b/c:d.ts?x=1&y', 'http://127.0.0.1:8081/vod/abc/master.m3u8'];

describe('signUrl matches @aws-sdk/cloudfront-signer byte for byte (RSA signatures are deterministic)', () => {
  for (const url of URLS) {
    for (const algorithm of ['SHA1', 'SHA256'] as const) {
      it(`canned ${algorithm} ${url}`, () => {
        const ours = signUrl(url, { expires: LATER }, { keyPairId: 'K1', privateKey: PEM, hash: algorithm });
        assert.equal(ours, getSignedUrl({ url, keyPairId: 'K1', privateKey: PEM, dateLessThan: LATER, algorithm }));
      });
    }
  }

  it('custom policy with wildcard, start time and IP', () => {
    const policy = customPolicy({ resource: 'https://cdn.example.com/vod/abc/*', dateLessThan: LATER, dateGreaterThan: START, ipAddress: '192.0.2.0/24' });
    const url = URLS[0] ?? '';
    assert.equal(signUrl(url, { policy }, { keyPairId: 'K1', privateKey: PEM }), getSignedUrl({ url, keyPairId: 'K1', privateKey: PEM, policy }));
    // The same policy built by AWS's signer from its parameters.
    const aws = getSignedUrl({ url: 'https://cdn.example.com/vod/abc/*', keyPairId: 'K1', privateKey: PEM, dateLessThan: LATER, dateGreaterThan: START, ipAddress: '192.0.2.0/24' });
    assert.equal(cloudFrontBase64.decode(new URL(aws).searchParams.get('Policy') ?? '', 10_000)?.toString(), policy);
  });

  it('cookies carry the same values as getSignedCookies', () => {
    const policy = customPolicy({ resource: 'https://cdn.example.com/vod/*', dateLessThan: LATER });
    const ours = signCookies('', { policy }, { keyPairId: 'K1', privateKey: PEM, hash: 'SHA256' });
    const aws = getSignedCookies({ keyPairId: 'K1', privateKey: PEM, policy, algorithm: 'SHA256' });
    assert.deepEqual(ours, { ...aws });
    const canned = signCookies(URLS[0] ?? '', { expires: LATER }, { keyPairId: 'K1', privateKey: PEM });
    const awsCanned = getSignedCookies({ url: URLS[0] ?? '', keyPairId: 'K1', privateKey: PEM, dateLessThan: LATER });
    assert.deepEqual(canned, { ...awsCanned, 'CloudFront-Expires': String(awsCanned['CloudFront-Expires']) });
  });

  it('refuses an invalid expiry or address', () => {
    assert.throws(() => signUrl(URLS[0] ?? '', { expires: new Date('nope') }, { keyPairId: 'K1', privateKey: PEM }), /expires/);
    assert.throws(() => customPolicy({ resource: '*', dateLessThan: LATER, ipAddress: '1.2.3' }), /ipAddress/);
  });
});

describe('signedCookieHeaders', () => {
  const cookies = signCookies('', { policy: customPolicy({ resource: 'https://cdn.example.com/vod/abc/*', dateLessThan: LATER }) }, { keyPairId: 'K1', privateKey: PEM });

  it('writes one Secure, HttpOnly, SameSite=Lax line per cookie by default', () => {
    const lines = signedCookieHeaders(cookies, { path: '/vod/abc/', domain: 'cdn.example.com', expires: LATER });
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.match(line, /^CloudFront-(Policy|Signature|Key-Pair-Id)=[^;]+; Path=\/vod\/abc\/; Domain=cdn\.example\.com; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax$/);
    }
    // What the browser sends back parses to the same values.
    const header = lines.map((l) => l.split(';')[0]).join('; ');
    assert.deepEqual(readSignedCookies(header), { cookies, problem: undefined });
  });

  it('refuses SameSite=None without Secure, and attributes that would inject', () => {
    assert.throws(() => signedCookieHeaders(cookies, { sameSite: 'None', secure: false }), /Secure/);
    assert.throws(() => signedCookieHeaders(cookies, { path: '/; Domain=evil.com' }), /must not contain/);
    assert.throws(() => signedCookieHeaders({ 'CloudFront-Signature': 'a;b' }), /cookie-safe/);
  });
});
