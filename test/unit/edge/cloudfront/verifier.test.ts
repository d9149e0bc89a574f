// Signed URLs and cookies made by AWS's own signer verify unchanged; tampered and malformed ones fail with a reason.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { cloudFrontBase64 } from '../../../../server/edge/cloudfront/base64.ts';
import { KeyGroup } from '../../../../server/edge/cloudfront/key-group.ts';
import { customPolicy } from '../../../../server/edge/cloudfront/policy.ts';
import { signCookies, signUrl } from '../../../../server/edge/cloudfront/signer.ts';
import { verifyViewerRequest, type VerifyReason, type ViewerRequest } from '../../../../server/edge/cloudfront/verifier.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const LATER = new Date(NOW + 3_600_000);
const EARLIER = new Date(NOW - 3_600_000);
const BASE = 'https://cdn.example.com';
const SEG = `${BASE}/vod/abc/720p/seg-00001.ts`;

function pem(k: KeyObject): string {
  return k.export({ type: 'pkcs8', format: 'pem' }).toString();
}
function publicPem(k: KeyObject): string {
  return k.export({ type: 'spki', format: 'pem' }).toString();
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const RSA = pem(rsa.privateKey);
const RSA2 = pem(rsa2.privateKey);
const EC = pem(ec.privateKey);
// K1 (old) and K2 (new) during a rotation, plus an ECDSA key.
const group = KeyGroup.fromPems({ K1: publicPem(rsa.publicKey), K2: publicPem(rsa2.publicKey), KEC: publicPem(ec.publicKey) });

function check(url: string, extra: Partial<ViewerRequest> = {}): ReturnType<typeof verifyViewerRequest> {
  return verifyViewerRequest({ url, now: NOW, clientIp: '203.0.113.7', ...extra }, group);
}
function reasonOf(url: string, extra: Partial<ViewerRequest> = {}): VerifyReason | 'ok' {
  const r = check(url, extra);
  return r.ok ? 'ok' : r.reason;
}
function cookieHeader(cookies: Record<string, string | number | undefined>): string {
  return Object.entries(cookies)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('; ');
}
function wildcardPolicy(resource: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': LATER.getTime() / 1000 }, ...extra } }] });
}
/** Replaces one query parameter's value, leaving the rest of the URL byte for byte. */
function withParam(url: string, name: string, value: string): string {
  return url.replace(new RegExp(`([?&]${name}=)[^&]*`), `$1${value}`);
}
function flip(sig: string): string {
  const i = 10;
  return sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
}
function paramOf(url: string, name: string): string {
  return new URL(url).searchParams.get(name) ?? '';
}

describe('URLs from @aws-sdk/cloudfront-signer', () => {
  it('accepts a canned-policy URL (RSA, SHA-1)', () => {
    const url = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER });
    assert.match(url, /[?&]Expires=\d+&Key-Pair-Id=K1&Signature=/);
    assert.deepEqual(check(url), { ok: true, via: 'url', policy: 'canned', keyPairId: 'K1' });
  });

  it('accepts a canned-policy URL signed with SHA-256 (Hash-Algorithm=SHA256)', () => {
    const url = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER, algorithm: 'SHA256' });
    assert.match(url, /&Hash-Algorithm=SHA256$/);
    assert.equal(reasonOf(url), 'ok');
  });

  it('accepts a custom policy with a wildcard Resource for every segment of the asset, and nothing else', () => {
    const policy = wildcardPolicy(`${BASE}/vod/abc/*`);
    const url = getSignedUrl({ url: SEG, keyPairId: 'K2', privateKey: RSA2, policy });
    assert.equal(reasonOf(url), 'ok');
    const query = url.slice(url.indexOf('?'));
    assert.equal(reasonOf(`${BASE}/vod/abc/master.m3u8${query}`), 'ok');
    assert.equal(reasonOf(`${BASE}/vod/abc/1080p/index.m3u8${query}`), 'ok');
    assert.equal(reasonOf(`${BASE}/vod/abd/master.m3u8${query}`), 'bad-signature');
    assert.equal(reasonOf(`${BASE}/vod/other/abc/master.m3u8${query}`), 'bad-signature');
  });

  it('accepts a custom policy with SHA-256', () => {
    const url = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, policy: wildcardPolicy(`${BASE}/vod/*`), algorithm: 'SHA256' });
    assert.equal(reasonOf(url), 'ok');
  });

  it('enforces an IpAddress condition, also for IPv4-mapped IPv6 client addresses', () => {
    const url = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER, ipAddress: '203.0.113.0/24' });
    assert.ok(url.includes('Policy='), 'an IP condition makes a custom policy');
    assert.equal(reasonOf(url, { clientIp: '203.0.113.99' }), 'ok');
    assert.equal(reasonOf(url, { clientIp: '::ffff:203.0.113.99' }), 'ok');
    assert.equal(reasonOf(url, { clientIp: '198.51.100.1' }), 'ip-not-allowed');
    assert.equal(reasonOf(url, { clientIp: '2001:db8::1' }), 'ip-not-allowed');
    assert.equal(reasonOf(url, { clientIp: undefined }), 'ip-not-allowed');
  });

  it('answers not-yet-valid before DateGreaterThan and ok once it has passed', () => {
    const start = new Date(NOW + 600_000);
    const url = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER, dateGreaterThan: start });
    assert.equal(reasonOf(url), 'not-yet-valid');
    assert.equal(reasonOf(url, { now: start.getTime() + 1000 }), 'ok');
  });

  it('answers expired at and after Expires', () => {
    const url = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: EARLIER });
    assert.equal(reasonOf(url), 'expired');
    const soon = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: new Date(NOW + 5000) });
    assert.equal(reasonOf(soon, { now: NOW + 4999 }), 'ok');
    assert.equal(reasonOf(soon, { now: NOW + 5000 }), 'expired');
  });

  it('remembers a verified signature for its own URL and policy only, and still checks time and address every time', () => {
    const policy = JSON.stringify({ Statement: [{ Resource: `${BASE}/vod/memo/*`, Condition: { DateLessThan: { 'AWS:EpochTime': LATER.getTime() / 1000 }, IpAddress: { 'AWS:SourceIp': '203.0.113.0/24' } } }] });
    const url = getSignedUrl({ url: `${BASE}/vod/memo/a.ts`, keyPairId: 'K1', privateKey: RSA, policy });
    assert.equal(reasonOf(url), 'ok');
    assert.equal(reasonOf(url), 'ok', 'the remembered signature answers again');
    assert.equal(reasonOf(url, { clientIp: '198.51.100.1' }), 'ip-not-allowed');
    assert.equal(reasonOf(url, { now: LATER.getTime() }), 'expired');
    // The same signature over another policy, or another signature over the same policy, is verified afresh.
    const other = JSON.stringify({ Statement: [{ Resource: `${BASE}/vod/*`, Condition: { DateLessThan: { 'AWS:EpochTime': LATER.getTime() / 1000 } } }] });
    assert.equal(reasonOf(withParam(url, 'Policy', cloudFrontBase64.encode(Buffer.from(other)))), 'bad-signature');
    assert.equal(reasonOf(withParam(url, 'Signature', flip(paramOf(url, 'Signature')))), 'bad-signature');
    const canned = getSignedUrl({ url: `${BASE}/vod/memo/b.ts`, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER });
    assert.equal(reasonOf(canned), 'ok');
    assert.equal(reasonOf(canned.replace('/b.ts', '/c.ts')), 'bad-signature', 'a canned signature covers its own URL only');
  });

  it('verifies URLs whose path and query the signer re-encoded', () => {
    const url = getSignedUrl({ url: `${BASE}/vod/my clip/720p/seg 1.ts?lang=en&flag`, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER });
    assert.ok(url.startsWith(`${BASE}/vod/my%20clip/720p/seg%201.ts?lang=en&flag=&Expires=`));
    assert.equal(reasonOf(url), 'ok');
    assert.equal(reasonOf(withParam(url, 'lang', 'fr')), 'bad-signature');
  });

  it('accepts ECDSA P-256 signatures (SHA-1 and SHA-256), DER as AWS writes them', () => {
    for (const algorithm of ['SHA1', 'SHA256'] as const) {
      const url = getSignedUrl({ url: SEG, keyPairId: 'KEC', privateKey: EC, dateLessThan: LATER, algorithm });
      assert.equal(reasonOf(url), 'ok', algorithm);
      assert.equal(reasonOf(withParam(url, 'Signature', flip(paramOf(url, 'Signature')))), 'bad-signature', algorithm);
    }
    const custom = getSignedUrl({ url: SEG, keyPairId: 'KEC', privateKey: EC, policy: wildcardPolicy(`${BASE}/vod/abc/*`) });
    assert.equal(reasonOf(custom), 'ok');
  });

  it('keeps old and new keys valid during a rotation, and refuses a key substituted under a known id', () => {
    const old = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER });
    const next = getSignedUrl({ url: SEG, keyPairId: 'K2', privateKey: RSA2, dateLessThan: LATER });
    assert.equal(reasonOf(old), 'ok');
    assert.equal(reasonOf(next), 'ok');
    const swapped = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA2, dateLessThan: LATER });
    assert.equal(reasonOf(swapped), 'bad-signature');
    const retired = KeyGroup.fromPems({ K2: publicPem(rsa2.publicKey) });
    const r = verifyViewerRequest({ url: old, now: NOW }, retired);
    assert.equal(r.ok ? 'ok' : r.reason, 'unknown-key');
  });

  it('accepts a policy without Resource for any URL (CloudFront semantics)', () => {
    const policy = JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': LATER.getTime() / 1000 } } }] });
    const url = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, policy });
    assert.equal(reasonOf(url.replace('/vod/abc/', '/vod/xyz/')), 'ok');
  });
});

describe('cookies from @aws-sdk/cloudfront-signer', () => {
  it('accepts canned-policy cookies for their one URL only', () => {
    const cookies = getSignedCookies({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER });
    assert.ok(cookies['CloudFront-Expires']);
    assert.deepEqual(check(SEG, { cookies: cookieHeader({ session: 'x', ...cookies }) }), { ok: true, via: 'cookies', policy: 'canned', keyPairId: 'K1' });
    assert.equal(reasonOf(`${BASE}/vod/abc/720p/seg-00002.ts`, { cookies: cookieHeader({ ...cookies }) }), 'bad-signature');
  });

  it('accepts custom-policy cookies with a wildcard Resource (how HLS is protected), as a header or a parsed map', () => {
    const cookies = getSignedCookies({ keyPairId: 'K2', privateKey: RSA2, policy: wildcardPolicy(`${BASE}/vod/abc/*`) });
    const header = cookieHeader({ ...cookies });
    for (const path of ['/vod/abc/master.m3u8', '/vod/abc/720p/index.m3u8', '/vod/abc/720p/seg-00042.ts']) {
      assert.equal(reasonOf(`${BASE}${path}`, { cookies: header }), 'ok', path);
    }
    assert.equal(reasonOf(`${BASE}/vod/abc/init.mp4`, { cookies: { 'CloudFront-Policy': cookies['CloudFront-Policy'], 'CloudFront-Signature': cookies['CloudFront-Signature'], 'CloudFront-Key-Pair-Id': cookies['CloudFront-Key-Pair-Id'] } }), 'ok');
    assert.equal(reasonOf(`${BASE}/vod/xyz/master.m3u8`, { cookies: header }), 'bad-signature');
  });

  it('accepts SHA-256 and ECDSA cookies (CloudFront-Hash-Algorithm)', () => {
    const sha = getSignedCookies({ keyPairId: 'K1', privateKey: RSA, policy: wildcardPolicy(`${BASE}/*`), algorithm: 'SHA256' });
    assert.equal(sha['CloudFront-Hash-Algorithm'], 'SHA256');
    assert.equal(reasonOf(SEG, { cookies: cookieHeader({ ...sha }) }), 'ok');
    const withoutHash = { ...sha, 'CloudFront-Hash-Algorithm': undefined };
    assert.equal(reasonOf(SEG, { cookies: cookieHeader(withoutHash) }), 'bad-signature');
    const ecdsa = getSignedCookies({ keyPairId: 'KEC', privateKey: EC, policy: wildcardPolicy(`${BASE}/vod/*`) });
    assert.equal(reasonOf(SEG, { cookies: cookieHeader({ ...ecdsa }) }), 'ok');
  });

  it('prefers the signed URL when both a URL signature and cookies are present', () => {
    const cookies = cookieHeader({ ...getSignedCookies({ keyPairId: 'K1', privateKey: RSA, policy: wildcardPolicy(`${BASE}/*`) }) });
    assert.equal(reasonOf(SEG, { cookies }), 'ok');
    assert.equal(reasonOf(`${SEG}?Expires=1&Signature=AAAA&Key-Pair-Id=K1`, { cookies }), 'bad-signature');
  });
});

describe('our signer', () => {
  it('signs URLs and cookies our verifier accepts, with RSA and ECDSA', () => {
    const key = { keyPairId: 'KEC', privateKey: EC, hash: 'SHA256' as const };
    assert.equal(reasonOf(signUrl(SEG, { expires: LATER }, key)), 'ok');
    const policy = customPolicy({ resource: `${BASE}/vod/abc/*`, dateLessThan: LATER, ipAddress: '203.0.113.7' });
    assert.equal(reasonOf(signUrl(SEG, { policy }, { keyPairId: 'K1', privateKey: RSA })), 'ok');
    const cookies = signCookies(SEG, { policy }, { keyPairId: 'K1', privateKey: RSA });
    assert.equal(reasonOf(`${BASE}/vod/abc/x.ts`, { cookies: { ...cookies } }), 'ok');
  });

  it('accepts raw (IEEE P1363) ECDSA signatures too', async () => {
    const { sign } = await import('node:crypto');
    const expires = Math.round(LATER.getTime() / 1000);
    const canned = JSON.stringify({ Statement: [{ Resource: SEG, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
    const sig = sign('sha1', Buffer.from(canned), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(sig.length, 64);
    assert.equal(reasonOf(`${SEG}?Expires=${expires}&Signature=${cloudFrontBase64.encode(sig)}&Key-Pair-Id=KEC`), 'ok');
  });
});

describe('malformed and tampered requests', () => {
  const canned = getSignedUrl({ url: `${SEG}?lang=en`, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER });
  const sha256 = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, dateLessThan: LATER, algorithm: 'SHA256' });
  const wildPolicy = wildcardPolicy(`${BASE}/vod/abc/*`);
  const custom = getSignedUrl({ url: SEG, keyPairId: 'K1', privateKey: RSA, policy: wildPolicy });
  const sig = paramOf(canned, 'Signature');
  const expires = paramOf(canned, 'Expires');
  const customQuery = custom.slice(custom.indexOf('?'));
  const b64 = (s: string | Buffer): string => cloudFrontBase64.encode(s);
  const policyUrl = (policyText: string | Buffer): string => withParam(custom, 'Policy', b64(policyText));
  const cookieSet = getSignedCookies({ keyPairId: 'K1', privateKey: RSA, policy: wildPolicy });
  const cookies = cookieHeader({ ...cookieSet });

  const cases: Array<[string, string, VerifyReason, Partial<ViewerRequest>?]> = [
    ['no signature at all', SEG, 'missing'],
    ['unrelated cookies only', SEG, 'missing', { cookies: 'session=abc; theme=dark' }],
    ['Signature not base64', withParam(canned, 'Signature', '!!!notbase64!!!'), 'malformed'],
    ['Signature in standard base64 (+ and /)', withParam(canned, 'Signature', sig.replace(/-/g, '+').replace(/~/g, '/') + '+/'), 'malformed'],
    ['Signature of one character', withParam(canned, 'Signature', 'A'), 'malformed'],
    ['Signature empty', withParam(canned, 'Signature', ''), 'malformed'],
    ['Signature huge', withParam(canned, 'Signature', 'A'.repeat(4000)), 'malformed'],
    ['Signature with padding in the middle', withParam(canned, 'Signature', `AA__${sig}`), 'malformed'],
    ['Signature with one character changed', withParam(canned, 'Signature', flip(sig)), 'bad-signature'],
    ['Signature from another URL', withParam(canned, 'Signature', paramOf(sha256, 'Signature')), 'bad-signature'],
    ['Expires not a number', withParam(canned, 'Expires', 'tomorrow'), 'malformed'],
    ['Expires negative', withParam(canned, 'Expires', '-1'), 'malformed'],
    ['Expires extended by a day', withParam(canned, 'Expires', String(Number(expires) + 86_400)), 'bad-signature'],
    ['Expires and Policy together', `${canned}&Policy=${paramOf(custom, 'Policy')}`, 'malformed'],
    ['Key-Pair-Id missing', canned.replace(/&Key-Pair-Id=K1/, ''), 'malformed'],
    ['Signature missing', canned.replace(/&Signature=[^&]*/, ''), 'malformed'],
    ['Expires and Policy both missing', canned.replace(/&Expires=\d+/, ''), 'malformed'],
    ['Key-Pair-Id unknown', withParam(canned, 'Key-Pair-Id', 'K9'), 'unknown-key'],
    ['Key-Pair-Id with markup', withParam(canned, 'Key-Pair-Id', '%3Cscript%3E'), 'malformed'],
    ['Signature twice', `${canned}&Signature=${sig}`, 'malformed'],
    ['Expires twice, once percent-encoded', `${canned}&%45xpires=${expires}`, 'malformed'],
    ['signature parameter with bad percent-encoding', withParam(canned, 'Key-Pair-Id', '%E0%A4%A'), 'malformed'],
    ['Hash-Algorithm MD5', `${canned}&Hash-Algorithm=MD5`, 'malformed'],
    ['Hash-Algorithm lowercase', withParam(sha256, 'Hash-Algorithm', 'sha256'), 'malformed'],
    ['Hash-Algorithm=SHA256 added to a SHA-1 URL', `${canned}&Hash-Algorithm=SHA256`, 'bad-signature'],
    ['Hash-Algorithm removed from a SHA-256 URL', sha256.replace('&Hash-Algorithm=SHA256', ''), 'bad-signature'],
    ['tampered path', canned.replace('seg-00001', 'seg-00002'), 'bad-signature'],
    ['tampered host', canned.replace('cdn.example.com', 'cdn.evil.com'), 'bad-signature'],
    ['tampered scheme', canned.replace('https://', 'http://'), 'bad-signature'],
    ['tampered query value', canned.replace('lang=en', 'lang=de'), 'bad-signature'],
    ['query parameter added', canned.replace('lang=en', 'lang=en&debug=1'), 'bad-signature'],
    ['query parameter removed', canned.replace('lang=en&', ''), 'bad-signature'],
    ['wildcard policy used outside its Resource', `${BASE}/vod/abcd/x.ts${customQuery}`, 'bad-signature'],
    ['dot-segment traversal out of a wildcard', `${BASE}/vod/abc/../secret/x.ts${customQuery}`, 'malformed'],
    ['encoded dot-segment traversal', `${BASE}/vod/abc/%2e%2E/secret/x.ts${customQuery}`, 'malformed'],
    ['encoded slash traversal', `${BASE}/vod/abc/..%2Fsecret/x.ts${customQuery}`, 'malformed'],
    ['encoded backslash', `${BASE}/vod/abc/..%5Csecret/x.ts${customQuery}`, 'malformed'],
    ['invalid percent-encoding in the path', `${BASE}/vod/abc/%zz.ts${customQuery}`, 'malformed'],
    ['whitespace in the URL', `${BASE}/vod/abc/a b.ts${customQuery}`, 'malformed'],
    ['not a URL', `/vod/abc/x.ts${customQuery}`, 'malformed'],
    ['URL longer than the limit', `${BASE}/vod/abc/${'a'.repeat(20_000)}.ts${customQuery}`, 'malformed'],
    ['Policy not base64', withParam(custom, 'Policy', '{"Statement":[]}'), 'malformed'],
    ['Policy is not JSON', policyUrl('this is not json'), 'malformed'],
    ['Policy is truncated JSON', policyUrl(wildPolicy.slice(0, -3)), 'malformed'],
    ['Policy is a JSON array', policyUrl('[1,2]'), 'malformed'],
    ['Policy is not UTF-8', policyUrl(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'malformed'],
    ['Policy has no Statement', policyUrl('{}'), 'malformed'],
    ['Policy has two statements', policyUrl(JSON.stringify({ Statement: [JSON.parse(wildPolicy).Statement[0], JSON.parse(wildPolicy).Statement[0]] })), 'malformed'],
    ['Policy without DateLessThan', policyUrl(JSON.stringify({ Statement: [{ Resource: `${BASE}/*`, Condition: {} }] })), 'malformed'],
    ['Policy DateLessThan as a string', policyUrl(wildPolicy.replace(/"AWS:EpochTime":(\d+)/, '"AWS:EpochTime":"$1"')), 'malformed'],
    ['Policy DateLessThan fractional', policyUrl(wildPolicy.replace(/"AWS:EpochTime":(\d+)/, '"AWS:EpochTime":$1.5')), 'malformed'],
    ['Policy with an unknown condition', policyUrl(wildcardPolicy(`${BASE}/*`, { StringLike: { 'AWS:Referer': '*' } })), 'malformed'],
    ['Policy with a bad CIDR', policyUrl(wildcardPolicy(`${BASE}/*`, { IpAddress: { 'AWS:SourceIp': '300.1.2.3/33' } })), 'malformed'],
    ['Policy with an empty Resource', policyUrl(JSON.stringify({ Statement: [{ Resource: '', Condition: { DateLessThan: { 'AWS:EpochTime': 2e9 } } }] })), 'malformed'],
    ['huge Policy (refused before decoding)', withParam(custom, 'Policy', b64(wildcardPolicy(`${BASE}/${'x'.repeat(7_000)}*`))), 'malformed'],
    ['huge Policy in a URL over the length limit', withParam(custom, 'Policy', b64(wildcardPolicy(`${BASE}/${'x'.repeat(100_000)}*`))), 'malformed'],
    ['Policy widened to the whole site, old signature kept', policyUrl(wildcardPolicy(`${BASE}/*`)), 'bad-signature'],
    ['Policy with its expiry extended, old signature kept', policyUrl(wildPolicy.replace(/"AWS:EpochTime":(\d+)/, (_m, t: string) => `"AWS:EpochTime":${Number(t) + 86_400}`)), 'bad-signature'],
    ['cookie sent twice', SEG, 'malformed', { cookies: `${cookies}; CloudFront-Signature=${cookieSet['CloudFront-Signature']}` }],
    ['only a signature cookie', SEG, 'malformed', { cookies: `CloudFront-Signature=${cookieSet['CloudFront-Signature']}` }],
    ['cookie Key-Pair-Id unknown', SEG, 'unknown-key', { cookies: cookies.replace('CloudFront-Key-Pair-Id=K1', 'CloudFront-Key-Pair-Id=NOPE') }],
    ['cookie Policy tampered', SEG, 'bad-signature', { cookies: cookies.replace(/CloudFront-Policy=[^;]*/, `CloudFront-Policy=${b64(wildcardPolicy(`${BASE}/*`))}`) }],
    ['huge cookie Policy', SEG, 'malformed', { cookies: cookies.replace(/CloudFront-Policy=[^;]*/, `CloudFront-Policy=${b64(wildcardPolicy(`${BASE}/${'x'.repeat(7_000)}*`))}`) }],
    ['cookie with bad percent-encoding', SEG, 'malformed', { cookies: `${cookies.replace(/CloudFront-Signature=[^;]*/, 'CloudFront-Signature=%E0%A4%A')}` }],
  ];

  for (const [name, url, expected, extra] of cases) {
    it(`${name} → ${expected}`, () => {
      const r = check(url, extra ?? {});
      assert.equal(r.ok ? 'ok' : r.reason, expected, r.ok ? 'accepted' : r.detail);
    });
  }

  it('has at least 20 cases, and the untampered originals pass', () => {
    assert.ok(cases.length >= 20);
    for (const url of [canned, sha256, custom]) assert.equal(reasonOf(url), 'ok');
    assert.equal(reasonOf(SEG, { cookies }), 'ok');
  });
});
