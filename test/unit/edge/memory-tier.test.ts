// The memory tier stays within its byte bound, evicts least recently used objects, and refuses oversized ones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheEntry } from '../../../server/edge/cache-entry.ts';
import { MemoryTier } from '../../../server/edge/memory-tier.ts';

function entry(key: string, bytes: number): CacheEntry {
  return new CacheEntry({
    key, status: 200, body: Buffer.alloc(bytes), headers: [], etag: '"e"', upstreamEtag: undefined, lastModifiedMs: undefined,
    storedAt: 0, ttlMs: 1000, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, fillSeq: 0, upstream: 'origin', targetDurationS: undefined,
  });
}

describe('memory tier', () => {
  it('never holds more bytes than its bound and evicts the least recently used', () => {
    const evicted: string[] = [];
    const m = new MemoryTier({ maxBytes: 100_000, maxObjectBytes: 1_000_000, onEvict: (k) => evicted.push(k) });
    for (let i = 0; i < 10; i++) m.put(entry(`/vod/a/${i}.ts`, 20_000));
    assert.ok(m.bytes <= 100_000, `${m.bytes} bytes`);
    assert.ok(evicted.length >= 5);
    assert.equal(m.get('/vod/a/0.ts'), undefined);
    assert.notEqual(m.get('/vod/a/9.ts'), undefined);
    // Touching an object keeps it.
    m.get('/vod/a/6.ts');
    m.put(entry('/vod/a/new.ts', 20_000));
    assert.notEqual(m.get('/vod/a/6.ts'), undefined);
  });

  it('refuses objects larger than a quarter of the tier or the object bound', () => {
    const m = new MemoryTier({ maxBytes: 100_000, maxObjectBytes: 10_000 });
    assert.equal(m.put(entry('/vod/a/big.ts', 20_000)), false);
    assert.equal(m.put(entry('/vod/a/ok.ts', 5_000)), true);
    const m2 = new MemoryTier({ maxBytes: 100_000, maxObjectBytes: 1_000_000 });
    assert.equal(m2.put(entry('/vod/a/big.ts', 30_000)), false);
  });

  it('can be switched off (0 bytes) and purged by predicate', () => {
    const off = new MemoryTier({ maxBytes: 0, maxObjectBytes: 1000 });
    assert.equal(off.put(entry('/vod/a/x.ts', 10)), false);
    assert.equal(off.get('/vod/a/x.ts'), undefined);
    const m = new MemoryTier({ maxBytes: 100_000, maxObjectBytes: 10_000 });
    m.put(entry('/vod/a/1.ts', 10));
    m.put(entry('/vod/b/1.ts', 10));
    assert.equal(m.deleteWhere((k) => k.startsWith('/vod/a/')), 1);
    assert.equal(m.entries, 1);
  });
});
