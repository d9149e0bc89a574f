// The comparison in words and a terminal table: number formats, the one-paragraph answer, the per-arm summary rows.
import type { ArmComparison, ArmSummary } from './compare-summary.ts';
import type { CompareReport } from './compare-report.ts';

export function fmtMs(ms: number | null): string {
  if (ms === null) return '–';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms)} ms`;
}

export function fmtPercent(fraction: number | null, digits = 2): string {
  return fraction === null ? '–' : `${(fraction * 100).toFixed(digits)} %`;
}

export function fmtRatio(r: number | null): string {
  if (r === null) return '–';
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toFixed(3)}×`;
}

export function fmtNumber(n: number | null, digits = 2): string {
  if (n === null) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : digits });
}

/** "4.2× faster" for a ratio below 1, "1.3× slower" above, "no faster" at 1. */
export function speedWords(ratio: number | null): string {
  if (ratio === null || ratio <= 0) return 'not comparable';
  if (Math.abs(ratio - 1) < 0.005) return 'no different';
  return ratio < 1 ? `${fmtRatio(1 / ratio)} faster` : `${fmtRatio(ratio)} slower`;
}

/** The answer to the report's question, from the warm-edge-vs-direct comparison, in plain sentences. */
export function answerText(report: CompareReport): string[] {
  const warm = report.arms.find((a) => a.name === 'edge-warm')?.summary;
  const direct = report.arms.find((a) => a.name === 'direct')?.summary;
  const cold = report.arms.find((a) => a.name === 'edge-cold')?.summary;
  const c: ArmComparison | null = report.comparisons.warmVsDirect;
  if (!warm || !direct || !c) return ['Not every arm ran, so there is nothing to compare.'];
  const out = [
    `Startup: viewers served by a warm edge start in ${fmtMs(warm.startupMs.median)} (median; p90 ${fmtMs(warm.startupMs.p90)}) instead of ${fmtMs(direct.startupMs.median)} (p90 ${fmtMs(direct.startupMs.p90)}) from the origin — ${speedWords(c.startupMedianRatio)} at the median, ${speedWords(c.startupP90Ratio)} at p90.`,
    `Segments: median time to first byte ${fmtMs(warm.segmentTtfbMs.median)} vs ${fmtMs(direct.segmentTtfbMs.median)} (${speedWords(c.segmentTtfbMedianRatio)}); downloads took ${fmtNumber(warm.segmentDownloadRatio.median, 3)} vs ${fmtNumber(direct.segmentDownloadRatio.median, 3)} of the segment's duration (median).`,
    `Rebuffering: ${fmtPercent(warm.pooledRebufferRatio)} of viewing time stalled through the warm edge, ${fmtPercent(direct.pooledRebufferRatio)} from the origin (${warm.stallCount} vs ${direct.stallCount} stalls).`,
    `Origin load: ${fmtNumber(warm.originPer1kViewerRequests, 1)} origin requests per 1,000 viewer requests through the warm edge, ${fmtNumber(direct.originPer1kViewerRequests, 1)} direct.`,
  ];
  const floor = report.arms.find((a) => a.name === 'floor')?.summary;
  if (floor) {
    const b = floor.startupBreakdownMs;
    const vs = (arm: string): string => fmtRatio(report.comparisons.vsFloor.find((x) => x.arm === arm)?.startupMedianRatio ?? null);
    out.push(
      `Floor: the same files from a plain static server on this machine start in ${fmtMs(floor.startupMs.median)} (median): ${fmtMs(b.playlists.median)} for the playlists, ${fmtMs(b.firstSegment.median)} for the first segment, ${fmtMs(b.decode.median)} from its last byte to playing (decode). ` +
        `Warm edge ${vs('edge-warm')} the floor, cold edge ${vs('edge-cold')} (without prefetch ${vs('edge-cold-no-prefetch')}), direct ${vs('direct')}.`,
    );
  }
  if (cold) {
    const r = report.comparisons.coldVsDirect?.startupMedianRatio ?? null;
    const why = r === null ? '' : r > 1
      ? ': its misses cross the same WAN, plus the hop through the edge'
      : ' even though its misses cross the same WAN: the edge keeps its origin connections open and viewers starting together share its fetches';
    out.push(`A cold edge (the first viewers after a purge) starts in ${fmtMs(cold.startupMs.median)} (median), ${speedWords(r)} than direct${why}; its misses had a median segment TTFB of ${fmtMs(cold.segmentTtfbMs.median)}.`);
  }
  return out;
}

export const SUMMARY_COLUMNS = [
  'arm', 'started', 'startup p50', '× floor', 'startup p90', 'playlists p50', '1st seg p50', 'decode p50', '1st seg TTFB p50', 'rebuffer p50', 'rebuffer p90', 'stalls',
  'seg TTFB p50', 'seg TTFB p90', 'dl÷dur p50', 'avg kbit/s', 'fatal', 'origin req / 1k',
] as const;

/** One arm's row; `vsFloor` is its startup median ÷ the floor's (undefined for the floor itself, or without one). */
export function summaryRow(s: ArmSummary, vsFloor?: number | null): string[] {
  return [
    s.arm,
    `${s.started}/${s.sessions}`,
    fmtMs(s.startupMs.median),
    vsFloor === undefined ? '' : fmtRatio(vsFloor),
    fmtMs(s.startupMs.p90),
    fmtMs(s.startupBreakdownMs.playlists.median),
    fmtMs(s.startupBreakdownMs.firstSegment.median),
    fmtMs(s.startupBreakdownMs.decode.median),
    fmtMs(s.firstSegmentTtfbMs.median),
    fmtPercent(s.rebufferRatio.median),
    fmtPercent(s.rebufferRatio.p90),
    String(s.stallCount),
    fmtMs(s.segmentTtfbMs.median),
    fmtMs(s.segmentTtfbMs.p90),
    fmtNumber(s.segmentDownloadRatio.median, 3),
    fmtNumber(s.avgBitrateKbps.median, 0),
    String(s.fatalErrors),
    fmtNumber(s.originPer1kViewerRequests, 1),
  ];
}

/** A plain-text table, columns padded to their widest cell. */
export function textTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The emulated distance in words: unknown for a running origin that does not report it, off, or its settings. */
export function wanText(w: { rttMs: number | null; bandwidthMbps: number | null; jitterMs: number | null }): string {
  if (w.rttMs === null) return 'unknown (the target origin\'s /healthz does not report it)';
  if (w.rttMs === 0 && !w.bandwidthMbps && !w.jitterMs) return 'off (no emulated distance)';
  return `rtt ${w.rttMs} ms, ${w.bandwidthMbps ? `${w.bandwidthMbps} Mbit/s per connection` : 'unlimited bandwidth'}, jitter up to ${w.jitterMs ?? 0} ms`;
}

export function formatTerminalSummary(report: CompareReport): string {
  const c = report.conditions;
  const lastMile = c.lastMile.rttMs || c.lastMile.bandwidthMbps ? ` · last mile to the edge: rtt ${c.lastMile.rttMs ?? 0} ms, ${c.lastMile.bandwidthMbps ? `${c.lastMile.bandwidthMbps} Mbit/s` : 'unlimited'}` : '';
  const wan = `WAN to the origin: ${wanText(c.wan)}${lastMile}`;
  return [
    `${report.question}`,
    `${c.content.src} · ${c.sessionsPerArm} sessions × ${c.secondsPerSession} s per arm, ${c.concurrent} at once · ${wan}`,
    '',
    textTable(SUMMARY_COLUMNS, report.arms.map((a) => summaryRow(a.summary, a.name === 'floor' ? undefined : report.comparisons.vsFloor.find((x) => x.arm === a.name)?.startupMedianRatio ?? null))),
    '',
    ...answerText(report),
    ...report.notes.map((n) => `note: ${n}`),
  ].join('\n');
}
