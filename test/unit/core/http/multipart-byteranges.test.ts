// multipart/byteranges (RFC 9110 §14.6): the plan's length is the body's length, and the body parses back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byterangesChunks, planByteranges } from '../../../../server/core/http/multipart-byteranges.ts';

const body = Buffer.from('0123456789abcdefghij');

describe('planByteranges', () => {
  it('gives each part its Content-Type and Content-Range, and the exact total length', () => {
    const plan = planByteranges([{ start: 0, end: 3 }, { start: 10, end: 12 }], body.length, 'video/mp2t', 'BOUNDARY');
    assert.equal(plan.contentType, 'multipart/byteranges; boundary=BOUNDARY');
    const text = Buffer.concat(byterangesChunks(plan, body)).toString('latin1');
    assert.equal(
      text,
      '--BOUNDARY\r\nContent-Type: video/mp2t\r\nContent-Range: bytes 0-3/20\r\n\r\n0123' +
        '\r\n--BOUNDARY\r\nContent-Type: video/mp2t\r\nContent-Range: bytes 10-12/20\r\n\r\nabc' +
        '\r\n--BOUNDARY--\r\n',
    );
    assert.equal(plan.length, Buffer.byteLength(text, 'latin1'));
  });

  it('leaves out the part Content-Type when the representation has none', () => {
    const plan = planByteranges([{ start: 0, end: 0 }, { start: 2, end: 2 }], body.length, undefined, 'B');
    const text = Buffer.concat(byterangesChunks(plan, body)).toString('latin1');
    assert.ok(!text.includes('Content-Type'));
    assert.equal(plan.length, text.length);
  });

  it('picks a fresh random boundary per response', () => {
    const a = planByteranges([{ start: 0, end: 0 }], 1, undefined).contentType;
    const b = planByteranges([{ start: 0, end: 0 }], 1, undefined).contentType;
    assert.match(a, /^multipart\/byteranges; boundary=[0-9a-f]{24}$/);
    assert.notEqual(a, b);
  });
});
