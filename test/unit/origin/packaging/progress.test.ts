// Packaging progress: ffmpeg's clock against the source duration, shares of the job, and an ETA from the pace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodingProgress, finishingProgress, parseFfmpegTime } from '../../../../server/origin/packaging/progress.ts';

describe('parseFfmpegTime', () => {
  it('reads time= from a stats line', () => {
    assert.equal(parseFfmpegTime('frame=  436 fps= 87 q=28.0 size=N/A time=00:01:14.53 bitrate=N/A speed=2.9x'), 74.53);
    assert.equal(parseFfmpegTime('size=N/A time=01:00:00.00 bitrate=N/A'), 3600);
  });
  it('reads negative times as zero and ignores lines without a time', () => {
    assert.equal(parseFfmpegTime('time=-00:00:00.04'), 0);
    assert.equal(parseFfmpegTime('[hls @ 0x1] Opening seg-00001.ts for writing'), undefined);
  });
});

describe('encodingProgress', () => {
  it('maps encoded seconds into the encoding share of the job', () => {
    assert.equal(encodingProgress(0, 60, 0).percent, 2);
    assert.equal(encodingProgress(30, 60, 10_000).percent, 48.5);
    assert.equal(encodingProgress(60, 60, 20_000).percent, 95);
    assert.equal(encodingProgress(99, 60, 20_000).percent, 95, 'never past the encoding share');
  });
  it('extrapolates the pace so far for the ETA', () => {
    assert.equal(encodingProgress(15, 60, 10_000).etaSeconds, 30);
    assert.equal(encodingProgress(0.5, 60, 10_000).etaSeconds, undefined, 'too early to tell');
  });
  it('finishes at 100 with no time left', () => {
    assert.deepEqual(finishingProgress(true), { stage: 'finishing', percent: 100, etaSeconds: 0 });
    assert.equal(finishingProgress(false).percent, 95);
  });
});
