import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ABR, ThroughputEstimator, initialRendition, nextRendition } from '../../../../tools/load-test/abr.ts';

const LADDER = [400_000, 800_000, 1_600_000, 3_200_000];

describe('initialRendition', () => {
  it('starts auto at the low middle, and honours fixed choices', () => {
    assert.equal(initialRendition(4, 'auto'), 1);
    assert.equal(initialRendition(3, 'auto'), 1);
    assert.equal(initialRendition(1, 'auto'), 0);
    assert.equal(initialRendition(4, 'lowest'), 0);
    assert.equal(initialRendition(4, 'highest'), 3);
    assert.equal(initialRendition(4, 'random', () => 0.5), 2);
    assert.equal(initialRendition(4, 'random', () => 0.9999), 3);
  });
});

describe('nextRendition', () => {
  it('stays put before any measurement', () => {
    assert.equal(nextRendition(LADDER, 1, undefined, 10), 1);
  });

  it('switches up to the best rendition within the up safety margin', () => {
    // 0.7 × 5 Mbit/s = 3.5 Mbit/s: the 3.2 Mbit/s rendition fits.
    assert.equal(nextRendition(LADDER, 1, 5_000_000, 10), 3);
    // 0.7 × 3 Mbit/s = 2.1 Mbit/s: 1.6 fits, 3.2 does not.
    assert.equal(nextRendition(LADDER, 1, 3_000_000, 10), 2);
  });

  it('does not switch up on a thin buffer', () => {
    assert.equal(nextRendition(LADDER, 1, 50_000_000, DEFAULT_ABR.minBufferForUpS - 1), 1);
  });

  it('switches down at once when the current rendition needs more than the down margin', () => {
    // Current 1.6 Mbit/s > 0.9 × 1 Mbit/s: drop to the best under 0.9 Mbit/s, 800 kbit/s.
    assert.equal(nextRendition(LADDER, 2, 1_000_000, 0), 1);
    // Nothing fits: the lowest.
    assert.equal(nextRendition(LADDER, 3, 100_000, 30), 0);
  });

  it('holds inside the hysteresis band between the two margins', () => {
    // On 1.6 Mbit/s with a 2 Mbit/s estimate: 1.6 < 0.9 × 2 = 1.8 so no drop; 3.2 > 0.7 × 2 so no climb.
    assert.equal(nextRendition(LADDER, 2, 2_000_000, 30), 2);
  });
});

describe('ThroughputEstimator', () => {
  it('takes the first sample as is', () => {
    const e = new ThroughputEstimator();
    assert.equal(e.estimateBps(), undefined);
    e.sample(125_000, 1_000); // 1 Mbit in 1 s
    assert.equal(e.estimateBps(), 1_000_000);
  });

  it('drops fast and climbs slowly (the lower of a fast and a slow average)', () => {
    const e = new ThroughputEstimator();
    e.sample(1_250_000, 1_000); // 10 Mbit/s
    e.sample(125_000, 1_000); // 1 Mbit/s: fast average 5.5, slow 8.65
    assert.equal(Math.round(e.estimateBps() ?? 0), 5_500_000);
    const down = new ThroughputEstimator();
    down.sample(125_000, 1_000);
    down.sample(1_250_000, 1_000); // fast 5.5, slow 2.35 → the slow one wins
    assert.equal(Math.round(down.estimateBps() ?? 0), 2_350_000);
  });

  it('ignores empty downloads', () => {
    const e = new ThroughputEstimator();
    e.sample(0, 10);
    assert.equal(e.estimateBps(), undefined);
  });
});
