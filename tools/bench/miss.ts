// Miss overhead: time to first byte of cold segments through the edge vs other, equally cold ones straight from the
// origin, one request at a time on warm keep-alive connections, rotating the order so noise hits every path alike.
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
  const path = (name: string, base: string, files: readonly string[]): Path => ({ name, base, files, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), ttfb: [], total: [], xcache: {} });
  const edge = path('edge', o.edgeUrl, o.cold.viaEdge);
  const origin = path('origin', o.originUrl, o.cold.direct);
  const noRedis = o.noRedisEdgeUrl ? path('edge without Redis', o.noRedisEdgeUrl, o.cold.viaEdgeNoRedis) : undefined;
  const paths = noRedis ? [edge, origin, noRedis] : [edge, origin];
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
  const summary = (p: Path): MissPath => ({
    ttfbP50Ms: percentile(p.ttfb, 50),
    ttfbP90Ms: percentile(p.ttfb, 90),
    totalP50Ms: percentile(p.total, 50),
    xcache: p.xcache,
    ttfbMs: p.ttfb.map(round3),
  });
  const e = summary(edge);
  const d = summary(origin);
  o.say(`misses: origin TTFB p50 ${d.ttfbP50Ms.toFixed(2)} ms, through the edge ${e.ttfbP50Ms.toFixed(2)} ms (${edge.ttfb.length} each)`);
  return {
    count: edge.ttfb.length,
    segmentBytes: SEGMENT_BYTES,
    edge: e,
    origin: d,
    edgeWithoutRedis: noRedis ? summary(noRedis) : null,
    addedP50Ms: e.ttfbP50Ms - d.ttfbP50Ms,
    addedP90Ms: e.ttfbP90Ms - d.ttfbP90Ms,
  };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
