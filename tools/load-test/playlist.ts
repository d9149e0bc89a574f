// The simulated player's view of a playlist, read by core/hls: variants of a master playlist, segments of a media playlist.
import { readMasterPlaylist, readMediaPlaylist, readPlaylist } from '../../server/core/hls/read-playlist.ts';

export interface Variant {
  readonly url: string;
  /** AVERAGE-BANDWIDTH when given, else BANDWIDTH (RFC 8216 §4.3.4.2): what ABR compares with its estimate. */
  readonly bandwidth: number;
  readonly resolution: string | undefined;
}

export interface Segment {
  readonly url: string;
  readonly durationS: number;
  /** Media sequence number: stable across reloads of a live playlist (RFC 8216 §6.3.2). */
  readonly sequence: number;
  /** EXT-X-MAP init segment in effect for this segment, if any. */
  readonly initUrl: string | undefined;
}

export interface MediaPlaylist {
  readonly targetDurationS: number;
  readonly mediaSequence: number;
  readonly segments: readonly Segment[];
  /** EXT-X-ENDLIST present: VOD (or a finished event), no more reloads needed. */
  readonly isEnded: boolean;
}

/** A master (multivariant) playlist lists variants; a media playlist lists segments. Throws on text that is neither. */
export function isMasterPlaylist(text: string): boolean {
  return readPlaylist(text).kind === 'master';
}

/** Variants sorted by bandwidth, lowest first, with absolute URLs. */
export function parseMasterPlaylist(text: string, baseUrl: string): Variant[] {
  return readMasterPlaylist(text, { baseUrl })
    .variants.map((v) => ({ url: v.uri, bandwidth: v.averageBandwidth ?? v.bandwidth, resolution: v.resolution ? `${v.resolution.width}x${v.resolution.height}` : undefined }))
    .sort((a, b) => a.bandwidth - b.bandwidth);
}

export function parseMediaPlaylist(text: string, baseUrl: string): MediaPlaylist {
  const m = readMediaPlaylist(text, { baseUrl });
  return {
    targetDurationS: m.targetDuration,
    mediaSequence: m.mediaSequence,
    isEnded: m.ended,
    segments: m.segments.map((s) => ({ url: s.uri, durationS: s.durationSeconds, sequence: s.sequence, initUrl: s.mapUri })),
  };
}
