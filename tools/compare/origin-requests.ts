// How many media requests the origin has answered, from its Prometheus /metrics: read around each arm.
import { UpstreamError } from '../../server/core/errors.ts';

const SAMPLE = /^hls_origin_http_requests_total(?:\{([^}]*)\})?\s+(\S+)/;
const KIND = /(?:^|,)\s*kind="([^"]*)"/;
/** Playlists and segments: the player page, beacons, /metrics scrapes and health checks are not viewer media traffic. */
const MEDIA_KINDS = new Set(['master', 'media', 'segment', 'init']);

/** Sum of hls_origin_http_requests_total over media kinds; undefined when the text has no such samples. */
export function originMediaRequests(metricsText: string): number | undefined {
  let total = 0;
  let isSeen = false;
  for (const line of metricsText.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    isSeen = true;
    const kind = KIND.exec(m[1] ?? '')?.[1];
    if (kind !== undefined && !MEDIA_KINDS.has(kind)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) total += v;
  }
  return isSeen ? total : undefined;
}

/** GET {origin}/metrics → media requests so far; throws when the origin does not export the counter. */
export async function readOriginRequests(originUrl: string, timeoutMs = 5_000): Promise<number> {
  const url = `${originUrl}/metrics`;
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
    if (!res.ok) throw new Error(`status ${res.status}`);
  } catch (err) {
    throw new UpstreamError('COMPARE_ORIGIN_METRICS', 502, `could not read ${url}: ${(err as Error).message}`, err);
  }
  const n = originMediaRequests(text);
  if (n === undefined) throw new UpstreamError('COMPARE_ORIGIN_METRICS', 502, `${url} has no hls_origin_http_requests_total samples`);
  return n;
}
