// The RFC 8216 peak and average bit rates of a VOD rendition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averageBitRate, peakBitRate } from '../../../../server/origin/packaging/bit-rates.ts';

describe('bit rates', () => {
  const seg = (durationSeconds: number, bytes: number): { uri: string; durationSeconds: number; bytes: number } => ({ uri: 'x.ts', durationSeconds, bytes });

  it('averages all bits over the whole duration', () => {
    assert.equal(averageBitRate([seg(4, 500_000), seg(4, 1_500_000)]), 2_000_000);
  });

  it('takes the peak over runs of 0.5 to 1.5 target durations', () => {
    // TD 4: single 4 s segments qualify (2..6 s); the busy one is 3 Mbit/s.
    assert.equal(peakBitRate([seg(4, 500_000), seg(4, 1_500_000), seg(4, 500_000)]), 3_000_000);
  });

  it('does not let a tiny last segment alone set the peak', () => {
    // 0.1 s with a keyframe: 8 Mbit/s alone, but it only counts together with the segment before it.
    const peak = peakBitRate([seg(4, 1_000_000), seg(4, 1_000_000), seg(0.1, 100_000)]);
    assert.equal(peak, Math.ceil((1_100_000 * 8) / 4.1));
  });

  it('falls back to the average when no run qualifies', () => {
    assert.equal(peakBitRate([seg(0.2, 10_000)]), averageBitRate([seg(0.2, 10_000)]));
  });
});
