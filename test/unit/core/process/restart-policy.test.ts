// The one restart rule: quick deaths back off and end in a crash loop; a child that ran a while restarts at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RESTART_POLICY, decideRestart, type RestartDecision } from '../../../../server/core/process/restart-policy.ts';

const policy = DEFAULT_RESTART_POLICY;

/** The decisions for deaths after these uptimes, one after another. */
function decisions(uptimesMs: readonly number[], p = policy): RestartDecision[] {
  let quick = 0;
  return uptimesMs.map((uptime) => {
    const d = decideRestart(p, quick, uptime);
    quick = d.quickDeaths;
    return d;
  });
}

describe('restart policy', () => {
  it('backs off 0.2, 0.4, 0.8, 1.6, 3.2 s for quick deaths in a row, then gives up', () => {
    const out = decisions([50, 50, 50, 50, 50, 50]);
    assert.deepEqual(out.slice(0, 5).map((d) => (d.action === 'restart' ? d.delayMs : d.action)), [200, 400, 800, 1600, 3200]);
    assert.deepEqual(out[5], { action: 'give-up', quickDeaths: 6 });
  });

  it('a child that ran past stableAfterMs restarts after the first delay and starts the count again', () => {
    const out = decisions([50, 50, 50, policy.stableAfterMs, 50]);
    assert.deepEqual(out.map((d) => (d.action === 'restart' ? d.delayMs : d.action)), [200, 400, 800, 200, 200]);
    assert.equal(out[3]?.quickDeaths, 0);
    assert.equal(out[4]?.quickDeaths, 1);
  });

  it('never waits longer than maxDelayMs', () => {
    const out = decisions(Array.from({ length: 12 }, () => 0), { ...policy, maxQuickRestarts: 20, maxDelayMs: 5_000 });
    const delays = out.map((d) => (d.action === 'restart' ? d.delayMs : Infinity));
    assert.deepEqual(delays.slice(0, 6), [200, 400, 800, 1600, 3200, 5_000]);
    assert.ok(delays.slice(6).every((d) => d === 5_000));
  });
});
