// Headless Debian chromium (playwright-core, nothing downloaded) playing one session per fresh browser context.
import { chromium, type Browser, type Request } from 'playwright-core';
import { AppError } from '../../server/core/errors.ts';
import type { ArmName } from './compare-options.ts';
import { metricsOfSnapshot, parsePageSnapshot, parseServerSession, type SessionResult } from './session-result.ts';

/** What the player page (player/player.ts) exposes to automation. */
interface PlayerPageGlobals {
  readonly __edgelineQoe?: unknown;
  readonly __edgelineQoeFinish?: () => Promise<boolean>;
}

/** DESIGN.md's flags, plus no QUIC (the servers speak HTTP/1.1) and /tmp instead of a small /dev/shm in containers. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  // Background tabs are throttled; every session here is a foreground viewer.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Requests that count as viewer media traffic: playlists, init segments and segments under /vod/ or /live/. */
export function isViewerMediaRequest(url: string, pageOrigin: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.origin === pageOrigin && /^\/(vod|live)\//.test(u.pathname);
}

export function playerUrl(serverUrl: string, srcPath: string, arm: ArmName): string {
  return `${serverUrl}/player/?src=${encodeURIComponent(srcPath)}&arm=${arm}`;
}

export interface SessionPlan {
  readonly arm: ArmName;
  readonly index: number;
  readonly wave: number;
  /** The server that serves the page, the playlist and receives the beacons. */
  readonly serverUrl: string;
  readonly srcPath: string;
  readonly seconds: number;
  /** The server's admin token, to read the session back (GET /qoe/sessions/{id}). */
  readonly readToken?: string | undefined;
  readonly signal?: AbortSignal;
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AppError('COMPARE_ABORTED', 499, 'comparison interrupted'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AppError('COMPARE_ABORTED', 499, 'comparison interrupted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function serverSession(serverUrl: string, sessionId: string, readToken: string | undefined): Promise<ReturnType<typeof parseServerSession>> {
  try {
    // Sessions are readable only with the server's admin token.
    const headers: Record<string, string> = readToken ? { Authorization: `Bearer ${readToken}` } : {};
    const res = await fetch(`${serverUrl}/qoe/sessions/${encodeURIComponent(sessionId)}`, { headers, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    return parseServerSession(await res.json());
  } catch {
    return undefined;
  }
}

export class CompareBrowser {
  private constructor(
    private readonly browser: Browser,
    readonly version: string,
  ) {}

  static async launch(executablePath: string): Promise<CompareBrowser> {
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS] });
    } catch (err) {
      throw new AppError('COMPARE_BROWSER_FAILED', 500, `could not start chromium at ${executablePath} (set --chromium or CHROMIUM_PATH): ${(err as Error).message.split('\n')[0] ?? ''}`, { cause: err });
    }
    return new CompareBrowser(browser, browser.version());
  }

  /**
   * Open the player in a new context (no cache or connections shared with other sessions), let it play for
   * `seconds` from page open, send the final beacon, and read the session from the server (the page as a fallback).
   */
  async runSession(p: SessionPlan): Promise<SessionResult> {
    const context = await this.browser.newContext({ viewport: { width: 960, height: 640 } });
    const pageOrigin = new URL(p.serverUrl).origin;
    let viewerRequests = 0;
    context.on('request', (req: Request) => {
      if (isViewerMediaRequest(req.url(), pageOrigin)) viewerRequests += 1;
    });
    const startedAt = Date.now();
    const base = { arm: p.arm, index: p.index, wave: p.wave, startedAt };
    let snapshotValue: unknown;
    let error: string | null = null;
    try {
      const page = await context.newPage();
      await page.goto(playerUrl(p.serverUrl, p.srcPath, p.arm), { waitUntil: 'load', timeout: Math.max(15_000, p.seconds * 1000) });
      await abortableSleep(Math.max(0, startedAt + p.seconds * 1000 - Date.now()), p.signal);
      snapshotValue = await page.evaluate(() => (window as unknown as PlayerPageGlobals).__edgelineQoe);
      const isAccepted = await page.evaluate(() => (window as unknown as PlayerPageGlobals).__edgelineQoeFinish?.() ?? Promise.resolve(false));
      if (!isAccepted) error = 'the final beacon was not accepted';
    } catch (err) {
      if (err instanceof AppError && err.code === 'COMPARE_ABORTED') throw err;
      error = (err as Error).message.split('\n')[0] ?? 'page failed';
    } finally {
      await context.close().catch(() => undefined);
    }
    const snapshot = parsePageSnapshot(snapshotValue);
    if (!snapshot) {
      return { ...base, sessionId: null, source: 'none', metrics: null, segments: [], beacons: 0, viewerRequests, error: error ?? 'the page exposed no QoE numbers (window.__edgelineQoe)' };
    }
    const server = await serverSession(p.serverUrl, snapshot.sessionId, p.readToken);
    if (server) {
      return { ...base, sessionId: server.sessionId, source: 'server', metrics: server.metrics, segments: server.segments, beacons: server.beacons, viewerRequests, error };
    }
    return {
      ...base,
      sessionId: snapshot.sessionId,
      source: 'page',
      metrics: metricsOfSnapshot(snapshot),
      segments: snapshot.segments,
      beacons: 0,
      viewerRequests,
      error: error ?? `${p.serverUrl}/qoe/sessions has no record of the session`,
    };
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}
