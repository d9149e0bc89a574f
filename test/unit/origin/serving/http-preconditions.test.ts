import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseEncoding, evaluatePreconditions, ifRangeAllows, parseEntityTags } from '../../../../server/origin/serving/http-preconditions.ts';

const modified = Date.parse('Tue, 01 Oct 2024 10:00:00 GMT') + 400; // sub-second part must not matter
const v = { etag: '"abc"', lastModifiedMs: modified };
const before = 'Tue, 01 Oct 2024 09:59:59 GMT';
const same = 'Tue, 01 Oct 2024 10:00:00 GMT';
const after = 'Tue, 01 Oct 2024 10:00:01 GMT';

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  it('answers 304 when If-None-Match matches, by weak comparison', () => {
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '"abc"' }, v), 'not-modified');
    assert.equal(evaluatePreconditions('HEAD', { ifNoneMatch: '"x", W/"abc"' }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '*' }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '"other"' }, v), 'proceed');
  });

  it('ignores If-Modified-Since when If-None-Match is present', () => {
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '"other"', ifModifiedSince: after }, v), 'proceed');
  });

  it('uses If-Modified-Since at one-second resolution and ignores invalid dates', () => {
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: same }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: after }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: before }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: 'yesterday-ish' }, v), 'proceed');
  });

  it('fails If-Match by strong comparison and If-Unmodified-Since when changed', () => {
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"abc"' }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: 'W/"abc"' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifUnmodifiedSince: before }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifUnmodifiedSince: same }, v), 'proceed');
    // If-Match wins over If-Unmodified-Since.
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"abc"', ifUnmodifiedSince: before }, v), 'proceed');
  });
});

describe('ifRangeAllows (RFC 9110 §13.1.5)', () => {
  it('needs a strong etag match or the exact Last-Modified date', () => {
    assert.equal(ifRangeAllows(undefined, v), true);
    assert.equal(ifRangeAllows('"abc"', v), true);
    assert.equal(ifRangeAllows('W/"abc"', v), false);
    assert.equal(ifRangeAllows('"old"', v), false);
    assert.equal(ifRangeAllows(same, v), true);
    assert.equal(ifRangeAllows(after, v), false);
  });
});

describe('parseEntityTags', () => {
  it('keeps commas inside quoted tags', () => {
    assert.deepEqual(parseEntityTags('"a,b", W/"c"'), [{ weak: false, opaque: 'a,b' }, { weak: true, opaque: 'c' }]);
  });
});

describe('chooseEncoding (RFC 9110 §12.5.3)', () => {
  it('prefers br, honours q-values, * and q=0', () => {
    assert.equal(chooseEncoding(undefined), undefined);
    assert.equal(chooseEncoding('gzip, deflate, br'), 'br');
    assert.equal(chooseEncoding('gzip'), 'gzip');
    assert.equal(chooseEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(chooseEncoding('br;q=0, gzip;q=0'), undefined);
    assert.equal(chooseEncoding('*'), 'br');
    assert.equal(chooseEncoding('*;q=0.5, br;q=0'), 'gzip');
    assert.equal(chooseEncoding('identity'), undefined);
    assert.equal(chooseEncoding('x-gzip'), 'gzip');
  });
});
