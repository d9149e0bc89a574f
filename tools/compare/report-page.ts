// report.html of `edgeline compare`: the answer first, then the summary table, the charts, every session and the conditions.
import { renderHtmlReport, type ChartBlock, type ReportBlock, type ReportDocument, type ReportSection } from '../report/html-report.ts';
import { ARM_NAMES } from './compare-options.ts';
import { QUESTION, type CompareReport } from './compare-report.ts';
import { xCacheLabel } from '../../server/core/qoe/session-store.ts';
import { answerText, fmtMs, fmtNumber, fmtPercent, fmtRatio, speedWords, SUMMARY_COLUMNS, summaryRow, wanText } from './summary-text.ts';

const round = (v: number | null, digits = 1): number | null => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

function answerSection(r: CompareReport): ReportSection {
  const arm = (n: string) => r.arms.find((a) => a.name === n)?.summary;
  const warm = arm('edge-warm');
  const direct = arm('direct');
  const c = r.comparisons.warmVsDirect;
  const items = warm && direct && c
    ? [
        { label: 'startup, median: direct → warm edge', value: `${fmtMs(direct.startupMs.median)} → ${fmtMs(warm.startupMs.median)}` },
        { label: 'startup, median', value: speedWords(c.startupMedianRatio) },
        { label: 'startup, p90: direct → warm edge', value: `${fmtMs(direct.startupMs.p90)} → ${fmtMs(warm.startupMs.p90)}` },
        { label: 'segment TTFB, median: direct → warm', value: `${fmtMs(direct.segmentTtfbMs.median)} → ${fmtMs(warm.segmentTtfbMs.median)}` },
        { label: 'rebuffering ratio: direct → warm', value: `${fmtPercent(direct.pooledRebufferRatio)} → ${fmtPercent(warm.pooledRebufferRatio)}` },
        { label: 'origin requests per 1,000 viewer requests: direct → warm', value: `${fmtNumber(direct.originPer1kViewerRequests, 0)} → ${fmtNumber(warm.originPer1kViewerRequests, 1)}` },
      ]
    : [];
  const blocks: ReportBlock[] = [{ kind: 'figures', items }, ...answerText(r).map((text): ReportBlock => ({ kind: 'text', text }))];
  for (const note of r.notes) blocks.push({ kind: 'text', text: `Note: ${note}` });
  return { heading: QUESTION, blocks };
}

function ratiosTable(r: CompareReport): ReportBlock {
  const rows = [...r.comparisons.vsFloor, r.comparisons.warmVsDirect, r.comparisons.coldVsDirect, r.comparisons.warmVsCold]
    .filter((c) => c !== null)
    .map((c) => [
      `${c.arm} vs ${c.baseline}`,
      fmtRatio(c.startupMedianRatio),
      fmtRatio(c.startupP90Ratio),
      fmtMs(c.startupMedianSavedMs),
      fmtRatio(c.segmentTtfbMedianRatio),
      fmtRatio(c.segmentTtfbP90Ratio),
      fmtRatio(c.segmentDownloadRatioMedianRatio),
      c.rebufferRatioDeltaPoints === null ? '–' : `${c.rebufferRatioDeltaPoints >= 0 ? '+' : ''}${c.rebufferRatioDeltaPoints.toFixed(2)} pt`,
      fmtRatio(c.originPer1kRatio),
    ]);
  return {
    kind: 'table',
    title: 'Ratios (arm ÷ baseline; below 1× is better)',
    columns: ['comparison', 'startup p50', 'startup p90', 'startup saved (p50)', 'seg TTFB p50', 'seg TTFB p90', 'dl÷dur p50', 'rebuffer ratio Δ', 'origin req / 1k'],
    rows,
  };
}

function charts(r: CompareReport): ChartBlock[] {
  const arms = r.arms.map((a) => a.name);
  const perSession = Math.max(0, ...r.arms.map((a) => a.sessions.length));
  const startup: ChartBlock = {
    kind: 'chart',
    title: 'Startup time per arm: each session, and the median',
    type: 'bar',
    xLabel: 'arm',
    labels: arms,
    yLabel: 'startup time (ms)',
    series: [
      ...Array.from({ length: perSession }, (_, i) => ({
        label: `session ${i + 1}`,
        data: r.arms.map((a) => round(a.sessions.find((s) => s.index === i + 1)?.metrics?.startupMs ?? null, 0)),
      })),
      { label: 'median', data: r.arms.map((a) => round(a.summary.startupMs.median, 0)) },
      { label: 'p90', data: r.arms.map((a) => round(a.summary.startupMs.p90, 0)) },
    ],
  };
  const breakdown: ChartBlock = {
    kind: 'chart',
    title: 'Where startup goes (median per arm): playlists, first segment download, decode to playing',
    type: 'bar',
    xLabel: 'arm',
    labels: arms,
    yLabel: 'ms',
    series: [
      { label: 'playlists (play request → first segment requested)', data: r.arms.map((a) => round(a.summary.startupBreakdownMs.playlists.median, 0)) },
      { label: 'first segment (request → last byte)', data: r.arms.map((a) => round(a.summary.startupBreakdownMs.firstSegment.median, 0)) },
      { label: 'decode (last byte → playing)', data: r.arms.map((a) => round(a.summary.startupBreakdownMs.decode.median, 0)) },
    ],
  };
  const rebuffer: ChartBlock = {
    kind: 'chart',
    title: 'Rebuffering per arm',
    type: 'bar',
    xLabel: 'arm',
    labels: arms,
    yLabel: 'rebuffering ratio (%)',
    y2Label: 'stalls per session',
    series: [
      { label: 'rebuffering ratio, all sessions (%)', data: r.arms.map((a) => round(a.summary.pooledRebufferRatio === null ? null : a.summary.pooledRebufferRatio * 100, 3)) },
      { label: 'rebuffering ratio p90 (%)', data: r.arms.map((a) => round(a.summary.rebufferRatio.p90 === null ? null : a.summary.rebufferRatio.p90 * 100, 3)) },
      { label: 'stalls per session', rightAxis: true, data: r.arms.map((a) => round(a.summary.sessions > 0 ? a.summary.stallCount / a.summary.sessions : null, 2)) },
    ],
  };
  const t = r.charts.downloadRatioOverTime;
  const overTime: ChartBlock = {
    kind: 'chart',
    title: `Segment download time ÷ segment duration over the session (median per ${t.binSeconds} s)`,
    type: 'line',
    xLabel: 'seconds since the play request',
    labels: t.labels,
    yLabel: 'download ÷ duration (above 1: slower than real time)',
    series: ARM_NAMES.filter((a) => t.series[a]).map((a) => ({ label: a, data: (t.series[a] ?? []).map((v) => round(v, 4)) })),
  };
  const labels = [...new Set(r.charts.ttfbByXCache.map((g) => g.xCache))];
  const ttfb: ChartBlock = {
    kind: 'chart',
    title: 'Segment TTFB by X-Cache (median; "none" = no X-Cache, i.e. the origin)',
    type: 'bar',
    xLabel: 'X-Cache',
    labels,
    yLabel: 'TTFB (ms)',
    series: arms.map((a) => ({ label: a, data: labels.map((l) => round(r.charts.ttfbByXCache.find((g) => g.arm === a && g.xCache === l)?.ttfbMs.median ?? null, 1)) })),
  };
  const origin: ChartBlock = {
    kind: 'chart',
    title: 'Origin requests per 1,000 viewer requests',
    type: 'bar',
    xLabel: 'arm',
    labels: arms,
    yLabel: 'origin requests per 1,000 viewer requests',
    series: [{ label: 'origin requests / 1,000 viewer requests', data: r.arms.map((a) => round(a.summary.originPer1kViewerRequests, 1)) }],
  };
  return [startup, breakdown, rebuffer, overTime, ttfb, origin];
}

function ttfbTable(r: CompareReport): ReportBlock {
  return {
    kind: 'table',
    title: 'Segment TTFB by arm and X-Cache',
    columns: ['arm', 'X-Cache', 'segments', 'median', 'p90', 'max'],
    rows: r.charts.ttfbByXCache.map((g) => [g.arm, g.xCache, g.ttfbMs.n, fmtMs(g.ttfbMs.median), fmtMs(g.ttfbMs.p90), fmtMs(g.ttfbMs.max)]),
  };
}

function sessionsTable(r: CompareReport): ReportBlock {
  const rows = r.arms.flatMap((a) =>
    a.sessions.map((s) => {
      const m = s.metrics;
      const media = s.segments.filter((g) => !g.isInit);
      const hits = media.filter((g) => xCacheLabel(g.xCache) === 'HIT').length;
      const total = m ? m.stallMs + m.watchMs : 0;
      return [
        a.name, s.index, s.wave, s.sessionId === null ? '–' : s.sessionId.slice(0, 8), s.source,
        fmtMs(m?.startupMs ?? null), fmtMs(m?.firstSegmentTtfbMs ?? null),
        m?.stallCount ?? null, fmtMs(m?.stallMs ?? null), fmtPercent(m && total > 0 ? m.stallMs / total : null),
        m?.avgBitrateKbps === null || m === null ? null : Math.round(m.avgBitrateKbps),
        media.length, hits, s.viewerRequests, s.beacons, m?.fatalErrors ?? null, s.error ?? '',
      ];
    }),
  );
  return {
    kind: 'table',
    title: 'Every session',
    columns: ['arm', '#', 'wave', 'session', 'numbers from', 'startup', '1st seg TTFB', 'stalls', 'stall time', 'rebuffer', 'avg kbit/s', 'segments', 'HITs', 'viewer requests', 'beacons', 'fatal', 'problem'],
    rows,
  };
}

function conditionsSection(r: CompareReport): ReportSection {
  const c = r.conditions;
  const wan = wanText(c.wan);
  const variants = c.content.variants.map((v) => `${v.resolution ?? '?'} @ ${v.bandwidth === null ? '?' : `${Math.round(v.bandwidth / 1000)} kbit/s`}`).join(', ');
  const rows: [string, string][] = [
    ['date', c.date],
    ['WAN emulation (viewers/edge ↔ origin)', wan],
    ['WAN model', c.wan.description],
    ['origin /healthz WAN', JSON.stringify(c.wan.originReports ?? null)],
    ['content', c.content.src],
    ['renditions', variants || '–'],
    ['segment target duration', c.content.targetDurationS === null ? '–' : `${c.content.targetDurationS} s`],
    ['asset duration', c.content.durationS === null ? '–' : `${c.content.durationS.toFixed(1)} s (${c.content.segmentsPerRendition ?? '?'} segments per rendition)`],
    ['sessions per arm', String(c.sessionsPerArm)],
    ['seconds per session (from page open)', String(c.secondsPerSession)],
    ['sessions at once', String(c.concurrent)],
    ['servers', `${c.stack.startedByCompare ? 'started by edgeline compare' : 'running servers given with --origin/--edge'}: origin ${c.stack.originUrl}, edge ${c.stack.edgeUrl}`],
    ['edge cache tiers', `${c.stack.edgeTier}${c.stack.edgeWorkers === null ? '' : `, ${c.stack.edgeWorkers} worker(s)`}`],
    ['cold cache', c.stack.coldCache],
    ['warm cache', c.stack.warmUp],
    ['machine', `${c.machine.cpuModel}, ${c.machine.cores} cores, ${c.machine.memoryGiB} GiB, ${c.machine.os}`],
    ['load average (1 min) at start → end', `${c.machine.loadAverage.start} → ${c.machine.loadAverage.end} on ${c.machine.cores} cores`],
    ['software', `Node ${c.machine.node}, Chromium ${c.machine.chromium} (headless, one fresh context per session)`],
    ['run time', `${c.runSeconds.toFixed(0)} s`],
  ];
  return {
    heading: 'Conditions',
    blocks: [
      { kind: 'table', columns: ['what', 'value'], rows },
      {
        kind: 'text',
        text: 'Everything ran on one machine: the WAN emulation delays and paces the origin\'s responses (to viewers in the direct arm, to the edge in the edge arms); the edge and the viewers are near each other. Browser, servers and ffmpeg share the CPU, so absolute numbers depend on the machine; the differences between arms are what the comparison measures.',
      },
      {
        kind: 'text',
        text: 'Definitions (player/README.md): startup = play request → first frame with the playhead moving; rebuffering ratio = stall time ÷ (stall time + watch time), stalls after startup only; segment TTFB and download time from hls.js loader stats; dl÷dur = download time ÷ segment duration; viewer requests = playlist and segment requests the browser sent; origin requests = the origin\'s hls_origin_http_requests_total for playlists and segments, read before and after each arm.',
      },
    ],
  };
}

export function compareReportDocument(r: CompareReport): ReportDocument {
  return {
    title: 'Edgeline: direct vs cached playback',
    subtitle: `${r.conditions.content.src} · ${r.conditions.sessionsPerArm} sessions × ${r.conditions.secondsPerSession} s per arm · ${r.generatedAt}`,
    sections: [
      answerSection(r),
      { heading: 'Summary', blocks: [{ kind: 'table', columns: [...SUMMARY_COLUMNS], rows: r.arms.map((a) => summaryRow(a.summary, a.name === 'floor' ? undefined : r.comparisons.vsFloor.find((x) => x.arm === a.name)?.startupMedianRatio ?? null)) }, ratiosTable(r)] },
      { heading: 'Charts', blocks: charts(r) },
      { heading: 'Segments by X-Cache', blocks: [ttfbTable(r)] },
      { heading: 'Sessions', blocks: [sessionsTable(r)] },
      conditionsSection(r),
    ],
    data: r,
  };
}

export function renderCompareHtml(r: CompareReport): string {
  return renderHtmlReport(compareReportDocument(r));
}
