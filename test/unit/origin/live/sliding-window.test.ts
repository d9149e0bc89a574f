// Sliding window and m3u8 text of live channels, checked with a real HLS parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import HLS from 'hls-parser';
import {
  EMPTY_WINDOW,
  appendToWindow,
  mediaSequenceOf,
  renderLiveMasterPlaylist,
  renderLiveMediaPlaylist,
  targetDurationFor,
  type LiveSegment,
  type LiveWindow,
} from '../../../../server/origin/live/playlist.ts';

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

function parseMedia(text: string): HLS.types.MediaPlaylist {
  const p = HLS.parse(text);
  assert.ok(p instanceof HLS.types.MediaPlaylist);
  return p;
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

describe('targetDurationFor', () => {
  it('is the longest segment rounded to the nearest integer (RFC 8216 §4.3.3.1), never below the configured length', () => {
    assert.equal(targetDurationFor([seg(0, { durationSeconds: 2.021 })], 2), 2);
    assert.equal(targetDurationFor([seg(0, { durationSeconds: 2 }), seg(1, { durationSeconds: 2.6 })], 2), 3);
    assert.equal(targetDurationFor([seg(0, { durationSeconds: 1.2 })], 4), 4);
    assert.equal(targetDurationFor([], 0.5), 1);
  });
});

describe('renderLiveMediaPlaylist', () => {
  it('writes a sliding-window playlist a real parser reads back', () => {
    const { window } = fill([0, 1, 2, 3, 4, 5, 6, 7, 8], 6, [5]);
    const text = renderLiveMediaPlaylist(window, 2);
    const p = parseMedia(text);
    assert.equal(p.version, 3);
    assert.equal(p.targetDuration, 2);
    assert.equal(p.mediaSequenceBase, 3);
    assert.equal(p.discontinuitySequenceBase, 0);
    assert.equal(p.endlist, false);
    assert.equal(p.playlistType, undefined);
    assert.deepEqual(p.segments.map((s) => s.uri), [3, 4, 5, 6, 7, 8].map((n) => `seg-x-${n}.ts`));
    assert.deepEqual(p.segments.map((s) => s.mediaSequenceNumber), [3, 4, 5, 6, 7, 8]);
    assert.deepEqual(p.segments.map((s) => Boolean(s.discontinuity)), [false, false, true, false, false, false]);
    assert.deepEqual(p.segments.map((s) => s.discontinuitySequence), [0, 0, 1, 1, 1, 1]);
    assert.equal(p.segments[0]?.programDateTime?.getTime(), T0 + 3 * 2000);
    assert.ok(!text.includes('#EXT-X-ENDLIST'));
  });

  it('raises the target duration for a long segment and keeps the discontinuity count after it slid out', () => {
    let window = fill([0, 1, 2], 2, [1]).window;
    window = appendToWindow(window, seg(3, { durationSeconds: 3.4 }), 2).window;
    const p = parseMedia(renderLiveMediaPlaylist(window, 2));
    assert.equal(p.targetDuration, 3);
    assert.equal(p.discontinuitySequenceBase, 1);
    assert.equal(p.segments[1]?.duration, 3.4);
  });
});

describe('renderLiveMasterPlaylist', () => {
  it('lists every rendition with BANDWIDTH, RESOLUTION, CODECS and FRAME-RATE', () => {
    const text = renderLiveMasterPlaylist([
      { uri: '360p/index.m3u8', bandwidth: 830_000.4, width: 640, height: 360, codecs: 'avc1.42c01e,mp4a.40.2', frameRate: 25 },
      { uri: '240p/index.m3u8', bandwidth: 455_000, width: 426, height: 240, codecs: 'avc1.42c015,mp4a.40.2', frameRate: 25 },
    ]);
    const p = HLS.parse(text);
    assert.ok(p instanceof HLS.types.MasterPlaylist);
    assert.equal(p.independentSegments, true);
    assert.deepEqual(
      p.variants.map((v) => [v.uri, v.bandwidth, v.resolution?.width, v.resolution?.height, v.codecs, v.frameRate]),
      [
        ['360p/index.m3u8', 830_000, 640, 360, 'avc1.42c01e,mp4a.40.2', 25],
        ['240p/index.m3u8', 455_000, 426, 240, 'avc1.42c015,mp4a.40.2', 25],
      ],
    );
  });
});
