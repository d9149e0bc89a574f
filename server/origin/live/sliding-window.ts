// The sliding window of a live channel (pure): which segments its media playlists list; core/hls writes the text.

/** One completed segment of one rendition, as listed in its media playlist. */
export interface LiveSegment {
  /** Media sequence number (RFC 8216 §6.2.1); identical across renditions for the same boundaries. */
  readonly sequence: number;
  /** Relative to the media playlist: seg-….ts */
  readonly uri: string;
  readonly durationSeconds: number;
  /** Wall-clock time of the first sample, for EXT-X-PROGRAM-DATE-TIME. */
  readonly programDateTimeMs: number;
  /** The first segment after an encoder restart: timestamps and codec state do not continue. */
  readonly discontinuity: boolean;
  /** CMAF: the init segment (EXT-X-MAP) this segment needs, relative to the media playlist. */
  readonly mapUri?: string | undefined;
}

export interface LiveWindow {
  readonly segments: readonly LiveSegment[];
  /** Number of EXT-X-DISCONTINUITY tags that slid out of the window (RFC 8216 §4.3.3.3). */
  readonly discontinuitySequence: number;
}

export const EMPTY_WINDOW: LiveWindow = { segments: [], discontinuitySequence: 0 };

/** EXT-X-MEDIA-SEQUENCE: the sequence number of the first listed segment (0 before any). */
export function mediaSequenceOf(window: LiveWindow): number {
  return window.segments[0]?.sequence ?? 0;
}

/** Appends a segment and drops the oldest ones beyond `windowSegments`; the dropped ones are returned for later deletion. */
export function appendToWindow(
  window: LiveWindow,
  segment: LiveSegment,
  windowSegments: number,
): { window: LiveWindow; evicted: LiveSegment[] } {
  const all = [...window.segments, segment];
  const cut = Math.max(0, all.length - windowSegments);
  const evicted = all.slice(0, cut);
  // A discontinuity that leaves the playlist must still be counted, or clients would misnumber the ones after it.
  const slidOut = evicted.filter((s) => s.discontinuity).length;
  return {
    window: { segments: all.slice(cut), discontinuitySequence: window.discontinuitySequence + slidOut },
    evicted,
  };
}
