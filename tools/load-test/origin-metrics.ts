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

/**
 * The after-read and the offload. A failure here must not throw away the run's report: it is reported through
 * `warn` and the offload left out.
 */
export async function offloadAfter(
  originUrl: string,
  before: number,
  toolRequests: number,
  timeoutMs: number,
  warn: (message: string) => void,
): Promise<OriginOffload | null> {
  try {
    const after = await readOriginRequests(originUrl, timeoutMs);
    return { url: originUrl, requestsBefore: before, requestsAfter: after, requests: after - before, offload: originOffload(after - before, toolRequests) };
  } catch (err) {
    warn(`origin offload left out: ${(err as Error).message}`);
    return null;
  }
}
