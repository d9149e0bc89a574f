// `edgeline compare`: direct vs cached playback in headless Chromium; writes report.json and report.html, prints the summary.
import { loadConfig } from '../../server/core/config.ts';
import { AppError } from '../../server/core/errors.ts';
import { compareFields, resolveCompareSettings } from './compare-options.ts';
import { runCompare } from './run-compare.ts';
import { formatTerminalSummary } from './summary-text.ts';
import { wantsHelp } from '../../server/cli/help.ts';
import { abortOnStopSignal } from '../../server/core/process/signals.ts';

const USAGE =
  'edgeline compare [--sessions 5] [--seconds 30] [--wan-rtt-ms 150 --wan-bandwidth-mbps 20 --wan-jitter-ms 0] [--concurrent 4] [--out reports/compare-<time>] [--origin URL --edge URL] [--src /vod/sample/master.m3u8]';

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, USAGE, compareFields)) return 0;
  const { values } = loadConfig(compareFields, process.env, argv);
  const settings = resolveCompareSettings(values, new Date(), process.cwd());
  // Ctrl-C stops the sessions, then the browser and the servers this command started (runCompare's finally).
  const interrupt = abortOnStopSignal({ onSignal: () => process.stderr.write('\ninterrupted: stopping the browser and the servers…\n') });
  try {
    const outcome = await runCompare(settings, { env: process.env, stdout: process.stdout, signal: interrupt.signal });
    process.stdout.write(`\n${formatTerminalSummary(outcome.report)}\n\nreport: ${outcome.htmlPath}\n        ${outcome.jsonPath}\n`);
    return 0;
  } catch (err) {
    if (err instanceof AppError && err.code === 'COMPARE_ABORTED') return interrupt.exitCode ?? 130;
    throw err;
  } finally {
    interrupt.dispose();
  }
}
