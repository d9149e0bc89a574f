// A player's forward buffer on an injected clock: startup, steady playback, stalls when it runs dry, a cap ahead.
import { BadRequestError } from '../../server/core/errors.ts';

/** Milliseconds from any fixed point; performance.now() in the tool, a plain counter in tests. */
export type Clock = () => number;

export type PlaybackState = 'startup' | 'playing' | 'stalled';

export interface BufferModelOptions {
  /** Buffered media needed before playback starts (hls.js and AVPlayer start after a few seconds). */
  readonly startupThresholdS: number;
  /** Buffered media needed to resume after a stall. */
  readonly resumeThresholdS: number;
  /** The player stops fetching while this much is buffered ahead (hls.js maxBufferLength is 30 s). */
  readonly maxBufferS: number;
}

export interface BufferSnapshot {
  readonly state: PlaybackState;
  readonly bufferedS: number;
  /** From the model's creation to the first frame, once playback started. */
  readonly startupMs: number | undefined;
  readonly stallCount: number;
  /** Time spent stalled, including a stall still going on. */
  readonly stallMs: number;
  readonly playedS: number;
}

/**
 * The buffer is a number of seconds ahead of the playhead. While playing, it drains at one second per second of
 * clock time; appending a segment adds its duration. Time is applied lazily on every call, so the model needs no
 * timers and a test drives it by moving its clock.
 */
export class BufferModel {
  private readonly opts: BufferModelOptions;
  private readonly clock: Clock;
  private readonly createdMs: number;
  private lastMs: number;
  private state: PlaybackState = 'startup';
  private bufferedS = 0;
  private playedS = 0;
  private startupMs: number | undefined;
  private stallCount = 0;
  private stallMsDone = 0;
  private stallStartMs = 0;

  constructor(opts: BufferModelOptions, clock: Clock) {
    if (!(opts.startupThresholdS > 0) || !(opts.resumeThresholdS > 0) || !(opts.maxBufferS > 0)) {
      throw new BadRequestError('buffer thresholds must be positive', 'LOADTEST_BAD_BUFFER');
    }
    if (opts.startupThresholdS > opts.maxBufferS || opts.resumeThresholdS > opts.maxBufferS) {
      throw new BadRequestError(
        `startup buffer ${opts.startupThresholdS}s must not exceed the max buffer ${opts.maxBufferS}s`,
        'LOADTEST_BAD_BUFFER',
      );
    }
    this.opts = opts;
    this.clock = clock;
    this.createdMs = clock();
    this.lastMs = this.createdMs;
  }

  /** Move the playhead to the clock's present; the buffer running dry starts a stall at the exact moment it did. */
  private update(): number {
    const now = this.clock();
    if (this.state === 'playing') {
      const elapsedS = Math.max(0, now - this.lastMs) / 1000;
      if (elapsedS >= this.bufferedS) {
        this.playedS += this.bufferedS;
        this.stallStartMs = this.lastMs + this.bufferedS * 1000;
        this.bufferedS = 0;
        this.state = 'stalled';
        this.stallCount += 1;
      } else {
        this.bufferedS -= elapsedS;
        this.playedS += elapsedS;
      }
    }
    this.lastMs = now;
    return now;
  }

  /** A segment of `durationS` finished downloading. */
  append(durationS: number): void {
    const now = this.update();
    this.bufferedS += Math.max(0, durationS);
    if (this.state === 'startup' && this.bufferedS >= this.opts.startupThresholdS) {
      this.state = 'playing';
      this.startupMs = now - this.createdMs;
    } else if (this.state === 'stalled' && this.bufferedS >= this.opts.resumeThresholdS) {
      this.stallMsDone += now - this.stallStartMs;
      this.state = 'playing';
    }
  }

  /**
   * How long to wait before a segment of `durationS` fits under the cap; 0 means fetch now. An empty buffer always
   * has room, so a segment longer than the cap still gets fetched.
   */
  msUntilRoomFor(durationS: number): number {
    this.update();
    const excessS = this.bufferedS + durationS - this.opts.maxBufferS;
    if (excessS <= 0 || this.bufferedS === 0) return 0;
    // Only playback drains the buffer; outside it thresholds are below the cap, so there is room already.
    return this.state === 'playing' ? Math.ceil(excessS * 1000) : 0;
  }

  snapshot(): BufferSnapshot {
    const now = this.update();
    const ongoing = this.state === 'stalled' ? now - this.stallStartMs : 0;
    return {
      state: this.state,
      bufferedS: this.bufferedS,
      startupMs: this.startupMs,
      stallCount: this.stallCount,
      stallMs: this.stallMsDone + ongoing,
      playedS: this.playedS,
    };
  }
}
