// The request shell shared by /vod/ and /live/: validate the raw path, confine it to a folder, answer the file or a JSON 404.
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OriginMetrics } from '../origin-metrics.ts';
import type { FileResponder } from './file-responder.ts';
import { isPlaylist, parseMediaPath, type MediaFileKind, type MediaPath, type MediaScope } from './media-path.ts';

export interface MediaSource {
  /** The folder holding an asset's or channel's files, or undefined when there is no such asset or channel. */
  folderOf(name: string): string | undefined;
  cacheControlOf(kind: MediaFileKind, name: string): string;
  notFoundCacheControlOf(name: string): string;
}

export interface MediaRoutesOptions {
  readonly scope: MediaScope;
  readonly source: MediaSource;
  readonly files: FileResponder;
  readonly metrics: OriginMetrics;
}

function sendError(res: Response, status: number, code: string, message: string, cacheControl: string): void {
  res.status(status).set('Cache-Control', cacheControl).json({ error: code, message });
}

/** `path` inside `root` (never `root` itself): the last check after the path regexes. */
export function isInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export function createMediaHandler(opts: MediaRoutesOptions): RequestHandler {
  const { scope, source, files, metrics } = opts;
  const noun = scope === 'vod' ? 'asset' : 'live channel';

  async function notFound(res: Response, path: MediaPath, folder: string | undefined): Promise<void> {
    const exists = folder !== undefined && (await stat(folder).then((s) => s.isDirectory(), () => false));
    if (!exists) {
      sendError(res, 404, scope === 'vod' ? 'ASSET_NOT_FOUND' : 'CHANNEL_NOT_FOUND', `${noun} "${path.name}" not found`, source.notFoundCacheControlOf(path.name));
      return;
    }
    sendError(res, 404, 'NOT_FOUND', `${noun} "${path.name}" has no file "${path.parts.join('/')}"`, source.notFoundCacheControlOf(path.name));
  }

  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD, OPTIONS');
        sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /${scope}/; use GET or HEAD`, 'no-store');
        return;
      }
      // The raw, undecoded path: decoding first is how %2e%2e and %252e sneak past checks.
      const rawPath = req.originalUrl.split('?', 1)[0] ?? '';
      const parsed = parseMediaPath(rawPath);
      if (!parsed.ok) {
        sendError(res, parsed.status, parsed.code, parsed.message, parsed.status === 404 ? source.notFoundCacheControlOf('') : 'no-store');
        return;
      }
      const path = parsed.path;
      if (path.scope !== scope) {
        sendError(res, 404, 'NOT_FOUND', `path "${rawPath}" is not under /${scope}/`, source.notFoundCacheControlOf(''));
        return;
      }
      const given = source.folderOf(path.name);
      const folder = given === undefined ? undefined : resolve(given);
      const absPath = folder === undefined ? undefined : resolve(folder, ...path.parts);
      if (folder === undefined || absPath === undefined || !isInside(folder, absPath)) {
        await notFound(res, path, folder);
        return;
      }
      const sent = await files.send(req, res, {
        absPath,
        contentType: path.contentType,
        cacheControl: source.cacheControlOf(path.kind, path.name),
        compressible: isPlaylist(path.kind),
        onBytes: (n) => metrics.mediaBytes.inc({ source: scope, kind: path.kind }, n),
      });
      if (!sent) await notFound(res, path, folder);
    } catch (err) {
      next(err);
    }
  };
}
