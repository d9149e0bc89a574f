// The edge's metric set: cache outcomes by tier, bytes, origin fetches, collapsing, tiers and purges (hls_edge_*).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createHttpMetrics, type HttpMetrics } from '../core/metrics.ts';

export const CACHE_OUTCOMES = ['hit', 'stale', 'miss', 'revalidated', 'bypass', 'error', 'rejected'] as const;
export const CACHE_TIERS = ['memory', 'redis', 'shield', 'origin', 'none'] as const;
export type CacheOutcome = (typeof CACHE_OUTCOMES)[number];
export type CacheTier = (typeof CACHE_TIERS)[number];

/** What a viewer request asks for, as the origin's `kind` label names it (hls_origin_http_requests_total). */
export const VIEWER_KINDS = ['master', 'media', 'segment', 'init'] as const;
export type ViewerKind = (typeof VIEWER_KINDS)[number];

/**
 * The kind of a viewer request target (path, with or without its query) from its extension, without allocating:
 * playlists end in .m3u8 (master.m3u8 is the master playlist), init segments are init*.mp4, anything else is a segment.
 */
export function viewerKindOf(url: string): ViewerKind {
  const q = url.indexOf('?');
  const end = q < 0 ? url.length : q;
  if (url.endsWith('.m3u8', end)) return url.endsWith('/master.m3u8', end) ? 'master' : 'media';
  // As the origin names them (media-path.ts): init.mp4, and a live CMAF channel's init-{tag}-{run}.mp4.
  return url.endsWith('.mp4', end) && url.startsWith('init', url.lastIndexOf('/', end) + 1) ? 'init' : 'segment';
}

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

/** The CMCD `ot` tokens (CTA-5004 §3.3), and "none" for a report without one: the `object_type` label. */
export const CMCD_OBJECT_TYPES = ['m', 'a', 'v', 'av', 'i', 'c', 'tt', 'k', 'o', 'none'] as const;
export type CmcdObjectTypeLabel = (typeof CMCD_OBJECT_TYPES)[number];

/**
 * What players report with CMCD (CTA-5004), counted only for requests that carry it (see server/edge/cmcd-report.ts).
 * The labelled counters are plain numbers bumped per request and handed to Prometheus at scrape time (as RequestCell
 * does): prom-client hashes the label set on every inc(), even through labels().
 */
export interface CmcdMetrics {
  /** hls_edge_cmcd_requests_total{object_type, buffer_starvation}. */
  countRequest(objectType: CmcdObjectTypeLabel, starved: boolean): void;
  /** hls_edge_cmcd_startup_requests_total{object_type}. */
  countStartup(objectType: CmcdObjectTypeLabel): void;
  /** hls_edge_cmcd_buffer_starvation_total. */
  countStarvation(): void;
  /** hls_edge_cmcd_invalid_total. */
  countInvalid(): void;
  readonly bufferLength: Histogram;
  readonly throughput: Histogram;
}

const CMCD_BUFFER_BUCKETS = [0, 0.5, 1, 2, 4, 6, 8, 10, 15, 20, 30, 60];
const CMCD_THROUGHPUT_BUCKETS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 512_000];

function createCmcdMetrics(registry: Registry): CmcdMetrics {
  const index = new Map<string, number>(CMCD_OBJECT_TYPES.map((t, i) => [t, i]));
  const n = CMCD_OBJECT_TYPES.length;
  // [objectType][starved]
  const requests = new Float64Array(n * 2);
  const startups = new Float64Array(n);
  let starvations = 0;
  let invalid = 0;
  new Counter({
    name: 'hls_edge_cmcd_requests_total',
    help: 'Viewer requests carrying CMCD, by object type (CMCD ot; none when absent) and whether the player reported buffer starvation (bs)',
    labelNames: ['object_type', 'buffer_starvation'] as const,
    registers: [registry],
    collect() {
      this.reset();
      CMCD_OBJECT_TYPES.forEach((t, i) => {
        for (const starved of [0, 1]) {
          const v = requests[i * 2 + starved] ?? 0;
          if (v > 0) this.inc({ object_type: t, buffer_starvation: starved ? 'true' : 'false' }, v);
        }
      });
    },
  });
  new Counter({
    name: 'hls_edge_cmcd_buffer_starvation_total',
    help: 'CMCD reports of buffer starvation (bs): the player\'s buffer ran dry since its previous request',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(starvations);
    },
  });
  new Counter({
    name: 'hls_edge_cmcd_startup_requests_total',
    help: 'Requests flagged urgent with CMCD su (startup, seek or recovery after starvation), by object type',
    labelNames: ['object_type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      CMCD_OBJECT_TYPES.forEach((t, i) => {
        const v = startups[i] ?? 0;
        if (v > 0) this.inc({ object_type: t }, v);
      });
    },
  });
  new Counter({
    name: 'hls_edge_cmcd_invalid_total',
    help: 'Requests whose CMCD had entries that were dropped (unknown shape, wrong type, too long) among the keys the edge reads',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(invalid);
    },
  });
  const at = (t: CmcdObjectTypeLabel): number => index.get(t) ?? n - 1;
  return {
    countRequest(t, starved) {
      const i = at(t) * 2 + (starved ? 1 : 0);
      requests[i] = (requests[i] ?? 0) + 1;
    },
    countStartup(t) {
      const i = at(t);
      startups[i] = (startups[i] ?? 0) + 1;
    },
    countStarvation() {
      starvations++;
    },
    countInvalid() {
      invalid++;
    },
    bufferLength: new Histogram({
      name: 'hls_edge_cmcd_buffer_length_seconds',
      help: 'Buffer length players reported with CMCD bl when they made the request',
      buckets: CMCD_BUFFER_BUCKETS,
      registers: [registry],
    }),
    throughput: new Histogram({
      name: 'hls_edge_cmcd_measured_throughput_kbps',
      help: 'Throughput players reported measuring with CMCD mtp, in kbit/s',
      buckets: CMCD_THROUGHPUT_BUCKETS,
      registers: [registry],
    }),
  };
}

export interface EdgeMetrics extends HttpMetrics {
  /** The cell for one outcome and tier; look it up once, then `count()` per request. */
  cell(outcome: CacheOutcome, tier: CacheTier): RequestCell;
  readonly originFetches: Counter<'upstream' | 'result'>;
  readonly collapsedWaiters: Counter<'scope'>;
  readonly memoryEvictions: Counter;
  /** Segments the edge fetched ahead of viewers (prefetch.ts), by the tier they came from (redis, origin, shield). */
  readonly prefetched: Counter<'tier'>;
  /** Viewer requests answered with an object prefetched for them and not served before. */
  readonly prefetchHits: Counter;
  readonly redisErrors: Counter<'op'>;
  /** GETs of cached objects sent to Redis (found or not). */
  readonly redisObjectReads: Counter;
  /** Lookups given an object read from Redis that a response was still sending, instead of a new read (sending-objects.ts). */
  readonly sharedSends: Counter;
  readonly purges: Counter<'source'>;
  readonly purgedObjects: Counter<'tier'>;
  readonly rejected: Counter<'reason'>;
  readonly cmcd: CmcdMetrics;
  /** One viewer request of this kind arrived (every one, rejected ones included): a plain addition. */
  countViewerRequest(kind: ViewerKind): void;
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

  const byKind = new Map<ViewerKind, number>(VIEWER_KINDS.map((k) => [k, 0]));
  new Counter({
    name: 'hls_edge_viewer_requests_total',
    help: 'Viewer requests on /vod and /live by kind (master, media playlist, segment, init segment), rejected ones included',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of byKind) if (n > 0) this.inc({ kind }, n);
    },
  });

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
    prefetched: new Counter({
      name: 'hls_edge_prefetched_total',
      help: 'Segments fetched ahead of viewers after a viewer fetched an earlier segment of the same media playlist, by the tier they came from',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    prefetchHits: new Counter({
      name: 'hls_edge_prefetch_hits_total',
      help: 'Viewer requests served with a prefetched object that no viewer had been served before',
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: 'hls_edge_redis_errors_total',
      help: 'Failed or timed-out Redis operations, by operation',
      labelNames: ['op'] as const,
      registers: [registry],
    }),
    redisObjectReads: new Counter({
      name: 'hls_edge_redis_object_reads_total',
      help: 'Cached objects read from Redis (GETs sent, found or not; concurrent lookups of one key share one)',
      registers: [registry],
    }),
    sharedSends: new Counter({
      name: 'hls_edge_shared_sends_total',
      help: 'Lookups given an object read from Redis that another response was still sending, instead of reading it again',
      registers: [registry],
    }),
    purges: new Counter({
      name: 'hls_edge_purges_total',
      help: 'Invalidations applied by this edge, by source (local: submitted here, remote: announced by another edge, log: read back from the Redis log, resync: the memory tier dropped because Redis lost the purge log)',
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
    cmcd: createCmcdMetrics(registry),
    countViewerRequest(kind) {
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    },
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
