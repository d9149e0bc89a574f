// Objects being sent are on offer until the last response sending them lets go; a newer object of the key takes over.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheEntry } from '../../../server/edge/cache-entry.ts';
import { SendingObjects } from '../../../server/edge/sending-objects.ts';

function entry(key: string, storedAt = 0): CacheEntry {
  return new CacheEntry({
    key, status: 200, body: Buffer.alloc(16), headers: [], etag: '"e"', upstreamEtag: undefined, lastModifiedMs: undefined,
    storedAt, ttlMs: 1000, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, fillSeq: 0, upstream: 'origin', targetDurationS: undefined,
  });
}

describe('sending objects', () => {
  it('offers an object while any response holds it, and forgets it when the last one lets go', () => {
    const s = new SendingObjects();
    const e = entry('/vod/a/1.ts');
    const first = s.hold(e);
    const second = s.hold(e);
    assert.equal(s.get('/vod/a/1.ts'), e);
    first();
    assert.equal(s.get('/vod/a/1.ts'), e, 'the second response still sends it');
    second();
    assert.equal(s.get('/vod/a/1.ts'), undefined);
    assert.equal(s.size, 0);
  });

  it('counts a release once, however often it is called', () => {
    const s = new SendingObjects();
    const e = entry('/vod/a/1.ts');
    const first = s.hold(e);
    const second = s.hold(e);
    first();
    first();
    assert.equal(s.get('/vod/a/1.ts'), e);
    second();
    assert.equal(s.get('/vod/a/1.ts'), undefined);
  });

  it('a newer object of the key takes over; the older one lets go without dropping it', () => {
    const s = new SendingObjects();
    const older = entry('/vod/a/1.ts', 0);
    const newer = entry('/vod/a/1.ts', 500);
    const releaseOlder = s.hold(older);
    const releaseNewer = s.hold(newer);
    assert.equal(s.get('/vod/a/1.ts'), newer);
    releaseOlder();
    assert.equal(s.get('/vod/a/1.ts'), newer);
    releaseNewer();
    assert.equal(s.get('/vod/a/1.ts'), undefined);
  });

  it('keeps keys apart', () => {
    const s = new SendingObjects();
    const a = entry('/vod/a/1.ts');
    const b = entry('/vod/a/2.ts');
    const releaseA = s.hold(a);
    s.hold(b);
    releaseA();
    assert.equal(s.get('/vod/a/1.ts'), undefined);
    assert.equal(s.get('/vod/a/2.ts'), b);
  });
});
