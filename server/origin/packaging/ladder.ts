// The ABR ladder: named rungs (height, bit rates, H.264 profile and level) and the plan for one source, capped at its size.
import { BadRequestError } from '../../core/errors.ts';
import { requiredLevel, type H264Profile } from './h264-levels.ts';

export interface Rung {
  /** Rendition name and folder: 1080p, 720p, … */
  readonly name: string;
  /** Lines of the short side (height for landscape sources, width for portrait ones). */
  readonly shortSide: number;
  readonly videoKbps: number;
  readonly audioKbps: number;
  readonly profile: H264Profile;
  /** Lowest level_idc announced (31 = 3.1); raised when the size and frame rate need more. */
  readonly minLevel: number;
  /** Above this the frame rate is divided (60 → 30) so small renditions do not spend bits on motion. */
  readonly maxFrameRate: number;
}

// Bit rates in the range of Apple's HLS authoring specification for 30 fps H.264; 240p stays Baseline for old devices.
export const LADDER: readonly Rung[] = [
  { name: '1080p', shortSide: 1080, videoKbps: 5000, audioKbps: 128, profile: 'high', minLevel: 40, maxFrameRate: 60 },
  { name: '720p', shortSide: 720, videoKbps: 2800, audioKbps: 128, profile: 'high', minLevel: 31, maxFrameRate: 60 },
  { name: '480p', shortSide: 480, videoKbps: 1400, audioKbps: 96, profile: 'main', minLevel: 30, maxFrameRate: 30 },
  { name: '360p', shortSide: 360, videoKbps: 800, audioKbps: 96, profile: 'main', minLevel: 30, maxFrameRate: 30 },
  { name: '240p', shortSide: 240, videoKbps: 400, audioKbps: 64, profile: 'baseline', minLevel: 30, maxFrameRate: 30 },
];

export const DEFAULT_LADDER: readonly string[] = LADDER.map((r) => r.name);

/** Name of the rendition an audio-only source gets. */
export const AUDIO_RENDITION = 'audio';
const AUDIO_ONLY_KBPS = 128;
/** Mono needs about half the bits of stereo for the same quality. */
const MONO_MAX_KBPS = 64;
/** Apple's spec asks roughly 1.5× the bits for 60 fps. */
const HIGH_FRAME_RATE_FACTOR = 1.5;
const MIN_VIDEO_KBPS = 100;
/** Capped VBR: peaks up to 110 % of the target, decoder buffer of two seconds at the target rate. */
const MAXRATE_FACTOR = 1.1;
const BUFSIZE_FACTOR = 2;

/** A frame rate as a fraction, so 30000/1001 stays exact in ffmpeg's arguments. */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

/** What the ladder needs to know about a source (from probe.ts). */
export interface SourceShape {
  /** Display size after rotation; undefined without video. */
  readonly video: { readonly width: number; readonly height: number; readonly frameRate: Rational | undefined; readonly isVariableFrameRate: boolean } | undefined;
  readonly audio: { readonly channels: number } | undefined;
}

export interface RenditionPlan {
  readonly name: string;
  /** Undefined for the audio-only rendition. */
  readonly video: {
    readonly width: number;
    readonly height: number;
    readonly frameRate: Rational;
    readonly kbps: number;
    readonly maxrateKbps: number;
    readonly bufsizeKbps: number;
    readonly profile: H264Profile;
    readonly level: number;
  } | undefined;
  /** Undefined when the source has no audio. */
  readonly audio: { readonly kbps: number; readonly channels: number } | undefined;
}

/** Rungs for a list of names, in ladder order (largest first); unknown or repeated names are refused. */
export function parseLadder(names: readonly string[]): Rung[] {
  const unknown = names.filter((n) => !LADDER.some((r) => r.name === n));
  if (unknown.length > 0) {
    throw new BadRequestError(`ladder rendition "${unknown.join('", "')}" must be one of ${DEFAULT_LADDER.join(', ')}`, 'LADDER_INVALID');
  }
  if (names.length === 0) throw new BadRequestError(`ladder must name at least one of ${DEFAULT_LADDER.join(', ')}`, 'LADDER_INVALID');
  return LADDER.filter((r) => names.includes(r.name));
}

function even(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}

/** Other side of a scaled picture, rounded like ffmpeg's `scale=-2:H` (nearest, then down to even). */
function scaledSide(otherSource: number, shortSource: number, shortTarget: number): number {
  return Math.max(2, Math.round((otherSource * shortTarget) / shortSource / 2) * 2);
}

/** Frame rate to encode at: the source's (average, rounded, for variable rate) divided until it fits under `cap`. */
export function outputFrameRate(source: Rational | undefined, isVariable: boolean, cap: number): Rational {
  let rate: Rational = source && source.num > 0 && source.den > 0 ? source : { num: 30, den: 1 };
  // A variable-rate source's average is rarely a clean number; a whole rate keeps every GOP the same length.
  if (isVariable) rate = { num: Math.max(1, Math.round(rate.num / rate.den)), den: 1 };
  const value = rate.num / rate.den;
  if (value <= cap) return rate;
  const divisor = Math.ceil(value / cap - 1e-9);
  return reduce({ num: rate.num, den: rate.den * divisor });
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function reduce(r: Rational): Rational {
  const g = gcd(r.num, r.den) || 1;
  return { num: r.num / g, den: r.den / g };
}

function videoPlan(rung: Rung, width: number, height: number, frameRate: Rational, kbpsBase: number): NonNullable<RenditionPlan['video']> {
  const fps = frameRate.num / frameRate.den;
  const kbps = Math.max(MIN_VIDEO_KBPS, Math.round(fps > 30 ? kbpsBase * HIGH_FRAME_RATE_FACTOR : kbpsBase));
  const maxrateKbps = Math.round(kbps * MAXRATE_FACTOR);
  return {
    width,
    height,
    frameRate,
    kbps,
    maxrateKbps,
    bufsizeKbps: Math.round(kbps * BUFSIZE_FACTOR),
    profile: rung.profile,
    level: Math.max(rung.minLevel, requiredLevel({ width, height, frameRate: fps, maxrateKbps, profile: rung.profile })),
  };
}

function audioPlan(source: SourceShape, kbps: number): RenditionPlan['audio'] {
  if (!source.audio) return undefined;
  const channels = Math.min(2, Math.max(1, source.audio.channels));
  return { kbps: channels === 1 ? Math.min(kbps, MONO_MAX_KBPS) : kbps, channels };
}

/**
 * Renditions for a source: the rungs no larger than the source (never upscale), each scaled keeping the aspect ratio
 * to even dimensions; a source smaller than every rung gets one rendition at its own size; audio-only sources get one
 * AAC rendition named "audio".
 */
export function planRenditions(source: SourceShape, ladderNames: readonly string[] = DEFAULT_LADDER): RenditionPlan[] {
  const rungs = parseLadder(ladderNames);
  const video = source.video;
  if (!video) {
    if (!source.audio) throw new BadRequestError('source has neither video nor audio', 'SOURCE_EMPTY');
    return [{ name: AUDIO_RENDITION, video: undefined, audio: audioPlan(source, AUDIO_ONLY_KBPS) }];
  }
  const isPortrait = video.height > video.width;
  const shortSource = isPortrait ? video.width : video.height;
  const longSource = isPortrait ? video.height : video.width;
  const size = (shortTarget: number): { width: number; height: number } => {
    const long = scaledSide(longSource, shortSource, shortTarget);
    return isPortrait ? { width: shortTarget, height: long } : { width: long, height: shortTarget };
  };
  const fitting = rungs.filter((r) => r.shortSide <= shortSource);
  if (fitting.length > 0) {
    return fitting.map((rung) => {
      const { width, height } = size(rung.shortSide);
      const frameRate = outputFrameRate(video.frameRate, video.isVariableFrameRate, rung.maxFrameRate);
      return { name: rung.name, video: videoPlan(rung, width, height, frameRate, rung.videoKbps), audio: audioPlan(source, rung.audioKbps) };
    });
  }
  // Smaller than every rung asked for: one rendition at the source's own (even) size, with the bits of the nearest
  // rung scaled down by picture area.
  const nearest = rungs[rungs.length - 1] ?? LADDER[LADDER.length - 1];
  if (!nearest) throw new Error('the ladder table is empty');
  const width = even(video.width);
  const height = even(video.height);
  const nearestSize = size(nearest.shortSide);
  const areaRatio = (width * height) / (nearestSize.width * nearestSize.height);
  const frameRate = outputFrameRate(video.frameRate, video.isVariableFrameRate, nearest.maxFrameRate);
  return [{
    name: `${even(shortSource)}p`,
    video: videoPlan(nearest, width, height, frameRate, nearest.videoKbps * areaRatio),
    audio: audioPlan(source, nearest.audioKbps),
  }];
}
