import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMasterPlaylist, parseMasterPlaylist, parseMediaPlaylist } from '../../../../tools/load-test/playlist.ts';

describe('playlists', () => {
  it('reads variants of a master playlist, sorted by bandwidth, with absolute URLs', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-STREAM-INF:BANDWIDTH=1600000,AVERAGE-BANDWIDTH=1400000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2"',
      '720p/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240',
      'http://127.0.0.1:9/other/240p.m3u8',
    ].join('\r\n');
    assert.equal(isMasterPlaylist(text), true);
    const v = parseMasterPlaylist(text, 'http://127.0.0.1:8081/vod/a/master.m3u8');
    assert.deepEqual(v, [
      { url: 'http://127.0.0.1:9/other/240p.m3u8', bandwidth: 400_000, resolution: '426x240' },
      { url: 'http://127.0.0.1:8081/vod/a/720p/index.m3u8', bandwidth: 1_400_000, resolution: '1280x720' },
    ]);
  });

  it('reads segments, sequence numbers, init segments and ENDLIST of a media playlist', () => {
    const text = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:7', '#EXT-X-MAP:URI="init.mp4"', '#EXTINF:4.000,', 'seg-7.m4s', '#EXTINF:3.5,title', 'seg-8.m4s', '#EXT-X-ENDLIST'].join('\n');
    assert.equal(isMasterPlaylist(text), false);
    const m = parseMediaPlaylist(text, 'http://127.0.0.1/vod/a/720p/index.m3u8');
    assert.equal(m.targetDurationS, 4);
    assert.equal(m.mediaSequence, 7);
    assert.equal(m.isEnded, true);
    assert.deepEqual(m.segments, [
      { url: 'http://127.0.0.1/vod/a/720p/seg-7.m4s', durationS: 4, sequence: 7, initUrl: 'http://127.0.0.1/vod/a/720p/init.mp4' },
      { url: 'http://127.0.0.1/vod/a/720p/seg-8.m4s', durationS: 3.5, sequence: 8, initUrl: 'http://127.0.0.1/vod/a/720p/init.mp4' },
    ]);
  });

  it('rejects text that is not a playlist, and a media playlist without a target duration', () => {
    assert.throws(() => parseMediaPlaylist('<html>', 'http://127.0.0.1/x.m3u8'), /must start with #EXTM3U/);
    assert.throws(() => parseMediaPlaylist('#EXTM3U\n#EXTINF:2,\na.ts', 'http://127.0.0.1/x.m3u8'), /EXT-X-TARGETDURATION/);
    assert.throws(() => parseMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n', 'http://127.0.0.1/m.m3u8'), /EXT-X-STREAM-INF must be followed by a URI line/);
  });
});
