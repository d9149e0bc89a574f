// The one master playlist writer (hls-parser's stringify): its text checked against hand-written playlists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlaylistError } from '../../../../server/core/hls/playlist-error.ts';
import { writeMasterPlaylist, type VariantSpec } from '../../../../server/core/hls/write-master.ts';

const v480: VariantSpec = { uri: '480p/index.m3u8', bandwidth: 1_570_552.4, averageBandwidth: 1_533_303, codecs: 'avc1.4d401f,mp4a.40.2', resolution: { width: 854, height: 480 }, frameRate: 29.97 };
const v720: VariantSpec = { uri: '720p/index.m3u8', bandwidth: 3_010_256, averageBandwidth: 2_964_034, codecs: 'avc1.64001f,mp4a.40.2', resolution: { width: 1280, height: 720 }, frameRate: 30 };
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('writeMasterPlaylist', () => {
  it('writes BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION and FRAME-RATE, variants in the order given', () => {
    assert.equal(
      writeMasterPlaylist({ variants: [v480, v720] }),
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=1570552,AVERAGE-BANDWIDTH=1533303,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=854x480,FRAME-RATE=29.970',
        '480p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=3010256,AVERAGE-BANDWIDTH=2964034,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000',
        '720p/index.m3u8',
      ),
    );
  });

  it('leaves out what a variant does not have (audio only; live without AVERAGE-BANDWIDTH)', () => {
    assert.equal(
      writeMasterPlaylist({ variants: [{ uri: 'audio/index.m3u8', bandwidth: 140_000, codecs: 'mp4a.40.29' }] }),
      lines('#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-STREAM-INF:BANDWIDTH=140000,CODECS="mp4a.40.29"', 'audio/index.m3u8'),
    );
  });

  it('writes audio groups and content steering with PATHWAY-ID', () => {
    const text = writeMasterPlaylist({
      variants: [{ ...v480, audioGroup: 'aud', pathwayId: 'edge-1' }],
      audio: [{ groupId: 'aud', name: 'English', language: 'en', isDefault: true, channels: '2', uri: 'audio/en.m3u8' }],
      contentSteering: { serverUri: '/steering/vod/a', pathwayId: 'edge-1' },
    });
    assert.equal(
      text,
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-CONTENT-STEERING:SERVER-URI="/steering/vod/a",PATHWAY-ID="edge-1"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,AUTOSELECT=YES,LANGUAGE="en",CHANNELS="2",URI="audio/en.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=1570552,AVERAGE-BANDWIDTH=1533303,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=854x480,FRAME-RATE=29.970,AUDIO="aud",PATHWAY-ID="edge-1"',
        '480p/index.m3u8',
      ),
    );
  });

  it('refuses what would make an invalid playlist, naming the rule', () => {
    const refuses = (spec: Parameters<typeof writeMasterPlaylist>[0], rule: RegExp): void => {
      assert.throws(() => writeMasterPlaylist(spec), (err: unknown) => err instanceof PlaylistError && rule.test(err.message));
    };
    refuses({ variants: [] }, /at least one variant/);
    refuses({ variants: [{ ...v480, codecs: 'avc1"' }] }, /CODECS .* double quote/);
    refuses({ variants: [{ ...v480, uri: '480p/index.m3u8\n#EXT-X-ENDLIST' }] }, /not a URI line/);
    refuses({ variants: [{ ...v480, bandwidth: 0 }] }, /positive integer BANDWIDTH/);
    refuses({ variants: [{ ...v480, audioGroup: 'nope' }] }, /audio group "nope"/);
    refuses({ variants: [v480], contentSteering: { serverUri: '/s"', pathwayId: 'a' } }, /SERVER-URI/);
  });
});
