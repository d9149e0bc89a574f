// The one master playlist writer: variants (and audio groups, content steering) to text via hls-parser, values checked.
import { checkQuotedString, checkUriLine } from './attribute-list.ts';
import { PlaylistError } from './playlist-error.ts';
import { playlistVersion } from './playlist-version.ts';
import { hlsTypes, stringifyStrict, type HlsMasterPlaylist } from './strict-hls.ts';

export interface VariantSpec {
  /** Media playlist URI relative to the master playlist, e.g. "720p/index.m3u8". */
  readonly uri: string;
  /** Peak segment bit rate in bit/s, container overhead included (RFC 8216 §4.3.4.2). */
  readonly bandwidth: number;
  readonly averageBandwidth?: number | undefined;
  /** RFC 6381 list, e.g. "avc1.64001f,mp4a.40.2" (see codecs.ts). */
  readonly codecs?: string | undefined;
  readonly resolution?: { readonly width: number; readonly height: number } | undefined;
  /** Written rounded to three decimals (§4.3.4.2). */
  readonly frameRate?: number | undefined;
  /** GROUP-ID of the audio renditions (MasterPlaylistSpec.audio) this variant plays with. */
  readonly audioGroup?: string | undefined;
  /** rfc8216bis §4.4.6.2 PATHWAY-ID, for content steering. */
  readonly pathwayId?: string | undefined;
}

export interface AudioRenditionSpec {
  readonly groupId: string;
  readonly name: string;
  /** Absent: the audio is muxed into the variant's own segments. */
  readonly uri?: string;
  readonly language?: string;
  readonly isDefault?: boolean;
  readonly autoselect?: boolean;
  /** e.g. "2" for stereo (§4.3.4.1). */
  readonly channels?: string;
}

export interface MasterPlaylistSpec {
  /** In the order given: players start with the first (§6.3.1). */
  readonly variants: readonly VariantSpec[];
  readonly audio?: readonly AudioRenditionSpec[];
  /** EXT-X-CONTENT-STEERING (rfc8216bis §4.4.6.6). */
  readonly contentSteering?: { readonly serverUri: string; readonly pathwayId: string };
  /** EXT-X-INDEPENDENT-SEGMENTS (§4.3.5.1): every segment we write starts with a keyframe; default true. */
  readonly independentSegments?: boolean;
}

export function writeMasterPlaylist(spec: MasterPlaylistSpec): string {
  if (spec.variants.length === 0) throw new PlaylistError('cannot write playlist: a master playlist needs at least one variant (RFC 8216 §4.3.4.2)');
  const renditions = (spec.audio ?? []).map(
    (a) =>
      new hlsTypes.Rendition({
        type: 'AUDIO',
        groupId: a.groupId,
        name: a.name,
        uri: a.uri,
        language: a.language,
        isDefault: a.isDefault ?? false,
        autoselect: a.autoselect ?? a.isDefault ?? false,
        forced: undefined as unknown as boolean, // FORCED applies to subtitles only (§4.3.4.1): leave it out
        channels: a.channels,
      }),
  );
  const variants = spec.variants.map((v) => {
    const audio = v.audioGroup === undefined ? [] : renditions.filter((r) => r.groupId === v.audioGroup);
    if (v.audioGroup !== undefined && audio.length === 0) throw new PlaylistError(`cannot write playlist: variant ${v.uri} names audio group "${v.audioGroup}", which has no rendition (RFC 8216 §4.3.4.2)`);
    return new hlsTypes.Variant({
      uri: v.uri,
      bandwidth: Math.round(v.bandwidth),
      averageBandwidth: v.averageBandwidth === undefined ? undefined : Math.round(v.averageBandwidth),
      codecs: v.codecs,
      resolution: v.resolution,
      frameRate: v.frameRate,
      pathwayId: v.pathwayId,
      audio,
    });
  });
  const contentSteering = spec.contentSteering ? new hlsTypes.ContentSteering(spec.contentSteering) : undefined;
  return writeHlsMaster(new hlsTypes.MasterPlaylist({ version: playlistVersion(), independentSegments: spec.independentSegments ?? true, variants, contentSteering }));
}

/**
 * Writes an hls-parser master playlist object, e.g. one read by read-playlist.ts and rewritten (the router's pathway
 * clones). hls-parser writes quoted values and URI lines as given, so each is checked first.
 */
export function writeHlsMaster(playlist: HlsMasterPlaylist): string {
  for (const v of playlist.variants) {
    if (v.isIFrameOnly) checkQuotedString('I-frame playlist URI', v.uri);
    else checkUriLine('variant URI', v.uri);
    if (!(Number.isSafeInteger(v.bandwidth) && v.bandwidth > 0)) throw new PlaylistError(`cannot write playlist: variant ${v.uri} needs a positive integer BANDWIDTH (RFC 8216 §4.3.4.2)`);
    for (const [name, value] of [['CODECS', v.codecs], ['PATHWAY-ID', v.pathwayId], ['STABLE-VARIANT-ID', v.stableVariantId]] as const) {
      if (value !== undefined) checkQuotedString(name, value);
    }
    for (const r of [...v.audio, ...v.video, ...v.subtitles, ...v.closedCaptions]) {
      for (const [name, value] of [['GROUP-ID', r.groupId], ['NAME', r.name], ['URI', r.uri], ['LANGUAGE', r.language], ['ASSOC-LANGUAGE', r.assocLanguage], ['INSTREAM-ID', r.instreamId], ['CHARACTERISTICS', r.characteristics], ['CHANNELS', r.channels]] as const) {
        if (value !== undefined) checkQuotedString(`EXT-X-MEDIA ${name}`, value);
      }
    }
  }
  for (const d of playlist.sessionDataList) {
    for (const value of [d.id, d.value, d.uri, d.language]) if (value !== undefined) checkQuotedString('EXT-X-SESSION-DATA attribute', value);
  }
  for (const k of playlist.sessionKeyList) if (k.uri !== undefined) checkQuotedString('EXT-X-SESSION-KEY URI', k.uri);
  if (playlist.contentSteering) {
    checkQuotedString('EXT-X-CONTENT-STEERING SERVER-URI', playlist.contentSteering.serverUri);
    checkQuotedString('EXT-X-CONTENT-STEERING PATHWAY-ID', playlist.contentSteering.pathwayId);
  }
  return stringifyStrict(playlist);
}
