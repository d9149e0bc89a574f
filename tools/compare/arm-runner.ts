// The arms, one after another: waves of browser sessions, the edge purged or warmed around them, origin counts read.
import { AppError } from '../../server/core/errors.ts';
import type { ProgressReporter } from '../../server/cli/progress.ts';
import type { CompareBrowser } from './compare-browser.ts';
import { ARM_NAMES, type ArmName } from './compare-options.ts';
import type { ArmRun } from './compare-report.ts';
import { purgeAsset, warmUp, type WarmUpResult } from './edge-cache.ts';
import { readOriginRequests } from './origin-requests.ts';
import type { SessionResult } from './session-result.ts';

/** Split `sessions` into waves of at most `concurrent` that start together; returns the sizes. */
export function waveSizes(sessions: number, concurrent: number): number[] {
  const out: number[] = [];
  for (let left = sessions; left > 0; left -= concurrent) out.push(Math.min(concurrent, left));
  return out;
}

export interface ArmsPlan {
  readonly originUrl: string;
  /** The edge itself: purges, warm-up. */
  readonly edgeUrl: string;
  /** Where the edge arms' viewers reach it (a last-mile proxy in front of it, or the edge). */
  readonly viewerEdgeUrl: string;
  /** The floor arm's static server; undefined: no floor arm. */
  readonly floor: { readonly url: string; readonly readToken: string } | undefined;
  /** A second edge with prefetch off, for the edge-cold-no-prefetch arm; undefined: no such arm (a running edge). */
  readonly noPrefetch: { readonly edgeUrl: string; readonly viewerEdgeUrl: string } | undefined;
  /** Without it the cold arm cannot purge the edge. */
  readonly adminToken: string | undefined;
  readonly srcPath: string;
  readonly sessions: number;
  readonly concurrent: number;
  readonly seconds: number;
  readonly warmUp: boolean;
}

export interface ArmsOutcome {
  readonly runs: ArmRun[];
  readonly warm: WarmUpResult | undefined;
  readonly notes: string[];
}

export async function runArms(p: ArmsPlan, browser: CompareBrowser, progress: ProgressReporter, signal?: AbortSignal): Promise<ArmsOutcome> {
  const waves = waveSizes(p.sessions, p.concurrent);
  const arms = ARM_NAMES.filter((a) => (a !== 'floor' || p.floor !== undefined) && (a !== 'edge-cold-no-prefetch' || p.noPrefetch !== undefined));
  const urlOf = (arm: ArmName): string => (arm === 'floor' ? (p.floor?.url ?? '') : arm === 'direct' ? p.originUrl : arm === 'edge-cold-no-prefetch' ? (p.noPrefetch?.viewerEdgeUrl ?? '') : p.viewerEdgeUrl);
  const total = p.sessions * arms.length;
  const notes: string[] = [];
  const waveMs: number[] = [];
  let done = 0;
  const show = (stage: string): void => {
    // The pace so far (or the session length plus page load before the first wave) times the waves left.
    const wavesLeft = arms.length * waves.length - waveMs.length;
    const avgMs = waveMs.length > 0 ? waveMs.reduce((a, b) => a + b, 0) / waveMs.length : p.seconds * 1000 + 3_000;
    progress.update((done / total) * 100, (wavesLeft * avgMs) / 1000, stage);
  };

  // The first session of a fresh browser pays for starting its renderer, compiling hls.js and its worker: one session,
  // not counted, so the first arm (the floor) is not charged for what every later arm gets for free.
  const first = arms[0];
  if (first) {
    show('warming the browser');
    const serverUrl = urlOf(first);
    await browser.runSession({ arm: first, index: 0, wave: 0, serverUrl, srcPath: p.srcPath, seconds: Math.min(3, p.seconds), readToken: first === 'floor' ? p.floor?.readToken : p.adminToken, ...(signal ? { signal } : {}) });
  }

  const runs: ArmRun[] = [];
  let warm: WarmUpResult | undefined;
  for (const arm of arms) {
    const serverUrl = urlOf(arm);
    const readToken = arm === 'floor' ? p.floor?.readToken : p.adminToken;
    if (arm === 'edge-warm' && p.warmUp) {
      show('warming the edge');
      // hls.js buffers far ahead on a fast link, so a warm cache means the whole VOD asset, as an operator would pre-warm it.
      warm = await warmUp(p.edgeUrl, p.srcPath, Number.POSITIVE_INFINITY, 4, signal);
    }
    // The floor never reaches the origin: its count is not read (and not 0 by assumption either).
    const before = arm === 'floor' ? undefined : await readOriginRequests(p.originUrl).catch((err: unknown) => {
      notes.push(`origin request counts unavailable for ${arm}: ${(err as Error).message}`);
      return undefined;
    });
    const sessions: SessionResult[] = [];
    for (const [w, size] of waves.entries()) {
      if (signal?.aborted) throw new AppError('COMPARE_ABORTED', 499, 'comparison interrupted');
      // Every wave of the cold arm meets a cold cache: the viewers that start together share the first fetches.
      if (arm === 'edge-cold' && p.adminToken) await purgeAsset(p.edgeUrl, p.adminToken, p.srcPath);
      if (arm === 'edge-cold-no-prefetch' && p.noPrefetch && p.adminToken) await purgeAsset(p.noPrefetch.edgeUrl, p.adminToken, p.srcPath);
      show(`${arm} · ${done}/${total} sessions`);
      const started = performance.now();
      const first = sessions.length;
      const results = await Promise.all(
        Array.from({ length: size }, async (_, i) => {
          const r = await browser.runSession({ arm, index: first + i + 1, wave: w + 1, serverUrl, srcPath: p.srcPath, seconds: p.seconds, readToken, ...(signal ? { signal } : {}) });
          done += 1;
          show(`${arm} · ${done}/${total} sessions`);
          return r;
        }),
      );
      waveMs.push(performance.now() - started);
      sessions.push(...results);
    }
    const after = before === undefined ? undefined : await readOriginRequests(p.originUrl).catch(() => undefined);
    runs.push({ name: arm as ArmName, sessions, origin: before !== undefined && after !== undefined ? { before, after } : null });
  }
  progress.update(100, 0, `${total}/${total} sessions`);
  return { runs, warm, notes };
}
