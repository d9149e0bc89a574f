// The Redis circuit breaker with an injected clock: opens after N failures, probes once after the cool-down.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../../server/edge/circuit-breaker.ts';

describe('circuit breaker', () => {
  it('opens, cools down, lets one probe through, closes on success', () => {
    let now = 0;
    const states: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, clock: () => now, onChange: (s) => states.push(s) });
    b.failure();
    b.failure();
    assert.equal(b.allow(), true);
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.allow(), false);
    now += 1000;
    assert.equal(b.allow(), true, 'one probe');
    assert.equal(b.allow(), false, 'only one');
    b.success();
    assert.equal(b.state, 'closed');
    assert.deepEqual(states, ['open', 'half-open', 'closed']);
  });

  it('a failed probe opens it again', () => {
    let now = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100, clock: () => now });
    b.failure();
    now += 100;
    assert.equal(b.allow(), true);
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.allow(), false);
  });
});
