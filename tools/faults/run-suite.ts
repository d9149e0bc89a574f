// Runs the selected faults one after another, each on a fresh stack, and collects their results.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passes, timelineOf, type FaultName, type FaultResult } from './fault-result.ts';
import type { Fault, FaultOutcome } from './fault-kit.ts';
import { prepareMedia } from './media.ts';
import { edgeLoss } from './scenarios/edge-loss.ts';
import { liveFfmpegKill } from './scenarios/live-ffmpeg-kill.ts';
import { memoryBound } from './scenarios/memory-bound.ts';
import { originFreeze } from './scenarios/origin-freeze.ts';
import { originLoss } from './scenarios/origin-loss.ts';
import { packageKill } from './scenarios/package-kill.ts';
import { redisLoss } from './scenarios/redis-loss.ts';
import { slowloris } from './scenarios/slowloris.ts';
import { Stack } from './stack.ts';

export const FAULTS: readonly Fault[] = [redisLoss, originLoss, originFreeze, edgeLoss, liveFfmpegKill, slowloris, memoryBound, packageKill];

export interface SuiteOptions {
  readonly repoRoot: string;
  readonly quick: boolean;
  readonly only: readonly FaultName[];
  /** The run's folder: role logs go to <outDir>/logs/<fault>/. */
  readonly outDir: string;
  readonly say: (msg: string) => void;
  readonly signal: AbortSignal;
}

export function viewersFor(quick: boolean): number {
  return quick ? 10 : 30;
}

function errorResult(fault: Fault, err: unknown): FaultResult {
  return {
    name: fault.name,
    title: fault.title,
    rule: fault.rule,
    pass: false,
    viewers: null,
    recoveryMs: null,
    recoveryLabel: null,
    figures: {},
    checks: [],
    timeline: [],
    error: err instanceof Error ? err.message : String(err),
  };
}

/** A fault cut short by Ctrl-C is reported as interrupted, not judged on what its killed stack answered. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('interrupted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('interrupted (SIGINT/SIGTERM): the stack was stopped mid-fault'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function runFault(fault: Fault, o: SuiteOptions, mediaDir: string): Promise<FaultResult> {
  const say = (msg: string): void => o.say(`${fault.name}: ${msg}`);
  let stack: Stack | undefined;
  try {
    const logDir = join(o.outDir, 'logs', fault.name);
    let out: FaultOutcome;
    if (fault.stack === 'none') {
      mkdirSync(logDir, { recursive: true });
      out = await untilAborted(fault.run({ repoRoot: o.repoRoot, mediaDir, logDir, quick: o.quick, say }), o.signal);
    } else {
      say(fault.stack === 'live' ? 'starting Redis, origin with a live channel, 2 edges, router' : 'starting Redis, origin, 2 edges, router');
      const startedAt = performance.now();
      stack = await Stack.start({ repoRoot: o.repoRoot, mediaDir, logDir, live: fault.stack === 'live', edgeMemoryMb: fault.edgeMemoryMb });
      say(`stack up in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
      out = await untilAborted(fault.run({ stack, quick: o.quick, viewers: viewersFor(o.quick), say }), o.signal);
    }
    const error = null;
    return {
      name: fault.name,
      title: fault.title,
      rule: fault.rule,
      pass: passes(out.checks, error),
      viewers: out.viewers,
      recoveryMs: out.recoveryMs,
      recoveryLabel: out.recoveryLabel,
      figures: out.figures,
      checks: out.checks,
      timeline: timelineOf(out.events, out.faultAtMs),
      error,
    };
  } catch (err) {
    say(`could not run: ${err instanceof Error ? err.message : String(err)}`);
    return errorResult(fault, err);
  } finally {
    await stack?.stop();
  }
}

export async function runSuite(o: SuiteOptions): Promise<FaultResult[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'edgeline-faults-'));
  const mediaDir = join(tmp, 'media');
  mkdirSync(mediaDir, { recursive: true });
  const results: FaultResult[] = [];
  try {
    o.say('packaging the 20 s clip (clip, probe)');
    await prepareMedia(mediaDir);
    for (const fault of FAULTS.filter((f) => o.only.includes(f.name))) {
      if (o.signal.aborted) break;
      const r = await runFault(fault, o, mediaDir);
      o.say(`${fault.name}: ${r.pass ? 'pass' : 'FAIL'}`);
      results.push(r);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}
