// Reads a master (multivariant) playlist through hls-parser: its variants, renditions and content steering.
import { tagAttributes } from './attribute-list.ts';
import { PlaylistError } from './playlist-error.ts';
import { resolveUri } from './resolve-uri.ts';
import type { HlsMasterPlaylist } from './strict-hls.ts';

export interface ReadVariant {
  /** Resolved against `baseUrl` when one was given, else as written. */
  readonly uri: string;
  /** Peak segment bit rate, bit/s (RFC 8216 §4.3.4.2). */
  readonly bandwidth: number;
  readonly averageBandwidth: number | undefined;
  readonly codecs: string | undefined;
  readonly resolution: { readonly width: number; readonly height: number } | undefined;
  readonly frameRate: number | undefined;
  /** GROUP-ID of the EXT-X-MEDIA audio renditions this variant plays with. */
  readonly audioGroup: string | undefined;
  /** rfc8216bis §4.4.6.2: the content-steering pathway the variant belongs to. */
  readonly pathwayId: string | undefined;
}

export interface ReadMasterPlaylist {
  readonly version: number | undefined;
  readonly independentSegments: boolean;
  /** EXT-X-STREAM-INF, in playlist order (players start with the first, §6.3.1). */
  readonly variants: readonly ReadVariant[];
  /** URIs of EXT-X-I-FRAME-STREAM-INF playlists. */
  readonly iFrameUris: readonly string[];
  /** URIs of alternative renditions (EXT-X-MEDIA with a URI, e.g. a separate audio playlist), each once. */
  readonly renditionUris: readonly string[];
  /** EXT-X-CONTENT-STEERING (rfc8216bis §4.4.6.6). */
  readonly contentSteering: { readonly serverUri: string; readonly pathwayId: string | undefined } | undefined;
  /** hls-parser's object with URIs as written: what a rewrite (the router's pathway clones) starts from. */
  readonly parsed: HlsMasterPlaylist;
}

export function readMaster(parsed: HlsMasterPlaylist, text: string, source: string, baseUrl: string | undefined): ReadMasterPlaylist {
  const streams = parsed.variants.filter((v) => !v.isIFrameOnly);
  if (streams.length === 0) throw new PlaylistError(`master playlist ${source} lists no variant (EXT-X-STREAM-INF, RFC 8216 §4.3.4.2)`);
  // hls-parser 0.16 drops PATHWAY-ID and EXT-X-CONTENT-STEERING (see attribute-list.ts); one STREAM-INF tag per variant.
  const streamTags = tagAttributes(text, '#EXT-X-STREAM-INF');
  const steering = tagAttributes(text, '#EXT-X-CONTENT-STEERING')[0];
  const resolve = (uri: string): string => resolveUri(uri, baseUrl, source);
  const variants = streams.map((v, i): ReadVariant => {
    if (!(Number.isFinite(v.bandwidth) && v.bandwidth > 0)) throw new PlaylistError(`master playlist ${source}: variant ${v.uri} needs a positive BANDWIDTH (RFC 8216 §4.3.4.2)`);
    const resolution = v.resolution && v.resolution.width > 0 && v.resolution.height > 0 ? { width: v.resolution.width, height: v.resolution.height } : undefined;
    return {
      uri: resolve(v.uri),
      bandwidth: v.bandwidth,
      averageBandwidth: v.averageBandwidth || undefined,
      codecs: v.codecs,
      resolution,
      frameRate: v.frameRate || undefined,
      audioGroup: v.audio[0]?.groupId,
      pathwayId: streamTags.length === streams.length ? streamTags[i]?.get('PATHWAY-ID') : undefined,
    };
  });
  const renditionUris = new Set<string>();
  for (const v of streams) {
    for (const r of [...v.audio, ...v.video, ...v.subtitles]) if (r.uri) renditionUris.add(resolve(r.uri));
  }
  const serverUri = steering?.get('SERVER-URI');
  return {
    version: parsed.version,
    independentSegments: parsed.independentSegments,
    variants,
    iFrameUris: parsed.variants.filter((v) => v.isIFrameOnly).map((v) => resolve(v.uri)),
    renditionUris: [...renditionUris],
    contentSteering: serverUri === undefined ? undefined : { serverUri, pathwayId: steering?.get('PATHWAY-ID') },
    parsed,
  };
}
