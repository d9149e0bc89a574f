// Rendition choice for a simulated viewer: fixed (lowest, highest, random) or ABR from its own measured throughput.
import type { RenditionChoice } from './options.ts';

export interface AbrOptions {
  /** Switch up only to a rendition whose bandwidth fits in this share of the estimate (headroom against jitter). */
  readonly upSafety: number;
  /** Switch down when the current rendition needs more than this share of the estimate. */
  readonly downSafety: number;
  /** Do not switch up with less than this much buffered: a thin buffer cannot absorb a wrong guess. */
  readonly minBufferForUpS: number;
  /** Weight of the newest sample in the fast and slow moving averages. */
  readonly fastAlpha: number;
  readonly slowAlpha: number;
}

export const DEFAULT_ABR: AbrOptions = { upSafety: 0.7, downSafety: 0.9, minBufferForUpS: 4, fastAlpha: 0.5, slowAlpha: 0.15 };

/**
 * Bandwidth estimate like hls.js's: two exponentially weighted averages of per-segment throughput, a fast and a
 * slow one, and the lower of the two wins, so the estimate drops quickly and climbs carefully.
 */
export class ThroughputEstimator {
  private fast = 0;
  private slow = 0;
  private samples = 0;
  private readonly opts: AbrOptions;

  constructor(opts: AbrOptions = DEFAULT_ABR) {
    this.opts = opts;
  }

  /** One download: `bytes` in `ms` (time from request to last byte). */
  sample(bytes: number, ms: number): void {
    if (bytes <= 0) return;
    const bps = (bytes * 8 * 1000) / Math.max(ms, 0.1);
    if (this.samples === 0) {
      this.fast = bps;
      this.slow = bps;
    } else {
      this.fast += this.opts.fastAlpha * (bps - this.fast);
      this.slow += this.opts.slowAlpha * (bps - this.slow);
    }
    this.samples += 1;
  }

  /** Bits per second, or undefined before the first sample. */
  estimateBps(): number | undefined {
    return this.samples === 0 ? undefined : Math.min(this.fast, this.slow);
  }
}

/** Index of the rendition to start with, for variants sorted by bandwidth (lowest first). */
export function initialRendition(count: number, choice: RenditionChoice, random: () => number = Math.random): number {
  if (count <= 1) return 0;
  switch (choice) {
    case 'lowest':
      return 0;
    case 'highest':
      return count - 1;
    case 'random':
      return Math.min(count - 1, Math.floor(random() * count));
    case 'auto':
      // Like players without a history: start at the low middle, then let measurements decide.
      return Math.floor((count - 1) / 2);
  }
}

/**
 * The next rendition for ABR: down at once to the best one that fits when the current one needs more than
 * downSafety of the estimate; up to the best one that fits in upSafety of it when enough is buffered; else stay.
 * The gap between the two safeties is hysteresis, so an estimate near a boundary does not flip every segment.
 */
export function nextRendition(
  bandwidths: readonly number[],
  current: number,
  estimateBps: number | undefined,
  bufferedS: number,
  opts: AbrOptions = DEFAULT_ABR,
): number {
  if (estimateBps === undefined || bandwidths.length <= 1) return current;
  const best = (budget: number): number => {
    let pick = 0;
    for (let i = 0; i < bandwidths.length; i++) if ((bandwidths[i] ?? Infinity) <= budget) pick = i;
    return pick;
  };
  const need = bandwidths[current] ?? 0;
  if (need > estimateBps * opts.downSafety) return Math.min(current, best(estimateBps * opts.downSafety));
  if (bufferedS >= opts.minBufferForUpS) {
    const up = best(estimateBps * opts.upSafety);
    if (up > current) return up;
  }
  return current;
}
