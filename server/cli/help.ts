// Shared by command modules: print --help and stop.
import { helpText, type Fields } from '../core/config.ts';

/** True (after printing the help) when argv asks for help. */
export function wantsHelp(argv: readonly string[], usage: string, spec: Fields): boolean {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  process.stdout.write(`${helpText(usage, spec)}\n`);
  return true;
}
