// Cache-Control parsing (RFC 9111 §5.2): every line, quoted strings, delta-seconds, duplicates, qualified forms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCacheControl, parseRequestCacheControl } from '../../../../server/core/http/cache-control.ts';

describe('parseCacheControl (response directives)', () => {
  it('reads every field line, not only the first (RFC 9110 §5.3)', () => {
    const cc = parseCacheControl(['public, max-age=10', 's-maxage=60']);
    assert.equal(cc.maxAgeS, 10);
    assert.equal(cc.sMaxAgeS, 60);
    assert.equal(cc.isPublic, true);
  });

  it('directive names are case-insensitive (RFC 9111 §5.2)', () => {
    const cc = parseCacheControl('No-Store, MAX-AGE=5, Must-Revalidate');
    assert.equal(cc.noStore, true);
    assert.equal(cc.maxAgeS, 5);
    assert.equal(cc.mustRevalidate, true);
  });

  it('delta-seconds is digits only; anything else ignores the directive (RFC 9111 §1.2.2)', () => {
    for (const bad of ['max-age=a100', 'max-age=100a', 'max-age=-1', 'max-age=1.5', 'max-age=', "max-age='3600'", 'max-age =5', 'max-age= 5']) {
      assert.equal(parseCacheControl(bad).maxAgeS, undefined, bad);
    }
    assert.equal(parseCacheControl('max-age=003600').maxAgeS, 3600);
    // RFC 9111 §1.2.2: too large to represent → 2^31.
    assert.equal(parseCacheControl(`max-age=${'9'.repeat(40)}`).maxAgeS, 2 ** 31);
  });

  it('accepts the quoted form of an argument and never reads directives inside a quoted string', () => {
    assert.equal(parseCacheControl('max-age="3600"').maxAgeS, 3600);
    assert.equal(parseCacheControl('extension="max-age=3600", max-age=1').maxAgeS, 1);
    assert.equal(parseCacheControl('max-age=1, extension="max-age=3600"').maxAgeS, 1);
    assert.equal(parseCacheControl('ext="a, no-store, b", max-age=5').noStore, false);
    assert.equal(parseCacheControl('ext="say \\"no-store\\"", max-age=5').maxAgeS, 5);
  });

  it('skips a malformed element and keeps the rest', () => {
    const cc = parseCacheControl('max-age=5 junk, no-store, "stray", s-maxage=9');
    assert.equal(cc.maxAgeS, undefined);
    assert.equal(cc.noStore, true);
    assert.equal(cc.sMaxAgeS, 9);
    assert.equal(parseCacheControl('ext="unterminated, max-age=5').maxAgeS, undefined);
  });

  it('a duplicated directive: the first valid occurrence wins, on one line or several (RFC 9111 §4.2.1)', () => {
    assert.equal(parseCacheControl('max-age=1, max-age=1800').maxAgeS, 1);
    assert.equal(parseCacheControl('max-age=1800, max-age=1').maxAgeS, 1800);
    assert.equal(parseCacheControl(['max-age=1', 'max-age=1800']).maxAgeS, 1);
    assert.equal(parseCacheControl('max-age=abc, max-age=20').maxAgeS, 20);
  });

  it('no-cache and private with and without field names (RFC 9111 §5.2.2.4, §5.2.2.7)', () => {
    const plain = parseCacheControl('no-cache, private');
    assert.equal(plain.noCache, true);
    assert.equal(plain.noCacheFields, undefined);
    assert.equal(plain.isPrivate, true);
    const qualified = parseCacheControl('no-cache="Set-Cookie, X-Foo", private="Authorization-Info"');
    assert.equal(qualified.noCache, false);
    assert.deepEqual(qualified.noCacheFields, ['set-cookie', 'x-foo']);
    assert.equal(qualified.isPrivate, false);
    assert.deepEqual(qualified.privateFields, ['authorization-info']);
    // Unqualified anywhere wins over a qualified occurrence.
    assert.equal(parseCacheControl('no-cache="X-Foo", no-cache').noCache, true);
    assert.deepEqual(parseCacheControl(['no-cache=X-A', 'no-cache="x-b"']).noCacheFields, ['x-a', 'x-b']);
    assert.equal(parseCacheControl('max-age=5').noCacheFields, undefined);
  });

  it('reads the revalidation, RFC 5861 and extension directives', () => {
    const cc = parseCacheControl('proxy-revalidate, stale-while-revalidate=30, stale-if-error=86400, immutable, must-understand, no-transform');
    assert.equal(cc.proxyRevalidate, true);
    assert.equal(cc.mustRevalidate, false);
    assert.equal(cc.staleWhileRevalidateS, 30);
    assert.equal(cc.staleIfErrorS, 86400);
    assert.equal(cc.immutable, true);
    assert.equal(cc.mustUnderstand, true);
    assert.equal(cc.noTransform, true);
  });

  it('absent or empty is no directive at all', () => {
    for (const v of [undefined, '', ' , ,', []]) {
      const cc = parseCacheControl(v);
      assert.equal(cc.maxAgeS, undefined);
      assert.equal(cc.noStore || cc.noCache || cc.isPrivate, false);
    }
  });
});

describe('parseRequestCacheControl (RFC 9111 §5.2.1)', () => {
  it('reads max-age, max-stale (with and without a value), min-fresh and the flags', () => {
    const r = parseRequestCacheControl('max-age=0, max-stale=60, min-fresh=5, no-cache, no-store, only-if-cached, no-transform');
    assert.deepEqual(r, { maxAgeS: 0, maxStaleS: 60, minFreshS: 5, noCache: true, noStore: true, noTransform: true, onlyIfCached: true });
    assert.equal(parseRequestCacheControl('max-stale').maxStaleS, Number.POSITIVE_INFINITY);
    assert.equal(parseRequestCacheControl('max-stale=abc').maxStaleS, undefined);
    assert.equal(parseRequestCacheControl(undefined).maxStaleS, undefined);
  });
});
