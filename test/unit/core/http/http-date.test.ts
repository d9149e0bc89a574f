// Strict HTTP-date parsing (RFC 9110 §5.6.7) and the IMF-fixdate formatter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHttpDate, parseHttpDate } from '../../../../server/core/http/http-date.ts';

const T = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW = Date.UTC(2026, 0, 1);

describe('parseHttpDate (RFC 9110 §5.6.7)', () => {
  it('reads IMF-fixdate and the two obsolete forms a recipient MUST accept', () => {
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), T);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW), T);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), T);
    assert.equal(parseHttpDate('Sun Nov 16 08:49:37 1994'), Date.UTC(1994, 10, 16, 8, 49, 37));
  });

  it('places an RFC 850 two-digit year no more than 50 years ahead', () => {
    assert.equal(parseHttpDate('Thursday, 18-Aug-50 02:01:18 GMT', NOW), Date.UTC(2050, 7, 18, 2, 1, 18));
    assert.equal(parseHttpDate('Friday, 18-Aug-77 02:01:18 GMT', NOW), Date.UTC(1977, 7, 18, 2, 1, 18));
  });

  it('reads far-future and past-2038 dates', () => {
    assert.equal(parseHttpDate('Tue, 19 Jan 2038 03:14:08 GMT'), 2 ** 31 * 1000);
    assert.equal(parseHttpDate('Sun, 21 Nov 2286 04:46:39 GMT'), Date.UTC(2286, 10, 21, 4, 46, 39));
  });

  it('rejects what Date.parse would accept: wrong case, other zones, missing comma, 2-digit years, odd spacing', () => {
    for (const bad of [
      'THU, 18 Aug 2050 02:01:18 GMT',
      'Thu, 18 AUG 2050 02:01:18 GMT',
      'Thu, 18 Aug 2050 02:01:18 gMT',
      'Thu, 18 Aug 2050 02:01:18 UTC',
      'Thu, 18 Aug 2050 02:01:18 AEST',
      'Thu, 18 Aug 50 02:01:18 GMT',
      'Thu 18 Aug 2050 02:01:18 GMT',
      'Thu, 18  Aug  2050 02:01:18 GMT',
      'Thu, 18-Aug-2050 02:01:18 GMT',
      'Thu, 18 Aug 2050 02.01.18 GMT',
      'Thu, 18 Aug 2050 2:01:18 GMT',
      ' Thu, 18 Aug 2050 02:01:18 GMT',
      '2050-08-18T02:01:18Z',
      '0',
      '1',
      'yesterday',
      '',
    ]) {
      assert.equal(parseHttpDate(bad), undefined, bad);
    }
  });

  it('rejects impossible days and times', () => {
    assert.equal(parseHttpDate('Mon, 31 Feb 2025 00:00:00 GMT'), undefined);
    assert.equal(parseHttpDate('Mon, 00 Feb 2025 00:00:00 GMT'), undefined);
    assert.equal(parseHttpDate('Mon, 01 Feb 2025 24:00:00 GMT'), undefined);
    assert.equal(parseHttpDate('Mon, 01 Feb 2025 00:60:00 GMT'), undefined);
    assert.equal(parseHttpDate('Sat, 29 Feb 2025 00:00:00 GMT'), undefined);
    assert.equal(parseHttpDate('Thu, 29 Feb 2024 00:00:00 GMT'), Date.UTC(2024, 1, 29));
  });

  it('undefined and over-long values are not dates', () => {
    assert.equal(parseHttpDate(undefined), undefined);
    assert.equal(parseHttpDate(`Sun, 06 Nov 1994 08:49:37 GMT${' '.repeat(100)}`), undefined);
  });
});

describe('formatHttpDate', () => {
  it('writes IMF-fixdate, dropping the milliseconds, and round-trips', () => {
    assert.equal(formatHttpDate(T + 999), 'Sun, 06 Nov 1994 08:49:37 GMT');
    assert.equal(formatHttpDate(T + 1000), 'Sun, 06 Nov 1994 08:49:38 GMT');
    assert.equal(parseHttpDate(formatHttpDate(NOW)), NOW);
  });
});
