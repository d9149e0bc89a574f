// The load-test report as an HTML report document: key figures, charts over time, then the tables.
import type { ChartBlock, ReportBlock, ReportDocument, TableBlock } from '../report/html-report.ts';
import type { LatencySummary } from './load-stats.ts';
import type { LoadTestReport } from './report.ts';

export function percent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`;
}

function latencyRow(name: string, s: LatencySummary): (string | number)[] {
  return [name, s.count, s.mean, s.p50, s.p90, s.p99, s.p99_9, s.max];
}

const LATENCY_COLUMNS = ['requests', 'count', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms'];

function toolRows(t: LoadTestReport['toolLoad']): [string, string | number][] {
  if (!t) return [];
  return [
    ['tool CPU seconds', t.cpuS],
    ['tool CPU µs per request', t.cpuPerRequestUs === null ? '–' : t.cpuPerRequestUs.toFixed(1)],
    ['tool event loop busy', percent(t.eventLoopUtilization, 0)],
  ];
}

export function loadTestDocument(r: LoadTestReport): ReportDocument {
  const t = r.timeline;
  const labels = t.map((p) => Math.round(p.tS));
  const line = (title: string, yLabel: string, series: ChartBlock['series'], y2Label?: string): ChartBlock => ({
    kind: 'chart',
    title,
    xLabel: 'seconds',
    labels,
    yLabel,
    series,
    ...(y2Label ? { y2Label } : {}),
  });

  const figures: ReportBlock = {
    kind: 'figures',
    items: [
      { label: 'requests/s', value: r.totals.requestsPerS.toFixed(1) },
      { label: 'throughput', value: `${r.totals.gbitPerS.toFixed(3)} Gbit/s` },
      { label: 'latency p99', value: `${r.latencyMs.all.p99} ms` },
      { label: 'request hit ratio', value: percent(r.cache.requestHitRatio) },
      { label: 'byte hit ratio', value: percent(r.cache.byteHitRatio) },
      { label: 'errors', value: String(r.totals.errorCount) },
      ...(r.viewers
        ? [
            { label: 'viewers', value: String(r.viewers.started) },
            { label: 'stalls', value: String(r.viewers.stalls) },
            { label: 'rebuffering ratio', value: percent(r.viewers.rebufferingRatio, 2) },
            { label: 'startup p50', value: `${r.viewers.startupMs.p50} ms` },
          ]
        : []),
      ...(r.origin ? [{ label: 'origin offload', value: percent(r.origin.offload) }] : []),
    ],
  };

  const charts: ChartBlock[] = [
    line('Throughput', 'Gbit/s', [{ label: 'Gbit/s', data: t.map((p) => p.gbitPerS) }, { label: 'requests/s', data: t.map((p) => p.requestsPerS), rightAxis: true }], 'requests/s'),
    line('Latency percentiles (per second)', 'ms', [
      { label: 'p50', data: t.map((p) => p.p50) },
      { label: 'p90', data: t.map((p) => p.p90) },
      { label: 'p99', data: t.map((p) => p.p99) },
      { label: 'max', data: t.map((p) => p.max) },
    ]),
  ];
  if (r.viewers) {
    charts.push(line('Active viewers', 'viewers', [{ label: 'active', data: t.map((p) => p.activeViewers) }, { label: 'stalled', data: t.map((p) => p.stalledViewers) }]));
    charts.push({ ...line('Stalls', 'new stalls', [{ label: 'new stalls', data: t.map((p) => p.stalls) }]), type: 'bar' });
  }
  if (t.some((p) => p.toolBusy !== null)) charts.push(line('Load tool event loop busy (1 = the tool was the limit)', 'share of the second', [{ label: 'busy', data: t.map((p) => p.toolBusy) }]));
  charts.push(line('Cache hit ratio and errors', 'hit ratio', [{ label: 'hit ratio', data: t.map((p) => p.hitRatio) }, { label: 'errors', data: t.map((p) => p.errors), rightAxis: true }], 'errors'));

  const latency: TableBlock = {
    kind: 'table',
    title: 'Latency (request to last byte)',
    columns: LATENCY_COLUMNS,
    rows: [
      latencyRow('all', r.latencyMs.all),
      ...Object.entries(r.latencyMs.byKind).map(([k, s]) => latencyRow(k, s)),
      ...Object.entries(r.latencyMs.byXCache).map(([k, s]) => latencyRow(`X-Cache ${k}`, s)),
    ],
  };
  const ttfb: TableBlock = {
    kind: 'table',
    title: 'Time to first byte (request to response headers)',
    columns: LATENCY_COLUMNS,
    rows: Object.entries(r.latencyMs.ttfbByKind).map(([k, s]) => latencyRow(k, s)),
  };
  const cache: TableBlock = {
    kind: 'table',
    title: `Responses by X-Cache (hits: ${r.cache.hitValues.join(', ')})`,
    columns: ['X-Cache', 'requests', 'bytes', 'share of requests'],
    rows: Object.entries(r.cache.byXCache).map(([k, v]) => [k, v.requests, v.bytes, percent(r.totals.requests > 0 ? v.requests / r.totals.requests : null)]),
  };
  const totals: TableBlock = {
    kind: 'table',
    title: 'Totals',
    columns: ['what', 'value'],
    rows: [
      ['responses', r.totals.requests],
      ['aborted at the hard stop', r.totals.aborted],
      ['bytes', r.totals.bytes],
      ['measured seconds', r.durationS],
      ...toolRows(r.toolLoad),
      ...Object.entries(r.cache.byKind).map(([k, v]): [string, number] => [`${k} requests`, v.requests]),
      ...Object.entries(r.totals.statusClasses).map(([k, v]): [string, number] => [`status ${k}`, v]),
      ...Object.entries(r.totals.errors).map(([k, v]): [string, number] => [`errors: ${k}`, v]),
    ],
  };
  const blocks: ReportBlock[] = [latency, ttfb, cache, totals];
  if (r.viewers) {
    const v = r.viewers;
    blocks.push({
      kind: 'table',
      title: 'Viewers',
      columns: ['what', 'value'],
      rows: [
        ['viewers started', v.started],
        ['never started playback', v.neverStarted],
        ['gave up', v.failed],
        ['stalls', v.stalls],
        ['viewers with stalls', v.viewersWithStalls],
        ['stall seconds', v.stallS],
        ['played seconds', v.playedS],
        ['rebuffering ratio', percent(v.rebufferingRatio, 3)],
        ['rendition switches', v.switches],
        ['failed requests', v.failedRequests],
        ['skipped segments', v.skippedSegments],
        ['VOD loops', v.loops],
        ...Object.entries(v.finalRenditions).map(([k, n]): [string, number] => [`ended on rendition #${k}`, n]),
        ...v.failures.map((f): [string, string] => ['failure', f]),
      ],
    });
    blocks.push({ kind: 'table', title: 'Startup time (first request to playback)', columns: LATENCY_COLUMNS, rows: [latencyRow('startup', v.startupMs)] });
  }
  if (r.origin) {
    blocks.push({
      kind: 'table',
      title: 'Origin offload',
      columns: ['origin', 'counter at start', 'at end', 'counter resets', 'origin requests (increase over samples)', 'tool requests', 'offload'],
      rows: [[r.origin.url, r.origin.requestsBefore, r.origin.requestsAfter, r.origin.counterResets, r.origin.requests, r.totals.requests, percent(r.origin.offload, 2)]],
    });
  }
  blocks.push({ kind: 'table', title: 'Settings', columns: ['setting', 'value'], rows: Object.entries(r.settings).map(([k, v]) => [k, v === null ? null : String(v)]) });

  return {
    title: `edgeline loadtest — ${r.mode} mode`,
    subtitle: `${r.target} · ${r.startedAt} · ${r.durationS.toFixed(1)} s`,
    sections: [
      { heading: 'Summary', blocks: [figures] },
      { heading: 'Over time', blocks: charts },
      { heading: 'Details', blocks },
    ],
    data: r,
  };
}
