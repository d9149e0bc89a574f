// Runs one load test in the chosen mode (or one run per arm with --arms), writes report.json and report.html.
import { ConfigError } from '../../server/core/errors.ts';
import { runArms, type LoadTestArmsReport } from './arms.ts';
import { writeArmsReport } from './arms-report.ts';
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

export interface LoadTestArmsResult {
  readonly report: LoadTestArmsReport;
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

/** --arms: the stack is the tool's own (origin, WAN proxy, an edge per arm), so --target gives only the path. */
export async function runLoadTestArms(opts: LoadTestOptions, progress: Progress, stop?: AbortSignal): Promise<LoadTestArmsResult> {
  const problems: string[] = [];
  if (opts.arms.length === 0) problems.push('--arms: name at least one arm');
  if (new Set(opts.arms).size !== opts.arms.length) problems.push(`--arms: each arm once, got ${opts.arms.join(',')}`);
  if (opts.mode !== 'viewers') problems.push('--arms runs simulated viewers: not with --mode max');
  if (opts.origin) problems.push('--arms starts its own origin: not with --origin');
  if (problems.length > 0) throw new ConfigError(problems);
  const outDir = opts.out ?? defaultOutDir(new Date());
  const report = await runArms(opts, outDir, progress, stop);
  const files = await writeArmsReport(outDir, report);
  return { report, files };
}
