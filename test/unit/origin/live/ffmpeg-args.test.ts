// The live channel's ffmpeg command line, segment names, segment-list lines and CODECS from ffprobe output.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  liveFfmpegArgs,
  segmentFileName,
  segmentFilePattern,
  sequenceOfSegmentName,
  type LiveFfmpegArgsOptions,
} from '../../../../server/origin/live/ffmpeg-args.ts';
import { codecsFromProbe, videoSpanFromProbe } from '../../../../server/origin/live/probe.ts';
import { SegmentListFollower, parseSegmentListLine, splitCompleteLines } from '../../../../server/origin/live/segment-list.ts';

const base: LiveFfmpegArgsOptions = {
  source: 'sample',
  hasAudio: true,
  outputs: [
    { rendition: { name: '360p', width: 640, height: 360, videoKbps: 600 }, dir: '/m/live/a/360p', segmentListPath: '/m/live/a/.ffmpeg/360p-1.csv' },
    { rendition: { name: '240p', width: 426, height: 240, videoKbps: 300 }, dir: '/m/live/a/240p', segmentListPath: '/m/live/a/.ffmpeg/240p-1.csv' },
  ],
  segmentSeconds: 2,
  frameRate: 25,
  audioKbps: 64,
  startNumber: 17,
  segmentTag: 'abc',
  fontFile: '/usr/share/fonts/x/Mono: Regular.ttf',
  label: 'a',
};

function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('liveFfmpegArgs', () => {
  it('writes CMAF as fMP4 segments after one init segment per run, the audio delayed by the AAC priming', () => {
    const args = liveFfmpegArgs({ ...base, format: 'cmaf', initFile: 'init-abc-3.mp4' });
    assert.deepEqual(valuesOf(args, '-segment_format'), ['mp4', 'mp4']);
    assert.deepEqual(valuesOf(args, '-segment_header_filename'), ['/m/live/a/360p/init-abc-3.mp4', '/m/live/a/240p/init-abc-3.mp4']);
    assert.deepEqual(valuesOf(args, '-segment_format_options'), ['movflags=+frag_keyframe+empty_moov+default_base_moof', 'movflags=+frag_keyframe+empty_moov+default_base_moof']);
    assert.equal(args.at(-1), '/m/live/a/240p/seg-abc-%d.m4s');
    assert.match(valuesOf(args, '-filter_complex')[0] ?? '', /\[1:a:0\]asetpts=PTS\+1024\/48000\/TB,asplit=2\[a0\]\[a1\]/);
    assert.deepEqual(valuesOf(args, '-map').filter((m) => m.startsWith('[a')), ['[a0]', '[a1]']);
    assert.equal(sequenceOfSegmentName('abc', 'seg-abc-42.m4s'), 42);
    assert.throws(() => liveFfmpegArgs({ ...base, format: 'cmaf' }), /init segment/);
  });

  it('reads the sample in real time and writes one segmented output per rendition, continuing the numbering', () => {
    const args = liveFfmpegArgs(base);
    assert.equal(args.filter((a) => a === '-re').length, 2);
    assert.match(valuesOf(args, '-i')[0] ?? '', /^testsrc2=size=640x360:rate=25$/);
    assert.match(valuesOf(args, '-i')[1] ?? '', /^sine=/);
    assert.deepEqual(valuesOf(args, '-segment_start_number'), ['17', '17']);
    assert.deepEqual(valuesOf(args, '-segment_list'), ['/m/live/a/.ffmpeg/360p-1.csv', '/m/live/a/.ffmpeg/240p-1.csv']);
    assert.deepEqual(args.filter((a) => a.endsWith('%d.ts')), ['/m/live/a/360p/seg-abc-%d.ts', '/m/live/a/240p/seg-abc-%d.ts']);
    assert.deepEqual(valuesOf(args, '-b:v'), ['600k', '300k']);
    // Each packet written as it is muxed, so a killed run leaves a partial segment of whole packets.
    assert.deepEqual(valuesOf(args, '-segment_format_options'), ['flush_packets=1', 'flush_packets=1']);
  });

  it('puts keyframes on every segment boundary in every rendition', () => {
    const args = liveFfmpegArgs(base);
    assert.deepEqual(valuesOf(args, '-force_key_frames'), ['expr:gte(t,n_forced*2)', 'expr:gte(t,n_forced*2)']);
    assert.deepEqual(valuesOf(args, '-g'), ['50', '50']);
    assert.deepEqual(valuesOf(args, '-sc_threshold'), ['0', '0']);
    assert.deepEqual(valuesOf(args, '-segment_time'), ['2', '2']);
  });

  it('escapes the font path for the filter graph and draws no clock without a font', () => {
    const graph = valuesOf(liveFfmpegArgs(base), '-filter_complex')[0] ?? '';
    assert.ok(graph.includes("fontfile='/usr/share/fonts/x/Mono\\: Regular.ttf'"), graph);
    assert.ok(graph.includes('split=2[s0][s1]'));
    const plain = valuesOf(liveFfmpegArgs({ ...base, fontFile: undefined }), '-filter_complex')[0] ?? '';
    assert.ok(!plain.includes('drawtext'));
  });

  it('loops a file source, letterboxes it, and maps audio only when the file has some', () => {
    const withAudio = liveFfmpegArgs({ ...base, source: '/in/clip.mp4', outputs: base.outputs.slice(0, 1) });
    assert.deepEqual(withAudio.slice(withAudio.indexOf('-stream_loop'), withAudio.indexOf('-stream_loop') + 4), ['-stream_loop', '-1', '-i', '/in/clip.mp4']);
    assert.equal(withAudio[withAudio.indexOf('-protocol_whitelist') + 1], 'file', 'a file source opens no other protocol');
    assert.ok(withAudio.indexOf('-protocol_whitelist') < withAudio.indexOf('-i'));
    assert.match(valuesOf(withAudio, '-filter_complex')[0] ?? '', /fps=25,split=1\[s0\];\[s0\]scale=640:360:force_original_aspect_ratio=decrease,pad=640:360/);
    assert.deepEqual(valuesOf(withAudio, '-map'), ['[v0]', '0:a:0']);
    const silent = liveFfmpegArgs({ ...base, source: '/in/clip.mp4', hasAudio: false, outputs: base.outputs.slice(0, 1) });
    assert.deepEqual(valuesOf(silent, '-map'), ['[v0]']);
    assert.equal(valuesOf(silent, '-c:a').length, 0);
  });
});

describe('segment names', () => {
  it('reads back the sequence number of names it wrote, and nothing else', () => {
    assert.equal(segmentFilePattern('k3x'), 'seg-k3x-%d.ts');
    assert.equal(segmentFileName('k3x', 42), 'seg-k3x-42.ts');
    assert.equal(segmentFileName('k3x', 7, 'cmaf'), 'seg-k3x-7.m4s');
    assert.equal(sequenceOfSegmentName('k3x', 'seg-k3x-42.ts'), 42);
    assert.equal(sequenceOfSegmentName('k3x', 'seg-old-42.ts'), undefined);
    assert.equal(sequenceOfSegmentName('k3x', 'seg-k3x-4a.ts'), undefined);
    assert.equal(sequenceOfSegmentName('k3x', 'seg-k3x-.ts'), undefined);
  });
});

describe('segment list', () => {
  it('parses CSV lines of the segment muxer', () => {
    assert.deepEqual(parseSegmentListLine('seg-a-7.ts,0.000000,2.021333'), { filename: 'seg-a-7.ts', startSeconds: 0, endSeconds: 2.021333 });
    assert.deepEqual(parseSegmentListLine('"we,ird.ts",2,4'), { filename: 'we,ird.ts', startSeconds: 2, endSeconds: 4 });
    assert.equal(parseSegmentListLine('garbage'), undefined);
    assert.equal(parseSegmentListLine('seg.ts,4,2'), undefined);
    assert.equal(parseSegmentListLine('seg.ts,x,2'), undefined);
  });

  it('keeps a line ffmpeg is still writing for the next read', () => {
    assert.deepEqual(splitCompleteLines('a,0,1\nb,1,2\nc,2'), { lines: ['a,0,1', 'b,1,2'], rest: 'c,2' });
    assert.deepEqual(splitCompleteLines('c,2'), { lines: [], rest: 'c,2' });
  });

  it('follows a growing file from where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeline-live-list-'));
    try {
      const path = join(dir, 'list.csv');
      const follower = new SegmentListFollower(path);
      assert.deepEqual(await follower.readNew(), [], 'no file yet');
      writeFileSync(path, 'seg-a-0.ts,0.0,2.0\nseg-a-1.ts,2.0,');
      assert.deepEqual((await follower.readNew()).map((e) => e.filename), ['seg-a-0.ts']);
      appendFileSync(path, '4.0\n');
      assert.deepEqual(await follower.readNew(), [{ filename: 'seg-a-1.ts', startSeconds: 2, endSeconds: 4 }]);
      assert.deepEqual(await follower.readNew(), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('codecsFromProbe', () => {
  it('turns ffprobe profile and level into RFC 6381 CODECS', () => {
    const probe = (video: Record<string, unknown>) => ({
      streams: [{ codec_type: 'video', codec_name: 'h264', ...video }, { codec_type: 'audio', codec_name: 'aac', profile: 'LC' }],
    });
    assert.equal(codecsFromProbe(probe({ profile: 'Constrained Baseline', level: 30 })), 'avc1.42c01e,mp4a.40.2');
    assert.equal(codecsFromProbe(probe({ profile: 'Main', level: 21 })), 'avc1.4d4015,mp4a.40.2');
    assert.equal(codecsFromProbe(probe({ profile: 'High', level: 40 })), 'avc1.640028,mp4a.40.2');
    assert.equal(codecsFromProbe(probe({ profile: 'High 4:4:4 Predictive', level: 40 })), 'avc1.f40028,mp4a.40.2');
    assert.equal(codecsFromProbe(probe({ profile: 'Mystery', level: 40 })), undefined);
    assert.equal(codecsFromProbe({ streams: [{ codec_type: 'video', codec_name: 'h264', profile: 'High', level: 31 }] }), 'avc1.64001f');
    assert.equal(codecsFromProbe({}), undefined);
    const heAacV2 = { streams: [{ codec_type: 'video', codec_name: 'h264', profile: 'Main', level: 30 }, { codec_type: 'audio', codec_name: 'aac', profile: 'HE-AACv2' }] };
    assert.equal(codecsFromProbe(heAacV2), 'avc1.4d401e,mp4a.40.29', 'the same CODECS table as VOD: HE-AAC v2 is object type 29');
  });
});

describe('videoSpanFromProbe', () => {
  it('measures from the first frame to the end of the last, in any packet order', () => {
    const packets = [
      { pts_time: '5.421333', duration_time: '0.033333' },
      { pts_time: '5.521333', duration_time: '0.033333' },
      { pts_time: '5.454667', duration_time: '0.033333' },
    ];
    assert.ok(Math.abs((videoSpanFromProbe({ packets }) ?? 0) - 0.133333) < 1e-6);
  });

  it('has no span without packets that carry a time', () => {
    assert.equal(videoSpanFromProbe({ packets: [] }), undefined);
    assert.equal(videoSpanFromProbe({ packets: [{ pts_time: 'N/A' }] }), undefined);
    assert.equal(videoSpanFromProbe({}), undefined);
  });
});
