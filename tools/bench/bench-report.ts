// The benchmark's HTML report: the targets with pass/miss, charts of the hit figures and the herd, and the tables,
// built with the instruments' one HTML renderer (tools/report/html-report.ts).
import { renderHtmlReport, type ReportBlock, type ReportSection } from '../report/html-report.ts';
import { findCell, herdLabel, SERVER_LABELS, type BenchResults, type Body, type Server, type ThroughputCell } from './results-table.ts';

const HIT_SERVERS: readonly Server[] = ['edge', 'nginx', 'varnish', 'node'];

function round(n: number, digits = 1): number | null {
  return Number.isFinite(n) ? Number(n.toFixed(digits)) : null;
}

function hitChart(r: BenchResults, body: Body, title: string, yLabel: string, pick: (c: ThroughputCell) => number): ReportBlock | undefined {
  const conns = r.conditions.connections;
  const series = HIT_SERVERS.map((server) => ({
    label: SERVER_LABELS[server],
    data: conns.map((c) => {
      const cell = findCell(r.throughput, body, server, r.conditions.headlineTool, c);
      return cell ? round(pick(cell)) : null;
    }),
  })).filter((s) => s.data.some((v) => v !== null));
  if (series.length === 0) return undefined;
  return { kind: 'chart', type: 'bar', title, xLabel: 'connections', labels: conns.map((c) => `${c} connections`), yLabel, series };
}

export function renderBenchHtml(r: BenchResults): string {
  const c = r.conditions;
  const decided = r.checks.filter((k) => k.pass !== null);
  const passed = decided.filter((k) => k.pass === true).length;
  const sections: ReportSection[] = [];

  sections.push({
    heading: 'Targets',
    blocks: [
      {
        kind: 'figures',
        items: [
          { label: 'targets passed', value: `${passed} of ${decided.length}` },
          { label: 'targets missed', value: String(decided.length - passed) },
          { label: 'wall time', value: `${Math.round(c.wallS)} s` },
          { label: 'edge', value: `shipped defaults, ${c.edgeWorkers} workers` },
        ],
      },
      {
        kind: 'table',
        columns: ['section', 'figure', 'measured', 'baseline', 'ratio', 'target', 'result'],
        rows: r.checks.map((k) => [k.section, k.figure, k.value, k.baseline, k.ratio, k.target, k.pass === null ? 'info' : k.pass ? 'pass' : 'miss']),
      },
    ],
  });

  const charts: ReportBlock[] = [];
  for (const body of ['segment', 'playlist'] as const) {
    const rps = hitChart(r, body, `${body}: warm hits, req/s (median)`, 'req/s', (x) => x.medianRps);
    const p99 = hitChart(r, body, `${body}: p99 latency, ms (median)`, 'ms', (x) => x.medianP99Ms);
    const cpu = hitChart(r, body, `${body}: server CPU per request, µs (median)`, 'µs', (x) => x.medianCpuUsPerRequest);
    for (const b of [rps, p99, cpu]) if (b) charts.push(b);
  }
  if (r.throughput.length > 0) {
    charts.push({
      kind: 'table',
      title: 'Every figure',
      columns: ['body', 'server', 'tool', 'connections', 'req/s', 'Gbit/s', 'p99 ms', 'server CPU µs/req', 'server RSS MiB', 'runs req/s', 'errors'],
      rows: r.throughput.map((t) => [
        t.body, SERVER_LABELS[t.server], t.tool, t.connections, round(t.medianRps, 0), round(t.gbitPerS, 2), round(t.medianP99Ms), round(t.medianCpuUsPerRequest, 0), round(t.medianRssMb, 0),
        t.runs.map((x) => Math.round(x.requestsPerS)).join(', '), t.errors,
      ]),
    });
    sections.push({ heading: `Warm hits (${c.headlineTool}, median of ${c.reps} × ${c.runS} s, the player's CMCD query on every URL)`, blocks: charts });
  }

  if (r.herd.length > 0) {
    const first = r.herd[0];
    sections.push({
      heading: `Herd: ${first?.waiters ?? 0} concurrent cold requests, origin ${first?.originDelayMs ?? 0} ms away`,
      blocks: [
        {
          kind: 'chart',
          type: 'bar',
          title: 'time to last byte, ms (median of the repetitions)',
          xLabel: 'target',
          labels: r.herd.map((h) => herdLabel(h)),
          yLabel: 'ms',
          series: [
            { label: 'lone request', data: r.herd.map((h) => round(h.loneMedianMs, 0)) },
            { label: 'waiters p50', data: r.herd.map((h) => round(h.waiterP50MedianMs, 0)) },
            { label: 'waiters p99', data: r.herd.map((h) => round(h.waiterP99MedianMs, 0)) },
          ],
        },
        {
          kind: 'table',
          columns: ['target', 'origin fetches (each rep)', 'waiters p50 ms', 'waiters p99 ms', 'lone ms', 'failed'],
          rows: r.herd.map((h) => [herdLabel(h), h.warm ? '— (from memory)' : h.reps.map((x) => x.originFetches).join(', '), round(h.waiterP50MedianMs, 0), round(h.waiterP99MedianMs, 0), round(h.loneMedianMs, 0), h.errors]),
        },
      ],
    });
  }

  if (r.memory.length > 0) {
    sections.push({
      heading: 'Memory (VmRSS of the primary and every descendant)',
      blocks: [
        {
          kind: 'table',
          columns: ['edge', 'memory tier MiB', 'idle MiB', 'idle processes (60 s after start)', '2 s after start', 'peak MiB', 'Pss at peak MiB', 'budget MiB'],
          rows: r.memory.map((m) => [SERVER_LABELS[m.server], m.memoryTierMb, round(m.idleMb), processList(m.idleProcesses), processList(m.startedProcesses ?? []), round(m.peakMb), round(m.peakPssMb), m.budgetMb]),
        },
      ],
    });
  }

  sections.push({
    heading: 'Conditions',
    blocks: [
      {
        kind: 'table',
        columns: ['condition', 'value'],
        rows: [
          ['machine', `${c.cpu}, ${c.cores} cores, ${c.memGiB.toFixed(0)} GiB, Linux ${c.kernel}`],
          ['software', `Node ${c.node}; nginx ${c.nginx ?? '—'}; Varnish ${c.varnish ?? '—'}; wrk ${c.wrk ?? '—'}; Redis ${c.redis ?? '—'}`],
          ['commit', c.git ?? 'unknown'],
          ['load average before / after', `${c.loadBefore.map((n) => n.toFixed(2)).join(' ')} / ${c.loadAfter.map((n) => n.toFixed(2)).join(' ')}`],
          ['edge', `${c.edgeFlags}; ${c.edgeWorkers} workers, memory tier ${c.edgeMemoryMb} MiB`],
          ['sections', c.sections.join(', ')],
        ],
      },
      ...r.verification.map((v): ReportBlock => ({ kind: 'text', text: v })),
      ...r.notes.map((n): ReportBlock => ({ kind: 'text', text: `Note: ${n}` })),
    ],
  });

  return renderHtmlReport({
    title: `Edgeline benchmark${c.quick ? ' (--quick)' : ''}`,
    subtitle: `${c.startedAt} · ${passed} of ${decided.length} targets passed`,
    sections,
    data: r,
  });
}

function processList(ps: readonly { readonly name: string; readonly rssMb: number }[]): string {
  return ps.map((p) => `${p.name} ${Math.round(p.rssMb)}`).join(', ');
}
