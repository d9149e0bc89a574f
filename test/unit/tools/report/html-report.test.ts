import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, formatCell, renderHtmlReport, scriptJson } from '../../../../tools/report/html-report.ts';

describe('renderHtmlReport', () => {
  const html = renderHtmlReport({
    title: 'A <b>report</b>',
    subtitle: 'sub & title',
    sections: [
      { heading: 'Figures', blocks: [{ kind: 'figures', items: [{ label: 'req/s', value: '12' }] }, { kind: 'text', text: '<script>alert(1)</script>' }] },
      {
        heading: 'Charts',
        blocks: [
          { kind: 'chart', title: 'one', xLabel: 's', labels: [1, 2], yLabel: 'ms', series: [{ label: 'p50', data: [1, null] }] },
          { kind: 'chart', title: 'two', type: 'bar', xLabel: 's', labels: [1, 2], yLabel: 'n', series: [{ label: 'a', data: [1, 2] }, { label: 'b', data: [3, 4], rightAxis: true }], y2Label: 'b' },
        ],
      },
      { heading: 'Tables', blocks: [{ kind: 'table', title: 't', columns: ['k', 'v'], rows: [['x</td>', 1234567.891], ['y', null]] }] },
    ],
    data: { note: '</script><script>alert(2)</script>' },
  });

  it('is self-contained: Chart.js inline, no external scripts or styles', () => {
    assert.match(html, /Chart\.js v4/);
    assert.doesNotMatch(html, /<script[^>]+src=/);
    assert.doesNotMatch(html, /<link[^>]+stylesheet/);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.chartjs\.org)[^\s"')]+\.(js|css)/);
  });

  it('escapes text and keeps embedded JSON from closing its script element', () => {
    assert.ok(html.includes('<title>A &lt;b&gt;report&lt;/b&gt;</title>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('x&lt;/td&gt;'));
    assert.equal((html.match(/<\/script>/g) ?? []).length, (html.match(/<script[ >]/g) ?? []).length);
    const data = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    assert.deepEqual(JSON.parse(data), { note: '</script><script>alert(2)</script>' });
  });

  it('numbers every chart canvas and ships the chart specs', () => {
    assert.ok(html.includes('data-chart="0"') && html.includes('data-chart="1"'));
    const charts = JSON.parse(/<script type="application\/json" id="report-charts">(.*?)<\/script>/s.exec(html)?.[1] ?? '[]') as { title: string }[];
    assert.deepEqual(charts.map((c) => c.title), ['one', 'two']);
  });

  it('formats cells for people', () => {
    assert.equal(formatCell(1234567.891), '1,234,568');
    assert.equal(formatCell(0.12345), '0.123');
    assert.equal(formatCell(null), '–');
    assert.equal(escapeHtml(`"'&`), '&quot;&#39;&amp;');
    assert.equal(scriptJson('\u2028<'), '"\\u2028\\u003c"');
  });
});
