// The Redis record each edge publishes as a heartbeat and the router reads: who the edges are, where, and how busy.
// The writing side: an edge loads only this (no schema library); the router reads through edge-registry-read.ts.
import type { Cluster, Redis } from 'ioredis';
/**
 * One edge as it announces itself. `load` is the edge's current count of active requests (the router compares it
 * with its overload threshold); times are epoch milliseconds on the edge's clock. Readers check every record they
 * read (`edge-registry-read.ts`, with zod/mini): Redis is shared, and a record may come from another version.
 */
export interface EdgeRecord {
  readonly id: string;
  readonly url: string;
  /**
   * Where routers reach the edge for health checks and master playlists when viewers use another address (`url`),
   * e.g. a container name behind a published port. Absent: `url` serves both.
   */
  readonly internalUrl?: string | undefined;
  readonly region: string;
  readonly load: number;
  readonly startedAt: number;
  readonly ts: number;
}

/** What a record's id and region may be: readers skip any other; the edge refuses them at startup (edge-config.ts). */
export const RECORD_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const RECORD_REGION = /^[A-Za-z0-9_-]{1,64}$/;

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
  const ttl = Math.max(1, Math.round(ttlMs));
  const index = edgeIndexKey(prefix);
  const replies = await redis
    .multi()
    .set(edgeRecordKey(prefix, record.id), JSON.stringify(record), 'PX', ttl)
    .zadd(index, record.ts + ttl, record.id)
    // Index entries whose record expired long ago (one more TTL of slack covers clock skew between edges).
    .zremrangebyscore(index, '-inf', record.ts - ttl)
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
