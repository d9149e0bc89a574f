// The cache-tests runner's summary: the suite's symbols become counts and a list of what failed, with the suite's reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarise, summaryText, verdictOf } from '../../../../tools/cache-tests/summary.ts';

describe('cache-tests summary', () => {
  it('maps the suite symbols, counts them and keeps the reason of anything but a pass', () => {
    assert.equal(verdictOf('✅'), 'pass');
    assert.equal(verdictOf('⛔️'), 'fail');
    assert.equal(verdictOf('⚠️'), 'optional');
    assert.equal(verdictOf('something new'), 'harness');
    const raw = { a: true, b: ['Assertion', 'Response 2 comes from cache'], c: ['Assertion', 'x'], d: true };
    const symbols: Record<string, string> = { a: '✅', b: '⛔️', c: '⚠️', d: 'Y' };
    const s = summarise(['a', 'b', 'c', 'd', 'e'], raw, (id) => symbols[id] ?? '-');
    assert.equal(s.counts.pass, 1);
    assert.equal(s.counts.fail, 1);
    assert.equal(s.counts.optional, 1);
    assert.equal(s.counts.yes, 1);
    assert.equal(s.counts.untested, 1);
    assert.deepEqual(s.tests.find((t) => t.id === 'b'), { id: 'b', verdict: 'fail', detail: 'Assertion: Response 2 comes from cache' });
    const text = summaryText(s);
    assert.match(text, /^pass 1 {2}fail 1 /);
    assert.match(text, /fail \(1\):\n {2}b — Assertion: Response 2 comes from cache/);
  });
});
