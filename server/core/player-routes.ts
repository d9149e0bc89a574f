// Serves the player page at /player/: the files `npm run build` put in dist/player/ (bundle, HTML, CSS, hls.js's worker), read once and kept in memory.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { AppError } from './errors.ts';
import { rootLogger, type Logger } from './log.ts';
import { PLAYER_BUILD_DIR } from './package-root.ts';

export interface PlayerRouterOptions {
  readonly logger?: Logger;
  /** Folder holding the built page (index.html, player.js, player.css, hls.worker.js); dist/player/ by default. */
  readonly playerDir?: string;
  /** Read the files now instead of on the first request. */
  readonly loadAtStartup?: boolean;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export type PlayerAssets = ReadonlyMap<string, Asset>;


/**
 * The page loads only its own script and styles; media and playlists may come from any http(s) origin because
 * ?src= may point at an edge or the origin. blob: is needed for the MediaSource URL hls.js gives the <video>.
 */
export const PLAYER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob: http: https:",
  "connect-src 'self' http: https:",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': PLAYER_CSP,
  'X-Content-Type-Options': 'nosniff',
  // Signed playlist URLs may sit in the page's query: never send them to other origins.
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

function asset(body: Buffer | string, type: string): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  return { body: buf, type, etag: `"${createHash('sha256').update(buf).digest('base64url').slice(0, 27)}"` };
}

const FILES: ReadonlyArray<readonly [name: string, file: string, type: string]> = [
  ['', 'index.html', 'text/html; charset=utf-8'],
  ['player.js', 'player.js', 'text/javascript; charset=utf-8'],
  ['player.js.map', 'player.js.map', 'application/json; charset=utf-8'],
  ['player.css', 'player.css', 'text/css; charset=utf-8'],
  ['hls.worker.js', 'hls.worker.js', 'text/javascript; charset=utf-8'],
];

/** The built player files, read from `playerDir`; the same result for every router in the process. */
export async function loadPlayerAssets(playerDir = PLAYER_BUILD_DIR): Promise<PlayerAssets> {
  const bodies = await Promise.all(FILES.map(([, file]) => readFile(join(playerDir, file))));
  return new Map(FILES.map(([name, , type], i) => [name, asset(bodies[i] ?? Buffer.alloc(0), type)]));
}

const loads = new Map<string, Promise<PlayerAssets>>();

function assetsFor(playerDir: string, logger: Logger): Promise<PlayerAssets> {
  let p = loads.get(playerDir);
  if (!p) {
    p = loadPlayerAssets(playerDir).then(
      (assets) => {
        logger.debug({ bytes: assets.get('player.js')?.body.length }, 'player files loaded');
        return assets;
      },
      (err: unknown) => {
        // Let the next request try again (e.g. once `npm run build` has run).
        loads.delete(playerDir);
        throw new AppError('PLAYER_NOT_BUILT', 500, `the player page is not built in ${playerDir}: run npm run build`, { cause: err });
      },
    );
    loads.set(playerDir, p);
  }
  return p;
}

/** GET /player/ and its files. Mount at the root: `app.use(createPlayerRouter())`. */
export function createPlayerRouter(opts: PlayerRouterOptions = {}): Router {
  const logger = (opts.logger ?? rootLogger).child({ component: 'player' });
  const playerDir = (opts.playerDir ?? PLAYER_BUILD_DIR).replace(/\/+$/, '');
  if (opts.loadAtStartup) assetsFor(playerDir, logger).catch((err: unknown) => logger.error({ err }, 'player page unavailable'));

  const router = Router();
  router.get(['/player', '/player/:file'], async (req: Request, res: Response, next: NextFunction) => {
    try {
      const q = req.originalUrl.indexOf('?');
      const path = q === -1 ? req.originalUrl : req.originalUrl.slice(0, q);
      if (path === '/player') {
        // Relative URLs in the page (and the form) expect the trailing slash.
        res.redirect(301, `/player/${q === -1 ? '' : req.originalUrl.slice(q)}`);
        return;
      }
      const file = typeof req.params['file'] === 'string' ? req.params['file'] : '';
      const name = file === 'index.html' ? '' : file;
      const assets = await assetsFor(playerDir, logger);
      const a = assets.get(name);
      if (!a) {
        res.status(404).set('Cache-Control', 'no-store').json({ error: 'NOT_FOUND', message: `no player file "${file.slice(0, 64)}"` });
        return;
      }
      res.set(SECURITY_HEADERS);
      // Revalidate every time: the bundle changes whenever the server restarts with new code, and a 304 is cheap.
      res.set({ 'Content-Type': a.type, 'Cache-Control': 'no-cache', ETag: a.etag });
      const inm = req.headers['if-none-match'];
      if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === a.etag)) {
        res.status(304).end();
        return;
      }
      res.set('Content-Length', String(a.body.length));
      res.end(req.method === 'HEAD' ? undefined : a.body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
