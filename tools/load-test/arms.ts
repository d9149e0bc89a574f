// `--arms prefetch,no-prefetch`: the same viewers against a cold edge per arm, all in front of one far origin.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { deleteKeysWithPrefix, freePort, redisAnswers } from '../../server/cli/local-probes.ts';
import { ensureSample, isSamplePlaylistPath } from '../../server/cli/sample.ts';
import { resolveFfmpegPaths } from '../../server/origin/ffmpeg/paths.ts';
import { assetUrls } from '../compare/asset-playlists.ts';
import { ChildGroup, childEnv, edgeArgs, originArgs, wanArgs } from '../compare/own-stack.ts';
import { counterValue } from '../faults/fault-kit.ts';
import type { ArmChoice, LoadTestOptions } from './options.ts';
import type { Progress } from './progress.ts';
import type { LoadTestReport } from './report.ts';
import { runViewers } from './run-viewers.ts';

export interface ArmEdge {
  readonly url: string;
  readonly prefetchSegments: number;
  readonly memoryMb: number;
  /** Its private Redis key prefix (deleted afterwards); null without Redis. */
  readonly redisPrefix: string | null;
}

/** The arm's edge's own counters (its /metrics at the end of the arm: the edge started at zero). */
export interface ArmEdgeCounters {
  readonly prefetched: number;
  readonly prefetchHits: number;
  readonly originFetches: number;
}

/** The figures the arms are compared on. */
export interface ArmSummary {
  readonly viewers: number;
  readonly stalls: number;
  readonly viewersWithStalls: number;
  readonly stallS: number;
  readonly rebufferingRatio: number | null;
  readonly startupMs: { readonly p50: number; readonly p99: number };
  /** Request to response headers, segments (and init segments) only. */
  readonly segmentTtfbMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly count: number };
  /** Request to last byte, segments only. */
  readonly segmentMs: { readonly p50: number; readonly p99: number };
  readonly errors: number;
  readonly requestHitRatio: number | null;
  readonly originRequests: number | null;
}

export interface ArmResult {
  readonly name: ArmChoice;
  readonly edge: ArmEdge;
  readonly edgeCounters: ArmEdgeCounters;
  readonly summary: ArmSummary;
  readonly report: LoadTestReport;
}

export interface LoadTestArmsReport {
  readonly tool: 'edgeline loadtest';
  readonly reportVersion: 1;
  readonly mode: 'arms';
  /** Path (and query) every arm's viewers start from, on their own edge. */
  readonly src: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly conditions: {
    readonly viewers: number;
    readonly rampMs: number;
    readonly durationMs: number;
    readonly rendition: string;
    readonly wan: { readonly rttMs: number; readonly bandwidthMbps: number; readonly jitterMs: number; readonly description: string };
    readonly origin: string;
    readonly edges: string;
    readonly redis: string;
    readonly machine: { readonly cores: number; readonly loadAverage: { readonly start: number; readonly end: number } };
  };
  readonly arms: readonly ArmResult[];
  readonly notes: readonly string[];
}

/** `http://127.0.0.1:8081/vod/sample/master.m3u8?x` → `/vod/sample/master.m3u8?x`: each arm asks its own edge for it. */
export function srcPathOf(target: string): string {
  const u = new URL(target);
  return `${u.pathname}${u.search}`;
}

/** The prefetch arm's edge fetches k segments ahead; the other's does not (0 turns the prefetcher off). */
export function armPrefetchSegments(arm: ArmChoice, k: number): number {
  return arm === 'prefetch' ? k : 0;
}

const loadNow = (): number => Math.round((os.loadavg()[0] ?? 0) * 100) / 100;

export function summarizeArm(r: LoadTestReport): ArmSummary {
  const v = r.viewers;
  const ttfb = r.latencyMs.ttfbByKind['segment'];
  const seg = r.latencyMs.byKind['segment'];
  return {
    viewers: v?.started ?? 0,
    stalls: v?.stalls ?? 0,
    viewersWithStalls: v?.viewersWithStalls ?? 0,
    stallS: v?.stallS ?? 0,
    rebufferingRatio: v?.rebufferingRatio ?? null,
    startupMs: { p50: v?.startupMs.p50 ?? 0, p99: v?.startupMs.p99 ?? 0 },
    segmentTtfbMs: { p50: ttfb?.p50 ?? 0, p90: ttfb?.p90 ?? 0, p99: ttfb?.p99 ?? 0, count: ttfb?.count ?? 0 },
    segmentMs: { p50: seg?.p50 ?? 0, p99: seg?.p99 ?? 0 },
    errors: r.totals.errorCount,
    requestHitRatio: r.cache.requestHitRatio,
    originRequests: r.origin?.requests ?? null,
  };
}

/**
 * Every playlist and the first segment of each rendition, once, through the WAN proxy: the origin and the proxy run
 * their first requests (module loading, JIT, file reads) before any arm, so the first arm does not pay for them alone.
 * Before the arms, so the origin requests counted for each arm are its own.
 */
async function warmFarOrigin(masterUrl: string): Promise<void> {
  for (const url of await assetUrls(masterUrl, 0.001)) {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`warming the origin: GET ${url} answered ${res.status} (is the asset packaged? see --media and --target)`);
  }
}

async function edgeCounters(edgeUrl: string): Promise<ArmEdgeCounters> {
  const res = await fetch(`${edgeUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`edge ${edgeUrl}/metrics answered ${res.status}`);
  return {
    prefetched: counterValue(text, 'hls_edge_prefetched_total', ''),
    prefetchHits: counterValue(text, 'hls_edge_prefetch_hits_total', ''),
    originFetches: counterValue(text, 'hls_edge_origin_fetches_total', ''),
  };
}

/**
 * Starts an origin (serving --media) behind a WAN proxy once, then per arm, in the order given: a fresh edge in front
 * of the proxy (private Redis prefix, prefetch on or off), the viewers against it, its counters, and its end. The
 * arms run one after another, so they do not share the CPU or the WAN proxy with each other.
 */
export async function runArms(opts: LoadTestOptions, outDir: string, progress: Progress, stop?: AbortSignal): Promise<LoadTestArmsReport> {
  const startedAt = new Date();
  const loadAtStart = loadNow();
  const src = srcPathOf(opts.target);
  const mediaDir = resolve(opts.media);
  const logDir = join(outDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const notes: string[] = [];
  if (isSamplePlaylistPath(src)) {
    const packaged = await ensureSample({ mediaDir, ffmpeg: resolveFfmpegPaths(process.env), onProgress: (p) => progress.note(`packaging the sample: ${p.stage} ${p.percent}%`), ...(stop ? { signal: stop } : {}) });
    if (packaged.packaged) notes.push(`the sample was packaged into ${mediaDir} first (${Math.round(packaged.elapsedMs / 1000)} s)`);
  }
  const redisWanted = opts.redis.trim() === '' || opts.redis.trim() === 'none' ? undefined : opts.redis.trim();
  const redisUrl = redisWanted !== undefined && (await redisAnswers(redisWanted)) ? redisWanted : undefined;
  if (redisWanted !== undefined && redisUrl === undefined) notes.push(`Redis at ${redisWanted} did not answer: the edges ran on their memory tier alone`);
  if (redisUrl === undefined && opts.edgeMemoryMb === 0) throw new Error('--edge-memory-mb 0 needs Redis (--redis): an edge with neither tier caches nothing');

  const env = childEnv(process.env);
  const adminToken = randomBytes(18).toString('hex');
  const [originPort, wanPort] = [await freePort(), await freePort()];
  const originUrl = `http://127.0.0.1:${originPort}`;
  const farOriginUrl = `http://127.0.0.1:${wanPort}`;
  const wan = { rttMs: opts.wanRttMs, bandwidthMbps: opts.wanBandwidthMbps, jitterMs: opts.wanJitterMs };
  const far = new ChildGroup({ logDir, startTimeoutMs: opts.startTimeout, signal: stop });
  const arms: ArmResult[] = [];
  try {
    progress.note(`starting an origin for ${mediaDir} and a WAN proxy in front of it (${wan.rttMs} ms, ${wan.bandwidthMbps} Mbit/s)…`);
    await far.start('origin', originArgs(originPort, mediaDir), { ...env, ORIGIN_API_TOKEN: adminToken }, originUrl);
    await far.start('wan', wanArgs(wanPort, originUrl, wan), env, farOriginUrl);
    await warmFarOrigin(`${farOriginUrl}${src}`);
    for (const name of opts.arms as readonly ArmChoice[]) {
      if (stop?.aborted) break;
      arms.push(await runArm(name));
    }
  } finally {
    await far.stop();
  }
  if (arms.some((a) => a.report.toolLoad && a.report.toolLoad.eventLoopUtilization > 0.9)) notes.push('the load tool was saturated in at least one arm: its numbers may describe the tool');

  async function runArm(name: ArmChoice): Promise<ArmResult> {
    const edgePort = await freePort();
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const prefetchSegments = armPrefetchSegments(name, opts.prefetchSegments);
    // Fresh per arm: nothing one arm's edge stored is found by the next.
    const redisPrefix = `edgeline-loadtest-${name}-${randomBytes(4).toString('hex')}:`;
    const args = [
      ...edgeArgs({ port: edgePort, originUrl: farOriginUrl, id: `loadtest-${name}`, workers: 1, adminToken, redisUrl, redisPrefix }),
      '--prefetch-segments', String(prefetchSegments), '--memory-mb', String(opts.edgeMemoryMb),
    ];
    const edge = new ChildGroup({ logDir, startTimeoutMs: opts.startTimeout, signal: stop });
    try {
      progress.note(`arm ${name}: a cold edge at ${edgeUrl} (prefetch ${prefetchSegments} segments, memory tier ${opts.edgeMemoryMb} MiB${redisUrl ? `, Redis prefix ${redisPrefix}` : ''})`);
      await edge.start(`edge-${name}`, args, env, edgeUrl);
      progress.restart();
      const report = await runViewers({ ...opts, target: `${edgeUrl}${src}`, origin: originUrl }, progress, stop);
      const counters = await edgeCounters(edgeUrl);
      return {
        name,
        edge: { url: edgeUrl, prefetchSegments, memoryMb: opts.edgeMemoryMb, redisPrefix: redisUrl ? redisPrefix : null },
        edgeCounters: counters,
        summary: summarizeArm(report),
        report,
      };
    } finally {
      await edge.stop();
      if (redisUrl) await deleteKeysWithPrefix(redisUrl, redisPrefix).catch(() => undefined);
    }
  }

  return {
    tool: 'edgeline loadtest',
    reportVersion: 1,
    mode: 'arms',
    src,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    conditions: {
      viewers: opts.viewers,
      rampMs: opts.ramp,
      durationMs: opts.duration,
      rendition: opts.rendition,
      wan: { ...wan, description: 'edgeline wan in front of the origin: each response waits 1 RTT (+ jitter) before its first byte, 2 RTT on a new connection; bodies are paced to the bandwidth per connection' },
      origin: `edgeline origin serving ${mediaDir}, started by the load test, reached by the edges through the WAN proxy`,
      edges: `one edgeline edge per arm (1 worker, memory tier ${opts.edgeMemoryMb} MiB), started cold just before its arm and stopped after it`,
      redis: redisUrl ? `${redisUrl.replace(/\/\/[^@/]*@/, '//')}, a private key prefix per arm, deleted afterwards` : 'none',
      machine: { cores: os.cpus().length, loadAverage: { start: loadAtStart, end: loadNow() } },
    },
    arms,
    notes,
  };
}
