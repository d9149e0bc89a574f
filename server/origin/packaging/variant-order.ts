// The master (multivariant) playlist of a packaged asset: pure text from measured variants (RFC 8216 §4.3.4).

export interface MasterVariant {
  /** Media playlist URI relative to the master playlist, e.g. "720p/index.m3u8". */
  readonly uri: string;
  /** Peak segment bit rate in bit/s, container overhead included (RFC 8216 §4.3.4.2). */
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  /** RFC 6381 list, e.g. "avc1.64001f,mp4a.40.2". */
  readonly codecs: string;
  readonly resolution: { readonly width: number; readonly height: number } | undefined;
  readonly frameRate: number | undefined;
}

/**
 * Players start with the first variant listed (RFC 8216 §6.3.1; Apple's authoring spec and hls.js both honour it),
 * before they have measured anything. The best one whose peak fits a modest connection starts quickly and looks
 * decent; the lowest is the fallback when none fits.
 */
export const DEFAULT_START_BANDWIDTH = 2_000_000;

/** The start variant first, then the others from the highest bandwidth down. */
export function orderVariants<V extends MasterVariant>(variants: readonly V[], startBandwidth = DEFAULT_START_BANDWIDTH): V[] {
  const byBandwidth = [...variants].sort((a, b) => b.bandwidth - a.bandwidth);
  const start = byBandwidth.find((v) => v.bandwidth <= startBandwidth) ?? byBandwidth[byBandwidth.length - 1];
  return start ? [start, ...byBandwidth.filter((v) => v !== start)] : [];
}

function attributes(v: MasterVariant): string {
  const attrs = [`BANDWIDTH=${Math.round(v.bandwidth)}`, `AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`];
  if (v.resolution) attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
  // §4.3.4.2: FRAME-RATE is a decimal rounded to three places.
  if (v.frameRate !== undefined) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
  attrs.push(`CODECS="${v.codecs}"`);
  return attrs.join(',');
}

/**
 * Master playlist text, variants in the order given (see orderVariants). Every segment we write starts with a
 * keyframe, so EXT-X-INDEPENDENT-SEGMENTS (§4.3.5.1) lets players switch at any boundary.
 */
export function renderMasterPlaylist(variants: readonly MasterVariant[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of variants) lines.push(`#EXT-X-STREAM-INF:${attributes(v)}`, v.uri);
  return `${lines.join('\n')}\n`;
}
