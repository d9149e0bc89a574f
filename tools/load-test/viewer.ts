// One simulated player: master playlist, rendition choice, media playlist, then segments paced by its buffer model.
import { DEFAULT_ABR, ThroughputEstimator, initialRendition, nextRendition, type AbrOptions } from './abr.ts';
import { BufferModel, type BufferModelOptions, type BufferSnapshot, type Clock } from './buffer-model.ts';
import { liveReloadIntervalMs, liveStartSequence, unfetchedSeconds } from './live-edge.ts';
import type { Fetched } from './load-client.ts';
import type { RequestKind } from './load-stats.ts';
import type { RenditionChoice } from './options.ts';
import { isMasterPlaylist, parseMasterPlaylist, parseMediaPlaylist, type MediaPlaylist, type Segment, type Variant } from './playlist.ts';

export interface ViewerDeps {
  get(url: string, kind: RequestKind, keepBody: boolean): Promise<Fetched | undefined>;
  readonly clock: Clock;
  /** Resolves after `ms`, or at once when the run is stopping. */
  sleep(ms: number): Promise<void>;
  isStopping(): boolean;
  readonly random: () => number;
}

export interface ViewerOptions {
  readonly targetUrl: string;
  readonly rendition: RenditionChoice;
  readonly buffer: BufferModelOptions;
  readonly abr?: AbrOptions;
}

export interface ViewerSnapshot extends BufferSnapshot {
  readonly switches: number;
  readonly failedRequests: number;
  readonly segments: number;
  readonly skippedSegments: number;
  /** VOD: times the viewer reached the end and started over. */
  readonly loops: number;
  readonly rendition: number;
  /** Why the viewer gave up before the end of the run, if it did. */
  readonly failure: string | undefined;
}

/** Retry pause after a failed request; players back off similarly before retrying a segment. */
const RETRY_MS = 500;
/** A segment that fails this many times in a row is skipped, as hls.js does after its retries. */
const MAX_SEGMENT_ATTEMPTS = 3;

/**
 * The player loop. VOD that reaches EXT-X-ENDLIST loops from the first segment without a new startup (like a looping
 * <video>), so each viewer keeps a constant, steady demand for the whole run. Live follows the sliding window, reloading
 * the media playlist about every target duration.
 */
export class Viewer {
  private readonly deps: ViewerDeps;
  private readonly opts: ViewerOptions;
  private readonly abr: AbrOptions;
  readonly buffer: BufferModel;
  private readonly estimator: ThroughputEstimator;
  private variants: Variant[] = [];
  private index = 0;
  private media: MediaPlaylist | undefined;
  private nextSequence = 0;
  private nextReloadMs = 0;
  private loadedInitUrl: string | undefined;
  private switches = 0;
  private failedRequests = 0;
  private segments = 0;
  private skippedSegments = 0;
  private loops = 0;
  private failure: string | undefined;

  constructor(opts: ViewerOptions, deps: ViewerDeps) {
    this.opts = opts;
    this.deps = deps;
    this.abr = opts.abr ?? DEFAULT_ABR;
    this.estimator = new ThroughputEstimator(this.abr);
    // Created now: startup time runs from the moment the viewer asks for the master playlist.
    this.buffer = new BufferModel(opts.buffer, deps.clock);
  }

  async run(): Promise<void> {
    try {
      await this.play();
    } catch (err) {
      // A malformed playlist or a refused host ends this viewer; the others go on.
      this.failure = err instanceof Error ? err.message : String(err);
    }
  }

  snapshot(): ViewerSnapshot {
    return {
      ...this.buffer.snapshot(),
      switches: this.switches,
      failedRequests: this.failedRequests,
      segments: this.segments,
      skippedSegments: this.skippedSegments,
      loops: this.loops,
      rendition: this.index,
      failure: this.failure,
    };
  }

  private async play(): Promise<void> {
    const master = await this.fetchUntilOk(this.opts.targetUrl, 'playlist', true);
    if (master?.text === undefined) return;
    this.variants = isMasterPlaylist(master.text)
      ? parseMasterPlaylist(master.text, this.opts.targetUrl)
      : [{ url: this.opts.targetUrl, bandwidth: 0, resolution: undefined }];
    this.index = initialRendition(this.variants.length, this.opts.rendition, this.deps.random);
    if (!(await this.loadMedia())) return;
    this.nextSequence = startSequence(this.currentMedia());

    while (!this.deps.isStopping()) {
      const media = this.currentMedia();
      const segment = media.segments[this.nextSequence - media.mediaSequence];
      if (!segment) {
        if (media.segments.length === 0 && media.isEnded) throw new Error(`media playlist ${this.variantUrl()} has no segments`);
        const first = media.segments[0];
        if (first && this.nextSequence < first.sequence) {
          // Fell behind the live window (or the VOD wrapped): carry on from its first segment.
          this.nextSequence = first.sequence;
        } else if (media.isEnded) {
          this.nextSequence = media.mediaSequence;
          this.loops += 1;
        } else {
          await this.deps.sleep(Math.max(0, this.nextReloadMs - this.deps.clock()));
          if (!this.deps.isStopping()) await this.loadMedia();
        }
        continue;
      }
      if (!media.isEnded && this.deps.clock() >= this.nextReloadMs) {
        await this.loadMedia();
        continue;
      }
      const waitMs = this.buffer.msUntilRoomFor(segment.durationS);
      if (waitMs > 0) {
        const untilReload = media.isEnded ? waitMs : Math.max(0, this.nextReloadMs - this.deps.clock());
        await this.deps.sleep(Math.min(waitMs, untilReload));
        continue;
      }
      await this.fetchSegment(segment);
    }
  }

  private async fetchSegment(segment: Segment): Promise<void> {
    if (segment.initUrl !== undefined && segment.initUrl !== this.loadedInitUrl) {
      const init = await this.fetchUntilOk(segment.initUrl, 'segment', false);
      if (!init) return;
      this.loadedInitUrl = segment.initUrl;
    }
    let res: Fetched | undefined;
    for (let attempt = 1; attempt <= MAX_SEGMENT_ATTEMPTS; attempt++) {
      res = await this.deps.get(segment.url, 'segment', false);
      if (res?.ok || this.deps.isStopping()) break;
      this.failedRequests += 1;
      if (attempt < MAX_SEGMENT_ATTEMPTS) await this.deps.sleep(RETRY_MS);
    }
    this.nextSequence = segment.sequence + 1;
    if (!res?.ok) {
      if (!this.deps.isStopping()) this.skippedSegments += 1;
      return;
    }
    this.segments += 1;
    this.buffer.append(segment.durationS);
    this.estimator.sample(res.bytes, res.latencyUs / 1000);
    if (this.opts.rendition !== 'auto') return;
    const bandwidths = this.variants.map((v) => v.bandwidth);
    const next = nextRendition(bandwidths, this.index, this.estimator.estimateBps(), this.buffer.snapshot().bufferedS, this.abr);
    if (next !== this.index) {
      this.index = next;
      this.switches += 1;
      // Renditions are aligned by media sequence number, so the next segment number carries over.
      await this.loadMedia();
    }
  }

  /** Fetch the current rendition's media playlist; false when the run stopped before it arrived. */
  private async loadMedia(): Promise<boolean> {
    const startedMs = this.deps.clock();
    const res = await this.fetchUntilOk(this.variantUrl(), 'playlist', true);
    if (res?.text === undefined) return false;
    const previous = this.media;
    const media = parseMediaPlaylist(res.text, this.variantUrl());
    this.media = media;
    const lastBefore = previous?.segments.at(-1)?.sequence;
    const last = media.segments.at(-1);
    this.nextReloadMs =
      startedMs +
      liveReloadIntervalMs({
        changed: lastBefore === undefined || last?.sequence !== lastBefore,
        targetDurationS: media.targetDurationS,
        lastSegmentS: last?.durationS,
        toLiveEdgeS: this.buffer.snapshot().bufferedS + unfetchedSeconds(media.segments, this.nextSequence),
      });
    return true;
  }

  private async fetchUntilOk(url: string, kind: RequestKind, keepBody: boolean): Promise<Fetched | undefined> {
    while (!this.deps.isStopping()) {
      const res = await this.deps.get(url, kind, keepBody);
      if (res?.ok) return res;
      if (this.deps.isStopping()) break;
      this.failedRequests += 1;
      await this.deps.sleep(RETRY_MS);
    }
    return undefined;
  }

  private currentMedia(): MediaPlaylist {
    if (!this.media) throw new Error('no media playlist loaded');
    return this.media;
  }

  private variantUrl(): string {
    return (this.variants[this.index] ?? this.variants[0])?.url ?? this.opts.targetUrl;
  }
}

/** First segment to play: live-edge.ts's rule, on this viewer's playlist type. */
export function startSequence(media: MediaPlaylist): number {
  return liveStartSequence(media.segments, media.targetDurationS, media.isEnded, media.mediaSequence);
}
