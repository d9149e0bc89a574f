// `edgeline package` SIGKILLed while ffmpeg encodes: no half asset may appear, and no ffmpeg may outlive it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN_PATH } from '../../../server/core/package-root.ts';
import { startChild } from '../../bench/processes.ts';
import { makeClip } from '../../media/clip.ts';
import { check, withinMs } from '../fault-result.ts';
import type { StandaloneFault } from '../fault-kit.ts';
import { killNow } from '../kill-now.ts';
import { childrenOf, isAlive } from '../proc-children.ts';
import { mustHold, msUntil, pause } from '../until.ts';

const ORPHAN_LIMIT_MS = 2_000;
const ASSET = 'killed';

function ffmpegChildren(pid: number): number[] {
  return childrenOf(pid).filter((c) => /(^|\/)ffmpeg$/.test(c.cmdline.split(' ')[0] ?? '')).map((c) => c.pid);
}

export const packageKill: StandaloneFault = {
  name: 'package-kill',
  title: '`edgeline package` SIGKILLed while ffmpeg encodes',
  rule: `no asset folder appears for the killed job; every ffmpeg it started is gone within ${ORPHAN_LIMIT_MS} ms of its SIGKILL`,
  stack: 'none',
  async run(ctx) {
    // Long enough that the encode is still running when it is killed, on a fast machine too.
    const clip = await makeClip({ seconds: 60, width: 640, height: 360 });
    const job = startChild({
      name: 'package',
      command: process.execPath,
      args: [BIN_PATH, 'package', clip, '--id', ASSET, '--ladder', '360p,240p', '--segment-seconds', '2', '--media', ctx.mediaDir, '--preset', 'veryfast'],
      logFile: join(ctx.logDir, 'package.log'),
      cwd: ctx.repoRoot,
    });
    let encoders: number[] = [];
    await mustHold('edgeline package to start ffmpeg', () => {
      if (job.exited) throw new Error('fault suite: edgeline package exited before it was killed (the clip encodes too fast)');
      encoders = ffmpegChildren(job.pid);
      return encoders.length > 0;
    }, 30_000);
    await pause(1_000);
    encoders = [...new Set([...encoders, ...ffmpegChildren(job.pid)])];
    await killNow(job);
    ctx.say(`edgeline package SIGKILLed while ffmpeg (pid ${encoders.join(', ')}) encoded`);
    const goneMs = await msUntil(() => encoders.every((pid) => !isAlive(pid)), ORPHAN_LIMIT_MS + 3_000, 50);
    const orphans = encoders.filter(isAlive);
    // An orphan is the suite's own grandchild: stop it by its id, so it does not keep a core busy.
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    const halfAsset = existsSync(join(ctx.mediaDir, 'hls', ASSET));
    return {
      viewers: null,
      events: [],
      faultAtMs: 0,
      recoveryMs: goneMs ?? null,
      recoveryLabel: 'SIGKILL → its ffmpeg gone',
      figures: { ffmpegProcesses: encoders.length, orphansAfter5s: orphans.length },
      checks: [
        check('no asset folder for the killed job', !halfAsset, halfAsset ? `media/hls/${ASSET} exists` : 'none'),
        withinMs('no ffmpeg outlives the job', goneMs, ORPHAN_LIMIT_MS),
      ],
    };
  },
};
