// Where the installed package lives (the folder holding package.json), the same from the sources and from dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
/** The `edgeline` command, for supervisors and tools that start roles as child processes. */
export const BIN_PATH = join(PACKAGE_ROOT, 'bin', 'edgeline.js');
/** The player page as `npm run build` leaves it: bundle, source map, HTML, CSS and hls.js's worker. */
export const PLAYER_BUILD_DIR = join(PACKAGE_ROOT, 'dist', 'player');
