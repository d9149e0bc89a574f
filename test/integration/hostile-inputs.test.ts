// Table-driven hostile input: traversal in every encoding, bad ranges, oversized and injected headers, bad signatures
// and policies, forged origin requests — each answered 4xx by a real origin (ORIGIN_SECRET on) and a real edge in
// front of it, neither crashes, and nothing reaches a cache tier or the origin's disk.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { Redis } from 'ioredis';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { signOriginRequest } from '../../server/core/origin-auth.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS } from '../../server/edge/behaviors.ts';
import { cloudFrontBase64 } from '../../server/edge/cloudfront/base64.ts';
import { KeyGroup } from '../../server/edge/cloudfront/key-group.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

const SECRET = 'hostile-test-origin-secret-0123456789';
const ADMIN_TOKEN = 'hostile-test-admin-token-abcdefgh';
const SEG = '/vod/clip/240p/seg_0.ts';
const PAID = '/vod/paid/240p/seg_0.ts';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const OTHER_PRIVATE = other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

type Role = 'edge' | 'origin';

/** One request as written on the wire. A string is sent byte for byte (for request lines no client would write). */
interface Wire {
  readonly method?: string;
  readonly target: string;
  readonly headers?: readonly string[];
  readonly body?: string;
  /** Do not add the Host header. */
  readonly noHost?: boolean;
  /** Do not add origin access control headers (when sent to the origin). */
  readonly unsigned?: boolean;
}

interface Case {
  readonly name: string;
  readonly to: Role | 'both';
  readonly req: (ctx: Ctx) => Wire | string;
  /** Exact status when it matters; otherwise any 4xx. */
  readonly status?: number;
  /** `reason` of the JSON body (signature and origin-auth refusals). */
  readonly reason?: string;
}

interface Ctx {
  readonly role: Role;
  /** scheme://host:port of the server the request goes to (what a signer signs). */
  readonly base: string;
  readonly host: string;
}

interface RawResult {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Sends bytes and reads one response (Connection: close), however malformed the request. */
function sendRaw(port: number, text: string): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A server may reset after answering an oversized request; what it answered still counts.
      if (chunks.length > 0 && err.code === 'ECONNRESET') return;
      reject(err);
    });
    socket.on('close', () => {
      const data = Buffer.concat(chunks).toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), head: end < 0 ? data : data.slice(0, end), body: end < 0 ? '' : data.slice(end + 4) });
    });
    // write, not end: a half-closed socket may be dropped before an asynchronous check answers.
    socket.write(text);
  });
}

function wireText(w: Wire, ctx: Ctx): string {
  const method = w.method ?? 'GET';
  const lines = [`${method} ${w.target} HTTP/1.1`];
  if (!w.noHost) lines.push(`Host: ${ctx.host}`);
  if (ctx.role === 'origin' && !w.unsigned) {
    for (const [k, v] of Object.entries(signOriginRequest(SECRET, { method, path: w.target, now: Date.now() }))) lines.push(`${k}: ${v}`);
  }
  lines.push(...(w.headers ?? []), 'Connection: close');
  if (w.body !== undefined && !(w.headers ?? []).some((h) => /^(content-length|transfer-encoding):/i.test(h))) lines.push(`Content-Length: ${Buffer.byteLength(w.body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${w.body ?? ''}`;
}

const inOneHour = (): Date => new Date(Date.now() + 3_600_000);
const signedUrl = (ctx: Ctx, path: string, extra: { keyPairId?: string; privateKey?: string; dateLessThan?: Date } = {}): string =>
  getSignedUrl({ url: `${ctx.base}${path}`, keyPairId: extra.keyPairId ?? 'K1', privateKey: extra.privateKey ?? PRIVATE, dateLessThan: extra.dateLessThan ?? inOneHour() }).slice(ctx.base.length);
/** A custom-policy signed URL; `statement` fields are merged into the one statement. */
function policyUrl(ctx: Ctx, path: string, condition: Record<string, unknown>, resource = `${ctx.base}/vod/paid/*`): string {
  const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Math.round(inOneHour().getTime() / 1000) }, ...condition } }] });
  return getSignedUrl({ url: `${ctx.base}${path}`, keyPairId: 'K1', privateKey: PRIVATE, policy }).slice(ctx.base.length);
}
/** A Policy/Signature/Key-Pair-Id query for an arbitrary (possibly invalid) policy document, signed for real. */
function rawPolicyQuery(policyText: string): string {
  const signed = getSignedUrl({ url: 'https://x.example/p', keyPairId: 'K1', privateKey: PRIVATE, policy: JSON.stringify({ Statement: [{ Resource: 'https://x.example/*', Condition: { DateLessThan: { 'AWS:EpochTime': 4102444800 } } }] }) });
  const sig = new URL(signed).searchParams.get('Signature') ?? '';
  return `Policy=${cloudFrontBase64.encode(policyText)}&Signature=${sig}&Key-Pair-Id=K1`;
}
function replaceParam(pathAndQuery: string, name: string, value: string): string {
  return pathAndQuery.replace(new RegExp(`([?&]${name}=)[^&]*`), `$1${value}`);
}
function flipChar(s: string, at: number): string {
  return s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
}
const get = (target: string, headers: string[] = []): Wire => ({ target, headers });

const CASES: Case[] = [
  // Traversal, in every encoding we know of (raw, percent, double, overlong UTF-8, fullwidth, IIS %u, backslash, NUL).
  { name: 'raw ../ traversal', to: 'both', req: () => get('/vod/../etc/passwd') },
  { name: 'deep ../ traversal', to: 'both', req: () => get('/vod/clip/../../../etc/passwd') },
  { name: '%2e%2e traversal', to: 'both', req: () => get('/vod/%2e%2e/%2e%2e/etc/passwd') },
  { name: '%2E%2E uppercase traversal', to: 'both', req: () => get('/vod/clip/%2E%2E/%2E%2E/secret.m3u8') },
  { name: 'mixed .%2e traversal', to: 'both', req: () => get('/vod/clip/.%2e/.%2e/secret.m3u8') },
  { name: 'encoded slash %2f', to: 'both', req: () => get('/vod/clip/..%2f..%2fsecret.m3u8') },
  { name: 'encoded backslash %5c', to: 'both', req: () => get('/vod/clip/..%5c..%5cwin.ini') },
  { name: 'raw backslash', to: 'both', req: () => get('/vod/clip/..\\..\\win.ini') },
  { name: 'double-encoded %252e', to: 'both', req: () => get('/vod/%252e%252e/%252e%252e/secret.m3u8') },
  { name: 'overlong UTF-8 dot %c0%ae', to: 'both', req: () => get('/vod/%c0%ae%c0%ae/secret.m3u8') },
  { name: 'overlong UTF-8 slash %c0%af', to: 'both', req: () => get('/vod/clip/..%c0%af..%c0%afsecret.m3u8') },
  { name: '3-byte overlong dot %e0%80%ae', to: 'both', req: () => get('/vod/%e0%80%ae%e0%80%ae/secret.m3u8') },
  { name: 'fullwidth dots %ef%bc%8e', to: 'both', req: () => get('/vod/%ef%bc%8e%ef%bc%8e/secret.m3u8') },
  { name: 'IIS %u002e', to: 'both', req: () => get('/vod/%u002e%u002e/secret.m3u8') },
  { name: 'NUL byte %00', to: 'both', req: () => get(`${SEG}%00.m3u8`) },
  { name: 'semicolon path parameter', to: 'both', req: () => get('/live/..;/x.ts') },
  { name: 'empty segment //', to: 'both', req: () => get('/vod//clip/master.m3u8') },
  { name: 'dot segment /./', to: 'both', req: () => get('/vod/clip/./master.m3u8') },
  { name: 'hidden file', to: 'both', req: () => get('/vod/clip/.env') },
  { name: 'NTFS stream ::$DATA', to: 'both', req: () => get('/vod/clip/master.m3u8::$DATA') },
  { name: 'absolute-form target for another host', to: 'both', req: () => get('http://evil.example/vod/clip/../../x.m3u8'), status: 400 },
  { name: 'too many path segments', to: 'both', req: () => get(`/vod${'/a'.repeat(12)}/x.ts`) },
  { name: 'overlong file name', to: 'both', req: () => get(`/vod/clip/240p/${'x'.repeat(300)}.ts`) },
  { name: 'CRLF injection in the path', to: 'both', req: () => get('/vod/clip/x.ts%0d%0aSet-Cookie:%20a=b') },
  { name: 'request target longer than 8 KiB', to: 'both', req: () => get(`${SEG}?${'q'.repeat(9_000)}`) },
  { name: 'request target longer than 16 KiB', to: 'both', req: () => get(`${SEG}?${'q'.repeat(17_000)}`), status: 431 },
  { name: 'fragment in the request target', to: 'edge', req: () => get(`${SEG}?a=1#frag`) },

  // Ranges: only an unsatisfiable Range is refused (416, once the size is known). A malformed one, or too many, is
  // ignored by both roles (200, RFC 9110 §14.2), so it is no refusal: http-parity.test.ts sends those to both.
  { name: 'Range beyond the end', to: 'origin', req: () => get(SEG, ['Range: bytes=99999999-']), status: 416 },
  { name: 'empty suffix Range', to: 'origin', req: () => get(SEG, ['Range: bytes=-0']), status: 416 },

  // Headers: size, smuggling, injection, routing overrides.
  { name: 'one 20 KiB header', to: 'both', req: () => get(SEG, [`X-Big: ${'a'.repeat(20_000)}`]), status: 431 },
  { name: '3,000 small headers', to: 'both', req: () => get(SEG, Array.from({ length: 3_000 }, (_, i) => `X-H${i}: v`)), status: 431 },
  { name: 'CR inside a header value', to: 'both', req: () => get(SEG, ['X-Test: a\rb']), status: 400 },
  { name: 'NUL inside a header value', to: 'both', req: () => get(SEG, ['X-Test: a\0b']), status: 400 },
  { name: 'obs-fold continuation line', to: 'both', req: () => get(SEG, ['X-Test: a', ' folded: injected']), status: 400 },
  { name: 'space before the colon', to: 'both', req: () => get(SEG, ['X-Test : a']), status: 400 },
  { name: 'invalid header name', to: 'both', req: () => get(SEG, ['X-[Bad]: a']), status: 400 },
  { name: 'Content-Length and Transfer-Encoding (smuggling)', to: 'both', req: () => ({ target: SEG, headers: ['Content-Length: 5', 'Transfer-Encoding: chunked'], body: '0\r\n\r\n' }), status: 400 },
  { name: 'two different Content-Lengths', to: 'both', req: () => ({ target: SEG, headers: ['Content-Length: 1', 'Content-Length: 2'], body: 'ab' }), status: 400 },
  { name: 'missing Host on HTTP/1.1', to: 'both', req: () => ({ target: SEG, noHost: true }), status: 400 },
  { name: 'CR in the request line', to: 'both', req: (c) => `GET ${SEG}\rX HTTP/1.1\r\nHost: ${c.host}\r\nConnection: close\r\n\r\n`, status: 400 },
  { name: 'unknown method token', to: 'both', req: (c) => `G@T ${SEG} HTTP/1.1\r\nHost: ${c.host}\r\nConnection: close\r\n\r\n`, status: 400 },
  { name: 'bad HTTP version', to: 'both', req: (c) => `GET ${SEG} HTTP/1.1x\r\nHost: ${c.host}\r\nConnection: close\r\n\r\n`, status: 400 },
  { name: 'body on GET', to: 'edge', req: () => ({ target: SEG, body: 'hello' }), status: 400 },
  { name: 'chunked GET', to: 'edge', req: () => ({ target: SEG, headers: ['Transfer-Encoding: chunked'], body: '0\r\n\r\n' }), status: 400 },
  { name: 'X-Original-URL override', to: 'edge', req: () => get(SEG, ['X-Original-URL: /vod/paid/240p/seg_0.ts']), status: 400 },
  { name: 'X-Rewrite-URL override', to: 'edge', req: () => get(SEG, ['X-Rewrite-URL: /vod/paid/240p/seg_0.ts']), status: 400 },
  { name: 'X-HTTP-Method-Override', to: 'edge', req: () => get(SEG, ['X-HTTP-Method-Override: DELETE']), status: 400 },
  { name: 'Host with markup', to: 'edge', req: () => ({ target: SEG, noHost: true, headers: ['Host: evil.example/<script>'] }), status: 400 },

  // Methods other than GET/HEAD on media.
  { name: 'DELETE on media', to: 'both', req: () => ({ method: 'DELETE', target: SEG }), status: 405 },
  { name: 'POST on media', to: 'both', req: () => ({ method: 'POST', target: SEG, body: 'x' }), status: 405 },
  { name: 'PUT on media', to: 'both', req: () => ({ method: 'PUT', target: SEG, body: 'overwrite' }), status: 405 },
  { name: 'PATCH on media', to: 'both', req: () => ({ method: 'PATCH', target: SEG, body: '{}' }), status: 405 },

  // Signed URLs and cookies on a behavior that requires them (edge). Reasons are CloudFront's.
  { name: 'no signature', to: 'edge', req: () => get(PAID), status: 403, reason: 'missing' },
  { name: 'expired canned URL', to: 'edge', req: (c) => get(signedUrl(c, PAID, { dateLessThan: new Date(Date.now() - 60_000) })), status: 403, reason: 'expired' },
  { name: 'policy not yet valid', to: 'edge', req: (c) => get(policyUrl(c, PAID, { DateGreaterThan: { 'AWS:EpochTime': Math.round(Date.now() / 1000) + 600 } })), status: 403, reason: 'not-yet-valid' },
  { name: 'policy for another address', to: 'edge', req: (c) => get(policyUrl(c, PAID, { IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } })), status: 403, reason: 'ip-not-allowed' },
  { name: 'unknown key pair id', to: 'edge', req: (c) => get(signedUrl(c, PAID, { keyPairId: 'K9' })), status: 403, reason: 'unknown-key' },
  { name: 'signed by a key not in the group', to: 'edge', req: (c) => get(signedUrl(c, PAID, { privateKey: OTHER_PRIVATE })), status: 403, reason: 'bad-signature' },
  { name: 'tampered path', to: 'edge', req: (c) => get(signedUrl(c, PAID).replace('seg_0', 'seg_1')), status: 403, reason: 'bad-signature' },
  { name: 'tampered query (parameter added)', to: 'edge', req: (c) => get(signedUrl(c, `${PAID}?lang=en`).replace('lang=en', 'lang=fr')), status: 403, reason: 'bad-signature' },
  { name: 'one signature byte changed', to: 'edge', req: (c) => { const u = signedUrl(c, PAID); const at = u.indexOf('Signature=') + 20; return get(flipChar(u, at)); }, status: 403, reason: 'bad-signature' },
  { name: 'signed for another host', to: 'edge', req: () => get(getSignedUrl({ url: `https://cdn.example.com${PAID}`, keyPairId: 'K1', privateKey: PRIVATE, dateLessThan: inOneHour() }).slice('https://cdn.example.com'.length)), status: 403, reason: 'bad-signature' },
  { name: 'wildcard policy for another asset', to: 'edge', req: (c) => get(policyUrl(c, PAID, {}, `${c.base}/vod/clip/*`)), status: 403, reason: 'bad-signature' },
  { name: 'policy swapped under a valid signature', to: 'edge', req: (c) => { const u = policyUrl(c, PAID, {}); const p = cloudFrontBase64.encode(JSON.stringify({ Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': 4102444800 } } }] })); return get(replaceParam(u, 'Policy', p)); }, status: 403, reason: 'bad-signature' },
  { name: 'signature not CloudFront base64', to: 'edge', req: (c) => get(replaceParam(signedUrl(c, PAID), 'Signature', 'abc!def*ghi')), status: 403, reason: 'malformed' },
  { name: 'signature in standard base64 (+ and /)', to: 'edge', req: (c) => get(replaceParam(signedUrl(c, PAID), 'Signature', 'ab+c/def+ghi/jk==')), status: 403, reason: 'malformed' },
  { name: 'signature of 4,000 characters', to: 'edge', req: (c) => get(replaceParam(signedUrl(c, PAID), 'Signature', 'A'.repeat(4_000))), status: 403, reason: 'malformed' },
  { name: 'policy that is not JSON', to: 'edge', req: () => get(`${PAID}?${rawPolicyQuery('{"Statement": [')}`), status: 403, reason: 'malformed' },
  { name: 'policy that is JSON but not an object', to: 'edge', req: () => get(`${PAID}?${rawPolicyQuery('[1,2,3]')}`), status: 403, reason: 'malformed' },
  // A policy over 6 KiB cannot fit a URL under the 8 KiB limit; in a cookie it is refused unparsed.
  { name: 'policy of 7 KB in the URL', to: 'edge', req: () => get(`${PAID}?${rawPolicyQuery(hugePolicy())}`), status: 400 },
  { name: 'policy of 7 KB in a cookie', to: 'edge', req: () => get(PAID, [`Cookie: ${rawPolicyQuery(hugePolicy()).replace(/(^|&)/g, '$1CloudFront-').replaceAll('&', '; ')}`]), status: 403, reason: 'malformed' },
  { name: 'policy with two statements', to: 'edge', req: () => { const st = { Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': 4102444800 } } }; return get(`${PAID}?${rawPolicyQuery(JSON.stringify({ Statement: [st, st] }))}`); }, status: 403, reason: 'malformed' },
  { name: 'policy with an unknown condition', to: 'edge', req: () => get(`${PAID}?${rawPolicyQuery(JSON.stringify({ Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': 4102444800 }, StringLike: { 'AWS:Referer': '*' } } }] }))}`), status: 403, reason: 'malformed' },
  { name: 'policy with a string time', to: 'edge', req: () => get(`${PAID}?${rawPolicyQuery(JSON.stringify({ Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': '4102444800' } } }] }))}`), status: 403, reason: 'malformed' },
  { name: 'Expires and Policy together', to: 'edge', req: (c) => get(`${signedUrl(c, PAID)}&Policy=${cloudFrontBase64.encode('{}')}`), status: 403, reason: 'malformed' },
  { name: 'Signature given twice', to: 'edge', req: (c) => get(`${signedUrl(c, PAID)}&Signature=AAAA`), status: 403, reason: 'malformed' },
  { name: 'Expires given twice, once percent-encoded', to: 'edge', req: (c) => get(`${signedUrl(c, PAID)}&%45xpires=9999999999`), status: 403, reason: 'malformed' },
  { name: 'Expires that is not a number', to: 'edge', req: (c) => get(replaceParam(signedUrl(c, PAID), 'Expires', '1e12')), status: 403, reason: 'malformed' },
  { name: 'unknown Hash-Algorithm', to: 'edge', req: (c) => get(`${signedUrl(c, PAID)}&Hash-Algorithm=MD5`), status: 403, reason: 'malformed' },
  { name: 'Key-Pair-Id with markup', to: 'edge', req: (c) => get(replaceParam(signedUrl(c, PAID), 'Key-Pair-Id', 'K1%3Cscript%3E')), status: 403, reason: 'malformed' },
  { name: 'signature parameter with bad percent-encoding', to: 'edge', req: (c) => get(replaceParam(signedUrl(c, PAID), 'Key-Pair-Id', 'K%zz')), status: 403, reason: 'malformed' },
  { name: 'cookie policy that is not base64', to: 'edge', req: () => get(PAID, ['Cookie: CloudFront-Policy=!!!; CloudFront-Signature=AAAA; CloudFront-Key-Pair-Id=K1']), status: 403, reason: 'malformed' },
  { name: 'signed cookies sent twice', to: 'edge', req: (c) => { const ck = getSignedCookies({ url: `${c.base}${PAID}`, keyPairId: 'K1', privateKey: PRIVATE, dateLessThan: inOneHour() }); const line = Object.entries(ck).map(([k, v]) => `${k}=${String(v)}`).join('; '); return get(PAID, [`Cookie: ${line}; ${line}`]); }, status: 403, reason: 'malformed' },
  { name: 'signed cookies for another asset', to: 'edge', req: (c) => { const policy = JSON.stringify({ Statement: [{ Resource: `${c.base}/vod/clip/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.round(inOneHour().getTime() / 1000) } } }] }); const ck = getSignedCookies({ keyPairId: 'K1', privateKey: PRIVATE, policy }); return get(PAID, [`Cookie: ${Object.entries(ck).map(([k, v]) => `${k}=${String(v)}`).join('; ')}`]); }, status: 403, reason: 'bad-signature' },
  { name: 'https-only path over plain HTTP', to: 'edge', req: () => get('/vod/secure/240p/seg_0.ts'), status: 403 },

  // Origin access control: only requests signed by an edge, for this method and target, within the clock window.
  { name: 'unsigned origin request', to: 'origin', req: () => ({ target: SEG, unsigned: true }), status: 403, reason: 'missing' },
  { name: 'origin signature with one byte changed', to: 'origin', req: () => { const h = signOriginRequest(SECRET, { method: 'GET', path: SEG, now: Date.now() }); return { target: SEG, unsigned: true, headers: [`x-edgeline-date: ${h['x-edgeline-date']}`, `x-edgeline-signature: ${flipChar(h['x-edgeline-signature'] ?? '', 10)}`] }; }, status: 403, reason: 'bad-signature' },
  { name: 'origin signature for another path', to: 'origin', req: () => signedFor('/vod/clip/master.m3u8', SEG), status: 403, reason: 'bad-signature' },
  { name: 'origin signature with a query appended', to: 'origin', req: () => signedFor(SEG, `${SEG}?x=1`), status: 403, reason: 'bad-signature' },
  { name: 'origin GET signature replayed as HEAD', to: 'origin', req: () => ({ ...signedFor(SEG, SEG), method: 'HEAD' }), status: 403 },
  { name: 'origin signature with another secret', to: 'origin', req: () => signedFor(SEG, SEG, { secret: 'a-different-secret-0123456789abcdef' }), status: 403, reason: 'bad-signature' },
  { name: 'stale origin signature (replay)', to: 'origin', req: () => signedFor(SEG, SEG, { now: Date.now() - 120_000 }), status: 403, reason: 'stale' },
  { name: 'origin signature from the future', to: 'origin', req: () => signedFor(SEG, SEG, { now: Date.now() + 120_000 }), status: 403, reason: 'future' },
  { name: 'malformed origin signature', to: 'origin', req: () => ({ target: SEG, unsigned: true, headers: [`x-edgeline-date: ${Math.floor(Date.now() / 1000)}`, 'x-edgeline-signature: v1=abc'] }), status: 403, reason: 'malformed' },
  { name: 'origin signature header sent twice', to: 'origin', req: () => { const w = signedFor(SEG, SEG); return { ...w, headers: [...(w.headers ?? []), w.headers?.[1] ?? ''] }; }, status: 403, reason: 'malformed' },

  // Admin and upload endpoints.
  { name: 'invalidation without a token', to: 'edge', req: () => ({ method: 'POST', target: '/_edge/invalidations', headers: ['Content-Type: application/json'], body: '{"paths":["/vod/*"]}' }), status: 401 },
  { name: 'invalidation with a wrong token', to: 'edge', req: () => ({ method: 'POST', target: '/_edge/invalidations', headers: ['Content-Type: application/json', 'Authorization: Bearer wrong-token'], body: '{"paths":["/vod/*"]}' }), status: 401 },
  { name: 'invalidation with Basic credentials', to: 'edge', req: () => ({ method: 'POST', target: '/_edge/invalidations', headers: ['Content-Type: application/json', `Authorization: Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`], body: '{"paths":["/vod/*"]}' }), status: 401 },
  { name: 'invalidation with invalid JSON', to: 'edge', req: () => ({ method: 'POST', target: '/_edge/invalidations', headers: ['Content-Type: application/json', `Authorization: Bearer ${ADMIN_TOKEN}`], body: '{"paths": [' }), status: 400 },
  { name: 'invalidation of a path with spaces and quotes', to: 'edge', req: () => ({ method: 'POST', target: '/_edge/invalidations', headers: ['Content-Type: application/json', `Authorization: Bearer ${ADMIN_TOKEN}`], body: '{"paths":["/vod/a b\\"*"]}' }), status: 400 },
  { name: 'invalidation body over 256 KiB', to: 'edge', req: () => ({ method: 'POST', target: '/_edge/invalidations', headers: ['Content-Type: application/json', `Authorization: Bearer ${ADMIN_TOKEN}`], body: JSON.stringify({ paths: ['/vod/x'], pad: 'x'.repeat(300_000) }) }), status: 413 },
  { name: 'upload that is not multipart', to: 'origin', req: () => ({ method: 'POST', target: '/api/assets', headers: ['Content-Type: application/json'], body: '{"file":"../../etc/passwd"}' }) },
  { name: 'upload status with a traversal id', to: 'origin', req: () => get('/api/assets/..%2f..%2fjobs') },
];

function hugePolicy(): string {
  return JSON.stringify({ Statement: [{ Resource: `*${'x'.repeat(7_000)}`, Condition: { DateLessThan: { 'AWS:EpochTime': 4102444800 } } }] });
}

/** A request to the origin signed for `signedPath` but sent for `target`. */
function signedFor(signedPath: string, target: string, opts: { secret?: string; now?: number } = {}): Wire {
  const h = signOriginRequest(opts.secret ?? SECRET, { method: 'GET', path: signedPath, now: opts.now ?? Date.now() });
  return { target, unsigned: true, headers: Object.entries(h).map(([k, v]) => `${k}: ${v}`) };
}

/** A packaged asset on disk, written directly (no ffmpeg needed to test refusals). */
function writeAsset(mediaDir: string, id: string): void {
  const dir = join(mediaDir, 'hls', id);
  mkdirSync(join(dir, '240p'), { recursive: true });
  writeFileSync(join(dir, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x240\n240p/index.m3u8\n');
  writeFileSync(join(dir, '240p', 'index.m3u8'), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg_0.ts\n#EXT-X-ENDLIST\n');
  writeFileSync(join(dir, '240p', 'seg_0.ts'), Buffer.alloc(4_096, 0x47));
}

describe('hostile inputs to a real origin and a real edge', { timeout: 120_000 }, () => {
  const prefix = testPrefix('hostile-inputs');
  let mediaDir: string;
  let origin: OriginApp;
  let originServer: Listening;
  let edge: EdgeApp;
  let edgeServer: Listening;
  const originMetrics = createOriginMetrics({ processMetrics: false });
  /** Requests that reached the origin's handler (after Node's own parser). */
  let originRequests = 0;
  let edgePhaseOriginRequests = -1;

  const ctx = (role: Role): Ctx => {
    const port = role === 'edge' ? edgeServer.port : originServer.port;
    return { role, base: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` };
  };

  before(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-hostile-'));
    writeAsset(mediaDir, 'clip');
    writeAsset(mediaDir, 'paid');
    writeFileSync(join(mediaDir, 'secret.m3u8'), 'never served');
    origin = createOriginApp(originConfig({ mediaDir, originSecret: [SECRET] }), { metrics: originMetrics });
    await origin.start();
    const counted: RequestListener = (req, res) => {
      // Edges probe /healthz in the background; that is not a fetch on a viewer's behalf.
      if (req.url !== '/healthz') originRequests++;
      origin.app(req, res);
    };
    originServer = await listen(counted, { port: 0 });
    edge = await createEdgeApp(
      testEdgeConfig({
        origin: [originServer.url],
        redis: SHARED_REDIS_URL,
        redisPrefix: prefix.prefix,
        originSecret: SECRET,
        signingKeys: KeyGroup.fromPems({ K1: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
        adminToken: ADMIN_TOKEN,
        rateLimit: 1_000,
        rateBurst: 10_000,
      }),
      {
        behaviors: [
          { ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/paid/*', requireSignature: true },
          { ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/secure/*', viewerProtocolPolicy: 'https-only' },
          ...DEFAULT_BEHAVIORS,
        ],
      },
    );
    edgeServer = await listen(edge, { port: 0 });
  });

  after(async () => {
    await edgeServer?.close();
    await edge?.close();
    await originServer?.close();
    await origin?.close();
    await prefix.cleanup();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('has at least 50 cases for each of origin and edge', () => {
    const count = (role: Role): number => CASES.filter((c) => c.to === role || c.to === 'both').length;
    assert.ok(count('edge') >= 50, `edge cases: ${count('edge')}`);
    assert.ok(count('origin') >= 50, `origin cases: ${count('origin')}`);
  });

  for (const role of ['edge', 'origin'] as const) {
    describe(`to the ${role}`, () => {
      let originRequestsBefore = 0;
      before(() => {
        originRequestsBefore = originRequests;
      });
      after(() => {
        if (role === 'edge') edgePhaseOriginRequests = originRequests - originRequestsBefore;
      });
      for (const c of CASES.filter((x) => x.to === role || x.to === 'both')) {
        it(`refuses ${c.name}`, async () => {
          const context = ctx(role);
          const spec = c.req(context);
          const text = typeof spec === 'string' ? spec : wireText(spec, context);
          const r = await sendRaw(role === 'edge' ? edgeServer.port : originServer.port, text);
          const shown = `${role} ${c.name}: ${r.status}\n${r.head.slice(0, 300)}\n${r.body.slice(0, 300)}`;
          if (c.status !== undefined) assert.equal(r.status, c.status, shown);
          else assert.ok(r.status >= 400 && r.status < 500, shown);
          if (c.reason !== undefined) assert.equal((JSON.parse(r.body) as { reason?: string }).reason, c.reason, shown);
        });
      }
    });
  }

  it('forwarded none of the edge cases to the origin and stored nothing in memory or Redis', async () => {
    assert.equal(edgePhaseOriginRequests, 0, 'the origin saw no request while the edge table ran');
    const upstream = await edge.metrics.registry.getSingleMetricAsString('hls_edge_origin_fetches_total');
    assert.doesNotMatch(upstream, /hls_edge_origin_fetches_total\{[^}]*\} [1-9]/, `no origin fetches:\n${upstream}`);
    assert.equal(edge.memory.entries, 0);
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      assert.deepEqual(await redis.keys(`${prefix.prefix}obj:*`), []);
    } finally {
      redis.disconnect();
    }
  });

  it('served no media bytes from the origin and wrote nothing to its disk', async () => {
    const bytes = await originMetrics.registry.getSingleMetricAsString('hls_origin_media_bytes_total');
    assert.doesNotMatch(bytes, /hls_origin_media_bytes_total\{[^}]*\} [1-9]/, bytes);
    assert.deepEqual(readdirSync(join(mediaDir, 'uploads')), []);
    assert.deepEqual(origin.jobs.list(), []);
    const rejected = await originMetrics.registry.getSingleMetricAsString('hls_origin_auth_rejected_total');
    for (const reason of ['missing', 'bad-signature', 'stale', 'future', 'malformed']) assert.match(rejected, new RegExp(`reason="${reason}"[^}]*\\} [1-9]`), rejected);
  });

  it('still answers afterwards: /healthz on both, and a signed request through the edge', async () => {
    for (const role of ['edge', 'origin'] as const) {
      const r = await sendRaw(role === 'edge' ? edgeServer.port : originServer.port, wireText({ target: '/healthz', unsigned: true }, ctx(role)));
      assert.equal(r.status, 200, `${role} /healthz`);
    }
    const before = originRequests;
    const ok = await sendRaw(edgeServer.port, wireText(get(signedUrl(ctx('edge'), PAID)), ctx('edge')));
    assert.equal(ok.status, 200, ok.head);
    assert.equal(ok.body.length, 4_096);
    assert.equal(originRequests, before + 1, 'one signed fetch from the edge to the origin');
    const metrics = await edge.metrics.registry.metrics();
    assert.match(metrics, /hls_edge_rejected_requests_total\{reason="signature-bad-signature",role="edge"\} [1-9]/);
    assert.match(metrics, /hls_edge_rejected_requests_total\{reason="signature-malformed",role="edge"\} [1-9]/);
  });
});
