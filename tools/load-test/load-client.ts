// The viewers' HTTP client: undici keep-alive connections, a timeout per request, every outcome recorded in LoadStats.
import { Agent, errors as undiciErrors } from 'undici';
import { assertLocalTarget } from './target-guard.ts';
import type { ErrorKind, LoadStats, RequestKind } from './load-stats.ts';

export interface Fetched {
  /** 2xx: the body is usable. */
  readonly ok: boolean;
  readonly status: number;
  readonly bytes: number;
  readonly latencyUs: number;
  /** Only when asked for (playlists); segment bodies are counted and dropped. */
  readonly text: string | undefined;
}

export interface LoadClientOptions {
  /** Time to the response headers, and the longest pause between body chunks. */
  readonly timeoutMs: number;
  readonly allowRemote: boolean;
  /** Fires at the hard stop: requests still running are aborted and counted as aborted, not as errors. */
  readonly hardStop: AbortSignal;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** The error kind of a failed request, looking through `cause` chains (undici wraps socket errors). */
export function classifyError(err: unknown): ErrorKind {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECT_CODES.has(code)) return 'connect';
      if (TIMEOUT_CODES.has(code)) return 'timeout';
    }
    if (e instanceof undiciErrors.ConnectTimeoutError) return 'connect';
    if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) return 'timeout';
    e = e.cause;
  }
  return 'other';
}

export class LoadClient {
  private readonly agent: Agent;
  private readonly stats: LoadStats;
  private readonly opts: LoadClientOptions;
  private readonly checkedOrigins = new Set<string>();

  constructor(stats: LoadStats, opts: LoadClientOptions) {
    this.stats = stats;
    this.opts = opts;
    // One keep-alive connection per busy viewer at most: each viewer has a single request in flight, like a player
    // on HTTP/1.1 fetching one thing at a time.
    this.agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, pipelining: 1, connect: { timeout: opts.timeoutMs } });
  }

  /** GET `url`; undefined when no response arrived (the error is recorded) or the hard stop cut it off. */
  async get(url: string, kind: RequestKind, keepBody: boolean): Promise<Fetched | undefined> {
    const u = new URL(url);
    if (!this.checkedOrigins.has(u.origin)) {
      assertLocalTarget(url, this.opts.allowRemote, 'playlist URL');
      this.checkedOrigins.add(u.origin);
    }
    if (this.opts.hardStop.aborted) return undefined;
    const started = performance.now();
    try {
      const res = await this.agent.request({
        origin: u.origin,
        path: u.pathname + u.search,
        method: 'GET',
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
        signal: this.opts.hardStop,
      });
      const ttfbUs = (performance.now() - started) * 1000;
      let bytes = 0;
      let text: string | undefined;
      if (keepBody) {
        const buf = Buffer.from(await res.body.arrayBuffer());
        bytes = buf.length;
        text = buf.toString('utf8');
      } else {
        for await (const chunk of res.body) bytes += (chunk as Buffer).length;
      }
      const latencyUs = (performance.now() - started) * 1000;
      const xc = res.headers['x-cache'];
      const xCache = Array.isArray(xc) ? xc[0] : xc;
      this.stats.recordResponse(kind, res.statusCode, bytes, latencyUs, xCache, ttfbUs);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { ok, status: res.statusCode, bytes, latencyUs, text: ok ? text : undefined };
    } catch (err) {
      if (this.opts.hardStop.aborted) this.stats.aborted += 1;
      else this.stats.recordError(classifyError(err));
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}
