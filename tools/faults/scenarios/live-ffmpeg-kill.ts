// The live channel's ffmpeg SIGKILLed under live viewers: the origin restarts it and the playlist goes on with a
// discontinuity instead of freezing.
import { readMediaPlaylist } from '../../../server/core/hls/read-playlist.ts';
import { check, viewerChecks, withinMs } from '../fault-result.ts';
import { LIVE_CHANNEL, liveMediaPath, withViewers, type StackFault } from '../fault-kit.ts';
import { probe } from '../http-probe.ts';
import { childrenOf } from '../proc-children.ts';
import { msUntil } from '../until.ts';

const RESTART_LIMIT_MS = 10_000;

function ffmpegUnder(pid: number): number[] {
  return childrenOf(pid).filter((c) => /ffmpeg/.test(c.cmdline)).map((c) => c.pid);
}

export const liveFfmpegKill: StackFault = {
  name: 'live-ffmpeg-kill',
  title: "the live channel's ffmpeg SIGKILLed",
  rule: `0 failed viewer requests and 0 stalls for live viewers; a new ffmpeg runs and the origin's playlist has a new segment after an EXT-X-DISCONTINUITY within ${RESTART_LIMIT_MS} ms`,
  stack: 'live',
  async run(ctx) {
    const { stack } = ctx;
    const [a] = stack.edges;
    const livePath = await liveMediaPath(a, LIVE_CHANNEL);
    const originPlaylist = `${stack.origin.url}${livePath}`;
    const run = await withViewers(ctx, `/live/${LIVE_CHANNEL}/master.m3u8`, async () => {
      const before = ffmpegUnder(stack.origin.pid);
      if (before.length === 0) throw new Error('fault suite: no ffmpeg runs under the origin for the live channel');
      const playlist = await probe(originPlaylist, { keepBody: true });
      const lastBefore = playlist.text === undefined ? -1 : (readMediaPlaylist(playlist.text, { baseUrl: originPlaylist }).segments.at(-1)?.sequence ?? -1);
      for (const pid of before) process.kill(pid, 'SIGKILL');
      ctx.say(`live ffmpeg SIGKILLed (pid ${before.join(', ')})`);
      let restarted = false;
      const continuedMs = await msUntil(async () => {
        restarted ||= ffmpegUnder(stack.origin.pid).some((p) => !before.includes(p));
        const r = await probe(originPlaylist, { keepBody: true, timeoutMs: 2_000 });
        if (!r.ok || r.text === undefined) return false;
        const after = readMediaPlaylist(r.text, { baseUrl: originPlaylist }).segments.filter((s) => s.sequence > lastBefore);
        return after.some((s) => s.discontinuity) && after.length >= 1;
      }, 20_000, 100);
      return { continuedMs, restarted };
    });
    const { continuedMs, restarted } = run.value;
    return {
      viewers: run.totals,
      events: run.events,
      faultAtMs: run.faultAtMs,
      recoveryMs: continuedMs ?? null,
      recoveryLabel: 'SIGKILL → a segment after EXT-X-DISCONTINUITY in the origin playlist',
      figures: { ffmpegRestarted: restarted ? 'yes' : 'no' },
      checks: [
        ...viewerChecks(run.totals),
        check('a new ffmpeg runs', restarted, restarted ? 'yes' : 'no'),
        withinMs('playlist continues after a discontinuity', continuedMs, RESTART_LIMIT_MS),
      ],
    };
  },
};
