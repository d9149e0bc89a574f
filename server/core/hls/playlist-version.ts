// EXT-X-VERSION from the features a playlist uses (RFC 8216 §7): the lowest version every one of them allows.

export interface VersionFeatures {
  /** EXT-X-MAP in a playlist without EXT-X-I-FRAMES-ONLY: version 6 (§4.3.2.5, §7). */
  readonly map?: boolean;
  /** EXT-X-BYTERANGE or EXT-X-I-FRAMES-ONLY: version 4 (§7). */
  readonly byteRanges?: boolean;
  /**
   * fMP4 (CMAF) segments: version 7, the protocol version that describes them (RFC 8216 §3.3, Abstract) and what
   * ffmpeg's HLS muxer writes for `-hls_segment_type fmp4`.
   */
  readonly fmp4?: boolean;
}

/**
 * Version 3 at least: our EXTINF durations are decimal-floating-point (§4.3.2.1, §7). Nothing lower is ever needed,
 * and hls-parser writes integer durations below 3.
 */
export function playlistVersion(features: VersionFeatures = {}): number {
  let version = 3;
  if (features.byteRanges) version = Math.max(version, 4);
  if (features.map) version = Math.max(version, 6);
  if (features.fmp4) version = Math.max(version, 7);
  return version;
}
