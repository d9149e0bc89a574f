// The one CODECS table (RFC 6381): avc1 from the SPS fields or ffprobe's names, mp4a by AAC object type.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aacCodecString, avcCodecFromSps, avcCodecString, codecOf } from '../../../../server/core/hls/codecs.ts';

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

describe('avcCodecFromSps', () => {
  it('writes the three SPS bytes as avcC carries them', () => {
    assert.equal(avcCodecFromSps({ profileIdc: 100, constraintFlags: 0, levelIdc: 31 }), 'avc1.64001f');
    assert.equal(avcCodecFromSps({ profileIdc: 66, constraintFlags: 0xc0, levelIdc: 30 }), 'avc1.42c01e');
    assert.equal(avcCodecFromSps({ profileIdc: 77, constraintFlags: 0x40, levelIdc: 9 }), 'avc1.4d4009');
  });
  it('refuses values that are not SPS bytes', () => {
    assert.equal(avcCodecFromSps({ profileIdc: 256, constraintFlags: 0, levelIdc: 31 }), undefined);
    assert.equal(avcCodecFromSps({ profileIdc: 100, constraintFlags: 0.5, levelIdc: 31 }), undefined);
    assert.equal(avcCodecFromSps({ profileIdc: 0, constraintFlags: 0, levelIdc: 31 }), undefined);
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

describe('codecOf', () => {
  it('names the H.264 and AAC streams we encode, including HE-AAC v2, and nothing else', () => {
    assert.equal(codecOf({ codec: 'h264', profile: 'High', level: 40 }), 'avc1.640028');
    assert.equal(codecOf({ codec: 'h264', profile: 'High 4:4:4 Predictive', level: 40 }), 'avc1.f40028');
    assert.equal(codecOf({ codec: 'h264', profile: 'Mystery', level: 40 }), undefined);
    assert.equal(codecOf({ codec: 'h264', profile: 'High', level: undefined }), undefined);
    assert.equal(codecOf({ codec: 'aac', profile: 'HE-AACv2', level: undefined }), 'mp4a.40.29');
    assert.equal(codecOf({ codec: 'aac', profile: 'HE-AAC', level: undefined }), 'mp4a.40.5');
    assert.equal(codecOf({ codec: 'aac', profile: undefined, level: undefined }), 'mp4a.40.2');
    assert.equal(codecOf({ codec: 'mp3', profile: undefined, level: undefined }), undefined);
  });
});
