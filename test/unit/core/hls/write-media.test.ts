// The one media playlist writer (hls-parser's stringify): its text checked against hand-written playlists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlaylistError } from '../../../../server/core/hls/playlist-error.ts';
import { playlistVersion } from '../../../../server/core/hls/playlist-version.ts';
import { writeMediaPlaylist } from '../../../../server/core/hls/write-media.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('writeMediaPlaylist', () => {
  it('writes a VOD playlist: PLAYLIST-TYPE VOD, ENDLIST, the rounded target duration, microsecond EXTINF', () => {
    const text = writeMediaPlaylist({
      kind: 'vod',
      segments: [
        { uri: 'seg-00000.ts', durationSeconds: 4 },
        { uri: 'seg-00001.ts', durationSeconds: 4.004 },
        { uri: 'seg-00002.ts', durationSeconds: 1.5200000001 },
      ],
    });
    assert.equal(
      text,
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXTINF:4,',
        'seg-00000.ts',
        '#EXTINF:4.004,',
        'seg-00001.ts',
        '#EXTINF:1.52,',
        'seg-00002.ts',
        '#EXT-X-ENDLIST',
      ),
    );
  });

  it('writes a live window: media and discontinuity sequence, DISCONTINUITY, PROGRAM-DATE-TIME, no ENDLIST', () => {
    const text = writeMediaPlaylist({
      kind: 'live',
      mediaSequence: 41,
      discontinuitySequence: 2,
      minimumTargetDuration: 2,
      segments: [
        { uri: 'seg-x-41.ts', durationSeconds: 2.021333, programDateTimeMs: T0 },
        { uri: 'seg-x-42.ts', durationSeconds: 2, programDateTimeMs: T0 + 2021, discontinuity: true },
      ],
    });
    assert.equal(
      text,
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:41',
        '#EXT-X-DISCONTINUITY-SEQUENCE:2',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:00.000Z',
        '#EXTINF:2.021333,',
        'seg-x-41.ts',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:02.021Z',
        '#EXTINF:2,',
        'seg-x-42.ts',
      ),
    );
  });

  it('leaves out sequence numbers that are 0 (their default, RFC 8216 §4.3.3.2-3)', () => {
    const text = writeMediaPlaylist({ kind: 'live', segments: [{ uri: 'a.ts', durationSeconds: 2 }] });
    assert.equal(text, lines('#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-TARGETDURATION:2', '#EXTINF:2,', 'a.ts'));
  });

  it('keeps the live target the channel announced, and raises it for a long segment', () => {
    const at = (minimumTargetDuration: number, durationSeconds: number): string | undefined =>
      /#EXT-X-TARGETDURATION:(\d+)/.exec(writeMediaPlaylist({ kind: 'live', minimumTargetDuration, segments: [{ uri: 'a.ts', durationSeconds }] }))?.[1];
    assert.equal(at(4, 1.2), '4');
    assert.equal(at(2, 3.4), '3');
  });

  it('writes fMP4 (CMAF) with EXT-X-MAP once and version 7', () => {
    const text = writeMediaPlaylist({
      kind: 'vod',
      segmentFormat: 'fmp4',
      mapUri: 'init.mp4',
      segments: [
        { uri: 'seg-0.m4s', durationSeconds: 4 },
        { uri: 'seg-1.m4s', durationSeconds: 4 },
      ],
    });
    assert.equal(
      text,
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:4,',
        'seg-0.m4s',
        '#EXTINF:4,',
        'seg-1.m4s',
        '#EXT-X-ENDLIST',
      ),
    );
  });

  it('writes a new EXT-X-MAP where a live channel\'s init segment changes, after its discontinuity', () => {
    const text = writeMediaPlaylist({
      kind: 'live',
      segmentFormat: 'fmp4',
      mediaSequence: 9,
      segments: [
        { uri: 'seg-t-9.m4s', durationSeconds: 2, mapUri: 'init-t-1.mp4' },
        { uri: 'seg-t-10.m4s', durationSeconds: 2, mapUri: 'init-t-1.mp4' },
        { uri: 'seg-t-11.m4s', durationSeconds: 2, mapUri: 'init-t-2.mp4', discontinuity: true },
      ],
    });
    assert.equal(text.match(/#EXT-X-MAP:/g)?.length, 2);
    assert.ok(text.includes('#EXT-X-VERSION:7'));
    assert.ok(text.indexOf('#EXT-X-MAP:URI="init-t-2.mp4"') > text.indexOf('seg-t-10.m4s'));
    assert.ok(text.indexOf('#EXT-X-MAP:URI="init-t-2.mp4"') < text.indexOf('seg-t-11.m4s'));
  });

  it('refuses what would make an invalid playlist, naming the rule', () => {
    const seg = { uri: 'a.ts', durationSeconds: 2 };
    const refuses = (spec: Parameters<typeof writeMediaPlaylist>[0], rule: RegExp): void => {
      assert.throws(() => writeMediaPlaylist(spec), (err: unknown) => err instanceof PlaylistError && rule.test(err.message));
    };
    refuses({ kind: 'vod', segmentFormat: 'fmp4', segments: [seg] }, /fMP4 segments need an EXT-X-MAP/);
    refuses({ kind: 'vod', mapUri: 'in"it.mp4', segments: [seg] }, /double quote/);
    refuses({ kind: 'live', segmentFormat: 'fmp4', segments: [{ uri: 'a.m4s', durationSeconds: 2, mapUri: 'i.mp4' }, seg] }, /fMP4 segments need an EXT-X-MAP/);
    refuses({ kind: 'live', segments: [{ uri: 'a.m4s', durationSeconds: 2, mapUri: 'i"t.mp4' }] }, /double quote/);
    refuses({ kind: 'vod', segments: [{ uri: 'a.ts\n#EXT-X-ENDLIST', durationSeconds: 2 }] }, /not a URI line/);
    refuses({ kind: 'vod', segments: [{ uri: '#a.ts', durationSeconds: 2 }] }, /not a URI line/);
    refuses({ kind: 'vod', segments: [{ uri: 'a.ts', durationSeconds: Number.NaN }] }, /has duration NaN/);
    refuses({ kind: 'live', mediaSequence: -1, segments: [seg] }, /EXT-X-MEDIA-SEQUENCE/);
    refuses({ kind: 'live', discontinuitySequence: 1.5, segments: [seg] }, /EXT-X-DISCONTINUITY-SEQUENCE/);
  });
});

describe('playlistVersion', () => {
  it('is the lowest version the features allow (RFC 8216 §7)', () => {
    assert.equal(playlistVersion(), 3);
    assert.equal(playlistVersion({ byteRanges: true }), 4);
    assert.equal(playlistVersion({ map: true }), 6);
    assert.equal(playlistVersion({ map: true, fmp4: true }), 7);
  });
});
