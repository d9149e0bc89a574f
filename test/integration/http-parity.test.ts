// Origin and edge answer the same Range and precondition requests the same way: a real origin serving a file from
// disk, a real edge (real Redis) in front of it; each request goes to the origin, to the edge cold and to the edge warm.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { parseMultipart } from '../helpers/multipart.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { rawRequest, type RawResponse } from './origin-fixture.ts';

const SIZE = 8_192;
const BODY = randomBytes(SIZE);

interface Validators {
  readonly etag: string;
  readonly lastModified: string;
}

interface Case {
  readonly name: string;
  readonly method?: 'GET' | 'HEAD';
  readonly headers: (v: Validators) => Record<string, string>;
  readonly status: number;
  /** Content-Range of a single-part 206 or of a 416. */
  readonly contentRange?: string;
  /** Byte ranges of a multipart/byteranges answer, [start, end] inclusive. */
  readonly parts?: ReadonlyArray<readonly [number, number]>;
}

const many = (n: number): string => `bytes=${Array.from({ length: n }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`;

const CASES: readonly Case[] = [
  // RFC 9110 §14.2: an invalid Range is ignored, never refused.
  { name: 'a malformed Range is ignored (200)', headers: () => ({ Range: 'bytes=abc' }), status: 200 },
  { name: 'a reversed int-range is invalid, so ignored (200)', headers: () => ({ Range: 'bytes=9-1' }), status: 200 },
  { name: 'a negative Range is ignored (200)', headers: () => ({ Range: 'bytes=--5' }), status: 200 },
  { name: 'another range unit is ignored (200)', headers: () => ({ Range: 'items=0-1' }), status: 200 },
  { name: 'more than 16 ranges are ignored (200)', headers: () => ({ Range: many(17) }), status: 200 },
  { name: '200 overlapping open ranges are ignored (200)', headers: () => ({ Range: `bytes=${Array.from({ length: 200 }, () => '0-').join(',')}` }), status: 200 },
  { name: 'a Range on HEAD is ignored (200)', method: 'HEAD', headers: () => ({ Range: 'bytes=0-9' }), status: 200 },
  // Satisfiable and unsatisfiable sets.
  { name: 'one range is 206', headers: () => ({ Range: 'bytes=100-199' }), status: 206, contentRange: `bytes 100-199/${SIZE}` },
  { name: 'a 30-digit last-pos is clamped to the end (206)', headers: () => ({ Range: `bytes=0-${'9'.repeat(30)}` }), status: 206, contentRange: `bytes 0-${SIZE - 1}/${SIZE}` },
  { name: 'a suffix longer than the body is the whole body (206, RFC 9110 §14.1.3)', headers: () => ({ Range: 'bytes=-100000' }), status: 206, contentRange: `bytes 0-${SIZE - 1}/${SIZE}` },
  { name: 'a Range past the end is 416 with the size', headers: () => ({ Range: 'bytes=99999999-' }), status: 416, contentRange: `bytes */${SIZE}` },
  { name: 'an empty suffix is 416', headers: () => ({ Range: 'bytes=-0' }), status: 416, contentRange: `bytes */${SIZE}` },
  { name: 'overlapping ranges are combined into one part (206)', headers: () => ({ Range: 'bytes=0-9,5-20' }), status: 206, contentRange: `bytes 0-20/${SIZE}` },
  { name: 'several ranges are multipart/byteranges (206)', headers: () => ({ Range: 'bytes=0-9,100-149,-5' }), status: 206, parts: [[0, 9], [100, 149], [SIZE - 5, SIZE - 1]] },
  { name: '16 ranges are still multipart (206)', headers: () => ({ Range: many(16) }), status: 206, parts: Array.from({ length: 16 }, (_, i) => [i * 2, i * 2] as const) },
  // If-Range (RFC 9110 §13.1.5).
  { name: 'If-Range with another entity tag gets the whole body (200)', headers: () => ({ Range: 'bytes=0-9', 'If-Range': '"other"' }), status: 200 },
  { name: 'If-Range with the weak form of the tag gets the whole body (200)', headers: (v) => ({ Range: 'bytes=0-9', 'If-Range': `W/${v.etag}` }), status: 200 },
  { name: 'If-Range with the current tag gets the range (206)', headers: (v) => ({ Range: 'bytes=0-9', 'If-Range': v.etag }), status: 206, contentRange: `bytes 0-9/${SIZE}` },
  { name: 'If-Range with the Last-Modified date gets the range (206)', headers: (v) => ({ Range: 'bytes=0-9', 'If-Range': v.lastModified }), status: 206, contentRange: `bytes 0-9/${SIZE}` },
  // Preconditions (RFC 9110 §13.2.2).
  { name: 'If-None-Match with the weak form of the tag is 304 (weak comparison)', headers: (v) => ({ 'If-None-Match': `"x", W/${v.etag}` }), status: 304 },
  { name: 'If-None-Match with another tag is 200', headers: () => ({ 'If-None-Match': '"other"' }), status: 200 },
  { name: 'If-Match on a GET with another tag is 412', headers: () => ({ 'If-Match': '"other"' }), status: 412 },
  { name: 'If-Match on a GET with the weak form of the tag is 412 (strong comparison)', headers: (v) => ({ 'If-Match': `W/${v.etag}` }), status: 412 },
  { name: 'If-Match on a GET with the current tag is 200', headers: (v) => ({ 'If-Match': v.etag }), status: 200 },
  { name: 'If-Modified-Since that is not an HTTP-date is ignored (200)', headers: () => ({ 'If-Modified-Since': '2099-01-01' }), status: 200 },
  { name: 'If-Modified-Since at Last-Modified is 304', headers: (v) => ({ 'If-Modified-Since': v.lastModified }), status: 304 },
  { name: 'If-Unmodified-Since before Last-Modified is 412', headers: () => ({ 'If-Unmodified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' }), status: 412 },
];

describe('origin and edge answer Range and preconditions alike', { timeout: 60_000 }, () => {
  const prefix = testPrefix('http-parity');
  let mediaDir: string;
  let origin: OriginApp;
  let originServer: Listening;
  let edge: EdgeApp;
  let edgeServer: Listening;
  const pathOf = (i: number): string => `/vod/parity/240p/seg_${i}.ts`;

  before(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-parity-'));
    const dir = join(mediaDir, 'hls', 'parity', '240p');
    mkdirSync(dir, { recursive: true });
    // One file per case, so each case meets a cold edge first; one more for the validators check.
    for (let i = 0; i <= CASES.length; i++) writeFileSync(join(dir, `seg_${i}.ts`), BODY);
    origin = createOriginApp(originConfig({ mediaDir }));
    await origin.start();
    originServer = await listen(origin.app, { port: 0 });
    edge = await createEdgeApp(testEdgeConfig({ origin: [originServer.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix }));
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

  const check = (who: string, c: Case, r: RawResponse): void => {
    const shown = `${who}: ${c.name}: ${r.status} ${JSON.stringify(r.headers)}`;
    assert.equal(r.status, c.status, shown);
    if (c.contentRange !== undefined) assert.equal(r.headers['content-range'], c.contentRange, shown);
    if (c.status === 200) {
      assert.equal(r.headers['content-range'], undefined, shown);
      assert.equal(Number(r.headers['content-length']), SIZE, shown);
      if (c.method !== 'HEAD') assert.deepEqual(r.body, BODY, shown);
    }
    if (c.status === 206 && c.parts === undefined) {
      const [, start, end] = /^bytes (\d+)-(\d+)\//.exec(r.headers['content-range'] ?? '') ?? [];
      assert.deepEqual(r.body, BODY.subarray(Number(start), Number(end) + 1), shown);
    }
    if (c.parts !== undefined) {
      const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(r.headers['content-type'] ?? '');
      assert.ok(m, shown);
      assert.equal(Number(r.headers['content-length']), r.body.length, shown);
      const parts = parseMultipart(r.body, m[1] ?? '');
      assert.deepEqual(
        parts.map((p) => p.headers['content-range']),
        c.parts.map(([s, e]) => `bytes ${s}-${e}/${SIZE}`),
        shown,
      );
      for (const [i, [s, e]] of c.parts.entries()) {
        assert.deepEqual(parts[i]?.body, BODY.subarray(s, e + 1), shown);
        assert.equal(parts[i]?.headers['content-type'], 'video/mp2t', shown);
      }
    }
  };

  /** The file's validators, as the origin gives them (an ETag names size, mtime and inode, so each file has its own). */
  const validatorsOf = async (path: string): Promise<Validators> => {
    const o = await rawRequest(originServer.url, path, { method: 'HEAD' });
    return { etag: o.headers['etag'] ?? '', lastModified: o.headers['last-modified'] ?? '' };
  };

  it('both roles give one ETag and Last-Modified for a file', async () => {
    const path = pathOf(CASES.length);
    const v = await validatorsOf(path);
    assert.match(v.etag, /^"[^"]+"$/);
    const e = await rawRequest(edgeServer.url, path, { method: 'HEAD' });
    // The edge serves the origin's strong tag, so a validator from either role holds at the other.
    assert.equal(e.headers['etag'], v.etag);
    assert.equal(e.headers['last-modified'], v.lastModified);
  });

  for (const [i, c] of CASES.entries()) {
    it(c.name, async () => {
      const opts = { method: c.method ?? 'GET', headers: c.headers(await validatorsOf(pathOf(i))) };
      const fromOrigin = await rawRequest(originServer.url, pathOf(i), opts);
      check('origin', c, fromOrigin);
      const cold = await rawRequest(edgeServer.url, pathOf(i), opts);
      check('edge (cold)', c, cold);
      assert.notEqual(cold.headers['x-cache'], 'HIT', `${c.name}: the first edge answer is not from the cache`);
      const warm = await rawRequest(edgeServer.url, pathOf(i), opts);
      check('edge (warm)', c, warm);
      assert.equal(warm.headers['x-cache'], 'HIT', `${c.name}: the second edge answer comes from the cache`);
    });
  }
});
