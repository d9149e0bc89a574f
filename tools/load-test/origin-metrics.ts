// Origin offload: how many requests reached the origin, read from its Prometheus /metrics before and after a run.
import { request } from 'undici';
import { UpstreamError } from '../../server/core/errors.ts';
import type { OriginOffload } from './report.ts';

const SAMPLE = /^hls_origin_http_requests_total(?:\{([^}]*)\})?\s+([0-9.eE+-]+|NaN|\+Inf)/;
const KIND = /(?:^|,)\s*kind="([^"]*)"/;
/** Request kinds that carry media; scrapes (/metrics), health checks and API calls are not viewer traffic. */
const MEDIA_KINDS = new Set(['master', 'media', 'segment', 'init']);

/**
 * Sum of hls_origin_http_requests_total over media kinds in Prometheus text format. Samples without a kind label
 * count too (an origin that does not split by kind).
 */
export function parseOriginRequests(text: string): number {
  let total = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const kind = KIND.exec(m[1] ?? '')?.[1];
    if (kind !== undefined && !MEDIA_KINDS.has(kind)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) total += v;
    seen = true;
  }
  if (!seen && !text.includes('hls_origin_http_requests_total')) {
    throw new UpstreamError('LOADTEST_NO_ORIGIN_METRICS', 502, 'origin /metrics has no hls_origin_http_requests_total samples');
  }
  return total;
}

/** 1 − origin requests ÷ viewer requests, clamped to [0, 1]; null when there were no viewer requests. */
export function originOffload(originRequests: number, viewerRequests: number): number | null {
  if (viewerRequests <= 0) return null;
  return Math.min(1, Math.max(0, 1 - originRequests / viewerRequests));
}

export async function readOriginRequests(originUrl: string, timeoutMs: number): Promise<number> {
  const url = `${originUrl.replace(/\/+$/, '')}/metrics`;
  let text: string;
  try {
    const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  } catch (err) {
    throw new UpstreamError('LOADTEST_ORIGIN_METRICS', 502, `could not read ${url}: ${(err as Error).message}`, err);
  }
  return parseOriginRequests(text);
}

export interface CounterIncrease {
  /** What the counter grew by over the samples. */
  readonly increase: number;
  /** How many times it went down between two samples (a restarted origin starts again at 0). */
  readonly resets: number;
}

/**
 * How much a counter grew over successive samples, like Prometheus `increase()` without extrapolation: a sample
 * below the one before means the counter was reset, and the new value counts in full (it grew from 0 since).
 * Requests between the last sample before a reset and the reset itself are not seen: sample often.
 */
export function counterIncrease(samples: readonly number[]): CounterIncrease {
  let increase = 0;
  let resets = 0;
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1] ?? 0;
    const cur = samples[i] ?? 0;
    if (cur >= prev) increase += cur - prev;
    else {
      resets += 1;
      increase += cur;
    }
  }
  return { increase, resets };
}

/**
 * The origin's request counter watched through a run: read at the start (an unreachable origin fails the run there),
 * every `everyMs` during it (a failed read, e.g. while the origin restarts, is skipped), and at the end. Requests
 * that reached the origin are the counter's increase over those samples, so a restart does not make them negative.
 */
export class OriginCounterWatch {
  private readonly samples: number[];
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> | undefined;
  private missed = 0;

  private constructor(
    private readonly originUrl: string,
    private readonly timeoutMs: number,
    first: number,
    everyMs: number,
  ) {
    this.samples = [first];
    this.timer = setInterval(() => {
      if (this.inFlight) return;
      this.inFlight = this.read().finally(() => (this.inFlight = undefined));
    }, everyMs);
    this.timer.unref();
  }

  static async start(originUrl: string, timeoutMs: number, everyMs = 1_000): Promise<OriginCounterWatch> {
    return new OriginCounterWatch(originUrl, timeoutMs, await readOriginRequests(originUrl, timeoutMs), everyMs);
  }

  private async read(): Promise<void> {
    try {
      this.samples.push(await readOriginRequests(this.originUrl, Math.min(this.timeoutMs, 2_000)));
    } catch {
      this.missed += 1;
    }
  }

  /**
   * Stops sampling, takes the last reading and returns the offload. A failure of that reading must not throw away
   * the run's report: it is reported through `warn` and the offload left out.
   */
  async finish(toolRequests: number, warn: (message: string) => void): Promise<OriginOffload | null> {
    clearInterval(this.timer);
    await this.inFlight;
    try {
      this.samples.push(await readOriginRequests(this.originUrl, this.timeoutMs));
    } catch (err) {
      warn(`origin offload left out: ${(err as Error).message}`);
      return null;
    }
    const { increase, resets } = counterIncrease(this.samples);
    if (resets > 0) warn(`the origin's request counter was reset ${resets} time(s) during the run (a restart?): requests summed across the resets; those just before each reset are not seen`);
    return {
      url: this.originUrl,
      requestsBefore: this.samples[0] ?? 0,
      requestsAfter: this.samples[this.samples.length - 1] ?? 0,
      requests: increase,
      counterResets: resets,
      samples: this.samples.length,
      missedSamples: this.missed,
      offload: originOffload(increase, toolRequests),
    };
  }
}
