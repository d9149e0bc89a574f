// Both segment formats with real ffmpeg: CMAF (init segment, EXT-X-MAP, version 7, CODECS from the avcC box) and
// MPEG-TS, each starting at time 0 so players have no start gap to seek over.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readMasterPlaylist, readMediaPlaylist } from '../../server/core/hls/read-playlist.ts';
import { packageAsset } from '../../server/origin/packaging/packager.ts';
import type { PackagedAsset } from '../../server/origin/packaging/types.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';

const FPS = 25;
/**
 * MPEG-TS has no edit lists: with B-frames, the first picture is presented two frames after the first decode time
 * (0.08 s at 25 fps). hls.js steps over a start gap below its maxBufferHole (0.1 s) without seeking over a hole.
 */
const TS_START_TOLERANCE_S = 0.1;

function ffprobe(path: string, args: string[]): Promise<{ json: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPaths.ffprobe, ['-v', 'error', '-print_format', 'json', ...args, path], { env: ffmpegPaths.env }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ffprobe ${path}: ${err.message}\n${stderr}`));
      resolve({ json: JSON.parse(stdout) as Record<string, unknown>, stderr });
    });
  });
}

interface Probed {
  readonly videoFrames: number;
  readonly audioFrames: number;
  /** start_time per stream type. */
  readonly start: Record<string, number>;
}

/** Decodes every frame (errors on stderr fail the test) and reads each stream's first timestamp. */
async function decode(path: string): Promise<Probed> {
  const { json, stderr } = await ffprobe(path, ['-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames,start_time']);
  assert.equal(stderr.trim(), '', `ffprobe -v error reported problems decoding ${path}`);
  const streams = (json['streams'] as Array<Record<string, unknown>>) ?? [];
  const of = (type: string): Record<string, unknown> | undefined => streams.find((s) => s['codec_type'] === type);
  const start: Record<string, number> = {};
  for (const s of streams) start[String(s['codec_type'])] = Number(s['start_time']);
  return { videoFrames: Number(of('video')?.['nb_read_frames'] ?? 0), audioFrames: Number(of('audio')?.['nb_read_frames'] ?? 0), start };
}

/** avc1.PPCCLL from the avcC box of an init segment: AVCProfileIndication, profile_compatibility, AVCLevelIndication. */
function avcFromAvcC(init: Buffer): string | undefined {
  const at = init.indexOf('avcC', 0, 'latin1');
  if (at < 0) return undefined;
  // configurationVersion, then the three bytes.
  const hex = [init[at + 5], init[at + 6], init[at + 7]].map((b) => (b ?? 0).toString(16).padStart(2, '0')).join('');
  return `avc1.${hex}`;
}

/** baseMediaDecodeTime of every tfdt box (one per track fragment) in an fMP4 segment. */
function decodeTimes(segment: Buffer): number[] {
  const out: number[] = [];
  for (let at = segment.indexOf('tfdt', 0, 'latin1'); at >= 0; at = segment.indexOf('tfdt', at + 4, 'latin1')) {
    out.push(segment[at + 4] === 1 ? Number(segment.readBigUInt64BE(at + 8)) : segment.readUInt32BE(at + 8));
  }
  return out;
}

describe('packageAsset segment formats', { timeout: 180_000 }, () => {
  let mediaDir: string;
  let input: string;
  let scratch: string;

  before(async () => {
    mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-formats-'));
    scratch = mkdtempSync(join(tmpdir(), 'edgeline-formats-probe-'));
    input = await makeClip({ seconds: 6, width: 640, height: 360, fps: FPS });
  });
  after(() => {
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  const pack = (id: string, format: 'cmaf' | 'ts'): Promise<PackagedAsset> =>
    packageAsset({ input, id, mediaDir, ladder: ['360p', '240p'], segmentSeconds: 2, ffmpeg: ffmpegPaths, preset: 'veryfast', format });

  it('packages CMAF: init.mp4 and .m4s segments, EXT-X-MAP, version 7, CODECS from the init segment, starting at 0', async () => {
    const asset = await pack('cmaf', 'cmaf');
    assert.equal(asset.format, 'cmaf');
    const master = readMasterPlaylist(readFileSync(join(asset.dir, 'master.m3u8'), 'utf8'));
    assert.equal(master.variants.length, 2);
    for (const variant of master.variants) {
      const name = variant.uri.split('/')[0] ?? '';
      const dir = join(asset.dir, name);
      const text = readFileSync(join(dir, 'index.m3u8'), 'utf8');
      assert.match(text, /^#EXT-X-VERSION:7$/m);
      assert.match(text, /^#EXT-X-MAP:URI="init\.mp4"$/m);
      const media = readMediaPlaylist(text);
      assert.equal(media.version, 7);
      assert.equal(media.mapUri, 'init.mp4');
      assert.equal(media.segments.length, 3);
      assert.ok(media.segments.every((s) => /^seg-\d{5}\.m4s$/.test(s.uri) && s.mapUri === 'init.mp4'), 'every segment is .m4s under the one init segment');
      assert.deepEqual(readdirSync(dir).sort(), ['index.m3u8', 'init.mp4', ...media.segments.map((s) => s.uri)].sort(), 'no leftovers (ffmpeg playlist, probe file)');

      const init = readFileSync(join(dir, 'init.mp4'));
      assert.equal(init.subarray(4, 8).toString('latin1'), 'ftyp', 'the init segment is an ISO BMFF file');
      assert.equal((variant.codecs ?? '').split(',')[0], avcFromAvcC(init), 'CODECS names what the avcC box says');
      assert.ok((variant.codecs ?? '').split(',').includes('mp4a.40.2'));

      // Every segment decodes after the init segment, the first starting at 0.
      let firstStart: Record<string, number> | undefined;
      for (const s of media.segments) {
        const joined = join(scratch, `${name}-${s.uri}.mp4`);
        writeFileSync(joined, Buffer.concat([init, readFileSync(join(dir, s.uri))]));
        const d = await decode(joined);
        assert.ok(d.videoFrames > 0 && d.audioFrames > 0, `${name}/${s.uri} has video and audio frames`);
        firstStart ??= d.start;
      }
      assert.ok(firstStart, 'the first segment was probed');
      // ffprobe honours the init segment's edit list, which skips the encoder delay: both streams present from 0
      // (ffprobe 5.x reports the skipped AAC priming as a start 1024 samples early, -21 ms; 4.x reports 0).
      assert.equal(firstStart['video'], 0, `${name}: video presents from 0`);
      assert.ok(Math.abs(firstStart['audio'] ?? NaN) <= 1024 / 48000 + 1e-6, `${name}: audio presents from ${firstStart['audio']} s`);
      // What hls.js reads (it ignores edit lists): every track of the first segment decodes from time 0.
      const first = readFileSync(join(dir, media.segments[0]?.uri ?? ''));
      assert.deepEqual(decodeTimes(first), [0, 0], `${name}: tfdt of each track in the first segment`);
    }
  });

  it('packages MPEG-TS starting at 0, without the muxer\'s 1.4 s of delay', async () => {
    const asset = await pack('ts', 'ts');
    assert.equal(asset.format, 'ts');
    for (const r of asset.renditions) {
      const text = readFileSync(join(asset.dir, r.name, 'index.m3u8'), 'utf8');
      assert.doesNotMatch(text, /EXT-X-MAP/);
      const media = readMediaPlaylist(text);
      assert.ok(media.segments.every((s) => s.uri.endsWith('.ts')));
      assert.ok(!existsSync(join(asset.dir, r.name, 'init.mp4')));
      const first = await decode(join(asset.dir, r.name, media.segments[0]?.uri ?? ''));
      for (const [type, t] of Object.entries(first.start)) assert.ok(t >= 0 && t < TS_START_TOLERANCE_S, `${r.name} ${type} starts at ${t} s, not 0`);
    }
  });
});
