// Preconditions from the cache in RFC 9110 §13.2.2 order: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePreconditions, parseEntityTagList } from '../../../server/edge/conditional.ts';

const LM = Date.parse('Tue, 01 Jan 2030 00:00:00 GMT');
const v = { etag: '"strong"', altEtags: ['W/"origin"'], lastModifiedMs: LM };

describe('conditional requests', () => {
  it('If-None-Match uses weak comparison and wins over If-Modified-Since', () => {
    assert.equal(evaluatePreconditions({ ifNoneMatch: '"strong"' }, v), 'not-modified');
    assert.equal(evaluatePreconditions({ ifNoneMatch: 'W/"strong"' }, v), 'not-modified');
    assert.equal(evaluatePreconditions({ ifNoneMatch: '"x", W/"origin"' }, v), 'not-modified');
    assert.equal(evaluatePreconditions({ ifNoneMatch: '*' }, v), 'not-modified');
    assert.equal(evaluatePreconditions({ ifNoneMatch: '"x"', ifModifiedSince: 'Wed, 02 Jan 2030 00:00:00 GMT' }, v), 'proceed');
  });

  it('If-Modified-Since compares with Last-Modified; invalid dates are ignored', () => {
    assert.equal(evaluatePreconditions({ ifModifiedSince: 'Tue, 01 Jan 2030 00:00:00 GMT' }, v), 'not-modified');
    assert.equal(evaluatePreconditions({ ifModifiedSince: 'Mon, 31 Dec 2029 23:59:59 GMT' }, v), 'proceed');
    assert.equal(evaluatePreconditions({ ifModifiedSince: 'yesterday' }, v), 'proceed');
  });

  it('If-Match needs a strong match; If-Unmodified-Since fails for newer objects', () => {
    assert.equal(evaluatePreconditions({ ifMatch: '"strong"' }, v), 'proceed');
    assert.equal(evaluatePreconditions({ ifMatch: 'W/"strong"' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions({ ifMatch: '"other"' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions({ ifUnmodifiedSince: 'Mon, 31 Dec 2029 00:00:00 GMT' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions({ ifUnmodifiedSince: 'Wed, 02 Jan 2030 00:00:00 GMT' }, v), 'proceed');
  });

  it('reads at most 32 tags from a list', () => {
    const list = parseEntityTagList(Array.from({ length: 100 }, (_, i) => `"t${i}"`).join(', '));
    assert.ok(Array.isArray(list) && list.length === 32);
  });
});
