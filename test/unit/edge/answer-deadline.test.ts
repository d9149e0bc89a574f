// How long a viewer waits for the upstream, per behavior: stale copies answer early, cold objects get a 504 later.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerDeadlineMs, withDeadline } from '../../../server/edge/answer-deadline.ts';
import { Behaviors } from '../../../server/edge/behaviors.ts';

describe('answer deadlines', () => {
  const b = new Behaviors();
  it('defaults: live playlists ½ TD, playlists 1 s with a stale copy, 5 s without; segments none', () => {
    assert.equal(answerDeadlineMs(b.match('/live/ch/360p/index.m3u8'), true, 4), 2_000);
    assert.equal(answerDeadlineMs(b.match('/live/ch/360p/index.m3u8'), true, undefined), 1_000);
    assert.equal(answerDeadlineMs(b.match('/live/ch/360p/index.m3u8'), false, 4), 5_000);
    assert.equal(answerDeadlineMs(b.match('/vod/a/360p/index.m3u8'), true, undefined), 1_000);
    assert.equal(answerDeadlineMs(b.match('/vod/a/master.m3u8'), false, undefined), 5_000);
    assert.equal(answerDeadlineMs(b.match('/vod/a/360p/seg_1.ts'), true, undefined), undefined);
    assert.equal(answerDeadlineMs(b.match('/live/ch/360p/seg_1.ts'), false, undefined), undefined);
  });

  it('a behavior\'s own deadlines win; 0 means none', () => {
    const seg = { ...b.match('/vod/a/360p/seg_1.ts'), answerDeadlineMs: 3_000, coldAnswerDeadlineMs: 8_000 };
    assert.equal(answerDeadlineMs(seg, true, undefined), 3_000);
    assert.equal(answerDeadlineMs(seg, false, undefined), 8_000);
    assert.equal(answerDeadlineMs({ ...b.match('/vod/a/index.m3u8'), answerDeadlineMs: 0 }, true, undefined), undefined);
  });

  it('withDeadline answers late only once the deadline has passed', async () => {
    assert.equal(await withDeadline(Promise.resolve(1), undefined), 1);
    assert.equal(await withDeadline(Promise.resolve(1), performance.now() + 60_000), 1);
    assert.equal(await withDeadline(new Promise<number>(() => undefined), performance.now() - 1), 'late');
    assert.equal(await withDeadline(new Promise<number>(() => undefined), performance.now() + 5), 'late');
  });
});
