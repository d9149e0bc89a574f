// Cache keys: the path alone by default; chosen query parameters, sorted; signatures and CMCD never.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheKeyOf, globEscape, pathOfKey, RedisKeys } from '../../../server/edge/cache-key.ts';

describe('cache keys', () => {
  it('exclude the query by default', () => {
    assert.equal(cacheKeyOf('/vod/a/x.ts', 'CMCD=bl%3D100&foo=1', 'none'), '/vod/a/x.ts');
    assert.equal(cacheKeyOf('/vod/a/x.ts', undefined, 'all'), '/vod/a/x.ts');
  });

  it('include all parameters sorted when asked, minus signatures and CMCD', () => {
    const a = cacheKeyOf('/vod/a/x.m3u8', 'b=2&a=1&Signature=zz&Expires=1&Key-Pair-Id=K&Policy=p&CMCD=x', 'all');
    const b = cacheKeyOf('/vod/a/x.m3u8', 'a=1&b=2', 'all');
    assert.equal(a, '/vod/a/x.m3u8?a=1&b=2');
    assert.equal(a, b);
  });

  it('include only listed parameters, canonically encoded', () => {
    assert.equal(cacheKeyOf('/vod/a/x.m3u8', 'lang=en%20gb&x=1', ['lang']), '/vod/a/x.m3u8?lang=en%20gb');
    assert.equal(cacheKeyOf('/vod/a/x.m3u8', 'x=1', ['lang']), '/vod/a/x.m3u8');
  });

  it('name Redis keys under the prefix and escape glob characters for SCAN', () => {
    const k = new RedisKeys('t:');
    assert.equal(k.object('/vod/a/x.ts'), 't:obj:/vod/a/x.ts');
    assert.equal(k.keyOfObject('t:obj:/vod/a/x.ts'), '/vod/a/x.ts');
    assert.equal(k.objectsStartingWith('/vod/a*[x]'), 't:obj:/vod/a\\*\\[x\\]*');
    assert.equal(globEscape('a?b\\c'), 'a\\?b\\\\c');
    assert.equal(pathOfKey('/vod/a/x.m3u8?a=1'), '/vod/a/x.m3u8');
  });
});
