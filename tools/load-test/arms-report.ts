// The arms report: both arms side by side (terminal table, HTML document, JSON), then each arm's full load-test report.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtmlReport, type Cell, type ChartBlock, type ReportDocument, type ReportSection } from '../report/html-report.ts';
import type { ArmResult, LoadTestArmsReport } from './arms.ts';
import { loadTestDocument, percent } from './report-document.ts';

/** One row per compared figure, one column per arm, in the order the arms ran. */
export function armRows(arms: readonly ArmResult[]): Cell[][] {
  const row = (label: string, f: (a: ArmResult) => Cell): Cell[] => [label, ...arms.map(f)];
  return [
    row('edge prefetch (segments ahead)', (a) => a.edge.prefetchSegments),
    row('viewers', (a) => a.summary.viewers),
    row('stalls', (a) => a.summary.stalls),
    row('viewers with a stall', (a) => a.summary.viewersWithStalls),
    row('stall seconds', (a) => Math.round(a.summary.stallS * 10) / 10),
    row('rebuffering ratio', (a) => percent(a.summary.rebufferingRatio, 3)),
    row('segment TTFB p50 ms', (a) => a.summary.segmentTtfbMs.p50),
    row('segment TTFB p90 ms', (a) => a.summary.segmentTtfbMs.p90),
    row('segment TTFB p99 ms', (a) => a.summary.segmentTtfbMs.p99),
    row('segment to last byte p50 ms', (a) => a.summary.segmentMs.p50),
    row('segment to last byte p99 ms', (a) => a.summary.segmentMs.p99),
    row('startup p50 ms', (a) => a.summary.startupMs.p50),
    row('startup p99 ms', (a) => a.summary.startupMs.p99),
    row('errors', (a) => a.summary.errors),
    row('request hit ratio', (a) => percent(a.summary.requestHitRatio)),
    row('origin requests', (a) => a.summary.originRequests),
    row('edge: prefetched', (a) => a.edgeCounters.prefetched),
    row('edge: prefetch hits', (a) => a.edgeCounters.prefetchHits),
    row('edge: origin fetches', (a) => a.edgeCounters.originFetches),
    row('tool busy: mean / busiest second', (a) => `${percent(a.report.toolLoad?.eventLoopUtilization ?? null, 0)} / ${percent(busiest(a), 0)}`),
  ];
}

/** The busiest second of the tool's event loop in the arm. */
function busiest(a: ArmResult): number | null {
  let max: number | null = null;
  for (const p of a.report.timeline) if (p.toolBusy !== null && (max === null || p.toolBusy > max)) max = p.toolBusy;
  return max;
}

function cellText(c: Cell): string {
  return c === null ? '–' : String(c);
}

export function renderArmsSummary(r: LoadTestArmsReport): string {
  const c = r.conditions;
  const head = ['', ...r.arms.map((a) => a.name)];
  const rows = [head, ...armRows(r.arms).map((row) => row.map(cellText))];
  const widths = head.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const out = [
    `edgeline loadtest (arms) ${r.src}: ${c.viewers} viewers over ${c.rampMs / 1000} s ramp, ${c.durationMs / 1000} s per arm; origin behind ${c.wan.rttMs} ms / ${c.wan.bandwidthMbps} Mbit/s`,
    ...rows.map((row) => `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}`),
    `  load average ${c.machine.loadAverage.start} → ${c.machine.loadAverage.end} on ${c.machine.cores} cores`,
  ];
  for (const n of r.notes) out.push(`  note          ${n}`);
  return out.join('\n');
}

/** A per-second series of each arm side by side; arms of different length end early (null). */
function perArmChart(r: LoadTestArmsReport, title: string, yLabel: string, pick: (p: ArmResult['report']['timeline'][number]) => number | null, type?: 'bar'): ChartBlock {
  const longest = Math.max(0, ...r.arms.map((a) => a.report.timeline.length));
  return {
    kind: 'chart',
    title,
    ...(type ? { type } : {}),
    xLabel: 'seconds',
    labels: Array.from({ length: longest }, (_, i) => i + 1),
    yLabel,
    series: r.arms.map((a) => ({ label: a.name, data: Array.from({ length: longest }, (_, i) => { const p = a.report.timeline[i]; return p ? pick(p) : null; }) })),
  };
}

export function armsDocument(r: LoadTestArmsReport): ReportDocument {
  const c = r.conditions;
  const side: ReportSection = {
    heading: 'Arms side by side',
    blocks: [
      { kind: 'text', text: `${c.viewers} simulated viewers per arm on ${r.src}, each arm against its own cold edge; ${c.origin}; WAN ${c.wan.rttMs} ms RTT, ${c.wan.bandwidthMbps} Mbit/s per connection, jitter ${c.wan.jitterMs} ms (${c.wan.description}). ${c.edges}. Redis: ${c.redis}.` },
      { kind: 'table', columns: ['', ...r.arms.map((a) => a.name)], rows: armRows(r.arms) },
      perArmChart(r, 'Stalled viewers', 'viewers', (p) => p.stalledViewers),
      perArmChart(r, 'New stalls per second', 'stalls', (p) => p.stalls, 'bar'),
      perArmChart(r, 'Latency p99 per second (all requests, to last byte)', 'ms', (p) => p.p99),
      perArmChart(r, 'Cache hit ratio', 'hit ratio', (p) => p.hitRatio),
      perArmChart(r, 'Load tool event loop busy per second (near 1: the simulated viewers wait on the tool, not the edge)', 'share', (p) => p.toolBusy),
      ...(r.notes.length > 0 ? [{ kind: 'text' as const, text: `Notes: ${r.notes.join('; ')}` }] : []),
      { kind: 'text', text: `Machine: ${c.machine.cores} cores, load average ${c.machine.loadAverage.start} at the start, ${c.machine.loadAverage.end} at the end. Arms ran one after another.` },
    ],
  };
  // Each arm's own report, its headings prefixed with the arm.
  const perArm = r.arms.flatMap((a) => loadTestDocument(a.report).sections.map((s) => ({ heading: `${a.name}: ${s.heading}`, blocks: s.blocks })));
  return {
    title: `edgeline loadtest — ${r.arms.map((a) => a.name).join(' vs ')}`,
    subtitle: `${r.src} · ${r.startedAt} · ${c.viewers} viewers × ${c.durationMs / 1000} s per arm`,
    sections: [side, ...perArm],
    data: r,
  };
}

export async function writeArmsReport(dir: string, report: LoadTestArmsReport): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderHtmlReport(armsDocument(report)));
  return { json, html };
}
