// The comparison's own CDN: an origin made far by a WAN proxy (`edgeline wan`) and one near edge, as `edgeline` child processes on free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../server/core/errors.ts';
import { deleteKeysWithPrefix, freePort, redisAnswers } from '../../server/cli/local-probes.ts';
import { BIN_PATH } from '../../server/core/package-root.ts';


export interface OwnStackOptions {
  readonly mediaDir: string;
  readonly wan: { readonly rttMs: number; readonly bandwidthMbps: number; readonly jitterMs: number };
  /** A second shaping proxy between the viewers and the edge, when either figure is above 0. */
  readonly lastMile: { readonly rttMs: number; readonly bandwidthMbps: number };
  /** Shared tier for the edge; undefined runs it on its memory tier alone. */
  readonly redisUrl: string | undefined;
  readonly edgeWorkers: number;
  /** Child output goes to {logDir}/origin.log and edge.log. */
  readonly logDir: string;
  readonly startTimeoutMs: number;
  readonly env: Record<string, string | undefined>;
  readonly signal?: AbortSignal;
}

export interface OwnStack {
  /** The origin as the edge and the direct arm see it: behind the WAN proxy. */
  readonly originUrl: string;
  readonly edgeUrl: string;
  /** Where viewers reach the edge: through the last-mile proxy when there is one, else the edge itself. */
  readonly viewerEdgeUrl: string;
  /** The same edge with prefetch off (the edge-cold-no-prefetch arm), with its viewers' URL. */
  readonly noPrefetch: { readonly edgeUrl: string; readonly viewerEdgeUrl: string };
  readonly adminToken: string;
  /** What the edge uses as its shared tier, for the report. */
  readonly edgeTier: string;
  readonly redisPrefix: string | undefined;
  /** Stop both children (SIGTERM, then SIGKILL) and delete the edge's Redis keys. Safe to call twice. */
  stop(): Promise<void>;
}

/** Settings the children must not inherit: each is given explicitly, or would start things the comparison does not want. */
const STRIPPED_ENV = ['PORT', 'HOST', 'LIVE_CHANNELS', 'EDGE_SHIELD_URL', 'EDGE_PUBLIC_URL', 'EDGE_ID', 'REDIS_PREFIX', 'ORIGIN_URL', 'EDGE_WORKERS'];

export function childEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  for (const k of STRIPPED_ENV) delete out[k];
  for (const k of Object.keys(out)) if (k.startsWith('WAN_')) delete out[k];
  out['LOG_LEVEL'] = env['LOG_LEVEL'] ?? 'info';
  return out;
}

export function originArgs(port: number, mediaDir: string): string[] {
  return ['origin', '--port', String(port), '--host', '127.0.0.1', '--media', mediaDir];
}

/** A shaping proxy (`edgeline wan`) on `port` in front of `targetUrl`. */
export function wanArgs(port: number, targetUrl: string, wan: OwnStackOptions['wan']): string[] {
  return ['wan', '--port', String(port), '--target', targetUrl, '--wan-rtt-ms', String(wan.rttMs), '--wan-bandwidth-mbps', String(wan.bandwidthMbps), '--wan-jitter-ms', String(wan.jitterMs)];
}

export function edgeArgs(o: { port: number; originUrl: string; id: string; workers: number; adminToken: string; redisUrl: string | undefined; redisPrefix: string; prefetchSegments?: number }): string[] {
  return [
    'edge', '--port', String(o.port), '--host', '127.0.0.1', '--origin', o.originUrl, '--id', o.id,
    '--workers', String(o.workers), `--admin-token=${o.adminToken}`, // one argument: a token may start with '-'
    '--redis', o.redisUrl ?? 'none', '--redis-prefix', o.redisPrefix,
    ...(o.prefetchSegments === undefined ? [] : ['--prefetch-segments', String(o.prefetchSegments)]),
  ];
}

/** Arguments of the three children, as a pure function of the settings (tested without starting anything). */
export function planStack(o: { mediaDir: string; wan: OwnStackOptions['wan']; lastMile: OwnStackOptions['lastMile']; originPort: number; wanPort: number; edgePort: number; lastMilePort: number; noPrefetchEdgePort: number; noPrefetchLastMilePort: number; redisUrl: string | undefined; redisPrefix: string; edgeWorkers: number; adminToken: string }): { origin: string[]; wan: string[]; edge: string[]; lastMile: string[] | undefined; noPrefetchEdge: string[]; noPrefetchLastMile: string[] | undefined } {
  const origin = originArgs(o.originPort, o.mediaDir);
  const wan = wanArgs(o.wanPort, `http://127.0.0.1:${o.originPort}`, o.wan);
  const edge = edgeArgs({ port: o.edgePort, originUrl: `http://127.0.0.1:${o.wanPort}`, id: 'compare-edge', workers: o.edgeWorkers, adminToken: o.adminToken, redisUrl: o.redisUrl, redisPrefix: o.redisPrefix });
  const hasLastMile = o.lastMile.rttMs > 0 || o.lastMile.bandwidthMbps > 0;
  const lastMile = hasLastMile ? wanArgs(o.lastMilePort, `http://127.0.0.1:${o.edgePort}`, { ...o.lastMile, jitterMs: 0 }) : undefined;
  // The same edge with prefetch off, for the cold arm without it: its own keys under the prefix, so the two never share
  // a cached object (nor a purge), and its own last-mile proxy.
  const noPrefetchEdge = edgeArgs({ port: o.noPrefetchEdgePort, originUrl: `http://127.0.0.1:${o.wanPort}`, id: 'compare-edge-no-prefetch', workers: o.edgeWorkers, adminToken: o.adminToken, redisUrl: o.redisUrl, redisPrefix: `${o.redisPrefix}np:`, prefetchSegments: 0 });
  const noPrefetchLastMile = hasLastMile ? wanArgs(o.noPrefetchLastMilePort, `http://127.0.0.1:${o.noPrefetchEdgePort}`, { ...o.lastMile, jitterMs: 0 }) : undefined;
  return { origin, wan, edge, lastMile, noPrefetchEdge, noPrefetchLastMile };
}

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly log: WriteStream;
  readonly logPath: string;
  readonly exited: Promise<void>;
}

function startChild(name: string, args: string[], env: Record<string, string | undefined>, logDir: string): Child {
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(process.execPath, [BIN_PATH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { name, process: child, log, logPath, exited };
}

async function stopChild(c: Child, graceMs = 5_000): Promise<void> {
  if (c.process.exitCode === null && c.process.signalCode === null) {
    const kill = setTimeout(() => c.process.kill('SIGKILL'), graceMs);
    c.process.kill('SIGTERM');
    await c.exited;
    clearTimeout(kill);
  }
  await new Promise<void>((resolve) => c.log.end(() => resolve()));
}

function logTail(path: string, lines = 8): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Poll /healthz until it answers (any status below 500, or 503 from a node that is up but unhealthy). */
async function waitReady(c: Child, url: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void c.exited.then(() => {
    hasExited = true;
  });
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new AppError('COMPARE_ABORTED', 499, 'comparison interrupted');
    if (hasExited) {
      throw new AppError('COMPARE_STACK_FAILED', 500, `the ${c.name} it started exited (code ${c.process.exitCode ?? c.process.signalCode}); the end of ${c.logPath}:\n${logTail(c.logPath)}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new AppError('COMPARE_STACK_FAILED', 500, `the ${c.name} it started did not answer ${url}/healthz within ${timeoutMs} ms; see ${c.logPath}`);
}

/**
 * `edgeline` children started one after another (each waited for on its /healthz) and stopped together, last first;
 * all of them are SIGKILLed if this process exits before stop().
 */
export class ChildGroup {
  private readonly children: Child[] = [];
  private isStopped = false;
  private readonly onExit = (): void => {
    for (const c of this.children) c.process.kill('SIGKILL');
  };

  constructor(private readonly o: { readonly logDir: string; readonly startTimeoutMs: number; readonly signal?: AbortSignal | undefined }) {
    process.once('exit', this.onExit);
  }

  /** Start `edgeline ...args` (output to {logDir}/{name}.log) and wait until `url`/healthz answers. */
  async start(name: string, args: string[], env: Record<string, string | undefined>, url: string): Promise<void> {
    const c = startChild(name, args, env, this.o.logDir);
    this.children.push(c);
    await waitReady(c, url, this.o.startTimeoutMs, this.o.signal);
  }

  /** SIGTERM (then SIGKILL) each child, the last started first. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    for (const c of [...this.children].reverse()) await stopChild(c);
    process.off('exit', this.onExit);
  }
}

export async function startOwnStack(o: OwnStackOptions): Promise<OwnStack> {
  const [originPort, wanPort, edgePort, lastMilePort, noPrefetchEdgePort, noPrefetchLastMilePort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const adminToken = randomBytes(18).toString('hex');
  const redisUrl = o.redisUrl !== undefined && (await redisAnswers(o.redisUrl)) ? o.redisUrl : undefined;
  // A private prefix: the comparison's cache entries and purges never touch another Edgeline on the same Redis.
  const redisPrefix = `edgeline-compare-${randomBytes(4).toString('hex')}:`;
  const plan = planStack({ mediaDir: o.mediaDir, wan: o.wan, lastMile: o.lastMile, originPort, wanPort, edgePort, lastMilePort, noPrefetchEdgePort, noPrefetchLastMilePort, redisUrl, redisPrefix, edgeWorkers: o.edgeWorkers, adminToken });
  const env = childEnv(o.env);
  // A comparison killed hard must not leave servers behind.
  const children = new ChildGroup({ logDir: o.logDir, startTimeoutMs: o.startTimeoutMs, signal: o.signal });
  const stop = async (): Promise<void> => {
    // The edge first: it would otherwise log the origin going away.
    await children.stop();
    // Best effort: the keys expire with their TTLs anyway.
    if (redisUrl) await deleteKeysWithPrefix(redisUrl, redisPrefix).catch(() => undefined);
  };
  try {
    // One token for both roles it starts: the edge's admin endpoints, and both roles' QoE sessions.
    await children.start('origin', plan.origin, { ...env, ORIGIN_API_TOKEN: adminToken }, `http://127.0.0.1:${originPort}`);
    const farOriginUrl = `http://127.0.0.1:${wanPort}`;
    await children.start('wan', plan.wan, env, farOriginUrl);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    await children.start('edge', plan.edge, env, edgeUrl);
    let viewerEdgeUrl = edgeUrl;
    if (plan.lastMile) {
      viewerEdgeUrl = `http://127.0.0.1:${lastMilePort}`;
      await children.start('last-mile', plan.lastMile, env, viewerEdgeUrl);
    }
    const noPrefetchEdgeUrl = `http://127.0.0.1:${noPrefetchEdgePort}`;
    await children.start('edge-no-prefetch', plan.noPrefetchEdge, env, noPrefetchEdgeUrl);
    let noPrefetchViewerUrl = noPrefetchEdgeUrl;
    if (plan.noPrefetchLastMile) {
      noPrefetchViewerUrl = `http://127.0.0.1:${noPrefetchLastMilePort}`;
      await children.start('last-mile-no-prefetch', plan.noPrefetchLastMile, env, noPrefetchViewerUrl);
    }
    return {
      originUrl: farOriginUrl,
      edgeUrl,
      viewerEdgeUrl,
      noPrefetch: { edgeUrl: noPrefetchEdgeUrl, viewerEdgeUrl: noPrefetchViewerUrl },
      adminToken,
      edgeTier: redisUrl ? `memory + Redis (${redisUrl.replace(/\/\/[^@/]*@/, '//')}, private prefix ${redisPrefix})` : o.redisUrl ? `memory only (Redis at ${o.redisUrl} did not answer)` : 'memory only (--redis none)',
      redisPrefix: redisUrl ? redisPrefix : undefined,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
