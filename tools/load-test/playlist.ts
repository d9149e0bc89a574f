// Just enough of an m3u8 reader for a simulated player: variants of a master playlist, segments of a media playlist.
import { BadRequestError } from '../../server/core/errors.ts';

export interface Variant {
  readonly url: string;
  /** Peak bits per second (RFC 8216 §4.3.4.2 BANDWIDTH). */
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

const ATTR = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;

function attributes(list: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of list.matchAll(ATTR)) {
    const value = m[2] ?? '';
    out.set(m[1] ?? '', value.startsWith('"') ? value.slice(1, -1) : value);
  }
  return out;
}

function lines(text: string, url: string): string[] {
  const all = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  // RFC 8216 §4.3.1.1: every playlist starts with EXTM3U.
  if (all[0] !== '#EXTM3U') throw new BadRequestError(`playlist ${url} must start with #EXTM3U`, 'LOADTEST_BAD_PLAYLIST');
  return all;
}

/** A master (multivariant) playlist lists variants with EXT-X-STREAM-INF; a media playlist lists segments. */
export function isMasterPlaylist(text: string): boolean {
  return text.includes('#EXT-X-STREAM-INF:');
}

/** Variants sorted by bandwidth, lowest first, with absolute URLs. */
export function parseMasterPlaylist(text: string, baseUrl: string): Variant[] {
  const all = lines(text, baseUrl);
  const variants: Variant[] = [];
  let pending: Map<string, string> | undefined;
  for (const line of all) {
    if (line.startsWith('#EXT-X-STREAM-INF:')) pending = attributes(line.slice('#EXT-X-STREAM-INF:'.length));
    else if (!line.startsWith('#') && pending) {
      const bandwidth = Number(pending.get('AVERAGE-BANDWIDTH') ?? pending.get('BANDWIDTH') ?? 0);
      variants.push({ url: new URL(line, baseUrl).href, bandwidth: Number.isFinite(bandwidth) ? bandwidth : 0, resolution: pending.get('RESOLUTION') });
      pending = undefined;
    }
  }
  if (variants.length === 0) throw new BadRequestError(`master playlist ${baseUrl} lists no variants`, 'LOADTEST_BAD_PLAYLIST');
  return variants.sort((a, b) => a.bandwidth - b.bandwidth);
}

export function parseMediaPlaylist(text: string, baseUrl: string): MediaPlaylist {
  const all = lines(text, baseUrl);
  let targetDurationS = 0;
  let mediaSequence = 0;
  let isEnded = false;
  let initUrl: string | undefined;
  let durationS: number | undefined;
  const segments: Segment[] = [];
  for (const line of all) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDurationS = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      const n = Number(line.slice(22));
      mediaSequence = Number.isInteger(n) && n >= 0 ? n : 0;
    }
    else if (line.startsWith('#EXTINF:')) durationS = Number.parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-MAP:')) {
      const uri = attributes(line.slice(11)).get('URI');
      initUrl = uri ? new URL(uri, baseUrl).href : undefined;
    } else if (line === '#EXT-X-ENDLIST') isEnded = true;
    else if (!line.startsWith('#') && durationS !== undefined) {
      segments.push({ url: new URL(line, baseUrl).href, durationS, sequence: mediaSequence + segments.length, initUrl });
      durationS = undefined;
    }
  }
  if (!(targetDurationS > 0)) {
    throw new BadRequestError(`media playlist ${baseUrl} needs a positive EXT-X-TARGETDURATION`, 'LOADTEST_BAD_PLAYLIST');
  }
  return { targetDurationS, mediaSequence, segments, isEnded };
}
