// A self-contained HTML report (figures, charts over time, tables) with Chart.js inlined, so the file works offline.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Cell = string | number | null;

export interface ChartSeries {
  readonly label: string;
  readonly data: readonly (number | null)[];
  /** Second y axis on the right, for a series in other units. */
  readonly rightAxis?: boolean;
}

export interface ChartBlock {
  readonly kind: 'chart';
  readonly title: string;
  readonly type?: 'line' | 'bar';
  readonly xLabel: string;
  readonly labels: readonly (number | string)[];
  readonly yLabel: string;
  readonly y2Label?: string;
  readonly series: readonly ChartSeries[];
}

export interface TableBlock {
  readonly kind: 'table';
  readonly title?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface FiguresBlock {
  readonly kind: 'figures';
  readonly items: readonly { readonly label: string; readonly value: string }[];
}

export interface TextBlock {
  readonly kind: 'text';
  readonly text: string;
}

export type ReportBlock = ChartBlock | TableBlock | FiguresBlock | TextBlock;

export interface ReportSection {
  readonly heading: string;
  readonly blocks: readonly ReportBlock[];
}

export interface ReportDocument {
  readonly title: string;
  readonly subtitle?: string;
  readonly sections: readonly ReportSection[];
  /** Raw data kept in the page (a <script type="application/json" id="report-data">), e.g. the JSON report. */
  readonly data?: unknown;
}

let chartJs: string | undefined;

/** Chart.js's UMD build from node_modules (the package's exports map does not expose it, so find it beside main). */
function chartJsSource(): string {
  if (chartJs === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(main), 'chart.umd.js'), 'utf8');
  }
  return chartJs;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** JSON safe inside <script>: no "</script>", no "<!--", no U+2028/2029 line breaks. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value ?? null)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function formatCell(c: Cell): string {
  if (c === null) return '–';
  if (typeof c === 'number') {
    if (!Number.isFinite(c)) return String(c);
    return c.toLocaleString('en-US', { maximumFractionDigits: Math.abs(c) >= 100 ? 0 : 3 });
  }
  return c;
}

function renderBlock(b: ReportBlock, chartIndex: () => number): string {
  switch (b.kind) {
    case 'figures':
      return `<div class="figures">${b.items.map((i) => `<div class="figure"><div class="v">${escapeHtml(i.value)}</div><div class="l">${escapeHtml(i.label)}</div></div>`).join('')}</div>`;
    case 'text':
      return `<p>${escapeHtml(b.text)}</p>`;
    case 'table': {
      const head = b.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
      const rows = b.rows
        .map((r) => `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="n"' : ''}>${escapeHtml(formatCell(c))}</td>`).join('')}</tr>`)
        .join('\n');
      const title = b.title ? `<h3>${escapeHtml(b.title)}</h3>` : '';
      return `${title}<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
    }
    case 'chart':
      return `<div class="chart"><h3>${escapeHtml(b.title)}</h3><div class="canvas"><canvas data-chart="${chartIndex()}"></canvas></div></div>`;
  }
}

/** Turns a chart block into a Chart.js config; runs in the browser, so it is shipped as source text. */
const CLIENT_SCRIPT = `
(function () {
  var charts = JSON.parse(document.getElementById('report-charts').textContent);
  var palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var c = charts[Number(canvas.getAttribute('data-chart'))];
    var hasRight = c.series.some(function (s) { return s.rightAxis; });
    var scales = {
      x: { title: { display: true, text: c.xLabel } },
      y: { beginAtZero: true, title: { display: true, text: c.yLabel } }
    };
    if (hasRight) scales.y2 = { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: c.y2Label || '' } };
    new Chart(canvas, {
      type: c.type || 'line',
      data: {
        labels: c.labels,
        datasets: c.series.map(function (s, i) {
          var color = palette[i % palette.length];
          return { label: s.label, data: s.data, yAxisID: s.rightAxis ? 'y2' : 'y', borderColor: color, backgroundColor: color,
            borderWidth: 1.5, pointRadius: 0, spanGaps: true, tension: 0.2 };
        })
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false }, scales: scales }
    });
  });
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #111827; }
h1 { margin-bottom: 0; } .subtitle { color: #6b7280; margin-top: 4px; }
h2 { border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; margin-top: 32px; } h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; margin: 8px 0 16px; } th, td { border: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; }
th { background: #f9fafb; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.figure { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px; min-width: 140px; }
.figure .v { font-size: 22px; font-weight: 600; } .figure .l { color: #6b7280; font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
.canvas { position: relative; height: 280px; }
`;

/** The whole page as one string: styles, Chart.js, chart data and the renderer are all inline. */
export function renderHtmlReport(doc: ReportDocument): string {
  const charts: ChartBlock[] = [];
  const sections = doc.sections.map((s) => {
    const parts: string[] = [];
    let chartRun: string[] = [];
    const flushCharts = (): void => {
      if (chartRun.length > 0) parts.push(`<div class="charts">${chartRun.join('')}</div>`);
      chartRun = [];
    };
    for (const b of s.blocks) {
      const html = renderBlock(b, () => charts.length);
      if (b.kind === 'chart') {
        charts.push(b);
        chartRun.push(html);
      } else {
        flushCharts();
        parts.push(html);
      }
    }
    flushCharts();
    return `<section><h2>${escapeHtml(s.heading)}</h2>\n${parts.join('\n')}</section>`;
  });
  const subtitle = doc.subtitle ? `<p class="subtitle">${escapeHtml(doc.subtitle)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(doc.title)}</h1>
${subtitle}
${sections.join('\n')}
<script type="application/json" id="report-charts">${scriptJson(charts)}</script>
<script type="application/json" id="report-data">${scriptJson(doc.data ?? null)}</script>
<script>${chartJsSource().replace(/<\/script/gi, '<\\/script')}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
