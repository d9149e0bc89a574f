// The load generators, each driving one URL over fixed keep-alive connections for a fixed time: wrk, autocannon,
// and the project's own `edgeline loadtest --mode max`; each reduced to one shape.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadTestReport } from '../load-test/report.ts';
import { findExecutable, runCommand } from './processes.ts';
import { BIN_PATH, PACKAGE_ROOT } from '../../server/core/package-root.ts';

const REPO_ROOT = PACKAGE_ROOT;
const EDGELINE = BIN_PATH;

export type ToolName = 'wrk' | 'edgeline' | 'autocannon';

export interface ToolRun {
  readonly tool: ToolName;
  readonly requests: number;
  readonly durationS: number;
  readonly requestsPerS: number;
  /** Responses that were not 2xx/3xx, plus connection and read errors. */
  readonly errors: number;
  /** Median latency in ms, when the tool reports it. */
  readonly p50Ms: number | null;
  /** 99th percentile latency in ms, when the tool reports it. */
  readonly p99Ms: number | null;
  /** The tool's main event-loop utilization, when known (the edgeline tool reports it): a saturated tool measures itself. */
  readonly toolEventLoopUtilization: number | null;
}

export interface DriveOptions {
  readonly url: string;
  /**
   * Paths with their queries (the player's CMCD) that wrk sends in turn on the host of `url`, so the server never sees
   * one repeated string; the other tools send `url` alone.
   */
  readonly variants?: readonly string[];
  readonly connections: number;
  readonly durationS: number;
  /** Scratch folder for scripts and reports. */
  readonly scratch: string;
}

/**
 * The wrk script: requests built once in init() and sent in turn, and a done() hook that prints one JSON line
 * (summary.bytes counts heads too, so the benchmark uses body sizes instead).
 */
export function wrkScript(paths: readonly string[]): string {
  for (const p of paths) if (!/^\/[\x21-\x7e]*$/.test(p)) throw new Error(`wrk path must be printable ASCII starting with /: ${JSON.stringify(p)}`);
  const list = paths.map((p) => JSON.stringify(p)).join(', ');
  const rotate = paths.length === 0 ? '' : `local paths = { ${list} }
local reqs = {}
local n = 0
init = function(args)
  for i, p in ipairs(paths) do reqs[i] = wrk.format(nil, p) end
end
request = function()
  n = n % #reqs + 1
  return reqs[n]
end
`;
  return `${rotate}done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
`;
}

export interface WrkInfo {
  readonly path: string;
  readonly version: string;
}

export async function detectWrk(): Promise<WrkInfo | undefined> {
  const path = findExecutable('wrk');
  if (!path) return undefined;
  // `wrk -v` prints its version and usage, then exits 1.
  const { output } = await runCommand(path, ['-v'], 5_000);
  const m = /^wrk\s+(\S+)/m.exec(output);
  return { path, version: m?.[1] ?? 'unknown' };
}

function num(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export async function runWrk(wrk: WrkInfo, o: DriveOptions): Promise<ToolRun> {
  const script = join(o.scratch, 'wrk-report.lua');
  writeFileSync(script, wrkScript(o.variants ?? []));
  const threads = Math.min(2, o.connections);
  const { code, output } = await runCommand(wrk.path, [`-t${threads}`, `-c${o.connections}`, `-d${o.durationS}s`, '--timeout', '10s', '--latency', '-s', script, o.url], (o.durationS + 30) * 1000);
  const line = /^WRKJSON (.*)$/m.exec(output)?.[1];
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}):\n${output.slice(-1000)}`);
  const j = JSON.parse(line) as Record<string, unknown>;
  const durationS = num(j, 'durationUs') / 1e6;
  const requests = num(j, 'requests');
  return {
    tool: 'wrk',
    requests,
    durationS,
    requestsPerS: requests / Math.max(durationS, 1e-3),
    errors: num(j, 'connect') + num(j, 'read') + num(j, 'write') + num(j, 'status') + num(j, 'timeout'),
    p50Ms: num(j, 'p50Us') / 1000,
    p99Ms: num(j, 'p99Us') / 1000,
    toolEventLoopUtilization: null,
  };
}

export const AUTOCANNON = join(REPO_ROOT, 'node_modules', '.bin', 'autocannon');

export async function runAutocannon(o: DriveOptions): Promise<ToolRun> {
  const { code, output } = await runCommand(AUTOCANNON, ['-c', String(o.connections), '-d', String(o.durationS), '-j', '-n', o.url], (o.durationS + 30) * 1000);
  const start = output.indexOf('{"url"');
  if (code !== 0 || start < 0) throw new Error(`autocannon failed (exit ${code}):\n${output.slice(-1000)}`);
  const j = JSON.parse(output.slice(start)) as Record<string, unknown>;
  const reqs = (j['requests'] ?? {}) as Record<string, unknown>;
  const lat = (j['latency'] ?? {}) as Record<string, unknown>;
  const durationS = num(j, 'duration');
  const requests = num(reqs, 'total');
  return {
    tool: 'autocannon',
    requests,
    durationS,
    requestsPerS: requests / Math.max(durationS, 1e-3),
    errors: num(j, 'errors') + num(j, 'timeouts') + num(j, 'non2xx'),
    p50Ms: num(lat, 'p50'),
    p99Ms: num(lat, 'p99'),
    toolEventLoopUtilization: null,
  };
}

/**
 * The project's tool as users run it, `edgeline loadtest --mode max --urls target`, in its own process like wrk and
 * autocannon (its start-up and compilation happen before its measured window); the figures come from its report.json.
 */
export async function runEdgelineMax(o: DriveOptions): Promise<ToolRun> {
  const out = mkdtempSync(join(o.scratch, 'edgeline-max-'));
  try {
    const args = [
      EDGELINE, 'loadtest', '--target', o.url, '--mode', 'max', '--urls', 'target',
      '--connections', String(o.connections), '--duration', `${o.durationS}s`, '--grace', '2s', '--out', out, '--no-progress',
    ];
    const { code, output } = await runCommand(process.execPath, args, (o.durationS + 60) * 1000);
    const file = join(out, 'report.json');
    if (code !== 0 || !existsSync(file)) throw new Error(`edgeline loadtest failed (exit ${code}):\n${output.slice(-1000)}`);
    const report = JSON.parse(readFileSync(file, 'utf8')) as LoadTestReport;
    return {
      tool: 'edgeline',
      requests: report.totals.requests,
      durationS: report.durationS,
      requestsPerS: report.totals.requestsPerS,
      // 4xx and 5xx responses are among the tool's errors already.
      errors: report.totals.errorCount,
      p50Ms: report.latencyMs.all.p50,
      p99Ms: report.latencyMs.all.p99,
      toolEventLoopUtilization: report.toolLoad?.eventLoopUtilization ?? null,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
