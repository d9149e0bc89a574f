// The master playlist text and the order of its variants, checked as text and with a real HLS parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import HLS from 'hls-parser';
import { orderVariants, renderMasterPlaylist, type MasterVariant } from '../../../../server/origin/packaging/master-playlist.ts';

const v720: MasterVariant = { uri: '720p/index.m3u8', bandwidth: 3_010_256, averageBandwidth: 2_964_034, codecs: 'avc1.64001f,mp4a.40.2', resolution: { width: 1280, height: 720 }, frameRate: 30 };
const v480: MasterVariant = { uri: '480p/index.m3u8', bandwidth: 1_570_552, averageBandwidth: 1_533_303, codecs: 'avc1.4d401f,mp4a.40.2', resolution: { width: 854, height: 480 }, frameRate: 29.97 };
const v240: MasterVariant = { uri: '240p/index.m3u8', bandwidth: 525_648, averageBandwidth: 511_235, codecs: 'avc1.42c01e,mp4a.40.2', resolution: { width: 426, height: 240 }, frameRate: 30 };
const audio: MasterVariant = { uri: 'audio/index.m3u8', bandwidth: 140_000, averageBandwidth: 133_000, codecs: 'mp4a.40.2', resolution: undefined, frameRate: undefined };

describe('renderMasterPlaylist', () => {
  it('writes the measured attributes of every variant', () => {
    assert.equal(
      renderMasterPlaylist([v480, v720]),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=1570552,AVERAGE-BANDWIDTH=1533303,RESOLUTION=854x480,FRAME-RATE=29.970,CODECS="avc1.4d401f,mp4a.40.2"',
        '480p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=3010256,AVERAGE-BANDWIDTH=2964034,RESOLUTION=1280x720,FRAME-RATE=30.000,CODECS="avc1.64001f,mp4a.40.2"',
        '720p/index.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('leaves RESOLUTION and FRAME-RATE out for audio-only variants', () => {
    const text = renderMasterPlaylist([audio]);
    assert.match(text, /^#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=133000,CODECS="mp4a.40.2"$/m);
  });

  it('parses with hls-parser into the same numbers', () => {
    const parsed = HLS.parse(renderMasterPlaylist(orderVariants([v240, v720, v480])));
    assert.ok(parsed.isMasterPlaylist);
    assert.equal(parsed.independentSegments, true);
    const [first] = parsed.variants;
    assert.equal(first?.uri, '480p/index.m3u8');
    assert.equal(first?.bandwidth, 1_570_552);
    assert.equal(first?.averageBandwidth, 1_533_303);
    assert.deepEqual(first?.resolution, { width: 854, height: 480 });
    assert.equal(first?.frameRate, 29.97);
    assert.equal(first?.codecs, 'avc1.4d401f,mp4a.40.2');
  });
});

describe('orderVariants', () => {
  it('puts the best variant under the start bandwidth first, then the rest from the top', () => {
    assert.deepEqual(orderVariants([v240, v720, v480]).map((v) => v.uri), ['480p/index.m3u8', '720p/index.m3u8', '240p/index.m3u8']);
  });
  it('starts with the lowest when none fits the start bandwidth', () => {
    assert.deepEqual(orderVariants([v720, v480], 100_000).map((v) => v.uri), ['480p/index.m3u8', '720p/index.m3u8']);
  });
  it('handles one and zero variants', () => {
    assert.deepEqual(orderVariants([audio]), [audio]);
    assert.deepEqual(orderVariants([]), []);
  });
});
