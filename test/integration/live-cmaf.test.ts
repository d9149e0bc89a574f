// A CMAF live channel for real: fMP4 segments after one init segment per ffmpeg run, decoding without a hole, a new
// EXT-X-MAP after a restart's discontinuity.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { readMasterPlaylist, readMediaPlaylist, type ReadMediaPlaylist } from '../../server/core/hls/read-playlist.ts';
import { rootLogger } from '../../server/core/log.ts';
import { createLiveManager, type LiveManagerHandle } from '../../server/origin/live/manager.ts';
import { ffmpegPaths } from '../../tools/media/clip.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);
const FPS = 15;
const LIVE_WAIT = { timeoutMs: 30_000, intervalMs: 100 };

function readMedia(path: string): ReadMediaPlaylist | undefined {
  if (!existsSync(path)) return undefined;
  return readMediaPlaylist(readFileSync(path, 'utf8'), { source: path });
}

/** Presentation times of every video and audio packet of init + segments read as one file; ffprobe errors fail. */
async function packetTimes(files: string[], scratch: string): Promise<{ video: number[]; audio: number[] }> {
  const joined = join(scratch, `joined-${Date.now()}.mp4`);
  writeFileSync(joined, Buffer.concat(files.map((f) => readFileSync(f))));
  const { stdout, stderr } = await run(ffmpegPaths.ffprobe, ['-v', 'error', '-print_format', 'json', '-show_entries', 'packet=codec_type,pts_time', joined], { env: ffmpegPaths.env, maxBuffer: 16 * 1024 * 1024 });
  assert.equal(stderr.trim(), '', 'ffprobe reported no problem');
  const packets = (JSON.parse(stdout) as { packets: Array<{ codec_type: string; pts_time: string }> }).packets;
  const of = (type: string): number[] => packets.filter((p) => p.codec_type === type).map((p) => Number(p.pts_time)).sort((a, b) => a - b);
  return { video: of('video'), audio: of('audio') };
}

describe('CMAF live channel', { timeout: 180_000 }, () => {
  const mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-live-cmaf-'));
  const scratch = mkdtempSync(join(tmpdir(), 'edgeline-live-cmaf-probe-'));
  const managers: LiveManagerHandle[] = [];
  after(async () => {
    await Promise.all(managers.map((m) => m.close()));
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('publishes fMP4 segments under EXT-X-MAP that play on without a hole, and a new init segment after a restart', async () => {
    const manager = createLiveManager({
      channels: [{ name: 'cmaf', source: 'sample' }],
      mediaDir,
      ffmpeg: ffmpegPaths,
      segmentSeconds: 1,
      // Long enough that the run's first segments are still listed (and on disk) when the test looks.
      windowSegments: 6,
      renditions: [{ name: '90p', width: 160, height: 90, videoKbps: 100 }],
      frameRate: FPS,
      audioKbps: 32,
      restartBackoffMs: 200,
      segmentFormat: 'cmaf',
      fontFile: null,
      logger: rootLogger,
      registry: new Registry(),
    });
    managers.push(manager);
    await manager.start();
    const dir = join(mediaDir, 'live', 'cmaf', '90p');
    const media = join(dir, 'index.m3u8');
    const full = await waitFor('three segments from the first on', () => {
      const p = readMedia(media);
      return p && p.mediaSequence === 0 && p.segments.length >= 3 ? p : undefined;
    }, LIVE_WAIT);
    const text = readFileSync(media, 'utf8');
    assert.match(text, /^#EXT-X-VERSION:7$/m);
    assert.equal(text.match(/#EXT-X-MAP:/g)?.length, 1, 'one EXT-X-MAP for one ffmpeg run');
    const init = full.mapUri;
    assert.match(init ?? '', /^init-[0-9a-z]+-1\.mp4$/);
    assert.ok(full.segments.every((s) => /\.m4s$/.test(s.uri) && s.mapUri === init));
    assert.ok(full.segments.every((s) => Math.abs(s.durationSeconds - 1) < 0.01), `1 s segments, the first too: ${full.segments.map((s) => s.durationSeconds).join(', ')}`);

    // The run's first segments decode as one stream: from 0, and no hole between segments in either track.
    const times = await packetTimes([join(dir, init ?? ''), ...full.segments.slice(0, 3).map((s) => join(dir, s.uri))], scratch);
    assert.equal(times.video[0], 0, 'video starts at 0');
    assert.equal(times.audio[0], 0, 'audio starts at 0');
    const gaps = times.video.slice(1).map((t, i) => t - (times.video[i] ?? 0));
    assert.ok(times.video.length >= 3 * FPS - 1, `${times.video.length} video frames in 3 s`);
    assert.ok(gaps.every((g) => g < 1.5 / FPS), `no hole in the video: largest step ${Math.max(...gaps).toFixed(4)} s`);
    const audioGaps = times.audio.slice(1).map((t, i) => t - (times.audio[i] ?? 0));
    assert.ok(audioGaps.every((g) => g < 1.5 * (1024 / 48000)), `no hole in the audio: largest step ${Math.max(...audioGaps).toFixed(4)} s`);

    const master = readMasterPlaylist(readFileSync(join(mediaDir, 'live', 'cmaf', 'master.m3u8'), 'utf8'));
    assert.match(master.variants[0]?.codecs ?? '', /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);

    // A restart: the next run gets its own init segment, announced after the discontinuity.
    const pid = manager.ffmpegPidOf('cmaf');
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    const resumed = await waitFor('a discontinuity after the restart', () => {
      const p = readMedia(media);
      return p?.segments.some((s) => s.discontinuity) ? p : undefined;
    }, LIVE_WAIT);
    const firstNew = resumed.segments.find((s) => s.discontinuity);
    assert.match(firstNew?.mapUri ?? '', /^init-[0-9a-z]+-2\.mp4$/);
    const after = await packetTimes([join(dir, firstNew?.mapUri ?? ''), join(dir, firstNew?.uri ?? '')], scratch);
    assert.ok(after.video.length > 0 && after.audio.length > 0, 'the new run decodes with its own init segment');
  });
});
