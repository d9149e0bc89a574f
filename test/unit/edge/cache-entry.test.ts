// Cache entries round-trip through their Redis encoding; foreign or damaged values are refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheEntry, keptHeaders, strongEtagFor } from '../../../server/edge/cache-entry.ts';

const e = new CacheEntry({
  key: '/vod/a/x.ts', status: 200, body: Buffer.from('hello'), headers: [['Content-Type', 'video/mp2t']], etag: '"abc"', upstreamEtag: 'W/"o"',
  lastModifiedMs: 1_000, storedAt: 2_000, ttlMs: 3_000, staleWhileRevalidateMs: 4_000, staleIfErrorMs: 5_000, fillSeq: 6, upstream: 'shield', targetDurationS: 4,
});

describe('cache entry', () => {
  it('round-trips through encode/decode without copying the body', () => {
    const buf = e.encode();
    const d = CacheEntry.decode(buf, '/vod/a/x.ts');
    assert.ok(d);
    assert.equal(d.body.toString(), 'hello');
    assert.equal(d.body.buffer, buf.buffer);
    const { head: _h1, body: _b1, ...a } = d;
    const { head: _h2, body: _b2, ...b } = e;
    assert.deepEqual(a, b);
  });

  it('refuses another key, truncation and garbage', () => {
    const buf = e.encode();
    assert.equal(CacheEntry.decode(buf, '/vod/a/other.ts'), undefined);
    assert.equal(CacheEntry.decode(buf.subarray(0, 10), '/vod/a/x.ts'), undefined);
    assert.equal(CacheEntry.decode(Buffer.from('not an entry at all'), '/vod/a/x.ts'), undefined);
  });

  it('keeps end-to-end upstream headers but Set-Cookie (by default) and makes a strong ETag', () => {
    assert.deepEqual(keptHeaders({ 'content-type': 'text/plain', 'set-cookie': ['a=b'], 'cache-control': 'max-age=1', server: 'x', connection: 'close' }), [
      ['Content-Type', 'text/plain'],
      ['Cache-Control', 'max-age=1'],
      ['Server', 'x'],
    ]);
    assert.equal(strongEtagFor(Buffer.from('x'), '"origin-strong"'), '"origin-strong"');
    assert.match(strongEtagFor(Buffer.from('x'), 'W/"weak"'), /^"[A-Za-z0-9_-]{27}"$/);
  });
});
