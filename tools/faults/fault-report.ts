// The suite's report: the JSON document, the HTML page (tools/report/html-report) and the summary table.
import type { ReportDocument, ReportSection } from '../report/html-report.ts';
import type { FaultResult } from './fault-result.ts';

export interface FaultReport {
  readonly suite: 'edgeline-faults';
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly viewersPerFault: number;
  readonly git: string | null;
  /** Every fault that ran passed. */
  readonly pass: boolean;
  readonly results: readonly FaultResult[];
}

export function buildFaultReport(o: Omit<FaultReport, 'suite' | 'version' | 'pass'>): FaultReport {
  return { suite: 'edgeline-faults', version: 1, ...o, pass: o.results.length > 0 && o.results.every((r) => r.pass) };
}

export const SUMMARY_COLUMNS = ['fault', 'result', 'failed viewer requests', 'stalls', 'failovers', 'recovery', 'figures'] as const;

function ms(v: number | null): string {
  return v === null ? 'never' : `${Math.round(v)} ms`;
}

function figureText(r: FaultResult): string {
  return Object.entries(r.figures)
    .map(([k, v]) => `${k} ${v ?? '-'}`)
    .join('; ');
}

/** One row per fault: the same cells on stdout, in the README and in the HTML page. */
export function summaryRows(report: FaultReport): string[][] {
  return report.results.map((r) => [
    r.name,
    r.pass ? 'pass' : r.error ? 'error' : 'FAIL',
    r.viewers ? `${r.viewers.failedRequests} / ${r.viewers.requests}` : '-',
    r.viewers ? String(r.viewers.stalls) : '-',
    r.viewers ? String(r.viewers.failedOver) : '-',
    r.recoveryLabel === null ? '-' : `${ms(r.recoveryMs)} (${r.recoveryLabel})`,
    r.error ? r.error : figureText(r),
  ]);
}

/** A plain aligned table for the terminal, with the failed checks listed under it. */
export function renderSummaryText(report: FaultReport): string {
  const rows = [SUMMARY_COLUMNS.slice(0, 6), ...summaryRows(report).map((r) => r.slice(0, 6))];
  const widths = SUMMARY_COLUMNS.slice(0, 6).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of report.results) {
    for (const c of r.checks.filter((c) => !c.pass)) lines.push(`  ${r.name}: failed "${c.name}": ${c.measured}`);
    if (r.error) lines.push(`  ${r.name}: ${r.error}`);
  }
  lines.push(report.pass ? `all ${report.results.length} faults passed` : `${report.results.filter((r) => !r.pass).length} of ${report.results.length} faults did not pass`);
  return lines.join('\n');
}

/** A Markdown table (the README's "last run"). */
export function renderSummaryMarkdown(report: FaultReport): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${SUMMARY_COLUMNS.join(' | ')} |`, `| ${SUMMARY_COLUMNS.map(() => '---').join(' | ')} |`];
  for (const r of summaryRows(report)) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

function faultSection(r: FaultResult): ReportSection {
  const figures = [
    { label: 'result', value: r.pass ? 'pass' : r.error ? 'error' : 'FAIL' },
    { label: 'failed viewer requests', value: r.viewers ? `${r.viewers.failedRequests} of ${r.viewers.requests}` : '-' },
    { label: 'stalls', value: r.viewers ? String(r.viewers.stalls) : '-' },
    ...(r.recoveryLabel === null ? [] : [{ label: r.recoveryLabel, value: ms(r.recoveryMs) }]),
    ...Object.entries(r.figures).map(([label, v]) => ({ label, value: v === null ? '-' : String(v) })),
  ];
  return {
    heading: `${r.name}: ${r.title}`,
    blocks: [
      { kind: 'text', text: `Pass rule: ${r.rule}` },
      ...(r.error ? [{ kind: 'text' as const, text: `Error: ${r.error}` }] : []),
      { kind: 'figures', items: figures },
      { kind: 'table', title: 'Checks', columns: ['check', 'measured', 'pass'], rows: r.checks.map((c) => [c.name, c.measured, c.pass ? 'yes' : 'NO']) },
      {
        kind: 'chart',
        title: 'Viewer requests per second (0 = the fault)',
        type: 'bar',
        xLabel: 's from the fault',
        labels: r.timeline.map((p) => p.s),
        yLabel: 'requests',
        y2Label: 'slowest ms',
        series: [
          { label: 'answered', data: r.timeline.map((p) => p.ok - p.failedOver) },
          { label: 'failed', data: r.timeline.map((p) => p.failed) },
          { label: 'answered by another pathway', data: r.timeline.map((p) => p.failedOver) },
          { label: 'slowest request (ms)', data: r.timeline.map((p) => p.maxMs), rightAxis: true },
        ],
      },
    ],
  };
}

export function faultReportDocument(report: FaultReport): ReportDocument {
  return {
    title: 'Edgeline fault suite',
    subtitle: `${report.startedAt} · ${report.quick ? 'quick' : 'full'} · ${report.viewersPerFault} viewers per fault · ${report.git ?? 'unknown commit'} · ${report.pass ? 'all passed' : 'NOT all passed'}`,
    sections: [
      { heading: 'Summary', blocks: [{ kind: 'table', columns: [...SUMMARY_COLUMNS], rows: summaryRows(report) }] },
      ...report.results.map(faultSection),
    ],
    data: report,
  };
}
