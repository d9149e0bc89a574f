// Every PromQL expression of the Grafana dashboard parses and names only metrics (and labels) the roles' registries declare.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import type { Registry } from 'prom-client';
import { PACKAGE_ROOT } from '../../../server/core/package-root.ts';
import { loadConfig } from '../../../server/core/config.ts';
import { createQoeRouter } from '../../../server/core/qoe/qoe-routes.ts';
import { createEdgeApp, type EdgeApp } from '../../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../../server/edge/edge-config.ts';
import { createLiveManager } from '../../../server/origin/live/manager.ts';
import { createOriginApp, type OriginApp } from '../../../server/origin/origin-app.ts';
import { originConfig } from '../../../server/origin/origin-config.ts';
import { createOriginMetrics } from '../../../server/origin/origin-metrics.ts';
import { createRouterApp, type RouterApp } from '../../../server/router/router-app.ts';
import { routerFields } from '../../../server/router/router-config.ts';

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Series Prometheus makes itself for every target; no registry declares them. */
const PROMETHEUS_SERIES = new Set(['up']);
/** Labels Prometheus adds to every scraped series (job, instance; region from deploy/prometheus/prometheus.yml) and the one every registry sets. */
const TARGET_LABELS = ['job', 'instance', 'region', 'role'];

const dashboard = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'deploy/grafana/dashboards/edgeline.json'), 'utf8')) as { panels: Panel[] };

function expressions(panels: readonly Panel[]): Array<{ panel: string; expr: string }> {
  return panels.flatMap((p) => [...(p.targets ?? []).flatMap((t) => (t.expr ? [{ panel: p.title ?? '?', expr: t.expr }] : [])), ...expressions(p.panels ?? [])]);
}

/** Grafana's own variables become a plain duration, so the text is PromQL. */
const asPromql = (expr: string): string => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

interface Parsed {
  readonly errors: number;
  /** Each vector selector: its metric name and the labels it matches on. */
  readonly selectors: Array<{ metric: string; labels: string[] }>;
  /** Labels named in by (…), without (…), on (…), ignoring (…), group_left (…). */
  readonly grouping: string[];
}

function parsePromql(expr: string): Parsed {
  const text = asPromql(expr);
  const tree = parser.parse(text);
  let errors = 0;
  const selectors: Parsed['selectors'] = [];
  const grouping: string[] = [];
  const labelNamesUnder = (node: SyntaxNode): string[] => {
    const out: string[] = [];
    const c = node.cursor();
    const end = node.to;
    while (c.next() && c.from < end) if (c.name === 'LabelName') out.push(text.slice(c.from, c.to));
    return out;
  };
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors++;
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        const matchers = n.node.getChild('LabelMatchers');
        selectors.push({ metric: id ? text.slice(id.from, id.to) : '', labels: matchers ? labelNamesUnder(matchers) : [] });
      }
      if (n.name === 'GroupingLabels') grouping.push(...labelNamesUnder(n.node));
    },
  });
  return { errors, selectors, grouping };
}

/** Metric name → label names, as the registry declares them; histograms also answer to _bucket (with le), _sum and _count. */
function declared(registries: readonly Registry[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray() as unknown as Array<{ name: string; type?: string; labelNames?: readonly string[] }>) {
      // Metrics built outside prom-client's classes (the edge's latency histogram) name their labels in their values only.
      const labels = new Set([...(metric.labelNames ?? ['outcome']), ...TARGET_LABELS]);
      const add = (name: string, extra: string[] = []): void => {
        const set = out.get(name) ?? new Set<string>();
        for (const l of [...labels, ...extra]) set.add(l);
        out.set(name, set);
      };
      add(metric.name);
      if (metric.type === 'histogram') {
        add(`${metric.name}_bucket`, ['le']);
        add(`${metric.name}_sum`);
        add(`${metric.name}_count`);
      }
      if (metric.type === 'summary') {
        add(metric.name, ['quantile']);
        add(`${metric.name}_sum`);
        add(`${metric.name}_count`);
      }
    }
  }
  return out;
}

describe('Grafana dashboard (deploy/grafana/dashboards/edgeline.json)', () => {
  let dir: string;
  let edge: EdgeApp;
  let origin: OriginApp;
  let router: RouterApp;
  let metrics: Map<string, Set<string>>;

  // Each role's registry built the way its command builds it (server/cli/{edge,origin,router}.ts), process metrics included.
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgeline-dashboard-'));
    edge = await createEdgeApp(testEdgeConfig({ origin: ['http://127.0.0.1:9'], redis: 'none' }));
    const originMetrics = createOriginMetrics();
    origin = createOriginApp(originConfig({ mediaDir: dir, live: [{ name: 'live', source: 'sample' }] }), {
      metrics: originMetrics,
      extraRouters: [createQoeRouter({ registry: originMetrics.registry, role: 'origin', readToken: undefined, readTokenSetting: 'ORIGIN_API_TOKEN (--api-token)' }).router],
      // The real live manager declares its metrics; only its ffmpeg is not started.
      createLiveManager: (opts) => {
        const real = createLiveManager(opts);
        return { start: async () => undefined, close: async () => undefined, status: () => real.status(), dirOf: (n) => real.dirOf(n), targetDurationOf: (n) => real.targetDurationOf(n) };
      },
    });
    await origin.start();
    router = createRouterApp(loadConfig(routerFields, {}, []).values);
    metrics = declared([edge.metrics.registry, originMetrics.registry, router.httpMetrics.registry]);
  });

  after(async () => {
    await edge?.close();
    await origin?.close();
    await router?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const all = expressions(dashboard.panels);

  it('has panels for hit ratio by tier, origin fetches, latency by outcome, QoE, Redis and origin health', () => {
    const text = all.map((e) => e.expr).join('\n');
    for (const needle of ['hls_edge_cache_requests_total', 'hls_edge_origin_fetches_total', 'hls_edge_request_duration_seconds_bucket', 'hls_edge_qoe_startup_seconds_bucket', 'hls_edge_qoe_stall_seconds_total', 'hls_edge_redis_up', 'hls_origin_http_requests_total']) {
      assert.ok(text.includes(needle), `the dashboard shows ${needle}`);
    }
    assert.ok(all.length >= 20, `${all.length} expressions`);
  });

  it('every expression is valid PromQL', () => {
    for (const { panel, expr } of all) assert.equal(parsePromql(expr).errors, 0, `"${panel}": does not parse: ${expr}`);
  });

  it('every metric an expression names is declared by a role (or is Prometheus\'s own `up`)', () => {
    assert.ok(metrics.has('hls_edge_cache_requests_total') && metrics.has('hls_origin_live_up') && metrics.has('hls_router_edges_healthy') && metrics.has('hls_router_qoe_startup_seconds_bucket'), 'the registries were built');
    const unknown: string[] = [];
    for (const { panel, expr } of all) {
      for (const s of parsePromql(expr).selectors) if (!metrics.has(s.metric) && !PROMETHEUS_SERIES.has(s.metric)) unknown.push(`"${panel}": ${s.metric || '(no metric name)'}`);
    }
    assert.deepEqual(unknown, []);
  });

  it('every label an expression matches or groups on exists on the metrics it names', () => {
    const wrong: string[] = [];
    for (const { panel, expr } of all) {
      const p = parsePromql(expr);
      const labelsOf = (m: string): Set<string> => metrics.get(m) ?? new Set(TARGET_LABELS);
      for (const s of p.selectors) for (const l of s.labels) if (!labelsOf(s.metric).has(l)) wrong.push(`"${panel}": ${s.metric} has no label ${l}`);
      const anywhere = new Set(p.selectors.flatMap((s) => [...labelsOf(s.metric)]));
      for (const l of p.grouping) if (!anywhere.has(l)) wrong.push(`"${panel}": groups on ${l}, which none of its metrics has`);
    }
    assert.deepEqual(wrong, []);
  });
});
