// The supervisor over fake children and fake timers: restarts with backoff, gives up on a crash loop, stops cleanly.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Supervisor } from '../../../../server/core/process/supervisor.ts';
import { FakeChild, settle } from '../../../helpers/fake-process.ts';

describe('Supervisor', () => {
  let started: FakeChild[];
  let nextPid: number;
  const spec = (exitsOnSigterm = true) => ({ name: 'role', start: () => {
    const c = new FakeChild(nextPid++, exitsOnSigterm);
    started.push(c);
    return c;
  } });

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    started = [];
    nextPid = 100;
  });
  afterEach(() => mock.timers.reset());

  it('restarts a child that dies, after the backoff and not before', async () => {
    const exits: string[] = [];
    const sup = new Supervisor({ onExit: (_name, _info, _d, description) => exits.push(description) });
    sup.start(spec());
    assert.equal(sup.pid('role'), 100);
    mock.timers.tick(1_000);
    started[0]?.die(1);
    await settle();
    assert.equal(sup.pid('role'), undefined, 'down while it waits');
    assert.deepEqual(exits, ['exited (code 1); restarting in 0.2 s']);
    mock.timers.tick(199);
    assert.equal(started.length, 1);
    mock.timers.tick(1);
    assert.equal(started.length, 2);
    assert.equal(sup.pid('role'), 101);
  });

  it('gives up on a crash loop, tells its owner once, and starts nothing more', async () => {
    const gaveUp: Array<[string, number]> = [];
    const sup = new Supervisor({ onGiveUp: (name, n) => gaveUp.push([name, n]) });
    sup.start(spec());
    for (let i = 0; i < 6; i++) {
      started.at(-1)?.die(1);
      await settle();
      mock.timers.tick(10_000 - 1); // each restart delay passes; each run is still "quick" (under 10 s)
    }
    assert.equal(started.length, 6, 'the first run and five restarts');
    assert.deepEqual(gaveUp, [['role', 6]]);
    mock.timers.tick(60_000);
    assert.equal(started.length, 6);
  });

  it('a death after a long healthy run is restarted quickly again', async () => {
    const delays: number[] = [];
    const sup = new Supervisor({ onExit: (_n, _i, d) => void (d.action === 'restart' && delays.push(d.delayMs)) });
    sup.start(spec());
    for (const uptime of [100, 100, 60_000]) {
      mock.timers.tick(uptime);
      started.at(-1)?.die(1);
      await settle();
      mock.timers.tick(30_000);
    }
    assert.deepEqual(delays, [200, 400, 200]);
  });

  it('stop sends SIGTERM, SIGKILL only after the grace, and no restart follows', async () => {
    const sup = new Supervisor();
    sup.start(spec(false)); // ignores SIGTERM
    const stopped = sup.stop(5_000);
    let isStopped = false;
    void stopped.then(() => (isStopped = true));
    assert.deepEqual(started[0]?.signals, ['SIGTERM']);
    mock.timers.tick(4_999);
    await settle();
    assert.deepEqual(started[0]?.signals, ['SIGTERM']);
    assert.equal(isStopped, false);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(started[0]?.signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(isStopped, true);
    mock.timers.tick(60_000);
    assert.equal(started.length, 1, 'not restarted');
  });

  it('stop cancels a restart that was waiting', async () => {
    const sup = new Supervisor();
    sup.start(spec());
    started[0]?.die(1);
    await settle();
    await sup.stop(5_000);
    mock.timers.tick(60_000);
    assert.equal(started.length, 1);
  });

  it('kill sends SIGKILL to every child at once', () => {
    const sup = new Supervisor();
    sup.start({ ...spec(false), name: 'a' });
    sup.start({ ...spec(false), name: 'b' });
    sup.kill();
    assert.deepEqual(started.map((c) => c.signals), [['SIGKILL'], ['SIGKILL']]);
  });
});
