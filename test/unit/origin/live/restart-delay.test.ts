// When a live channel starts ffmpeg again: at once after a run that published, backing off after runs that did not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restartDelayMs } from '../../../../server/origin/live/channel.ts';

describe('live channel restart delay', () => {
  it('restarts a run that had published segments at once', () => {
    assert.equal(restartDelayMs(0, 1_000, 30_000), 0);
  });

  it('backs off runs that die before publishing: the backoff, then doubling, up to the maximum', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelayMs(n, 1_000, 30_000)), [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
