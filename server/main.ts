// The `edgeline` CLI: one command per role or tool; each lives in its own module, loaded only when asked for.
import { ConfigError, isAppError } from './core/errors.ts';
import { rootLogger } from './core/log.ts';

/** Every command module exports `run(argv)` and resolves to an exit code. */
export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { load: () => Promise<{ run: Command }>; summary: string }> = {
  up: { load: () => import('./cli/up.ts'), summary: 'the whole CDN on one machine (origin, edges, router)' },
  origin: { load: () => import('./cli/origin.ts'), summary: 'serve packaged VOD, live channels and the upload API' },
  edge: { load: () => import('./cli/edge.ts'), summary: 'an edge cache node in front of an origin' },
  router: { load: () => import('./cli/router.ts'), summary: 'send each viewer to a healthy edge' },
  package: { load: () => import('./cli/package.ts'), summary: 'package a video file into adaptive HLS' },
  sample: { load: () => import('./cli/sample.ts'), summary: 'generate and package the 60 s sample asset' },
  loadtest: { load: () => import('./cli/load-test.ts'), summary: 'simulated viewers against an edge' },
  compare: { load: () => import('./cli/compare.ts'), summary: 'direct vs cached playback in a real browser' },
  sign: { load: () => import('./cli/sign.ts'), summary: 'make a CloudFront-style signed URL or cookies' },
  invalidate: { load: () => import('./cli/invalidate.ts'), summary: 'purge paths from every edge' },
};

function usage(): string {
  const lines = ['usage: edgeline <command> [options]   (edgeline <command> --help for its options)', ''];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)}${c.summary}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`edgeline: unknown command "${name}"\n\n${usage()}\n`);
    return 1;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (isAppError(err)) {
      process.stderr.write(`edgeline ${name}: ${err.message}\n`);
      return 1;
    }
    rootLogger.error({ err }, `edgeline ${name} failed`);
    return 1;
  }
}
