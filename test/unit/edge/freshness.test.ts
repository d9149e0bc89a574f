// Freshness with an injected clock: fresh, stale within stale-while-revalidate, expired; stale-if-error; retention.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ageSeconds, freshnessOf, isRetained, isUsableOnError, retentionMs, type Lifetime } from '../../../server/edge/freshness.ts';

const T0 = 1_900_000_000_000;
const l: Lifetime = { storedAt: T0, ttlMs: 10_000, staleWhileRevalidateMs: 5_000, staleIfErrorMs: 60_000 };

describe('freshness', () => {
  it('is fresh until the TTL, then stale for the stale-while-revalidate window, then expired', () => {
    assert.equal(freshnessOf(l, T0), 'fresh');
    assert.equal(freshnessOf(l, T0 + 9_999), 'fresh');
    assert.equal(freshnessOf(l, T0 + 10_000), 'stale');
    assert.equal(freshnessOf(l, T0 + 14_999), 'stale');
    assert.equal(freshnessOf(l, T0 + 15_000), 'expired');
  });

  it('moving the clock six seconds makes a 5 s object stale', () => {
    let now = T0;
    const five: Lifetime = { ...l, ttlMs: 5_000 };
    assert.equal(freshnessOf(five, now), 'fresh');
    now += 6_000;
    assert.equal(freshnessOf(five, now), 'stale');
  });

  it('may answer on upstream errors within stale-if-error only', () => {
    assert.equal(isUsableOnError(l, T0 + 69_999), true);
    assert.equal(isUsableOnError(l, T0 + 70_000), false);
  });

  it('keeps objects for TTL plus the longer stale window', () => {
    assert.equal(retentionMs(l), 70_000);
    assert.equal(isRetained(l, T0 + 69_000), true);
    assert.equal(isRetained(l, T0 + 70_000), false);
  });

  it('Age is whole seconds and never negative (a clock that went back)', () => {
    assert.equal(ageSeconds(l, T0 + 2_999), 2);
    assert.equal(ageSeconds(l, T0 - 5_000), 0);
  });
});
