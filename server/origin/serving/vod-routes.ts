// /vod/{asset}/…: packaged assets from {mediaDir}/hls/{asset}/, playlists short-cached and segments immutable.
import { join, resolve } from 'node:path';
import { Router } from 'express';
import type { OriginMetrics } from '../origin-metrics.ts';
import type { FileResponder } from './file-responder.ts';
import { isPlaylist } from './media-path.ts';
import { createMediaHandler, isInside } from './media-routes.ts';

export interface VodRoutesOptions {
  /** Absolute media folder. */
  readonly mediaDir: string;
  readonly files: FileResponder;
  readonly metrics: OriginMetrics;
  readonly cacheControl: { readonly playlist: string; readonly segment: string; readonly notFound: string };
}

/** Mount at /vod. */
export function createVodRouter(opts: VodRoutesOptions): Router {
  const root = resolve(join(opts.mediaDir, 'hls'));
  const { playlist, segment, notFound } = opts.cacheControl;
  const router = Router();
  router.use(
    createMediaHandler({
      scope: 'vod',
      files: opts.files,
      metrics: opts.metrics,
      source: {
        // Asset names already match ASSET_ID (no dots), so packaging's .tmp-* folders can never be named here.
        folderOf: (name) => {
          const dir = resolve(root, name);
          return isInside(root, dir) ? dir : undefined;
        },
        cacheControlOf: (kind) => (isPlaylist(kind) ? playlist : segment),
        notFoundCacheControlOf: () => notFound,
      },
    }),
  );
  return router;
}
