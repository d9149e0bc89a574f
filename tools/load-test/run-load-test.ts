// Runs one load test in the chosen mode, writes report.json and report.html, and returns the report.
import { assertLocalTarget } from './target-guard.ts';
import { runMaxMode } from './max-mode.ts';
import type { LoadTestOptions } from './options.ts';
import type { Progress } from './progress.ts';
import type { LoadTestReport } from './report.ts';
import { runViewers } from './run-viewers.ts';
import { defaultOutDir, writeReport } from './write-report.ts';

export interface LoadTestResult {
  readonly report: LoadTestReport;
  readonly files: { readonly json: string; readonly html: string };
}

export async function runLoadTest(opts: LoadTestOptions, progress: Progress, stop?: AbortSignal): Promise<LoadTestResult> {
  assertLocalTarget(opts.target, opts.allowRemote);
  if (opts.origin) assertLocalTarget(opts.origin, opts.allowRemote, '--origin');
  const outDir = opts.out ?? defaultOutDir(new Date());
  const report = opts.mode === 'max' ? await runMaxMode(opts, progress, stop) : await runViewers(opts, progress, stop);
  const files = await writeReport(outDir, report);
  return { report, files };
}
