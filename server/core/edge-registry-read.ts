// The router's side of the edge registry: every record read from Redis is checked before it is used.
// zod/mini: the same checks as zod's chained API, in a fraction of its code; only the router loads it.
import * as z from 'zod/mini';
import { edgeIndexKey, edgeRecordKey, RECORD_ID, RECORD_REGION, type EdgeRecord, type RegistryRedis } from './edge-registry.ts';

const EdgeRecordSchema = z.object({
  id: z.string().check(z.regex(RECORD_ID, 'id must be 1-128 of A-Z a-z 0-9 . _ : -')),
  url: z.url({ protocol: /^https?$/ }).check(z.maxLength(2048)),
  internalUrl: z.optional(z.url({ protocol: /^https?$/ }).check(z.maxLength(2048))),
  region: z.string().check(z.regex(RECORD_REGION, 'region must be 1-64 of A-Z a-z 0-9 _ -')),
  // zod 4 numbers are finite already.
  load: z.number().check(z.nonnegative()),
  startedAt: z.int().check(z.nonnegative()),
  ts: z.int().check(z.nonnegative()),
}) satisfies z.ZodMiniType<EdgeRecord>;

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
