// The fault report: overall verdict, the summary rows shared by stdout, README and HTML, and the HTML document's shape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultResult } from '../../../../tools/faults/fault-result.ts';
import { buildFaultReport, faultReportDocument, renderSummaryMarkdown, renderSummaryText, summaryRows, SUMMARY_COLUMNS } from '../../../../tools/faults/fault-report.ts';
import { renderHtmlReport } from '../../../../tools/report/html-report.ts';

function result(name: FaultResult['name'], pass: boolean, extra: Partial<FaultResult> = {}): FaultResult {
  return {
    name,
    title: `${name} title`,
    rule: 'rule text',
    pass,
    viewers: { viewers: 10, requests: 120, failedRequests: pass ? 0 : 4, failedOver: 2, stalls: 0, stallMs: 0, skippedSegments: 0, neverStarted: 0, crashed: 0 },
    recoveryMs: 367.4,
    recoveryLabel: 'restart → connected',
    figures: { purgeCompletedMs: 2639, nextRequest: '200 MISS' },
    checks: [{ name: '0 failed viewer requests', pass, measured: pass ? '0 of 120' : '4 of 120' }],
    timeline: [{ s: -1, ok: 5, failed: 0, failedOver: 0, maxMs: 3 }, { s: 0, ok: 4, failed: pass ? 0 : 4, failedOver: 2, maxMs: 40 }],
    error: null,
    ...extra,
  };
}

const base = { startedAt: '2026-12-02T00:00:00.000Z', finishedAt: '2026-12-02T00:01:00.000Z', quick: true, viewersPerFault: 10, git: 'abc1234' };

describe('fault report', () => {
  it('passes only when every fault passed, and not when nothing ran', () => {
    assert.equal(buildFaultReport({ ...base, results: [result('redis-loss', true), result('edge-loss', true)] }).pass, true);
    assert.equal(buildFaultReport({ ...base, results: [result('redis-loss', true), result('edge-loss', false)] }).pass, false);
    assert.equal(buildFaultReport({ ...base, results: [] }).pass, false);
  });

  it('has one summary row per fault with failed requests, stalls, failovers and the recovery figure', () => {
    const report = buildFaultReport({ ...base, results: [result('redis-loss', true), result('origin-loss', false), result('edge-loss', false, { error: 'edge did not start', viewers: null, recoveryMs: null, checks: [] })] });
    const rows = summaryRows(report);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.equal(row.length, SUMMARY_COLUMNS.length);
    assert.deepEqual(rows[0]?.slice(0, 6), ['redis-loss', 'pass', '0 / 120', '0', '2', '367 ms (restart → connected)']);
    assert.equal(rows[1]?.[1], 'FAIL');
    assert.deepEqual(rows[2]?.slice(1, 4), ['error', '-', '-']);
    assert.equal(rows[2]?.[5], 'never (restart → connected)');
    const noRecovery = summaryRows(buildFaultReport({ ...base, results: [result('memory-bound', true, { recoveryMs: null, recoveryLabel: null })] }));
    assert.equal(noRecovery[0]?.[5], '-', 'a fault without a recovery figure shows none');
    assert.equal(rows[2]?.[6], 'edge did not start');
  });

  it('the terminal summary names each failed check and says how many faults did not pass', () => {
    const text = renderSummaryText(buildFaultReport({ ...base, results: [result('redis-loss', true), result('origin-loss', false)] }));
    assert.match(text, /origin-loss: failed "0 failed viewer requests": 4 of 120/);
    assert.match(text, /1 of 2 faults did not pass/);
  });

  it('the Markdown table has a header, a rule and a row per fault, with pipes escaped', () => {
    const md = renderSummaryMarkdown(buildFaultReport({ ...base, results: [result('redis-loss', true, { figures: { note: 'a|b' } })] })).split('\n');
    assert.equal(md.length, 3);
    assert.match(md[0] ?? '', /^\| fault \| result \|/);
    assert.match(md[2] ?? '', /note a\\\|b/);
  });

  it('the HTML document has a summary table and, per fault, its rule, checks and a chart over the timeline', () => {
    const report = buildFaultReport({ ...base, results: [result('redis-loss', true), result('edge-loss', false)] });
    const doc = faultReportDocument(report);
    assert.deepEqual(doc.sections.map((s) => s.heading), ['Summary', 'redis-loss: redis-loss title', 'edge-loss: edge-loss title']);
    const fault = doc.sections[1];
    assert.ok(fault);
    const kinds = fault.blocks.map((b) => b.kind);
    assert.deepEqual(kinds, ['text', 'figures', 'table', 'chart']);
    const chart = fault.blocks.find((b) => b.kind === 'chart');
    assert.ok(chart && chart.kind === 'chart');
    assert.deepEqual(chart.labels, [-1, 0]);
    assert.deepEqual(chart.series.find((s) => s.label === 'failed')?.data, [0, 0]);
    assert.equal(doc.data, report);
    const html = renderHtmlReport(doc);
    assert.match(html, /<h2>edge-loss: edge-loss title<\/h2>/);
    assert.match(html, /"suite":"edgeline-faults"/);
  });
});
