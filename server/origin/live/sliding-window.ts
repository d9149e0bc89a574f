// Pure sliding-window logic and m3u8 text for live channels: which segments are listed, and how they are written.

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

/**
 * EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer must not exceed it (RFC 8216 §4.3.3.1), so a
 * segment of 2.021 s (AAC priming) keeps a 2 s target while 2.6 s needs 3. Never below `minimumSeconds`, since the
 * target duration should not change during the life of a playlist (§6.2.1) and caches use it for their TTL.
 */
export function targetDurationFor(segments: readonly LiveSegment[], minimumSeconds: number): number {
  let td = Math.max(1, Math.ceil(minimumSeconds));
  for (const s of segments) td = Math.max(td, Math.round(s.durationSeconds));
  return td;
}

/** A live media playlist (no EXT-X-ENDLIST, no PLAYLIST-TYPE: the window slides, RFC 8216 §6.2.2). */
export function renderLiveMediaPlaylist(window: LiveWindow, targetDurationSeconds: number): string {
  const lines = [
    '#EXTM3U',
    // Version 3 for decimal EXTINF durations (RFC 8216 §7).
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${targetDurationFor(window.segments, targetDurationSeconds)}`,
    `#EXT-X-MEDIA-SEQUENCE:${mediaSequenceOf(window)}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${window.discontinuitySequence}`,
  ];
  for (const s of window.segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    // On every segment: players (and latency measurements) map any segment to wall-clock time without summing durations.
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTimeMs).toISOString()}`);
    lines.push(`#EXTINF:${s.durationSeconds.toFixed(3)},`);
    lines.push(s.uri);
  }
  return `${lines.join('\n')}\n`;
}

export interface LiveVariant {
  /** Relative to the master playlist: {rendition}/index.m3u8 */
  readonly uri: string;
  /** Peak segment bit rate in bits/s (RFC 8216 §4.3.4.2). */
  readonly bandwidth: number;
  readonly width: number;
  readonly height: number;
  readonly codecs: string;
  readonly frameRate: number;
}

/** The channel's master playlist, variants in the given order (the first is where players start). */
export function renderLiveMasterPlaylist(variants: readonly LiveVariant[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of variants) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(v.bandwidth)},RESOLUTION=${v.width}x${v.height},` +
        `CODECS="${v.codecs}",FRAME-RATE=${v.frameRate.toFixed(3)}`,
    );
    lines.push(v.uri);
  }
  return `${lines.join('\n')}\n`;
}
