// fill.ts through the pipeline, with a scripted upstream, a fake sink and a fake clock: a miss streams to its viewer
// as the bytes arrive and is stored once complete; requests that join follow the same bytes; failures, oversize
// objects, HEAD and gone viewers each end the fill one way, and the fill is always settled.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testEdge, turn } from '../../helpers/test-edge.ts';

const SEGMENT = { 'content-type': 'video/mp2t', 'cache-control': 'max-age=3600' };

describe('fill: a streamed miss', () => {
  it('writes each chunk to the viewer as it arrives, then stores the whole object for the next request', async () => {
    const t = testEdge();
    const a = t.upstream.answer('/vod/a/1.ts', 200, { ...SEGMENT, 'content-length': '6' });
    const first = t.get('/vod/a/1.ts');
    a.push('ab');
    await turn();
    assert.equal(first.sink.header('X-Cache'), 'MISS');
    assert.equal(first.sink.header('Content-Length'), '6');
    assert.equal(first.sink.body, 'ab', 'the first chunk reaches the viewer before the upstream ends');
    assert.equal(first.sink.ended, false);
    a.push('cd');
    await turn();
    assert.equal(first.sink.body, 'abcd');
    a.end('ef');
    await first.done;
    assert.equal(first.sink.body, 'abcdef');
    assert.equal(first.sink.ended, true);
    assert.equal(first.x.bytes, 6);
    assert.equal(t.edge.memory.get('/vod/a/1.ts')?.body.toString(), 'abcdef');
    assert.equal(t.edge.fills.get('/vod/a/1.ts'), undefined, 'the fill is over');
    const hit = t.get('/vod/a/1.ts');
    await hit.done;
    assert.equal(hit.sink.header('X-Cache'), 'HIT');
    assert.equal(hit.sink.body, 'abcdef');
    assert.equal(t.upstream.callsFor('/vod/a/1.ts'), 1);
  });

  it('gives requests that join mid-stream the bytes from the first one on, as they arrive, with one upstream fetch', async () => {
    const t = testEdge();
    const a = t.upstream.answer('/vod/a/2.ts', 200, SEGMENT);
    const leader = t.get('/vod/a/2.ts');
    a.push('one-');
    await turn();
    const follower = t.get('/vod/a/2.ts');
    await turn();
    assert.equal(follower.sink.header('X-Cache'), 'MISS');
    assert.equal(follower.sink.body, 'one-', 'what the leader had already received');
    a.push('two-');
    // Followers are woken at the end of the event-loop pass in which the leader got the chunk (collapsing.ts).
    await turn();
    await turn();
    assert.equal(follower.sink.body, 'one-two-', 'and the next chunk as it arrives, before the end');
    const ranged = t.get('/vod/a/2.ts', { range: 'bytes=0-2' });
    a.end('three');
    await Promise.all([leader.done, follower.done, ranged.done]);
    assert.equal(leader.sink.body, 'one-two-three');
    assert.equal(follower.sink.body, 'one-two-three');
    assert.equal(follower.sink.ended, true);
    assert.equal(ranged.sink.statusCode, 206, 'a Range waiter gets its part of the stored object');
    assert.equal(ranged.sink.body, 'one');
    assert.equal(t.upstream.callsFor('/vod/a/2.ts'), 1);
  });

  it('writes every chunk to a follower as it arrives even while its socket is full: no follower holds the others or the leader', async () => {
    const t = testEdge();
    const a = t.upstream.answer('/vod/a/3.ts', 200, SEGMENT);
    const leader = t.get('/vod/a/3.ts');
    a.push('one-');
    await turn();
    const slow = t.get('/vod/a/3.ts');
    const quick = t.get('/vod/a/3.ts');
    await turn();
    slow.sink.isFull = true;
    a.push('two-');
    await turn();
    a.push('three');
    await turn();
    await turn();
    // The body keeps every chunk until the fill ends anyway: queueing them on the socket costs no extra memory.
    assert.equal(slow.sink.body, 'one-two-three', 'a full socket queues the chunks; the follower does not stop to wait');
    assert.equal(slow.sink.listenerCount('drain'), 0, 'no follower waits for drain');
    assert.equal(quick.sink.body, 'one-two-three');
    a.end();
    await Promise.all([leader.done, slow.done, quick.done]);
    assert.equal(slow.sink.ended, true);
    assert.equal(quick.sink.ended, true);
    assert.equal(t.upstream.callsFor('/vod/a/3.ts'), 1);
  });

  it('cuts the viewer and every follower short when the upstream body fails, stores nothing, and settles the fill', async () => {
    const t = testEdge();
    const a = t.upstream.answer('/vod/b/1.ts', 200, SEGMENT);
    const leader = t.get('/vod/b/1.ts');
    a.push('half');
    await turn();
    const follower = t.get('/vod/b/1.ts');
    // A Range request cannot follow a stream: it waits for the fill's outcome.
    const ranged = t.get('/vod/b/1.ts', { range: 'bytes=0-1' });
    await turn();
    a.fail();
    await Promise.all([leader.done, follower.done, ranged.done]);
    assert.equal(ranged.sink.statusCode, 502, 'the waiter for the whole object is told the fill failed');
    assert.equal(JSON.parse(ranged.sink.body).error, 'EDGE_ORIGIN_BODY');
    assert.equal(leader.sink.destroyed, true);
    assert.equal(leader.sink.ended, false, 'not ended as if complete');
    assert.equal(follower.sink.destroyed, true);
    assert.equal(t.edge.memory.get('/vod/b/1.ts'), undefined);
    assert.equal(t.edge.fills.get('/vod/b/1.ts'), undefined);
    // The next request fetches afresh.
    t.upstream.answer('/vod/b/1.ts', 200, SEGMENT).end('whole');
    const retry = t.get('/vod/b/1.ts');
    await retry.done;
    assert.equal(retry.sink.body, 'whole');
    assert.equal(t.upstream.callsFor('/vod/b/1.ts'), 2);
  });

  it('streams an object past the object bound whole, without keeping it, and then honours the viewer\'s backpressure', async () => {
    const t = testEdge({ maxObjectBytes: 8 });
    const a = t.upstream.answer('/vod/c/big.ts', 200, SEGMENT);
    const v = t.get('/vod/c/big.ts');
    a.push('12345');
    a.push('67890');
    await turn();
    assert.equal(v.sink.body, '1234567890');
    assert.equal(t.edge.fills.get('/vod/c/big.ts'), undefined, 'past the bound the fill is let go: nobody may wait for it');
    v.sink.isFull = true;
    a.push('abc');
    await turn();
    assert.equal(v.sink.listenerCount('drain'), 1, 'waits for the viewer\'s socket');
    a.push('def');
    a.end();
    await turn();
    assert.equal(v.sink.body, '1234567890abc', 'reads no further until the socket drains');
    v.sink.drain();
    await v.done;
    assert.equal(v.sink.body, '1234567890abcdef');
    assert.equal(v.sink.ended, true);
    assert.equal(t.edge.memory.get('/vod/c/big.ts'), undefined);
  });

  it('keeps filling the cache when the viewer goes away mid-stream', async () => {
    const t = testEdge();
    const a = t.upstream.answer('/vod/d/1.ts', 200, SEGMENT);
    const v = t.get('/vod/d/1.ts');
    a.push('first');
    await turn();
    v.sink.destroy();
    a.push('-second');
    a.end();
    await v.done;
    assert.equal(v.sink.body, 'first', 'nothing written after the viewer left');
    assert.equal(t.edge.memory.get('/vod/d/1.ts')?.body.toString(), 'first-second');
  });

  it('does not share an answer it may not store (no-store where the behavior follows the origin): a waiter fetches for itself', async () => {
    const t = testEdge();
    const a = t.upstream.answer('/live/e/1.ts', 200, { ...SEGMENT, 'cache-control': 'no-store' });
    const first = t.get('/live/e/1.ts');
    a.push('private');
    await turn();
    const second = t.get('/live/e/1.ts');
    await turn();
    assert.equal(second.sink.headersSent, false, 'the second request does not follow an unstorable stream');
    a.end();
    await first.done;
    const b = t.upstream.answer('/live/e/1.ts', 200, { ...SEGMENT, 'cache-control': 'no-store' });
    b.end('own copy');
    await second.done;
    assert.equal(first.sink.body, 'private');
    assert.equal(second.sink.body, 'own copy');
    assert.equal(t.upstream.callsFor('/live/e/1.ts'), 2);
    assert.equal(t.edge.memory.get('/live/e/1.ts'), undefined);
  });

  it('answers HEAD with the head alone and a waiter still gets the object', async () => {
    const t = testEdge();
    const a = t.upstream.answer('/vod/f/1.ts', 200, { ...SEGMENT, 'content-length': '4' });
    const head = t.get('/vod/f/1.ts', {}, 'HEAD');
    a.end('body');
    await head.done;
    assert.equal(head.sink.statusCode, 200);
    assert.equal(head.sink.header('Content-Length'), '4');
    assert.equal(head.x.bytes, 0);
    await t.settled();
    assert.equal(t.edge.fills.get('/vod/f/1.ts'), undefined);
  });
});
