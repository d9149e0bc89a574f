// Live channels for real: ffmpeg in real time, a sliding window that advances, survives ffmpeg's death, and leaves nothing running.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import { Registry } from 'prom-client';
import { isAppError } from '../../server/core/errors.ts';
import { rootLogger } from '../../server/core/log.ts';
import { createLiveManager, type LiveManagerHandle } from '../../server/origin/live/manager.ts';
import type { LiveManagerOptions } from '../../server/origin/live/types.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);

/** Tiny and cheap: one 160x90 rendition at 15 fps, 1 s segments. */
function options(mediaDir: string, channels: LiveManagerOptions['channels']): LiveManagerOptions {
  return {
    channels,
    mediaDir,
    ffmpeg: ffmpegPaths,
    segmentSeconds: 1,
    windowSegments: 3,
    renditions: [{ name: '90p', width: 160, height: 90, videoKbps: 100 }],
    frameRate: 15,
    audioKbps: 32,
    restartBackoffMs: 200,
    logger: rootLogger,
    registry: new Registry(),
  };
}

/** ffmpeg publishes a segment a second or so; a stuck channel fails the test rather than hanging it. */
const LIVE_WAIT = { timeoutMs: 30_000, intervalMs: 100 };

function readMedia(path: string): HLS.types.MediaPlaylist | undefined {
  if (!existsSync(path)) return undefined;
  const p = HLS.parse(readFileSync(path, 'utf8'));
  assert.ok(p instanceof HLS.types.MediaPlaylist, `${path} is a media playlist`);
  return p;
}

/** Our ffmpeg children writing under `dir`, found in /proc rather than trusted from the code under test. */
function ffmpegChildrenOf(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const isZombie = fields[0] === 'Z';
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (Number(fields[1]) === process.pid && !isZombie && cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** ffprobe decodes every frame of the segment; it must find H.264 video frames and AAC audio. */
async function assertDecodes(file: string): Promise<void> {
  const { stdout, stderr } = await run(
    ffmpegPaths.ffprobe,
    ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames', '-of', 'json', file],
    { env: ffmpegPaths.env },
  );
  assert.equal(stderr.trim(), '', `${file} decodes without errors`);
  const streams = (JSON.parse(stdout) as { streams: Array<Record<string, unknown>> }).streams;
  const video = streams.find((s) => s['codec_type'] === 'video');
  assert.equal(video?.['codec_name'], 'h264', `${file} has H.264 video`);
  assert.deepEqual([video?.['width'], video?.['height']], [160, 90]);
  assert.ok(Number(video?.['nb_read_frames']) >= 1, `${file} has decodable frames`);
  assert.ok(streams.some((s) => s['codec_name'] === 'aac'), `${file} has AAC audio`);
}

describe('live channel', { timeout: 180_000 }, () => {
  const mediaDir = mkdtempSync(join(tmpdir(), 'edgeline-live-'));
  const managers: LiveManagerHandle[] = [];
  after(async () => {
    await Promise.all(managers.map((m) => m.close()));
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('advances its sliding window, continues with a discontinuity after ffmpeg is killed, and stops cleanly', async () => {
    const dir = join(mediaDir, 'live', 'clock');
    mkdirSync(join(dir, '90p'), { recursive: true });
    writeFileSync(join(dir, '90p', 'seg-old-3.ts'), 'stale');
    writeFileSync(join(dir, 'master.m3u8'), '#EXTM3U\n');
    const opts = options(mediaDir, [{ name: 'clock', source: 'sample' }]);
    const manager = createLiveManager(opts);
    managers.push(manager);
    await manager.start();
    assert.ok(!existsSync(join(dir, '90p', 'seg-old-3.ts')), 'stale segments of a previous run are cleared');
    assert.equal(manager.dirOf('clock'), dir);
    assert.equal(manager.dirOf('other'), undefined);
    assert.equal(manager.targetDurationOf('clock'), 1);

    const media = join(dir, '90p', 'index.m3u8');
    const first = await waitFor('a full window', () => {
      const p = readMedia(media);
      return p && p.mediaSequenceBase !== undefined && p.mediaSequenceBase >= 1 ? p : undefined;
    }, LIVE_WAIT);
    const later = await waitFor('the media sequence to advance', () => {
      const p = readMedia(media);
      return p && (p.mediaSequenceBase ?? 0) >= (first.mediaSequenceBase ?? 0) + 2 ? p : undefined;
    }, LIVE_WAIT);
    // The segment that just left the window is still there for players holding the previous playlist.
    const justEvicted = first.segments.find((s) => s.mediaSequenceNumber === (later.mediaSequenceBase ?? 0) - 1);
    assert.ok(justEvicted && existsSync(join(dir, '90p', justEvicted.uri)), 'a segment is not deleted the moment it leaves the window');
    const oldest = join(dir, '90p', first.segments[0]?.uri ?? '');
    assert.equal(later.targetDuration, 1);
    assert.equal(later.endlist, false);
    assert.equal(later.discontinuitySequenceBase, 0);
    assert.equal(later.segments.length, 3);
    for (const [i, s] of later.segments.entries()) {
      assert.equal(s.mediaSequenceNumber, (later.mediaSequenceBase ?? 0) + i);
      assert.ok(s.programDateTime instanceof Date, 'every segment has EXT-X-PROGRAM-DATE-TIME');
      assert.ok(!s.discontinuity);
      assert.ok(Math.round(s.duration) <= later.targetDuration);
      await assertDecodes(join(dir, '90p', s.uri));
    }

    const master = HLS.parse(readFileSync(join(dir, 'master.m3u8'), 'utf8'));
    assert.ok(master instanceof HLS.types.MasterPlaylist);
    assert.equal(master.variants.length, 1);
    const variant = master.variants[0];
    assert.equal(variant?.uri, '90p/index.m3u8');
    assert.deepEqual(variant?.resolution, { width: 160, height: 90 });
    assert.match(variant?.codecs ?? '', /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    assert.equal(variant?.frameRate, 15);
    assert.ok((variant?.bandwidth ?? 0) >= 132_000, 'BANDWIDTH covers at least the nominal video + audio rate');

    // Kill ffmpeg behind the manager's back.
    const pid = manager.ffmpegPidOf('clock');
    assert.ok(pid !== undefined);
    assert.deepEqual(ffmpegChildrenOf(dir), [pid]);
    const before = readMedia(media);
    const lastBefore = before?.segments.at(-1)?.mediaSequenceNumber ?? -1;
    process.kill(pid, 'SIGKILL');
    const resumed = await waitFor('a discontinuity after the restart', () => {
      const p = readMedia(media);
      return p?.segments.some((s) => s.discontinuity) ? p : undefined;
    }, LIVE_WAIT);
    const firstNew = resumed.segments.find((s) => s.discontinuity);
    assert.ok(firstNew && firstNew.mediaSequenceNumber > lastBefore, 'the sequence keeps increasing across the restart');
    assert.ok(firstNew.uri !== before?.segments.at(-1)?.uri, 'a restart never reuses a segment name');
    await assertDecodes(join(dir, '90p', firstNew.uri));
    const status = manager.status()[0];
    assert.equal(status?.restarts, 1);
    assert.equal(status?.state, 'running');
    assert.notEqual(manager.ffmpegPidOf('clock'), pid);

    const slidOut = await waitFor('the discontinuity to slide out', () => {
      const p = readMedia(media);
      return p && p.discontinuitySequenceBase === 1 ? p : undefined;
    }, LIVE_WAIT);
    assert.ok(slidOut.segments.every((s) => !s.discontinuity));
    assert.ok((slidOut.mediaSequenceBase ?? 0) > firstNew.mediaSequenceNumber);
    await waitFor('old segments to be deleted', () => (existsSync(oldest) ? undefined : true), LIVE_WAIT);

    const metrics = await opts.registry.metrics();
    assert.match(metrics, /hls_origin_live_restarts_total\{channel="clock"\} 1\b/);
    assert.match(metrics, /hls_origin_live_up\{channel="clock"\} 1\b/);
    const seq = /hls_origin_live_media_sequence\{channel="clock"\} (\d+)/.exec(metrics);
    assert.ok(seq && Number(seq[1]) >= (slidOut.mediaSequenceBase ?? 0));

    await manager.close();
    assert.equal(manager.status()[0]?.state, 'stopped');
    assert.deepEqual(ffmpegChildrenOf(dir), [], 'close() leaves no ffmpeg running');
    assert.equal(manager.ffmpegPidOf('clock'), undefined);
  });

  it('restarts a run that had published segments at once, not after the backoff', async () => {
    const dir = join(mediaDir, 'live', 'quick');
    // A backoff far longer than the wait below: only an immediate restart passes.
    const opts = { ...options(mediaDir, [{ name: 'quick', source: 'sample' }]), restartBackoffMs: 120_000, restartBackoffMaxMs: 120_000 };
    const manager = createLiveManager(opts);
    managers.push(manager);
    await manager.start();
    const media = join(dir, '90p', 'index.m3u8');
    await waitFor('a first segment', () => ((readMedia(media)?.segments.length ?? 0) >= 1 ? true : undefined), LIVE_WAIT);
    const pid = manager.ffmpegPidOf('quick');
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    await waitFor('a new ffmpeg for the channel', () => {
      const now = manager.ffmpegPidOf('quick');
      return now !== undefined && now !== pid && ffmpegChildrenOf(dir).includes(now) ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 50 });
    await waitFor('a discontinuity after the restart', () => (readMedia(media)?.segments.some((s) => s.discontinuity) ? true : undefined), LIVE_WAIT);
    await manager.close();
  });

  it('publishes the segment a killed ffmpeg was writing, as far as it got, before the discontinuity', async () => {
    const dir = join(mediaDir, 'live', 'partial');
    const opts = options(mediaDir, [{ name: 'partial', source: 'sample' }]);
    const manager = createLiveManager(opts);
    managers.push(manager);
    await manager.start();
    const media = join(dir, '90p', 'index.m3u8');
    const before = await waitFor('two segments', () => {
      const p = readMedia(media);
      return p && p.segments.length >= 2 ? p : undefined;
    }, LIVE_WAIT);
    const lastBefore = before.segments.at(-1)?.mediaSequenceNumber ?? -1;
    // Half-way into the next 1 s segment: ffmpeg has written about half of it.
    await new Promise((r) => setTimeout(r, 500));
    const pid = manager.ffmpegPidOf('partial');
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    const resumed = await waitFor('a discontinuity after the restart', () => {
      const p = readMedia(media);
      return p?.segments.some((s) => s.discontinuity) ? p : undefined;
    }, LIVE_WAIT);
    const salvaged = resumed.segments.find((s) => s.mediaSequenceNumber === lastBefore + 1);
    assert.ok(salvaged, `segment ${lastBefore + 1}, the one being written at the kill, is listed`);
    assert.ok(!salvaged.discontinuity, 'it belongs to the dead run: no discontinuity before it');
    assert.ok(salvaged.duration >= 0.2 && salvaged.duration < 1, `it lasts what ffmpeg had written (${salvaged.duration} s), less than a full segment`);
    await assertDecodes(join(dir, '90p', salvaged.uri));
    const firstNew = resumed.segments.find((s) => s.discontinuity);
    assert.equal(firstNew?.mediaSequenceNumber, lastBefore + 2, 'the new run starts after it, with a discontinuity');
    await manager.close();
  });

  it('loops a file source past its end', async () => {
    const clip = await makeClip({ seconds: 2, width: 160, height: 120, fps: 15 });
    const manager = createLiveManager(options(mediaDir, [{ name: 'loop', source: clip }]));
    managers.push(manager);
    await manager.start();
    const dir = join(mediaDir, 'live', 'loop');
    const p = await waitFor('segments beyond the 2 s clip', () => {
      const m = readMedia(join(dir, '90p', 'index.m3u8'));
      return m && (m.segments.at(-1)?.mediaSequenceNumber ?? 0) >= 3 ? m : undefined;
    }, LIVE_WAIT);
    for (const s of p.segments) await assertDecodes(join(dir, '90p', s.uri));
    await manager.close();
    assert.deepEqual(ffmpegChildrenOf(dir), []);
  });

  it('rejects a source that is not video, naming the channel and the file', async () => {
    const bogus = join(mediaDir, 'notes.txt');
    writeFileSync(bogus, 'not a video');
    const manager = createLiveManager(options(mediaDir, [{ name: 'bad', source: bogus }]));
    managers.push(manager);
    await assert.rejects(manager.start(), (err: unknown) => {
      assert.ok(isAppError(err));
      assert.equal(err.code, 'LIVE_SOURCE_INVALID');
      assert.match(err.message, /"bad"/);
      assert.ok(err.message.includes(bogus));
      return true;
    });
    assert.deepEqual(ffmpegChildrenOf(join(mediaDir, 'live', 'bad')), []);
  });
});
