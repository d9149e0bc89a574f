// Hit throughput: warm every server, check it really answers from the tier under test, then run every (body, server,
// tool) cell once per repetition, interleaved, so drift of a noisy machine lands on all of them alike.
import http from 'node:http';
import { cpuUsPerRequest, treeCpuTicks } from './cpu.ts';
import { median, processTree, rssBytes, timedGet } from './measure.ts';
import { runAutocannon, runEdgelineMax, runWrk, type DriveOptions, type ToolName, type ToolRun, type WrkInfo } from './load-tools.ts';
import { fmtInt, SERVER_LABELS, type Body, type MeasuredRun, type Server, type ThroughputCell } from './results-table.ts';

export interface Endpoint {
  readonly server: Server;
  readonly body: Body;
  readonly bodyBytes: number;
  /** The first URL (with its CMCD query); warm-up, checks and tools without variants use it. */
  readonly url: string;
  /** Paths with queries sent in turn by wrk. */
  readonly variants: readonly string[];
  /** The server's root process: its CPU time and memory are read with all its descendants. */
  readonly pid: number;
}

export interface MatrixContext {
  readonly wrk: WrkInfo | undefined;
  readonly scratch: string;
  readonly runS: number;
  readonly reps: number;
  readonly say: (msg: string) => void;
  /** True once the run was interrupted: no further runs start. */
  readonly isStopping: () => boolean;
  /** Clock ticks per second of /proc/<pid>/stat. */
  readonly ticksPerS: number;
  /** Connections of the untimed warm-up load; 0 skips it (--quick: its figures are no measurement anyway). */
  readonly warmConnections: number;
}

export interface MatrixCell {
  readonly cell: ThroughputCell;
  readonly endpoint: Endpoint;
}

export function cellOf(e: Endpoint, tool: ToolName, connections: number): ThroughputCell {
  return {
    body: e.body, bodyBytes: e.bodyBytes, server: e.server, tool, connections, url: e.url, runs: [],
    medianRps: Number.NaN, medianP99Ms: Number.NaN, medianCpuUsPerRequest: Number.NaN, medianRssMb: Number.NaN, gbitPerS: Number.NaN, errors: 0,
  };
}

function treeRssMb(pid: number): number | null {
  const sum = processTree(pid).reduce((n, p) => n + rssBytes(p), 0);
  return sum > 0 ? sum / 2 ** 20 : null;
}

/** Median of the values that are known. */
function medianOf(values: readonly (number | null)[]): number {
  return median(values.filter((v): v is number => v !== null && Number.isFinite(v)));
}

function drive(tool: ToolName, ctx: MatrixContext, o: DriveOptions): Promise<ToolRun> {
  if (tool === 'wrk') {
    if (!ctx.wrk) throw new Error('wrk is not installed');
    return runWrk(ctx.wrk, o);
  }
  return tool === 'autocannon' ? runAutocannon(o) : runEdgelineMax(o);
}

/** What a warm answer of each server looks like; undefined when it does. */
function whyNotWarm(server: Server, status: number, bytes: number, expectBytes: number, h: http.IncomingHttpHeaders): string | undefined {
  if (status !== 200 || bytes !== expectBytes) return `status ${status}, ${bytes} bytes (expected 200, ${expectBytes})`;
  const xcache = String(h['x-cache'] ?? '');
  const tier = String(h['x-cache-tier'] ?? '');
  switch (server) {
    case 'edge':
      return (xcache === 'HIT' || xcache === 'STALE') && tier === 'memory' ? undefined : `X-Cache ${xcache || '-'}, X-Cache-Tier ${tier || '-'} (expected a memory hit)`;
    case 'edge-redis':
      return (xcache === 'HIT' || xcache === 'STALE') && tier === 'redis' ? undefined : `X-Cache ${xcache || '-'}, X-Cache-Tier ${tier || '-'} (expected a Redis hit)`;
    case 'nginx': {
      const s = String(h['x-cache-status'] ?? '');
      return s === 'HIT' || s === 'UPDATING' || s === 'STALE' ? undefined : `X-Cache-Status ${s || '-'} (expected HIT)`;
    }
    case 'varnish': {
      // A hit carries two transaction ids in X-Varnish (this request's and the one that stored the object).
      const v = String(h['x-varnish'] ?? '');
      return /^\d+ \d+$/.test(v) ? undefined : `X-Varnish ${v || '-'} (expected two ids: a hit)`;
    }
    case 'node':
      return undefined;
  }
}

/**
 * Fills the cache (a few requests on new connections, so each edge worker sees some), runs one short untimed load
 * (JIT, connection pools), then checks that requests on fresh connections are answered from the right tier.
 * Returns a line for the report; `ok` false means the figures of this endpoint are suspect.
 */
export async function warmAndVerify(e: Endpoint, ctx: MatrixContext): Promise<{ ok: boolean; line: string }> {
  const fresh = new http.Agent({ keepAlive: false });
  try {
    for (let i = 0; i < 4; i++) await timedGet(fresh, e.url);
    if (ctx.warmConnections > 0) await runEdgelineMax({ url: e.url, connections: ctx.warmConnections, durationS: 1, scratch: ctx.scratch });
    const problems: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const t = await timedGet(fresh, e.url);
      const why = whyNotWarm(e.server, t.status, t.bytes, e.bodyBytes, t.headers);
      if (why) problems.push(why);
      else seen.add(warmLabel(e.server, t.headers));
    }
    const what = `${SERVER_LABELS[e.server]}, ${e.body}`;
    if (problems.length > 0) return { ok: false, line: `NOT warm: ${what}: ${[...new Set(problems)].join('; ')}` };
    return { ok: true, line: `${what}: 6 requests on new connections answered ${[...seen].join(', ')} with the full ${fmtInt(e.bodyBytes)} B` };
  } finally {
    fresh.destroy();
  }
}

function warmLabel(server: Server, h: http.IncomingHttpHeaders): string {
  switch (server) {
    case 'nginx':
      return `X-Cache-Status ${String(h['x-cache-status'])}`;
    case 'varnish':
      return 'X-Varnish with two ids (hit)';
    case 'node':
      return '200 from memory';
    default:
      return `X-Cache ${String(h['x-cache'])} from ${String(h['x-cache-tier'])}`;
  }
}

export async function runMatrix(matrix: readonly MatrixCell[], ctx: MatrixContext, notes: string[]): Promise<void> {
  const total = matrix.length * ctx.reps;
  let n = 0;
  for (let rep = 1; rep <= ctx.reps; rep++) {
    for (const { cell, endpoint } of matrix) {
      if (ctx.isStopping()) return;
      n += 1;
      const label = `${cell.body} · ${SERVER_LABELS[cell.server]} · ${cell.tool} -c${cell.connections} · run ${rep}/${ctx.reps}`;
      try {
        const before = treeCpuTicks(endpoint.pid);
        const tool = await drive(cell.tool, ctx, { url: cell.url, variants: endpoint.variants, connections: cell.connections, durationS: ctx.runS, scratch: ctx.scratch });
        const after = treeCpuTicks(endpoint.pid);
        const run: MeasuredRun = { ...tool, cpuUsPerRequest: cpuUsPerRequest(before, after, ctx.ticksPerS, tool.requests), serverRssMb: treeRssMb(endpoint.pid) };
        cell.runs.push(run);
        const elu = run.toolEventLoopUtilization !== null && run.toolEventLoopUtilization > 0.9 ? ` (tool event loop ${(run.toolEventLoopUtilization * 100).toFixed(0)} % busy)` : '';
        const p99 = run.p99Ms === null ? '' : `, p99 ${run.p99Ms.toFixed(1)} ms`;
        const cpu = run.cpuUsPerRequest === null ? '' : `, ${run.cpuUsPerRequest.toFixed(0)} µs CPU/req`;
        ctx.say(`throughput ${n}/${total}  ${label}: ${fmtInt(run.requestsPerS)} req/s${p99}${cpu}${run.errors > 0 ? `, ${run.errors} errors` : ''}${elu}`);
      } catch (err) {
        notes.push(`${label} failed: ${(err as Error).message.split('\n')[0]}`);
        ctx.say(`throughput ${n}/${total}  ${label}: FAILED ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  for (const { cell } of matrix) {
    cell.medianRps = median(cell.runs.map((r) => r.requestsPerS));
    cell.medianP99Ms = medianOf(cell.runs.map((r) => r.p99Ms));
    cell.medianCpuUsPerRequest = medianOf(cell.runs.map((r) => r.cpuUsPerRequest));
    cell.medianRssMb = medianOf(cell.runs.map((r) => r.serverRssMb));
    cell.gbitPerS = (cell.medianRps * cell.bodyBytes * 8) / 1e9;
    cell.errors = cell.runs.reduce((s, r) => s + r.errors, 0);
    const busy = cell.runs.filter((r) => r.toolEventLoopUtilization !== null && r.toolEventLoopUtilization > 0.9).length;
    if (busy > 0) notes.push(`${cell.body} · ${SERVER_LABELS[cell.server]} · ${cell.tool}: the tool's event loop was over 90 % busy in ${busy} of ${cell.runs.length} runs, so the tool may have been the limit`);
  }
}
