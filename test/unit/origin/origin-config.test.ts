import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../server/core/config.ts';
import { ConfigError } from '../../../server/core/errors.ts';
import { originFields, parseLiveSpecs } from '../../../server/origin/origin-config.ts';

describe('origin config', () => {
  it('has the documented defaults', () => {
    const { values } = loadConfig(originFields, {}, []);
    assert.equal(values.port, 8080);
    assert.equal(values.mediaDir, './media');
    assert.equal(values.jobConcurrency, 1);
    assert.equal(values.liveWindow, 6);
    assert.equal(values.liveSegmentSeconds, 2);
    assert.deepEqual(values.live, []);
    assert.match(values.segmentCacheControl, /immutable/);
  });

  it('reads live channels from repeated flags or a comma-separated variable, flags winning', () => {
    assert.deepEqual(loadConfig(originFields, {}, ['--live', 'a=/x.mp4', '--live', 'b']).values.live, [
      { name: 'a', source: '/x.mp4' },
      { name: 'b', source: 'sample' },
    ]);
    assert.deepEqual(loadConfig(originFields, { LIVE_CHANNELS: 'c=sample' }, []).values.live, [{ name: 'c', source: 'sample' }]);
    assert.deepEqual(loadConfig(originFields, { LIVE_CHANNELS: 'c=sample' }, ['--live', 'd=sample']).values.live, [{ name: 'd', source: 'sample' }]);
  });

  it('reports every bad setting with its variable name', () => {
    assert.throws(
      () => loadConfig(originFields, { PORT: 'x', JOB_CONCURRENCY: '0', LIVE_CHANNELS: 'Bad Name=x', CACHE_CONTROL_SEGMENT: 'a\nb' }, []),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const text = err.problems.join('\n');
        for (const name of ['PORT', 'JOB_CONCURRENCY', 'LIVE_CHANNELS', 'CACHE_CONTROL_SEGMENT']) assert.match(text, new RegExp(name));
        return true;
      },
    );
  });

  it('refuses duplicate or empty channel specs', () => {
    assert.throws(() => parseLiveSpecs(['a=x', 'a=y']), /given twice/);
    assert.throws(() => parseLiveSpecs(['a=']), /needs a source/);
  });
});
