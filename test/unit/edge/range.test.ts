// Range parsing and resolution (RFC 9110 §14): one range served, several refused, bad syntax refused, If-Range.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ifRangeAllows, parseRangeHeader, resolveRange } from '../../../server/edge/range.ts';

describe('Range', () => {
  it('parses the three single-range forms', () => {
    assert.deepEqual(parseRangeHeader('bytes=0-99'), { kind: 'single', first: 0, last: 99, suffix: undefined });
    assert.deepEqual(parseRangeHeader('bytes=100-'), { kind: 'single', first: 100, last: undefined, suffix: undefined });
    assert.deepEqual(parseRangeHeader('bytes=-50'), { kind: 'single', first: undefined, last: undefined, suffix: 50 });
    assert.deepEqual(parseRangeHeader('Bytes = 1-2'), { kind: 'single', first: 1, last: 2, suffix: undefined });
  });

  it('tells multi-range and malformed apart, and ignores other units', () => {
    assert.equal(parseRangeHeader('bytes=0-1,4-5').kind, 'multi');
    for (const bad of ['bytes=', 'bytes=abc', 'bytes=5-1', 'bytes=--1', 'bytes=1-2-3', 'bytes', `bytes=${'1'.repeat(300)}-`]) {
      assert.equal(parseRangeHeader(bad).kind, 'malformed', bad);
    }
    assert.equal(parseRangeHeader('items=0-5').kind, 'none');
    assert.equal(parseRangeHeader(undefined).kind, 'none');
  });

  it('resolves against the object size', () => {
    const r = (h: string, size: number) => resolveRange(parseRangeHeader(h), size);
    assert.deepEqual(r('bytes=0-99', 1000), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(r('bytes=900-5000', 1000), { kind: 'partial', start: 900, end: 999 });
    assert.deepEqual(r('bytes=-2000', 1000), { kind: 'partial', start: 0, end: 999 });
    assert.deepEqual(r('bytes=1000-', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(r('bytes=-0', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(r('bytes=0-0', 0), { kind: 'unsatisfiable' });
  });

  it('If-Range needs a strong ETag match or the exact Last-Modified date', () => {
    assert.equal(ifRangeAllows(undefined, '"a"', undefined), true);
    assert.equal(ifRangeAllows('"a"', '"a"', undefined), true);
    assert.equal(ifRangeAllows('W/"a"', '"a"', undefined), false);
    assert.equal(ifRangeAllows('"b"', '"a"', undefined), false);
    const lm = Date.parse('Tue, 01 Jan 2030 00:00:00 GMT');
    assert.equal(ifRangeAllows('Tue, 01 Jan 2030 00:00:00 GMT', '"a"', lm), true);
    assert.equal(ifRangeAllows('Tue, 01 Jan 2030 00:00:01 GMT', '"a"', lm), false);
  });
});
