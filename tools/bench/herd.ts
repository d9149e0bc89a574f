// The herd (issue 11): many viewers ask at once for one cold segment behind a far origin (a delaying proxy). How many
// fetches reach the origin, and how long the waiters take to their last byte against one lone cold request.
import http from 'node:http';
import { median, percentile, timedGet, type Timing } from './measure.ts';
import type { DelayProxy } from './delay-proxy.ts';
import type { HerdRep, HerdResult, HerdServer } from './results-table.ts';

export interface HerdTarget {
  readonly server: HerdServer;
  /** One base URL per node; the waiters are spread over them in turn. */
  readonly nodes: readonly string[];
  /**
   * The floor, not a herd: every request is for `warmPath`, already in the target's memory, so the time is what it
   * takes to send the herd's bytes to this client on this machine with no fill at all.
   */
  readonly warm?: boolean;
}

export interface HerdOptions {
  readonly targets: readonly HerdTarget[];
  readonly proxy: DelayProxy;
  readonly originDelayMs: number;
  readonly waiters: number;
  readonly reps: number;
  /**
   * Never-requested segment paths: WARMUPS_PER_NODE per node first (warm-up), then two per (target, rep), one for the
   * lone request and one for the herd, the untimed warm-up herd counting as a rep.
   */
  readonly coldPaths: readonly string[];
  readonly segmentBytes: number;
  /** The segment a warm target answers from memory (fetched WARMUPS_PER_NODE times per node before the reps). */
  readonly warmPath: string;
  /** Query strings (the player's CMCD) added to the requests in turn. */
  readonly queries: readonly string[];
  readonly say: (msg: string) => void;
  readonly isStopping: () => boolean;
}

/** Opens `n` keep-alive connections to `base` before anything is timed, so the herd measures the fill, not TCP. */
async function openedAgent(base: string, n: number): Promise<http.Agent> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n, keepAliveMsecs: 10_000 });
  await Promise.all(Array.from({ length: n }, () => timedGet(agent, `${base}/healthz`, 15_000)));
  return agent;
}

function check(t: Timing, bytes: number): boolean {
  return t.status === 200 && t.bytes === bytes;
}

async function oneRep(t: HerdTarget, o: HerdOptions, lonePath: string, herdPath: string, q: number): Promise<HerdRep> {
  const query = (i: number): string => (o.queries.length > 0 ? `?${o.queries[(q + i) % o.queries.length]}` : '');
  const first = t.nodes[0];
  if (!first) throw new Error(`herd ${t.server}: no nodes`);
  // The lone cold request, on a connection opened beforehand.
  const loneAgent = await openedAgent(first, 1);
  let lone: Timing;
  try {
    lone = await timedGet(loneAgent, `${first}${lonePath}${query(0)}`, 30_000);
  } finally {
    loneAgent.destroy();
  }
  if (!check(lone, o.segmentBytes)) throw new Error(`herd ${t.server}: the lone request got ${lone.status} with ${lone.bytes} bytes`);

  const perNode = Math.ceil(o.waiters / t.nodes.length);
  const agents = await Promise.all(t.nodes.map((base) => openedAgent(base, perNode)));
  let results: PromiseSettledResult<Timing>[];
  try {
    results = await Promise.allSettled(
      Array.from({ length: o.waiters }, (_, i) => {
        const k = i % t.nodes.length;
        const agent = agents[k];
        const base = t.nodes[k];
        if (!agent || !base) throw new Error('herd: node out of range');
        return timedGet(agent, `${base}${herdPath}${query(i)}`, 30_000);
      }),
    );
  } finally {
    for (const a of agents) a.destroy();
  }
  const ok: number[] = [];
  const byNode: number[][] = t.nodes.map(() => []);
  const xcache: Record<string, number> = {};
  const failures: Record<string, number> = {};
  let errors = 0;
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled' && check(r.value, o.segmentBytes)) {
      ok.push(r.value.totalMs);
      byNode[i % t.nodes.length]?.push(r.value.totalMs);
      const x = String(r.value.headers['x-cache'] ?? r.value.headers['x-cache-status'] ?? '-');
      xcache[x] = (xcache[x] ?? 0) + 1;
    } else {
      errors += 1;
      const why = r.status === 'rejected' ? String((r.reason as NodeJS.ErrnoException).code ?? (r.reason as Error).message).slice(0, 60) : `status ${r.value.status}, ${r.value.bytes} B`;
      failures[why] = (failures[why] ?? 0) + 1;
    }
  }
  const counts = t.warm ? {} : await o.proxy.counts();
  return {
    herdPath,
    originFetches: counts[herdPath] ?? 0,
    loneOriginFetches: counts[lonePath] ?? 0,
    loneMs: lone.totalMs,
    waiterP50Ms: percentile(ok, 50),
    waiterP99Ms: percentile(ok, 99),
    waiterMaxMs: ok.length > 0 ? Math.max(...ok) : Number.NaN,
    waiterP50ByNodeMs: byNode.map((v) => percentile(v, 50)),
    errors,
    failures,
    xcache,
  };
}

/** Cold fetches through each node, on fresh connections, before anything is timed. */
export const WARMUPS_PER_NODE = 4;

/** How many cold segments runHerds needs: `nodes` and `targets` count the cold targets only (a warm-up herd each, then the reps). */
export function herdFilesNeeded(nodes: number, targets: number, reps: number): number {
  return nodes * WARMUPS_PER_NODE + targets * (reps + 1) * 2;
}

export async function runHerds(o: HerdOptions): Promise<HerdResult[]> {
  const reps = new Map<string, HerdRep[]>(o.targets.map((t) => [targetId(t), []]));
  let file = 0;
  const next = (): string => {
    const p = o.coldPaths[file++];
    if (!p) throw new Error('herd: ran out of cold segments');
    return p;
  };
  // A fresh server's first miss pays for compiling its code paths and opening its pools (Redis, the origin):
  // that belongs to neither the lone request nor the herd. Fresh connections reach every worker.
  const fresh = new http.Agent({ keepAlive: false });
  try {
    for (const t of o.targets) {
      for (const base of t.nodes) {
        for (let i = 0; i < WARMUPS_PER_NODE; i++) {
          // A warm target's warm-ups also put the warm segment in every worker's memory.
          const w = await timedGet(fresh, `${base}${t.warm ? o.warmPath : next()}`, 30_000);
          if (!check(w, o.segmentBytes)) throw new Error(`herd ${t.server}: warm-up got ${w.status} with ${w.bytes} bytes`);
        }
      }
    }
  } finally {
    fresh.destroy();
  }
  // Then one untimed herd per target: single misses never run the collapsing paths (local waiters, following
  // another edge through Redis), and their first run in each worker pays for compiling them. Every target gets one.
  for (const t of o.targets) {
    if (o.isStopping()) break;
    const w = t.warm ? await oneRep(t, o, o.warmPath, o.warmPath, 0) : await oneRep(t, o, next(), next(), 0);
    o.say(`herd warm-up ${t.server} ×${t.nodes.length}${t.warm ? ' warm' : ''}: waiters p50 ${w.waiterP50Ms.toFixed(0)} ms (not counted)`);
  }
  for (let rep = 0; rep < o.reps; rep++) {
    // Interleaved, the order rotating each repetition, so drift lands on every target alike.
    for (let k = 0; k < o.targets.length; k++) {
      if (o.isStopping()) break;
      const t = o.targets[(rep + k) % o.targets.length];
      if (!t) continue;
      const r = t.warm ? await oneRep(t, o, o.warmPath, o.warmPath, rep * 7 + k) : await oneRep(t, o, next(), next(), rep * 7 + k);
      reps.get(targetId(t))?.push(r);
      o.say(
        `herd ${rep + 1}/${o.reps} ${t.server} ×${t.nodes.length}${t.warm ? ' warm (the floor)' : `: ${r.originFetches} origin fetch(es)`}, waiters p50 ${r.waiterP50Ms.toFixed(0)} ms (by node ${r.waiterP50ByNodeMs.map((v) => v.toFixed(0)).join(' / ')}) p99 ${r.waiterP99Ms.toFixed(0)} ms, lone ${r.loneMs.toFixed(0)} ms${r.errors > 0 ? `, ${r.errors} failed (${Object.entries(r.failures).map(([k, n]) => `${k}: ${n}`).join('; ')})` : ''}`,
      );
    }
  }
  return o.targets.map((t) => summarizeHerd(t.server, t.nodes.length, o.waiters, o.originDelayMs, reps.get(targetId(t)) ?? [], t.warm === true));
}

function targetId(t: HerdTarget): string {
  return `${t.server}${t.warm ? ' warm' : ''}`;
}

/** Medians over the repetitions; origin fetches as the worst repetition (one extra fetch is a miss of the target). */
export function summarizeHerd(server: HerdServer, nodes: number, waiters: number, originDelayMs: number, reps: readonly HerdRep[], warm = false): HerdResult {
  return {
    server,
    warm,
    nodes,
    waiters,
    originDelayMs,
    reps: [...reps],
    loneMedianMs: median(reps.map((r) => r.loneMs)),
    waiterP50MedianMs: median(reps.map((r) => r.waiterP50Ms)),
    waiterP99MedianMs: median(reps.map((r) => r.waiterP99Ms)),
    originFetchesMax: reps.length > 0 ? Math.max(...reps.map((r) => r.originFetches)) : Number.NaN,
    errors: reps.reduce((n, r) => n + r.errors, 0),
  };
}
