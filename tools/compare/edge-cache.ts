// The edge's cache around the edge arms: purge the asset before a cold wave, fill it before the warm arm.
import { AppError, UpstreamError } from '../../server/core/errors.ts';
import { assetUrls } from './asset-playlists.ts';

/** `/vod/sample/master.m3u8?x` → `/vod/sample/*`: the asset's folder, which holds every rendition and segment. */
export function purgePathOf(srcPath: string): string {
  const path = srcPath.split('?')[0] ?? srcPath;
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  return `${dir || '/'}*`;
}

const POLL_MS = 100;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * POST /_edge/invalidations and wait until the edge reports it Completed. A 503 EDGE_PURGE_PARTIAL (an edge without
 * Redis) still purged the edge that answered, which is the one the comparison plays through.
 */
export async function purgeAsset(edgeUrl: string, adminToken: string, srcPath: string, timeoutMs = 15_000): Promise<void> {
  const path = purgePathOf(srcPath);
  const res = await fetch(`${edgeUrl}/_edge/invalidations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ paths: [path] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json().catch(() => ({}))) as { id?: unknown; error?: unknown; message?: unknown };
  if (res.status === 503 && body.error === 'EDGE_PURGE_PARTIAL') return;
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
    const why = typeof body.message === 'string' ? body.message : `status ${res.status}`;
    throw new UpstreamError('COMPARE_PURGE_FAILED', 502, `purging ${path} on ${edgeUrl} failed: ${why}`);
  }
  if (typeof body.id !== 'string') return;
  const deadline = Date.now() + timeoutMs;
  const statusUrl = `${edgeUrl}/_edge/invalidations/${encodeURIComponent(body.id)}`;
  while (Date.now() < deadline) {
    const s = await fetch(statusUrl, { headers: { Authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(timeoutMs) });
    const status = (await s.json().catch(() => ({}))) as { status?: unknown };
    if (s.ok && status.status === 'Completed') return;
    await sleep(POLL_MS);
  }
  throw new UpstreamError('COMPARE_PURGE_TIMEOUT', 504, `purge of ${path} on ${edgeUrl} did not complete within ${timeoutMs} ms`);
}

export interface WarmUpResult {
  readonly urls: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  /** X-Cache of the warm-up responses: how much the cold arm had already filled. */
  readonly xCache: Readonly<Record<string, number>>;
}

/** Fetch every URL a viewer of the first `untilS` seconds could ask for through the edge, `parallel` at a time. */
export async function warmUp(edgeUrl: string, srcPath: string, untilS: number, parallel = 4, signal?: AbortSignal): Promise<WarmUpResult> {
  const started = performance.now();
  const urls = await assetUrls(`${edgeUrl}${srcPath}`, untilS);
  const xCache: Record<string, number> = {};
  let bytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (signal?.aborted) throw new AppError('COMPARE_ABORTED', 499, 'comparison interrupted');
      const url = urls[next++];
      if (url === undefined) return;
      const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      const body = await res.arrayBuffer();
      if (!res.ok) throw new UpstreamError('COMPARE_WARM_UP_FAILED', 502, `warming the edge: GET ${url} answered ${res.status}`);
      bytes += body.byteLength;
      const label = (res.headers.get('x-cache') ?? 'none').split(/[\s,]/)[0] ?? 'none';
      xCache[label] = (xCache[label] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return { urls: urls.length, bytes, elapsedMs: Math.round(performance.now() - started), xCache };
}
