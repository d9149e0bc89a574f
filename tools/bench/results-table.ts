// The benchmark's results: one JSON shape, and the Markdown tables printed and written to bench/results/.
import type { ToolName, ToolRun } from './load-tools.ts';

export type Body = 'segment' | 'playlist';
export type Server = 'edge' | 'edge-redis' | 'node' | 'nginx' | 'varnish';
export type HerdServer = 'edge' | 'nginx' | 'varnish' | 'node';

export const SERVER_LABELS: Readonly<Record<Server, string>> = {
  edge: 'edge (memory tier)',
  'edge-redis': 'edge (Redis tier)',
  node: 'node:http from memory',
  nginx: 'nginx proxy_cache',
  varnish: 'Varnish',
};

/** One run of a load tool, with what the server under test spent on it. */
export interface MeasuredRun extends ToolRun {
  /** utime + stime of the server's processes over the run ÷ requests, µs; null when /proc could not tell. */
  readonly cpuUsPerRequest: number | null;
  /** Summed VmRSS of the server's processes at the end of the run, MiB. */
  readonly serverRssMb: number | null;
}

export interface ThroughputCell {
  readonly body: Body;
  readonly bodyBytes: number;
  readonly server: Server;
  readonly tool: ToolName;
  readonly connections: number;
  readonly url: string;
  readonly runs: MeasuredRun[];
  medianRps: number;
  medianP99Ms: number;
  medianCpuUsPerRequest: number;
  medianRssMb: number;
  /** Body bytes only: median req/s × body size. */
  gbitPerS: number;
  errors: number;
}

export interface HerdRep {
  readonly herdPath: string;
  /** Requests for the herd's segment that reached the origin (counted at the delaying proxy). */
  readonly originFetches: number;
  readonly loneOriginFetches: number;
  /** Time to the last byte of the lone cold request, ms. */
  readonly loneMs: number;
  readonly waiterP50Ms: number;
  readonly waiterP99Ms: number;
  readonly waiterMaxMs: number;
  /** The waiters' p50 on each node, in the order of the target's nodes (the first edge usually leads the fill). */
  readonly waiterP50ByNodeMs: readonly number[];
  /** Waiters that failed or got a short body. */
  readonly errors: number;
  /** Why they failed: the status and bytes, or the error code, with how many. */
  readonly failures: Record<string, number>;
  readonly xcache: Record<string, number>;
}

export interface HerdResult {
  readonly server: HerdServer;
  /** A warm herd: the same requests for a segment the target holds in memory, the floor of the cold herds. */
  readonly warm: boolean;
  readonly nodes: number;
  readonly waiters: number;
  readonly originDelayMs: number;
  readonly reps: HerdRep[];
  readonly loneMedianMs: number;
  readonly waiterP50MedianMs: number;
  readonly waiterP99MedianMs: number;
  /** The worst repetition's origin fetches. */
  readonly originFetchesMax: number;
  readonly errors: number;
}

export interface Check {
  readonly section: string;
  readonly figure: string;
  readonly value: string;
  readonly baseline: string;
  /** The figure as a ratio of the baseline, or an absolute figure for targets in ms or MB. */
  readonly ratio: string;
  readonly target: string;
  /** null: shown for information, no target. */
  readonly pass: boolean | null;
}

export interface MissPath {
  readonly ttfbP50Ms: number;
  readonly ttfbP90Ms: number;
  /** Request start to the last byte: a TTFB well below it shows the edge streams the miss instead of storing first. */
  readonly totalP50Ms: number;
  /** X-Cache of the answers (all MISS through an edge when the files were really cold). */
  readonly xcache: Record<string, number>;
  readonly ttfbMs: number[];
}

export interface MissResult {
  readonly count: number;
  readonly segmentBytes: number;
  readonly edge: MissPath;
  readonly origin: MissPath;
  /** The same misses through an edge with --redis none: how much of the overhead is the Redis lookup and fill lock. */
  readonly edgeWithoutRedis: MissPath | null;
  readonly addedP50Ms: number;
  readonly addedP90Ms: number;
  /**
   * The same through the edge and the origin only, alternating: each miss of the edge comes right after the one
   * before it and one origin request, so what the previous fill left for Redis and the edge to finish shows.
   */
  readonly backToBack: { readonly edge: MissPath; readonly origin: MissPath; readonly addedP50Ms: number; readonly addedP90Ms: number } | null;
}

export interface MemoryResult {
  readonly server: Server;
  readonly memoryTierMb: number;
  /** Summed VmRSS when idle (nothing requested yet, 60 s after start). */
  readonly idleMb: number;
  /** Each process when idle. */
  readonly idleProcesses: readonly { readonly name: string; readonly rssMb: number }[];
  /** Each process 2 s after start (what starting up left, before V8's memory reducer ran). */
  readonly startedProcesses?: readonly { readonly name: string; readonly rssMb: number }[];
  readonly peakMb: number;
  /** Summed Pss at the peak (shared pages split between processes). */
  readonly peakPssMb: number;
  readonly peakProcesses: readonly { readonly name: string; readonly rssMb: number }[];
  readonly samples: number;
  readonly budgetMb: number;
}

export interface ViewerResult {
  readonly server: Server;
  readonly target: string;
  readonly viewers: number;
  readonly durationS: number;
  readonly requests: number;
  readonly requestsPerS: number;
  readonly gbitPerS: number;
  readonly errors: number;
  readonly requestHitRatio: number | null;
  readonly byteHitRatio: number | null;
  readonly originRequests: number | null;
  readonly originOffload: number | null;
  readonly startupP50Ms: number;
  readonly segmentP50Ms: number;
  readonly segmentP99Ms: number;
  readonly playlistP50Ms: number;
  readonly stalls: number;
  readonly rebufferingRatio: number | null;
  readonly neverStarted: number;
}

export interface Conditions {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallS: number;
  readonly cpu: string;
  readonly cores: number;
  readonly memGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly git: string | null;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly nginx: string | null;
  readonly varnish: string | null;
  readonly wrk: string | null;
  readonly autocannon: string | null;
  readonly redis: string | null;
  readonly runS: number;
  readonly reps: number;
  /** The connection counts of the hit runs (wrk -t2 -cN). */
  readonly connections: readonly number[];
  readonly edgeWorkers: number;
  readonly edgeMemoryMb: number;
  /** What the edge under test was started with besides its ports, origin and Redis prefix. */
  readonly edgeFlags: string;
  readonly herdWaiters: number;
  readonly originDelayMs: number;
  readonly quick: boolean;
  readonly sections: readonly string[];
  readonly viewerAsset: string | null;
  readonly headlineTool: ToolName;
}

export interface BenchResults {
  readonly benchVersion: 2;
  conditions: Conditions;
  readonly verification: string[];
  readonly throughput: ThroughputCell[];
  miss: MissResult | null;
  readonly herd: HerdResult[];
  readonly memory: MemoryResult[];
  readonly viewers: ViewerResult[];
  readonly checks: Check[];
  readonly notes: string[];
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

export function fmtNum(n: number | null, digits = 2): string {
  return n !== null && Number.isFinite(n) ? n.toFixed(digits) : '—';
}

export function fmtRatio(n: number | null): string {
  return n !== null && Number.isFinite(n) ? `${n.toFixed(2)}×` : '—';
}

function fmtPct(n: number | null): string {
  return n !== null && Number.isFinite(n) ? `${(n * 100).toFixed(1)} %` : '—';
}

export function verdict(pass: boolean | null): string {
  return pass === null ? 'info' : pass ? '**pass**' : '**miss**';
}

/** a ÷ b, or NaN when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number {
  return a !== null && a !== undefined && b !== null && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/** The cell of one figure, when it has runs. */
export function findCell(cells: readonly ThroughputCell[], body: Body, server: Server, tool: ToolName, connections: number): ThroughputCell | undefined {
  return cells.find((t) => t.body === body && t.server === server && t.tool === tool && t.connections === connections && t.runs.length > 0);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function load(l: readonly number[]): string {
  return l.map((n) => n.toFixed(2)).join(' / ');
}

export function renderMarkdown(r: BenchResults): string {
  const c = r.conditions;
  const out: string[] = [];
  out.push(`# Edgeline benchmark, ${c.startedAt.replace('T', ' ').slice(0, 19)} UTC${c.quick ? ' (--quick)' : ''}`, '');
  if (c.quick) out.push('A smoke run (`--quick`): single short runs that check the machinery. Its figures are not measurements; run without `--quick` for those.', '');
  out.push(
    table(
      ['condition', 'value'],
      [
        ['machine', `${c.cpu}, ${c.cores} cores, ${c.memGiB.toFixed(0)} GiB, Linux ${c.kernel}`],
        ['software', `Node ${c.node}; nginx ${c.nginx ?? 'not installed (baseline skipped)'}; Varnish ${c.varnish ?? 'not installed (baseline skipped)'}; wrk ${c.wrk ?? 'not installed'}; autocannon ${c.autocannon ?? 'missing'}; Redis ${c.redis ?? 'unreachable'}`],
        ['commit', c.git ?? 'unknown'],
        ['load average 1/5/15 min', `before ${load(c.loadBefore)}, after ${load(c.loadAfter)}`],
        ['throughput runs', `median of ${c.reps} × ${c.runS} s per figure, ${c.connections.join(' and ')} connections (${c.headlineTool === 'wrk' ? 'wrk -t2' : c.headlineTool}), interleaved, load tool on the same machine; the player's CMCD query on every URL`],
        ['edge', `shipped defaults (${c.edgeFlags}): ${c.edgeWorkers} workers, memory tier ${c.edgeMemoryMb} MiB, access log on`],
        ['herd', `${c.herdWaiters} concurrent cold requests, origin behind a proxy adding ${c.originDelayMs} ms`],
        ['sections', c.sections.join(', ')],
        ['wall time', `${Math.round(c.wallS)} s`],
      ],
    ),
    '',
  );

  if (r.checks.length > 0) {
    out.push('## Targets', '');
    out.push(table(['section', 'figure', 'measured', 'baseline', 'ratio', 'target', 'result'], r.checks.map((k) => [k.section, k.figure, k.value, k.baseline, k.ratio, k.target, verdict(k.pass)])), '');
  }

  const headline = hitsTable(r);
  if (headline.length > 0) out.push(...headline);
  if (r.herd.length > 0) out.push(...herdTable(r.herd));

  if (r.throughput.length > 0) {
    out.push('## Throughput of cache hits, every figure', '');
    out.push(`Median requests/s of ${c.reps} runs (each run in brackets); Gbit/s counts body bytes (median req/s × body size).`, '');
    const rows = r.throughput.map((t) => [
      `${t.body} (${fmtInt(t.bodyBytes)} B)`,
      SERVER_LABELS[t.server],
      `${t.tool} -c${t.connections}`,
      fmtInt(t.medianRps),
      fmtNum(t.gbitPerS),
      fmtNum(t.medianP99Ms, 1),
      fmtNum(t.medianCpuUsPerRequest, 0),
      fmtNum(t.medianRssMb, 0),
      t.runs.map((x) => fmtInt(x.requestsPerS)).join(', '),
      String(t.errors),
    ]);
    out.push(table(['body', 'server', 'tool', 'req/s', 'Gbit/s', 'p99 ms', 'server CPU µs/req', 'server RSS MiB', 'runs', 'errors'], rows), '');
  }

  if (r.miss) {
    const m = r.miss;
    const x = (p: MissPath): string => Object.entries(p.xcache).map(([k, n]) => `${k} ${n}`).join(', ');
    const row = (label: string, p: MissPath): string[] => [label, fmtNum(p.ttfbP50Ms), fmtNum(p.ttfbP90Ms), fmtNum(p.totalP50Ms)];
    out.push(`## Misses: time to first byte of cold ${fmtInt(m.segmentBytes)} B segments (${m.count} per path, one at a time, rotating paths)`, '');
    out.push(
      table(
        ['path', 'TTFB p50 ms', 'TTFB p90 ms', 'last byte p50 ms'],
        [
          row('origin, direct', m.origin),
          row(`through the edge (${x(m.edge)})`, m.edge),
          ...(m.edgeWithoutRedis ? [row(`through an edge with --redis none, for comparison (${x(m.edgeWithoutRedis)})`, m.edgeWithoutRedis)] : []),
          ['added by the edge', fmtNum(m.addedP50Ms), fmtNum(m.addedP90Ms), fmtNum(m.edge.totalP50Ms - m.origin.totalP50Ms)],
          ...(m.backToBack
            ? [
                row('back to back: origin, direct', m.backToBack.origin),
                row(`back to back: through the edge, only the origin between its misses (${x(m.backToBack.edge)})`, m.backToBack.edge),
                ['back to back: added by the edge', fmtNum(m.backToBack.addedP50Ms), fmtNum(m.backToBack.addedP90Ms), fmtNum(m.backToBack.edge.totalP50Ms - m.backToBack.origin.totalP50Ms)],
              ]
            : []),
        ],
      ),
      '',
    );
  }

  if (r.memory.length > 0) {
    out.push('## Memory: resident size of each edge (the primary and every descendant, VmRSS summed, sampled every 250 ms)', '');
    out.push(
      table(
        ['edge', 'memory tier', 'idle', 'idle processes', 'peak', 'Pss at peak', 'processes at peak', 'budget (tier + 150 MiB)'],
        r.memory.map((m) => [
          SERVER_LABELS[m.server],
          `${m.memoryTierMb} MiB`,
          `${fmtNum(m.idleMb, 1)} MiB`,
          m.idleProcesses.map((p) => `${p.name} ${fmtNum(p.rssMb, 0)}`).join(', '),
          `${fmtNum(m.peakMb, 1)} MiB`,
          `${fmtNum(m.peakPssMb, 1)} MiB`,
          m.peakProcesses.map((p) => `${p.name} ${fmtNum(p.rssMb, 0)}`).join(', '),
          `${m.budgetMb} MiB`,
        ]),
      ),
      '',
    );
  }

  if (r.viewers.length > 0) {
    const [edge, node] = [r.viewers.find((v) => v.server === 'edge'), r.viewers.find((v) => v.server === 'node')];
    const first = edge ?? node;
    if (first) {
      out.push(`## Realistic viewers: ${first.viewers} viewers × ${Math.round(first.durationS)} s (edgeline loadtest, ABR) on ${first.target.replace(/^http:\/\/[^/]+/, '')}`, '');
      const row = (label: string, f: (v: ViewerResult) => number | null, fmt: (n: number | null) => string, ratio = true): string[] => {
        const a = edge ? f(edge) : null;
        const b = node ? f(node) : null;
        return [label, fmt(a), fmt(b), ratio && a !== null && b !== null && b !== 0 ? fmtRatio(a / b) : '—'];
      };
      out.push(
        table(
          ['figure', 'edge', 'node:http from memory', 'edge ÷ node'],
          [
            row('requests/s', (v) => v.requestsPerS, (n) => fmtNum(n, 1)),
            row('Gbit/s', (v) => v.gbitPerS, (n) => fmtNum(n, 3)),
            row('errors', (v) => v.errors, (n) => (n === null ? '—' : String(n)), false),
            row('startup p50 ms', (v) => v.startupP50Ms, (n) => fmtNum(n, 1)),
            row('segment latency p50 ms', (v) => v.segmentP50Ms, (n) => fmtNum(n, 2)),
            row('segment latency p99 ms', (v) => v.segmentP99Ms, (n) => fmtNum(n, 2)),
            row('playlist latency p50 ms', (v) => v.playlistP50Ms, (n) => fmtNum(n, 2)),
            row('stalls', (v) => v.stalls, (n) => (n === null ? '—' : String(n)), false),
            row('rebuffering ratio', (v) => v.rebufferingRatio, fmtPct, false),
            row('viewers that never started', (v) => v.neverStarted, (n) => (n === null ? '—' : String(n)), false),
            [ 'cache hit ratio (requests / bytes)', edge ? `${fmtPct(edge.requestHitRatio)} / ${fmtPct(edge.byteHitRatio)}` : '—', 'n/a (always answers from memory)', '—' ],
            [ 'origin requests, offload', edge && edge.originRequests !== null ? `${edge.originRequests}, ${fmtPct(edge.originOffload)}` : '—', 'n/a', '—' ],
          ],
        ),
        '',
      );
    }
  }

  if (r.verification.length > 0) out.push('## Checked before measuring', '', ...r.verification.map((v) => `- ${v}`), '');
  if (r.notes.length > 0) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

const HIT_BASELINES: readonly Server[] = ['nginx', 'varnish', 'node'];

/** The table: per body and connection count, the edge against each baseline (headline tool only). */
function hitsTable(r: BenchResults): string[] {
  const tool = r.conditions.headlineTool;
  const rows: string[][] = [];
  const detail: string[][] = [];
  for (const body of ['segment', 'playlist'] as const) {
    for (const conns of r.conditions.connections) {
      const edge = findCell(r.throughput, body, 'edge', tool, conns);
      if (!edge) continue;
      const base = HIT_BASELINES.map((s) => findCell(r.throughput, body, s, tool, conns));
      const label = `${body} (${fmtInt(edge.bodyBytes)} B), ${conns} conns`;
      rows.push([label, fmtInt(edge.medianRps), ...base.map((b) => fmtInt(b?.medianRps ?? Number.NaN)), ...base.map((b) => fmtRatio(ratio(edge.medianRps, b?.medianRps)))]);
      const all = [edge, ...base];
      detail.push([
        label,
        all.map((c) => fmtNum(c?.medianP99Ms ?? Number.NaN, 1)).join(' / '),
        fmtRatio(ratio(edge.medianP99Ms, base[0]?.medianP99Ms)),
        all.map((c) => fmtNum(c?.medianCpuUsPerRequest ?? Number.NaN, 0)).join(' / '),
        all.map((c) => fmtNum(c?.medianRssMb ?? Number.NaN, 0)).join(' / '),
      ]);
    }
  }
  if (rows.length === 0) return [];
  return [
    `## Warm hits (${tool}, median of ${r.conditions.reps})`,
    '',
    table(['figure', 'edge req/s', 'nginx req/s', 'Varnish req/s', 'node:http req/s', 'edge ÷ nginx', 'edge ÷ Varnish', 'edge ÷ node:http'], rows),
    '',
    table(['figure', 'p99 ms: edge / nginx / Varnish / node', 'edge p99 ÷ nginx p99', 'server CPU µs/req: edge / nginx / Varnish / node', 'RSS MiB: edge / nginx / Varnish / node'], detail),
    '',
  ];
}

const HERD_LABELS: Readonly<Record<HerdServer, string>> = { edge: 'edge', nginx: 'nginx proxy_cache', varnish: 'Varnish', node: 'node:http' };

/** A herd row's target: the server, its node count, and whether it is a warm herd (answered from memory). */
export function herdLabel(h: HerdResult): string {
  return `${HERD_LABELS[h.server]} ×${h.nodes}${h.warm ? ', warm' : ''}`;
}

function herdTable(herd: readonly HerdResult[]): string[] {
  const first = herd[0];
  if (!first) return [];
  return [
    `## Herd: ${first.waiters} concurrent cold requests for one segment, origin ${first.originDelayMs} ms away (median of ${first.reps.length})`,
    '',
    ...(herd.some((h) => h.warm)
      ? ['The warm rows are the floor: the same requests, from the same client, for a segment the target already holds in memory. No fill can make waiters faster than that on this machine.', '']
      : []),
    table(
      ['target', 'origin fetches (each rep)', 'waiters p50 ms', 'waiters p99 ms', 'lone request ms', 'p50 − lone ms', 'failed'],
      herd.map((h) => [
        herdLabel(h),
        h.warm ? '— (from memory)' : h.reps.map((x) => String(x.originFetches)).join(', '),
        fmtNum(h.waiterP50MedianMs, 0),
        fmtNum(h.waiterP99MedianMs, 0),
        fmtNum(h.loneMedianMs, 0),
        fmtNum(h.waiterP50MedianMs - h.loneMedianMs, 0),
        h.errors === 0 ? '0' : `${h.errors} (${[...new Set(h.reps.flatMap((x) => Object.keys(x.failures)))].join('; ')})`,
      ]),
    ),
    '',
  ];
}
