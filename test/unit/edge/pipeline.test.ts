// The pipeline's steps driven with a scripted upstream, fake responses and an injected clock (helpers/test-edge.ts):
// no createEdgeApp, no network, no sleeping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../../server/core/errors.ts';
import { FakeSink } from '../../helpers/fake-sink.ts';
import { testEdge, turn } from '../../helpers/test-edge.ts';

const SEGMENT = { 'content-type': 'video/mp2t', 'cache-control': 'max-age=3600' };

/** A viewer whose first head cannot be written (node:http throws on a header it refuses): the pipeline crashes on it. */
class BrokenSink extends FakeSink {
  private refused = false;
  override writeHead(status: number, headers: string[]): this {
    if (this.refused) return super.writeHead(status, headers);
    this.refused = true;
    throw new TypeError('Invalid character in header content');
  }
}

describe('pipeline', () => {
  it('miss, then hit from memory with the Age of the injected clock', async () => {
    const t = testEdge();
    t.upstream.answer('/vod/a/1.ts', 200, SEGMENT).end('segment one');
    const miss = t.get('/vod/a/1.ts');
    await miss.done;
    assert.equal(miss.sink.header('X-Cache'), 'MISS');
    assert.equal(miss.sink.body, 'segment one');
    t.now += 7_000;
    const hit = t.get('/vod/a/1.ts');
    assert.equal(hit.sink.ended, true, 'a memory hit is answered synchronously');
    assert.equal(hit.sink.header('X-Cache'), 'HIT');
    assert.equal(hit.sink.header('Age'), '7');
    assert.equal(hit.sink.body, 'segment one');
    assert.equal(hit.x.served?.body.toString(), 'segment one', 'the prefetcher is told what answered');
    assert.equal(t.upstream.callsFor('/vod/a/1.ts'), 1);
  });

  it('collapses concurrent misses into one upstream call: streamers follow the bytes, a Range waits for the object', async () => {
    const t = testEdge();
    const a = [t.get('/vod/a/2.ts'), t.get('/vod/a/2.ts'), t.get('/vod/a/2.ts', { range: 'bytes=0-0' })];
    await turn();
    t.upstream.answer('/vod/a/2.ts', 200, SEGMENT).end('two');
    await Promise.all(a.map((r) => r.done));
    assert.deepEqual(a.map((r) => r.sink.body), ['two', 'two', 't']);
    assert.equal(a[2]?.sink.statusCode, 206);
    assert.equal(t.upstream.callsFor('/vod/a/2.ts'), 1);
    assert.equal(t.edge.fills.size, 0);
  });

  it('revalidates with the stored validators and answers REVALIDATED on 304', async () => {
    const t = testEdge();
    t.upstream.answer('/vod/a/index.m3u8', 200, { etag: '"p1"', 'cache-control': 'max-age=5, stale-while-revalidate=0' }).end('#EXTM3U');
    await t.get('/vod/a/index.m3u8').done;
    t.now += 6_000;
    t.upstream.answer('/vod/a/index.m3u8', 304, { etag: '"p1"', 'cache-control': 'max-age=5' }).end();
    const r = t.get('/vod/a/index.m3u8');
    await r.done;
    assert.equal(r.sink.header('X-Cache'), 'REVALIDATED');
    assert.equal(r.sink.body, '#EXTM3U');
    assert.equal(t.upstream.calls.at(-1)?.validators?.etag, '"p1"');
    assert.equal(r.x.outcome, 'revalidated');
  });

  it('serves STALE within stale-if-error when the upstream fails, else a 502 JSON error', async () => {
    const t = testEdge();
    t.upstream.answer('/vod/b/index.m3u8', 200, { 'cache-control': 'max-age=1, stale-while-revalidate=0, stale-if-error=10' }).end('#EXTM3U b');
    await t.get('/vod/b/index.m3u8').done;
    t.now += 5_000;
    t.upstream.refuse('/vod/b/index.m3u8', new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, 'down'));
    const stale = t.get('/vod/b/index.m3u8');
    await stale.done;
    assert.equal(stale.sink.header('X-Cache'), 'STALE');
    assert.equal(stale.sink.body, '#EXTM3U b');
    t.now += 10_000;
    t.upstream.refuse('/vod/b/index.m3u8', new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, 'down'));
    const err = t.get('/vod/b/index.m3u8');
    await err.done;
    assert.equal(err.sink.statusCode, 502);
    assert.equal(err.sink.header('X-Cache'), 'ERROR');
    assert.equal(JSON.parse(err.sink.body).error, 'EDGE_ORIGIN_UNREACHABLE');
    assert.equal(err.x.outcome, 'error');
  });

  it('does not store a fill that a purge overtook, and still answers the request that fetched it', async () => {
    const t = testEdge();
    const pending = t.get('/vod/c/1.ts', { range: 'bytes=0-2' });
    await turn();
    t.edge.purges.add({ seq: 0, prev: 0, epoch: '', id: 'Ilocal', at: t.now, paths: ['/vod/c/*'] });
    t.upstream.answer('/vod/c/1.ts', 200, SEGMENT).end('old');
    await pending.done;
    assert.equal(pending.sink.body, 'old');
    assert.equal(t.edge.memory.get('/vod/c/1.ts'), undefined);
    t.upstream.answer('/vod/c/1.ts', 200, SEGMENT).end('new');
    await t.get('/vod/c/1.ts').done;
    const hit = t.get('/vod/c/1.ts');
    assert.equal(hit.sink.body, 'new');
    assert.equal(hit.sink.header('X-Cache'), 'HIT');
  });

  it('answers an uncacheable object to the request that fetched it alone, and its waiters fetch for themselves', async () => {
    const t = testEdge();
    const first = t.get('/live/d/private.ts', { range: 'bytes=0-0' });
    const waiter = t.get('/live/d/private.ts', { range: 'bytes=1-1' });
    await turn();
    t.upstream.answer('/live/d/private.ts', 200, { 'cache-control': 'no-store' }).end('ab');
    await first.done;
    t.upstream.answer('/live/d/private.ts', 200, { 'cache-control': 'no-store' }).end('ab');
    await waiter.done;
    assert.equal(first.sink.header('X-Cache'), 'MISS');
    assert.equal(first.sink.body, 'ab', 'a pass-through answers whole: it was never stored to take a Range from');
    assert.equal(waiter.sink.body, 'ab');
    assert.equal(t.upstream.callsFor('/live/d/private.ts'), 2);
    assert.equal(t.edge.memory.get('/live/d/private.ts'), undefined);
  });

  it('settles the fill and releases its waiters when the leader crashes mid-pipeline', async () => {
    const t = testEdge();
    const broken = t.get('/vod/e/1.ts', {}, 'GET', new BrokenSink());
    const waiter = t.get('/vod/e/1.ts', { range: 'bytes=0-1' });
    await turn();
    t.upstream.answer('/vod/e/1.ts', 200, SEGMENT).end('leader');
    await broken.done;
    assert.equal(broken.x.outcome, 'error');
    assert.equal(broken.sink.statusCode, 500, 'the crash is answered with a 500');
    assert.equal(broken.x.leader?.isClosed, true, 'the leader was closed by the finally');
    // The waiter was told to fetch for itself, not left hanging on a fill nobody settles.
    t.upstream.answer('/vod/e/1.ts', 200, SEGMENT).end('waiter');
    await waiter.done;
    assert.equal(waiter.sink.statusCode, 206);
    assert.equal(waiter.sink.body, 'wa');
    assert.equal(t.edge.fills.size, 0);
  });

  it('streams but does not keep objects above the object bound', async () => {
    const t = testEdge({ maxObjectBytes: 1_000 });
    t.upstream.answer('/vod/f/big.ts', 200, SEGMENT).end('x'.repeat(5_000));
    const r = t.get('/vod/f/big.ts');
    await r.done;
    assert.equal(r.sink.body.length, 5_000);
    assert.equal(t.edge.memory.get('/vod/f/big.ts'), undefined);
  });
});
