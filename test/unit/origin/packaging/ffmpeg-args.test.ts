// ffmpeg arguments for packaging: one decode split into renditions, aligned keyframes, one HLS output each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRenditions } from '../../../../server/origin/packaging/ladder.ts';
import { buildFfmpegJob, commandLine, gopFrames } from '../../../../server/origin/packaging/ffmpeg-args.ts';
import type { SourceInfo } from '../../../../server/origin/packaging/probe.ts';

const AV: SourceInfo = {
  path: '/in/clip.mp4',
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  demuxer: 'mov',
  durationSeconds: 6,
  video: { index: 0, codec: 'h264', width: 1280, height: 720, frameRate: { num: 30, den: 1 }, isVariableFrameRate: false },
  audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 44100 },
};

function optionValue(options: readonly string[], name: string): string | undefined {
  const i = options.indexOf(name);
  return i >= 0 ? options[i + 1] : undefined;
}

describe('buildFfmpegJob', () => {
  const renditions = planRenditions(AV, ['720p', '360p']);
  const job = buildFfmpegJob({ source: AV, renditions, outDir: '/m/hls/.tmp-x', segmentSeconds: 4, preset: 'veryfast', format: 'ts' });

  it('decodes once and splits the picture for every rendition', () => {
    assert.equal(job.complexFilter, '[0:0]split=2[s0][s1];[s0]fps=fps=30/1,scale=1280:720,format=yuv420p[v0];[s1]fps=fps=30/1,scale=640:360,format=yuv420p[v1]');
    assert.equal(optionValue(job.outputs[0]?.options ?? [], '-map'), '[v0]');
    assert.equal(optionValue(job.outputs[1]?.options ?? [], '-map'), '[v1]');
  });

  it('forces keyframes on segment boundaries with a fixed GOP and no scene-cut keyframes', () => {
    for (const out of job.outputs) {
      assert.equal(optionValue(out.options, '-force_key_frames'), 'expr:gte(t,n_forced*4)');
      assert.equal(optionValue(out.options, '-g'), '120');
      assert.equal(optionValue(out.options, '-keyint_min'), '120');
      assert.equal(optionValue(out.options, '-sc_threshold'), '0');
      assert.equal(optionValue(out.options, '-hls_time'), '4');
    }
  });

  it('encodes H.264 with the planned profile, level and capped bit rate, and AAC from the audio stream', () => {
    const o = job.outputs[0]?.options ?? [];
    assert.equal(optionValue(o, '-c:v'), 'libx264');
    assert.equal(optionValue(o, '-preset'), 'veryfast');
    assert.equal(optionValue(o, '-profile:v'), 'high');
    assert.equal(optionValue(o, '-level'), '3.1');
    assert.equal(optionValue(o, '-b:v'), '2800k');
    assert.equal(optionValue(o, '-maxrate'), '3080k');
    assert.equal(optionValue(o, '-c:a'), 'aac');
    assert.equal(optionValue(o, '-ar'), '44100');
    assert.ok(o.join(' ').includes('-map 0:1'));
  });

  it('writes VOD HLS with numbered MPEG-TS segments in one folder per rendition', () => {
    assert.equal(job.outputs[0]?.path, '/m/hls/.tmp-x/720p/ffmpeg.m3u8');
    assert.equal(optionValue(job.outputs[1]?.options ?? [], '-hls_segment_filename'), '/m/hls/.tmp-x/360p/seg-%05d.ts');
    assert.equal(optionValue(job.outputs[1]?.options ?? [], '-hls_playlist_type'), 'vod');
    assert.equal(optionValue(job.outputs[1]?.options ?? [], '-f'), 'hls');
  });

  it('pins the input to its identified demuxer and the file protocol, before -i', () => {
    const args = commandLine('file:/in/clip.mp4', job);
    const input = args.indexOf('-i');
    assert.equal(optionValue(args.slice(0, input), '-f'), 'mov');
    assert.equal(optionValue(args.slice(0, input), '-protocol_whitelist'), 'file');
    assert.doesNotMatch(optionValue(args.slice(0, input), '-format_whitelist') ?? '', /dash|hls|concat|image2/);
    assert.ok(Number(optionValue(args.slice(0, input), '-probesize')) > 0);
  });

  it('writes CMAF as fMP4 segments after one init segment, and both formats from time 0', () => {
    const cmaf = buildFfmpegJob({ source: AV, renditions, outDir: '/m/hls/.tmp-x', segmentSeconds: 4, preset: 'veryfast', format: 'cmaf' });
    const o = cmaf.outputs[1]?.options ?? [];
    assert.equal(optionValue(o, '-hls_segment_type'), 'fmp4');
    assert.equal(optionValue(o, '-hls_fmp4_init_filename'), 'init.mp4');
    assert.equal(optionValue(o, '-hls_segment_filename'), '/m/hls/.tmp-x/360p/seg-%05d.m4s');
    assert.equal(optionValue(o, '-avoid_negative_ts'), 'disabled', 'the edit list skips the encoder delay');
    const ts = job.outputs[1]?.options ?? [];
    assert.equal(optionValue(ts, '-hls_segment_type'), undefined);
    assert.equal(optionValue(ts, '-avoid_negative_ts'), 'make_zero');
    for (const opts of [o, ts]) {
      assert.equal(optionValue(opts, '-muxdelay'), '0');
      assert.equal(optionValue(opts, '-muxpreload'), '0');
    }
  });

  it('puts the whole command together with the input first', () => {
    const args = commandLine('/in/clip.mp4', job);
    assert.deepEqual(args.slice(args.indexOf('-i'), args.indexOf('-i') + 2), ['-i', '/in/clip.mp4']);
    assert.ok(args.indexOf('-filter_complex') > args.indexOf('-i'));
    assert.equal(args[args.length - 1], '/m/hls/.tmp-x/360p/ffmpeg.m3u8');
  });

  it('skips the split for one rendition', () => {
    const one = buildFfmpegJob({ source: AV, renditions: planRenditions(AV, ['240p']), outDir: '/o', segmentSeconds: 2, preset: 'ultrafast', format: 'ts' });
    assert.equal(one.complexFilter, '[0:0]fps=fps=30/1,scale=426:240,format=yuv420p[v0]');
    assert.equal(optionValue(one.outputs[0]?.options ?? [], '-force_key_frames'), 'expr:gte(t,n_forced*2)');
  });

  it('has no filter and no video options for an audio-only source', () => {
    const audioOnly: SourceInfo = { ...AV, video: undefined, audio: { index: 0, codec: 'mp3', channels: 1, sampleRate: 22050 } };
    const a = buildFfmpegJob({ source: audioOnly, renditions: planRenditions(audioOnly), outDir: '/o', segmentSeconds: 4, preset: 'veryfast', format: 'ts' });
    assert.equal(a.complexFilter, undefined);
    const o = a.outputs[0]?.options ?? [];
    assert.equal(a.outputs[0]?.path, '/o/audio/ffmpeg.m3u8');
    assert.ok(!o.includes('-c:v'));
    assert.equal(optionValue(o, '-map'), '0:0');
    assert.equal(optionValue(o, '-ac'), '1');
    assert.equal(optionValue(o, '-ar'), '48000', 'uncommon rates become 48 kHz');
  });

  it('maps no audio for a video-only source', () => {
    const videoOnly: SourceInfo = { ...AV, audio: undefined };
    const v = buildFfmpegJob({ source: videoOnly, renditions: planRenditions(videoOnly, ['360p']), outDir: '/o', segmentSeconds: 4, preset: 'veryfast', format: 'ts' });
    const o = v.outputs[0]?.options ?? [];
    assert.ok(!o.includes('-c:a'));
    assert.equal(o.filter((x) => x === '-map').length, 1);
  });
});

describe('gopFrames', () => {
  it('lands a keyframe on every boundary, rounding fractional rates up', () => {
    assert.equal(gopFrames({ num: 30, den: 1 }, 4), 120);
    assert.equal(gopFrames({ num: 25, den: 1 }, 2), 50);
    assert.equal(gopFrames({ num: 30000, den: 1001 }, 4), 120);
    assert.equal(gopFrames({ num: 24000, den: 1001 }, 4), 96);
  });
});
