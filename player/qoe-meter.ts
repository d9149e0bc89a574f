// What the viewer experienced, from media element and hls.js events: a small state machine with an injected clock.
import type { BeaconError, BeaconMetrics, BeaconSegment } from '../server/core/qoe/beacon-schema.ts';

export type PlaybackState = 'idle' | 'starting' | 'playing' | 'stalled' | 'paused' | 'seeking' | 'ended' | 'failed';

/** One segment download as hls.js measured it; times on the meter's clock (performance.now()). */
export interface SegmentSample {
  readonly sn: number;
  readonly level: number;
  readonly type: BeaconSegment['type'];
  readonly isInit: boolean;
  readonly durationS: number;
  readonly bytes: number;
  readonly requestMs: number;
  readonly firstByteMs: number;
  readonly endMs: number;
  readonly xCache: string | null;
}

export interface QoeSnapshot extends BeaconMetrics {
  readonly state: PlaybackState;
  readonly rebufferRatio: number | null;
  readonly segmentCount: number;
  readonly xCacheCounts: Readonly<Record<string, number>>;
  readonly lastSegment: BeaconSegment | null;
  /** Sum of bytes ÷ sum of download time over all media segments, kbit/s. */
  readonly meanThroughputKbps: number | null;
  readonly bytesLoaded: number;
}

/** Records kept in the page for beacons (they are sent as deltas) and the panel. */
const MAX_SEGMENTS = 5000;
const MAX_ERRORS = 200;
/** A playhead move smaller than this (s) is jitter in currentTime, not playback. */
const ADVANCE_EPSILON_S = 0.01;

export class QoeMeter {
  state: PlaybackState = 'idle';
  readonly segments: BeaconSegment[] = [];
  readonly errors: BeaconError[] = [];

  private t0 = 0;
  private startupMs: number | null = null;
  private firstSegmentTtfbMs: number | null = null;
  /** A `playing` event during startup, waiting for the playhead to move to count. */
  private pendingPlaying: { atMs: number; currentTimeS: number } | undefined;
  private stallStartMs = 0;
  private stallCount = 0;
  private stallMs = 0;
  private watchMs = 0;
  /** Start of the current stretch of watch time. */
  private markMs = 0;
  private level = -1;
  private bitrateKbps: number | null = null;
  private bitrateWeightedMs = 0;
  private bitrateKnownMs = 0;
  private peakBitrateKbps: number | null = null;
  private renditionSwitches = 0;
  private droppedFrames = 0;
  private totalFrames = 0;
  private fatalErrors = 0;
  private recoveries = 0;
  private nonFatalErrors = 0;
  private currentTimeS = 0;
  private bufferS = 0;
  private segmentCount = 0;
  private bytesLoaded = 0;
  private mediaBytes = 0;
  private mediaDownloadMs = 0;
  private readonly xCacheCounts: Record<string, number> = {};

  constructor(private readonly now: () => number) {}

  /** ms since the play request. */
  sinceStart(atMs = this.now()): number {
    return Math.max(0, atMs - this.t0);
  }

  get hasStarted(): boolean {
    return this.startupMs !== null;
  }

  /** The page asked the element to play: the origin of startup time and of every `atMs`. */
  playRequested(): void {
    if (this.state !== 'idle') return;
    this.t0 = this.now();
    this.state = 'starting';
  }

  onPlaying(currentTimeS: number): void {
    const now = this.now();
    this.currentTimeS = currentTimeS;
    switch (this.state) {
      case 'starting':
        this.pendingPlaying ??= { atMs: now, currentTimeS };
        return;
      case 'stalled':
        this.endStall(now);
        this.resume(now);
        return;
      case 'paused':
      case 'seeking':
      case 'ended':
        this.resume(now);
        return;
      default:
        return;
    }
  }

  onTimeUpdate(currentTimeS: number, isPaused: boolean): void {
    const now = this.now();
    const advanced = currentTimeS > this.currentTimeS + ADVANCE_EPSILON_S;
    this.currentTimeS = currentTimeS;
    if (this.state === 'starting' && this.pendingPlaying && currentTimeS > this.pendingPlaying.currentTimeS + ADVANCE_EPSILON_S) {
      // Startup ends at the `playing` event, counted once the playhead is seen to move after it.
      this.startupMs = this.pendingPlaying.atMs - this.t0;
      this.state = 'playing';
      this.markMs = this.pendingPlaying.atMs;
      this.pendingPlaying = undefined;
      return;
    }
    if (!advanced || isPaused) return;
    // Some stalls and seeks end without a `playing` event; a moving playhead ends them too.
    if (this.state === 'stalled') {
      this.endStall(now);
      this.resume(now);
    } else if (this.state === 'seeking') {
      this.resume(now);
    }
  }

  onWaiting(isSeeking: boolean): void {
    const now = this.now();
    if (this.state === 'starting') {
      this.pendingPlaying = undefined;
      return;
    }
    if (this.state !== 'playing' || isSeeking) return;
    this.accrue(now);
    this.state = 'stalled';
    this.stallStartMs = now;
    this.stallCount += 1;
  }

  onSeeking(): void {
    const now = this.now();
    if (this.state === 'stalled') this.endStall(now);
    if (this.state === 'playing') this.accrue(now);
    if (['playing', 'stalled', 'paused', 'ended'].includes(this.state)) this.state = 'seeking';
  }

  onSeeked(isPaused: boolean): void {
    if (this.state === 'seeking' && isPaused) this.state = 'paused';
  }

  onPause(): void {
    const now = this.now();
    if (this.state === 'stalled') this.endStall(now);
    if (this.state === 'playing') this.accrue(now);
    if (['playing', 'stalled', 'seeking'].includes(this.state)) this.state = 'paused';
  }

  onEnded(): void {
    const now = this.now();
    if (this.state === 'stalled') this.endStall(now);
    if (this.state === 'playing') this.accrue(now);
    if (this.state !== 'idle' && this.state !== 'failed') this.state = 'ended';
  }

  /** The rendition being played changed (hls.js LEVEL_SWITCHED); bitrate is the rendition's declared BANDWIDTH. */
  onLevelSwitched(level: number, bitrateKbps: number | null): void {
    this.accrue(this.now());
    if (this.level !== -1 && level !== this.level) this.renditionSwitches += 1;
    this.level = level;
    this.bitrateKbps = bitrateKbps;
  }

  onSegment(s: SegmentSample): void {
    const downloadMs = Math.max(0, s.endMs - s.requestMs);
    const ttfbMs = Math.max(0, Math.min(s.firstByteMs, s.endMs) - s.requestMs);
    const record: BeaconSegment = {
      sn: s.sn,
      level: s.level,
      type: s.type,
      isInit: s.isInit,
      atMs: round(this.sinceStart(s.endMs)),
      durationS: round(s.durationS, 3),
      bytes: s.bytes,
      ttfbMs: round(ttfbMs),
      downloadMs: round(downloadMs),
      throughputKbps: round(downloadMs > 0 ? (s.bytes * 8) / downloadMs : 0),
      xCache: s.xCache === null ? null : s.xCache.slice(0, 64),
    };
    this.segmentCount += 1;
    this.bytesLoaded += s.bytes;
    if (this.segments.length < MAX_SEGMENTS) this.segments.push(record);
    const label = s.xCache ?? 'none';
    this.xCacheCounts[label] = (this.xCacheCounts[label] ?? 0) + 1;
    if (!s.isInit) {
      this.mediaBytes += s.bytes;
      this.mediaDownloadMs += downloadMs;
      if (this.firstSegmentTtfbMs === null && this.state !== 'idle') this.firstSegmentTtfbMs = round(this.sinceStart(Math.min(s.firstByteMs, s.endMs)));
    }
  }

  onError(type: string, details: string, isFatal: boolean): void {
    if (isFatal) this.fatalErrors += 1;
    else this.nonFatalErrors += 1;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ atMs: round(this.sinceStart()), type: type.slice(0, 64), details: details.slice(0, 128), fatal: isFatal });
  }

  onRecovery(): void {
    this.recoveries += 1;
  }

  /** Playback gave up (an unrecoverable fatal error). */
  onFailed(): void {
    const now = this.now();
    if (this.state === 'stalled') this.endStall(now);
    if (this.state === 'playing') this.accrue(now);
    this.state = 'failed';
  }

  setFrames(dropped: number, total: number): void {
    this.droppedFrames = dropped;
    this.totalFrames = total;
  }

  setBuffer(bufferS: number): void {
    this.bufferS = Math.max(0, bufferS);
  }

  /** The cumulative numbers a beacon carries; watch and stall time include the stretch in progress. */
  metrics(): BeaconMetrics {
    const now = this.now();
    this.accrue(now);
    const stallMs = this.stallMs + (this.state === 'stalled' ? now - this.stallStartMs : 0);
    return {
      startupMs: this.startupMs === null ? null : round(this.startupMs),
      firstSegmentTtfbMs: this.firstSegmentTtfbMs,
      stallCount: this.stallCount,
      stallMs: round(stallMs),
      watchMs: round(this.watchMs),
      avgBitrateKbps: this.bitrateKnownMs > 0 ? round(this.bitrateWeightedMs / this.bitrateKnownMs) : null,
      peakBitrateKbps: this.peakBitrateKbps,
      renditionSwitches: this.renditionSwitches,
      droppedFrames: this.droppedFrames,
      totalFrames: this.totalFrames,
      fatalErrors: this.fatalErrors,
      recoveries: this.recoveries,
      nonFatalErrors: this.nonFatalErrors,
      currentTimeS: round(this.currentTimeS, 3),
      bufferS: round(this.bufferS, 3),
      level: this.level,
    };
  }

  snapshot(): QoeSnapshot {
    const m = this.metrics();
    const total = m.stallMs + m.watchMs;
    return {
      ...m,
      state: this.state,
      rebufferRatio: total > 0 ? round(m.stallMs / total, 5) : null,
      segmentCount: this.segmentCount,
      xCacheCounts: { ...this.xCacheCounts },
      lastSegment: this.segments[this.segments.length - 1] ?? null,
      meanThroughputKbps: this.mediaDownloadMs > 0 ? round((this.mediaBytes * 8) / this.mediaDownloadMs) : null,
      bytesLoaded: this.bytesLoaded,
    };
  }

  /** Add the watch time since the last mark (only while playing), weighted by the rendition's bitrate. */
  private accrue(now: number): void {
    if (this.state !== 'playing') return;
    const dt = Math.max(0, now - this.markMs);
    this.markMs = now;
    this.watchMs += dt;
    if (dt > 0 && this.bitrateKbps !== null) {
      this.bitrateWeightedMs += this.bitrateKbps * dt;
      this.bitrateKnownMs += dt;
      this.peakBitrateKbps = Math.max(this.peakBitrateKbps ?? 0, this.bitrateKbps);
    }
  }

  private endStall(now: number): void {
    this.stallMs += Math.max(0, now - this.stallStartMs);
  }

  private resume(now: number): void {
    this.state = 'playing';
    this.markMs = now;
  }
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
