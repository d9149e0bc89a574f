// deliver.ts's writers driven with a fake sink: a stored object's head and body, preconditions, ranges, streamed
// heads, errors and pass-throughs, as the bytes a viewer would get.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange } from '../../../server/core/http/range.ts';
import { CacheEntry } from '../../../server/edge/cache-entry.ts';
import { commonHeaders, deliverBuffered, deliverEntry, deliverError, streamHead, type DeliverContext } from '../../../server/edge/deliver.ts';
import { FakeSink } from '../../helpers/fake-sink.ts';

const LAST_MODIFIED_MS = Date.UTC(2026, 0, 1);
const common = commonHeaders('edge-t');

function entry(over: Partial<ConstructorParameters<typeof CacheEntry>[0]> = {}): CacheEntry {
  return new CacheEntry({
    key: '/vod/a/1.ts',
    status: 200,
    body: Buffer.from('0123456789'),
    headers: [['Content-Type', 'video/mp2t'], ['Cache-Control', 'max-age=60'], ['Last-Modified', new Date(LAST_MODIFIED_MS).toUTCString()]],
    etag: '"strong"',
    upstreamEtag: 'W/"weak"',
    lastModifiedMs: LAST_MODIFIED_MS,
    storedAt: 0,
    ttlMs: 60_000,
    staleWhileRevalidateMs: 0,
    staleIfErrorMs: 0,
    fillSeq: 0,
    upstream: 'origin',
    targetDurationS: undefined,
    ...over,
  });
}

function ctx(over: Partial<DeliverContext> = {}): DeliverContext {
  return { common, xcache: 'HIT', tier: 'memory', ageS: 0, range: parseRange('GET', undefined), ...over };
}

function deliver(e: CacheEntry, headers: Record<string, string> = {}, c: Partial<DeliverContext> = {}): { sink: FakeSink; bytes: number } {
  const sink = new FakeSink();
  const range = parseRange('GET', headers['range']);
  const bytes = deliverEntry(sink, headers, e, ctx({ range, ...c }));
  return { sink, bytes };
}

describe('deliver: stored objects', () => {
  it('writes the stored head and body, with this response\'s Age, X-Cache and tier', () => {
    const e = entry();
    const { sink, bytes } = deliver(e, {}, { ageS: 7, xcache: 'STALE', tier: 'redis' });
    assert.equal(sink.statusCode, 200);
    assert.equal(sink.body, '0123456789');
    assert.equal(bytes, 10);
    assert.equal(sink.ended, true);
    assert.equal(sink.header('Content-Length'), '10');
    assert.equal(sink.header('ETag'), '"strong"');
    assert.equal(sink.header('Accept-Ranges'), 'bytes');
    assert.equal(sink.header('Content-Type'), 'video/mp2t');
    assert.equal(sink.header('Via'), '1.1 edge-t (edgeline)');
    assert.equal(sink.header('Age'), '7');
    assert.equal(sink.header('X-Cache'), 'STALE');
    assert.equal(sink.header('X-Cache-Tier'), 'redis');
  });

  it('reuses one head per entry, and each response gets its own Age and X-Cache', () => {
    const e = entry();
    const first = deliver(e, {}, { ageS: 1, xcache: 'MISS', tier: 'origin' }).sink;
    const second = deliver(e, {}, { ageS: 30, xcache: 'HIT', tier: 'memory' }).sink;
    assert.equal(first.header('Age'), '1');
    assert.equal(first.header('X-Cache'), 'MISS');
    assert.equal(second.header('Age'), '30');
    assert.equal(second.header('X-Cache'), 'HIT');
    assert.equal(second.header('X-Cache-Tier'), 'memory');
    assert.equal(second.headerCount('Age'), 1);
    assert.equal(second.headers.length, first.headers.length);
  });

  it('lets the stored origin CORS headers stand in for the edge\'s own', () => {
    const e = entry({ headers: [['Content-Type', 'text/plain'], ['Access-Control-Allow-Origin', 'https://app.example']] });
    const { sink } = deliver(e);
    assert.equal(sink.headerCount('Access-Control-Allow-Origin'), 1);
    assert.equal(sink.header('Access-Control-Allow-Origin'), 'https://app.example');
  });

  it('answers a matching If-None-Match (the edge\'s tag or the origin\'s) with 304 and no representation headers', () => {
    for (const tag of ['"strong"', 'W/"weak"', '*']) {
      const { sink, bytes } = deliver(entry(), { 'if-none-match': tag }, { ageS: 3 });
      assert.equal(sink.statusCode, 304, tag);
      assert.equal(sink.body, '');
      assert.equal(bytes, 0);
      assert.equal(sink.header('Content-Type'), undefined);
      assert.equal(sink.header('ETag'), '"strong"');
      assert.equal(sink.header('Cache-Control'), 'max-age=60');
      assert.equal(sink.header('Age'), '3');
    }
    assert.equal(deliver(entry(), { 'if-none-match': '"other"' }).sink.statusCode, 200);
  });

  it('answers If-Modified-Since at or after Last-Modified with 304, earlier with 200', () => {
    assert.equal(deliver(entry(), { 'if-modified-since': new Date(LAST_MODIFIED_MS).toUTCString() }).sink.statusCode, 304);
    assert.equal(deliver(entry(), { 'if-modified-since': new Date(LAST_MODIFIED_MS - 60_000).toUTCString() }).sink.statusCode, 200);
  });

  it('answers a failed If-Match with 412 JSON, never cached', () => {
    const { sink } = deliver(entry(), { 'if-match': '"other"' });
    assert.equal(sink.statusCode, 412);
    assert.equal(JSON.parse(sink.body).error, 'EDGE_PRECONDITION_FAILED');
    assert.equal(sink.header('Cache-Control'), 'no-store');
    assert.equal(sink.headerCount('Cache-Control'), 1, 'not the stored object\'s max-age as well');
    assert.equal(sink.header('Content-Length'), String(Buffer.byteLength(sink.body)));
  });

  it('serves one byte range as 206 with Content-Range, from the stored bytes', () => {
    const { sink, bytes } = deliver(entry(), { range: 'bytes=2-4' });
    assert.equal(sink.statusCode, 206);
    assert.equal(sink.body, '234');
    assert.equal(bytes, 3);
    assert.equal(sink.header('Content-Range'), 'bytes 2-4/10');
    assert.equal(sink.header('Content-Length'), '3');
    assert.equal(sink.header('Content-Type'), 'video/mp2t');
    assert.equal(deliver(entry(), { range: 'bytes=-3' }).sink.body, '789');
    assert.equal(deliver(entry(), { range: 'bytes=8-' }).sink.body, '89');
  });

  it('serves several ranges as multipart/byteranges whose Content-Length is the bytes written', () => {
    const { sink, bytes } = deliver(entry(), { range: 'bytes=0-1,5-6' });
    assert.equal(sink.statusCode, 206);
    const type = sink.header('Content-Type') ?? '';
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(type)?.[1];
    assert.ok(boundary, type);
    assert.equal(Number(sink.header('Content-Length')), Buffer.concat(sink.chunks).length);
    assert.equal(bytes, Buffer.concat(sink.chunks).length);
    assert.match(sink.body, /Content-Range: bytes 0-1\/10\r\n\r\n01\r\n/);
    assert.match(sink.body, /Content-Range: bytes 5-6\/10\r\n\r\n56\r\n/);
    assert.ok(sink.body.endsWith(`--${boundary}--\r\n`));
  });

  it('answers a range past the end with 416 and the object\'s size', () => {
    const { sink } = deliver(entry(), { range: 'bytes=50-60' });
    assert.equal(sink.statusCode, 416);
    assert.equal(sink.header('Content-Range'), 'bytes */10');
    assert.equal(JSON.parse(sink.body).error, 'EDGE_RANGE_NOT_SATISFIABLE');
  });

  it('ignores Range when If-Range names another version, and on a negative entry', () => {
    const stale = deliver(entry(), { range: 'bytes=0-1', 'if-range': '"older"' }).sink;
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.body, '0123456789');
    assert.equal(deliver(entry(), { range: 'bytes=0-1', 'if-range': '"strong"' }).sink.statusCode, 206);
    const negative = entry({ status: 404, body: Buffer.from('{"error":"NOT_FOUND"}') });
    const n = deliver(negative, { range: 'bytes=0-1', 'if-none-match': '*' }).sink;
    assert.equal(n.statusCode, 404);
    assert.equal(n.body, '{"error":"NOT_FOUND"}');
    assert.equal(n.header('ETag'), undefined, 'a negative entry has no validators to offer');
  });
});

describe('deliver: streamed heads, errors and pass-throughs', () => {
  it('streams an upstream head: passes end-to-end fields, drops hop-by-hop and Set-Cookie, checks length and tag', () => {
    const sink = new FakeSink();
    streamHead(sink, 200, {
      'content-type': 'video/mp2t',
      'content-length': '1234',
      etag: '"o"',
      age: '12',
      'set-cookie': ['a=b'],
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'x-origin-trace': 't1',
    }, common, 'MISS', 'origin');
    assert.equal(sink.statusCode, 200);
    assert.equal(sink.header('Content-Length'), '1234');
    assert.equal(sink.header('ETag'), '"o"');
    assert.equal(sink.header('Age'), '12');
    assert.equal(sink.header('X-Origin-Trace'), 't1');
    assert.equal(sink.header('Set-Cookie'), undefined);
    assert.equal(sink.header('Connection'), undefined);
    assert.equal(sink.header('Keep-Alive'), undefined);
    assert.equal(sink.header('X-Cache'), 'MISS');
    assert.equal(sink.header('X-Cache-Tier'), 'origin');
    const odd = new FakeSink();
    streamHead(odd, 200, { 'content-length': '12abc', age: 'soon' }, common, 'MISS', 'origin');
    assert.equal(odd.header('Content-Length'), undefined, 'a malformed length is not passed on');
    assert.equal(odd.header('Age'), undefined);
  });

  it('writes a JSON error with X-Cache: ERROR, or cuts the response when its head is already out', () => {
    const sink = new FakeSink();
    const n = deliverError(sink, { status: 504, code: 'EDGE_ORIGIN_TIMEOUT', message: 'late' }, common, ['Retry-After', '1']);
    assert.equal(sink.statusCode, 504);
    assert.deepEqual(JSON.parse(sink.body), { error: 'EDGE_ORIGIN_TIMEOUT', message: 'late' });
    assert.equal(n, Buffer.byteLength(sink.body));
    assert.equal(sink.header('Cache-Control'), 'no-store');
    assert.equal(sink.header('Retry-After'), '1');
    assert.equal(sink.header('X-Cache'), 'ERROR');
    const started = new FakeSink();
    started.writeHead(200, []);
    assert.equal(deliverError(started, { status: 502, code: 'X', message: 'x' }, common), 0);
    assert.equal(started.destroyed, true);
    assert.equal(started.statusCode, 200);
  });

  it('passes an unstored answer through with its own length', () => {
    const sink = new FakeSink();
    const n = deliverBuffered(sink, 403, { 'content-type': 'text/plain', 'set-cookie': ['s=1'], 'content-length': '999' }, Buffer.from('denied'), common, 'BYPASS', 'origin');
    assert.equal(sink.statusCode, 403);
    assert.equal(sink.body, 'denied');
    assert.equal(n, 6);
    assert.equal(sink.header('Content-Length'), '6');
    assert.equal(sink.headerCount('Content-Length'), 1);
    assert.equal(sink.header('Set-Cookie'), undefined);
    assert.equal(sink.header('X-Cache'), 'BYPASS');
  });
});
