// One edge SIGKILLed during playback: the router notices, and its viewers move to the other edge's pathway.
import { check, viewerChecks, withinMs } from '../fault-result.ts';
import { VIEWER_ASSET, warmAsset, withViewers, type StackFault } from '../fault-kit.ts';
import { msUntil } from '../until.ts';

/** The router checks every second and drops an edge at once on a refused connection. */
const NOTICE_LIMIT_MS = 3_000;

export const edgeLoss: StackFault = {
  name: 'edge-loss',
  title: "the viewers' edge SIGKILLed during playback",
  rule: `0 failed viewer requests and 0 stalls (a request the dead edge refused and the next pathway answered is a failover, not a failure); the router marks the edge down within ${NOTICE_LIMIT_MS} ms; every viewer ends on the surviving edge`,
  stack: 'vod',
  async run(ctx) {
    const { stack } = ctx;
    await warmAsset(stack.edges, VIEWER_ASSET);
    const victim = await stack.chosenEdge(VIEWER_ASSET);
    const survivor = stack.edges.find((e) => e !== victim);
    const run = await withViewers(ctx, `/vod/${VIEWER_ASSET}/master.m3u8`, async (pool) => {
      const onVictim = pool.edges().get(victim.url) ?? 0;
      await victim.kill();
      const noticeMs = await msUntil(async () => (await stack.routerEdges()).some((e) => e.url === victim.url && e.status !== 'up'), 10_000, 25);
      ctx.say(`${victim.name} SIGKILLed (${onVictim} viewers on it); router noticed after ${noticeMs === undefined ? 'never' : `${Math.round(noticeMs)} ms`}`);
      return { onVictim, noticeMs, pool };
    });
    const { onVictim, noticeMs, pool } = run.value;
    const after = pool.edges();
    const left = after.get(victim.url) ?? 0;
    return {
      viewers: run.totals,
      events: run.events,
      faultAtMs: run.faultAtMs,
      recoveryMs: noticeMs ?? null,
      recoveryLabel: 'SIGKILL → router marks the edge down',
      figures: {
        viewersOnKilledEdge: onVictim,
        viewersLeftOnKilledEdge: left,
        viewersOnSurvivor: survivor ? (after.get(survivor.url) ?? 0) : null,
        requestsFailedOver: run.totals.failedOver,
      },
      checks: [
        ...viewerChecks(run.totals),
        withinMs('router notices the dead edge', noticeMs, NOTICE_LIMIT_MS),
        check('viewers were on the killed edge', onVictim > 0, `${onVictim} of ${run.totals.viewers}`),
        check('every viewer moved off it', left === 0, `${left} left`),
      ],
    };
  },
};
