// The router's Prometheus metrics: routing decisions, edge health and the registry, on the app's own registry.
import { Counter, Gauge, type Registry } from 'prom-client';

/** How a routing decision came out; bounded, so it is a safe label. */
export type DecisionResult = 'primary' | 'failover' | 'spill' | 'cross_region' | 'unavailable';

export interface RouterMetrics {
  readonly decisions: Counter<'result'>;
  readonly healthCheckFailures: Counter<'reason'>;
  readonly healthTransitions: Counter<'to'>;
  readonly failureReports: Counter<'outcome'>;
  readonly registryErrors: Counter;
  readonly masterPlaylists: Counter<'result'>;
  readonly steeringManifests: Counter<'result'>;
}

export interface EdgeCensus {
  readonly region: string;
  readonly healthy: boolean;
}

/** `census` is read at scrape time, so the gauges never drift from the directory they describe. */
export function createRouterMetrics(registry: Registry, census: () => readonly EdgeCensus[]): RouterMetrics {
  new Gauge({
    name: 'hls_router_edges_healthy',
    help: 'Edges currently passing health checks, by region',
    labelNames: ['region'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const e of census()) this.inc({ region: e.region }, e.healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hls_router_edges_known',
    help: 'Edges known from configuration or heartbeats, healthy or not, by region',
    labelNames: ['region'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const e of census()) this.inc({ region: e.region });
    },
  });
  return {
    decisions: new Counter({
      name: 'hls_router_routing_decisions_total',
      help: 'Routing decisions by result: primary edge, failover past an unhealthy one, spill past an overloaded one, cross-region fallback, or no edge at all',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    healthCheckFailures: new Counter({
      name: 'hls_router_health_check_failures_total',
      help: 'Failed /healthz checks of edges, by reason (timeout, refused, status, error)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    healthTransitions: new Counter({
      name: 'hls_router_edge_transitions_total',
      help: 'Edges changing state, by the state entered (up, down)',
      labelNames: ['to'] as const,
      registers: [registry],
    }),
    failureReports: new Counter({
      name: 'hls_router_failure_reports_total',
      help: 'Passive failure reports received, by outcome (confirmed, refuted, unknown_edge)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    registryErrors: new Counter({
      name: 'hls_router_registry_errors_total',
      help: 'Failed reads of the Redis edge registry (the last known edges are kept)',
      registers: [registry],
    }),
    masterPlaylists: new Counter({
      name: 'hls_router_master_playlists_total',
      help: 'Master playlists served with content steering, by result (steered, passed_through, redirected, failed)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    steeringManifests: new Counter({
      name: 'hls_router_steering_manifests_total',
      help: "Steering manifests served, by whether the player's current pathway stays first (stay), is demoted (move) or was not named (new)",
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}
