// The one target-duration rule (RFC 8216 §4.3.3.1, VOD and live) and the edge's cheap read of the tag.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { targetDurationFor, targetDurationOf } from '../../../../server/core/hls/target-duration.ts';

describe('targetDurationFor', () => {
  it('rounds each segment to the nearest integer and takes the largest', () => {
    assert.equal(targetDurationFor([4, 4.004, 1.52]), 4);
    assert.equal(targetDurationFor([4.4]), 4);
    assert.equal(targetDurationFor([4.5]), 5);
    assert.equal(targetDurationFor([2, 2.6]), 3);
  });
  it('keeps a 2.02 s first live segment (AAC priming) at a 2 s target, where ceil would give 3', () => {
    assert.equal(targetDurationFor([2.021], 2), 2);
    assert.equal(targetDurationFor([2.02]), 2);
  });
  it('never goes below the minimum a live channel announced, nor below 1', () => {
    assert.equal(targetDurationFor([1.2], 4), 4);
    assert.equal(targetDurationFor([], 0.5), 1);
    assert.equal(targetDurationFor([0.2]), 1);
    assert.equal(targetDurationFor([], 2.5), 3, 'a fractional minimum is ceiled: segments of that length must fit');
  });
});

describe('targetDurationOf', () => {
  const live = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:10\n#EXTINF:4,\nseg-10.ts\n';
  it('reads the tag from text or bytes', () => {
    assert.equal(targetDurationOf(live), 4);
    assert.equal(targetDurationOf(Buffer.from(live.replace(/\n/g, '\r\n'))), 4);
    assert.equal(targetDurationOf(new Uint8Array(Buffer.from(live))), 4);
  });
  it('is undefined without the tag, for a value that is not a positive decimal-integer, and for no body', () => {
    assert.equal(targetDurationOf('#EXTM3U\n#EXTINF:4,\nseg.ts\n'), undefined);
    assert.equal(targetDurationOf('#EXTM3U\n#EXT-X-TARGETDURATION:0\n'), undefined);
    assert.equal(targetDurationOf('#EXTM3U\n#EXT-X-TARGETDURATION:4.5\n'), undefined);
    assert.equal(targetDurationOf('#EXTM3U\n#EXT-X-TARGETDURATION:-4\n'), undefined);
    assert.equal(targetDurationOf(undefined), undefined);
  });
  it('looks only at the first 4 KiB, where the header is', () => {
    assert.equal(targetDurationOf(`#EXTM3U\n#${'x'.repeat(5000)}\n#EXT-X-TARGETDURATION:4\n`), undefined);
  });
});
