// The fetch a request leads: it lets go of its fill and its cross-edge lock exactly once, whatever happened first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../../server/core/errors.ts';
import { LocalFills } from '../../../server/edge/collapsing.ts';
import { FillLeader } from '../../../server/edge/fill-leader.ts';

function leaderOf(fills: LocalFills, key = '/vod/a/1.ts'): { leader: FillLeader; released: string[] } {
  const released: string[] = [];
  const leader = new FillLeader(key, fills.open(key), 3, 7, (k, token) => released.push(`${k} ${token}`));
  return { leader, released };
}

describe('fill leader', () => {
  it('on close tells waiters not yet told to fetch for themselves, and unlocks once', async () => {
    const fills = new LocalFills();
    const { leader, released } = leaderOf(fills);
    leader.holdLock('t.1');
    const waited = leader.fill?.outcome;
    leader.close();
    leader.close();
    assert.deepEqual(await waited, { kind: 'retry' });
    assert.deepEqual(released, ['/vod/a/1.ts t.1']);
    assert.equal(fills.size, 0, 'the key has no fill under way any more');
    assert.equal(leader.isClosed, true);
  });

  it('keeps the first settlement: an error told early is what waiters get, not the close\'s retry', async () => {
    const fills = new LocalFills();
    const { leader } = leaderOf(fills);
    leader.settle({ kind: 'error', error: new UpstreamError('EDGE_ORIGIN_ERROR', 502, 'down') });
    leader.close();
    assert.equal((await leader.fill?.outcome)?.kind, 'error');
  });

  it('does not unlock a lock passed on to the store, which publishes its own notice', () => {
    const fills = new LocalFills();
    const { leader, released } = leaderOf(fills);
    leader.holdLock('t.2');
    assert.equal(leader.passLock(), 't.2');
    assert.equal(leader.lockToken, undefined);
    leader.close();
    assert.deepEqual(released, []);
  });

  it('leads no fill for a bypass, and closing it is harmless', () => {
    const leader = new FillLeader('/vod/a/2.ts', undefined, 0, 0, () => assert.fail('no lock was taken'));
    leader.settle({ kind: 'retry' });
    leader.close();
    assert.equal(leader.isClosed, true);
  });
});
