// The live publisher with a fake clock: alignment across renditions, numbering and discontinuities across runs, late deletion.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import HLS from 'hls-parser';
import { rootLogger } from '../../../../server/core/log.ts';
import { sequenceOfSegmentName } from '../../../../server/origin/live/ffmpeg-args.ts';
import type { LiveSegment } from '../../../../server/origin/live/sliding-window.ts';
import { LivePublisher, LiveRunSegments } from '../../../../server/origin/live/publisher.ts';
import type { SegmentListEntry } from '../../../../server/origin/live/segment-list.ts';
import type { LiveRendition } from '../../../../server/origin/live/types.ts';

const RENDITIONS: LiveRendition[] = [
  { name: 'hi', width: 640, height: 360, videoKbps: 600 },
  { name: 'lo', width: 426, height: 240, videoKbps: 300 },
];
const sequenceOf = (f: string): number | undefined => sequenceOfSegmentName('t', f);

function entry(seq: number, startSeconds: number, durationSeconds = 2): SegmentListEntry {
  return { filename: `seg-t-${seq}.ts`, startSeconds, endSeconds: startSeconds + durationSeconds };
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'edgeline-live-pub-'));
  for (const r of RENDITIONS) mkdirSync(join(dir, r.name));
  const clock = { ms: Date.UTC(2024, 0, 1) };
  const measured: Array<ReadonlyMap<string, LiveSegment>> = [];
  const publisher = new LivePublisher({
    dir,
    renditions: RENDITIONS,
    segmentSeconds: 2,
    windowSegments: 2,
    measureVariants: async (first) => {
      measured.push(first);
      return RENDITIONS.map((r) => ({ uri: `${r.name}/index.m3u8`, bandwidth: 1, resolution: { width: r.width, height: r.height }, codecs: 'avc1.42c01e', frameRate: 25 }));
    },
    logger: rootLogger,
    now: () => clock.ms,
  });
  const media = (rendition: string): HLS.types.MediaPlaylist => {
    const p = HLS.parse(readFileSync(join(dir, rendition, 'index.m3u8'), 'utf8'));
    assert.ok(p instanceof HLS.types.MediaPlaylist);
    return p;
  };
  return { dir, clock, measured, publisher, media };
}

describe('LivePublisher', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('publishes a segment only once every rendition has finished it', async () => {
    const { dir, publisher, media, measured } = setup();
    dirs.push(dir);
    const run = new LiveRunSegments(RENDITIONS);
    publisher.accept(run, 'hi', [entry(0, 0), entry(1, 2)], sequenceOf);
    publisher.accept(run, 'lo', [entry(0, 0)], sequenceOf);
    assert.equal(await publisher.publishReady(run), 1);
    assert.deepEqual(media('hi').segments.map((s) => s.uri), ['seg-t-0.ts']);
    assert.deepEqual(media('lo').segments.map((s) => s.uri), ['seg-t-0.ts']);
    assert.equal(measured.length, 1, 'the master playlist is written with the first segment');
    assert.ok(existsSync(join(dir, 'master.m3u8')));
    publisher.accept(run, 'lo', [entry(1, 2)], sequenceOf);
    assert.equal(await publisher.publishReady(run), 1);
    assert.equal(publisher.nextSequence, 2);
    assert.equal(measured.length, 1, 'the master playlist is written once');
  });

  it('ignores names of other runs and numbers already published', async () => {
    const { dir, publisher } = setup();
    dirs.push(dir);
    const run = new LiveRunSegments(RENDITIONS);
    for (const r of RENDITIONS) publisher.accept(run, r.name, [entry(0, 0)], sequenceOf);
    await publisher.publishReady(run);
    for (const r of RENDITIONS) publisher.accept(run, r.name, [entry(0, 0), { filename: 'seg-old-1.ts', startSeconds: 2, endSeconds: 4 }], sequenceOf);
    assert.equal(await publisher.publishReady(run), 0);
    assert.equal(publisher.nextSequence, 1);
  });

  it('continues the numbering after a restart and marks the first new segment as a discontinuity', async () => {
    const { dir, publisher, media, clock } = setup();
    dirs.push(dir);
    const first = new LiveRunSegments(RENDITIONS);
    clock.ms += 2000;
    for (const r of RENDITIONS) publisher.accept(first, r.name, [entry(0, 0)], sequenceOf);
    await publisher.publishReady(first);
    publisher.markRestart();
    clock.ms += 10_000;
    const second = new LiveRunSegments(RENDITIONS);
    // The new ffmpeg's timestamps start again at 0.
    for (const r of RENDITIONS) publisher.accept(second, r.name, [entry(1, 0, 2.021), entry(2, 2.021)], sequenceOf);
    assert.equal(await publisher.publishReady(second), 2);
    const p = media('hi');
    assert.equal(p.mediaSequenceBase, 1);
    assert.deepEqual(p.segments.map((s) => [s.mediaSequenceNumber, Boolean(s.discontinuity)]), [[1, true], [2, false]]);
    const [a, b] = p.segments;
    assert.equal((b?.programDateTime?.getTime() ?? 0) - (a?.programDateTime?.getTime() ?? 0), 2021, 'PDT follows the run\'s timestamps');
    assert.equal(a?.programDateTime?.getTime(), clock.ms - 2021, 'anchored at the wall clock when the first segment of the run was listed');
    assert.equal(p.targetDuration, 2, '2.021 s rounds to the 2 s target');
  });

  it('does not mark a discontinuity when nothing was published before the restart', async () => {
    const { dir, publisher, media } = setup();
    dirs.push(dir);
    publisher.markRestart();
    const run = new LiveRunSegments(RENDITIONS);
    for (const r of RENDITIONS) publisher.accept(run, r.name, [entry(0, 0)], sequenceOf);
    await publisher.publishReady(run);
    assert.equal(media('lo').segments[0]?.discontinuity ?? false, false);
  });

  it('deletes segments a window duration after they left the window, not before', async () => {
    const { dir, publisher, clock } = setup();
    dirs.push(dir);
    const run = new LiveRunSegments(RENDITIONS);
    for (let seq = 0; seq < 3; seq++) {
      for (const r of RENDITIONS) {
        writeFileSync(join(dir, r.name, `seg-t-${seq}.ts`), 'x');
        publisher.accept(run, r.name, [entry(seq, seq * 2)], sequenceOf);
      }
    }
    await publisher.publishReady(run); // window of 2: seg 0 leaves now
    const evicted = join(dir, 'hi', 'seg-t-0.ts');
    clock.ms += 2 * 2000 - 1;
    await publisher.deleteDue();
    assert.ok(existsSync(evicted));
    clock.ms += 1;
    await publisher.deleteDue();
    assert.ok(!existsSync(evicted));
    assert.ok(!existsSync(join(dir, 'lo', 'seg-t-0.ts')));
    assert.ok(existsSync(join(dir, 'hi', 'seg-t-1.ts')));
  });

  it('skips a number one rendition never finished instead of stalling', async () => {
    const { dir, publisher, media } = setup();
    dirs.push(dir);
    const run = new LiveRunSegments(RENDITIONS);
    publisher.accept(run, 'hi', [entry(0, 0), entry(1, 2)], sequenceOf);
    publisher.accept(run, 'lo', [entry(1, 2)], sequenceOf);
    assert.equal(await publisher.publishReady(run), 1);
    assert.deepEqual(media('lo').segments.map((s) => s.uri), ['seg-t-1.ts']);
    assert.equal(publisher.nextSequence, 2, 'ffmpeg numbering goes on after the skipped file');
  });

  it('numbers the segments after a skipped file on without a gap, so sliding the window renumbers none of them', async () => {
    const { dir, publisher, media } = setup();
    dirs.push(dir);
    const run = new LiveRunSegments(RENDITIONS);
    publisher.accept(run, 'hi', [entry(0, 0)], sequenceOf);
    publisher.accept(run, 'lo', [entry(0, 0)], sequenceOf);
    assert.equal(await publisher.publishReady(run), 1);
    // File 1 only in one rendition; both go on with 2.
    publisher.accept(run, 'hi', [entry(1, 2), entry(2, 4)], sequenceOf);
    publisher.accept(run, 'lo', [entry(2, 4)], sequenceOf);
    assert.equal(await publisher.publishReady(run), 1);
    const listed = (r: string) => media(r).segments.map((s) => [s.mediaSequenceNumber, s.uri]);
    assert.deepEqual(listed('lo'), [[0, 'seg-t-0.ts'], [1, 'seg-t-2.ts']]);
    publisher.accept(run, 'hi', [entry(3, 6)], sequenceOf);
    publisher.accept(run, 'lo', [entry(3, 6)], sequenceOf);
    assert.equal(await publisher.publishReady(run), 1);
    // A player that played seg-t-2.ts as number 1 must find it as number 1 again (not as 2, which it would fetch twice).
    assert.deepEqual(listed('lo'), [[1, 'seg-t-2.ts'], [2, 'seg-t-3.ts']]);
    assert.deepEqual(listed('hi'), listed('lo'));
  });
});
