// How a simulated player sits on a live playlist: where it starts and when it reloads. Both are what hls.js (the
// shipped player, 1.7) does, so the load test and the fault suite see what real viewers would.

/** What the two rules need of a listed segment. */
export interface LiveEdgeSegment {
  readonly sequence: number;
  readonly durationS: number;
}

/** hls.js reloads on the last segment's duration only while the playhead is this many target durations from the end. */
const NEAR_LIVE_EDGE_TARGET_DURATIONS = 4;

/**
 * First segment to play. VOD starts at the beginning; live starts three target durations from the end of the playlist
 * (RFC 8216 §6.3.3, hls.js liveSyncDurationCount 3), or at its first segment when it holds less than that.
 */
export function liveStartSequence(segments: readonly LiveEdgeSegment[], targetDurationS: number, ended: boolean, mediaSequence: number): number {
  if (ended || segments.length === 0) return mediaSequence;
  let fromEndS = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    const seg = segments[i];
    if (!seg) break;
    fromEndS += seg.durationS;
    if (fromEndS >= 3 * targetDurationS) return seg.sequence;
  }
  return segments[0]?.sequence ?? mediaSequence;
}

export interface LiveReload {
  /** The reload found a segment the previous load did not list (the first load counts as changed). */
  readonly changed: boolean;
  readonly targetDurationS: number;
  /** The duration of the playlist's last segment, if it lists any. */
  readonly lastSegmentS: number | undefined;
  /** Seconds of media from the playhead to the end of the playlist: buffered plus listed but not yet fetched. */
  readonly toLiveEdgeS: number;
}

/**
 * Milliseconds from the start of one media playlist load to the next (hls.js computeReloadInterval). RFC 8216 §6.3.4:
 * a target duration after a change, half of it after none. hls.js waits only the last segment's duration when that is
 * shorter and the playhead is near the live edge: a short segment (a live encoder's partial one after a restart) is
 * followed by the next one sooner than a target duration, and a player waiting the full target duration drains its
 * buffer by the difference.
 */
export function liveReloadIntervalMs(r: LiveReload): number {
  const targetMs = r.targetDurationS * 1000;
  if (!r.changed) return targetMs / 2;
  const lastMs = (r.lastSegmentS ?? 0) * 1000;
  const nearEdge = r.toLiveEdgeS * 1000 < NEAR_LIVE_EDGE_TARGET_DURATIONS * targetMs;
  return nearEdge && lastMs > 0 && lastMs < targetMs ? lastMs : targetMs;
}

/** Seconds of listed media at or after `nextSequence`: what the player has yet to fetch before the live edge. */
export function unfetchedSeconds(segments: readonly LiveEdgeSegment[], nextSequence: number): number {
  let s = 0;
  for (const seg of segments) if (seg.sequence >= nextSequence) s += seg.durationS;
  return s;
}
