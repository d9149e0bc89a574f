// Realistic viewers (issue 7): `edgeline loadtest` players on a packaged asset, through the edge and against the
// node:http baseline, reduced to the figures the benchmark table compares.
import { join } from 'node:path';
import { defaultsOf } from '../../server/core/config.ts';
import { loadTestSpec } from '../load-test/options.ts';
import { Progress } from '../load-test/progress.ts';
import { runLoadTest } from '../load-test/run-load-test.ts';
import type { ViewerResult, Server } from './results-table.ts';

export interface ViewerRunOptions {
  readonly server: Server;
  readonly target: string;
  readonly originUrl: string | undefined;
  readonly viewers: number;
  readonly durationS: number;
  readonly rampS: number;
  readonly scratch: string;
}

export async function runViewerLoad(o: ViewerRunOptions): Promise<ViewerResult> {
  const opts = defaultsOf(loadTestSpec, {
    target: o.target,
    viewers: o.viewers,
    duration: o.durationS * 1000,
    ramp: o.rampS * 1000,
    origin: o.originUrl,
    out: join(o.scratch, `viewers-${o.server}`),
    progress: true,
  });
  const progress = new Progress({ isTTY: process.stderr.isTTY === true, write: (s) => process.stderr.write(s) }, true);
  const { report } = await runLoadTest(opts, progress);
  const v = report.viewers;
  const seg = report.latencyMs.byKind['segment'];
  const pl = report.latencyMs.byKind['playlist'];
  return {
    server: o.server,
    target: o.target,
    viewers: o.viewers,
    durationS: report.durationS,
    requests: report.totals.requests,
    requestsPerS: report.totals.requestsPerS,
    gbitPerS: report.totals.gbitPerS,
    errors: report.totals.errorCount,
    requestHitRatio: report.cache.requestHitRatio,
    byteHitRatio: report.cache.byteHitRatio,
    originRequests: report.origin?.requests ?? null,
    originOffload: report.origin?.offload ?? null,
    startupP50Ms: v?.startupMs.p50 ?? Number.NaN,
    segmentP50Ms: seg?.p50 ?? Number.NaN,
    segmentP99Ms: seg?.p99 ?? Number.NaN,
    playlistP50Ms: pl?.p50 ?? Number.NaN,
    stalls: v?.stalls ?? 0,
    rebufferingRatio: v?.rebufferingRatio ?? null,
    neverStarted: v?.neverStarted ?? 0,
  };
}
