// Where the shared tier lives (REDIS_URL or REDIS_CLUSTER_NODES), read and printed without loading a Redis client:
// a process that only checks its settings (an edge's cluster primary) never carries ioredis.

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
