// Signals → one graceful shutdown: ordered steps, a deadline, exit 130/143; supervised children leave Ctrl-C to their supervisor.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { installShutdown } from '../../../../server/core/process/shutdown.ts';
import { abortOnStopSignal, exitCodeFor } from '../../../../server/core/process/signals.ts';
import { FakeHost, settle } from '../../../helpers/fake-process.ts';

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('graceful shutdown', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('exit codes follow the shell: 130 for SIGINT, 143 for SIGTERM', () => {
    assert.equal(exitCodeFor('SIGINT'), 130);
    assert.equal(exitCodeFor('SIGTERM'), 143);
  });

  it('SIGTERM runs the steps in order, each after the previous finished, then exits 143', async () => {
    const host = new FakeHost();
    const order: string[] = [];
    let releaseFirst!: () => void;
    installShutdown({
      host,
      logger: quietLogger,
      steps: [
        { name: 'server', run: () => new Promise<void>((r) => (releaseFirst = () => { order.push('server'); r(); })) },
        { name: 'redis', run: () => void order.push('redis') },
      ],
    });
    host.signal('SIGTERM');
    await settle();
    assert.deepEqual(order, [], 'the second step waits for the first');
    releaseFirst();
    await settle();
    assert.deepEqual(order, ['server', 'redis']);
    assert.deepEqual(host.exits, [143]);
  });

  it('SIGINT exits 130; a step that throws is logged and the next one still runs', async () => {
    const host = new FakeHost();
    const errors: string[] = [];
    let ran = false;
    installShutdown({
      host,
      logger: { ...quietLogger, error: (o: unknown) => void errors.push((o as { step: string }).step) },
      steps: [{ name: 'broken', run: () => Promise.reject(new Error('boom')) }, { name: 'after', run: () => void (ran = true) }],
    });
    host.signal('SIGINT');
    await settle();
    assert.deepEqual(errors, ['broken']);
    assert.equal(ran, true);
    assert.deepEqual(host.exits, [130]);
  });

  it('a step that hangs is cut off at the deadline: onForce, then exit with the signal code', async () => {
    const host = new FakeHost();
    let forced = 0;
    installShutdown({ host, logger: quietLogger, deadlineMs: 3_000, onForce: () => void forced++, steps: [{ name: 'hangs', run: () => new Promise(() => undefined) }] });
    host.signal('SIGTERM');
    await settle();
    mock.timers.tick(2_999);
    assert.deepEqual(host.exits, []);
    mock.timers.tick(1);
    assert.equal(forced, 1);
    assert.deepEqual(host.exits, [143]);
  });

  it('a second Ctrl-C exits at once; a repeated SIGTERM does not', async () => {
    const host = new FakeHost();
    let forced = 0;
    installShutdown({ host, logger: quietLogger, onForce: () => void forced++, steps: [{ name: 'hangs', run: () => new Promise(() => undefined) }] });
    host.signal('SIGTERM');
    host.signal('SIGTERM');
    await settle();
    assert.deepEqual(host.exits, []);
    host.signal('SIGINT');
    assert.equal(forced, 1);
    assert.deepEqual(host.exits, [130]);
  });

  it('a supervised child ignores Ctrl-C, stops on SIGTERM, and stops by itself when its supervisor is gone', async () => {
    const host = new FakeHost(true);
    let runs = 0;
    installShutdown({ host, logger: quietLogger, steps: [{ name: 'close', run: () => void runs++ }] });
    host.signal('SIGINT');
    await settle();
    assert.equal(runs, 0, 'Ctrl-C is the supervisor\'s to handle');
    host.emit('disconnect');
    await settle();
    assert.equal(runs, 1);
    assert.deepEqual(host.exits, [1]);
  });

  it('begin() runs the same sequence without a signal, once, with the code given', async () => {
    const host = new FakeHost();
    let runs = 0;
    const shutdown = installShutdown({ host, logger: quietLogger });
    shutdown.add({ name: 'added later', run: () => void runs++ });
    await Promise.all([shutdown.begin('crash loop', 1), shutdown.begin('again', 1)]);
    host.signal('SIGTERM');
    await settle();
    assert.equal(runs, 1);
    assert.deepEqual(host.exits, [1]);
    assert.equal(shutdown.isStopping, true);
  });
});

describe('abortOnStopSignal (one-shot commands)', () => {
  it('the first signal aborts the command and sets its exit code; dispose gives the signals back', () => {
    const host = new FakeHost();
    const seen: string[] = [];
    const trap = abortOnStopSignal({ host, onSignal: (s) => void seen.push(s) });
    assert.equal(trap.signal.aborted, false);
    assert.equal(trap.exitCode, undefined);
    host.signal('SIGTERM');
    assert.equal(trap.signal.aborted, true);
    assert.equal(trap.exitCode, 143);
    assert.deepEqual(seen, ['SIGTERM']);
    trap.dispose();
    assert.equal(host.listenerCount('SIGINT') + host.listenerCount('SIGTERM'), 0);
    assert.deepEqual(host.exits, []);
  });
});
