// Serves the player page at /player/: index.html, the esbuild bundle of player/player.ts (built once, kept in memory), CSS, hls.js's worker.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { AppError } from './errors.ts';
import { rootLogger, type Logger } from './log.ts';

export interface PlayerRouterOptions {
  readonly logger?: Logger;
  /** Folder holding index.html, player.ts and player.css; the repository's player/ by default. */
  readonly playerDir?: string;
  /** Start the build now instead of on the first request (roles do this at startup). */
  readonly buildAtStartup?: boolean;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export type PlayerAssets = ReadonlyMap<string, Asset>;

const DEFAULT_DIR = fileURLToPath(new URL('../../player/', import.meta.url));
const require = createRequire(import.meta.url);

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

/** Bundle the player with esbuild and read the static files; the same result for every router in the process. */
export async function buildPlayerAssets(playerDir = DEFAULT_DIR): Promise<PlayerAssets> {
  const esbuild = await import('esbuild');
  const result = await esbuild
    .build({
    entryPoints: [`${playerDir}/player.ts`],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    sourcemap: 'linked',
    outfile: `${playerDir}/player.js`,
    legalComments: 'eof',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    })
    // The bundle is built once per process; esbuild's service would otherwise keep ~85 MB resident for good.
    .finally(() => esbuild.stop());
  const out = new Map<string, Asset>();
  for (const f of result.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const type = name.endsWith('.js') ? 'text/javascript; charset=utf-8' : name.endsWith('.map') ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
    out.set(name, asset(Buffer.from(f.contents), type));
  }
  const [html, css, worker] = await Promise.all([
    readFile(`${playerDir}/index.html`),
    readFile(`${playerDir}/player.css`),
    readFile(require.resolve('hls.js/dist/hls.worker.js')),
  ]);
  out.set('', asset(html, 'text/html; charset=utf-8'));
  out.set('player.css', asset(css, 'text/css; charset=utf-8'));
  out.set('hls.worker.js', asset(worker, 'text/javascript; charset=utf-8'));
  return out;
}

const builds = new Map<string, Promise<PlayerAssets>>();

function assetsFor(playerDir: string, logger: Logger): Promise<PlayerAssets> {
  let p = builds.get(playerDir);
  if (!p) {
    const started = performance.now();
    p = buildPlayerAssets(playerDir).then(
      (assets) => {
        logger.info({ ms: Math.round(performance.now() - started), bytes: assets.get('player.js')?.body.length }, 'player bundle built');
        return assets;
      },
      (err: unknown) => {
        // Let the next request try again (e.g. after a fix to player.ts in development).
        builds.delete(playerDir);
        throw new AppError('PLAYER_BUILD_FAILED', 500, `building the player from ${playerDir} failed`, { cause: err });
      },
    );
    builds.set(playerDir, p);
  }
  return p;
}

/** GET /player/ and its files. Mount at the root: `app.use(createPlayerRouter())`. */
export function createPlayerRouter(opts: PlayerRouterOptions = {}): Router {
  const logger = (opts.logger ?? rootLogger).child({ component: 'player' });
  const playerDir = (opts.playerDir ?? DEFAULT_DIR).replace(/\/+$/, '');
  if (opts.buildAtStartup) assetsFor(playerDir, logger).catch((err: unknown) => logger.error({ err }, 'player build failed'));

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
