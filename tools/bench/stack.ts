// The project's own servers for the benchmark, started through the real CLI (bin/edgeline.js) as child processes.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startChild, waitReady, type Child } from './processes.ts';

// The bench deletes its Redis keys at the end with the CLI tools' own SCAN + DEL.
export { deleteKeysWithPrefix as deletePrefix } from '../../server/cli/local-probes.ts';

export interface Started {
  readonly child: Child;
  readonly url: string;
}

function cliEnv(): NodeJS.ProcessEnv {
  // The roles log at info by default; warnings are what a benchmark log needs.
  return { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' };
}

export async function startOrigin(o: { repoRoot: string; port: number; mediaDir: string; logDir: string }): Promise<Started> {
  const child = startChild({
    name: 'origin',
    command: process.execPath,
    args: [join(o.repoRoot, 'bin', 'edgeline.js'), 'origin', '--port', String(o.port), '--media', o.mediaDir],
    logFile: join(o.logDir, 'origin.log'),
    env: cliEnv(),
    cwd: o.repoRoot,
  });
  const url = `http://127.0.0.1:${o.port}`;
  await waitReady(child, `${url}/healthz`);
  return { child, url };
}

export interface EdgeStart {
  readonly repoRoot: string;
  readonly name: string;
  readonly port: number;
  readonly originUrl: string;
  /** undefined: memory tier alone (--redis none). */
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  /** undefined: the edge's default memory tier. */
  readonly memoryMb: number | undefined;
  readonly logDir: string;
}

/**
 * The environment of an edge under test: the bench's own, without what would change the edge's shipped defaults
 * (LOG_LEVEL, which gates the access log, and every EDGE_* setting).
 */
export function edgeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (k !== 'LOG_LEVEL' && !k.startsWith('EDGE_')) out[k] = v;
  return out;
}

/** The flags an edge under test gets: where it listens, its origin and Redis, its name; nothing that tunes it. */
export function edgeArgs(o: Pick<EdgeStart, 'port' | 'originUrl' | 'redisUrl' | 'redisPrefix' | 'name' | 'memoryMb'>): string[] {
  const args = ['--port', String(o.port), '--origin', o.originUrl, '--redis', o.redisUrl ?? 'none', '--redis-prefix', o.redisPrefix, '--id', o.name];
  if (o.memoryMb !== undefined) args.push('--memory-mb', String(o.memoryMb));
  return args;
}

export async function startEdge(o: EdgeStart): Promise<Started> {
  const args = [join(o.repoRoot, 'bin', 'edgeline.js'), 'edge', ...edgeArgs(o)];
  // Shipped defaults: info level, so the access log writes a line per request to the log file, as a user's would.
  const env = edgeEnv(process.env);
  const child = startChild({ name: o.name, command: process.execPath, args, logFile: join(o.logDir, `${o.name}.log`), env, cwd: o.repoRoot });
  const url = `http://127.0.0.1:${o.port}`;
  // An edge starts its workers and their pools: on a busy 2-core machine that can take a while.
  await waitReady(child, `${url}/healthz`, 60_000);
  return { child, url };
}

/** The version of the Redis at `url`, or undefined when none answers within a second. */
export async function redisVersion(url: string): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  redis.on('error', () => undefined); // a refused connection is the answer "none", reported by the return value
  try {
    await redis.connect();
    const info = await redis.info('server');
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under the benchmark's private prefix; returns how many. */
