// The asset being compared, read from its playlists: renditions for the report's conditions, and URLs to warm a cache with.

/** One EXT-X-STREAM-INF entry of a master playlist (RFC 8216 §4.3.4.2). */
export interface Variant {
  readonly uri: string;
  readonly bandwidth: number | null;
  readonly resolution: string | null;
}

export interface MediaPlaylist {
  /** EXT-X-MAP URI (RFC 8216 §4.3.2.5), if any. */
  readonly initUri: string | null;
  readonly targetDurationS: number | null;
  readonly segments: readonly { readonly uri: string; readonly startS: number; readonly durationS: number }[];
}

const ATTR = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;

/** Attribute list of a tag (RFC 8216 §4.2): KEY=value pairs, quoted strings unquoted. */
export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of list.matchAll(ATTR)) {
    const key = m[1];
    const raw = m[2] ?? '';
    if (key) out[key] = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  }
  return out;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** Variant streams of a master playlist, plus URIs of alternative renditions (EXT-X-MEDIA, e.g. a separate audio playlist). */
export function parseMasterPlaylist(text: string): { variants: Variant[]; mediaUris: string[] } {
  const variants: Variant[] = [];
  const mediaUris: string[] = [];
  let pending: Record<string, string> | undefined;
  for (const line of lines(text)) {
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      pending = parseAttributes(line.slice('#EXT-X-STREAM-INF:'.length));
    } else if (line.startsWith('#EXT-X-MEDIA:')) {
      const uri = parseAttributes(line.slice('#EXT-X-MEDIA:'.length))['URI'];
      if (uri) mediaUris.push(uri);
    } else if (!line.startsWith('#') && pending) {
      const bw = Number(pending['BANDWIDTH']);
      variants.push({ uri: line, bandwidth: Number.isFinite(bw) && bw > 0 ? bw : null, resolution: pending['RESOLUTION'] ?? null });
      pending = undefined;
    }
  }
  return { variants, mediaUris };
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const segments: { uri: string; startS: number; durationS: number }[] = [];
  let initUri: string | null = null;
  let targetDurationS: number | null = null;
  let duration: number | undefined;
  let t = 0;
  for (const line of lines(text)) {
    if (line.startsWith('#EXTINF:')) {
      duration = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      const v = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
      targetDurationS = Number.isFinite(v) ? v : null;
    } else if (line.startsWith('#EXT-X-MAP:')) {
      initUri = parseAttributes(line.slice('#EXT-X-MAP:'.length))['URI'] ?? null;
    } else if (!line.startsWith('#')) {
      const d = duration !== undefined && Number.isFinite(duration) ? duration : 0;
      segments.push({ uri: line, startS: t, durationS: d });
      t += d;
      duration = undefined;
    }
  }
  return { initUri, targetDurationS, segments };
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
  const master = parseMasterPlaylist(await getText(masterUrl, timeoutMs));
  const first = master.variants[0];
  if (!first) return { masterUrl, variants: [], targetDurationS: null, durationS: null, segmentsPerRendition: null };
  const media = parseMediaPlaylist(await getText(new URL(first.uri, masterUrl).href, timeoutMs));
  const last = media.segments[media.segments.length - 1];
  return {
    masterUrl,
    variants: master.variants,
    targetDurationS: media.targetDurationS,
    durationS: last ? last.startS + last.durationS : null,
    segmentsPerRendition: media.segments.length,
  };
}

/**
 * Every playlist, init segment and segment starting before `untilS` of every rendition, as absolute URLs: what a
 * viewer playing the first `untilS` seconds could ask for, whichever renditions its ABR picks.
 */
export async function assetUrls(masterUrl: string, untilS: number, timeoutMs = 10_000): Promise<string[]> {
  const master = parseMasterPlaylist(await getText(masterUrl, timeoutMs));
  const out = [masterUrl];
  for (const uri of [...master.variants.map((v) => v.uri), ...master.mediaUris]) {
    const playlistUrl = new URL(uri, masterUrl).href;
    out.push(playlistUrl);
    const media = parseMediaPlaylist(await getText(playlistUrl, timeoutMs));
    if (media.initUri) out.push(new URL(media.initUri, playlistUrl).href);
    for (const seg of media.segments) if (seg.startS < untilS) out.push(new URL(seg.uri, playlistUrl).href);
  }
  return [...new Set(out)];
}
