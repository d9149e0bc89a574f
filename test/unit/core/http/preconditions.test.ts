// Preconditions in RFC 9110 §13.2.2 order, entity-tag lists and If-Range: one evaluator for origin and edge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_ENTITY_TAGS, parseEntityTag, parseEntityTagList } from '../../../../server/core/http/entity-tag.ts';
import { evaluatePreconditions, hasPreconditions, ifRangeAllows, type Validators } from '../../../../server/core/http/preconditions.ts';

const modified = Date.parse('2024-10-01T10:00:00Z') + 400; // the sub-second part must not matter
const v: Validators = { etag: '"abc"', lastModifiedMs: modified };
const edge: Validators = { etag: '"strong"', altEtags: ['W/"origin"'], lastModifiedMs: modified };
const before = 'Tue, 01 Oct 2024 09:59:59 GMT';
const same = 'Tue, 01 Oct 2024 10:00:00 GMT';
const after = 'Tue, 01 Oct 2024 10:00:01 GMT';

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  it('§13.1.2 If-None-Match: weak comparison, 304 for GET/HEAD', () => {
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '"abc"' }, v), 'not-modified');
    assert.equal(evaluatePreconditions('HEAD', { ifNoneMatch: '"x", W/"abc"' }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '*' }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '"other"' }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: ['"x"', '"abc"'] }, v), 'not-modified');
  });

  it('§13.1.2 If-None-Match that matches on another method is 412', () => {
    assert.equal(evaluatePreconditions('PUT', { ifNoneMatch: '*' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions('DELETE', { ifNoneMatch: '"abc"' }, v), 'precondition-failed');
  });

  it('matches the alternative tags for the same bytes (edge strong tag + origin weak tag)', () => {
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: 'W/"origin"' }, edge), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '"strong"' }, edge), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: 'W/"strong"' }, edge), 'not-modified');
    // If-Match is strong: the weak alternative never matches.
    assert.equal(evaluatePreconditions('GET', { ifMatch: 'W/"origin"' }, edge), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"origin"' }, edge), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"strong"' }, edge), 'proceed');
  });

  it('§13.1.3 If-Modified-Since is ignored when If-None-Match is present', () => {
    assert.equal(evaluatePreconditions('GET', { ifNoneMatch: '"other"', ifModifiedSince: after }, v), 'proceed');
  });

  it('§13.1.3 If-Modified-Since at one-second resolution; invalid dates and several lines are ignored', () => {
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: same }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: after }, v), 'not-modified');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: before }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: 'yesterday-ish' }, v), 'proceed');
    // Date.parse reads this as a date; an HTTP-date it is not.
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: '2030-01-01' }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: [after, after] }, v), 'proceed');
  });

  it('§13.1.3 If-Modified-Since only for GET and HEAD, and only with a Last-Modified', () => {
    assert.equal(evaluatePreconditions('POST', { ifModifiedSince: after }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifModifiedSince: after }, { etag: '"abc"', lastModifiedMs: undefined }), 'proceed');
  });

  it('§13.1.1 If-Match: strong comparison', () => {
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"abc"' }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"x", "abc"' }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: '*' }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: 'W/"abc"' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"other"' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: 'abc' }, v), 'precondition-failed');
  });

  it('§13.1.4 If-Unmodified-Since only without If-Match', () => {
    assert.equal(evaluatePreconditions('GET', { ifUnmodifiedSince: before }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifUnmodifiedSince: same }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifUnmodifiedSince: 'not a date' }, v), 'proceed');
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"abc"', ifUnmodifiedSince: before }, v), 'proceed');
  });

  it('§13.2.2 order: a failed If-Match is 412 even when If-None-Match would say 304', () => {
    assert.equal(evaluatePreconditions('GET', { ifMatch: '"other"', ifNoneMatch: '"abc"' }, v), 'precondition-failed');
    assert.equal(evaluatePreconditions('GET', { ifUnmodifiedSince: before, ifModifiedSince: after }, v), 'precondition-failed');
  });

  it('no preconditions: proceed', () => {
    assert.equal(evaluatePreconditions('GET', {}, v), 'proceed');
    assert.equal(hasPreconditions({}), false);
    assert.equal(hasPreconditions({ 'if-match': '*' }), true);
  });
});

describe('ifRangeAllows (RFC 9110 §13.1.5)', () => {
  it('needs a strong entity-tag match with one of our tags', () => {
    assert.equal(ifRangeAllows(undefined, v), true);
    assert.equal(ifRangeAllows('"abc"', v), true);
    assert.equal(ifRangeAllows('W/"abc"', v), false);
    assert.equal(ifRangeAllows('"old"', v), false);
    assert.equal(ifRangeAllows('"abc", "x"', v), false);
    assert.equal(ifRangeAllows('"strong"', edge), true);
    assert.equal(ifRangeAllows('W/"origin"', edge), false);
    assert.equal(ifRangeAllows('"x"', { etag: 'W/"x"', lastModifiedMs: undefined }), false);
  });

  it('or a date equal to Last-Modified, to the second', () => {
    assert.equal(ifRangeAllows(same, v), true);
    assert.equal(ifRangeAllows(after, v), false);
    assert.equal(ifRangeAllows(before, v), false);
    assert.equal(ifRangeAllows(same, { etag: '"abc"', lastModifiedMs: undefined }), false);
    assert.equal(ifRangeAllows('garbage', v), false);
  });
});

describe('entity tags (RFC 9110 §8.8.3)', () => {
  it('parses one tag exactly', () => {
    assert.deepEqual(parseEntityTag('"a"'), { weak: false, opaque: 'a' });
    assert.deepEqual(parseEntityTag('W/"a"'), { weak: true, opaque: 'a' });
    assert.deepEqual(parseEntityTag('""'), { weak: false, opaque: '' });
    for (const bad of ['a', '"a', 'w/"a"', '"a"b', '"a b"', '"a"x"']) assert.equal(parseEntityTag(bad), undefined, bad);
  });

  it('lists keep commas inside quoted tags, allow empty elements, and stop at garbage', () => {
    assert.deepEqual(parseEntityTagList('"a,b", W/"c"'), [{ weak: false, opaque: 'a,b' }, { weak: true, opaque: 'c' }]);
    assert.deepEqual(parseEntityTagList(' , "a" ,, "b"'), [{ weak: false, opaque: 'a' }, { weak: false, opaque: 'b' }]);
    assert.deepEqual(parseEntityTagList('"a", junk, "b"'), [{ weak: false, opaque: 'a' }]);
    assert.equal(parseEntityTagList(' * '), '*');
    assert.equal(parseEntityTagList(undefined), undefined);
  });

  it(`reads at most ${MAX_ENTITY_TAGS} tags from a list`, () => {
    const list = parseEntityTagList(Array.from({ length: 100 }, (_, i) => `"t${i}"`).join(', '));
    assert.ok(Array.isArray(list) && list.length === MAX_ENTITY_TAGS);
  });
});
