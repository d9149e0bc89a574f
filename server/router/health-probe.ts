// One active health check of an edge: GET /healthz with a timeout, classified into a result the directory can act on.

export type HealthFailure = 'timeout' | 'refused' | 'status' | 'error';

export interface HealthResult {
  readonly ok: boolean;
  readonly status?: number;
  /** The edge's own load figure, when its /healthz body carries a numeric `load`. */
  readonly load?: number;
  readonly failure?: HealthFailure;
  readonly message?: string;
}

export type HealthProbe = (url: string, timeoutMs: number, signal: AbortSignal) => Promise<HealthResult>;

/** The real probe: GET {edge}/healthz; 2xx is healthy. A numeric `load` in the JSON body is kept as a load hint. */
export async function probeHealth(url: string, timeoutMs: number, signal: AbortSignal): Promise<HealthResult> {
  try {
    const res = await fetch(`${url}/healthz`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headers: { accept: 'application/json', 'user-agent': 'edgeline-router' },
      redirect: 'manual',
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) return { ok: false, status: res.status, failure: 'status', message: `/healthz answered ${res.status}` };
    const load = loadFromBody(text);
    return load === undefined ? { ok: true, status: res.status } : { ok: true, status: res.status, load };
  } catch (err) {
    return classifyFetchError(err);
  }
}

function loadFromBody(text: string): number | undefined {
  if (text.length > 65_536) return undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null) return undefined;
    const load = (body as { load?: unknown }).load;
    return typeof load === 'number' && Number.isFinite(load) && load >= 0 ? load : undefined;
  } catch {
    return undefined;
  }
}

function classifyFetchError(err: unknown): HealthResult {
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, failure: 'timeout', message: 'no answer within the timeout' };
  const code = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if (code === 'ECONNREFUSED') return { ok: false, failure: 'refused', message: 'connection refused' };
  const message = typeof e.cause?.message === 'string' ? e.cause.message : String(e.message ?? err);
  return { ok: false, failure: 'error', message: code ? `${code} ${message}` : message };
}
