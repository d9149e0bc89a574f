// What every fault shares: its context, warming an asset through the edges, viewers around an injection, metrics.
import { readMasterPlaylist, readMediaPlaylist } from '../../server/core/hls/read-playlist.ts';
import type { Check, FaultName } from './fault-result.ts';
import { probe, type Probed } from './http-probe.ts';
import type { Role, Stack } from './stack.ts';
import { mustHold, pause } from './until.ts';
import type { ViewerEvent } from './viewer.ts';
import { ViewerPool, type ViewerTotals } from './viewer-pool.ts';

export interface FaultContext {
  readonly stack: Stack;
  readonly quick: boolean;
  readonly viewers: number;
  readonly say: (msg: string) => void;
}

/** What a fault without a stack gets (one that kills a one-shot command). */
export interface StandaloneContext {
  readonly repoRoot: string;
  readonly mediaDir: string;
  readonly logDir: string;
  readonly quick: boolean;
  readonly say: (msg: string) => void;
}

/** What a fault hands back; the runner adds the name, the verdict and the timeline. */
export interface FaultOutcome {
  readonly viewers: ViewerTotals | null;
  readonly events: readonly ViewerEvent[];
  readonly faultAtMs: number;
  readonly recoveryMs: number | null;
  readonly recoveryLabel: string | null;
  readonly figures: Readonly<Record<string, number | string | null>>;
  readonly checks: readonly Check[];
}

interface FaultBase {
  readonly name: FaultName;
  readonly title: string;
  readonly rule: string;
}

export interface StackFault extends FaultBase {
  /** live: the origin also runs a live channel (an ffmpeg for the whole fault). */
  readonly stack: 'vod' | 'live';
  /** Each edge's memory tier, when the fault needs another than the default. */
  readonly edgeMemoryMb?: number;
  run(ctx: FaultContext): Promise<FaultOutcome>;
}

export interface StandaloneFault extends FaultBase {
  readonly stack: 'none';
  run(ctx: StandaloneContext): Promise<FaultOutcome>;
}

export type Fault = StackFault | StandaloneFault;

/** The packaged VOD asset viewers play (20 s, 2 s segments, one 240p rendition). */
export const VIEWER_ASSET = 'clip';
/** A second asset viewers never touch: purge targets and cold objects. */
export const PROBE_ASSET = 'probe';
export const PROBE_SEGMENT = `/vod/${PROBE_ASSET}/240p/seg-00000.ts`;
export const COLD_SEGMENT = `/vod/${PROBE_ASSET}/240p/seg-00005.ts`;
export const LIVE_CHANNEL = 'live';

async function mustGet(url: string, keepBody: boolean): Promise<Probed> {
  const r = await probe(url, { keepBody, timeoutMs: 10_000 });
  if (!r.ok) throw new Error(`fault suite: GET ${url} answered ${r.status || r.error}`);
  return r;
}

/** Master, media playlists and every segment of a VOD asset through each edge, so the cache is warm. */
export async function warmAsset(edges: readonly Role[], asset: string): Promise<void> {
  for (const edge of edges) {
    const masterUrl = `${edge.url}/vod/${asset}/master.m3u8`;
    const master = readMasterPlaylist((await mustGet(masterUrl, true)).text ?? '', { baseUrl: masterUrl });
    for (const v of master.variants) {
      const media = readMediaPlaylist((await mustGet(v.uri, true)).text ?? '', { baseUrl: v.uri });
      for (const s of media.segments) await mustGet(s.uri, false);
    }
  }
}

/** Until `path` answers HIT from this edge. */
export async function warmUntilHit(edge: Role, path: string): Promise<void> {
  await mustHold(`${edge.name} to answer ${path} with HIT`, async () => (await probe(`${edge.url}${path}`)).xCache === 'HIT', 15_000);
}

/** The lowest rendition's media playlist path of a live channel, as an edge lists it. */
export async function liveMediaPath(edge: Role, channel: string): Promise<string> {
  const url = `${edge.url}/live/${channel}/master.m3u8`;
  // The channel's first segments take a few seconds of ffmpeg to appear.
  await mustHold(`${edge.name} to serve the live master playlist`, async () => (await probe(url)).ok, 20_000);
  const r = await mustGet(url, true);
  const master = readMasterPlaylist(r.text ?? '', { baseUrl: url });
  const lowest = [...master.variants].sort((a, b) => a.bandwidth - b.bandwidth)[0];
  if (!lowest) throw new Error(`fault suite: ${url} lists no variant`);
  return new URL(lowest.uri).pathname;
}

/** One counter of a Prometheus text page (summed over the series whose labels contain `labels`). */
export function counterValue(metricsText: string, name: string, labels: string): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const brace = line.indexOf('}');
    const labelText = brace > 0 ? line.slice(name.length + 1, brace) : '';
    if (labels && !labelText.includes(labels)) continue;
    const value = Number(line.slice(brace > 0 ? brace + 1 : name.length).trim().split(' ')[0]);
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export async function readCounter(role: Role, name: string, labels: string): Promise<number | undefined> {
  const r = await probe(`${role.url}/metrics`, { keepBody: true, timeoutMs: 2_000 });
  return r.ok && r.text !== undefined ? counterValue(r.text, name, labels) : undefined;
}

export interface Timings {
  /** Viewers play this long before the fault. */
  readonly beforeMs: number;
  /** And this long after it ended. */
  readonly afterMs: number;
}

export function timings(quick: boolean): Timings {
  return quick ? { beforeMs: 2_000, afterMs: 3_000 } : { beforeMs: 4_000, afterMs: 6_000 };
}

/** Viewers start on the router's master playlist, and all play before `inject` runs; they stop `afterMs` later. */
export async function withViewers<T>(
  ctx: FaultContext,
  masterPath: string,
  inject: (pool: ViewerPool) => Promise<T>,
): Promise<{ value: T; totals: ViewerTotals; events: readonly ViewerEvent[]; faultAtMs: number }> {
  const t = timings(ctx.quick);
  const pool = new ViewerPool({ masterUrl: `${ctx.stack.router.url}${masterPath}`, viewers: ctx.viewers, rampMs: ctx.quick ? 1_000 : 2_000 });
  pool.start();
  try {
    if (!(await pool.allPlaying(30_000))) throw new Error(`fault suite: not every viewer started playing ${masterPath} within 30 s`);
    await pause(t.beforeMs);
    ctx.say(`${ctx.viewers} viewers playing; injecting the fault`);
    const faultAtMs = pool.elapsedMs();
    const value = await inject(pool);
    await pause(t.afterMs);
    const totals = await pool.stop();
    return { value, totals, events: pool.events, faultAtMs };
  } catch (err) {
    await pool.stop();
    throw err;
  }
}
