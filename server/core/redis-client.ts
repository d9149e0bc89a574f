// One Redis or a Redis Cluster (ioredis `Cluster`), chosen by configuration: REDIS_URL or REDIS_CLUSTER_NODES.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './redis-target.ts';
import { makeStringPrototypeFast } from './string-prototype.ts';

// ioredis subclasses String as it loads (string-prototype.ts), which slows every string method of the process: undo it
// here, once, right after it loaded. The product imports ioredis's classes from this module only.
makeStringPrototypeFast();
export { Cluster, Redis };

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions extends Omit<RedisOptions, 'retryStrategy'> {
  /** Delay before the next reconnect attempt (both kinds); null gives up. */
  readonly retryStrategy?: (attempt: number) => number | null;
}

/**
 * A client for the target with the same options either way. For a cluster, per-connection options (timeouts,
 * credentials) go to every node connection, and reconnecting is the cluster's own retry strategy.
 */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
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
  return client instanceof Cluster ? client.nodes('master') : [client];
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
