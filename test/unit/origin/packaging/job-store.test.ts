import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJobRecord, recoveryAction } from '../../../../server/origin/packaging/job-store.ts';

describe('recoveryAction', () => {
  it('re-queues unfinished jobs whose upload survived, fails the others, keeps finished ones', () => {
    assert.equal(recoveryAction({ status: 'packaging' }, true), 'requeue');
    assert.equal(recoveryAction({ status: 'queued' }, true), 'requeue');
    assert.equal(recoveryAction({ status: 'packaging' }, false), 'fail');
    assert.equal(recoveryAction({ status: 'queued' }, false), 'fail');
    assert.equal(recoveryAction({ status: 'ready' }, false), 'keep');
    assert.equal(recoveryAction({ status: 'failed' }, true), 'keep');
  });
});

describe('parseJobRecord', () => {
  it('reads a job written by the store and rejects anything else', () => {
    const job = parseJobRecord({ id: 'clip-1', status: 'packaging', percent: 40, createdAt: '2024-01-01T00:00:00Z', uploadPath: '/m/uploads/x', source: { name: 'a.mp4', sizeBytes: 10 } });
    assert.equal(job?.status, 'packaging');
    assert.equal(job?.percent, 40);
    assert.deepEqual(job?.source, { name: 'a.mp4', sizeBytes: 10 });
    assert.equal(parseJobRecord({ id: '../x', status: 'ready', createdAt: 'x', uploadPath: '' }), undefined);
    assert.equal(parseJobRecord({ id: 'a', status: 'weird', createdAt: 'x', uploadPath: '' }), undefined);
    assert.equal(parseJobRecord([]), undefined);
  });
});
