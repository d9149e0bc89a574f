// Range parsing and resolution (RFC 9110 §14): the one rule origin and edge share.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RANGE_HEADER, MAX_RANGES, contentRangeOf, parseRange, resolveRange, unsatisfiedContentRange } from '../../../../server/core/http/range.ts';

const parse = (h: string | readonly string[] | undefined) => parseRange('GET', h);
const resolve = (h: string, size: number) => resolveRange(parse(h), size);

describe('parseRange (RFC 9110 §14.1.1)', () => {
  it('parses the three range-spec forms, unit case-insensitive', () => {
    assert.deepEqual(parse('bytes=0-99'), { kind: 'bytes', specs: [{ first: 0, last: 99, suffix: undefined }] });
    assert.deepEqual(parse('bytes=100-'), { kind: 'bytes', specs: [{ first: 100, last: undefined, suffix: undefined }] });
    assert.deepEqual(parse('bytes=-50'), { kind: 'bytes', specs: [{ first: undefined, last: undefined, suffix: 50 }] });
    assert.equal(parse('Bytes=1-2').kind, 'bytes');
  });

  it('reads a list with OWS and empty elements (RFC 9110 §5.6.1.2)', () => {
    const r = parse('bytes=0-1 , ,4-5,\t-3');
    assert.equal(r.kind, 'bytes');
    assert.equal(r.kind === 'bytes' ? r.specs.length : 0, 3);
  });

  it('ignores a syntactically invalid Range (RFC 9110 §14.2): no range at all, not 416', () => {
    for (const bad of ['bytes=', 'bytes=abc', 'bytes=--1', 'bytes=1-2-3', 'bytes', 'bytes =0-1', 'bytes= 0-1x', '=0-1', 'bytes=0-1,x', 'bytes=,', 'bytes=+1-2', 'bytes=0x1-2']) {
      assert.equal(parse(bad).kind, 'none', bad);
    }
  });

  it('ignores an int-range whose last-pos is before its first-pos (§14.1.1: invalid)', () => {
    assert.equal(parse('bytes=5-1').kind, 'none');
    assert.equal(parse('bytes=0-1,9-3').kind, 'none');
  });

  it('ignores a unit other than bytes (RFC 9110 §14.2)', () => {
    assert.equal(parse('items=0-5').kind, 'none');
    assert.equal(parse('none').kind, 'none');
  });

  it('ignores a Range on any method but GET (RFC 9110 §14.2)', () => {
    assert.equal(parseRange('HEAD', 'bytes=0-1').kind, 'none');
    assert.equal(parseRange('POST', 'bytes=0-1').kind, 'none');
  });

  it('ignores several Range field lines, too many ranges and an over-long value', () => {
    assert.equal(parse(['bytes=0-1', 'bytes=2-3']).kind, 'none');
    assert.equal(parse(['bytes=0-1']).kind, 'bytes');
    const many = (n: number) => `bytes=${Array.from({ length: n }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',')}`;
    assert.equal(parse(many(MAX_RANGES)).kind, 'bytes');
    assert.equal(parse(many(MAX_RANGES + 1)).kind, 'none');
    assert.equal(parse(`bytes=0-${'9'.repeat(MAX_RANGE_HEADER)}`).kind, 'none');
  });

  it('absent is none', () => {
    assert.equal(parse(undefined).kind, 'none');
  });
});

describe('resolveRange (RFC 9110 §14.1.2, §14.1.3)', () => {
  it('clamps last-pos to the end and takes the whole body for a long suffix', () => {
    assert.deepEqual(resolve('bytes=0-99', 1000), { kind: 'partial', ranges: [{ start: 0, end: 99 }] });
    assert.deepEqual(resolve('bytes=900-5000', 1000), { kind: 'partial', ranges: [{ start: 900, end: 999 }] });
    assert.deepEqual(resolve(`bytes=0-${'9'.repeat(30)}`, 1000), { kind: 'partial', ranges: [{ start: 0, end: 999 }] });
    assert.deepEqual(resolve('bytes=-10', 1000), { kind: 'partial', ranges: [{ start: 990, end: 999 }] });
    // §14.1.3: "If the selected representation is shorter than the specified suffix-length, the entire representation is used."
    assert.deepEqual(resolve('bytes=-2000', 1000), { kind: 'partial', ranges: [{ start: 0, end: 999 }] });
  });

  it('is unsatisfiable when no range overlaps (§15.5.17): past the end, -0, or a zero-length body', () => {
    assert.deepEqual(resolve('bytes=1000-', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(resolve('bytes=-0', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(resolve('bytes=0-0', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(resolve('bytes=2000-3000,5000-', 1000), { kind: 'unsatisfiable' });
  });

  it('drops the unsatisfiable ranges of a set that has satisfiable ones', () => {
    assert.deepEqual(resolve('bytes=5000-,0-9', 1000), { kind: 'partial', ranges: [{ start: 0, end: 9 }] });
  });

  it('combines overlapping and adjacent ranges, keeping the order they were asked in (§14.2, §14.6)', () => {
    assert.deepEqual(resolve('bytes=0-1,4-5', 100), { kind: 'partial', ranges: [{ start: 0, end: 1 }, { start: 4, end: 5 }] });
    assert.deepEqual(resolve('bytes=50-59,0-9,5-20', 100), { kind: 'partial', ranges: [{ start: 50, end: 59 }, { start: 0, end: 20 }] });
    assert.deepEqual(resolve('bytes=0-9,10-19', 100), { kind: 'partial', ranges: [{ start: 0, end: 19 }] });
    assert.deepEqual(resolve('bytes=0-,0-,0-', 100), { kind: 'partial', ranges: [{ start: 0, end: 99 }] });
  });

  it('no Range is the full body', () => {
    assert.deepEqual(resolve('bytes=abc', 100), { kind: 'full' });
  });

  it('formats Content-Range for a part and for a 416 (§14.4)', () => {
    assert.equal(contentRangeOf({ start: 0, end: 9 }, 100), 'bytes 0-9/100');
    assert.equal(unsatisfiedContentRange(100), 'bytes */100');
  });
});
