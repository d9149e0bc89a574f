import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../../server/core/config.ts';
import { armPrefetchSegments, srcPathOf } from '../../../../tools/load-test/arms.ts';
import { loadTestSpec } from '../../../../tools/load-test/options.ts';

describe('loadtest --arms', () => {
  it('takes arms by name, in order, and refuses unknown ones', () => {
    assert.deepEqual(loadConfig(loadTestSpec, {}, ['--arms', 'no-prefetch,prefetch']).values.arms, ['no-prefetch', 'prefetch']);
    assert.deepEqual(loadConfig(loadTestSpec, { LOADTEST_ARMS: 'prefetch' }, []).values.arms, ['prefetch']);
    assert.deepEqual(loadConfig(loadTestSpec, {}, []).values.arms, [], 'no arms: a plain run against --target');
    assert.throws(() => loadConfig(loadTestSpec, {}, ['--arms', 'prefetch,warm']), /expected arms from prefetch, no-prefetch, got "warm"/);
  });

  it('the prefetch arm fetches k segments ahead, the other none', () => {
    assert.equal(armPrefetchSegments('prefetch', 3), 3);
    assert.equal(armPrefetchSegments('no-prefetch', 3), 0);
  });

  it('each arm asks its own edge for the path and query of --target', () => {
    assert.equal(srcPathOf('http://127.0.0.1:8081/vod/sample/master.m3u8'), '/vod/sample/master.m3u8');
    assert.equal(srcPathOf('http://localhost:1/vod/a/master.m3u8?token=x'), '/vod/a/master.m3u8?token=x');
  });
});
