// Build step for the player page: bundles player/player.ts (with hls.js) once, so no role runs esbuild at startup.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'player');
const require = createRequire(import.meta.url);

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(root, 'player', 'player.ts')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: 'linked',
  outfile: join(out, 'player.js'),
  legalComments: 'eof',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});
await Promise.all([
  copyFile(join(root, 'player', 'index.html'), join(out, 'index.html')),
  copyFile(join(root, 'player', 'player.css'), join(out, 'player.css')),
  copyFile(require.resolve('hls.js/dist/hls.worker.js'), join(out, 'hls.worker.js')),
]);
