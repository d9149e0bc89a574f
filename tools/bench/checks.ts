// The targets of issue 11 ("Done when"), and those of issues 3 and 7 that still hold, judged against one run's figures.
import type { ToolName } from './load-tools.ts';
import { findCell, fmtInt, fmtNum, fmtRatio, ratio, SERVER_LABELS, type BenchResults, type Body, type Check, type Server } from './results-table.ts';

/** 60 MB (10^6 bytes) in MiB, the unit the memory figures are in. */

interface RatioTarget {
  readonly section: string;
  readonly body: Body;
  readonly server: Server;
  readonly baseline: Server;
  readonly connections: number | 'each';
  readonly min: number | null;
}

// Issue 11 "Done when": warm hits of the edge with its shipped defaults against nginx and the node:http ceiling;
// Varnish and the segment ceiling for information. Issue 3: the Redis tier against the memory tier.
const RATIO_TARGETS: readonly RatioTarget[] = [
  { section: 'issue 11 · warm hits', body: 'segment', server: 'edge', baseline: 'nginx', connections: 'each', min: 1.0 },
  { section: 'issue 11 · warm hits', body: 'playlist', server: 'edge', baseline: 'nginx', connections: 'each', min: 0.8 },
  { section: 'issue 11 · warm hits', body: 'playlist', server: 'edge', baseline: 'node', connections: 'each', min: 0.9 },
  { section: 'warm hits', body: 'segment', server: 'edge', baseline: 'node', connections: 'each', min: null },
  { section: 'warm hits', body: 'segment', server: 'edge', baseline: 'varnish', connections: 'each', min: null },
  { section: 'warm hits', body: 'playlist', server: 'edge', baseline: 'varnish', connections: 'each', min: null },
  { section: 'issue 3 · Redis hit', body: 'segment', server: 'edge-redis', baseline: 'edge', connections: 32, min: 0.3 },
];

export function buildChecks(r: BenchResults): Check[] {
  const checks: Check[] = [];
  const headline = r.conditions.headlineTool;
  const others: ToolName[] = headline === 'wrk' ? ['edgeline'] : [];
  for (const tool of [headline, ...others]) {
    for (const t of RATIO_TARGETS) {
      for (const conns of t.connections === 'each' ? r.conditions.connections : [t.connections]) {
        const a = findCell(r.throughput, t.body, t.server, tool, conns);
        const b = findCell(r.throughput, t.body, t.baseline, tool, conns);
        if (!a || !b) continue;
        const x = ratio(a.medianRps, b.medianRps);
        const isHeadline = tool === headline;
        checks.push({
          section: `${t.section}${isHeadline ? '' : ` (${tool})`}`,
          figure: `${t.body} req/s at ${conns} connections, ${SERVER_LABELS[t.server]} ÷ ${SERVER_LABELS[t.baseline]} (${tool})`,
          value: `${fmtInt(a.medianRps)} req/s, ${fmtNum(a.gbitPerS)} Gbit/s`,
          baseline: `${fmtInt(b.medianRps)} req/s`,
          ratio: fmtRatio(x),
          target: t.min === null ? '—' : `≥ ${t.min.toFixed(2)}×`,
          // Only the headline tool decides; the other tool's ratio is shown for comparison.
          pass: isHeadline && t.min !== null ? x >= t.min : null,
        });
      }
    }
  }

  // Tail latency: the playlist at 128 connections decides (issue 11); the others are shown.
  for (const body of ['segment', 'playlist'] as const) {
    for (const conns of r.conditions.connections) {
      const a = findCell(r.throughput, body, 'edge', headline, conns);
      const b = findCell(r.throughput, body, 'nginx', headline, conns);
      if (!a || !b) continue;
      const decides = body === 'playlist' && conns === 128;
      const x = ratio(a.medianP99Ms, b.medianP99Ms);
      checks.push({
        section: decides ? 'issue 11 · tail latency' : 'tail latency',
        figure: `${body} p99 at ${conns} connections, edge ÷ nginx (${headline})`,
        value: `${fmtNum(a.medianP99Ms, 1)} ms`,
        baseline: `${fmtNum(b.medianP99Ms, 1)} ms`,
        ratio: fmtRatio(x),
        target: decides ? '≤ 1.50×' : '—',
        pass: decides ? x <= 1.5 : null,
      });
      const node = findCell(r.throughput, body, 'node', headline, conns);
      // The same target applied to the Node ceiling: whether any node:http server meets it on this machine (its event
      // loop and garbage collector, against nginx's), which tells a tail of the edge's own from the runtime's.
      if (decides && node) {
        checks.push({
          section: 'tail latency',
          figure: `${body} p99 at ${conns} connections, node:http from memory ÷ nginx (${headline}): the Node ceiling's tail`,
          value: `${fmtNum(node.medianP99Ms, 1)} ms`,
          baseline: `${fmtNum(b.medianP99Ms, 1)} ms`,
          ratio: fmtRatio(ratio(node.medianP99Ms, b.medianP99Ms)),
          target: '—',
          pass: null,
        });
      }
      const cpuA = a.medianCpuUsPerRequest;
      const cpuB = b.medianCpuUsPerRequest;
      checks.push({
        section: 'server CPU',
        figure: `${body} at ${conns} connections: server CPU µs per request, edge ÷ nginx`,
        value: `${fmtNum(cpuA, 0)} µs`,
        baseline: `${fmtNum(cpuB, 0)} µs (node:http ${fmtNum(node?.medianCpuUsPerRequest ?? Number.NaN, 0)} µs)`,
        ratio: fmtRatio(ratio(cpuA, cpuB)),
        target: '—',
        pass: null,
      });
    }
  }

  const herdEdge = r.herd.find((h) => h.server === 'edge' && !h.warm);
  const coldOthers = r.herd.filter((h) => h.server !== 'edge' && !h.warm);
  if (herdEdge) {
    const other = coldOthers.map((h) => `${h.server} ${h.reps.map((x) => x.originFetches).join('/')}`).join(', ');
    checks.push({
      section: 'issue 11 · herd',
      figure: `origin fetches for one segment asked by ${herdEdge.waiters} viewers at once over ${herdEdge.nodes} edges (worst repetition)`,
      value: `${herdEdge.reps.map((x) => x.originFetches).join(', ')}`,
      baseline: other || '—',
      ratio: '—',
      target: '1',
      pass: herdEdge.originFetchesMax === 1 && herdEdge.errors === 0,
    });
    const gap = herdEdge.waiterP50MedianMs - herdEdge.loneMedianMs;
    const others = coldOthers.map((h) => `${h.server} p50 ${fmtNum(h.waiterP50MedianMs, 0)} ms`).join(', ');
    checks.push({
      section: 'issue 11 · herd',
      figure: `waiters' time to last byte p50 − a lone cold request (edge ×${herdEdge.nodes})`,
      value: `p50 ${fmtNum(herdEdge.waiterP50MedianMs, 0)} ms (p99 ${fmtNum(herdEdge.waiterP99MedianMs, 0)} ms)`,
      baseline: `lone ${fmtNum(herdEdge.loneMedianMs, 0)} ms${others ? `; ${others}` : ''}`,
      ratio: `+${fmtNum(gap, 0)} ms`,
      target: '≤ +100 ms',
      pass: gap <= 100,
    });
    const floor = r.herd.find((h) => h.server === 'node' && h.warm);
    if (floor) {
      // What the fill adds: the origin's delay comes before any byte, and sending the herd's bytes takes at least the
      // floor; whatever the waiters take beyond both is the edges' doing. Two floors: its p50, and its p99, about the
      // time the whole herd's bytes take. A cold herd's waiters all get their first bytes at once, when the origin
      // answers, and then share the machine (and this one client) fairly, so the median one ends about when the last
      // one does: the p99 floor is the bound for it, the p50 floor a bound no fair sender reaches.
      const edgeWarm = r.herd.find((h) => h.server === 'edge' && h.warm);
      const beyond = herdEdge.waiterP50MedianMs - (herdEdge.originDelayMs + floor.waiterP50MedianMs);
      const beyondAll = herdEdge.waiterP50MedianMs - (herdEdge.originDelayMs + floor.waiterP99MedianMs);
      const signed = (ms: number): string => `${ms >= 0 ? '+' : ''}${fmtNum(ms, 0)} ms`;
      checks.push({
        section: 'issue 11 · herd',
        figure: `the floor: the same ${floor.waiters} requests for a segment held in memory by node:http ×${floor.nodes} (lone ${fmtNum(floor.loneMedianMs, 0)} ms)`,
        value: `p50 ${fmtNum(floor.waiterP50MedianMs, 0)} ms (p99 ${fmtNum(floor.waiterP99MedianMs, 0)} ms)`,
        baseline: edgeWarm ? `warm edge ×${edgeWarm.nodes}: p50 ${fmtNum(edgeWarm.waiterP50MedianMs, 0)} ms` : '—',
        ratio: `edge waiters p50 − (origin ${herdEdge.originDelayMs} ms + floor p50) = ${signed(beyond)}; − (origin + floor p99, every waiter at once) = ${signed(beyondAll)}`,
        target: '—',
        pass: null,
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
    if (m.backToBack) {
      checks.push({
        section: 'miss',
        figure: 'time to first byte p50, misses back to back (edge and origin alternating, no third path between)',
        value: `${fmtNum(m.backToBack.edge.ttfbP50Ms)} ms`,
        baseline: `${fmtNum(m.backToBack.origin.ttfbP50Ms)} ms`,
        ratio: `+${fmtNum(m.backToBack.addedP50Ms)} ms`,
        target: '—',
        pass: null,
      });
    }
  }

  for (const m of r.memory) {
    if (m.server === 'edge' && m.idleProcesses.length > 0) {
      const biggest = m.idleProcesses.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
      const started = (m.startedProcesses ?? []).map((p) => `${p.name} ${fmtNum(p.rssMb, 0)}`).join(', ');
      const idle = {
        figure: 'idle edge process, the largest (VmRSS, 60 s after start, nothing requested)',
        value: `${fmtNum(biggest.rssMb, 1)} MiB (${biggest.name})`,
        baseline: `${m.idleProcesses.map((p) => `${p.name} ${fmtNum(p.rssMb, 0)}`).join(', ')}${started ? `; 2 s after start: ${started}` : ''}`,
        ratio: '—',
      };
      for (const [section, mb] of [['issue 10 · memory', 70], ['issue 11 · memory', 60]] as const) {
        const mib = (mb * 1e6) / 2 ** 20;
        checks.push({ section, ...idle, target: `≤ ${mb} MB (${fmtNum(mib, 1)} MiB)`, pass: biggest.rssMb <= mib });
      }
    }
    checks.push({
      section: m.server === 'edge' ? 'issue 11 · memory' : 'memory',
      figure: `peak RSS under load, ${SERVER_LABELS[m.server]} (all processes)`,
      value: `${fmtNum(m.peakMb, 1)} MiB (Pss ${fmtNum(m.peakPssMb, 1)} MiB)`,
      baseline: `${fmtNum(m.idleMb, 1)} MiB idle`,
      ratio: '—',
      target: `≤ ${fmtNum(m.budgetMb, 0)} MiB (tier ${m.memoryTierMb} + 150, all processes)`,
      pass: m.peakMb <= m.budgetMb,
    });
  }

  for (const body of ['segment', 'playlist'] as const) {
    const tool = findCell(r.throughput, body, 'edge', 'edgeline', 32);
    const ac = findCell(r.throughput, body, 'edge', 'autocannon', 32);
    if (!tool || !ac) continue;
    const x = ratio(tool.medianRps, ac.medianRps);
    checks.push({
      section: 'load tool',
      figure: `${body}: edgeline loadtest --mode max ÷ autocannon, same edge`,
      value: `${fmtInt(tool.medianRps)} req/s`,
      baseline: `${fmtInt(ac.medianRps)} req/s`,
      ratio: fmtRatio(x),
      target: '≥ 1.00×',
      pass: x >= 1,
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
  // Issue 11's "Done when" first, then the other targets, then what is shown for information (stable within each).
  const rank = (k: Check): number => (k.section.startsWith('issue 11') ? 0 : k.pass !== null ? 1 : 2);
  return checks.sort((a, b) => rank(a) - rank(b));
}
