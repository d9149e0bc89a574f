// The package and sample commands' pure parts: ids from file names, the speed figure, the summary, sample arguments.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatSummary, packagingSpeed, slugOf } from '../../../server/cli/package.ts';
import { findFont, sampleSourceArgs, sampleVideoFilter } from '../../../server/cli/sample.ts';
import type { PackagedAsset } from '../../../server/origin/packaging/types.ts';

describe('slugOf', () => {
  it('makes an asset id from a file name', () => {
    assert.equal(slugOf('/videos/My Holiday (2019).MP4'), 'my-holiday-2019');
    assert.equal(slugOf('clip_01.mov'), 'clip_01');
    assert.equal(slugOf('./.hidden.mp4'), 'hidden');
    assert.equal(slugOf('été.mp4'), 't');
    assert.equal(slugOf('日本.mp4'), 'asset');
    assert.equal(slugOf(`${'a'.repeat(80)}.mp4`).length, 64);
  });
});

const asset: PackagedAsset = {
  id: 'sample',
  dir: '/srv/media/hls/sample',
  durationSeconds: 60,
  format: 'cmaf',
  elapsedMs: 20_000,
  renditions: [
    { name: '720p', width: 1280, height: 720, bandwidth: 3_010_256, averageBandwidth: 2_964_034, codecs: 'avc1.64001f,mp4a.40.2', frameRate: 30 },
    { name: '240p', width: 426, height: 240, bandwidth: 525_648, averageBandwidth: 511_235, codecs: 'avc1.42c01e,mp4a.40.2', frameRate: 30 },
  ],
};

describe('packagingSpeed', () => {
  it('counts seconds of video per wall-clock second, for the ladder and per rendition', () => {
    assert.deepEqual(packagingSpeed(asset), { assetSecondsPerSecond: 3, renditionSecondsPerSecond: 6 });
  });
});

describe('formatSummary', () => {
  it('names the asset, each rendition and the speed', () => {
    const text = formatSummary(asset, '/srv');
    assert.match(text, /^packaged "sample" \(CMAF\): 60\.0 s of video, 2 rendition\(s\), in 20\.0 s$/m);
    assert.match(text, /720p\s+1280x720\s+peak 3\.01 Mb\/s\s+avg 2\.96 Mb\/s\s+avc1\.64001f,mp4a\.40\.2\s+30 fps/);
    assert.match(text, /speed: 3\.00 s of video per second for the whole ladder \(6\.00 rendition-seconds per second\)/);
    assert.match(text, /master playlist: media\/hls\/sample\/master\.m3u8$/m);
  });
  it('prints an absolute path when the asset is outside the working folder', () => {
    assert.match(formatSummary(asset, '/elsewhere'), /master playlist: \/srv\/media\/hls\/sample\/master\.m3u8$/m);
  });
});

describe('sample source', () => {
  it('burns in a timecode with an explicit font, escaping the path for the filter graph', () => {
    const filter = sampleVideoFilter('/fonts/odd:name.ttf') ?? '';
    assert.match(filter, /^drawtext=fontfile='\/fonts\/odd\\:name\.ttf':timecode='00\\:00\\:00\\:00':rate=30:/);
    assert.equal(sampleVideoFilter(undefined), undefined);
  });
  it('generates testsrc2 at 1280x720 and 30 fps with a sine tone for the asked length', () => {
    const { inputs, outputOptions } = sampleSourceArgs({ out: '/t/s.mp4', seconds: 60, font: undefined });
    assert.deepEqual(inputs, ['testsrc2=size=1280x720:rate=30:duration=60', 'sine=frequency=440:beep_factor=4:sample_rate=48000:duration=60']);
    assert.ok(!outputOptions.includes('-vf'), 'no font, no drawtext');
  });
  it('finds a font under a folder, monospaced first, or none', () => {
    const root = mkdtempSync(join(tmpdir(), 'edgeline-fonts-'));
    try {
      assert.equal(findFont(root), undefined);
      mkdirSync(join(root, 'truetype', 'x'), { recursive: true });
      writeFileSync(join(root, 'truetype', 'x', 'Zeta.ttf'), '');
      assert.equal(findFont(root), join(root, 'truetype', 'x', 'Zeta.ttf'));
      writeFileSync(join(root, 'truetype', 'x', 'DejaVuSansMono.ttf'), '');
      assert.equal(findFont(root), join(root, 'truetype', 'x', 'DejaVuSansMono.ttf'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
