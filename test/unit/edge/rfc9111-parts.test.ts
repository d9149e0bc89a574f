// Pure parts of the edge's RFC 9111 behaviour: Vary normalisation, header filtering, error TTLs, method policy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEHAVIOR_DEFAULTS, decideStore } from '../../../server/edge/behaviors.ts';
import { requestKeyOf, variantKeyOf } from '../../../server/edge/cache-key.ts';
import { applicableSurrogateControl, surrogateCapabilityOf } from '../../../server/edge/surrogate-control.ts';
import { errorTtlMs, isHeuristicallyCacheable } from '../../../server/edge/error-ttl.ts';
import { initialAgeMs } from '../../../server/edge/entry-builder.ts';
import { allowHeaderOf, invalidatedPaths, invalidatesStored, isMethodAllowed } from '../../../server/edge/methods.ts';
import { purgeMatches } from '../../../server/edge/purge-log.ts';
import { canonicalName, commonWithout, cookiesNamed, forwardedRequestHeaders, passedHeaders, storableHeaders } from '../../../server/edge/response-headers.ts';
import { normalisedField, variantOf, varyNamesOf } from '../../../server/edge/vary.ts';

describe('Vary', () => {
  it('names: lower-cased, trimmed, deduplicated, sorted, over every line', () => {
    assert.deepEqual(varyNamesOf('Accept-Language, X-Foo'), ['accept-language', 'x-foo']);
    assert.deepEqual(varyNamesOf(['x-foo', ' ACCEPT-language ,x-FOO']), ['accept-language', 'x-foo']);
    assert.equal(varyNamesOf(undefined), undefined);
    assert.equal(varyNamesOf(' , '), undefined);
  });

  it('values: combined lines, whitespace around commas collapsed; absent differs from empty', () => {
    assert.equal(normalisedField('en ,  fr'), 'en,fr');
    assert.equal(normalisedField(['en', 'fr']), 'en,fr');
    assert.equal(normalisedField('a   b'), 'a b');
    assert.notEqual(variantOf(['x-foo'], {}), variantOf(['x-foo'], { 'x-foo': '' }));
    assert.equal(variantOf(['a', 'b'], { a: '1, 2', b: 'x' }), variantOf(['a', 'b'], { a: '1,2', b: 'x' }));
  });

  it('variant keys: bounded, distinct per value, and still purged by their path', () => {
    const en = variantKeyOf('/a', ['accept-language'], { 'accept-language': 'en' });
    const fr = variantKeyOf('/a', ['accept-language'], { 'accept-language': 'fr' });
    assert.notEqual(en, fr);
    assert.ok(en.length < 64);
    assert.ok(purgeMatches('/a', en), 'a purge of /a reaches its variants');
    assert.ok(purgeMatches('/a', variantKeyOf('/a?x=1', ['x'], {})));
    assert.ok(!purgeMatches('/ab', en));
  });

  it('key headers and cookies make their own key; none leaves the key as it is', () => {
    assert.equal(requestKeyOf('/a', [], [], { 'x-dev': '1' }), '/a');
    assert.notEqual(requestKeyOf('/a', ['x-dev'], [], { 'x-dev': '1' }), requestKeyOf('/a', ['x-dev'], [], { 'x-dev': '2' }));
    assert.equal(requestKeyOf('/a', [], ['ab'], { cookie: 'ab=1; other=2' }), requestKeyOf('/a', [], ['ab'], { cookie: 'other=3; ab=1' }));
    assert.equal(cookiesNamed('a=1; b=2; c=3', ['c', 'a']), 'a=1; c=3');
    assert.equal(cookiesNamed('a=1', ['z']), undefined);
  });
});

describe('response header policy', () => {
  const upstream = {
    'content-type': 'text/html',
    'x-custom': 'v',
    connection: 'close, x-secret',
    'x-secret': 's',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    'proxy-authenticate': 'Basic',
    'content-length': '4',
    age: '3',
    etag: '"e"',
    'set-cookie': ['a=1', 'b=2'],
    'cache-control': 'max-age=60, private="x-user", no-cache="x-trace"',
    'x-user': 'alice',
    'x-trace': 't1',
  };

  it('stores end-to-end fields, not hop-by-hop ones, nor those the edge writes, the behavior strips, or private="…"/no-cache="…" name', () => {
    assert.deepEqual(storableHeaders(upstream, ['set-cookie']), [
      ['Content-Type', 'text/html'],
      ['X-Custom', 'v'],
      ['Cache-Control', 'max-age=60, private="x-user", no-cache="x-trace"'],
    ]);
    const all = storableHeaders(upstream, []);
    assert.deepEqual(all.filter(([k]) => k === 'Set-Cookie'), [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']], 'one entry per line');
  });

  it('passes the qualified fields to the request that fetched them', () => {
    const passed = passedHeaders(upstream, ['set-cookie']).map(([k]) => k);
    assert.ok(passed.includes('X-User') && passed.includes('X-Trace'));
    assert.ok(!passed.includes('X-Secret') && !passed.includes('Keep-Alive') && !passed.includes('Content-Length'));
  });

  it('canonical names; the origin CORS fields win over the edge defaults', () => {
    assert.equal(canonicalName('x-foo-bar'), 'X-Foo-Bar');
    const common = ['Via', '1.1 e (edgeline)', 'Access-Control-Allow-Origin', '*', 'Access-Control-Expose-Headers', 'Age'];
    assert.equal(commonWithout(common, [['Content-Type', 'x']]), common);
    assert.deepEqual(commonWithout(common, [['Access-Control-Allow-Origin', 'https://a.example']]), ['Via', '1.1 e (edgeline)', 'Access-Control-Expose-Headers', 'Age']);
  });

  it('request fields upstream: key, Vary and Authorization by default; every end-to-end one with "all"; never conditionals', () => {
    const h = { host: 'e', 'x-dev': '1', 'accept-language': 'en', authorization: 'Bearer t', 'if-none-match': '"x"', cookie: 'a=1; b=2', 'x-other': 'o', connection: 'keep-alive' };
    assert.deepEqual(forwardedRequestHeaders(h, { originRequestHeaders: 'key', keyHeaders: ['x-dev'], keyCookies: ['b'] }, ['accept-language']), {
      'x-dev': '1',
      'accept-language': 'en',
      authorization: 'Bearer t',
      cookie: 'b=2',
    });
    const all = forwardedRequestHeaders(h, { originRequestHeaders: 'all', keyHeaders: [], keyCookies: [] });
    assert.equal(all['x-other'], 'o');
    assert.equal(all['if-none-match'], undefined);
    assert.equal(all['host'], undefined);
    assert.equal(all['connection'], undefined);
  });
});

describe('error TTLs', () => {
  const rules = { negativeTtlMs: 10_000, errorTtlMs: { clientError: 5_000, serverError: 2_000 } };
  it('404/410 the negative TTL (1 × TD for live playlists), other 4xx and 5xx their class', () => {
    assert.equal(errorTtlMs(404, rules), 10_000);
    assert.equal(errorTtlMs(410, rules), 10_000);
    assert.equal(errorTtlMs(404, rules, 4_000), 4_000);
    assert.equal(errorTtlMs(400, rules), 5_000);
    assert.equal(errorTtlMs(403, rules), 0, 'a refusal is not about the object');
    assert.equal(errorTtlMs(503, rules), 2_000);
  });
  it('heuristically cacheable statuses (RFC 9110 §15.1)', () => {
    for (const s of [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]) assert.ok(isHeuristicallyCacheable(s), String(s));
    for (const s of [201, 302, 307, 500, 503]) assert.ok(!isHeuristicallyCacheable(s), String(s));
  });
});

describe('method policy', () => {
  it("CloudFront's three sets", () => {
    assert.ok(isMethodAllowed('GET,HEAD', 'HEAD'));
    assert.ok(!isMethodAllowed('GET,HEAD', 'OPTIONS'));
    assert.ok(isMethodAllowed('GET,HEAD,OPTIONS', 'OPTIONS'));
    assert.ok(!isMethodAllowed('GET,HEAD,OPTIONS', 'POST'));
    assert.ok(isMethodAllowed('all', 'PATCH'));
    assert.ok(!isMethodAllowed('all', 'BAD METHOD'));
    assert.equal(allowHeaderOf('GET,HEAD'), 'GET, HEAD');
  });
  it('§4.4: a non-error answer to an unsafe method invalidates the target and same-host Location / Content-Location', () => {
    assert.ok(invalidatesStored('POST', 201));
    assert.ok(invalidatesStored('DELETE', 303));
    assert.ok(!invalidatesStored('POST', 500));
    assert.ok(!invalidatesStored('OPTIONS', 200));
    assert.deepEqual(invalidatedPaths('/items', 'e:80', '/items/1', 'http://e:80/items/list'), ['/items', '/items/1', '/items/list']);
    assert.deepEqual(invalidatedPaths('/items', 'e:80', 'http://other.example/items/1', 'rel'), ['/items', '/rel']);
  });
});

describe('Age (RFC 9111 §4.2.3)', () => {
  const t = Date.parse('2030-01-01T00:00:10Z');
  it('the larger of apparent age (Date) and Age + response delay; invalid Age is undefined', () => {
    assert.equal(initialAgeMs({ date: 'Tue, 01 Jan 2030 00:00:00 GMT' }, t, t), 10_000);
    assert.equal(initialAgeMs({ date: 'Tue, 01 Jan 2030 00:00:10 GMT', age: '30' }, t - 500, t), 30_500);
    assert.equal(initialAgeMs({}, undefined, t), 0);
    assert.equal(initialAgeMs({ age: '7200, 0' }, t, t), undefined);
  });
});

describe('Surrogate-Control (W3C Edge Architecture)', () => {
  it('keeps untargeted directives and those targeted at this edge, drops the others', () => {
    assert.equal(applicableSurrogateControl('max-age=60', 'edge-1'), 'max-age=60');
    assert.equal(applicableSurrogateControl('max-age=60;edge-1, no-store;other', 'edge-1'), 'max-age=60');
    assert.equal(applicableSurrogateControl('max-age=60;other', 'edge-1'), undefined);
    assert.equal(applicableSurrogateControl(undefined, 'edge-1'), undefined);
    assert.equal(surrogateCapabilityOf('edge-1'), 'edge-1="Surrogate/1.0"');
  });

  it('its max-age and no-store win over Cache-Control for the edge', () => {
    const b = { ...BEHAVIOR_DEFAULTS, pathPattern: '*', minTtlMs: 0 };
    const now = Date.parse('2030-01-01T00:00:00Z');
    const fresh = decideStore(b, { status: 200, cacheControl: 'no-store', surrogateControl: 'max-age=100' }, now);
    assert.ok(fresh.store && fresh.ttlMs === 100_000);
    const none = decideStore(b, { status: 200, cacheControl: 'max-age=100', surrogateControl: 'no-store' }, now);
    assert.equal(none.store, false);
    assert.equal(decideStore(b, { status: 599, cacheControl: 'max-age=100, must-understand' }, now).store, false, 'must-understand: a status we do not know');
    assert.ok(decideStore(b, { status: 200, cacheControl: 'max-age=100, no-store, must-understand' }, now).store, 'must-understand overrides no-store');
  });
});
