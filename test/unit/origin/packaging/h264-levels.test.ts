// The H.264 level a stream needs (Table A-1) and its name for x264.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { levelName, requiredLevel } from '../../../../server/origin/packaging/h264-levels.ts';

describe('requiredLevel', () => {
  const level = (width: number, height: number, frameRate: number, maxrateKbps = 1000, profile: 'baseline' | 'main' | 'high' = 'main'): number =>
    requiredLevel({ width, height, frameRate, maxrateKbps, profile });
  it('follows frame size and macroblock rate', () => {
    assert.equal(level(426, 240, 30), 21);
    assert.equal(level(640, 360, 30), 30);
    assert.equal(level(854, 480, 30), 31);
    assert.equal(level(1280, 720, 30), 31);
    assert.equal(level(1280, 720, 60), 32);
    assert.equal(level(1920, 1080, 30), 40);
    assert.equal(level(1920, 1080, 60), 42);
    assert.equal(level(3840, 2160, 30), 51);
  });
  it('follows the bit rate, with High allowed 1.25x', () => {
    assert.equal(level(640, 360, 30, 12000, 'main'), 31);
    assert.equal(level(640, 360, 30, 12000, 'high'), 30);
  });
  it('names levels for x264', () => {
    assert.equal(levelName(31), '3.1');
    assert.equal(levelName(40), '4.0');
  });
});
