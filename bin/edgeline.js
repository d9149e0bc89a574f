#!/usr/bin/env node
// The `edgeline` command: runs the product as `npm run build` bundled it (dist/bundle, scripts/build-server.mjs) and,
// where installed, the instruments (dist/tools, compiled by tsc).
import { existsSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
const serverMain = new URL('bundle/main.js', dist);
if (!existsSync(serverMain)) {
  process.stderr.write('edgeline is not built: run `npm run build` (npm ci and npm start do it for you)\n');
  process.exit(1);
}
const toolsMain = new URL('tools/main.js', dist);
const { main } = await import(serverMain.href);
// The product never imports the tools; it is handed a way to find them, absent from a production install.
process.exitCode = await main(process.argv.slice(2), existsSync(toolsMain) ? () => import(toolsMain.href) : undefined);
