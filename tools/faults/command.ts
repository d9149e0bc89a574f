// `edgeline faults` (npm run faults): faults injected into a real loopback stack under a bounded load; JSON + HTML report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../server/core/package-root.ts';
import { abortOnStopSignal } from '../../server/core/process/signals.ts';
import { runCommand, stopAll } from '../bench/processes.ts';
import { renderHtmlReport } from '../report/html-report.ts';
import { FAULT_NAMES, type FaultName } from './fault-result.ts';
import { buildFaultReport, faultReportDocument, renderSummaryMarkdown, renderSummaryText } from './fault-report.ts';
import { runSuite, viewersFor } from './run-suite.ts';

const USAGE = `usage: edgeline faults [--quick] [--only ${FAULT_NAMES.join(',')}] [--out DIR]

  --quick      10 viewers and shorter holds before and after each fault (30 viewers otherwise)
  --only LIST  faults to run (repeatable or comma-separated; default all)
  --out DIR    where the run's folder goes (default faults/results); it gets report.json, report.html,
               summary.md and the roles' logs

Each fault gets a fresh stack on 127.0.0.1 (a private redis-server, the origin, two edges, the router), started
from dist/ through bin/edgeline.js (run \`npm run build\` first). Exit code 0 when every fault passes, 1 otherwise.`;

interface Flags {
  readonly quick: boolean;
  readonly only: readonly FaultName[];
  readonly out: string;
}

export function parseFaultFlags(argv: readonly string[], repoRoot: string): Flags | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(FAULT_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--only: expected faults among ${FAULT_NAMES.join(', ')}, got "${unknown.join(', ')}"`);
  return {
    quick: values.quick,
    only: only.length > 0 ? (only as FaultName[]) : [...FAULT_NAMES],
    out: resolve(values.out ?? join(repoRoot, 'faults', 'results')),
  };
}

async function gitDescribe(repoRoot: string): Promise<string | null> {
  const head = await runCommand('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], 5_000);
  if (head.code !== 0) return null;
  const dirty = await runCommand('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], 5_000);
  return `${head.output.trim()}${dirty.output.trim() ? ' + uncommitted changes' : ''}`;
}

export async function run(argv: string[]): Promise<number> {
  const repoRoot = PACKAGE_ROOT;
  let flags: Flags | undefined;
  try {
    flags = parseFaultFlags(argv, repoRoot);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!flags) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const t0 = Date.now();
  const say = (msg: string): void => {
    const s = Math.round((Date.now() - t0) / 1000);
    process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}\n`);
  };
  const startedAt = new Date();
  const runDir = join(flags.out, startedAt.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-'));
  mkdirSync(runDir, { recursive: true });
  // Ctrl-C: the roles are stopped by their ids (nothing else), and the report of what ran is still written.
  const stop = abortOnStopSignal({ onSignal: () => void stopAll() });
  try {
    const results = await runSuite({ repoRoot, quick: flags.quick, only: flags.only, outDir: runDir, say, signal: stop.signal });
    const report = buildFaultReport({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), quick: flags.quick, viewersPerFault: viewersFor(flags.quick), git: await gitDescribe(repoRoot), results });
    writeFileSync(join(runDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(runDir, 'report.html'), renderHtmlReport(faultReportDocument(report)));
    writeFileSync(join(runDir, 'summary.md'), `${renderSummaryMarkdown(report)}\n`);
    process.stdout.write(`${renderSummaryText(report)}\n  report  ${join(runDir, 'report.html')}\n          ${join(runDir, 'report.json')}\n`);
    say(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
    if (stop.exitCode !== undefined) {
      // The interrupted fault's viewers and timers are still winding down; the roles are stopped, the report written.
      await stopAll();
      process.exit(stop.exitCode);
    }
    return report.pass ? 0 : 1;
  } finally {
    await stopAll();
    stop.dispose();
  }
}
