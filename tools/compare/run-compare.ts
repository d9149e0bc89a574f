// Runs a comparison end to end: servers, three arms of browser sessions in waves, origin counts, report files.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { UpstreamError } from '../../server/core/errors.ts';
import { resolveFfmpegPaths } from '../../server/origin/ffmpeg/paths.ts';
import { createProgress, type ProgressReporter } from '../../server/cli/progress.ts';
import { ensureSample, isSamplePlaylistPath, SAMPLE_ID } from '../../server/cli/sample.ts';
import { describeAsset, type AssetDescription } from './asset-playlists.ts';
import { runArms } from './arm-runner.ts';
import { CompareBrowser } from './compare-browser.ts';
import type { CompareSettings } from './compare-options.ts';
import { buildCompareReport, type CompareReport, type Conditions } from './compare-report.ts';
import { purgePathOf } from './edge-cache.ts';
import { startFloorServer, type FloorServer } from './floor-server.ts';
import { startOwnStack, type OwnStack } from './own-stack.ts';
import { renderCompareHtml } from './report-page.ts';
import { WAN_INFO_PATH } from '../wan/wan-proxy.ts';

export interface CompareDeps {
  readonly env: Record<string, string | undefined>;
  /** Progress lines and notes (the summary is the caller's to print). */
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

export interface CompareOutcome {
  readonly report: CompareReport;
  readonly jsonPath: string;
  readonly htmlPath: string;
}


/** What the WAN proxy in front of the origin says it emulates (its /_wan), undefined when it cannot be read. */
async function wanOf(url: string): Promise<unknown> {
  try {
    const res = await fetch(`${url}${WAN_INFO_PATH}`, { signal: AbortSignal.timeout(5_000) });
    const body: unknown = await res.json();
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['wan'] : undefined;
  } catch {
    return undefined;
  }
}

async function requirePlaylist(serverUrl: string, srcPath: string, who: string): Promise<void> {
  let status: number;
  try {
    const res = await fetch(`${serverUrl}${srcPath}`, { signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    status = res.status;
  } catch (err) {
    throw new UpstreamError('COMPARE_SRC_UNREACHABLE', 502, `${who} ${serverUrl} did not answer GET ${srcPath}: ${(err as Error).message}`, err);
  }
  if (status !== 200) throw new UpstreamError('COMPARE_SRC_MISSING', 502, `${who} ${serverUrl} answered ${status} to GET ${srcPath} (is the asset packaged? see --src)`);
}

async function requirePlayer(serverUrl: string, who: string): Promise<void> {
  const res = await fetch(`${serverUrl}/player/`, { signal: AbortSignal.timeout(60_000) }).catch(() => undefined);
  await res?.arrayBuffer().catch(() => undefined);
  if (!res?.ok) throw new UpstreamError('COMPARE_NO_PLAYER', 502, `${who} ${serverUrl} does not serve the player page at /player/ (status ${res?.status ?? 'none'})`);
}

function machine(chromium: string, loadAtStart: number): Conditions['machine'] {
  const cpus = os.cpus();
  return {
    loadAverage: { start: loadAtStart, end: Math.round((os.loadavg()[0] ?? 0) * 100) / 100 },
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    chromium,
  };
}

/** A running origin's own account of its WAN emulation (its /healthz `wan`), in the report's terms; unknowns stay null. */
export function reportedWan(wan: unknown): { rttMs: number | null; bandwidthMbps: number | null; jitterMs: number | null } {
  const w = typeof wan === 'object' && wan !== null ? (wan as Record<string, unknown>) : {};
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (w['enabled'] === false) return { rttMs: 0, bandwidthMbps: 0, jitterMs: 0 };
  if (w['enabled'] !== true) return { rttMs: null, bandwidthMbps: null, jitterMs: null };
  // The shaper reports unlimited bandwidth as null; the report's convention for it is 0.
  return { rttMs: num(w['rttMs']), bandwidthMbps: num(w['bandwidthMbps']) ?? 0, jitterMs: num(w['jitterMs']) ?? 0 };
}

interface Plan {
  readonly originUrl: string;
  readonly edgeUrl: string;
  readonly viewerEdgeUrl: string;
  /** The own stack's second edge, prefetch off (a running edge has none: that arm is skipped). */
  readonly noPrefetch: { readonly edgeUrl: string; readonly viewerEdgeUrl: string } | undefined;
  readonly adminToken: string | undefined;
}

/** `/vod/clip/master.m3u8?x` → {mediaDir}/hls/clip/master.m3u8, the file a static server would send; undefined for other paths. */
export function floorFileOf(mediaDir: string, srcPath: string): string | undefined {
  const path = srcPath.split('?')[0] ?? '';
  const m = /^\/vod\/([A-Za-z0-9/._-]+)$/.exec(path);
  if (!m?.[1] || m[1].split('/').includes('..')) return undefined;
  return join(mediaDir, 'hls', m[1]);
}

export async function runCompare(s: CompareSettings, deps: CompareDeps): Promise<CompareOutcome> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const loadAtStart = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
  const say = (line: string): void => void deps.stdout.write(`${line}\n`);
  const signal = deps.signal;
  const notes: string[] = [];
  await mkdir(join(s.outDir, 'logs'), { recursive: true });

  let stack: OwnStack | undefined;
  let floor: FloorServer | undefined;
  let browser: CompareBrowser | undefined;
  let progress: ProgressReporter | undefined;
  try {
    let plan: Plan;
    if (s.target.kind === 'own') {
      if (isSamplePlaylistPath(s.srcPath) && !existsSync(join(s.target.mediaDir, 'hls', SAMPLE_ID, 'master.m3u8'))) {
        const packaging = createProgress('packaging the sample', { stream: deps.stdout });
        try {
          await ensureSample({ mediaDir: s.target.mediaDir, ffmpeg: resolveFfmpegPaths(deps.env), onProgress: (p) => packaging.update(p.percent, p.etaSeconds, p.stage), ...(signal ? { signal } : {}) });
        } finally {
          packaging.stop();
        }
      }
      say('starting an origin, a WAN proxy in front of it, and an edge…');
      stack = await startOwnStack({
        mediaDir: s.target.mediaDir,
        wan: s.wan,
        lastMile: s.lastMile,
        redisUrl: s.target.redisUrl,
        edgeWorkers: s.target.edgeWorkers,
        logDir: join(s.outDir, 'logs'),
        startTimeoutMs: s.startTimeoutMs,
        env: deps.env,
        ...(signal ? { signal } : {}),
      });
      plan = { originUrl: stack.originUrl, edgeUrl: stack.edgeUrl, viewerEdgeUrl: stack.viewerEdgeUrl, noPrefetch: stack.noPrefetch, adminToken: stack.adminToken };
      say(`origin ${stack.originUrl} · edge ${stack.edgeUrl} (${stack.edgeTier}) · logs in ${join(s.outDir, 'logs')}`);
    } else {
      plan = { originUrl: s.target.originUrl, edgeUrl: s.target.edgeUrl, viewerEdgeUrl: s.target.edgeUrl, noPrefetch: undefined, adminToken: s.adminToken };
      notes.push('a running edge: the edge-cold-no-prefetch arm needs a second edge with prefetch off, which only the own stack starts');
      if (!plan.adminToken) notes.push('no --admin-token for the edge: the asset was not purged, so the "cold" arm may have found it cached already');
    }

    if (s.floorMediaDir !== undefined) {
      const file = floorFileOf(s.floorMediaDir, s.srcPath);
      if (file && existsSync(file)) {
        floor = await startFloorServer(s.floorMediaDir);
        say(`floor: a plain static server for ${s.floorMediaDir} at ${floor.url}`);
      } else {
        notes.push(`no floor arm: ${file ?? s.srcPath} is not a file the static server could send (--media names the folder holding hls/)`);
      }
    }
    await requirePlaylist(plan.originUrl, s.srcPath, 'the origin');
    await requirePlaylist(plan.viewerEdgeUrl, s.srcPath, 'the edge');
    if (plan.noPrefetch) await requirePlaylist(plan.noPrefetch.viewerEdgeUrl, s.srcPath, 'the edge without prefetch');
    await Promise.all([requirePlayer(plan.originUrl, 'the origin'), requirePlayer(plan.viewerEdgeUrl, 'the edge'), ...(floor ? [requirePlayer(floor.url, 'the floor server')] : [])]);
    // Our own stack's WAN proxy describes itself; an external origin is measured as it is.
    const originWan = stack ? await wanOf(plan.originUrl) : undefined;
    const asset: AssetDescription = await describeAsset(`${plan.originUrl}${s.srcPath}`).catch(() => ({ masterUrl: `${plan.originUrl}${s.srcPath}`, variants: [], targetDurationS: null, durationS: null, segmentsPerRendition: null }));
    if (s.target.kind === 'own' && (s.wan.rttMs > 0 || s.wan.bandwidthMbps > 0) && (typeof originWan !== 'object' || originWan === null || (originWan as { enabled?: unknown }).enabled !== true)) {
      notes.push('the WAN proxy does not report emulation as on');
    }

    const b = await CompareBrowser.launch(s.chromiumPath);
    browser = b;
    progress = createProgress('compare', { stream: deps.stdout });
    const { runs, warm, notes: armNotes } = await runArms({ ...plan, floor: floor ? { url: floor.url, readToken: floor.readToken } : undefined, srcPath: s.srcPath, sessions: s.sessions, concurrent: s.concurrent, seconds: s.seconds, warmUp: s.warmUp }, b, progress, signal);
    progress.stop();
    progress = undefined;
    notes.push(...armNotes);

    const failed = runs.flatMap((r) => r.sessions).filter((x) => (x.metrics?.startupMs ?? null) === null);
    if (failed.length > 0) notes.push(`${failed.length} session(s) never started playing within their ${s.seconds} s: counted as not started, left out of the startup numbers`);
    const conditions: Conditions = {
      date: startedAt.toISOString(),
      runSeconds: (now().getTime() - startedAt.getTime()) / 1000,
      wan: {
        ...(s.target.kind === 'own' ? { rttMs: s.wan.rttMs, bandwidthMbps: s.wan.bandwidthMbps, jitterMs: s.wan.jitterMs } : reportedWan(originWan)),
        description: 'emulated by a proxy in front of the origin: each response waits 1 RTT (+ jitter) before its first byte, 2 RTT on a new connection; bodies are paced to the bandwidth per connection',
        originReports: originWan ?? null,
      },
      lastMile: s.target.kind === 'own' ? { rttMs: s.lastMile.rttMs, bandwidthMbps: s.lastMile.bandwidthMbps } : { rttMs: null, bandwidthMbps: null },
      floor: floor ? `the packaged files from ${s.floorMediaDir ?? ''} served by express.static on ${floor.url}: no CDN, no WAN` : null,
      content: { src: s.srcPath, variants: asset.variants, targetDurationS: asset.targetDurationS, durationS: asset.durationS, segmentsPerRendition: asset.segmentsPerRendition },
      sessionsPerArm: s.sessions,
      secondsPerSession: s.seconds,
      concurrent: s.concurrent,
      stack: {
        startedByCompare: stack !== undefined,
        originUrl: plan.originUrl,
        edgeUrl: plan.edgeUrl,
        viewerEdgeUrl: plan.viewerEdgeUrl,
        edgeTier: stack?.edgeTier ?? 'as configured on the target edge',
        redisPrefix: stack?.redisPrefix ?? null,
        edgeWorkers: s.target.kind === 'own' ? s.target.edgeWorkers : null,
        coldCache: plan.adminToken !== undefined ? `the asset (${purgePathOf(s.srcPath)}) purged through POST /_edge/invalidations before each wave of the cold arm` : 'not purged (no admin token)',
        warmUp: warm
          ? `after the cold arm, every playlist and segment of every rendition fetched once through the edge (${warm.urls} requests, X-Cache ${Object.entries(warm.xCache).map(([k, v]) => `${k} ${v}`).join(', ')})`
          : 'only what the cold arm fetched (--no-warm-up)',
      },
      machine: machine(b.version, loadAtStart),
    };
    const result = buildCompareReport({ conditions, arms: runs, notes, generatedAt: now() });
    const jsonPath = join(s.outDir, 'report.json');
    const htmlPath = join(s.outDir, 'report.html');
    await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(htmlPath, renderCompareHtml(result));
    return { report: result, jsonPath, htmlPath };
  } finally {
    progress?.stop();
    await browser?.close();
    await floor?.close();
    await stack?.stop();
  }
}
