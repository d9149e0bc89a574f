// H.264 levels for the encoder (-level): pure lookups from ITU-T H.264 Annex A. CODECS strings: core/hls/codecs.ts.

export type H264Profile = 'baseline' | 'main' | 'high';

interface LevelLimits {
  /** level_idc: ten times the level number (3.1 → 31). */
  readonly idc: number;
  /** Macroblocks per second. */
  readonly maxMbps: number;
  /** Macroblocks per frame. */
  readonly maxFs: number;
  /** kbit/s for Baseline and Main (cpbBrVclFactor 1000; High allows 1.25×). */
  readonly maxBrKbps: number;
}

// H.264 Table A-1 (level 1b left out: nothing we encode needs it).
const LEVELS: readonly LevelLimits[] = [
  { idc: 10, maxMbps: 1485, maxFs: 99, maxBrKbps: 64 },
  { idc: 11, maxMbps: 3000, maxFs: 396, maxBrKbps: 192 },
  { idc: 12, maxMbps: 6000, maxFs: 396, maxBrKbps: 384 },
  { idc: 13, maxMbps: 11880, maxFs: 396, maxBrKbps: 768 },
  { idc: 20, maxMbps: 11880, maxFs: 396, maxBrKbps: 2000 },
  { idc: 21, maxMbps: 19800, maxFs: 792, maxBrKbps: 4000 },
  { idc: 22, maxMbps: 20250, maxFs: 1620, maxBrKbps: 4000 },
  { idc: 30, maxMbps: 40500, maxFs: 1620, maxBrKbps: 10000 },
  { idc: 31, maxMbps: 108000, maxFs: 3600, maxBrKbps: 14000 },
  { idc: 32, maxMbps: 216000, maxFs: 5120, maxBrKbps: 20000 },
  { idc: 40, maxMbps: 245760, maxFs: 8192, maxBrKbps: 20000 },
  { idc: 41, maxMbps: 245760, maxFs: 8192, maxBrKbps: 50000 },
  { idc: 42, maxMbps: 522240, maxFs: 8704, maxBrKbps: 50000 },
  { idc: 50, maxMbps: 589824, maxFs: 22080, maxBrKbps: 135000 },
  { idc: 51, maxMbps: 983040, maxFs: 36864, maxBrKbps: 240000 },
  { idc: 52, maxMbps: 2073600, maxFs: 36864, maxBrKbps: 240000 },
];

/** Lowest level_idc whose frame size, macroblock rate and bit rate limits hold the stream (H.264 A.3.1, Table A-1). */
export function requiredLevel(s: { width: number; height: number; frameRate: number; maxrateKbps: number; profile: H264Profile }): number {
  const mbWidth = Math.ceil(s.width / 16);
  const mbHeight = Math.ceil(s.height / 16);
  const frameSize = mbWidth * mbHeight;
  const brFactor = s.profile === 'high' ? 1.25 : 1;
  for (const l of LEVELS) {
    // A.3.1 (f)/(g): neither side may exceed sqrt(8 × MaxFS) macroblocks.
    const maxSide = Math.sqrt(8 * l.maxFs);
    if (frameSize > l.maxFs || mbWidth > maxSide || mbHeight > maxSide) continue;
    if (frameSize * s.frameRate > l.maxMbps) continue;
    if (s.maxrateKbps > l.maxBrKbps * brFactor) continue;
    return l.idc;
  }
  return LEVELS[LEVELS.length - 1]?.idc ?? 52;
}

/** "3.1" for x264's -level from a level_idc. */
export function levelName(idc: number): string {
  return (idc / 10).toFixed(1);
}
