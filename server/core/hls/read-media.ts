// Reads a media playlist through hls-parser: segments with durations, sequence numbers, discontinuities and init segment.
import { PlaylistError } from './playlist-error.ts';
import { resolveUri } from './resolve-uri.ts';
import type { HlsMediaPlaylist } from './strict-hls.ts';

export interface ReadSegment {
  /** Resolved against `baseUrl` when one was given, else as written. */
  readonly uri: string;
  readonly durationSeconds: number;
  /** Seconds from the start of the first listed segment. */
  readonly startSeconds: number;
  /** Media sequence number: stable across reloads of a live playlist (RFC 8216 §6.3.2). */
  readonly sequence: number;
  /** EXT-X-DISCONTINUITY before this segment (§4.3.2.3). */
  readonly discontinuity: boolean;
  /** Discontinuity sequence number of this segment (§4.3.3.3). */
  readonly discontinuitySequence: number;
  /** EXT-X-PROGRAM-DATE-TIME of this segment, if the playlist gives one (§4.3.2.6). */
  readonly programDateTimeMs: number | undefined;
  /** EXT-X-MAP init segment in effect for this segment, resolved like `uri` (§4.3.2.5). */
  readonly mapUri: string | undefined;
}

export interface ReadMediaPlaylist {
  readonly version: number | undefined;
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  /** EXT-X-ENDLIST: VOD or a finished event; no more reloads (§4.3.3.4). */
  readonly ended: boolean;
  readonly playlistType: 'VOD' | 'EVENT' | undefined;
  /** The init segment of the first segment (fMP4/CMAF), if any. */
  readonly mapUri: string | undefined;
  readonly segments: readonly ReadSegment[];
  /** Sum of the segment durations. */
  readonly durationSeconds: number;
}

export function readMedia(parsed: HlsMediaPlaylist, source: string, baseUrl: string | undefined): ReadMediaPlaylist {
  const td = parsed.targetDuration;
  if (td === undefined || td === null) throw new PlaylistError(`media playlist ${source} has no EXT-X-TARGETDURATION (RFC 8216 §4.3.3.1)`);
  if (!(Number.isInteger(td) && td > 0)) throw new PlaylistError(`media playlist ${source}: EXT-X-TARGETDURATION must be a positive decimal-integer (RFC 8216 §4.3.3.1)`);
  const resolve = (uri: string): string => resolveUri(uri, baseUrl, source);
  let startSeconds = 0;
  const segments = parsed.segments.map((s): ReadSegment => {
    if (!(typeof s.duration === 'number' && Number.isFinite(s.duration) && s.duration >= 0)) {
      throw new PlaylistError(`media playlist ${source}: segment ${s.uri} has no EXTINF duration (RFC 8216 §4.3.2.1)`);
    }
    const segment: ReadSegment = {
      uri: resolve(s.uri),
      durationSeconds: s.duration,
      startSeconds,
      sequence: s.mediaSequenceNumber,
      discontinuity: s.discontinuity === true,
      discontinuitySequence: s.discontinuitySequence,
      programDateTimeMs: s.programDateTime ? s.programDateTime.getTime() : undefined,
      mapUri: s.map ? resolve(s.map.uri) : undefined,
    };
    startSeconds += s.duration;
    return segment;
  });
  return {
    version: parsed.version,
    targetDuration: td,
    mediaSequence: parsed.mediaSequenceBase ?? 0,
    discontinuitySequence: parsed.discontinuitySequenceBase ?? 0,
    ended: parsed.endlist,
    playlistType: parsed.playlistType,
    mapUri: segments[0]?.mapUri,
    segments,
    durationSeconds: startSeconds,
  };
}
