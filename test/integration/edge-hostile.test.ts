// Hostile paths and headers are refused before the cache: a 4xx each, no origin request, nothing stored in any tier.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

/** Bytes on the wire exactly as written (clients normalise paths and refuse odd headers). */
function raw(port: number, text: string): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), head: data.slice(0, end) });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), head: data }));
    socket.write(text);
  });
}

const get = (target: string, headers: string[] = []): string => [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers, 'Connection: close', '', ''].join('\r\n');

const CASES: Array<[name: string, request: string]> = [
  ['dot-dot traversal', get('/vod/../etc/passwd')],
  ['encoded dot-dot', get('/vod/%2e%2e/%2e%2e/etc/passwd')],
  ['encoded slash', get('/vod/a/%2F..%2Fsecret.ts')],
  ['encoded backslash', get('/vod/a/..%5c..%5cwin.ini')],
  ['double-encoded dot-dot', get('/vod/%252e%252e/x.ts')],
  ['overlong UTF-8 dot', get('/vod/%c0%ae%c0%ae/x.ts')],
  ['empty segment', get('/vod//a/seg.ts')],
  ['hidden file', get('/vod/a/.hidden')],
  ['NUL byte', get('/vod/a/seg.ts%00.m3u8')],
  ['semicolon path parameter', get('/live/..;/x.ts')],
  ['CRLF injection', get('/vod/a/x.ts%0d%0aSet-Cookie:%20a=b')],
  ['bare /vod/', get('/vod/')],
  ['too many segments', get(`/vod${'/a'.repeat(12)}/x.ts`)],
  ['overlong segment', get(`/vod/a/${'x'.repeat(200)}.ts`)],
  ['overlong URL', get(`/vod/a/x.ts?${'q'.repeat(9000)}`)],
  ['body on GET', [`GET /vod/a/x.ts HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Length: 5', 'Connection: close', '', 'hello'].join('\r\n')],
  ['chunked GET', [`GET /vod/a/x.ts HTTP/1.1`, 'Host: 127.0.0.1', 'Transfer-Encoding: chunked', 'Connection: close', '', '0', '', ''].join('\r\n')],
  ['X-Original-URL', get('/vod/a/x.ts', ['X-Original-URL: /vod/secret/x.ts'])],
  ['X-Rewrite-URL', get('/vod/a/x.ts', ['X-Rewrite-URL: /vod/secret/x.ts'])],
  ['method override', get('/vod/a/x.ts', ['X-HTTP-Method-Override: DELETE'])],
  ['bad Host', get('/vod/a/x.ts', ['Host: evil.example/<script>']).replace('Host: 127.0.0.1\r\n', '')],
  // No Range rows: a malformed Range or too many ranges is ignored (200), several get multipart/byteranges, as at
  // the origin (RFC 9110 §14.2); http-parity.test.ts sends those to both roles.
  ['Via loop', get('/vod/a/x.ts', ['Via: 1.1 test-edge (edgeline)'])],
  ['DELETE on media', ['DELETE /vod/a/x.ts HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', '', ''].join('\r\n')],
  ['POST on media', ['POST /vod/a/x.ts HTTP/1.1', 'Host: 127.0.0.1', 'Content-Length: 0', 'Connection: close', '', ''].join('\r\n')],
  ['oversized headers', get('/vod/a/x.ts', [`X-Big: ${'a'.repeat(20_000)}`])],
  ['header injection in value', get('/vod/a/x.ts', ['X-Test: a\rb'])],
];

describe('hostile requests', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-hostile');
  let edge: EdgeApp;
  let server: Listening;

  before(async () => {
    origin = await startCountingOrigin();
    origin.set('/vod/a/x.ts', { body: 'segment' });
    origin.set('/vod/secret/x.ts', { body: 'secret' });
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix }));
    server = await listen(edge, { port: 0 });
  });

  after(async () => {
    await server.close();
    await edge.close();
    await origin.stop();
    await prefix.cleanup();
  });

  for (const [name, text] of CASES) {
    it(`refuses ${name} with a 4xx`, async () => {
      const r = await raw(server.port, text);
      assert.ok(r.status >= 400 && r.status < 500 || r.status === 508, `${name}: got ${r.status}\n${r.head.slice(0, 300)}`);
    });
  }

  it('asked nothing of the origin and stored nothing', async () => {
    assert.equal(origin.count(), 0);
    assert.equal(edge.memory.entries, 0);
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      assert.deepEqual(await redis.keys(`${prefix.prefix}obj:*`), []);
    } finally {
      redis.disconnect();
    }
    // …and the edge still serves normal requests.
    const ok = await raw(server.port, get('/vod/a/x.ts'));
    assert.equal(ok.status, 200);
  });
});
