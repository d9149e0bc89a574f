// The CLI progress reporter in plain mode (what CI logs see) and the ETA text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress, formatEta } from '../../../server/cli/progress.ts';

function sink(): { stream: NodeJS.WritableStream & { isTTY?: boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (chunk: string) => (lines.push(...chunk.split('\n').filter(Boolean)), true) } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  return { stream, lines };
}

describe('plain progress', () => {
  it('prints a line per step or stage change, not per update, and the final 100 %', () => {
    const { stream, lines } = sink();
    let clock = 0;
    const p = createProgress('packaging clip', { stream, now: () => clock });
    p.update(0, undefined, 'probing');
    for (let i = 2; i <= 95; i += 0.5) {
      clock += 100;
      p.update(i, 10, 'encoding');
    }
    p.update(100, 0, 'finishing');
    p.stop();
    p.stop();
    assert.equal(lines[0], 'packaging clip: 0% (probing, ETA ?)');
    assert.equal(lines[1], 'packaging clip: 2% (encoding, ETA 10s)');
    assert.equal(lines[lines.length - 1], 'packaging clip: 100% (finishing)');
    assert.ok(lines.length >= 10 && lines.length <= 14, `about one line per 10 %, got ${lines.length}`);
  });

  it('prints a sign of life after a quiet interval', () => {
    const { stream, lines } = sink();
    let clock = 0;
    const p = createProgress('x', { stream, now: () => clock, plainEveryMs: 1000 });
    p.update(1, undefined, 'encoding');
    p.update(2, undefined, 'encoding');
    clock = 1500;
    p.update(3, undefined, 'encoding');
    assert.deepEqual(lines, ['x: 1% (encoding, ETA ?)', 'x: 3% (encoding, ETA ?)']);
  });

  it('prints the last state on stop when it was not shown yet', () => {
    const { stream, lines } = sink();
    const p = createProgress('x', { stream, now: () => 0 });
    p.update(10);
    p.update(12);
    p.stop();
    assert.deepEqual(lines, ['x: 10% (ETA ?)', 'x: 12% (ETA ?)']);
  });
});

describe('formatEta', () => {
  it('formats seconds, minutes and hours', () => {
    assert.equal(formatEta(undefined), '?');
    assert.equal(formatEta(42.4), '42s');
    assert.equal(formatEta(65), '1m05s');
    assert.equal(formatEta(3725), '1h02m');
  });
});
