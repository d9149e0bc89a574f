// One Redis or a Redis Cluster (ioredis `Cluster`), chosen by configuration: REDIS_URL or REDIS_CLUSTER_NODES.
import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

const requireHere = createRequire(import.meta.url);
let ioredisModule: typeof import('ioredis') | undefined;

/**
 * ioredis (~20 MB resident) loads with the first client, not with this module: a process that only reads a Redis
 * setting (an edge's cluster primary validating its configuration) never carries it.
 */
function ioredis(): typeof import('ioredis') {
  ioredisModule ??= requireHere('ioredis') as typeof import('ioredis');
  return ioredisModule;
}

export interface ClusterSeed {
  readonly host: string;
  readonly port: number;
}

/** Where the shared tier lives. Credentials and TLS of a cluster come from its `redis[s]://user:pass@` entries. */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly ClusterSeed[]; readonly username?: string; readonly password?: string; readonly tls?: boolean };

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * `host:port,host:port` (or `redis://[user:pass@]host:port` entries): a few nodes of the cluster are enough, the
 * client discovers the others. Throws naming the first bad entry.
 */
export function parseClusterNodes(raw: string): Extract<RedisTarget, { kind: 'cluster' }> {
  const nodes: ClusterSeed[] = [];
  let username: string | undefined;
  let password: string | undefined;
  let tls = false;
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    let hostPort = item;
    if (/^rediss?:\/\//.test(item)) {
      let u: URL;
      try {
        u = new URL(item);
      } catch {
        throw new Error(`cluster node "${item}" is not a valid redis:// URL`);
      }
      if (u.username) username ??= decodeURIComponent(u.username);
      if (u.password) password ??= decodeURIComponent(u.password);
      tls ||= u.protocol === 'rediss:';
      hostPort = u.host;
    }
    const m = HOST_PORT.exec(hostPort);
    const port = Number(m?.[2]);
    if (!m || !(port >= 1 && port <= 65535)) throw new Error(`cluster node "${item.replace(/\/\/[^@/]*@/, '//***@')}" must be host:port`);
    nodes.push({ host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port });
  }
  if (nodes.length === 0) throw new Error('expected at least one host:port');
  return { kind: 'cluster', nodes, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), ...(tls ? { tls } : {}) };
}

/** For logs: never the password. */
export function describeRedisTarget(t: RedisTarget): string {
  return t.kind === 'single' ? t.url.replace(/\/\/[^@/]*@/, '//***@') : `cluster ${t.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
}

export interface RedisClientOptions extends Omit<RedisOptions, 'retryStrategy'> {
  /** Delay before the next reconnect attempt (both kinds); null gives up. */
  readonly retryStrategy?: (attempt: number) => number | null;
}

/**
 * A client for the target with the same options either way. For a cluster, per-connection options (timeouts,
 * credentials) go to every node connection, and reconnecting is the cluster's own retry strategy.
 */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
  const { Cluster, Redis } = ioredis();
  if (target.kind === 'single') return new Redis(target.url, options as RedisOptions);
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: {
      ...perNode,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    clusterRetryStrategy: (times) => retryStrategy?.(times) ?? null,
    // A failed node's slots move to a replica within the cluster's node timeout; re-reading the slot map often finds out.
    slotsRefreshInterval: 5_000,
    slotsRefreshTimeout: 2_000,
  };
  return new Cluster(target.nodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions);
}

/** The connections that hold keys: the client itself, or every master of a cluster (SCAN sees one node at a time). */
export function keyNodes(client: RedisClient): Redis[] {
  return client instanceof ioredis().Cluster ? client.nodes('master') : [client];
}

/**
 * Unlinks keys found on one node, one command per key in a pipeline: a cluster refuses a multi-key command whose keys
 * hash to different slots, even on one node (CROSSSLOT). Returns how many existed.
 */
export async function unlinkEach(node: Redis, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const pipeline = node.pipeline();
  for (const k of keys) pipeline.unlink(k);
  const replies = (await pipeline.exec()) ?? [];
  let removed = 0;
  for (const [err, n] of replies) {
    if (err) throw err;
    if (typeof n === 'number') removed += n;
  }
  return removed;
}
