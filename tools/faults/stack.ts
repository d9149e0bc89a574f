// The stack a fault runs against: a private Redis, the origin, two edges and a router, started from dist/ through
// bin/edgeline.js on free loopback ports that stay the same across a restart.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../server/cli/local-probes.ts';
import { startChild, tail, waitReady, type Child } from '../bench/processes.ts';
import { probeJson } from './http-probe.ts';
import { killNow } from './kill-now.ts';
import { PrivateRedis } from './private-redis.ts';
import { mustHold } from './until.ts';

export interface StackOptions {
  readonly repoRoot: string;
  readonly mediaDir: string;
  /** Each role's output goes to <logDir>/<name>.log. */
  readonly logDir: string;
  /** A live channel "live" (ffmpeg test pattern) on the origin. */
  readonly live: boolean;
  /** Each edge's memory tier (default 64 MiB). */
  readonly edgeMemoryMb?: number;
}

/** One role of the stack; `start()` again after a kill brings it back on the same port. */
export class Role {
  private child: Child | undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly args: readonly string[],
    private readonly opts: StackOptions,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child || this.child.exited) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined && !this.child.exited;
  }

  async start(): Promise<void> {
    this.child = startChild({
      name: this.name,
      command: process.execPath,
      args: [join(this.opts.repoRoot, 'bin', 'edgeline.js'), ...this.args],
      logFile: join(this.opts.logDir, `${this.name}.log`),
      // Warnings are what a fault's log needs; the per-request lines would only slow the roles down.
      env: { ...process.env, LOG_LEVEL: 'warn' },
      cwd: this.opts.repoRoot,
    });
    await waitReady(this.child, `${this.url}/healthz`, 30_000);
  }

  /** SIGSTOP / SIGCONT / SIGKILL: the faults themselves. */
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void {
    process.kill(this.pid, sig);
  }

  async kill(): Promise<void> {
    if (this.child) await killNow(this.child);
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    // A stopped process cannot act on SIGTERM: let it run first.
    if (!this.child.exited) process.kill(this.child.pid, 'SIGCONT');
    await this.child.stop(5_000);
  }

  logTail(lines = 10): string {
    return this.child ? tail(this.child.logFile, lines) : '(not started)';
  }
}

export const ADMIN_TOKEN = `faults-${randomUUID()}`;

export class Stack {
  readonly redis: PrivateRedis;
  readonly origin: Role;
  readonly edges: readonly [Role, Role];
  readonly router: Role;

  private constructor(redis: PrivateRedis, origin: Role, edges: readonly [Role, Role], router: Role) {
    this.redis = redis;
    this.origin = origin;
    this.edges = edges;
    this.router = router;
  }

  static async start(opts: StackOptions): Promise<Stack> {
    mkdirSync(opts.logDir, { recursive: true });
    const [redisPort, originPort, e1, e2, routerPort] = await distinctFreePorts(5);
    const redis = new PrivateRedis(redisPort ?? 0, opts.logDir);
    const originArgs = ['origin', '--port', String(originPort), '--media', opts.mediaDir];
    if (opts.live) originArgs.push('--live', 'live=sample');
    const origin = new Role('origin', originPort ?? 0, originArgs, opts);
    const prefix = `faults:${randomUUID().slice(0, 8)}:`;
    const edge = (name: string, port: number): Role =>
      new Role(name, port, [
        'edge', '--port', String(port), '--origin', origin.url, '--redis', redis.url, '--redis-prefix', prefix, '--id', name,
        // One process per edge, so SIGKILL of its pid is the death of the edge (no primary left to fork a new worker).
        '--workers', '1', '--admin-token', ADMIN_TOKEN, '--no-access-log', '--memory-mb', String(opts.edgeMemoryMb ?? 64),
      ], opts);
    const edges = [edge('edge-1', e1 ?? 0), edge('edge-2', e2 ?? 0)] as const;
    const router = new Role('router', routerPort ?? 0, ['router', '--port', String(routerPort), ...edges.flatMap((e) => ['--edge', e.url])], opts);
    const stack = new Stack(redis, origin, edges, router);
    try {
      await redis.start();
      await origin.start();
      await Promise.all(edges.map((e) => e.start()));
      await router.start();
      await mustHold('the router to see both edges up', async () => (await stack.routerEdges()).filter((e) => e.status === 'up').length === 2, 15_000);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  /** The router's view of the edges (GET /routing), empty when it does not answer. */
  async routerEdges(asset = 'clip'): Promise<RouterEdge[]> {
    return readRouterEdges(await probeJson(`${this.router.url}/routing?asset=${asset}`, { timeoutMs: 2_000 }));
  }

  /** The edge the router sends `asset`'s viewers to first. */
  async chosenEdge(asset: string): Promise<Role> {
    const routing = await probeJson(`${this.router.url}/routing?asset=${asset}`, { timeoutMs: 2_000 });
    const url = readDecisionUrl(routing);
    const found = this.edges.find((e) => e.url === url);
    if (!found) throw new Error(`fault suite: the router chose no edge of this stack for ${asset} (${url ?? 'none'})`);
    return found;
  }

  async edgeHealth(edge: Role): Promise<EdgeHealth | undefined> {
    return readEdgeHealth(await probeJson(`${edge.url}/healthz`, { timeoutMs: 1_000 }));
  }

  async stop(): Promise<void> {
    await Promise.all([this.router, ...this.edges, this.origin].map((r) => r.stop()));
    await this.redis.stop();
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export interface RouterEdge {
  readonly url: string;
  readonly status: string;
}

export interface EdgeHealth {
  readonly redisConnected: boolean;
  readonly originReachable: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `/routing`'s "edges": [{ url, status }]; anything else reads as no edges. */
export function readRouterEdges(body: unknown): RouterEdge[] {
  if (!isRecord(body) || !Array.isArray(body['edges'])) return [];
  return body['edges'].flatMap((e: unknown) => (isRecord(e) && typeof e['url'] === 'string' && typeof e['status'] === 'string' ? [{ url: e['url'], status: e['status'] }] : []));
}

export function readDecisionUrl(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body['decision']) || !isRecord(body['decision']['edge'])) return undefined;
  const url = body['decision']['edge']['url'];
  return typeof url === 'string' ? url : undefined;
}

/** An edge's `/healthz`: Redis connected with its subscriber, origin reachable (background probe). */
export function readEdgeHealth(body: unknown): EdgeHealth | undefined {
  if (!isRecord(body)) return undefined;
  const redis = body['redis'];
  const origin = body['origin'];
  return {
    redisConnected: isRecord(redis) && redis['connected'] === true && redis['subscriber'] === true,
    originReachable: isRecord(origin) && origin['reachable'] === true,
  };
}
