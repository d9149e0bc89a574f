// Cache behaviors: first matching path pattern wins; TTLs from the origin clamped as CloudFront does; file validation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../server/core/errors.ts';
import { targetDurationOf } from '../../../server/core/hls/target-duration.ts';
import { BEHAVIOR_DEFAULTS, Behaviors, compilePathPattern, decideStore, DEFAULT_BEHAVIORS, type CacheBehavior } from '../../../server/edge/behaviors.ts';
import { loadBehaviorsFile, parseBehaviorsText } from '../../../server/edge/behaviors-file.ts';
import { FOLLOW_ORIGIN } from '../../../server/edge/behavior-presets.ts';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const b = (over: Partial<CacheBehavior> = {}): CacheBehavior => ({ ...BEHAVIOR_DEFAULTS, pathPattern: '*', minTtlMs: 10_000, defaultTtlMs: 60_000, maxTtlMs: 3_600_000, ...over });
const ttl = (behavior: CacheBehavior, meta: Parameters<typeof decideStore>[1]): number | string => {
  const d = decideStore(behavior, meta, NOW);
  return d.store ? d.ttlMs : d.reason;
};

describe('path patterns', () => {
  it('* matches across slashes, ? one character, everything else literally', () => {
    assert.equal(compilePathPattern('/vod/*.m3u8').test('/vod/a/720p/index.m3u8'), true);
    assert.equal(compilePathPattern('/vod/*.m3u8').test('/vod/a/seg.ts'), false);
    assert.equal(compilePathPattern('/vod/?.ts').test('/vod/a.ts'), true);
    assert.equal(compilePathPattern('/vod/?.ts').test('/vod/ab.ts'), false);
    assert.equal(compilePathPattern('/a.b').test('/aXb'), false);
    assert.equal(compilePathPattern('vod/*').test('/vod/x'), true, 'a leading slash is implied');
  });

  it('the first matching behavior wins; a catch-all is always last', () => {
    const list = new Behaviors(DEFAULT_BEHAVIORS);
    assert.equal(list.match('/live/ch/360p/index.m3u8').pathPattern, '/live/*.m3u8');
    assert.equal(list.match('/live/ch/360p/seg_1.ts').pathPattern, '/live/*');
    assert.equal(list.match('/vod/a/master.m3u8').pathPattern, '/vod/*.m3u8');
    assert.equal(list.match('/vod/a/720p/init.mp4').pathPattern, '/vod/*');
    const custom = new Behaviors([{ ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/private/*', bypass: true }]);
    assert.equal(custom.match('/vod/private/x.ts').bypass, true);
    assert.equal(custom.match('/other').pathPattern, '*');
  });
});

describe('lifetimes (CloudFront rules)', () => {
  it('clamps the origin max-age (s-maxage first) to [min, max]', () => {
    assert.equal(ttl(b(), { status: 200, cacheControl: 'max-age=120' }), 120_000);
    assert.equal(ttl(b(), { status: 200, cacheControl: 'max-age=1' }), 10_000);
    assert.equal(ttl(b(), { status: 200, cacheControl: 'max-age=99999' }), 3_600_000);
    assert.equal(ttl(b(), { status: 200, cacheControl: 'max-age=100, s-maxage=200' }), 200_000);
  });

  it('uses Expires minus Date when there is no max-age; an invalid Expires is already expired', () => {
    assert.equal(ttl(b(), { status: 200, expires: 'Tue, 01 Jan 2030 00:05:00 GMT', date: 'Tue, 01 Jan 2030 00:00:00 GMT' }), 300_000);
    assert.equal(ttl(b(), { status: 200, expires: '0' }), 10_000);
  });

  it('uses the default TTL when the origin says nothing', () => {
    assert.equal(ttl(b(), { status: 200 }), 60_000);
  });

  it('no-store / private: not cached with min TTL 0, else min TTL; no-cache: stored to be revalidated', () => {
    assert.equal(ttl(b({ minTtlMs: 0 }), { status: 200, cacheControl: 'no-store' }), 'no-store');
    assert.equal(ttl(b({ minTtlMs: 0 }), { status: 200, cacheControl: 'private, max-age=60' }), 'private');
    // RFC 9111 §5.2.2.4: store, but never reuse without revalidation (a lifetime of 0).
    assert.equal(ttl(b({ minTtlMs: 0 }), { status: 200, cacheControl: 'no-cache, max-age=60' }), 0);
    assert.equal(ttl(b(), { status: 200, cacheControl: 'no-store' }), 10_000);
  });

  it('takes stale windows from the origin (RFC 5861) or the behavior; must-revalidate forbids stale', () => {
    const d = decideStore(b({ staleWhileRevalidateMs: 1_000, staleIfErrorMs: 2_000 }), { status: 200, cacheControl: 'max-age=60, stale-while-revalidate=30' }, NOW);
    assert.ok(d.store);
    assert.equal(d.staleWhileRevalidateMs, 30_000);
    assert.equal(d.staleIfErrorMs, 2_000);
    const mr = decideStore(b({ staleWhileRevalidateMs: 1_000, staleIfErrorMs: 2_000 }), { status: 200, cacheControl: 'max-age=60, must-revalidate, stale-if-error=100' }, NOW);
    assert.ok(mr.store);
    assert.equal(mr.staleWhileRevalidateMs + mr.staleIfErrorMs, 0);
  });

  it('caches 404/410 for the negative TTL, other errors for their class TTL, unless the origin says otherwise', () => {
    assert.equal(ttl(b({ negativeTtlMs: 10_000 }), { status: 404 }), 10_000);
    assert.equal(ttl(b({ negativeTtlMs: 10_000 }), { status: 410 }), 10_000);
    assert.equal(ttl(b({ negativeTtlMs: 0 }), { status: 404 }), 'negative-ttl-0');
    assert.equal(ttl(b(), { status: 500 }), 10_000);
    assert.equal(ttl(b({ errorTtlMs: { clientError: 1_000, serverError: 3_000 } }), { status: 503 }), 3_000);
    assert.equal(ttl(b({ errorTtlMs: { clientError: 1_000, serverError: 3_000 } }), { status: 400 }), 1_000);
    assert.equal(ttl(b({ errorTtlMs: { clientError: 0, serverError: 0 } }), { status: 502 }), 'error-ttl-0');
    assert.equal(ttl(b(), { status: 503, cacheControl: 'max-age=30' }), 30_000, "the origin's own lifetime wins");
    assert.equal(ttl(b(), { status: 500, cacheControl: 'no-store' }), 10_000, 'the error TTL is the minimum TTL of errors, as CloudFront');
    assert.equal(ttl(b({ errorTtlMs: { clientError: 0, serverError: 0 } }), { status: 500, cacheControl: 'no-store' }), 'no-store');
    assert.equal(ttl(b({ minTtlMs: 0 }), { status: 302 }), 'status-302', 'not heuristically cacheable without freshness');
    assert.equal(ttl(b({ minTtlMs: 0 }), { status: 302, cacheControl: 'max-age=5' }), 5_000);
    assert.equal(ttl(b(), { status: 206 }), 'status-206');
    assert.equal(ttl(b(), { status: 200, vary: '*' }), 'vary-star');
    assert.equal(ttl(b({ bypass: true }), { status: 200 }), 'bypass');
  });

  it('live playlists: ½ × target duration, stale at most 1 × TD, negative 1 × TD when known', () => {
    const live = new Behaviors().match('/live/ch/360p/index.m3u8');
    const body = Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:10\n');
    assert.equal(targetDurationOf(body), 4);
    const d = decideStore(live, { status: 200, body }, NOW);
    assert.ok(d.store);
    assert.equal(d.ttlMs, 2_000);
    assert.ok(d.staleWhileRevalidateMs <= 4_000 && d.staleIfErrorMs <= 4_000);
    const origin = decideStore(live, { status: 200, body, cacheControl: 'max-age=1' }, NOW);
    assert.ok(origin.store && origin.ttlMs === 1_000, "the origin's max-age wins");
    const neg = decideStore(live, { status: 404 }, NOW, 4);
    assert.ok(neg.store && neg.ttlMs === 4_000);
  });

  it('segments by default: VOD at least 14 days, live as long as the origin says', () => {
    const list = new Behaviors();
    const vod = decideStore(list.match('/vod/a/720p/seg_1.ts'), { status: 200, cacheControl: 'max-age=60' }, NOW);
    assert.ok(vod.store && vod.ttlMs === 14 * 86_400_000);
    const live = decideStore(list.match('/live/c/360p/seg_1.ts'), { status: 200, cacheControl: 'max-age=60' }, NOW);
    assert.ok(live.store && live.ttlMs === 60_000);
  });
});

describe('behaviors file', () => {
  it('reads YAML with durations in seconds or with units, and puts the defaults after', () => {
    const list = parseBehaviorsText(
      ['behaviors:', '  - pathPattern: /vod/private/*', '    bypass: true', '  - pathPattern: /vod/*.m3u8', '    defaultTtl: 5s', '    maxTtl: 1m', '    queryParams: [lang]'].join('\n'),
      'b.yaml',
    );
    assert.equal(list[0]?.bypass, true);
    assert.equal(list[1]?.defaultTtlMs, 5_000);
    assert.equal(list[1]?.maxTtlMs, 60_000);
    assert.deepEqual(list[1]?.queryParams, ['lang']);
    assert.equal(list.length, 2 + DEFAULT_BEHAVIORS.length);
  });

  it('reads JSON and can replace the defaults', () => {
    const list = parseBehaviorsText(JSON.stringify({ extendDefaults: false, behaviors: [{ pathPattern: '*', defaultTtl: 14 * 86400 }] }), 'b.json');
    assert.equal(list.length, 1);
    assert.equal(list[0]?.defaultTtlMs, 14 * 86_400_000);
  });

  it('accepts the documented example file', () => {
    const list = loadBehaviorsFile(new URL('../../../server/edge/behaviors.example.yaml', import.meta.url).pathname);
    const b = new Behaviors(list);
    assert.equal(b.match('/vod/premium-1/720p/seg_1.ts').requireSignature, true);
    assert.equal(b.match('/vod/premium-1/720p/seg_1.ts').viewerProtocolPolicy, 'https-only');
    assert.equal(b.match('/vod/premium-1/720p/seg_1.ts').prefetchSegments, 0);
    assert.equal(b.match('/vod/a/720p/seg_1.ts').prefetchSegments, undefined, 'unset: the edge default applies');
    assert.deepEqual(b.match('/vod/a/subs.m3u8').queryParams, ['lang']);
    assert.equal(b.match('/live/debug/x.ts').bypass, true);
    assert.equal(b.match('/vod/a/720p/seg_1.ts').minTtlMs, 14 * 86_400_000);
    assert.equal(b.match('/live/ch/360p/index.m3u8').targetDurationTtlFactor, 0.5);
    assert.throws(() => loadBehaviorsFile('/nonexistent/behaviors.yaml'), /cannot read "\/nonexistent\/behaviors.yaml": ENOENT/);
  });

  it('reports every problem with its place', () => {
    const text = JSON.stringify({
      behaviors: [
        { pathPattern: '/vod/*', minTtl: 100, maxTtl: 10 },
        { pathPattern: '/a b', defaultTtl: 'soon', colour: 'red' },
        { pathPattern: '/x', queryParams: 'some' },
        { pathPattern: '/y', prefetchSegments: 11 },
      ],
    });
    try {
      parseBehaviorsText(text, 'bad.json');
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const msg = err.problems.join('\n');
      assert.match(msg, /bad\.json: behaviors\[1\]\.pathPattern: expected a path pattern/);
      assert.match(msg, /behaviors\[1\]\.defaultTtl: expected seconds \(a number >= 0\) or a duration such as "10s" or "14d", got "soon"/);
      assert.match(msg, /behaviors\[1\]: .*colour/i);
      assert.match(msg, /behaviors\[2\]\.queryParams/);
      assert.match(msg, /behaviors\[3\]\.prefetchSegments/);
    }
    assert.throws(() => parseBehaviorsText(JSON.stringify({ behaviors: [{ pathPattern: '/vod/*', minTtl: 100, maxTtl: 10 }] }), 'c.json'), /behaviors\[0\]\.maxTtl: must be >= minTtl \(100s\), got 10s/);
    assert.throws(() => parseBehaviorsText('behaviors: [', 'd.yaml'), /d\.yaml: not valid YAML/);
    assert.throws(() => parseBehaviorsText('{}', 'e.json'), /e\.json: behaviors: /);
  });

  it('reads methods, key headers and cookies, header policies, error TTLs and Authorization caching', () => {
    const [g] = parseBehaviorsText(
      ['behaviors:', '  - pathPattern: /api/*', '    allowedMethods: GET, HEAD, OPTIONS', '    keyHeaders: [X-Device]', '    keyCookies: [ab]', '    originRequestHeaders: all', '    stripResponseHeaders: [Server]', '    errorTtl: { serverError: 2s }', '    negativeTtl: 30s', '    cacheAuthorized: true'].join('\n'),
      'g.yaml',
    );
    assert.equal(g?.allowedMethods, 'GET,HEAD,OPTIONS');
    assert.deepEqual(g?.keyHeaders, ['x-device']);
    assert.deepEqual(g?.keyCookies, ['ab']);
    assert.equal(g?.originRequestHeaders, 'all');
    assert.deepEqual(g?.stripResponseHeaders, ['server']);
    assert.deepEqual(g?.errorTtlMs, { clientError: 30_000, serverError: 2_000 }, 'without its own value a class follows negativeTtl');
    assert.equal(g?.cacheAuthorized, true);
    assert.equal(parseBehaviorsText('behaviors: [{ pathPattern: /x, allowedMethods: all }]', 'h.yaml')[0]?.allowedMethods, 'all');
    assert.throws(() => parseBehaviorsText('behaviors: [{ pathPattern: /x, allowedMethods: [GET, POST] }]', 'i.yaml'), /allowedMethods: expected "GET,HEAD", "GET,HEAD,OPTIONS" or "all"/);
    assert.throws(() => parseBehaviorsText('behaviors: [{ pathPattern: /x, keyHeaders: [Range] }]', 'j.yaml'), /keyHeaders: range cannot be part of a cache key/);
  });

  it('the shipped suite behaviors file and the follow-origin preset agree', () => {
    const [suite] = loadBehaviorsFile(new URL('../../../tools/cache-tests/behaviors.yaml', import.meta.url).pathname);
    const [preset] = FOLLOW_ORIGIN;
    assert.deepEqual(suite, preset);
  });
});
