// The one token bucket: per client, shared by all edges through Redis (one atomic Lua script), per process when Redis is not.
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { defineScript, type RedisScript } from './redis-script.ts';

export interface RateLimiterOptions {
  /** Sustained requests per second per client. */
  readonly ratePerSecond: number;
  /** Requests a client may send at once (bucket size). */
  readonly burst: number;
  /** Shared tier; without it (or while it is down) each process keeps its own buckets. */
  readonly redis?: Redis | Cluster | undefined;
  /** Prefix of every Redis key, as the edge's other keys. */
  readonly prefix?: string | undefined;
  /** A Redis answer slower than this counts as a failure: the request is decided locally instead. */
  readonly redisTimeoutMs?: number | undefined;
  /** After a Redis failure, buckets stay local this long before Redis is tried again. */
  readonly redisRetryMs?: number | undefined;
  /** Clients remembered by the local buckets; the least recently seen is forgotten (and starts full again). */
  readonly maxLocalClients?: number | undefined;
  /** Milliseconds since the epoch; injected so tests move time instead of sleeping. Also sent to Redis. */
  readonly now?: (() => number) | undefined;
  /** Told about each Redis failure (log it, count it); the decision falls back either way. */
  readonly onRedisError?: ((err: unknown) => void) | undefined;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole seconds until one request would be allowed (for Retry-After, RFC 9110 §10.2.3); 0 when allowed. */
  readonly retryAfterSeconds: number;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Which buckets decided: the shared ones in Redis or this process's own. */
  readonly source: 'redis' | 'local';
}

/**
 * KEYS[1] bucket; ARGV rate/s, burst, now ms, ttl ms. Refill, take one token if there is one, store, return
 * {allowed, ms until a token, whole tokens left}. Atomic, so concurrent edges never both spend the last token.
 * Time comes from the caller (edges keep NTP time) and never runs backwards for a bucket.
 */
const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return {allowed, wait, math.floor(tokens)}
`;


interface Bucket {
  tokens: number;
  ts: number;
}

function decision(allowed: boolean, waitMs: number, tokens: number, source: RateDecision['source']): RateDecision {
  return { allowed, retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(waitMs / 1000)), remaining: Math.max(0, Math.floor(tokens)), source };
}

export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly redis: Redis | Cluster | undefined;
  private readonly bucketScript: RedisScript | undefined;
  private readonly prefix: string;
  private readonly redisTimeoutMs: number;
  private readonly redisRetryMs: number;
  private readonly now: () => number;
  private readonly onRedisError: (err: unknown) => void;
  private readonly local: LRUCache<string, Bucket>;
  private readonly ttlMs: number;
  private redisSkippedUntil = 0;

  constructor(opts: RateLimiterOptions) {
    if (!(opts.ratePerSecond > 0) || !(opts.burst >= 1)) {
      throw new RangeError(`rate limit needs ratePerSecond > 0 and burst >= 1, got ${opts.ratePerSecond} and ${opts.burst}`);
    }
    this.rate = opts.ratePerSecond;
    this.burst = opts.burst;
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? 'edgeline:';
    this.redisTimeoutMs = opts.redisTimeoutMs ?? 50;
    this.redisRetryMs = opts.redisRetryMs ?? 1_000;
    this.now = opts.now ?? Date.now;
    this.onRedisError = opts.onRedisError ?? (() => undefined);
    this.local = new LRUCache({ max: opts.maxLocalClients ?? 100_000 });
    // Once a bucket has had time to refill completely it equals a new one, so Redis may forget it then.
    this.ttlMs = Math.ceil((this.burst / this.rate) * 1000) + 1_000;
    this.bucketScript = this.redis ? defineScript(this.redis, 'edgelineTokenBucket', 1, TOKEN_BUCKET_LUA) : undefined;
  }

  /** Spends one token of `clientId`'s bucket. Never throws for Redis trouble: it decides locally instead. */
  async take(clientId: string): Promise<RateDecision> {
    const now = this.now();
    const redis = this.redis;
    // Not 'ready' (connecting, reconnecting, closed): ioredis would queue the command; decide now instead.
    if (!redis || redis.status !== 'ready' || now < this.redisSkippedUntil) return this.takeLocal(clientId, now);
    try {
      return await this.takeRedis(clientId, now);
    } catch (err) {
      this.redisSkippedUntil = now + this.redisRetryMs;
      this.onRedisError(err);
      return this.takeLocal(clientId, now);
    }
  }

  /** The in-process decision alone (what `take` falls back to). */
  takeLocal(clientId: string, now = this.now()): RateDecision {
    let b = this.local.get(clientId);
    if (!b) {
      b = { tokens: this.burst, ts: now };
      this.local.set(clientId, b);
    }
    if (now > b.ts) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.ts) * this.rate) / 1000);
      b.ts = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return decision(true, 0, b.tokens, 'local');
    }
    return decision(false, Math.ceil(((1 - b.tokens) * 1000) / this.rate), b.tokens, 'local');
  }

  private async takeRedis(clientId: string, now: number): Promise<RateDecision> {
    const script = this.bucketScript;
    if (!script) throw new Error('token bucket script is not defined on this Redis client');
    const reply = script([this.keyOf(clientId)], [this.rate, this.burst, now, this.ttlMs]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis rate limit check took longer than ${this.redisTimeoutMs} ms`)), this.redisTimeoutMs);
    });
    reply.catch(() => undefined); // a late failure after the timeout is already handled
    try {
      const r = await Promise.race([reply, timeout]);
      if (!Array.isArray(r) || r.length !== 3 || !r.every((v) => typeof v === 'number')) throw new Error('unexpected token bucket reply from Redis');
      const [allowed, waitMs, tokens] = r as [number, number, number];
      return decision(allowed === 1, waitMs, tokens, 'redis');
    } finally {
      clearTimeout(timer);
    }
  }

  private keyOf(clientId: string): string {
    // Ids come from the network; long ones are hashed so a key stays small and printable.
    const id = clientId.length <= 64 ? clientId : createHash('sha256').update(clientId).digest('hex');
    return `${this.prefix}ratelimit:${id}`;
  }
}

/**
 * The id a client is limited by: its IPv4 address, or the /64 of an IPv6 address (one subscriber usually holds a
 * whole /64, so per-address limits would be trivially dodged).
 */
export function rateLimitClientId(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}
