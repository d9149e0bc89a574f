// /live/{channel}/…: files the live manager writes, playlists cached for half a target duration, segments immutable.
import { Router } from 'express';
import type { OriginMetrics } from '../origin-metrics.ts';
import type { FileResponder } from '../serving/file-responder.ts';
import type { LiveManager } from './types.ts';
import { isPlaylist } from '../serving/media-path.ts';
import { createMediaHandler } from '../serving/media-routes.ts';

export interface LiveRoutesOptions {
  /** The running manager, or undefined before start / without channels (every channel is then unknown). */
  readonly manager: () => LiveManager | undefined;
  readonly files: FileResponder;
  readonly metrics: OriginMetrics;
  /** Used until a channel's playlists report their target duration. */
  readonly segmentSeconds: number;
  readonly cacheControl: { readonly segment: string; readonly notFound: string };
}

/**
 * A live playlist changes every target duration, so caches may keep it for half of one (RFC 8216 §6.2.1 has
 * clients reload about once per target duration); a 404 (a segment not yet written) for one target duration.
 */
export function livePlaylistMaxAge(targetDurationSeconds: number): number {
  return Math.max(1, Math.floor(targetDurationSeconds / 2));
}

/** Mount at /live. */
export function createLiveRouter(opts: LiveRoutesOptions): Router {
  const targetDuration = (name: string): number => opts.manager()?.targetDurationOf(name) ?? opts.segmentSeconds;
  const router = Router();
  router.use(
    createMediaHandler({
      scope: 'live',
      files: opts.files,
      metrics: opts.metrics,
      source: {
        folderOf: (name) => opts.manager()?.dirOf(name),
        cacheControlOf: (kind, name) => (isPlaylist(kind) ? `public, max-age=${livePlaylistMaxAge(targetDuration(name))}` : opts.cacheControl.segment),
        notFoundCacheControlOf: (name) =>
          name !== '' && opts.manager()?.dirOf(name) !== undefined ? `public, max-age=${Math.max(1, Math.ceil(targetDuration(name)))}` : opts.cacheControl.notFound,
      },
    }),
  );
  return router;
}
