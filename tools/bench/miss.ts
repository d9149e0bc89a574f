// Miss overhead: time to first byte of cold segments through the edge vs other, equally cold ones straight from the
// origin, one request at a time on warm keep-alive connections, rotating the order so noise hits every path alike;
// then the same with the edge and the origin only, so the edge's misses come back to back.
import http from 'node:http';
import { percentile, timedGet } from './measure.ts';
import { SEGMENT_BYTES, type ColdFiles } from './fixtures.ts';
import type { MissPath, MissResult } from './results-table.ts';

/** Rounds requested first and left out of the figures: they open the edges' pools to the origin and warm every path. */
export const MISS_WARMUP = 3;

interface Path {
  readonly name: string;
  readonly base: string;
  readonly files: readonly string[];
  readonly agent: http.Agent;
  readonly ttfb: number[];
  readonly total: number[];
  readonly xcache: Record<string, number>;
}

export async function measureMisses(o: { edgeUrl: string; originUrl: string; noRedisEdgeUrl: string | undefined; cold: ColdFiles; say: (m: string) => void }): Promise<MissResult> {
  const edge = pathOf('edge', o.edgeUrl, o.cold.viaEdge);
  const origin = pathOf('origin', o.originUrl, o.cold.direct);
  const noRedis = o.noRedisEdgeUrl ? pathOf('edge without Redis', o.noRedisEdgeUrl, o.cold.viaEdgeNoRedis) : undefined;
  await rotate(noRedis ? [edge, origin, noRedis] : [edge, origin]);
  const e = summary(edge);
  const d = summary(origin);
  o.say(`misses: origin TTFB p50 ${d.ttfbP50Ms.toFixed(2)} ms, through the edge ${e.ttfbP50Ms.toFixed(2)} ms (${edge.ttfb.length} each)`);
  // Then back to back: only an origin request between two misses of the edge, so the work a fill leaves behind
  // (its store in Redis, the edge's own) meets the next miss, as with a viewer's consecutive cold segments.
  const edgeB = pathOf('edge, back to back', o.edgeUrl, o.cold.backToBackEdge);
  const originB = pathOf('origin, back to back', o.originUrl, o.cold.backToBackDirect);
  await rotate([edgeB, originB]);
  const eb = summary(edgeB);
  const db = summary(originB);
  o.say(`misses back to back: origin TTFB p50 ${db.ttfbP50Ms.toFixed(2)} ms, through the edge ${eb.ttfbP50Ms.toFixed(2)} ms (${edgeB.ttfb.length} each)`);
  return {
    count: edge.ttfb.length,
    segmentBytes: SEGMENT_BYTES,
    edge: e,
    origin: d,
    edgeWithoutRedis: noRedis ? summary(noRedis) : null,
    addedP50Ms: e.ttfbP50Ms - d.ttfbP50Ms,
    addedP90Ms: e.ttfbP90Ms - d.ttfbP90Ms,
    backToBack: { edge: eb, origin: db, addedP50Ms: eb.ttfbP50Ms - db.ttfbP50Ms, addedP90Ms: eb.ttfbP90Ms - db.ttfbP90Ms },
  };
}

function pathOf(name: string, base: string, files: readonly string[]): Path {
  return { name, base, files, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), ttfb: [], total: [], xcache: {} };
}

/** One request at a time, each round starting one path later; the first MISS_WARMUP rounds are left out. */
async function rotate(paths: readonly Path[]): Promise<void> {
  try {
    // Open every client connection before timing anything.
    for (const p of paths) await timedGet(p.agent, `${p.base}/healthz`);
    const rounds = Math.min(...paths.map((p) => p.files.length));
    for (let i = 0; i < rounds; i++) {
      for (let k = 0; k < paths.length; k++) {
        const p = paths[(i + k) % paths.length];
        if (!p) continue;
        const file = p.files[i] ?? '';
        const t = await timedGet(p.agent, `${p.base}${file}`);
        if (t.status !== 200 || t.bytes !== SEGMENT_BYTES) throw new Error(`${p.name} answered ${t.status} with ${t.bytes} bytes for ${file}`);
        if (i < MISS_WARMUP) continue;
        p.ttfb.push(t.ttfbMs);
        p.total.push(t.totalMs);
        const x = String(t.headers['x-cache'] ?? '-');
        p.xcache[x] = (p.xcache[x] ?? 0) + 1;
      }
    }
  } finally {
    for (const p of paths) p.agent.destroy();
  }
}

function summary(p: Path): MissPath {
  return { ttfbP50Ms: percentile(p.ttfb, 50), ttfbP90Ms: percentile(p.ttfb, 90), totalP50Ms: percentile(p.total, 50), xcache: p.xcache, ttfbMs: p.ttfb.map(round3) };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
