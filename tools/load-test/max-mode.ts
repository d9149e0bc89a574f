// `--mode max`: resolve the URL set, drive it flat out over fixed connections until the stop, and build the report.
import { request } from 'undici';
import { BadRequestError, UpstreamError } from '../../server/core/errors.ts';
import { LoadStats } from './load-stats.ts';
import { createRunners, type MaxRunner } from './max-runner.ts';
import type { LoadTestOptions, RenditionChoice } from './options.ts';
import { OriginCounterWatch } from './origin-metrics.ts';
import { isMasterPlaylist, parseMasterPlaylist, parseMediaPlaylist, type Variant } from './playlist.ts';
import type { Progress } from './progress.ts';
import { buildReport, timelinePoint, type LoadTestReport, type TimelinePoint } from './report.ts';
import { RunWindow } from './run-window.ts';
import { mergeIntervals } from './stats-wire.ts';
import { assertLocalTarget } from './target-guard.ts';

const SAMPLE_MS = 1_000;

async function getText(url: string, timeoutMs: number, allowRemote: boolean): Promise<string> {
  assertLocalTarget(url, allowRemote, 'playlist URL');
  let status: number;
  let text: string;
  try {
    const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw new UpstreamError('LOADTEST_TARGET_UNREACHABLE', 502, `could not fetch ${url}: ${(err as Error).message}`, err);
  }
  if (status !== 200) throw new UpstreamError('LOADTEST_TARGET_STATUS', 502, `${url} answered ${status}, expected 200`);
  return text;
}

function pickVariant(variants: readonly Variant[], choice: RenditionChoice): Variant | undefined {
  // Peak throughput wants the biggest segments unless told otherwise, so auto means highest here.
  if (choice === 'lowest') return variants[0];
  if (choice === 'random') return variants[Math.floor(Math.random() * variants.length)];
  return variants.at(-1);
}

/** The URLs to hammer: the target alone, or the segments (and init segments) of one rendition of a playlist target. */
export async function resolveMaxUrls(opts: Pick<LoadTestOptions, 'target' | 'urls' | 'rendition' | 'timeout' | 'allowRemote'>): Promise<string[]> {
  assertLocalTarget(opts.target, opts.allowRemote);
  if (opts.urls === 'target' || !/\.m3u8(\?|$)/.test(new URL(opts.target).pathname)) return [opts.target];
  let url = opts.target;
  let text = await getText(url, opts.timeout, opts.allowRemote);
  if (isMasterPlaylist(text)) {
    const variant = pickVariant(parseMasterPlaylist(text, url), opts.rendition);
    if (!variant) throw new BadRequestError(`master playlist ${url} lists no variants`, 'LOADTEST_BAD_PLAYLIST');
    url = variant.url;
    text = await getText(url, opts.timeout, opts.allowRemote);
  }
  const media = parseMediaPlaylist(text, url);
  const urls = new Set<string>();
  for (const s of media.segments) {
    if (s.initUrl) urls.add(s.initUrl);
    urls.add(s.url);
  }
  if (urls.size === 0) throw new BadRequestError(`media playlist ${url} lists no segments`, 'LOADTEST_BAD_PLAYLIST');
  for (const u of urls) assertLocalTarget(u, opts.allowRemote, 'segment URL');
  return [...urls];
}

export async function runMaxMode(opts: LoadTestOptions, progress: Progress, external?: AbortSignal): Promise<LoadTestReport> {
  const urls = await resolveMaxUrls(opts);
  const originWatch = opts.origin ? await OriginCounterWatch.start(opts.origin, opts.timeout) : undefined;
  const runners = createRunners({ urls, connections: opts.connections, timeoutMs: opts.timeout }, opts.workers);
  try {
    // Worker threads boot (and compile) before the clock starts, so the window measures only load.
    await Promise.all(runners.map((r) => r.ready()));
    const { stats, timeline, win } = await drive(runners, opts, progress, external);
    const origin = originWatch ? await originWatch.finish(stats.responses, (m) => progress.note(m)) : null;
    return buildReport({
      mode: 'max',
      options: opts,
      startedAt: win.startedAt,
      finishedAt: new Date(),
      durationS: win.measuredS(),
      stats,
      timeline,
      viewers: null,
      origin,
      max: { urls: urls.length, firstUrl: urls[0] ?? opts.target, connections: opts.connections, workers: runners.length },
      toolLoad: win.toolLoad(),
    });
  } catch (err) {
    await Promise.allSettled(runners.map((r) => r.finish()));
    throw err;
  }
}

async function drive(runners: readonly MaxRunner[], opts: LoadTestOptions, progress: Progress, external?: AbortSignal): Promise<{ stats: LoadStats; timeline: TimelinePoint[]; win: RunWindow }> {
  const timeline: TimelinePoint[] = [];
  const win = new RunWindow(opts.duration, opts.grace, external);
  let errors = 0;
  let lastSampleS = 0;
  let sampling: Promise<void> | undefined;
  const sample = async (): Promise<void> => {
    const parts = await Promise.all(runners.map((r) => r.takeInterval()));
    const nowS = win.measuredS();
    const interval = mergeIntervals(parts);
    errors += interval.errors;
    // A sliver of an interval at the stop would chart as a spike or a dip; its requests still count in the totals.
    if (nowS - lastSampleS < 0.25) return;
    const point = timelinePoint(nowS, nowS - lastSampleS, interval, { active: 0, stalled: 0, newStalls: 0 });
    timeline.push(point);
    lastSampleS = nowS;
    progress.update({ elapsedS: nowS, totalS: opts.duration / 1000, activeViewers: undefined, requestsPerS: point.requestsPerS, gbitPerS: point.gbitPerS, hitRatio: point.hitRatio, stalls: undefined, errors });
  };
  const sampler = setInterval(() => {
    sampling ??= sample().finally(() => {
      sampling = undefined;
    });
  }, SAMPLE_MS);
  // At the end of the grace period, cut what is still in flight.
  win.hardStopSignal.addEventListener('abort', () => void Promise.all(runners.map((r) => r.abort())), { once: true });
  for (const r of runners) r.start();
  await win.whenStopped();
  clearInterval(sampler);
  await sampling;
  await sample();
  await win.drain(Promise.all(runners.map((r) => r.stop())));
  const stats = new LoadStats();
  for (const r of runners) stats.merge(await r.finish());
  progress.finish();
  return { stats, timeline, win };
}
