// Age (RFC 9111 §5.1) and Expires (RFC 9111 §5.3): absent, valid, or invalid, never guessed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAge } from '../../../../server/core/http/age.ts';
import { parseExpires } from '../../../../server/core/http/expires.ts';

describe('parseAge (RFC 9111 §5.1)', () => {
  it('one non-negative delta-seconds is valid', () => {
    assert.deepEqual(parseAge('7200'), { kind: 'valid', seconds: 7200 });
    assert.deepEqual(parseAge(' 0 '), { kind: 'valid', seconds: 0 });
    assert.deepEqual(parseAge(['15']), { kind: 'valid', seconds: 15 });
    assert.deepEqual(parseAge('9'.repeat(30)), { kind: 'valid', seconds: 2 ** 31 });
  });

  it('absent is absent', () => {
    assert.deepEqual(parseAge(undefined), { kind: 'absent' });
  });

  it('non-numeric, negative, float, lists, several lines and parameters are invalid (the age-parse-* cases)', () => {
    for (const bad of ['abc', '-7200', '7200.0', '7200,0', '0,7200', '0, 0', '3600, 3600', '7200;foo=bar', '7200;foo=111', '', '1e3', '+5']) {
      assert.deepEqual(parseAge(bad), { kind: 'invalid' }, bad);
    }
    assert.deepEqual(parseAge(['7200', '0']), { kind: 'invalid' });
    assert.deepEqual(parseAge(['0', '0']), { kind: 'invalid' });
  });
});

describe('parseExpires (RFC 9111 §5.3)', () => {
  it('a valid HTTP-date is valid', () => {
    assert.deepEqual(parseExpires('Thu, 18 Aug 2050 02:01:18 GMT'), { kind: 'valid', ms: Date.UTC(2050, 7, 18, 2, 1, 18) });
  });

  it('"0", garbage and a non-GMT zone are invalid, which the caller takes as already expired', () => {
    for (const bad of ['0', '-1', 'never', 'Thu, 18 Aug 2050 02:01:18 UTC', '']) assert.deepEqual(parseExpires(bad), { kind: 'invalid' }, bad);
  });

  it('several Expires lines are invalid, even when they agree (RFC 9111 §4.2.1)', () => {
    const d = 'Thu, 18 Aug 2050 02:01:18 GMT';
    assert.deepEqual(parseExpires([d, d]), { kind: 'invalid' });
    assert.deepEqual(parseExpires(undefined), { kind: 'absent' });
  });
});
