// Which variant the master playlist of a packaged asset lists first: the one players start with.
import type { VariantSpec } from '../../core/hls/write-master.ts';

/**
 * Players start with the first variant listed (RFC 8216 §6.3.1; Apple's authoring spec and hls.js both honour it),
 * before they have measured anything. The best one whose peak fits a modest connection starts quickly and looks
 * decent; the lowest is the fallback when none fits.
 */
export const DEFAULT_START_BANDWIDTH = 2_000_000;

/** The start variant first, then the others from the highest bandwidth down. */
export function orderVariants<V extends VariantSpec>(variants: readonly V[], startBandwidth = DEFAULT_START_BANDWIDTH): V[] {
  const byBandwidth = [...variants].sort((a, b) => b.bandwidth - a.bandwidth);
  const start = byBandwidth.find((v) => v.bandwidth <= startBandwidth) ?? byBandwidth[byBandwidth.length - 1];
  return start ? [start, ...byBandwidth.filter((v) => v !== start)] : [];
}
