// The fault suite's pass rules and per-second timeline: pure functions over what a fault measured.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passes, timelineOf, viewerChecks, withinMs } from '../../../../tools/faults/fault-result.ts';
import type { ViewerEvent } from '../../../../tools/faults/viewer.ts';
import type { ViewerTotals } from '../../../../tools/faults/viewer-pool.ts';

const clean: ViewerTotals = { viewers: 10, requests: 100, failedRequests: 0, failedOver: 3, stalls: 0, stallMs: 0, skippedSegments: 0, neverStarted: 0, crashed: 0 };

function event(atMs: number, ok: boolean, extra: Partial<ViewerEvent> = {}): ViewerEvent {
  return { atMs, viewer: 0, kind: 'segment', ok, status: ok ? 200 : 0, ms: 5, failedOver: false, pathway: undefined, error: undefined, ...extra };
}

describe('viewerChecks', () => {
  it('passes a run with no failed request, no stall and every viewer playing; failovers are not failures', () => {
    const checks = viewerChecks(clean);
    assert.ok(checks.every((c) => c.pass), JSON.stringify(checks));
    assert.equal(passes(checks, null), true);
  });

  it('one failed request, one stall or one viewer that never started fails the rule, naming what was measured', () => {
    for (const [field, value, name] of [['failedRequests', 1, '0 failed viewer requests'], ['stalls', 1, '0 stalls'], ['neverStarted', 1, 'every viewer played'], ['crashed', 1, 'every viewer played']] as const) {
      const checks = viewerChecks({ ...clean, [field]: value });
      const failed = checks.filter((c) => !c.pass);
      assert.deepEqual(failed.map((c) => c.name), [name], field);
      assert.equal(passes(checks, null), false);
    }
    assert.equal(viewerChecks({ ...clean, failedRequests: 2 }).find((c) => !c.pass)?.measured, '2 of 100');
  });

  it('no viewers at all is not a pass', () => {
    assert.equal(passes(viewerChecks({ ...clean, viewers: 0, requests: 0 }), null), false);
  });
});

describe('withinMs and passes', () => {
  it('a time at the limit passes, above it or never measured fails', () => {
    assert.equal(withinMs('x', 2_500, 2_500).pass, true);
    assert.equal(withinMs('x', 2_501, 2_500).pass, false);
    const never = withinMs('x', undefined, 2_500);
    assert.equal(never.pass, false);
    assert.match(never.measured, /never/);
  });

  it('a fault that errored, or has no checks, does not pass', () => {
    assert.equal(passes([withinMs('x', 1, 2)], 'stack did not start'), false);
    assert.equal(passes([], null), false);
  });
});

describe('timelineOf', () => {
  it('buckets viewer requests per second around the fault, every second present, steering left out', () => {
    const points = timelineOf(
      [
        event(9_100, true),
        event(10_050, false),
        event(10_400, true, { failedOver: true, ms: 40 }),
        event(12_900, true),
        event(11_000, false, { kind: 'steering' }),
      ],
      10_000,
    );
    assert.deepEqual(points.map((p) => p.s), [-1, 0, 1, 2]);
    assert.deepEqual(points.map((p) => [p.ok, p.failed, p.failedOver]), [[1, 0, 0], [1, 1, 1], [0, 0, 0], [1, 0, 0]]);
    assert.equal(points[1]?.maxMs, 40);
    assert.equal(points[2]?.maxMs, null);
  });

  it('no events, no points', () => {
    assert.deepEqual(timelineOf([], 0), []);
  });
});
