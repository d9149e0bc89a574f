import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { LineBatch, type LineTarget } from '../../../server/core/log-batch.ts';

/** A target that records what it is handed, and what it wrote out by flushSync. */
function recorder(): LineTarget & { readonly chunks: string[]; readonly events: string[] } {
  const chunks: string[] = [];
  const events: string[] = [];
  return {
    chunks,
    events,
    write(chunk) {
      chunks.push(chunk);
      events.push(`write:${chunk}`);
      return true;
    },
    flushSync() {
      events.push('flushSync');
    },
    flush(cb) {
      events.push('flush');
      cb();
    },
  };
}

const lines = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `l${from + i}\n`);

test('hands lines over a batch at a time, whole and in order', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const t = recorder();
    const b = new LineBatch(t, { maxLines: 4, maxDelayMs: 50, writeNow: () => assert.fail('not at exit') });
    for (const l of lines(0, 10)) b.write(l);
    assert.deepEqual(t.chunks, ['l0\nl1\nl2\nl3\n', 'l4\nl5\nl6\nl7\n']);
    // The last two wait for the timer.
    mock.timers.tick(49);
    assert.equal(t.chunks.length, 2);
    mock.timers.tick(1);
    assert.deepEqual(t.chunks, ['l0\nl1\nl2\nl3\n', 'l4\nl5\nl6\nl7\n', 'l8\nl9\n']);
    assert.equal(t.chunks.join(''), lines(0, 10).join(''));
  } finally {
    mock.timers.reset();
  }
});

test('a lone line goes out after maxDelayMs, and a full batch clears the timer', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const t = recorder();
    const b = new LineBatch(t, { maxLines: 2, maxDelayMs: 50, writeNow: () => assert.fail('not at exit') });
    b.write('a\n');
    b.write('b\n');
    b.write('c\n');
    assert.deepEqual(t.chunks, ['a\nb\n']);
    mock.timers.tick(50);
    assert.deepEqual(t.chunks, ['a\nb\n', 'c\n']);
    // Nothing left: a later tick writes nothing more.
    mock.timers.tick(500);
    assert.equal(t.chunks.length, 2);
  } finally {
    mock.timers.reset();
  }
});

test('flushSync writes what the target holds first, then the batch, synchronously', () => {
  const t = recorder();
  const now: string[] = [];
  const b = new LineBatch(t, { maxLines: 100, maxDelayMs: 60_000, writeNow: (c) => { now.push(c); t.events.push(`now:${c}`); } });
  b.write('x\n');
  b.write('y\n');
  b.flushSync();
  assert.deepEqual(t.events, ['flushSync', 'now:x\ny\n']);
  assert.deepEqual(now, ['x\ny\n']);
  // Empty: the target is still flushed, nothing more written.
  b.flushSync();
  assert.deepEqual(now, ['x\ny\n']);
});

test("flush(cb) hands the batch over and calls back once the target has flushed (pino's logger.flush)", async () => {
  const t = recorder();
  const b = new LineBatch(t, { maxLines: 100, maxDelayMs: 60_000, writeNow: () => assert.fail('not at exit') });
  b.write('p\n');
  await new Promise<void>((resolve, reject) => b.flush((err) => (err ? reject(err) : resolve())));
  assert.deepEqual(t.events, ['write:p\n', 'flush']);
});
