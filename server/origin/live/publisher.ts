// Turns the segments ffmpeg finished into a live channel's playlists: aligned across renditions, numbered across restarts.
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { targetDurationFor } from '../../core/hls/target-duration.ts';
import { writeMasterPlaylist, type VariantSpec } from '../../core/hls/write-master.ts';
import { writeMediaPlaylist } from '../../core/hls/write-media.ts';
import type { Logger } from '../../core/log.ts';
import { EMPTY_WINDOW, appendToWindow, mediaSequenceOf, type LiveSegment, type LiveWindow } from './sliding-window.ts';
import type { SegmentListEntry } from './segment-list.ts';
import type { LiveRendition } from './types.ts';

export interface LivePublisherOptions {
  /** The channel folder: master.m3u8 and {rendition}/index.m3u8 are written here. */
  readonly dir: string;
  readonly renditions: readonly LiveRendition[];
  readonly segmentSeconds: number;
  readonly windowSegments: number;
  /** Master playlist attributes, measured once the first segments exist. */
  readonly measureVariants: (firstSegments: ReadonlyMap<string, LiveSegment>) => Promise<VariantSpec[]>;
  readonly logger: Logger;
  readonly now: () => number;
}

/** The finished segments of one ffmpeg run that are not published yet. */
export class LiveRunSegments {
  /** By rendition, then sequence number: waiting until every rendition has finished the same one. */
  readonly pending: Map<string, Map<number, SegmentListEntry>>;
  /** Wall-clock ms of the run's timestamp 0, fixed by its first published segment. */
  anchorMs: number | undefined;
  published = 0;
  /** Where the last published segment ended, in the run's timestamps: where the segment after it starts. */
  lastEndSeconds: number | undefined;

  /** `initUri`: the run's init segment (CMAF), next to its segments in every rendition folder. */
  constructor(renditions: readonly LiveRendition[], readonly initUri?: string) {
    this.pending = new Map(renditions.map((r) => [r.name, new Map<number, SegmentListEntry>()]));
  }
}

export class LivePublisher {
  private readonly windows = new Map<string, LiveWindow>();
  /** The file number (in the segment's name) the next published segment has: what ffmpeg numbers by. */
  private next = 0;
  /**
   * The media sequence number the next published segment gets. It only counts what was listed, so a file number that
   * was skipped (a rendition never finished it) leaves no gap: a segment's number is EXT-X-MEDIA-SEQUENCE plus its
   * position (RFC 8216 §6.2.1), and a gap would renumber the segments after it once the one before it slid out.
   */
  private listed = 0;
  private targetDuration: number;
  private hasPublished = false;
  private isDiscontinuityPending = false;
  private isMasterWritten = false;
  private deletions: { path: string; atMs: number }[] = [];

  constructor(private readonly o: LivePublisherOptions) {
    this.targetDuration = targetDurationFor([], o.segmentSeconds);
    for (const r of o.renditions) this.windows.set(r.name, EMPTY_WINDOW);
  }

  /** The file number the next segment gets: where a restarted ffmpeg starts its numbering. */
  get nextSequence(): number {
    return this.next;
  }

  get mediaSequence(): number {
    const first = this.o.renditions[0];
    return mediaSequenceOf((first && this.windows.get(first.name)) || EMPTY_WINDOW);
  }

  /** Sticky: it only grows, since it should not change during a playlist's life (RFC 8216 §6.2.1). */
  get targetDurationSeconds(): number {
    return this.targetDuration;
  }

  /** A new ffmpeg starts: timestamps restart, so its first segment gets EXT-X-DISCONTINUITY (RFC 8216 §4.3.2.3). */
  markRestart(): void {
    if (this.hasPublished) this.isDiscontinuityPending = true;
  }

  /** Remembers finished segments of one rendition; names of other runs or already published numbers are ignored. */
  accept(run: LiveRunSegments, rendition: string, entries: readonly SegmentListEntry[], sequenceOf: (filename: string) => number | undefined): void {
    const pending = run.pending.get(rendition);
    for (const entry of entries) {
      const seq = sequenceOf(entry.filename);
      if (pending && seq !== undefined && seq >= this.next) pending.set(seq, entry);
    }
  }

  /** Publishes every sequence number all renditions have finished and rewrites the playlists; returns how many. */
  async publishReady(run: LiveRunSegments): Promise<number> {
    const pendings = [...run.pending.values()];
    let published = 0;
    for (;;) {
      if (pendings.every((p) => p.has(this.next))) {
        this.publish(run, this.next);
        published += 1;
      } else if (pendings.every((p) => [...p.keys()].some((k) => k > this.next))) {
        // Every rendition is past a number one of them never finished: skip it rather than stall the channel.
        this.o.logger.warn({ sequence: this.next }, 'segment missing in a rendition; skipped');
        for (const [rendition, p] of run.pending) {
          const orphan = p.get(this.next);
          if (orphan) this.deletions.push({ path: join(this.o.dir, rendition, orphan.filename), atMs: this.o.now() });
          p.delete(this.next);
        }
        this.next += 1;
      } else {
        break;
      }
    }
    if (published > 0) await this.writePlaylists();
    return published;
  }

  /** Deletes segments that left the window long enough ago. */
  async deleteDue(): Promise<void> {
    const nowMs = this.o.now();
    const due = this.deletions.filter((d) => d.atMs <= nowMs);
    if (due.length === 0) return;
    this.deletions = this.deletions.filter((d) => d.atMs > nowMs);
    for (const d of due) await rm(d.path, { force: true });
  }

  private publish(run: LiveRunSegments, sequence: number): void {
    const nowMs = this.o.now();
    const entries = this.o.renditions.map((r) => run.pending.get(r.name)?.get(sequence));
    const ref = entries[0];
    if (!ref) return;
    // ffmpeg reads in real time, so a segment is listed about when its last frame was due.
    run.anchorMs ??= nowMs - ref.endSeconds * 1000;
    const programDateTimeMs = Math.round(run.anchorMs + ref.startSeconds * 1000);
    const discontinuity = this.isDiscontinuityPending;
    this.isDiscontinuityPending = false;
    // Players that loaded an earlier playlist may still fetch what slid out: delete it a window's duration later.
    const deleteAtMs = nowMs + this.o.windowSegments * this.o.segmentSeconds * 1000;
    this.o.renditions.forEach((r, i) => {
      const e = entries[i];
      if (!e) return;
      run.pending.get(r.name)?.delete(sequence);
      const segment = { sequence: this.listed, uri: e.filename, durationSeconds: e.endSeconds - e.startSeconds, programDateTimeMs, discontinuity, mapUri: run.initUri };
      const { window, evicted } = appendToWindow(this.windows.get(r.name) ?? EMPTY_WINDOW, segment, this.o.windowSegments);
      this.windows.set(r.name, window);
      for (const old of evicted) this.deletions.push({ path: join(this.o.dir, r.name, old.uri), atMs: deleteAtMs });
      this.targetDuration = targetDurationFor([segment.durationSeconds], this.targetDuration);
    });
    this.next = sequence + 1;
    this.listed += 1;
    this.hasPublished = true;
    run.published += 1;
    run.lastEndSeconds = ref.endSeconds;
  }

  private async writePlaylists(): Promise<void> {
    for (const r of this.o.renditions) {
      const window = this.windows.get(r.name) ?? EMPTY_WINDOW;
      const text = writeMediaPlaylist({
        kind: 'live',
        segments: window.segments,
        ...(window.segments.some((s) => s.mapUri !== undefined) ? { segmentFormat: 'fmp4' as const } : {}),
        mediaSequence: mediaSequenceOf(window),
        discontinuitySequence: window.discontinuitySequence,
        minimumTargetDuration: this.targetDuration,
      });
      await writeAtomic(join(this.o.dir, r.name, 'index.m3u8'), text);
    }
    // Once, and after the media playlists, so a player that finds the master always finds what it lists.
    if (!this.isMasterWritten) {
      this.isMasterWritten = true;
      const firstSegments = new Map<string, LiveSegment>();
      for (const [name, window] of this.windows) if (window.segments[0]) firstSegments.set(name, window.segments[0]);
      await writeAtomic(join(this.o.dir, 'master.m3u8'), writeMasterPlaylist({ variants: await this.o.measureVariants(firstSegments) }));
    }
  }
}

/** Readers see the old playlist or the new one, never half of one (rename is atomic within a file system). */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}
