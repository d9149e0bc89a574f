import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress, Progress } from '../../../../tools/load-test/progress.ts';
import { timelinePoint, viewerTotals } from '../../../../tools/load-test/report.ts';
import type { ViewerSnapshot } from '../../../../tools/load-test/viewer.ts';
import { defaultOutDir } from '../../../../tools/load-test/write-report.ts';

function viewer(over: Partial<ViewerSnapshot>): ViewerSnapshot {
  return { state: 'playing', bufferedS: 10, startupMs: 500, stallCount: 0, stallMs: 0, playedS: 60, switches: 0, failedRequests: 0, segments: 30, skippedSegments: 0, loops: 0, rendition: 1, failure: undefined, ...over };
}

describe('viewerTotals', () => {
  it('adds stalls across viewers and computes the rebuffering ratio as stall time over watch time', () => {
    const t = viewerTotals([
      viewer({ stallCount: 2, stallMs: 10_000, playedS: 50, startupMs: 300 }),
      viewer({ playedS: 60, startupMs: 700, switches: 3, rendition: 2 }),
      viewer({ startupMs: undefined, playedS: 0, failure: 'bad playlist', rendition: 0 }),
    ]);
    assert.equal(t.started, 3);
    assert.equal(t.stalls, 2);
    assert.equal(t.viewersWithStalls, 1);
    assert.equal(t.stallS, 10);
    assert.equal(t.playedS, 110);
    assert.equal(t.rebufferingRatio, 10 / 120);
    assert.equal(t.neverStarted, 1);
    assert.equal(t.failed, 1);
    assert.deepEqual(t.failures, ['bad playlist']);
    assert.equal(t.switches, 3);
    assert.equal(t.startupMs.count, 2);
    assert.equal(t.startupMs.max, 700);
    assert.deepEqual(t.finalRenditions, { '0': 1, '1': 1, '2': 1 });
  });

  it('has no rebuffering ratio before anyone watched anything', () => {
    assert.equal(viewerTotals([]).rebufferingRatio, null);
  });
});

describe('timeline points', () => {
  it('turns an interval into rates', () => {
    const p = timelinePoint(2, 0.5, { requests: 50, bytes: 125_000_000, errors: 1, hits: 30, withXCache: 40, latency: { count: 50, mean: 1, p50: 1, p90: 2, p99: 3, p99_9: 4, max: 5 } }, { active: 7, stalled: 1, newStalls: 2 });
    assert.equal(p.requestsPerS, 100);
    assert.equal(p.gbitPerS, 2);
    assert.equal(p.hitRatio, 0.75);
    assert.equal(p.p99, 3);
    assert.equal(p.activeViewers, 7);
  });
});

describe('progress', () => {
  it('formats the status line', () => {
    const line = formatProgress({ elapsedS: 12.4, totalS: 60, activeViewers: 200, requestsPerS: 512.3, gbitPerS: 1.23456, hitRatio: 0.987, stalls: 3, errors: 0 });
    assert.equal(line, '12s/60s  viewers 200  512 req/s  1.235 Gbit/s  hit 98.7%  stalls 3  errors 0');
  });

  it('redraws one line in a terminal and prints a plain line every few seconds otherwise', () => {
    const p = { elapsedS: 1, totalS: 10, activeViewers: undefined, requestsPerS: 1, gbitPerS: 0, hitRatio: null, stalls: undefined, errors: 0 };
    const tty: string[] = [];
    const ttyProgress = new Progress({ isTTY: true, write: (s) => tty.push(s) });
    ttyProgress.update(p);
    ttyProgress.update({ ...p, elapsedS: 2 });
    ttyProgress.finish();
    assert.ok(tty[0]?.startsWith('\r\x1b[2K'));
    assert.equal(tty.at(-1), '\n');
    const plain: string[] = [];
    const plainProgress = new Progress({ isTTY: false, write: (s) => plain.push(s) });
    for (let s = 1; s <= 10; s++) plainProgress.update({ ...p, elapsedS: s });
    assert.equal(plain.length, 2);
    assert.ok(plain.every((l) => l.endsWith('\n') && !l.includes('\r')));
  });
});

describe('defaultOutDir', () => {
  it('is reports/loadtest-<timestamp> without colons', () => {
    assert.equal(defaultOutDir(new Date('2024-05-01T12:34:56.789Z')), 'reports/loadtest-2024-05-01T12-34-56');
  });
});
