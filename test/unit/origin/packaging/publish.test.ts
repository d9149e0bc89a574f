// Leftover folders of packaging jobs: which names are ours, and when one may be removed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALE_AFTER_MS, isStale, parseLeftover } from '../../../../server/origin/packaging/publish.ts';

describe('parseLeftover', () => {
  it('reads kind, id and pid from temporary and aside folders', () => {
    assert.deepEqual(parseLeftover('.tmp-my-clip-4242-0a1b2c3d'), { kind: 'tmp', id: 'my-clip', pid: 4242 });
    assert.deepEqual(parseLeftover('.old-sample-7-ffffffff'), { kind: 'old', id: 'sample', pid: 7 });
  });
  it('ignores assets and other dot-files', () => {
    assert.equal(parseLeftover('sample'), undefined);
    assert.equal(parseLeftover('.tmp-x-12-nothex!'), undefined);
    assert.equal(parseLeftover('.DS_Store'), undefined);
  });
});

describe('isStale', () => {
  const other = { kind: 'tmp' as const, id: 'a', pid: 999_999 };
  it('removes folders whose process is gone', () => {
    assert.equal(isStale(other, 1000, '/m/hls/x', () => false), true);
  });
  it('keeps folders of a live process until they are a day old', () => {
    assert.equal(isStale(other, 1000, '/m/hls/x', () => true), false);
    assert.equal(isStale(other, STALE_AFTER_MS + 1, '/m/hls/x', () => true), true);
  });
  it('removes folders of this process that no job is using', () => {
    assert.equal(isStale({ ...other, pid: process.pid }, 1000, '/m/hls/not-active', () => true), true);
  });
});
