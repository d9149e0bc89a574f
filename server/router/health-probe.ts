// One active health check of an edge: GET /healthz with a timeout, classified into a result the directory can act on.

export type HealthFailure = 'timeout' | 'refused' | 'status' | 'error';

export interface HealthResult {
  readonly ok: boolean;
  readonly status?: number;
  /** The edge's own load figure, when its /healthz body carries a numeric `load`. */
  readonly load?: number;
  /**
   * What the edge says of its own origin (`origin.reachable` in its /healthz body): false makes it a second choice, never
   * down, since it still serves what it holds. Absent when the edge does not say.
   */
  readonly originReachable?: boolean;
  readonly failure?: HealthFailure;
  readonly message?: string;
}

export type HealthProbe = (url: string, timeoutMs: number, signal: AbortSignal) => Promise<HealthResult>;

/**
 * The real probe: GET {edge}/healthz; 2xx is healthy. A numeric `load` in the JSON body is kept as a load hint, and
 * `origin.reachable` as the edge's view of its origin (the edge answers at once and probes its origin in the background).
 */
export async function probeHealth(url: string, timeoutMs: number, signal: AbortSignal): Promise<HealthResult> {
  try {
    const res = await fetch(`${url}/healthz`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headers: { accept: 'application/json', 'user-agent': 'edgeline-router' },
      redirect: 'manual',
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) return { ok: false, status: res.status, failure: 'status', message: `/healthz answered ${res.status}` };
    const body = jsonBody(text);
    const load = loadOf(body);
    const originReachable = originReachableOf(body);
    return { ok: true, status: res.status, ...(load !== undefined ? { load } : {}), ...(originReachable !== undefined ? { originReachable } : {}) };
  } catch (err) {
    return classifyFetchError(err);
  }
}

function jsonBody(text: string): Record<string, unknown> | undefined {
  if (text.length > 65_536) return undefined;
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function loadOf(body: Record<string, unknown> | undefined): number | undefined {
  const load = body?.['load'];
  return typeof load === 'number' && Number.isFinite(load) && load >= 0 ? load : undefined;
}

function originReachableOf(body: Record<string, unknown> | undefined): boolean | undefined {
  const origin = body?.['origin'];
  const reachable = typeof origin === 'object' && origin !== null ? (origin as { reachable?: unknown }).reachable : undefined;
  return typeof reachable === 'boolean' ? reachable : undefined;
}

function classifyFetchError(err: unknown): HealthResult {
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, failure: 'timeout', message: 'no answer within the timeout' };
  const code = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if (code === 'ECONNREFUSED') return { ok: false, failure: 'refused', message: 'connection refused' };
  const message = typeof e.cause?.message === 'string' ? e.cause.message : String(e.message ?? err);
  return { ok: false, failure: 'error', message: code ? `${code} ${message}` : message };
}
