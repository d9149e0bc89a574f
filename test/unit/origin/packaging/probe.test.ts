// Narrowing ffprobe's JSON: what counts as video or audio, rotation, variable frame rate, and clear refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../../../server/core/errors.ts';
import { parseRational, parseSourceProbe, parseStreamsProbe } from '../../../../server/origin/packaging/probe.ts';

const video = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  index: 0, codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, avg_frame_rate: '30/1', r_frame_rate: '30/1', ...extra,
});
const audio = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ index: 1, codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '48000', ...extra });
const probe = (streams: unknown[], format: Record<string, unknown> = {}): unknown => ({ streams, format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '6.000000', ...format } });

function refuses(json: unknown, fragment: string): void {
  assert.throws(() => parseSourceProbe(json, '/up/file.bin'), (err: unknown) =>
    isAppError(err) && err.code === 'PACKAGING_NOT_MEDIA' && err.message.includes('"/up/file.bin"') && err.message.includes(fragment));
}

describe('parseSourceProbe', () => {
  it('picks the video and audio streams and the duration', () => {
    const s = parseSourceProbe(probe([video(), audio()]), '/in.mp4');
    assert.equal(s.durationSeconds, 6);
    assert.deepEqual(s.video, { index: 0, codec: 'h264', width: 1920, height: 1080, frameRate: { num: 30, den: 1 }, isVariableFrameRate: false });
    assert.deepEqual(s.audio, { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 });
  });

  it('swaps width and height for quarter-turn rotation (tag or display matrix)', () => {
    const tagged = parseSourceProbe(probe([video({ tags: { rotate: '90' } })]), '/in.mp4');
    assert.deepEqual([tagged.video?.width, tagged.video?.height], [1080, 1920]);
    const matrix = parseSourceProbe(probe([video({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] })]), '/in.mp4');
    assert.deepEqual([matrix.video?.width, matrix.video?.height], [1080, 1920]);
    const upsideDown = parseSourceProbe(probe([video({ tags: { rotate: '180' } })]), '/in.mp4');
    assert.deepEqual([upsideDown.video?.width, upsideDown.video?.height], [1920, 1080]);
  });

  it('flags variable frame rate when the average differs from the base rate', () => {
    const s = parseSourceProbe(probe([video({ avg_frame_rate: '2743/100', r_frame_rate: '60/1' })]), '/in.mp4');
    assert.equal(s.video?.isVariableFrameRate, true);
    assert.deepEqual(s.video?.frameRate, { num: 2743, den: 100 });
  });

  it('treats cover art as no video: an MP3 with a picture is audio-only', () => {
    const s = parseSourceProbe(probe([audio({ index: 0 }), video({ index: 1, codec_name: 'mjpeg', disposition: { attached_pic: 1 } })], { format_name: 'mp3' }), '/song.mp3');
    assert.equal(s.video, undefined);
    assert.equal(s.audio?.index, 0);
  });

  it('uses the longest stream when the container has no duration', () => {
    const s = parseSourceProbe(probe([video({ duration: '5.5' }), audio({ duration: '6.1' })], { duration: 'N/A' }), '/in.ts');
    assert.equal(s.durationSeconds, 6.1);
  });

  it('refuses files without streams, stills and text, and files without duration', () => {
    refuses(probe([]), 'no video or audio stream');
    refuses(probe([video({ codec_name: 'png' })], { format_name: 'png_pipe' }), 'still picture or text');
    refuses(probe([video({ codec_name: 'ansi' })], { format_name: 'tty' }), 'still picture or text');
    refuses(probe([video()], { duration: undefined }), 'no duration');
    refuses(probe([video({ width: 0 })]), 'no picture size');
    refuses('garbage', 'no video or audio stream');
  });
});

describe('parseStreamsProbe', () => {
  it('keeps the fields CODECS, RESOLUTION and FRAME-RATE need', () => {
    const streams = parseStreamsProbe({ streams: [video({ profile: 'High', level: 31, avg_frame_rate: '0/0', r_frame_rate: '30/1' }), audio({ profile: 'LC' }), { codec_type: 'data' }] });
    assert.deepEqual(streams, [
      { type: 'video', codec: 'h264', profile: 'High', level: 31, width: 1920, height: 1080, frameRate: { num: 30, den: 1 } },
      { type: 'audio', codec: 'aac', profile: 'LC', level: undefined, width: undefined, height: undefined, frameRate: undefined },
    ]);
  });
});

describe('parseRational', () => {
  it('reads fractions and rejects zero and junk', () => {
    assert.deepEqual(parseRational('30000/1001'), { num: 30000, den: 1001 });
    assert.equal(parseRational('0/0'), undefined);
    assert.equal(parseRational('N/A'), undefined);
    assert.equal(parseRational(30), undefined);
  });
});
