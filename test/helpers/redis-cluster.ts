// A real local Redis Cluster for tests: three `redis-server --cluster-enabled yes` masters on free ports, created with redis-cli.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { waitFor } from './wait-for.ts';

const run = promisify(execFile);

export interface LocalCluster {
  readonly ports: readonly number[];
  /** `127.0.0.1:P1,127.0.0.1:P2,…`: the REDIS_CLUSTER_NODES value. */
  readonly nodes: string;
  stop(): Promise<void>;
}

async function ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined); // refused while a node starts: the caller retries
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/**
 * Starts `size` empty masters (cluster bus on its own free port, since port + 10000 may be taken or out of range),
 * joins them with `redis-cli --cluster create`, and waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(size = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeline-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      const busPort = await freePort();
      ports.push(port);
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports) await waitFor(`redis-server on ${port}`, () => ask(port, async (r) => (await r.ping()) === 'PONG').catch(() => false), { timeoutMs: 10_000, intervalMs: 100 });
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, () => ask(port, async (r) => String(await r.call('CLUSTER', 'INFO')).includes('cluster_state:ok')).catch(() => false), { timeoutMs: 20_000, intervalMs: 100 });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), stop };
}
