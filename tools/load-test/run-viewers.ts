// `--mode viewers`: ramp up simulated players, sample the run every second, stop on time, and build the report.
import { performance } from 'node:perf_hooks';
import { LoadClient } from './load-client.ts';
import { LoadStats } from './load-stats.ts';
import type { LoadTestOptions } from './options.ts';
import { OriginCounterWatch } from './origin-metrics.ts';
import type { Progress } from './progress.ts';
import { buildReport, timelinePoint, viewerTotals, type LoadTestReport, type TimelinePoint } from './report.ts';
import { RunWindow } from './run-window.ts';
import { Viewer } from './viewer.ts';

const SAMPLE_MS = 1_000;

interface Running {
  readonly viewer: Viewer;
  done: boolean;
}

export async function runViewers(opts: LoadTestOptions, progress: Progress, external?: AbortSignal): Promise<LoadTestReport> {
  const originWatch = opts.origin ? await OriginCounterWatch.start(opts.origin, opts.timeout) : undefined;
  const stats = new LoadStats();
  const win = new RunWindow(opts.duration, opts.grace, external);
  const client = new LoadClient(stats, { timeoutMs: opts.timeout, allowRemote: opts.allowRemote, hardStop: win.hardStopSignal });
  const running: Running[] = [];
  const runs: Promise<void>[] = [];
  const timeline: TimelinePoint[] = [];
  const startupS = opts.startupBuffer / 1000;
  const buffer = { startupThresholdS: startupS, resumeThresholdS: startupS, maxBufferS: opts.maxBuffer / 1000 };

  let stallsSoFar = 0;
  let lastSampleS = 0;
  let eluMark = performance.eventLoopUtilization();
  const sample = (): void => {
    const nowS = win.measuredS();
    // A sliver of an interval at the stop would chart as a spike or a dip; its requests still count in the totals.
    if (nowS - lastSampleS < 0.25) return;
    let active = 0;
    let stalled = 0;
    let stalls = 0;
    for (const r of running) {
      const snap = r.viewer.buffer.snapshot();
      if (!r.done) active += 1;
      if (!r.done && snap.state === 'stalled') stalled += 1;
      stalls += snap.stallCount;
    }
    const elu = performance.eventLoopUtilization(eluMark);
    eluMark = performance.eventLoopUtilization();
    const point = timelinePoint(nowS, nowS - lastSampleS, stats.takeInterval(), { active, stalled, newStalls: stalls - stallsSoFar }, elu.utilization);
    timeline.push(point);
    stallsSoFar = stalls;
    lastSampleS = nowS;
    progress.update({
      elapsedS: nowS,
      totalS: opts.duration / 1000,
      activeViewers: active,
      requestsPerS: point.requestsPerS,
      gbitPerS: point.gbitPerS,
      hitRatio: point.hitRatio,
      stalls,
      errors: stats.errorCount(),
    });
  };
  const sampler = setInterval(sample, SAMPLE_MS);

  try {
    // Viewers join evenly over the ramp: viewer i at i × ramp ÷ viewers.
    const spacingMs = opts.viewers > 1 ? opts.ramp / opts.viewers : 0;
    for (let i = 0; i < opts.viewers && !win.isStopping(); i++) {
      const waitMs = i * spacingMs - win.elapsedMs();
      if (waitMs > 0) await win.sleep(waitMs);
      if (win.isStopping()) break;
      const viewer = new Viewer(
        { targetUrl: opts.target, rendition: opts.rendition, buffer },
        {
          get: (url, kind, keepBody) => client.get(url, kind, keepBody),
          clock: () => performance.now(),
          sleep: (ms) => win.sleep(ms),
          isStopping: () => win.isStopping(),
          random: Math.random,
        },
      );
      const entry: Running = { viewer, done: false };
      running.push(entry);
      runs.push(viewer.run().finally(() => {
        entry.done = true;
      }));
    }
    await win.whenStopped();
  } finally {
    clearInterval(sampler);
    win.stop();
  }
  sample();
  // Playback numbers freeze at the stop; requests in flight still finish (or are cut) during the grace period.
  const snapshots = running.map((r) => r.viewer.snapshot());
  const durationS = win.measuredS();
  await win.drain(Promise.allSettled(runs));
  await client.close();
  progress.finish();

  const origin = originWatch ? await originWatch.finish(stats.responses, (m) => progress.note(m)) : null;
  return buildReport({
    mode: 'viewers',
    options: opts,
    startedAt: win.startedAt,
    finishedAt: new Date(),
    durationS,
    stats,
    timeline,
    viewers: viewerTotals(snapshots),
    origin,
    max: null,
    toolLoad: win.toolLoad(),
  });
}
