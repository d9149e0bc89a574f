// VOD media playlists: reading ffmpeg's list, writing ours, and the RFC 8216 peak and average bit rates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import HLS from 'hls-parser';
import { averageBitRate, parseMediaSegments, peakBitRate, renderMediaPlaylist, targetDuration } from '../../../../server/origin/packaging/media-playlist.ts';

const FFMPEG_OUTPUT = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXTINF:4.000000,
seg-00000.ts
#EXTINF:4.004000,
seg-00001.ts
#EXTINF:1.520000,
seg-00002.ts
#EXT-X-ENDLIST
`;

describe('parseMediaSegments', () => {
  it('reads EXTINF durations and URIs', () => {
    assert.deepEqual(parseMediaSegments(FFMPEG_OUTPUT), [
      { uri: 'seg-00000.ts', durationSeconds: 4 },
      { uri: 'seg-00001.ts', durationSeconds: 4.004 },
      { uri: 'seg-00002.ts', durationSeconds: 1.52 },
    ]);
  });
  it('ignores URIs without EXTINF and CRLF line ends', () => {
    assert.deepEqual(parseMediaSegments('#EXTM3U\r\nstray.ts\r\n#EXTINF:2.5,\r\na.ts\r\n'), [{ uri: 'a.ts', durationSeconds: 2.5 }]);
  });
});

describe('renderMediaPlaylist', () => {
  it('writes a VOD playlist a real parser accepts', () => {
    const text = renderMediaPlaylist(parseMediaSegments(FFMPEG_OUTPUT));
    const p = HLS.parse(text);
    assert.ok(!p.isMasterPlaylist);
    assert.equal(p.playlistType, 'VOD');
    assert.equal(p.endlist, true);
    assert.equal(p.independentSegments, true);
    assert.equal(p.targetDuration, 4);
    assert.deepEqual(p.segments.map((s) => [s.uri, s.duration]), [['seg-00000.ts', 4], ['seg-00001.ts', 4.004], ['seg-00002.ts', 1.52]]);
    assert.match(text, /#EXT-X-ENDLIST\n$/);
  });
  it('sets the target duration to the largest rounded EXTINF (RFC 8216 §4.3.3.1)', () => {
    assert.equal(targetDuration([{ uri: 'a', durationSeconds: 4.4 }]), 4);
    assert.equal(targetDuration([{ uri: 'a', durationSeconds: 4.5 }]), 5);
    assert.equal(targetDuration([{ uri: 'a', durationSeconds: 0.2 }]), 1);
  });
});

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
