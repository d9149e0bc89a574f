// The edge's metric set: cache outcomes by tier, bytes, origin fetches, collapsing, tiers and purges (hls_edge_*).
import { Counter, Gauge, type Registry } from 'prom-client';
import { createHttpMetrics, type HttpMetrics } from '../metrics.ts';

export const CACHE_OUTCOMES = ['hit', 'stale', 'miss', 'revalidated', 'bypass', 'error', 'rejected'] as const;
export const CACHE_TIERS = ['memory', 'redis', 'shield', 'origin', 'none'] as const;
export type CacheOutcome = (typeof CACHE_OUTCOMES)[number];
export type CacheTier = (typeof CACHE_TIERS)[number];

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One (outcome, tier) pair on the viewer path. The hot path bumps plain numbers here; Prometheus reads them at
 * scrape time, so a memory hit costs a few additions instead of prom-client's per-call label hashing.
 */
export class RequestCell {
  requests = 0;
  bytes = 0;
  constructor(readonly outcome: CacheOutcome, readonly tier: CacheTier, private readonly latency: LatencyCells) {}

  count(bytes: number, seconds: number): void {
    this.requests++;
    this.bytes += bytes;
    this.latency.observe(seconds);
  }
}

/** Histogram buckets for one outcome, as plain numbers. */
class LatencyCells {
  readonly counts = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  total = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] ?? Infinity)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += seconds;
    this.total++;
  }
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A histogram exposed straight from LatencyCells; prom-client's Registry accepts any object with this shape. */
class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(readonly name: string, readonly help: string, private readonly byOutcome: Map<CacheOutcome, LatencyCells>) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const [outcome, cells] of this.byOutcome) {
      if (cells.total === 0) continue;
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += cells.counts[i] ?? 0;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, outcome }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', outcome }, value: cells.total });
      values.push({ metricName: `${this.name}_sum`, labels: { outcome }, value: cells.sum });
      values.push({ metricName: `${this.name}_count`, labels: { outcome }, value: cells.total });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

export interface MemoryTierStats {
  readonly bytes: number;
  readonly entries: number;
  readonly maxBytes: number;
}

export interface EdgeMetrics extends HttpMetrics {
  /** The cell for one outcome and tier; look it up once, then `count()` per request. */
  cell(outcome: CacheOutcome, tier: CacheTier): RequestCell;
  readonly originFetches: Counter<'upstream' | 'result'>;
  readonly collapsedWaiters: Counter<'scope'>;
  readonly memoryEvictions: Counter;
  readonly redisErrors: Counter<'op'>;
  readonly purges: Counter<'source'>;
  readonly purgedObjects: Counter<'tier'>;
  readonly rejected: Counter<'reason'>;
  /** Viewer requests answered so far (every outcome), for the request rate the edge reports as its load. */
  totalRequests(): number;
  /** Gauges read at scrape time from the running edge. */
  observe(sources: { memory?: () => MemoryTierStats; redisUp?: () => boolean; breakerOpen?: () => boolean }): void;
}

export function createEdgeMetrics(opts: { processMetrics?: boolean } = {}): EdgeMetrics {
  const base = createHttpMetrics('edge', opts);
  const registry: Registry = base.registry;
  const latency = new Map<CacheOutcome, LatencyCells>(CACHE_OUTCOMES.map((o) => [o, new LatencyCells()]));
  const cells = new Map<string, RequestCell>();
  for (const o of CACHE_OUTCOMES) {
    for (const t of CACHE_TIERS) cells.set(`${o}|${t}`, new RequestCell(o, t, latency.get(o) as LatencyCells));
  }

  new Counter({
    name: 'hls_edge_cache_requests_total',
    help: 'Viewer requests by cache outcome (hit, stale, miss, revalidated, bypass, error, rejected) and the tier that answered',
    labelNames: ['outcome', 'tier'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of cells.values()) if (c.requests > 0) this.inc({ outcome: c.outcome, tier: c.tier }, c.requests);
    },
  });
  new Counter({
    name: 'hls_edge_cache_bytes_total',
    help: 'Response body bytes sent to viewers, by the tier that answered',
    labelNames: ['tier'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const byTier = new Map<CacheTier, number>();
      for (const c of cells.values()) byTier.set(c.tier, (byTier.get(c.tier) ?? 0) + c.bytes);
      for (const [tier, bytes] of byTier) if (bytes > 0) this.inc({ tier }, bytes);
    },
  });
  registry.registerMetric(
    new LatencyHistogram('hls_edge_request_duration_seconds', 'Time the edge spent on a viewer request until the response was handed to the socket, by outcome', latency) as never,
  );

  let sources: { memory?: () => MemoryTierStats; redisUp?: () => boolean; breakerOpen?: () => boolean } = {};
  new Gauge({
    name: 'hls_edge_memory_tier_bytes',
    help: 'Bytes held by the in-process memory tier',
    registers: [registry],
    collect() {
      this.set(sources.memory?.().bytes ?? 0);
    },
  });
  new Gauge({
    name: 'hls_edge_memory_tier_entries',
    help: 'Objects held by the in-process memory tier',
    registers: [registry],
    collect() {
      this.set(sources.memory?.().entries ?? 0);
    },
  });
  new Gauge({
    name: 'hls_edge_memory_tier_max_bytes',
    help: 'Byte bound of the in-process memory tier',
    registers: [registry],
    collect() {
      this.set(sources.memory?.().maxBytes ?? 0);
    },
  });
  new Gauge({
    name: 'hls_edge_redis_up',
    help: '1 when the Redis tier is connected and its circuit breaker is closed',
    registers: [registry],
    collect() {
      this.set(sources.redisUp?.() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hls_edge_redis_circuit_open',
    help: '1 while the Redis circuit breaker is open (Redis skipped)',
    registers: [registry],
    collect() {
      this.set(sources.breakerOpen?.() ? 1 : 0);
    },
  });

  return {
    ...base,
    cell(outcome, tier) {
      return cells.get(`${outcome}|${tier}`) as RequestCell;
    },
    originFetches: new Counter({
      name: 'hls_edge_origin_fetches_total',
      help: 'Requests the edge sent upstream, by upstream (origin, shield) and result (ok, not_modified, negative, error_status, timeout, unreachable)',
      labelNames: ['upstream', 'result'] as const,
      registers: [registry],
    }),
    collapsedWaiters: new Counter({
      name: 'hls_edge_collapsed_waiters_total',
      help: 'Requests that waited for another request\'s fill instead of fetching, by scope (local: same process, remote: another edge through Redis)',
      labelNames: ['scope'] as const,
      registers: [registry],
    }),
    memoryEvictions: new Counter({
      name: 'hls_edge_memory_tier_evictions_total',
      help: 'Objects evicted from the memory tier to stay within its byte bound',
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: 'hls_edge_redis_errors_total',
      help: 'Failed or timed-out Redis operations, by operation',
      labelNames: ['op'] as const,
      registers: [registry],
    }),
    purges: new Counter({
      name: 'hls_edge_purges_total',
      help: 'Invalidations applied by this edge, by source (local: submitted here, remote: from another edge)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    purgedObjects: new Counter({
      name: 'hls_edge_purged_objects_total',
      help: 'Objects removed by invalidations, by tier',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'hls_edge_rejected_requests_total',
      help: 'Viewer requests rejected before the cache, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    totalRequests() {
      let n = 0;
      for (const c of cells.values()) n += c.requests;
      return n;
    },
    observe(s) {
      sources = { ...sources, ...s };
    },
  };
}
