// The contract between the origin's routes and its live channels (live-manager.ts implements it).
import type { Registry } from 'prom-client';
import type { FfmpegPaths } from '../core/ffmpeg-paths.ts';
import type { Logger } from '../core/log.ts';

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

export interface LiveManagerOptions {
  readonly channels: readonly LiveChannelSpec[];
  /** Channels write under {mediaDir}/live/{name}/. */
  readonly mediaDir: string;
  readonly ffmpeg: FfmpegPaths;
  readonly segmentSeconds: number;
  readonly windowSegments: number;
  readonly logger: Logger;
  readonly registry: Registry;
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
