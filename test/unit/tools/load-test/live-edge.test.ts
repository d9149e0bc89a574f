// Where a simulated player starts on a live playlist and when it reloads it: hls.js's rules, as numbers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveReloadIntervalMs, liveStartSequence, unfetchedSeconds } from '../../../../tools/load-test/live-edge.ts';

const segs = (first: number, durations: number[]) => durations.map((durationS, i) => ({ sequence: first + i, durationS }));

describe('liveReloadIntervalMs', () => {
  it('waits a target duration after a change and half of one after none (RFC 8216 §6.3.4)', () => {
    assert.equal(liveReloadIntervalMs({ changed: true, targetDurationS: 2, lastSegmentS: 2, toLiveEdgeS: 6 }), 2_000);
    assert.equal(liveReloadIntervalMs({ changed: false, targetDurationS: 2, lastSegmentS: 2, toLiveEdgeS: 6 }), 1_000);
  });

  it("waits only the last segment's duration when it is shorter and the playhead is near the live edge, as hls.js does", () => {
    // A live encoder's partial segment after a restart: the next one follows sooner than a target duration.
    assert.equal(liveReloadIntervalMs({ changed: true, targetDurationS: 2, lastSegmentS: 0.64, toLiveEdgeS: 3 }), 640);
    // Unchanged: half a target duration, whatever the last segment.
    assert.equal(liveReloadIntervalMs({ changed: false, targetDurationS: 2, lastSegmentS: 0.64, toLiveEdgeS: 3 }), 1_000);
  });

  it('keeps the target duration far from the live edge (4 target durations or more) or without segments', () => {
    assert.equal(liveReloadIntervalMs({ changed: true, targetDurationS: 2, lastSegmentS: 0.5, toLiveEdgeS: 8 }), 2_000);
    assert.equal(liveReloadIntervalMs({ changed: true, targetDurationS: 2, lastSegmentS: 0.5, toLiveEdgeS: 7.9 }), 500);
    assert.equal(liveReloadIntervalMs({ changed: true, targetDurationS: 2, lastSegmentS: undefined, toLiveEdgeS: 0 }), 2_000);
    assert.equal(liveReloadIntervalMs({ changed: true, targetDurationS: 2, lastSegmentS: 0, toLiveEdgeS: 0 }), 2_000);
  });
});

describe('liveStartSequence', () => {
  it('starts live three target durations from the end, VOD and empty playlists at the media sequence', () => {
    assert.equal(liveStartSequence(segs(50, [2, 2, 2, 2, 2, 2]), 2, false, 50), 53);
    assert.equal(liveStartSequence(segs(50, [2, 2, 2, 2, 1.5, 1.5]), 2, false, 50), 52);
    assert.equal(liveStartSequence(segs(50, [2, 2, 2]), 2, true, 50), 50);
    assert.equal(liveStartSequence([], 2, false, 7), 7);
  });

  it('starts at the first segment of a young channel that lists less than three target durations', () => {
    assert.equal(liveStartSequence(segs(0, [2, 2]), 2, false, 0), 0);
  });
});

describe('unfetchedSeconds', () => {
  it('adds the listed media from the next segment to fetch on', () => {
    assert.equal(unfetchedSeconds(segs(10, [2, 2, 0.5, 2]), 12), 2.5);
    assert.equal(unfetchedSeconds(segs(10, [2, 2]), 12), 0);
    assert.equal(unfetchedSeconds(segs(10, [2, 2]), 3), 4);
  });
});
