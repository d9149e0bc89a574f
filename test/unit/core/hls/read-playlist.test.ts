// The one m3u8 reader: master and media playlists through hls-parser, URIs resolved, each broken rule named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import HLS from 'hls-parser';
import { PlaylistError } from '../../../../server/core/hls/playlist-error.ts';
import { readMasterPlaylist, readMediaPlaylist, readPlaylist } from '../../../../server/core/hls/read-playlist.ts';
import { MAX_PLAYLIST_CHARS } from '../../../../server/core/hls/strict-hls.ts';

const MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-CONTENT-STEERING:SERVER-URI="/steering/vod/a",PATHWAY-ID="edge-1"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,URI="audio/en.m3u8"',
  '#EXT-X-STREAM-INF:BANDWIDTH=1200000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=854x480,FRAME-RATE=29.970,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud",PATHWAY-ID="edge-1"',
  '480p/index.m3u8',
  '# a comment between the tag and its URI',
  '#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240,AUDIO="aud",PATHWAY-ID="edge-1"',
  '',
  'http://other.example/240p.m3u8?v=2',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="480p/iframes.m3u8"',
].join('\r\n');

const MEDIA = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-TARGETDURATION:4',
  '#EXT-X-MEDIA-SEQUENCE:7',
  '#EXT-X-DISCONTINUITY-SEQUENCE:1',
  '#EXT-X-MAP:URI="init.mp4"',
  '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:00.000Z',
  '#EXTINF:4.000,',
  'seg-7.m4s',
  '#EXT-X-DISCONTINUITY',
  '#EXTINF:3.5,title',
  'seg-8.m4s',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

const refuses = (read: () => unknown, rule: RegExp): void => {
  assert.throws(read, (err: unknown) => err instanceof PlaylistError && rule.test(err.message), `expected a PlaylistError matching ${rule}`);
};

describe('readMasterPlaylist', () => {
  it('reads variants in order with their attributes, URIs resolved against the playlist URL', () => {
    const m = readMasterPlaylist(MASTER, { baseUrl: 'http://127.0.0.1:8081/vod/a/master.m3u8' });
    assert.equal(m.version, 6);
    assert.equal(m.independentSegments, true);
    assert.deepEqual(m.variants, [
      {
        uri: 'http://127.0.0.1:8081/vod/a/480p/index.m3u8',
        bandwidth: 1_200_000,
        averageBandwidth: 1_000_000,
        codecs: 'avc1.64001e,mp4a.40.2',
        resolution: { width: 854, height: 480 },
        frameRate: 29.97,
        audioGroup: 'aud',
        pathwayId: 'edge-1',
      },
      { uri: 'http://other.example/240p.m3u8?v=2', bandwidth: 400_000, averageBandwidth: undefined, codecs: undefined, resolution: { width: 426, height: 240 }, frameRate: undefined, audioGroup: 'aud', pathwayId: 'edge-1' },
    ]);
    assert.deepEqual(m.renditionUris, ['http://127.0.0.1:8081/vod/a/audio/en.m3u8']);
    assert.deepEqual(m.iFrameUris, ['http://127.0.0.1:8081/vod/a/480p/iframes.m3u8']);
    assert.deepEqual(m.contentSteering, { serverUri: '/steering/vod/a', pathwayId: 'edge-1' }, 'read although hls-parser 0.16 drops it');
  });

  it('returns URIs as written without a base URL', () => {
    assert.deepEqual(readMasterPlaylist(MASTER).variants.map((v) => v.uri), ['480p/index.m3u8', 'http://other.example/240p.m3u8?v=2']);
  });

  it('refuses a master playlist without variants or with a variant lacking its URI or BANDWIDTH', () => {
    refuses(() => readMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n'), /EXT-X-STREAM-INF must be followed by a URI line/);
    refuses(() => readMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=2x2\na.m3u8\n'), /a tag lacks an attribute it requires/);
    refuses(() => readMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=x\na.m3u8\n'), /needs a positive BANDWIDTH/);
    refuses(() => readMasterPlaylist('#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"\n'), /lists no variant/);
    refuses(() => readMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="x"\na.m3u8\n'), /AUDIO attribute MUST match the value of the GROUP-ID/);
    refuses(() => readMasterPlaylist(MEDIA), /is a media playlist, not a master playlist/);
  });
});

describe('readMediaPlaylist', () => {
  it('reads segments with durations, start times, sequence numbers, discontinuities, PDT and init segment', () => {
    const m = readMediaPlaylist(MEDIA, { baseUrl: 'http://127.0.0.1/vod/a/720p/index.m3u8' });
    assert.equal(m.targetDuration, 4);
    assert.equal(m.mediaSequence, 7);
    assert.equal(m.discontinuitySequence, 1);
    assert.equal(m.ended, true);
    assert.equal(m.mapUri, 'http://127.0.0.1/vod/a/720p/init.mp4');
    assert.equal(m.durationSeconds, 7.5);
    assert.deepEqual(m.segments, [
      { uri: 'http://127.0.0.1/vod/a/720p/seg-7.m4s', durationSeconds: 4, startSeconds: 0, sequence: 7, discontinuity: false, discontinuitySequence: 1, programDateTimeMs: Date.UTC(2024, 0, 1, 12), mapUri: 'http://127.0.0.1/vod/a/720p/init.mp4' },
      { uri: 'http://127.0.0.1/vod/a/720p/seg-8.m4s', durationSeconds: 3.5, startSeconds: 4, sequence: 8, discontinuity: true, discontinuitySequence: 2, programDateTimeMs: undefined, mapUri: 'http://127.0.0.1/vod/a/720p/init.mp4' },
    ]);
  });

  it('reads what ffmpeg writes (CRLF, VOD type, sequence 0)', () => {
    const m = readMediaPlaylist('#EXTM3U\r\n#EXT-X-VERSION:3\r\n#EXT-X-TARGETDURATION:4\r\n#EXT-X-MEDIA-SEQUENCE:0\r\n#EXT-X-PLAYLIST-TYPE:VOD\r\n#EXTINF:4.004000,\r\nseg-00000.ts\r\n#EXT-X-ENDLIST\r\n');
    assert.equal(m.playlistType, 'VOD');
    assert.deepEqual(m.segments.map((s) => [s.uri, s.durationSeconds, s.sequence]), [['seg-00000.ts', 4.004, 0]]);
  });

  it('names the rule a broken media playlist breaks', () => {
    refuses(() => readMediaPlaylist('#EXTM3U\n#EXT-X-VERSION:3\n'), /has no EXT-X-TARGETDURATION/);
    refuses(() => readMediaPlaylist('#EXTM3U\n#EXTINF:2,\na.ts\n'), /The EXT-X-TARGETDURATION tag is REQUIRED/);
    refuses(() => readMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:3,\na.ts\n'), /EXTINF duration, when rounded to the nearest integer, MUST be less than or equal to the target duration/);
    refuses(() => readMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="i.mp4"\n#EXTINF:4,\na.m4s\n'), /EXT-X-VERSION needs to be 6 or higher/);
    refuses(() => readMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-TARGETDURATION:2\n'), /MUST NOT be more than one/);
    refuses(() => readMediaPlaylist(MASTER), /is a master playlist, not a media playlist/);
  });

  it('resolves relative to the base and refuses a URI that cannot resolve', () => {
    refuses(() => readMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://[bad\n', { baseUrl: 'http://127.0.0.1/a.m3u8' }), /does not resolve/);
  });
});

describe('readPlaylist', () => {
  it('tells the two kinds apart', () => {
    assert.equal(readPlaylist(MASTER).kind, 'master');
    assert.equal(readPlaylist(MEDIA).kind, 'media');
  });

  it('refuses what is not a playlist and what is too large to be one, before parsing', () => {
    refuses(() => readPlaylist('<html><body>502 Bad Gateway</body></html>', { source: 'http://e/vod/a/master.m3u8' }), /^playlist http:\/\/e\/vod\/a\/master\.m3u8: must start with #EXTM3U/);
    refuses(() => readPlaylist(''), /must start with #EXTM3U/);
    refuses(() => readPlaylist(`#EXTM3U\n${'#'.repeat(MAX_PLAYLIST_CHARS)}`), /larger than/);
  });

  it('switches hls-parser to strict mode for its own calls only: other users keep theirs', () => {
    const broken = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:3,\na.ts\n';
    HLS.setOptions({ strictMode: false, silent: true });
    refuses(() => readPlaylist(broken), /EXTINF duration/);
    assert.equal(HLS.getOptions().strictMode, false);
    assert.doesNotThrow(() => HLS.parse(broken), 'a lenient caller still gets its lenient parse');
  });
});
