// The per-client token bucket: burst, refill with a moved clock, and a bounded client table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../../server/core/qoe/rate-limiter.ts';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 3, perSecond: 2, now: () => now });
    assert.deepEqual([rl.take('a'), rl.take('a'), rl.take('a')].map((d) => d.allowed), [true, true, true]);
    const denied = rl.take('a');
    assert.equal(denied.allowed, false);
    assert.equal(!denied.allowed && denied.retryAfterS, 1);
    assert.equal(rl.take('b').allowed, true, 'clients are independent');
    now += 500;
    assert.equal(rl.take('a').allowed, true, 'one token after half a second at 2/s');
    assert.equal(rl.take('a').allowed, false);
    now += 60_000;
    assert.equal([1, 2, 3, 4].map(() => rl.take('a').allowed).filter(Boolean).length, 3, 'refill stops at the burst');
  });

  it('forgets the least recently seen client when full', () => {
    const rl = new RateLimiter({ burst: 1, perSecond: 0.001, maxClients: 2, now: () => 0 });
    rl.take('a');
    rl.take('b');
    rl.take('c');
    assert.equal(rl.size, 2);
    assert.equal(rl.take('a').allowed, true, 'a was forgotten and starts with a full bucket');
    assert.equal(rl.take('c').allowed, false);
  });

  it('rejects nonsense settings', () => {
    assert.throws(() => new RateLimiter({ burst: 0, perSecond: 1 }), RangeError);
    assert.throws(() => new RateLimiter({ burst: 1, perSecond: 0 }), RangeError);
  });
});
