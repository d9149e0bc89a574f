// The origin SIGSTOPped for 6 s under load: the router keeps answering, and an edge answers an expired live
// playlist from its stale copy quickly (issue 14's "serve stale fast").
import { check, viewerChecks, withinMs } from '../fault-result.ts';
import { LIVE_CHANNEL, liveMediaPath, VIEWER_ASSET, warmAsset, withViewers, type StackFault } from '../fault-kit.ts';
import { probe, type Probed } from '../http-probe.ts';
import { msUntil, pause } from '../until.ts';

const FREEZE_MS = 6_000;
const LIVE_LIMIT_MS = 2_500;
/** The origin sends live playlists with max-age = ½ target duration: 1 s for the 2 s segments of the sample channel. */
const LIVE_MAX_AGE_MS = 1_000;

export const originFreeze: StackFault = {
  name: 'origin-freeze',
  title: 'origin SIGSTOPped for 6 s, then SIGCONT',
  rule: `0 failed viewer requests and 0 stalls; the router answers 200 for the cached asset's master playlist throughout and keeps at least one edge up; an edge answers an expired live playlist with 200 within ${LIVE_LIMIT_MS} ms`,
  stack: 'live',
  async run(ctx) {
    const { stack } = ctx;
    const [a] = stack.edges;
    await warmAsset(stack.edges, VIEWER_ASSET);
    const livePath = await liveMediaPath(a, LIVE_CHANNEL);
    const run = await withViewers(ctx, `/vod/${VIEWER_ASSET}/master.m3u8`, async () => {
      // A fresh copy of the live playlist in the edge, then the freeze: the copy expires while the origin is stopped.
      const warm = await probe(`${a.url}${livePath}`);
      if (!warm.ok) throw new Error(`fault suite: ${a.name} answered the live playlist ${warm.status || warm.error}`);
      const warmAt = performance.now();
      stack.origin.signal('SIGSTOP');
      const frozenAt = performance.now();
      ctx.say(`origin SIGSTOPped for ${FREEZE_MS / 1000} s`);
      let frozen = true;
      const masters: Probed[] = [];
      let fewestUp = Number.POSITIVE_INFINITY;
      const routerLoop = (async () => {
        while (frozen) {
          const [m, edges] = await Promise.all([probe(`${stack.router.url}/vod/${VIEWER_ASSET}/master.m3u8`, { timeoutMs: 5_000 }), stack.routerEdges()]);
          masters.push(m);
          fewestUp = Math.min(fewestUp, edges.filter((e) => e.status === 'up').length);
          await pause(250);
        }
      })();
      const liveProbe = (async () => {
        await pause(Math.max(0, warmAt + LIVE_MAX_AGE_MS + 200 - performance.now()));
        const r = await probe(`${a.url}${livePath}`, { timeoutMs: 15_000 });
        return { ...r, answeredAt: performance.now() };
      })();
      await pause(Math.max(0, frozenAt + FREEZE_MS - performance.now()));
      stack.origin.signal('SIGCONT');
      frozen = false;
      const continuedAt = performance.now();
      const [live] = await Promise.all([liveProbe, routerLoop]);
      // Recovered when the edge gets a live playlist from the origin again (not its stale copy).
      const backMs = await msUntil(async () => {
        const r = await probe(`${a.url}${livePath}`, { timeoutMs: 5_000 });
        return r.ok && r.xCache !== 'STALE';
      }, 15_000, 100);
      return { live, masters, fewestUp, backMs: backMs === undefined ? undefined : performance.now() - continuedAt, liveAfterSigcont: live.answeredAt >= continuedAt };
    });
    const { live, masters, fewestUp, backMs, liveAfterSigcont } = run.value;
    const masterFailures = masters.filter((m) => m.status !== 200).length;
    const slowestMaster = Math.max(0, ...masters.map((m) => m.ms));
    return {
      viewers: run.totals,
      events: run.events,
      faultAtMs: run.faultAtMs,
      recoveryMs: backMs ?? null,
      recoveryLabel: 'SIGCONT → the edge serves the live playlist fresh',
      figures: {
        liveExpiredPlaylistMs: Math.round(live.ms),
        liveExpiredPlaylist: `${live.status || live.error} ${live.xCache ?? ''}`.trim(),
        // Answered only once the origin ran again: the edge waited on the origin instead of serving its stale copy.
        liveAnsweredAfterSigcont: liveAfterSigcont ? 'yes' : 'no',
        routerMasterRequests: masters.length,
        routerMasterNon200: masterFailures,
        routerMasterSlowestMs: Math.round(slowestMaster),
        fewestEdgesUp: Number.isFinite(fewestUp) ? fewestUp : null,
      },
      checks: [
        ...viewerChecks(run.totals),
        check('router answers 200 for the master playlist during the freeze', masters.length > 0 && masterFailures === 0, `${masters.length - masterFailures} of ${masters.length}`),
        check('router keeps at least one edge up', Number.isFinite(fewestUp) && fewestUp >= 1, `fewest up: ${Number.isFinite(fewestUp) ? fewestUp : '-'}`),
        check('expired live playlist answered 200', live.status === 200, `${live.status || live.error} ${live.xCache ?? ''}`.trim()),
        withinMs('expired live playlist answered fast', live.ms, LIVE_LIMIT_MS),
      ],
    };
  },
};
