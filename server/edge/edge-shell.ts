// The edge's Express shell: the player page, QoE beacons, the /_edge admin API, CORS preflights and the JSON answers
// for what no route takes. edge-app.ts imports this module on the first request that needs it (viewers, /healthz and
// /metrics are answered on raw node:http), so an idle edge does not carry Express, zod and the QoE routes (~20 MB).
import type { Express } from 'express';
import { createApp, finishApp, type HealthReport } from '../core/http.ts';
import type { Logger } from '../core/log.ts';
import { createPlayerRouter } from '../core/player-routes.ts';
import { createQoeRouter } from '../core/qoe/qoe-routes.ts';
import type { QoeMetrics } from '../core/qoe/qoe-metrics.ts';
import type { SessionStore } from '../core/qoe/session-store.ts';
import type { TrustProxy } from '../core/viewer-address.ts';
import { createAdminRouter, mediaMethodNotAllowed, mediaPreflightFor } from './admin-routes.ts';
import type { EdgeConfig } from './edge-config.ts';
import type { EdgeMetrics } from './edge-metrics.ts';
import type { Invalidator } from './invalidation.ts';

export interface EdgeShellOptions {
  readonly config: EdgeConfig;
  readonly logger: Logger;
  readonly metrics: EdgeMetrics;
  readonly health: () => HealthReport;
  readonly invalidator: Invalidator;
  readonly trustProxy: TrustProxy | undefined;
  /** QoE sessions and metrics, declared at startup by edge-app.ts when the player is on. */
  readonly qoe: { readonly store: SessionStore; readonly metrics: QoeMetrics } | undefined;
  /** Read the player page now rather than on its first request. */
  readonly loadPlayerAtStartup: boolean;
}

export function createEdgeShell(o: EdgeShellOptions): Express {
  const { config, logger, metrics } = o;
  const app = createApp({ role: 'edge', logger, metrics, health: o.health });
  // Behind trusted proxies (--trust-proxy), req.ip (QoE rate limits) sees the viewer, not the hop.
  app.set('trust proxy', o.trustProxy ?? false);
  app.use(mediaPreflightFor(config.corsOrigins));
  if (config.player) {
    app.use(createPlayerRouter({ logger, loadAtStartup: o.loadPlayerAtStartup }));
    app.use(createQoeRouter({ registry: metrics.registry, role: 'edge', logger, readToken: config.adminToken, readTokenSetting: 'EDGE_ADMIN_TOKEN (--admin-token)', ...o.qoe }).router);
  }
  app.use(createAdminRouter({ invalidator: o.invalidator, adminToken: config.adminToken }));
  app.use(mediaMethodNotAllowed);
  finishApp(app, logger);
  return app;
}
