// The contract between the origin's routes and its live channels (live-manager.ts implements it).
import type { Registry } from 'prom-client';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import type { Logger } from '../../core/log.ts';
import type { SegmentFormat } from '../packaging/ffmpeg-args.ts';

export interface LiveChannelSpec {
  /** URL name: /live/{name}/… */
  readonly name: string;
  /** A file path, or "sample" for the generated test pattern. */
  readonly source: string;
}

export interface LiveChannelStatus {
  readonly name: string;
  readonly state: 'starting' | 'running' | 'restarting' | 'stopped';
  readonly mediaSequence: number;
  readonly restarts: number;
  readonly targetDurationSeconds: number;
}

/** One output of a live channel: its folder name, picture size and video bit rate. */
export interface LiveRendition {
  /** Folder and URL name: /live/{channel}/{name}/index.m3u8 */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly videoKbps: number;
}

export interface LiveManagerOptions {
  readonly channels: readonly LiveChannelSpec[];
  /** Channels write under {mediaDir}/live/{name}/. */
  readonly mediaDir: string;
  readonly ffmpeg: FfmpegPaths;
  readonly segmentSeconds: number;
  readonly windowSegments: number;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Renditions of every channel, largest first (default: 360p at 600 kbit/s and 240p at 300 kbit/s). */
  readonly renditions?: readonly LiveRendition[];
  /** `ts` (MPEG-TS, the default) or `cmaf` (fMP4 segments after an init segment per ffmpeg run). */
  readonly segmentFormat?: SegmentFormat;
  /** Only the first rendition, to halve the CPU a channel costs. */
  readonly singleRendition?: boolean;
  /** Output frame rate (default 25). */
  readonly frameRate?: number;
  /** AAC bit rate per rendition (default 64). */
  readonly audioKbps?: number;
  /**
   * Delay before restarting an ffmpeg that died without publishing a segment; doubles per such run up to
   * restartBackoffMaxMs (defaults 1 s, 30 s). A run that had published segments is restarted at once.
   */
  readonly restartBackoffMs?: number;
  readonly restartBackoffMaxMs?: number;
  /** A running ffmpeg that completes no segment for this long is killed and restarted (default 15 s + 4 segments). */
  readonly stallTimeoutMs?: number;
  /** How often ffmpeg's segment lists are read (default 200 ms). */
  readonly pollIntervalMs?: number;
  /** Font for the sample's burned-in clock; null draws no clock; default: the first suitable font under /usr/share/fonts. */
  readonly fontFile?: string | null;
  /** Wall clock in ms (tests). */
  readonly now?: () => number;
}

export interface LiveManager {
  start(): Promise<void>;
  close(): Promise<void>;
  status(): LiveChannelStatus[];
  /** Folder whose files are served at /live/{name}/, or undefined for an unknown channel. */
  dirOf(name: string): string | undefined;
  /** EXT-X-TARGETDURATION of the channel's media playlists, for Cache-Control max-age = TD/2. */
  targetDurationOf(name: string): number | undefined;
}
