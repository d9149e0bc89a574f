// The progress bound on Redis commands that carry object bytes (redis-stall.ts), with a fake clock and byte count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StallWatch } from '../../../server/edge/redis-stall.ts';

function watch(floorBytesPerSecond?: number): { w: StallWatch; at: (ms: number) => void; move: (n: number) => void } {
  let now = 1_000;
  let moved = 0;
  const w = new StallWatch({ stallMs: 100, moved: () => moved, clock: () => now, ...(floorBytesPerSecond !== undefined ? { floorBytesPerSecond } : {}) });
  return { w, at: (ms) => { now = 1_000 + ms; w.tick(); }, move: (n) => { moved += n; } };
}

/** A reply that settles only when told to. */
function pending<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

const outcome = <T>(p: Promise<T>): Promise<string> => p.then((v) => `ok ${String(v)}`, (e: Error) => `failed: ${e.message}`);

describe('redis stall watch', () => {
  it('lets a command that keeps moving bytes run past the bound, and passes its reply on', async () => {
    const { w, at, move } = watch();
    const reply = pending<string>();
    const bounded = outcome(w.bound(reply.promise));
    for (let t = 50; t <= 500; t += 50) {
      move(64 * 1024);
      at(t);
    }
    reply.resolve('value');
    assert.equal(await bounded, 'ok value');
    assert.equal(w.size, 0);
  });

  it('fails a command once the connection moved nothing for the bound, counted from its last byte', async () => {
    const { w, at, move } = watch();
    const reply = pending<string>();
    const bounded = outcome(w.bound(reply.promise));
    move(10);
    at(60);
    at(150);
    assert.equal(w.size, 1, '90 ms since the last byte: still waiting');
    at(160);
    assert.equal(await bounded, 'failed: Redis moved no bytes for 100 ms');
    reply.resolve('late');
    assert.equal(w.size, 0);
  });

  it('counts a command from its own start: one queued behind a quiet connection gets the whole bound', async () => {
    const { w, at } = watch();
    const first = outcome(w.bound(pending<string>().promise));
    at(80);
    const second = pending<string>();
    const late = outcome(w.bound(second.promise));
    at(100);
    assert.equal(await first, 'failed: Redis moved no bytes for 100 ms');
    at(170);
    assert.equal(w.size, 1);
    second.resolve('x');
    assert.equal(await late, 'ok x');
  });

  it('passes a failed reply on as it came', async () => {
    const { w } = watch();
    assert.equal(await outcome(w.bound(Promise.reject(new Error('WRONGTYPE')))), 'failed: WRONGTYPE');
  });

  it('on a write connection, allows the time the bytes sent take at the floor rate before silence counts', async () => {
    const { w, at } = watch(1_000_000);
    // 500 kB at 1 MB/s: 500 ms that may pass unseen (kernel buffers), then the bound.
    const bounded = outcome(w.bound(pending<string>().promise, 500_000));
    at(550);
    assert.equal(w.size, 1);
    at(600);
    assert.equal(await bounded, 'failed: Redis moved no bytes for 100 ms');
  });
});
