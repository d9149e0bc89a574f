// A small simulated player for the fault suite: the router's steered master playlist, one rendition, segments paced by
// a buffer model, and hls.js's pathway failover (a request that fails on one edge is tried on the next pathway).
import { Agent } from 'undici';
import { readMasterPlaylist, readMediaPlaylist, type ReadMediaPlaylist, type ReadSegment } from '../../server/core/hls/read-playlist.ts';
import { BufferModel, type BufferModelOptions } from '../load-test/buffer-model.ts';
import { liveReloadIntervalMs, liveStartSequence, unfetchedSeconds, type LiveEdgeSegment } from '../load-test/live-edge.ts';
import { probe, probeJson, type Probed } from './http-probe.ts';

export type ViewerRequestKind = 'master' | 'playlist' | 'segment' | 'steering';

/** One request as the player sees it: after its failover across pathways. */
export interface ViewerEvent {
  /** From the start of the pool. */
  readonly atMs: number;
  readonly viewer: number;
  readonly kind: ViewerRequestKind;
  readonly ok: boolean;
  readonly status: number;
  readonly ms: number;
  /** It failed on at least one pathway first. */
  readonly failedOver: boolean;
  readonly pathway: string | undefined;
  readonly error: string | undefined;
}

export interface ViewerContext {
  readonly agent: Agent;
  readonly now: () => number;
  readonly record: (e: Omit<ViewerEvent, 'atMs' | 'viewer'>) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly isStopping: () => boolean;
  readonly buffer: BufferModelOptions;
  /** Per attempt: time to headers and between body chunks (hls.js's playlist and fragment TTFB limits are 10 s). */
  readonly timeoutMs: number;
}

interface Pathway {
  readonly id: string;
  readonly base: string;
}

const RETRY_MS = 500;
const MAX_SEGMENT_ATTEMPTS = 3;
const DEFAULT_STEERING_TTL_MS = 5_000;

function pathOf(uri: string): string {
  const u = new URL(uri);
  return `${u.pathname}${u.search}`;
}

export class FaultViewer {
  readonly buffer: BufferModel;
  private pathways: Pathway[] = [];
  private current = 0;
  private mediaPath = '';
  private steeringUrl: string | undefined;
  private nextSteeringMs = 0;
  private steeringTtlMs = DEFAULT_STEERING_TTL_MS;
  private media: ReadMediaPlaylist | undefined;
  private nextSequence = 0;
  private nextReloadMs = 0;
  skippedSegments = 0;
  failure: string | undefined;

  constructor(
    private readonly masterUrl: string,
    private readonly ctx: ViewerContext,
  ) {
    this.buffer = new BufferModel(ctx.buffer, ctx.now);
  }

  /** The pathway the viewer is on now (its edge). */
  get pathway(): string | undefined {
    return this.pathways[this.current]?.id;
  }

  /** The base URL of the edge the viewer is on now. */
  get edgeUrl(): string | undefined {
    return this.pathways[this.current]?.base;
  }

  async run(): Promise<void> {
    try {
      await this.play();
    } catch (err) {
      this.failure = err instanceof Error ? err.message : String(err);
    }
  }

  private async play(): Promise<void> {
    let master: Probed | undefined;
    while (!this.ctx.isStopping()) {
      master = await this.attempt(this.masterUrl, 'master', true);
      this.ctx.record({ kind: 'master', ok: master.ok, status: master.status, ms: master.ms, failedOver: false, pathway: undefined, error: master.error });
      if (master.ok) break;
      await this.ctx.sleep(RETRY_MS);
    }
    if (!master?.ok || master.text === undefined) return;
    this.readMaster(master.text);
    if (!(await this.loadMedia())) return;
    this.nextSequence = startSequence(this.currentMedia());
    while (!this.ctx.isStopping()) {
      if (this.steeringUrl && this.ctx.now() >= this.nextSteeringMs) await this.reloadSteering();
      const media = this.currentMedia();
      const segment = media.segments.find((s) => s.sequence === this.nextSequence);
      if (!segment) {
        const first = media.segments[0];
        if (first && this.nextSequence < first.sequence) this.nextSequence = first.sequence;
        else if (media.ended) this.nextSequence = media.mediaSequence;
        else {
          await this.ctx.sleep(Math.max(0, this.nextReloadMs - this.ctx.now()));
          if (!this.ctx.isStopping()) await this.loadMedia();
        }
        continue;
      }
      if (!media.ended && this.ctx.now() >= this.nextReloadMs) {
        await this.loadMedia();
        continue;
      }
      const waitMs = this.buffer.msUntilRoomFor(segment.durationSeconds);
      if (waitMs > 0) {
        await this.ctx.sleep(Math.min(waitMs, media.ended ? waitMs : Math.max(0, this.nextReloadMs - this.ctx.now()), 1_000));
        continue;
      }
      await this.fetchSegment(segment);
    }
  }

  private readMaster(text: string): void {
    const master = readMasterPlaylist(text, { baseUrl: this.masterUrl });
    const byPathway = new Map<string, Pathway>();
    for (const v of master.variants) {
      const id = v.pathwayId ?? '.';
      if (!byPathway.has(id)) byPathway.set(id, { id, base: new URL(v.uri).origin });
    }
    const preferred = master.contentSteering?.pathwayId;
    this.pathways = [...byPathway.values()];
    this.current = Math.max(0, this.pathways.findIndex((p) => p.id === preferred));
    // The lowest rendition of the chosen pathway: every pathway lists the same renditions under the same paths.
    const own = master.variants.filter((v) => (v.pathwayId ?? '.') === this.pathway);
    const lowest = [...own].sort((a, b) => a.bandwidth - b.bandwidth)[0];
    if (!lowest) throw new Error(`master playlist ${this.masterUrl} lists no variant for pathway ${this.pathway ?? '(none)'}`);
    this.mediaPath = pathOf(lowest.uri);
    if (master.contentSteering) {
      this.steeringUrl = new URL(master.contentSteering.serverUri, this.masterUrl).href;
      this.nextSteeringMs = this.ctx.now() + this.steeringTtlMs;
    }
  }

  /** rfc8216bis §7.2: PATHWAY-PRIORITY's first pathway that the master lists is the one to use. */
  private async reloadSteering(): Promise<void> {
    const url = this.steeringUrl;
    if (!url) return;
    const started = this.ctx.now();
    const body = await probeJson(url, { timeoutMs: this.ctx.timeoutMs, agent: this.ctx.agent });
    const manifest = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
    const priority = manifest?.['PATHWAY-PRIORITY'];
    const ok = Array.isArray(priority);
    this.ctx.record({ kind: 'steering', ok, status: ok ? 200 : 0, ms: this.ctx.now() - started, failedOver: false, pathway: undefined, error: ok ? undefined : 'no steering manifest' });
    if (ok) {
      const first = priority.find((id: unknown) => this.pathways.some((p) => p.id === id));
      const index = this.pathways.findIndex((p) => p.id === first);
      if (index >= 0) this.current = index;
      const ttl = manifest?.['TTL'];
      if (typeof ttl === 'number' && ttl >= 1) this.steeringTtlMs = ttl * 1000;
    }
    this.nextSteeringMs = this.ctx.now() + this.steeringTtlMs;
  }

  private async fetchSegment(segment: ReadSegment): Promise<void> {
    for (let attempt = 1; attempt <= MAX_SEGMENT_ATTEMPTS && !this.ctx.isStopping(); attempt++) {
      const res = await this.acrossPathways(pathOf(segment.uri), 'segment', false);
      if (res) {
        this.nextSequence = segment.sequence + 1;
        this.buffer.append(segment.durationSeconds);
        return;
      }
      if (attempt < MAX_SEGMENT_ATTEMPTS) await this.ctx.sleep(RETRY_MS);
    }
    if (!this.ctx.isStopping()) this.skippedSegments += 1;
    this.nextSequence = segment.sequence + 1;
  }

  private async loadMedia(): Promise<boolean> {
    while (!this.ctx.isStopping()) {
      const startedMs = this.ctx.now();
      const res = await this.acrossPathways(this.mediaPath, 'playlist', true);
      if (res?.text !== undefined) {
        const base = this.pathways[this.current]?.base ?? new URL(this.masterUrl).origin;
        const previous = this.media;
        const media = readMediaPlaylist(res.text, { baseUrl: `${base}${this.mediaPath}` });
        this.media = media;
        const last = media.segments.at(-1);
        this.nextReloadMs =
          startedMs +
          liveReloadIntervalMs({
            changed: previous?.segments.at(-1)?.sequence !== last?.sequence,
            targetDurationS: media.targetDuration,
            lastSegmentS: last?.durationSeconds,
            toLiveEdgeS: this.buffer.snapshot().bufferedS + unfetchedSeconds(edgeSegments(media), this.nextSequence),
          });
        return true;
      }
      await this.ctx.sleep(RETRY_MS);
    }
    return false;
  }

  /** Current pathway first, then the others in order; the one that answers becomes current (hls.js moves on error). */
  private async acrossPathways(path: string, kind: 'playlist' | 'segment', keepBody: boolean): Promise<Probed | undefined> {
    const started = this.ctx.now();
    let last: Probed | undefined;
    for (let i = 0; i < this.pathways.length; i++) {
      const index = (this.current + i) % this.pathways.length;
      const pathway = this.pathways[index];
      if (!pathway) continue;
      last = await this.attempt(`${pathway.base}${path}`, kind, keepBody);
      if (last.ok) {
        this.current = index;
        this.ctx.record({ kind, ok: true, status: last.status, ms: this.ctx.now() - started, failedOver: i > 0, pathway: pathway.id, error: undefined });
        return last;
      }
      if (this.ctx.isStopping()) return undefined;
    }
    this.ctx.record({ kind, ok: false, status: last?.status ?? 0, ms: this.ctx.now() - started, failedOver: this.pathways.length > 1, pathway: undefined, error: last?.error ?? `HTTP ${last?.status ?? 0}` });
    return undefined;
  }

  private attempt(url: string, _kind: ViewerRequestKind, keepBody: boolean): Promise<Probed> {
    return probe(url, { timeoutMs: this.ctx.timeoutMs, keepBody, agent: this.ctx.agent });
  }

  private currentMedia(): ReadMediaPlaylist {
    if (!this.media) throw new Error('no media playlist loaded');
    return this.media;
  }
}

function edgeSegments(media: ReadMediaPlaylist): LiveEdgeSegment[] {
  return media.segments.map((s) => ({ sequence: s.sequence, durationS: s.durationSeconds }));
}

/** First segment to play: live-edge.ts's rule, on the fault viewer's playlist type. */
export function startSequence(media: ReadMediaPlaylist): number {
  return liveStartSequence(edgeSegments(media), media.targetDuration, media.ended, media.mediaSequence);
}
