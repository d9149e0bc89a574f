// One timed GET on loopback, for the suite's probes and viewers: status, X-Cache, tier, Age, time, body when asked.
import { Agent, request } from 'undici';

export interface Probed {
  /** 0 when no response arrived (refused, reset, timed out). */
  readonly status: number;
  readonly ok: boolean;
  readonly ms: number;
  readonly xCache: string | undefined;
  readonly tier: string | undefined;
  readonly ageS: number | undefined;
  readonly bytes: number;
  readonly text: string | undefined;
  /** Why no response arrived. */
  readonly error: string | undefined;
}

export interface ProbeOptions {
  /** Time to the response headers, and the longest pause between body chunks. */
  readonly timeoutMs?: number;
  readonly keepBody?: boolean;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly agent?: Agent;
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function errorText(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The suite talks only to the stack it started: anything but loopback is refused before a byte is sent. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== '[::1]' && host !== 'localhost') throw new Error(`fault suite: ${url} is not on loopback`);
}

export async function probe(url: string, opts: ProbeOptions = {}): Promise<Probed> {
  assertLoopback(url);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const started = performance.now();
  try {
    const res = await request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      body: opts.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      dispatcher: opts.agent,
    });
    let bytes = 0;
    let text: string | undefined;
    if (opts.keepBody) {
      text = await res.body.text();
      bytes = Buffer.byteLength(text);
    } else {
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    }
    const age = header(res.headers, 'age');
    return {
      status: res.statusCode,
      ok: res.statusCode >= 200 && res.statusCode < 300,
      ms: performance.now() - started,
      xCache: header(res.headers, 'x-cache'),
      tier: header(res.headers, 'x-cache-tier'),
      ageS: age === undefined || !/^\d+$/.test(age) ? undefined : Number(age),
      bytes,
      text,
      error: undefined,
    };
  } catch (err) {
    return { status: 0, ok: false, ms: performance.now() - started, xCache: undefined, tier: undefined, ageS: undefined, bytes: 0, text: undefined, error: errorText(err) };
  }
}

/** A probe's JSON body, or undefined when it did not answer 2xx with JSON. */
export async function probeJson(url: string, opts: ProbeOptions = {}): Promise<unknown> {
  const r = await probe(url, { ...opts, keepBody: true });
  if (!r.ok || r.text === undefined) return undefined;
  try {
    return JSON.parse(r.text) as unknown;
  } catch {
    return undefined;
  }
}
