// No ffmpeg outlives its packager for long: SIGKILL `edgeline package` mid-encode (nothing of it can run then), and
// the next start in that media folder finds the job's pid file, checks /proc that it is that job's ffmpeg, kills it.
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
import { makeClip } from '../../tools/media/clip.ts';
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

  /** Starts a slow package job, waits for its ffmpeg, SIGKILLs the CLI; returns the ffmpeg that was left running. */
  async function killedMidEncode(mediaDir: string, id: string): Promise<{ pid: number; folder: string }> {
    const cli = edgelinePackage([clip, '--id', id, '--media', mediaDir, '--ladder', '480p,360p', '--preset', 'veryslow']);
    const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
    const job = await waitFor('the job\'s ffmpeg and its pid file', () => {
      const found = jobFfmpegPid(mediaDir);
      return found && isRunning(found.pid) && found;
    }, { timeoutMs: 120_000, intervalMs: 50 });
    leftovers.push(job.pid);
    assert.match(cmdlineOf(job.pid), /ffmpeg/);
    assert.ok(cmdlineOf(job.pid).includes(job.folder), 'the pid file names the ffmpeg writing into that job folder');
    cli.kill('SIGKILL');
    await exited;
    return job;
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
      assert.ok(isRunning(old.pid), 'SIGKILL runs no exit hook: the old ffmpeg is still encoding');

      const origin = createOriginApp(originConfig({ mediaDir, apiToken: token, packageLadder: ['480p', '360p'], packagePreset: 'veryslow' }), { metrics: createOriginMetrics({ processMetrics: false }) });
      try {
        await origin.start();
        assert.equal(isRunning(old.pid), false, 'gone before start() returned, so before the job was re-queued');
        const again = await waitFor('the re-queued job\'s own ffmpeg', () => {
          const found = jobFfmpegPid(mediaDir);
          return found && found.pid !== old.pid && isRunning(found.pid) && found;
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
