// The contract between the packager (packager.ts) and its callers: the package CLI, sample, and the upload jobs.
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import type { Logger } from '../../core/log.ts';
import type { SegmentFormat } from './ffmpeg-args.ts';

export interface PackageProgress {
  readonly stage: 'probing' | 'encoding' | 'finishing';
  /** 0..100 over the whole job. */
  readonly percent: number;
  readonly etaSeconds: number | undefined;
}

export interface PackageOptions {
  /** Source file path. */
  readonly input: string;
  /** Asset id: ^[a-z0-9][a-z0-9_-]{0,63}$. Output goes to {mediaDir}/hls/{id}/. */
  readonly id: string;
  readonly mediaDir: string;
  /** Rendition names such as 1080p,720p,480p,360p,240p; capped at the source height. */
  readonly ladder?: readonly string[];
  readonly segmentSeconds?: number;
  /** Package at most this many renditions: the highest of the ladder that fit the source. */
  readonly maxRenditions?: number;
  /** `cmaf` (fMP4 segments and an init segment) or `ts` (MPEG-TS); default DEFAULT_SEGMENT_FORMAT (packager.ts). */
  readonly format?: SegmentFormat;
  readonly ffmpeg: FfmpegPaths;
  readonly onProgress?: (p: PackageProgress) => void;
  /** Aborting kills ffmpeg and removes the temporary folder. */
  readonly signal?: AbortSignal;
  /** Replace an existing asset with the same id (atomically). */
  readonly overwrite?: boolean;
  /** x264 preset; default "veryfast" (tests use "ultrafast"). */
  readonly preset?: 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium' | 'slow' | 'slower' | 'veryslow';
  /** Debug lines (the ffmpeg command, measurements); default: the root logger. */
  readonly logger?: Logger;
}

export interface PackagedRendition {
  readonly name: string;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  readonly codecs: string;
  readonly frameRate: number | undefined;
  /** Number of segments (the same in every rendition: keyframes are aligned). */
  readonly segments?: number;
}

export interface PackagedAsset {
  readonly id: string;
  readonly dir: string;
  readonly durationSeconds: number;
  readonly format: SegmentFormat;
  readonly renditions: readonly PackagedRendition[];
  readonly elapsedMs: number;
}

export const ASSET_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
