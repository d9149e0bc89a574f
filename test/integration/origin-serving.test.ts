import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import request from 'supertest';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { parseMultipart } from '../helpers/multipart.ts';
import { packageClip, rawRequest, tempDir, type TempDir } from './origin-fixture.ts';

const SECRET = 'TOP-SECRET-ORIGIN-TEST';

describe('origin serving VOD', () => {
  let tmp: TempDir;
  let mediaDir: string;
  let origin: OriginApp;
  let server: Listening;
  let rendition: string;
  let segment: string;
  let segmentBytes: Buffer;
  const assetDir = (): string => join(mediaDir, 'hls', 'clip');

  before(async () => {
    tmp = tempDir();
    mediaDir = join(tmp.dir, 'media');
    await packageClip(mediaDir, 'clip');
    const master = readFileSync(join(assetDir(), 'master.m3u8'), 'utf8');
    rendition = (master.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? '').split('/')[0] ?? '';
    const media = readFileSync(join(assetDir(), rendition, 'index.m3u8'), 'utf8');
    segment = media.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? '';
    segmentBytes = readFileSync(join(assetDir(), rendition, segment));
    // Bait for traversal attempts: secrets next to the media folder, in it, and reachable through a symlink or a dot-folder.
    writeFileSync(join(tmp.dir, 'secret.txt'), SECRET);
    writeFileSync(join(mediaDir, 'secret.m3u8'), SECRET);
    writeFileSync(join(mediaDir, 'hls', 'secret.m3u8'), SECRET);
    symlinkSync(join(tmp.dir, 'secret.txt'), join(assetDir(), rendition, 'link.ts'));
    mkdirSync(join(mediaDir, 'hls', '.tmp-clip-1234'));
    writeFileSync(join(mediaDir, 'hls', '.tmp-clip-1234', 'master.m3u8'), SECRET);
    origin = createOriginApp(originConfig({ mediaDir }), { metrics: createOriginMetrics({ processMetrics: false }) });
    await origin.start();
    server = await listen(origin.app, { port: 0 });
  });

  after(async () => {
    await server?.close();
    await origin?.close();
    tmp?.cleanup();
  });

  it('serves playlists and segments with their content types', async () => {
    await request(origin.app).get('/vod/clip/master.m3u8').expect(200).expect('Content-Type', 'application/vnd.apple.mpegurl');
    const media = await request(origin.app).get(`/vod/clip/${rendition}/index.m3u8`).expect(200);
    assert.equal(media.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.match(media.text, /#EXT-X-ENDLIST/);
    const seg = await request(origin.app).get(`/vod/clip/${rendition}/${segment}`).buffer(true).parse(binary).expect(200);
    assert.equal(seg.headers['content-type'], segment.endsWith('.ts') ? 'video/mp2t' : 'video/iso.segment');
    assert.ok(Buffer.compare(seg.body as Buffer, segmentBytes) === 0, 'segment body equals the file');
    assert.equal(seg.headers['accept-ranges'], 'bytes');
  });

  it('sends strong validators and answers 304 to If-None-Match and If-Modified-Since', async () => {
    const path = `/vod/clip/${rendition}/${segment}`;
    const first = await request(origin.app).get(path).expect(200);
    const etag = first.headers['etag'] ?? '';
    const lastModified = first.headers['last-modified'] ?? '';
    assert.match(etag, /^"[^"]+"$/, 'a quoted strong ETag, no W/');
    assert.ok(!Number.isNaN(Date.parse(lastModified)));
    const byTag = await request(origin.app).get(path).set('If-None-Match', etag).expect(304);
    assert.equal(byTag.headers['etag'], etag);
    assert.equal(byTag.text ?? '', '');
    await request(origin.app).get(path).set('If-None-Match', `"nope", ${etag}`).expect(304);
    await request(origin.app).get(path).set('If-Modified-Since', lastModified).expect(304);
    await request(origin.app).get(path).set('If-Modified-Since', new Date(Date.parse(lastModified) - 60_000).toUTCString()).expect(200);
    // RFC 9110 §13.1.3: If-None-Match takes precedence; a mismatching tag means 200 even if the date says unmodified.
    await request(origin.app).get(path).set('If-None-Match', '"other"').set('If-Modified-Since', lastModified).expect(200);
    await request(origin.app).get(path).set('If-Match', '"other"').expect(412);
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const path = `/vod/clip/${rendition}/${segment}`;
    const res = await rawRequest(server.url, path, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(Number(res.headers['content-length']), segmentBytes.length);
    assert.equal(res.headers['content-type'], 'video/mp2t');
    assert.ok(res.headers['etag']);
    assert.equal(res.body.length, 0);
  });

  describe('byte ranges', () => {
    const path = (): string => `/vod/clip/${rendition}/${segment}`;

    it('serves the first bytes, a suffix and an open-ended range', async () => {
      const size = segmentBytes.length;
      const first = await request(origin.app).get(path()).set('Range', 'bytes=0-99').buffer(true).parse(binary).expect(206);
      assert.equal(first.headers['content-range'], `bytes 0-99/${size}`);
      assert.equal(first.headers['content-length'], '100');
      assert.deepEqual(first.body, segmentBytes.subarray(0, 100));
      const suffix = await request(origin.app).get(path()).set('Range', 'bytes=-188').buffer(true).parse(binary).expect(206);
      assert.equal(suffix.headers['content-range'], `bytes ${size - 188}-${size - 1}/${size}`);
      assert.deepEqual(suffix.body, segmentBytes.subarray(size - 188));
      const open = await request(origin.app).get(path()).set('Range', 'bytes=1000-').buffer(true).parse(binary).expect(206);
      assert.equal(open.headers['content-range'], `bytes 1000-${size - 1}/${size}`);
      assert.deepEqual(open.body, segmentBytes.subarray(1000));
    });

    it('answers 416 with the size when no range is satisfiable', async () => {
      const size = segmentBytes.length;
      const res = await request(origin.app).get(path()).set('Range', `bytes=${size}-${size + 10}`).expect(416);
      assert.equal(res.headers['content-range'], `bytes */${size}`);
      assert.equal(res.body.error, 'RANGE_NOT_SATISFIABLE');
    });

    it('answers several ranges as multipart/byteranges', async () => {
      const size = segmentBytes.length;
      const res = await rawRequest(server.url, path(), { headers: { Range: 'bytes=0-9,100-149' } });
      assert.equal(res.status, 206);
      const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(res.headers['content-type'] ?? '');
      assert.ok(m, `content-type ${res.headers['content-type']}`);
      assert.equal(Number(res.headers['content-length']), res.body.length);
      const parts = parseMultipart(res.body, m[1] ?? '');
      assert.equal(parts.length, 2);
      assert.equal(parts[0]?.headers['content-range'], `bytes 0-9/${size}`);
      assert.deepEqual(parts[0]?.body, segmentBytes.subarray(0, 10));
      assert.equal(parts[1]?.headers['content-range'], `bytes 100-149/${size}`);
      assert.equal(parts[1]?.headers['content-type'], 'video/mp2t');
      assert.deepEqual(parts[1]?.body, segmentBytes.subarray(100, 150));
    });

    it('honours If-Range: a stale validator gets the whole file', async () => {
      const etag = (await request(origin.app).head(path())).headers['etag'] ?? '';
      const stale = await request(origin.app).get(path()).set('Range', 'bytes=0-9').set('If-Range', '"stale"').buffer(true).parse(binary).expect(200);
      assert.equal((stale.body as Buffer).length, segmentBytes.length);
      assert.equal(stale.headers['content-range'], undefined);
      await request(origin.app).get(path()).set('Range', 'bytes=0-9').set('If-Range', etag).expect(206);
    });

    it('ignores a malformed Range', async () => {
      await request(origin.app).get(path()).set('Range', 'bytes=abc').expect(200);
    });
  });

  it('lets players on other origins read media and headers (CORS, preflight)', async () => {
    const res = await request(origin.app).get('/vod/clip/master.m3u8').set('Origin', 'http://player.example').expect(200);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    for (const h of ['Content-Length', 'Content-Range', 'ETag', 'Age', 'X-Cache']) assert.match(res.headers['access-control-expose-headers'] ?? '', new RegExp(h));
    const missing = await request(origin.app).get('/vod/nope/master.m3u8').set('Origin', 'http://player.example').expect(404);
    assert.equal(missing.headers['access-control-allow-origin'], '*');
    const pre = await request(origin.app)
      .options(`/vod/clip/${rendition}/${segment}`)
      .set('Origin', 'http://player.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'range')
      .expect(204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(pre.headers['access-control-allow-methods'] ?? '', /GET/);
    assert.match(pre.headers['access-control-allow-headers'] ?? '', /range/i);
    assert.ok(Number(pre.headers['access-control-max-age']) > 0);
  });

  it('compresses playlists with br or gzip when asked, never segments', async () => {
    const path = `/vod/clip/${rendition}/index.m3u8`;
    const plain = readFileSync(join(assetDir(), rendition, 'index.m3u8'));
    const identity = await rawRequest(server.url, path);
    assert.equal(identity.headers['content-encoding'], undefined);
    assert.equal(identity.headers['vary'], 'Accept-Encoding');
    const br = await rawRequest(server.url, path, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['vary'], 'Accept-Encoding');
    assert.deepEqual(zlib.brotliDecompressSync(br.body), plain);
    const gz = await rawRequest(server.url, path, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(zlib.gunzipSync(gz.body), plain);
    assert.equal(Number(gz.headers['content-length']), gz.body.length);
    // Each coding is its own representation with its own strong validator, which revalidates to 304.
    assert.notEqual(gz.headers['etag'], identity.headers['etag']);
    assert.notEqual(gz.headers['etag'], br.headers['etag']);
    const revalidated = await rawRequest(server.url, path, { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers['etag'] ?? '' } });
    assert.equal(revalidated.status, 304);
    const seg = await rawRequest(server.url, `/vod/clip/${rendition}/${segment}`, { headers: { 'Accept-Encoding': 'gzip, br' } });
    assert.equal(seg.headers['content-encoding'], undefined);
    assert.deepEqual(seg.body, segmentBytes);
  });

  it('sends Cache-Control per kind: short playlists, immutable segments, 10 s 404s, no-store errors', async () => {
    const cc = async (path: string): Promise<string> => (await rawRequest(server.url, path)).headers['cache-control'] ?? '';
    assert.equal(await cc('/vod/clip/master.m3u8'), 'public, max-age=30, stale-while-revalidate=30');
    assert.equal(await cc(`/vod/clip/${rendition}/index.m3u8`), 'public, max-age=30, stale-while-revalidate=30');
    const segmentCc = await cc(`/vod/clip/${rendition}/${segment}`);
    assert.match(segmentCc, /immutable/);
    assert.ok(Number(/max-age=(\d+)/.exec(segmentCc)?.[1]) >= 14 * 24 * 3600);
    assert.equal(await cc('/vod/nope/master.m3u8'), 'public, max-age=10');
    assert.equal(await cc('/vod/clip/%2e%2e/x.ts'), 'no-store');
  });

  it('takes Cache-Control from the configuration', async () => {
    const custom = createOriginApp(
      originConfig({ mediaDir, vodPlaylistCacheControl: 'public, max-age=5', segmentCacheControl: 'public, max-age=60', notFoundCacheControl: 'no-cache' }),
      { metrics: createOriginMetrics({ processMetrics: false }) },
    );
    await request(custom.app).get('/vod/clip/master.m3u8').expect('Cache-Control', 'public, max-age=5');
    await request(custom.app).get(`/vod/clip/${rendition}/${segment}`).expect('Cache-Control', 'public, max-age=60');
    await request(custom.app).get('/vod/clip/missing.m3u8').expect(404).expect('Cache-Control', 'no-cache');
  });

  it('answers unknown assets and files with a JSON 404', async () => {
    const asset = await request(origin.app).get('/vod/nope/master.m3u8').expect(404).expect('Content-Type', /json/);
    assert.equal(asset.body.error, 'ASSET_NOT_FOUND');
    assert.match(asset.body.message, /nope/);
    const file = await request(origin.app).get(`/vod/clip/${rendition}/seg-99999.ts`).expect(404);
    assert.equal(file.body.error, 'NOT_FOUND');
    await request(origin.app).get('/vod/clip/other/index.m3u8').expect(404);
    await request(origin.app).get('/live/none/master.m3u8').expect(404);
  });

  it('refuses methods other than GET, HEAD and OPTIONS', async () => {
    const res = await request(origin.app).delete('/vod/clip/master.m3u8').expect(405);
    assert.match(res.headers['allow'] ?? '', /GET/);
  });

  it('refuses path traversal in every encoding without reading outside the media folder', async () => {
    const r = (): string => rendition;
    const attempts = [
      '/vod/../secret.txt',
      '/vod/clip/../../../secret.txt',
      '/vod/clip/%2e%2e/%2e%2e/%2e%2e/secret.txt',
      '/vod/clip/%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/vod/%2e%2e%2f%2e%2e%2fsecret.m3u8',
      '/vod/clip/%252e%252e/%252e%252e/%252e%252e/secret.txt',
      '/vod/clip/..%2f..%2f..%2fsecret.txt',
      '/vod/clip/..%5c..%5c..%5csecret.txt',
      '/vod/clip/..\\..\\..\\secret.txt',
      `/vod/clip/${r()}/index.m3u8%00.ts`,
      '/vod/clip/%00/../../secret.m3u8',
      '/vod/clip/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.m3u8',
      '/vod/clip/%e0%80%ae%e0%80%ae/secret.m3u8',
      '/vod/clip/%u002e%u002e/secret.m3u8',
      '/vod//etc/passwd',
      '/vod/%2fetc%2fpasswd',
      '/vod/clip//etc/passwd',
      '/vod/C:%5cWindows%5cwin.ini',
      `/vod/clip/${r()}/link.ts`,
      '/vod/.tmp-clip-1234/master.m3u8',
      '/vod/%2etmp-clip-1234/master.m3u8',
      '/vod/secret.m3u8',
      '/vod/hls/secret.m3u8',
      '/live/../vod/clip/master.m3u8',
      `/vod/clip/${r()}/....//....//secret.txt`,
      '/vod/clip/master.m3u8/..',
    ];
    assert.ok(attempts.length >= 15);
    for (const target of attempts) {
      const res = await rawRequest(server.url, target);
      assert.ok(res.status === 400 || res.status === 404, `${target} -> ${res.status}`);
      assert.match(res.headers['content-type'] ?? '', /application\/json/, target);
      const body = JSON.parse(res.body.toString('utf8')) as { error?: unknown; message?: unknown };
      assert.equal(typeof body.error, 'string', target);
      assert.ok(!res.body.toString('latin1').includes(SECRET), `${target} leaked a file outside the served tree`);
    }
    // The legitimate file next to the bait is still served.
    assert.equal((await rawRequest(server.url, '/vod/clip/master.m3u8')).status, 200);
  });

  it('counts media bytes and requests in /metrics and reports health', async () => {
    await request(origin.app).get(`/vod/clip/${rendition}/${segment}`).expect(200);
    const metrics = await request(origin.app).get('/metrics').expect(200);
    const bytes = /hls_origin_media_bytes_total\{source="vod",kind="segment"[^}]*\} (\d+)/.exec(metrics.text);
    assert.ok(bytes && Number(bytes[1]) >= segmentBytes.length, 'segment bytes counted');
    assert.match(metrics.text, /hls_origin_http_requests_total\{kind="segment",status_class="2xx"/);
    assert.match(metrics.text, /hls_origin_packaging_jobs\{state="queued"[^}]*\} 0/);
    const health = await request(origin.app).get('/healthz').expect(200);
    assert.equal(health.body.ok, true);
    assert.equal(health.body.media.readable, true);
    assert.equal(health.body.jobs.waiting, 0);
    assert.ok(statSync(mediaDir).isDirectory());
  });
});

/** supertest parser that keeps a binary body as one Buffer. */
function binary(res: unknown, done: (err: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}
