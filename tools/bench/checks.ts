// The targets of issue 3 ("Speed") and issue 7 ("Benchmark"), judged against the figures of one run.
import type { ToolName } from './load-tools.ts';
import { fmtInt, fmtNum, fmtRatio, SERVER_LABELS, type BenchResults, type Body, type Check, type Server } from './results-table.ts';

interface RatioTarget {
  readonly section: string;
  readonly body: Body;
  readonly server: Server;
  readonly baseline: Server;
  readonly min: number;
}

// Warm memory-tier hits against the baselines, and the Redis tier against the memory tier (issue 3).
const RATIO_TARGETS: readonly RatioTarget[] = [
  { section: 'memory hit', body: 'segment', server: 'edge', baseline: 'nginx', min: 0.8 },
  { section: 'memory hit', body: 'segment', server: 'edge', baseline: 'node', min: 0.9 },
  { section: 'memory hit', body: 'playlist', server: 'edge', baseline: 'nginx', min: 0.5 },
  { section: 'memory hit', body: 'playlist', server: 'edge', baseline: 'node', min: 0.8 },
  { section: 'Redis hit', body: 'segment', server: 'edge-redis', baseline: 'edge', min: 0.3 },
];

export function buildChecks(r: BenchResults): Check[] {
  const checks: Check[] = [];
  const cell = (body: Body, server: Server, tool: ToolName): { rps: number; gbps: number } | undefined => {
    const c = r.throughput.find((t) => t.body === body && t.server === server && t.tool === tool);
    return c && c.runs.length > 0 && Number.isFinite(c.medianRps) ? { rps: c.medianRps, gbps: c.gbitPerS } : undefined;
  };
  const headline = r.conditions.headlineTool;
  const others: ToolName[] = headline === 'wrk' ? ['edgeline'] : [];
  for (const tool of [headline, ...others]) {
    for (const t of RATIO_TARGETS) {
      const a = cell(t.body, t.server, tool);
      const b = cell(t.body, t.baseline, tool);
      if (!a || !b) continue;
      const ratio = a.rps / b.rps;
      const isHeadline = tool === headline;
      checks.push({
        section: `${t.section}${isHeadline ? '' : ` (${tool})`}`,
        figure: `${t.body} req/s, ${SERVER_LABELS[t.server]} ÷ ${SERVER_LABELS[t.baseline]} (${tool})`,
        value: `${fmtInt(a.rps)} req/s, ${fmtNum(a.gbps)} Gbit/s`,
        baseline: `${fmtInt(b.rps)} req/s`,
        ratio: fmtRatio(ratio),
        target: `≥ ${t.min.toFixed(2)}×`,
        // Only the headline tool decides; the other tool's ratio is shown for comparison.
        pass: isHeadline ? ratio >= t.min : null,
      });
    }
  }

  if (r.miss) {
    const m = r.miss;
    for (const [p, added, edge, origin] of [
      ['p50', m.addedP50Ms, m.edge.ttfbP50Ms, m.origin.ttfbP50Ms],
      ['p90', m.addedP90Ms, m.edge.ttfbP90Ms, m.origin.ttfbP90Ms],
    ] as const) {
      checks.push({
        section: 'miss',
        figure: `time to first byte ${p}, cold segment through the edge vs direct`,
        value: `${fmtNum(edge)} ms`,
        baseline: `${fmtNum(origin)} ms`,
        ratio: `+${fmtNum(added)} ms`,
        target: '≤ +2 ms',
        pass: added <= 2,
      });
    }
  }

  for (const m of r.memory) {
    checks.push({
      section: 'memory',
      figure: `peak RSS, ${SERVER_LABELS[m.server]} (all processes)`,
      value: `${fmtNum(m.peakMb, 1)} MiB (Pss ${fmtNum(m.peakPssMb, 1)} MiB)`,
      baseline: `${fmtNum(m.idleMb, 1)} MiB just after start`,
      ratio: '—',
      target: `≤ ${fmtNum(m.budgetMb, 0)} MiB (tier ${m.memoryTierMb} + 150, all processes)`,
      pass: m.peakMb <= m.budgetMb,
    });
  }

  for (const body of ['segment', 'playlist'] as const) {
    const tool = cell(body, 'edge', 'edgeline');
    const ac = cell(body, 'edge', 'autocannon');
    if (!tool || !ac) continue;
    const ratio = tool.rps / ac.rps;
    checks.push({
      section: 'load tool',
      figure: `${body}: edgeline loadtest --mode max ÷ autocannon, same edge`,
      value: `${fmtInt(tool.rps)} req/s`,
      baseline: `${fmtInt(ac.rps)} req/s`,
      ratio: fmtRatio(ratio),
      target: '≥ 1.00×',
      pass: ratio >= 1,
    });
  }

  const viewerEdge = r.viewers.find((v) => v.server === 'edge');
  const viewerNode = r.viewers.find((v) => v.server === 'node');
  if (viewerEdge) {
    checks.push({
      section: 'viewers',
      figure: `${viewerEdge.viewers} viewers through the edge: failed requests`,
      value: String(viewerEdge.errors),
      baseline: viewerNode ? `${viewerNode.errors} (node:http)` : '—',
      ratio: '—',
      target: '0',
      pass: viewerEdge.errors === 0,
    });
    checks.push({
      section: 'viewers',
      figure: 'cache hit ratio (requests) and origin offload',
      value: `${fmtNum(viewerEdge.requestHitRatio === null ? null : viewerEdge.requestHitRatio * 100, 1)} %, offload ${fmtNum(viewerEdge.originOffload === null ? null : viewerEdge.originOffload * 100, 1)} %`,
      baseline: '—',
      ratio: '—',
      target: '—',
      pass: null,
    });
    if (viewerNode) {
      checks.push({
        section: 'viewers',
        figure: 'segment latency p50, edge ÷ node:http',
        value: `${fmtNum(viewerEdge.segmentP50Ms)} ms`,
        baseline: `${fmtNum(viewerNode.segmentP50Ms)} ms`,
        ratio: fmtRatio(viewerEdge.segmentP50Ms / viewerNode.segmentP50Ms),
        target: '—',
        pass: null,
      });
    }
  }
  return checks;
}
