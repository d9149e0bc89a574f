// The origin SIGKILLed with a warm cache, then restarted: viewers play from the edges; cold objects fail fast.
import { check, viewerChecks, withinMs } from '../fault-result.ts';
import { COLD_SEGMENT, VIEWER_ASSET, warmAsset, withViewers, type StackFault } from '../fault-kit.ts';
import { probe } from '../http-probe.ts';
import type { Stack } from '../stack.ts';
import { msUntil, pause } from '../until.ts';

/** A cold object with the origin gone should fail at once (refused connection), not after a timeout. */
const COLD_LIMIT_MS = 1_000;

async function bothReachOrigin(stack: Stack): Promise<boolean> {
  const health = await Promise.all(stack.edges.map((e) => stack.edgeHealth(e)));
  return health.every((h) => h?.originReachable === true);
}

export const originLoss: StackFault = {
  name: 'origin-loss',
  title: 'origin SIGKILLed with a warm cache, then restarted',
  rule: `0 failed viewer requests and 0 stalls; an uncached object gets a 5xx within ${COLD_LIMIT_MS} ms while the origin is down; both edges see the origin reachable within 5 s of it answering again`,
  stack: 'vod',
  async run(ctx) {
    const { stack } = ctx;
    const [a] = stack.edges;
    await warmAsset(stack.edges, VIEWER_ASSET);
    const run = await withViewers(ctx, `/vod/${VIEWER_ASSET}/master.m3u8`, async () => {
      await stack.origin.kill();
      ctx.say('origin SIGKILLed');
      await pause(500);
      const cold = await probe(`${a.url}${COLD_SEGMENT}`, { timeoutMs: 15_000 });
      await pause(ctx.quick ? 2_500 : 4_500);
      const restartAt = performance.now();
      await stack.origin.start();
      const answeringMs = performance.now() - restartAt;
      const seenMs = await msUntil(() => bothReachOrigin(stack), 15_000, 100);
      ctx.say(`origin answering ${Math.round(answeringMs)} ms after its restart; both edges see it ${seenMs === undefined ? 'never' : `${Math.round(seenMs)} ms later`}`);
      return { cold, answeringMs, seenMs };
    });
    const { cold, answeringMs, seenMs } = run.value;
    const backMs = seenMs === undefined ? undefined : answeringMs + seenMs;
    return {
      viewers: run.totals,
      events: run.events,
      faultAtMs: run.faultAtMs,
      recoveryMs: backMs ?? null,
      recoveryLabel: 'origin restart → both edges see it reachable',
      figures: { originStartMs: Math.round(answeringMs), edgesSeeItAfterMs: seenMs === undefined ? null : Math.round(seenMs), coldObjectStatus: cold.status, coldObjectMs: Math.round(cold.ms * 10) / 10, coldObjectXCache: cold.xCache ?? null },
      checks: [
        ...viewerChecks(run.totals),
        check('uncached object answered 502/504 while the origin is down', cold.status === 502 || cold.status === 504, `${cold.status || cold.error} ${cold.xCache ?? ''}`.trim()),
        withinMs('uncached object answered fast', cold.ms, COLD_LIMIT_MS),
        // The edges probe the origin every 2 s in the background; the origin's own start is not theirs to shorten.
        withinMs('both edges see the origin again once it answers', seenMs, 5_000),
      ],
    };
  },
};
