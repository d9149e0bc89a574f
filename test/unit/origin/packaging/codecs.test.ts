// RFC 6381 CODECS strings from ffprobe's profile and level, and the H.264 level a stream needs (Table A-1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aacCodecString, avcCodecString, levelName, requiredLevel } from '../../../../server/origin/packaging/codecs.ts';

describe('avcCodecString', () => {
  it('writes profile_idc, constraint flags and level_idc as hex', () => {
    assert.equal(avcCodecString('High', 31), 'avc1.64001f');
    assert.equal(avcCodecString('High', 40), 'avc1.640028');
    assert.equal(avcCodecString('Main', 30), 'avc1.4d401e');
    assert.equal(avcCodecString('Constrained Baseline', 30), 'avc1.42c01e');
    assert.equal(avcCodecString('Baseline', 21), 'avc1.420015');
    assert.equal(avcCodecString('High 10', 51), 'avc1.6e0033');
  });
  it('returns undefined for names and levels it cannot encode', () => {
    assert.equal(avcCodecString('Mystery', 31), undefined);
    assert.equal(avcCodecString('High', 0), undefined);
    assert.equal(avcCodecString('High', -99), undefined);
  });
});

describe('aacCodecString', () => {
  it('maps AAC profiles to MPEG-4 audio object types', () => {
    assert.equal(aacCodecString('LC'), 'mp4a.40.2');
    assert.equal(aacCodecString('HE-AAC'), 'mp4a.40.5');
    assert.equal(aacCodecString('HE-AACv2'), 'mp4a.40.29');
    assert.equal(aacCodecString(undefined), 'mp4a.40.2');
  });
});

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
