// Purge matching and the local purge log that keeps in-flight fills from resurrecting purged objects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PurgeLog, purgeMatches } from '../../../server/edge/purge-log.ts';

describe('purges', () => {
  it('match exact paths (with any query) and prefixes', () => {
    assert.equal(purgeMatches('/vod/a/x.m3u8', '/vod/a/x.m3u8'), true);
    assert.equal(purgeMatches('/vod/a/x.m3u8', '/vod/a/x.m3u8?lang=en'), true);
    assert.equal(purgeMatches('/vod/a/x.m3u8', '/vod/a/x.m3u8.bak'), false);
    assert.equal(purgeMatches('/vod/a/*', '/vod/a/720p/s.ts'), true);
    assert.equal(purgeMatches('/vod/a/*', '/vod/ab/s.ts'), false);
    assert.equal(purgeMatches('/*', '/live/x/y.ts'), true);
  });

  it('remember which purges came after a fill started (local epoch) or after a copy was filled (seq)', () => {
    let now = 0;
    const log = new PurgeLog({ clock: () => now, retentionMs: 60_000, maxRecords: 100 });
    const startedAt = log.epoch;
    assert.equal(log.add({ seq: 7, prev: 0, epoch: 'e1', id: 'I1', at: now, paths: ['/vod/a/*'] }), true);
    assert.equal(log.add({ seq: 7, prev: 0, epoch: 'e1', id: 'I1', at: now, paths: ['/vod/a/*'] }), false, 'once');
    assert.equal(log.purgedSinceEpoch('/vod/a/x.ts', startedAt), true);
    assert.equal(log.purgedSinceEpoch('/vod/b/x.ts', startedAt), false);
    assert.equal(log.purgedSinceEpoch('/vod/a/x.ts', log.epoch), false, 'a fill started after the purge may store');
    assert.equal(log.purgedSinceSeq('/vod/a/x.ts', 6), true);
    assert.equal(log.purgedSinceSeq('/vod/a/x.ts', 7), false);
    now += 61_000;
    log.add({ seq: 8, prev: 7, epoch: 'e1', id: 'I2', at: now, paths: ['/vod/c/*'] });
    assert.equal(log.purgedSinceSeq('/vod/a/x.ts', 6), false, 'forgotten after retention');
  });
});
