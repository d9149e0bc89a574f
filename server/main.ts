// The `edgeline` CLI: one command per role or one-shot job, each in its own module, loaded only when asked for.
import { ConfigError, isAppError } from './core/errors.ts';

/** Every command module exports `run(argv)` and resolves to an exit code. */
export type Command = (argv: string[]) => Promise<number>;

export interface CommandEntry {
  readonly load: () => Promise<{ run: Command }>;
  readonly summary: string;
}
export type CommandTable = Readonly<Record<string, CommandEntry>>;

/** The instruments' own table (tools/main.ts), handed in by bin/edgeline.js when they are installed. */
export type ToolsLoader = () => Promise<{ readonly TOOL_COMMANDS: CommandTable }>;

const COMMANDS: CommandTable = {
  up: { load: () => import('./cli/up.ts'), summary: 'the whole CDN on one machine (origin, edges, router)' },
  origin: { load: () => import('./cli/origin.ts'), summary: 'serve packaged VOD, live channels and the upload API' },
  edge: { load: () => import('./cli/edge.ts'), summary: 'an edge cache node in front of an origin' },
  router: { load: () => import('./cli/router.ts'), summary: 'send each viewer to a healthy edge' },
  package: { load: () => import('./cli/package.ts'), summary: 'package a video file into adaptive HLS' },
  sample: { load: () => import('./cli/sample.ts'), summary: 'generate and package the 60 s sample asset' },
  sign: { load: () => import('./cli/sign.ts'), summary: 'make a CloudFront-style signed URL or cookies' },
  invalidate: { load: () => import('./cli/invalidate.ts'), summary: 'purge paths from every edge' },
};

function usage(tools: CommandTable | undefined): string {
  const lines = ['usage: edgeline <command> [options]   (edgeline <command> --help for its options)', ''];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)}${c.summary}`);
  if (tools) {
    lines.push('', 'instruments (measure a running CDN):');
    for (const [name, c] of Object.entries(tools)) lines.push(`  ${name.padEnd(12)}${c.summary}`);
  } else {
    lines.push('', 'instruments (loadtest, compare, bench, …) are not installed here: run them from a full checkout (npm ci).');
  }
  return lines.join('\n');
}

/** The package an import could not find (a tool run from an install that omitted its libraries), if that is the error. */
function missingPackage(err: unknown): string | undefined {
  if (!(err instanceof Error) || (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  return /Cannot find package '([^']+)'/.exec(err.message)?.[1];
}

export async function main(argv: string[], loadTools?: ToolsLoader): Promise<number> {
  const [name, ...rest] = argv;
  const own = name === undefined ? undefined : COMMANDS[name];
  const tools = own ? undefined : (await loadTools?.())?.TOOL_COMMANDS;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage(tools)}\n`);
    return name ? 0 : 1;
  }
  const command = own ?? tools?.[name];
  if (!command) {
    process.stderr.write(`edgeline: unknown command "${name}"\n\n${usage(tools)}\n`);
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
    const missing = missingPackage(err);
    if (missing) {
      process.stderr.write(`edgeline ${name} needs the package "${missing}", which this install left out ` +
        '(the instruments\' libraries are optional dependencies: `npm install --include=optional`, or `npm ci` from a clone)\n');
      return 1;
    }
    const { rootLogger } = await import('./core/log.ts');
    rootLogger.error({ err }, `edgeline ${name} failed`);
    return 1;
  }
}
