// Redis SIGKILLed under load and restarted empty: viewers keep playing, and a purge issued afterwards purges.
import { check, viewerChecks, withinMs } from '../fault-result.ts';
import { PROBE_SEGMENT, readCounter, VIEWER_ASSET, warmAsset, warmUntilHit, withViewers, type StackFault } from '../fault-kit.ts';
import { probe, probeJson } from '../http-probe.ts';
import { ADMIN_TOKEN, type Role, type Stack } from '../stack.ts';
import { msUntil, pause } from '../until.ts';

const RESYNC = ['hls_edge_purges_total', 'source="resync"'] as const;

/** POST a purge to one edge and poll it until Completed; ms it took, or undefined. */
async function purgeAndWait(edge: Role, path: string, timeoutMs: number): Promise<number | undefined> {
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const started = performance.now();
  const created = await probeJson(`${edge.url}/_edge/invalidations`, { method: 'POST', headers: auth, body: JSON.stringify({ paths: [path] }) });
  const id = typeof created === 'object' && created !== null ? (created as Record<string, unknown>)['id'] : undefined;
  if (typeof id !== 'string') throw new Error(`fault suite: ${edge.name} did not accept the purge of ${path}`);
  const done = await msUntil(async () => {
    const s = await probeJson(`${edge.url}/_edge/invalidations/${encodeURIComponent(id)}`, { headers: auth, timeoutMs: 2_000 });
    return typeof s === 'object' && s !== null && (s as Record<string, unknown>)['status'] === 'Completed';
  }, timeoutMs, 100);
  return done === undefined ? undefined : performance.now() - started;
}

async function bothRedisConnected(stack: Stack): Promise<boolean> {
  const health = await Promise.all(stack.edges.map((e) => stack.edgeHealth(e)));
  return health.every((h) => h?.redisConnected === true);
}

export const redisLoss: StackFault = {
  name: 'redis-loss',
  title: 'Redis SIGKILLed and restarted empty',
  rule: '0 failed viewer requests and 0 stalls; both edges back on Redis within 10 s; a purge issued after the restart completes and the next request for the purged object is a MISS on the edge asked first and no memory-tier HIT on the other',
  stack: 'vod',
  async run(ctx) {
    const { stack } = ctx;
    const [a, b] = stack.edges;
    await warmAsset(stack.edges, VIEWER_ASSET);
    const resyncBefore = await Promise.all(stack.edges.map((e) => readCounter(e, ...RESYNC)));
    const run = await withViewers(ctx, `/vod/${VIEWER_ASSET}/master.m3u8`, async () => {
      await stack.redis.kill();
      await pause(ctx.quick ? 1_000 : 2_000);
      ctx.say('Redis SIGKILLed; restarting it empty');
      await stack.redis.start();
      const backMs = await msUntil(() => bothRedisConnected(stack), 15_000);
      // Each edge finds the new epoch and drops its memory tier once; only after that is a warm copy a real test.
      await msUntil(async () => {
        const now = await Promise.all(stack.edges.map((e) => readCounter(e, ...RESYNC)));
        return now.every((n, i) => n !== undefined && n > (resyncBefore[i] ?? 0));
      }, 15_000, 100);
      for (const edge of stack.edges) await warmUntilHit(edge, PROBE_SEGMENT);
      ctx.say(`Redis back after ${backMs === undefined ? 'never' : `${Math.round(backMs)} ms`}; purging ${PROBE_SEGMENT}`);
      const purgeMs = await purgeAndWait(a, PROBE_SEGMENT, 20_000);
      const first = await probe(`${a.url}${PROBE_SEGMENT}`);
      const second = await probe(`${b.url}${PROBE_SEGMENT}`);
      return { backMs, purgeMs, first, second };
    });
    const { backMs, purgeMs, first, second } = run.value;
    const resyncAfter = await Promise.all(stack.edges.map((e) => readCounter(e, ...RESYNC)));
    return {
      viewers: run.totals,
      events: run.events,
      faultAtMs: run.faultAtMs,
      recoveryMs: backMs ?? null,
      recoveryLabel: 'Redis restart → both edges connected',
      figures: {
        purgeCompletedMs: purgeMs === undefined ? null : Math.round(purgeMs),
        nextRequestEdge1: `${first.status} ${first.xCache ?? '-'}`,
        nextRequestEdge2: `${second.status} ${second.xCache ?? '-'} (${second.tier ?? '-'})`,
        memoryDropsOnNewEpoch: resyncAfter.reduce<number>((n, v, i) => n + (v ?? 0) - (resyncBefore[i] ?? 0), 0),
      },
      checks: [
        ...viewerChecks(run.totals),
        withinMs('both edges back on Redis', backMs, 10_000),
        withinMs('purge after the restart Completed', purgeMs, 20_000),
        check(`next request on ${a.name} is a MISS`, first.status === 200 && first.xCache === 'MISS', `${first.status} ${first.xCache ?? '-'}`),
        check(`${b.name} does not answer the purged copy from memory`, second.status === 200 && second.tier !== 'memory', `${second.status} ${second.xCache ?? '-'} from ${second.tier ?? '-'}`),
      ],
    };
  },
};
