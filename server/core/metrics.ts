// Prometheus metrics: one registry per running app (tests run several apps in one process), declared once here.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** For node:cluster: a primary sums its workers' registries (loaded with this module, on the first scrape). */
export { AggregatorRegistry } from 'prom-client';

export type Role = 'origin' | 'edge' | 'router';

export interface HttpMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'kind' | 'status_class'>;
  readonly bytes: Counter<'kind'>;
  readonly duration: Histogram<'kind'>;
}

/** A fresh registry with process metrics and the per-request metrics every role has, named hls_<role>_…. */
export function createHttpMetrics(role: Role, opts: { processMetrics?: boolean } = {}): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: `hls_${role}_http_requests_total`,
      help: 'HTTP requests by kind (master, media, segment, init, player, api, other) and status class',
      labelNames: ['kind', 'status_class'] as const,
      registers: [registry],
    }),
    bytes: new Counter({
      name: `hls_${role}_http_bytes_total`,
      help: 'Response body bytes sent, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: `hls_${role}_http_request_duration_seconds`,
      help: 'Time from request to the last byte sent, by kind',
      labelNames: ['kind'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

const KIND_RULES: ReadonlyArray<[RegExp, string]> = [
  [/\/master\.m3u8$/, 'master'],
  [/\.m3u8$/, 'media'],
  [/\/init\.mp4$/, 'init'],
  [/\.(ts|m4s|mp4|aac|m4a|vtt)$/, 'segment'],
  [/^\/player\//, 'player'],
  [/^\/api\//, 'api'],
];

/** Low-cardinality request kind from a path, for metric labels. */
export function requestKind(path: string): string {
  for (const [re, kind] of KIND_RULES) if (re.test(path)) return kind;
  return 'other';
}
