// The order of a packaged asset's variants: the start variant first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VariantSpec } from '../../../../server/core/hls/write-master.ts';
import { orderVariants } from '../../../../server/origin/packaging/variant-order.ts';

const v720: VariantSpec = { uri: '720p/index.m3u8', bandwidth: 3_010_256, averageBandwidth: 2_964_034, codecs: 'avc1.64001f,mp4a.40.2', resolution: { width: 1280, height: 720 }, frameRate: 30 };
const v480: VariantSpec = { uri: '480p/index.m3u8', bandwidth: 1_570_552, averageBandwidth: 1_533_303, codecs: 'avc1.4d401f,mp4a.40.2', resolution: { width: 854, height: 480 }, frameRate: 29.97 };
const v240: VariantSpec = { uri: '240p/index.m3u8', bandwidth: 525_648, averageBandwidth: 511_235, codecs: 'avc1.42c01e,mp4a.40.2', resolution: { width: 426, height: 240 }, frameRate: 30 };
const audio: VariantSpec = { uri: 'audio/index.m3u8', bandwidth: 140_000, averageBandwidth: 133_000, codecs: 'mp4a.40.2', resolution: undefined, frameRate: undefined };

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
