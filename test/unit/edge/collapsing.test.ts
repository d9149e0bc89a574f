// In-process collapsing: a fill's waiters join its stream when there is one, else its outcome; the shared body
// keeps every chunk for followers; remote watches queue notices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalFills, RemoteWatch, SharedBody } from '../../../server/edge/collapsing.ts';

async function readAll(body: SharedBody): Promise<{ bytes: string; end: SharedBody['state'] }> {
  let i = 0;
  let out = '';
  for (;;) {
    while (i < body.chunks.length) out += (body.chunks[i++] as Buffer).toString();
    if (body.state !== 'open') return { bytes: out, end: body.state };
    await body.next();
  }
}

describe('collapsing', () => {
  it('gives a waiter the stream as soon as the leader has one, from its first byte', async () => {
    const fills = new LocalFills();
    const fill = fills.open('/k');
    const joined = fill.join();
    const body = new SharedBody(200, { 'content-type': 'video/mp2t' }, 'origin');
    body.push(Buffer.from('ab'));
    fill.stream(body);
    const j = await joined;
    assert.equal(j.kind, 'stream');
    const late = await fill.join();
    assert.equal(late.kind, 'stream', 'a later waiter joins too');
    if (j.kind !== 'stream') return;
    const reading = readAll(j.body);
    body.push(Buffer.from('cd'));
    body.end();
    assert.deepEqual(await reading, { bytes: 'abcd', end: 'done' });
  });

  it('gives a waiter the outcome when the fill settles without a stream, and frees the key', async () => {
    const fills = new LocalFills();
    const fill = fills.open('/k');
    const joined = fill.join();
    fill.settle({ kind: 'retry' });
    assert.deepEqual(await joined, { kind: 'retry' });
    assert.equal(fills.get('/k'), undefined);
  });

  it('stops keeping chunks past the bound only when nobody follows, and then takes no new follower', async () => {
    const followed = new SharedBody(200, {}, 'origin');
    followed.push(Buffer.from('x'));
    followed.followers++;
    followed.release();
    assert.equal(followed.isJoinable, true);
    assert.equal(followed.chunks.length, 1);
    const alone = new SharedBody(200, {}, 'origin');
    alone.push(Buffer.from('x'));
    alone.release();
    assert.equal(alone.isJoinable, false);
    assert.equal(alone.chunks.length, 0);
    const fill = new LocalFills().open('/k');
    fill.stream(alone);
    const j = fill.join();
    fill.settle({ kind: 'retry' });
    assert.deepEqual(await j, { kind: 'retry' }, 'a waiter of a body it cannot read from 0 gets the outcome');
  });

  it('wakes its followers once per pass of the event loop, with every chunk of that pass', async () => {
    const body = new SharedBody(200, {}, 'origin');
    let wakes = 0;
    const seen: number[] = [];
    const follow = async (): Promise<void> => {
      while (body.state === 'open') {
        await body.next();
        wakes++;
        seen.push(body.chunks.length);
      }
    };
    const following = follow();
    body.push(Buffer.from('a'));
    body.push(Buffer.from('b'));
    body.push(Buffer.from('c'));
    assert.equal(wakes, 0, 'not woken in the middle of the pass');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [3], 'one wake for the three chunks');
    body.push(Buffer.from('d'));
    body.end();
    await following;
    assert.deepEqual(seen, [3, 4]);
  });

  it('an aborted body ends its followers as aborted', async () => {
    const body = new SharedBody(200, {}, 'origin');
    const reading = readAll(body);
    body.push(Buffer.from('a'));
    body.abort();
    assert.deepEqual(await reading, { bytes: 'a', end: 'aborted' });
  });

  it('a remote watch queues notices, folds consecutive progress, and times out', async () => {
    let cancelled = 0;
    const w = new RemoteWatch(() => cancelled++);
    w.push('progress');
    w.push('progress');
    w.push('stored');
    assert.equal(await w.next(1_000), 'progress');
    assert.equal(await w.next(1_000), 'stored');
    // The watch's timer is unref'd (a waiter never keeps a closing edge alive): the test holds the event loop meanwhile,
    // or node:test may find it empty and cancel the test while the timer is still pending.
    const hold = setTimeout(() => undefined, 10_000);
    try {
      assert.equal(await w.next(1), 'timeout');
    } finally {
      clearTimeout(hold);
    }
    const waiting = w.next(60_000);
    w.push('failed');
    assert.equal(await waiting, 'failed');
    w.cancel();
    w.cancel();
    assert.equal(cancelled, 1);
    assert.equal(await w.next(60_000), 'down', 'a cancelled watch never waits');
  });
});
