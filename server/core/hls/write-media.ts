// The one media playlist writer: VOD (ENDLIST) and live (sliding window), MPEG-TS or fMP4 with EXT-X-MAP, via hls-parser.
import { checkQuotedString, checkUriLine } from './attribute-list.ts';
import { PlaylistError } from './playlist-error.ts';
import { playlistVersion } from './playlist-version.ts';
import { hlsTypes, stringifyStrict } from './strict-hls.ts';
import { targetDurationFor } from './target-duration.ts';

export interface MediaSegmentSpec {
  /** Relative to the media playlist, e.g. "seg-00001.ts". */
  readonly uri: string;
  readonly durationSeconds: number;
  /** EXT-X-DISCONTINUITY before it: timestamps or encoder state do not continue (RFC 8216 §4.3.2.3). */
  readonly discontinuity?: boolean;
  /** EXT-X-PROGRAM-DATE-TIME: wall-clock time of its first sample (§4.3.2.6). */
  readonly programDateTimeMs?: number;
  /**
   * EXT-X-MAP for this segment when it differs from the playlist's `mapUri` (a live channel's encoder restarted after a
   * discontinuity with a new init segment); written again only where it changes (§4.3.2.5).
   */
  readonly mapUri?: string | undefined;
}

export interface MediaPlaylistSpec {
  /**
   * `vod`: EXT-X-PLAYLIST-TYPE:VOD and EXT-X-ENDLIST, so players and caches know it never changes (§4.3.3.4-5).
   * `live`: neither; the window slides (§6.2.2).
   */
  readonly kind: 'vod' | 'live';
  readonly segments: readonly MediaSegmentSpec[];
  /** EXT-X-MEDIA-SEQUENCE: the sequence number of the first listed segment (§4.3.3.2); default 0. */
  readonly mediaSequence?: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE: discontinuities that slid out of the window (§4.3.3.3); default 0. */
  readonly discontinuitySequence?: number;
  /** The target a live channel has announced so far: the target duration never drops below it (§6.2.1). */
  readonly minimumTargetDuration?: number;
  /** `fmp4` (CMAF) segments need `mapUri`; default `mpegts`. */
  readonly segmentFormat?: 'mpegts' | 'fmp4';
  /** EXT-X-MAP URI of the init segment, relative to the playlist, e.g. "init.mp4" (§4.3.2.5). */
  readonly mapUri?: string;
  /** EXT-X-INDEPENDENT-SEGMENTS (§4.3.5.1): true when every segment starts with a keyframe, as ours do; default true. */
  readonly independentSegments?: boolean;
}

/** EXTINF to the microsecond: enough for any frame rate, and the sum over hours stays exact to the frame. */
const roundDuration = (s: number): number => Math.round(s * 1e6) / 1e6;

function check(spec: MediaPlaylistSpec): void {
  const isCount = (n: number | undefined): boolean => n === undefined || (Number.isSafeInteger(n) && n >= 0);
  if (!isCount(spec.mediaSequence)) throw new PlaylistError(`cannot write playlist: EXT-X-MEDIA-SEQUENCE ${spec.mediaSequence} is not a decimal-integer (RFC 8216 §4.3.3.2)`);
  if (!isCount(spec.discontinuitySequence)) throw new PlaylistError(`cannot write playlist: EXT-X-DISCONTINUITY-SEQUENCE ${spec.discontinuitySequence} is not a decimal-integer (RFC 8216 §4.3.3.3)`);
  if (spec.segmentFormat === 'fmp4' && spec.segments.some((s) => (s.mapUri ?? spec.mapUri) === undefined)) throw new PlaylistError('cannot write playlist: fMP4 segments need an EXT-X-MAP init segment (RFC 8216 §3.3)');
  if (spec.mapUri !== undefined) checkQuotedString('EXT-X-MAP URI', spec.mapUri);
  for (const s of spec.segments) {
    if (s.mapUri !== undefined) checkQuotedString('EXT-X-MAP URI', s.mapUri);
    checkUriLine('segment URI', s.uri);
    if (!(Number.isFinite(s.durationSeconds) && s.durationSeconds >= 0)) throw new PlaylistError(`cannot write playlist: segment ${s.uri} has duration ${s.durationSeconds} (RFC 8216 §4.3.2.1)`);
    if (s.programDateTimeMs !== undefined && !Number.isFinite(s.programDateTimeMs)) throw new PlaylistError(`cannot write playlist: segment ${s.uri} has no valid EXT-X-PROGRAM-DATE-TIME`);
  }
}

/** Media playlist text; the target duration follows targetDurationFor, the version the features used (§7). */
export function writeMediaPlaylist(spec: MediaPlaylistSpec): string {
  check(spec);
  const map = spec.mapUri === undefined ? undefined : new hlsTypes.MediaInitializationSection({ uri: spec.mapUri });
  const maps = new Map<string, InstanceType<typeof hlsTypes.MediaInitializationSection>>();
  const mapOf = (uri: string | undefined): typeof map => {
    if (uri === undefined) return map;
    let m = maps.get(uri);
    if (!m) maps.set(uri, (m = new hlsTypes.MediaInitializationSection({ uri })));
    return m;
  };
  const mediaSequence = spec.mediaSequence ?? 0;
  const segments = spec.segments.map(
    (s, i) =>
      new hlsTypes.Segment({
        uri: s.uri,
        duration: roundDuration(s.durationSeconds),
        discontinuity: s.discontinuity === true ? true : undefined,
        programDateTime: s.programDateTimeMs === undefined ? undefined : new Date(s.programDateTimeMs),
        mediaSequenceNumber: mediaSequence + i,
        map: mapOf(s.mapUri),
      }),
  );
  const playlist = new hlsTypes.MediaPlaylist({
    version: playlistVersion({ map: segments.some((s) => s.map !== undefined), fmp4: spec.segmentFormat === 'fmp4' }),
    independentSegments: spec.independentSegments ?? true,
    targetDuration: targetDurationFor(spec.segments.map((s) => s.durationSeconds), spec.minimumTargetDuration),
    mediaSequenceBase: mediaSequence,
    discontinuitySequenceBase: spec.discontinuitySequence ?? 0,
    playlistType: spec.kind === 'vod' ? 'VOD' : undefined,
    endlist: spec.kind === 'vod',
    segments,
  });
  return stringifyStrict(playlist);
}
