// A token bucket per client, bounded in the number of clients it remembers, with an injected clock.

export interface RateLimiterOptions {
  /** Requests a client may send at once. */
  readonly burst: number;
  /** Sustained requests per second per client. */
  readonly perSecond: number;
  /** Clients remembered; the least recently seen is forgotten first (it then starts with a full bucket). */
  readonly maxClients?: number;
  /** Milliseconds; injected so tests move time instead of sleeping. */
  readonly now?: () => number;
}

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterS: number };

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly perMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(opts: RateLimiterOptions) {
    if (!(opts.burst >= 1) || !(opts.perSecond > 0)) throw new RangeError(`rate limit needs burst >= 1 and perSecond > 0, got ${opts.burst} and ${opts.perSecond}`);
    this.burst = opts.burst;
    this.perMs = opts.perSecond / 1000;
    this.maxClients = opts.maxClients ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Take one token for `client`, or say how long until one is available. */
  take(client: string): RateDecision {
    const now = this.now();
    const previous = this.buckets.get(client);
    const bucket: Bucket = previous
      ? { tokens: Math.min(this.burst, previous.tokens + Math.max(0, now - previous.atMs) * this.perMs), atMs: now }
      : { tokens: this.burst, atMs: now };
    // Re-insert so Map order is least recently seen first.
    this.buckets.delete(client);
    this.buckets.set(client, bucket);
    if (this.buckets.size > this.maxClients) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }
}
