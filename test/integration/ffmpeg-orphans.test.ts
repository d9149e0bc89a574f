// No ffmpeg outlives its packager: SIGKILL `edgeline package` or the origin mid-encode and the kernel kills its ffmpeg
// (setpriv --pdeathsig); should one survive anyway (no setpriv on the host), the next start in that media folder finds
// the job's pid file, checks /proc that it is that job's ffmpeg, and kills it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { killLeftoverProcess } from '../../server/origin/ffmpeg/leftover-process.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createOriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { removeStaleLeftovers } from '../../server/origin/packaging/publish.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';
import { freePort } from '../helpers/ports.ts';
import { isRunning } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { tempDir, type TempDir } from './origin-fixture.ts';

// The built command, as users run it (npm test builds first), so a loaded machine does not spend a minute in tsx.
const BIN = new URL('../../bin/edgeline.js', import.meta.url).pathname;

/** `edgeline …` as its own process (so it can be SIGKILLed without touching the test). */
function edgeline(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: 'ignore',
  });
}

function edgelinePackage(args: string[]): ChildProcess {
  return edgeline(['package', ...args]);
}

/** The pid in the running job's pid file: hls/.tmp-{id}-{pid}-{rand}/ffmpeg.pid. */
function jobFfmpegPid(mediaDir: string): { pid: number; folder: string } | undefined {
  const hls = join(mediaDir, 'hls');
  if (!existsSync(hls)) return undefined;
  for (const name of readdirSync(hls)) {
    const pidFile = join(hls, name, 'ffmpeg.pid');
    if (!name.startsWith('.tmp-') || !existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0) return { pid, folder: join(hls, name) };
  }
  return undefined;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

describe('ffmpeg left behind by a SIGKILLed packager', { timeout: 300_000 }, () => {
  let tmp: TempDir;
  let clip: string;
  const leftovers: number[] = [];

  before(async () => {
    tmp = tempDir('edgeline-orphans-');
    clip = await makeClip({ seconds: 30, width: 640, height: 480 });
  });

  after(() => {
    // Should a test fail half-way, its ffmpeg must not keep the machine busy.
    for (const pid of leftovers) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    tmp?.cleanup();
  });

  /**
   * What a packager leaves where the parent-death signal is not available: an ffmpeg writing into the job's folder,
   * named by its pid file. Started by the test (detached), since a real job's ffmpeg dies with its packager.
   */
  function leftoverIn(folder: string): { pid: number; folder: string } {
    const child = spawn(ffmpegPaths.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-f', 'hls', '-hls_time', '1', join(folder, 'left.m3u8')], { detached: true, stdio: 'ignore' });
    const pid = child.pid;
    assert.ok(pid, 'the stand-in leftover ffmpeg started');
    leftovers.push(pid);
    writeFileSync(join(folder, 'ffmpeg.pid'), `${pid}\n`);
    return { pid, folder };
  }

  /** Starts a slow package job, waits for its ffmpeg, SIGKILLs the CLI: its ffmpeg dies too; returns a stand-in leftover. */
  async function killedMidEncode(mediaDir: string, id: string): Promise<{ pid: number; folder: string }> {
    const cli = edgelinePackage([clip, '--id', id, '--media', mediaDir, '--ladder', '480p,360p', '--preset', 'veryslow']);
    const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
    // The pid file is written as setpriv starts; it then execs ffmpeg in place, and while the kernel swaps the image
    // /proc/PID/cmdline reads empty for a moment. So wait for the exec'd ffmpeg itself, then check what it is.
    const job = await waitFor('the job\'s ffmpeg (exec\'d past setpriv) and its pid file', () => {
      const found = jobFfmpegPid(mediaDir);
      if (!found || !isRunning(found.pid)) return undefined;
      const cmdline = cmdlineOf(found.pid);
      return /ffmpeg$/.test(cmdline.split(' ')[0] ?? '') ? { ...found, cmdline } : undefined;
    }, { timeoutMs: 120_000, intervalMs: 50 });
    leftovers.push(job.pid);
    assert.ok(job.cmdline.includes(job.folder), `the pid file names the ffmpeg writing into that job folder: ${job.cmdline}`);
    cli.kill('SIGKILL');
    await exited;
    await waitFor(`the job's ffmpeg ${job.pid} to die with its SIGKILLed packager`, () => !isRunning(job.pid), { timeoutMs: 10_000 });
    return leftoverIn(job.folder);
  }

  it('is killed by the next packaging run in the same media folder, before it cleans the folder', async () => {
    const mediaDir = join(tmp.dir, 'cli');
    const job = await killedMidEncode(mediaDir, 'orphan');
    await removeStaleLeftovers(join(mediaDir, 'hls'));
    await waitFor(`leftover ffmpeg ${job.pid} to be gone`, () => !isRunning(job.pid), { timeoutMs: 10_000 });
    assert.equal(existsSync(job.folder), false, 'its temporary folder is removed');
  });

  it('is killed when an origin starts on that media folder, before any job is re-queued', async () => {
    const mediaDir = join(tmp.dir, 'origin');
    const job = await killedMidEncode(mediaDir, 'orphan2');
    const origin = createOriginApp(originConfig({ mediaDir }), { metrics: createOriginMetrics({ processMetrics: false }) });
    try {
      await origin.start();
      await waitFor(`leftover ffmpeg ${job.pid} to be gone`, () => !isRunning(job.pid), { timeoutMs: 10_000 });
      assert.equal(existsSync(job.folder), false);
    } finally {
      await origin.close();
    }
  });

  it('an origin SIGKILLed mid-job: the restart kills the old ffmpeg before the job runs again', async () => {
    const mediaDir = join(tmp.dir, 'origin-job');
    const port = await freePort();
    const token = 'orphan-test-token-0123456789';
    const env = { ORIGIN_API_TOKEN: token, PACKAGE_LADDER: '480p,360p', PACKAGE_PRESET: 'veryslow' };
    const first = edgeline(['origin', '--port', String(port), '--media', mediaDir], env);
    const firstExited = new Promise<void>((resolve) => first.once('exit', () => resolve()));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('the origin to answer', () => fetch(`${base}/healthz`).then((r) => r.ok, () => false), { timeoutMs: 120_000, intervalMs: 100 });
      await request(base).post('/api/assets').set('Authorization', `Bearer ${token}`).field('id', 'requeued').attach('file', clip).expect(202);
      const old = await waitFor('the job\'s ffmpeg', () => {
        const found = jobFfmpegPid(mediaDir);
        return found && isRunning(found.pid) && found;
      }, { timeoutMs: 120_000, intervalMs: 50 });
      leftovers.push(old.pid);
      first.kill('SIGKILL');
      await firstExited;
      await waitFor(`the job's ffmpeg ${old.pid} to die with its SIGKILLed origin`, () => !isRunning(old.pid), { timeoutMs: 10_000 });
      // Where it would not (no parent-death signal), a leftover in the job's folder must be gone before the job re-runs.
      const stand = leftoverIn(old.folder);
      await waitFor('the stand-in leftover to be encoding', () => cmdlineOf(stand.pid).includes(old.folder), { timeoutMs: 10_000 });

      const origin = createOriginApp(originConfig({ mediaDir, apiToken: token, packageLadder: ['480p', '360p'], packagePreset: 'veryslow' }), { metrics: createOriginMetrics({ processMetrics: false }) });
      try {
        await origin.start();
        assert.equal(isRunning(stand.pid), false, 'gone before start() returned, so before the job was re-queued');
        const again = await waitFor('the re-queued job\'s own ffmpeg', () => {
          const found = jobFfmpegPid(mediaDir);
          return found && found.pid !== old.pid && found.pid !== stand.pid && isRunning(found.pid) && found;
        }, { timeoutMs: 120_000, intervalMs: 50 });
        leftovers.push(again.pid);
        assert.equal(origin.jobs.get('requeued')?.attempts, 2);
      } finally {
        await origin.close();
      }
    } finally {
      first.kill('SIGKILL');
    }
  });

  it('leaves an ffmpeg alone whose pid file points at another process', async () => {
    // A stale pid file whose pid now belongs to something else (here: this test's own process) must not kill it.
    const folder = join(tmp.dir, 'reused', '.tmp-x-1-00000000');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'ffmpeg.pid'), `${process.pid}\n`);
    const result = await killLeftoverProcess(join(folder, 'ffmpeg.pid'), folder);
    assert.deepEqual(result, { pid: process.pid, killed: false });
    assert.equal(existsSync(join(folder, 'ffmpeg.pid')), false);
  });
});
