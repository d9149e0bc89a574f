// The sliding window of a live channel: what its media playlists list, and the discontinuities that slid out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_WINDOW, appendToWindow, mediaSequenceOf, type LiveSegment, type LiveWindow } from '../../../../server/origin/live/sliding-window.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function seg(sequence: number, opts: Partial<LiveSegment> = {}): LiveSegment {
  return { sequence, uri: `seg-x-${sequence}.ts`, durationSeconds: 2, programDateTimeMs: T0 + sequence * 2000, discontinuity: false, ...opts };
}

function fill(sequences: number[], windowSegments: number, discontinuities: number[] = []): { window: LiveWindow; evicted: LiveSegment[] } {
  let window = EMPTY_WINDOW;
  const evicted: LiveSegment[] = [];
  for (const n of sequences) {
    const r = appendToWindow(window, seg(n, { discontinuity: discontinuities.includes(n) }), windowSegments);
    window = r.window;
    evicted.push(...r.evicted);
  }
  return { window, evicted };
}

describe('live window', () => {
  it('keeps the last N segments and hands back the ones that slid out', () => {
    const { window, evicted } = fill([0, 1, 2, 3, 4, 5, 6, 7], 6);
    assert.deepEqual(window.segments.map((s) => s.sequence), [2, 3, 4, 5, 6, 7]);
    assert.deepEqual(evicted.map((s) => s.sequence), [0, 1]);
    assert.equal(mediaSequenceOf(window), 2);
  });

  it('starts the media sequence at 0 and advances it by one per new segment once full', () => {
    assert.equal(mediaSequenceOf(EMPTY_WINDOW), 0);
    assert.equal(mediaSequenceOf(fill([0, 1, 2], 3).window), 0);
    assert.equal(mediaSequenceOf(fill([0, 1, 2, 3], 3).window), 1);
    assert.equal(mediaSequenceOf(fill([0, 1, 2, 3, 4], 3).window), 2);
  });

  it('counts a discontinuity in EXT-X-DISCONTINUITY-SEQUENCE only once it slides out', () => {
    const inside = fill([0, 1, 2, 3, 4], 3, [3]).window;
    assert.equal(inside.discontinuitySequence, 0);
    const first = fill([0, 1, 2, 3, 4, 5], 3, [3]).window;
    assert.equal(first.segments[0]?.discontinuity, true, 'still listed while it is the first segment');
    assert.equal(first.discontinuitySequence, 0);
    const out = fill([0, 1, 2, 3, 4, 5, 6], 3, [3]).window;
    assert.equal(out.discontinuitySequence, 1);
    assert.equal(fill([0, 1, 2, 3, 4, 5, 6, 7, 8], 2, [2, 4, 5]).window.discontinuitySequence, 3);
  });
});
