// The Redis record each edge publishes as a heartbeat and the router reads: who the edges are, where, and how busy.
import type { Cluster, Redis } from 'ioredis';
// zod/mini: the same checks as zod's chained API, in a fraction of its code (every edge loads this module; the full
// zod stays out of an idle edge).
import * as z from 'zod/mini';

/**
 * One edge as it announces itself. `load` is the edge's current count of active requests (the router compares it
 * with its overload threshold); times are epoch milliseconds on the edge's clock.
 */
export const EdgeRecordSchema = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'id must be 1-128 of A-Z a-z 0-9 . _ : -')),
  url: z.url({ protocol: /^https?$/ }).check(z.maxLength(2048)),
  /**
   * Where routers reach the edge for health checks and master playlists when viewers use another address (`url`),
   * e.g. a container name behind a published port. Absent: `url` serves both.
   */
  internalUrl: z.optional(z.url({ protocol: /^https?$/ }).check(z.maxLength(2048))),
  region: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'region must be 1-64 of A-Z a-z 0-9 _ -')),
  // zod 4 numbers are finite already.
  load: z.number().check(z.nonnegative()),
  startedAt: z.int().check(z.nonnegative()),
  ts: z.int().check(z.nonnegative()),
});

export type EdgeRecord = z.infer<typeof EdgeRecordSchema>;

/** A single Redis or a Redis Cluster: every key here shares the `{edges}` hash tag, so multi-key commands stay on one slot. */
export type RegistryRedis = Redis | Cluster;

/** Heartbeat every `ttlMs / 3` or so: a record outlives two missed beats and is gone after the third. */
export const DEFAULT_HEARTBEAT_TTL_MS = 6_000;

export function edgeRecordKey(prefix: string, id: string): string {
  return `${prefix}{edges}:${id}`;
}

/** Sorted set of edge ids (score: when the record expires) so readers list edges without SCAN, which a cluster cannot do in one call. */
export function edgeIndexKey(prefix: string): string {
  return `${prefix}{edges}:index`;
}

/**
 * Writes (or refreshes) an edge's record with a TTL: when the edge stops beating, Redis forgets it by itself.
 * Throws what ioredis throws; callers on a timer log and carry on.
 */
export async function publishHeartbeat(redis: RegistryRedis, prefix: string, record: EdgeRecord, ttlMs: number = DEFAULT_HEARTBEAT_TTL_MS): Promise<void> {
  const valid = EdgeRecordSchema.parse(record);
  const ttl = Math.max(1, Math.round(ttlMs));
  const index = edgeIndexKey(prefix);
  const replies = await redis
    .multi()
    .set(edgeRecordKey(prefix, valid.id), JSON.stringify(valid), 'PX', ttl)
    .zadd(index, valid.ts + ttl, valid.id)
    // Index entries whose record expired long ago (one more TTL of slack covers clock skew between edges).
    .zremrangebyscore(index, '-inf', valid.ts - ttl)
    // The index lives as long as some edge keeps beating.
    .pexpire(index, ttl * 2)
    .exec();
  const failed = replies?.find(([err]) => err !== null);
  if (failed?.[0]) throw failed[0];
}

/** Removes an edge at once (graceful shutdown), instead of waiting for its record to expire. */
export async function removeEdge(redis: RegistryRedis, prefix: string, id: string): Promise<void> {
  await redis.multi().del(edgeRecordKey(prefix, id)).zrem(edgeIndexKey(prefix), id).exec();
}

export interface RegistryRead {
  readonly edges: EdgeRecord[];
  /** Records that did not parse (another version's format, or garbage): skipped, counted for the caller to log. */
  readonly invalid: number;
}

/** Every edge whose record has not expired. Expiry is Redis's own key TTL, so clocks of readers and edges never matter. */
export async function readEdges(redis: RegistryRedis, prefix: string): Promise<RegistryRead> {
  const ids = await redis.zrange(edgeIndexKey(prefix), '0', '-1');
  if (ids.length === 0) return { edges: [], invalid: 0 };
  const values = await redis.mget(...ids.map((id) => edgeRecordKey(prefix, id)));
  const edges: EdgeRecord[] = [];
  let invalid = 0;
  for (const value of values) {
    if (value === null) continue; // expired since the index was read
    const parsed = EdgeRecordSchema.safeParse(parseJson(value));
    if (parsed.success) edges.push(parsed.data);
    else invalid++;
  }
  return { edges, invalid };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
