import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../../../../tools/load-test/command.ts';
import { loadTestSpec } from '../../../../tools/load-test/options.ts';
import { loadConfig } from '../../../../server/core/config.ts';
import { isAppError } from '../../../../server/core/errors.ts';

describe('edgeline loadtest flags', () => {
  it('parses durations, choices and switches, with flags over the environment', () => {
    const { values } = loadConfig(loadTestSpec, { LOADTEST_VIEWERS: '50', LOADTEST_DURATION: '2m' }, ['--viewers', '200', '--ramp', '500ms', '--rendition', 'lowest', '--mode', 'max', '--allow-remote', '--origin', 'http://127.0.0.1:8080/']);
    assert.equal(values.viewers, 200);
    assert.equal(values.duration, 120_000);
    assert.equal(values.ramp, 500);
    assert.equal(values.rendition, 'lowest');
    assert.equal(values.mode, 'max');
    assert.equal(values.allowRemote, true);
    assert.equal(values.origin, 'http://127.0.0.1:8080');
    assert.equal(values.connections, 32);
    assert.equal(values.out, undefined);
  });

  it('reports every bad flag at once', () => {
    assert.throws(
      () => loadConfig(loadTestSpec, {}, ['--viewers', '0', '--ramp', 'soon', '--rendition', 'best']),
      (err: unknown) => isAppError(err) && /--viewers/.test(err.message) && /--ramp/.test(err.message) && /--rendition/.test(err.message),
    );
  });

  it('refuses a remote target or origin before sending anything', async () => {
    await assert.rejects(run(['--target', 'http://203.0.113.7/vod/a/master.m3u8', '--no-progress']), (err: unknown) => isAppError(err) && err.code === 'LOADTEST_REMOTE_TARGET');
    await assert.rejects(
      run(['--target', 'http://127.0.0.1:1/vod/a/master.m3u8', '--origin', 'http://origin.example.com', '--no-progress']),
      (err: unknown) => isAppError(err) && err.code === 'LOADTEST_REMOTE_TARGET' && err.message.includes('--origin'),
    );
  });
});
