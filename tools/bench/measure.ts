// Measuring helpers: medians, percentiles, resident memory of a process tree, and time to first byte of one request.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] ?? Number.NaN;
}

/** VmRSS of one process in bytes, or 0 when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The process and all its descendants (cluster workers), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    if (p === undefined) break;
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) queue.push(Number(c));
      } catch {
        // the task ended between the two reads
      }
    }
  }
  return out;
}

/** Proportional set size (shared pages split between the processes that map them) in bytes, or 0. */
export function pssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function processName(pid: number, isRoot: boolean): string {
  if (isRoot) return 'primary';
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return comm === 'node' ? 'worker' : comm;
  } catch {
    return 'gone';
  }
}

/** Each process of the tree with its VmRSS now (the root named "primary"). */
export function treeSnapshot(rootPid: number): { name: string; rssBytes: number }[] {
  return processTree(rootPid)
    .map((pid) => ({ name: processName(pid, pid === rootPid), rssBytes: rssBytes(pid) }))
    .filter((p) => p.rssBytes > 0);
}

export interface RssPeak {
  /** Summed VmRSS of the tree at the first sample (just after start). */
  readonly idleBytes: number;
  /** Highest sum over the tree seen in one sample. */
  readonly peakBytes: number;
  /** Summed Pss at that peak: VmRSS counts shared pages (the node binary) once per process, Pss splits them. */
  readonly peakPssBytes: number;
  /** Each process at the peak. */
  readonly peakProcesses: readonly { readonly name: string; readonly rssBytes: number }[];
  readonly samples: number;
}

/** Samples the summed VmRSS of a process tree every `everyMs` until stopped (Linux /proc only). */
export class RssSampler {
  private idleBytes = 0;
  private peakBytes = 0;
  private peakPssBytes = 0;
  private peakProcesses: { name: string; rssBytes: number }[] = [];
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly rootPid: number, everyMs = 250) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const pids = processTree(this.rootPid);
    const each = pids.map((pid) => ({ pid, rss: rssBytes(pid) }));
    const sum = each.reduce((n, p) => n + p.rss, 0);
    if (sum === 0) return;
    if (this.samples === 0) this.idleBytes = sum;
    this.samples += 1;
    if (sum <= this.peakBytes) return;
    // Pss costs a page-table walk: read it only at a new peak.
    this.peakBytes = sum;
    this.peakPssBytes = pids.reduce((n, pid) => n + pssBytes(pid), 0);
    this.peakProcesses = each.map((p) => ({ name: processName(p.pid, p.pid === this.rootPid), rssBytes: p.rss }));
  }

  stop(): RssPeak {
    clearInterval(this.timer);
    return { idleBytes: this.idleBytes, peakBytes: this.peakBytes, peakPssBytes: this.peakPssBytes, peakProcesses: this.peakProcesses, samples: this.samples };
  }
}

export interface Timing {
  readonly status: number;
  /** Request start to the first body byte, ms. */
  readonly ttfbMs: number;
  /** Request start to the last body byte, ms. */
  readonly totalMs: number;
  readonly bytes: number;
  readonly headers: http.IncomingHttpHeaders;
}

/** One GET on a keep-alive agent, timed with the monotonic clock; the body is counted, not kept. */
export function timedGet(agent: http.Agent, url: string, timeoutMs = 10_000): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = -1;
    let bytes = 0;
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      res.on('data', (chunk: Buffer) => {
        if (first < 0) first = performance.now();
        bytes += chunk.length;
      });
      res.once('end', () => {
        const end = performance.now();
        resolve({ status: res.statusCode ?? 0, ttfbMs: (first < 0 ? end : first) - t0, totalMs: end - t0, bytes, headers: res.headers });
      });
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
  });
}
