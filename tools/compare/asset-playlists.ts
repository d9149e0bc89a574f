// The asset being compared, read from its playlists (core/hls): renditions for the report's conditions, URLs to warm a cache with.
import { readMasterPlaylist, readMediaPlaylist } from '../../server/core/hls/read-playlist.ts';
import { resolveUri } from '../../server/core/hls/resolve-uri.ts';

/** One EXT-X-STREAM-INF entry of a master playlist (RFC 8216 §4.3.4.2). */
export interface Variant {
  readonly uri: string;
  readonly bandwidth: number | null;
  readonly resolution: string | null;
}

export interface AssetDescription {
  readonly masterUrl: string;
  readonly variants: readonly Variant[];
  readonly targetDurationS: number | null;
  readonly durationS: number | null;
  readonly segmentsPerRendition: number | null;
}

async function getText(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: status ${res.status}`);
  return body;
}

/** Reads the master playlist and the first media playlist: enough to describe the content in the report. */
export async function describeAsset(masterUrl: string, timeoutMs = 10_000): Promise<AssetDescription> {
  // URIs as written for the report; the first one resolved to fetch it.
  const master = readMasterPlaylist(await getText(masterUrl, timeoutMs), { source: masterUrl });
  const variants = master.variants.map((v): Variant => ({
    uri: v.uri,
    bandwidth: v.bandwidth,
    resolution: v.resolution ? `${v.resolution.width}x${v.resolution.height}` : null,
  }));
  const first = master.variants[0];
  if (!first) return { masterUrl, variants, targetDurationS: null, durationS: null, segmentsPerRendition: null };
  const firstUrl = resolveUri(first.uri, masterUrl, masterUrl);
  const media = readMediaPlaylist(await getText(firstUrl, timeoutMs), { baseUrl: firstUrl });
  return { masterUrl, variants, targetDurationS: media.targetDuration, durationS: media.durationSeconds, segmentsPerRendition: media.segments.length };
}

/**
 * Every playlist, init segment and segment starting before `untilS` of every rendition, as absolute URLs: what a
 * viewer playing the first `untilS` seconds could ask for, whichever renditions its ABR picks.
 */
export async function assetUrls(masterUrl: string, untilS: number, timeoutMs = 10_000): Promise<string[]> {
  const master = readMasterPlaylist(await getText(masterUrl, timeoutMs), { baseUrl: masterUrl });
  const out = [masterUrl];
  for (const playlistUrl of [...master.variants.map((v) => v.uri), ...master.renditionUris]) {
    out.push(playlistUrl);
    const media = readMediaPlaylist(await getText(playlistUrl, timeoutMs), { baseUrl: playlistUrl });
    for (const seg of media.segments) {
      if (seg.startSeconds >= untilS) continue;
      if (seg.mapUri) out.push(seg.mapUri);
      out.push(seg.uri);
    }
  }
  return [...new Set(out)];
}
