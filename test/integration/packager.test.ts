// The packager with real ffmpeg: aligned renditions that decode, playlists a real parser accepts, odd sources, refusals, abort.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import HLS from 'hls-parser';
import { PackagingError, isAppError } from '../../server/core/errors.ts';
import { packageAsset } from '../../server/origin/packaging/packager.ts';
import type { PackageOptions, PackageProgress, PackagedAsset } from '../../server/origin/packaging/types.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';
import { isRunning, processesWhere } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SEGMENT_SECONDS = 2;

function ffprobe(path: string, args: string[]): Promise<{ json: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPaths.ffprobe, ['-v', 'error', '-print_format', 'json', ...args, path], { env: ffmpegPaths.env }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ffprobe ${path}: ${err.message}\n${stderr}`));
      resolve({ json: JSON.parse(stdout) as Record<string, unknown>, stderr });
    });
  });
}

interface DecodedSegment {
  readonly videoFrames: number;
  readonly audioFrames: number;
  readonly startsWithKeyframe: boolean | undefined;
}

/** Decodes every frame of a segment (-count_frames) and reports errors on stderr; checks the first video frame is a keyframe. */
async function decodeSegment(path: string): Promise<DecodedSegment> {
  const { json, stderr } = await ffprobe(path, ['-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames']);
  assert.equal(stderr.trim(), '', `ffprobe -v error reported problems decoding ${path}`);
  const streams = (json['streams'] as Array<Record<string, unknown>>) ?? [];
  const frames = (type: string): number => Number(streams.find((s) => s['codec_type'] === type)?.['nb_read_frames'] ?? 0);
  let startsWithKeyframe: boolean | undefined;
  if (frames('video') > 0) {
    const first = await ffprobe(path, ['-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'frame=key_frame']);
    const f = (first.json['frames'] as Array<Record<string, unknown>>)[0];
    startsWithKeyframe = f?.['key_frame'] === 1;
  }
  return { videoFrames: frames('video'), audioFrames: frames('audio'), startsWithKeyframe };
}

/** avc1.PPCCLL read straight from the SPS bytes in a segment, to check the CODECS derived from ffprobe. */
function avcFromSps(segment: Buffer): string | undefined {
  for (let i = 0; i + 6 < segment.length; i++) {
    if (segment[i] === 0 && segment[i + 1] === 0 && segment[i + 2] === 1 && ((segment[i + 3] ?? 0) & 0x1f) === 7) {
      const hex = [segment[i + 4], segment[i + 5], segment[i + 6]].map((b) => (b ?? 0).toString(16).padStart(2, '0')).join('');
      return `avc1.${hex}`;
    }
  }
  return undefined;
}

function parseMaster(dir: string): HLS.types.MasterPlaylist {
  const p = HLS.parse(readFileSync(join(dir, 'master.m3u8'), 'utf8'));
  assert.ok(p.isMasterPlaylist, 'master.m3u8 is a master playlist');
  return p as HLS.types.MasterPlaylist;
}

function parseMedia(path: string): HLS.types.MediaPlaylist {
  const p = HLS.parse(readFileSync(path, 'utf8'));
  assert.ok(!p.isMasterPlaylist, `${path} is a media playlist`);
  return p as HLS.types.MediaPlaylist;
}

function boundaries(p: HLS.types.MediaPlaylist): number[] {
  let t = 0;
  return p.segments.map((s) => (t += s.duration));
}

/** Checks a packaged asset end to end and returns its parsed media playlists by rendition. */
async function checkAsset(asset: PackagedAsset, expected: { renditions: string[]; seconds: number; hasVideo: boolean; hasAudio: boolean }): Promise<Map<string, HLS.types.MediaPlaylist>> {
  assert.deepEqual(asset.renditions.map((r) => r.name), expected.renditions);
  const master = parseMaster(asset.dir);
  assert.equal(master.independentSegments, true);
  assert.deepEqual(master.variants.map((v) => v.uri).sort(), expected.renditions.map((r) => `${r}/index.m3u8`).sort());
  const media = new Map<string, HLS.types.MediaPlaylist>();
  for (const variant of master.variants) {
    const name = variant.uri.split('/')[0] ?? '';
    const rendition = asset.renditions.find((r) => r.name === name);
    assert.ok(rendition, `variant ${variant.uri} is a rendition of the asset`);
    const playlist = parseMedia(join(asset.dir, variant.uri));
    media.set(name, playlist);
    assert.equal(playlist.playlistType, 'VOD');
    assert.equal(playlist.endlist, true);
    assert.ok(!existsSync(join(asset.dir, name, 'ffmpeg.m3u8')), "ffmpeg's own playlist is not left behind");

    // Durations: every segment but the last is the target length; together they are the clip.
    const durations = playlist.segments.map((s) => s.duration);
    durations.slice(0, -1).forEach((d, i) => assert.ok(Math.abs(d - SEGMENT_SECONDS) < 0.05, `${name} segment ${i} lasts ${d} s, not ${SEGMENT_SECONDS}`));
    assert.ok((durations[durations.length - 1] ?? 0) <= SEGMENT_SECONDS + 0.05);
    const total = durations.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - expected.seconds) < 0.25, `${name} lasts ${total} s, not ${expected.seconds}`);
    assert.equal(playlist.targetDuration, SEGMENT_SECONDS);

    // Every segment decodes; video segments start with a keyframe.
    let bytes = 0;
    let peakFull = 0;
    for (const s of playlist.segments) {
      const path = join(asset.dir, name, s.uri);
      const size = statSync(path).size;
      bytes += size;
      if (Math.abs(s.duration - SEGMENT_SECONDS) < 0.05) peakFull = Math.max(peakFull, (size * 8) / s.duration);
      const decoded = await decodeSegment(path);
      assert.equal(decoded.videoFrames > 0, expected.hasVideo, `${path} video frames: ${decoded.videoFrames}`);
      assert.equal(decoded.audioFrames > 0, expected.hasAudio, `${path} audio frames: ${decoded.audioFrames}`);
      if (expected.hasVideo) assert.equal(decoded.startsWithKeyframe, true, `${path} starts with a keyframe`);
    }

    // Bandwidth measured from the files, container overhead included (RFC 8216 §4).
    assert.equal(variant.averageBandwidth, Math.ceil((bytes * 8) / total));
    assert.ok(variant.bandwidth >= peakFull && variant.bandwidth >= (variant.averageBandwidth ?? 0), `${name}: BANDWIDTH ${variant.bandwidth} below a segment's rate`);
    assert.equal(variant.bandwidth, rendition.bandwidth);

    // CODECS from what was encoded: the avc1 part matches the SPS bytes in the segment.
    const codecs = (variant.codecs ?? '').split(',');
    if (expected.hasVideo) {
      const first = readFileSync(join(asset.dir, name, playlist.segments[0]?.uri ?? ''));
      assert.equal(codecs[0], avcFromSps(first));
      assert.deepEqual(variant.resolution, { width: rendition.width, height: rendition.height });
      assert.ok(variant.frameRate !== undefined && variant.frameRate > 0);
    } else {
      assert.equal(variant.resolution, undefined);
      assert.equal(variant.frameRate, undefined);
    }
    assert.equal(codecs.includes('mp4a.40.2'), expected.hasAudio);
  }
  // Aligned: the same boundaries in every rendition.
  const all = [...media.values()].map(boundaries);
  for (const b of all.slice(1)) {
    assert.equal(b.length, all[0]?.length);
    b.forEach((t, i) => assert.ok(Math.abs(t - (all[0]?.[i] ?? 0)) < 0.05, `boundary ${i}: ${t} vs ${all[0]?.[i]}`));
  }
  return media;
}

function hlsEntries(mediaDir: string): string[] {
  try {
    return readdirSync(join(mediaDir, 'hls')).sort();
  } catch {
    return [];
  }
}

/** ffmpeg processes still writing under a folder, from /proc (Linux). */
function ffmpegProcessesUnder(dir: string): number[] {
  return processesWhere((cmdline) => cmdline.includes('ffmpeg') && cmdline.includes(dir));
}

describe('packageAsset', () => {
  let mediaDir: string;
  const base = (overrides: Partial<PackageOptions> & { input: string; id: string }): PackageOptions => ({
    mediaDir,
    segmentSeconds: SEGMENT_SECONDS,
    ffmpeg: ffmpegPaths,
    preset: 'ultrafast',
    ...overrides,
  });

  before(() => {
    mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-packager-'));
  });
  after(() => {
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('packages a 6 s clip into two aligned renditions whose segments all decode', async () => {
    const input = await makeClip({ seconds: 6, width: 640, height: 360, fps: 25 });
    const progress: PackageProgress[] = [];
    const asset = await packageAsset(base({ input, id: 'clip', ladder: ['360p', '240p'], onProgress: (p) => progress.push(p) }));
    assert.equal(asset.dir, join(mediaDir, 'hls', 'clip'));
    assert.ok(Math.abs(asset.durationSeconds - 6) < 0.25);
    await checkAsset(asset, { renditions: ['360p', '240p'], seconds: 6, hasVideo: true, hasAudio: true });
    assert.deepEqual(asset.renditions.map((r) => [r.width, r.height, r.frameRate, r.segments]), [[640, 360, 25, 3], [426, 240, 25, 3]]);
    assert.deepEqual(hlsEntries(mediaDir), ['clip'], 'no temporary folder left');
    // Progress covers the whole job, never goes back, and ends at 100.
    assert.equal(progress[0]?.stage, 'probing');
    assert.ok(progress.some((p) => p.stage === 'encoding'));
    assert.equal(progress[progress.length - 1]?.percent, 100);
    progress.slice(1).forEach((p, i) => assert.ok(p.percent >= (progress[i]?.percent ?? 0), 'percent never decreases'));
  });

  it('packages an audio-only source as one AAC rendition', async () => {
    const input = await makeClip({ seconds: 6, video: false });
    const asset = await packageAsset(base({ input, id: 'audio-only' }));
    await checkAsset(asset, { renditions: ['audio'], seconds: 6, hasVideo: false, hasAudio: true });
    assert.equal(asset.renditions[0]?.codecs, 'mp4a.40.2');
  });

  it('packages a video-only source without audio', async () => {
    const input = await makeClip({ seconds: 6, width: 320, height: 240, audio: false });
    const asset = await packageAsset(base({ input, id: 'video-only' }));
    await checkAsset(asset, { renditions: ['240p'], seconds: 6, hasVideo: true, hasAudio: false });
    assert.match(asset.renditions[0]?.codecs ?? '', /^avc1\.[0-9a-f]{6}$/);
  });

  it('packages an odd-sized source smaller than every rung at its own size', async () => {
    const input = await makeClip({ seconds: 6, width: 322, height: 182 });
    const asset = await packageAsset(base({ input, id: 'odd' }));
    await checkAsset(asset, { renditions: ['182p'], seconds: 6, hasVideo: true, hasAudio: true });
    assert.deepEqual([asset.renditions[0]?.width, asset.renditions[0]?.height], [322, 182]);
  });

  it('packages a variable frame rate source at a constant rate with aligned keyframes', async () => {
    // 25 fps for two seconds, then every third frame: the average is about 14 fps.
    const input = await makeClip({
      seconds: 6,
      width: 320,
      height: 240,
      name: 'clip-vfr-6s-320x240.mp4',
      extraOutputArgs: ['-vf', "select='if(lt(n,50),1,not(mod(n,3)))'", '-vsync', 'vfr'],
    });
    const source = await ffprobe(input, ['-show_entries', 'stream=avg_frame_rate,r_frame_rate', '-select_streams', 'v:0']);
    const s = (source.json['streams'] as Array<Record<string, unknown>>)[0];
    assert.notEqual(s?.['avg_frame_rate'], s?.['r_frame_rate'], 'the source really is variable frame rate');
    const asset = await packageAsset(base({ input, id: 'vfr', ladder: ['240p'] }));
    await checkAsset(asset, { renditions: ['240p'], seconds: 6, hasVideo: true, hasAudio: true });
    assert.equal(asset.renditions[0]?.frameRate, 14);
  });

  it('refuses a file that is not video, naming the file and ffprobe\'s reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeline-notvideo-'));
    try {
      const text = join(dir, 'notes.txt');
      writeFileSync(text, 'these are my notes, not a video\n');
      const empty = join(dir, 'empty.mp4');
      writeFileSync(empty, '');
      for (const input of [text, empty]) {
        await assert.rejects(packageAsset(base({ input, id: 'not-video' })), (err: unknown) => {
          assert.ok(isAppError(err), String(err));
          assert.equal(err.code, 'PACKAGING_NOT_MEDIA');
          assert.ok(err.message.includes(input), `message names the file: ${err.message}`);
          assert.match(err.message, /Invalid data found when processing input/);
          return true;
        });
      }
      await assert.rejects(packageAsset(base({ input: join(dir, 'missing.mp4'), id: 'not-video' })), /No such file or directory/);
      assert.ok(!hlsEntries(mediaDir).some((e) => e === 'not-video' || e.startsWith('.')), 'nothing left behind');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with the tail of ffmpeg\'s stderr when the video data is corrupt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeline-corrupt-'));
    try {
      // Headers intact (ffprobe is satisfied), every frame's bytes replaced by noise (ffmpeg cannot decode any).
      const clip = readFileSync(await makeClip({ seconds: 2, width: 320, height: 240, audio: false }));
      const mdat = clip.indexOf('mdat');
      const moov = clip.indexOf('moov');
      assert.ok(mdat > 0 && moov > mdat, 'makeClip writes mdat before moov');
      let x = 0x2545f491;
      for (let i = mdat + 4; i < moov - 4; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        clip[i] = x & 0xff;
      }
      const input = join(dir, 'corrupt.mp4');
      writeFileSync(input, clip);
      await assert.rejects(packageAsset(base({ input, id: 'corrupt', ladder: ['240p'] })), (err: unknown) => {
        assert.ok(err instanceof PackagingError, String(err));
        assert.equal(err.code, 'PACKAGING_FFMPEG_FAILED');
        assert.ok(err.message.includes(input), err.message);
        assert.match(err.stderrTail, /Invalid NAL unit size|Error while decoding stream/);
        return true;
      });
      assert.ok(!hlsEntries(mediaDir).some((e) => e === 'corrupt' || e.startsWith('.')), 'nothing left behind');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops ffmpeg and leaves no folder when aborted', async () => {
    const abortDir = mkdtempSync(join(tmpdir(), 'edgeline-abort-'));
    try {
      // Long enough that ffmpeg is surely still running when we look for it.
      const input = await makeClip({ seconds: 30, width: 640, height: 360, fps: 25 });
      const controller = new AbortController();
      const job = packageAsset({ ...base({ input, id: 'aborted', ladder: ['360p', '240p'], preset: 'medium', signal: controller.signal }), mediaDir: abortDir });
      job.catch(() => undefined);
      const running = await waitFor('ffmpeg to start writing under the media folder', () => {
        const pids = ffmpegProcessesUnder(abortDir);
        return pids.length > 0 && pids;
      });
      assert.ok(hlsEntries(abortDir).some((e) => e.startsWith('.tmp-aborted-')), 'it writes into a temporary folder');
      controller.abort();
      // Killed at once, not left to finish: the 30 s clip at preset medium takes far longer than this to encode.
      await waitFor(`ffmpeg ${running.join(',')} to exit after the abort`, () => !running.some(isRunning), { timeoutMs: 3_000 });
      await assert.rejects(job, (err: unknown) => isAppError(err) && err.code === 'PACKAGING_ABORTED');
      assert.deepEqual(hlsEntries(abortDir), [], 'neither the asset nor a temporary folder remains');
      assert.deepEqual(ffmpegProcessesUnder(abortDir), [], 'ffmpeg was killed');
    } finally {
      rmSync(abortDir, { recursive: true, force: true });
    }
  });

  it('refuses to replace an asset unless asked, replaces it atomically, and clears stale leftovers', async () => {
    const input = await makeClip({ seconds: 6, width: 320, height: 240 });
    const hls = join(mediaDir, 'hls');
    // Leftovers of a crashed process (pid far beyond any live one here).
    mkdirSync(join(hls, '.tmp-again-999999-deadbeef'), { recursive: true });
    mkdirSync(join(hls, '.old-again-999999-0badf00d'), { recursive: true });
    const first = await packageAsset(base({ input, id: 'again', ladder: ['240p'] }));
    assert.ok(!hlsEntries(mediaDir).some((e) => e.startsWith('.')), `stale leftovers removed: ${hlsEntries(mediaDir).join(' ')}`);

    await assert.rejects(packageAsset(base({ input, id: 'again', ladder: ['240p'] })), (err: unknown) => isAppError(err) && err.code === 'ASSET_EXISTS' && err.status === 409);
    const busy = packageAsset(base({ input, id: 'again', ladder: ['240p'], overwrite: true }));
    await assert.rejects(packageAsset(base({ input, id: 'again', ladder: ['240p'], overwrite: true })), (err: unknown) => isAppError(err) && err.code === 'ASSET_BUSY');
    const second = await busy;
    assert.equal(second.dir, first.dir);
    assert.ok(existsSync(join(second.dir, 'master.m3u8')));
    assert.ok(!hlsEntries(mediaDir).some((e) => e.startsWith('.')), 'the replaced asset is gone');
  });

  it('refuses a bad asset id before doing any work', async () => {
    await assert.rejects(packageAsset(base({ input: '/nonexistent.mp4', id: '../escape' })), (err: unknown) => isAppError(err) && err.code === 'ASSET_ID_INVALID');
  });
});
