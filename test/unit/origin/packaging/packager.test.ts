// packageAsset's checks that come before any work, and the stderr tail kept for errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../../../server/core/errors.ts';
import { packageAsset, stderrTail } from '../../../../server/origin/packaging/packager.ts';

const paths = { ffmpeg: '/nonexistent/ffmpeg', ffprobe: '/nonexistent/ffprobe' };

describe('packageAsset input checks', () => {
  it('refuses ids that could escape the media folder or be hidden', async () => {
    for (const id of ['../x', '.hidden', 'UPPER', '', 'a/b']) {
      await assert.rejects(packageAsset({ input: '/in.mp4', id, mediaDir: '/nonexistent', ffmpeg: paths }), (err: unknown) =>
        isAppError(err) && err.code === 'ASSET_ID_INVALID' && err.message.includes(`"${id}"`));
    }
  });
  it('refuses segment lengths out of range', async () => {
    for (const segmentSeconds of [0, 0.5, 31, Number.NaN]) {
      await assert.rejects(packageAsset({ input: '/in.mp4', id: 'ok', mediaDir: '/nonexistent', ffmpeg: paths, segmentSeconds }), (err: unknown) =>
        isAppError(err) && err.code === 'SEGMENT_SECONDS_INVALID');
    }
  });
  it('refuses at once when already aborted', async () => {
    const signal = AbortSignal.abort();
    await assert.rejects(packageAsset({ input: '/in.mp4', id: 'ok', mediaDir: '/nonexistent', ffmpeg: paths, signal }), (err: unknown) =>
      isAppError(err) && err.code === 'PACKAGING_ABORTED');
  });
});

describe('stderrTail', () => {
  it('keeps the last lines that say something, without progress lines', () => {
    const stderr = ['[h264 @ 0x1] first', 'frame=  10 fps=0.0 q=0.0 size=N/A time=00:00:00.40', '', 'size=N/A time=00:00:01.00', 'Error while decoding stream #0:0', 'Conversion failed!'].join('\n');
    assert.equal(stderrTail(stderr), '[h264 @ 0x1] first\nError while decoding stream #0:0\nConversion failed!');
    assert.equal(stderrTail(stderr, 1), 'Conversion failed!');
  });
});
