// `edgeline up` over real processes: a killed role or edge worker comes back; SIGTERM or a killed `up` leaves no process behind.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RoleSupervisor } from '../../server/cli/supervisor.ts';
import { BIN_PATH } from '../../server/core/package-root.ts';
import { tempDir, type TempDir } from './origin-fixture.ts';
import { freePort } from '../helpers/ports.ts';
import { descendantsOf, isRunning, type ProcInfo } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface Up {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly ports: { origin: number; edge: number; router: number };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The roles `up` runs, by what they are, from /proc. */
function roles(upPid: number): { origin: ProcInfo[]; edgePrimary: ProcInfo[]; edgeWorkers: ProcInfo[]; router: ProcInfo[]; all: ProcInfo[] } {
  const all = descendantsOf(upPid);
  const edges = all.filter((p) => / edge /.test(p.cmdline));
  const edgePrimary = edges.filter((p) => p.ppid === upPid);
  return {
    origin: all.filter((p) => / origin /.test(p.cmdline) && p.ppid === upPid),
    edgePrimary,
    edgeWorkers: edges.filter((p) => edgePrimary.some((e) => e.pid === p.ppid)),
    router: all.filter((p) => / router /.test(p.cmdline) && p.ppid === upPid),
    all,
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

describe('edgeline up supervision', { timeout: 180_000 }, () => {
  const dirs: TempDir[] = [];
  const started: ChildProcess[] = [];

  after(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) d.cleanup();
  });

  /** One origin, one edge with two cluster workers, a router; no live channel, no Redis. */
  async function startUp(): Promise<Up> {
    const tmp = tempDir('edgeline-up-supervision-');
    dirs.push(tmp);
    const media = join(tmp.dir, 'media');
    // A packaged sample is all `up` looks for before it starts the roles; this one is never played.
    mkdirSync(join(media, 'hls', 'sample'), { recursive: true });
    writeFileSync(join(media, 'hls', 'sample', 'master.m3u8'), '#EXTM3U\n');
    const ports = { origin: await freePort(), edge: await freePort(), router: await freePort() };
    // A Redis that does not answer: `up` runs the edges on their memory tier alone (--redis none), touching no shared keys.
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    const args = ['up', '--media', media, '--no-live', '--edges', '1', '--edge-workers', '2', '--redis', deadRedis,
      '--origin-port', String(ports.origin), '--edge-port', String(ports.edge), '--router-port', String(ports.router)];
    const child = spawn(process.execPath, [BIN_PATH, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', REDIS_URL: '', REDIS_CLUSTER_NODES: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    const output: string[] = [];
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor('edgeline up to say it is up', () => {
      if (child.exitCode !== null) throw new Error(`edgeline up exited (${child.exitCode}):\n${output.join('')}`);
      return output.join('').includes('Edgeline is up.');
    }, { timeoutMs: 90_000, intervalMs: 100 });
    return { child, output, ports, exited };
  }

  it('restarts a killed role and a killed edge worker, then stops everything on SIGTERM and exits 143', async () => {
    const up = await startUp();
    const upPid = up.child.pid ?? 0;
    const first = roles(upPid);
    assert.equal(first.origin.length, 1, `one origin: ${first.all.map((p) => p.cmdline).join('\n')}`);
    assert.equal(first.edgePrimary.length, 1, 'one edge primary');
    assert.equal(first.edgeWorkers.length, 2, 'two edge workers under it');
    assert.equal(first.router.length, 1, 'one router');
    const seen = new Set(first.all.map((p) => p.pid));

    // A worker killed outright: the edge's primary starts another; the edge never stops answering for long.
    const deadWorker = first.edgeWorkers[0]?.pid ?? 0;
    process.kill(deadWorker, 'SIGKILL');
    const workers = await waitFor('the edge primary to replace the killed worker', () => {
      const now = roles(upPid).edgeWorkers;
      return now.length === 2 && !now.some((w) => w.pid === deadWorker) && now;
    });
    for (const w of workers) seen.add(w.pid);
    assert.equal(roles(upPid).edgePrimary[0]?.pid, first.edgePrimary[0]?.pid, 'the primary itself kept running');
    await waitFor('the edge to answer', () => answers(`http://127.0.0.1:${up.ports.edge}/healthz`));

    // The origin killed outright: up starts another one on the same port.
    const deadOrigin = first.origin[0]?.pid ?? 0;
    process.kill(deadOrigin, 'SIGKILL');
    const origin = await waitFor('up to restart the origin', () => {
      const now = roles(upPid).origin;
      return now.length === 1 && now[0]?.pid !== deadOrigin && now[0];
    });
    seen.add(origin.pid);
    await waitFor('the new origin to answer', () => answers(`http://127.0.0.1:${up.ports.origin}/healthz`), { timeoutMs: 30_000 });
    assert.match(up.output.join(''), /\[origin\s*\] exited \(SIGKILL\); restarting in 0\.2 s/);

    up.child.kill('SIGTERM');
    const exit = await up.exited;
    assert.deepEqual(exit, { code: 143, signal: null }, 'up exits with 128 + SIGTERM');
    assert.match(up.output.join(''), /stopping…[\s\S]*stopped\./);
    // up waits for its roles (and the primary for its workers) before it exits: nothing may be left, at once.
    const left = [...seen].filter(isRunning);
    assert.deepEqual(left, [], `processes left behind: ${left.join(', ')}`);
  });

  it('a SIGKILLed up leaves no role behind: each one stops when its supervisor is gone', async () => {
    const up = await startUp();
    const everyone = roles(up.child.pid ?? 0).all;
    assert.equal(everyone.length, 5, 'origin, edge primary, two workers, router');
    up.child.kill('SIGKILL');
    await up.exited;
    await waitFor('every role to stop by itself', () => !everyone.some((p) => isRunning(p.pid)), { timeoutMs: 20_000, intervalMs: 100 });
    // Their ports are free again for the next `up`.
    assert.equal(await answers(`http://127.0.0.1:${up.ports.origin}/healthz`), false);
    assert.equal(await answers(`http://127.0.0.1:${up.ports.edge}/healthz`), false);
  });

  it('gives up on a role that keeps dying as it starts, after printing each exit with the role\'s own output', async () => {
    const lines: string[] = [];
    let gaveUp: string | undefined;
    const done = new Promise<void>((resolve) => {
      const supervisor = new RoleSupervisor({
        env: { PATH: process.env['PATH'] },
        write: (line) => lines.push(line),
        // The default rule, with millisecond delays so the test takes no time to reach the limit.
        policy: { initialDelayMs: 5, maxDelayMs: 50, stableAfterMs: 10_000, maxQuickRestarts: 5 },
        command: { path: process.execPath, args: ['-e', 'console.log("cannot bind :8080"); process.exit(3)'] },
        onGiveUp: (name) => {
          gaveUp = name;
          resolve();
        },
      });
      supervisor.startRole({ name: 'origin', args: [] });
    });
    await done;
    assert.equal(gaveUp, 'origin');
    // A child's last output may be read after its exit is seen: wait for all six runs' lines.
    await waitFor('the output of the first run and five restarts', () => lines.filter((l) => l === '[origin  ] cannot bind :8080').length === 6);
    const exits = lines.filter((l) => l.includes('exited'));
    assert.equal(exits.length, 6);
    assert.match(exits.at(-1) ?? '', /^\[origin {2}\] exited \(code 3\); 6 quick deaths in a row, giving up$/);
  });
});
