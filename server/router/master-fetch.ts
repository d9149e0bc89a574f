// Fetches a master playlist for the router from the best edge, moving to the next edge when one fails.
import type { EdgeView } from './edge-directory.ts';

/** A master playlist is a few kilobytes; anything this large is not one. */
const MAX_MASTER_BYTES = 1024 * 1024;

export interface MasterAnswer {
  readonly edge: EdgeView;
  /** Where the body came from (the edge's probe URL plus path and query). */
  readonly url: string;
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface MasterFetchInput {
  /** Edges in order of preference; only healthy ones are tried. */
  readonly edges: readonly EdgeView[];
  /** Path and raw query as the edge should see them. */
  readonly pathAndQuery: string;
  /** Forwarded request headers (cookies for signed-cookie access, the client address). */
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  /** Attempts before giving up: a few, so a viewer never waits for every edge of a large fleet. */
  readonly maxAttempts: number;
  /** Told about every edge that failed (connection error, timeout, 5xx), e.g. to check its health now. */
  readonly onEdgeFailure: (edge: EdgeView, reason: string) => void;
}

export type MasterFetchResult = { readonly ok: true; readonly answer: MasterAnswer } | { readonly ok: false; readonly tried: number; readonly lastError: string | undefined };

/**
 * The first answer that is not a failure wins: 2xx, and 4xx too (a missing asset or a refused signature is the
 * same on every edge, so asking the next one would only repeat it). Connection errors, timeouts and 5xx move on.
 */
export async function fetchMaster(input: MasterFetchInput): Promise<MasterFetchResult> {
  const candidates = input.edges.filter((e) => e.healthy).slice(0, input.maxAttempts);
  let lastError: string | undefined;
  for (const edge of candidates) {
    const url = `${edge.probeUrl.replace(/\/+$/, '')}${input.pathAndQuery}`;
    try {
      const res = await fetch(url, { headers: input.headers, redirect: 'manual', signal: AbortSignal.timeout(input.timeoutMs) });
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > MAX_MASTER_BYTES) {
        await res.body?.cancel();
        lastError = `${edge.id}: master playlist of ${declared} bytes exceeds ${MAX_MASTER_BYTES}`;
        continue;
      }
      const body = await res.text();
      if (res.status >= 500) {
        lastError = `${edge.id}: answered ${res.status}`;
        input.onEdgeFailure(edge, lastError);
        continue;
      }
      if (body.length > MAX_MASTER_BYTES) {
        lastError = `${edge.id}: master playlist exceeds ${MAX_MASTER_BYTES} bytes`;
        continue;
      }
      return { ok: true, answer: { edge, url, status: res.status, contentType: res.headers.get('content-type') ?? undefined, body } };
    } catch (err) {
      const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
      const why = e.name === 'TimeoutError' ? `no answer within ${input.timeoutMs} ms` : typeof e.cause?.code === 'string' ? e.cause.code : String(e.message ?? err);
      lastError = `${edge.id}: ${why}`;
      input.onEdgeFailure(edge, lastError);
    }
  }
  return { ok: false, tried: candidates.length, lastError };
}
