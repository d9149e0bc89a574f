// Rate limits shared by edges through a real Redis, and the per-process fallback when Redis is dead or stalls.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RateLimiter } from '../../server/core/rate-limiter.ts';
import { freePort } from '../helpers/ports.ts';
import { SHARED_REDIS_URL, startPrivateRedis, testPrefix } from '../helpers/redis.ts';

const clients: Redis[] = [];
function client(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 20, 200) });
  r.on('error', () => undefined); // failures are what some tests are about
  clients.push(r);
  return r;
}
async function ready(r: Redis): Promise<void> {
  if (r.status !== 'ready') await once(r, 'ready');
}
after(() => {
  for (const c of clients) c.disconnect();
});

describe('rate limiter on a shared Redis', () => {
  it('shares one bucket between two edges, refills on the clock, and lets Redis forget idle buckets', async () => {
    const { prefix, cleanup } = testPrefix('ratelimit');
    try {
      const clock = { t: Date.UTC(2030, 0, 1) };
      const [r1, r2] = [client(SHARED_REDIS_URL), client(SHARED_REDIS_URL)];
      await Promise.all([ready(r1), ready(r2)]);
      const opts = { ratePerSecond: 2, burst: 4, prefix, now: () => clock.t, redisTimeoutMs: 2_000 };
      const edgeA = new RateLimiter({ ...opts, redis: r1 });
      const edgeB = new RateLimiter({ ...opts, redis: r2 });
      const seen = [];
      for (const edge of [edgeA, edgeB, edgeA, edgeB]) seen.push(await edge.take('198.51.100.7'));
      assert.deepEqual(seen.map((d) => [d.allowed, d.remaining, d.source]), [[true, 3, 'redis'], [true, 2, 'redis'], [true, 1, 'redis'], [true, 0, 'redis']]);
      assert.deepEqual(await edgeB.take('198.51.100.7'), { allowed: false, retryAfterSeconds: 1, remaining: 0, source: 'redis' });
      assert.equal((await edgeA.take('198.51.100.8')).allowed, true, 'another client has its own bucket');
      clock.t += 1_000;
      assert.equal((await edgeA.take('198.51.100.7')).allowed, true);
      assert.equal((await edgeB.take('198.51.100.7')).allowed, true);
      assert.equal((await edgeA.take('198.51.100.7')).allowed, false, 'two tokens per second');
      const ttl = await r1.pttl(`${prefix}ratelimit:198.51.100.7`);
      assert.ok(ttl > 0 && ttl <= 3_000, `bucket key expires (pttl ${ttl})`);
    } finally {
      await cleanup();
    }
  });

  it('is atomic: concurrent requests never spend more than the burst', async () => {
    const { prefix, cleanup } = testPrefix('ratelimit-atomic');
    try {
      const rs = [client(SHARED_REDIS_URL), client(SHARED_REDIS_URL), client(SHARED_REDIS_URL)];
      await Promise.all(rs.map(ready));
      const now = (): number => Date.UTC(2030, 0, 1);
      const edges = rs.map((redis) => new RateLimiter({ ratePerSecond: 1, burst: 10, prefix, redis, now, redisTimeoutMs: 2_000 }));
      const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => edges[i % 3]?.take('203.0.113.1')));
      assert.equal(decisions.filter((d) => d?.allowed).length, 10);
      assert.ok(decisions.every((d) => d?.source === 'redis'));
    } finally {
      await cleanup();
    }
  });
});

describe('rate limiter without Redis', () => {
  it('decides locally at once when nothing listens on the Redis port', async () => {
    const port = await freePort();
    const redis = client(`redis://127.0.0.1:${port}`);
    const rl = new RateLimiter({ ratePerSecond: 1, burst: 2, redis, prefix: 'unused:', now: () => 0 });
    const decisions = [await rl.take('a'), await rl.take('a'), await rl.take('a')];
    assert.deepEqual(decisions.map((d) => [d.allowed, d.source]), [[true, 'local'], [true, 'local'], [false, 'local']]);
  });

  it('falls back when a private Redis dies and returns to it once it is back', async () => {
    const server = await startPrivateRedis();
    try {
      const clock = { t: 1_000_000 };
      const redis = client(server.url);
      await ready(redis);
      const errors: unknown[] = [];
      const rl = new RateLimiter({ ratePerSecond: 1, burst: 100, redis, prefix: 'rl:', now: () => clock.t, redisRetryMs: 1_000, redisTimeoutMs: 500, onRedisError: (e) => errors.push(e) });
      assert.equal((await rl.take('a')).source, 'redis');
      await server.stop();
      const down = await rl.take('a');
      assert.deepEqual([down.allowed, down.source], [true, 'local']);
      await server.start();
      await ready(redis);
      clock.t += 1_001; // past the back-off after a failure, if there was one
      assert.equal((await rl.take('a')).source, 'redis');
    } finally {
      await server.stop();
    }
  });

  it('falls back when Redis stalls longer than the timeout, then skips Redis for a while', async () => {
    const server = await startPrivateRedis();
    try {
      const clock = { t: 1_000_000 };
      const redis = client(server.url);
      const admin = client(server.url);
      await Promise.all([ready(redis), ready(admin)]);
      const errors: unknown[] = [];
      const rl = new RateLimiter({ ratePerSecond: 1, burst: 5, redis, prefix: 'rl:', now: () => clock.t, redisTimeoutMs: 100, redisRetryMs: 5_000, onRedisError: (e) => errors.push(e) });
      assert.equal((await rl.take('a')).source, 'redis');
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const stalled = await rl.take('a');
      assert.deepEqual([stalled.allowed, stalled.source], [true, 'local']);
      assert.match(String(errors[0]), /longer than 100 ms/);
      clock.t += 1_000;
      assert.equal((await rl.take('a')).source, 'local', 'Redis is not asked again inside the retry window');
      assert.equal(errors.length, 1);
    } finally {
      await server.stop();
    }
  });
});
