// `edgeline edge`: an edge cache node; one worker per core by default (node:cluster), metrics summed across workers.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { availableParallelism } from 'node:os';
import type { AggregatorRegistry, PrometheusContentType } from 'prom-client';
import { loadConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { applyServerLimits, listen, listenServer, SERVER_OPTIONS, type Listening } from '../core/listen.ts';
import { clusterWorkerHandle } from '../core/process/child-handle.ts';
import { installShutdown } from '../core/process/shutdown.ts';
import { SUPERVISED_ENV } from '../core/process/signals.ts';
import { STOP_GRACE_MS, Supervisor } from '../core/process/supervisor.ts';
import { rootLogger } from '../core/log.ts';
import { describeRedisTarget } from '../core/redis-target.ts';
import { edgeFields, resolveEdgeSettings, type EdgeConfig } from '../edge/edge-config.ts';
import { wantsHelp } from './help.ts';

const USAGE = 'edgeline edge --origin URL [--origin URL2 …] [--port 8081] [--redis URL] [--id NAME] [--region NAME] [--workers N] [options]';

interface MetricsRequest {
  readonly type: 'edgeline:metrics';
  readonly id: number;
}
interface MetricsReply {
  readonly type: 'edgeline:metrics-reply';
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

function isMetricsRequest(m: unknown): m is MetricsRequest {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'edgeline:metrics' && typeof (m as { id?: unknown }).id === 'number';
}
function isMetricsReply(m: unknown): m is MetricsReply {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'edgeline:metrics-reply';
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, USAGE, edgeFields)) return 0;
  const { values: config } = loadConfig(edgeFields, process.env, argv);
  const settings = resolveEdgeSettings(config, { cores: availableParallelism() });
  if (settings.workers > 1 && cluster.isPrimary) return runPrimary(config, settings.workers);
  return runWorker(config, cluster.isWorker ? settings.workers : 1);
}

/** Serves in this process (the only one, or one cluster worker). Resolves when the process is asked to stop. */
async function runWorker(config: EdgeConfig, workerCount: number): Promise<number> {
  const inCluster = cluster.isWorker;
  let metricsText: (() => Promise<string>) | undefined;
  if (inCluster) {
    // Any worker may receive the scrape: it asks the primary, which sums every worker's registry.
    let next = 0;
    const pending = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
    process.on('message', (m: unknown) => {
      if (!isMetricsReply(m)) return;
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.text !== undefined) p?.resolve(m.text);
      else p?.reject(new Error(m.error ?? 'metrics aggregation failed'));
    });
    metricsText = () =>
      new Promise<string>((resolve, reject) => {
        const id = ++next;
        pending.set(id, { resolve, reject });
        process.send?.({ type: 'edgeline:metrics', id } satisfies MetricsRequest);
        setTimeout(() => {
          if (pending.delete(id)) reject(new Error('metrics aggregation timed out'));
        }, 5_000).unref();
      });
  }
  // Imported here, not at the top: the cluster primary serves nothing and should not carry the edge's code.
  const { createEdgeApp } = await import('../edge/edge-app.ts');
  // The Express shell and the player page load with the first request that needs them: an idle edge holds neither.
  const edge = await createEdgeApp(config, { workerCount, metricsText });
  if (inCluster) {
    // Constructing one installs prom-client's worker-side listener that answers the primary's collection requests.
    const { AggregatorRegistry: Aggregator } = await import('../core/metrics.ts');
    new Aggregator();
    Aggregator.setRegistries([edge.metrics.registry]);
  }
  const server = await listen(edge, { port: config.port, host: config.host });
  let secure: Listening | undefined;
  if (config.tlsCert && config.tlsKey) {
    let tls: { cert: Buffer; key: Buffer };
    try {
      tls = { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
    } catch (err) {
      throw new ConfigError([`EDGE_TLS_CERT / EDGE_TLS_KEY: cannot read the certificate or key: ${(err as Error).message}`]);
    }
    const httpsServer = https.createServer({ ...tls, ...SERVER_OPTIONS }, edge);
    applyServerLimits(httpsServer);
    secure = await listenServer(httpsServer, config.httpsPort, config.host);
  }
  edge.announce(config.publicUrl ?? server.url);
  const logger = rootLogger.child({ role: 'edge', edgeId: edge.settings.edgeId });
  if (!inCluster || cluster.worker?.id === 1) {
    logger.info(
      { url: server.url, https: secure?.url.replace('http:', 'https:'), origins: config.origin, shield: config.shield, redis: edge.settings.redisTarget ? describeRedisTarget(edge.settings.redisTarget) : 'none', workers: workerCount, memoryMbPerWorker: Math.round(edge.settings.memoryMaxBytes / 1048576) },
      'edge listening',
    );
  }
  // A cluster worker has an IPC channel to the primary: it leaves Ctrl-C to it (the primary stops workers with
  // SIGTERM) and stops by itself if the primary dies, so no worker outlives it.
  installShutdown({
    logger,
    steps: [
      { name: 'close the HTTP servers', run: () => Promise.all([server.close(), secure?.close()]) },
      { name: 'close the edge (Redis, timers, in-flight fills)', run: () => edge.close() },
    ],
  });
  // Serve until a signal arrives; the shutdown exits the process.
  return new Promise<number>(() => undefined);
}

/** Forks the workers, replaces those that die (core/process's one restart rule), sums their metrics, and stops them on SIGINT/SIGTERM. */
async function runPrimary(config: EdgeConfig, workers: number): Promise<number> {
  const logger = rootLogger.child({ role: 'edge', primary: true });
  // prom-client (~14 MB resident) loads with the first scrape: an idle primary does not carry it.
  let aggregator: Promise<AggregatorRegistry<PrometheusContentType>> | undefined;
  const aggregate = (): Promise<string> => {
    aggregator ??= import('../core/metrics.ts').then((p) => new p.AggregatorRegistry());
    return aggregator.then((a) => a.clusterMetrics());
  };
  const shutdown = installShutdown({ logger, deadlineMs: STOP_GRACE_MS + 2_000, onForce: () => supervisor.kill() });
  const supervisor = new Supervisor({
    onExit: (name, info, _decision, description) => logger.warn({ worker: name, code: info.code, signal: info.signal }, `edge worker ${description}`),
    // A worker that dies at once every time (a bad port, a bad setting) would spin forever: stop the edge instead.
    onGiveUp: (name) => {
      logger.error({ worker: name }, 'edge workers keep dying right after they start; stopping');
      void shutdown.begin('edge workers in a crash loop', 1);
    },
  });
  shutdown.add({ name: 'stop the workers', run: () => supervisor.stop() });

  const fork = () => {
    const w = cluster.fork({ [SUPERVISED_ENV]: '1' });
    w.on('message', (m: unknown) => {
      if (!isMetricsRequest(m)) return;
      aggregate()
        .then((text) => w.send({ type: 'edgeline:metrics-reply', id: m.id, text } satisfies MetricsReply))
        .catch((err: unknown) => w.send({ type: 'edgeline:metrics-reply', id: m.id, error: (err as Error).message } satisfies MetricsReply));
    });
    return clusterWorkerHandle(w);
  };
  for (let i = 0; i < workers; i++) supervisor.start({ name: `worker-${i + 1}`, start: fork });
  logger.info({ workers, port: config.port }, 'edge primary started workers');
  // Serve until a signal arrives; the shutdown exits the process.
  return new Promise<number>(() => undefined);
}
