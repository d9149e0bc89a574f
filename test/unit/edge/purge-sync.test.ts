// planSync: which logged purges an edge applies, and when it cannot prove it saw them all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PurgeRecord } from '../../../server/edge/purge-log.ts';
import type { PurgeHead } from '../../../server/edge/purge-scripts.ts';
import { continuesChain, planSync } from '../../../server/edge/purge-sync.ts';

const rec = (seq: number, prev: number, id: string, epoch = 'E1'): PurgeRecord => ({ seq, prev, epoch, id, at: 0, paths: ['/vod/a/*'] });
const head = (epoch: string, seq: number, records: PurgeRecord[]): PurgeHead => ({ epoch, seq, sinceMs: 0, nowMs: 0, records });
const partial = { isFullLog: false, memoryIsEmpty: false };

describe('planSync', () => {
  it('applies the records after its place when they continue its chain', () => {
    const plan = planSync({ epoch: 'E1', seq: 10, id: 'a' }, head('E1', 30, [rec(10, 0, 'a'), rec(20, 10, 'b'), rec(30, 20, 'c')]), partial);
    assert.deepEqual(plan.apply.map((r) => r.id), ['b', 'c']);
    assert.equal(plan.doubt, undefined);
    assert.deepEqual(plan.position, { epoch: 'E1', seq: 30, id: 'c' });
  });

  it('asks for the whole log when the record it stands on is gone, then doubts', () => {
    const pos = { epoch: 'E1', seq: 10, id: 'a' };
    const first = planSync(pos, head('E1', 30, [rec(20, 10, 'b'), rec(30, 20, 'c')]), partial);
    assert.equal(first.needsFullLog, true);
    const full = planSync(pos, head('E1', 30, [rec(20, 10, 'b'), rec(30, 20, 'c')]), { isFullLog: true, memoryIsEmpty: false });
    assert.equal(full.doubt, 'broken-chain');
    assert.deepEqual(full.position, { epoch: 'E1', seq: 30, id: 'c' });
  });

  it('doubts a counter that went backwards (a failover that lost writes) and a record replaced under its seq', () => {
    const regressed = planSync({ epoch: 'E1', seq: 30, id: 'c' }, head('E1', 20, [rec(10, 0, 'a'), rec(20, 10, 'b')]), { isFullLog: true, memoryIsEmpty: false });
    assert.equal(regressed.doubt, 'broken-chain');
    const replaced = planSync({ epoch: 'E1', seq: 20, id: 'b' }, head('E1', 20, [rec(20, 10, 'other')]), { isFullLog: true, memoryIsEmpty: false });
    assert.equal(replaced.doubt, 'broken-chain');
  });

  it('doubts a gap between records and a counter ahead of the log', () => {
    assert.equal(planSync({ epoch: 'E1', seq: 10, id: 'a' }, head('E1', 30, [rec(10, 0, 'a'), rec(30, 20, 'c')]), partial).needsFullLog, true);
    assert.equal(planSync({ epoch: 'E1', seq: 10, id: 'a' }, head('E1', 40, [rec(10, 0, 'a'), rec(30, 10, 'c')]), partial).needsFullLog, true);
  });

  it('on a new epoch applies its whole log and doubts the old one', () => {
    const plan = planSync({ epoch: 'E1', seq: 30, id: 'c' }, head('E2', 5, [rec(5, 0, 'x', 'E2')]), partial);
    assert.equal(plan.doubt, 'new-epoch');
    assert.deepEqual(plan.apply.map((r) => r.id), ['x']);
    assert.deepEqual(plan.position, { epoch: 'E2', seq: 5, id: 'x' });
  });

  it('on first contact doubts only when it already served from memory', () => {
    const h = head('E1', 20, [rec(10, 0, 'a'), rec(20, 10, 'b')]);
    assert.equal(planSync({ epoch: undefined, seq: 0, id: undefined }, h, { isFullLog: true, memoryIsEmpty: true }).doubt, undefined);
    assert.equal(planSync({ epoch: undefined, seq: 0, id: undefined }, h, { isFullLog: true, memoryIsEmpty: false }).doubt, 'first-contact');
  });

  it('a place whose record the log never held (after a resync) continues from the next record', () => {
    const plan = planSync({ epoch: 'E1', seq: 30, id: undefined }, head('E1', 40, [rec(40, 30, 'd')]), partial);
    assert.equal(plan.doubt, undefined);
    assert.deepEqual(plan.position, { epoch: 'E1', seq: 40, id: 'd' });
  });

  it('a pub/sub message moves the place only when it continues the chain', () => {
    assert.equal(continuesChain({ epoch: 'E1', seq: 10, id: 'a' }, rec(20, 10, 'b')), true);
    assert.equal(continuesChain({ epoch: 'E1', seq: 10, id: 'a' }, rec(30, 20, 'c')), false);
    assert.equal(continuesChain({ epoch: 'E1', seq: 10, id: 'a' }, rec(20, 10, 'b', 'E2')), false);
    assert.equal(continuesChain({ epoch: undefined, seq: 0, id: undefined }, rec(20, 0, 'b')), false);
  });
});
