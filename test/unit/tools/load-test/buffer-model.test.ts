import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferModel } from '../../../../tools/load-test/buffer-model.ts';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

const OPTS = { startupThresholdS: 4, resumeThresholdS: 4, maxBufferS: 30 };

describe('BufferModel', () => {
  it('starts playback only once the startup threshold is buffered, and records the startup time', () => {
    const c = clock();
    const m = new BufferModel(OPTS, c.now);
    c.advance(300);
    m.append(2);
    assert.equal(m.snapshot().state, 'startup');
    assert.equal(m.snapshot().startupMs, undefined);
    c.advance(200);
    m.append(2);
    const s = m.snapshot();
    assert.equal(s.state, 'playing');
    assert.equal(s.startupMs, 500);
    assert.equal(s.bufferedS, 4);
  });

  it('never stalls when segments arrive faster than real time', () => {
    const c = clock();
    const m = new BufferModel(OPTS, c.now);
    // 2 s segments that each take 1.5 s to download, for five minutes.
    for (let i = 0; i < 200; i++) {
      c.advance(1_500);
      m.append(2);
      const wait = m.msUntilRoomFor(2);
      c.advance(wait);
    }
    const s = m.snapshot();
    assert.equal(s.state, 'playing');
    assert.equal(s.stallCount, 0);
    assert.equal(s.stallMs, 0);
    assert.ok(s.playedS > 290, `played ${s.playedS}s`);
  });

  it('stalls when segments arrive slower than real time, and counts stall time', () => {
    const c = clock();
    const m = new BufferModel({ startupThresholdS: 2, resumeThresholdS: 2, maxBufferS: 30 }, c.now);
    // 2 s segments that take 3 s each: after startup, every segment leaves the player waiting 1 s.
    c.advance(3_000);
    m.append(2); // playing, 2 s buffered
    for (let i = 0; i < 10; i++) {
      c.advance(3_000);
      m.append(2);
    }
    const s = m.snapshot();
    assert.equal(s.stallCount, 10);
    assert.equal(s.stallMs, 10_000);
    assert.equal(s.state, 'playing');
    assert.equal(s.playedS, 20);
  });

  it('dates a stall from the moment the buffer ran dry and includes a stall still going on', () => {
    const c = clock();
    const m = new BufferModel(OPTS, c.now);
    m.append(4);
    c.advance(10_000); // dry after 4 s, stalled for 6 s so far
    const s = m.snapshot();
    assert.equal(s.state, 'stalled');
    assert.equal(s.stallCount, 1);
    assert.equal(s.stallMs, 6_000);
    assert.equal(s.playedS, 4);
  });

  it('needs the resume threshold, not one segment, to leave a stall', () => {
    const c = clock();
    const m = new BufferModel({ startupThresholdS: 2, resumeThresholdS: 4, maxBufferS: 30 }, c.now);
    m.append(2);
    c.advance(5_000);
    m.append(2);
    assert.equal(m.snapshot().state, 'stalled');
    c.advance(1_000);
    m.append(2);
    const s = m.snapshot();
    assert.equal(s.state, 'playing');
    assert.equal(s.stallMs, 4_000);
  });

  it('keeps the buffer bounded: waits while full for exactly the time playback needs to make room', () => {
    const c = clock();
    const m = new BufferModel({ startupThresholdS: 4, resumeThresholdS: 4, maxBufferS: 10 }, c.now);
    for (let i = 0; i < 5; i++) m.append(2);
    assert.equal(m.snapshot().bufferedS, 10);
    assert.equal(m.msUntilRoomFor(2), 2_000);
    c.advance(500);
    assert.equal(m.msUntilRoomFor(2), 1_500);
    c.advance(1_500);
    assert.equal(m.msUntilRoomFor(2), 0);
  });

  it('always has room when empty, even for a segment longer than the cap', () => {
    const m = new BufferModel({ startupThresholdS: 4, resumeThresholdS: 4, maxBufferS: 5 }, () => 0);
    assert.equal(m.msUntilRoomFor(8), 0);
  });

  it('rejects a startup threshold above the cap', () => {
    assert.throws(() => new BufferModel({ startupThresholdS: 40, resumeThresholdS: 4, maxBufferS: 30 }, () => 0), /must not exceed/);
  });
});
