// BANDWIDTH and AVERAGE-BANDWIDTH of a VOD rendition, measured from its segment files (RFC 8216 §4.3.4.2).
import { targetDurationFor } from '../../core/hls/target-duration.ts';

export interface MeasuredSegment {
  readonly uri: string;
  readonly durationSeconds: number;
  readonly bytes: number;
}

/**
 * Peak segment bit rate (RFC 8216 §4): the largest bit rate of any contiguous run of segments lasting 0.5 to 1.5
 * target durations, sizes including container overhead. A short last segment alone would otherwise overstate the
 * peak. With no qualifying run (a very short asset) the average of the whole playlist is used.
 */
export function peakBitRate(segments: readonly MeasuredSegment[]): number {
  const td = targetDurationFor(segments.map((s) => s.durationSeconds));
  let peak = 0;
  for (let i = 0; i < segments.length; i++) {
    let bytes = 0;
    let seconds = 0;
    for (let j = i; j < segments.length; j++) {
      const s = segments[j];
      if (!s) break;
      bytes += s.bytes;
      seconds += s.durationSeconds;
      if (seconds > 1.5 * td) break;
      if (seconds >= 0.5 * td) peak = Math.max(peak, (bytes * 8) / seconds);
    }
  }
  return peak > 0 ? Math.ceil(peak) : averageBitRate(segments);
}

/** Average segment bit rate (RFC 8216 §4): all bits over the playlist's duration. */
export function averageBitRate(segments: readonly MeasuredSegment[]): number {
  const seconds = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  const bytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  return seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0;
}
