// The in-process token bucket: burst, refill, Retry-After and a bounded client table, on an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter, rateLimitClientId } from '../../../server/core/rate-limiter.ts';

function limiter(opts: { rate?: number; burst?: number; max?: number } = {}): { rl: RateLimiter; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  const rl = new RateLimiter({ ratePerSecond: opts.rate ?? 2, burst: opts.burst ?? 3, maxLocalClients: opts.max, now: () => clock.t });
  return { rl, clock };
}

describe('RateLimiter (local buckets)', () => {
  it('allows a burst, then refuses with Retry-After until tokens refill', async () => {
    const { rl, clock } = limiter({ rate: 2, burst: 3 });
    for (let i = 0; i < 3; i++) assert.deepEqual(await rl.take('a'), { allowed: true, retryAfterSeconds: 0, remaining: 2 - i, source: 'local' });
    assert.deepEqual(await rl.take('a'), { allowed: false, retryAfterSeconds: 1, remaining: 0, source: 'local' });
    clock.t += 499;
    assert.equal((await rl.take('a')).allowed, false);
    clock.t += 1;
    assert.equal((await rl.take('a')).allowed, true, 'one token after 500 ms at 2/s');
    assert.equal((await rl.take('b')).allowed, true, 'buckets are per client');
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const { rl } = limiter({ rate: 0.25, burst: 1 });
    assert.equal(rl.takeLocal('a').allowed, true);
    assert.equal(rl.takeLocal('a').retryAfterSeconds, 4);
  });

  it('never refills past the burst, nor when the clock goes backwards', () => {
    const { rl, clock } = limiter({ rate: 10, burst: 2 });
    clock.t += 3_600_000;
    rl.takeLocal('a');
    rl.takeLocal('a');
    assert.equal(rl.takeLocal('a').allowed, false);
    clock.t -= 10_000;
    assert.equal(rl.takeLocal('a').allowed, false);
  });

  it('remembers a bounded number of clients (the least recent is forgotten)', () => {
    const { rl } = limiter({ rate: 1, burst: 1, max: 2 });
    rl.takeLocal('a');
    rl.takeLocal('b');
    assert.equal(rl.takeLocal('a').allowed, false);
    rl.takeLocal('c'); // evicts b, the least recently used
    assert.equal(rl.takeLocal('b').allowed, true);
  });

  it('refuses nonsense limits', () => {
    assert.throws(() => new RateLimiter({ ratePerSecond: 0, burst: 1 }), RangeError);
    assert.throws(() => new RateLimiter({ ratePerSecond: 1, burst: 0.5 }), RangeError);
  });
});

describe('rateLimitClientId', () => {
  it('uses IPv4 addresses as they are, IPv4-mapped ones as IPv4, IPv6 by /64', () => {
    assert.equal(rateLimitClientId('203.0.113.9'), '203.0.113.9');
    assert.equal(rateLimitClientId('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(rateLimitClientId('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(rateLimitClientId('2001:db8:1:2:bbbb::7'), '2001:db8:1:2::/64');
    assert.equal(rateLimitClientId('unknown'), 'unknown');
  });
});
