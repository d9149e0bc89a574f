// Build step for the product: bundles server/main.ts and everything it loads into dist/bundle/ with esbuild, split at
// the CLI's dynamic imports, so each role's process loads one chunk per piece of code it runs (its own role, core and
// the libraries it uses) instead of hundreds of files from node_modules. An idle edge worker is ~15 MB smaller this way
// (docs/BUILD.md has the figures). bin/edgeline.js runs dist/bundle/main.js; dist/server (tsc) is still built for the
// instruments (dist/tools imports it) and is not what a role runs.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bundle');

/**
 * Left to node_modules at run time: packages that find files next to their own code (the ffmpeg installers locate a
 * per-platform binary package, fluent-ffmpeg requires presets by path), and the instruments' optional libraries,
 * which no role imports and which an install may leave out.
 */
const EXTERNAL = [
  '@ffmpeg-installer/ffmpeg',
  '@ffprobe-installer/ffprobe',
  'fluent-ffmpeg',
  'playwright-core',
  'chart.js',
  'hdr-histogram-js',
];

/**
 * Packages a library requires at load time for a feature Edgeline never turns on: each is bundled as a stub that
 * throws if reached, so no process parses and keeps them (an idle edge worker's V8 heap: 0.3 MiB smaller; docs/BUILD.md).
 */
const NEVER_USED = {
  // prom-client's process CPU counter requires it only to label exemplars (enableExemplars: never set).
  '@opentelemetry/api': join(root, 'scripts', 'bundle-stubs', 'opentelemetry-api.cjs'),
  // pino's transports run in a worker thread; the roles log through pino.destination (server/core/log.ts).
  'thread-stream': join(root, 'scripts', 'bundle-stubs', 'thread-stream.cjs'),
};

/** @type {import('esbuild').Plugin} */
const stubNeverUsed = {
  name: 'stub-never-used',
  setup(b) {
    const names = Object.keys(NEVER_USED).map((n) => n.replace(/[/.@-]/g, (c) => `\\${c}`));
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({ path: NEVER_USED[args.path] }));
  },
};

await rm(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'server', 'main.ts')],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  // Smaller sources parse and sit in memory smaller; names are kept so stack traces stay readable without the maps.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  external: EXTERNAL,
  // The bundled CommonJS packages call require() for Node's built-ins and the externals above.
  banner: { js: "import { createRequire as __edgelineCreateRequire } from 'node:module'; const require = __edgelineCreateRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [stubNeverUsed],
});
